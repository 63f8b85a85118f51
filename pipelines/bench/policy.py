"""`python -m pipelines.bench.policy`: evaluating the rules against building the household facts.

The issue's target: evaluating the rules for 100,000 households costs less than building their
facts. A generated month (default 2,000 households) is run through the whole engine once; its
clean registries, links and roster are then replicated with suffixed keys to the target number
of households (each copy its own households, people, records and certificates), and both stages
are timed from Parquet in to Parquet out, as the runner does them:
- facts: contributions (registries × links) written, read back, aggregated into facts, written;
- rules: facts read, formulas, every rule of every programme, status and benefit, with the
  trace, written as decisions.
Medians of several runs; this machine is shared, so read the ratio.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from pipelines import household
from pipelines.config import load_settings
from pipelines.evaluate import evaluate
from pipelines.jobs import run_month
from pipelines.policy import load_policy
from pipelines.spark import get_spark
from pipelines.storage import write_json, write_spark
from pipelines.synth import SynthConfig, generate

MONTH = "2025-07"
# columns that identify a household, a person, a record or an asset: suffixed in each copy
KEYS = ("household_id", "person_key", "record_key", "source_record_key", "certificate_no", "plate",
        "uscc", "policy_no")


def _replicate(df: DataFrame, copies: int) -> DataFrame:
    copy = F.explode(F.sequence(F.lit(0), F.lit(copies - 1))).alias("_copy")
    out = df.select("*", copy)
    for key in KEYS:
        if key in df.columns:
            out = out.withColumn(key, F.concat(F.col(key).cast("string"), F.lit("~"), F.col("_copy")))
    return out.drop("_copy")


def _latest(path: Path) -> Path:
    return sorted(p for p in path.iterdir() if p.is_dir())[-1]


def scaled_inputs(spark: SparkSession, data: Path, run_id: str, copies: int, out: Path) -> Path:
    """Clean registries, links and roster of a run, `copies` times over, as Parquet under `out`."""
    if (out / "_done").exists():
        return out
    for source in sorted(p.name for p in (data / "clean").iterdir()):
        df = spark.read.parquet(str(_latest(data / "clean" / source)))
        _replicate(df, copies).write.mode("overwrite").parquet(str(out / "clean" / source))
    links = spark.read.parquet(str(data / "runs" / run_id / "links"))
    _replicate(links, copies).write.mode("overwrite").parquet(str(out / "links"))
    (out / "_done").write_text("ok", encoding="utf-8")
    return out


def build_facts(spark: SparkSession, scaled: Path, period: household.Period, target: Path) -> int:
    clean = {p.name: spark.read.parquet(str(p)) for p in sorted((scaled / "clean").iterdir())}
    links = spark.read.parquet(str(scaled / "links"))
    contrib = household.contributions(clean, links, period)
    write_spark(contrib, target / "contributions", ["household_id", "fact", "source", "record_key"])
    contrib = spark.read.parquet(str(target / "contributions"))
    return write_spark(household.facts(clean["roster"], contrib, period), target / "households", ["household_id"])


def evaluate_rules(spark: SparkSession, facts_dir: Path, policy, on, target: Path) -> int:
    facts = spark.read.parquet(str(facts_dir))
    return write_spark(evaluate(facts, policy, on), target / "decisions", ["household_id"])


def bench(households: int, base_households: int, repeats: int, root: Path) -> dict:
    data = root / f"base{base_households}"
    settings = load_settings(data_dir=data, month=MONTH)
    spark = get_spark(settings)
    if not (data / "runs" / "bench-base" / "manifest.json").exists():
        generate(SynthConfig(households=base_households, seed=1, month=MONTH), data, settings.rules_dir)
        run_month(spark, settings, "bench-base")
    copies = -(-households // base_households)
    scaled = scaled_inputs(spark, data, "bench-base", copies, root / f"scaled{copies * base_households}")
    policy = load_policy(settings.rules_dir, settings.ruleset)
    period = household.Period.of(MONTH, policy.params)
    facts_s, rules_s = [], []
    rows = 0
    for i in range(repeats + 1):  # the first of each is a warm-up
        out = root / "out" / str(i)
        t = time.perf_counter()
        rows = build_facts(spark, scaled, period, out)
        if i:
            facts_s.append(time.perf_counter() - t)
        t = time.perf_counter()
        evaluate_rules(spark, out / "households", policy, period.start, out)
        if i:
            rules_s.append(time.perf_counter() - t)
    facts_m, rules_m = statistics.median(facts_s), statistics.median(rules_s)
    return {
        "households": rows,
        "rules": len(policy.rules),
        "formulas": len(policy.formulas),
        "facts_seconds": [round(s, 2) for s in facts_s],
        "rules_seconds": [round(s, 2) for s in rules_s],
        "facts_seconds_median": round(facts_m, 2),
        "rules_seconds_median": round(rules_m, 2),
        "rules_to_facts_ratio": round(rules_m / facts_m, 3),
        "target_met": rules_m < facts_m,
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m pipelines.bench.policy", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--base-households", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--data", type=Path, default=Path("data/bench/policy"))
    parser.add_argument("--out", type=Path, default=Path("data/bench/policy.json"))
    args = parser.parse_args()
    result = bench(args.households, args.base_households, args.repeats, args.data)
    print(json.dumps(result, ensure_ascii=False))
    write_json(result, args.out)


if __name__ == "__main__":
    main()
