"""Checks shared by the tests that open a generated page in headless Chromium."""

from __future__ import annotations

from pathlib import Path


def assert_self_contained_and_printable(page, requested: list[str], shot: Path) -> None:
    """The page rendered something, loaded nothing but local files, and prints to A4."""
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 50_000  # a blank page compresses to a few kB
    assert all(url.startswith("file://") for url in requested), requested  # self-contained
    page.emulate_media(media="print")
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and len(pdf) > 20_000
