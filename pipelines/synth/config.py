"""Settings of the synthetic generator: size, seed, month, noise rates and plant rates."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field, fields

from pipelines.errors import ConfigError


@dataclass(frozen=True)
class NoiseRates:
    """Probability that an eligible record gets each kind of noise; every kind applied is
    recorded by its field name in truth/links.parquet (`noise`, comma-joined), and the rates
    used are in truth/meta.json (`noise_rates`). Hukou (public security's own extract) gets
    none of it; every other source may.

    IDs, at most one kind per record (the five rates add up to at most 1). Typo,
    transposition and missing never touch the records of planted households; `id_15_digit`
    only hits people born before 1985 in old systems (bank, real estate, vehicles,
    cremation); `id_missing` only sources whose ID column is optional and that carry a phone
    or an address column: bank deposits, vehicles, provident fund, cremation (not business,
    real estate, social insurance). A record without an ID keeps its name and at least one
    current contact field: its address is never dropped when its phone is missing or
    outdated (cremation, which holds only an address, never loses it).

    Names: `pinyin_name_bank` and `rare_char_placeholder` only bank names (the latter names
    with a rare character). At most one identity change per record, from `former_name_used`,
    `variant_chars`, `name_order_swapped` and `homophone_chars` (their rates add up to at
    most 1):
    - `former_name_used`: the person's 曾用名 instead of the name (one of them when hukou
      lists several, joined by "、"), only real estate, vehicles, business and bank records
      of people who have one;
    - `variant_chars`: one character, surname or given name, replaced by a variant form
      (阎/闫, 萧/肖, 于/於, 杰/傑; data/variants.yaml), names holding one;
    - `name_order_swapped`: given name first in Chinese (三丰张), names other than dotted
      ones and the bank's pinyin names;
    - `homophone_chars`: one given-name character replaced by another with the same pinyin
      (伟 → 玮; data/homophones.yaml), names whose pinyin key (the engine's) stays the same
      and that hold no rare character.
    `pinyin_name_swapped`: a pinyin bank name in Western order (SANFENG ZHANG), among pinyin
    names other than dotted ones. `traditional_chars`: names that OpenCC changes and that no
    other name noise touched. Only homophones may reach planted households' records, and
    only where the ID carries no noise (the names still agree in pinyin, so the ID link stays
    exact); former names, variants and swapped orders never do.

    Contact data, in sources with a `phone` or `address` column (roster, applications, bank
    deposits, securities, vehicles, provident fund; cremation has an address only):
    `phone_missing` or `phone_outdated` (another number than the person's current one), at
    most one of the two; `phone_format` on any phone written (+86, 0086, 86-, spaces,
    dashes, brackets, full-width digits); `address_missing` or `address_variant` (without
    the 重庆市 prefix or with 重庆 only, full-width digits, 號 for 号, spaces), at most one.

    Dates and duplicate rows only CSV files (not the Excel, JSON Lines or Parquet ones).
    Applicant households with a planted problem are protected like planted roster
    households. The second roster row of a person enrolled twice (DUPLICATE_ENROLMENT) may
    write a planted difference instead of whatever these rates draw: a mistyped or 15-digit
    ID or a variant character in the name, recorded in `noise` like noise (enrolments.py);
    without one, it is written like any other planted household's record.
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
    # Identity changes of the name (at most one per record, see above).
    former_name_used: float = 0.25
    variant_chars: float = 0.1
    name_order_swapped: float = 0.002
    homophone_chars: float = 0.015
    pinyin_name_swapped: float = 0.1
    # Contact data.
    phone_missing: float = 0.05
    phone_outdated: float = 0.08
    phone_format: float = 0.1
    address_missing: float = 0.05
    address_variant: float = 0.15


# Kinds drawn from one uniform number per record: at most one of each group applies, so each
# group's rates must add up to at most 1.
EXCLUSIVE_NOISE = (
    ("id_typo", "id_transposition", "id_15_digit", "id_missing", "id_fullwidth_or_lowercase"),
    ("former_name_used", "variant_chars", "name_order_swapped", "homophone_chars"),
    ("phone_missing", "phone_outdated"),
    ("address_missing", "address_variant"),
)
# Kinds of noise only a plant writes, never drawn at random (no rate): a roster row with the
# member's ID and another person's name (ID_NAME_CONFLICT, identity.py). truth/links records
# them after the NoiseRates kinds.
PLANTED_NOISE = ("name_conflict",)


@dataclass(frozen=True)
class PlantRates:
    """Share of roster households receiving each planted problem or look-alike; for the
    applicant codes, applicant households failing that test, as a share of the roster size.

    The codes of PAIRED_CODES are planted on two households at a time: their rate counts the
    pairs (people), so twice as many households carry the code."""

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
    # A member also on the roster of a second household in another district (pairs).
    duplicate_enrolment: float = 0.01
    # Registered wages well above the monthly income the household declares.
    income_under_declared: float = 0.015
    # Two people of one name and birth date, each in a household of their own (pairs).
    namesake_other_household: float = 0.005
    # Declared a little below the registered income, within the tolerance.
    declared_within_tolerance: float = 0.015
    # Real estate (property.py): a second home putting the floor area per person more than
    # 15 % above the limit; a shop or office.
    housing_above_limit: float = 0.01
    commercial_property: float = 0.01
    # Two homes well under the area limit; a second home whose certificate is cancelled; a
    # parking space.
    two_small_homes: float = 0.01
    sold_home_cancelled: float = 0.01
    parking_space: float = 0.01
    # A head married, per the marriage registry, to a living adult outside the household
    # (HOUSEHOLD_MISMATCH); its look-alikes: married then divorced before the month, and a
    # spouse outside the household who died before the month (marriage.py).
    undeclared_spouse: float = 0.01
    divorced_spouse: float = 0.0075
    spouse_deceased: float = 0.0075
    # Known false-positive patterns (DOMAIN §4), raised as "verify", never as violations: a
    # car overdue for inspection, due for scrapping or 16 years old or more and nothing else;
    # a dormant account that alone takes the assets over the limit; a second home co-owned
    # with a deceased relative outside the household, above the housing limit only if
    # counted; an active provident-fund account without any registered wage.
    stale_vehicle: float = 0.0075
    dormant_account: float = 0.0075
    deceased_coowner: float = 0.0075
    provident_without_wage: float = 0.0075
    # Their look-alikes: a small dormant account; an old employer's provident-fund account
    # never closed, last paid three years or more ago; a second home co-owned with a living
    # relative, within the housing limits.
    dormant_small: float = 0.0075
    old_employer_fund: float = 0.0075
    living_coowner: float = 0.0075
    # A member 户籍 does not hold; a roster row with the member's ID and another's name; a 低保
    # member also enrolled in 特困 (identity.py).
    not_in_hukou: float = 0.005
    id_name_conflict: float = 0.005
    tekun_and_dibao: float = 0.005
    # Applicant households (not on the roster) that fail a test, as a share of the roster
    # size; every other applicant household is eligible (APPLICANT_ELIGIBLE).
    applicant_vehicle_owned: float = 0.0015
    applicant_assets_above_limit: float = 0.0015
    applicant_income_above_standard: float = 0.0015
    # 漏保 leads (outreach.py): households of the wider population, neither enrolled nor
    # applying, as a share of the roster size: possibly eligible (a severely disabled member,
    # poor in income and property), and their needy-looking look-alikes that are not.
    possibly_eligible: float = 0.005
    needy_not_poor: float = 0.005


PROBLEMS = (
    "deceased_member",
    "income_above_standard",
    "financial_assets_above_limit",
    "vehicle_owned",
    "active_business",
    "state_payroll_member",
    "duplicate_enrolment",
    "income_under_declared",
    "housing_above_limit",
    "commercial_property",
    "stale_vehicle",
    "dormant_account",
    "deceased_coowner",
    "provident_without_wage",
    "not_in_hukou",
    "undeclared_spouse",
    "id_name_conflict",
    "tekun_and_dibao",
)
LOOKALIKES = (
    "scrapped_car",
    "disabled_wheelchair",
    "revoked_business",
    "savings_just_under",
    "custody_member",
    "resident_pension",
    "old_provident_fund",
    "namesake_other_household",
    "declared_within_tolerance",
    "two_small_homes",
    "sold_home_cancelled",
    "parking_space",
    "dormant_small",
    "old_employer_fund",
    "living_coowner",
    "divorced_spouse",
    "spouse_deceased",
)
# Codes planted on a pair of roster households: planted_count counts the pairs.
PAIRED_CODES = ("duplicate_enrolment", "namesake_other_household")
# Codes of the new applications (truth/planted kind "application"): every applicant household
# carries exactly one; the last one is every applicant household without a planted problem.
APPLICANT_PROBLEMS = (
    "applicant_vehicle_owned",
    "applicant_assets_above_limit",
    "applicant_income_above_standard",
)
APPLICANT_CODES = (*APPLICANT_PROBLEMS, "applicant_eligible")
# 漏保 leads outside the roster (truth/planted kinds "outreach" and "outreach_lookalike").
OUTREACH_CODES = ("possibly_eligible", "needy_not_poor")
# Below this roster size a planted code may round to zero households.
MIN_HOUSEHOLDS_FOR_EVERY_CODE = 200


# Every source the generator writes, in the order it writes them.
SOURCES = (
    "roster",
    "hukou",
    "cremation",
    "bank_deposits",
    "real_estate",
    "vehicles",
    "business",
    "social_insurance",
    "custody",
    "applications",
    "securities",
    "provident_fund",
    "state_payroll",
    "disability",
    "insurance",
    "marriage",
)


@dataclass(frozen=True)
class SynthConfig:
    """What to generate. `month` is the month checked; extracts are as of the day before it.

    `sources`: the extracts to write (None: all of SOURCES; the roster is always written).
    The world (people, households, holdings, planted problems) is the same whatever the
    selection; with a selection, truth/ holds the links and clean records of those sources
    only, truth/planted.parquet still lists every planted household, and truth/flags.parquet
    is not written (the expected flags need every source), see `generate`.
    `bank_accounts_per_adult`: mean number of deposit accounts per adult of the wider
    population (1 + a Poisson draw, capped); roster members and children keep their own
    small counts. Raise it to get a large bank extract for a benchmark.
    """

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
    sources: tuple[str, ...] | None = None
    bank_accounts_per_adult: float = 2.0

    def __post_init__(self) -> None:
        problems = []
        if self.sources is not None:
            chosen = {str(s) for s in self.sources}
            unknown = sorted(chosen - set(SOURCES))
            if unknown:
                problems.append(
                    f"sources: unknown source(s) {', '.join(unknown)}; known: {', '.join(SOURCES)}"
                )
            # the roster is always written; keep the generator's order, no duplicates
            chosen.add("roster")
            object.__setattr__(self, "sources", tuple(s for s in SOURCES if s in chosen))
        if not 1.0 <= self.bank_accounts_per_adult <= 50.0:
            problems.append(
                f"bank_accounts_per_adult must be in [1, 50], got {self.bank_accounts_per_adult}"
            )
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
        for kinds in EXCLUSIVE_NOISE:
            total = sum(getattr(self.noise, k) for k in kinds)
            if total > 1 + 1e-9:
                problems.append(
                    f"NoiseRates: {' + '.join(kinds)} must add up to at most 1, got {total:g}"
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
        """Households planted with `code` (lower-case field name of PlantRates); pairs of
        households for PAIRED_CODES."""
        share = getattr(self.plant, code)
        n = round(share * self.households)
        if share > 0 and self.households >= MIN_HOUSEHOLDS_FOR_EVERY_CODE:
            n = max(n, 1)
        return int(n)

    def planted_households(self, code: str) -> int:
        """Roster households carrying `code`: two per pair for PAIRED_CODES."""
        return self.planted_count(code) * (2 if code in PAIRED_CODES else 1)

    @property
    def generated_sources(self) -> tuple[str, ...]:
        """The sources written: `sources`, or every source."""
        return SOURCES if self.sources is None else self.sources

    @property
    def all_sources(self) -> bool:
        return set(self.generated_sources) == set(SOURCES)

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
