"""The case file as one self-contained HTML page (template `case.html`): inline CSS, no scripts,
no external assets.

Chinese first with the English label beside it (or English only with lang="en"), printable on
A4. Every text from the data is escaped. The page says on top that a flag is a point for review,
not a decision: it never changes a payment; the caseworker decides.
"""

from __future__ import annotations

from typing import Any

from pipelines.review.render import render


def render_case_html(case: dict[str, Any], lang: str = "zh") -> str:
    """The case file as one self-contained, printable HTML page (Chinese, or English with lang="en")."""
    return render("case.html", case=case, lang=lang)
