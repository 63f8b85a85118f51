"""The household facts the rules may read: what `pipelines/household/` builds per household.

The catalog lets the loader catch a misspelt fact in a rule file before anything runs, gives
the rule cases their defaults (a case states only the facts it is about), and labels the trace.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class Fact:
    name: str
    kind: str  # text, count, amount, amounts_by_code
    zh: str
    en: str
    unknown_by_default: bool = False  # a case that does not state it has no value, not zero

    def default(self) -> Any:
        if self.unknown_by_default:
            return None
        return {"text": None, "count": 0, "amount": Decimal(0), "amounts_by_code": {}}[self.kind]


FACTS = {
    f.name: f
    for f in (
        Fact("region_code", "text", "区县代码", "district code"),
        Fact("urban_rural", "text", "城乡类别", "urban or rural"),
        Fact("members_enrolled", "count", "在册人数", "members enrolled"),
        Fact("members_in_custody", "count", "服刑或强制隔离戒毒人数", "members in custody"),
        Fact("deceased_members", "count", "已死亡的在册人数", "members deceased"),
        Fact("members_enrolled_elsewhere", "count", "在其他家庭重复在册的人数", "members also enrolled in another household"),
        Fact("state_payroll_members", "count", "财政供养人数", "members on the state payroll"),
        Fact("income_by_type", "amounts_by_code", "追溯期内分类收入", "income by type over the look-back"),
        Fact("countable_income_total", "amount", "计入收入合计", "countable income"),
        Fact("excluded_income_total", "amount", "不计入收入合计", "excluded income"),
        Fact("deposits", "amount", "银行存款", "bank deposits"),
        Fact("securities", "amount", "证券市值", "securities"),
        Fact("insurance_cash_value", "amount", "商业保险现金价值", "insurance cash value"),
        Fact("homes", "count", "住房套数", "homes"),
        Fact("home_area", "amount", "住房建筑面积（按份额）", "home floor area (by share)"),
        Fact("commercial_properties", "count", "商业用房数", "commercial properties"),
        Fact("vehicles_nonexempt", "count", "非豁免机动车数", "non-exempt vehicles"),
        Fact("vehicles_doubtful", "count", "疑似已报废或出售的机动车数", "vehicles likely scrapped or sold"),
        Fact("deposits_dormant", "amount", "久未动户存款", "deposits in dormant accounts"),
        Fact("homes_doubtful", "count", "共有人已死亡的住房套数", "homes with a deceased co-owner"),
        Fact("home_area_doubtful", "amount", "共有人已死亡的住房面积（按份额）", "floor area of homes with a deceased co-owner"),
        Fact("commercial_properties_doubtful", "count", "共有人已死亡的商业用房数",
             "commercial properties with a deceased co-owner"),
        Fact("members_provident_without_wage", "count", "公积金有缴存而社保无工资的人数",
             "members paid into a provident fund without a registered wage"),
        Fact("undeclared_spouses", "count", "未列入家庭的配偶人数", "spouses not listed in the household"),
        Fact("members_identity_unverified", "count", "身份未经户籍核实的人数", "members whose identity 户籍 does not confirm"),
        Fact("businesses_active", "count", "存续市场主体数", "active businesses"),
        Fact("new_work_months", "count", "新就业月数", "months of new work"),
        Fact("new_work_income", "amount", "新就业收入", "income from new work"),
        # a declaration not stated in a rule case is unknown: nothing to compare with
        Fact("declared_income", "amount", "申报月收入", "declared monthly income", unknown_by_default=True),
        Fact("benefit_amount", "amount", "现发保障金", "benefit paid now"),
    )
}


def label(name: str, lang: str = "zh") -> str:
    fact = FACTS.get(name)
    if fact is None:
        return name
    return fact.zh if lang == "zh" else fact.en
