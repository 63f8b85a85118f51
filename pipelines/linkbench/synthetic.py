"""Small stand-in for the prepared link tables: roster people and registry records, with truth.

The real benchmark links the standardized tables that the linker prepares from generated
registries; this module makes tables of the same shape (`PERSON_COLUMNS`) directly, fast and
without Spark, so that the Splink runner can be tested and timed at any size.

Each roster person holds a Poisson number of registry records; the other registry records
belong to people outside the roster. Registry copies of a person carry noise: a 15-digit
legacy ID, a one-digit typo or an adjacent transposition (usually failing the checksum), a
missing ID, a homophone or a different character in the given name, a missing name, another
phone, another address. Deterministic for a seed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
CHECK = np.array(list("10X98765432"))

SURNAMES = [
    ("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"),
    ("杨", "yang"), ("黄", "huang"), ("赵", "zhao"), ("吴", "wu"), ("周", "zhou"),
    ("徐", "xu"), ("孙", "sun"), ("马", "ma"), ("朱", "zhu"), ("胡", "hu"),
    ("郭", "guo"), ("何", "he"), ("高", "gao"), ("林", "lin"), ("罗", "luo"),
    ("郑", "zheng"), ("梁", "liang"), ("谢", "xie"), ("宋", "song"), ("唐", "tang"),
    ("许", "xu"), ("韩", "han"), ("冯", "feng"), ("邓", "deng"), ("曹", "cao"),
    ("彭", "peng"), ("曾", "zeng"), ("肖", "xiao"), ("田", "tian"), ("董", "dong"),
    ("袁", "yuan"), ("潘", "pan"), ("蒋", "jiang"), ("蔡", "cai"), ("余", "yu"),
]  # fmt: skip
GIVEN = [
    ("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("秀", "xiu"), ("英", "ying"),
    ("敏", "min"), ("静", "jing"), ("丽", "li"), ("强", "qiang"), ("磊", "lei"),
    ("军", "jun"), ("洋", "yang"), ("勇", "yong"), ("艳", "yan"), ("杰", "jie"),
    ("娟", "juan"), ("涛", "tao"), ("明", "ming"), ("超", "chao"), ("霞", "xia"),
    ("平", "ping"), ("刚", "gang"), ("桂", "gui"), ("华", "hua"), ("建", "jian"),
    ("国", "guo"), ("文", "wen"), ("红", "hong"), ("玉", "yu"), ("兰", "lan"),
    ("辉", "hui"), ("鹏", "peng"), ("燕", "yan"), ("琳", "lin"), ("婷", "ting"),
    ("浩", "hao"), ("宇", "yu"), ("欣", "xin"), ("怡", "yi"), ("晨", "chen"),
    ("德", "de"), ("福", "fu"), ("春", "chun"), ("梅", "mei"), ("兵", "bing"),
    ("志", "zhi"), ("永", "yong"), ("金", "jin"), ("凤", "feng"), ("云", "yun"),
    ("海", "hai"), ("林", "lin"), ("成", "cheng"), ("小", "xiao"), ("光", "guang"),
    ("玲", "ling"), ("亮", "liang"), ("波", "bo"), ("斌", "bin"), ("莉", "li"),
]  # fmt: skip
# Same reading, another character: what a clerk typing pinyin picks by mistake.
HOMOPHONE = {"伟": "玮", "丽": "莉", "莉": "丽", "静": "婧", "明": "铭", "华": "桦",
             "敏": "民", "军": "君", "杰": "洁", "红": "宏", "玉": "钰", "英": "瑛",
             "平": "萍", "刚": "钢", "燕": "艳", "艳": "燕", "涛": "滔", "林": "琳",
             "琳": "林", "云": "芸"}  # fmt: skip
STREETS = [f"{a}{b}路" for a in "人民解放建设和平胜利中山新华友谊" for b in "东西南北中"]
REGIONS = [f"5001{n:02d}" for n in range(1, 39)]  # 38 county codes in Chongqing's range


def _ids(digits: np.ndarray) -> np.ndarray:
    """18-character ID text from an (n, 17) digit matrix, with the check character."""
    check = CHECK[(digits @ WEIGHTS) % 11]
    body = (digits.astype(np.uint8) + ord("0")).view(f"S{digits.shape[1]}").ravel()
    return np.char.add(np.char.decode(body, "ascii"), check)


def _valid(text: np.ndarray) -> np.ndarray:
    """Whether 18-character ID texts pass the checksum."""
    padded = np.char.ljust(text.astype("U18"), 18, "?")
    raw = np.char.encode(padded, "ascii").astype("S18").view(np.uint8).reshape(-1, 18)
    digits = raw[:, :17].astype(np.int64) - ord("0")
    ok = ((digits >= 0) & (digits <= 9)).all(axis=1)
    last = raw[:, 17].view("S1").astype("U1")
    return ok & (CHECK[(np.clip(digits, 0, 9) @ WEIGHTS) % 11] == last)


def _people(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """`n` distinct people: ID digits, name characters and pinyin, phone, address."""
    region = rng.integers(0, len(REGIONS), n)
    lo, hi = np.datetime64("1935-01-01"), np.datetime64("2015-12-31")
    span = int((hi - lo).astype(int)) + 1
    # distinct (region, birth day, sequence) so two people never share an ID
    keys = np.unique(rng.integers(0, len(REGIONS) * span * 1000, int(n * 1.01) + 16))
    keys = rng.permutation(keys)[:n]
    region, day, seq = keys // (span * 1000), (keys // 1000) % span, keys % 1000
    birth = lo + day.astype("timedelta64[D]")
    ymd = np.char.replace(np.datetime_as_string(birth, unit="D"), "-", "")
    region_text = np.asarray(REGIONS)[region]
    first17 = np.char.add(np.char.add(region_text, ymd), np.char.zfill(seq.astype(str), 3))
    digits = np.char.encode(first17, "ascii").view(np.uint8).reshape(n, 17) - ord("0")

    s_weights = 1.0 / np.arange(1, len(SURNAMES) + 1) ** 0.8
    surname = rng.choice(len(SURNAMES), n, p=s_weights / s_weights.sum())
    g1, g2 = rng.integers(0, len(GIVEN), n), rng.integers(0, len(GIVEN), n)
    two = rng.random(n) < 0.7
    phone = np.char.add(
        "1", np.char.zfill(rng.integers(3e9, 9e9, n, dtype=np.int64).astype(str), 10)
    )
    phone = np.where(rng.random(n) < 0.8, phone, None)
    street = rng.integers(0, len(STREETS), n)
    number = rng.integers(1, 400, n)
    return {
        "digits": digits,
        "region": region_text,
        "surname": surname,
        "g1": g1,
        "g2": np.where(two, g2, -1),
        "phone": phone,
        "street": street,
        "number": number,
    }


def _names(p: dict, idx: np.ndarray, homophone: np.ndarray, swap: np.ndarray, rng) -> tuple:
    """(name_norm, name_pinyin, surname_pinyin) for people `idx`, with optional noise."""
    s_chars, s_pin = (np.asarray(x) for x in zip(*SURNAMES, strict=True))
    g_chars, g_pin = (np.asarray(x) for x in zip(*GIVEN, strict=True))
    g1 = p["g1"][idx].copy()
    g1[swap] = rng.integers(0, len(GIVEN), int(swap.sum()))
    g2 = p["g2"][idx]
    first = g_chars[g1]
    first = np.where(homophone, [HOMOPHONE.get(c, c) for c in first], first)
    second = np.where(g2 >= 0, g_chars[np.maximum(g2, 0)], "")
    second_pin = np.where(g2 >= 0, g_pin[np.maximum(g2, 0)], "")
    surname = p["surname"][idx]
    norm = np.char.add(np.char.add(s_chars[surname], first), second)
    pinyin = np.char.add(np.char.add(s_pin[surname], g_pin[g1]), second_pin)
    return norm, pinyin, s_pin[surname]


def _table(rec_id, id18, id_clean, birth, norm, pinyin, surname_pin, phone, address, region):
    import pyarrow as pa

    def col(values):
        return pa.array([None if v is None or v == "" else str(v) for v in values], pa.string())

    return pa.table(
        {
            "rec_id": col(rec_id),
            "id18": col(id18),
            "id_clean": col(id_clean),
            "birth_date": col(birth),
            "name_norm": col(norm),
            "name_pinyin": col(pinyin),
            "surname_pinyin": col(surname_pin),
            "phone": col(phone),
            "address": col(address),
            "region": col(region),
        }
    )


def _birth_from_id18(id18: np.ndarray) -> np.ndarray:
    text = id18.astype("U18")
    ymd = np.char.add(
        np.char.add(np.char.add(_sl(text, 6, 10), "-"), np.char.add(_sl(text, 10, 12), "-")),
        _sl(text, 12, 14),
    )
    return np.where(id18 == "", "", ymd)


def _sl(text: np.ndarray, a: int, b: int) -> np.ndarray:
    raw = np.char.encode(text.astype("U18"), "ascii")
    width = np.dtype(raw.dtype).itemsize
    padded = raw.astype(f"S{max(width, 18)}").view(np.uint8).reshape(len(text), -1)
    return np.char.decode(np.ascontiguousarray(padded[:, a:b]).view(f"S{b - a}").ravel(), "ascii")


def write_person_tables(
    directory: str | Path,
    *,
    n_people: int,
    n_registry: int,
    accounts_per_person: float = 2.0,
    seed: int = 0,
) -> dict[str, Path]:
    """Write `persons_left.parquet`, `persons_right.parquet`, `persons_truth.parquet`.

    Left: `n_people` roster people. Right: `n_registry` records, about
    `accounts_per_person` per roster person and the rest from people outside the roster.
    Truth columns `left_id`, `right_id`. Returns paths under `left`, `right`, `truth`.
    """
    from pyarrow import parquet

    rng = np.random.default_rng(seed)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)

    counts = np.minimum(rng.poisson(accounts_per_person, n_people), 8)
    while counts.sum() > n_registry:
        counts = np.maximum(counts - (rng.random(n_people) < 0.2), 0)
    n_linked = int(counts.sum())
    n_other_people = max(1, (n_registry - n_linked) * 2 // 3)
    people = _people(rng, n_people + n_other_people)

    # left: the roster, 1% with a mistyped ID
    left_idx = np.arange(n_people)
    left_ids = _ids(people["digits"][left_idx])
    left_clean = _typo(rng, left_ids, rng.random(n_people) < 0.01)
    none = np.zeros(n_people, bool)
    left_norm, left_pin, left_spin = _names(people, left_idx, none, none, rng)
    left_valid = _valid(left_clean)
    left_id18 = np.where(left_valid, left_clean, "")
    left_addr = _address(people, left_idx)
    left = _table(
        [f"P{i:07d}" for i in range(n_people)],
        left_id18,
        left_clean,
        _birth_from_id18(left_id18),
        left_norm,
        left_pin,
        left_spin,
        people["phone"][left_idx],
        left_addr,
        people["region"][left_idx],
    )

    # right: copies of roster people, then records of others, shuffled
    owner = np.concatenate(
        [
            np.repeat(left_idx, counts),
            n_people + rng.integers(0, n_other_people, n_registry - n_linked),
        ]
    )
    order = rng.permutation(n_registry)
    owner = owner[order]
    n = n_registry
    ids = _ids(people["digits"][owner])
    u = rng.random(n)
    legacy, typo, transpose, missing = (
        u < 0.03,
        (u >= 0.03) & (u < 0.07),
        (u >= 0.07) & (u < 0.09),
        (u >= 0.09) & (u < 0.12),
    )
    clean = _typo(rng, ids, typo)
    clean = _transpose(rng, clean, transpose)
    id15 = np.char.add(_sl(ids, 0, 6), _sl(ids, 8, 17))
    clean = np.where(legacy, id15, clean)
    clean = np.where(missing, "", clean)
    valid18 = np.where(legacy, True, _valid(np.where(clean == "", ids, clean)) & ~missing)
    id18 = np.where(legacy, ids, np.where(valid18, clean, ""))
    u = rng.random(n)
    homophone, swap, no_name = u < 0.05, (u >= 0.05) & (u < 0.07), (u >= 0.07) & (u < 0.09)
    norm, pinyin, spin = _names(people, owner, homophone, swap, rng)
    norm, pinyin, spin = (np.where(no_name, "", x) for x in (norm, pinyin, spin))
    phone = people["phone"][owner]
    phone = np.where(rng.random(n) < 0.3, None, phone)
    moved = rng.random(n) < 0.3
    address = np.where(moved, _address(people, rng.permutation(owner)), _address(people, owner))
    right_ids = np.asarray([f"B{i:08d}" for i in range(n)])
    right = _table(
        right_ids,
        id18,
        clean,
        _birth_from_id18(id18),
        norm,
        pinyin,
        spin,
        phone,
        address,
        people["region"][owner],
    )
    linked = owner < n_people
    import pyarrow as pa

    truth = pa.table(
        {
            "left_id": [f"P{i:07d}" for i in owner[linked]],
            "right_id": right_ids[linked].tolist(),
        }
    )
    paths = {
        "left": directory / "persons_left.parquet",
        "right": directory / "persons_right.parquet",
        "truth": directory / "persons_truth.parquet",
    }
    parquet.write_table(left, paths["left"])
    parquet.write_table(right, paths["right"])
    parquet.write_table(truth, paths["truth"])
    return paths


def _address(p: dict, idx: np.ndarray) -> np.ndarray:
    streets = np.asarray(STREETS)[p["street"][idx]]
    return np.char.add(np.char.add(streets, p["number"][idx].astype(str)), "号")


def _typo(rng, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Change one of the first 17 digits of the IDs where `mask`."""
    out = ids.astype("U18").copy()
    where = np.flatnonzero(mask)
    if where.size:
        raw = np.char.encode(out[where], "ascii").view(np.uint8).reshape(-1, 18).copy()
        pos = rng.integers(0, 17, where.size)
        shift = rng.integers(1, 10, where.size)
        rows = np.arange(where.size)
        raw[rows, pos] = (raw[rows, pos] - ord("0") + shift) % 10 + ord("0")
        out[where] = np.char.decode(raw.view("S18").ravel(), "ascii")
    return out


def _transpose(rng, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Swap two adjacent characters among the first 17 where `mask` (and they differ)."""
    out = ids.astype("U18").copy()
    where = np.flatnonzero(mask & (np.char.str_len(out) == 18))
    if where.size:
        raw = np.char.encode(out[where], "ascii").view(np.uint8).reshape(-1, 18).copy()
        pos = rng.integers(0, 16, where.size)
        rows = np.arange(where.size)
        a, b = raw[rows, pos].copy(), raw[rows, pos + 1].copy()
        raw[rows, pos], raw[rows, pos + 1] = b, a
        out[where] = np.char.decode(raw.view("S18").ravel(), "ascii")
    return out
