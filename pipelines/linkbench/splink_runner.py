"""Splink 4 (DuckDB backend) on the benchmark tables: the baseline our linker is measured against.

Needs the optional `bench` extra (`pip install -e .[bench]`: splink and duckdb).

Two runs:

- `splink_febrl4`: FEBRL4 with the "detailed model" of Splink's own FEBRL4 tutorial
  (docs/demos/examples/duckdb/febrl4.ipynb in the Splink repository, Splink 4 syntax): the
  same blocking rules, comparisons and training steps, predictions at match probability
  >= 0.5, every predicted pair kept as Splink outputs it (not forced one-to-one). The
  tutorial's closing "advanced" model (one full-name comparison) is there too;
- `splink_person_link`: roster people against registry records (prepared, standardized
  tables), `link_only`, keeping the best-scoring person for each registry record.

Wall time (`time.perf_counter`) and peak memory (`PeakMemory`, the process tree) cover the
whole linking: loading the Parquet inputs into DuckDB, building the linker, training,
prediction, and fetching the predicted pairs. Metrics and the count of compared pairs are
computed afterwards, outside the timed block. The count comes from Splink's own
`cumulative_comparisons_to_be_scored_from_blocking_rules_data`, which counts the same blocked
pairs (`__splink__blocked_id_pairs`) that `predict` scores: each pair once, even when several
rules find it.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any

from pipelines.link.metrics import pair_metrics, read_truth
from pipelines.linkbench.febrl import write_febrl4
from pipelines.linkbench.memory import PeakMemory

LEFT_ALIAS, RIGHT_ALIAS = "left", "right"


def splink_version() -> str:
    import splink

    return splink.__version__


def _splink():
    try:
        import duckdb
        import splink
    except ImportError as e:  # pragma: no cover - exercised only without the extra
        raise ImportError(
            "Splink benchmarks need the optional 'bench' extra: pip install -e '.[bench]'"
        ) from e
    return splink, duckdb


# --- FEBRL4: the Splink tutorial's model --------------------------------------------------


def febrl4_blocking_rules() -> list:
    """The tutorial's blocking rules for predictions (one arbitrary-SQL rule among them)."""
    from splink import block_on

    return [
        block_on("given_name", "surname"),
        "l.given_name = r.surname and l.surname = r.given_name",
        block_on("date_of_birth"),
        block_on("soc_sec_id"),
        block_on("state", "address_1"),
        block_on("street_number", "address_1"),
        block_on("postcode"),
    ]


def febrl4_settings():
    """The tutorial's `detailed_model_settings` (NameComparison, DoB, Damerau-Levenshtein...)."""
    import splink.comparison_library as cl
    from splink import SettingsCreator

    return SettingsCreator(
        unique_id_column_name="rec_id",
        link_type="link_only",
        blocking_rules_to_generate_predictions=febrl4_blocking_rules(),
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison(
                "date_of_birth",
                input_is_string=True,
                datetime_format="%Y%m%d",
                invalid_dates_as_null=True,
            ),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(
                term_frequency_adjustments=True
            ),
        ],
        retain_intermediate_calculation_columns=True,
    )


def _timed(stages: dict[str, float], name: str, fn, *args, **kwargs):
    start = time.perf_counter()
    try:
        return fn(*args, **kwargs)
    finally:
        stages[name] = time.perf_counter() - start


def febrl4_advanced_settings() -> dict:
    """The tutorial's closing `extended_model_settings`: one full-name comparison (with
    swapped names and typos), DoB, and Damerau-Levenshtein levels on the IDs and postcode.
    Needs the column `full_name` = given_name || '_' || surname."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    swapped = (
        "jaro_winkler_similarity(given_name_l, surname_r)"
        " + jaro_winkler_similarity(surname_l, given_name_r)"
    )
    return {
        "unique_id_column_name": "rec_id",
        "link_type": "link_only",
        "blocking_rules_to_generate_predictions": febrl4_blocking_rules(),
        "comparisons": [
            {
                "output_column_name": "Full name",
                "comparison_levels": [
                    {
                        "sql_condition": "(given_name_l IS NULL OR given_name_r IS NULL)"
                        " and (surname_l IS NULL OR surname_r IS NULL)",
                        "label_for_charts": "Null",
                        "is_null_level": True,
                    },
                    cll.ExactMatchLevel("full_name", term_frequency_adjustments=True),
                    cll.JaroWinklerLevel("full_name", 0.9),
                    cll.JaroWinklerLevel("full_name", 0.7),
                    cll.ColumnsReversedLevel("given_name", "surname"),
                    {
                        "sql_condition": f"{swapped} >= 1.8",
                        "label_for_charts": "switched + jaro_winkler_similarity >= 1.8",
                    },
                    {
                        "sql_condition": f"{swapped} >= 1.4",
                        "label_for_charts": "switched + jaro_winkler_similarity >= 1.4",
                    },
                    cll.ExactMatchLevel("given_name", term_frequency_adjustments=True),
                    cll.ExactMatchLevel("surname", term_frequency_adjustments=True),
                    {
                        "sql_condition": "given_name_l = surname_r OR surname_l = given_name_r",
                        "label_for_charts": "single name cross-matches",
                    },
                    cll.JaroWinklerLevel("given_name", 0.9),
                    cll.JaroWinklerLevel("surname", 0.9),
                    cll.ElseLevel(),
                ],
            },
            cl.DateOfBirthComparison(
                "date_of_birth",
                input_is_string=True,
                datetime_format="%Y%m%d",
                invalid_dates_as_null=True,
            ),
            _edit_distance_comparison(cll, "Social security ID", "soc_sec_id", (1, 2)),
            _edit_distance_comparison(cll, "Street number", "street_number", (1,)),
            _edit_distance_comparison(cll, "Postcode", "postcode", (1, 2)),
        ],
        "retain_intermediate_calculation_columns": True,
    }



def _edit_distance_comparison(cll, title: str, column: str, distances: tuple[int, ...]) -> dict:
    """Null, exact (with term frequencies), then each Damerau-Levenshtein distance, then else."""
    return {
        "output_column_name": title,
        "comparison_levels": [
            cll.NullLevel(column),
            cll.ExactMatchLevel(column, term_frequency_adjustments=True),
            *(cll.DamerauLevenshteinLevel(column, d) for d in distances),
            cll.ElseLevel(),
        ],
    }


def _train_prior_and_u(linker, stages: dict, rules: list, *, recall: float, u_max_pairs: float,
                       seed: int | None) -> None:
    """The prior from deterministic rules, then u by random sampling, each step timed."""
    training = linker.training
    _timed(stages, "train_prior_s", training.estimate_probability_two_random_records_match, rules,
           recall=recall)
    _timed(stages, "train_u_s", training.estimate_u_using_random_sampling, max_pairs=u_max_pairs,
           seed=seed)

def _train_febrl4(linker, stages: dict, *, u_max_pairs: float, seed: int | None) -> None:
    """The tutorial's training: prior from deterministic rules, u by sampling, m by EM twice
    (the same steps for both of its models; the advanced one samples 1e7 pairs for u)."""
    from splink import block_on

    training = linker.training
    _train_prior_and_u(linker, stages, [block_on("soc_sec_id"), block_on("given_name", "surname", "date_of_birth")],
                       recall=0.8, u_max_pairs=u_max_pairs, seed=seed)
    _timed(
        stages,
        "train_em_dob_s",
        training.estimate_parameters_using_expectation_maximisation,
        block_on("date_of_birth"),
        estimate_without_term_frequencies=True,
    )
    _timed(
        stages,
        "train_em_postcode_s",
        training.estimate_parameters_using_expectation_maximisation,
        block_on("postcode"),
        estimate_without_term_frequencies=True,
    )


FEBRL4_MODELS = ("detailed", "advanced")


def splink_febrl4(
    workdir: str | Path,
    *,
    model: str = "detailed",
    threshold: float = 0.5,
    u_max_pairs: float | None = None,
    seed: int | None = None,
) -> dict:
    """FEBRL4 linked by Splink as its tutorial does; metrics, pairs compared, time, memory.

    Writes the FEBRL4 tables into `workdir` (see `write_febrl4`) and links them with the
    tutorial's `detailed` model (the one it predicts and evaluates with) or its closing
    `advanced` one. `u_max_pairs` defaults to the tutorial's value for the model (1e6 and
    1e7); `seed=None` samples differently on each run, as the tutorial does.
    """
    if model not in FEBRL4_MODELS:
        raise ValueError(f"model must be one of {FEBRL4_MODELS}, got {model!r}")
    if u_max_pairs is None:
        u_max_pairs = 1e6 if model == "detailed" else 1e7
    paths = write_febrl4(workdir)
    report = _run_splink(
        paths["left"],
        paths["right"],
        settings=febrl4_settings() if model == "detailed" else febrl4_advanced_settings(),
        select="*" if model == "detailed" else "*, given_name || '_' || surname as full_name",
        blocking_rules=febrl4_blocking_rules(),
        train=lambda linker, stages: _train_febrl4(
            linker, stages, u_max_pairs=u_max_pairs, seed=seed
        ),
        threshold=threshold,
        best_per_right=False,
    )
    truth = read_truth(paths["truth"], "left_id", "right_id")
    return _finish(report, truth, f"febrl4/{model}", threshold, u_max_pairs, seed)


# --- roster people against a registry ----------------------------------------------------

PERSON_COLUMNS = (
    "rec_id",
    "id18",
    "id_clean",
    "birth_date",
    "name_norm",
    "name_pinyin",
    "surname_pinyin",
    "phone",
    "address",
    "region",
)


def person_blocking_rules() -> list:
    """Pairs scored: same valid ID, same cleaned ID text, same birth date and surname, same
    phone, or same full pinyin name in the same county."""
    from splink import block_on

    return [
        block_on("id18"),
        block_on("id_clean"),
        block_on("birth_date", "surname_pinyin"),
        block_on("phone"),
        block_on("name_pinyin", "region"),
    ]


def person_settings():
    """Comparisons for Chinese person records.

    - ID: exact on the valid 18-digit ID (a 15-digit ID converted to 18 included), then exact,
      one edit and two edits (Damerau-Levenshtein, a transposition is one) on the cleaned ID
      text, which also covers invalid IDs;
    - name: exact normalized Chinese name with term-frequency adjustment (王伟 is common),
      then exact pinyin (homophones, variant characters), then Jaro-Winkler on the pinyin at
      0.92 and 0.8. One comparison, not two, because the name and its pinyin are the same
      evidence and Fellegi-Sunter would count it twice;
    - birth date (from the ID, ISO text): exact, within a month, a year, ten years;
    - phone: exact;
    - address: Jaro-Winkler at 0.9 and 0.7.
    """
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import SettingsCreator

    id_comparison = cl.CustomComparison(
        output_column_name="id",
        comparison_levels=[
            cll.NullLevel("id_clean"),
            cll.ExactMatchLevel("id18"),
            cll.ExactMatchLevel("id_clean"),
            cll.DamerauLevenshteinLevel("id_clean", 1),
            cll.DamerauLevenshteinLevel("id_clean", 2),
            cll.ElseLevel(),
        ],
        comparison_description="ID: valid ID equal, cleaned ID equal, 1 or 2 edits apart",
    )
    name_comparison = cl.CustomComparison(
        output_column_name="name",
        comparison_levels=[
            cll.NullLevel("name_pinyin"),
            cll.ExactMatchLevel("name_norm", term_frequency_adjustments=True),
            cll.ExactMatchLevel("name_pinyin"),
            cll.JaroWinklerLevel("name_pinyin", 0.92),
            cll.JaroWinklerLevel("name_pinyin", 0.8),
            cll.ElseLevel(),
        ],
        comparison_description="name: same characters, same pinyin, pinyin Jaro-Winkler",
    )
    return SettingsCreator(
        unique_id_column_name="rec_id",
        link_type="link_only",
        blocking_rules_to_generate_predictions=person_blocking_rules(),
        comparisons=[
            id_comparison,
            name_comparison,
            cl.DateOfBirthComparison(
                "birth_date",
                input_is_string=True,
                datetime_format="%Y-%m-%d",
                invalid_dates_as_null=True,
            ),
            cl.ExactMatch("phone"),
            cl.JaroWinklerAtThresholds("address", [0.9, 0.7]),
        ],
        retain_intermediate_calculation_columns=False,
    )


def _train_person(
    linker, stages: dict, *, recall: float, u_max_pairs: float, seed: int | None
) -> None:
    """Prior from equal valid IDs, u by sampling, m by EM on two blocks.

    m for name, birth date, phone and address come from pairs with the same valid ID; m for
    the ID (and again birth date, phone, address) from pairs with the same pinyin name in
    the same county. Blocking on the birth date would not do for the ID: a mistyped ID fails
    its checksum, so its birth date is null and such pairs never share one.
    """
    from splink import block_on

    training = linker.training
    _train_prior_and_u(linker, stages, [block_on("id18")], recall=recall, u_max_pairs=u_max_pairs, seed=seed)
    _timed(
        stages,
        "train_em_id_s",
        training.estimate_parameters_using_expectation_maximisation,
        block_on("id18"),
        estimate_without_term_frequencies=True,
    )
    _timed(
        stages,
        "train_em_name_region_s",
        training.estimate_parameters_using_expectation_maximisation,
        block_on("name_pinyin", "region"),
        estimate_without_term_frequencies=True,
    )


def splink_person_link(
    left_parquet: str | Path,
    right_parquet: str | Path,
    truth_parquet: str | Path,
    workdir: str | Path,
    *,
    threshold: float = 0.5,
    id_recall: float = 0.9,
    u_max_pairs: float = 1e7,
    seed: int | None = 42,
    truth_left_col: str = "left_id",
    truth_right_col: str = "right_id",
) -> dict:
    """Roster (left) people against registry (right) records, both with `PERSON_COLUMNS`.

    Keeps, for each registry record, the one person with the highest match probability at
    or above `threshold` (a registry record belongs to at most one person); a person may
    hold several registry records. `id_recall` is the guessed share of true links whose
    valid IDs are equal, for Splink's prior. The predicted pairs are written to
    `workdir/splink_person_links.parquet`.
    """
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    report = _run_splink(
        left_parquet,
        right_parquet,
        settings=person_settings(),
        blocking_rules=person_blocking_rules(),
        train=lambda linker, stages: _train_person(
            linker, stages, recall=id_recall, u_max_pairs=u_max_pairs, seed=seed
        ),
        threshold=threshold,
        best_per_right=True,
        select=", ".join(f'"{c}"' for c in PERSON_COLUMNS),
        out_parquet=workdir / "splink_person_links.parquet",
    )
    truth = read_truth(truth_parquet, truth_left_col, truth_right_col)
    return _finish(report, truth, "person", threshold, u_max_pairs, seed)


# --- the shared run -----------------------------------------------------------------------


def _run_splink(
    left_parquet: str | Path,
    right_parquet: str | Path,
    *,
    settings,
    blocking_rules: list,
    train,
    threshold: float,
    best_per_right: bool,
    select: str = "*",
    out_parquet: Path | None = None,
) -> dict[str, Any]:
    splink, duckdb = _splink()
    from splink import DuckDBAPI, Linker
    from splink.blocking_analysis import (
        cumulative_comparisons_to_be_scored_from_blocking_rules_data,
    )

    logging.getLogger("splink").setLevel(logging.WARNING)
    stages: dict[str, float] = {}
    con = duckdb.connect(":memory:")
    try:
        load_before = os.getloadavg()[0]
        with PeakMemory() as mem:
            start = time.perf_counter()
            for name, path in ((LEFT_ALIAS, left_parquet), (RIGHT_ALIAS, right_parquet)):
                con.sql(
                    f"create table {name}_input as "
                    f"select {select} from read_parquet({_sql_text(path)})"
                )
            n_left = con.sql(f"select count(*) from {LEFT_ALIAS}_input").fetchall()[0][0]
            n_right = con.sql(f"select count(*) from {RIGHT_ALIAS}_input").fetchall()[0][0]
            stages["load_s"] = time.perf_counter() - start

            t = time.perf_counter()
            linker = Linker(
                [f"{LEFT_ALIAS}_input", f"{RIGHT_ALIAS}_input"],
                settings,
                db_api=DuckDBAPI(connection=con),
                set_up_basic_logging=False,
                input_table_aliases=[LEFT_ALIAS, RIGHT_ALIAS],
            )
            train(linker, stages)
            stages["train_s"] = time.perf_counter() - t

            t = time.perf_counter()
            predictions = linker.inference.predict(threshold_match_probability=threshold)
            stages["predict_s"] = time.perf_counter() - t

            t = time.perf_counter()
            pairs_sql = _oriented_pairs_sql(predictions.physical_name, best_per_right)
            if out_parquet is not None:
                con.sql(f"copy ({pairs_sql}) to {_sql_text(out_parquet)} (format parquet)")
                pairs_sql = f"select * from read_parquet({_sql_text(out_parquet)})"
            predicted = [(a, b) for a, b, _ in con.sql(pairs_sql).fetchall()]
            stages["collect_s"] = time.perf_counter() - t
            wall = time.perf_counter() - start
        load_after = os.getloadavg()[0]

        counts = cumulative_comparisons_to_be_scored_from_blocking_rules_data(
            table_or_tables=[f"{LEFT_ALIAS}_input", f"{RIGHT_ALIAS}_input"],
            blocking_rules=blocking_rules,
            link_type="link_only",
            db_api=DuckDBAPI(connection=con),
            unique_id_column_name="rec_id",
        )
        params = _model_summary(linker)
    finally:
        con.close()
    return {
        "predicted": predicted,
        "n_left": int(n_left),
        "n_right": int(n_right),
        "pairs_compared": int(counts["row_count"].sum()),
        "pairs_by_rule": [
            {"rule": str(r), "pairs": int(n)}
            for r, n in zip(counts["blocking_rule"], counts["row_count"], strict=True)
        ],
        "wall_s": wall,
        "stages_s": stages,
        "peak_rss_bytes": mem.peak_bytes,
        "baseline_rss_bytes": mem.baseline_bytes,
        "model": params,
        # the machine is shared: other work running alongside slows the timings
        "load_avg_1m": [load_before, load_after],
    }


def _sql_text(value: object) -> str:
    """A SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"


def _oriented_pairs_sql(predictions_table: str, best_per_right: bool) -> str:
    """`(left_id, right_id, match_probability)` whichever side Splink put on the left."""
    oriented = f"""
        select
            case when source_dataset_l = '{LEFT_ALIAS}' then rec_id_l else rec_id_r end
                as left_id,
            case when source_dataset_l = '{LEFT_ALIAS}' then rec_id_r else rec_id_l end
                as right_id,
            match_probability
        from {predictions_table}
    """
    if not best_per_right:
        return oriented
    return f"""
        select left_id, right_id, match_probability from ({oriented})
        qualify row_number() over (
            partition by right_id order by match_probability desc, left_id
        ) = 1
    """


def _model_summary(linker) -> dict:
    """The trained prior and comparison names, for the report (Splink internals: best effort)."""
    settings = getattr(linker, "_settings_obj", None)
    return {
        "probability_two_random_records_match": getattr(
            settings, "_probability_two_random_records_match", None
        ),
        "comparisons": [
            getattr(c, "output_column_name", str(c)) for c in getattr(settings, "comparisons", [])
        ],
    }


def _finish(
    report: dict, truth: set, case: str, threshold: float, u_max_pairs: float, seed: int | None
) -> dict:
    metrics = pair_metrics(
        report.pop("predicted"),
        truth,
        n_left=report["n_left"],
        n_right=report["n_right"],
        pairs_compared=report["pairs_compared"],
    )
    return {
        "tool": "splink",
        "splink_version": splink_version(),
        "duckdb_version": _splink()[1].__version__,
        "case": case,
        "threshold_match_probability": threshold,
        "u_max_pairs": u_max_pairs,
        "seed": seed,
        **metrics,
        "pairs_by_rule": report["pairs_by_rule"],
        "wall_s": report["wall_s"],
        "stages_s": report["stages_s"],
        "peak_rss_bytes": report["peak_rss_bytes"],
        "baseline_rss_bytes": report["baseline_rss_bytes"],
        "model": report["model"],
        "load_avg_1m": report["load_avg_1m"],
    }
