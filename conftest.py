"""Collects the rule cases beside the rules (`rules/<policy>/tests/**/*.yaml`) as pytest tests.

Each case runs through the engine's Spark evaluator and the Python reference; a failure names
the file, the case and `name@period` (see pipelines/policy/cases.py, the case files, and
pipelines/evaluate/rule_cases.py, the Spark side).
"""

from __future__ import annotations

from pathlib import Path

import pytest

RULES = Path(__file__).parent / "rules"


def pytest_collect_file(parent, file_path: Path):
    if file_path.suffix == ".yaml" and RULES in file_path.parents and "tests" in file_path.relative_to(RULES).parts:
        return RuleCaseFile.from_parent(parent, path=file_path)
    return None


_SPARK_DECISIONS: dict[str, dict] = {}


def spark_decisions(policy_name: str, policy) -> dict:
    """The Spark decisions of every case of the policy, computed once per session (one job per period)."""
    if policy_name not in _SPARK_DECISIONS:
        from pipelines.config import load_settings
        from pipelines.evaluate.rule_cases import spark_decisions
        from pipelines.policy.cases import case_files, load_cases
        from pipelines.spark import get_spark

        cases = [c for path in case_files(RULES, policy_name) for c in load_cases(path, policy)]
        settings = load_settings(spark_master="local[2]", shuffle_partitions=1, spark_driver_memory="2g")
        spark = get_spark(settings, app_name="welfare-verify-tests")
        _SPARK_DECISIONS[policy_name] = spark_decisions(spark, policy, cases)
    return _SPARK_DECISIONS[policy_name]


class RuleCaseFile(pytest.File):
    """One YAML file of cases."""

    def collect(self):
        from pipelines.policy import load_policy
        from pipelines.policy.cases import load_cases

        self.policy_name = self.path.relative_to(RULES).parts[0]
        self.policy = load_policy(RULES, self.policy_name)
        for case in load_cases(self.path, self.policy):
            yield RuleCase.from_parent(self, name=case.name, case=case)


class RuleCaseError(Exception):
    pass


class RuleCase(pytest.Item):
    def __init__(self, *, case, **kwargs):
        super().__init__(**kwargs)
        self.case = case

    def runtest(self):
        from pipelines.policy.cases import mismatches

        policy = self.parent.policy
        python = policy.decide_python(self.case.facts(), self.case.on)
        problems = mismatches(self.case, python, "python reference")
        spark = spark_decisions(self.parent.policy_name, policy)[(self.case.file, self.case.index)]
        problems += mismatches(self.case, spark, "spark engine")
        if problems:
            raise RuleCaseError("\n".join(problems))

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, RuleCaseError):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, 0, f"rule case: {self.case.name}"
