"""The monthly run's report: counts staff and supervisors read first, with no personal data.

Registries taken in (as-of date, its age at the month's end against the source's freshness limit,
rows clean and quarantined, gate outcome), households by status,
points for review by tier and code and by district, and the 漏保 leads; as JSON and one HTML page.
"""

from __future__ import annotations

import json
from collections import Counter
from html import escape
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from pipelines.standardize.counties import region_name
from pipelines.storage import atomic_path


def build_summary(run_dir: Path) -> dict[str, Any]:
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    flags = pq.read_table(run_dir / "flags" / "flags.parquet",
                          columns=["flag_code", "tier", "region_code"]).to_pylist()
    stages = manifest["stages"]
    by_district = Counter((f["region_code"], f["flag_code"]) for f in flags)
    return {
        "run_id": manifest["run_id"],
        "month": manifest["month"],
        "ruleset": manifest["ruleset"].get("name"),
        "sources": {s: _source(info) for s, info in manifest["sources"].items()},
        "households": stages.get("households", {}).get("rows"),
        "by_status": stages.get("decisions", {}).get("by_status", {}),
        "flags": len(flags),
        "by_tier": dict(sorted(Counter(f["tier"] for f in flags).items())),
        "by_code": dict(sorted(Counter(f["flag_code"] for f in flags).items())),
        "by_district": [
            {"region_code": r, "region_name": region_name(r), "flag_code": c, "count": n}
            for (r, c), n in sorted(by_district.items(), key=lambda kv: (str(kv[0][0]), kv[0][1]))
        ],
        "possibly_eligible": stages.get("possibly_eligible", {}).get("rows"),
    }


def _source(info: dict[str, Any]) -> dict[str, Any]:
    """A source's line: its extract's counts and gate, and its age against its freshness limit."""
    out: dict[str, Any] = {"extract": None}
    if info.get("as_of"):
        out = {k: v for k, v in info.items() if k in ("as_of", "rows_in", "rows_clean", "rows_quarantined")}
        out["gate_passed"] = info.get("gate", {}).get("success")
    return out | {k: v for k, v in info.get("freshness", {}).items()
                  if k in ("age_days", "max_age_months", "oldest_as_of")}


def _rows(pairs: dict[str, Any]) -> str:
    return "".join(f"<tr><td>{escape(str(k))}</td><td class=n>{escape(str(v))}</td></tr>"
                   for k, v in pairs.items())


def _limit(info: dict[str, Any]) -> str:
    if info.get("max_age_months") is None:
        return ""
    return f"{info['max_age_months']} 个月 months (≥ {info['oldest_as_of']})"


def render_summary_html(s: dict[str, Any]) -> str:
    sources = "".join(
        f"<tr><td>{escape(name)}</td><td>{escape(str(info.get('as_of', '无 none')))}</td>"
        f"<td class=n>{info.get('age_days', '')}</td><td>{escape(_limit(info))}</td>"
        f"<td class=n>{info.get('rows_clean', '')}</td><td class=n>{info.get('rows_quarantined', '')}</td>"
        f"<td>{'' if 'gate_passed' not in info else ('通过 passed' if info['gate_passed'] else '拒收 rejected')}</td></tr>"
        for name, info in s["sources"].items())
    districts = "".join(
        f"<tr><td>{escape(str(d['region_code']))} {escape(d['region_name'] or '')}</td>"
        f"<td>{escape(d['flag_code'])}</td><td class=n>{d['count']}</td></tr>" for d in s["by_district"])
    return f"""<!doctype html>
<html lang="zh"><head><meta charset="utf-8"><title>月度核对报告 {escape(s['run_id'])}</title>
<style>body{{font-family:"WenQuanYi Micro Hei","Noto Sans CJK SC",sans-serif;margin:2em;max-width:60em}}
table{{border-collapse:collapse;margin:.5em 0 1.5em}}td,th{{border:1px solid #bbb;padding:.2em .6em}}
td.n{{text-align:right}}</style></head><body>
<h1>低保月度核对报告 Monthly verification report</h1>
<p>{escape(s['run_id'])} · {escape(s['month'])} · {escape(str(s['ruleset']))} ·
核对家庭 households checked: {s['households']} · 待核实事项 points for review: {s['flags']} ·
可能符合条件 possibly eligible: {s['possibly_eligible']}</p>
<p>提示：以下为需要工作人员核实的事项，不是对任何家庭的决定。 These are points for staff to review, not decisions.</p>
<h2>数据来源 Registries</h2>
<p>时效：数据截至日期距核对月份最后一天的天数；期限：该来源允许的最长月数及最早可用的截至日期。
Age: days from the as-of date to the last day of the month checked; limit: the source's freshness
limit in months and the oldest as-of date it accepts.</p>
<table><tr><th>来源 source</th><th>截至 as of</th><th>时效 age (days)</th><th>期限 limit</th><th>有效行 clean</th>
<th>隔离行 quarantined</th><th>质量关 gate</th></tr>{sources}</table>
<h2>核对结果 Status</h2><table>{_rows(s['by_status'])}</table>
<h2>按层级 By tier</h2><table>{_rows(s['by_tier'])}</table>
<h2>按代码 By code</h2><table>{_rows(s['by_code'])}</table>
<h2>按区县 By district</h2><table><tr><th>区县 district</th><th>代码 code</th><th>数量 count</th></tr>{districts}</table>
</body></html>
"""


def write_summary(run_dir: Path) -> Path:
    """`report/summary.json` and `report/summary.html` of a finished run; returns the HTML path."""
    summary = build_summary(run_dir)
    out = run_dir / "report"
    html_path = out / "summary.html"
    for path, text in ((out / "summary.json", json.dumps(summary, ensure_ascii=False, sort_keys=True, indent=1) + "\n"),
                       (html_path, render_summary_html(summary))):
        with atomic_path(path) as tmp:
            tmp.write_text(text, encoding="utf-8")
    return html_path
