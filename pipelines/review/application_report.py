"""The 核对报告 of each new application: what every registry says about every member, the outcome
of every rule and the points for review, as JSON and as one printable HTML page per application.

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
from html import escape
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from pipelines.audit.log import require_reason
from pipelines.config import PROJECT_ROOT
from pipelines.errors import InputError
from pipelines.link.explain import METHOD_ZH
from pipelines.paths import file_stem, inside
from pipelines.policy.facts import label
from pipelines.review.case_file import (
    Masker,
    build_case,
    household_rows,
    log_access,
    parsed_json,
    plain,
    run_folder,
)
from pipelines.review.case_html import CSS, Page, detail_html, e, flag_html, num, table, trace_html
from pipelines.review.trace import TEXT
from pipelines.schemas import Schema, load_schemas
from pipelines.standardize.counties import region_name
from pipelines.standardize.masking import mask_middle
from pipelines.storage import atomic_path

COMMAND = "application_report"  # as written in the audit log
NOT_REGISTRIES = ("roster", "applications")  # what is checked, not what it is checked against
APPLICANT_COLUMNS = ("application_no", "application_date", "household_id", "region_code", "urban_rural",
                     "member_no", "id_number", "name", "relation", "declared_income", "status")
STATES = {  # a cell of the matrix: what a registry says about a member
    "found": ("有记录", "record found"),
    "possible": ("疑似记录，身份待核实", "possible match, identity to verify"),
    "no_record": ("无记录", "no record found"),
    "not_checked": ("本批次未核对", "not checked in this run"),
}
R = {
    "title": ("最低生活保障家庭经济状况核对报告", "Verification report"),
    "application_no": ("申请编号", "Application no."), "application_date": ("申请日期", "Date of application"),
    "application_status": ("办理状态", "Application status"),
    "declared": ("申报家庭月收入", "Declared monthly household income"), "engine": ("引擎版本", "Engine version"),
    "members_h": ("一、申请家庭成员", "1. Members of the applying household"),
    "member_no": ("序号", "No."), "person_key": ("成员编号", "Person key"), "id_number": ("身份证号", "ID number"),
    "member_name": ("姓名", "Name"), "relation": ("与申请人关系", "Relation"), "checked": ("本批次核对", "Checked"),
    "registries_h": ("二、各部门数据比对情况", "2. What each registry says about each member"),
    "registries_intro": ("本次核对比对了下列每一个部门的数据。“无记录”表示已比对该部门数据，未找到与该成员关联的记录；"
                         "“本批次未核对”表示该成员没有进入本批次核对，不能据此认为没有记录。",
                         "The run checked every registry below. \"No record found\" means the registry was consulted "
                         "and held no record linked to the member; \"not checked\" means the member was not part of "
                         "the run, which says nothing about the registry."),
    "registry": ("部门数据", "Registry"), "holder": ("提供部门", "Held by"), "files": ("文件", "Files"),
    "rows_clean": ("可用记录数", "Usable rows"), "matrix_h": ("成员 × 部门比对结果", "Member × registry"),
    "details_h": ("关联记录明细", "Linked records, member by member"), "contributed": ("计入核对的事实", "Facts contributed"),
    "no_fact": ("（未提供计入核对的事实）", "(contributed no fact to the checks)"),
    "outcome_h": ("三、家庭核对数值与规则结论", "3. Household figures and the outcome of each rule"),
    "outcome": ("规则核对结果（供参考）", "Outcome of the checks (for reference)"),
    "per_capita": ("人均月收入", "Per-capita monthly income"), "members_counted": ("计入人数", "Members counted"),
    "rules_h": ("各项规则结论一览", "Every rule's outcome"), "trace_h": ("核对过程明细", "The checks step by step"),
    "flags_h": ("四、需经办人员核实的疑点", "4. Points for staff to review"),
    "flags_intro": ("以下是需要经办人员核实的疑点，不是认定结论，不据此作出批准或不予批准的决定。",
                    "These are points for staff to verify, not findings; no approval or refusal follows from them."),
    "no_flags": ("本申请没有提出疑点。", "No points for review were raised for this application."),
    "explanation": ("说明", "Explanation"), "not_in_run": ("未核对", "not checked"),
    "missing": ("本批次的核对结果中没有该申请家庭（户编号 {0}）：没有规则核对结论，也没有疑点。请核实该户数据是否被隔离或未进入核对，"
                "并重新核对；不能据此作出任何认定。",
                "The run's decisions do not hold household {0} of this application: there is no outcome and no "
                "point for review. Find out why the household was not checked (quarantined rows, a missing "
                "extract) and check it again; nothing can be concluded from this report."),
    "index_title": ("核对报告目录", "Verification reports"), "points": ("疑点数", "Points for review"),
    "report": ("报告", "Report"), "not_evaluated": ("本批次未判断", "not evaluated"),
}
EXTRA_CSS = """
table.matrix th,table.matrix td{font-size:.85em}td.st-found{background:#eef7ee}td.st-possible{background:#fff4d6}
td.st-no_record{background:#f6f6f6;color:#444}td.st-not_checked{background:#fde2e2}
.missing{background:#fde2e2;border:2px solid #c33;padding:.6em .9em;font-weight:bold}
table.rules td:nth-child(4){white-space:nowrap}table.rules .code{font-size:.85em}
@media print{td.st-found,td.st-possible,td.st-no_record,td.st-not_checked{background:none}}
"""


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


# ---- HTML ------------------------------------------------------------------------------------

class _Page(Page):
    """The case file's page with the report's own labels beside the case file's."""

    def lab(self, key: str, table: dict | None = None) -> str:
        if table is None and key in R:
            zh, en = R[key]
            return escape(en) if self.lang == "en" else f'{escape(zh)} <span class="en">{escape(en)}</span>'
        return super().lab(key, table)

    def text(self, key: str) -> str:
        return R[key][self.lang == "en"]


def _member_label(p: _Page, m: dict[str, Any]) -> str:
    return f'{e(m["member_no"])}. {e(m.get("name"))}<br><span class="small">{e(m.get("id_number"))}</span>'


def _cell(p: _Page, cell: dict[str, Any]) -> str:
    zh, en = STATES[cell["state"]]
    out = [f"<b>{p.both(zh, en)}</b>"]
    records = cell["records"]
    if records:
        out[0] += f" · {len(records)}"
        out += [f"{e(label(f, p.lang))}: {p.amount(v)}" for f, v in cell["totals"].items()]
        methods = sorted({r["method"] for r in records})
        shown = ", ".join(m if p.lang == "en" else METHOD_ZH.get(m, m) for m in methods)
        out.append(f'<span class="small">{e(shown)}</span>')
    return "<br>".join(out)


def _matrix_html(p: _Page, report: dict[str, Any]) -> str:
    members = report["members"]
    cells = {(c["person_key"], c["source"]): c for c in report["matrix"]}
    head = [p.lab("registry")] + [_member_label(p, m) for m in members]
    body = []
    for reg in report["registries"]:
        row = [f'{p.both(reg["title_zh"], reg["source"])}<br><span class="small">{p.word("as_of")} {e(reg["as_of"])}</span>']
        row += [_cell(p, cells[(m["person_key"], reg["source"])]) for m in members]
        body.append((reg["source"], row, [cells[(m["person_key"], reg["source"])]["state"] for m in members]))
    heads = "".join(f"<th>{h}</th>" for h in head)
    rows = "".join(
        f'<tr data-source="{e(source)}"><th>{row[0]}</th>'
        + "".join(f'<td class="st-{e(s)}">{c}</td>' for c, s in zip(row[1:], states, strict=True)) + "</tr>"
        for source, row, states in body)
    return f'<table class="matrix" id="matrix"><thead><tr>{heads}</tr></thead><tbody>{rows}</tbody></table>'


def _details_html(p: _Page, report: dict[str, Any]) -> str:
    titles = {r["source"]: r for r in report["registries"]}
    out = []
    for m in report["members"]:
        rows = []
        for cell in (c for c in report["matrix"] if c["person_key"] == m["person_key"]):
            reg = titles[cell["source"]]
            for r in cell["records"]:
                facts = "<br>".join(
                    f'{e(label(c["fact"], p.lang))} {p.amount(c["amount"])} · {e(c.get("item"))}'
                    f'<br><span class="small">{detail_html(c.get("detail"))} · <code>{e(c["file"])}:{e(c["row"])}</code></span>'
                    for c in r["contributed"]) or f'<span class="small">{p.lab("no_fact")}</span>'
                rows.append([f'{p.both(reg["title_zh"], reg["source"])}<br><span class="small">{e(reg["as_of"])}</span>',
                             f'<code>{e(r["record_key"])}</code>', p.method(r["method"], r["score"]),
                             p.comparison(r.get("comparison")), facts])
        if rows:
            out.append(f"<h4>{e(m['member_no'])}. {e(m.get('name'))} · <code>{e(m['person_key'])}</code></h4>")
            out.append(table([p.lab("registry"), p.lab("key"), p.lab("link"), p.lab("comparison"), p.lab("contributed")],
                             rows, cls="records"))
    return "".join(out)


def _rules_html(p: _Page, rules: list[dict[str, Any]]) -> str:
    rows = []
    for r in rules:
        if not r.get("evaluated"):
            result = p.lab("not_evaluated")
        else:
            result = (f'<span class="ok">✓ {p.both("成立", "holds")}</span>' if r.get("fired")
                      else f'<span class="no">✗ {p.both("不成立", "does not hold")}</span>')
        margin = "—" if r.get("margin") is None else f"{Decimal(str(r['margin'])) * 100:+.2f}%"
        rows.append([f"<code>{e(r['rule_id'])}</code> v{e(r.get('rule_version'))}<br>{p.both(r.get('title_zh'), r.get('title_en'))}",
                     f"<code>{e(r.get('value_expression'))} {e(r.get('op'))} {e(r.get('threshold_expression'))}</code>",
                     f"{num(r.get('value'))} {e(r.get('op'))} {num(r.get('threshold'))}", result, e(margin),
                     p.lab("yes") if r.get("borderline") else p.lab("no"),
                     f'<span class="code">{e(r.get("flag_code"))}</span>'])
    heads = [p.lab("rule"), p.lab("test"), p.lab("value"), p.lab("result"), p.lab("margin"), p.lab("borderline"),
             p.t("flag")]
    return table(heads, rows, cls="rules")


def _flags_html(p: _Page, report: dict[str, Any]) -> str:
    flags, ur = report["flags"], report["household"].get("urban_rural")
    if not flags:
        return f"<p>{p.lab('no_flags')}</p>"
    summary = table([p.t("flag"), p.lab("tier"), p.lab("persons"), p.lab("explanation")], [
        [f'<span class="code">{e(f.get("flag_code"))}</span>', p.tier(f.get("tier")), e(f.get("person_key")),
         e(f.get("explanation_en")) if p.lang == "en" else
         f'{e(f.get("explanation_zh"))}<br><span class="en">{e(f.get("explanation_en"))}</span>'] for f in flags])
    return summary + "".join(flag_html(p, i, f, ur) for i, f in enumerate(flags, 1))


def render_report_html(report: dict[str, Any], lang: str = "zh") -> str:
    """The report as one self-contained, printable HTML page (Chinese, or English with lang="en")."""
    p = _Page(lang)
    a, run, h = report["application"], report["run"], report["household"]
    ur = a.get("urban_rural")
    status = (p.both(h.get("status_zh"), h.get("status_en")) if report["in_run"]
              else f'<b class="no">{p.lab("not_in_run")}</b>')
    meta = [("application_no", e(a["application_no"])), ("application_date", e(a.get("application_date"))),
            ("application_status", p.both(a.get("status_zh"), a.get("status"))),
            ("household", e(a["household_id"])), ("district", f"{e(a.get('region_code'))} {e(a.get('region_name'))}"),
            ("urban_rural", p.both(TEXT["zh"].get(ur, ur), ur)), ("declared", num(a.get("declared_income"))),
            ("outcome", status), ("points", e(len(report["flags"])) if report["in_run"] else "—"),
            ("run", e(run["run_id"])), ("month", e(run.get("month"))),
            ("ruleset", f"{e(run.get('ruleset'))} {e(run.get('ruleset_version'))}"), ("engine", e(run.get("engine_version")))]
    mask = (f'<p class="mask">{p.lab("masked")}</p>' if report.get("masked")
            else f'<p class="unmasked">{p.lab("unmasked")}</p>')
    members = table([p.lab(k) for k in ("member_no", "person_key", "member_name", "id_number", "relation", "checked")], [
        [e(m["member_no"]), f"<code>{e(m['person_key'])}</code>", e(m.get("name")), e(m.get("id_number")),
         p.both(m.get("relation_zh"), m.get("relation")), p.lab("yes") if m.get("checked") else f'<b class="no">{p.lab("no")}</b>']
        for m in report["members"]])
    registries = table([p.lab(k) for k in ("registry", "holder", "as_of", "rows_clean", "files")], [
        [p.both(r["title_zh"], r["source"]), e(r.get("holder")), e(r.get("as_of")), num(r.get("rows_clean")),
         "<br>".join(f'<code class="small">{e(f)}</code>' for f in r["files"]) or "—"]
        for r in report["registries"]], numeric=(3,))
    if report["in_run"]:
        outcome = "".join([
            table([p.lab("name"), p.lab("value")], [
                [p.lab("outcome"), status], [p.lab("members_counted"), e(h.get("members_counted"))],
                [p.lab("per_capita"), num(h.get("per_capita_income"))], [p.lab("computed"), num(h.get("benefit_computed"))]]),
            f"<h3>{p.lab('rules_h')}</h3>", _rules_html(p, report["rules"]),
            f"<h3>{p.lab('trace_h')}</h3>", trace_html(p, report["trace"])])
        flags = _flags_html(p, report)
    else:
        outcome = flags = f'<p class="missing">{escape(p.text("missing").format(a["household_id"]))}</p>'
    title = f"{p.text('title')} · {a['application_no']}"
    return "".join([
        "<!DOCTYPE html>\n", f'<html lang="{"en" if p.lang == "en" else "zh-CN"}">',
        f'<head><meta charset="utf-8"><title>{escape(title)}</title><style>{CSS}{EXTRA_CSS}</style></head><body>',
        f"<header><h1>{p.lab('title')} · {p.lab('notice')}</h1>", f'<p class="notice">{p.lab("notice_long")}</p>',
        table([p.lab("name"), p.lab("value")], [[p.lab(k), v] for k, v in meta]), mask, "</header>",
        f'<section id="members"><h2>{p.lab("members_h")}</h2>{members}</section>',
        f'<section id="registries"><h2>{p.lab("registries_h")}</h2><p class="small">{p.lab("registries_intro")}</p>',
        registries, f"<h3>{p.lab('matrix_h')}</h3>", _matrix_html(p, report),
        f"<h3>{p.lab('details_h')}</h3>", _details_html(p, report), "</section>",
        f'<section id="outcome"><h2>{p.lab("outcome_h")}</h2>{outcome}</section>',
        f'<section id="flags"><h2>{p.lab("flags_h")}</h2><p class="notice">{p.lab("flags_intro")}</p>{flags}</section>',
        f'<footer><p class="notice">{p.t("end")}</p></footer></body></html>\n',
    ])


def _index_html(entries: list[dict[str, Any]], run: dict[str, Any], lang: str) -> str:
    p = _Page(lang)
    rows = [[f'<a href="{escape(x["html"])}">{e(x["application_no"])}</a>', e(x["application_date"]),
             f'{e(x["region_code"])} {e(x["region_name"])}', e(x["household_id"]),
             p.both(x.get("status_zh"), x.get("status_en")) if x["in_run"] else f'<b class="no">{p.lab("not_in_run")}</b>',
             e(x["points_for_review"]) if x["in_run"] else "—"] for x in entries]
    heads = [p.lab(k) for k in ("application_no", "application_date", "district", "household", "outcome", "points")]
    title = f"{p.text('index_title')} · {run['run_id']}"
    return "".join([
        "<!DOCTYPE html>\n", f'<html lang="{"en" if p.lang == "en" else "zh-CN"}">',
        f'<head><meta charset="utf-8"><title>{escape(title)}</title><style>{CSS}</style></head><body>',
        f"<h1>{p.lab('index_title')} · {e(run['run_id'])} · {p.lab('notice')}</h1>",
        f'<p class="notice">{p.lab("notice_long")}</p>', table(heads, rows, numeric=(5,)), "</body></html>\n"])


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
    written.append(_write(out_dir / f"index{html_suffix}.html", _index_html(entries, run_info, lang)))
    written.append(_write(out_dir / f"index{suffix}.json", _dumps(index)))
    return written
