"""The Great Expectations suite of one registry extract, derived from its schema.

Each expectation carries `meta = {severity, reason, column}`. Critical expectations look at the
whole extract (row count, required columns, ID validity, share of bad rows) and reject it; row
expectations only report, because the validate stage quarantines the failing rows itself.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pipelines.intake.gates._ge import gx
from pipelines.intake.validate import id_valid_column
from pipelines.schemas import Check, Schema
from pipelines.standardize.counties import CHONGQING, RETIRED

if TYPE_CHECKING:
    from great_expectations import ExpectationSuite
    from great_expectations.expectations import Expectation

CRITICAL = "critical"
ROW = "row"

# Reason codes of the gate's own expectations; the row checks use the schema's (CHECKS) and
# validate's (UNKNOWN_CODE) so that a reason reads the same in the manifest and in quarantine.
EMPTY_EXTRACT = "EMPTY_EXTRACT"
ROW_COUNT_COLLAPSE = "ROW_COUNT_COLLAPSE"
ROW_COUNT_GROWTH = "ROW_COUNT_GROWTH"
MISSING_COLUMN = "MISSING_COLUMN"
MISSING_REQUIRED = "MISSING_REQUIRED"
INVALID_ROW_SHARE = "INVALID_ROW_SHARE"
UNKNOWN_CODE = "UNKNOWN_CODE"
DUPLICATE_KEY = "DUPLICATE_KEY"

ROW_OK = "_row_ok"  # helper column set by the caller: True when the row passed every row check
REGION_CODES = tuple(sorted({*CHONGQING, *RETIRED}))


@dataclass(frozen=True)
class GateLimits:
    """When an extract is rejected as a whole rather than cleaned row by row."""

    max_invalid_row_share: float = 0.05  # rows failing a row check, a required value or a type
    max_row_count_drop: float = 0.5  # fewer than (1 - this) x the previous extract's rows
    max_row_count_growth: float = 3.0  # more than this x the previous extract's rows

    def __post_init__(self) -> None:
        if not 0 <= self.max_invalid_row_share <= 1:
            raise ValueError(f"max_invalid_row_share {self.max_invalid_row_share}: expected 0..1")
        if not 0 <= self.max_row_count_drop <= 1:
            raise ValueError(f"max_row_count_drop {self.max_row_count_drop}: expected 0..1")
        if self.max_row_count_growth < 1:
            raise ValueError(f"max_row_count_growth {self.max_row_count_growth}: expected >= 1")


def build_suite(
    schema: Schema,
    limits: GateLimits | None = None,
    previous_rows: int | None = None,
    as_of: dt.date | None = None,
) -> ExpectationSuite:
    """The suite for one extract of `schema`; `as_of` resolves `max: as_of` in date checks."""
    gxe = gx().expectations
    limits = limits or GateLimits()
    ok_share = _share(1 - limits.max_invalid_row_share)
    out: list[Expectation] = []

    def add(cls: type, severity: str, reason: str, about: str | None, extra: dict | None = None,
            **kwargs: Any) -> None:
        meta = {"severity": severity, "reason": reason, "column": about, **(extra or {})}
        # GE's own severity field is what Data Docs and other GE tooling understand.
        out.append(cls(meta=meta, severity="critical" if severity == CRITICAL else "warning",
                       **kwargs))

    # --- critical: the extract as a whole
    add(gxe.ExpectTableRowCountToBeBetween, CRITICAL, EMPTY_EXTRACT, None, min_value=1)
    if previous_rows:
        floor = math.ceil(round(previous_rows * (1 - limits.max_row_count_drop), 6))
        ceiling = math.floor(round(previous_rows * limits.max_row_count_growth, 6))
        context = {"previous_rows": previous_rows}
        add(gxe.ExpectTableRowCountToBeBetween, CRITICAL, ROW_COUNT_COLLAPSE, None,
            {**context, "limit": limits.max_row_count_drop}, min_value=floor)
        add(gxe.ExpectTableRowCountToBeBetween, CRITICAL, ROW_COUNT_GROWTH, None,
            {**context, "limit": limits.max_row_count_growth}, max_value=ceiling)
    required = [c.name for c in schema.columns if c.required]
    for name in required:
        add(gxe.ExpectColumnToExist, CRITICAL, MISSING_COLUMN, name, column=name)
    for name in required:
        add(gxe.ExpectColumnValuesToNotBeNull, CRITICAL, MISSING_REQUIRED, name,
            {"limit": limits.max_invalid_row_share}, column=name, mostly=ok_share)
    for check in schema.checks:
        if check.kind == "id_checksum":
            share = _share(check.min_valid_share if check.min_valid_share is not None else ok_share)
            add(gxe.ExpectColumnValuesToBeInSet, CRITICAL, check.reason, check.column,
                {"limit": share}, column=id_valid_column(check.column), value_set=[True],
                mostly=share)
    add(gxe.ExpectColumnValuesToBeInSet, CRITICAL, INVALID_ROW_SHARE, None,
        {"limit": limits.max_invalid_row_share}, column=ROW_OK, value_set=[True], mostly=ok_share)

    # --- row: report only; the validate stage quarantines these rows with the same reason
    for col in schema.columns:
        if col.type == "code":
            add(gxe.ExpectColumnValuesToBeInSet, ROW, UNKNOWN_CODE, col.name, column=col.name,
                value_set=sorted(set(col.codes.values())))
    for check in schema.checks:
        if check.kind != "id_checksum":
            cls, kwargs = _row_check(check, as_of)
            add(cls, ROW, check.reason, check.column, column=check.column, **kwargs)
    if len(schema.key) == 1:
        add(gxe.ExpectColumnValuesToBeUnique, ROW, DUPLICATE_KEY, schema.key[0],
            column=schema.key[0])
    else:
        add(gxe.ExpectCompoundColumnsToBeUnique, ROW, DUPLICATE_KEY, "|".join(schema.key),
            column_list=list(schema.key))
    return gx().ExpectationSuite(name=schema.source, expectations=out,
                                 meta={"schema": schema.source, "title_zh": schema.title_zh})


def _row_check(check: Check, as_of: dt.date | None) -> tuple[type, dict[str, Any]]:
    gxe = gx().expectations
    if check.kind == "date_range":
        return gxe.ExpectColumnValuesToBeBetween, {
            "min_value": _date_bound(check.min, as_of, check),
            "max_value": _date_bound(check.max, as_of, check),
        }
    if check.kind == "non_negative":
        return gxe.ExpectColumnValuesToBeBetween, {"min_value": 0}
    if check.kind == "in_range":
        return gxe.ExpectColumnValuesToBeBetween, {"min_value": check.min, "max_value": check.max}
    if check.kind == "region_code":
        return gxe.ExpectColumnValuesToBeInSet, {"value_set": list(REGION_CODES)}
    raise ValueError(f"check '{check.kind}' on column '{check.column}' has no expectation")


def _date_bound(value: object, as_of: dt.date | None, check: Check) -> dt.date | None:
    if value is None:
        return None
    if value == "as_of":
        if as_of is None:
            raise ValueError(f"date check on '{check.column}' is bounded by as_of: pass as_of")
        return as_of
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(
            f"date check on '{check.column}': bound {value!r} is neither an ISO date nor as_of"
        ) from None


def _share(value: float) -> float:
    """A share as GE's `mostly` accepts it, rid of float noise (1 - 0.05 = 0.95, not 0.9500001)."""
    return min(1.0, max(0.0, round(float(value), 10)))
