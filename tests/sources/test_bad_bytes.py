"""Lines of bytes the file's encoding cannot decode: each quarantines its own row (its bytes in
hex, its physical line), the rest of the extract is read; only a file that no encoding fits
is refused, naming the file, the first bad line and its byte offset."""

from __future__ import annotations

import codecs
import datetime as dt

import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.config import PROJECT_ROOT
from pipelines.errors import InputError
from pipelines.intake import GateLimits, Gates, intake_source
from pipelines.schemas import load_schemas
from pipelines.sources.files import read_extract
from pipelines.sources.registry import ExtractRegistry
from pipelines.standardize.ids import make_id

BOM = b"\xef\xbb\xbf"
GARBAGE = b"\xff\xfe\x00"  # the line of issue 13: invalid in UTF-8, GBK and GB18030
HEADER = "身份证号,姓名,地址"
ROWS = [
    "500103195001011234,张三,重庆市渝中区解放碑",
    "500103195001021234,李四,重庆市江北区观音桥",
    "500103195001031234,王五,重庆市沙坪坝区",
    "500103195001041234,赵六,重庆市九龙坡区",
]


def csv_bytes(lines: list[str | bytes], encoding: str, end: bytes = b"\n") -> bytes:
    """The lines, text encoded and bytes as they are, each ended by `end`."""
    return b"".join((x if isinstance(x, bytes) else x.encode(encoding)) + end for x in lines)


def bad(extract):
    return [(b.line, b.reason, b.raw) for b in extract.bad_rows]


def names(extract):
    return extract.columns[1].to_pylist()


def assert_every_line_is_accounted_for(extract, data_lines: int):
    assert extract.num_rows + len(extract.bad_rows) == data_lines


CASES = [
    {
        "description": "UTF-8 with a BOM, garbage on the last line (issue 13)",
        "data": BOM + csv_bytes([HEADER, *ROWS, b"9," + GARBAGE], "utf-8"),
        "encoding": "utf-8-bom",
        "lines": [2, 3, 4, 5],
        "bad": [(6, "UNDECODABLE_BYTES", (b"9," + GARBAGE).hex())],
    },
    {
        "description": "UTF-8, garbage in the middle, CRLF: the lines after it stay exact",
        "data": csv_bytes([HEADER, ROWS[0], b"\xff\xfe,x,y", *ROWS[1:]], "utf-8", b"\r\n"),
        "encoding": "utf-8",
        "lines": [2, 4, 5, 6],
        "bad": [(3, "UNDECODABLE_BYTES", b"\xff\xfe,x,y".hex())],
    },
    {
        "description": "UTF-8 with one line in GBK (a record pasted from another system)",
        "data": csv_bytes([HEADER, *ROWS[:2], ROWS[2].encode("gbk"), ROWS[3]], "utf-8"),
        "encoding": "utf-8",
        "lines": [2, 3, 5],
        "bad": [(4, "UNDECODABLE_BYTES", ROWS[2].encode("gbk").hex())],
    },
    {
        "description": "GBK with a line of bytes no encoding decodes",
        "data": csv_bytes([HEADER, ROWS[0], b"2,\x81\x30\xff\xff", *ROWS[1:]], "gbk", b"\r\n"),
        "encoding": "gbk",
        "lines": [2, 4, 5, 6],
        "bad": [(3, "UNDECODABLE_BYTES", b"2,\x81\x30\xff\xff".hex())],
    },
    {
        "description": "GBK, garbage first after the header and last, no final line break",
        "data": csv_bytes([HEADER, b"\x80\x80", *ROWS], "gbk")[:-1] + b"\n\xfe\xff\xfe",
        "encoding": "gbk",
        "lines": [3, 4, 5, 6],
        "bad": [
            (2, "UNDECODABLE_BYTES", b"\x80\x80".hex()),
            (7, "UNDECODABLE_BYTES", b"\xfe\xff\xfe".hex()),
        ],
    },
    {
        "description": "GB18030 (a character GBK lacks) with a bad line",
        "data": csv_bytes([HEADER, ROWS[0].replace("张三", "李䶮"), GARBAGE, ROWS[1]], "gb18030"),
        "encoding": "gb18030",
        "lines": [2, 4],
        "bad": [(3, "UNDECODABLE_BYTES", GARBAGE.hex())],
    },
    {
        "description": "a line of garbage that also has the wrong number of cells, and a NUL",
        "data": csv_bytes([HEADER, ROWS[0], b"1,\xff\x00,3,4,5", ROWS[1]], "utf-8"),
        "encoding": "utf-8",
        "lines": [2, 4],
        "bad": [(3, "UNDECODABLE_BYTES", b"1,\xff\x00,3,4,5".hex())],
    },
    {
        "description": "lone carriage returns end lines too",
        "data": csv_bytes([HEADER, ROWS[0], b"\xff", ROWS[1]], "utf-8", b"\r"),
        "encoding": "utf-8",
        "lines": [2, 4],
        "bad": [(3, "UNDECODABLE_BYTES", "ff")],
    },
]


@pytest.mark.parametrize("case", CASES, ids=[c["description"] for c in CASES])
def test_an_undecodable_line_quarantines_its_own_row(put, case):
    extract = read_extract(put("e.csv", case["data"]))
    assert extract.encoding == case["encoding"]
    assert extract.lines.to_pylist() == case["lines"]
    assert bad(extract) == case["bad"]
    assert_every_line_is_accounted_for(extract, len(case["lines"]) + len(case["bad"]))
    assert all("\ufffd" not in (v or "") for column in extract.columns for v in column.to_pylist())
    assert any("cannot be decoded as" in note for note in extract.notes)


def test_the_clean_rows_read_as_they_would_without_the_bad_line(put):
    clean = read_extract(put("clean.csv", csv_bytes([HEADER, *ROWS], "gbk")))
    dirty_lines = [HEADER, *ROWS[:2], GARBAGE, *ROWS[2:]]
    dirty = read_extract(put("dirty.csv", csv_bytes(dirty_lines, "gbk")))
    assert dirty.encoding == clean.encoding == "gbk"
    assert [c.to_pylist() for c in dirty.columns] == [c.to_pylist() for c in clean.columns]
    assert names(dirty) == ["张三", "李四", "王五", "赵六"]


def test_a_bad_line_inside_a_quoted_value_quarantines_the_whole_record(put):
    data = csv_bytes(
        [HEADER, ROWS[0], '1,钱七,"重庆市', b"\xff\xfe\xfd", '解放碑"', ROWS[1]], "utf-8", b"\r\n"
    )
    extract = read_extract(put("q.csv", data))
    assert extract.lines.to_pylist() == [2, 6]
    record = '1,钱七,"重庆市\r\n'.encode() + b"\xff\xfe\xfd\r\n" + '解放碑"'.encode()
    assert bad(extract) == [(3, "UNDECODABLE_BYTES", record.hex())]


def test_a_bad_line_that_opens_a_quote_quarantines_what_the_quote_swallows(put):
    # The quote on the bad line is the file's own: the parser reads to its closing quote, as it
    # would if the line had decoded, and that one record is quarantined.
    data = csv_bytes([HEADER, ROWS[0], b'2,\xff,"x', 'y",z', ROWS[1]], "utf-8")
    extract = read_extract(put("q.csv", data))
    assert extract.lines.to_pylist() == [2, 5]
    assert bad(extract) == [(3, "UNDECODABLE_BYTES", (b'2,\xff,"x\ny",z').hex())]


def test_a_declared_encoding_breaks_a_tie(put):
    # ASCII throughout but for one line that no encoding decodes: UTF-8 unless GBK is declared
    data = csv_bytes(["id,name", "1,a", "2,\xff".encode("latin-1"), "3,c"], "ascii")
    assert read_extract(put("a.csv", data)).encoding == "utf-8"
    declared = read_extract(put("b.csv", data), "gbk")
    assert declared.encoding == "gbk" and bad(declared) == [(3, "UNDECODABLE_BYTES", "322cff")]


def test_a_long_bad_line_is_cut_in_hex(put):
    long_line = b"1,\xff," + "重庆".encode() * 2000
    extract = read_extract(put("long.csv", csv_bytes([HEADER, long_line, ROWS[0]], "utf-8")))
    (row,) = extract.bad_rows
    assert row.raw.startswith(long_line[:100].hex()) and "characters in all" in row.raw


# --- refused: no encoding fits ----------------------------------------------------------------


def test_a_file_no_encoding_fits_is_refused_naming_the_first_bad_line(put):
    data = csv_bytes(["id,name", "1,a", b"2,\xff\xfe", b"3,\x80", b"4,\xfe\xff"], "ascii")
    with pytest.raises(InputError) as err:
        read_extract(put("noenc.csv", data))
    message = str(err.value)
    assert "noenc.csv: not text in UTF-8, GBK or GB18030" in message
    assert "(line 3, byte 14: ff fe cannot be decoded;" in message
    assert "more than half of its 5 lines fail" in message


def test_an_undecodable_header_is_refused(put):
    data = BOM + csv_bytes([b"\xff\xfeid,name", *ROWS], "utf-8")
    path = put("head.csv", data)
    with pytest.raises(InputError) as err:
        read_extract(path)
    assert str(err.value) == (
        f"{path}: the header row (line 1) cannot be decoded as utf-8-bom (byte 3: ff fe 69 64); "
        "expected column names in UTF-8, GBK or GB18030"
    )


# --- JSON Lines -------------------------------------------------------------------------------


def test_json_lines_quarantine_an_undecodable_line(put):
    data = csv_bytes(
        ['{"身份证号": "1", "姓名": "张三"}', b'{"\xff": 1}', '{"身份证号": "2"}'], "gbk", b"\r\n"
    )
    extract = read_extract(put("p.jsonl", data))
    assert extract.encoding == "gbk" and extract.lines.to_pylist() == [1, 3]
    assert bad(extract) == [(2, "UNDECODABLE_BYTES", b'{"\xff": 1}'.hex())]


# --- every line accounted for, whatever the mix ------------------------------------------------

BAD_LINES = [GARBAGE, b"\x80", b"1,\xff,\x80", b"2,\xfe\xff\xfe", b"\x81\x30\xff\xff,a,b,c"]
CELL = st.sampled_from(["张三", "重庆市渝中区", "李䶮", "a b", "1", "", "王"])


@st.composite
def mixed_file(draw):
    """A CSV of good rows and (fewer) undecodable lines, and what each line must become."""
    encoding = draw(st.sampled_from(["utf-8", "utf-8-bom", "gbk", "gb18030"]))
    end = draw(st.sampled_from([b"\n", b"\r\n"]))
    text_encoding = encoding.removesuffix("-bom")
    n = draw(st.integers(2, 30))
    bad_at = set(draw(st.lists(st.integers(0, n - 1), max_size=(n - 1) // 2)))
    lines, rows, expected_bad = [HEADER.encode(text_encoding)], [], []
    for i in range(n):
        line = i + 2
        if i in bad_at:
            raw = draw(st.sampled_from(BAD_LINES))
            lines.append(raw)
            expected_bad.append((line, "UNDECODABLE_BYTES", raw.hex()))
        else:
            cells = ["重庆" + str(i), draw(CELL), draw(CELL)]
            if encoding == "gbk":  # a character GBK lacks would make it GB18030
                cells = [c.replace("䶮", "岩") for c in cells]
            lines.append(",".join(cells).encode(text_encoding))
            rows.append((cells, line))
    data = end.join(lines) + end * draw(st.integers(0, 1))
    if encoding == "gb18030" and not any("䶮" in cells[1] + cells[2] for cells, _ in rows):
        encoding = "gbk"  # nothing outside GBK: read as GBK
    return (BOM if encoding == "utf-8-bom" else b"") + data, encoding, rows, expected_bad


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(case=mixed_file())
def test_every_line_is_a_row_or_a_quarantined_line(put, case):
    data, encoding, rows, expected_bad = case
    extract = read_extract(put("m.csv", data))
    got = list(zip(*[c.to_pylist() for c in extract.columns], strict=True))
    assert [[c or "" for c in r] for r in got] == [cells for cells, _ in rows]
    assert extract.lines.to_pylist() == [line for _, line in rows]
    assert bad(extract) == expected_bad
    assert extract.encoding == encoding


def test_gb18030_reads_every_gbk_pair_to_the_same_character():
    # The reader switches from GBK to GB18030 mid-file and keeps what it read: this must hold.
    for lead in range(0x81, 0xFF):
        for trail in range(0x40, 0xFF):
            pair = bytes((lead, trail))
            try:
                as_gbk = pair.decode("gbk")
            except UnicodeDecodeError:
                continue
            assert pair.decode("gb18030") == as_gbk, pair.hex()


def test_no_character_spans_a_line_break_even_when_it_fails():
    # The reader decodes line-aligned chunks and finds each bad line from the decoder's error:
    # no decoder may swallow a line break into a character or an error.
    seen = []
    for encoding in ("utf-8", "gbk", "gb18030"):
        for head in (b"\x81", b"\x81\x30", b"\x81\x30\x81", b"\xe4", b"\xe4\xb8", b"\xff"):
            for brk in (b"\n", b"\r"):
                text = codecs.decode(b"a" + head + brk + b"b", encoding, "replace")
                seen.append(text.endswith(brk.decode() + "b"))
    assert all(seen)


# --- through ingest and validate: the quarantine and the manifest's counts ---------------------


@pytest.mark.slow
def test_through_intake_the_line_reaches_the_quarantine_and_is_counted(spark, tmp_path):
    born = [dt.date(1950, 1, 1) + dt.timedelta(days=37 * i) for i in range(40)]
    people = [make_id("500103", day, i) for i, day in enumerate(born)]
    lines = [
        f"农商行,{6200 + i},{pid},张三,活期,{100 + i}.00,2025-06-30" for i, pid in enumerate(people)
    ]
    garbage = b"\xc5\xa9\xc9\xcc\xd0\xd0,6299,\xff\xfe\x00"  # GBK 农商行, then bytes nothing decodes
    header = "开户银行,账号,证件号码,户名,账户类型,余额,余额日期"
    data = csv_bytes([header, *lines[:10], garbage, *lines[10:]], "gbk", b"\r\n")
    landing = tmp_path / "landing" / "bank_deposits" / "2025-06-30"
    landing.mkdir(parents=True)
    (landing / "bank.csv").write_bytes(data)

    outcome = intake_source(
        spark, load_schemas(PROJECT_ROOT / "schemas")["bank_deposits"], tmp_path,
        dt.date(2025, 7, 31), Gates(tmp_path / "docs", "t"), GateLimits(),
        ExtractRegistry(tmp_path / "registry.sqlite"), "t",
    )
    manifest = outcome.manifest()
    counts = manifest["rows_in"], manifest["rows_clean"], manifest["rows_quarantined"]
    assert counts == (41, 40, 1)
    assert manifest["balanced"] and manifest["quarantine_by_reason"] == {"UNDECODABLE_BYTES": 1}
    (extract,) = outcome.extracts
    assert extract.encoding == "gbk" and extract.rows_unreadable == 1
    quarantine = tmp_path / "quarantine" / "bank_deposits" / "2025-06-30"
    (row,) = pq.ParquetDataset(quarantine).read().to_pylist()
    assert (row["row"], row["reason"], row["column"]) == (12, "UNDECODABLE_BYTES", None)
    assert row["raw_value"] == garbage.hex() and row["file"].endswith("bank.csv")
