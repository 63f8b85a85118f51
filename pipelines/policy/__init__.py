"""Policy as data: dated parameters, formulas and rule sets per programme, read from `rules/`."""

from pipelines.policy.parameters import ParameterSet, ParameterValue, load_parameters
from pipelines.policy.parsing import load_policy, load_ruleset
from pipelines.policy.ruleset import Policy, Programme, Rule, RuleSet

__all__ = [
    "ParameterSet",
    "ParameterValue",
    "Policy",
    "Programme",
    "Rule",
    "RuleSet",
    "load_parameters",
    "load_policy",
    "load_ruleset",
]
