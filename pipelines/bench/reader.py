"""How fast read_extract reads a GBK bank extract: `python -m pipelines.bench.reader [rows]`.

The file is written first (streamed, so the writer's memory stays small), then read in a
fresh Python process so that its peak RSS is the reader's own, not the writer's.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BANKS = (
    "中国工商银行重庆分行",
    "中国农业银行重庆分行",
    "重庆农村商业银行",
    "中国建设银行重庆分行",
    "重庆银行",
)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂"
KINDS = ("活期", "定期", "理财")
HEADER = "银行名称,账号,身份证号,户名,账户类型,余额,余额日期"  # headers of schemas/bank_deposits.yaml


def write_bank_csv(path: Path, rows: int, seed: int = 7) -> int:
    """A bank-deposit extract like the agencies send: GBK, CRLF, 7 columns, valid ID numbers
    of 5,000 people, and one balance in a thousand negative (a row validation quarantines).
    Returns its size."""
    from pipelines.standardize.ids import make_id

    rng = random.Random(seed)
    people = [
        make_id("500103", dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(25000)), rng.randrange(1000))
        for _ in range(5000)
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="gbk", newline="") as fh:
        fh.write(HEADER + "\r\n")
        batch = []
        for i in range(rows):
            name = rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if i % 3 else "")
            balance = rng.randrange(0, 10**8) / 100 * (-1 if rng.random() < 0.001 else 1)
            batch.append(
                f"{rng.choice(BANKS)},62{i:017d},{rng.choice(people)},{name},"
                f"{rng.choice(KINDS)},{balance:.2f},2025-06-30\r\n"
            )
            if len(batch) == 10_000:
                fh.write("".join(batch))
                batch.clear()
        fh.write("".join(batch))
    return path.stat().st_size


def measure_read(path: Path) -> dict:
    """Read once in this process; seconds, rows and peak RSS (MB) of this process."""
    from pipelines.sources.files import read_extract

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    extract = read_extract(path, "gbk")
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "rows": extract.num_rows,
        "bad_rows": len(extract.bad_rows),
        "encoding": extract.encoding,
        "seconds": round(seconds, 3),
        "rows_per_s": round(extract.num_rows / seconds),
        "peak_rss_mb": round(peak),
        "rss_before_read_mb": round(before),
    }


def bench_csv(rows: int = 1_000_000) -> dict:
    """Write a GBK bank CSV of `rows` rows to a temp dir, time read_extract on it, print the figures."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bank.csv"
        size = write_bank_csv(path, rows)
        out = subprocess.run(
            [sys.executable, "-m", "pipelines.bench.reader", "--read", str(path)],
            check=True,
            capture_output=True,
            text=True,
        )
        figures = json.loads(out.stdout.strip().splitlines()[-1])
    figures["file_mb"] = round(size / 2**20, 1)
    print(
        f"read_extract: {figures['rows']:,} rows ({figures['file_mb']} MB GBK) in {figures['seconds']} s "
        f"= {figures['rows_per_s']:,} rows/s; peak RSS {figures['peak_rss_mb']} MB "
        f"({figures['rss_before_read_mb']} MB before reading)"
    )
    return figures


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--read":
        print(json.dumps(measure_read(Path(sys.argv[2]))))
    else:
        bench_csv(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
