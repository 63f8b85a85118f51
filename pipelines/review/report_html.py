"""The 核对报告 as HTML: one self-contained printable page per application (`report.html`) and the
run's index of them (`report_index.html`), from the data `application_report` gathers.

Chinese first with the English beside (English only with lang="en"); every text from the data is
escaped; a masked report shows its masking notice, an unmasked one says that the view was logged.
"""

from __future__ import annotations

from typing import Any

from pipelines.review.render import render


def render_report_html(report: dict[str, Any], lang: str = "zh") -> str:
    """The report as one self-contained, printable HTML page (Chinese, or English with lang="en")."""
    return render("report.html", report=report, lang=lang)


def render_report_index(entries: list[dict[str, Any]], run: dict[str, Any], lang: str = "zh") -> str:
    """The index page of a run's reports: one line per application, linking its page."""
    return render("report_index.html", entries=entries, run=run, lang=lang)
