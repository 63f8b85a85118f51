"""Same config → byte-identical files; another seed → other data."""

from __future__ import annotations

import zipfile

from pipelines.synth import SOURCES, SynthConfig, generate
from tests.synth.conftest import RULES


def _files(root):
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_same_seed_gives_identical_bytes(small, tmp_path):
    generate(SynthConfig(households=300), tmp_path, RULES)
    first, second = _files(small.dir), _files(tmp_path)
    assert sorted(first) == sorted(second)
    # landing files, clean truth, links/planted/meta/flags
    assert len(first) >= len(SOURCES) + len(SOURCES) + 4
    for source in SOURCES:
        assert small.summary.files[source] in first, source
    different = [name for name in first if first[name] != second[name]]
    assert different == []


def test_workbook_carries_no_clock(small):
    """openpyxl stamps the current time in docProps/core.xml and on every zip entry; the
    generator replaces both, which is what makes the .xlsx bytes repeatable."""
    path = small.landing("disability")
    with zipfile.ZipFile(path) as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        core = z.read("docProps/core.xml").decode("utf-8")
    assert core.count("2000-01-01T00:00:00Z") == 2


def test_other_seed_gives_other_data(small, tmp_path):
    generate(SynthConfig(households=300, seed=7), tmp_path, RULES)
    first, second = _files(small.dir), _files(tmp_path)
    for name in ("landing/roster/2025-06-30/roster_20250630.csv", "truth/links.parquet"):
        assert first[name] != second[name], name


def test_no_temporary_files_left(small):
    assert not [p for p in small.dir.rglob("*.tmp")]
