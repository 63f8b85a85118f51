"""Measuring the engine, apart from the flow: its speed, and its accuracy against the generator's
ground truth. Nothing in the flow imports this package.

- `python -m pipelines.bench` (`make bench`): intake of a large bank extract and whole monthly
  runs, as medians of repeated runs;
- `python -m pipelines.bench.policy`: evaluating the rules against building the household facts;
- `python -m pipelines.bench.reader`: how fast the reader reads a 1M-row GBK bank extract;
- `scoring`: a finished run against `truth/` (links, flags, 漏保 leads): precision, recall and
  F1 (`welfare-verify evaluate`).
"""

from pipelines.bench.scoring import Score, evaluate_run, score

__all__ = ["Score", "evaluate_run", "score"]
