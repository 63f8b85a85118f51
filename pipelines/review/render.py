"""The pages' one Jinja2 environment: templates under `review/templates`, escaping always on.

Every page extends `base.html`, which inlines the one stylesheet so that each page is a single
self-contained printable file. The templates hold all the markup; this module gives them the
catalogue's words (`words`, `known`) and filters that format a value for reading (`dash`, `num`,
`pct`, `unnumbered`). A value from the data is text to the templates: it is escaped wherever it is
shown, so a name or key holding markup prints as that markup, never runs.
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import cache
from typing import Any

from jinja2 import ChainableUndefined, Environment, PackageLoader, Undefined

from pipelines.policy.facts import FACTS, label
from pipelines.review.messages import CATALOGUE, TEXT, Pair, words
from pipelines.review.trace import parameter_value_text, validity_span

DECIMAL = re.compile(r"^-?\d+\.\d+$")
NUMBERED = re.compile(r"^([一二三四五六七八九十]+、|\d+\.\s*)")
NOT_FACTS = ("month", "household_id")  # a household's keys, not facts to list


def missing(value: Any) -> bool:
    return value is None or value == "" or isinstance(value, Undefined)


def dash(value: Any) -> Any:
    """A value as shown: "—" where there is none."""
    return "—" if missing(value) else value


def num(value: Any) -> Any:
    """A number for reading: thousands separated, exact decimals kept; text as it is."""
    if isinstance(value, bool) or missing(value):
        return dash(value)
    if isinstance(value, float):
        return f"{Decimal(repr(value)):,}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, str) and DECIMAL.match(value):  # codes and IDs are text, not numbers
        return f"{Decimal(value):,}"
    return value


def pct(margin: Any) -> str:
    """A margin (a fraction) as a signed percentage: 0.125 → +12.50%."""
    return "—" if missing(margin) else f"{Decimal(str(margin)) * 100:+.2f}%"


def unnumbered(title: str) -> str:
    """A section title without its numbering (a page numbers its own sections)."""
    return NUMBERED.sub("", title)


def real(value: Any) -> bool:
    """A test: an int or a float (not a numeric string, not a Decimal)."""
    return isinstance(value, int | float)


def is_list(value: Any) -> bool:
    return isinstance(value, list)


def index_by(items: list[dict[str, Any]], *keys: str) -> dict[Any, dict[str, Any]]:
    """Records by one key (rules by "id") or by a tuple of keys (cells by member and source)."""
    if len(keys) == 1:
        return {item[keys[0]]: item for item in items}
    return {tuple(item[k] for k in keys): item for item in items}


@cache
def link_words() -> dict[str, dict[str, Pair]]:
    """The link stage's words: how a record was linked, how a field compared (its code in English).
    Loaded on first use: the link stage loads PySpark, which a page of counts does not need."""
    from pipelines.link.explain import LEVEL_ZH, METHOD_ZH

    return {"method": {m: (zh, m) for m, zh in METHOD_ZH.items()},
            "level": {lv: (zh, lv) for lv, zh in LEVEL_ZH.items()}}


def known(table: str, code: Any) -> Pair:
    """The (zh, en) words of a code in a table of the catalogue (or "method", "level" of the link
    stage), or the code itself where it has none."""
    found = link_words()[table] if table in ("method", "level") else CATALOGUE[table]
    return found.get(code or "", (code, code))


def fact_names(facts: dict[str, Any]) -> list[str]:
    """A household's facts in the policy's order, then any others by name."""
    return [n for n in FACTS if n in facts] + sorted(n for n in facts if n not in FACTS and n not in NOT_FACTS)


def parameter_value(value: Any, urban_rural: str | None, lang: str) -> str:
    return parameter_value_text(value, urban_rural, TEXT[lang])


def in_force(start: Any, end: Any, lang: str) -> str:
    return validity_span(start, end, TEXT[lang])


ENV = Environment(
    loader=PackageLoader("pipelines.review", "templates"),
    autoescape=True,  # every template, whatever its name
    undefined=ChainableUndefined,  # a key the data lacks shows as "—", as .get() did
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
ENV.filters.update(dash=dash, num=num, pct=pct, unnumbered=unnumbered, index_by=index_by)
ENV.tests.update(real=real, list=is_list)
ENV.globals.update(words=words, known=known, fact_label=label, fact_names=fact_names,
                   parameter_value=parameter_value, in_force=in_force)


def page_lang(lang: str | None) -> str:
    return "en" if lang == "en" else "zh"


def render(template: str, **context: Any) -> str:
    """A page from `templates/<template>`; `lang` "en" gives the English page, else Chinese."""
    context["lang"] = page_lang(context.get("lang"))
    return ENV.get_template(template).render(**context)
