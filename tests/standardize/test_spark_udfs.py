"""The Arrow UDF forms agree value by value with the pure functions, and never fail a job."""

import datetime
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.standardize import addresses, names, phones, regions
from pipelines.standardize import spark as S
from pipelines.standardize.name_parts import former_names, name_parts, pinyin_tokens
from tests.standardize.strategies import noisy_landline, noisy_mobile, spark_text

EXAMPLES = [
    "13812345678",
    "+86 138 1234 5678",
    "023-68888888转801",
    "500222",
    "５００１１０",
    "綦江县",
    "510212",
    "重庆市渝中区民族路二十三号3单元",
    "張三豐",
    "阎明",
    "ZHANG SANFENG",
    "阿卜杜拉•买买提",
    "张三、李四",
    "😀",
    "",
    None,
]


def _pure(value, on=None) -> dict:
    parts = name_parts(value)
    return {
        "phone": phones.standardize_phone(value),
        "address": addresses.normalize_address(value),
        "region": regions.standardize_region(value, on),
        "variant": names.variant_key(value),
        "tokens": list(pinyin_tokens(value)),
        "former": list(former_names(value)),
        "parts": (None,) * 4
        if parts is None
        else tuple(getattr(parts, c) for c in S.NAME_PARTS_COLUMNS),
    }


def _collect(spark, values: list, on=None) -> list:
    df = spark.createDataFrame(list(enumerate(values)), "i int, v string")
    return (
        df.select(
            "i",
            S.phone_struct("v").alias("phone"),
            S.address_struct("v").alias("address"),
            S.region_struct("v", on).alias("region"),
            S.variant_key_udf("v").alias("variant"),
            S.pinyin_tokens_udf("v").alias("tokens"),
            S.former_names_udf("v").alias("former"),
            S.name_parts_udf("v").alias("parts"),
        )
        .orderBy("i")
        .collect()
    )


def _assert_agree(rows, values, on=None) -> None:
    assert len(rows) == len(values)
    for row, value in zip(rows, values, strict=True):
        expected = _pure(value, on)
        for name, columns in (
            ("phone", S.PHONE_COLUMNS),
            ("address", S.ADDRESS_COLUMNS),
            ("region", S.REGION_COLUMNS),
        ):
            got = tuple(row[name][c] for c in columns)
            want = tuple(getattr(expected[name], c) for c in columns)
            assert got == want, (name, value)
            # Every value standardizes: valid, or invalid with a reason.
            assert row[name]["valid"] or row[name]["reason"], (name, value)
        assert row["variant"] == expected["variant"], value
        assert list(row["tokens"]) == expected["tokens"], value
        assert list(row["former"]) == expected["former"], value
        assert tuple(row["parts"]) == expected["parts"], value


def test_udfs_agree_on_examples(spark):
    _assert_agree(_collect(spark, EXAMPLES), EXAMPLES)


def test_region_struct_on_a_day_and_a_date_column(spark):
    day = datetime.date(2010, 1, 1)
    cases = [
        (v, d)
        for v in ("500222", "500154", "500110", "綦江县")
        for d in (day, datetime.date(2017, 1, 1), None)
    ]
    df = spark.createDataFrame(list(enumerate(cases)), "i int, c struct<v: string, d: date>")
    rows = (
        df.select(
            "i",
            S.region_struct("c.v", day).alias("fixed"),
            S.region_struct("c.v", "c.d").alias("col"),
        )
        .orderBy("i")
        .collect()
    )
    for row, (v, d) in zip(rows, cases, strict=True):
        for name, on in (("fixed", day), ("col", d)):
            want = regions.standardize_region(v, on)
            assert tuple(row[name]) == tuple(getattr(want, c) for c in S.REGION_COLUMNS), (v, on)
    assert [r["col"]["status"] for r in rows[:3]] == ["current", "retired", "retired"]
    assert [r["col"]["reason"] for r in rows[3:6]] == ["not_yet_in_force", None, None]


def test_numeric_columns_standardize_like_python_numbers(spark):
    df = spark.createDataFrame(
        [(13812345678.0, 500222), (float("nan"), None), (None, -1), (1.5, 2368888888)],
        "x double, n bigint",
    )
    rows = df.select(S.phone_struct("x").alias("p"), S.region_struct("n").alias("r")).collect()
    # Spark hands a pandas UDF NaN for a null double, and a float for a bigint with nulls.
    assert [r["p"]["number"] for r in rows] == ["13812345678", None, None, None]
    assert [r["p"]["reason"] for r in rows] == [None, "missing", "missing", "not_a_number"]
    assert [r["r"]["code"] for r in rows] == ["500222", None, None, None]
    assert [r["r"]["reason"] for r in rows] == [None, "missing", "bad_chars", "bad_length"]


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.lists(spark_text, min_size=1, max_size=40), st.randoms(use_true_random=False))
def test_udfs_agree_with_the_pure_functions(spark, values, rnd: random.Random):
    # Some well-formed values among the noise, so that valid outputs are compared too.
    values = values + [noisy_mobile(rnd)[0], noisy_landline(rnd)[0], rnd.choice(EXAMPLES)]
    _assert_agree(_collect(spark, values), values)
