"""`generate`: the synthetic Chongqing registries, their files and the ground truth."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from pipelines.policy.parameters import load_parameters
from pipelines.schemas import load_schemas
from pipelines.synth import registries
from pipelines.synth.config import (
    APPLICANT_CODES,
    EXCLUSIVE_NOISE,
    LOOKALIKES,
    OUTREACH_CODES,
    PROBLEMS,
    SOURCES,  # noqa: F401 - re-exported: generator.SOURCES was its home
    SynthConfig,
    random_streams,
)
from pipelines.synth.encode import encode
from pipelines.synth.expected_flags import write_expected_flags
from pipelines.synth.plant import plant
from pipelines.synth.world import build_world
from pipelines.synth.writers import (
    schema_types,
    write_csv,
    write_json,
    write_jsonl,
    write_parquet,
    write_xlsx,
)

# UTF-8 CSV files that start with a byte-order mark (the schema declares utf-8).
BOM = frozenset({"applications"})
# Extracts dated the last day of the month checked instead of the day before it: the
# applications received during that month.
MONTH_END = frozenset({"applications"})
# Sheet name and author of the Excel workbooks.
XLSX = {"disability": ("持证残疾人", "重庆市残疾人联合会")}
Progress = Callable[[str, int, int], None]


@dataclass
class GenerationSummary:
    """What a run wrote: records per source, planted households per code, where the files are."""

    data_dir: Path
    seed: int
    month: str
    as_of: str
    households: int
    persons: int
    roster_persons: int
    applicant_households: int = 0
    applicant_persons: int = 0
    records: dict[str, int] = field(default_factory=dict)  # distinct records per source
    lines: dict[str, int] = field(default_factory=dict)  # data lines written, duplicates included
    planted: dict[str, int] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)  # source -> path under data_dir
    truth: dict[str, str] = field(default_factory=dict)
    expected_flags: int = 0  # flags a perfect engine raises for the month (truth/flags.parquet)
    seconds: float = 0.0

    def __str__(self) -> str:
        lines = [
            f"synthetic Chongqing data for {self.month} "
            f"(extracts as of {self.as_of}), seed {self.seed}",
            f"  {self.households} roster households, {self.roster_persons} roster members, "
            f"{self.persons} people in all; {self.applicant_households} applicant households "
            f"({self.applicant_persons} people) in {self.month}",
            "  records per source (lines written, duplicates included):",
        ]
        for source in self.records:
            lines.append(
                f"    {source:<17} {self.records[source]:>10,} ({self.lines[source]:,})"
                f"  {self.files[source]}"
            )
        lines.append("  planted per code (applications: households per outcome):")
        for code, n in self.planted.items():
            lines.append(f"    {code:<33} {n:>5}")
        lines.append(f"  ground truth under {self.data_dir / 'truth'}; took {self.seconds:.1f} s")
        return "\n".join(lines)

    def __rich__(self):
        from rich.console import Group
        from rich.table import Table

        files = Table(title=f"synthetic data {self.month} · seed {self.seed} · as of {self.as_of}")
        for name, justify in (
            ("source", "left"),
            ("records", "right"),
            ("lines", "right"),
            ("file", "left"),
        ):
            files.add_column(name, justify=justify)
        for source in self.records:
            files.add_row(
                source,
                f"{self.records[source]:,}",
                f"{self.lines[source]:,}",
                Path(self.files[source]).name,
            )
        planted = Table(title="planted roster households and applications")
        planted.add_column("code")
        planted.add_column("households", justify="right")
        for code, n in self.planted.items():
            planted.add_row(code, str(n))
        note = (
            f"{self.households} roster households, {self.applicant_households} applicant "
            f"households, {self.persons} people; files under "
            f"{self.data_dir / 'landing'}, truth under {self.data_dir / 'truth'}; "
            f"{self.seconds:.1f} s"
        )
        return Group(files, planted, note)


def _schemas_dir(rules_dir: Path) -> Path:
    beside = Path(rules_dir).resolve().parent / "schemas"
    if beside.is_dir():
        return beside
    return Path(__file__).resolve().parents[2] / "schemas"


def landing_path(data_dir: Path, source: str, as_of: str, fmt: str) -> Path:
    stamp = as_of.replace("-", "")
    return Path(data_dir) / "landing" / source / as_of / f"{source}_{stamp}.{fmt}"


def generate(
    config: SynthConfig,
    data_dir: Path,
    rules_dir: Path,
    progress: Progress | None = None,
    schemas_dir: Path | None = None,
    ruleset: str = "chongqing",
) -> GenerationSummary:
    """Generate the roster, the registries and the ground truth under `data_dir`.

    Deterministic: the same config writes byte-identical files. `progress(step, done, total)`
    is called as the steps advance.

    With `config.sources` set, only those extracts are built and written (the roster always):
    truth/links.parquet and truth/clean/ cover those sources, truth/planted.parquet still lists
    every planted household (the world is the same; their evidence may be in a source not
    written), and truth/flags.parquet is not written, since the flags a perfect engine raises
    need every source (meta.json says so: `truth.flags` is null, `sources` lists what was
    written). Each source has its own random streams, so a source written alone is
    byte-identical to the same source written with all the others.
    """
    started = time.perf_counter()
    data_dir = Path(data_dir)
    sources = config.generated_sources
    total = 4 + len(sources)
    done = 0

    def step(name: str) -> None:
        nonlocal done
        if progress is not None:
            progress(name, done, total)
        done += 1

    schemas = load_schemas(schemas_dir or _schemas_dir(rules_dir))
    params = load_parameters(rules_dir)
    rngs = random_streams(config.seed)
    step("people and households")
    world = build_world(config, params, rngs)
    step("planting problems and look-alikes")
    plant(world, rngs("plant"))
    step("registry extracts")

    persons = world.persons
    # Planted households get no damaging ID noise: roster households with any code and
    # applicant households with a problem.
    protected_hh = np.zeros(len(world.households), dtype=bool)
    protected_hh[[p["hh"] for p in world.planted if p["code"] != "APPLICANT_ELIGIBLE"]] = True
    protected = protected_hh[persons["hh"].to_numpy()]
    # and the people outside the roster co-owning a planted home (found by their ID alone)
    protected[np.asarray(world.protected_pids, dtype=np.int64)] = True
    as_of = config.as_of.isoformat()
    summary = GenerationSummary(
        data_dir=data_dir,
        seed=config.seed,
        month=config.month,
        as_of=as_of,
        households=config.households,
        persons=len(persons),
        roster_persons=int(persons["roster"].sum()),
        applicant_households=len(world.applications),
        applicant_persons=int(persons["applicant"].sum()),
    )
    links = []
    meta_files = {}
    for source in sources:
        step(f"writing {source}")
        schema = schemas[source]
        enc = encode(
            source,
            registries.build_registry(world, rngs, source),
            schema,
            persons,
            config.noise,
            rngs(f"noise.{source}"),
            protected,
        )
        dated = config.month_end.isoformat() if source in MONTH_END else as_of
        path = landing_path(data_dir, source, dated, schema.format)
        if schema.format == "csv":
            write_csv(path, enc.written, schema, enc.duplicate, bom=source in BOM)
        elif schema.format == "xlsx":
            write_xlsx(path, enc.written, schema, *XLSX[source])
        elif schema.format == "jsonl":
            write_jsonl(path, enc.written, schema)
        else:
            write_parquet(path, enc.written, schema_types(schema))
        clean_types = {
            **schema_types(schema),
            "record_key": pa.string(),
            "person_id": pa.string(),
            "synthetic_person_id": pa.string(),
            "person_key": pa.string(),
        }
        write_parquet(data_dir / "truth" / "clean" / f"{source}.parquet", enc.clean, clean_types)
        links.append(
            pd.DataFrame(
                {
                    "source": source,
                    "record_key": enc.clean["record_key"].to_numpy(),
                    "person_id": enc.clean["synthetic_person_id"].to_numpy(),
                    "person_key": enc.clean["person_key"].to_numpy(),
                    "noise": enc.noise,
                }
            )
        )
        rel = path.relative_to(data_dir).as_posix()
        summary.records[source] = len(enc.written)
        summary.lines[source] = (
            len(enc.written) + int(enc.duplicate.sum())
            if schema.format == "csv"
            else len(enc.written)
        )
        summary.files[source] = rel
        meta_files[source] = {
            "path": rel,
            "format": schema.format,
            "encoding": schema.encoding if schema.format in ("csv", "jsonl") else None,
            "bom": source in BOM,
            "as_of": dated,
        }

    step("ground truth")
    truth = data_dir / "truth"
    string = pa.string()
    link_df = pd.concat(links, ignore_index=True)
    write_parquet(
        truth / "links.parquet",
        link_df,
        {
            "source": string,
            "record_key": string,
            "person_id": string,
            "person_key": string,
            "noise": string,
        },
    )
    planted = pd.DataFrame(
        world.planted, columns=["household_id", "person_key", "kind", "code", "detail"]
    )
    planted = planted.sort_values(["kind", "code", "household_id"], kind="stable").reset_index(
        drop=True
    )
    write_parquet(
        truth / "planted.parquet",
        planted,
        {c: string for c in ("household_id", "person_key", "kind", "code", "detail")},
    )
    for code in PROBLEMS + LOOKALIKES + APPLICANT_CODES + OUTREACH_CODES:
        summary.planted[code.upper()] = int((planted["code"] == code.upper()).sum())
    summary.truth = {
        "links": "truth/links.parquet",
        "planted": "truth/planted.parquet",
        "clean": "truth/clean/<source>.parquet",
        "meta": "truth/meta.json",
        "flags": "truth/flags.parquet" if config.all_sources else None,
    }
    pol = world.policy
    write_json(
        truth / "meta.json",
        {
            "seed": config.seed,
            "month": config.month,
            "as_of": as_of,
            "households": config.households,
            "persons": len(persons),
            "roster_persons": summary.roster_persons,
            "applications": {
                "households": summary.applicant_households,
                "persons": summary.applicant_persons,
                "received_from": config.month_start.isoformat(),
                "received_to": config.month_end.isoformat(),
            },
            "config": config.to_dict(),
            "rows": summary.records,
            "lines": summary.lines,
            "files": meta_files,
            "truth": summary.truth,
            "planted": summary.planted,
            "policy": {
                "standard": pol.standard,
                "financial_asset_months": pol.asset_months,
                "income_lookback_months": pol.lookback,
                "income_months": world.months,
            },
            "sources": list(sources),
            "noise_rates": asdict(config.noise),
            "noise_exclusive_groups": [list(g) for g in EXCLUSIVE_NOISE],
            "noise_rates_note": (
                "rates apply to the records eligible for each kind (see NoiseRates); the kinds "
                "applied to each record are in truth/links.parquet, column noise, comma-joined"
            ),
        },
    )
    if config.all_sources:
        # the noise-free records evaluated with the same rules: what a perfect engine flags
        summary.expected_flags = write_expected_flags(data_dir, rules_dir, ruleset, config.month)
    else:
        stale = truth / "flags.parquet"
        if stale.exists():  # from an earlier run in the same directory: it would mislead
            stale.unlink()
    if progress is not None:
        progress("done", total, total)
    summary.seconds = time.perf_counter() - started
    return summary
