"""Pairwise linkage quality: precision, recall and F1 of predicted links against true links.

A link is an ordered pair `(left_id, right_id)`: the left id is always the roster (or FEBRL
"A") side, the right id the registry (or "B") side. IDs are compared as text, so `123` and
`"123"` are the same record.

Edge cases, defined so that nothing divides by zero:

- nothing predicted: precision is 1.0 (no link claimed, so no false link), recall is 0.0
  unless the truth is empty too;
- empty truth: recall is 1.0 (no true link missed);
- F1 is 0.0 when precision and recall are both 0.0; with both sets empty every figure is 1.0;
- `reduction_ratio` (1 − pairs compared / all possible pairs) is None when the pairs compared
  are unknown or when one side is empty (no pair was possible).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

Pair = tuple[str, str]


def _pairs(pairs: Iterable[tuple[object, object]], what: str) -> set[Pair]:
    out: set[Pair] = set()
    for pair in pairs:
        left, right = pair
        if left is None or right is None:
            raise ValueError(f"{what} pair with a missing id: {pair!r}")
        out.add((str(left), str(right)))
    return out


def pair_metrics(
    predicted: Iterable[tuple[object, object]],
    truth: Iterable[tuple[object, object]],
    *,
    n_left: int,
    n_right: int,
    pairs_compared: int | None,
) -> dict:
    """Confusion counts and quality of `predicted` links against `truth`.

    Returns `tp, fp, fn, precision, recall, f1, n_predicted, n_truth, n_left, n_right,
    pairs_compared, reduction_ratio`. Duplicate pairs count once.
    """
    if n_left < 0 or n_right < 0:
        raise ValueError(f"table sizes must not be negative: n_left={n_left}, n_right={n_right}")
    all_pairs = n_left * n_right
    if pairs_compared is not None and not 0 <= pairs_compared <= all_pairs:
        raise ValueError(
            f"pairs_compared={pairs_compared} is outside 0..{all_pairs} (n_left × n_right)"
        )
    pred, true = _pairs(predicted, "predicted"), _pairs(truth, "truth")
    tp = len(pred & true)
    fp = len(pred) - tp
    fn = len(true) - tp
    precision = tp / len(pred) if pred else 1.0
    recall = tp / len(true) if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    reduction_ratio = (
        None if pairs_compared is None or all_pairs == 0 else 1.0 - pairs_compared / all_pairs
    )
    return {
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "n_predicted": len(pred),
        "n_truth": len(true),
        "n_left": n_left,
        "n_right": n_right,
        "pairs_compared": pairs_compared,
        "reduction_ratio": reduction_ratio,
    }


def read_truth(path: str | Path, left_col: str, right_col: str) -> set[Pair]:
    """True links `(left_id, right_id)` as text from a CSV file or a Parquet file or directory.

    CSV is read with every value as text (IDs keep leading zeros and a trailing `X`). A row
    with a missing id on either side is an error, not a silently dropped link.
    """
    import pyarrow as pa

    path = Path(path)
    if path.suffix.lower() in {".csv", ".txt"}:
        from pyarrow import csv

        table = csv.read_csv(
            path,
            convert_options=csv.ConvertOptions(
                include_columns=[left_col, right_col],
                column_types={left_col: pa.string(), right_col: pa.string()},
                strings_can_be_null=True,
            ),
        )
    else:
        from pyarrow import parquet

        table = parquet.read_table(path, columns=[left_col, right_col])
    lefts = table.column(left_col).cast(pa.string()).to_pylist()
    rights = table.column(right_col).cast(pa.string()).to_pylist()
    return _pairs(zip(lefts, rights, strict=True), f"truth file {path}:")
