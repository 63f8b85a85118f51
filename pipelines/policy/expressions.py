"""Rule expressions: small arithmetic over household facts and dated parameters.

An expression such as `members_counted * dibao.standard * dibao.financial_asset_months` is
parsed once with Python's `ast` (no eval) and compiled two ways from the same tree: to a Spark
Column for the engine, and to a plain Python function for the generator's ground truth. Bare
names are household facts; dotted names are parameters, resolved for the month being checked.
A parameter with a breakdown (e.g. the standard by urban/rural) becomes a lookup on that fact.
"""

from __future__ import annotations

import ast
import datetime as dt
import operator
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pipelines.errors import ConfigError
from pipelines.policy.parameters import ParameterSet

_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}

COMPARATORS = (">", ">=", "<", "<=", "==", "!=")


@dataclass(frozen=True)
class Expression:
    """A parsed expression with the facts and parameters it reads."""

    text: str
    tree: ast.expr
    facts: tuple[str, ...]
    parameters: tuple[str, ...]


def _dotted(node: ast.expr) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def parse_expression(text: str, where: str) -> Expression:
    """Parse `text`; `where` names the file and key for error messages."""
    try:
        tree = ast.parse(str(text), mode="eval").body
    except SyntaxError as exc:
        raise ConfigError(f"{where}: cannot parse expression '{text}' ({exc.msg})") from None
    facts: set[str] = set()
    params: set[str] = set()

    def visit(node: ast.expr) -> None:
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            visit(node.left)
            visit(node.right)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            visit(node.operand)
        elif isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            pass
        elif isinstance(node, ast.Name):
            facts.add(node.id)
        elif isinstance(node, ast.Attribute) and _dotted(node):
            params.add(_dotted(node))
        else:
            raise ConfigError(
                f"{where}: expression '{text}' may only use + - * /, numbers, "
                "fact names and dotted parameter names"
            )

    visit(tree)
    return Expression(str(text), tree, tuple(sorted(facts)), tuple(sorted(params)))


def check_parameters(expr: Expression, params: ParameterSet, where: str) -> list[str]:
    """Problems with the parameters an expression refers to (unknown names)."""
    return [
        f"{where}: expression '{expr.text}' refers to unknown parameter '{name}'"
        for name in expr.parameters
        if name not in params.parameters
    ]


def _number(value: Any) -> Decimal:
    return Decimal(str(value))


def to_python(expr: Expression, params: ParameterSet, on: dt.date) -> Callable[[dict], Decimal]:
    """Compile to a function of one household's facts (a dict), exact decimal arithmetic."""

    def build(node: ast.expr) -> Callable[[dict], Decimal]:
        if isinstance(node, ast.BinOp):
            left, right, op = build(node.left), build(node.right), type(node.op)
            if op is ast.Add:
                return lambda f: left(f) + right(f)
            if op is ast.Sub:
                return lambda f: left(f) - right(f)
            if op is ast.Mult:
                return lambda f: left(f) * right(f)
            return lambda f: left(f) / right(f)
        if isinstance(node, ast.UnaryOp):
            inner = build(node.operand)
            return lambda f: -inner(f)
        if isinstance(node, ast.Constant):
            value = _number(node.value)
            return lambda f: value
        if isinstance(node, ast.Name):
            name = node.id
            return lambda f: _number(f[name])
        name = _dotted(node)
        param = params.parameter(name)
        value = params.at(name, on)
        if param.breakdown:
            table = {k: _number(v) for k, v in value.items()}
            key = param.breakdown
            return lambda f: table[f[key]]
        constant = _number(value)
        return lambda f: constant

    return build(expr.tree)


def to_spark(expr: Expression, params: ParameterSet, on: dt.date):
    """Compile to a Spark Column over a DataFrame of household facts."""
    from pyspark.sql import functions as F

    def lit(value: Any):
        return F.lit(_number(value)).cast("decimal(20,6)")

    def build(node: ast.expr):
        if isinstance(node, ast.BinOp):
            left, right, op = build(node.left), build(node.right), type(node.op)
            if op is ast.Add:
                return left + right
            if op is ast.Sub:
                return left - right
            if op is ast.Mult:
                return left * right
            return left / right
        if isinstance(node, ast.UnaryOp):
            return -build(node.operand)
        if isinstance(node, ast.Constant):
            return lit(node.value)
        if isinstance(node, ast.Name):
            return F.col(node.id).cast("decimal(20,6)")
        name = _dotted(node)
        param = params.parameter(name)
        value = params.at(name, on)
        if param.breakdown:
            column = None
            for key in sorted(value):
                branch = lit(value[key])
                cond = F.col(param.breakdown) == F.lit(key)
                column = F.when(cond, branch) if column is None else column.when(cond, branch)
            return column
        return lit(value)

    return build(expr.tree)


_COMPARE = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}


def compare(op: str, left, right):
    """`left op right` for Decimals and for Spark Columns alike."""
    return _COMPARE[op](left, right)
