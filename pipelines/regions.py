"""Chongqing's county-level region codes (GB/T 2260), current and retired, as reference data."""

from __future__ import annotations

# The 38 county-level units in force: 26 districts, 8 counties, 4 autonomous counties.
CHONGQING: dict[str, str] = {
    "500101": "万州区", "500102": "涪陵区", "500103": "渝中区", "500104": "大渡口区",
    "500105": "江北区", "500106": "沙坪坝区", "500107": "九龙坡区", "500108": "南岸区",
    "500109": "北碚区", "500110": "綦江区", "500111": "大足区", "500112": "渝北区",
    "500113": "巴南区", "500114": "黔江区", "500115": "长寿区", "500116": "江津区",
    "500117": "合川区", "500118": "永川区", "500119": "南川区", "500120": "璧山区",
    "500151": "铜梁区", "500152": "潼南区", "500153": "荣昌区", "500154": "开州区",
    "500155": "梁平区", "500156": "武隆区",
    "500229": "城口县", "500230": "丰都县", "500231": "垫江县", "500233": "忠县",
    "500235": "云阳县", "500236": "奉节县", "500237": "巫山县", "500238": "巫溪县",
    "500240": "石柱土家族自治县", "500241": "秀山土家族苗族自治县",
    "500242": "酉阳土家族苗族自治县", "500243": "彭水苗族土家族自治县",
}

# Retired codes still printed in IDs issued before the renumbering → the code in force now.
RETIRED: dict[str, tuple[str, str]] = {
    "500221": ("长寿县", "500115"), "500222": ("綦江县", "500110"), "500223": ("潼南县", "500152"),
    "500224": ("铜梁县", "500151"), "500225": ("大足县", "500111"), "500226": ("荣昌县", "500153"),
    "500227": ("璧山县", "500120"), "500228": ("梁平县", "500155"), "500232": ("武隆县", "500156"),
    "500234": ("开县", "500154"), "500381": ("江津市", "500116"), "500382": ("合川市", "500117"),
    "500383": ("永川市", "500118"), "500384": ("南川市", "500119"),
}

AUTONOMOUS = ("500240", "500241", "500242", "500243")


def region_name(code: str | None) -> str:
    """Name of a current or retired Chongqing code; the code itself when unknown."""
    if code in CHONGQING:
        return CHONGQING[code]
    if code in RETIRED:
        return RETIRED[code][0] + "（已撤销）"
    return str(code or "")


def current_code(code: str) -> str:
    """The code in force for a possibly retired one."""
    return RETIRED[code][1] if code in RETIRED else code
