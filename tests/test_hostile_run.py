"""A whole run seen as an attacker or an auditor would (issue 13): every file it writes scanned
for full ID numbers and names, permissions, Spark's scratch, and a run SIGKILLed inside each
stage's writes that, rerun, gives the same bytes with no partial output ever visible."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pipelines import storage
from pipelines.config import PROJECT_ROOT, load_settings
from pipelines.intake.quarantine import export, run_manifest
from pipelines.jobs import RunContext, run_stage
from pipelines.review.case_file import write_case
from pipelines.schemas import load_schemas
from tests.runs import outputs, schemas_of

pytestmark = pytest.mark.slow

ID_NUMBER = re.compile(r"(?<![0-9])[1-9][0-9]{5}(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx](?![0-9])")
# files whose purpose is to hold personal data: the agencies' extracts, the generator's truth, the
# engine's Parquet tables and its registry of extracts (all owner-only, checked below)
HOLDERS = ("landing/", "truth/")


def _people(data: Path) -> tuple[set[str], set[str]]:
    roster = pq.read_table(next((data / "clean" / "roster").rglob("*.parquet")).parent, columns=["id_number", "name"])
    ids = {i for i in roster.column("id_number").to_pylist() if i and ID_NUMBER.fullmatch(i)}
    names = {n for n in roster.column("name").to_pylist() if n and len(n) >= 2 and not n.isascii()}
    return ids, names


def test_no_full_id_or_name_outside_the_files_meant_to_hold_them_and_all_owner_only(month_run, schemas):
    data, result = month_run
    # what a reviewer and a data steward would produce from the run: case files, the export
    for household in sorted({f["household_id"] for f in result.flags.to_pylist()})[:10]:
        write_case(data, "t", household)
    export(data, run_manifest(data, "t"), schemas, data / "runs" / "t" / "quarantine_export")
    ids, names = _people(data)
    assert ids and names
    leaks, scanned = [], Counter()
    for path in sorted(data.rglob("*")):
        rel = path.relative_to(data).as_posix()
        if not path.is_file() or rel.startswith(HOLDERS) or ".unmasked." in path.name:
            continue
        if path.suffix in {".parquet", ".sqlite"}:  # the engine's tables: owner-only, checked below
            continue
        text = path.read_bytes().decode("utf-8", errors="replace")  # text or not: a leak is a leak
        scanned[path.suffix] += 1
        found = [i for i in ID_NUMBER.findall(text) if i in ids] + [n for n in names if n in text]
        if found:
            leaks.append(f"{rel}: {len(found)} (e.g. {found[0][:4]}…)")
    assert leaks == [], "\n".join(leaks[:20])
    assert scanned[".html"] and scanned[".json"] and scanned[".csv"]  # the scan saw each kind
    wide = [p.relative_to(data).as_posix() for p in data.rglob("*")
            if stat.S_IMODE(p.lstat().st_mode) & 0o077 and not p.is_symlink()]
    assert wide == [], wide[:10]


def test_spark_scratch_lives_in_the_owner_only_data_directory(spark):
    local = Path(spark.sparkContext.getConf().get("spark.local.dir"))
    assert (local.parent.name, local.parent.parent.name, local.name) == ("spark", "scratch", str(os.getpid()))
    spark.range(50_000).repartition(3).groupBy("id").count().collect()  # a shuffle writes blocks
    blocks = list(local.glob("blockmgr-*"))
    assert blocks
    for p in [local, *local.rglob("*")]:
        assert stat.S_IMODE(p.stat().st_mode) & 0o077 == 0, p


# ------------------------------------------------------------------------------- killed inside
MONTH, RUN = "2025-07", "t"
SOURCES = ("roster", "hukou", "disability", "cremation", "bank_deposits")  # the 漏保 screen needs disability
KILLED_SOURCE = "bank_deposits"
KILLER = """
import os, signal, sys
from pipelines import storage
at, seen, real = int(os.environ["WV_TEST_KILL_AT"]), [0], storage.replace
def replace(src, target):  # SIGKILL with the write done but not yet in place
    seen[0] += 1
    if seen[0] == at:
        os.kill(os.getpid(), signal.SIGKILL)
    return real(src, target)
storage.replace = replace
from pipelines.jobs.__main__ import main
sys.exit(main(sys.argv[1:]))
"""


def _steps(sources) -> list[tuple[str, str | None]]:
    per_source = [(stage, s) for s in sources for stage in ("pull", "ingest", "validate")]
    return [("start", None), *per_source, *[(s, None) for s in
            ("link", "household", "evaluate", "flags", "outreach", "publish", "report")]]


def _derived(data: Path) -> None:
    for name in ("raw", "clean", "quarantine", "std", "runs", "registry.sqlite"):
        path = data / name
        shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)


def _nothing_half_written(data: Path) -> None:
    for path in data.rglob("*"):
        if any(part.startswith((".tmp-", ".old-")) for part in path.relative_to(data).parts):
            continue  # hidden work files, removed by the next write of the same target
        if path.suffix == ".parquet":
            pq.read_metadata(path)  # a truncated file fails here
        elif path.suffix == ".json":
            json.loads(path.read_text(encoding="utf-8"))


def test_a_run_killed_inside_each_stage_write_reruns_to_the_same_bytes(spark, settings, tmp_path):
    from pipelines.synth import SynthConfig, generate

    data = tmp_path / "data"
    generate(SynthConfig(households=40, seed=31, month=MONTH), data, PROJECT_ROOT / "rules")
    schemas = schemas_of(tmp_path / "schemas", SOURCES)
    env_settings = {"WV_SCHEMAS_DIR": str(schemas), "WV_SPARK_MASTER": settings.spark_master,
                    "WV_SHUFFLE_PARTITIONS": "1", "WV_SPARK_DRIVER_MEMORY": "2g"}
    run_settings = load_settings(data_dir=data, month=MONTH, schemas_dir=schemas,
                                 spark_master=settings.spark_master, shuffle_partitions=1,
                                 spark_driver_memory="2g")
    ctx = RunContext(run_settings, RUN)

    # the reference run, in this process, counting each step's writes
    writes: Counter = Counter()
    real, step = storage.replace, [None]

    def counting(src, target):
        writes[step[0]] += 1
        return real(src, target)

    storage.replace = counting
    try:
        for stage, source in _steps(SOURCES):
            step[0] = (stage, source)
            run_stage(stage, ctx, source, spark=spark)
    finally:
        storage.replace = real
    reference = outputs(ctx.run_dir)
    _derived(data)

    # the same run, each step killed halfway through its writes, then run again
    env = {**os.environ, **env_settings, "PYTHONPATH": str(PROJECT_ROOT)}
    killed = 0
    for stage, source in _steps(SOURCES):
        if source in (None, KILLED_SOURCE) and writes[(stage, source)]:
            at = max(1, (writes[(stage, source)] + 1) // 2)
            argv = [sys.executable, "-c", KILLER, stage, "--data", str(data), "--month", MONTH,
                    "--run-id", RUN] + (["--source", source] if source else [])
            done = subprocess.run(argv, env={**env, "WV_TEST_KILL_AT": str(at)}, capture_output=True,
                                  text=True, timeout=600)
            assert done.returncode == -9, f"{stage} {source}: {done.returncode}\n{done.stderr[-3000:]}"
            assert not ctx.done(stage, source), f"{stage} {source} looks finished after the kill"
            _nothing_half_written(data)
            killed += 1
        run_stage(stage, ctx, source, spark=spark)
    assert killed == 1 + 3 + 7
    assert outputs(ctx.run_dir) == reference
    leftovers = [p for p in data.rglob("*") if p.name.startswith((".tmp-", ".old-"))]
    assert leftovers == []


@pytest.fixture(scope="module")
def schemas():
    return load_schemas(PROJECT_ROOT / "schemas")
