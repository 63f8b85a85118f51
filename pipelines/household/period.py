"""The month a household is checked for, with the parameters in force on its first day.

Every stage of the household facts reads its thresholds from here (`Period.of`), so that none is
written in code.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pipelines.config import month_bounds, months_before
from pipelines.policy import ParameterSet


@dataclass(frozen=True)
class Period:
    """The month checked and the parameters in force on its first day."""

    month: str
    start: dt.date
    end: dt.date
    lookback_months: tuple[str, ...]
    excluded_income_types: tuple[str, ...]
    vehicle_exempt_types: tuple[str, ...]
    vehicle_counted_statuses: tuple[str, ...]
    vehicle_doubtful_statuses: tuple[str, ...]
    vehicle_doubtful_before: dt.date  # first registered on or before: doubtful by age
    dormant_before: dt.date  # last account activity before: a dormant account
    business_active_statuses: tuple[str, ...]
    business_counted_roles: tuple[str, ...]
    payroll_months: tuple[str, ...]
    residential_uses: tuple[str, ...]
    commercial_property_uses: tuple[str, ...]

    @classmethod
    def of(cls, month: str, params: ParameterSet) -> Period:
        start, end = month_bounds(month)
        n = int(params.at("dibao.income_lookback_months", start))

        def codes(name: str) -> tuple[str, ...]:
            return tuple(params.at(name, start))

        return cls(
            month=month,
            start=start,
            end=end,
            lookback_months=tuple(months_before(start, n)),
            excluded_income_types=codes("dibao.excluded_income_types"),
            vehicle_exempt_types=codes("dibao.vehicle_exempt_types"),
            vehicle_counted_statuses=codes("dibao.vehicle_counted_statuses"),
            vehicle_doubtful_statuses=codes("dibao.vehicle_doubtful_statuses"),
            vehicle_doubtful_before=start.replace(
                year=start.year - int(params.at("dibao.vehicle_doubtful_age_years", start))
            ),
            dormant_before=_months_back(start, int(params.at("dibao.dormant_account_months", start))),
            business_active_statuses=codes("dibao.business_active_statuses"),
            business_counted_roles=codes("dibao.business_counted_roles"),
            payroll_months=tuple(
                months_before(start, int(params.at("dibao.state_payroll_lookback_months", start)))
            ),
            residential_uses=codes("dibao.residential_uses"),
            commercial_property_uses=codes("dibao.commercial_property_uses"),
        )


def _months_back(day: dt.date, months: int) -> dt.date:
    """The same day `months` calendar months earlier (day is a month's first day)."""
    index = day.year * 12 + day.month - 1 - months
    return day.replace(year=index // 12, month=index % 12 + 1)
