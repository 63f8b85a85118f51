"""Helpers for tests that compare whole runs: a subset of the sources, a run's output bytes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from pipelines.config import PROJECT_ROOT


def schemas_of(folder: Path, sources: tuple[str, ...]) -> Path:
    """A schemas folder with only `sources` (a run checks the sources configured: one schema each)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in sources:
        shutil.copy(PROJECT_ROOT / "schemas" / f"{name}.yaml", folder)
    return folder


def outputs(run_dir: Path) -> dict[str, bytes]:
    """Every output file of a run (the manifest's outputs and the manifest), by relative path."""
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    files = {"manifest.json": (run_dir / "manifest.json").read_bytes()}
    for name in manifest["outputs"]:
        path = run_dir / name
        for f in sorted(path.rglob("*") if path.is_dir() else [path]):
            if f.is_file() and not f.name.startswith((".", "_")):
                files[f.relative_to(run_dir).as_posix()] = f.read_bytes()
    return files
