"""CSV extracts: exact lines, bad rows, and every bad file an agency has sent, without a traceback."""

from __future__ import annotations

import csv
import io
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.errors import InputError
from pipelines.sources.extract import RAW_LIMIT
from pipelines.sources.files import read_extract


def cells(extract):
    return [column.to_pylist() for column in extract.columns]


def bad(extract):
    return [(b.line, b.reason) for b in extract.bad_rows]


# --- exact lines -------------------------------------------------------------------------


def test_lines_are_exact_with_blank_lines_bad_rows_crlf_and_a_quoted_comma(put):
    text = (
        "账号,姓名,余额\r\n"  # 1
        "A1,张三,10.00\r\n"  # 2
        "\r\n"  # 3 blank
        "A2,李四\r\n"  # 4 too few
        "A3,王五,1,2\r\n"  # 5 too many
        '"A4,分户",赵六,3.50\r\n'  # 6 quoted comma
        "\r\n"  # 7 blank
        ",,\r\n"  # 8 no value at all: blank
        "A5,钱七,7\r\n"  # 9
    )
    extract = read_extract(put("bank.csv", text, "gbk"))
    assert extract.header == ["账号", "姓名", "余额"]
    assert cells(extract) == [
        ["A1", "A4,分户", "A5"],
        ["张三", "赵六", "钱七"],
        ["10.00", "3.50", "7"],
    ]
    assert extract.lines.to_pylist() == [2, 6, 9]
    assert bad(extract) == [(4, "TOO_FEW_FIELDS"), (5, "TOO_MANY_FIELDS")]
    assert [b.raw for b in extract.bad_rows] == ["A2,李四", "A3,王五,1,2"]
    assert "3 blank line(s) skipped (not rows)" in extract.notes
    assert extract.format == "csv" and extract.lines.type == "int64"


def test_a_quoted_line_break_keeps_the_lines_after_it_exact(put):
    text = 'id,地址,x\n1,"重庆市\r\n渝中区\n解放碑",a\n2,b\n3,c,d\n\n4,"e",f'
    extract = read_extract(put("a.csv", text))
    assert cells(extract)[1] == ["重庆市\r\n渝中区\n解放碑", "c", "e"]
    assert extract.lines.to_pylist() == [2, 6, 8]
    assert bad(extract) == [(5, "TOO_FEW_FIELDS")]
    assert any("quoted line breaks" in n for n in extract.notes)


def test_lone_carriage_returns_count_as_line_breaks(put):
    extract = read_extract(put("mac.csv", b"a,b\r1,2\r\r3\r4,5"))
    assert extract.lines.to_pylist() == [2, 5]
    assert bad(extract) == [(4, "TOO_FEW_FIELDS")]


def test_leading_blank_lines_before_the_header_are_counted(put):
    extract = read_extract(put("a.csv", "\n  \na,b\n1,2\n"))
    assert extract.header == ["a", "b"] and extract.lines.to_pylist() == [4]


ALPHABET = st.sampled_from(list('ab1 ,"张三𠀀\n') + ["\r\n", "重庆", ""])


@st.composite
def messy_csv(draw):
    """Records of a well-quoted CSV (any cell text) plus blank lines and wrong-width rows."""
    width = draw(st.integers(1, 4))
    terminator = draw(st.sampled_from(["\n", "\r\n"]))
    kinds = draw(st.lists(st.sampled_from(["row", "row", "row", "blank", "bad"]), max_size=25))
    records, expected_rows, expected_bad = [], [], []
    line = 2
    for kind in kinds:
        if kind == "blank":
            written = ""
        else:
            n = width if kind == "row" else draw(st.integers(1, 6).filter(lambda k: k != width))
            row = [draw(st.lists(ALPHABET, max_size=4).map("".join)) for _ in range(n)]
            if kind == "bad":
                row[0] = "x" + row[0]  # a bad row is never mistaken for a blank line
            out = io.StringIO()
            csv.writer(out, lineterminator=terminator).writerow(row)
            written = out.getvalue()[: -len(terminator)]
            if kind == "bad":
                expected_bad.append((line, "TOO_MANY_FIELDS" if n > width else "TOO_FEW_FIELDS"))
            elif any(row):
                expected_rows.append(([c or None for c in row], line))
        records.append(written)
        line += 1 + written.count("\n")
    text = terminator.join([",".join(f"h{i}" for i in range(width)), *records])
    if draw(st.booleans()) or (records and records[-1] == ""):
        text += terminator
    return width, text, expected_rows, expected_bad


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(case=messy_csv(), encoding=st.sampled_from(["utf-8", "gb18030"]))
def test_every_row_and_bad_row_has_its_exact_physical_line(put, case, encoding):
    width, text, expected_rows, expected_bad = case
    extract = read_extract(put("p.csv", text, encoding))
    rows = [list(r) for r in zip(*cells(extract), strict=True)] if extract.num_rows else []
    assert rows == [r for r, _ in expected_rows]
    assert extract.lines.to_pylist() == [line for _, line in expected_rows]
    assert bad(extract) == expected_bad


def test_lines_stay_exact_across_parser_blocks(put, monkeypatch):
    from pipelines.sources import csvfile

    monkeypatch.setattr(csvfile, "BLOCK", 256)  # many blocks; the invalid rows fall in all of them
    lines, expected, expected_bad, line = ["id,名称,值"], [], [], 2
    for i in range(400):
        if i % 7 == 3:
            lines.append(f"{i},缺")
            expected_bad.append((line, "TOO_FEW_FIELDS"))
        elif i % 11 == 5:
            lines.append("")
        elif i % 13 == 6:
            lines.append(f'{i},"多\r\n行",x')
            expected.append(line)
            line += 1
        else:
            lines.append(f"{i},名{i},{i}")
            expected.append(line)
        line += 1
    extract = read_extract(put("blocks.csv", "\r\n".join(lines) + "\r\n"))
    assert extract.lines.to_pylist() == expected
    assert bad(extract) == expected_bad


# --- bad files ---------------------------------------------------------------------------


def test_empty_file(put):
    path = put("empty.csv", b"")
    with pytest.raises(InputError, match="empty") as err:
        read_extract(path)
    assert "empty.csv" in str(err.value)


def test_file_of_whitespace_and_bom_is_empty(put):
    with pytest.raises(InputError, match="empty"):
        read_extract(put("blank.csv", b"\xef\xbb\xbf \r\n\r\n"))


def test_header_only_gives_zero_rows(put):
    for text in ("身份证号,姓名\n", "身份证号,姓名", "身份证号,姓名\r\n\r\n"):
        extract = read_extract(put("h.csv", text, "gbk"))
        assert extract.header == ["身份证号", "姓名"]
        assert extract.num_rows == 0 and cells(extract) == [[], []] and extract.bad_rows == []


def test_duplicate_column_names_are_kept(put):
    extract = read_extract(put("d.csv", "身份证号,姓名,身份证号\n1,张三,2\n"))
    assert extract.header == ["身份证号", "姓名", "身份证号"]
    assert cells(extract) == [["1"], ["张三"], ["2"]]
    assert extract.to_table().column_names == ["身份证号", "姓名", "身份证号"]


def test_header_with_stray_spaces_full_width_and_a_second_bom_is_kept_as_written(put):
    text = "\ufeff\ufeff 身份证号 ,姓名\u3000,ＩＤ\n1,张三,x\n"
    extract = read_extract(put("s.csv", text))
    assert extract.encoding == "utf-8-bom"
    assert extract.header == ["\ufeff 身份证号 ", "姓名\u3000", "ＩＤ"]


def test_cells_are_kept_as_written_and_empty_cells_are_null(put):
    extract = read_extract(put("c.csv", 'a,b,c,d\n 007 ,"",,"x""y"\n'))
    assert cells(extract) == [[" 007 "], [None], [None], ['x"y']]


def test_truncated_last_line_is_a_bad_row(put):
    extract = read_extract(put("t.csv", "a,b,c\n1,2,3\n4,5"))
    assert extract.lines.to_pylist() == [2]
    assert bad(extract) == [(3, "TOO_FEW_FIELDS")]
    assert extract.bad_rows[0].raw == "4,5"


@pytest.mark.parametrize("tail", ['4,5,"6', '4,5,"6\n', '4,5,"6\r\n', '4,"5,6\n7,8,9\n'])
def test_unterminated_quote_at_end_of_file_is_a_bad_row(put, tail):
    extract = read_extract(put("q.csv", "a,b,c\n1,2,3\n" + tail))
    assert extract.lines.to_pylist() == [2]
    assert bad(extract) == [(3, "UNTERMINATED_QUOTE")]
    assert extract.bad_rows[0].raw.startswith("4,")


def test_a_closed_quote_at_end_of_file_is_fine(put):
    extract = read_extract(put("q.csv", 'a,b\n1,"x""y"'))
    assert cells(extract) == [["1"], ['x"y']] and extract.bad_rows == []


def test_rows_with_too_many_and_too_few_fields(put):
    extract = read_extract(put("w.csv", "a,b,c\n1\n1,2\n1,2,3\n1,2,3,4\n1,2,3,4,5\n"))
    assert extract.lines.to_pylist() == [4]
    assert bad(extract) == [
        (2, "TOO_FEW_FIELDS"),
        (3, "TOO_FEW_FIELDS"),
        (5, "TOO_MANY_FIELDS"),
        (6, "TOO_MANY_FIELDS"),
    ]


def test_a_ten_megabyte_field(put):
    big = "备" * (10 * 2**20 // 3 + 1) + "x" * 2**20  # well over 10 MB of UTF-8
    text = f'id,备注,n\n1,{big},a\n2,b\n3,"{big}",c,extra\n4,d,e\n'
    extract = read_extract(put("big.csv", text))
    assert len(big.encode()) > 10 * 2**20
    assert cells(extract)[1] == [big, "d"]
    assert extract.lines.to_pylist() == [2, 5]
    assert bad(extract) == [(3, "TOO_FEW_FIELDS"), (4, "TOO_MANY_FIELDS")]
    assert len(extract.bad_rows[1].raw) < RAW_LIMIT + 100  # a runaway raw text is cut, and says so
    assert "characters in all" in extract.bad_rows[1].raw


@pytest.mark.parametrize(
    "data", [random.Random(7).randbytes(4096), bytes(4096)], ids=["random", "zeros"]
)
def test_binary_garbage(put, data):
    with pytest.raises(InputError, match="not text in UTF-8, GBK or GB18030") as err:
        read_extract(put("garbage.csv", data))
    assert "garbage.csv" in str(err.value)


def test_high_bytes_that_no_chinese_encoding_decodes_on_most_lines(put):
    # one such line is quarantined (test_bad_bytes.py); most of the file is not text
    data = "身份证号,姓名\n1,张三\n".encode("gbk") + b"2,\x81\x30\xff\xff\n" * 3
    with pytest.raises(
        InputError, match=r"not text in UTF-8, GBK or GB18030 \(line 3, byte 23: 81 30 ff ff"
    ) as err:
        read_extract(put("bad.csv", data))
    assert "bad.csv" in str(err.value)


@pytest.mark.parametrize(
    "page",
    [
        "<!DOCTYPE html>\n<html><body><table><tr><td>身份证号</td></tr></table></body></html>",
        "  \r\n<HTML><head><meta charset=gbk></head>",
        "<meta charset=gbk>\n<table border=1><tr><td>姓名</td></tr></table>",
    ],
)
def test_an_html_page_saved_as_csv(put, page):
    path = put("portal_export.csv", page, "gbk")
    with pytest.raises(InputError) as err:
        read_extract(path)
    assert "portal_export.csv" in str(err.value) and "HTML page, not a CSV" in str(err.value)


def test_an_excel_workbook_named_csv(put):
    with pytest.raises(InputError, match=r"Excel \.xlsx workbook, not a CSV"):
        read_extract(put("x.csv", b"PK\x03\x04" + b"\x00" * 100))


def test_utf16_text(put):
    with pytest.raises(InputError, match="UTF-16"):
        read_extract(put("u.csv", "身份证号\t姓名\r\n1\t张三\r\n", "utf-16"))


def test_a_nul_byte_in_text_quarantines_only_its_row(put):
    extract = read_extract(put("n.csv", b"a,b,c\n1,2,3\n4,5\x00,6\n7,8,9\n"))
    assert extract.lines.to_pylist() == [2, 4]
    assert bad(extract) == [(3, "NUL_BYTE")]
    assert extract.bad_rows[0].raw == "4,5\\x00,6"


def test_tab_separated_text_and_excel_sep_line(put):
    tabbed = read_extract(put("t.txt", "身份证号\t姓名\n1\t张,三\n"))
    assert cells(tabbed) == [["1"], ["张,三"]] and any("delimiter" in n for n in tabbed.notes)
    sep = read_extract(put("s.csv", "sep=;\na;b\n1;2\n"))
    assert sep.header == ["a", "b"] and sep.lines.to_pylist() == [3]


def test_blank_looking_lines_are_not_rows(put):
    extract = read_extract(put("b.csv", "a,b,c\n1,2,3\n   \n,,\n\t\n4,5,6\n"))
    assert extract.lines.to_pylist() == [2, 6] and extract.bad_rows == []
    assert "3 blank line(s) skipped (not rows)" in extract.notes


def test_unsupported_suffix_and_missing_file(tmp_path, put):
    with pytest.raises(InputError, match="unsupported file type '.doc'"):
        read_extract(put("x.doc", "a"))
    with pytest.raises(InputError, match="no such file"):
        read_extract(tmp_path / "missing.csv")
    with pytest.raises(InputError, match=r"legacy Excel \.xls"):
        read_extract(put("old.xls", b"\xd0\xcf\x11\xe0"))
