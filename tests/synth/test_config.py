"""Settings are checked before anything runs; progress is reported; the summary prints."""

from __future__ import annotations

import datetime as dt

import pytest
from rich.console import Console

from pipelines.errors import ConfigError
from pipelines.synth import NoiseRates, SynthConfig, generate
from tests.synth.conftest import RULES


def test_defaults_and_dates():
    cfg = SynthConfig()
    assert (cfg.households, cfg.seed, cfg.month) == (2000, 20250701, "2025-07")
    assert cfg.as_of == dt.date(2025, 6, 30)
    assert SynthConfig(month="2025-01").as_of == dt.date(2024, 12, 31)
    assert cfg.planted_count("deceased_member") == 40
    assert SynthConfig(households=200).planted_count("scrapped_car") == 3
    assert SynthConfig(households=50).planted_count("scrapped_car") == 1  # rounds as it falls
    assert SynthConfig(households=20).planted_count("scrapped_car") == 0
    # applications received during the month checked, extracted at its end
    assert cfg.month_end == dt.date(2025, 7, 31)
    assert SynthConfig(month="2024-12").month_end == dt.date(2024, 12, 31)
    assert SynthConfig(month="2024-02").month_end == dt.date(2024, 2, 29)
    assert cfg.applicant_households() == 100
    assert SynthConfig(households=200).applicant_households() == 10
    assert SynthConfig(households=20).applicant_households() == 1
    assert SynthConfig(households=2000, applications=0).applicant_households() == 0
    assert cfg.planted_count("state_payroll_member") == 20
    assert cfg.planted_count("applicant_vehicle_owned") == 3


def test_bad_settings_are_reported_together():
    with pytest.raises(ConfigError) as err:
        SynthConfig(households=0, month="July", noise=NoiseRates(id_typo=1.5), applications=2)
    text = str(err.value)
    assert "households" in text and "month" in text and "id_typo" in text
    assert "applications" in text


def test_progress_and_summary(tmp_path):
    steps = []
    summary = generate(
        SynthConfig(households=40, seed=3),
        tmp_path,
        RULES,
        progress=lambda step, done, total: steps.append((step, done, total)),
    )
    assert steps[0][1] == 0 and steps[-1][1] == steps[-1][2]
    assert [d for _, d, _ in steps] == sorted(d for _, d, _ in steps)
    assert any("hukou" in s for s, _, _ in steps)
    console = Console(record=True, width=160)
    console.print(summary)
    assert "social_insurance" in console.export_text()
    assert summary.records["roster"] > 40


def test_zero_noise_writes_clean_files(tmp_path):
    rates = NoiseRates(**{f: 0.0 for f in NoiseRates.__dataclass_fields__})
    generate(SynthConfig(households=60, seed=5, noise=rates), tmp_path, RULES)
    import pandas as pd

    links = pd.read_parquet(tmp_path / "truth" / "links.parquet")
    assert set(links["noise"]) <= {"", "rare_char_placeholder"}


def test_no_applications_writes_an_empty_extract(tmp_path):
    summary = generate(SynthConfig(households=60, seed=8, applications=0), tmp_path, RULES)
    assert summary.applicant_households == 0 and summary.records["applications"] == 0
    text = (tmp_path / summary.files["applications"]).read_bytes().decode("utf-8-sig")
    assert text.splitlines()[0].startswith("申请编号,申请日期")
    assert len(text.splitlines()) == 1
