"""Find the links of one record, in a monthly run's links or in the output of `link`."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds

from pipelines.errors import InputError


def find_links(
    data_dir: Path,
    record: str,
    *,
    run_id: str | None = None,
    source: str | None = None,
    links_dir: Path | None = None,
) -> list[dict]:
    """Links whose record (right) key is `record`; read with pyarrow, no Spark needed."""
    if links_dir is None:
        if run_id is None:
            raise InputError("give --run RUN (a monthly run) or --links DIR (output of `link`)")
        links_dir = Path(data_dir) / "runs" / run_id / "links"
    if not Path(links_dir).exists():
        raise InputError(f"{links_dir}: no links here (has the run finished?)")
    try:
        dataset = ds.dataset(str(links_dir), format="parquet")
        key = "source_record_key" if "source_record_key" in dataset.schema.names else "r_key"
        if key not in dataset.schema.names:
            raise InputError(f"{links_dir}: not a links folder (no source_record_key or r_key column)")
        rows = dataset.to_table(filter=ds.field(key) == record).to_pylist()
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"{links_dir}: not a links folder written by `link` or a run "
                         f"({str(exc).splitlines()[0][:200]})") from None
    if source is not None:
        rows = [r for r in rows if r.get("source") == source]
    if not rows:
        where = f" in source {source}" if source else ""
        raise InputError(f"{links_dir}: no link for record {record!r}{where}")
    return sorted(rows, key=lambda r: (str(r.get("source")), -(r.get("score") or r.get("probability") or 0)))
