"""`python -m pipelines.linkbench`: Splink baselines and the ID-join floor, as a JSON report.

    python -m pipelines.linkbench febrl --workdir data/linkbench/febrl --out febrl.json --repeats 3
    python -m pipelines.linkbench person --left L.parquet --right R.parquet --truth T.parquet \\
        --workdir data/linkbench/person --out person.json
    python -m pipelines.linkbench floor --left L.parquet --right R.parquet --out floor.json
    python -m pipelines.linkbench synth-persons --dir data/linkbench/synth --people 231600 \\
        --registry 2000000

Each Splink repeat runs in a fresh child process, so that its peak memory is its own and not
what an earlier repeat (or a Spark JVM) left behind. The report holds every run and, under
`median`, the median of each figure over the runs (each figure on its own).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
from pathlib import Path
from typing import Any

import psutil

from pipelines.linkbench.isolate import run_in_child

MIB = 1024 * 1024
RUNNER = "pipelines.linkbench.splink_runner"
OURS = "pipelines.linkbench.ours"


def median_of_runs(runs: list[dict]) -> dict:
    """Median of every numeric top-level figure (and of `stages_s`) over the runs."""
    out: dict[str, Any] = {}
    for key, value in runs[0].items():
        if isinstance(value, bool):
            continue
        if isinstance(value, int | float):
            values = [r[key] for r in runs if isinstance(r.get(key), int | float)]
            if len(values) == len(runs):
                out[key] = statistics.median(values)
        elif key == "stages_s":
            out[key] = {k: statistics.median(r[key][k] for r in runs) for k in value}
    return out


def rounded(obj: Any, key: str = "") -> Any:
    """Figures for reading: seconds to 0.01 s, other floats to 6 significant digits."""
    if isinstance(obj, dict):
        return {k: rounded(v, k) for k, v in obj.items()}
    if isinstance(obj, list):
        return [rounded(v, key) for v in obj]
    if isinstance(obj, float):
        if key.endswith("_s"):
            return round(obj, 2)
        return float(f"{obj:.6g}")
    return obj


def _with_mib(run: dict) -> dict:
    for key in ("peak_rss_bytes", "baseline_rss_bytes"):
        if isinstance(run.get(key), int | float):
            run[key.replace("_bytes", "_mib")] = run[key] / MIB
    return run


def machine() -> dict:
    info = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 1024**3, 1),
    }
    for package in ("splink", "duckdb", "sqlglot", "pyspark", "pandas", "pyarrow"):
        try:
            from importlib.metadata import version

            info[package] = version(package)
        except Exception:
            info[package] = None
    return info


def _repeat(fn_name: str, repeats: int, module: str = RUNNER, **kwargs) -> dict:
    runs = []
    for i in range(repeats):
        run = _with_mib(run_in_child(module, fn_name, **kwargs))
        runs.append(run)
        print(
            f"[{fn_name} {i + 1}/{repeats}] f1={run['f1']:.4f} precision={run['precision']:.4f} "
            f"recall={run['recall']:.4f} pairs={run['pairs_compared']:,} "
            f"wall={run['wall_s']:.1f}s peak={run['peak_rss_mib']:.0f} MiB",
            file=sys.stderr,
        )
    return {"median": median_of_runs(runs), "runs": runs}


def _write(report: dict, out: Path | None) -> None:
    text = json.dumps(rounded(report), indent=2, ensure_ascii=False, default=str)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text + "\n", encoding="utf-8")
    print(text)


def cmd_febrl(args) -> dict:
    from pipelines.linkbench.febrl import write_febrl4

    paths = write_febrl4(args.workdir)
    splink = _repeat(
        "splink_febrl4",
        args.repeats,
        workdir=str(args.workdir),
        model=args.model,
        threshold=args.threshold,
        u_max_pairs=args.u_max_pairs,
        seed=args.seed,
    )
    ours = _repeat("ours_febrl4", args.repeats, OURS, workdir=str(args.workdir))
    return {
        "benchmark": f"febrl4/{args.model}",
        "inputs": {k: str(v) for k, v in paths.items()},
        "machine": machine(),
        "ours": ours,
        "splink": splink,
        "ours_minus_splink_f1": ours["median"]["f1"] - splink["median"]["f1"],
    }


def cmd_person(args) -> dict:
    splink = _repeat(
        "splink_person_link",
        args.repeats,
        left_parquet=str(args.left),
        right_parquet=str(args.right),
        truth_parquet=str(args.truth),
        workdir=str(args.workdir),
        threshold=args.threshold,
        id_recall=args.id_recall,
        u_max_pairs=args.u_max_pairs,
        seed=args.seed,
        truth_left_col=args.truth_left_col,
        truth_right_col=args.truth_right_col,
    )
    return {
        "benchmark": "person",
        "inputs": {"left": str(args.left), "right": str(args.right), "truth": str(args.truth)},
        "machine": machine(),
        "splink": splink,
    }


def cmd_floor(args) -> dict:
    from pipelines.config import load_settings
    from pipelines.linkbench.floor import plain_id_join_seconds
    from pipelines.spark import get_spark

    spark = get_spark(load_settings(), app_name="linkbench-floor")
    try:
        floor = plain_id_join_seconds(
            spark, args.left, args.right, args.id_col, repeats=args.repeats, warmup=args.warmup
        )
    finally:
        spark.stop()
    return {
        "benchmark": "floor",
        "inputs": {"left": str(args.left), "right": str(args.right)},
        "machine": machine(),
        "floor": _with_mib(floor),
    }


def cmd_synth_persons(args) -> dict:
    from pipelines.linkbench.synthetic import write_person_tables

    paths = write_person_tables(
        args.dir,
        n_people=args.people,
        n_registry=args.registry,
        accounts_per_person=args.accounts_per_person,
        seed=args.seed,
    )
    return {"benchmark": "synth-persons", "outputs": {k: str(v) for k, v in paths.items()}}


def cmd_chongqing(args) -> dict:
    """Generate (if needed) roster + bank, intake, then ours, Splink and the ID-join floor."""
    from pipelines.linkbench import chongqing

    data = args.data
    if not (data / "truth" / "links.parquet").exists():
        run_in_child(
            "pipelines.linkbench.chongqing", "generate_roster_and_bank",
            data_dir=str(data), households=args.households,
            bank_accounts_per_adult=args.bank_accounts_per_adult,
        )
    prepared = run_in_child(
        "pipelines.linkbench.chongqing", "prepare_inputs", data_dir=str(data),
        workdir=str(args.workdir),
    )
    w = args.workdir
    ours = _repeat(
        "ours_person_link", args.repeats, OURS, left_raw=str(w / chongqing.LEFT_RAW),
        right_raw=str(w / chongqing.RIGHT_RAW), truth_parquet=str(w / chongqing.TRUTH),
        workdir=str(w),
    )
    report = {
        "benchmark": "chongqing roster x bank",
        "inputs": prepared,
        "machine": machine(),
        "ours": ours,
    }
    if not args.skip_splink:
        splink = _repeat(
            "splink_person_link", args.repeats, left_parquet=str(w / chongqing.LEFT_PREP),
            right_parquet=str(w / chongqing.RIGHT_PREP), truth_parquet=str(w / chongqing.TRUTH),
            workdir=str(w), threshold=args.threshold, id_recall=0.9, u_max_pairs=1e7, seed=42,
            truth_left_col="left_id", truth_right_col="right_id",
        )
        report["splink"] = splink
        report["ours_over_splink_wall"] = ours["median"]["wall_s"] / splink["median"]["wall_s"]
        report["ours_minus_splink_f1"] = ours["median"]["f1"] - splink["median"]["f1"]
    floor = run_in_child(
        "pipelines.linkbench.chongqing", "floor", workdir=str(w), repeats=args.repeats,
    )
    report["floor"] = _with_mib(floor)
    # per-stage seconds are dicts, which the median leaves out: the median run's own stages
    stages = [r.get("stage_s") or {} for r in ours["runs"]]
    det = statistics.median(s["deterministic"] for s in stages if "deterministic" in s) if any(
        "deterministic" in s for s in stages) else None
    if det and floor.get("wall_s"):
        report["deterministic_s"] = det
        report["deterministic_over_floor"] = det / floor["wall_s"]
    return report


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m pipelines.linkbench", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    def common(sp, *, seed_default):
        sp.add_argument("--out", type=Path, help="write the JSON report here too")
        sp.add_argument("--repeats", type=int, default=1, help="runs, each in a fresh process")
        sp.add_argument("--threshold", type=float, default=0.5, help="match probability")
        sp.add_argument("--seed", type=int, default=seed_default, help="u-sampling seed")

    f = sub.add_parser("febrl", help="FEBRL4 tables, then Splink with its tutorial's model")
    f.add_argument("--workdir", type=Path, default=Path("data/linkbench/febrl4"))
    f.add_argument(
        "--model",
        choices=("detailed", "advanced"),
        default="detailed",
        help="the tutorial's model: 'detailed' (it evaluates this one) or its closing 'advanced'",
    )
    f.add_argument(
        "--u-max-pairs", type=float, default=None, help="default: the tutorial's, 1e6 or 1e7"
    )
    common(f, seed_default=None)
    f.set_defaults(run=cmd_febrl)

    pp = sub.add_parser("person", help="Splink on prepared roster and registry tables")
    pp.add_argument("--left", type=Path, required=True, help="roster people (Parquet)")
    pp.add_argument("--right", type=Path, required=True, help="registry records (Parquet)")
    pp.add_argument("--truth", type=Path, required=True, help="true links (Parquet or CSV)")
    pp.add_argument("--truth-left-col", default="left_id")
    pp.add_argument("--truth-right-col", default="right_id")
    pp.add_argument("--workdir", type=Path, default=Path("data/linkbench/person"))
    pp.add_argument("--u-max-pairs", type=float, default=1e7)
    pp.add_argument("--id-recall", type=float, default=0.9, help="share of links with equal IDs")
    common(pp, seed_default=42)
    pp.set_defaults(run=cmd_person)

    fl = sub.add_parser("floor", help="plain Spark join of the two tables on the ID")
    fl.add_argument("--left", type=Path, required=True)
    fl.add_argument("--right", type=Path, required=True)
    fl.add_argument("--id-col", default="id18")
    fl.add_argument("--out", type=Path)
    fl.add_argument("--repeats", type=int, default=3, help="timed runs")
    fl.add_argument("--warmup", type=int, default=1, help="untimed runs first (JVM warm-up)")
    fl.set_defaults(run=cmd_floor)

    cq = sub.add_parser("chongqing", help="generated roster x bank: ours, Splink, the floor")
    cq.add_argument("--data", type=Path, default=Path("data/linkbench/chongqing"))
    cq.add_argument("--workdir", type=Path, default=Path("data/linkbench/chongqing-work"))
    cq.add_argument("--households", type=int, default=100_000)
    cq.add_argument("--bank-accounts-per-adult", type=float, default=None)
    cq.add_argument("--skip-splink", action="store_true")
    common(cq, seed_default=42)
    cq.set_defaults(run=cmd_chongqing)

    sp = sub.add_parser("synth-persons", help="stand-in prepared tables with true links")
    sp.add_argument("--dir", type=Path, required=True)
    sp.add_argument("--people", type=int, default=231_600)
    sp.add_argument("--registry", type=int, default=2_000_000)
    sp.add_argument("--accounts-per-person", type=float, default=2.0)
    sp.add_argument("--seed", type=int, default=0)
    sp.add_argument("--out", type=Path)
    sp.set_defaults(run=cmd_synth_persons)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if getattr(args, "repeats", 1) < 1:
        raise SystemExit("--repeats must be at least 1")
    _write(args.run(args), getattr(args, "out", None))
    return 0


if __name__ == "__main__":
    sys.exit(main())
