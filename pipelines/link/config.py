"""The linker's configuration: fields, comparisons, blocking rules, model and thresholds.

A link configuration is data (like Splink's settings): one YAML file says which column of each
table holds each field, how each field is standardized and compared, which keys make candidate
pairs, and where the match / possible-match bands start. Every problem in a file is reported at
once, naming the file and the key, before anything runs.

Field kinds and the prepared sub-columns they produce (`<field>__<sub>`):

- `id_number` (Chinese resident ID): id18, id_clean, birth, prefix14, region6, tail4 (the
  sequence number and check character: one typo leaves two of region, birth and tail intact)
- `person_name`: norm, simplified, variant, pinyin, pinyin_sorted, surname_pinyin, former
- `date`: iso, year
- `phone`: number, last8
- `address`: text
- `text`, `exact`, `levenshtein`: value, initial (first letter)
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from pipelines.errors import ConfigError
from pipelines.link.comparators import COMPARATORS, parameter_problems

KINDS: dict[str, tuple[str, ...]] = {
    "id_number": ("id18", "id_clean", "birth", "prefix14", "region6", "tail4"),
    "person_name": (
        "norm",
        "simplified",
        "variant",
        "pinyin",
        "pinyin_sorted",
        "surname_pinyin",
        "former",
    ),
    "date": ("iso", "year"),
    "phone": ("number", "last8"),
    "address": ("text",),
    "text": ("value", "initial"),
    "exact": ("value", "initial"),
    "levenshtein": ("value", "initial"),
}

# The comparator used when a comparison names none: the one of the field's kind.
DEFAULT_COMPARATOR = {
    "id_number": "id_number",
    "person_name": "person_name",
    "date": "date",
    "phone": "phone",
    "address": "address",
    "text": "text",
    "exact": "exact",
    "levenshtein": "levenshtein",
}


# The prepared sub-column whose frequency adjusts an exact agreement (`tf_adjust`), per field kind.
TF_SUB = {"person_name": "simplified", "text": "value", "exact": "value", "levenshtein": "value"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FieldSpec(_Strict):
    """One identifying field: its kind and the column holding it on each side (None: absent)."""

    kind: Literal[
        "id_number", "person_name", "date", "phone", "address", "text", "exact", "levenshtein"
    ]
    left: str | None = None
    right: str | None = None
    # person_name: a column of former names (曾用名) on the left side.
    left_former: str | None = None
    # date: when the column is absent or empty, take the birth date carried by this id field.
    from_id: str | None = None


class ComparisonSpec(_Strict):
    field: str
    comparator: str | None = None
    params: dict = Field(default_factory=dict)
    # Term-frequency adjustment of the exact-agreement weight (common names count for less).
    tf_adjust: bool = False


class DeterministicSpec(_Strict):
    """Pass 1: checksum-valid IDs equal and names compatible → `id_exact`."""

    id: str
    name: str | None = None


class ModelSpec(_Strict):
    prior: float = Field(0.01, gt=0, lt=1)
    max_iterations: int = Field(100, ge=1, le=10_000)
    tolerance: float = Field(1e-8, gt=0)
    # u from random pairs (Splink's practice; robust) or estimated by EM with m.
    u: Literal["random_pairs", "em"] = "random_pairs"
    random_pairs: int = Field(200_000, ge=1000)
    # Pseudo-pairs per level when u is counted on random pairs (see u_from_random_pairs).
    u_pseudo_count: float = Field(1.0, gt=0, le=1)
    seed: int = 20250701


class Thresholds(_Strict):
    """Match probability at which the match and the possible-match bands start."""

    match: float = Field(0.95, gt=0, lt=1)
    possible: float = Field(0.5, gt=0, lt=1)

    @model_validator(mode="after")
    def _ordered(self) -> Thresholds:
        if self.possible > self.match:
            raise ValueError(f"possible ({self.possible}) must not exceed match ({self.match})")
        return self


class LinkConfig(_Strict):
    name: str
    description: str = ""
    left_key: str
    right_key: str
    fields: dict[str, FieldSpec]
    deterministic: DeterministicSpec | None = None
    # Blocking rules: each a list of `field.sub` keys (`field` alone means its main sub-column);
    # a pair is a candidate when all keys of at least one rule are equal and not null.
    blocking: list[list[str]]
    comparisons: list[ComparisonSpec]
    model: ModelSpec = Field(default_factory=ModelSpec)
    thresholds: Thresholds = Field(default_factory=Thresholds)
    # A right record belongs to at most one left record (a bank account has one holder).
    one_to_one: Literal["right", "none"] = "right"
    # Two checksum-valid, different IDs are two people: such pairs are not compared at all.
    skip_conflicting_valid_ids: bool = True
    # Fields that must agree at some level (not "else", not missing) for a match: without it a
    # pair is at most a possible match (fields a household shares cannot make one person).
    match_requires: list[str] = Field(default_factory=list)

    _origin: str = PrivateAttr("<config>")  # not content: the fingerprint leaves it out

    @property
    def origin(self) -> str:
        """The file the configuration was read from, for messages ("<config>" from data)."""
        return self._origin

    def key_problem(self, key: str) -> str | None:
        """What is wrong with a blocking key `field[.sub]`, if anything."""
        field, _, sub = key.partition(".")
        if field not in self.fields:
            return f"unknown field {field!r} in key {key!r}"
        subs = KINDS[self.fields[field].kind]
        if sub and sub not in subs:
            return f"{key!r}: {self.fields[field].kind} fields have {', '.join(subs)}"
        return None

    # ------------------------------------------------------------------ helpers for the stages
    def column(self, key: str) -> str:
        """Prepared column of a blocking key `field[.sub]` (`field` alone: its first sub)."""
        field, _, sub = key.partition(".")
        return f"{field}__{sub or KINDS[self.fields[field].kind][0]}"

    def comparator_kind(self, c: ComparisonSpec) -> str:
        return c.comparator or DEFAULT_COMPARATOR[self.fields[c.field].kind]

    def with_columns(self, side: Literal["left", "right"], columns: dict[str, str | None],
                     key: str | None = None) -> LinkConfig:
        """The same configuration with one side's columns replaced (per registry schema)."""
        fields = {
            name: f.model_copy(update={side: columns.get(name)}) for name, f in self.fields.items()
        }
        update: dict = {"fields": fields}
        if key is not None:
            update[f"{side}_key"] = key
        return self.model_copy(update=update)

    def fingerprint(self) -> dict:
        """The configuration as plain data, for the run's manifest."""
        return self.model_dump(mode="json")

    def sha256(self) -> str:
        """Hash of the configuration's content (reproducibility: which linker made the links)."""
        text = json.dumps(self.fingerprint(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def reference_problems(config: LinkConfig) -> list[str]:
    """What the keys of a configuration name that does not fit together, each as `key: problem`:
    fields, blocking keys, comparators and their parameters, the deterministic pass."""
    problems = []
    fields = config.fields
    for name, f in fields.items():
        if "__" in name or not name.isidentifier():
            problems.append(f"fields.{name}: a field name is an identifier without '__'")
        if f.left is None and f.right is None and f.from_id is None:
            problems.append(f"fields.{name}: give a left or right column (or from_id)")
        if f.from_id is not None and (
            f.kind != "date" or fields.get(f.from_id, None) is None
            or fields[f.from_id].kind != "id_number"
        ):
            problems.append(f"fields.{name}.from_id: a date field may take it from an "
                            f"id_number field; {f.from_id!r} is not one")
        if f.left_former is not None and f.kind != "person_name":
            problems.append(f"fields.{name}.left_former: only for person_name fields")
    if not config.blocking:
        problems.append("blocking: at least one rule is needed (each a list of keys that make "
                        "candidate pairs)")
    for i, rule in enumerate(config.blocking):
        if not rule:
            problems.append(f"blocking[{i}]: an empty rule would compare every pair")
        for key in rule:
            problem = config.key_problem(key)
            if problem:
                problems.append(f"blocking[{i}]: {problem}")
    for i, c in enumerate(config.comparisons):
        if c.field not in fields:
            problems.append(f"comparisons[{i}].field: unknown field {c.field!r}")
            continue
        kind = config.comparator_kind(c)
        if kind not in COMPARATORS:
            where = f"comparisons[{i}].comparator"
        else:
            where = f"comparisons[{i}].params"
        problems += [f"{where}: {p}" for p in parameter_problems(kind, c.params)]
        if c.tf_adjust and fields[c.field].kind not in TF_SUB:
            problems.append(f"comparisons[{i}].tf_adjust: only for fields of kind "
                            f"{', '.join(TF_SUB)}; {c.field!r} is {fields[c.field].kind}")
    if not config.comparisons:
        problems.append("comparisons: at least one comparison is needed")
    for f in config.match_requires:
        if f not in {c.field for c in config.comparisons}:
            problems.append(f"match_requires: {f!r} is not a compared field")
    names = [c.field for c in config.comparisons]
    if len(set(names)) != len(names):
        problems.append("comparisons: a field is compared once")
    if config.deterministic is not None:
        d = config.deterministic
        if d.id not in fields or fields[d.id].kind != "id_number":
            problems.append(f"deterministic.id: {d.id!r} is not an id_number field")
        if d.name is not None and (d.name not in fields or fields[d.name].kind != "person_name"):
            problems.append(f"deterministic.name: {d.name!r} is not a person_name field")
    return problems


def _describe(err: dict) -> str:
    where = ".".join(str(p) for p in err["loc"]) or "(top level)"
    if err["type"] == "value_error" and "error" in err.get("ctx", {}):
        return f"{where}: {err['ctx']['error']}"  # our own message, without pydantic's prefix
    return f"{where}: {err['msg']}"


def parse_config(data: object, origin: str = "<config>") -> LinkConfig:
    """Validate a mapping: each key's type and range, then what the keys name (fields, blocking
    keys, comparator kinds and parameters); every problem is listed with the file and the key."""
    if not isinstance(data, dict):
        raise ConfigError(f"{origin}: a link configuration is a mapping, got {type(data).__name__}")
    try:
        config = LinkConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError([f"{origin}: {_describe(e)}" for e in exc.errors()]) from None
    problems = reference_problems(config)
    if problems:
        raise ConfigError([f"{origin}: {p}" for p in problems])
    config._origin = origin
    return config


def load_config(path: Path | str) -> LinkConfig:
    """Read and validate a link configuration YAML file."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: link configuration not found") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})") from None
    return parse_config(data, str(path))


CONFIG_DIR = Path(__file__).parent / "configs"


def builtin_config(name: str) -> LinkConfig:
    """One of the configurations shipped in pipelines/link/configs/."""
    return load_config(CONFIG_DIR / f"{name}.yaml")


def resolve_config(name_or_path: str | Path) -> LinkConfig:
    """A shipped configuration by name, or a YAML file by path."""
    text = str(name_or_path)
    if text.endswith((".yaml", ".yml")) or "/" in text:
        return load_config(Path(text))
    if not (CONFIG_DIR / f"{text}.yaml").exists():
        shipped = ", ".join(sorted(p.stem for p in CONFIG_DIR.glob("*.yaml")))
        raise ConfigError(f"link configuration {text!r}: not a shipped one ({shipped}) nor a path")
    return builtin_config(text)
