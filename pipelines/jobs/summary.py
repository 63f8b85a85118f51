"""The monthly run's report: counts staff and supervisors read first, with no personal data.

Registries taken in (as-of date, its age at the month's end against the source's freshness limit,
rows clean and quarantined, gate outcome), households by status,
points for review by tier and code and by district, and the 漏保 leads; as JSON and one HTML page
(the review stage's templates, `summary.html`).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from pipelines.review.render import render
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


def render_summary_html(s: dict[str, Any]) -> str:
    """The summary as one self-contained printable page (template `summary.html`), zh with en beside."""
    return render("summary.html", s=s, lang="zh")


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
