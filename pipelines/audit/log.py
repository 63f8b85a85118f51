"""The audit log: who saw unmasked personal data, when, what and why, in a hash chain.

One JSON line per entry in `<data>/audit/audit_log.jsonl`, shared by every command (and the review
desk): each entry holds the SHA-256 of the line before it, so an edited, deleted or reordered entry
breaks the chain at that entry, and the head (entry count and the last line's hash) is kept in a
second file, `audit_head.json`, so a truncated tail is caught too. Entries are only ever appended,
under a lock, to owner-only files. The user is the operating-system account of the process (from
its uid, not from LOGNAME or USER, which anyone can set).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
import pwd
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines.errors import EngineError, InputError

GENESIS = "0" * 64
LOG_NAME = "audit_log.jsonl"
HEAD_NAME = "audit_head.json"


class AuditTampered(EngineError):
    """The chain is broken: names the first entry that is not as it was written."""

    def __init__(self, path: Path, entry: int, why: str):
        self.entry = entry
        super().__init__(f"{path}: entry {entry}: {why}")


def current_user() -> str:
    """The operating-system account running this process, from its effective uid."""
    uid = os.geteuid()
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:  # a container user without a passwd entry
        return f"uid:{uid}"


def _digest(entry: dict[str, Any]) -> str:
    """The SHA-256 of an entry's canonical JSON, its own `hash` left out."""
    body = {k: v for k, v in entry.items() if k != "hash"}
    return hashlib.sha256(json.dumps(body, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Verified:
    entries: int
    head: str


class AuditLog:
    """The hash-chained log under one folder (normally `<data>/audit/`)."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.path = self.folder / LOG_NAME
        self.head_path = self.folder / HEAD_NAME

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.folder / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def _head(self) -> dict[str, Any]:
        if not self.head_path.is_file():
            return {"entries": 0, "hash": GENESIS}
        return json.loads(self.head_path.read_text(encoding="utf-8"))

    def _write_head(self, entries: int, head: str) -> None:
        tmp = self.head_path.with_name(f".{HEAD_NAME}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump({"entries": entries, "hash": head}, fh, sort_keys=True)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.head_path)

    def record(self, action: str, reason: str | None = None, **what: Any) -> dict[str, Any]:
        """Append one entry (who and when filled in) and return it."""
        with self._locked():
            head = self._head()
            entry = {
                "seq": head["entries"] + 1,
                "time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "user": current_user(),
                "uid": os.geteuid(),
                "action": action,
                "reason": reason,
                "what": {k: v for k, v in sorted(what.items()) if v is not None},
                "prev": head["hash"],
            }
            entry["hash"] = _digest(entry)
            line = json.dumps(entry, ensure_ascii=False, sort_keys=True).encode("utf-8")
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line + b"\n")
                os.fsync(fd)
            finally:
                os.close(fd)
            self._write_head(entry["seq"], entry["hash"])
        return entry

    def entries(self) -> list[dict[str, Any]]:
        if not self.path.is_file():
            return []
        return [json.loads(line) for line in self.path.read_bytes().splitlines() if line.strip()]

    def verify(self) -> Verified:
        """Check the whole chain; raises AuditTampered naming the first bad entry."""
        lines = self.path.read_bytes().split(b"\n") if self.path.is_file() else []
        if lines and lines[-1] == b"":
            lines.pop()
        prev = GENESIS
        for i, line in enumerate(lines, start=1):
            try:
                entry = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError):
                raise AuditTampered(self.path, i, "not a readable entry (edited)") from None
            if not isinstance(entry, dict) or entry.get("seq") != i:
                found = entry.get("seq") if isinstance(entry, dict) else None
                raise AuditTampered(self.path, i, f"holds entry number {found!r} where {i} belongs "
                                                  "(an entry was deleted or moved)")
            if entry.get("hash") != _digest(entry):
                raise AuditTampered(self.path, i, "its contents differ from what was written (edited)")
            if entry.get("prev") != prev:
                raise AuditTampered(self.path, max(i - 1, 1), "its contents differ from what was "
                                    f"written (entry {i} holds another hash of it)")
            prev = entry["hash"]
        head = self._head()
        if head["entries"] > len(lines):
            raise AuditTampered(self.path, len(lines) + 1,
                                f"missing: the head records {head['entries']} entries, the log "
                                f"holds {len(lines)} (truncated)")
        if head["entries"] < len(lines):
            raise AuditTampered(self.path, head["entries"] + 1,
                                "not recorded in the head (appended outside the engine)")
        if head["hash"] != prev:
            raise AuditTampered(self.path, len(lines), "its contents differ from what was written "
                                                       "(the head holds another hash of it)")
        return Verified(len(lines), prev)


def audit_log(data_dir: Path) -> AuditLog:
    """The audit log of a data directory."""
    return AuditLog(Path(data_dir) / "audit")


def require_reason(reason: str | None, what: str) -> str:
    """Unmasking needs a stated reason; an empty one is refused before anything is shown."""
    if reason is None or not reason.strip():
        raise InputError(f"{what} shows personal data: give --reason (why you need it; it is logged)")
    text = " ".join(reason.split())
    if len(text) > 500:
        raise InputError("--reason: at most 500 characters")
    return text
