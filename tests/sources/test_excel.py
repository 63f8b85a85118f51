"""Excel extracts: values as the text a clerk sees, formulas never evaluated, Excel's row numbers."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from pipelines.errors import InputError
from pipelines.sources.files import read_extract


def workbook(path, rows, title="Sheet1", start_row=1):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    for offset, row in enumerate(rows):
        for col, value in enumerate(row, start=1):
            if value is not None:
                sheet.cell(row=start_row + offset, column=col, value=value)
    book.save(path)
    return book


def column(extract, name):
    return extract.columns[extract.header.index(name)].to_pylist()


def test_values_become_the_text_a_clerk_sees(tmp_path):
    path = tmp_path / "roster.xlsx"
    workbook(
        path,
        [
            [" 姓名 ", "身份证号\u3000", "出生日期", "登记时间", "人数", "余额", "比例", "在保"],
            [
                "张三",
                "500103195001011234",
                dt.date(1950, 1, 1),
                dt.datetime(2025, 3, 1, 9, 30),
                3,
                1234.0,
                0.1,
                True,
            ],
            [
                "李四",
                "50010319600202123X",
                dt.datetime(1960, 2, 2),
                dt.datetime(2025, 3, 2),
                1,
                1234.56,
                2.5,
                False,
            ],
        ],
    )
    extract = read_extract(path)
    assert extract.format == "xlsx" and extract.encoding == "utf-8"
    assert extract.header == [
        " 姓名 ",
        "身份证号\u3000",
        "出生日期",
        "登记时间",
        "人数",
        "余额",
        "比例",
        "在保",
    ]
    assert column(extract, " 姓名 ") == ["张三", "李四"]
    assert column(extract, "身份证号\u3000") == ["500103195001011234", "50010319600202123X"]
    assert column(extract, "出生日期") == ["1950-01-01", "1960-02-02"]
    assert column(extract, "登记时间") == ["2025-03-01 09:30:00", "2025-03-02"]
    assert column(extract, "人数") == ["3", "1"]
    assert column(extract, "余额") == ["1234", "1234.56"]
    assert column(extract, "比例") == ["0.1", "2.5"]
    assert column(extract, "在保") == ["true", "false"]
    assert extract.lines.to_pylist() == [2, 3]


def test_an_excel_serial_in_a_number_cell_stays_a_number(tmp_path):
    path = tmp_path / "cremation.xlsx"
    workbook(path, [["身份证号", "死亡日期"], ["1", 45000], ["2", 45000.5]])
    assert column(read_extract(path), "死亡日期") == ["45000", "45000.5"]


def test_a_formula_is_never_evaluated_and_quarantines_its_row(tmp_path):
    path = tmp_path / "bank.xlsx"
    book = workbook(path, [["账号", "余额"], ["A1", 100], ["A2", "=B2*1000"], ["A3", 5]])
    sheet = book.active
    sheet["B5"] = '=HYPERLINK("http://x","点我")'
    sheet["A5"] = "A5"
    sheet["A6"] = "=cmd|' /C calc'!A0"
    sheet["A6"].data_type = "s"  # text that a spreadsheet would run: formula injection
    sheet["B6"] = 1
    book.save(path)
    extract = read_extract(path)
    assert column(extract, "账号") == ["A1", "A3"]
    assert extract.lines.to_pylist() == [2, 4]
    assert [(b.line, b.reason) for b in extract.bad_rows] == [
        (3, "FORMULA_CELL"),
        (5, "FORMULA_CELL"),
        (6, "FORMULA_CELL"),
    ]
    assert extract.bad_rows[0].raw == "A2,=B2*1000"  # the formula text, as written
    assert extract.bad_rows[2].raw.startswith("=cmd|")


def test_header_is_the_first_row_with_a_value_and_lines_are_excel_rows(tmp_path):
    path = tmp_path / "late.xlsx"
    workbook(
        path,
        [["身份证号", "姓名", None], ["1", "甲"], [None], ["2", "乙", "多余"], ["3", None]],
        start_row=3,
    )
    extract = read_extract(path)
    assert extract.header == ["身份证号", "姓名"]
    assert column(extract, "姓名") == ["甲", None]
    assert extract.lines.to_pylist() == [4, 7]
    assert [(b.line, b.reason) for b in extract.bad_rows] == [(6, "TOO_MANY_FIELDS")]
    assert "1 empty row(s) skipped (not rows)" in extract.notes


def test_an_id_typed_as_a_number_keeps_its_float_text_and_a_note(tmp_path):
    path = tmp_path / "ids.xlsx"
    workbook(path, [["身份证号"], [500103195001011234.0]])
    extract = read_extract(path)
    (text,) = column(extract, "身份证号")
    assert text.startswith("5.00103195001011") and text.endswith("e+17")  # never "…1008" digits
    assert any("too long for Excel to hold exactly" in n for n in extract.notes)


def test_a_named_sheet_and_a_missing_one(tmp_path):
    path = tmp_path / "two.xlsx"
    book = workbook(path, [["封面"]], title="说明")
    data = book.create_sheet("数据")
    data.append(["身份证号"])
    data.append(["1"])
    book.save(path)
    assert read_extract(path).header == ["封面"]
    assert column(read_extract(path, sheet="数据"), "身份证号") == ["1"]
    with pytest.raises(InputError, match="no sheet named '名单'; sheets: 说明, 数据"):
        read_extract(path, sheet="名单")


def test_an_empty_sheet(tmp_path):
    path = tmp_path / "empty.xlsx"
    workbook(path, [])
    with pytest.raises(InputError, match="empty") as err:
        read_extract(path)
    assert "empty.xlsx" in str(err.value)


def test_files_that_are_not_workbooks(tmp_path):
    (tmp_path / "csv.xlsx").write_text("身份证号,姓名\n1,张三\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"not an Excel \.xlsx workbook"):
        read_extract(tmp_path / "csv.xlsx")
    (tmp_path / "page.xlsx").write_text("<html><table><tr><td>1</td></tr></table></html>")
    with pytest.raises(InputError, match="HTML page"):
        read_extract(tmp_path / "page.xlsx")
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04" + b"\x00" * 64)
    with pytest.raises(InputError, match="not a readable Excel"):
        read_extract(tmp_path / "broken.xlsx")
    (tmp_path / "zero.xlsx").write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        read_extract(tmp_path / "zero.xlsx")
