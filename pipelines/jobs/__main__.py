"""`python -m pipelines.jobs STAGE --data D --month M [--source S] ...`: one stage of one run.

Also the application spark-submit runs on a cluster: under spark-submit the session takes the
master spark-submit was given. Exit status 0 when the stage finished, 2 on bad input or a rejected
extract (the message names the file, the failures and the Great Expectations report), 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def parse(argv: list[str]) -> argparse.Namespace:
    from pipelines.jobs import STAGES

    p = argparse.ArgumentParser(prog="python -m pipelines.jobs", description=__doc__)
    p.add_argument("stage", choices=STAGES)
    p.add_argument("--data", type=Path, required=True, help="data directory")
    p.add_argument("--month", required=True, help="month checked, YYYY-MM")
    p.add_argument("--run-id", required=True)
    p.add_argument("--kind", choices=("monthly", "applications"), default="monthly")
    p.add_argument("--day", help="for --kind applications: the day whose applications are checked")
    p.add_argument("--source", help="for pull, ingest and validate: the registry")
    p.add_argument("--config", type=Path, help="settings file (TOML or YAML)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    from pipelines.config import load_settings
    from pipelines.errors import EngineError
    from pipelines.jobs import RunContext, run_stage

    args = parse(sys.argv[1:] if argv is None else argv)
    overrides = {}
    if os.environ.get("PYSPARK_GATEWAY_PORT"):  # launched by spark-submit: keep its master
        from pyspark import SparkConf

        overrides["spark_master"] = SparkConf().get("spark.master", "local[*]")
        overrides["spark_remote"] = ""  # the session is spark-submit's, not a Connect server's
    try:
        settings = load_settings(args.config, data_dir=args.data, month=args.month, **overrides)
        ctx = RunContext(settings, args.run_id, args.kind, args.day or None)
        run_stage(args.stage, ctx, args.source)
    except EngineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{args.stage}{' ' + args.source if args.source else ''}: done ({args.run_id})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
