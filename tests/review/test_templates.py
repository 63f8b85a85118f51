"""The page templates: a hostile value from the data prints as text, never as markup.

Each template is rendered directly (no Spark, no run) with a crafted context whose every text
from the data — household id, names, keys, codes, sources, files, explanations, rule titles —
holds markup that would run if it were not escaped, in element text and in attributes.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from pipelines import review
from pipelines.jobs.summary import render_summary_html
from pipelines.review.case_html import render_case_html
from pipelines.review.messages import CATALOGUE, words
from pipelines.review.render import render
from pipelines.review.report_html import render_report_html, render_report_index

TEMPLATES = Path(review.__file__).parent / "templates"
SCRIPT = "<script>alert(1)</script>"
ATTR = '"><img src=x onerror=alert(1)>'
# the page's own markup: anything else (script, img, an on* handler) came from the data
ALLOWED = {"html", "head", "meta", "title", "style", "body", "header", "footer", "section", "article",
           "h1", "h2", "h3", "h4", "p", "table", "thead", "tbody", "tr", "th", "td", "span", "b", "code",
           "br", "a", "ul", "li"}


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: set[str] = set()
        self.handlers: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.handlers += [f"{tag} {k}" for k, _ in attrs if k.startswith("on")]


def assert_inert(page: str, hostile: tuple[str, ...] = (SCRIPT, ATTR)) -> None:
    parser = Tags()
    parser.feed(page)
    assert parser.tags <= ALLOWED, parser.tags - ALLOWED
    assert parser.handlers == []
    for h in hostile:
        assert h not in page
    # the values were shown, as text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in page


def _link(h: str) -> dict:
    return {"method": h, "score": 0.98765, "comparison": {
        "method": h, "fields": [{"field": h, "level": h, "similarity": 0.5, "weight": 1.5},
                                {"field": "name", "level": "exact", "similarity": 1.0, "weight": -2}]}}


def _record(h: str, masked: bool) -> dict:
    amount = {"masked": True, "band": {"zh": h, "en": h}} if masked else "12345.60"
    return {"fact": h, "source": h, "as_of": h, "file": h, "row": h, "record_key": h, "person_key": h,
            "item": h, "amount": amount, "link": _link(h), "detail": {h: h, "b": None}}


def _flag(h: str, tier: str) -> dict:
    return {
        "flag_code": h, "tier": tier, "explanation_zh": h, "explanation_en": h, "value": "1.00",
        "threshold": h, "margin": "0.05", "borderline": True, "legal_basis": h, "rule_id": h,
        "rule_version": h, "money_at_stake": "646.00", "person_key": h, "evidence_hash": h,
        "evidence": {
            "test": {"value_expression": h, "op": h, "threshold_expression": h},
            "rule": {"title_zh": h, "title_en": h}, "ruleset": {"name": h, "version": h},
            "inputs": {h: h, "deposits": [h, {"x": h}]},
            "parameters": [{"name": h, "value": {"urban": h, "rural": 1}, "effective_from": h,
                            "effective_to": h, "confidence": h, "reference": h, "file": h}],
            "records": [_record(h, True), _record(h, False)],
        },
    }


def _trace(h: str) -> dict:
    return {
        "facts": {h: h, "deposits": "1.50", "income_by_type": {h: h}},
        "decision": {
            "urban_rural": h, "formulas": {h: h},
            "rule_results": [{"rule_id": h, "rule_version": h, "fired": True, "flag_code": h, "in_force": False,
                              "value_expression": h, "op": h, "threshold_expression": h, "value": h,
                              "threshold": h, "inputs": {h: h}, "parameters": [{"name": h, "value": h}]}],
            "programmes": [{"programme": h, "eligible": False, "failed_conditions": [h]}],
        },
        "policy": {"formulas": [{"name": h, "title_zh": h, "title_en": h, "formula": h}],
                   "rules": [{"id": h, "title_zh": h, "title_en": h, "legal_basis": h}],
                   "programmes": [{"name": h, "title_zh": h, "title_en": h}]},
    }


def crafted_case(h: str, masked: bool = True) -> dict:
    return {
        "masked": masked,
        "household": {"household_id": h, "region_code": h, "region_name": h, "urban_rural": h,
                      "status_zh": h, "status_en": h, "members_counted": h, "benefit_computed": h,
                      "benefit_paid": h},
        "run": {"run_id": h, "month": h, "ruleset": h, "ruleset_version": h},
        "flags": [_flag(h, h), _flag(h, "hard_event")],
        "trace": _trace(h),
        "linked": {"contributions": {h: {"totals": {h: h}, "records": [_record(h, True)]}},
                   "links": [{"person_key": h, "source": h, "source_record_key": h, **_link(h)}]},
    }


def crafted_report(h: str, in_run: bool = True) -> dict:
    members = [{"member_no": h, "person_key": h, "name": h, "id_number": h, "relation": h,
                "relation_zh": h, "checked": in_run}]
    registries = [{"source": h, "title_zh": h, "holder": h, "as_of": h, "rows_clean": 3, "files": [h, h]}]
    cell = {"member_no": h, "person_key": h, "source": h, "state": "found" if in_run else "not_checked",
            "totals": {h: {"masked": True, "band": {"zh": h, "en": h}}},
            "records": [{"record_key": h, "method": h, "score": 1.0, "band": h, "comparison": _link(h)["comparison"],
                         "contributed": [{"fact": h, "amount": h, "item": h, "detail": {h: h}, "file": h, "row": h}]}]
            if in_run else []}
    case = crafted_case(h)
    return {
        "masked": True, "in_run": in_run,
        "application": {"application_no": h, "application_date": h, "household_id": h, "region_code": h,
                        "region_name": h, "urban_rural": h, "status": h, "status_zh": h, "declared_income": h},
        "run": {"run_id": h, "month": h, "ruleset": h, "ruleset_version": h, "engine_version": h},
        "registries": registries, "members": members, "matrix": [cell],
        "household": {**case["household"], "per_capita_income": h} if in_run else {"urban_rural": h},
        "rules": [{"rule_id": h, "rule_version": h, "title_zh": h, "title_en": h, "evaluated": True, "fired": True,
                   "value_expression": h, "op": h, "threshold_expression": h, "value": h, "threshold": h,
                   "margin": None, "borderline": False, "flag_code": h},
                  {"rule_id": h, "evaluated": False}] if in_run else [],
        "flags": case["flags"] if in_run else [],
        "trace": case["trace"] if in_run else None,
    }


def crafted_summary(h: str) -> dict:
    return {"run_id": h, "month": h, "ruleset": h, "households": h, "flags": h, "possibly_eligible": h,
            "sources": {h: {"as_of": h, "rows_clean": h, "rows_quarantined": h, "gate_passed": False,
                            "age_days": h, "max_age_months": h, "oldest_as_of": h},
                        "vehicles": {"extract": None}},
            "by_status": {h: h}, "by_tier": {h: h}, "by_code": {h: h},
            "by_district": [{"region_code": h, "region_name": h, "flag_code": h, "count": h}]}


PAGES = {
    "case": lambda h, lang: render_case_html(crafted_case(h), lang),
    "case unmasked": lambda h, lang: render_case_html(crafted_case(h, masked=False), lang),
    "report": lambda h, lang: render_report_html(crafted_report(h), lang),
    "report, household not in the run": lambda h, lang: render_report_html(crafted_report(h, in_run=False), lang),
    "report index": lambda h, lang: render_report_index(
        [{"application_no": h, "application_date": h, "region_code": h, "region_name": h, "household_id": h,
          "in_run": flag, "status_zh": h, "status_en": h, "points_for_review": h, "html": h}
         for flag in (True, False)], {"run_id": h}, lang),
    "summary": lambda h, lang: render_summary_html(crafted_summary(h)),
    "data docs index": lambda h, lang: render("data_docs_index.html", run_id=h, sources=[h], lang=lang),
}


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("page", sorted(PAGES))
def test_a_hostile_value_renders_inert(page, lang):
    for h in (SCRIPT, ATTR):
        out = PAGES[page](h + " " + (ATTR if h == SCRIPT else SCRIPT), lang)
        assert_inert(out)


@pytest.mark.parametrize("page", sorted(PAGES))
def test_every_page_is_one_self_contained_file(page):
    out = PAGES[page]("x", "zh")
    assert out.startswith("<!DOCTYPE html>\n") and out.endswith("</html>\n")
    assert (TEMPLATES / "style.css").read_text(encoding="utf-8").strip() in out  # the one stylesheet, inline
    assert not re.search(r"<link|<script|\ssrc=|@import|url\(", out)  # nothing fetched
    assert out == PAGES[page]("x", "zh")  # same context, same bytes


def test_chinese_first_with_the_english_beside_or_english_alone():
    zh, en = render_case_html(crafted_case("x"), "zh"), render_case_html(crafted_case("x"), "en")
    assert '<html lang="zh-CN">' in zh and '<html lang="en">' in en
    assert '<h1>核对疑点案卷 <span class="en">Case file</span> · 供审核参考，不是决定 <span class="en">for review, not a decision</span></h1>' in zh
    assert "<h1>Case file · for review, not a decision</h1>" in en and "核对疑点案卷" not in en
    for page in ("case", "case unmasked", "report", "report, household not in the run", "report index"):
        english = PAGES[page]("x", "en")
        assert re.findall(r"[\u4e00-\u9fff]", english) == [], page  # no Chinese word, markup or style
    assert words("case.masked")[0] in zh and words("case.unmasked")[0] not in zh
    assert words("case.unmasked")[1] in render_case_html(crafted_case("x", masked=False), "en")
    # a value the data lacks shows as a dash
    assert "<tr><td>批次 <span class=\"en\">Run</span></td><td>—</td></tr>" in render_case_html(
        {**crafted_case("x"), "run": {}}, "zh")


def test_every_word_a_template_names_is_in_the_catalogue():
    named = set()
    for path in TEMPLATES.glob("*.html"):
        named |= set(re.findall(r"""(?:lab|word|words|heading)\(["']([a-z_]+\.[a-z_]+)["']\)""",
                                path.read_text(encoding="utf-8")))
    assert len(named) > 100
    missing = sorted(k for k in named if k.split(".")[1] not in CATALOGUE.get(k.split(".")[0], {}))
    assert missing == []
    with pytest.raises(KeyError, match="case.no_such_word"):
        words("case.no_such_word")
