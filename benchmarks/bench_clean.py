"""How fast is the clean stage, and does its time grow with the data only linearly?

Writes synthetic returns of N values (long CSV files of 10,000 values each, every value a valid
figure for a catalog indicator, year, area and sex — so every value goes the whole way through
interpretation and the checks) and times ``clean.clean`` on them, for several N, in one process
(memory in a second, traced run, so that tracing does not slow the timed one).
The peer, timed on the same files in the same process, is what any cleaner must at least do:
``pandas.read_csv`` of every file. Memory is the peak Python allocation of the clean run
(tracemalloc), per value.

Goal (issue: the cleaner): at least 5,000 values/s at 100,000 values on this 2-core machine,
time linear in N, memory bounded.

Run: ``.venv/bin/python benchmarks/bench_clean.py [N ...]`` (default 1000 10000 100000).
"""

from __future__ import annotations

import csv
import random
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis import clean  # noqa: E402
from analysis.catalog import load_catalog  # noqa: E402
from analysis.returns import parse  # noqa: E402

PER_FILE = 10_000
SEXES = ("女", "男", "合计")


def value_for(unit: str, rng: random.Random) -> str:
    """A plausible figure in ``unit``: a share, a rate, a count, a level."""
    spec = parse.units().get(unit or "", {})
    if spec.get("kind") in ("proportion", "rate"):
        return f"{rng.uniform(0.1, 0.9) * spec['per'] / (100 if spec['per'] > 100 else 1):.2f}"
    if spec.get("kind") == "count":
        return str(rng.randrange(1, 5000))
    return f"{rng.uniform(1, 50):.2f}"


def write_returns(n: int, folder: Path, seed: int = 1) -> None:
    """``n`` distinct valid values in long CSV files of :data:`PER_FILE` rows."""
    cat = load_catalog().indicators
    measured = [(i, e["unit"]) for i, e in cat.iterrows() if e["kind"] != "qualitative" and e["unit"]]
    areas = ["偃师区", "城镇", "农村", *parse.areas()["towns"]]
    keys = [(i, u, y, a, s) for i, u in measured for a in areas for s in SEXES for y in range(2010, 2031)]
    if n > len(keys):
        raise SystemExit(f"at most {len(keys)} distinct values can be generated")
    rng = random.Random(seed)
    rng.shuffle(keys)
    for start in range(0, n, PER_FILE):
        with (folder / f"return_{start // PER_FILE:03d}.csv").open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["indicator_id", "year", "area", "sex", "value", "unit"])
            for i, u, y, a, s in keys[start:start + n if n - start < PER_FILE else start + PER_FILE]:
                w.writerow([i, y, a, s, value_for(u, rng), u])


def main(sizes: list[int]) -> None:
    cat = load_catalog()
    print(f"{'values':>8} {'clean s':>8} {'values/s':>9} {'peak MB':>8} {'KB/value':>8} "
          f"{'read_csv s':>10} {'kept':>8} {'quarantined':>11}")
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            write_returns(n, folder)
            t0 = time.perf_counter()
            for f in sorted(folder.glob("*.csv")):
                pd.read_csv(f, dtype=str)
            peer = time.perf_counter() - t0
            t0 = time.perf_counter()
            result = clean.clean(folder, cat)
            took = time.perf_counter() - t0
            tracemalloc.start()  # a second run for memory: tracing slows the run it measures
            clean.clean(folder, cat)
            peak = tracemalloc.get_traced_memory()[1] / 1e6
            tracemalloc.stop()
            s = result.summary
            print(f"{n:>8} {took:>8.2f} {n / took:>9.0f} {peak:>8.1f} {1e3 * peak / n:>8.2f} {peer:>10.3f} "
                  f"{s['observations']:>8} {s['quarantined']:>11}")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1000, 10_000, 100_000])
