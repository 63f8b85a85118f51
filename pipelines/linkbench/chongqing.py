"""Roster × bank registry on generated Chongqing data: our linker and Splink, side by side.

`prepare_inputs` turns a generated data directory (roster, hukou, bank_deposits, see
`SynthConfig.sources`) into the tables both linkers read: the clean records as our linker takes
them (`left_raw`, `right_raw`), the same records standardized by our preparation for Splink
(`left_prepared`, `right_prepared`: Splink has no Chinese ID, name or phone rules, so it gets
ours, untimed), and the truth. `ours.ours_person_link` then times our linker end to end from
the clean records, in the same shape of report as `splink_runner.splink_person_link`.
"""

from __future__ import annotations

import time
from pathlib import Path

LEFT_RAW, RIGHT_RAW = "left_raw.parquet", "right_raw.parquet"
LEFT_PREP, RIGHT_PREP = "left_prepared.parquet", "right_prepared.parquet"
TRUTH = "truth.parquet"


def _spark(app: str):
    from pipelines.config import load_settings
    from pipelines.spark import get_spark

    return get_spark(load_settings(), app_name=app)


def prepare_inputs(data_dir: str | Path, workdir: str | Path, month: str = "2025-07") -> dict:
    """Intake (read, validate, quarantine) of roster, hukou and bank, then the linkers' input
    tables (the roster people carry the former names the hukou extract holds for their ID)."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from pyspark.sql import functions as F

    from pipelines.config import PROJECT_ROOT, month_bounds
    from pipelines.intake import GateLimits, Gates, intake_source
    from pipelines.link.config import builtin_config
    from pipelines.link.prepare import prepare_spark
    from pipelines.link.registries import registry_config, registry_records, roster_people
    from pipelines.schemas import load_schemas
    from pipelines.sources.registry import ExtractRegistry

    data_dir, workdir = Path(data_dir), Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    schemas = load_schemas(PROJECT_ROOT / "schemas")
    spark = _spark("linkbench-prepare")
    _, month_end = month_bounds(month)
    started = time.perf_counter()
    clean = {}
    gates = Gates(workdir / "data_docs", "linkbench")
    for source in ("roster", "hukou", "bank_deposits"):
        outcome = intake_source(
            spark, schemas[source], data_dir, month_end, gates, GateLimits(),
            ExtractRegistry(data_dir / "registry.sqlite"), "linkbench",
        )
        clean[source] = spark.read.parquet(str(outcome.clean_path))
    intake_s = time.perf_counter() - started

    # public security's register gives the roster people their former names (曾用名)
    people = roster_people(clean["roster"].where(F.col("status") == "active"), clean["hukou"])
    people.write.mode("overwrite").parquet(str(workdir / LEFT_RAW))
    records = registry_records({"bank_deposits": clean["bank_deposits"]}, schemas)
    records.write.mode("overwrite").parquet(str(workdir / RIGHT_RAW))

    config = registry_config(builtin_config("chongqing_person"))
    started = time.perf_counter()
    for side, path, out in (("left", LEFT_RAW, LEFT_PREP), ("right", RIGHT_RAW, RIGHT_PREP)):
        df = spark.read.parquet(str(workdir / path))
        prepared = prepare_spark(df, config, side).select(
            F.col("rec_key").alias("rec_id"),
            F.col("id__id18").alias("id18"),
            F.col("id__id_clean").alias("id_clean"),
            F.col("birth_date__iso").alias("birth_date"),
            F.col("name__simplified").alias("name_norm"),
            F.col("name__pinyin").alias("name_pinyin"),
            F.col("name__surname_pinyin").alias("surname_pinyin"),
            F.col("phone__number").alias("phone"),
            F.col("address__text").alias("address"),
            F.col("id__region6").alias("region"),
        )
        prepared.write.mode("overwrite").parquet(str(workdir / out))
    # what Splink's inputs cost: our standardization of every record of both tables
    standardize_s = time.perf_counter() - started

    truth = pq.read_table(data_dir / "truth" / "links.parquet").to_pandas()
    truth = truth[(truth.source == "bank_deposits") & truth.person_key.notna()]
    # the right table's record ids carry the source, as registry_records writes them
    from pipelines.link.registries import SEP

    right_ids = [f"bank_deposits{SEP}{k}" for k in truth.record_key]
    pq.write_table(
        pa.table({"left_id": truth.person_key.astype(str).tolist(), "right_id": right_ids}),
        workdir / TRUTH,
    )
    rows = {
        "left": spark.read.parquet(str(workdir / LEFT_RAW)).count(),
        "right": spark.read.parquet(str(workdir / RIGHT_RAW)).count(),
        "truth": len(right_ids),
    }
    spark.stop()
    return {"workdir": str(workdir), "rows": rows, "intake_s": round(intake_s, 1),
            "standardize_for_splink_s": round(standardize_s, 1)}


def generate_roster_and_bank(
    data_dir: str, households: int, bank_accounts_per_adult: float | None = None
) -> dict:
    """The generator restricted to the roster and the bank registry, at benchmark scale."""
    from pipelines.config import PROJECT_ROOT
    from pipelines.synth import SynthConfig, generate

    extra = {}
    if bank_accounts_per_adult is not None:
        extra["bank_accounts_per_adult"] = bank_accounts_per_adult
    config = SynthConfig(
        households=households, sources=("roster", "hukou", "bank_deposits"), **extra
    )
    started = time.perf_counter()
    summary = generate(config, Path(data_dir), PROJECT_ROOT / "rules")
    return {"seconds": round(time.perf_counter() - started, 1), "records": summary.records}


def floor(workdir: str, repeats: int = 3) -> dict:
    """A plain Spark join of the prepared tables on the standardized ID, warmed up first."""
    from pipelines.linkbench.floor import plain_id_join_seconds

    spark = _spark("linkbench-floor")
    try:
        return plain_id_join_seconds(
            spark, Path(workdir) / LEFT_PREP, Path(workdir) / RIGHT_PREP, "id18",
            repeats=repeats, warmup=1,
        )
    finally:
        spark.stop()
