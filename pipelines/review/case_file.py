"""The case file of one household: its flags with evidence, the rule trace and the linked records.

`build_case` gathers what a reviewer needs from a finished run (pyarrow only, no Spark) as plain
JSON-able data; `write_case` saves it as JSON and as one self-contained HTML page. Personal data
is masked by default (DOMAIN §5): record keys as in the flags, and the balance of each account or
policy shown as a band. The household totals and every figure a rule compared with its threshold
stay exact, because the reviewer must see the test. Unmasking is a logged act.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from pipelines.audit.log import audit_log, require_reason
from pipelines.config import PROJECT_ROOT
from pipelines.errors import InputError
from pipelines.household import ASSET_SOURCES
from pipelines.paths import check_name, file_stem, inside
from pipelines.review.trace import load_trace
from pipelines.schemas import Schema, load_schemas
from pipelines.standardize.counties import region_name
from pipelines.standardize.masking import key_pii, mask_key

# upper bounds of the bands (yuan) a masked balance is shown in; the last band is open
BANDS = (
    (Decimal(1_000), "1千以下", "under 1k"),
    (Decimal(10_000), "1千–1万", "1k–10k"),
    (Decimal(50_000), "1万–5万", "10k–50k"),
    (Decimal(100_000), "5万–10万", "50k–100k"),
    (Decimal(500_000), "10万–50万", "100k–500k"),
    (None, "50万以上", "500k and over"),
)
JSON_COLUMNS = ("detail", "link_evidence", "evidence", "inputs", "parameters", "member_exclusions")


def plain(value: Any) -> Any:
    """Decimals as exact strings, dates as ISO text, containers recursively: JSON-able data."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def parsed_json(text: Any) -> Any:
    """A JSON column as data; the raw text if it is not JSON. Money in the run's JSON is already
    text; the floats are scores, weights and ratios, which json.dumps writes back as they were."""
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text) if text else None
    except json.JSONDecodeError:
        return text


def balance_band(amount: Any) -> dict[str, str]:
    """The band a balance falls in, in Chinese and English (the amount itself is not kept)."""
    try:
        value = Decimal(str(amount))
    except (InvalidOperation, ValueError):
        return {"zh": "***", "en": "***"}
    for upper, zh, en in BANDS:
        if upper is None or value < upper:
            return {"zh": zh, "en": en}
    raise AssertionError("the last band is open")


def balance_sources(schemas: dict[str, Schema]) -> set[str]:
    """Registries whose per-record amount is a personal balance (its schema says pii: amount)."""
    found = set()
    for source, (_, column, _) in ASSET_SOURCES.items():
        schema = schemas.get(source)
        if schema is not None and any(c.name == column and c.pii == "amount" for c in schema.columns):
            found.add(source)
    return found


def household_rows(path: Path, household_id: str) -> list[dict[str, Any]]:
    """The rows of a run's Parquet dataset that belong to one household (none if it is absent)."""
    if not path.exists():
        return []
    try:
        table = ds.dataset(path, format="parquet").to_table(filter=pc.field("household_id") == household_id)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"{path}: not readable as Parquet filtered on household_id ({exc})") from None
    return table.to_pylist()


def _flags(path: Path, household_id: str) -> list[dict[str, Any]]:
    """The household's flags in work order (the file is sorted by tier, then money at stake)."""
    if not path.is_file():
        raise InputError(f"{path}: not found (the run writes flags/flags.parquet)")
    table = pq.read_table(path)
    index = pc.indices_nonzero(pc.equal(table.column("household_id"), household_id))
    return table.take(index).to_pylist()


class Masker:
    """Masks record keys per the schemas' key columns, and balances as bands, unless unmasked."""

    def __init__(self, schemas: dict[str, Schema], unmasked: bool, contributions: list[dict]):
        self.unmasked = unmasked
        self.pii = {n: key_pii(s) for n, s in schemas.items()}
        self.balances = balance_sources(schemas)
        # the flags hold masked keys only; the contributions give the full key of a record
        self.full_key = {(c["fact"], c["source"], c["file"], c["row"]): c["record_key"] for c in contributions}

    def key(self, source: str, key: Any) -> Any:
        return key if self.unmasked or key is None else mask_key(key, self.pii.get(source, []))

    def amount(self, source: str, amount: Any) -> Any:
        if self.unmasked or source not in self.balances or amount is None:
            return plain(amount)
        return {"masked": True, "band": balance_band(amount)}

    def record(self, r: dict[str, Any]) -> dict[str, Any]:
        """A flag's evidence record, with the full key restored only when unmasked."""
        out = dict(r)
        if self.unmasked:
            out["record_key"] = self.full_key.get((r["fact"], r["source"], r["file"], r["row"]), r["record_key"])
        out["amount"] = self.amount(r["source"], r.get("amount"))
        return out

    def contribution(self, c: dict[str, Any]) -> dict[str, Any]:
        return {
            "fact": c["fact"], "source": c["source"], "item": self.key(c["source"], c["item"]), "amount": self.amount(c["source"], c["amount"]),
            "person_key": c["person_key"], "record_key": self.key(c["source"], c["record_key"]),
            "as_of": plain(c["as_of"]), "file": c["file"], "row": c["row"], "detail": plain(parsed_json(c["detail"])),
            "link": {"method": c["link_method"], "score": c["link_score"],
                     "comparison": plain(parsed_json(c.get("link_evidence")))},
        }


def _linked_records(run_dir: Path, household_id: str, masker: Masker, contributions: list[dict]) -> dict:
    by_source: dict[str, dict[str, Any]] = defaultdict(lambda: {"records": [], "totals": defaultdict(Decimal)})
    for c in sorted(contributions, key=lambda c: (c["source"], c["fact"], str(c["record_key"]), c["file"], c["row"])):
        group = by_source[c["source"]]
        group["records"].append(masker.contribution(c))
        if isinstance(c["amount"], Decimal | int):
            group["totals"][c["fact"]] += Decimal(c["amount"])
    links = []
    for link in sorted(household_rows(run_dir / "links", household_id),
                       key=lambda r: (r["source"], str(r["source_record_key"]), r["person_key"])):
        links.append({
            "person_key": link["person_key"], "source": link["source"],
            "source_record_key": masker.key(link["source"], link["source_record_key"]),
            "method": link["method"], "score": link["score"], "band": link.get("band"),
            "match_weight": link.get("match_weight"), "comparison": plain(parsed_json(link.get("evidence"))),
        })
    return {
        "contributions": {s: {"records": g["records"], "totals": plain(dict(sorted(g["totals"].items())))}
                          for s, g in sorted(by_source.items())},
        "links": links,
    }


def _trace(run_dir: Path, household_id: str) -> dict[str, Any]:
    trace = load_trace(run_dir, household_id)
    decision = dict(trace["decision"])
    decision["rule_results"] = [
        {k: (parsed_json(v) if k in JSON_COLUMNS else v) for k, v in r.items()}
        for r in decision.get("rule_results") or []
    ]
    facts = {k: (parsed_json(v) if k in JSON_COLUMNS else v) for k, v in trace["facts"].items()}
    return plain({**trace, "decision": decision, "facts": facts})


def log_access(data_dir: Path, run_id: str, household_id: str, command: str, reason: str | None) -> None:
    """Every view of unmasked personal data: who, when, which household of which run, and why,
    in the data directory's hash-chained audit log (a missing reason is refused first)."""
    audit_log(data_dir).record("unmask", require_reason(reason, f"{command} --unmasked"),
                               command=command, run=run_id, household=household_id)


def run_folder(data_dir: Path, run_id: str) -> Path:
    """`<data>/runs/<run_id>`, the run id checked as a name (never a path to elsewhere)."""
    return Path(data_dir) / "runs" / check_name(run_id, "run id (--run)")


def build_case(data_dir: Path, run_id: str, household_id: str, unmasked: bool = False,
               schemas_dir: Path | None = None, command: str = "case",
               reason: str | None = None) -> dict[str, Any]:
    """One household's case file of a run, as plain data (masked unless `unmasked`, which needs
    a reason and is logged)."""
    run_dir = run_folder(data_dir, run_id)
    if unmasked:
        require_reason(reason, f"{command} --unmasked")
    if not (run_dir / "manifest.json").is_file():
        raise InputError(f"run '{run_id}' not found: {run_dir / 'manifest.json'} does not exist")
    trace = _trace(run_dir, household_id)  # raises InputError naming the household if unknown
    schemas = load_schemas(schemas_dir or PROJECT_ROOT / "schemas")
    contributions = household_rows(run_dir / "contributions", household_id)
    masker = Masker(schemas, unmasked, contributions)
    flags = []
    for f in _flags(run_dir / "flags" / "flags.parquet", household_id):
        evidence = parsed_json(f.pop("evidence"))
        evidence["records"] = [masker.record(r) for r in evidence.get("records", [])]
        flags.append(plain({**f, "evidence": evidence}))
    if unmasked:
        log_access(data_dir, run_id, household_id, command, reason)
    d = trace["decision"]
    statuses = {s["status"]: s for s in trace["policy"].get("statuses", [])}
    status = statuses.get(d.get("status"), {})
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    return {
        "run": {"run_id": trace["run_id"], "month": trace["month"], "ruleset": d.get("ruleset"),
                "ruleset_version": d.get("ruleset_version"), "engine_version": manifest.get("engine_version")},
        "masked": not unmasked,
        "household": {
            "household_id": household_id, "region_code": d.get("region_code"),
            "region_name": region_name(d.get("region_code")), "urban_rural": d.get("urban_rural"),
            "status": d.get("status"), "status_zh": status.get("title_zh"), "status_en": status.get("title_en"),
            "members_counted": d.get("members_counted"),
            "benefit_computed": d.get("benefit_computed"), "benefit_paid": d.get("benefit_amount"),
        },
        "flags": flags,
        "trace": trace,
        "linked": _linked_records(run_dir, household_id, masker, contributions),
    }


def case_paths(out_dir: Path, household_id: str, unmasked: bool, lang: str) -> tuple[Path, Path]:
    # an unmasked case never overwrites the masked one, and says what it is in its name
    stem = file_stem(household_id) + (".unmasked" if unmasked else "")
    return out_dir / f"{stem}{'.en' if lang == 'en' else ''}.html", out_dir / f"{stem}.json"


def write_case(data_dir: Path, run_id: str, household_id: str, out_dir: Path | None = None,
               unmasked: bool = False, lang: str = "zh", schemas_dir: Path | None = None,
               reason: str | None = None) -> tuple[Path, Path]:
    """Write the case file as HTML and JSON (default runs/<run>/cases/); same run → same bytes."""
    from pipelines.review.case_html import render_case_html
    from pipelines.storage import atomic_path

    out_dir = (inside(data_dir, out_dir, "--out") if out_dir is not None
               else run_folder(data_dir, run_id) / "cases")
    case = build_case(data_dir, run_id, household_id, unmasked, schemas_dir, reason=reason)
    html_path, json_path = case_paths(out_dir, household_id, unmasked, lang)
    for path, text in ((html_path, render_case_html(case, lang)),
                       (json_path, json.dumps(case, ensure_ascii=False, sort_keys=True, indent=1) + "\n")):
        with atomic_path(path) as tmp:
            tmp.write_text(text, encoding="utf-8")
    return html_path, json_path
