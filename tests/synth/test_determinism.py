"""Same config → byte-identical files; another seed → other data."""

from __future__ import annotations

from pipelines.synth import SynthConfig, generate
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
    assert len(first) >= 9 + 9 + 3  # landing files, clean truth, links/planted/meta
    different = [name for name in first if first[name] != second[name]]
    assert different == []


def test_other_seed_gives_other_data(small, tmp_path):
    generate(SynthConfig(households=300, seed=7), tmp_path, RULES)
    first, second = _files(small.dir), _files(tmp_path)
    for name in ("landing/roster/2025-06-30/roster_20250630.csv", "truth/links.parquet"):
        assert first[name] != second[name], name


def test_no_temporary_files_left(small):
    assert not [p for p in small.dir.rglob("*.tmp")]
