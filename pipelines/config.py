"""One settings object, from defaults, then a TOML/YAML file, then `WV_*` environment variables."""

from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from pipelines.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parents[1]
_MASTER = re.compile(r"^(local(\[(\*|\d+)(,\d+)?\])?|spark://\S+|yarn|k8s://\S+|mesos://\S+)$")
_REMOTE = re.compile(r"^sc://[^\s/;:]+(:\d{1,5})?(/;\S*)?/?$")
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def _default_dir(name: str) -> Path:
    """The project's own `rules/` or `schemas/` when installed from a checkout, else ./name."""
    bundled = PROJECT_ROOT / name
    return bundled if bundled.is_dir() else Path(name)


def default_data_dir() -> Path:
    """./data, unless it holds no data of its own and `make demo`'s data/demo does: then that,
    so the README's examples run as written after `make demo`."""
    here, demo = Path("data"), Path("data") / "demo"
    own = any((here / name).exists() for name in ("landing", "runs", "raw", "clean"))
    return demo if not own and (demo / "landing").is_dir() else here


# where each setting comes from on the command line, to name it in a message
OPTIONS = {"data_dir": "--data", "month": "--month", "spark_master": "--master", "seed": "--seed"}


class Settings(BaseSettings):
    """Everything a run depends on; recorded in the run's manifest."""

    model_config = SettingsConfigDict(env_prefix="WV_", extra="forbid", validate_default=True)

    data_dir: Path = Field(default_factory=lambda: default_data_dir(),
                           description="root of landing/, raw/, clean/, runs/, truth/")
    spark_master: str = Field("local[*]", description="Spark master URL: local[*] or spark://host:port")
    spark_driver_memory: str = Field(
        "auto", description="driver memory for local mode: auto (40 % of this machine's memory, "
        "pipelines/sizing.py) or a size such as 6g")
    spark_remote: str | None = Field(
        None, description="a Spark Connect server, sc://host:port: the Spark stages run there, "
        "not in this process (`make airflow` starts one: pipelines/jobs/connect_server.py)")
    shuffle_partitions: int = Field(8, ge=1, le=100_000)
    rules_dir: Path = Field(default_factory=lambda: _default_dir("rules"))
    schemas_dir: Path = Field(default_factory=lambda: _default_dir("schemas"))
    ruleset: str = Field("chongqing", description="policy under rules_dir: rules/<ruleset>/policy.yaml")
    link_config: str = Field(
        "chongqing_person",
        description="linker configuration: a name in pipelines/link/configs or a YAML path",
    )
    month: str | None = Field(None, description="month checked, YYYY-MM")
    seed: int = Field(20250701, description="seed of the synthetic data generator")
    mask_personal_data: bool = Field(True, description="mask IDs, names and balances in output")
    max_invalid_row_share: float = Field(
        0.05, ge=0, le=1, description="an extract with a larger share of bad rows is rejected"
    )
    max_row_count_drop: float = Field(
        0.5, ge=0, le=1, description="an extract this much smaller than the previous is rejected"
    )

    @field_validator("spark_master")
    @classmethod
    def _master(cls, value: str) -> str:
        if not _MASTER.match(value):
            raise ValueError(
                "expected local, local[N], local[*], spark://host:port, yarn or k8s://..."
            )
        return value

    @field_validator("spark_driver_memory")
    @classmethod
    def _driver_memory(cls, value: str) -> str:
        from pipelines.sizing import valid_memory

        return valid_memory(value)

    @field_validator("spark_remote")
    @classmethod
    def _remote(cls, value: str | None) -> str | None:
        if not value:
            return None  # an empty WV_SPARK_REMOTE: Spark in this process
        if not _REMOTE.match(value):
            raise ValueError("expected a Spark Connect URL, sc://host:port (e.g. sc://localhost:15002)")
        return value

    @field_validator("month")
    @classmethod
    def _month(cls, value: str | None) -> str | None:
        if value is not None and not _MONTH.match(value):
            raise ValueError("expected YYYY-MM, e.g. 2025-07")
        return value

    @field_validator("rules_dir", "schemas_dir")
    @classmethod
    def _exists(cls, value: Path) -> Path:
        if not value.is_dir():
            raise ValueError(f"folder {value} does not exist")
        return value

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings, file_secret_settings):
        return (init_settings, env_settings, _FileSource(settings_cls))

    def month_start(self) -> dt.date:
        if self.month is None:
            raise ConfigError("no month set: pass --month YYYY-MM or set WV_MONTH")
        return month_start(self.month)

    def public_dict(self) -> dict[str, Any]:
        """Settings as plain JSON values, for the manifest."""
        return {k: str(v) if isinstance(v, Path) else v for k, v in self.model_dump().items()}


def month_start(month: str) -> dt.date:
    return month_bounds(month)[0]


def month_bounds(month: str) -> tuple[dt.date, dt.date]:
    """First and last day of a `YYYY-MM` month."""
    if not _MONTH.match(month):
        raise ConfigError(f"month '{month}': expected YYYY-MM, e.g. 2025-07")
    year, mon = (int(x) for x in month.split("-"))
    nxt = dt.date(year + (mon == 12), mon % 12 + 1, 1)
    return dt.date(year, mon, 1), nxt - dt.timedelta(days=1)


def months_before(start: dt.date, n: int) -> list[str]:
    """The `n` months before the month of `start`, oldest first, as `YYYY-MM`."""
    months, y, m = [], start.year, start.month
    for _ in range(n):
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
        months.append(f"{y:04d}-{m:02d}")
    return sorted(months)


class _FileSource(PydanticBaseSettingsSource):
    """Values from the file named by WV_CONFIG (TOML or YAML); below env vars in precedence."""

    def __init__(self, settings_cls, path: Path | None = None):
        super().__init__(settings_cls)
        self.path = path

    def get_field_value(self, field, field_name):  # pragma: no cover - unused by __call__
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        path = os.environ.get("WV_CONFIG")
        return read_config_file(Path(path)) if path else {}


def read_config_file(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigError(f"{path}: configuration file not found")
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot parse ({exc})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a table of settings")
    return data.get("welfare_verify", data)


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Build the settings; every invalid value is reported at once with where it came from."""
    overrides = {k: v for k, v in overrides.items() if v is not None}
    previous = os.environ.get("WV_CONFIG")
    try:
        if config_file is not None:
            os.environ["WV_CONFIG"] = str(config_file)
        return Settings(**overrides)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"]) or "settings"
            where = (OPTIONS.get(field, field) if field in overrides
                     else f"setting '{field}' (env WV_{field.upper()} or the settings file)")
            problems.append(f"{where}: {err['msg'].removeprefix('Value error, ')} "
                            f"(got {err.get('input')!r})")
        raise ConfigError(problems) from None
    finally:
        if config_file is not None:
            if previous is None:
                os.environ.pop("WV_CONFIG", None)
            else:
                os.environ["WV_CONFIG"] = previous
