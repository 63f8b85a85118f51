"""The Spark column functions agree value by value with the pure functions."""

import datetime
import random
import unicodedata
from decimal import Decimal

from pipelines.standardize import dates, ids, names
from pipelines.standardize import spark as S

FULL_WIDTH = str.maketrans("0123456789Xx-/.", "０１２３４５６７８９Ｘｘ－／．")
MATH_DIGITS = str.maketrans({str(i): chr(0x1D7CE + i) for i in range(10)})  # 𝟎..𝟗
REGIONS = ["110105", "500103", "500222", "500110", "510212", "512301", "650102", "820000"]
GARBAGE = [
    "",
    " ",
    "NULL",
    "null",
    "N/A",
    "\\N",
    "nan",
    "<NA>",
    "abc",
    "张三",
    "😀",
    "⑩",
    "Ⅹ",
    "ⅹ",
    "\x00",
    "0",
    "12345",
    "x" * 18,
    "1" * 17,
    "1" * 19,
    "１" * 15,
    "\u3000\ufeff",
    "--",
    "2024-01-01",
]


def messy_ids(n: int, seed: int = 11) -> list[str | None]:
    rnd = random.Random(seed)
    out: list[str | None] = [None, *GARBAGE]
    for _ in range(n):
        birth = datetime.date(1900, 1, 1) + datetime.timedelta(days=rnd.randrange(47000))
        good = ids.make_id(rnd.choice(REGIONS), birth, rnd.randrange(1000))
        kind = rnd.randrange(14)
        if kind == 0:
            value = good
        elif kind == 1:
            value = good.lower()
        elif kind == 2:  # separators anywhere
            chars = list(good)
            for _ in range(rnd.randrange(1, 5)):
                chars.insert(rnd.randrange(len(chars) + 1), rnd.choice(" -\t\u3000\xa0\u2014"))
            value = "".join(chars)
        elif kind == 3:
            value = good.translate(FULL_WIDTH)
        elif kind == 4:
            value = good.translate(MATH_DIGITS)
        elif kind == 5:  # one digit typed wrong
            pos = rnd.randrange(17)
            value = good[:pos] + str((int(good[pos]) + rnd.randrange(1, 10)) % 10) + good[pos + 1 :]
        elif kind == 6:  # neighbours swapped
            pos = rnd.randrange(17)
            value = good[:pos] + good[pos + 1] + good[pos] + good[pos + 2 :]
        elif kind == 7:  # 15-digit form, sometimes with an impossible date
            value = good[:6] + good[8:17]
            if rnd.random() < 0.3:
                value = value[:8] + "3" + value[9:]
        elif kind == 8:  # a digit dropped or doubled
            pos = rnd.randrange(18)
            value = good[:pos] + good[pos + 1 :] if rnd.random() < 0.5 else good[:pos] + good[pos:]
        elif kind == 9:  # right check character, wrong birth date or province
            first17 = good[:17]
            first17 = (
                (first17[:10] + "13" + first17[12:]) if rnd.random() < 0.5 else "99" + first17[2:]
            )
            value = first17 + ids.check_char(first17)
        elif kind == 10:  # birth year outside the bounds with a correct check character
            first17 = good[:6] + rnd.choice(["1899", "1850", "2031", "2099"]) + good[10:17]
            value = first17 + ids.check_char(first17)
        elif kind == 11:  # circled numbers and other compatibility characters
            value = good.replace("10", "⑩", 1).replace("1", "¹", 1)
        elif kind == 12:  # X in the wrong place or junk appended
            value = good[:5] + "X" + good[6:] if rnd.random() < 0.5 else good + rnd.choice("a张.")
        else:
            value = "".join(rnd.choice("0123456789Xx -张a⑩") for _ in range(rnd.randrange(25)))
        out.append(value)
    return out


def messy_dates(n: int, seed: int = 7) -> list[str | None]:
    rnd = random.Random(seed)
    out: list[str | None] = [None, "", "NULL", " nat ", "abc", "0", "80001", "1980-1/1", "800101"]
    for _ in range(n):
        y, m, d = rnd.randrange(1850, 2150), rnd.randrange(0, 14), rnd.randrange(0, 33)
        forms = [
            f"{y:04d}{m:02d}{d:02d}",
            f"{y}-{m}-{d}",
            f"{y:04d}-{m:02d}-{d:02d}",
            f"{y}/{m}/{d}",
            f"{y}.{m}.{d}",
            f"{y}年{m}月{d}日",
            f"{y}年{m:02d}月{d:02d}号",
            f"{y}-{m:02d}-{d:02d} 12:34:56",
            f"{y}-{m:02d}-{d:02d}T08:00:00+08:00",
            f"{y}/{m}/{d} 0:00",
            f"{y:04d}{m:02d}{d:02d}.0",
            str(rnd.randrange(0, 100000)),
            f"{rnd.randrange(0, 100000)}.{rnd.randrange(100)}",
            f" {y}-{m}-{d}\u3000",
            f"{y}–{m}–{d}",
            f"{y}-{m}-{d} 25:00",
            "".join(rnd.choice("0123456789-/年月日 .:T") for _ in range(rnd.randrange(14))),
        ]
        value = rnd.choice(forms)
        if rnd.random() < 0.15:
            value = value.translate(FULL_WIDTH)
        out.append(value)
    return out


def _id_tuple(result: ids.IdResult) -> tuple:
    return (
        result.id18,
        result.valid,
        result.reason,
        result.birth_date,
        result.sex,
        result.region_code,
        result.converted_from_15,
    )


def _row_tuple(row, prefix: str = "") -> tuple:
    return tuple(row[prefix + name] for name in S.ID_COLUMNS)


def _frame(spark, values: list, spark_type: str = "string"):
    rows = [(i, v) for i, v in enumerate(values)]
    return spark.createDataFrame(rows, f"i int, raw {spark_type}").orderBy("i")


def test_ids_agree_on_messy_strings(spark):
    values = messy_ids(400)
    df = _frame(spark, values)
    staged = S.with_standard_id(df, "raw", prefix="p_").collect()
    structs = df.select(S.id_struct("raw").alias("s")).select("s.*").collect()
    for row, struct_row, value in zip(staged, structs, values, strict=True):
        expected = _id_tuple(ids.standardize_id(value))
        assert _row_tuple(row, "p_") == expected, repr(value)
        assert _row_tuple(struct_row) == expected, repr(value)
    reasons = {ids.standardize_id(v).reason for v in values}
    assert reasons >= {
        None,
        "missing",
        "bad_length",
        "bad_chars",
        "bad_checksum",
        "bad_birth_date",
        "bad_area",
    }


def test_id_columns_dict(spark):
    values = ["11010519491231002x", "110105194912310021"]
    cols = S.id_columns("raw")
    assert tuple(cols) == S.ID_COLUMNS
    rows = _frame(spark, values).select(cols["id18"], cols["id_reason"]).collect()
    assert [tuple(r) for r in rows] == [("11010519491231002X", None), (None, "bad_checksum")]


TYPED_IDS = {
    "bigint": [110105491231002, 500103198001011, -110105491231002, 0, 12345, None, None, None],
    "double": [
        110105491231002.0,
        5.001011980010112e17,
        1.5,
        -1.0,
        float("nan"),
        float("inf"),
        12345.0,
        None,
    ],
    "decimal(20,2)": [
        Decimal("110105491231002.00"),
        Decimal("1.50"),
        Decimal("-3.00"),
        Decimal("110105194912310021"),
        None,
        None,
        None,
        None,
    ],
    "boolean": [True, False, None, None, None, None, None, None],
}


def test_ids_agree_on_typed_columns(spark):
    names_ = [f"c{k}" for k in range(len(TYPED_IDS))]
    schema = ", ".join(f"{n} {t}" for n, t in zip(names_, TYPED_IDS, strict=True))
    df = spark.createDataFrame(list(zip(*TYPED_IDS.values(), strict=True)), schema)
    for name in names_:
        df = S.with_standard_id(df, name, prefix=f"{name}_")
    for row in df.collect():
        for name in names_:
            assert _row_tuple(row, f"{name}_") == _id_tuple(ids.standardize_id(row[name])), row[
                name
            ]


def test_every_compatibility_character_folds_like_nfkc(spark):
    keys, _ = S.nfkc_fold_table()
    # Each character in an ID, in a date and on its own: Spark must see what NFKC sees.
    values = [v for k in keys for v in ("110105194" + k + "1231002X", "1980-1" + k + "-01", k)]
    rows = S.with_parsed_date(S.with_standard_id(_frame(spark, values), "raw"), "raw", "d", "dr")
    for row, value in zip(rows.collect(), values, strict=True):
        assert _row_tuple(row) == _id_tuple(ids.standardize_id(value)), repr(value)
        parsed = dates.parse_date(value)
        assert (row["d"], row["dr"]) == (parsed.value, parsed.reason), repr(value)


def test_fold_alphabet_is_closed_under_nfkc():
    # The Spark fold leaves alphabet characters alone, so NFKC must leave them in the alphabet.
    alphabet = S._FOLD_ALPHABET
    for ch in alphabet:
        assert set(unicodedata.normalize("NFKC", ch)) <= alphabet, repr(ch)
    keys, values = S.nfkc_fold_table()
    assert all(unicodedata.normalize("NFKC", k) == v for k, v in zip(keys, values, strict=True))


def test_dates_agree_on_messy_strings(spark):
    values = messy_dates(400)
    df = _frame(spark, values)
    staged = S.with_parsed_date(df, "raw", "d", "d_reason").collect()
    structs = (
        df.select(S.date_struct("raw").alias("s"), S.parse_date_col("raw").alias("v"))
        .select("s.*", "v")
        .collect()
    )
    for row, struct_row, value in zip(staged, structs, values, strict=True):
        expected = dates.parse_date(value)
        assert (row["d"], row["d_reason"]) == (expected.value, expected.reason), repr(value)
        assert tuple(struct_row) == (expected.value, expected.reason, expected.fmt, expected.value)
    reasons = {dates.parse_date(v).reason for v in values}
    assert reasons == {None, "missing", "unparseable", "impossible_date", "out_of_range"}


TYPED_DATES = {
    "int": [19800101, 29221, 2, 1, 0, -5, 19801301, 123456, None, None, None, None, None],
    "double": [
        19800101.0,
        29221.0,
        29221.75,
        0.5,
        0.00005,
        -0.0,
        -1.0,
        123456.5,
        19800101.5,
        1e17,
        float("nan"),
        float("inf"),
        None,
    ],
    "date": [datetime.date(1980, 1, 1), datetime.date(1800, 1, 1), None, *[None] * 10],
}


def test_dates_agree_on_typed_columns(spark):
    names_ = [f"c{k}" for k in range(len(TYPED_DATES))]
    schema = ", ".join(f"{n} {t}" for n, t in zip(names_, TYPED_DATES, strict=True))
    df = spark.createDataFrame(list(zip(*TYPED_DATES.values(), strict=True)), schema)
    for name in names_:
        df = S.with_parsed_date(df, name, f"{name}_d", f"{name}_r")
        df = df.withColumn(f"{name}_s", S.date_struct(name, df.schema[name].dataType))
    for row in df.collect():
        for name in names_:
            expected = dates.parse_date(row[name])
            assert (row[f"{name}_d"], row[f"{name}_r"]) == (expected.value, expected.reason)
            assert tuple(row[f"{name}_s"]) == (expected.value, expected.reason, expected.fmt)


def test_mask_id_col_agrees(spark):
    values = messy_ids(60, seed=3)
    rows = _frame(spark, values).select(S.mask_id_col("raw").alias("m")).collect()
    assert [r["m"] for r in rows] == [ids.mask_id(v) for v in values]


NAME_PAIRS = [
    ("张三", "张三"),
    ("張三豐", "张三丰"),
    ("张三", "ZHANG SAN"),
    ("张?丰", "张三丰"),
    ("阿卜杜拉•买买提", "阿卜杜拉·买买提"),
    ("单雄信", "Shan Xiongxin"),
    ("张三", "李四"),
    (None, "张三"),
    ("  ", None),
    ("吕布", "LV BU"),
]


def test_name_udfs_agree(spark):
    df = spark.createDataFrame(
        [(i, a, b) for i, (a, b) in enumerate(NAME_PAIRS)], "i int, a string, b string"
    )
    rows = (
        df.orderBy("i")
        .select(
            S.simplified_key_udf("a").alias("simplified"),
            S.pinyin_key_udf("a").alias("pinyin"),
            S.name_agreement_udf("a", "b").alias("agreement"),
        )
        .collect()
    )
    for row, (a, b) in zip(rows, NAME_PAIRS, strict=True):
        assert row["simplified"] == names.simplified_key(a)
        assert row["pinyin"] == names.pinyin_key(a)
        assert row["agreement"] == names.name_agreement(a, b)


def test_id_valid_col_agrees_with_standardize_id(spark):
    import datetime as dt
    import random

    from pipelines.standardize.ids import make_id, standardize_id
    from pipelines.standardize.spark import id_valid_col

    rng = random.Random(3)
    values = []
    for _ in range(400):
        good = make_id(rng.choice(["500103", "510212", "990101", "110101"]),
                       dt.date(1900, 1, 1) + dt.timedelta(days=rng.randrange(0, 50000)), rng.randrange(1000))
        pos = rng.randrange(17)
        typo = good[:pos] + str((int(good[pos]) + 1) % 10) + good[pos + 1:]
        swap = good[:pos] + good[pos + 1] + good[pos] + good[pos + 2:]
        values += [good, good.lower(), typo, swap, good[:6] + good[8:17], " " + good, good[:-1] + "Y",
                   good[:6] + "20991301" + good[14:]]
    values += [None, "", "abc", "５００１０３１９５００１０１１２３４"]
    df = spark.createDataFrame([(v,) for v in values], "v string")
    got = [r[0] for r in df.select(id_valid_col("v")).collect()]
    assert got == [standardize_id(v).valid for v in values]
