"""Save every stage table of a run on the shipped data, and compare two such snapshots.

A restructuring must leave the numbers alone, or say which ones it changed and why. Before the
change: ``python benchmarks/stage_snapshot.py save /tmp/before``; after it: ``… save /tmp/after``
and ``… compare /tmp/before /tmp/after``, which prints, per table (observations, projections,
projection models, scorecard, gaps), "identical" or the columns that differ with the rows where
they do, keyed by indicator, area and sex.

Run: ``.venv/bin/python benchmarks/stage_snapshot.py save DIR [--raw data/raw]`` /
``compare DIR_A DIR_B``.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis import catalog, clean, config, gaps, scorecard, trends  # noqa: E402

TABLES = ["observations", "projections", "projection_models", "scorecard", "gaps", "gap_series",
          "gap_projections", "female_shares", "narrowing"]
KEY = ["indicator_id", "area", "sex"]


def save(out: Path, raw: Path) -> None:
    """clean → project → assess → gaps on ``raw``, every table written to ``out``."""
    cat = catalog.load_catalog()
    clean.write(clean.clean(raw, cat), out)
    trends.project(out, cat)
    scorecard.assess(out, cat)
    gaps.run(out, cat)
    print(f"saved {len(TABLES)} tables in {config.display_path(out)}")


def _differences(a: pd.DataFrame, b: pd.DataFrame) -> list[str]:
    if list(a.columns) != list(b.columns):
        return [f"columns differ: {sorted(set(a.columns) ^ set(b.columns))}"]
    if len(a) != len(b):
        return [f"rows {len(a)} → {len(b)}"]
    out = []
    for col in a.columns:
        x, y = a[col], b[col]
        same = (x == y) | (x.isna() & y.isna())
        if not same.all():
            where = a.loc[~same, [k for k in KEY if k in a.columns]].astype(str).agg("/".join, axis=1)
            out.append(f"{col}: {int((~same).sum())} row(s), e.g. {', '.join(where.head(5))}")
    return out


def compare(a: Path, b: Path) -> int:
    """Print what differs between two snapshots; exit 1 when anything does."""
    changed = 0
    for name in TABLES:
        missing = [str(d) for d in (a, b) if not (d / f"{name}.parquet").is_file()]
        if missing:
            print(f"{name}: not in {', '.join(missing)}")
            continue
        diff = _differences(pd.read_parquet(a / f"{name}.parquet"), pd.read_parquet(b / f"{name}.parquet"))
        print(f"{name}: " + ("identical" if not diff else "\n  " + "\n  ".join(diff)))
        changed += bool(diff)
    return 1 if changed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("save")
    s.add_argument("out", type=Path)
    s.add_argument("--raw", type=Path, default=config.RAW_DIR)
    c = sub.add_parser("compare")
    c.add_argument("a", type=Path)
    c.add_argument("b", type=Path)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if args.command == "save":
        args.out.mkdir(parents=True, exist_ok=True)
        save(args.out, args.raw)
        return 0
    return compare(args.a, args.b)


if __name__ == "__main__":
    raise SystemExit(main())
