"""`welfare-verify link` on tables that are not ours (FEBRL4, as CSV), and `explain-link`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from typer.testing import CliRunner

from pipelines.cli import app
from pipelines.link.config import CONFIG_DIR
from pipelines.linkbench.febrl import write_febrl4

runner = CliRunner()


@pytest.fixture(scope="module")
def febrl_csv(tmp_path_factory):
    """1,500 FEBRL4 originals, their duplicates among 2,000 of the B file, as CSV files."""
    base = tmp_path_factory.mktemp("febrl")
    paths = write_febrl4(base / "parquet")
    a = pq.read_table(paths["left"]).to_pandas().sort_values("rec_id").head(1500)
    b = pq.read_table(paths["right"]).to_pandas().sort_values("rec_id")
    truth = pq.read_table(paths["truth"]).to_pandas()
    truth = truth[truth.left_id.isin(a.rec_id)]
    b = b[b.rec_id.isin(truth.right_id)].head(1200)._append(
        b[~b.rec_id.isin(truth.right_id)].head(800)
    )
    truth = truth[truth.right_id.isin(b.rec_id)]
    a.to_csv(base / "a.csv", index=False)
    b.to_csv(base / "b.csv", index=False)
    truth.to_csv(base / "truth.csv", index=False)
    return base


def _link(base, out):
    return runner.invoke(app, ["link", "--left", str(base / "a.csv"), "--right", str(base / "b.csv"),
                               "--config", "febrl4", "--out", str(out),
                               "--truth", str(base / "truth.csv")])


def test_link_two_csv_tables_and_score_against_truth(febrl_csv, tmp_path):
    result = _link(febrl_csv, tmp_path / "out")
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    ev = report["evaluation"]
    assert ev["n_truth"] == 1200
    assert ev["f1"] >= 0.98 and ev["precision"] >= 0.99
    assert ev["reduction_ratio"] > 0.99
    assert "F1" in result.output
    model = json.loads((tmp_path / "out" / "model.json").read_text())
    assert [c["name"] for c in model["comparisons"]][:2] == ["given_name", "surname"]

    again = _link(febrl_csv, tmp_path / "again")
    assert again.exit_code == 0, again.output
    for name in ("model.json", "report.json"):
        assert (tmp_path / "out" / name).read_bytes() == (tmp_path / "again" / name).read_bytes()
    first = sorted(p.name for p in (tmp_path / "out" / "links").glob("*.parquet"))
    for name in first:
        assert (tmp_path / "out" / "links" / name).read_bytes() == (
            tmp_path / "again" / "links" / name
        ).read_bytes()

    links = pq.read_table(tmp_path / "out" / "links").to_pylist()
    key = links[0]["r_key"]
    shown = runner.invoke(app, ["explain-link", key, "--links", str(tmp_path / "out" / "links"),
                                "--lang", "en"])
    assert shown.exit_code == 0, shown.output
    assert "total (match weight)" in shown.output and "given_name" in shown.output
    zh = runner.invoke(app, ["explain-link", key, "--links", str(tmp_path / "out" / "links")])
    assert "合计" in zh.output


def test_missing_column_is_named(febrl_csv, tmp_path):
    bad = tmp_path / "a.csv"
    bad.write_text("rec_id,given_name\nx,anna\n", encoding="utf-8")
    result = runner.invoke(app, ["link", "--left", str(bad), "--right", str(febrl_csv / "b.csv"),
                                 "--config", "febrl4", "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    text = " ".join(result.output.split())  # rich wraps long lines
    assert "the left table lacks column 'surname'" in text and "fields.surname.left" in text
    assert "febrl4.yaml" in text and "Traceback" not in result.output


def test_unknown_config_is_one_line(tmp_path):
    result = runner.invoke(app, ["link", "--left", "a.csv", "--right", "b.csv", "--config", "nope",
                                 "--out", str(tmp_path)])
    assert result.exit_code == 2 and "nope" in result.output


def test_bad_truth_file_is_named_before_linking(febrl_csv, tmp_path):
    bad = tmp_path / "truth.csv"
    bad.write_text("left_id,right_id\nrec-1-org,\n", encoding="utf-8")  # an id missing
    result = runner.invoke(app, ["link", "--left", str(febrl_csv / "a.csv"),
                                 "--right", str(febrl_csv / "b.csv"), "--config", "febrl4",
                                 "--out", str(tmp_path / "o"), "--truth", str(bad)])
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())  # rich wraps long lines
    assert "truth.csv: cannot use as a truth file" in text and "missing id" in text
    assert "Traceback" not in result.output and not (tmp_path / "o").exists()


# ------------------------------------------------------------------ checked before Spark starts
FEBRL_COLUMNS = ["rec_id", "given_name", "surname", "street_number", "address_1", "suburb",
                 "postcode", "state", "date_of_birth", "soc_sec_id"]

# The command in a fresh interpreter: its exit code, its output, how long it took and whether a
# SparkSession (a JVM) was ever started.
_RUN = textwrap.dedent("""
    import json, sys, time
    from typer.testing import CliRunner
    from pipelines.cli import app
    started = time.perf_counter()
    result = CliRunner().invoke(app, sys.argv[1:])
    seconds = time.perf_counter() - started
    from pyspark.sql import SparkSession
    print(json.dumps({"exit": result.exit_code, "output": result.output, "seconds": seconds,
                      "spark": SparkSession.getActiveSession() is not None}))
""")


def _link_fresh(*args) -> dict:
    env = {**os.environ, "COLUMNS": "400"}  # rich wraps at the terminal's width
    done = subprocess.run([sys.executable, "-c", _RUN, "link", *map(str, args)], capture_output=True,
                          text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _csv(path, columns, row=None):
    row = row or [f"{c}-1" for c in columns]
    path.write_text(",".join(columns) + "\n" + ",".join(row) + "\n", encoding="utf-8")
    return path


def test_unknown_comparator_kind_is_named_before_spark_starts(tmp_path):
    config = yaml.safe_load((CONFIG_DIR / "febrl4.yaml").read_text(encoding="utf-8"))
    config["comparisons"][3]["comparator"] = "soundex"
    config["comparisons"][5]["params"] = {"jw_hgh": 0.9}
    path = tmp_path / "my_link.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    a, b = _csv(tmp_path / "a.csv", FEBRL_COLUMNS), _csv(tmp_path / "b.csv", FEBRL_COLUMNS)
    run = _link_fresh("--left", a, "--right", b, "--config", path, "--out", tmp_path / "o")
    assert run["exit"] == 2, run["output"]
    assert f"{path}: comparisons[3].comparator: comparator kind 'soundex' is unknown" in run["output"]
    assert f"{path}: comparisons[5].params: comparator 'text': unknown parameter 'jw_hgh'" in run["output"]
    assert not run["spark"] and run["seconds"] < 10, run
    assert not (tmp_path / "o").exists()


def test_missing_columns_of_both_tables_are_named_before_spark_starts(tmp_path):
    a = _csv(tmp_path / "a.csv", ["rec_id", "given_name"])
    b = tmp_path / "b.parquet"
    pq.write_table(pa.table({c: ["x"] for c in FEBRL_COLUMNS if c != "state"}), b)
    run = _link_fresh("--left", a, "--right", b, "--config", "febrl4", "--out", tmp_path / "o")
    assert run["exit"] == 2, run["output"]
    config = CONFIG_DIR / "febrl4.yaml"
    out = run["output"]
    assert f"{a}: the left table lacks column 'surname', which {config}: fields.surname.left names" in out
    assert f"{b}: the right table lacks column 'state', which {config}: fields.state.right names" in out
    assert "its columns: rec_id, given_name" in out
    assert not run["spark"] and run["seconds"] < 10, run


def test_an_unreadable_table_is_named_before_spark_starts(tmp_path):
    a = tmp_path / "a.parquet"
    a.write_bytes(b"not parquet at all")
    b = _csv(tmp_path / "b.csv", FEBRL_COLUMNS)
    run = _link_fresh("--left", a, "--right", b, "--config", "febrl4", "--out", tmp_path / "o")
    assert run["exit"] == 2 and f"{a}: cannot read its header" in run["output"], run["output"]
    assert not run["spark"]
