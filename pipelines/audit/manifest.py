"""The run manifest: what went in (with hashes), which rules, which settings, what came out.

`manifest.json` holds only what the inputs, rules and settings determine, so the same run is
byte-identical; timings and host live beside it in `run_log.json`.
"""

from __future__ import annotations

import hashlib
import platform
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from pipelines.policy import RuleSet
from pipelines.storage import write_json


def policy_file_digests(ruleset: RuleSet) -> dict[str, str]:
    """The SHA-256 of every rule, formula and parameter file the policy read, by relative path."""
    return {ruleset.params.display(f): hashlib.sha256(Path(f).read_bytes()).hexdigest()
            for f in sorted(ruleset.files, key=ruleset.params.display)}


def ruleset_record(ruleset: RuleSet) -> dict[str, Any]:
    """The policy's name, version, programmes, rules and the SHA-256 of every file it read."""
    return {
        "name": ruleset.name,
        "version": ruleset.version,
        "programmes": {p.name: p.version for p in ruleset.programmes},
        "rules": [{"id": r.id, "version": r.version, "flag_code": r.flag_code} for r in ruleset.rules],
        "files": policy_file_digests(ruleset),
    }


def engine_version() -> str:
    try:
        return metadata.version("welfare-verify")
    except metadata.PackageNotFoundError:
        return "unknown"


class RunLog:
    """Wall-clock timings of the stages, kept out of the deterministic manifest."""

    def __init__(self) -> None:
        self.started = time.time()
        self.stages: dict[str, float] = {}
        self.notes: dict[str, object] = {}
        self._t = time.perf_counter()

    def stage_done(self, name: str) -> None:
        now = time.perf_counter()
        self.stages[name] = round(now - self._t, 3)
        self._t = now

    def write(self, path: Path, status: str, error: str | None = None) -> None:
        write_json(
            {
                "status": status,
                "error": error,
                "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(self.started)),
                "seconds_total": round(time.time() - self.started, 3),
                "seconds_by_stage": self.stages,
                "notes": self.notes,
                "host": platform.node(),
                "python": platform.python_version(),
            },
            path,
        )
