"""Distinct values typed in Arrow agree with the Spark expressions that define them.

Validation types the plain forms (ISO dates, plain numbers, ASCII ids, 18-digit IDs) in Arrow,
other dates and IDs with the standardizer's Python functions, and leaves the rest to Spark;
each test checks that the plain ones were typed without Spark and that every value, typed
whichever way, is what the Spark expression gives."""

from __future__ import annotations

import datetime as dt
import random

import pyarrow as pa
import pytest
from pyspark.sql import functions as F

from pipelines.intake import values as V
from pipelines.schemas import Column
from pipelines.standardize.ids import make_id
from pipelines.standardize.spark import id_valid_col

TEXTS = {
    "int": ["1", "01", "007", "1.0", "1.00", "-0", "-12", "123456789012345678", "1234567890123456789",
            "99999999999999999999", "1.5", "+1", "1e3", "0x1F", "1,000", "９", "4.", ".0", "1 2", "2\u2028"],
    "decimal": ["12.5", "12.50", "-0.01", "-0.00", "0", "1,234.5", "¥12", "￥-3", "12 345", "1\t2",
                "999999999999999999.99", "1.005", ".5", "5.", "1e3", "１２", "1,2", "1.2.3", "+3",
                "9999999999999999999", "1\u00a02", "5 元", "-", ""],
    "date": ["2025-06-30", "1900-01-01", "2100-12-31", "1899-12-31", "2101-01-01", "2024-02-29",
             "2025-02-29", "2025-02-30", "0000-01-01", "2025-13-01", "2025/6/30", "20250630", "45800",
             "2025年6月30日", "2025-6-3", "2025.06.30", "30/06/2025", "2025-06-30 12:00:00",
             "２０２５-０６-３０", "2025-06-30\u2028"],
    "month": ["2025-05", "2025-12", "2025-00", "2025-13", "202505", "2025年5月", "2025/5", "2025-5",
              "2025 - 05", "25-05", "２０２５-05", "2025-05-01", "2025-05\u2028"],
}
BLANKS = V.BLANKS


def column(kind: str) -> Column:
    return Column(f"c_{kind}", kind, False, (), "none", {})


def spark_values(spark, texts: list[str | None], expr) -> list:
    df = spark.createDataFrame([(t,) for t in texts], "raw string")
    text = F.btrim(F.col("raw"), F.lit(BLANKS))
    text = F.when(text == "", F.lit(None)).otherwise(text)
    return [r[0] for r in df.select(expr(text)).collect()]


@pytest.mark.parametrize("kind", sorted(TEXTS))
def test_typed_values_agree_with_spark(spark, kind):
    col = column(kind)
    texts = [*TEXTS[kind], None, "  ", f" {TEXTS[kind][0]}\u3000"]
    d = V.distinct(col, pa.array(texts, pa.string()), False, False)
    waiting = set(d.text.take(pa.array(d.pending.get("value", []), pa.int64())).to_pylist())
    assert TEXTS[kind][0] not in waiting  # the plain form is typed without Spark
    if kind == "month":
        assert "202505" not in waiting
    V.resolve([d], spark)
    got = d.value.take(pa.array(d.indices)).to_pylist()
    assert got == spark_values(spark, texts, lambda t: V.typed_value(col, t))


def test_codes_agree_with_spark(spark):
    col = Column("kind", "code", False, (), "none", {"活期": "demand", "定期": "time"})
    texts = ["活期", "定期", "demand", "time", "外币", " 活期 ", "Demand", None, ""]
    d = V.distinct(col, pa.array(texts, pa.string()), False, False)
    assert not len(d.pending.get("value", []))
    got = d.value.take(pa.array(d.indices)).to_pylist()
    assert got == spark_values(spark, texts, lambda t: V.typed_value(col, t))


UNSAFE = ["H1", "../x", "a/b", "a\\b", ".h", "a..b", "a.b", "H\x1b1", "H\x7f1", "H\u200b1", "a\u00adb",
          "渝北·H.1（二组）", "渝(2020)第00012号", "Ｈ１／２", "H" * 64, "H" * 65, "渝" * 65, "a\u2028b",
          "a\u2029b", "a\u0085b", "\ufeffH", "x\u0890y", "𠀀", "é"]


def test_unsafe_ids_agree_with_spark(spark):
    col = column("string")
    d = V.distinct(col, pa.array(UNSAFE, pa.string()), True, False)
    waiting = set(d.text.take(pa.array(d.pending["unsafe"], pa.int64())).to_pylist())
    assert not waiting & {"H1", "../x", "渝(2020)第00012号", "H" * 65}
    V.resolve([d], spark)
    got = d.unsafe.take(pa.array(d.indices)).to_pylist()
    assert got == spark_values(spark, UNSAFE, V.unsafe_id)


def test_plain_ids_agree_with_spark(spark):
    rnd = random.Random(7)
    ids = [make_id("500103", dt.date(1900, 1, 1) + dt.timedelta(days=rnd.randrange(47000)), i)
           for i in range(300)]
    ids += [x[:17] + rnd.choice("0123456789X") for x in ids[:100]]  # wrong check characters
    ids += ["".join(rnd.choice("0123456789") for _ in range(18)) for _ in range(300)]
    ids += [x[:-1] + "x" for x in ids if x.endswith("X")]
    edges = [("500103", dt.date(1900, 1, 1)), ("500103", dt.date(2030, 12, 31)),
             ("500103", dt.date(2000, 2, 29)), ("110101", dt.date(1960, 1, 1))]
    ids += [make_id(area, day, 1) for area, day in edges]
    wide = str.maketrans("0123456789Xx", "０１２３４５６７８９Ｘｘ")
    ids += [x.translate(wide) for x in ids[:40]] + [x[:9] + x[9:].translate(wide) for x in ids[40:60]]
    ids += ["500103189912311234", "500103203101011234", "500103190002291236", "990103196001011234",
            "5001031960010112", "50010319600101123", " 500103196001011234", "N/A", "", None]
    d = V.id_validity(pa.array(ids, pa.string()))
    assert not d.pending  # plain IDs in numpy, the others through standardize_id: no Spark
    got = d.id_valid.take(pa.array(d.indices)).to_pylist()
    df = spark.createDataFrame([(x,) for x in ids], "v string")
    expected = [r[0] for r in df.select(F.when(F.col("v").isNotNull(), id_valid_col("v"))).collect()]
    assert got == expected
    assert sum(bool(x) for x in got) > 300  # the made IDs, mostly valid
    plain = [x for x in ids if x and len(x) == 18 and x[:17].isdigit() and x[17] in "0123456789Xx"]
    assert len(plain) > 700
    assert V.plain_ids_valid(pa.array(plain)).tolist() == [got[ids.index(x)] for x in plain]
