"""`make bench` reports each issue-15 target beside its figure (no timing asserted here)."""

from __future__ import annotations

import pytest

pytest.importorskip("psutil")

from pipelines.bench.__main__ import scaling_exponent, targets  # noqa: E402


def _run(households: int, seconds: float) -> dict:
    return {"households": households, "run_seconds_median": seconds, "peak_memory_gb_median": 8.0,
            "flags_worst_precision": 0.998, "flags_worst_recall": 1.0}


def test_the_exponent_is_the_slope_of_log_time_against_log_households():
    linear = [_run(2000, 20.0), _run(20000, 200.0), _run(88000, 880.0)]
    assert scaling_exponent(linear) == pytest.approx(1.0)
    flatter = [_run(60, 30.0), _run(2000, 40.0), _run(20000, 100.0)]
    assert scaling_exponent(flatter) < 1.0  # the 60-household run is left out of the fit
    assert scaling_exponent([_run(2000, 40.0)]) is None


def test_each_target_is_met_missed_or_not_measured():
    results = {"runs": [_run(2000, 75.0), _run(88000, 540.0)], "scaling_exponent": 0.9,
               "intake": {"rows_per_second_median": 90_000}}
    rows = {what: (value, met) for what, value, _, met in targets(results)}
    assert rows["Chongqing month (88,000 households), s"] == (540.0, True)
    assert rows["demo month (2,000 households), s"] == (75.0, False)
    assert rows["60 households, s"] == (None, None)
    assert rows["intake, rows/s (1M-row GBK bank extract)"] == (90_000, False)
