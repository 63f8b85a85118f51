"""Synthetic Chongqing registries with ground truth: the project's only data.

`generate(SynthConfig(...), data_dir, rules_dir)` writes the roster, the month's new
applications and the registry extracts under `landing/<source>/<as_of>/` (CSV in UTF-8, with
or without a byte-order mark, GBK or GB18030; Parquet; an Excel workbook; JSON Lines) and the truth
under `truth/` (links, clean records, planted problems, look-alikes and application
outcomes, meta). `SynthConfig(sources=(...), bank_accounts_per_adult=...)` writes a subset of
the sources, e.g. a large roster and bank extract for a benchmark.
"""

from pipelines.synth.config import SOURCES, NoiseRates, PlantRates, SynthConfig
from pipelines.synth.generator import GenerationSummary, generate, landing_path

__all__ = [
    "SOURCES",
    "GenerationSummary",
    "NoiseRates",
    "PlantRates",
    "SynthConfig",
    "generate",
    "landing_path",
]
