"""The case file as one self-contained HTML page: inline CSS, no scripts, no external assets.

Chinese first with the English label beside it (or English only with lang="en"), printable on
A4. Every text from the data is escaped. The page says on top that a flag is a point for review,
not a decision: it never changes a payment; the caseworker decides.
"""

from __future__ import annotations

import re
from decimal import Decimal
from html import escape
from typing import Any

from pipelines.link.explain import LEVEL_ZH, METHOD_ZH
from pipelines.policy.facts import FACTS, label
from pipelines.review.trace import CONFIDENCE, TEXT, TIERS, parameter_value_text, validity_span

L = {
    "title": ("核对疑点案卷", "Case file"),
    "notice": ("供审核参考，不是决定", "for review, not a decision"),
    "notice_long": ("疑点不改变任何发放。是否认定、调整或停发，由经办人员核实后依规定作出书面决定。",
                    "A flag never changes a payment. A caseworker verifies and decides, in writing, under the rules."),
    "household": ("户", "Household"), "district": ("区县", "District"), "urban_rural": ("城乡", "Urban/rural"),
    "status": ("核对结论", "Outcome"), "members": ("计入人数", "Members counted"),
    "computed": ("按规则计算的保障金", "Benefit computed"), "paid": ("现发保障金", "Benefit paid"),
    "run": ("批次", "Run"), "month": ("核对月份", "Month"), "ruleset": ("规则集", "Rule set"),
    "masked": ("个人信息已遮蔽：证件号、账号等记录号只显示首尾；单个账户、证券、保单的余额按区间显示。"
               "家庭合计和与阈值比较的数值照实显示。查看原值须使用 --unmasked，并记入访问日志。",
               "Personal data masked: record keys show only their ends; each account, securities or policy "
               "balance is shown as a band. Household totals and the figures tested against thresholds are exact. "
               "Unmasking needs --unmasked and is logged."),
    "unmasked": ("未遮蔽视图：含个人信息原值，本次查看已记入访问日志。", "UNMASKED view: raw personal data; this view is logged."),
    "flags": ("一、疑点", "1. Points for review"), "no_flags": ("本户本批次没有疑点。", "No flags for this household in this run."),
    "tier": ("层级", "Tier"), "rule": ("规则", "Rule"), "legal_basis": ("法律依据", "Legal basis"),
    "test": ("判断", "Test"), "value": ("数值", "Value"), "threshold": ("阈值", "Threshold"),
    "margin": ("偏离阈值", "Margin"), "borderline": ("临界（阈值10%以内）", "Borderline (within 10%)"),
    "yes": ("是", "yes"), "no": ("否", "no"), "hash": ("证据指纹", "Evidence hash"),
    "at_stake": ("涉及月保障金", "Monthly benefit at stake"), "persons": ("涉及成员", "Members concerned"),
    "inputs": ("读取数据", "Inputs"), "parameters": ("参数", "Parameters"), "records": ("证据记录", "Evidence records"),
    "fact": ("事实", "Fact"), "source": ("来源", "Source"), "as_of": ("截至日期", "As of"),
    "file_row": ("文件:行", "File:row"), "key": ("记录号", "Record key"), "person": ("成员", "Member"),
    "amount": ("金额/数量", "Amount"), "link": ("链接方式", "Link"), "comparison": ("逐字段比对", "Per-field comparison"),
    "detail": ("明细", "Detail"), "name": ("名称", "Name"), "span": ("有效期", "In force"),
    "confidence": ("确定性", "Confidence"), "reference": ("出处", "Reference"),
    "trace": ("二、核对过程", "2. Rule trace"), "linked": ("三、关联记录", "3. Linked records"),
    "totals": ("合计", "Totals"), "links": ("身份链接", "Identity links"), "score": ("匹配概率", "Score"),
    "formula": ("公式", "Formula"), "result": ("结果", "Result"), "programme": ("保障项目", "Programme"),
    "band": ("区间", "band"), "sim": ("相似度", "similarity"), "weight": ("权重", "weight"),
}
_DECIMAL = re.compile(r"^-?\d+\.\d+$")
_NUMBERED = re.compile(r"^([一二三四五六七八九十]+、|\d+\.\s*)")
TIER_EN = {"hard_event": "hard event", "threshold": "threshold", "inconsistency": "inconsistency",
           "verify": "to verify", "verify_identity": "verify identity"}
CSS = """
body{font-family:"WenQuanYi Micro Hei","Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:1.5em auto;
max-width:70em;padding:0 1em;color:#111;line-height:1.45;font-size:14px}
h1{font-size:1.5em;border-bottom:3px solid #333;padding-bottom:.3em}h2{font-size:1.25em;margin-top:1.6em;
border-bottom:1px solid #999}h3{font-size:1.05em;margin:.8em 0 .3em}.en{color:#666;font-size:.85em;font-weight:normal}
.notice{background:#fff4d6;border:1px solid #e0b84c;padding:.5em .8em}.mask{color:#444;font-size:.9em}
.unmasked{background:#fde2e2;border:1px solid #c33;padding:.5em .8em;font-weight:bold}
table{border-collapse:collapse;width:100%;margin:.4em 0 .8em;font-size:.9em}
th,td{border:1px solid #bbb;padding:.25em .45em;text-align:left;vertical-align:top}th{background:#eee}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.flag{border-left:6px solid #888;padding:.2em .9em;margin:1em 0;background:#fafafa}
.tier-hard_event{border-color:#b00}.tier-threshold{border-color:#d77a00}.tier-inconsistency{border-color:#2a6fb0}
.tier-verify,.tier-verify_identity{border-color:#777}.code{font-family:monospace;font-weight:bold}.ok{color:#17692a}.no{color:#a00}
.small{font-size:.85em;color:#444}code{font-size:.9em}td code{overflow-wrap:anywhere}
table.records{font-size:.8em}
@media print{body{margin:0;max-width:none;font-size:10.5pt}.flag{break-inside:avoid;background:none}
h2{break-after:avoid}tr{break-inside:avoid}.notice,.unmasked{background:none}@page{size:A4;margin:15mm}}
"""


def e(value: Any) -> str:
    return escape("—" if value is None or value == "" else str(value))


def num(value: Any) -> str:
    """A number for reading: thousands separated, exact decimals kept; text as it is."""
    if isinstance(value, bool) or value is None:
        return e(value)
    if isinstance(value, float):
        return e(f"{Decimal(repr(value)):,}")
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, str) and _DECIMAL.match(value):  # codes and IDs are text, not numbers
        return e(f"{Decimal(value):,}")
    return e(value)


def _value(value: Any) -> str:
    if isinstance(value, dict):
        return detail_html(value)
    if isinstance(value, list):
        return "<br>".join(_value(v) for v in value) or "—"
    return num(value)


class Page:
    def __init__(self, lang: str):
        self.lang = "en" if lang == "en" else "zh"

    def lab(self, key: str, table: dict | None = None) -> str:
        zh, en = (TEXT["zh"][key], TEXT["en"][key]) if table is TEXT else L[key]
        return escape(en) if self.lang == "en" else f'{escape(zh)} <span class="en">{escape(en)}</span>'

    def t(self, key: str) -> str:
        return self.lab(key, TEXT)

    def heading(self, key: str) -> str:
        """A trace section title without its numbering (the page numbers its own sections)."""
        zh, en = (_NUMBERED.sub("", TEXT[lang][key]) for lang in ("zh", "en"))
        return self.both(zh, en)

    def word(self, key: str) -> str:
        return escape(L[key][self.lang == "en"])

    def both(self, zh: Any, en: Any) -> str:
        return e(en) if self.lang == "en" else f'{e(zh)} <span class="en">{e(en)}</span>'

    def tier(self, tier: str | None) -> str:
        return self.both(TIERS["zh"].get(tier or "", tier), TIER_EN.get(tier or "", tier))

    def amount(self, value: Any) -> str:
        if isinstance(value, dict) and value.get("masked"):
            band = value["band"]
            return f'{self.both(band["zh"], band["en"])} <span class="small">（{self.lab("band")}）</span>'
        return num(value)

    def method(self, method: Any, score: Any) -> str:
        shown = self.both(METHOD_ZH.get(method, method), method) if method else "—"
        return f"{shown} · {float(score):.4f}" if isinstance(score, int | float) else shown

    def comparison(self, ev: Any) -> str:
        if not isinstance(ev, dict):
            return e(ev if ev else None)
        parts = []
        for f in ev.get("fields", []):
            level = f.get("level")
            shown = level if self.lang == "en" else LEVEL_ZH.get(level, level)
            sim, weight = f.get("similarity"), f.get("weight")
            sim = f" · {self.word('sim')} {num(sim)}" if isinstance(sim, int | float) and sim < 1 else ""
            weight = f" · {self.word('weight')} {float(weight):+.2f}" if isinstance(weight, int | float) else ""
            parts.append(f"{e(f.get('field'))}: {e(shown)}{sim}{weight}")
        return "<br>".join(parts) or e(ev.get("method"))


def table(headers: list[str], rows: list[list[str]], numeric: tuple[int, ...] = (), cls: str = "") -> str:
    """A table from cells that are already HTML (escaped by the caller)."""
    head = "".join(f"<th>{h}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f'<td class="num">{c}</td>' if i in numeric else f"<td>{c}</td>" for i, c in enumerate(r)) + "</tr>"
        for r in rows
    ) or f'<tr><td colspan="{len(headers)}">—</td></tr>'
    attr = f' class="{cls}"' if cls else ""
    return f"<table{attr}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _named(name: str, lang: str) -> str:
    shown = label(name, lang)
    return f"<code>{e(name)}</code>" + (f" {e(shown)}" if shown != name else "")


def detail_html(detail: Any) -> str:
    """A record's detail (a contribution's fields) as one escaped line."""
    if isinstance(detail, dict):
        return "; ".join(f"{e(k)}={e(v)}" for k, v in sorted(detail.items())) or "—"
    return e(detail)


def _params_table(p: Page, params: list[dict], urban_rural: Any) -> str:
    lang = p.lang
    rows = [[f"<code>{e(x.get('name'))}</code>", e(parameter_value_text(x.get("value"), urban_rural, TEXT[lang])),
             e(validity_span(x.get("effective_from"), x.get("effective_to"), TEXT[lang])),
             e(CONFIDENCE[lang].get(x.get("confidence"), x.get("confidence"))),
             e(x.get("reference")) + (f'<br><span class="small">{e(x.get("file"))}</span>' if x.get("file") else "")]
            for x in params or []]
    return table([p.lab("name"), p.lab("value"), p.lab("span"), p.lab("confidence"), p.lab("reference")], rows)


def _records_table(p: Page, records: list[dict]) -> str:
    """Evidence records: where each comes from (source, as-of, file:row), whose it is, how linked."""
    rows = []
    for r in records:
        link = r.get("link") or {}
        rows.append([
            e(label(r.get("fact", ""), p.lang)),
            f'{e(r.get("source"))} · {e(r.get("as_of"))}<br><code class="small">{e(r.get("file"))}:{e(r.get("row"))}</code>',
            f'<code>{e(r.get("record_key"))}</code><br>{e(r.get("person_key"))}', p.amount(r.get("amount")),
            p.method(link.get("method"), link.get("score")), p.comparison(link.get("comparison")),
            detail_html(r.get("detail"))])
    heads = [p.lab("fact"), f'{p.lab("source")} · {p.lab("as_of")} · {p.lab("file_row")}',
             f'{p.lab("key")} · {p.lab("person")}', p.lab("amount"), p.lab("link"), p.lab("comparison"), p.lab("detail")]
    return table(heads, rows, numeric=(3,), cls="records")


def flag_html(p: Page, n: int, f: dict, urban_rural: Any) -> str:
    """Flag number `n` of a case: its test, explanation, parameters and evidence records."""
    ev = f.get("evidence") or {}
    test, rule = ev.get("test") or {}, ev.get("rule") or {}
    title = p.both(rule.get("title_zh"), rule.get("title_en"))
    yes_no = p.lab("yes") if f.get("borderline") else p.lab("no")
    margin = f.get("margin")
    margin_pct = "—" if margin is None else f"{Decimal(str(margin)) * 100:+.2f}%"
    explain = e(f.get("explanation_en")) if p.lang == "en" else (
        f'{e(f.get("explanation_zh"))}<br><span class="en">{e(f.get("explanation_en"))}</span>')
    facts = [
        ("test", f"<code>{e(test.get('value_expression'))} {e(test.get('op'))} {e(test.get('threshold_expression'))}</code>"),
        ("value", f"<b>{num(f.get('value'))}</b> {e(test.get('op'))} {num(f.get('threshold'))} ({p.lab('threshold')})"),
        ("margin", e(margin_pct)), ("borderline", yes_no), ("legal_basis", e(f.get("legal_basis"))),
        ("rule", f"<code>{e(f.get('rule_id'))}</code> v{e(f.get('rule_version'))} · "
                 f"{e((ev.get('ruleset') or {}).get('name'))} {e((ev.get('ruleset') or {}).get('version'))}"),
        ("at_stake", num(f.get("money_at_stake"))), ("persons", e(f.get("person_key"))),
        ("hash", f"<code>{e(f.get('evidence_hash'))}</code>"),
    ]
    inputs = ev.get("inputs") or {}
    return "".join([
        f'<article class="flag tier-{e(f.get("tier"))}" id="flag-{e(f.get("flag_code"))}">',
        f'<h3>{n}. <span class="code">{e(f.get("flag_code"))}</span> · {title} · {p.tier(f.get("tier"))}</h3>',
        f"<p>{explain}</p>",
        table([p.lab("name"), p.lab("value")], [[p.lab(k), v] for k, v in facts]),
        f"<h4>{p.lab('inputs')}</h4>",
        table([p.lab("name"), p.lab("value")], [[_named(k, p.lang), _value(v)]
                                                for k, v in inputs.items()], numeric=(1,)),
        f"<h4>{p.lab('parameters')}</h4>", _params_table(p, ev.get("parameters") or [], urban_rural),
        f"<h4>{p.lab('records')}</h4>", _records_table(p, ev.get("records") or []),
        "</article>",
    ])


def trace_html(p: Page, trace: dict) -> str:
    """The household's rule trace: facts, formulas, every rule, programmes and status."""
    d, policy, lang = trace["decision"], trace["policy"], p.lang
    facts = trace.get("facts") or {}
    out = [f"<h3>{p.heading('facts')}</h3>"]
    names = [n for n in FACTS if n in facts] + sorted(n for n in facts if n not in FACTS and n not in ("month", "household_id"))
    out.append(table([p.lab("name"), p.lab("value")], [
        [_named(n, lang), _value(facts[n])] for n in names], numeric=(1,)))
    values = d.get("formulas") or {}
    out.append(f"<h3>{p.heading('formulas')}</h3>")
    out.append(table([p.lab("name"), p.lab("formula"), p.lab("result")], [
        [f"<code>{e(f['name'])}</code> {e(f.get(f'title_{lang}'))}", f"<code>{e(f.get('formula'))}</code>",
         num(values.get(f["name"]))] for f in policy.get("formulas", [])], numeric=(2,)))
    out.append(f"<h3>{p.heading('rules')}</h3>")
    meta = {r["id"]: r for r in policy.get("rules", [])}
    for r in d.get("rule_results") or []:
        m = meta.get(r["rule_id"], {})
        holds = f'<span class="ok">{p.t("holds")}</span>' if r.get("fired") else f'<span class="no">{p.t("not_holds")}</span>'
        head = f"<code>{e(r['rule_id'])}</code> v{e(r.get('rule_version'))} {e(m.get(f'title_{lang}'))} · {holds}"
        if r.get("flag_code"):
            head += f' · {p.t("flag")} <span class="code">{e(r["flag_code"])}</span>'
        if not r.get("in_force", True):
            head += f" · <b>{p.t('not_in_force')}</b>"
        inputs = r.get("inputs") if isinstance(r.get("inputs"), dict) else {}
        out += [f"<h4>{head}</h4>", '<p class="small">',
                f"{p.t('test')}: <code>{e(r.get('value_expression'))} {e(r.get('op'))} {e(r.get('threshold_expression'))}</code>"
                f" · {p.t('computed')}: {num(r.get('value'))} {e(r.get('op'))} {num(r.get('threshold'))}",
                f"<br>{p.t('legal_basis')}: {e(m.get('legal_basis'))}" if m.get("legal_basis") else "",
                f"<br>{p.t('inputs')}: " + "; ".join(f"{e(k)} = {_value(v)}" for k, v in inputs.items()) if inputs else "",
                "</p>", _params_table(p, r.get("parameters") if isinstance(r.get("parameters"), list) else [],
                                      d.get("urban_rural"))]
    out.append(f"<h3>{p.heading('programmes')}</h3>")
    titles = {x["name"]: x for x in policy.get("programmes", [])}
    out.append(table([p.lab("programme"), p.lab("result")], [
        [f"{e(x['programme'])} {e(titles.get(x['programme'], {}).get(f'title_{lang}'))}",
         (p.t("eligible") if x.get("eligible") else p.t("not_eligible")) +
         "".join(f"<br>{p.t('failed')}: <code>{e(c)}</code>" for c in x.get("failed_conditions") or [])]
        for x in d.get("programmes") or []]))
    return "".join(out)


def _linked(p: Page, linked: dict) -> str:
    out = []
    for source, group in (linked.get("contributions") or {}).items():
        totals = "; ".join(f"{e(label(k, p.lang))} {num(v)}" for k, v in group["totals"].items())
        out += [f"<h3>{e(source)} <span class=\"small\">{p.lab('totals')}: {totals}</span></h3>",
                _records_table(p, group["records"])]
    out.append(f"<h3>{p.lab('links')}</h3>")
    out.append(table([p.lab(h) for h in ("person", "source", "key", "link", "comparison")], [
        [e(x["person_key"]), e(x["source"]), f"<code>{e(x['source_record_key'])}</code>",
         p.method(x.get("method"), x.get("score")), p.comparison(x.get("comparison"))]
        for x in linked.get("links") or []]))
    return "".join(out)


def render_case_html(case: dict[str, Any], lang: str = "zh") -> str:
    """The case file as one self-contained, printable HTML page (Chinese, or English with lang="en")."""
    p = Page(lang)
    h, run = case["household"], case["run"]
    title = f"{L['title'][p.lang == 'en']} · {h['household_id']} · {run['month']}"
    ur = h.get("urban_rural")
    meta = [("household", e(h["household_id"])), ("district", f"{e(h.get('region_code'))} {e(h.get('region_name'))}"),
            ("urban_rural", p.both(TEXT["zh"].get(ur, ur), ur)), ("status", p.both(h.get("status_zh"), h.get("status_en"))),
            ("members", e(h.get("members_counted"))), ("computed", num(h.get("benefit_computed"))),
            ("paid", num(h.get("benefit_paid"))), ("run", e(run["run_id"])), ("month", e(run["month"])),
            ("ruleset", f"{e(run.get('ruleset'))} {e(run.get('ruleset_version'))}")]
    mask = (f'<p class="mask">{p.lab("masked")}</p>' if case.get("masked")
            else f'<p class="unmasked">{p.lab("unmasked")}</p>')
    flags = "".join(flag_html(p, i, f, ur) for i, f in enumerate(case["flags"], 1)) or f"<p>{p.lab('no_flags')}</p>"
    return "".join([
        "<!DOCTYPE html>\n", f'<html lang="{"en" if p.lang == "en" else "zh-CN"}">',
        f'<head><meta charset="utf-8"><title>{escape(title)}</title><style>{CSS}</style></head><body>',
        f"<header><h1>{p.lab('title')} · {p.lab('notice')}</h1>",
        f'<p class="notice">{p.lab("notice_long")}</p>',
        table([p.lab("name"), p.lab("value")], [[p.lab(k), v] for k, v in meta]), mask, "</header>",
        f'<section id="flags"><h2>{p.lab("flags")}</h2>{flags}</section>',
        f'<section id="trace"><h2>{p.lab("trace")}</h2>{trace_html(p, case["trace"])}</section>',
        f'<section id="linked"><h2>{p.lab("linked")}</h2>{_linked(p, case["linked"])}</section>',
        f'<footer><p class="notice">{p.t("end")}</p></footer></body></html>\n',
    ])
