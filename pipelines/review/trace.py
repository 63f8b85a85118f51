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
from pipelines.review.messages import CONFIDENCE, TEXT, TIERS
from pipelines.standardize.counties import region_name

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
