"""Hostile arguments: names that are paths, unlogged unmasking, secrets on the command line,
tracebacks, permissions (issue 13). Each test uses the hostile input itself as its data."""

from __future__ import annotations

import json
import os
import pwd
import stat
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from pipelines.audit.log import AuditLog, AuditTampered
from pipelines.cli import app
from pipelines.errors import InputError
from pipelines.jobs.__main__ import main as job_main
from pipelines.paths import check_name, file_stem, inside, secure_dir

runner = CliRunner()

HOSTILE = ["../landing", "..", ".", "/etc", "/tmp/x", "a/../../b", "..\\x", "x\x00y", "a\nb", "2025-07\n",
           ".hidden", "~root", "a" * 5000, "C:\\Windows", "r1/../../outside", "\u202e", "名单"]


# ---------------------------------------------------------------------------------- the pattern
@pytest.mark.parametrize("bad", HOSTILE)
def test_a_name_that_is_a_path_is_refused_naming_the_argument(bad):
    with pytest.raises(InputError, match=r"^--run-id "):
        check_name(bad, "--run-id")


@pytest.mark.parametrize("good", ["2025-07-monthly", "t", "2025-07-15-applications", "bank_deposits", "r1.v2"])
def test_ordinary_names_pass_unchanged(good):
    assert check_name(good, "--run-id") == good


@given(st.text(max_size=300), st.text(max_size=300))
def test_a_file_stem_from_any_id_is_one_safe_name_and_distinct_ids_stay_distinct(text, other):
    stem = file_stem(text)
    assert check_name(stem, "stem") == stem
    assert "/" not in stem and "\\" not in stem and not stem.startswith(".")
    if other != text:
        assert file_stem(other) != stem


def test_inside_refuses_a_symbolic_link_that_leads_out(tmp_path):
    data, outside = tmp_path / "data", tmp_path / "outside"
    data.mkdir(), outside.mkdir()
    (data / "link").symlink_to(outside)
    with pytest.raises(InputError, match="--out .*outside the data directory"):
        inside(data, data / "link" / "x", "--out")
    assert inside(data, data / "runs" / "r1", "--out") == (data / "runs" / "r1").resolve()


# ------------------------------------------------------------ nothing outside the data directory
def _snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): (p.read_bytes() if p.is_file() else b"<dir>")
            for p in sorted(root.rglob("*"))}


@pytest.fixture
def sandbox(tmp_path):
    """A data dir with a landing extract and a finished-looking run, and a folder beside it that
    no command may touch."""
    data, outside = tmp_path / "data", tmp_path / "outside"
    (data / "landing" / "roster" / "2025-06-30").mkdir(parents=True)
    (data / "landing" / "roster" / "2025-06-30" / "roster.csv").write_text("家庭编号\nH1\n", encoding="utf-8")
    (data / "runs" / "r1").mkdir(parents=True)
    (data / "runs" / "r1" / "manifest.json").write_text("{}")
    for folder in (outside, outside / "landing", outside / "runs" / "r1"):
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "keep.txt").write_text("must survive")
    return data, outside


def _commands(name: str, data: Path) -> list[list[str]]:
    """Every command of the CLI given `name` where it takes a name that becomes a path."""
    d = ["--data", str(data)]
    spark = [  # commands that start Spark once their arguments pass: only with a name refused
        ["run", "--run-id", name, *d],
        ["applications", "--day", "2025-07-15", "--run-id", name, *d],
        ["whatif", "--run", name, "--rules", str(data / "nope"), *d],
    ]
    try:
        check_name(name, "name")
        spark = []
    except InputError:
        pass
    return spark + [
        ["report", "--run", name, *d],
        ["evaluate", "--run", name, *d],
        ["explain", "H1", "--run", name, *d],
        ["case", "H1", "--run", name, *d],
        ["case", name, "--run", "r1", *d],
        ["explain-link", "K1", "--run", name, *d],
        ["explain-link", "K1", "--run", "r1", "--source", name, *d],
        ["quarantine", "--run", name, *d],
        ["quarantine", "--run", "r1", "--source", name, *d],
        ["pull", "--source", name, "--url", "sqlite:///x.db", "--table", "t", "--as-of", "2025-06-30", *d],
    ]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.one_of(st.sampled_from(HOSTILE), st.text(max_size=40),
                      st.builds(lambda p: "../" * p + "outside", st.integers(1, 6))))
def test_no_command_writes_or_deletes_outside_the_data_directory(sandbox, name):
    data, outside = sandbox
    before, inside_before = _snapshot(outside), _snapshot(data / "landing")
    cwd = os.getcwd()
    os.chdir(data)  # relative names resolve from inside the data dir, as an operator's would
    try:
        for argv in _commands(name, data):
            result = runner.invoke(app, argv)
            assert result.exit_code != 0, (argv, result.output)
            assert "Traceback" not in result.output, (argv, result.output)
            assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), \
                (argv, repr(result.exception))
        for stage in ("start", "pull"):
            args = [stage, "--data", str(data), "--month", "2025-07", "--run-id", name]
            job_main(args + (["--source", "roster"] if stage == "pull" else []))
            job_main(["pull", "--data", str(data), "--month", "2025-07", "--run-id", "r1", "--source", name])
    finally:
        os.chdir(cwd)
    assert _snapshot(outside) == before
    assert _snapshot(data / "landing") == inside_before


def test_a_run_id_that_is_a_path_clears_nothing(sandbox, capsys):
    data, outside = sandbox
    for hostile in (str(outside), "../outside", "../../" + outside.name, "../landing"):
        code = job_main(["start", "--data", str(data), "--month", "2025-07", "--run-id", hostile])
        assert code == 2
        assert "run id (--run-id)" in capsys.readouterr().err
    assert (outside / "keep.txt").read_text() == "must survive"
    assert (data / "landing" / "roster" / "2025-06-30" / "roster.csv").is_file()


@pytest.mark.parametrize("argv", [
    ["run", "--run-id", "a" * 5000, "--month", "2025-07"],
    ["quarantine", "--run", "r1", "--export", "/dev/full"],
    ["explain-link", "K1", "--links", "/etc"],
    ["case", "H1", "--run", "r1", "--out", "/proc/x"],
])
def test_hostile_paths_end_in_one_line_naming_the_argument(sandbox, argv):
    data, _ = sandbox
    result = runner.invoke(app, [*argv, "--data", str(data)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    named = {"run": "--run-id", "quarantine": "--export", "explain-link": "/etc", "case": "--out"}[argv[0]]
    assert named in result.output
    assert len(result.output.strip().splitlines()) <= 4  # one message, wrapped by the terminal at most


# ------------------------------------------------------------------------------ the audit log
def _log_with(tmp_path, n=5) -> AuditLog:
    log = AuditLog(tmp_path / "audit")
    for i in range(n):
        log.record("unmask", f"home visit {i}", command="case", run="r1", household=f"H{i}")
    return log


def _lines(log: AuditLog) -> list[bytes]:
    return log.path.read_bytes().splitlines(keepends=True)


def test_the_audit_log_chain_verifies_and_records_the_os_account_not_logname(tmp_path, monkeypatch):
    monkeypatch.setenv("LOGNAME", "auditor_alice")
    monkeypatch.setenv("USER", "auditor_alice")
    log = _log_with(tmp_path)
    assert log.verify().entries == 5
    entry = log.entries()[0]
    assert entry["user"] == pwd.getpwuid(os.geteuid()).pw_name != "auditor_alice"
    assert entry["reason"] == "home visit 0" and entry["what"]["household"] == "H0"
    for path in (log.path, log.head_path):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_an_edited_byte_names_its_entry(tmp_path):
    log = _log_with(tmp_path)
    lines = _lines(log)
    lines[2] = lines[2].replace(b"home visit 2", b"home visit 9")
    log.path.write_bytes(b"".join(lines))
    with pytest.raises(AuditTampered, match="entry 3: ") as caught:
        log.verify()
    assert caught.value.entry == 3


def test_an_edit_that_recomputes_its_own_hash_is_caught_by_the_next_entry(tmp_path):
    from pipelines.audit.log import _digest

    log = _log_with(tmp_path)
    lines = _lines(log)
    entry = json.loads(lines[1])
    entry["user"] = "someone_else"
    entry["hash"] = _digest(entry)
    lines[1] = (json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n").encode()
    log.path.write_bytes(b"".join(lines))
    with pytest.raises(AuditTampered) as caught:
        log.verify()
    assert caught.value.entry == 2


def test_a_deleted_entry_is_named(tmp_path):
    log = _log_with(tmp_path)
    lines = _lines(log)
    del lines[1]
    log.path.write_bytes(b"".join(lines))
    with pytest.raises(AuditTampered, match="deleted or moved") as caught:
        log.verify()
    assert caught.value.entry == 2


def test_two_swapped_entries_are_named(tmp_path):
    log = _log_with(tmp_path)
    lines = _lines(log)
    lines[2], lines[3] = lines[3], lines[2]
    log.path.write_bytes(b"".join(lines))
    with pytest.raises(AuditTampered) as caught:
        log.verify()
    assert caught.value.entry == 3


def test_a_truncated_tail_is_caught_by_the_head_kept_beside(tmp_path):
    log = _log_with(tmp_path)
    log.path.write_bytes(b"".join(_lines(log)[:3]))
    with pytest.raises(AuditTampered, match="truncated") as caught:
        log.verify()
    assert caught.value.entry == 4


def test_audit_verify_command_names_the_first_bad_entry(tmp_path):
    log = _log_with(tmp_path / "data")
    ok = runner.invoke(app, ["audit", "verify", "--data", str(tmp_path / "data")])
    assert ok.exit_code == 0 and "5 entries" in ok.output
    lines = _lines(log)
    lines[0] = lines[0].replace(b"H0", b"H7")
    log.path.write_bytes(b"".join(lines))
    bad = runner.invoke(app, ["audit", "verify", "--data", str(tmp_path / "data")])
    assert bad.exit_code == 2 and "entry 1" in bad.output


# ------------------------------------------------------------------------ unmasking needs a reason
@pytest.mark.parametrize("argv", [
    ["case", "H1", "--run", "r1", "--unmasked"],
    ["report", "--run", "r1", "--unmasked"],
    ["quarantine", "--run", "r1", "--export", "{data}/runs/r1/export", "--unmasked"],
    ["explain-link", "K1", "--run", "r1", "--unmasked"],
])
def test_unmasking_without_a_reason_is_refused_before_anything_is_shown(sandbox, argv):
    data, _ = sandbox
    (data / "runs" / "r1" / "manifest.json").write_text(json.dumps({"run_id": "r1", "sources": {}}))
    result = runner.invoke(app, [a.format(data=data) for a in argv] + ["--data", str(data)])
    assert result.exit_code == 2 and "--reason" in result.output, result.output
    assert not (data / "audit" / "audit_log.jsonl").exists()


# ---------------------------------------------------------------------------- secrets, permissions
def test_a_password_on_the_command_line_is_refused_and_never_echoed(tmp_path):
    result = runner.invoke(app, ["pull", "--source", "bank_deposits", "--url",
                                 "postgresql://bank:s3cret-pw@db.example/bank", "--table", "t",
                                 "--as-of", "2025-06-30", "--data", str(tmp_path)])
    assert result.exit_code == 2 and "WV_PULL_URL" in result.output
    assert "s3cret-pw" not in result.output


def test_the_url_comes_from_the_environment_or_an_owner_only_file(tmp_path, monkeypatch):
    from pipelines.sources.database import database_url

    monkeypatch.setenv("BANK_URL", "postgresql://bank:pw@db/bank")
    assert database_url(None, "BANK_URL") == "postgresql://bank:pw@db/bank"
    secret = tmp_path / "url"
    secret.write_text("postgresql://bank:pw2@db/bank\n")
    secret.chmod(0o644)
    with pytest.raises(InputError, match="readable by others"):
        database_url(None, None, secret)
    secret.chmod(0o600)
    assert database_url(None, None, secret) == "postgresql://bank:pw2@db/bank"
    monkeypatch.delenv("WV_PULL_URL", raising=False)
    with pytest.raises(InputError, match="no database URL"):
        database_url(None)


def test_a_new_data_directory_is_owner_only_and_a_wide_one_is_warned_about(tmp_path, capsys):
    secure_dir(tmp_path / "new")
    assert stat.S_IMODE((tmp_path / "new").stat().st_mode) == 0o700
    wide = tmp_path / "wide"
    wide.mkdir()
    wide.chmod(0o755)
    secure_dir(wide)
    assert "readable by others" in capsys.readouterr().err


def test_the_cli_writes_owner_only_files_whatever_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        result = runner.invoke(app, ["generate", "--households", "3", "--data", str(tmp_path / "d")])
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.output
    wide = [p for p in (tmp_path / "d").rglob("*")
            if stat.S_IMODE(p.stat().st_mode) & 0o077]
    assert wide == []


def test_link_never_writes_into_a_folder_it_did_not_make(tmp_path):
    foreign = tmp_path / "home"
    foreign.mkdir()
    (foreign / "links").mkdir()
    (foreign / "links" / "mine.txt").write_text("someone's files")
    result = runner.invoke(app, ["link", "--left", "a.csv", "--right", "b.csv", "--config", "febrl4",
                                 "--out", str(foreign)])
    assert result.exit_code == 2 and "--out" in result.output
    assert (foreign / "links" / "mine.txt").read_text() == "someone's files"
