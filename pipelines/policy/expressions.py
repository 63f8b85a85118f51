"""Rule expressions: small arithmetic over household facts and dated parameters.

An expression such as `members_counted * dibao.standard * dibao.financial_asset_months` is
parsed once with Python's `ast` (no eval) and compiled two ways from the same tree: to Spark SQL
text for the engine, and to a plain Python function for the rule cases and the generator's
ground truth. Bare names are household facts (or formulas); dotted names are parameters,
resolved for the month being checked and the household's district. A parameter with a
breakdown (e.g. the standard by urban/rural) becomes a lookup on that fact.

Functions: `max(a, b, …)`, `min(a, b, …)`, and over a fact that maps codes to amounts (income
by type) `sum_except(fact, list_parameter)` and `sum_of(fact, list_parameter)`. Division by zero
gives no value (null), and a comparison with no value does not hold.
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
FUNCTIONS = ("max", "min", "sum_except", "sum_of")
MAP_FUNCTIONS = ("sum_except", "sum_of")
COMPARATORS = (">", ">=", "<", "<=", "==", "!=")
SPARK_DECIMAL = "decimal(20,6)"
DISTRICT_FACT = "region_code"


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
        tree = ast.parse(str(text).strip(), mode="eval").body
    except SyntaxError as exc:
        raise ConfigError(f"{where}: cannot parse expression '{text}' ({exc.msg})") from None
    facts: set[str] = set()
    params: set[str] = set()

    def fail(why: str):
        raise ConfigError(f"{where}: expression '{text}' {why}")

    def visit(node: ast.expr) -> None:
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            visit(node.left)
            visit(node.right)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            visit(node.operand)
        elif isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(node.value, bool):
            pass
        elif isinstance(node, ast.Name):
            facts.add(node.id)
        elif isinstance(node, ast.Attribute) and _dotted(node):
            params.add(_dotted(node))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
            name = node.func.id
            if name not in FUNCTIONS:
                fail(f"calls '{name}'; the functions are {', '.join(FUNCTIONS)}")
            if name in MAP_FUNCTIONS:
                if len(node.args) != 2 or not isinstance(node.args[0], ast.Name) or not _dotted(node.args[1]) \
                        or not isinstance(node.args[1], ast.Attribute):
                    fail(f"needs {name}(fact, list.parameter)")
                facts.add(node.args[0].id)
                params.add(_dotted(node.args[1]))
            else:
                if len(node.args) < 2:
                    fail(f"needs at least two arguments to {name}()")
                for arg in node.args:
                    visit(arg)
        else:
            fail("may only use + - * /, numbers, fact names, dotted parameter names and "
                 + ", ".join(f"{f}()" for f in FUNCTIONS))

    visit(tree)
    return Expression(str(text), tree, tuple(sorted(facts)), tuple(sorted(params)))


def check_parameters(expr: Expression, params: ParameterSet, where: str) -> list[str]:
    """Problems with the parameters an expression refers to (unknown names, wrong kinds)."""
    problems = [
        f"{where}: expression '{expr.text}' refers to unknown parameter '{name}'"
        for name in expr.parameters
        if name not in params.parameters and name not in params.broken
    ]
    listed = {_dotted(n.args[1]) for n in ast.walk(expr.tree)
              if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in MAP_FUNCTIONS}
    for name in expr.parameters:
        if name not in params.parameters:
            continue
        is_list = isinstance(params.parameters[name].values[0].value, list)
        if is_list and name not in listed:
            problems.append(f"{where}: parameter '{name}' is a list of codes; use it in sum_except/sum_of")
        if not is_list and name in listed:
            problems.append(f"{where}: parameter '{name}' is not a list of codes")
    return problems


def _number(value: Any) -> Decimal:
    return Decimal(str(value))


def _call_name(node: ast.expr) -> str | None:
    return node.func.id if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) else None


def to_python(expr: Expression, params: ParameterSet, on: dt.date) -> Callable[[dict], Decimal | None]:
    """Compile to a function of one household's facts (a dict), exact decimal arithmetic."""

    def param_value(name: str, f: dict):
        param = params.parameter(name)
        value = params.at(name, on, f.get(DISTRICT_FACT))
        if param.breakdown:
            key = f.get(param.breakdown)
            return _number(value[key]) if key in value else None
        return value if isinstance(value, list) else _number(value)

    def build(node: ast.expr) -> Callable[[dict], Any]:
        if isinstance(node, ast.BinOp):
            left, right, op = build(node.left), build(node.right), type(node.op)

            def binop(f):
                a, b = left(f), right(f)
                if a is None or b is None:
                    return None
                if op is ast.Add:
                    return a + b
                if op is ast.Sub:
                    return a - b
                if op is ast.Mult:
                    return a * b
                return None if b == 0 else a / b

            return binop
        if isinstance(node, ast.UnaryOp):
            inner = build(node.operand)
            return lambda f: None if inner(f) is None else -inner(f)
        if isinstance(node, ast.Constant):
            value = _number(node.value)
            return lambda f: value
        if isinstance(node, ast.Name):
            name = node.id
            return lambda f: None if f.get(name) is None else _number(f[name])
        call = _call_name(node)
        if call in MAP_FUNCTIONS:
            fact, listed = node.args[0].id, _dotted(node.args[1])
            keep = (lambda k, codes: k not in codes) if call == "sum_except" else (lambda k, codes: k in codes)

            def total(f):
                codes = set(param_value(listed, f))
                return sum((_number(v) for k, v in (f.get(fact) or {}).items()
                            if v is not None and keep(k, codes)), Decimal(0))

            return total
        if call in ("max", "min"):
            args = [build(a) for a in node.args]
            pick = max if call == "max" else min

            def extreme(f):
                values = [a(f) for a in args]
                return None if any(v is None for v in values) else pick(values)

            return extreme
        name = _dotted(node)
        return lambda f: param_value(name, f)

    return build(expr.tree)


def sql_text(value: str) -> str:
    """A SQL string literal."""
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def _sql_number(value: Any) -> str:
    return f"CAST('{_number(value)}' AS {SPARK_DECIMAL.upper()})"


def _sql_param(name: str, params: ParameterSet, on: dt.date, district: str | None) -> str:
    param = params.parameter(name, district)
    value = params.at(name, on, district)
    if param.breakdown:
        branches = " ".join(
            f"WHEN `{param.breakdown}` = {sql_text(key)} THEN {_sql_number(value[key])}" for key in sorted(value)
        )
        return f"(CASE {branches} END)"
    return _sql_number(value)


def sql_parameter(name: str, params: ParameterSet, on: dt.date) -> str:
    """A parameter as SQL: the district's value where it overrides, else the city's."""
    city = _sql_param(name, params, on, None)
    overrides = params.overrides(name)
    if not overrides:
        return city
    branches = " ".join(
        f"WHEN `{DISTRICT_FACT}` = {sql_text(code)} THEN {_sql_param(name, params, on, code)}" for code in overrides
    )
    return f"(CASE {branches} ELSE {city} END)"


def to_sql(expr: Expression, params: ParameterSet, on: dt.date) -> str:
    """Compile to a Spark SQL expression over a table of household facts.

    SQL text rather than Column objects: a Column tree costs one JVM round trip per node, and
    the policy's few hundred nodes took seconds to build; the text is parsed in one call.
    """

    def build(node: ast.expr) -> str:
        if isinstance(node, ast.BinOp):
            left, right, op = build(node.left), build(node.right), type(node.op)
            if op is ast.Div:
                return f"(CASE WHEN {right} != 0 THEN {left} / {right} END)"
            return f"({left} {_BINOPS[op]} {right})"
        if isinstance(node, ast.UnaryOp):
            return f"(- {build(node.operand)})"
        if isinstance(node, ast.Constant):
            return _sql_number(node.value)
        if isinstance(node, ast.Name):
            return f"CAST(`{node.id}` AS {SPARK_DECIMAL.upper()})"
        call = _call_name(node)
        if call in MAP_FUNCTIONS:
            fact, listed = node.args[0].id, _dotted(node.args[1])
            codes = [str(c) for c in params.at(listed, on)]
            inside = f"k IN ({', '.join(sql_text(c) for c in codes)})" if codes else "false"
            test = f"NOT ({inside})" if call == "sum_except" else inside
            zero = _sql_number(0)
            return (f"aggregate(map_values(map_filter(`{fact}`, (k, v) -> {test})), {zero}, "
                    f"(acc, x) -> CAST(acc + coalesce(x, 0) AS {SPARK_DECIMAL.upper()}))")
        if call in ("max", "min"):
            args = [build(a) for a in node.args]
            # greatest/least skip nulls; the Python side gives no value, so must Spark
            nulls = " OR ".join(f"{a} IS NULL" for a in args)
            pick = "greatest" if call == "max" else "least"
            return f"(CASE WHEN NOT ({nulls}) THEN {pick}({', '.join(args)}) END)"
        return sql_parameter(_dotted(node), params, on)

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
    """`left op right` on Decimals; None when either side has no value."""
    if left is None or right is None:
        return None
    return _COMPARE[op](left, right)
