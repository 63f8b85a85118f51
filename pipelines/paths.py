"""Names that become paths, and paths the engine writes: checked in one place.

A run id, a source name or a household id ends up in a file name; given `../landing` or an
absolute path it would reach outside the data directory. So every name from an argument is
checked against one pattern before anything runs (`check_name`), every id from the data that
becomes a file name goes through `file_stem`, and every path the engine writes or clears is
checked to resolve inside the data directory (`inside`). The data directory and everything in it
are owner-only (`secure_dir`, `OWNER_UMASK`).
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import sys
from pathlib import Path

from pipelines.errors import InputError

NAME_MAX = 100
# letters, digits, '-', '_' and '.', not leading with '.', at most NAME_MAX characters
NAME_PATTERN = re.compile(rf"^[A-Za-z0-9_-][A-Za-z0-9._-]{{0,{NAME_MAX - 1}}}$")
OWNER_UMASK = 0o077  # files 0600, folders 0700
_WARNED: set[Path] = set()


def check_name(value: object, argument: str) -> str:
    """`value` unchanged when it is a safe name; else an InputError naming the argument."""
    text = "" if value is None else str(value)
    if NAME_PATTERN.fullmatch(text) and ".." not in text:
        return text
    shown = text if len(text) <= 60 else text[:57] + "..."
    raise InputError(
        f"{argument} {shown!r}: expected a name of letters, digits, '-', '_' or '.' "
        f"(not leading with '.', at most {NAME_MAX} characters)"
    )


def file_stem(value: object) -> str:
    """A file name for an id read from the data: the id itself when it is a safe name, else its
    safe characters and a digest of the whole id (so two ids never share a file)."""
    text = "" if value is None else str(value)
    if NAME_PATTERN.fullmatch(text) and ".." not in text:
        return text
    kept = re.sub(r"[^A-Za-z0-9_-]+", "_", text).strip("_")[:40]
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return f"{kept}-{digest}" if kept else f"id-{digest}"


def inside(root: Path, path: Path | str, argument: str) -> Path:
    """`path` resolved (relative paths against the working directory), refused unless it is
    `root` or under it; symbolic links are followed, so a link cannot lead out."""
    base = Path(root).resolve()
    try:
        target = Path(path).resolve()
    except (OSError, RuntimeError, ValueError) as exc:
        raise InputError(f"{argument} {str(path)[:80]!r}: not a usable path ({exc})") from None
    if target != base and base not in target.parents:
        raise InputError(f"{argument} {str(path)[:80]!r}: outside the data directory {base}; "
                         "the engine reads and writes only inside it")
    return target


def secure_dir(path: Path) -> Path:
    """Create `path` owner-only (0700) when missing; warn once when an existing one is wider."""
    path = Path(path)
    if not path.exists():
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(path, 0o700)
        return path
    mode = stat.S_IMODE(path.stat().st_mode)
    if path.is_dir() and mode & 0o077 and path.resolve() not in _WARNED:
        _WARNED.add(path.resolve())  # once per process: the run, Spark's scratch and log all ask
        print(f"warning: data directory {path} is readable by others (mode {mode:o}); "
              f"it holds personal data: chmod -R go-rwx {path}", file=sys.stderr)
    return path


def owner_only() -> None:
    """From here on, everything this process creates is owner-only (files 0600, folders 0700)."""
    os.umask(OWNER_UMASK)
