"""Sex and urban–rural pairs: the yearly gap series of each indicator and scope, their summaries and
projected quantiles (:func:`analyse_gaps`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analysis.catalog import Catalog, plan_order
from analysis.gaps.measures import (
    adjusted_parity_index,
    difference,
    disadvantaged,
    gap_quantiles,
    is_small,
    oriented_parity_index,
    ratio,
    summarise_gap_paths,
    window_level,
)
from analysis.gaps.settings import GROUPS, UR_SCOPES, GapSettings, Inputs
from analysis.returns import parse
from analysis.trends.records import simulate_paths

log = logging.getLogger(__name__)


@dataclass
class GapResult:
    """Gaps of one kind ('sex' or 'urban_rural'): the yearly series, one summary row per
    indicator and scope, and the projected gap's quantiles per year."""

    kind: str
    series: pd.DataFrame
    summary: pd.DataFrame
    projection: pd.DataFrame


def _better_map(cat: Catalog) -> dict[str, str | None]:
    """Each catalog id's ``better`` ('lower'/'higher'), None where the catalog has none."""
    return {i: (b if isinstance(b, str) else None) for i, b in cat.indicators["better"].items()}


def pair_keys(kind: str, scope: str) -> tuple[tuple[str, str], tuple[str, str]]:
    """The (area, sex) of the focus and the reference series of a pair."""
    if kind == "sex":
        return (scope, "female"), (scope, "male")
    focus, reference = UR_SCOPES[scope]
    return (focus, "total"), (reference, "total")


def pair_series(observations: pd.DataFrame, kind: str, better: Mapping[str, str | None]) -> pd.DataFrame:
    """Every year in which both groups of a pair have a value, with the gap measures.

    ``kind`` 'sex': female and male values of the same indicator, area and year (scope = the
    area). 'urban_rural': the district's rural and urban totals (scope 'district') and the
    national comparator's (scope 'national'). Columns: ``indicator_id, scope, year, focus,
    reference, focus_events, reference_events, focus_den, reference_den, difference, ratio, gpi,
    oriented, disadvantaged``.
    """
    if kind == "sex":
        obs = observations[observations["sex"].isin(["female", "male"])]
        obs = obs.assign(scope=obs["area"], group=np.where(obs["sex"] == "female", "focus", "reference"))
    elif kind == "urban_rural":
        area_scope = {a: s for s, pair in UR_SCOPES.items() for a in pair}
        focus_areas = {pair[0] for pair in UR_SCOPES.values()}
        obs = observations[(observations["sex"] == "total") & observations["area"].isin(list(area_scope))]
        obs = obs.assign(scope=obs["area"].map(area_scope),
                         group=np.where(obs["area"].isin(list(focus_areas)), "focus", "reference"))
    else:
        raise ValueError(f"kind must be 'sex' or 'urban_rural', not {kind!r}")
    columns = ["indicator_id", "scope", "year", "focus", "reference", "focus_events", "reference_events",
               "focus_den", "reference_den", "difference", "ratio", "gpi", "oriented", "disadvantaged"]
    if obs.empty:
        return pd.DataFrame(columns=columns)
    indexed = obs.set_index(["indicator_id", "scope", "year", "group"])[["value", "numerator", "denominator"]]
    if not indexed.index.is_unique:
        raise ValueError("observations hold two values for one indicator, area, sex and year")
    wide = indexed.unstack("group")
    out = pd.DataFrame({
        "focus": wide[("value", "focus")], "reference": wide[("value", "reference")],
        "focus_events": wide[("numerator", "focus")], "reference_events": wide[("numerator", "reference")],
        "focus_den": wide[("denominator", "focus")], "reference_den": wide[("denominator", "reference")],
    }) if ("value", "focus") in wide.columns and ("value", "reference") in wide.columns else pd.DataFrame()
    if out.empty:
        return pd.DataFrame(columns=columns)
    out = out.dropna(subset=["focus", "reference"]).reset_index()
    direction = out["indicator_id"].map(lambda i: better.get(i))
    out["difference"] = difference(out["focus"], out["reference"])
    out["ratio"] = ratio(out["focus"], out["reference"])
    out["gpi"] = adjusted_parity_index(out["focus"], out["reference"])
    out["oriented"] = np.nan
    for b in ("higher", "lower"):
        m = (direction == b).to_numpy()
        out.loc[m, "oriented"] = oriented_parity_index(out.loc[m, "gpi"], b)
    out["disadvantaged"] = disadvantaged(out["oriented"])
    out = out.sort_values(["indicator_id", "scope", "year"], key=_id_sort_key).reset_index(drop=True)
    return out[columns]


def _id_sort_key(col: pd.Series) -> pd.Series:
    """Sort key: ids in plan order, the district before urban/rural before comparators."""
    if col.name == "indicator_id":
        return col.map(plan_order)
    if col.name == "scope":
        return col.map(lambda s: (0 if s == "district" else 1 if s in ("urban", "rural") else 2, s))
    return col


def _window_stats(rows: pd.DataFrame, first: int, last: int, better: str | None,
                  settings: GapSettings) -> dict[str, Any]:
    """Levels of both groups, their gap and parity index over the years first..last."""
    w = rows[(rows["year"] >= first) & (rows["year"] <= last)]
    if w.empty:
        return {"years": "", "gap": np.nan, "oriented": np.nan, "small": False}
    f = window_level(w["focus"], w["focus_den"])
    r = window_level(w["reference"], w["reference_den"])
    oriented = float(oriented_parity_index(adjusted_parity_index(f, r), better))
    events = [w[c].sum() if w[c].notna().all() else np.nan for c in ("focus_events", "reference_events")]
    small = bool(is_small(events, settings.min_events).any())
    years = f"{int(w['year'].min())}–{int(w['year'].max())}" if w["year"].nunique() > 1 else str(int(w["year"].iloc[0]))
    return {"years": years, "gap": f - r, "oriented": oriented, "small": small, "focus": f, "reference": r}


def summarise_pairs(series: pd.DataFrame, kind: str, cat: Catalog, models: pd.DataFrame,
                    settings: GapSettings) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One row per indicator and scope: latest year, baseline and latest levels, the projected
    2030 gap with its interval, P(narrower) and the status; and the per-year gap quantiles.

    The latest and baseline levels are means over ``window_years`` (the latest years, and the
    years ending with ``baseline_year``); the status compares the mean projected gap over the
    last ``window_years`` to 2030 with the latest level (:func:`summarise_gap_paths`). A series
    the engine did not project leaves the status 'insufficient_data', with the reason.
    """
    better = _better_map(cat)
    rows_out, proj_out = [], []
    for (ind, scope), rows in series.groupby(["indicator_id", "scope"], sort=False):
        rows = rows.sort_values("year")
        b = better.get(ind)
        latest = rows.iloc[-1]
        ly = int(latest["year"])
        base = _window_stats(rows, settings.baseline_year - settings.window_years + 1, settings.baseline_year, b,
                             settings)
        now = _window_stats(rows, ly - settings.window_years + 1, ly, b, settings)
        entry = cat.indicators.loc[ind] if ind in cat.indicators.index else None
        record: dict[str, Any] = {
            "kind": kind, "indicator_id": ind, "scope": scope,
            "name_zh": entry["name_zh"] if entry is not None else ind,
            "unit": entry["unit"] if entry is not None and isinstance(entry["unit"], str) else "",
            "better": b, "n_years": len(rows), "first_year": int(rows["year"].iloc[0]), "latest_year": ly,
            "focus_latest": latest["focus"], "reference_latest": latest["reference"],
            "difference_latest": latest["difference"], "ratio_latest": latest["ratio"], "gpi_latest": latest["gpi"],
            "oriented_latest": latest["oriented"], "disadvantaged_latest": latest["disadvantaged"],
            "focus_small": bool(is_small(latest["focus_events"], settings.min_events)),
            "reference_small": bool(is_small(latest["reference_events"], settings.min_events)),
            "baseline_years": base["years"], "baseline_gap": base["gap"], "baseline_oriented": base["oriented"],
            "baseline_small": base["small"],
            "latest_years": now["years"], "latest_gap": now["gap"], "latest_oriented": now["oriented"],
            "latest_small": now["small"],
            "change_abs": abs(now["gap"]) - abs(base["gap"]) if np.isfinite(base["gap"]) else np.nan,
            "horizon": settings.horizon, "gap_2030": np.nan, "gap_lo95": np.nan, "gap_lo80": np.nan,
            "gap_hi80": np.nan, "gap_hi95": np.nan, "oriented_2030": np.nan, "oriented_lo80": np.nan,
            "oriented_hi80": np.nan, "p_narrower": np.nan, "p_wider": np.nan, "status": "insufficient_data",
            "disadvantaged_2030": "unknown", "models": "", "note": "",
        }
        try:
            (fa, fs), (ra, rs) = pair_keys(kind, scope)
            pf = simulate_paths(ind, fa, fs, models=models, n_sims=settings.n_sims, seed=settings.seed)
            pr = simulate_paths(ind, ra, rs, models=models, n_sims=settings.n_sims, seed=settings.seed)
            years = np.intersect1d(pf.years, pr.years)
            if years.size == 0:
                raise ValueError("the two series have no projected year in common")
            fv = pf.values[:, np.isin(pf.years, years)]
            rv = pr.values[:, np.isin(pr.years, years)]
            record |= summarise_gap_paths(fv, rv, years, now["gap"], now["oriented"], b, settings)
            record["models"] = f"{GROUPS[kind]['labels'][0]}：{pf.model}；{GROUPS[kind]['labels'][1]}：{pr.model}"
            q = gap_quantiles(fv, rv, years)
            proj_out.append(q.assign(kind=kind, indicator_id=ind, scope=scope))
        except (KeyError, ValueError) as exc:
            record["note"] = f"无法预测：{exc}"
            log.info("gap %s %s/%s not projected: %s", kind, ind, scope, exc)
        rows_out.append(record)
    summary = pd.DataFrame(rows_out)
    projection = (pd.concat(proj_out, ignore_index=True) if proj_out else
                  pd.DataFrame(columns=["kind", "indicator_id", "scope", "year", "lo95", "lo80", "median", "hi80",
                                        "hi95"]))
    for name, count in (summary["status"].value_counts().items() if len(summary) else []):
        log.info("%s gaps: %d %s", kind, count, name)
    return summary, projection


def analyse_gaps(inputs: Inputs, cat: Catalog, kind: str, settings: GapSettings,
                 ids: Iterable[str] | None = None) -> GapResult:
    """Sex ('sex') or urban–rural ('urban_rural') gaps of the selected indicators, end to end.

    Indicators that are themselves a share of women (``female_share``) have no sex pair; they
    are measured by :func:`female_shares`. Counts (units of kind ``count`` in
    ``params/units.yaml``: 参保人数 by sex) are no gap measure — 17,065 insured women against
    21,428 men says nothing about coverage without the populations — and are left out.
    """
    cat_share = cat.indicators["female_share"].fillna(False).astype(bool)
    shares = set(cat_share[cat_share].index)
    kinds = {u: spec.get("kind") for u, spec in parse.units().items()}
    counts = {i for i, u in cat.indicators["unit"].items() if kinds.get(u) == "count"}
    obs = inputs.observations[~inputs.observations["indicator_id"].isin(shares | counts)]
    if ids is not None:
        obs = obs[obs["indicator_id"].isin(list(ids))]
    series = pair_series(obs, kind, _better_map(cat))
    if series.empty:
        empty = pd.DataFrame(columns=["kind", "indicator_id", "scope", "status"])
        return GapResult(kind, series, empty, pd.DataFrame(columns=["indicator_id", "scope", "year"]))
    summary, projection = summarise_pairs(series, kind, cat, inputs.models, settings)
    return GapResult(kind=kind, series=series, summary=summary, projection=projection)
