"""Synthetic Chongqing registries with ground truth: the project's only data.

`generate(SynthConfig(...), data_dir, rules_dir)` writes the roster and the registry extracts
under `landing/<source>/<as_of>/` and the truth under `truth/` (links, clean records,
planted problems and look-alikes, meta).
"""

from pipelines.synth.config import NoiseRates, PlantRates, SynthConfig
from pipelines.synth.generator import SOURCES, GenerationSummary, generate, landing_path

__all__ = [
    "SOURCES",
    "GenerationSummary",
    "NoiseRates",
    "PlantRates",
    "SynthConfig",
    "generate",
    "landing_path",
]
