"""Stable person ids: a roster member keeps the same `person_id` from one month to the next.

The roster's own key (`<household_id>-<member_no>`) changes when a member moves to another
household or the members are renumbered, and an ID typo corrected next month changes the ID;
review history, duplicate checks and flags must follow the person, not the row. A register
(`person_register.parquet` in the data directory) holds every person id issued, with the
standardized ID, the simplified name and the birth date it was issued for. Each month:

1. a member whose valid ID is in the register keeps that person id (`same_id`); two roster
   rows with one valid ID are one person (enrolled twice) and share the id;
2. else a member whose name and birth date equal those of exactly one register entry not yet
   claimed this month keeps that id (`same_name_birth`: an ID corrected, or broken this month);
3. else a new id is issued (`new`): `P` + 16 hex digits of SHA-256 of the first month and the
   member's ID (or roster key when the ID is broken), so the same inputs give the same id.

Updating the register is idempotent: running a month again changes nothing.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pyarrow as pa

from pipelines.standardize.ids import standardize_id
from pipelines.standardize.names import simplified_key
from pipelines.storage import write_arrow

REGISTER = "person_register.parquet"
REGISTER_SCHEMA = pa.schema(
    [
        ("person_id", pa.string()),
        ("id18", pa.string()),
        ("name", pa.string()),
        ("birth_date", pa.string()),
        ("first_month", pa.string()),
        ("last_month", pa.string()),
    ]
)


def _facts(id_number: object, name: object) -> tuple[str | None, str | None, str | None]:
    result = standardize_id(id_number)
    birth = None
    if result.valid:
        birth = result.birth_date.isoformat()
    elif isinstance(id_number, str) and len(id_number.strip()) >= 14:
        digits = id_number.strip()[6:14]
        if digits.isdigit():
            birth = f"{digits[:4]}-{digits[4:6]}-{digits[6:]}"
    return result.id18, simplified_key(name), birth


def _new_id(month: str, id18: str | None, person_key: str) -> str:
    seed = f"{month}|{id18 or 'key:' + person_key}"
    return "P" + hashlib.sha256(seed.encode("utf-8")).hexdigest()[:16]


def read_register(data_dir: Path) -> pd.DataFrame:
    path = Path(data_dir) / REGISTER
    if not path.exists():
        return REGISTER_SCHEMA.empty_table().to_pandas()
    return pd.read_parquet(path)


def assign_person_ids(people: pd.DataFrame, data_dir: Path, month: str) -> pd.DataFrame:
    """`person_key, person_id, how` for roster members (`person_key, id_number, name`), and
    the register under `data_dir` brought up to date."""
    register = read_register(data_dir)
    by_id = {r.id18: r.person_id for r in register.itertuples() if r.id18}
    by_name_birth: dict[tuple, list[str]] = {}
    for r in register.itertuples():
        if r.name and r.birth_date:
            by_name_birth.setdefault((r.name, r.birth_date), []).append(r.person_id)

    rows = people.sort_values("person_key")[["person_key", "id_number", "name"]]
    facts = {k: _facts(i, n) for k, i, n in rows.itertuples(index=False)}
    claimed: set[str] = set()
    out: dict[str, tuple[str, str]] = {}
    for key, (id18, _, _) in facts.items():  # pass 1: valid IDs (two rows of one ID: one person)
        if id18 in by_id:
            out[key] = (by_id[id18], "same_id")
            claimed.add(by_id[id18])
    for key, (id18, name, birth) in facts.items():  # pass 2: name and birth date
        if key in out:
            continue
        free = [p for p in by_name_birth.get((name, birth), []) if p not in claimed]
        if len(free) == 1 and (id18 is None or id18 not in by_id):
            out[key] = (free[0], "same_name_birth")
            claimed.add(free[0])
    for key, (id18, _, _) in facts.items():  # pass 3: new people
        if key not in out:
            out[key] = (_new_id(month, id18, key), "new")
    # an id first issued this month stays "new" when the month is run again
    first = dict(zip(register.person_id, register.first_month, strict=True))
    out = {k: (p, "new" if first.get(p) == month else how) for k, (p, how) in out.items()}

    updated = {r.person_id: r._asdict() for r in register.itertuples(index=False)}
    for key, (pid, _how) in out.items():
        id18, name, birth = facts[key]
        entry = updated.get(pid)
        if entry is None:
            updated[pid] = {"person_id": pid, "id18": id18, "name": name, "birth_date": birth,
                            "first_month": month, "last_month": month}
        else:
            if id18:
                entry["id18"] = id18  # a corrected ID replaces the broken one
            entry["last_month"] = max(entry["last_month"] or month, month)
    table = pa.Table.from_pylist(
        [updated[p] for p in sorted(updated)], schema=REGISTER_SCHEMA
    )
    write_arrow(table, Path(data_dir) / REGISTER)
    return pd.DataFrame(
        [(k, pid, how) for k, (pid, how) in sorted(out.items())],
        columns=["person_key", "person_id", "how"],
    )
