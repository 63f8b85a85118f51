"""Reading a policy from `rules/`: `policy.yaml`, the parameters, the formulas and the rule sets
of each jurisdiction in its chain, every problem of every file collected and reported at once
(a ConfigError naming the file, the entry and the key) before anything runs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from pipelines.errors import ConfigError
from pipelines.policy import checking
from pipelines.policy.expressions import COMPARATORS, Expression, check_parameters, parse_expression
from pipelines.policy.facts import FACTS
from pipelines.policy.parameters import ParameterSet, layered_files, load_parameters
from pipelines.policy.ruleset import Condition, Formula, Policy, Programme, Rule, Status
from pipelines.policy.yamlio import read_mapping

TIERS = ("hard_event", "threshold", "inconsistency", "verify", "verify_identity")
RULE_KEYS = ("id", "version", "legal_basis", "value", "op", "threshold")


def _date_key(entry: dict, key: str, where: str, problems: list[str]) -> dt.date | None:
    raw = entry.get(key)
    if raw is None:
        return None
    if isinstance(raw, dt.date):
        return raw
    try:
        return dt.date.fromisoformat(str(raw))
    except ValueError:
        problems.append(f"{where}: {key} '{raw}' is not a date (YYYY-MM-DD)")
        return None


def _expression(text: Any, where: str, params: ParameterSet, problems: list[str]) -> Expression | None:
    try:
        expr = parse_expression(text, where)
    except ConfigError as exc:
        problems.extend(exc.problems)
        return None
    problems.extend(check_parameters(expr, params, where))
    return expr


def _rule(entry: dict, where: str, ruleset: str, file: str, params: ParameterSet,
          problems: list[str]) -> Rule | None:
    missing = [k for k in RULE_KEYS if entry.get(k) in (None, "")]
    if missing:
        problems.append(f"{where}: missing key(s) {', '.join(missing)}")
        return None
    flag_code = entry.get("flag_code")
    if flag_code and entry.get("tier") not in TIERS:
        problems.append(f"{where}: tier '{entry.get('tier')}' is not one of {', '.join(TIERS)}")
    if entry["op"] not in COMPARATORS:
        problems.append(f"{where}: op '{entry['op']}' is not one of {' '.join(COMPARATORS)}")
    value = _expression(entry["value"], f"{where}.value", params, problems)
    threshold = _expression(entry["threshold"], f"{where}.threshold", params, problems)
    start = _date_key(entry, "effective_from", where, problems)
    end = _date_key(entry, "effective_to", where, problems)
    if start and end and end < start:
        problems.append(f"{where}: effective_to {end} is before effective_from {start}")
    if value is None or threshold is None:
        return None
    return Rule(
        id=str(entry["id"]),
        version=int(entry["version"]),
        title_zh=str(entry.get("title_zh", entry["id"])),
        title_en=str(entry.get("title_en", entry["id"])),
        flag_code=str(flag_code) if flag_code else None,
        tier=str(entry["tier"]) if flag_code else None,
        legal_basis=str(entry["legal_basis"]),
        value=value,
        op=str(entry["op"]),
        threshold=threshold,
        borderline=bool(entry.get("borderline", True)),
        explanation_zh=str(entry.get("explanation_zh", "")),
        explanation_en=str(entry.get("explanation_en", "")),
        effective_from=start,
        effective_to=end,
        ruleset=ruleset,
        file=file,
        requires=tuple(str(r) for r in (entry.get("requires") or [])),
        requires_any=tuple(str(r) for r in (entry.get("requires_any") or [])),
        unless=tuple(str(r) for r in (entry.get("unless") or [])),
    )


def _formulas(roots: list[Path], chain: tuple[str, ...], params: ParameterSet,
              problems: list[str]) -> tuple[list[Formula], list[str]]:
    by_name: dict[str, Formula] = {}
    files = []
    for jurisdiction in chain:
        path = layered_files(roots, jurisdiction).get("formulas.yaml")
        if path is None:
            continue
        files.append(str(path))
        doc = read_mapping(path, problems)
        if doc is None:
            continue
        entries = doc.get("formulas")
        if not isinstance(entries, list):
            problems.append(f"{path}: key 'formulas' must list the formulas")
            continue
        for i, entry in enumerate(entries):
            where = f"{path}: formulas[{i}]"
            if not isinstance(entry, dict) or not entry.get("name") or not entry.get("formula"):
                problems.append(f"{where}: each formula needs 'name' and 'formula'")
                continue
            where = f"{where} ({entry['name']})"
            if entry["name"] in FACTS:
                problems.append(f"{where}: '{entry['name']}' is a household fact, not a formula")
                continue
            for key in ("unit", "legal_basis"):
                if not entry.get(key):
                    problems.append(f"{where}: missing key '{key}'")
            expr = _expression(entry["formula"], f"{where}.formula", params, problems)
            if expr is not None:
                by_name[entry["name"]] = Formula(
                    str(entry["name"]), expr, str(entry.get("unit", "")), str(entry.get("legal_basis", "")),
                    str(entry.get("title_zh", entry["name"])), str(entry.get("title_en", entry["name"])), str(path),
                )
    ordered = checking.order_formulas(by_name, problems)
    problems.extend(checking.missing_formulas(by_name, roots[0]))
    return ordered, files


def load_policy(rules_dir: Path | str, name: str = "chongqing", overlay: Path | str | None = None) -> Policy:
    """Load `rules/<name>/policy.yaml`, its parameters, formulas and rule sets, all checked first.

    `overlay`: a proposal folder laid out like `rules/`; its files replace the base's.
    """
    rules_dir = Path(rules_dir)
    roots = [rules_dir] + ([Path(overlay)] if overlay else [])
    if overlay and not Path(overlay).is_dir():
        raise ConfigError(f"{overlay}: proposed rules folder not found")
    name = name.split("/")[0]
    path = layered_files(roots, name).get("policy.yaml")
    if path is None:
        raise ConfigError(f"{rules_dir / name / 'policy.yaml'}: policy '{name}' not found under {rules_dir}")
    problems: list[str] = []
    doc = read_mapping(path, problems)
    if doc is None:
        raise ConfigError(problems)
    chain = tuple(doc.get("jurisdictions") or ("national", name))
    params = load_parameters(rules_dir, chain, overlay, problems)
    for key in ("policy", "version", "rule_sets", "status"):
        if not doc.get(key):
            problems.append(f"{path}: missing key '{key}'")
    formulas, formula_files = _formulas(roots, chain, params, problems)
    known_names = set(FACTS) | {f.name for f in formulas}

    rules: dict[str, Rule] = {}
    programmes: list[Programme] = []
    files = [str(path), *formula_files]
    uses: list[tuple[str, str, list[str]]] = []
    declared: set[str] = set()  # ids of rules with problems too, so one bad rule is one message
    for set_name in doc.get("rule_sets") or []:
        set_path = layered_files(roots, name).get(f"{set_name}.yaml")
        if set_path is None:
            problems.append(f"{path}: rule_sets: '{set_name}' has no file {rules_dir / name / (set_name + '.yaml')}")
            continue
        files.append(str(set_path))
        sdoc = read_mapping(set_path, problems)
        if sdoc is None:
            continue
        for key in ("ruleset", "programme", "version", "eligible_if", "benefit"):
            if not sdoc.get(key):
                problems.append(f"{set_path}: missing key '{key}'")
        for i, entry in enumerate(sdoc.get("rules") or []):
            where = f"{set_path}: rules[{i}]" + (f" ({entry.get('id')})" if isinstance(entry, dict) else "")
            if not isinstance(entry, dict):
                problems.append(f"{where}: expected a mapping")
                continue
            if entry.get("id"):
                declared.add(str(entry["id"]))
            rule = _rule(entry, where, str(sdoc.get("ruleset", set_name)), str(set_path), params, problems)
            if rule is None:
                continue
            if rule.id in rules:
                problems.append(f"{where}: duplicate rule id '{rule.id}' (also in {rules[rule.id].file})")
                continue
            problems.extend(checking.unknown_names(rule.names, known_names, f"{where}: reads"))
            rules[rule.id] = rule
        conditions = []
        for text in sdoc.get("eligible_if") or []:
            text = str(text).strip()
            must_hold = not text.startswith("not ")
            conditions.append(Condition(text.removeprefix("not ").strip(), must_hold))
        uses.append((str(set_path), str(sdoc.get("programme")), [c.rule_id for c in conditions]))
        benefit = _expression(sdoc.get("benefit", "0"), f"{set_path}: benefit", params, problems)
        if benefit is not None:
            problems.extend(checking.unknown_names(benefit.facts, known_names, f"{set_path}: benefit reads"))
        programmes.append(Programme(
            name=str(sdoc.get("programme")), title_zh=str(sdoc.get("title_zh", set_name)),
            title_en=str(sdoc.get("title_en", set_name)), version=str(sdoc.get("version", "")),
            file=str(set_path), legal_basis=str(sdoc.get("legal_basis", "")),
            conditions=tuple(conditions), benefit=benefit or parse_expression("0", "benefit"),
        ))
    problems.extend(checking.undefined_requirements(rules, declared))
    problems.extend(checking.requirement_cycles(rules))
    problems.extend(checking.undefined_conditions(uses, declared))
    statuses = []
    programme_names = {p.name for p in programmes}
    for i, entry in enumerate(doc.get("status") or []):
        if not isinstance(entry, dict) or not entry.get("status"):
            problems.append(f"{path}: status[{i}] needs 'status'")
            continue
        prog = entry.get("programme")
        if prog is not None and prog not in programme_names:
            problems.append(f"{path}: status[{i}] ({entry['status']}) names programme '{prog}', which no rule set defines")
        statuses.append(Status(str(entry["status"]), prog, str(entry.get("title_zh", entry["status"])),
                               str(entry.get("title_en", entry["status"]))))
    if statuses and statuses[-1].programme is not None:
        problems.append(f"{path}: the last status must have no programme (the household fits none)")
    margin_parameter = str(doc.get("borderline_margin", "dibao.borderline_margin"))
    problems.extend(checking.margin_parameter_problems(path, margin_parameter, params))
    if problems:
        raise ConfigError(problems)
    return Policy(
        name=str(doc["policy"]),
        version=str(doc["version"]),
        title_zh=str(doc.get("title_zh", "")),
        file=str(path),
        chain=chain,
        params=params,
        formulas=tuple(formulas),
        rules=tuple(rules.values()),
        programmes=tuple(programmes),
        statuses=tuple(statuses),
        margin_parameter=margin_parameter,
        files=tuple(sorted(set(files) | set(params.files()))),
    )


# the engine's earlier name for loading the policy
load_ruleset = load_policy
