"""Why two records were linked: a link's evidence as a waterfall of weights, in words.

The evidence JSON stored with every link holds, per field, the comparison level, the similarity
that decided it and the weight (log2 of m/u: how many times likelier this agreement is for the
same person than for two different people). Starting from the prior's weight, the weights add up
to the match weight; the probability follows from it.
"""

from __future__ import annotations

import json
import math

LEVEL_ZH = {
    "exact": "完全一致",
    "exact_checksum_valid": "身份证号一致（校验通过）",
    "simplified": "繁简转换后一致",
    "variant": "异体字转换后一致",
    "former": "与曾用名一致",
    "pinyin": "拼音一致（同音）",
    "pinyin_swapped": "拼音一致（姓名顺序颠倒）",
    "placeholder": "生僻字占位符匹配",
    "jw_pinyin_high": "拼音高度相似",
    "transposition": "相邻数字颠倒",
    "one_edit": "一位数字不同",
    "birth_and_region": "地区码和出生日期一致",
    "two_edits": "两位数字不同",
    "day_month_swapped": "日月颠倒",
    "one_digit": "一位数字不同",
    "same_year_month": "年月相同",
    "year_within_1": "年份相差一年内",
    "last8": "后八位一致",
    "jw_high": "高度相似",
    "jw_mid": "较为相似",
    "token_set": "主要部分一致",
    "lev1": "相差一个字符",
    "lev2": "相差两个字符",
    "else": "不一致",
    "missing": "一方缺失（不计分）",
}
METHOD_ZH = {
    "id_exact": "身份证号精确匹配",
    "id_fuzzy": "身份证号模糊匹配",
    "probabilistic": "概率匹配",
    "clerical": "可能匹配，需人工核实身份",
}
BAND_ZH = {"match": "匹配", "possible": "可能匹配", "non_match": "不匹配"}


def waterfall(evidence: str | dict) -> list[dict]:
    """Steps of the waterfall: prior first, one per field, then the total (running sums)."""
    ev = json.loads(evidence) if isinstance(evidence, str) else evidence
    steps = []
    running = 0.0
    prior = ev.get("prior_weight")
    if prior is not None:
        running = prior
        steps.append({"step": "prior", "level": None, "weight": prior, "cumulative": running})
    for f in ev.get("fields", []):
        w = f.get("weight")
        if w is not None:
            running += w
        steps.append(
            {
                "step": f["field"],
                "level": f.get("level"),
                "similarity": f.get("similarity"),
                "weight": w,
                "cumulative": round(running, 4),
            }
        )
    total = ev.get("match_weight")
    steps.append({"step": "total", "level": None, "weight": total, "cumulative": total})
    return steps


def _bar(weight: float | None, scale: float = 2.0, width: int = 20) -> str:
    if weight is None:
        return ""
    n = min(width, int(round(abs(weight) / scale * 2)))
    return ("+" if weight >= 0 else "-") * max(n, 1 if weight else 0)


def describe(link: dict, lang: str = "zh") -> list[str]:
    """Lines explaining one link (`method`, `band`, `probability`, `evidence` ...)."""
    ev = json.loads(link["evidence"])
    zh = lang == "zh"
    lines = []
    method = link.get("method") or ev.get("method")
    band = link.get("band") or ev.get("band")
    head = (
        f"链接方式：{METHOD_ZH.get(method, method)}；结论：{BAND_ZH.get(band, band)}"
        if zh
        else f"method: {method}; band: {band}"
    )
    prob = link.get("probability", ev.get("probability"))
    if prob is not None:
        head += f"；匹配概率 {prob:.4f}" if zh else f"; match probability {prob:.4f}"
    lines.append(head)
    for step in waterfall(ev):
        name, w = step["step"], step["weight"]
        if name == "prior":
            label = "先验（候选对中同一人的比例）" if zh else "prior (share of candidates that match)"
            lines.append(f"  {label:<28} {w:+8.2f}")
            continue
        if name == "total":
            if w is None:
                continue
            label = "合计（匹配权重）" if zh else "total (match weight)"
            odds = 2.0**w if w < 1000 else math.inf
            lines.append(f"  {label:<28} {w:+8.2f}   odds {odds:,.1f} : 1")
            continue
        level = step["level"]
        shown = LEVEL_ZH.get(level, level) if zh else level
        sim = step.get("similarity")
        sim_txt = f" sim={sim:.3f}" if isinstance(sim, int | float) else ""
        w_txt = f"{w:+8.2f}" if w is not None else "       ·"
        lines.append(f"  {name:<12} {shown:<16}{sim_txt:<11} {w_txt} {_bar(w)}")
    runner = ev.get("runner_up_probability")
    if runner is not None:
        lines.append(
            f"  次优候选的匹配概率 {runner:.4f}" if zh else f"  runner-up candidate probability {runner:.4f}"
        )
    return lines
