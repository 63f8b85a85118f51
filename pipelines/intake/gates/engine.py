"""Run the gates of one pipeline run in one ephemeral Great Expectations context, then Data Docs."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.intake.gates._ge import gx
from pipelines.intake.gates.result import GateResult, describe, summarise
from pipelines.intake.gates.suite import CRITICAL, MISSING_COLUMN, GateLimits, build_suite
from pipelines.schemas import Schema

# Counts without samples of unexpected values: the quarantine holds every failing row, and the
# frame GE sees holds codes for most columns, not the values (see metrics_frame).
RESULT_FORMAT: dict[str, Any] = {"result_format": "BASIC", "partial_unexpected_count": 0}
DOCS_SITE = "gates"


class Gates:
    """The Great Expectations gate of each registry extract of one run.

    `validate` checks the typed rows of one extract against the suite derived from its schema;
    `build_docs` writes a Data Docs site with every validation of the run.
    """

    def __init__(self, docs_dir: Path | str, run_id: str):
        ge = gx()
        from great_expectations.data_context.types.base import (
            DataContextConfig,
            InMemoryStoreBackendDefaults,
            ProgressBarsConfig,
        )

        self.docs_dir = Path(docs_dir).resolve()  # GE wants an absolute base directory
        self.run_id = run_id
        config = DataContextConfig(
            store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
            data_docs_sites={
                DOCS_SITE: {
                    "class_name": "SiteBuilder",
                    "show_how_to_buttons": False,
                    "store_backend": {
                        "class_name": "TupleFilesystemStoreBackend",
                        "base_directory": str(self.docs_dir),
                    },
                    "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
                }
            },
            analytics_enabled=False,
            progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
        )
        self._context = ge.get_context(project_config=config, mode="ephemeral")
        self._datasource = self._context.data_sources.add_pandas(name="registries")
        self._batches: dict[str, Any] = {}
        self._runs: dict[str, int] = {}

    def validate(
        self,
        df: Any,
        schema: Schema,
        limits: GateLimits | None = None,
        previous_rows: int | None = None,
        as_of: dt.date | None = None,
        file_names: Sequence[str] = (),
    ) -> GateResult:
        """Validate one extract; `df` (an Arrow table, or a Spark DataFrame, read into Arrow)
        carries the schema's typed columns plus `_row_ok` and `<id column>__id_valid` for each
        id_checksum check (see with_id_validity).

        Great Expectations runs every expectation of the suite over every row, on the columns
        the suite names (see `metrics_frame`), with its pandas engine: no Spark job.
        """
        ge = gx()
        from great_expectations.core.run_identifier import RunIdentifier

        started = time.perf_counter()
        source = schema.source
        table = df if isinstance(df, pa.Table) else df.toArrow()
        planned = build_suite(schema, limits, previous_rows, as_of)
        # An expectation on a column the frame lacks would fail the whole aggregate GE bundles
        # it into, and with it every other expectation; it is reported as not evaluated instead.
        present = set(table.column_names)
        pairs = [(e, r) for e, r in zip(planned.expectations,
                                         build_suite(schema, limits, previous_rows, as_of).expectations,
                                         strict=True)
                 if _columns(e) <= present or e.meta["reason"] == MISSING_COLUMN]
        frame, dates = metrics_frame(table, [r for _, r in pairs])
        for _, expectation in pairs:
            if expectation.configuration.kwargs.get("column") in dates:
                _as_timestamps(expectation)

        n = self._runs[source] = self._runs.get(source, 0) + 1
        name = source if n == 1 else f"{source} ({n})"
        suite = self._context.suites.add(
            ge.ExpectationSuite(name=name, expectations=[r for _, r in pairs], meta=planned.meta)
        )
        definition = self._context.validation_definitions.add(
            ge.ValidationDefinition(name=name, data=self._batch(source), suite=suite)
        )
        checkpoint = self._context.checkpoints.add(
            ge.Checkpoint(name=name, validation_definitions=[definition],
                          result_format=RESULT_FORMAT)
        )
        run = RunIdentifier(run_name=self.run_id, run_time=dt.datetime.now(dt.UTC))
        outcome = checkpoint.run(batch_parameters={"dataframe": frame}, run_id=run)
        (validation,) = outcome.run_results.values()

        # The stored suite keeps the order of `pairs`; results come back in GE's own order.
        by_id = {r.expectation_config.id: r for r in validation.results}
        results = {id(e): by_id[stored.id] for (e, _), stored in zip(pairs, suite.expectations, strict=True)}
        summaries: list[tuple[dict, dict]] = []
        for expectation in planned.expectations:
            meta, config = expectation.meta, expectation.configuration.to_json_dict()
            r = results.get(id(expectation))
            if r is None:
                missing = ", ".join(sorted(_columns(expectation) - present))
                summary = summarise(config, meta, False, {}, f"column {missing} is absent")
            else:
                summary = summarise(config, meta, r.success, r.result or {}, _error(r))
            summaries.append((summary, meta))

        missing_columns = {s["column"] for s, _ in summaries
                           if s["reason"] == MISSING_COLUMN and not s["success"]}
        critical = [
            describe(s, m) for s, m in summaries
            if s["severity"] == CRITICAL and not s["success"]
            # a missing required column is one finding, not also "cannot count its nulls"
            and not (s.get("error") and s["column"] in missing_columns)
        ]
        return GateResult(
            source=source,
            success=not critical,
            critical=critical,
            expectations=[s for s, _ in summaries],
            seconds=round(time.perf_counter() - started, 3),
            files=list(file_names),
            docs_index=str(self.docs_dir / "index.html"),
        )

    def build_docs(self) -> Path:
        """Write the Data Docs site (one page per validation) and return its index.html."""
        self._context.build_data_docs(site_names=[DOCS_SITE])
        index = self.docs_dir / "index.html"
        if not index.is_file():
            raise FileNotFoundError(f"{index}: Great Expectations wrote no Data Docs index")
        return index

    def _batch(self, source: str) -> Any:
        if source not in self._batches:
            asset = self._datasource.add_dataframe_asset(name=source)
            self._batches[source] = asset.add_batch_definition_whole_dataframe(name=source)
        return self._batches[source]


def _columns(expectation: Any) -> set[str]:
    kwargs = expectation.configuration.kwargs
    return {*([kwargs["column"]] if kwargs.get("column") else []), *kwargs.get("column_list", [])}


def _error(result: Any) -> str | None:
    info = result.exception_info or {}
    infos = info.values() if "raised_exception" not in info else [info]
    for item in infos:
        if isinstance(item, dict) and item.get("raised_exception"):
            return (item.get("exception_message") or "error").splitlines()[0][:200]
    return None


def metrics_frame(table: pa.Table, expectations: list[Any]) -> tuple[pd.DataFrame, set[str]]:
    """The pandas frame Great Expectations checks: every row, and for each column the suite
    names a form that keeps exactly what its expectations test while GE's pandas engine can
    compute it without a Python call per row:

    - a column checked against a set of values (codes, regions, the helper booleans): its values;
    - other text (required columns, keys): each value's number in the column's dictionary, so
      that empty, equal and distinct values stay so;
    - decimals and integers: as float64 when every value is then exact and keeps its order
      (under 2^53 units; else the values themselves); dates: as datetime64, their bounds as
      timestamps (returned: the date columns).
    """
    in_set = {e.configuration.kwargs.get("column") for e in expectations
              if e.expectation_type == "expect_column_values_to_be_in_set"}
    names = dict.fromkeys(c for e in expectations for c in sorted(_columns(e)) if c in table.column_names)
    columns: dict[str, Any] = {}
    dates: set[str] = set()
    for name in names:
        column = table.column(name)
        array = column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()
        kind = array.type
        if pa.types.is_boolean(kind):
            columns[name] = array.to_pandas() if array.null_count else array.to_numpy(zero_copy_only=False)
        elif pa.types.is_string(kind) and name in in_set:
            columns[name] = pc.dictionary_encode(array).to_pandas()
        elif pa.types.is_string(kind):
            codes = pc.dictionary_encode(array).indices.to_numpy(zero_copy_only=False)
            columns[name] = codes.astype(np.float64 if array.null_count else np.int64)
        elif pa.types.is_date(kind):
            columns[name] = array.cast(pa.timestamp("ns")).to_pandas()
            dates.add(name)
        elif pa.types.is_decimal(kind) or pa.types.is_integer(kind):
            columns[name] = _numbers(array)
        else:
            columns[name] = array.to_pandas()
    return pd.DataFrame(columns, index=pd.RangeIndex(table.num_rows), copy=False), dates


EXACT_UNITS = 2**53


def _numbers(array: pa.Array) -> Any:
    """Integers and decimals as float64 where each value is then exact or, for decimals, stays
    apart from its neighbours and keeps its order; else the values as they are."""
    if pa.types.is_integer(array.type) and not array.null_count:
        return array.to_numpy()
    scale = array.type.scale if pa.types.is_decimal(array.type) else 0
    bounds = pc.min_max(array).as_py()
    biggest = max((abs(v) for v in bounds.values() if v is not None), default=0)
    if biggest < EXACT_UNITS / 10 ** (scale + 2 if scale else 0):
        return array.cast(pa.float64()).to_numpy(zero_copy_only=False)
    return array.to_pandas()


def _as_timestamps(expectation: Any) -> None:
    """Date bounds as the timestamps a datetime64 column compares with."""
    for bound in ("min_value", "max_value"):
        value = getattr(expectation, bound, None)
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            setattr(expectation, bound, pd.Timestamp(value))
