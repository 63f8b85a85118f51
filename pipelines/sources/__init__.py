"""Pulling and reading registry extracts.

- `files.read_extract`: a landing file (CSV in UTF-8/GBK/GB18030, Excel, JSON Lines, Parquet)
  as header, text columns, exact lines, bad rows and notes (`csvfile`, `excel`, `jsonl`,
  `parquetfile`, with `charset` for encodings);
- `database.pull_database`: a table or query, streamed into one Parquet landing file;
- `registry.ExtractRegistry`: every extract ingested, in `<data_dir>/registry.sqlite`.

`python -m pipelines.bench.reader` times the reader on a 1M-row GBK bank CSV.
"""
