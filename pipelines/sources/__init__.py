"""Pulling and reading registry extracts.

- `files.read_extract`: a landing file (CSV in UTF-8/GBK/GB18030, Excel, JSON Lines, Parquet)
  as header, text columns, exact lines, bad rows and notes (`csvfile`, `excel`, `jsonl`,
  `parquetfile`, with `charset` for encodings);
- `database.pull_database`: a table or query, streamed into one Parquet landing file;
- `registry.ExtractRegistry`: every extract ingested, in `<data_dir>/registry.sqlite`.

`python -m pipelines.bench.reader` times the reader on a 1M-row GBK bank CSV. The database
names load on first use (SQLAlchemy).
"""

from __future__ import annotations

from pipelines.lazy import lazy_names
from pipelines.sources.extract import BadRow, RawExtract
from pipelines.sources.files import landing_files, read_extract, sha256_of
from pipelines.sources.registry import ExtractRecord, ExtractRegistry

# name → module of this package that defines it, imported on first use
_LAZY = {
    "PullResult": "database",
    "database_url": "database",
    "pull_database": "database",
}

__all__ = [
    "BadRow",
    "ExtractRecord",
    "ExtractRegistry",
    "PullResult",
    "RawExtract",
    "database_url",
    "landing_files",
    "pull_database",
    "read_extract",
    "sha256_of",
]


__getattr__ = lazy_names(__name__, _LAZY)
