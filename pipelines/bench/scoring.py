"""Evaluation against the generator's ground truth: link and flag precision, recall and F1.

Reads `truth/` (which the pipeline itself never reads) and a finished run's outputs.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import pyarrow.parquet as pq

from pipelines.errors import InputError
from pipelines.storage import write_json


@dataclass(frozen=True)
class Score:
    name: str
    true_positives: int
    predicted: int
    actual: int

    @property
    def precision(self) -> float:
        return self.true_positives / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.actual if self.actual else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "true_positives": self.true_positives,
            "predicted": self.predicted,
            "actual": self.actual,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
        }


def score(name: str, predicted: set, actual: set) -> Score:
    return Score(name, len(predicted & actual), len(predicted), len(actual))


def _read(path: Path, what: str) -> list[dict]:
    if not path.exists():
        raise InputError(f"{path}: {what} not found")
    return pq.read_table(path).to_pylist()


def evaluate_run(data_dir: Path, run_id: str) -> dict:
    """Link and flag scores of a run, per source / flag code and overall; saved in the run."""
    run_dir = data_dir / "runs" / run_id
    truth_links = _read(data_dir / "truth" / "links.parquet", "ground truth of links (generate first)")
    truth_flags = _read(data_dir / "truth" / "flags.parquet", "ground truth of flags (generate first)")
    links = _read(run_dir / "links", f"links of run {run_id}")
    flags = _read(run_dir / "flags" / "flags.parquet", f"flags of run {run_id}")

    actual_links = {(t["source"], t["record_key"], t["person_key"]) for t in truth_links
                    if t["person_key"] is not None and t["source"] != "roster"}
    predicted_links = {(lk["source"], lk["source_record_key"], lk["person_key"]) for lk in links
                       if lk["method"] != "clerical"}
    sources = sorted({s for s, _, _ in actual_links | predicted_links})
    link_scores = [score("all", predicted_links, actual_links)] + [
        score(s, {x for x in predicted_links if x[0] == s}, {x for x in actual_links if x[0] == s})
        for s in sources
    ]
    link_scores += _by_noise(truth_links, predicted_links, actual_links)
    actual_flags = {(t["household_id"], t["flag_code"]) for t in truth_flags}
    predicted_flags = {(f["household_id"], f["flag_code"]) for f in flags}
    codes = sorted({c for _, c in actual_flags | predicted_flags})
    flag_scores = [score("all", predicted_flags, actual_flags)] + [
        score(c, {x for x in predicted_flags if x[1] == c}, {x for x in actual_flags if x[1] == c})
        for c in codes
    ]
    result = {
        "run_id": run_id,
        "links": [s.as_dict() for s in link_scores],
        "flags": [s.as_dict() for s in flag_scores],
    }
    planted = data_dir / "truth" / "planted.parquet"
    if planted.exists():
        lookalikes = [p for p in _read(planted, "planted cases") if p["kind"] == "lookalike"]
        result["lookalikes"] = {
            "planted": len(lookalikes),
            "flagged": sorted(
                {
                    p["household_id"]
                    for p in lookalikes
                    if any((p["household_id"], c) in predicted_flags for c in _LOOKALIKE_CODES.get(p["code"], ()))
                }
            ),
        }
    leads = run_dir / "possibly_eligible.parquet"
    if planted.exists() and leads.exists():
        result["outreach"] = _outreach(_read(leads, "possibly eligible households"), _read(planted, "planted cases"))
    write_json(result, run_dir / "evaluation.json")
    return result


def _outreach(leads: list[dict], planted: list[dict]) -> dict:
    """The 漏保 screen against the plan: every planted POSSIBLY_ELIGIBLE household listed, none of
    the look-alikes; other listed households are leads the world holds unplanned."""
    listed = {r["household_id"] for r in leads}
    expected = sorted(p["household_id"] for p in planted if p["kind"] == "outreach")
    lookalikes = sorted(p["household_id"] for p in planted if p["kind"] == "outreach_lookalike")
    return {
        "listed": len(listed),
        "planted": len(expected),
        "planted_listed": sum(h in listed for h in expected),
        "missed": [h for h in expected if h not in listed],
        "lookalikes": len(lookalikes),
        "lookalikes_listed": [h for h in lookalikes if h in listed],
        "unplanned_listed": len(listed - set(expected) - set(lookalikes)),
    }


# Noise that leaves a record without a checksum-valid ID (15-digit and full-width IDs standardize
# to valid ones); the linker must find these records by the other fields.
NO_VALID_ID = ("id_typo", "id_transposition", "id_missing")


def _by_noise(truth_links: list[dict], predicted: set, actual: set) -> list[Score]:
    """Scores on the records without a valid ID, and recall per noise kind."""
    noise = {
        (t["source"], t["record_key"]): set(filter(None, (t.get("noise") or "").split(",")))
        for t in truth_links
        if t["source"] != "roster"
    }

    def subset(records: set) -> Score:
        return score(
            "",
            {x for x in predicted if (x[0], x[1]) in records},
            {x for x in actual if (x[0], x[1]) in records},
        )

    no_id = {k for k, kinds in noise.items() if kinds & set(NO_VALID_ID)}
    out = [replace(subset(no_id), name="without_valid_id")]
    for kind in sorted({k for kinds in noise.values() for k in kinds}):
        records = {k for k, kinds in noise.items() if kind in kinds}
        out.append(replace(subset(records), name=f"noise:{kind}"))
    return out


# the flag a look-alike would wrongly raise
_LOOKALIKE_CODES = {
    "SCRAPPED_CAR": ("VEHICLE_OWNED",),
    "DISABLED_WHEELCHAIR": ("VEHICLE_OWNED",),
    "REVOKED_BUSINESS": ("ACTIVE_BUSINESS",),
    "SAVINGS_JUST_UNDER": ("FINANCIAL_ASSETS_ABOVE_LIMIT",),
    "CUSTODY_MEMBER": ("INCOME_ABOVE_STANDARD", "FINANCIAL_ASSETS_ABOVE_LIMIT", "MEMBER_IN_CUSTODY"),
    "RESIDENT_PENSION": ("INCOME_ABOVE_STANDARD",),
    "NAMESAKE_OTHER_HOUSEHOLD": ("DUPLICATE_ENROLMENT",),
    "DECLARED_WITHIN_TOLERANCE": ("INCOME_UNDER_DECLARED",),
    "TWO_SMALL_HOMES": ("HOUSING_ABOVE_LIMIT",),
    "SOLD_HOME_CANCELLED": ("HOUSING_ABOVE_LIMIT",),
    "PARKING_SPACE": ("COMMERCIAL_PROPERTY",),
    "DORMANT_SMALL": ("ASSETS_TO_VERIFY", "FINANCIAL_ASSETS_ABOVE_LIMIT"),
    "OLD_EMPLOYER_FUND": ("EMPLOYMENT_TO_VERIFY",),
    "LIVING_COOWNER": ("PROPERTY_TO_VERIFY", "HOUSING_ABOVE_LIMIT"),
}
