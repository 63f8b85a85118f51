"""The 核对报告 of each new application: what every registry says about every member, the outcome
of every rule and the points for review, as JSON and as one printable HTML page per application
(rendered by `report_html` from the data gathered here).

A daily run checks the day's applications as the monthly run checks the roster (the applying
households take the roster's place) and keeps their clean rows in `applicants.parquet`. The report
builds on the case file (`case_file.build_case`: flags with evidence, the rule trace) and
adds the member × registry matrix: for every member and every registry the run's manifest lists,
the records linked to the member with what each contributed to the checks, or "无记录", so that a
reviewer sees that each registry was consulted. A member the run did not check is "未核对", never
"无记录". Personal data is masked as in the case file (balances as bands); unmasking is logged.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from pipelines.audit.log import require_reason
from pipelines.config import PROJECT_ROOT
from pipelines.errors import InputError
from pipelines.paths import file_stem, inside
from pipelines.review.case_file import (
    Masker,
    build_case,
    household_rows,
    log_access,
    parsed_json,
    plain,
    run_folder,
)
from pipelines.review.report_html import render_report_html, render_report_index
from pipelines.schemas import Schema, load_schemas
from pipelines.standardize.counties import region_name
from pipelines.standardize.masking import mask_middle
from pipelines.storage import atomic_path

COMMAND = "application_report"  # as written in the audit log
NOT_REGISTRIES = ("roster", "applications")  # what is checked, not what it is checked against
APPLICANT_COLUMNS = ("application_no", "application_date", "household_id", "region_code", "urban_rural",
                     "member_no", "id_number", "name", "relation", "declared_income", "status")
# ---- reading a run ---------------------------------------------------------------------------

@dataclass
class _Run:
    """What every report of a run shares: read once per run, not once per application."""

    data_dir: Path
    run_id: str
    run_dir: Path
    manifest: dict[str, Any]
    schemas: dict[str, Schema]
    schemas_dir: Path
    applicants: dict[str, list[dict[str, Any]]]  # application_no → member rows by member_no
    decided: set[str]  # households with a decision
    people: set[str] | None  # person keys the run checked (None: the run did not write them)

    @classmethod
    def open(cls, data_dir: Path, run_id: str, schemas_dir: Path | None = None) -> _Run:
        run_dir = run_folder(data_dir, run_id)
        manifest_path = run_dir / "manifest.json"
        if not manifest_path.is_file():
            raise InputError(f"run '{run_id}' not found: {manifest_path} does not exist")
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        decisions = run_dir / "decisions"
        if not decisions.exists():
            raise InputError(f"{decisions}: not found (the run writes its decisions there)")
        decided = set(pq.read_table(decisions, columns=["household_id"]).column("household_id").to_pylist())
        ids = run_dir / "person_ids.parquet"
        people = set(pq.read_table(ids, columns=["person_key"]).column("person_key").to_pylist()) if ids.is_file() else None
        schemas_dir = Path(schemas_dir) if schemas_dir is not None else PROJECT_ROOT / "schemas"
        return cls(Path(data_dir), run_id, run_dir, manifest, load_schemas(schemas_dir), schemas_dir,
                   _applications(run_dir / "applicants.parquet"), decided, people)

    def checked(self, household_id: str, person_key: str) -> bool:
        return person_key in self.people if self.people is not None else household_id in self.decided


def _applications(path: Path) -> dict[str, list[dict[str, Any]]]:
    if not path.is_file():
        raise InputError(f"{path}: not found (a run of the day's applications writes it)")
    table = pq.read_table(path)
    missing = [c for c in APPLICANT_COLUMNS if c not in table.column_names]
    if missing:
        raise InputError(f"{path}: missing column(s) {', '.join(missing)}; expected {', '.join(APPLICANT_COLUMNS)}")
    by_no: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for i, row in enumerate(table.select(list(APPLICANT_COLUMNS)).to_pylist()):
        if row["application_no"] is None or row["household_id"] is None or row["member_no"] is None:
            raise InputError(f"{path}: row {i} lacks its application_no, household_id or member_no")
        by_no[str(row["application_no"])].append(row)
    return {no: sorted(rows, key=lambda r: r["member_no"]) for no, rows in sorted(by_no.items())}


def person_key(household_id: str, member_no: int) -> str:
    """As pipelines.link.registries.person_key: Spark's lpad to 2 also cuts longer numbers to 2."""
    return f"{household_id}-{str(member_no).rjust(2, '0')[:2]}"


def _code_names(schema: Schema | None, column: str) -> dict[str, str]:
    """Code → its first Chinese spelling in the schema (受理 for received, 本人 for head)."""
    names: dict[str, str] = {}
    if schema is not None:
        for zh, code in schema.column(column).codes.items():
            names.setdefault(code, zh)
    return names


def _registries(run: _Run) -> list[dict[str, Any]]:
    """Every registry the run checked against, with its extract's as-of date and files."""
    files: dict[str, list[str]] = defaultdict(list)
    for extract in run.manifest.get("inputs") or []:
        files[extract.get("source")].append(extract.get("file"))
    out = []
    for source, info in sorted((run.manifest.get("sources") or {}).items()):
        if source in NOT_REGISTRIES:
            continue
        schema = run.schemas.get(source)
        out.append({"source": source, "title_zh": schema.title_zh if schema else source,
                    "holder": schema.holder if schema else None, "as_of": info.get("as_of"),
                    "rows_clean": info.get("rows_clean"), "files": sorted(f for f in files[source] if f)})
    return out


# ---- building a report -----------------------------------------------------------------------

def _members(run: _Run, rows: list[dict[str, Any]], unmasked: bool) -> list[dict[str, Any]]:
    relations = _code_names(run.schemas.get("applications"), "relation")
    shown = (lambda v: v) if unmasked else (lambda v: None if v is None else mask_middle(v))
    return [{"member_no": r["member_no"], "person_key": (pk := person_key(r["household_id"], r["member_no"])),
             "id_number": shown(r["id_number"]), "name": shown(r["name"]), "relation": r["relation"],
             "relation_zh": relations.get(r["relation"]), "checked": run.checked(r["household_id"], pk)}
            for r in rows]


def _matrix(run: _Run, members: list[dict], registries: list[dict], links: list[dict],
            contributions: list[dict], masker: Masker) -> list[dict[str, Any]]:
    """One cell per member × registry: its state, the records linked and what each contributed."""
    contributed: dict[tuple, list[dict]] = defaultdict(list)
    for c in contributions:
        contributed[(c["person_key"], c["source"], c["record_key"])].append(c)
    linked: dict[tuple, list[dict]] = defaultdict(list)
    for link in links:
        linked[(link["person_key"], link["source"])].append(link)
    cells = []
    for m in members:
        for reg in registries:
            source = reg["source"]
            found = sorted(linked.get((m["person_key"], source), []), key=lambda x: str(x["source_record_key"]))
            records, totals = [], defaultdict(Decimal)
            for link in found:
                own = sorted(contributed.get((m["person_key"], source, link["source_record_key"]), []),
                             key=lambda c: (c["fact"], str(c["item"]), c["file"], c["row"]))
                for c in own:
                    if isinstance(c["amount"], Decimal | int):
                        totals[c["fact"]] += Decimal(c["amount"])
                records.append({
                    "record_key": masker.key(source, link["source_record_key"]), "method": link["method"],
                    "score": link["score"], "band": link.get("band"), "match_weight": link.get("match_weight"),
                    "comparison": plain(parsed_json(link.get("evidence"))),
                    "contributed": [masker.contribution(c) for c in own],
                })
            if not m["checked"]:
                state = "not_checked"
            elif not found:
                state = "no_record"
            elif all(link.get("band") == "possible" for link in found):
                state = "possible"
            else:
                state = "found"
            cells.append({"member_no": m["member_no"], "person_key": m["person_key"], "source": source,
                          "state": state, "records": records,
                          "totals": {f: masker.amount(source, t) for f, t in sorted(totals.items())}})
    return cells


def _rules(trace: dict[str, Any]) -> list[dict[str, Any]]:
    """Every rule of the policy with its result and its value against the threshold."""
    meta = {r["id"]: r for r in trace["policy"].get("rules", [])}
    keys = ("rule_id", "rule_version", "flag_code", "tier", "in_force", "fired", "value_expression", "op",
            "threshold_expression", "value", "threshold", "margin", "borderline")
    out = []
    for r in trace["decision"].get("rule_results") or []:
        m = meta.get(r["rule_id"], {})
        out.append({**{k: r.get(k) for k in keys}, "evaluated": True, "title_zh": m.get("title_zh"),
                    "title_en": m.get("title_en"), "legal_basis": m.get("legal_basis")})
    seen = {r["rule_id"] for r in out}
    for rid, m in meta.items():  # a rule of the policy the decision does not record is said so
        if rid not in seen:
            out.append({"rule_id": rid, "rule_version": m.get("version"), "flag_code": m.get("flag_code"),
                        "tier": m.get("tier"), "evaluated": False, "title_zh": m.get("title_zh"),
                        "title_en": m.get("title_en"), "legal_basis": m.get("legal_basis")})
    return out


def _report(run: _Run, application_no: str, unmasked: bool, reason: str | None = None) -> dict[str, Any]:
    rows = run.applicants.get(application_no)
    if not rows:
        known = ", ".join(list(run.applicants)[:5]) or "(none)"
        raise InputError(f"application '{application_no}' is not in run '{run.run_id}' "
                         f"({run.run_dir / 'applicants.parquet'}); its applications begin {known}")
    first, household_id = rows[0], rows[0]["household_id"]
    in_run = household_id in run.decided
    case = (build_case(run.data_dir, run.run_id, household_id, unmasked, run.schemas_dir, COMMAND, reason)
            if in_run else None)
    if unmasked and not in_run:  # build_case logs the view of a household it finds
        log_access(run.data_dir, run.run_id, household_id, COMMAND, reason)
    links = household_rows(run.run_dir / "links", household_id)
    contributions = household_rows(run.run_dir / "contributions", household_id)
    masker = Masker(run.schemas, unmasked, contributions)
    members = _members(run, rows, unmasked)
    registries = _registries(run)
    statuses = _code_names(run.schemas.get("applications"), "status")
    m, ruleset = run.manifest, run.manifest.get("ruleset") or {}
    household = dict(case["household"]) if case else {
        "household_id": household_id, "region_code": first["region_code"],
        "region_name": region_name(first["region_code"]), "urban_rural": first["urban_rural"], "status": None}
    if case:
        household["per_capita_income"] = case["trace"]["decision"].get("per_capita_income")
        household["members_enrolled"] = case["trace"]["decision"].get("members_enrolled")
    return plain({
        "masked": not unmasked,
        "in_run": in_run,
        "application": {
            "application_no": application_no, "application_date": first["application_date"],
            "household_id": household_id, "region_code": first["region_code"],
            "region_name": region_name(first["region_code"]), "urban_rural": first["urban_rural"],
            "status": first["status"], "status_zh": statuses.get(first["status"]),
            "declared_income": first["declared_income"], "members": len(rows),
        },
        "run": {"run_id": m.get("run_id", run.run_id), "month": m.get("month"), "ruleset": ruleset.get("name"),
                "ruleset_version": ruleset.get("version"), "programmes": ruleset.get("programmes"),
                "engine_version": m.get("engine_version")},
        "registries": registries,
        "members": members,
        "matrix": _matrix(run, members, registries, links, contributions, masker),
        "household": household,
        "rules": _rules(case["trace"]) if case else [],
        "flags": case["flags"] if case else [],
        "trace": case["trace"] if case else None,
    })


def build_report(data_dir: Path, run_id: str, application_no: str, unmasked: bool = False,
                 schemas_dir: Path | None = None, reason: str | None = None) -> dict[str, Any]:
    """One application's verification report as plain JSON-able data (masked unless `unmasked`,
    which needs a reason and is logged in the audit log)."""
    return _report(_Run.open(Path(data_dir), run_id, schemas_dir), application_no, unmasked, reason)


# ---- writing ---------------------------------------------------------------------------------

def _write(path: Path, text: str) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, indent=1) + "\n"


def write_reports(data_dir: Path, run_id: str, out_dir: Path | None = None, unmasked: bool = False,
                  lang: str = "zh", schemas_dir: Path | None = None,
                  reason: str | None = None) -> list[Path]:
    """Every application's report as `<application_no>.html` and `.json`, and `index.html` and
    `index.json` (default runs/<run>/reports/); same run → same bytes. Unmasked files are named
    `….unmasked.…` (never over the masked ones) and each report viewed unmasked is logged."""
    if unmasked:
        require_reason(reason, "report --unmasked")
    run = _Run.open(Path(data_dir), run_id, schemas_dir)
    out_dir = inside(data_dir, out_dir, "--out") if out_dir is not None else run.run_dir / "reports"
    suffix = (".unmasked" if unmasked else "")
    html_suffix = suffix + (".en" if lang == "en" else "")
    written, entries, run_info = [], [], None
    for application_no in run.applicants:
        report = _report(run, application_no, unmasked, reason)
        run_info = report["run"]
        stem = file_stem(application_no)
        html_path = _write(out_dir / f"{stem}{html_suffix}.html", render_report_html(report, lang))
        json_path = _write(out_dir / f"{stem}{suffix}.json", _dumps(report))
        written += [html_path, json_path]
        a, h = report["application"], report["household"]
        entries.append({"application_no": application_no, "application_date": a["application_date"],
                        "household_id": a["household_id"], "region_code": a["region_code"],
                        "region_name": a["region_name"], "in_run": report["in_run"], "status": h.get("status"),
                        "status_zh": h.get("status_zh"), "status_en": h.get("status_en"),
                        "points_for_review": len(report["flags"]), "members": a["members"],
                        "html": html_path.name, "json": json_path.name})
    if run_info is None:
        m = run.manifest
        run_info = {"run_id": m.get("run_id", run_id), "month": m.get("month")}
    index = {"run": run_info, "masked": not unmasked, "applications": entries}
    written.append(_write(out_dir / f"index{html_suffix}.html", render_report_index(entries, run_info, lang)))
    written.append(_write(out_dir / f"index{suffix}.json", _dumps(index)))
    return written
