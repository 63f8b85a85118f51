"""The case file of a household, built from a real monthly run and opened in a real browser."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from pipelines.audit import audit_log
from pipelines.cli import app
from pipelines.config import PROJECT_ROOT
from pipelines.review.case_file import balance_sources, build_case, write_case
from pipelines.schemas import load_schemas
from pipelines.standardize.masking import mask_key
from tests.browser import assert_self_contained_and_printable

pytestmark = pytest.mark.slow

MONTH = "2025-07"
CHROMIUM = Path("/usr/bin/chromium")
# a resident ID number: region, birth date, sequence, check digit (not a business credit code)
ID_NUMBER = re.compile(
    r"(?<![0-9A-Za-z])[1-6]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9A-Za-z])"
)


@pytest.fixture(scope="module")
def finished(month_run):
    return month_run


@pytest.fixture(scope="module")
def schemas():
    return load_schemas(PROJECT_ROOT / "schemas")


def _contributions(run_dir: Path, household_id: str) -> list[dict]:
    dataset = ds.dataset(run_dir / "contributions", format="parquet")
    return dataset.to_table(filter=ds.field("household_id") == household_id).to_pylist()


def _with_balances(result, schemas) -> str:
    """A flagged household whose evidence holds account balances (the masking must show)."""
    balances = balance_sources(schemas)
    for flag in result.flags.to_pylist():
        if any(r["source"] in balances for r in json.loads(flag["evidence"])["records"]):
            return flag["household_id"]
    raise AssertionError("the generated run has no flag with balance records")


def test_case_holds_flags_evidence_trace_and_linked_records(finished, schemas):
    data, result = finished
    household = _with_balances(result, schemas)
    case = build_case(data, "t", household)
    expected = [f for f in result.flags.to_pylist() if f["household_id"] == household]
    assert [f["flag_code"] for f in case["flags"]] == [f["flag_code"] for f in expected]
    assert case["masked"] is True and case["household"]["household_id"] == household
    assert case["household"]["region_name"] and case["household"]["status"]

    full = {(c["source"], c["file"], c["row"]): c for c in _contributions(result.run_dir, household)}
    pii = {n: [s.column(k).pii != "none" for k in s.key] for n, s in schemas.items()}
    balances = balance_sources(schemas)
    for flag, source_flag in zip(case["flags"], expected, strict=True):
        ev = flag["evidence"]
        assert ev["rule"]["id"] == source_flag["rule_id"] and ev["rule"]["legal_basis"]
        assert Decimal(ev["test"]["value"]) == source_flag["value"]
        assert Decimal(ev["test"]["threshold"]) == source_flag["threshold"]
        assert flag["explanation_zh"] and flag["explanation_en"] and flag["evidence_hash"]
        assert ev["records"]
        for record in ev["records"]:
            original = full[(record["source"], record["file"], record["row"])]
            assert record["record_key"] == mask_key(original["record_key"], pii[record["source"]])
            if record["source"] in balances:
                assert record["record_key"] != original["record_key"]
                assert record["amount"]["masked"] is True and record["amount"]["band"]["zh"]
                assert str(original["amount"]) not in json.dumps(ev["records"])

    # the figure tested against the threshold stays exact: the household total of its balances
    facts = case["trace"]["facts"]
    linked = case["linked"]["contributions"]
    for source in balances & set(linked):
        for fact, total in linked[source]["totals"].items():
            assert Decimal(total) == sum(
                c["amount"] for c in full.values() if c["source"] == source and c["fact"] == fact
            )
            assert Decimal(facts[fact]) == Decimal(total)
    fired = {r["rule_id"] for r in case["trace"]["decision"]["rule_results"] if r["fired"]}
    assert {f["rule_id"] for f in expected} <= fired
    assert case["trace"]["policy"]["rules"]
    links = case["linked"]["links"]
    assert links and all(link["method"] and link["comparison"]["fields"] for link in links)
    assert {link["source"] for link in links} >= set(linked)


def test_no_full_id_number_on_any_case_page(finished, tmp_path):
    data, result = finished
    households = sorted({f["household_id"] for f in result.flags.to_pylist()})
    households.append(pq.read_table(result.run_dir / "decisions", columns=["household_id"])
                      .column("household_id")[0].as_py())
    for household in households:
        for path in write_case(data, "t", household, out_dir=data / "out" / "masked"):
            found = ID_NUMBER.findall(path.read_text(encoding="utf-8"))
            assert found == [], f"{path.name}: {len(found)} full ID number(s)"
    # the check can fail: unmasked, the hukou record keys are ID numbers
    unmasked = [ID_NUMBER.findall(p.read_text(encoding="utf-8"))
                for h in households[:3] for p in write_case(data, "t", h, data / "out" / "raw", unmasked=True,
                                                                    reason="test: the check can fail")]
    assert any(unmasked)


def test_rerun_writes_the_same_bytes(finished, tmp_path):
    data, result = finished
    household = result.flags.to_pylist()[0]["household_id"]
    html, js = write_case(data, "t", household)
    assert (html.parent, html.name, js.name) == (result.run_dir / "cases", f"{household}.html", f"{household}.json")
    first = (html.read_bytes(), js.read_bytes())
    assert write_case(data, "t", household) == (html, js)
    assert (html.read_bytes(), js.read_bytes()) == first
    english, _ = write_case(data, "t", household, lang="en")
    page = english.read_text(encoding="utf-8")
    assert english.name == f"{household}.en.html" and '<html lang="en">' in page
    assert "for review, not a decision" in page and "供审核参考" not in page
    assert json.loads(first[1]) == json.loads(json.dumps(build_case(data, "t", household)))


def test_unmasked_shows_the_amounts_and_is_logged(finished, schemas):
    data, result = finished
    household = _with_balances(result, schemas)
    log = audit_log(data)
    before = log.entries()
    out = CliRunner().invoke(app, ["case", household, "--run", "t", "--data", str(data), "--unmasked",
                                   "--reason", "家访前核对 home visit"])
    assert out.exit_code == 0, out.output
    json_path = result.run_dir / "cases" / f"{household}.unmasked.json"
    assert str(json_path) in out.output.replace("\n", "")
    case = json.loads(json_path.read_text(encoding="utf-8"))
    assert case["masked"] is False
    balances = balance_sources(schemas)
    contributions = {(c["source"], c["file"], c["row"]): c for c in _contributions(result.run_dir, household)}
    records = [r for f in case["flags"] for r in f["evidence"]["records"] if r["source"] in balances]
    assert records
    for record in records:
        original = contributions[(record["source"], record["file"], record["row"])]
        assert Decimal(record["amount"]) == original["amount"]
        assert record["record_key"] == original["record_key"]
    html = (result.run_dir / "cases" / f"{household}.unmasked.html").read_text(encoding="utf-8")
    assert f"{records[0]['amount']}" in html.replace(",", "") and "未遮蔽" in html
    entries = log.entries()
    assert len(entries) == len(before) + 1
    entry = entries[-1]
    assert entry["what"] == {"command": "case", "household": household, "run": "t"}
    assert entry["action"] == "unmask" and entry["reason"] == "家访前核对 home visit" and entry["time"]
    assert log.verify().entries == len(entries)


def test_unknown_household_or_run_exits_2(finished):
    data, _ = finished
    runner = CliRunner()
    missing = runner.invoke(app, ["case", "NO-SUCH", "--run", "t", "--data", str(data)])
    assert missing.exit_code == 2 and "NO-SUCH" in missing.output
    no_run = runner.invoke(app, ["case", "NO-SUCH", "--run", "no-run", "--data", str(data)])
    assert no_run.exit_code == 2 and "no-run" in no_run.output


def test_case_page_opens_in_a_browser(finished, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    assert CHROMIUM.exists(), f"{CHROMIUM} missing: install Debian's chromium (see .ci/run)"
    data, result = finished
    flag = result.flags.to_pylist()[0]
    html, _ = write_case(data, "t", flag["household_id"], out_dir=data / "out" / "browser")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            requested: list[str] = []
            page.on("request", lambda r: requested.append(r.url))
            page.goto(html.as_uri())
            assert page.title() == f"核对疑点案卷 · {flag['household_id']} · {MONTH}"
            header = page.locator("h1")
            assert header.is_visible() and "核对疑点案卷" in header.inner_text()
            assert "供审核参考，不是决定" in header.inner_text()
            code = page.locator(".flag .code", has_text=flag["flag_code"]).first
            assert code.is_visible()
            body = page.inner_text("body")
            assert flag["explanation_zh"] in body and "核对过程" in body and "关联记录" in body
            assert page.evaluate("document.body.scrollHeight") > 500
            assert_self_contained_and_printable(page, requested, tmp_path / "case.png")
        finally:
            browser.close()
