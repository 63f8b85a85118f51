"""What a gate found: a deterministic summary per expectation, the critical failures in words."""

from __future__ import annotations

import datetime as dt
import decimal
from dataclasses import dataclass, field
from typing import Any

from pipelines.errors import EngineError
from pipelines.intake.gates.suite import (
    EMPTY_EXTRACT,
    INVALID_ROW_SHARE,
    MISSING_COLUMN,
    MISSING_REQUIRED,
    ROW_COUNT_COLLAPSE,
    ROW_COUNT_GROWTH,
)


@dataclass(frozen=True)
class GateFailure:
    """One failed critical expectation; `observed` and `expected` are figures in words."""

    expectation: str
    column: str | None
    reason: str
    observed: str
    expected: str
    text: str  # the whole finding in one clause, as message() prints it

    def as_dict(self) -> dict[str, Any]:
        return {
            "expectation": self.expectation,
            "column": self.column,
            "reason": self.reason,
            "observed": self.observed,
            "expected": self.expected,
        }


@dataclass
class GateResult:
    source: str
    success: bool
    critical: list[GateFailure]
    expectations: list[dict[str, Any]]
    seconds: float
    files: list[str] = field(default_factory=list)
    docs_index: str | None = None

    def message(self) -> str:
        """One paragraph: the source, its file(s), each critical failure, where the docs are."""
        files = ", ".join(self.files) if self.files else "(no file named)"
        what = f"{self.source}: extract{'s' if len(self.files) > 1 else ''} {files}"
        docs = f" See {self.docs_index}." if self.docs_index else ""
        if not self.success:
            return f"{what} rejected: {'; '.join(f.text for f in self.critical)}.{docs}"
        flagged = [e for e in self.expectations if not e["success"]]
        if not flagged:
            return f"{what} passed all {len(self.expectations)} checks.{docs}"
        return f"{what} passed the gate; row checks found {', '.join(map(_finding, flagged))}.{docs}"

    def raise_if_rejected(self) -> None:
        if not self.success:
            raise GateRejected(self)

    def as_dict(self) -> dict[str, Any]:
        """For the run manifest: no timings, no GE run ids, so the same input gives the same bytes."""
        return {
            "source": self.source,
            "success": self.success,
            "critical": [f.as_dict() for f in self.critical],
            "expectations": self.expectations,
        }


class GateRejected(EngineError):
    """A registry extract failed a critical expectation; the run stops with the gate's report."""

    def __init__(self, result: GateResult):
        self.result = result
        super().__init__(result.message())


def summarise(config: dict[str, Any], meta: dict[str, Any], success: bool,
              result: dict[str, Any], error: str | None) -> dict[str, Any]:
    """One expectation's outcome as plain, stable JSON values (no timestamps, no ids)."""
    kwargs = {k: _plain(v) for k, v in config["kwargs"].items()
              if k in ("min_value", "max_value", "mostly") and v is not None}
    column = config["kwargs"].get("column")
    if column is None and config["kwargs"].get("column_list"):
        column = "|".join(config["kwargs"]["column_list"])
    percent = result.get("unexpected_percent")
    out = {
        "expectation": config["type"],
        "column": column,
        "severity": meta["severity"],
        "reason": meta["reason"],
        "success": bool(success),
        "element_count": result.get("element_count"),
        "unexpected_count": result.get("unexpected_count"),
        "unexpected_percent": None if percent is None else round(float(percent), 4),
        "observed_value": _plain(result.get("observed_value")),
        "expected": kwargs,
    }
    if error is not None:
        out["error"] = error
    return out


def describe(summary: dict[str, Any], meta: dict[str, Any]) -> GateFailure:
    """A failed critical expectation in plain words, with the observed and expected figures."""
    reason, column = summary["reason"], summary["column"]
    tag = f"[{summary['expectation']}{f' on {column}' if column else ''}]"
    if summary.get("error"):
        observed, expected = "not evaluated", "a result"
        text = f"check {reason} could not be evaluated ({summary['error']}) {tag}"
    elif reason == EMPTY_EXTRACT:
        observed, expected = "0 rows", "at least 1 row"
        text = f"the extract has no rows {tag}"
    elif reason in (ROW_COUNT_COLLAPSE, ROW_COUNT_GROWTH):
        rows, previous = summary["observed_value"], meta["previous_rows"]
        observed = f"{_count(rows)} rows"
        if reason == ROW_COUNT_COLLAPSE:
            expected = f"at least {_count(summary['expected']['min_value'])} rows"
            text = (f"row count {_count(rows)} is below {100 * (1 - meta['limit']):g} % of the "
                    f"previous extract's {_count(previous)} {tag}")
        else:
            expected = f"at most {_count(summary['expected']['max_value'])} rows"
            text = (f"row count {_count(rows)} is above {meta['limit']:g} × the previous "
                    f"extract's {_count(previous)} {tag}")
    elif reason == MISSING_COLUMN:
        observed, expected = "column absent", "column present"
        text = f"required column {column} is missing {tag}"
    else:
        bad = summary["unexpected_percent"] or 0.0
        if reason == MISSING_REQUIRED:
            limit = 100 * meta["limit"]
            observed, expected = f"{_pct(bad, limit)} empty", f"at most {_pct(limit)}"
            text = (f"required column {column} is empty or unreadable (wrong type, unknown code) "
                    f"in {_pct(bad, limit)} of rows "
                    f"(limit {_pct(limit)}) {tag}")
        elif reason == INVALID_ROW_SHARE:
            limit = 100 * meta["limit"]
            observed, expected = f"{_pct(bad, limit)} of rows", f"at most {_pct(limit)}"
            text = f"{_pct(bad, limit)} of rows fail a row check (limit {_pct(limit)}) {tag}"
        else:  # a rate check: share of valid values among the non-empty ones
            limit = 100 * meta["limit"]
            good = 100 - bad
            observed, expected = f"{_pct(good, limit)} valid", f"at least {_pct(limit)}"
            text = (f"only {_pct(good, limit)} of the non-empty {meta['column']} values are valid "
                    f"({reason}; at least {_pct(limit)} required) {tag}")
    return GateFailure(summary["expectation"], column, reason, observed, expected, text)


def _finding(summary: dict[str, Any]) -> str:
    """A failed row expectation in a few words, for the message of an accepted extract."""
    where = f"{summary['reason']} on {summary['column']}"
    if summary.get("error"):
        return f"{where} (not evaluated: {summary['error']})"
    if summary.get("unexpected_count") is not None:
        n = summary["unexpected_count"]
        return f"{where} ({_count(n)} row{'' if n == 1 else 's'}, quarantined)"
    return where


def _pct(value: float, against: float | None = None) -> str:
    """`34.0 %`; more decimals when one would print a failing share equal to its limit."""
    for places in range(1, 6):
        text = f"{value:.{places}f}"
        if against is None or text != f"{against:.{places}f}":
            return f"{text} %"
    return f"{value} %"


def _count(n: object) -> str:
    return f"{n:,}" if isinstance(n, int) else str(n)


def _plain(value: object) -> object:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value) if value != value.to_integral_value() else int(value)
    return value
