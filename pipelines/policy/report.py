"""`python -m pipelines.policy.report`: the open figures of the policy, as a Markdown table for README.

A figure marked `open` is a default in force until its text is found; README lists them all
(a test checks it), so nobody mistakes a default for the law.
"""

from __future__ import annotations

import sys
from pathlib import Path

from pipelines.config import PROJECT_ROOT
from pipelines.policy import load_policy


def open_figures_table(rules_dir: Path = PROJECT_ROOT / "rules", name: str = "chongqing") -> str:
    policy = load_policy(rules_dir, name)
    lines = ["| parameter | where | value (from) | why it is open |", "|---|---|---|---|"]
    for param in policy.params.open_parameters():
        where = f"district {param.district}" if param.district else policy.params.display(param.file).split("/")[0]
        for v in param.values:
            if v.confidence != "open":
                continue
            value = ", ".join(f"{k} {x}" for k, x in v.value.items()) if isinstance(v.value, dict) else v.value
            if isinstance(value, list):
                value = ", ".join(value)
            lines.append(f"| `{param.name}` | {where} | {value} ({v.effective_from}) | {v.reference} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(open_figures_table() + "\n")
