"""Policy as data: dated parameters, formulas and rule sets per programme, read from `rules/`."""

from pipelines.policy.parameters import ParameterSet, ParameterValue, load_parameters
from pipelines.policy.ruleset import Policy, Programme, Rule, RuleSet, load_policy, load_ruleset

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
