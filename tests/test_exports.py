"""Spreadsheet exports: text a spreadsheet would run as a formula is written as text."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal

import pytest

from pipelines.exports import safe_cell, write_csv

HYPERLINK = '=HYPERLINK("http://x","q")'

CASES = [
    {"description": "a formula", "inputs": HYPERLINK, "expected": "'" + HYPERLINK},
    {"description": "plus", "inputs": "+1+cmd|' /C calc'!A0", "expected": "'+1+cmd|' /C calc'!A0"},
    {"description": "text that looks negative", "inputs": "-2+3", "expected": "'-2+3"},
    {"description": "at sign", "inputs": "@SUM(A1:A2)", "expected": "'@SUM(A1:A2)"},
    {"description": "leading tab", "inputs": "\t=1+1", "expected": "'\t=1+1"},
    {"description": "leading carriage return", "inputs": "\r=1+1", "expected": "'\r=1+1"},
    {"description": "a formula sign inside the text", "inputs": "张三=李四", "expected": "张三=李四"},
    {"description": "an ID number", "inputs": "500103195001011234", "expected": "500103195001011234"},
    {"description": "empty text", "inputs": "", "expected": ""},
    {"description": "a negative number", "inputs": -5, "expected": -5},
    {"description": "a negative decimal", "inputs": Decimal("-12.50"), "expected": Decimal("-12.50")},
    {"description": "a date", "inputs": dt.date(2025, 6, 30), "expected": dt.date(2025, 6, 30)},
    {"description": "no value", "inputs": None, "expected": None},
]


@pytest.mark.parametrize("case", CASES, ids=[c["description"] for c in CASES])
def test_safe_cell(case):
    assert safe_cell(case["inputs"]) == case["expected"]


def test_csv_has_bom_and_every_hostile_cell_quoted(tmp_path):
    path = write_csv(tmp_path / "out.csv", ["name", "amount"],
                     [[HYPERLINK, -5], ["-3", Decimal("-1.50")], [None, 0]])
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows == [["name", "amount"], ["'" + HYPERLINK, "-5"], ["'-3", "-1.50"], ["", "0"]]
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]  # no temporary file left
