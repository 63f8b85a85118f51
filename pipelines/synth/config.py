"""Settings of the synthetic generator: size, seed, month, noise rates and plant rates."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field, fields

from pipelines.errors import ConfigError


@dataclass(frozen=True)
class NoiseRates:
    """Probability that an eligible record gets each kind of noise.

    Eligibility: ID noise never touches hukou (public security is the authority) nor the records
    of planted households (typo, transposition, missing); `id_15_digit` only hits people born
    before 1985 in old systems (bank, real estate, vehicles, cremation); `id_missing` only
    sources whose ID column is optional; `traditional_chars` only names that OpenCC changes;
    `pinyin_name_bank` and `rare_char_placeholder` only bank names; dates and duplicate rows
    only CSV files (not the Excel, JSON Lines or Parquet ones). At most one ID noise per
    record; applicant households with a planted problem are protected like planted roster
    households.
    """

    id_typo: float = 0.01
    id_transposition: float = 0.005
    id_15_digit: float = 0.03
    id_missing: float = 0.01
    id_fullwidth_or_lowercase: float = 0.01
    traditional_chars: float = 0.03
    pinyin_name_bank: float = 0.15
    mixed_date_formats: float = 0.2
    duplicate_rows: float = 0.005
    # Bank systems that cannot store a rare character write "?" instead (names with one).
    rare_char_placeholder: float = 0.5


@dataclass(frozen=True)
class PlantRates:
    """Share of roster households receiving each planted problem or look-alike; for the
    applicant codes, applicant households failing that test, as a share of the roster size."""

    deceased_member: float = 0.02
    income_above_standard: float = 0.02
    financial_assets_above_limit: float = 0.02
    vehicle_owned: float = 0.02
    active_business: float = 0.02
    scrapped_car: float = 0.015
    disabled_wheelchair: float = 0.015
    revoked_business: float = 0.015
    savings_just_under: float = 0.015
    custody_member: float = 0.015
    resident_pension: float = 0.015
    state_payroll_member: float = 0.01
    old_provident_fund: float = 0.015
    # Applicant households (not on the roster) that fail a test, as a share of the roster
    # size; every other applicant household is eligible (APPLICANT_ELIGIBLE).
    applicant_vehicle_owned: float = 0.0015
    applicant_assets_above_limit: float = 0.0015
    applicant_income_above_standard: float = 0.0015


PROBLEMS = (
    "deceased_member",
    "income_above_standard",
    "financial_assets_above_limit",
    "vehicle_owned",
    "active_business",
    "state_payroll_member",
)
LOOKALIKES = (
    "scrapped_car",
    "disabled_wheelchair",
    "revoked_business",
    "savings_just_under",
    "custody_member",
    "resident_pension",
    "old_provident_fund",
)
# Codes of the new applications (truth/planted kind "application"): every applicant household
# carries exactly one; the last one is every applicant household without a planted problem.
APPLICANT_PROBLEMS = (
    "applicant_vehicle_owned",
    "applicant_assets_above_limit",
    "applicant_income_above_standard",
)
APPLICANT_CODES = (*APPLICANT_PROBLEMS, "applicant_eligible")
# Below this roster size a planted code may round to zero households.
MIN_HOUSEHOLDS_FOR_EVERY_CODE = 200


@dataclass(frozen=True)
class SynthConfig:
    """What to generate. `month` is the month checked; extracts are as of the day before it."""

    households: int = 2000
    seed: int = 20250701
    month: str = "2025-07"
    population_per_roster_person: float = 2.0
    # Months of social-insurance rows before `month`: the 12-month look-back plus two earlier
    # months, so that an engine reading the wrong window shows it.
    income_months: int = 14
    # New applicant households received in the month checked, per roster household.
    applications: float = 0.05
    noise: NoiseRates = field(default_factory=NoiseRates)
    plant: PlantRates = field(default_factory=PlantRates)

    def __post_init__(self) -> None:
        problems = []
        if not isinstance(self.households, int) or self.households < 1:
            problems.append(f"households must be a positive integer, got {self.households!r}")
        if self.population_per_roster_person < 0:
            problems.append("population_per_roster_person must be >= 0")
        if not 0 <= self.applications <= 1:
            problems.append(f"applications must be in [0, 1], got {self.applications}")
        if self.income_months < 12:
            problems.append(f"income_months must be >= 12, got {self.income_months}")
        try:
            self.month_start  # noqa: B018 - parse once to report a bad month early
        except ValueError:
            problems.append(f"month must be YYYY-MM, got {self.month!r}")
        for group in (self.noise, self.plant):
            for f in fields(group):
                value = getattr(group, f.name)
                if not 0 <= value <= 1:
                    problems.append(
                        f"{type(group).__name__}.{f.name} must be in [0, 1], got {value}"
                    )
        if problems:
            raise ConfigError(problems)

    @property
    def month_start(self) -> dt.date:
        year, month = self.month.split("-")
        return dt.date(int(year), int(month), 1)

    @property
    def as_of(self) -> dt.date:
        """Extract date: the last day of the month before the month checked."""
        return self.month_start - dt.timedelta(days=1)

    @property
    def month_end(self) -> dt.date:
        """Last day of the month checked: the date of the applications extract."""
        start = self.month_start
        nxt = dt.date(start.year + start.month // 12, start.month % 12 + 1, 1)
        return nxt - dt.timedelta(days=1)

    def applicant_households(self) -> int:
        """Applicant households: a share of the roster size, at least one per applicant code
        from MIN_HOUSEHOLDS_FOR_EVERY_CODE roster households."""
        n = round(self.applications * self.households)
        if self.applications > 0 and self.households >= MIN_HOUSEHOLDS_FOR_EVERY_CODE:
            n = max(n, len(APPLICANT_CODES))
        return int(n)

    def planted_count(self, code: str) -> int:
        """Households planted with `code` (lower-case field name of PlantRates)."""
        share = getattr(self.plant, code)
        n = round(share * self.households)
        if share > 0 and self.households >= MIN_HOUSEHOLDS_FOR_EVERY_CODE:
            n = max(n, 1)
        return int(n)

    def to_dict(self) -> dict:
        return asdict(self)


def random_streams(seed: int):
    """Independent random generators per named step, so that changing one step's draws leaves
    the others unchanged. crc32, not hash(): string hashing is salted per process."""
    import zlib

    import numpy as np

    def stream(name: str) -> np.random.Generator:
        return np.random.default_rng([seed, zlib.crc32(name.encode("utf-8"))])

    return stream
