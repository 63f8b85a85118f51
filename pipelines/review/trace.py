"""One household's evaluation, step by step, as plain text a caseworker can read (`explain`).

Reads a finished run with pyarrow only (decisions, households, policy.json, manifest.json) and
prints the facts, the derived figures, every rule with its inputs and dated parameters, each
programme's eligibility, the status and the benefit. The engine raises points for review; the
trace says so, because the decision belongs to a caseworker.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from pipelines.errors import InputError
from pipelines.policy.facts import FACTS, label
from pipelines.standardize.counties import region_name

TEXT = {
    "zh": {
        "title": "低保核对过程说明", "household": "户", "month": "核对月份", "run": "批次",
        "notice": "核对结果供审核参考，不是决定。是否认定、调整或停发，由经办人员核实后依规定作出书面决定。",
        "policy": "政策", "applied": "适用日期", "outcome": "核对结果", "flags": "提出的疑点", "none": "无",
        "facts": "一、家庭基础事实", "formulas": "二、派生数值（公式）", "rules": "三、规则判断",
        "programmes": "四、保障项目资格", "status": "五、结论",
        "no_facts": "（本批次没有该户的基础事实记录）", "income_types": "分类收入",
        "counted": "计入", "excluded": "不计入", "exclusion_unknown": "（本批次未记录不计入收入类型清单，见派生数值中的计入/不计入合计）",
        "not_counted": "未计入人数的成员", "holds": "✓ 成立", "not_holds": "✗ 不成立",
        "ruleset": "规则集", "version": "版本", "flag": "疑点代码", "tier": "层级",
        "test": "判断", "computed": "计算", "requires": "须同时成立", "unless": "以下成立时不适用", "margin": "偏离阈值",
        "borderline": "临界", "inputs": "读取数据", "parameters": "参数", "not_in_force": "本月不适用（规则不在有效期内）",
        "span": "有效期 {0} 至 {1}", "span_open": "{0} 起有效，未定止期", "confidence": "确定性", "reference": "出处",
        "district": "区县覆盖", "file": "文件", "eligible": "✓ 符合", "not_eligible": "✗ 不符合",
        "failed": "未满足的条件", "must_hold": "须成立，实际不成立", "must_not_hold": "须不成立，实际成立",
        "benefit_formula": "保障金公式", "benefit_computed": "按规则计算的保障金", "benefit_paid": "现发保障金",
        "per_month": "元/月", "raises": "提出疑点", "legal_basis": "法律依据",
        "urban": "城镇", "rural": "农村", "custody": "服刑或强制隔离戒毒", "end": "以上为核对过程记录，不构成对该户的认定或处理决定。",
    },
    "en": {
        "title": "Dibao verification trace", "household": "household", "month": "month", "run": "run",
        "notice": "For review, not a decision: a caseworker verifies and decides, in writing, under the rules.",
        "policy": "policy", "applied": "applied on", "outcome": "outcome", "flags": "points for review", "none": "none",
        "facts": "1. Household facts", "formulas": "2. Derived figures (formulas)", "rules": "3. Rules",
        "programmes": "4. Programme eligibility", "status": "5. Outcome",
        "no_facts": "(no base facts for this household in this run)", "income_types": "income by type",
        "counted": "counted", "excluded": "excluded", "exclusion_unknown": "(the run does not record which types are excluded; see the countable/excluded totals under derived figures)",
        "not_counted": "members not counted", "holds": "✓ holds", "not_holds": "✗ does not hold",
        "ruleset": "rule set", "version": "version", "flag": "flag code", "tier": "tier",
        "test": "test", "computed": "computed", "requires": "requires", "unless": "not when", "margin": "margin",
        "borderline": "borderline", "inputs": "inputs", "parameters": "parameters", "not_in_force": "not in force this month",
        "span": "in force {0} to {1}", "span_open": "in force from {0}, no end date", "confidence": "confidence", "reference": "reference",
        "district": "district override", "file": "file", "eligible": "✓ eligible", "not_eligible": "✗ not eligible",
        "failed": "conditions not met", "must_hold": "must hold, does not", "must_not_hold": "must not hold, holds",
        "benefit_formula": "benefit formula", "benefit_computed": "benefit computed by the rules", "benefit_paid": "benefit paid now",
        "per_month": "CNY/month", "raises": "raises", "legal_basis": "legal basis",
        "urban": "urban", "rural": "rural", "custody": "in custody", "end": "This is a record of the checks, not a decision about the household.",
    },
}
CONFIDENCE = {"zh": {"sure": "确定", "likely": "较可能", "open": "【待核 open】"},
              "en": {"sure": "sure", "likely": "likely", "open": "[OPEN]"}}
TIERS = {"zh": {"hard_event": "硬性事件", "threshold": "超过限额", "inconsistency": "不一致",
                "verify": "待核实", "verify_identity": "身份待核实"}}
OMIT = ("month", "household_id", "member_exclusions", "income_by_type")
_SUM_OF = re.compile(r"sum_of\(\s*income_by_type\s*,\s*([\w.]+)\s*\)")


# ---- reading ---------------------------------------------------------------------------------

def _dataset(path: Path) -> ds.Dataset:
    if not path.exists():
        raise InputError(f"{path}: not found (expected a Parquet folder written by the run)")
    try:
        return ds.dataset(path, format="parquet")
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"{path}: not readable as Parquet ({exc})") from None


def _rows(dataset: ds.Dataset, path: Path, household_id: str) -> list[dict[str, Any]]:
    try:
        table = dataset.to_table(filter=pc.field("household_id") == household_id)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"{path}: cannot filter on household_id ({exc})") from None
    rows = table.to_pylist()
    for row in rows:  # pyarrow gives a map as a list of (key, value) pairs
        for key in ("formulas", "income_by_type"):
            if isinstance(row.get(key), list):
                row[key] = dict(row[key])
    return rows


def _json(path: Path, required: bool) -> dict[str, Any]:
    if not path.is_file():
        if required:
            raise InputError(f"{path}: not found (the run writes it beside decisions/)")
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not valid JSON ({exc})") from None


def load_trace(run_dir: Path, household_id: str) -> dict[str, Any]:
    """The decision, base facts and policy of one household of a run, as plain data."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise InputError(f"{run_dir}: run folder not found")
    decisions = _dataset(run_dir / "decisions")
    households = _dataset(run_dir / "households")
    policy = _json(run_dir / "policy.json", required=True)
    manifest = _json(run_dir / "manifest.json", required=False)
    run_id = str(manifest.get("run_id") or run_dir.name)
    found = _rows(decisions, run_dir / "decisions", household_id)
    if not found:
        first = decisions.head(5, columns=["household_id"]).column("household_id").to_pylist()
        raise InputError(
            f"household '{household_id}' is not in run '{run_id}' ({run_dir / 'decisions'}); "
            f"its {decisions.count_rows()} household(s) begin {', '.join(map(str, first)) or '(none)'}"
        )
    facts = _rows(households, run_dir / "households", household_id)
    decision = found[0]
    return {"run_id": run_id, "month": manifest.get("month") or decision.get("month"),
            "household_id": household_id, "decision": decision, "facts": facts[0] if facts else {},
            "policy": policy}


# ---- formatting ------------------------------------------------------------------------------

def _num(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, (Decimal, float)) or (isinstance(v, int) and not isinstance(v, bool)):
        return f"{Decimal(str(v)):,.2f}" if not isinstance(v, int) else f"{v:,}"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {_num(x)}" for k, x in v.items()) + "}"
    return str(v)


def _region(code: Any) -> str:
    name = region_name(code) if code else ""
    return f"{code} {name}" if name and name != str(code) else str(code or "—")


def validity_span(start: Any, end: Any, t: dict[str, str]) -> str:
    return t["span"].format(start or "—", end) if end else t["span_open"].format(start or "—")


def parameter_value_text(value: Any, urban_rural: str | None, t: dict[str, str]) -> str:
    def plain(x: Any) -> str:
        return f"{x:,}" if isinstance(x, int) and not isinstance(x, bool) else str(x)
    if isinstance(value, dict):  # a breakdown: the household's own entry first
        keys = sorted(value, key=lambda k: k != urban_rural)
        parts = " / ".join(f"{t.get(k, k)} {plain(value[k])}" for k in keys)
        return f"{plain(value[urban_rural])} ({parts})" if urban_rural in value else parts
    if isinstance(value, list):
        return "[" + ", ".join(plain(x) for x in value) + "]"
    return plain(value)


def _loads(text: str | None, fallback: Any) -> Any:
    """A JSON column of the run; numbers exact (Decimal), the raw text kept if it is not JSON."""
    try:
        return json.loads(text, parse_float=Decimal) if text else fallback
    except json.JSONDecodeError:
        return {"?": text}


def _params(rule: dict[str, Any]) -> list[dict[str, Any]]:
    found = _loads(rule.get("parameters"), [])
    return found if isinstance(found, list) else []


def _excluded_types(trace: dict[str, Any]) -> list[str] | None:
    """The income types not counted, from the parameter trace of whatever read that list."""
    names = {m.group(1) for f in trace["policy"].get("formulas", [])
             for m in [_SUM_OF.search(f.get("formula", ""))] if m}
    sources = [p for f in trace["policy"].get("formulas", []) for p in f.get("parameters") or []]
    sources += [p for r in trace["decision"].get("rule_results") or [] for p in _params(r)]
    for p in sources:
        if p.get("name") in names and isinstance(p.get("value"), list):
            return [str(x) for x in p["value"]]
    return None


# ---- rendering -------------------------------------------------------------------------------

def _facts(trace: dict[str, Any], t: dict[str, str], lang: str) -> list[str]:
    facts = trace["facts"]
    if not facts:
        return [f"  {t['no_facts']}"]
    out = []
    names = [n for n in FACTS if n in facts] + [n for n in facts if n not in FACTS and n not in OMIT]
    for name in names:
        if name == "income_by_type":
            continue
        value = facts[name]
        shown = _region(value) if name == "region_code" else t.get(value, value) if name == "urban_rural" else value
        out.append(f"  {label(name, lang)} ({name}): {_num(shown)}")
    if "income_by_type" in facts:
        excluded = _excluded_types(trace)
        out.append(f"  {label('income_by_type', lang)} (income_by_type):")
        for code, amount in sorted((facts["income_by_type"] or {}).items()):
            mark = "" if excluded is None else f"  [{t['excluded'] if code in excluded else t['counted']}]"
            out.append(f"    {code}: {_num(amount)}{mark}")
        if excluded is None and facts["income_by_type"]:
            out.append(f"    {t['exclusion_unknown']}")
    exclusions = _loads(facts.get("member_exclusions"), [])
    exclusions = exclusions if isinstance(exclusions, list) else [exclusions]
    if exclusions:
        out.append(f"  {t['not_counted']}:")
        for e in exclusions:
            rest = ", ".join(f"{k}={v if v is not None else '—'}" for k, v in e.items()
                             if k not in ("person_key", "reason"))
            reason = e.get("reason") or ""
            out.append(f"    - {e.get('person_key')}: {t.get(reason, reason)} ({reason}; {rest})")
    return out


def _formulas(trace: dict[str, Any], t: dict[str, str], lang: str) -> list[str]:
    values = trace["decision"].get("formulas") or {}
    return [line for f in trace["policy"].get("formulas", []) for line in (
        f"  {f['name']}  {f.get(f'title_{lang}', f['name'])}",
        f"    = {f.get('formula', '')} = {_num(values.get(f['name']))}")]


def _rule(result: dict[str, Any], meta: dict[str, Any], ur: str | None, t: dict[str, str], lang: str) -> list[str]:
    title = meta.get(f"title_{lang}", result["rule_id"])
    out = [f"  [{result['rule_id']}] {title}  {t['holds'] if result.get('fired') else t['not_holds']}"]
    head = f"{t['ruleset']} {result.get('ruleset')} · {t['version']} {result.get('rule_version')}"
    if result.get("flag_code"):
        tier = TIERS.get(lang, {}).get(result.get("tier"), result.get("tier"))
        head += f" · {t['flag']} {result['flag_code']} ({t['tier']}: {tier})"
    out.append(f"    {head}")
    if not result.get("in_force", True):
        span = validity_span(meta.get("effective_from"), meta.get("effective_to"), t)
        out.append(f"    ** {t['not_in_force']}: {span} **")
    out.append(f"    {t['test']}: {result.get('value_expression')} {result.get('op')} {result.get('threshold_expression')}")
    out.append(f"    {t['computed']}: {_num(result.get('value'))} {result.get('op')} {_num(result.get('threshold'))}")
    if result.get("requires"):
        out.append(f"    {t['requires']}: {result['requires']}")
    if result.get("unless"):
        out.append(f"    {t['unless']}: {result['unless']}")
    if meta.get("legal_basis"):
        out.append(f"    {t['legal_basis']}: {meta['legal_basis']}")
    if result.get("margin") is not None:
        pct = f"{result['margin'] * 100:+,.2f}%"
        out.append(f"    {t['margin']}: {pct}" + (f"  [{t['borderline']}]" if result.get("borderline") else ""))
    inputs = _loads(result.get("inputs"), {})
    if inputs:
        out.append(f"    {t['inputs']}: " + "; ".join(f"{k} = {_num(v)}" for k, v in inputs.items()))
    params = _params(result)
    if params:
        out.append(f"    {t['parameters']}:")
    for p in params:
        conf = CONFIDENCE[lang].get(p.get("confidence"), p.get("confidence"))
        span = validity_span(p.get("effective_from"), p.get("effective_to"), t)
        out.append(f"      {p.get('name')} = {parameter_value_text(p.get('value'), ur, t)}  ({span}; {t['confidence']}: {conf})")
        out.append(f"        {t['reference']}: {p.get('reference') or '—'}")
        if p.get("district"):
            out.append(f"        {t['district']}: {_region(p['district'])}")
        out.append(f"        {t['file']}: {p.get('file')}")
    if result.get("fired") and result.get("flag_code"):
        out.append(f"    → {t['raises']} {result['flag_code']}")
    return out


def render_trace(trace: dict[str, Any], lang: str = "zh") -> str:
    """The trace as plain text (no markup), in Chinese or with lang="en" in English."""
    lang = "en" if lang == "en" else "zh"
    t = TEXT[lang]
    d, policy = trace["decision"], trace["policy"]
    statuses = {s["status"]: s for s in policy.get("statuses", [])}
    status = statuses.get(d.get("status"), {})
    rules = {r["id"]: r for r in policy.get("rules", [])}
    programmes = {p["name"]: p for p in policy.get("programmes", [])}
    lines = [
        f"{t['title']} · {t['household']} {trace['household_id']} · {t['month']} {trace.get('month')} · "
        f"{t['run']} {trace.get('run_id')}",
        f"!! {t['notice']}",
        f"{t['policy']}: {(policy.get('title_zh', '') + ' ') if lang == 'zh' else ''}{d.get('ruleset')} "
        f"{d.get('ruleset_version')} ({t['applied']} {policy.get('on')})",
        f"{t['outcome']}: {status.get(f'title_{lang}', d.get('status'))} ({d.get('status')}) · "
        f"{t['flags']}: {', '.join(d.get('rules_fired') or []) or t['none']}",
        "", t["facts"], *_facts(trace, t, lang), "", t["formulas"], *_formulas(trace, t, lang),
        "", t["rules"],
    ]
    for result in d.get("rule_results") or []:
        lines += [*_rule(result, rules.get(result["rule_id"], {}), d.get("urban_rural"), t, lang), ""]
    lines.append(t["programmes"])
    for p in d.get("programmes") or []:
        meta = programmes.get(p["programme"], {})
        lines.append(f"  {p['programme']} {meta.get(f'title_{lang}', '')} ({t['version']} {p.get('version')}): "
                     f"{t['eligible'] if p.get('eligible') else t['not_eligible']}")
        for cond in p.get("failed_conditions") or []:
            rid = cond.removeprefix("not ").strip()
            why = t["must_not_hold"] if cond.startswith("not ") else t["must_hold"]
            lines.append(f"    {t['failed']}: {rid} {rules.get(rid, {}).get(f'title_{lang}', '')} ({why})")
    lines += ["", t["status"],
              f"  {status.get(f'title_{lang}', d.get('status'))} ({d.get('status')})"]
    prog = programmes.get(status.get("programme") or "")
    if prog:
        lines.append(f"  {t['benefit_formula']}: {prog.get('benefit')}")
    lines += [f"  {t['benefit_computed']}: {_num(d.get('benefit_computed'))} {t['per_month']}",
              f"  {t['benefit_paid']}: {_num(d.get('benefit_amount'))} {t['per_month']}",
              "", t["end"]]
    return "\n".join(lines) + "\n"


def explain_household(data_dir: Path, run_id: str, household_id: str, lang: str = "zh") -> str:
    """The trace of one household of `runs/<run_id>` under the data directory, as text."""
    return render_trace(load_trace(Path(data_dir) / "runs" / run_id, household_id), lang)
