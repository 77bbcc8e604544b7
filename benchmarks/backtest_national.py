"""Honesty of the projection intervals on the real national series.

For every national series (area ``national`` in the cleaned observations from
``data/raw/reference/``) and every origin T that leaves at least 3 points to fit (T = the year
of its 3rd, 4th, … observation, up to the one before its last), the engine is run on the data
up to T — the whole engine: family, internal back-test and choice, or the default when fewer
than 5 points — and its projections are compared with every value published after T.

Printed, for the chosen models and for the naive baseline (last value, own volatility):
mean absolute error, the share of outcomes inside the 80 % and 95 % intervals, and the mean
widths of the intervals; then the same by number of points fitted and by series.

Run: ``.venv/bin/python benchmarks/backtest_national.py [--raw data/raw] [--csv out.csv]``.
``--areas district,urban,rural`` runs the same evaluation on other areas of the whole raw folder
instead (e.g. the synthetic district, a larger check of calibration; not the judged one).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis import (  # noqa: E402
    clean,
    config,
    trends,  # noqa: E402
)
from analysis.catalog import load_catalog  # noqa: E402
from analysis.trends.base import has_flag  # noqa: E402

KEY = ["indicator_id", "area", "sex"]


def national_observations(raw_dir: str, areas: list[str] | None = None) -> pd.DataFrame:
    """The cleaned national series (area ``national``), real figures only — or, with ``areas``,
    those areas' series from the whole raw folder. Values published as a bound (“90%以上”) are
    left out: they are not a point a forecast can be scored on, and the engine does not project a
    series of bounds (C1.6's national values are all bounds)."""
    if areas:
        obs = clean.clean(config.resolve(raw_dir)).observations
        obs = obs[obs["area"].isin(areas)]
    else:
        obs = clean.clean(config.resolve(raw_dir) / "reference").observations
        obs = obs[obs["area"] == "national"]
    return obs[~has_flag(obs["flags"], "lower_bound")].reset_index(drop=True)


def origins(obs: pd.DataFrame, min_fit: int = 3) -> pd.DataFrame:
    """Every (series, T) pair: T the year of the k-th value, k from ``min_fit`` to n − 1."""
    obs = obs.sort_values([*KEY, "year"])
    obs = obs.assign(k=obs.groupby(KEY).cumcount() + 1, n=obs.groupby(KEY)["year"].transform("size"))
    return obs[(obs["k"] >= min_fit) & (obs["k"] < obs["n"])][[*KEY, "year", "k"]].rename(
        columns={"year": "T", "k": "n_fit"})


def run(obs: pd.DataFrame, indicators: pd.DataFrame) -> pd.DataFrame:
    """One row per (series, T, later year): the truth and both models' forecasts."""
    pairs = origins(obs)
    rows = []
    for T, group in pairs.groupby("T"):
        keys = group[KEY]
        fit = obs.merge(keys, on=KEY)
        fit = fit[fit["year"] <= T]
        later = obs.merge(keys, on=KEY)
        later = later[later["year"] > T][[*KEY, "year", "value"]]
        for label, settings in (("chosen", trends.ProjectionSettings.from_params()),
                                ("naive", trends.ProjectionSettings.from_params(force_model="naive"))):
            proj = trends.project_observations(fit, indicators, settings).projections
            proj = proj[proj["is_projection"]]
            joined = later.merge(proj, on=[*KEY, "year"], how="left")
            joined = joined.merge(group[[*KEY, "n_fit"]], on=KEY)
            rows.append(joined.assign(T=T, which=label))
    out = pd.concat(rows, ignore_index=True)
    missing = out["mean"].isna().sum()
    if missing:
        raise RuntimeError(f"{missing} outcomes have no projection")
    return out


def summarise(frame: pd.DataFrame) -> pd.Series:
    """MAE, coverage of the 80 % and 95 % intervals, mean interval widths."""
    err = (frame["value"] - frame["mean"]).abs()
    return pd.Series({
        "outcomes": len(frame), "MAE": err.mean(),
        "cover80": ((frame["value"] >= frame["lo80"]) & (frame["value"] <= frame["hi80"])).mean(),
        "cover95": ((frame["value"] >= frame["lo95"]) & (frame["value"] <= frame["hi95"])).mean(),
        "width80": (frame["hi80"] - frame["lo80"]).mean(), "width95": (frame["hi95"] - frame["lo95"]).mean(),
    })


def relative_error(out: pd.DataFrame) -> pd.DataFrame:
    """Per series: MAE of the chosen models relative to the naive baseline's (unit-free)."""
    mae = out.assign(err=(out["value"] - out["mean"]).abs()).groupby([*KEY, "which"])["err"].mean().unstack()
    mae["ratio"] = mae["chosen"] / mae["naive"]
    return mae


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", default="data/raw")
    parser.add_argument("--csv", default=None, help="write every outcome to this CSV")
    parser.add_argument("--areas", default=None, help="comma-separated areas instead of the national series")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    pd.set_option("display.width", 160)
    cat = load_catalog()
    obs = national_observations(args.raw, args.areas.split(",") if args.areas else None)
    out = run(obs, cat.indicators)
    if args.csv:
        out.to_csv(args.csv, index=False)
    n_series = out[KEY].drop_duplicates().shape[0]
    print(f"series back-tested: {n_series}; origins: {out[[*KEY, 'T']].drop_duplicates().shape[0]}; "
          f"outcomes: {len(out) // 2}\n")
    table = out.groupby("which").apply(summarise, include_groups=False).T
    print("overall (MAE in each indicator's own unit, pooled):")
    print(table.round(3).to_string(), "\n")
    min_points = trends.ProjectionSettings.from_params().min_backtest_points
    by_fit = out.assign(fit=np.where(out["n_fit"] < min_points, f"default (3-{min_points - 1} points)",
                                     f"back-tested ({min_points}+ points)"))
    print("by number of points fitted:")
    print(by_fit.groupby(["fit", "which"]).apply(summarise, include_groups=False).round(3).to_string(), "\n")
    by_h = out.assign(horizon=out["year"] - out["T"])
    horizon_table = by_h[by_h["which"] == "chosen"].groupby("horizon").apply(summarise, include_groups=False)
    print("chosen models by horizon (years after the origin):")
    print(horizon_table.round(3).to_string(), "\n")
    rel = relative_error(out)
    print("per series, MAE chosen / MAE naive:")
    print(rel.round(3).to_string())
    print(f"\nseries where the chosen models beat naive: {(rel['ratio'] < 1).sum()} of {len(rel)}; "
          f"geometric mean of the ratio: {np.exp(np.log(rel['ratio']).mean()):.3f}")
    chosen, naive = table["chosen"], table["naive"]
    checks = {
        "80% coverage in [0.70, 0.90]": 0.70 <= chosen["cover80"] <= 0.90,
        "95% coverage >= 0.88": chosen["cover95"] >= 0.88,
        "chosen MAE < naive MAE": chosen["MAE"] < naive["MAE"],
    }
    print("\n" + "\n".join(f"{'PASS' if ok else 'FAIL'}  {name}" for name, ok in checks.items()))
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
