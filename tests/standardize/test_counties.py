from pipelines.standardize.counties import CHONGQING, RETIRED, current_code, region_name
from pipelines.synth.geography import load_regions


def test_thirty_eight_units_and_generator_agrees():
    assert len(CHONGQING) == 38
    generated = load_regions()
    assert dict(zip(generated.codes, generated.names, strict=True)) == CHONGQING


def test_retired_codes_map_to_codes_in_force():
    assert current_code("500222") == "500110" and current_code("500234") == "500154"
    assert all(new in CHONGQING for _, new in RETIRED.values())
    assert region_name("500234").startswith("开县")
    assert region_name("999999") == "999999"
