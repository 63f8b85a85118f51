"""A link configuration is checked whole before anything runs: what its keys name (fields,
blocking keys, comparator kinds and parameters, term-frequency adjustment), each problem with
the file and the key."""

from __future__ import annotations

import pytest
import yaml

from pipelines.errors import ConfigError
from pipelines.link.config import CONFIG_DIR, load_config, parse_config, resolve_config


def _febrl() -> dict:
    return yaml.safe_load((CONFIG_DIR / "febrl4.yaml").read_text(encoding="utf-8"))


CASES = [
    {
        "description": "an unknown comparator kind",
        "change": lambda c: c["comparisons"][3].update(comparator="soundex"),
        "expected": "comparisons[3].comparator: comparator kind 'soundex' is unknown (expected one "
                    "of: exact, text, levenshtein, id_number, person_name, date, phone, address)",
    },
    {
        "description": "a parameter the comparator does not take",
        "change": lambda c: c["comparisons"][0].update(params={"jw_hgh": 0.9}),
        "expected": "comparisons[0].params: comparator 'text': unknown parameter 'jw_hgh' "
                    "(expected jw_high, jw_mid)",
    },
    {
        "description": "a parameter out of range",
        "change": lambda c: c["comparisons"][3].update(params={"lev1": 0.5}),
        "expected": "comparisons[3].params: comparator 'levenshtein': lev1 must be an integer >= 1",
    },
    {
        "description": "term frequencies of a kind that has none",
        "change": lambda c: c["comparisons"][2].update(tf_adjust=True),
        "expected": "comparisons[2].tf_adjust: only for fields of kind person_name, text, exact, "
                    "levenshtein; 'date_of_birth' is date",
    },
    {
        "description": "a blocking key of an unknown field",
        "change": lambda c: c["blocking"].append(["nope"]),
        "expected": "blocking[6]: unknown field 'nope' in key 'nope'",
    },
    {
        "description": "no blocking rule at all",
        "change": lambda c: c.update(blocking=[]),
        "expected": "blocking: at least one rule is needed",
    },
    {
        "description": "thresholds out of order, without pydantic's prefix",
        "change": lambda c: c.update(thresholds={"match": 0.4, "possible": 0.9}),
        "expected": "thresholds: possible (0.9) must not exceed match (0.4)",
    },
]


@pytest.mark.parametrize("case", CASES, ids=[c["description"] for c in CASES])
def test_each_problem_names_the_file_and_the_key(case, tmp_path):
    config = _febrl()
    case["change"](config)
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert any(p.startswith(f"{path}: {case['expected']}") for p in err.value.problems), err.value


def test_problems_of_the_references_are_reported_together():
    config = _febrl()
    config["comparisons"][0]["comparator"] = "soundex"
    config["comparisons"][2]["tf_adjust"] = True
    config["blocking"].append(["nope"])
    with pytest.raises(ConfigError) as err:
        parse_config(config, "x.yaml")
    assert len(err.value.problems) == 3
    assert all(p.startswith("x.yaml: ") for p in err.value.problems)


def test_a_configuration_knows_its_file_and_its_digest_does_not():
    shipped = resolve_config("febrl4")
    assert shipped.origin == str(CONFIG_DIR / "febrl4.yaml")
    assert shipped.with_columns("left", {}).origin == shipped.origin
    elsewhere = parse_config(_febrl(), "elsewhere.yaml")
    assert elsewhere.origin == "elsewhere.yaml"
    assert elsewhere.sha256() == shipped.sha256()
    assert "origin" not in elsewhere.fingerprint()
