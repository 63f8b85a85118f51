"""`python -m pipelines.linkbench`: report helpers, the child-process runner, a tiny run."""

from __future__ import annotations

import json

import pytest

from pipelines.linkbench.__main__ import main, median_of_runs, rounded
from pipelines.linkbench.isolate import run_in_child


def test_median_of_runs_takes_each_figure_on_its_own():
    runs = [
        {"f1": 0.9, "wall_s": 3.0, "tool": "splink", "stages_s": {"a_s": 1.0}, "ok": True},
        {"f1": 0.8, "wall_s": 1.0, "tool": "splink", "stages_s": {"a_s": 3.0}, "ok": True},
        {"f1": 0.7, "wall_s": 2.0, "tool": "splink", "stages_s": {"a_s": 2.0}, "ok": True},
    ]
    assert median_of_runs(runs) == {"f1": 0.8, "wall_s": 2.0, "stages_s": {"a_s": 2.0}}


def test_rounded_keeps_seconds_to_hundredths_and_rates_to_six_digits():
    report = {"wall_s": 12.34567, "f1": 0.99909918927, "runs_s": [1.234], "n": 3, "x": None}
    assert rounded(report) == {"wall_s": 12.35, "f1": 0.999099, "runs_s": [1.23], "n": 3, "x": None}


def test_run_in_child_returns_the_result_or_raises_with_the_child_traceback():
    assert run_in_child("pipelines.linkbench.memory", "tree_rss_bytes") > 0
    with pytest.raises(RuntimeError, match="TypeError"):
        run_in_child("pipelines.linkbench.febrl", "write_febrl4")


def test_synth_persons_then_person_report(tmp_path, capsys):
    pytest.importorskip("splink", reason="Splink baselines need the optional 'bench' extra")
    main(["synth-persons", "--dir", str(tmp_path / "data"), "--people", "40", "--registry",
          "100", "--seed", "5"])  # fmt: skip
    out = tmp_path / "report.json"
    main(["person", "--left", str(tmp_path / "data/persons_left.parquet"),
          "--right", str(tmp_path / "data/persons_right.parquet"),
          "--truth", str(tmp_path / "data/persons_truth.parquet"),
          "--workdir", str(tmp_path / "work"), "--out", str(out)])  # fmt: skip
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["benchmark"] == "person" and report["machine"]["splink"]
    run = report["splink"]["runs"][0]
    assert run["n_left"] == 40 and run["n_right"] == 100 and run["f1"] > 0.8
    assert report["splink"]["median"]["f1"] == run["f1"]
    assert run["peak_rss_mib"] > 0
    assert "[splink_person_link 1/1]" in capsys.readouterr().err
