"""Intake of each registry extract: landing → raw → clean + quarantine, every row accounted for.

- `ingest`: the extract of the month chosen from landing (fresh enough, or `StaleExtract`) and
  written as raw Parquet, text only;
- `validate`: raw rows typed and checked against the registry's schema, split into clean rows
  and quarantined rows with their reason codes;
- `gates`: the Great Expectations gate that rejects a broken extract;
- `stage`: one source's intake for a run, the steps above in order (`intake_source`);
- `quarantine`: a run's quarantined rows counted and exported for the data owner, masked.

`ingest` and `quarantine` need no Spark and load with the package; the names of the Spark
modules load on first use, so that the DAG files and the CLI start without PySpark.
"""

from __future__ import annotations

from pipelines.intake.ingest import Extract, StaleExtract, choose_as_of, extract_files, ingest_file
from pipelines.intake.quarantine import QuarantineCount, masked_raw_value
from pipelines.lazy import lazy_names

# name → module of this package that defines it, imported on first use (PySpark, Great Expectations)
_LAZY = {
    "SourceOutcome": "stage",
    "ingest_source": "stage",
    "validate_source": "stage",
    "intake_source": "stage",
    "GateLimits": "gates",
    "GateRejected": "gates",
    "GateResult": "gates",
    "Gates": "gates",
}

__all__ = [
    "Extract",
    "GateLimits",
    "GateRejected",
    "GateResult",
    "Gates",
    "QuarantineCount",
    "SourceOutcome",
    "StaleExtract",
    "choose_as_of",
    "extract_files",
    "ingest_file",
    "ingest_source",
    "intake_source",
    "masked_raw_value",
    "validate_source",
]


__getattr__ = lazy_names(__name__, _LAZY)
