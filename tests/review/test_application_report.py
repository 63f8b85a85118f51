"""The 核对报告 of new applications, built from a real run and opened in a real browser.

The run is a monthly run of a generated roster; three of its households are then written into the
run's `applicants.parquet` as the day's applications (as the daily job does for the applying
households), with a fourth application, taken from the generated applications extract, whose
household the run never checked.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from pipelines.audit import audit_log
from pipelines.config import PROJECT_ROOT
from pipelines.errors import InputError
from pipelines.review.application_report import build_report, write_reports
from pipelines.review.case_file import balance_sources
from pipelines.schemas import load_schemas
from pipelines.standardize.masking import key_pii, mask_key
from tests.browser import assert_self_contained_and_printable

pytestmark = pytest.mark.slow

MONTH = "2025-07"
CHROMIUM = Path("/usr/bin/chromium")
# a resident ID number: region, birth date, sequence, check digit (not a business credit code)
ID_NUMBER = re.compile(
    r"(?<![0-9A-Za-z])[1-6]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9A-Za-z])"
)
APPLICANTS = pa.schema([
    ("application_no", pa.string()), ("application_date", pa.date32()), ("household_id", pa.string()),
    ("region_code", pa.string()), ("urban_rural", pa.string()), ("member_no", pa.int64()),
    ("id_number", pa.string()), ("name", pa.string()), ("relation", pa.string()),
    ("declared_income", pa.decimal128(20, 2)), ("status", pa.string()),
])
FLAGGED, CLEAN, FLAGGED_2 = "5001012025070101", "5001012025070102", "5001012025070103"


def _table(path: Path, household_id: str | None = None) -> list[dict]:
    dataset = ds.dataset(path, format="parquet")
    return dataset.to_table(filter=None if household_id is None else ds.field("household_id") == household_id).to_pylist()


@pytest.fixture(scope="module")
def schemas():
    return load_schemas(PROJECT_ROOT / "schemas")


@pytest.fixture(scope="module")
def finished(month_run, schemas):
    """A finished run with four applications: flagged, not flagged, flagged, not in the run."""
    data, result = month_run
    roster = _table(data / "clean" / "roster")
    members = {h: sorted((r for r in roster if r["household_id"] == h), key=lambda r: r["member_no"])
               for h in {r["household_id"] for r in roster}}
    flags = result.flags.to_pylist()
    flagged = sorted({f["household_id"] for f in flags})
    balances = balance_sources(schemas)
    # the first flagged household whose evidence holds balances (masked as bands), then the
    # flagged and the unflagged household with the most members
    first = next(f["household_id"] for f in flags
                 if any(r["source"] in balances for r in json.loads(f["evidence"])["records"]))
    second = max((h for h in flagged if h != first), key=lambda h: (len(members.get(h, [])), h))
    decided = {r["household_id"] for r in _table(result.run_dir / "decisions")}
    clean = max(sorted(decided - set(flagged)), key=lambda h: len(members.get(h, [])))
    rows = []
    for no, household in ((FLAGGED, first), (CLEAN, clean), (FLAGGED_2, second)):
        rows += [{"application_no": no, "application_date": dt.date(2025, 7, 9), "status": "received",
                  **{k: m[k] for k in APPLICANTS.names if k in m and k != "status"}} for m in members[household]]
    # an application of the generated extract: its household is not on the roster, so not in the run
    extract = sorted(_table(data / "clean" / "applications"), key=lambda r: (r["application_no"], r["member_no"]))
    missing = extract[0]["application_no"]
    rows += [{k: r[k] for k in APPLICANTS.names} for r in extract if r["application_no"] == missing]
    pq.write_table(pa.Table.from_pylist(rows, schema=APPLICANTS), result.run_dir / "applicants.parquet")
    return data, result, {FLAGGED: first, CLEAN: clean, FLAGGED_2: second}, missing, rows


def test_every_member_is_checked_against_every_registry(finished, schemas):
    data, result, apps, _, rows = finished
    registries = {s: v["as_of"] for s, v in result.manifest["sources"].items() if s not in ("roster", "applications")}
    pii = {n: key_pii(s) for n, s in schemas.items()}  # each key part masked by its column's class
    states = set()
    for no, household in apps.items():
        report = build_report(data, "t", no)
        assert report["in_run"] is True and report["application"]["household_id"] == household
        assert {r["source"]: r["as_of"] for r in report["registries"]} == registries
        keys = [f"{household}-{r['member_no']:02d}" for r in rows if r["application_no"] == no]
        assert [m["person_key"] for m in report["members"]] == keys
        cells = {(c["person_key"], c["source"]): c for c in report["matrix"]}
        assert set(cells) == {(k, s) for k in keys for s in registries}  # every member × every registry
        links = [x for x in _table(result.run_dir / "links", household) if x["source"] in registries]
        linked = {(x["person_key"], x["source"]) for x in links}
        for (key, source), cell in cells.items():
            states.add(cell["state"])
            if (key, source) in linked:
                assert cell["state"] in ("found", "possible") and cell["records"]
            else:
                assert cell["state"] == "no_record" and cell["records"] == []
    assert {"found", "no_record"} <= states  # both kinds of cell were seen

    # one member against links/ and contributions/: each linked record, how linked, what it gave
    household = apps[FLAGGED]
    links = [x for x in _table(result.run_dir / "links", household) if x["source"] in registries]
    member = max(sorted({x["person_key"] for x in links}), key=lambda k: len({x["source"] for x in links if x["person_key"] == k}))
    report = build_report(data, "t", FLAGGED)
    contributions = _table(result.run_dir / "contributions", household)
    for source in registries:
        cell = next(c for c in report["matrix"] if c["person_key"] == member and c["source"] == source)
        expected = sorted((x for x in links if x["person_key"] == member and x["source"] == source),
                          key=lambda x: x["source_record_key"])
        assert [r["record_key"] for r in cell["records"]] == [mask_key(x["source_record_key"], pii[source]) for x in expected]
        assert [(r["method"], r["score"]) for r in cell["records"]] == [(x["method"], x["score"]) for x in expected]
        given = [c for c in contributions if c["person_key"] == member and c["source"] == source]
        assert sum(len(r["contributed"]) for r in cell["records"]) == len(given)
        for fact, total in cell["totals"].items():
            exact = sum(c["amount"] for c in given if c["fact"] == fact)
            if source in balance_sources(schemas):
                assert total["masked"] is True and total["band"]["zh"]
            else:
                assert Decimal(total) == exact


def test_rule_outcomes_and_flags_match_the_run(finished):
    data, result, apps, _, _ = finished
    flags = result.flags.to_pylist()
    for no, household in apps.items():
        report = build_report(data, "t", no)
        decision = _table(result.run_dir / "decisions", household)[0]
        expected = decision["rule_results"]
        assert len(report["rules"]) == len(expected) == len(json.loads(
            (result.run_dir / "policy.json").read_text(encoding="utf-8"))["rules"])
        for got, want in zip(report["rules"], expected, strict=True):
            assert (got["rule_id"], got["fired"], got["borderline"]) == (want["rule_id"], want["fired"], want["borderline"])
            for figure in ("value", "threshold"):
                assert (got[figure] is None) == (want[figure] is None)
                assert got[figure] is None or Decimal(got[figure]) == want[figure]
            assert got["title_zh"]
        assert report["household"]["status"] == decision["status"] and report["household"]["status_zh"]
        mine = [f for f in flags if f["household_id"] == household]
        assert [(f["flag_id"], f["flag_code"], f["explanation_zh"]) for f in report["flags"]] == [
            (f["flag_id"], f["flag_code"], f["explanation_zh"]) for f in mine]
        fired = {r["flag_code"] for r in report["rules"] if r["fired"] and r["flag_code"]}
        assert {f["flag_code"] for f in mine} <= fired
    assert build_report(data, "t", FLAGGED)["flags"] and build_report(data, "t", FLAGGED_2)["flags"]
    assert build_report(data, "t", CLEAN)["flags"] == []


def test_household_not_in_the_run_gets_a_report_saying_so(finished, tmp_path):
    data, _, _, no, rows = finished
    report = build_report(data, "t", no)
    assert report["in_run"] is False and report["rules"] == [] and report["flags"] == [] and report["trace"] is None
    assert len(report["members"]) == len([r for r in rows if r["application_no"] == no]) > 0
    assert report["matrix"] and all(c["state"] == "not_checked" for c in report["matrix"])
    out = data / "out" / "not-in-run"
    written = write_reports(data, "t", out_dir=out)
    page = (out / f"{no}.html").read_text(encoding="utf-8")
    assert "本批次的核对结果中没有该申请家庭" in page and report["application"]["household_id"] in page
    assert "本批次未核对" in page and "无记录" not in page.split('id="matrix"')[1].split("</table>")[0]
    index = json.loads((out / "index.json").read_text(encoding="utf-8"))
    entry = next(x for x in index["applications"] if x["application_no"] == no)
    assert entry["in_run"] is False and entry["status"] is None
    assert {p.name for p in written} == {f"{n}.{ext}" for n in (FLAGGED, CLEAN, FLAGGED_2, no)
                                        for ext in ("html", "json")} | {"index.html", "index.json"}
    with pytest.raises(InputError, match="NO-SUCH"):
        build_report(data, "t", "NO-SUCH")


def test_no_personal_data_unless_unmasked_and_logged(finished, tmp_path):
    data, result, _, _, rows = finished
    names = {r["name"] for r in rows if r["name"] and len(r["name"]) >= 2}
    ids = {r["id_number"] for r in rows}
    written = write_reports(data, "t", out_dir=data / "out" / "masked")
    for path in written:
        text = path.read_text(encoding="utf-8")
        assert ID_NUMBER.findall(text) == [], f"{path.name}: full ID number(s)"
        assert [n for n in names if n in text] == [], f"{path.name}: full name(s)"
    # the check can fail: unmasked, the members' ID numbers and names are there, and each view is logged
    log = audit_log(data)
    before = len(log.entries())
    raw = write_reports(data, "t", out_dir=data / "out" / "raw", unmasked=True, reason="test: the check can fail")
    text = "".join(p.read_text(encoding="utf-8") for p in raw)
    assert ids <= set(ID_NUMBER.findall(text)) and names and all(n in text for n in names)
    assert {p.name for p in raw} >= {f"{FLAGGED}.unmasked.html", f"{FLAGGED}.unmasked.json", "index.unmasked.json"}
    lines = log.entries()[before:]
    households = dict(sorted((r["application_no"], r["household_id"]) for r in rows))
    assert sorted(x["what"]["household"] for x in lines) == sorted(households.values())  # one per report
    assert all(x["action"] == "unmask" and x["what"]["command"] == "application_report" for x in lines)
    assert log.verify().entries == before + len(lines)


def test_a_second_write_gives_the_same_bytes(finished):
    data, result, _, _, _ = finished
    first = write_reports(data, "t")
    assert first[0].parent == result.run_dir / "reports"
    before = {p.name: p.read_bytes() for p in first}
    second = write_reports(data, "t")
    assert [p.name for p in second] == list(before)
    assert {p.name: p.read_bytes() for p in second} == before
    report = json.loads(before[f"{FLAGGED}.json"])
    assert report == json.loads(json.dumps(build_report(data, "t", FLAGGED)))
    english = write_reports(data, "t", lang="en")
    page = next(p for p in english if p.name == f"{FLAGGED}.en.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in page and "<title>Verification report" in page and "核对报告" not in page
    assert "for review, not a decision" in page and "供审核参考" not in page


def test_report_opens_in_a_browser_with_the_matrix(finished, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    assert CHROMIUM.exists(), f"{CHROMIUM} missing: install Debian's chromium (see .ci/run)"
    data = finished[0]
    out = data / "out" / "browser"
    write_reports(data, "t", out_dir=out)
    report = build_report(data, "t", FLAGGED)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            requested: list[str] = []
            page.on("request", lambda r: requested.append(r.url))
            page.goto((out / "index.html").as_uri())
            page.click(f"text={FLAGGED}")
            assert page.title() == f"最低生活保障家庭经济状况核对报告 · {FLAGGED}"
            assert "供审核参考，不是决定" in page.locator("h1").inner_text()
            matrix = page.locator("#matrix")
            assert matrix.is_visible()
            assert matrix.locator("tbody tr").count() == len(report["registries"])
            assert matrix.locator("thead th").count() == len(report["members"]) + 1
            text = matrix.inner_text()
            assert "无记录" in text and "有记录" in text and "银行存款信息" in text
            body = page.inner_text("body")
            for flag in report["flags"]:
                assert flag["flag_code"] in body and flag["explanation_zh"] in body
            assert_self_contained_and_printable(page, requested, tmp_path / "report.png")
        finally:
            browser.close()
