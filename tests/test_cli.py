"""The command line: pulling from a real SQLite database, settings errors, generation."""

from __future__ import annotations

import sqlite3

import pyarrow.parquet as pq
from typer.testing import CliRunner

from pipelines.cli import app

runner = CliRunner()


def test_pull_a_table_from_sqlite_into_landing(tmp_path):
    db = tmp_path / "bank.db"
    with sqlite3.connect(db) as con:
        con.execute("create table deposits (账号 text, 证件号码 text, 户名 text, 余额 real, 余额日期 text, 开户银行 text)")
        con.executemany(
            "insert into deposits values (?, ?, ?, ?, ?, ?)",
            [(f"62{i:08d}", "500103195001011234", "张三", i * 1.5, "2025-06-30", "农商行") for i in range(2500)],
        )
    result = runner.invoke(app, ["pull", "--source", "bank_deposits", "--url", f"sqlite:///{db}",
                                 "--table", "deposits", "--as-of", "2025-06-30", "--data", str(tmp_path),
                                 "--chunk-rows", "1000"])
    assert result.exit_code == 0, result.output
    table = pq.read_table(tmp_path / "landing" / "bank_deposits" / "2025-06-30" / "bank_deposits.parquet")
    assert table.num_rows == 2500 and "余额" in table.column_names


def test_pull_errors_are_one_clear_line(tmp_path):
    result = runner.invoke(app, ["pull", "--source", "nope", "--url", "sqlite:///x.db", "--table", "t",
                                 "--as-of", "2025-06-30", "--data", str(tmp_path)])
    assert result.exit_code == 2 and "nope" in result.output and "Traceback" not in result.output
    result = runner.invoke(app, ["pull", "--source", "bank_deposits", "--url", f"sqlite:///{tmp_path}/missing.db",
                                 "--table", "t", "--as-of", "2025-06-30", "--data", str(tmp_path)])
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_bad_month_is_reported_with_its_setting(tmp_path, monkeypatch):
    result = runner.invoke(app, ["run", "--data", str(tmp_path), "--month", "2025-13"])
    assert result.exit_code == 2 and "--month: expected YYYY-MM" in result.output
    assert "WV_MONTH" not in result.output  # it came from the command line, not the environment
    monkeypatch.setenv("WV_MONTH", "2025-7")
    result = runner.invoke(app, ["run", "--data", str(tmp_path)])
    assert result.exit_code == 2 and "WV_MONTH" in result.output and "'2025-7'" in result.output


def test_arguments_are_checked_before_spark_and_named_as_typed(tmp_path):
    day = runner.invoke(app, ["applications", "--day", "2025/07/15", "--data", str(tmp_path)])
    assert day.exit_code == 2 and "--day '2025/07/15'" in day.output and "month" not in day.output
    lang = runner.invoke(app, ["explain", "H1", "--run", "r1", "--lang", "fr", "--data", str(tmp_path)])
    assert lang.exit_code == 2 and "--lang 'fr'" in lang.output
    rules = runner.invoke(app, ["whatif", "--run", "r1", "--rules", str(tmp_path / "nonexistent"),
                                "--data", str(tmp_path)])
    assert rules.exit_code == 2 and "--rules" in rules.output and "nonexistent" in rules.output


def test_version():
    from pipelines.audit import engine_version

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and engine_version() in result.output


def test_generate_writes_landing_and_truth(tmp_path):
    result = runner.invoke(app, ["generate", "--households", "30", "--seed", "5", "--data", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "truth" / "flags.parquet").exists()
    assert (tmp_path / "landing" / "roster").is_dir()


def test_error_messages_keep_their_brackets():
    import pytest
    import typer

    from pipelines import cli
    from pipelines.errors import InputError

    with cli.console.capture() as captured, pytest.raises(typer.Exit):
        cli._fail(InputError("x rejected [expect_column_values_to_not_be_null on status]"))
    assert "[expect_column_values_to_not_be_null on status]" in captured.get()


def test_messages_are_bilingual_for_staff_and_english_on_request(tmp_path):
    db = tmp_path / "bank.db"
    with sqlite3.connect(db) as con:
        con.execute("create table deposits (账号 text, 余额 real)")
        con.executemany("insert into deposits values (?, ?)", [(f"62{i:08d}", 1.0) for i in range(3)])
    pull = ["pull", "--source", "bank_deposits", "--url", f"sqlite:///{db}", "--table", "deposits",
            "--as-of", "2025-06-30", "--data", str(tmp_path)]
    zh = runner.invoke(app, pull)
    assert zh.exit_code == 0, zh.output
    assert "已拉取 3 行" in zh.output and "pulled 3 rows" in zh.output
    en = runner.invoke(app, ["--lang", "en", *pull])
    assert en.exit_code == 0 and "pulled 3 rows" in en.output and "已拉取" not in en.output
    refused = runner.invoke(app, ["--lang", "en", "pull", "--source", "nope", "--url", "sqlite:///x.db",
                                  "--table", "t", "--as-of", "2025-06-30", "--data", str(tmp_path)])
    assert refused.exit_code == 2 and refused.output.startswith("error:"), refused.output
    again = runner.invoke(app, pull[:1] + ["--source", "nope"] + pull[3:])  # the default is zh again
    assert again.exit_code == 2 and again.output.startswith("错误 error:"), again.output


def test_every_cli_message_has_both_languages_with_the_same_blanks():
    import string

    from pipelines.review.messages import CLI

    for key, (zh, en) in CLI.items():
        assert zh and en, key
        blanks = [{f for _, f, _, _ in string.Formatter().parse(text) if f} for text in (zh, en)]
        assert blanks[0] == blanks[1], key
