"""The words of every page and of the trace: one catalogue, Chinese first with the English beside.

Each table maps a key to its (zh, en) pair; a page shows the Chinese with the English beside it,
or the English alone (lang="en"). The templates look words up as "table.key" (`words`), the
trace reads its text by language (`TEXT`). The link stage's names for its methods and field
levels stay with the link stage (`pipelines.link.explain`); the renderer takes them from there.
Plain data: loading it loads nothing else (the trace starts without PySpark).
"""

from __future__ import annotations

Pair = tuple[str, str]

TRACE: dict[str, Pair] = {  # the trace's text, whose headings and words the pages share too
    "title": ("低保核对过程说明", "Dibao verification trace"),
    "household": ("户", "household"),
    "month": ("核对月份", "month"),
    "run": ("批次", "run"),
    "notice": ("核对结果供审核参考，不是决定。是否认定、调整或停发，由经办人员核实后依规定作出书面决定。", "For review, not a decision: a caseworker verifies and decides, in writing, under the rules."),
    "policy": ("政策", "policy"),
    "applied": ("适用日期", "applied on"),
    "outcome": ("核对结果", "outcome"),
    "flags": ("提出的疑点", "points for review"),
    "none": ("无", "none"),
    "facts": ("一、家庭基础事实", "1. Household facts"),
    "formulas": ("二、派生数值（公式）", "2. Derived figures (formulas)"),
    "rules": ("三、规则判断", "3. Rules"),
    "programmes": ("四、保障项目资格", "4. Programme eligibility"),
    "status": ("五、结论", "5. Outcome"),
    "no_facts": ("（本批次没有该户的基础事实记录）", "(no base facts for this household in this run)"),
    "income_types": ("分类收入", "income by type"),
    "counted": ("计入", "counted"),
    "excluded": ("不计入", "excluded"),
    "exclusion_unknown": ("（本批次未记录不计入收入类型清单，见派生数值中的计入/不计入合计）", "(the run does not record which types are excluded; see the countable/excluded totals under derived figures)"),
    "not_counted": ("未计入人数的成员", "members not counted"),
    "holds": ("✓ 成立", "✓ holds"),
    "not_holds": ("✗ 不成立", "✗ does not hold"),
    "ruleset": ("规则集", "rule set"),
    "version": ("版本", "version"),
    "flag": ("疑点代码", "flag code"),
    "tier": ("层级", "tier"),
    "test": ("判断", "test"),
    "computed": ("计算", "computed"),
    "requires": ("须同时成立", "requires"),
    "unless": ("以下成立时不适用", "not when"),
    "margin": ("偏离阈值", "margin"),
    "borderline": ("临界", "borderline"),
    "inputs": ("读取数据", "inputs"),
    "parameters": ("参数", "parameters"),
    "not_in_force": ("本月不适用（规则不在有效期内）", "not in force this month"),
    "span": ("有效期 {0} 至 {1}", "in force {0} to {1}"),
    "span_open": ("{0} 起有效，未定止期", "in force from {0}, no end date"),
    "confidence": ("确定性", "confidence"),
    "reference": ("出处", "reference"),
    "district": ("区县覆盖", "district override"),
    "file": ("文件", "file"),
    "eligible": ("✓ 符合", "✓ eligible"),
    "not_eligible": ("✗ 不符合", "✗ not eligible"),
    "failed": ("未满足的条件", "conditions not met"),
    "must_hold": ("须成立，实际不成立", "must hold, does not"),
    "must_not_hold": ("须不成立，实际成立", "must not hold, holds"),
    "benefit_formula": ("保障金公式", "benefit formula"),
    "benefit_computed": ("按规则计算的保障金", "benefit computed by the rules"),
    "benefit_paid": ("现发保障金", "benefit paid now"),
    "per_month": ("元/月", "CNY/month"),
    "raises": ("提出疑点", "raises"),
    "legal_basis": ("法律依据", "legal basis"),
    "urban": ("城镇", "urban"),
    "rural": ("农村", "rural"),
    "custody": ("服刑或强制隔离戒毒", "in custody"),
    "end": ("以上为核对过程记录，不构成对该户的认定或处理决定。", "This is a record of the checks, not a decision about the household."),
}
CONFIDENCE_WORDS: dict[str, Pair] = {  # how sure a policy parameter is
    "sure": ("确定", "sure"),
    "likely": ("较可能", "likely"),
    "open": ("【待核 open】", "[OPEN]"),
}
TIER: dict[str, Pair] = {  # a flag's tier
    "hard_event": ("硬性事件", "hard event"),
    "threshold": ("超过限额", "threshold"),
    "inconsistency": ("不一致", "inconsistency"),
    "verify": ("待核实", "to verify"),
    "verify_identity": ("身份待核实", "verify identity"),
}
CASE: dict[str, Pair] = {  # the case file's page, and the labels the 核对报告 shares with it
    "title": ("核对疑点案卷", "Case file"),
    "notice": ("供审核参考，不是决定", "for review, not a decision"),
    "notice_long": ("疑点不改变任何发放。是否认定、调整或停发，由经办人员核实后依规定作出书面决定。", "A flag never changes a payment. A caseworker verifies and decides, in writing, under the rules."),
    "household": ("户", "Household"),
    "district": ("区县", "District"),
    "urban_rural": ("城乡", "Urban/rural"),
    "status": ("核对结论", "Outcome"),
    "members": ("计入人数", "Members counted"),
    "computed": ("按规则计算的保障金", "Benefit computed"),
    "paid": ("现发保障金", "Benefit paid"),
    "run": ("批次", "Run"),
    "month": ("核对月份", "Month"),
    "ruleset": ("规则集", "Rule set"),
    "masked": ("个人信息已遮蔽：证件号、账号等记录号只显示首尾；单个账户、证券、保单的余额按区间显示。家庭合计和与阈值比较的数值照实显示。查看原值须使用 --unmasked，并记入访问日志。", "Personal data masked: record keys show only their ends; each account, securities or policy balance is shown as a band. Household totals and the figures tested against thresholds are exact. Unmasking needs --unmasked and is logged."),
    "unmasked": ("未遮蔽视图：含个人信息原值，本次查看已记入访问日志。", "UNMASKED view: raw personal data; this view is logged."),
    "flags": ("一、疑点", "1. Points for review"),
    "no_flags": ("本户本批次没有疑点。", "No flags for this household in this run."),
    "tier": ("层级", "Tier"),
    "rule": ("规则", "Rule"),
    "legal_basis": ("法律依据", "Legal basis"),
    "test": ("判断", "Test"),
    "value": ("数值", "Value"),
    "threshold": ("阈值", "Threshold"),
    "margin": ("偏离阈值", "Margin"),
    "borderline": ("临界（阈值10%以内）", "Borderline (within 10%)"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "hash": ("证据指纹", "Evidence hash"),
    "at_stake": ("涉及月保障金", "Monthly benefit at stake"),
    "persons": ("涉及成员", "Members concerned"),
    "inputs": ("读取数据", "Inputs"),
    "parameters": ("参数", "Parameters"),
    "records": ("证据记录", "Evidence records"),
    "fact": ("事实", "Fact"),
    "source": ("来源", "Source"),
    "as_of": ("截至日期", "As of"),
    "file_row": ("文件:行", "File:row"),
    "key": ("记录号", "Record key"),
    "person": ("成员", "Member"),
    "amount": ("金额/数量", "Amount"),
    "link": ("链接方式", "Link"),
    "comparison": ("逐字段比对", "Per-field comparison"),
    "detail": ("明细", "Detail"),
    "name": ("名称", "Name"),
    "span": ("有效期", "In force"),
    "confidence": ("确定性", "Confidence"),
    "reference": ("出处", "Reference"),
    "trace": ("二、核对过程", "2. Rule trace"),
    "linked": ("三、关联记录", "3. Linked records"),
    "totals": ("合计", "Totals"),
    "links": ("身份链接", "Identity links"),
    "score": ("匹配概率", "Score"),
    "formula": ("公式", "Formula"),
    "result": ("结果", "Result"),
    "programme": ("保障项目", "Programme"),
    "band": ("区间", "band"),
    "sim": ("相似度", "similarity"),
    "weight": ("权重", "weight"),
}
REPORT: dict[str, Pair] = {  # the 核对报告 of an application and its index
    "title": ("最低生活保障家庭经济状况核对报告", "Verification report"),
    "application_no": ("申请编号", "Application no."),
    "application_date": ("申请日期", "Date of application"),
    "application_status": ("办理状态", "Application status"),
    "declared": ("申报家庭月收入", "Declared monthly household income"),
    "engine": ("引擎版本", "Engine version"),
    "members_h": ("一、申请家庭成员", "1. Members of the applying household"),
    "member_no": ("序号", "No."),
    "person_key": ("成员编号", "Person key"),
    "id_number": ("身份证号", "ID number"),
    "member_name": ("姓名", "Name"),
    "relation": ("与申请人关系", "Relation"),
    "checked": ("本批次核对", "Checked"),
    "registries_h": ("二、各部门数据比对情况", "2. What each registry says about each member"),
    "registries_intro": ("本次核对比对了下列每一个部门的数据。“无记录”表示已比对该部门数据，未找到与该成员关联的记录；“本批次未核对”表示该成员没有进入本批次核对，不能据此认为没有记录。", 'The run checked every registry below. "No record found" means the registry was consulted and held no record linked to the member; "not checked" means the member was not part of the run, which says nothing about the registry.'),
    "registry": ("部门数据", "Registry"),
    "holder": ("提供部门", "Held by"),
    "files": ("文件", "Files"),
    "rows_clean": ("可用记录数", "Usable rows"),
    "matrix_h": ("成员 × 部门比对结果", "Member × registry"),
    "details_h": ("关联记录明细", "Linked records, member by member"),
    "contributed": ("计入核对的事实", "Facts contributed"),
    "no_fact": ("（未提供计入核对的事实）", "(contributed no fact to the checks)"),
    "outcome_h": ("三、家庭核对数值与规则结论", "3. Household figures and the outcome of each rule"),
    "outcome": ("规则核对结果（供参考）", "Outcome of the checks (for reference)"),
    "per_capita": ("人均月收入", "Per-capita monthly income"),
    "members_counted": ("计入人数", "Members counted"),
    "rules_h": ("各项规则结论一览", "Every rule's outcome"),
    "trace_h": ("核对过程明细", "The checks step by step"),
    "flags_h": ("四、需经办人员核实的疑点", "4. Points for staff to review"),
    "flags_intro": ("以下是需要经办人员核实的疑点，不是认定结论，不据此作出批准或不予批准的决定。", "These are points for staff to verify, not findings; no approval or refusal follows from them."),
    "no_flags": ("本申请没有提出疑点。", "No points for review were raised for this application."),
    "explanation": ("说明", "Explanation"),
    "not_in_run": ("未核对", "not checked"),
    "missing": ("本批次的核对结果中没有该申请家庭（户编号 {0}）：没有规则核对结论，也没有疑点。请核实该户数据是否被隔离或未进入核对，并重新核对；不能据此作出任何认定。", "The run's decisions do not hold household {0} of this application: there is no outcome and no point for review. Find out why the household was not checked (quarantined rows, a missing extract) and check it again; nothing can be concluded from this report."),
    "index_title": ("核对报告目录", "Verification reports"),
    "points": ("疑点数", "Points for review"),
    "report": ("报告", "Report"),
    "holds": ("成立", "holds"),
    "not_holds": ("不成立", "does not hold"),
    "not_evaluated": ("本批次未判断", "not evaluated"),
}
CELL: dict[str, Pair] = {  # a cell of the member × registry matrix: what a registry says about a member
    "found": ("有记录", "record found"),
    "possible": ("疑似记录，身份待核实", "possible match, identity to verify"),
    "no_record": ("无记录", "no record found"),
    "not_checked": ("本批次未核对", "not checked in this run"),
}
SUMMARY: dict[str, Pair] = {  # the monthly summary (report/summary.html)
    "title": ("低保月度核对报告", "Monthly verification report"),
    "tab": ("月度核对报告", "Monthly verification report"),
    "households": ("核对家庭", "households checked"),
    "flags": ("待核实事项", "points for review"),
    "possibly_eligible": ("可能符合条件", "possibly eligible"),
    "notice": ("提示：以下为需要工作人员核实的事项，不是对任何家庭的决定。", "These are points for staff to review, not decisions."),
    "registries": ("数据来源", "Registries"),
    "age_note": ("时效：数据截至日期距核对月份最后一天的天数；期限：该来源允许的最长月数及最早可用的截至日期。", "Age: days from the as-of date to the last day of the month checked; limit: the source's freshness limit in months and the oldest as-of date it accepts."),
    "source": ("来源", "source"),
    "as_of": ("截至", "as of"),
    "age": ("时效", "age (days)"),
    "limit": ("期限", "limit"),
    "clean": ("有效行", "clean"),
    "quarantined": ("隔离行", "quarantined"),
    "gate": ("质量关", "gate"),
    "no_extract": ("无", "none"),
    "passed": ("通过", "passed"),
    "rejected": ("拒收", "rejected"),
    "months": ("个月", "months"),
    "status": ("核对结果", "Status"),
    "by_tier": ("按层级", "By tier"),
    "by_code": ("按代码", "By code"),
    "by_district": ("按区县", "By district"),
    "district": ("区县", "district"),
    "code": ("代码", "code"),
    "count": ("数量", "count"),
}
DATA_DOCS: dict[str, Pair] = {  # the run's index of the Great Expectations Data Docs
    "title": ("数据质量报告", "Data Docs"),
}

CLI: dict[str, Pair] = {  # what `welfare-verify` prints (its help texts stay English)
    "error": ("错误", "error"),
    "warning": ("警告", "warning"),
    "outputs": ("输出", "outputs"),
    "saved": ("已保存", "saved"),
    "report": ("报告", "report"),
    "reports": ("核对报告", "reports"),
    "exported": ("已导出", "exported"),
    "ground_truth": ("基准：本月应提出 {flags} 个疑点（{month}）",
                     "ground truth: {flags} flags a perfect engine would raise for {month}"),
    "applications": ("{day} 收到 {applications} 份申请（{members} 人）；疑点 {flags} 个",
                     "{applications} applications ({members} members) received on {day}; "
                     "{flags} points for review"),
    "unmasked_case": ("未脱敏案卷：显示原始个人信息；本次查看已记录",
                      "unmasked case file: raw personal data is shown; this view is logged"),
    "unmasked_reports": ("未脱敏报告：显示原始个人信息；每次查看均记录",
                         "unmasked reports: raw personal data is shown; each view is logged"),
    "unmasked_export": ("未脱敏导出：写出原始个人信息；本次导出已记录",
                        "unmasked export: raw personal data is written; this is logged"),
    "lookalikes": ("相似非问题户 {planted} 户，误报 {flagged} 户",
                   "look-alikes planted: {planted}, wrongly flagged: {flagged}"),
    "leads_scored": ("漏保线索：植入 {listed}/{planted} 户列出，相似户 {lookalikes_listed}/{lookalikes} 户列出，"
                     "其他 {other} 户列出",
                     "漏保 leads (possibly eligible): {listed} of {planted} planted listed, "
                     "{lookalikes_listed} of {lookalikes} look-alikes listed, {other} other households listed"),
    "leads": ("漏保线索（可能符合条件、未纳入保障，供主动发现）：{rows} 户（{signs}）→ possibly_eligible.parquet",
              "漏保 leads, possibly eligible (not enrolled, for outreach): {rows} households ({signs}) "
              "→ possibly_eligible.parquet"),
    "pulled": ("已拉取 {rows} 行，写入 {dest}", "pulled {rows} rows into {dest}"),
    "audit_intact": ("查看记录完整：{entries} 条，末条哈希 {head}…（{path}）",
                     "audit log intact: {entries} entries, head {head}… ({path})"),
    "link_sizes": ("左表 {left} 行 × 右表 {right} 行；比较 {pairs} 对（另按身份证号 {by_id} 对）；{seconds} 秒",
                   "left {left} × right {right} rows; pairs compared {pairs} (+ {by_id} by ID); {seconds} s"),
    "whatif_changes": ("状态变化：{hh_changed}/{hh} 户，{people_changed}/{people} 人；月保障金 {before} → {after}"
                       "（变化 {change} 元）",
                       "status changes: {hh_changed} of {hh} households, {people_changed} of {people} people; "
                       "monthly benefit computed {before} → {after} (change {change} yuan)"),
    # table titles and column headers
    "scores": ("{part}：精确率 / 召回率 / F1", "{part}: precision / recall / F1"),
    "links_title": ("匹配 links：{name}", "links: {name}"),
    "name": ("名称", "name"), "predicted": ("预测", "predicted"), "actual": ("实际", "actual"),
    "true_positives": ("命中", "true positives"), "precision": ("精确率", "precision"),
    "recall": ("召回率", "recall"), "f1": ("F1", "F1"), "method": ("方法", "method"),
    "links": ("匹配数", "links"),
    "moves_title": ("状态变化", "status changes"),
    "from": ("原状态", "from"), "to": ("新状态", "to"), "households": ("户数", "households"),
    "people": ("人数", "people"), "benefit_change": ("保障金变化", "benefit change"),
    "districts_title": ("分区县：户数与人数，Δ 为状态变化；月保障金变化（元）",
                        "by district: households and people, Δ = status changes; monthly benefit change, yuan"),
    "district": ("区县", "district"),
    "quarantine_title": ("隔离数据 · 批次 {run}", "quarantine · run {run}"),
    "source": ("来源", "source"), "reason": ("原因", "reason"), "rows": ("行数", "rows"),
    "audit_title": ("查看记录", "audit log"),
    "seq": ("#", "#"), "time": ("时间 (UTC)", "time (UTC)"), "user": ("账号", "user"),
    "action": ("操作", "action"), "command": ("命令", "command"), "run": ("批次", "run"),
    "what": ("内容", "what"),
    "sources_title": ("数据来源 · 批次 {run} · 月份 {month}", "sources · run {run} · month {month}"),
    "as_of": ("截至", "as of"), "age": ("天数", "age (days)"), "limit": ("时效", "limit"),
    "rows_in": ("读入", "rows in"), "clean": ("合格", "clean"), "quarantined": ("隔离", "quarantined"),
    "balanced": ("平衡", "balanced"), "none": ("无数据", "none"), "yes": ("是", "yes"), "no": ("否", "NO"),
    "months": ("{n} 个月 ≥ {oldest}", "{n} mo ≥ {oldest}"),
    "flags_title": ("疑点分级 · {n} 个疑点，供审核，不是决定", "flags by tier · {n} points for review, not decisions"),
    "tier": ("级别", "tier"), "flag_code": ("疑点代码", "flag code"), "flags": ("疑点数", "flags"),
    "borderline": ("临界", "borderline"),
    "regions_title": ("各区县疑点家庭", "flagged households by district"),
    "region": ("区划", "region"), "households_flagged": ("疑点家庭", "households flagged"),
}

CATALOGUE: dict[str, dict[str, Pair]] = {
    "trace": TRACE, "confidence": CONFIDENCE_WORDS, "tier": TIER, "case": CASE, "report": REPORT,
    "cell": CELL, "summary": SUMMARY, "data_docs": DATA_DOCS, "cli": CLI,
}
LANGS = ("zh", "en")


def words(key: str) -> Pair:
    """The (zh, en) pair of "table.key" (e.g. "case.title"); a key not in the catalogue is an error."""
    table, _, name = key.partition(".")
    try:
        return CATALOGUE[table][name]
    except KeyError:
        raise KeyError(f"{key!r} is not in the catalogue (pipelines/review/messages.py); tables: "
                       f"{', '.join(CATALOGUE)}") from None


def by_lang(table: dict[str, Pair]) -> dict[str, dict[str, str]]:
    """A table as {"zh": {key: word}, "en": {key: word}}."""
    return {lang: {k: pair[i] for k, pair in table.items()} for i, lang in enumerate(LANGS)}


# The trace's views, by language. Its tiers stay Chinese only: the English trace shows the code.
TEXT = by_lang(TRACE)
CONFIDENCE = by_lang(CONFIDENCE_WORDS)
TIERS = {"zh": by_lang(TIER)["zh"]}


def cli_text(key: str, lang: str, sep: str = " ", alone: bool = False, **values) -> str:
    """An entry of the "cli" table in `lang`, its {placeholders} filled from `values`: the
    English alone (en), else the Chinese with the English beside it after `sep`, or the Chinese
    alone (`alone`, for a table cell whose header is bilingual already)."""
    zh, en = (text.format(**values) for text in CLI[key])
    if lang == "en":
        return en
    return zh if alone or zh == en else f"{zh}{sep}{en}"
