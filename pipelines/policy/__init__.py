"""Policy as data: dated parameters and rule sets read from `rules/`."""

from pipelines.policy.parameters import ParameterSet, ParameterValue, load_parameters
from pipelines.policy.ruleset import Rule, RuleSet, load_ruleset

__all__ = [
    "ParameterSet",
    "ParameterValue",
    "Rule",
    "RuleSet",
    "load_parameters",
    "load_ruleset",
]
