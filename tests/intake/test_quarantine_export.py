"""The quarantine export for data owners, from real extracts through a real intake: no cell a
spreadsheet would run as a formula, and every personal value masked by its column's PII class,
the parts of a composite key included, unless unmasking is asked for."""

from __future__ import annotations

import csv
import datetime as dt

import pytest

from pipelines.config import PROJECT_ROOT
from pipelines.exports import FORMULA_STARTS
from pipelines.intake import GateLimits, Gates, intake_source
from pipelines.intake import quarantine as q
from pipelines.schemas import load_schemas
from pipelines.sources.registry import ExtractRegistry
from pipelines.standardize.ids import make_id
from pipelines.standardize.masking import mask_middle

SCHEMAS = load_schemas(PROJECT_ROOT / "schemas")
MONTH_END = dt.date(2025, 7, 31)
HYPERLINK = '=HYPERLINK("http://x","q")'
IN_CSV = '"' + HYPERLINK.replace('"', '""') + '"'  # as a CSV file quotes it
CERTIFICATE = "J500103-2020-000001"


def pid(i: int) -> str:
    return make_id("500103", dt.date(1960, 1, 1) + dt.timedelta(days=i * 41), i % 999)


def bank_extract() -> str:
    lines = ["开户银行,账号,证件号码,户名,账户类型,余额,余额日期"]
    lines += [f"农商行,{6200 + i},{pid(i)},张三,活期,{100 + i}.00,2025-06-30" for i in range(60)]
    lines.append(f"农商行,7001,{pid(61)},李四,活期,{IN_CSV},2025-06-30")  # balance: BAD_DECIMAL
    lines.append(f"农商行,7002,{pid(62)},王五,{IN_CSV},5.00,2025-06-30")  # type: UNKNOWN_CODE
    return "\n".join(lines) + "\n"


def marriage_extract() -> str:
    lines = ["结婚证字号,男女方,身份证号,姓名,对方身份证号,对方姓名,登记类别,登记日期"]
    for c in range(1, 41):
        cert = f"J500103-2020-{c:06d}"
        husband, wife = pid(2 * c), pid(2 * c + 1)
        lines.append(f"{cert},男方,{husband},张{c},{wife},李{c},结婚登记,2020-05-01")
        lines.append(f"{cert},女方,{wife},李{c},{husband},张{c},结婚登记,2020-05-01")
    # the certificate's husband row again under another name: DUPLICATE_KEY on certificate_no|party
    lines.append(f"{CERTIFICATE},男方,{pid(2)},赵六,{pid(3)},李1,结婚登记,2020-05-01")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def run(spark, tmp_path_factory):
    """A data directory with the bank and marriage extracts taken in, and the run's manifest."""
    data = tmp_path_factory.mktemp("quarantine_export")
    registry = ExtractRegistry(data / "registry.sqlite")
    gates = Gates(data / "docs", "t")
    sources = {}
    for source, text in (("bank_deposits", bank_extract()), ("marriage", marriage_extract())):
        landing = data / "landing" / source / "2025-06-30" / f"{source}.csv"
        landing.parent.mkdir(parents=True)
        landing.write_text(text, encoding="utf-8")
        outcome = intake_source(spark, SCHEMAS[source], data, MONTH_END, gates, GateLimits(),
                                registry, "t")
        sources[source] = outcome.manifest()
    return data, {"run_id": "t", "sources": sources}


def exported(run, tmp_path, unmasked: bool) -> dict[str, list[dict[str, str]]]:
    data, manifest = run
    paths = q.export(data, manifest, SCHEMAS, tmp_path / ("unmasked" if unmasked else "masked"),
                     unmasked=unmasked)
    out = {}
    for path in paths:
        assert path.read_bytes().startswith(b"\xef\xbb\xbf")
        with path.open(encoding="utf-8-sig", newline="") as fh:
            out[path.stem.removeprefix("quarantine_t_")] = list(csv.DictReader(fh))
    return out


def by_reason(rows):
    return {r["reason"]: r for r in rows}


def no_formula_cell(rows):
    return all(not v.startswith(FORMULA_STARTS) for r in rows for v in r.values())


def test_the_intake_quarantined_what_the_export_shows(run):
    _, manifest = run
    bank, marriage = manifest["sources"]["bank_deposits"], manifest["sources"]["marriage"]
    assert bank["quarantine_by_reason"] == {"BAD_DECIMAL": 1, "UNKNOWN_CODE": 1} and bank["balanced"]
    assert marriage["quarantine_by_reason"] == {"DUPLICATE_KEY": 1} and marriage["balanced"]


@pytest.mark.parametrize("unmasked", [False, True], ids=["masked", "unmasked"])
def test_a_formula_is_written_as_text(run, tmp_path, unmasked):
    files = exported(run, tmp_path, unmasked)
    bank = by_reason(files["bank_deposits"])
    # account_type holds no personal data: shown in both exports, as text
    assert bank["UNKNOWN_CODE"]["raw_value"] == "'" + HYPERLINK
    # balance is personal (pii: amount): masked by default, still starting with '=', so quoted
    shown = HYPERLINK if unmasked else mask_middle(HYPERLINK)
    assert bank["BAD_DECIMAL"]["raw_value"] == "'" + shown
    assert all(no_formula_cell(rows) for rows in files.values())


def test_a_marriage_key_is_masked_part_by_part_unless_unmasked(run, tmp_path):
    masked = by_reason(exported(run, tmp_path, unmasked=False)["marriage"])["DUPLICATE_KEY"]
    assert masked["column"] == "certificate_no|party"
    # certificate_no is pii: quasi (a certificate identifies a marriage); party is not personal
    assert masked["raw_value"] == "J500" + "*" * 11 + "0001|男方"
    unmasked = by_reason(exported(run, tmp_path, unmasked=True)["marriage"])["DUPLICATE_KEY"]
    assert unmasked["raw_value"] == f"{CERTIFICATE}|男方"


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("id_number", "500103195001011234", "500103********1234"),  # area code and last four
        ("name", "张三丰", "张**"),  # the surname only
        ("certificate_no|party", "J500103-2020-000001|女方", "J500***********0001|女方"),
        ("certificate_no|party", "J500|103|女方", "J500***3|女方"),  # parts unclear: masked whole
        ("registration_date", "2020-05-01", "2020-05-01"),  # not personal
        (None, "J500103-2020-000001,男方,500103195001011234,张三", "J500" + "*" * 40),  # a whole line
        ("not_declared", "500103195001011234", "5001**********1234"),
    ],
    ids=["id", "name", "key", "key-holding-a-bar", "not-personal", "whole-line", "unknown-column"],
)
def test_masked_raw_value_follows_the_pii_class(column, value, expected):
    assert q.masked_raw_value(value, column, SCHEMAS["marriage"]) == expected
