"""Are the assessment's probabilities honest? The whole chain on the real national series.

For every catalog target with a national series (area ``national`` in the cleaned observations
from ``data/raw/reference/``) and every origin T that leaves at least ``min_points`` values to
fit (params/assessment.yaml), the chain is run as if it were year T: the projection engine on
the data up to T (family, back-test and choice, calibration — everything), simulated paths, and
the assessment's own row functions (:mod:`analysis.targets`). Each later year Ty with a published
value serves as the "target year": the target's value is the plan's (12/10万, 90 % …), the
year is Ty, and the event is the target's kind — below / at most / above / about in Ty; keep
every year (reach and keep) over the published years in (T, Ty]; a direction-only target: the
value in Ty beyond the value at T in the asked direction (a tie counts ½).

Printed: the number of forecasts; the Brier score (Brier 1950) of the assessment's probabilities
against three baselines —

* **pace rule**: the UN SDG progress-chart reasoning made a forecast, P = 1 when the observed
  pace (least-squares slope on the model scale over the pace window, the scorecard's
  ``observed_annual_change``) is at least the pace required to reach the target by Ty — i.e.
  when the straight line from the current level reaches the right side in Ty — else 0 (for a
  direction target: P = 1 when the slope has the asked sign);
* **base rate**: every forecast the overall share of events that happened (known only after
  the fact: an optimistic reference);
* **coin**: 0.5;

then the share of events that happened among the forecasts in each probability band, and among
the statuses the scorecard would have given (on track ≥ 0.66, at risk, off track ≤ 0.33).

Run: ``.venv/bin/python benchmarks/calibration_national.py [--raw data/raw] [--csv out.csv]``;
``--area district`` runs the same check on the synthetic district (a larger check of a known
process, not the judged one).
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis import (  # noqa: E402
    clean,
    config,
    scorecard,
    trends,  # noqa: E402
)
from analysis.catalog import NUMERIC_KINDS, load_catalog  # noqa: E402

KEY = ["indicator_id", "area", "sex"]
BANDS = [0.0, 0.1, 0.33, 0.66, 0.9, 1.0000001]
BAND_LABELS = ["[0, 0.1)", "[0.1, 0.33)", "[0.33, 0.66)", "[0.66, 0.9)", "[0.9, 1]"]


def observations(raw_dir: str, area: str) -> pd.DataFrame:
    """The cleaned national series (real figures only), or with ``area`` another area's series
    from the whole raw folder (with the national comparators the engine borrows from)."""
    if area == "national":
        obs = clean.clean(config.resolve(raw_dir) / "reference").observations
        return obs[obs["area"] == "national"].reset_index(drop=True)
    obs = clean.clean(config.resolve(raw_dir)).observations
    return obs[obs["area"].isin([area, *trends.COMPARATOR_AREAS])].reset_index(drop=True)


def targets_with_series(cat, obs: pd.DataFrame, area: str) -> list[tuple[pd.Series, str]]:
    """(entry, sex) for each catalog target the check can use: a value target or an increase /
    decrease target with a series in ``area`` (its total, else its only sex)."""
    out = []
    for _, e in cat.indicators.iterrows():
        usable = e["kind"] in NUMERIC_KINDS or (e["kind"] == "direction" and e["direction"] in ("increase", "decrease"))
        sexes = set(obs.loc[(obs["indicator_id"] == e["id"]) & (obs["area"] == area), "sex"])
        if usable and sexes:
            out.append((e, "total" if "total" in sexes else sorted(sexes)[0]))
    return out


def outcome(entry: pd.Series, years: np.ndarray, values: np.ndarray, T: int, Ty: int) -> float:
    """What happened: 1 met, 0 not (a direction target's tie ½), by the same definitions the
    probabilities use."""
    v_T = values[years <= T][-1]
    v_y = values[years == Ty][0]
    kind = entry["kind"]
    if kind == "direction":
        sign = 1 if entry["direction"] == "increase" else -1
        d = sign * (v_y - v_T)
        return 1.0 if d > 0 else (0.5 if d == 0 else 0.0)
    tol = float(entry["tolerance"]) if pd.notna(entry["tolerance"]) else 0.0
    if kind in scorecard.KEEP_KINDS:
        later = (years > T) & (years <= Ty)
        met_T = bool(scorecard.meets(v_T, kind, float(entry["value"]), tol))
        return float(scorecard.met_on_paths(values[later][None, :], years[later], kind, float(entry["value"]), Ty,
                                          tol, met_now=met_T)[0])
    return float(scorecard.meets(v_y, kind, float(entry["value"]), tol))


def pace_rule(entry: pd.Series, ctx: scorecard.Context, area: str, sex: str, T: int, Ty: int) -> float:
    """The baseline: 1 when the observed pace reaches the target by Ty (the straight line on the
    model scale from the current level), else 0; a direction target: 1 when the slope has the
    asked sign."""
    s = ctx.series(entry["id"], area, sex)
    scale = ctx.scale(entry, area, sex)
    w = scorecard.window(s, T, ctx.settings.pace_window)
    pace = scorecard.observed_pace(w.years, scorecard.series_z(w, scale))
    if entry["kind"] == "direction":
        sign = 1 if entry["direction"] == "increase" else -1
        return 1.0 if sign * pace.slope > 0 else 0.0
    value = float(scale.to_unit(np.array([pace.level + pace.slope * (Ty - s.latest_year)]))[0])
    tol = float(entry["tolerance"]) if pd.notna(entry["tolerance"]) else 0.0
    return float(scorecard.meets(value, entry["kind"], float(entry["value"]), tol))


def forecasts(obs: pd.DataFrame, area: str, n_sims: int | None = None) -> pd.DataFrame:
    """One row per (target, origin T, later published year Ty): the assessment's probability, the
    pace rule's, and what happened."""
    cat = load_catalog()
    settings = scorecard.load_settings()
    if n_sims:
        settings = dataclasses.replace(settings, n_sims=n_sims)
    usable = targets_with_series(cat, obs, area)
    rows = []
    for T in sorted(obs["year"].unique()):
        obs_T = obs[obs["year"] <= T]
        todo = []
        for entry, sex in usable:
            g = obs[(obs["indicator_id"] == entry["id"]) & (obs["area"] == area) & (obs["sex"] == sex)]
            years, values = g["year"].to_numpy(int), g["value"].to_numpy(float)
            order = np.argsort(years)
            years, values = years[order], values[order]
            if (years <= T).sum() >= settings.min_points and (years > T).any():
                todo.append((entry, sex, years, values))
        if not todo:
            continue
        models = trends.project_observations(obs_T, cat.indicators, trends.ProjectionSettings.from_params()).models
        ctx = scorecard.Context(obs_T, models, cat, settings, "annual", int(T), area=area)
        for entry, sex, years, values in todo:
            for Ty in years[years > T]:
                e = entry.copy()
                e["year"] = int(Ty)
                # a keep-every-year target is checked in the years that have a published value
                ctx.check_years = {(entry["id"], area, sex): years[(years > T) & (years <= Ty)]}
                if entry["kind"] in NUMERIC_KINDS:
                    row, _ = scorecard.level_row(e, area, sex, "total", ctx)
                else:
                    row = scorecard.direction_row(e, area, sex, "total", ctx)
                if not np.isfinite(row["p_meet"]):
                    logging.warning("%s %s T=%d Ty=%d: no probability (%s)", entry["id"], sex, T, Ty, row["reason"])
                    continue
                rows.append({"indicator_id": entry["id"], "sex": sex, "kind": entry["kind"], "target": e["value"],
                             "T": int(T), "Ty": int(Ty), "horizon": int(Ty - T), "n_fit": int((years <= T).sum()),
                             "value_T": values[years <= T][-1], "value_Ty": values[years == Ty][0],
                             "p": row["p_meet"], "pace": pace_rule(e, ctx, area, sex, int(T), int(Ty)),
                             "met": outcome(entry, years, values, int(T), int(Ty)), "model": row["model"]})
    return pd.DataFrame(rows)


def brier(p: pd.Series, y: pd.Series) -> float:
    """The mean squared difference between forecast probabilities and outcomes (Brier 1950)."""
    return float(((p - y) ** 2).mean())


def bands(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """Forecasts in each probability band: how many, their mean probability, the share met."""
    band = pd.cut(frame[column], BANDS, right=False, labels=BAND_LABELS)
    return frame.groupby(band, observed=False).agg(forecasts=("met", "size"), mean_p=(column, "mean"),
                                                   share_met=("met", "mean"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", default="data/raw")
    parser.add_argument("--area", default="national", help="national (the judged check) or e.g. district")
    parser.add_argument("--csv", default=None, help="write every forecast to this CSV")
    parser.add_argument("--n-sims", type=int, default=None, help="paths per series (default: params/assessment.yaml)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    pd.set_option("display.width", 160)
    obs = observations(args.raw, args.area)
    out = forecasts(obs, args.area, args.n_sims)
    if args.csv:
        out.to_csv(args.csv, index=False)
    base_rate = out["met"].mean()
    scores = pd.Series({
        "assessment (paths)": brier(out["p"], out["met"]),
        "pace rule (observed ≥ required pace: 1/0)": brier(out["pace"], out["met"]),
        "base rate (share met, known afterwards)": brier(pd.Series(base_rate, index=out.index), out["met"]),
        "coin (0.5)": brier(pd.Series(0.5, index=out.index), out["met"]),
    })
    n_series = out[["indicator_id", "sex"]].drop_duplicates().shape[0]
    print(f"area {args.area}: {len(out)} forecasts of {n_series} targets from {out['T'].nunique()} origins "
          f"(horizons {out['horizon'].min()}–{out['horizon'].max()} years); events that happened: "
          f"{out['met'].sum():g} ({base_rate:.0%})\n")
    print("Brier score (lower is better):")
    print(scores.round(4).to_string())
    pace_score = scores.iloc[1]
    skill = 1 - scores.iloc[0] / pace_score if pace_score > 0 else math.nan
    print(f"\nBrier skill score of the assessment against the pace rule: {skill:.3f}\n")
    print("assessment probabilities by band: forecasts, mean probability, share met")
    print(bands(out, "p").round(3).to_string(), "\n")
    st = scorecard.load_settings()
    status = np.where(out["p"] >= st.likely, "likely (on track / achieved)",
                      np.where(out["p"] <= st.unlikely, "unlikely (off track)", "at risk"))
    print("share met by the status the probability gives:")
    print(out.groupby(status)["met"].agg(["size", "mean"]).round(3).to_string(), "\n")
    print("pace rule: share met when it said 1 / 0")
    print(out.groupby("pace")["met"].agg(["size", "mean"]).round(3).to_string(), "\n")
    print("by kind: forecasts, Brier of the assessment and of the pace rule")
    by_kind = out.groupby("kind").apply(lambda g: pd.Series({"forecasts": len(g), "assessment": brier(g["p"], g["met"]),
                                                             "pace rule": brier(g["pace"], g["met"])}),
                                        include_groups=False)
    print(by_kind.round(4).to_string(), "\n")
    print("by target: forecasts, Brier of the assessment and of the pace rule")
    by_target = out.groupby(["indicator_id", "kind"]).apply(
        lambda g: pd.Series({"forecasts": len(g), "share_met": g["met"].mean(), "assessment": brier(g["p"], g["met"]),
                             "pace rule": brier(g["pace"], g["met"])}), include_groups=False)
    print(by_target.round(3).to_string())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
