"""What a reviewer reads of a finished run, from its files (pyarrow only, no Spark job).

- `trace`: one household's evaluation step by step as plain text (`welfare-verify explain`);
- `case_file`: one household's flags with evidence, rule trace and linked records, masked by
  default (`build_case`, `write_case`), rendered by `case_html`;
- `application_report`: the 核对报告 of each new application, every member against every
  registry (`build_report`, `write_reports`), rendered by `report_html`;
- the pages: Jinja2 templates under `templates/` (one layout, `base.html`, and one stylesheet),
  rendered by `render`, their zh/en words in one catalogue, `messages`.

`trace` loads with the package; the others import the household and link stages (and so
PySpark), so their names load on first use and `explain` starts without PySpark.
"""

from __future__ import annotations

from pipelines.lazy import lazy_names
from pipelines.review.trace import explain_household, load_trace, render_trace

# name → module of this package that defines it, imported on first use
_LAZY = {
    "balance_sources": "case_file",
    "build_case": "case_file",
    "write_case": "case_file",
    "render_case_html": "case_html",
    "APPLICANT_COLUMNS": "application_report",
    "build_report": "application_report",
    "render_report_html": "report_html",
    "render_report_index": "report_html",
    "write_reports": "application_report",
}

__all__ = [
    "APPLICANT_COLUMNS",
    "balance_sources",
    "build_case",
    "build_report",
    "explain_household",
    "load_trace",
    "render_case_html",
    "render_report_html",
    "render_report_index",
    "render_trace",
    "write_case",
    "write_reports",
]


__getattr__ = lazy_names(__name__, _LAZY)
