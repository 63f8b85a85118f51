"""Every rule has YAML cases beside it, and the case files themselves are checked."""

import shutil

import pytest

from pipelines.config import PROJECT_ROOT
from pipelines.errors import ConfigError
from pipelines.policy import load_policy
from pipelines.policy.cases import case_files, covered_rules, load_cases

RULES = PROJECT_ROOT / "rules"


def uncovered(rules_dir):
    policy = load_policy(rules_dir)
    cases = [c for path in case_files(rules_dir) for c in load_cases(path, policy)]
    return sorted({r.id for r in policy.rules} - covered_rules(cases, policy))


def test_every_rule_has_a_case_where_it_holds():
    missing = uncovered(RULES)
    assert not missing, f"rules without a case where they hold: {', '.join(missing)}"


def test_a_new_rule_without_cases_is_reported(tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    path = rules / "chongqing" / "dibao.yaml"
    path.write_text(path.read_text(encoding="utf-8") + """  - id: cq.dibao.new_rule
    version: 1
    legal_basis: test
    value: homes
    op: ">"
    threshold: "5"
""", encoding="utf-8")
    assert uncovered(rules) == ["cq.dibao.new_rule"]


def test_case_file_problems_are_reported_together(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("""cases:
  - name: typo in a fact
    period: 2025-13
    input: {member_enrolled: 2}
    output: {flags: [NO_SUCH_FLAG]}
  - name: unknown things
    period: 2025-07
    input: {members_enrolled: 2}
    output: {status: rich, holds: [cq.nope], per_capita: 1}
""", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_cases(path, load_policy(RULES))
    text = "\n".join(err.value.problems)
    assert "2025-13" in text
    assert "'rich'" in text and "cq.nope" in text and "per_capita" in text
