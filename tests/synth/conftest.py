"""Generated data sets shared by the synth tests: a small one and one at the default size."""

from __future__ import annotations

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
        if schema.format == "csv":
            df = pd.read_csv(path, encoding=schema.encoding, dtype=str, keep_default_na=False)
            return df.rename(columns={c.aliases[0]: c.name for c in schema.columns})
        df = pd.read_parquet(path)
        for col in df.columns:
            if df[col].dtype == object:
                df[col] = df[col].fillna("")
        return df

    def links(self) -> pd.DataFrame:
        return pd.read_parquet(self.truth / "links.parquet")

    def planted(self) -> pd.DataFrame:
        return pd.read_parquet(self.truth / "planted.parquet")


@pytest.fixture(scope="session")
def params():
    return load_parameters(RULES)


@pytest.fixture(scope="session")
def small(tmp_path_factory) -> Generated:
    return Generated(tmp_path_factory.mktemp("synth_small"), SynthConfig(households=300))


@pytest.fixture(scope="session")
def default_size(tmp_path_factory) -> Generated:
    return Generated(tmp_path_factory.mktemp("synth_default"), SynthConfig())
