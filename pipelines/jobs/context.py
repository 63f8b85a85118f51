"""Where a run's stages read and write: the run directory, its month or day, and each stage's state.

A run is a monthly roster check (`<month>-monthly`) or a day's applications (`<day>-applications`).
Stages pass paths, not data: each writes its outputs under `runs/<run_id>/` and a small JSON state
(`state/<stage>.json`, counts and figures for the manifest) the later stages read, so the same
stages run in one process (`welfare-verify run`) or one per Airflow task or spark-submit.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines.config import Settings
from pipelines.errors import InputError
from pipelines.paths import check_name, inside
from pipelines.storage import write_json

KINDS = ("monthly", "applications")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def monthly_run_id(month: str) -> str:
    return f"{month}-monthly"


def applications_run_id(day: str) -> str:
    return f"{day}-applications"


@dataclass(frozen=True)
class RunContext:
    settings: Settings
    run_id: str
    kind: str = "monthly"
    day: str | None = None  # the day whose applications are checked (kind "applications")

    def __post_init__(self) -> None:
        # the run id becomes a folder the start stage clears: a path here would clear that path
        check_name(self.run_id, "run id (--run-id)")
        inside(self.settings.data_dir, self.run_dir, "run id (--run-id)")
        if self.kind not in KINDS:
            raise InputError(f"run kind '{self.kind}': expected one of {', '.join(KINDS)}")
        if self.settings.month is None:
            raise InputError("no month to check: pass --month YYYY-MM")
        if self.kind == "applications":
            if self.day is None or not _DAY.match(self.day):
                raise InputError(f"applications run: day '{self.day}' is not YYYY-MM-DD")
            try:
                dt.date.fromisoformat(self.day)
            except ValueError:
                raise InputError(f"applications run: day '{self.day}' is not a date") from None
            if not self.day.startswith(self.settings.month):
                raise InputError(f"day {self.day} is not in month {self.settings.month}")

    @classmethod
    def monthly(cls, settings: Settings, run_id: str | None = None) -> RunContext:
        month = settings.month
        if month is None:
            raise InputError("no month to check: pass --month YYYY-MM")
        return cls(settings, run_id or monthly_run_id(month))

    @classmethod
    def applications(cls, settings: Settings, day: str, run_id: str | None = None) -> RunContext:
        return cls(settings.model_copy(update={"month": day[:7]}), run_id or applications_run_id(day),
                   "applications", day)

    @property
    def month(self) -> str:
        return self.settings.month  # type: ignore[return-value]

    @property
    def data_dir(self) -> Path:
        return self.settings.data_dir

    @property
    def run_dir(self) -> Path:
        return self.settings.data_dir / "runs" / self.run_id

    @property
    def state_dir(self) -> Path:
        return self.run_dir / "state"

    def args(self) -> list[str]:
        """The `python -m pipelines.jobs` arguments that name this run."""
        out = ["--data", str(self.data_dir), "--month", self.month, "--run-id", self.run_id,
               "--kind", self.kind]
        return out + (["--day", self.day] if self.day else [])

    # state of the stages
    def state_path(self, stage: str, source: str | None = None) -> Path:
        return self.state_dir / stage / f"{source}.json" if source else self.state_dir / f"{stage}.json"

    def save(self, stage: str, data: dict[str, Any], source: str | None = None) -> None:
        write_json(data, self.state_path(stage, source))

    def load(self, stage: str, source: str | None = None) -> dict[str, Any]:
        path = self.state_path(stage, source)
        if not path.is_file():
            what = f"stage '{stage}'" + (f" of source '{source}'" if source else "")
            raise InputError(f"run {self.run_id}: {what} has not finished ({path} is missing)")
        return json.loads(path.read_text(encoding="utf-8"))

    def done(self, stage: str, source: str | None = None) -> bool:
        return self.state_path(stage, source).is_file()
