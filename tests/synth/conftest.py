"""Generated data sets shared by the synth tests: a small one and one at the default size."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from pipelines.policy.parameters import load_parameters
from pipelines.schemas import load_schemas
from pipelines.synth import SynthConfig, generate

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "rules"
SCHEMAS = ROOT / "schemas"


class Generated:
    """A generated data directory with helpers to read what was written."""

    def __init__(self, data_dir: Path, config: SynthConfig):
        self.dir = data_dir
        self.config = config
        self.summary = generate(config, data_dir, RULES)
        self.truth = data_dir / "truth"
        self.schemas = load_schemas(SCHEMAS)

    def landing(self, source: str) -> Path:
        return self.dir / self.summary.files[source]

    def clean(self, source: str) -> pd.DataFrame:
        return pd.read_parquet(self.truth / "clean" / f"{source}.parquet")

    def written(self, source: str) -> pd.DataFrame:
        """The landing file with canonical column names, every value as text ("" if empty)."""
        schema = self.schemas[source]
        path = self.landing(source)
        rename = {c.aliases[0]: c.name for c in schema.columns}
        if schema.format == "csv":
            encoding = "utf-8-sig" if schema.encoding == "utf-8" else schema.encoding
            df = pd.read_csv(path, encoding=encoding, dtype=str, keep_default_na=False)
            return df.rename(columns=rename)
        if schema.format == "xlsx":
            header, rows = read_xlsx(path)
            df = pd.DataFrame([[_text(v) for v in row] for row in rows], columns=header)
            return df.rename(columns=rename)
        if schema.format == "jsonl":
            docs = read_jsonl(path)
            df = pd.DataFrame([{k: _text(v) for k, v in d.items()} for d in docs])
            return df.rename(columns=rename)
        df = pd.read_parquet(path)
        for col in df.columns:
            if df[col].dtype == object:
                df[col] = df[col].fillna("")
        return df

    def links(self) -> pd.DataFrame:
        return pd.read_parquet(self.truth / "links.parquet")

    def planted(self) -> pd.DataFrame:
        return pd.read_parquet(self.truth / "planted.parquet")


def read_xlsx(path: Path) -> tuple[list, list[tuple]]:
    """Header and data rows of the first sheet, values as openpyxl types them."""
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True)
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    wb.close()
    return list(rows[0]), rows[1:]


def read_jsonl(path: Path) -> list[dict]:
    text = path.read_bytes().decode("utf-8")
    return [json.loads(line) for line in text.splitlines()]


def _text(value) -> str:
    """A cell as the CSV files write it: ISO dates, amounts with two decimals, "" if empty."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime | dt.date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


@pytest.fixture(scope="session")
def params():
    return load_parameters(RULES)


@pytest.fixture(scope="session")
def small(tmp_path_factory) -> Generated:
    return Generated(tmp_path_factory.mktemp("synth_small"), SynthConfig(households=300))


@pytest.fixture(scope="session")
def default_size(tmp_path_factory) -> Generated:
    return Generated(tmp_path_factory.mktemp("synth_default"), SynthConfig())
