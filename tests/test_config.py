import pytest

from pipelines.config import load_settings
from pipelines.errors import ConfigError


def test_defaults_then_file_then_env(tmp_path, monkeypatch):
    cfg = tmp_path / "wv.toml"
    cfg.write_text('data_dir = "from-file"\nmonth = "2025-06"\nseed = 7\n', encoding="utf-8")
    monkeypatch.setenv("WV_MONTH", "2025-07")
    s = load_settings(cfg)
    assert str(s.data_dir) == "from-file"  # file beats default
    assert s.month == "2025-07"  # env beats file
    assert s.seed == 7
    assert s.spark_master == "local[*]"


def test_yaml_file_and_explicit_override(tmp_path):
    cfg = tmp_path / "wv.yaml"
    cfg.write_text("spark_master: spark://127.0.0.1:7077\n", encoding="utf-8")
    s = load_settings(cfg, spark_master="local[2]")
    assert s.spark_master == "local[2]"


def test_all_problems_reported_together(monkeypatch):
    monkeypatch.setenv("WV_MONTH", "2025-13")
    monkeypatch.setenv("WV_SPARK_MASTER", "http://nowhere")
    with pytest.raises(ConfigError) as err:
        load_settings()
    text = str(err.value)
    assert "month" in text and "WV_MONTH" in text and "2025-13" in text
    assert "spark_master" in text


def test_unknown_setting_in_file(tmp_path):
    cfg = tmp_path / "wv.toml"
    cfg.write_text('data_dri = "typo"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="data_dri"):
        load_settings(cfg)


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "nope.toml")
