"""One exception family for the engine: every message names the file, key, column or date at fault."""

from __future__ import annotations


class EngineError(Exception):
    """Base class of every error the engine raises on purpose."""


class ConfigError(EngineError):
    """Settings, parameters or rule files that cannot be used; lists every problem found."""

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(f"- {p}" for p in self.problems))


class InputError(EngineError):
    """An input file that cannot be read at all (names the file and what was expected)."""


class EnvironmentProblem(EngineError):
    """Something the machine lacks (Java, a directory), said in one line."""


class ResourceProblem(EngineError):
    """A run that ran out of memory or disk: what ran out and the setting to change, in one paragraph."""
