"""`welfare-verify`: generate synthetic data, run a month, evaluate, summarise."""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from pipelines.config import Settings, load_settings
from pipelines.errors import EngineError, InputError
from pipelines.paths import check_name, inside, owner_only

app = typer.Typer(add_completion=False, no_args_is_help=True, help="低保 eligibility verification engine")
console = Console()

TIER_ZH = {"hard_event": "硬性事件", "threshold": "超出标准", "inconsistency": "不一致", "verify": "待核实",
           "verify_identity": "身份待核"}

def _name(argument: str) -> Callable[[str | None], str | None]:
    """An option callback: the value must be a plain name (it becomes part of a path)."""

    def check(value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return check_name(value, argument)
        except InputError as exc:  # said the engine's way: one line, exit 2
            _fail(exc)

    return check


_LANG = ["zh"]  # the language of this process's messages: the global --lang, or a command's own


def _lang(value: str | None) -> str:
    """An option callback: zh or en; a command's own --lang also sets the messages' language."""
    if value is None:
        return _LANG[0]
    if value not in LANGS:
        _fail(InputError(f"--lang {value!r}: expected one of {', '.join(LANGS)}"))
    _LANG[0] = value
    return value


def _say(key: str, **values) -> str:
    """A message of the "cli" table: a sentence, the two languages two spaces apart."""
    from pipelines.review.messages import cli_text

    return cli_text(key, _LANG[0], sep="  ", **values)


def _head(key: str, **values) -> str:
    """A title, header or label of the "cli" table: "中文 English", or the English."""
    from pipelines.review.messages import cli_text

    return cli_text(key, _LANG[0], **values)


def _word(key: str, **values) -> str:
    """A cell's word of the "cli" table in the language alone (the header is bilingual)."""
    from pipelines.review.messages import cli_text

    return cli_text(key, _LANG[0], alone=True, **values)


def _table(title: str, *columns: str, right: tuple[str, ...] = ()) -> Table:
    """A table whose title and column headers are keys of the "cli" message table."""
    table = Table(title=title)
    for key in columns:
        table.add_column(_head(key), justify="right" if key in right else "left")
    return table


LANGS = ("zh", "en")
DataOpt = typer.Option(None, "--data", help="data directory (default ./data, or data/demo after `make demo`, or WV_DATA_DIR)")
ReasonOpt = typer.Option(None, "--reason", help="why unmasked data is needed (required with --unmasked; logged)")
ConfigOpt = typer.Option(None, "--config", help="settings file (TOML or YAML)")
MonthOpt = typer.Option(None, "--month", help="month checked, YYYY-MM")


def _settings(config: Path | None, **overrides) -> Settings:
    return load_settings(config, **overrides)


def _version(value: bool) -> None:
    if value:
        from pipelines.audit import engine_version

        console.print(f"welfare-verify {engine_version()}")
        raise typer.Exit()


@app.callback()
def _everything_owner_only(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="print the engine's version and exit"),
    lang: str = typer.Option("zh", "--lang", envvar="WV_LANG", callback=_lang,
                             help="messages and tables in zh (English beside) or en"),
) -> None:
    """低保 eligibility verification engine"""
    owner_only()  # the data directory and every file written are the account's own (0700 / 0600)


def _run_option(help_text: str, required: bool = True):
    return typer.Option(... if required else None, "--run", help=help_text, callback=_name("--run"))


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
        console=console, transient=False,
    )


def _engine_errors(command: Callable) -> Callable:
    """An engine error ends the command with its message in one paragraph, exit code 2."""

    @functools.wraps(command)
    def run(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except EngineError as exc:
            _fail(exc)
        except OSError as exc:  # a path given that cannot be read or written: say which, in one line
            where = exc.filename if exc.filename is not None else "a file"
            _fail(InputError(f"{str(where)[:200]}: {exc.strerror or exc}"))

    return run


def _fail(exc: Exception) -> None:
    # escaped: messages name expectations in [brackets], which rich would read as markup
    # one paragraph, never broken inside a path or a value by the terminal's width
    console.print(f"[bold red]{_head('error')}:[/] {escape(str(exc))}", soft_wrap=True)
    raise typer.Exit(2)


@app.command()
@_engine_errors
def generate(
    households: int = typer.Option(2000, "--households", min=1, help="roster households"),
    seed: int = typer.Option(None, "--seed", help="random seed"),
    data: Path = DataOpt,
    month: str = typer.Option("2025-07", "--month", help="month the data is generated for"),
    config: Path = ConfigOpt,
) -> None:
    """Generate synthetic Chongqing registries with ground truth under DATA."""
    from pipelines.synth import SynthConfig
    from pipelines.synth import generate as run_generate

    settings = _settings(config, data_dir=data, seed=seed, month=month)
    synth_config = SynthConfig(households=households, seed=settings.seed, month=settings.month)
    with _progress() as bar:
        task = bar.add_task("generate", total=None)

        def report(step: str, done: int, total: int) -> None:
            bar.update(task, description=f"generate: {step}", completed=done, total=total)

        summary = run_generate(
            synth_config, settings.data_dir, settings.rules_dir, progress=report,
            schemas_dir=settings.schemas_dir, ruleset=settings.ruleset,
        )
    console.print(summary)
    console.print(_say("ground_truth", flags=summary.expected_flags, month=settings.month))


@app.command()
@_engine_errors
def run(
    data: Path = DataOpt,
    month: str = MonthOpt,
    run_id: str = typer.Option(None, "--run-id", help="run id (default <month>-monthly)",
                               callback=_name("--run-id")),
    master: str = typer.Option(None, "--master", help="Spark master URL"),
    config: Path = ConfigOpt,
) -> None:
    """Verify every roster household for MONTH and write flags with evidence."""
    from pipelines.jobs import run_month
    from pipelines.spark import get_spark

    settings = _settings(config, data_dir=data, month=month, spark_master=master)
    settings.month_start()
    with _progress() as bar:
        task = bar.add_task("start Spark", total=None)
        spark = get_spark(settings)
        result = run_month(spark, settings, run_id, progress=lambda step: bar.update(task, description=step))
        bar.update(task, description="done", total=1, completed=1)
    show_summary(result.manifest, result.flags.to_pylist())
    console.print(f"{_head('outputs')}: {result.run_dir}")


@app.command()
@_engine_errors
def applications(
    day: str = typer.Option(..., "--day", help="the day whose new applications are checked, YYYY-MM-DD"),
    data: Path = DataOpt,
    run_id: str = typer.Option(None, "--run-id", help="run id (default <day>-applications)",
                               callback=_name("--run-id")),
    master: str = typer.Option(None, "--master", help="Spark master URL"),
    config: Path = ConfigOpt,
) -> None:
    """Check the applications received on DAY against the registries: each one's 核对报告."""
    import datetime as dt

    from pipelines.errors import InputError
    from pipelines.jobs import run_applications
    from pipelines.spark import get_spark

    try:
        if len(day) != 10:
            raise ValueError(day)
        dt.date.fromisoformat(day)
    except ValueError:
        raise InputError(f"--day {day!r}: expected a date as YYYY-MM-DD, e.g. 2025-07-15") from None
    settings = _settings(config, data_dir=data, month=day[:7], spark_master=master)
    with _progress() as bar:
        task = bar.add_task("start Spark", total=None)
        spark = get_spark(settings)
        result = run_applications(spark, settings, day, run_id,
                                  progress=lambda step: bar.update(task, description=step))
        bar.update(task, description="done", total=1, completed=1)
    applicants = result.manifest["stages"]["applicants"]
    console.print(_say("applications", applications=applicants["applications"],
                       members=applicants["members"], day=day, flags=result.flags.num_rows))
    console.print(f"{_head('reports')}: {result.run_dir / 'reports' / 'index.html'}")


@app.command()
@_engine_errors
def report(
    run_id: str = _run_option("run id, e.g. 2025-07-09-applications"),
    out: Path = typer.Option(None, "--out", help="output folder (default runs/<run>/reports)"),
    lang: str = typer.Option(None, "--lang", help="zh (English labels beside) or en; default the global --lang", callback=_lang),
    unmasked: bool = typer.Option(False, "--unmasked", help="show raw personal data (needs --reason; logged)"),
    reason: str = ReasonOpt,
    data: Path = DataOpt,
) -> None:
    """Write each application's 核对报告 of an applications run: every member against every
    registry, the outcome of each rule, the points for review."""
    from pipelines.review import write_reports

    settings = _settings(None, data_dir=data)
    if unmasked:
        console.print(f"[yellow]{_say('unmasked_reports')}[/]")
    for path in write_reports(settings.data_dir, run_id, out, unmasked=unmasked, lang=lang,
                              schemas_dir=settings.schemas_dir, reason=reason):
        console.print(str(path), markup=False, highlight=False, soft_wrap=True)


@app.command()
@_engine_errors
def evaluate(
    data: Path = DataOpt,
    run_id: str = _run_option("run id to evaluate"),
    config: Path = ConfigOpt,
) -> None:
    """Score a run against the generator's ground truth (links and flags)."""
    from pipelines.bench import evaluate_run

    settings = _settings(config, data_dir=data)
    result = evaluate_run(settings.data_dir, run_id)
    columns = ("name", "predicted", "actual", "true_positives", "precision", "recall", "f1")
    for part in ("links", "flags"):
        table = _table(_head("scores", part=part), *columns, right=columns[1:])
        for row in result[part]:
            table.add_row(*(str(row[c]) for c in columns))
        console.print(table)
    if "lookalikes" in result:
        la = result["lookalikes"]
        console.print(_say("lookalikes", planted=la["planted"], flagged=len(la["flagged"])))
    if "outreach" in result:
        o = result["outreach"]
        console.print(_say("leads_scored", listed=o["planted_listed"], planted=o["planted"],
                           lookalikes_listed=len(o["lookalikes_listed"]), lookalikes=o["lookalikes"],
                           other=o["unplanned_listed"]))
    console.print(f"{_head('saved')}: {settings.data_dir / 'runs' / run_id / 'evaluation.json'}")


@app.command("link")
@_engine_errors
def link_cmd(
    left: Path = typer.Option(..., "--left", help="left table (.csv with a header, or Parquet)"),
    right: Path = typer.Option(..., "--right", help="right table (.csv or Parquet)"),
    link_config: str = typer.Option(
        ..., "--config", help="linker YAML (fields, comparisons, blocking, thresholds) or a name"
    ),
    out: Path = typer.Option(..., "--out", help="output directory (links/, model.json, report.json)"),
    truth: Path = typer.Option(None, "--truth", help="true pairs (left key, right key) to score"),
    master: str = typer.Option(None, "--master", help="Spark master URL"),
) -> None:
    """Link any two person tables with a YAML linker configuration."""
    from pipelines.link.config import resolve_config
    from pipelines.link.job import check_inputs, run_link
    from pipelines.spark import get_spark

    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / "report.json").is_file())):
        raise InputError(f"--out {out}: exists and is not the output of an earlier `link` "
                         "(its links/, model.json and report.json would be replaced): give a new folder")
    cfg = resolve_config(link_config)
    check_inputs(cfg, left, right, truth)  # the tables' headers and the truth, before Spark starts
    settings = _settings(None, spark_master=master)
    with _progress() as bar:
        task = bar.add_task("start Spark", total=None)
        spark = get_spark(settings, "welfare-verify-link")
        bar.update(task, description=f"link ({cfg.name})")
        report = run_link(spark, left, right, cfg, out, truth)
        bar.update(task, description="done", total=1, completed=1)
    table = _table(_head("links_title", name=escape(cfg.name)), "method", "links", right=("links",))
    for method, n in report["by_method"].items():
        table.add_row(method, str(n))
    console.print(table)
    console.print(_say("link_sizes", left=report["left"]["rows"], right=report["right"]["rows"],
                       pairs=report["pairs_compared"], by_id=report.get("deterministic_pairs") or 0,
                       seconds=report["seconds"]))
    if "evaluation" in report:
        ev = report["evaluation"]
        console.print(
            f"precision {ev['precision']:.4f}  recall {ev['recall']:.4f}  F1 {ev['f1']:.4f}  "
            f"reduction ratio {ev['reduction_ratio']:.6f}"
        )
    console.print(f"{_head('outputs')}: {out}")


@app.command("explain-link")
@_engine_errors
def explain_link(
    record: str = typer.Argument(..., help="registry record key (or the right key of `link`)"),
    run_id: str = _run_option("run id (links of a monthly run)", required=False),
    source: str = typer.Option(None, "--source", help="registry of the record", callback=_name("--source")),
    links_dir: Path = typer.Option(None, "--links", help="or a links/ folder written by `link`"),
    lang: str = typer.Option(None, "--lang", help="zh or en; default the global --lang", callback=_lang),
    unmasked: bool = typer.Option(False, "--unmasked", help="show the full record key (needs --reason; logged)"),
    reason: str = ReasonOpt,
    data: Path = DataOpt,
) -> None:
    """Why a record was linked: each field's comparison and weight, as a waterfall."""
    from pipelines.audit.log import audit_log, require_reason
    from pipelines.link.explain import describe
    from pipelines.link.lookup import find_links
    from pipelines.schemas import load_schemas
    from pipelines.standardize.masking import key_pii, mask_key, mask_middle

    settings = _settings(None, data_dir=data)
    if unmasked:
        reason = require_reason(reason, "explain-link --unmasked")
    rows = find_links(settings.data_dir, record, run_id=run_id, source=source, links_dir=links_dir)
    schemas = load_schemas(settings.schemas_dir)
    if unmasked:
        audit_log(settings.data_dir).record("unmask", reason, command="explain-link", run=run_id,
                                            source=source, record=mask_middle(record),
                                            links=str(links_dir) if links_dir else None)
    for row in rows:
        who = row.get("person_key") or row.get("l_key")
        schema = schemas.get(row.get("source") or "")
        if unmasked:
            shown = record
        elif schema is not None:
            shown = mask_key(record, key_pii(schema))
        else:  # a table of `link`: its key's columns are unknown, so all of it is personal
            shown = mask_key(record, [True] * (record.count("|") + 1))
        where = f"{row['source']}/" if row.get("source") else ""
        console.print(f"[bold]{escape(where + shown)} → {escape(str(who))}[/]")
        for line in describe(row, lang):
            console.print(escape(line))


@app.command()
@_engine_errors
def explain(
    household: str = typer.Argument(..., help="household id"),
    run_id: str = _run_option("run id, e.g. 2025-07-monthly"),
    lang: str = typer.Option(None, "--lang", help="zh or en; default the global --lang", callback=_lang),
    data: Path = DataOpt,
) -> None:
    """A household's evaluation step by step: facts, formulas, every rule with its parameters, status."""
    from pipelines.review import explain_household

    settings = _settings(None, data_dir=data)
    console.print(explain_household(settings.data_dir, run_id, household, lang), markup=False, highlight=False,
                  soft_wrap=True)


@app.command()
@_engine_errors
def case(
    household: str = typer.Argument(..., help="household id"),
    run_id: str = _run_option("run id, e.g. 2025-07-monthly"),
    out: Path = typer.Option(None, "--out", help="output folder (default runs/<run>/cases)"),
    lang: str = typer.Option(None, "--lang", help="zh (English labels beside) or en; default the global --lang", callback=_lang),
    unmasked: bool = typer.Option(False, "--unmasked", help="show raw personal data (needs --reason; logged)"),
    reason: str = ReasonOpt,
    data: Path = DataOpt,
) -> None:
    """A household's case file: flags, evidence, rule trace and linked records, as HTML and JSON."""
    from pipelines.review import write_case

    settings = _settings(None, data_dir=data)
    if unmasked:
        console.print(f"[yellow]{_say('unmasked_case')}[/]")
    paths = write_case(settings.data_dir, run_id, household, out, unmasked=unmasked, lang=lang,
                       schemas_dir=settings.schemas_dir, reason=reason)
    for path in paths:
        console.print(str(path), markup=False, highlight=False, soft_wrap=True)


@app.command()
@_engine_errors
def whatif(
    run_id: str = _run_option("run id whose household facts are evaluated"),
    rules: Path = typer.Option(..., "--rules", help="proposal folder laid out like rules/ (only changed files)"),
    out: Path = typer.Option(None, "--out", help="report JSON (default runs/<run>/whatif/<proposal>.json)"),
    data: Path = DataOpt,
    config: Path = ConfigOpt,
) -> None:
    """How many households and people change status, by district, under proposed rules; benefit change."""
    from pipelines.evaluate.whatif import run_whatif
    from pipelines.spark import get_spark
    from pipelines.storage import write_json

    settings = _settings(config, data_dir=data)
    # everything that can be known before Spark starts is checked first
    if not rules.is_dir():
        raise InputError(f"--rules {rules}: no such folder (a proposal laid out like rules/)")
    households = settings.data_dir / "runs" / run_id / "households"
    if not households.exists():
        raise InputError(f"--run {run_id}: no household facts at {households} (has the run finished?)")
    target = (inside(settings.data_dir, out, "--out") if out
              else settings.data_dir / "runs" / run_id / "whatif" / f"{check_name(rules.name, '--rules')}.json")
    spark = get_spark(settings)
    with _progress() as bar:
        bar.add_task(f"evaluate {run_id} under {rules.name}", total=None)
        report = run_whatif(spark, settings.data_dir, run_id, settings.rules_dir, settings.ruleset, rules)
    write_json(report, target)
    show_whatif(report)
    console.print(f"{_head('report')}: {target}")


def show_whatif(report: dict) -> None:
    total = report["total"]
    console.print(
        f"[bold]{escape(report['run_id'])}[/] ({report['month']}) under [bold]{escape(report['proposal']['folder'])}[/] "
        f"(changes {escape(', '.join(report['proposal']['files']) or 'nothing')})"
    )
    console.print(_say("whatif_changes", hh_changed=total["households_changed"], hh=total["households"],
                       people_changed=total["people_changed"], people=total["people"],
                       before=total["benefit_monthly"], after=total["benefit_monthly_proposed"],
                       change=total["benefit_change"]))
    for warning in report.get("warnings", []):
        console.print(f"[yellow]{_head('warning')}:[/] {escape(warning)}")
    moves = _table(_head("moves_title"), "from", "to", "households", "people", "benefit_change",
                   right=("households", "people", "benefit_change"))
    for t in report["transitions"]:
        moves.add_row(t["from"], t["to"], str(t["households"]), str(t["people"]), t["benefit_change"])
    console.print(moves)
    table = Table(title=_head("districts_title"))
    for col in (_head("district"), _head("households"), "Δ", _head("people"), "Δ ", _head("benefit_change")):
        table.add_column(col, justify="left" if col == _head("district") else "right", no_wrap=True)
    for d in report["districts"]:
        table.add_row(f"{d['region_code']} {d['region_name']}", str(d["households"]), str(d["households_changed"]),
                      str(d["people"]), str(d["people_changed"]), d["benefit_change"])
    console.print(table)


@app.command()
@_engine_errors
def pull(
    source: str = typer.Option(..., "--source", help="registry name, as in schemas/<source>.yaml",
                               callback=_name("--source")),
    url: str = typer.Option(None, "--url", help="SQLAlchemy URL without a password, e.g. sqlite:///bank.db"),
    url_env: str = typer.Option("WV_PULL_URL", "--url-env",
                                help="or the environment variable holding the URL (with its password)"),
    url_file: Path = typer.Option(None, "--url-file", help="or an owner-only file holding the URL"),
    table: str = typer.Option(None, "--table", help="table to copy"),
    query: str = typer.Option(None, "--query", help="or a SELECT to run"),
    as_of: str = typer.Option(..., "--as-of", help="the extract's date, YYYY-MM-DD"),
    data: Path = DataOpt,
    chunk_rows: int = typer.Option(50_000, "--chunk-rows", min=1),
    config: Path = ConfigOpt,
) -> None:
    """Pull a registry extract from a database into landing/<source>/<as_of>/ as Parquet."""
    import datetime as dt

    from pipelines.errors import InputError
    from pipelines.schemas import load_schemas
    from pipelines.sources.database import database_url, pull_database

    settings = _settings(config, data_dir=data)
    url = database_url(url, url_env, url_file)
    if source not in load_schemas(settings.schemas_dir):
        raise InputError(f"source '{source}' has no schema in {settings.schemas_dir}")
    if (table is None) == (query is None):
        raise InputError("give exactly one of --table or --query")
    try:
        day = dt.date.fromisoformat(as_of)
    except ValueError:
        raise InputError(f"--as-of '{as_of}': expected YYYY-MM-DD") from None
    dest = settings.data_dir / "landing" / source / day.isoformat() / f"{source}.parquet"
    with _progress() as bar:
        bar.add_task(f"pull {source}", total=None)
        result = pull_database(url, dest, table=table, query=query, chunk_rows=chunk_rows)
    console.print(_say("pulled", rows=result.rows, dest=dest))


@app.command()
@_engine_errors
def quarantine(
    run_id: str = _run_option("run id"),
    data: Path = DataOpt,
    export_dir: Path = typer.Option(None, "--export", help="write one CSV per source here"),
    source: str = typer.Option(None, "--source", help="only this source", callback=_name("--source")),
    unmasked: bool = typer.Option(False, "--unmasked", help="export raw personal data (needs --reason; logged)"),
    reason: str = ReasonOpt,
    config: Path = ConfigOpt,
) -> None:
    """List a run's quarantined rows by source and reason; export them for the data owner."""
    from pipelines.audit.log import audit_log, require_reason
    from pipelines.intake import quarantine as q
    from pipelines.schemas import load_schemas

    settings = _settings(config, data_dir=data)
    if export_dir is not None:
        export_dir = inside(settings.data_dir, export_dir, "--export")
    if unmasked:
        if export_dir is None:
            raise InputError("--unmasked applies to --export: give --export DIR")
        reason = require_reason(reason, "quarantine --export --unmasked")
    manifest = q.run_manifest(settings.data_dir, run_id)
    table = _table(_head("quarantine_title", run=run_id), "source", "reason", "rows", right=("rows",))
    for c in q.counts(manifest):
        if source is None or c.source == source:
            table.add_row(c.source, c.reason, str(c.rows))
    console.print(table)
    if export_dir is not None:
        if unmasked:
            console.print(f"[yellow]{_say('unmasked_export')}[/]")
            audit_log(settings.data_dir).record("unmask", reason, command="quarantine --export",
                                                run=run_id, source=source or "all",
                                                folder=str(export_dir))
        paths = q.export(settings.data_dir, manifest, load_schemas(settings.schemas_dir),
                         export_dir, unmasked=unmasked, source=source)
        for path in paths:
            console.print(f"{_head('exported')}: {path}")


audit_app = typer.Typer(no_args_is_help=True, help="the audit log of unmasked views")
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
@_engine_errors
def audit_verify(data: Path = DataOpt) -> None:
    """Check the audit log's hash chain; names the first entry edited, deleted, moved or cut off."""
    from pipelines.audit.log import audit_log

    log = audit_log(_settings(None, data_dir=data).data_dir)
    result = log.verify()
    console.print(_say("audit_intact", entries=result.entries, head=result.head[:16], path=log.path))


@audit_app.command("show")
@_engine_errors
def audit_show(
    data: Path = DataOpt,
    household: str = typer.Option(None, "--household", help="only views of this household"),
    user: str = typer.Option(None, "--user", help="only this account's entries"),
) -> None:
    """Who saw unmasked personal data, when, what and why."""
    from pipelines.audit.log import audit_log

    table = _table(_head("audit_title"), "seq", "time", "user", "action", "command", "run", "what", "reason")
    for e in audit_log(_settings(None, data_dir=data).data_dir).entries():
        what = dict(e.get("what") or {})
        if (household and what.get("household") != household) or (user and e.get("user") != user):
            continue
        command, run = what.pop("command", ""), what.pop("run", "")
        cells = (str(e["seq"]), e["time"], e["user"], e["action"], str(command), str(run or ""),
                 ", ".join(f"{k}={v}" for k, v in what.items()), e.get("reason") or "")
        table.add_row(*(escape(c) for c in cells))
    console.print(table)


def show_summary(manifest: dict, flags: list[dict]) -> None:
    """Flags by tier and by district, and what each source sent (no personal data)."""
    from pipelines.standardize.counties import region_name

    counts = ("age", "rows_in", "clean", "quarantined", "balanced")
    sources = _table(_head("sources_title", run=manifest["run_id"], month=manifest["month"]),
                     "source", "as_of", "limit", *counts, right=counts)
    for name, c in manifest["sources"].items():
        if not c.get("as_of"):  # no extract for the month: said, not skipped
            sources.add_row(name, f"[yellow]{_word('none')}[/]", "", "", "", "", "", "")
            continue
        f = c.get("freshness") or {}
        sources.add_row(name, c["as_of"],
                        _word("months", n=f["max_age_months"], oldest=f["oldest_as_of"]) if f else "",
                        str(f.get("age_days", "")), str(c["rows_in"]), str(c["rows_clean"]),
                        str(c["rows_quarantined"]), _word("yes") if c["balanced"] else _word("no"))
    console.print(sources)
    by_code = _table(_head("flags_title", n=len(flags)), "tier", "flag_code", "flags", "borderline",
                     right=("flags", "borderline"))
    counter = Counter((f["tier"], f["flag_code"]) for f in flags)
    borderline = Counter((f["tier"], f["flag_code"]) for f in flags if f["borderline"])
    from pipelines.flags import TIER_ORDER

    for (tier, code), n in sorted(counter.items(), key=lambda x: (TIER_ORDER.get(x[0][0], 9), x[0][1])):
        shown = tier if _LANG[0] == "en" else f"{TIER_ZH.get(tier, tier)} ({tier})"
        by_code.add_row(shown, code, str(n), str(borderline[(tier, code)]))
    console.print(by_code)
    by_region = _table(_head("regions_title"), "region", "district", "households_flagged", "flags",
                       right=("households_flagged", "flags"))
    regions: dict[str, set] = {}
    nflags: Counter = Counter()
    for f in flags:
        regions.setdefault(f["region_code"], set()).add(f["household_id"])
        nflags[f["region_code"]] += 1
    for code in sorted(regions):
        by_region.add_row(code, region_name(code), str(len(regions[code])), str(nflags[code]))
    console.print(by_region)
    leads = manifest.get("stages", {}).get("possibly_eligible")
    if leads is not None:
        signs = ", ".join(f"{k} {v}" for k, v in leads.get("by_sign", {}).items()) or "—"
        console.print(_say("leads", rows=leads["rows"], signs=signs))
