"""Compare the numbers of two metrics.json files, schema 1 (flat) or 2 (one entry per chapter).

Usage: python scripts/compare_metrics.py OLD/metrics.json NEW/metrics.json

Every number of the old file is looked up at the same place in the new one (schema-1 keys are
moved under their chapter first); prints the numbers that differ or are missing and exits 1
when there is any.
"""

from __future__ import annotations

import json
import math
import sys

CHAPTER = {
    **dict.fromkeys(
        ["overall", "periods", "alerts", "survival", "definitions", "cohorts", "value"],
        "indicators",
    ),
    **dict.fromkeys(
        ["reason_categories", "reasons", "reasons_unmapped", "controllable_share", "drivers",
         "drivers_model", "staff_turnover"],
        "causes",
    ),  # fmt: skip
    **dict.fromkeys(
        ["segments", "segments_survival", "change_decomposition", "lifecycle", "value_classes"],
        "segments",
    ),
    "risk": "early_warning",
}


def chaptered(m: dict) -> dict:
    """A schema-1 metrics dict in the schema-2 layout (numbers only moved)."""
    if "schema_version" in m:
        return m
    out: dict = {}
    for k, v in m.items():
        if k in CHAPTER:
            out.setdefault(CHAPTER[k], {})[k] = v
        elif k != "summary":
            out[k] = v
    return out


def numbers(x, path=""):
    """Every number (bools aside) with its path."""
    if isinstance(x, dict):
        for k, v in x.items():
            yield from numbers(v, f"{path}/{k}")
    elif isinstance(x, list):
        for i, v in enumerate(x):
            yield from numbers(v, f"{path}/{i}")
    elif isinstance(x, (int, float)) and not isinstance(x, bool):
        yield path, x


def lookup(m, path):
    for part in path.strip("/").split("/"):
        if isinstance(m, list):
            m = m[int(part)]
        else:
            m = m[part]
    return m


def main(old_path: str, new_path: str) -> int:
    old_raw = json.load(open(old_path, encoding="utf-8"))
    old = chaptered(old_raw)
    new = json.load(open(new_path, encoding="utf-8"))
    bad = 0
    total = 0
    for path, a in numbers(old):
        total += 1
        try:
            b = lookup(new, path)
        except (KeyError, IndexError, TypeError):
            print(f"missing {path} (was {a})")
            bad += 1
            continue
        if math.isinf(a) and b is None:  # schema 1 wrote Infinity, which is not JSON
            print(f"note    {path}: {a} is null now (JSON has no infinity)")
            continue
        if not isinstance(b, (int, float)) or not math.isclose(a, b, rel_tol=1e-12, abs_tol=0):
            print(f"differs {path}: {a} -> {b}")
            bad += 1
    if "summary" in old_raw and "summary" in new:  # the summary's cards, by name
        before = {k["name"]: k["value"] for k in old_raw["summary"]["kpis"]}
        after = {k["name"]: k["value"] for k in new["summary"]["kpis"]}
        for name, a in before.items():
            total += 1
            if name not in after or not math.isclose(a, after[name], rel_tol=1e-12):
                print(f"differs /summary/kpis/{name}: {a} -> {after.get(name)}")
                bad += 1
    print(f"{total} numbers compared, {bad} differ or are missing")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
