"""Sex, urban–rural and town gaps: who is being left behind.

The plans ask for more than district averages: girls and boys, women and men, rural and urban
children, the district's 13 towns and sub-districts. This module measures those gaps, follows
them over the years, projects them to 2030 with an interval from the projection engine's
simulated paths, and says whether each is narrowing, showing no clear change, widening or
reversing, with a probability. For indicators reported by town it builds the table, the heat map, the list of
towns below a per-town threshold and a funnel plot against the district rate. Published tables
suppress values built on fewer than a few events; the analysis itself uses the counts.

Method and choices: ``docs/gaps.md``; thresholds: ``params/gaps.yaml``. The core measures take
arrays (:func:`difference`, :func:`adjusted_parity_index`, :func:`narrowing_probability`,
:func:`funnel_limits` …) so that they can be checked by hand without a projection run.

Orientation, in one line: the *focus* group is the one whose disadvantage the plans watch
(women and girls; rural areas), the *reference* group the other (men and boys; urban areas);
differences are focus − reference in the indicator's unit, ratios focus / reference, and the
oriented parity index is below 1 when the focus group is worse off, whatever way the indicator
runs (the catalog's ``better``).
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from analysis import config, parse, targets, trend
from analysis.catalog import Catalog, plan_order, select, target_text

log = logging.getLogger(__name__)

PARAMS_FILE = config.PARAMS_DIR / "gaps.yaml"

#: the groups compared, focus first: differences are focus − reference
GROUPS = {
    "sex": {"focus": "female", "reference": "male", "labels": ("女", "男"), "who": ("女性", "男性"),
            "index": "性别均等指数（GPI）"},
    "urban_rural": {"focus": "rural", "reference": "urban", "labels": ("农村", "城镇"), "who": ("农村", "城镇"),
                    "index": "城乡均等指数"},
}
#: urban–rural pairs of areas: the district's own and the national comparator's
UR_SCOPES = {"district": ("rural", "urban"), "national": ("national_rural", "national_urban")}

STATUSES = ("narrowing", "stable", "widening", "reversed", "parity", "insufficient_data")
STATUS_LABELS = {"narrowing": "缩小", "stable": "无明显变化", "widening": "扩大", "reversed": "反转",
                 "parity": "保持均等", "insufficient_data": "数据不足"}
STATUS_COLORS = {"narrowing": "#2A9D8F", "stable": "#8D99AE", "widening": "#D62828", "reversed": "#7B2CBF",
                 "parity": "#457B9D", "insufficient_data": "#BBBBBB"}
#: a direction target "差距缩小" judged from the gap's status (the scorecard's codes)
TARGET_CODES = {"narrowing": "improving", "stable": "no_clear_change", "widening": "worsening",
                "reversed": "worsening", "parity": "no_clear_change", "insufficient_data": "insufficient_data"}
TARGET_LABELS = {"improving": "差距缩小（改善）", "no_clear_change": "无明显变化", "worsening": "差距扩大（恶化）",
                 "insufficient_data": "数据不足"}
POSITION_LABELS = {"below": "低于目标区间", "within": "在目标区间内", "above": "高于目标区间", "unknown": "—"}
PARITY_POSITION_LABELS = {"below": "低于均等", "within": "大致均等", "above": "高于均等", "unknown": "—"}
MEMBERSHIP_LABELS = {"left": "已划出", "not_yet": "未划入"}
VERDICT_LABELS = {
    "within": "在控制限内（差异可由随机波动解释）",
    "low_warning": "低于95%控制限（警示）", "low_alarm": "低于99.8%控制限（明显偏低）",
    "high_warning": "高于95%控制限（警示）", "high_alarm": "高于99.8%控制限（明显偏高）",
}
SUMMARY_QUANTILES = (0.025, 0.1, 0.5, 0.9, 0.975)


# --- settings and inputs ---------------------------------------------------------------------


@dataclass(frozen=True)
class GapSettings:
    """The thresholds of the gap analysis (``params/gaps.yaml``; see ``docs/gaps.md``)."""

    parity_band: tuple[float, float] = (0.97, 1.03)
    share_parity: float = 50.0
    baseline_year: int = 2020
    window_years: int = 3
    narrowing_threshold: float = 0.8
    widening_threshold: float = 0.8
    horizon: int = 2030
    n_sims: int | None = None
    seed: int | None = None
    min_events: int = 5
    small_numbers_action: str = "suppress"
    funnel_coverage: tuple[float, ...] = (0.95, 0.998)
    funnel_method: str = "exact"
    funnel_winsorize: float = 0.1

    def __post_init__(self) -> None:
        lo, hi = self.parity_band
        if not 0 < lo < 1 < hi:
            raise ValueError(f"parity_band must straddle 1, not {self.parity_band}")
        if self.window_years < 1:
            raise ValueError("window_years must be at least 1")
        for name in ("narrowing_threshold", "widening_threshold"):
            if not 0.5 < getattr(self, name) <= 1:
                raise ValueError(f"{name} must be in (0.5, 1]")
        if self.small_numbers_action not in ("suppress", "mark"):
            raise ValueError(f"small_numbers_action must be 'suppress' or 'mark', not {self.small_numbers_action!r}")
        if self.funnel_method not in ("exact", "normal"):
            raise ValueError(f"funnel_method must be 'exact' or 'normal', not {self.funnel_method!r}")
        if not all(0 < c < 1 for c in self.funnel_coverage):
            raise ValueError("funnel_coverage values must lie between 0 and 1")

    @classmethod
    def from_params(cls, path: str | Path = PARAMS_FILE, **overrides: Any) -> GapSettings:
        """The settings in ``params/gaps.yaml`` with ``overrides`` on top.

        Raises :class:`analysis.config.ParamsError` naming the file and any unknown key (a
        misspelt threshold must not silently keep its default).
        """
        return config.settings_from_yaml(cls, path, **overrides)


@dataclass(frozen=True)
class Inputs:
    """What the gap analysis reads from the processed folder."""

    observations: pd.DataFrame
    projections: pd.DataFrame
    models: pd.DataFrame
    processed_dir: Path


def load_inputs(processed_dir: str | Path = config.PROCESSED_DIR) -> Inputs:
    """Observations, projections and projection models from ``processed_dir``.

    The projection stage must have run: without ``projection_models.parquet`` there are no
    simulated paths, and the error says which command makes it.
    """
    folder = config.resolve(processed_dir)
    observations = trend.load_observations(folder)
    for name in ("projection_models.parquet", "projections.parquet"):
        if not (folder / name).is_file():
            raise FileNotFoundError(
                f"{config.display_path(folder / name)} does not exist: run the projection first "
                f"(plan-monitor project --processed {config.display_path(folder)}, or the 30_trends notebook)")
    projections = pd.read_parquet(folder / "projections.parquet")
    models = pd.read_parquet(folder / "projection_models.parquet")
    log.info("gap inputs from %s: %d observations, %d projected series", config.display_path(folder),
             len(observations), int(models["projectable"].sum()))
    return Inputs(observations=observations, projections=projections, models=models, processed_dir=folder)


def select_ids(cat: Catalog, plan: str = "", field: int = 0, indicator_id: str = "") -> list[str]:
    """The catalog ids a page covers: one indicator, or a plan and field ("" / 0 meaning all)."""
    if indicator_id:
        cat.entry(indicator_id)  # KeyError naming the id and the catalog
        return [indicator_id]
    table = select(cat, plan=plan or None, field=int(field) or None)
    return list(table["id"])


# --- the measures ----------------------------------------------------------------------------


def difference(focus: Any, reference: Any) -> np.ndarray:
    """The absolute gap, focus − reference, in the indicator's own unit (percentage points for %).

    For sex gaps female − male; for urban–rural gaps rural − urban.
    """
    return np.asarray(focus, dtype=float) - np.asarray(reference, dtype=float)


def ratio(focus: Any, reference: Any) -> np.ndarray:
    """The relative gap focus / reference (NaN where the reference value is 0).

    For sexes this is the unadjusted gender parity index of the UNESCO Institute for
    Statistics (female value / male value).

    References
    ----------
    UNESCO Institute for Statistics, *Gender parity index (GPI)*, UIS glossary.
    """
    f, r = np.asarray(focus, dtype=float), np.asarray(reference, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = f / r
    return np.where(r == 0, np.nan, out)


def adjusted_parity_index(focus: Any, reference: Any) -> np.ndarray:
    """The adjusted parity index: focus/reference when focus ≤ reference, else 2 − reference/focus.

    The plain ratio is asymmetric — 0.8 and 1.25 are the same disparity — and unbounded. The
    UIS adjusted GPI mirrors the upper side around 1, so that it lies in [0, 2] and a disparity
    of the same size reads the same distance from 1 either way. Both values 0 is parity (1);
    a negative or missing value gives NaN.

    References
    ----------
    UNESCO Institute for Statistics (2019). *Adjusted gender parity index*, in the metadata of
    SDG indicator 4.5.1 (parity indices: female/male, rural/urban, bottom/top wealth quintile).
    """
    f, r = np.asarray(focus, dtype=float), np.asarray(reference, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(f <= r, f / r, 2.0 - r / f)
    out = np.where((f == 0) & (r == 0), 1.0, out)
    return np.where((f < 0) | (r < 0) | np.isnan(f) | np.isnan(r), np.nan, out)


def oriented_parity_index(adjusted: Any, better: str | None) -> np.ndarray:
    """The adjusted parity index turned so that below 1 always means the focus group is worse off.

    For a "higher is better" indicator (enrolment, coverage) the adjusted index is kept; for a
    "lower is better" one (mortality, myopia, anaemia) it is mirrored, 2 − index, which equals
    the adjusted index of reference/focus. The catalog's ``better`` decides; an indicator without
    one (qualitative) gives NaN rather than a guess.
    """
    a = np.asarray(adjusted, dtype=float)
    if better == "higher":
        return a.copy()
    if better == "lower":
        return 2.0 - a
    return np.full(a.shape, np.nan)


def disadvantaged(oriented: Any, band: Sequence[float] = (0.97, 1.03)) -> np.ndarray:
    """Who is worse off: 'focus' (oriented index below the band), 'reference' (above),
    'parity' (inside the band, bounds included) or 'unknown' (no index)."""
    o = np.asarray(oriented, dtype=float)
    lo, hi = band
    out = np.where(o < lo, "focus", np.where(o > hi, "reference", "parity"))
    return np.where(np.isnan(o), "unknown", out).astype(object)


def window_level(values: Any, weights: Any = None) -> float:
    """The level of a series over a window of years: the mean of its values, weighted by the
    denominators when every year has one (then it is the pooled rate Σ events / Σ exposure in
    the value's unit), unweighted otherwise. NaN when no value is present."""
    v = np.asarray(values, dtype=float)
    keep = ~np.isnan(v)
    if not keep.any():
        return float("nan")
    if weights is not None:
        w = np.asarray(weights, dtype=float)[keep]
        if np.all(np.isfinite(w)) and np.all(w > 0):
            return float(np.sum(v[keep] * w) / np.sum(w))
    return float(np.mean(v[keep]))


# --- change and projection -------------------------------------------------------------------


def _finite(gap_paths: Any) -> np.ndarray:
    """The finite values of simulated gaps, flattened (a clipped or failed draw is NaN)."""
    g = np.asarray(gap_paths, dtype=float).ravel()
    return g[np.isfinite(g)]


def narrowing_probability(gap_paths: Any, reference_gap: float) -> float:
    """P(|gap| < |reference gap|) over simulated gaps: the chance the gap will be smaller in size
    than it is now, whichever side it ends on. NaN without paths or a reference."""
    g = _finite(gap_paths)
    if g.size == 0 or not np.isfinite(reference_gap):
        return float("nan")
    return float(np.mean(np.abs(g) < abs(reference_gap)))


def widening_probability(gap_paths: Any, reference_gap: float) -> float:
    """P(the gap grows on its present side): P(gap · sign(reference) > |reference|).

    Not 1 − P(narrower): a gap that crosses zero and ends larger on the other side has
    *reversed* (the other group is now behind by more), which is a different finding. Keeping
    the two apart also stops sampling noise around a gap near zero — which makes |gap| larger
    on either side — from reading as widening. A reference gap of exactly 0 counts as positive.
    NaN without paths or a reference.
    """
    g = _finite(gap_paths)
    if g.size == 0 or not np.isfinite(reference_gap):
        return float("nan")
    side = 1.0 if reference_gap >= 0 else -1.0
    return float(np.mean(g * side > abs(reference_gap)))


def change_status(p_narrower: float, p_wider: float, reference_oriented: float, projected_oriented: float,
                  settings: GapSettings) -> str:
    """'narrowing', 'widening', 'reversed', 'stable', 'parity' or 'insufficient_data'.

    A gap inside the parity band now whose projected level (median oriented index) is inside it
    too is 'parity'. Otherwise P(narrower) ≥ ``narrowing_threshold`` is narrowing, P(wider on the
    same side) ≥ ``widening_threshold`` is widening, P(reversed and larger) = 1 − both ≥
    ``widening_threshold`` is reversed, and anything else is no clear change ('stable' — the
    data cannot tell, not a claim of stability).
    """
    if not (np.isfinite(p_narrower) and np.isfinite(p_wider)):
        return "insufficient_data"
    lo, hi = settings.parity_band
    if lo <= reference_oriented <= hi and lo <= projected_oriented <= hi:
        return "parity"
    if p_narrower >= settings.narrowing_threshold:
        return "narrowing"
    if p_wider >= settings.widening_threshold:
        return "widening"
    if 1.0 - p_narrower - p_wider >= settings.widening_threshold:
        return "reversed"
    return "stable"


def horizon_columns(years: Any, settings: GapSettings) -> tuple[int, np.ndarray]:
    """The column of the horizon year and the columns of the window ending there."""
    y = np.asarray(years, dtype=int)
    h = int(np.flatnonzero(y == settings.horizon)[0]) if (y == settings.horizon).any() else len(y) - 1
    window = np.flatnonzero((y <= y[h]) & (y > y[h] - settings.window_years))
    return h, window


def summarise_gap_paths(focus_paths: Any, reference_paths: Any, years: Any, reference_gap: float,
                        reference_oriented: float, better: str | None, settings: GapSettings) -> dict[str, Any]:
    """The projected gap of two series from their simulated paths (n_sims × years each).

    Gap paths are focus paths − reference paths, path by path. The two series are simulated
    independently by the engine (each from its own seeded stream), so the difference treats them
    as independent; real sexes (or urban and rural areas) share district-level shocks, which
    would make their errors positively correlated, so the gap's interval is if anything too wide
    and its probabilities pulled toward ½ (conservative: fewer gaps called narrowing or widening).

    Returns the horizon year's gap (median, 80 % and 95 % intervals), the oriented parity index
    there (median and 80 %), P(narrower) and P(wider) — the mean gap over the last
    ``window_years`` projected years against ``reference_gap`` (the mean of the latest observed
    years) — and the status (:func:`change_status`).
    """
    f, r = np.asarray(focus_paths, dtype=float), np.asarray(reference_paths, dtype=float)
    if f.shape != r.shape or f.ndim != 2:
        raise ValueError(f"paths must be two arrays of the same shape n_sims × years, not {f.shape} and {r.shape}")
    gap = f - r
    h, window = horizon_columns(years, settings)
    q = np.nanquantile(gap[:, h], SUMMARY_QUANTILES)
    gap_window = gap[:, window].mean(axis=1)
    p = narrowing_probability(gap_window, reference_gap)
    p_wide = widening_probability(gap_window, reference_gap)
    oriented_h = oriented_parity_index(adjusted_parity_index(f[:, h], r[:, h]), better)
    oriented_w = oriented_parity_index(adjusted_parity_index(f[:, window].mean(axis=1), r[:, window].mean(axis=1)),
                                       better)
    ok = np.isfinite(oriented_h)
    oq = np.quantile(oriented_h[ok], (0.1, 0.5, 0.9)) if ok.any() else np.full(3, np.nan)
    projected_oriented = float(np.nanmedian(oriented_w)) if np.isfinite(oriented_w).any() else float("nan")
    return {
        "horizon": int(np.asarray(years)[h]),
        "gap_2030": float(q[2]), "gap_lo95": float(q[0]), "gap_lo80": float(q[1]), "gap_hi80": float(q[3]),
        "gap_hi95": float(q[4]),
        "oriented_2030": float(oq[1]), "oriented_lo80": float(oq[0]), "oriented_hi80": float(oq[2]),
        "p_narrower": p, "p_wider": p_wide,
        "status": change_status(p, p_wide, reference_oriented, projected_oriented, settings),
        "disadvantaged_2030": str(disadvantaged([projected_oriented], settings.parity_band)[0]),
    }


def gap_quantiles(focus_paths: Any, reference_paths: Any, years: Any) -> pd.DataFrame:
    """Median and 80 % / 95 % intervals of the gap (focus − reference) in every projected year."""
    gap = np.asarray(focus_paths, dtype=float) - np.asarray(reference_paths, dtype=float)
    q = np.nanquantile(gap, SUMMARY_QUANTILES, axis=0)
    return pd.DataFrame({"year": np.asarray(years, dtype=int), "lo95": q[0], "lo80": q[1], "median": q[2],
                         "hi80": q[3], "hi95": q[4]})


# --- small numbers ---------------------------------------------------------------------------


def is_small(events: Any, min_events: int) -> np.ndarray:
    """True where a value rests on fewer than ``min_events`` events (its numerator). A value
    without a count cannot be judged and is not marked (docs/gaps.md says so)."""
    e = np.asarray(events, dtype=float)
    return np.where(np.isnan(e), False, e < min_events)


def publish(value: float, small: bool, settings: GapSettings, decimals: int = 1) -> str:
    """A value as a published table shows it: suppressed ("不足5例") or marked ("†") when it rests
    on fewer than ``min_events`` events, "—" when missing."""
    if value is None or not np.isfinite(value):
        return "—"
    if small and settings.small_numbers_action == "suppress":
        return f"不足{settings.min_events}例"
    text = f"{value:.{decimals}f}"
    return text + "†" if small else text


def small_numbers_note(settings: GapSettings, lang: str = "zh") -> str:
    """The footnote every published table with suppressed cells carries (Chinese; ``lang="en"``: English)."""
    if lang == "en":
        if settings.small_numbers_action == "suppress":
            return (f"Note: values resting on fewer than {settings.min_events} events (numerator) are not published "
                    f"(shown as \"<{settings.min_events}\"); the analysis and projections still use all counts.")
        return (f"Note: values marked \"†\" rest on fewer than {settings.min_events} events (numerator): they "
                "fluctuate a lot and should not be read on their own; the analysis and projections use all counts.")
    if settings.small_numbers_action == "suppress":
        return (f"注：基于少于 {settings.min_events} 例（分子）的数值不公布，表中记为“不足{settings.min_events}例”；"
                "分析和预测仍使用全部计数。")
    return (f"注：带“†”的数值基于少于 {settings.min_events} 例（分子），随机波动大，不宜单独解读；"
            "分析和预测使用全部计数。")


# --- sex and urban–rural gaps ----------------------------------------------------------------


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
            pf = trend.simulate_paths(ind, fa, fs, models=models, n_sims=settings.n_sims, seed=settings.seed)
            pr = trend.simulate_paths(ind, ra, rs, models=models, n_sims=settings.n_sims, seed=settings.seed)
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


# --- shares of women -------------------------------------------------------------------------


def parity_share_band(settings: GapSettings) -> tuple[float, float]:
    """The parity band for a share of women s (%): s/(100 − s) inside ``parity_band``, i.e.
    100·lo/(1 + lo) ≤ s ≤ 100·hi/(1 + hi) (49.24–50.74 % for 0.97–1.03)."""
    lo, hi = settings.parity_band
    whole = 2 * settings.share_parity
    return whole * lo / (1 + lo), whole * hi / (1 + hi)


def share_band(entry: Mapping[str, Any], settings: GapSettings, relative_value: float | None = None
               ) -> tuple[float, float, str]:
    """The band a share of women is measured against, and what it is.

    A "左右" target (kind ``about``) is value ± tolerance, judged from both sides (47 % is as far
    outside "45 % ± 2" as 43 %); a level to reach (``above``/``keep_above``) is [value, 100];
    a ceiling (``below``/``at_most``/``keep_below``) is [0, value]; a ``relative`` target
    (不低于 another share) is [``relative_value``, 100] or [0, ``relative_value``]; without a
    numeric target, the parity band (:func:`parity_share_band`). Returns (low, high, 'target' or
    'parity').
    """
    kind, value = entry.get("kind"), entry.get("value")
    if kind == "relative" and relative_value is not None and np.isfinite(relative_value):
        if entry.get("comparison") == "at_most":
            return 0.0, float(relative_value), "target"
        return float(relative_value), 100.0, "target"
    if value is not None and np.isfinite(value):
        if kind == "about":
            return float(value) - float(entry["tolerance"]), float(value) + float(entry["tolerance"]), "target"
        if kind in ("above", "keep_above"):
            return float(value), 100.0, "target"
        if kind in ("below", "at_most", "keep_below"):
            return 0.0, float(value), "target"
    lo, hi = parity_share_band(settings)
    return lo, hi, "parity"


def band_distance(values: Any, low: float, high: float) -> np.ndarray:
    """Signed distance from a band: negative below it (the shortfall), positive above it, 0 inside."""
    v = np.asarray(values, dtype=float)
    return np.where(v < low, v - low, np.where(v > high, v - high, 0.0))


def band_position(values: Any, low: float, high: float) -> np.ndarray:
    """'below', 'within' or 'above' the band ('unknown' for a missing value)."""
    v = np.asarray(values, dtype=float)
    out = np.where(v < low, "below", np.where(v > high, "above", "within"))
    return np.where(np.isnan(v), "unknown", out).astype(object)


def female_shares(inputs: Inputs, cat: Catalog, settings: GapSettings, ids: Iterable[str] | None = None,
                  area: str = "district") -> pd.DataFrame:
    """Indicators that are a share of women: their distance from the target band or from parity.

    One row per ``female_share`` indicator observed in ``area``: the latest value and year, the
    baseline and latest window levels, the band, the signed distance from it and from parity
    (50 %), the national value for comparison, and the 2030 projection with P(inside the band
    in 2030) and P(closer to parity than now) from the share's simulated paths.
    """
    obs = inputs.observations
    shares = cat.indicators[cat.indicators["female_share"].fillna(False).astype(bool)]
    if ids is not None:
        shares = shares[shares["id"].isin(list(ids))]
    rows = []
    for ind, entry in shares.iterrows():
        own = obs[(obs["indicator_id"] == ind) & (obs["area"] == area) & (obs["sex"] == "total")].sort_values("year")
        if own.empty:
            continue
        latest = own.iloc[-1]
        ly = int(latest["year"])
        lo, hi, basis = share_band(entry, settings, _relative_value(obs, entry, area, ly))
        w_now = own[own["year"] > ly - settings.window_years]
        w_base = own[(own["year"] <= settings.baseline_year)
                     & (own["year"] > settings.baseline_year - settings.window_years)]
        now = window_level(w_now["value"], w_now["denominator"])
        base = window_level(w_base["value"], w_base["denominator"]) if len(w_base) else np.nan
        nat = obs[(obs["indicator_id"] == ind) & (obs["area"] == "national") & (obs["sex"] == "total")]
        nat = nat.sort_values("year").iloc[-1] if len(nat) else None
        record: dict[str, Any] = {
            "indicator_id": ind, "name_zh": entry["name_zh"], "kind": entry["kind"], "target": target_text(entry),
            "area": area, "band_low": lo, "band_high": hi, "basis": basis, "latest_year": ly,
            "latest": float(latest["value"]), "latest_events": latest["numerator"],
            "small": bool(is_small(latest["numerator"], settings.min_events)),
            "baseline_level": base, "latest_level": now,
            "distance": float(band_distance(latest["value"], lo, hi)),
            "position": str(band_position(latest["value"], lo, hi)),
            "parity_distance": float(latest["value"]) - settings.share_parity,
            "national_year": int(nat["year"]) if nat is not None else None,
            "national": float(nat["value"]) if nat is not None else np.nan,
            "projection_2030": np.nan, "lo80": np.nan, "hi80": np.nan, "p_in_band": np.nan,
            "p_closer_to_parity": np.nan, "model": "", "note": "",
        }
        try:
            paths = trend.simulate_paths(ind, area, "total", models=inputs.models, n_sims=settings.n_sims,
                                         seed=settings.seed)
            h, window = horizon_columns(paths.years, settings)
            v = paths.values
            q = np.quantile(v[:, h], (0.1, 0.5, 0.9))
            record |= {"projection_2030": float(q[1]), "lo80": float(q[0]), "hi80": float(q[2]),
                       "p_in_band": float(np.mean((v[:, h] >= lo) & (v[:, h] <= hi))),
                       "p_closer_to_parity": narrowing_probability(v[:, window].mean(axis=1) - settings.share_parity,
                                                                   now - settings.share_parity),
                       "model": paths.model}
        except (KeyError, ValueError) as exc:
            record["note"] = f"无法预测：{exc}"
        rows.append(record)
    return pd.DataFrame(rows)


def _relative_value(obs: pd.DataFrame, entry: Mapping[str, Any], area: str, year: int) -> float | None:
    """The value, in ``year`` (else the latest before it), of the indicator a relative target names."""
    other = entry.get("relative_to") if entry.get("kind") == "relative" else None
    if not other:
        return None
    o = obs[(obs["indicator_id"] == other) & (obs["area"] == area) & (obs["sex"] == "total") & (obs["year"] <= year)]
    return float(o.sort_values("year").iloc[-1]["value"]) if len(o) else None


# --- "差距缩小" targets ------------------------------------------------------------------------


def narrow_targets(inputs: Inputs, cat: Catalog, settings: GapSettings, sex: GapResult, urban_rural: GapResult,
                   ids: Iterable[str] | None = None) -> pd.DataFrame:
    """The plans' "差距缩小" targets (kind direction, direction narrow) judged on the gaps.

    With ``gap_of`` the gap is that indicator's district gap of the named kind (urban–rural or
    sex), judged by its status: narrowing → improving, widening → worsening, no clear change or
    parity → no_clear_change. Without ``gap_of`` the entry's own district series is the gap (男女
    收入差距): P(|gap 2030| < |gap now|) from its own paths, with the same thresholds.
    """
    wanted = set(ids) if ids is not None else None
    t = cat.indicators
    targets = t[(t["kind"] == "direction") & (t["direction"] == "narrow")]
    rows = []
    for ind, entry in targets.iterrows():
        gap_of = entry["gap_of"]
        if wanted is not None and ind not in wanted and gap_of not in wanted:
            continue
        kind = entry["gap"]
        record = {"indicator_id": ind, "name_zh": entry["name_zh"], "gap": kind, "gap_of": gap_of or "",
                  "p_narrower": np.nan, "p_wider": np.nan, "gap_baseline": np.nan, "gap_now": np.nan,
                  "gap_2030": np.nan, "baseline_small": False, "now_small": False, "status": "insufficient_data",
                  "reason": ""}
        if gap_of:
            summary = (sex if kind == "sex" else urban_rural).summary
            hit = summary[(summary["indicator_id"] == gap_of) & (summary["scope"] == "district")] if len(summary) \
                else summary
            if hit.empty:
                what = "分性别" if kind == "sex" else "分城乡"
                record["reason"] = f"区级没有 {gap_of} 的{what}数据"
            else:
                row = hit.iloc[0]
                record |= {"p_narrower": row["p_narrower"], "p_wider": row["p_wider"],
                           "gap_baseline": row["baseline_gap"], "gap_now": row["latest_gap"],
                           "gap_2030": row["gap_2030"], "baseline_small": row["baseline_small"],
                           "now_small": row["latest_small"],
                           "status": TARGET_CODES[row["status"]],
                           "reason": row["note"] or f"{gap_of} 区级{'城乡' if kind != 'sex' else '性别'}差距："
                                                    f"{STATUS_LABELS[row['status']]}"}
        else:
            record |= _own_gap(inputs, ind, settings)
        rows.append(record)
    return pd.DataFrame(rows)


def _own_gap(inputs: Inputs, ind: str, settings: GapSettings) -> dict[str, Any]:
    """A gap that is its own series (no ``gap_of``): P(|x 2030| < |x now|) from its paths."""
    obs = inputs.observations
    own = obs[(obs["indicator_id"] == ind) & (obs["area"] == "district") & (obs["sex"] == "total")]
    if own.empty:
        return {"reason": "暂无区级数据"}
    ly = int(own["year"].max())
    now = window_level(own.loc[own["year"] > ly - settings.window_years, "value"])
    try:
        paths = trend.simulate_paths(ind, "district", "total", models=inputs.models, n_sims=settings.n_sims,
                                     seed=settings.seed)
    except (KeyError, ValueError) as exc:
        return {"gap_now": now, "reason": f"无法预测：{exc}"}
    h, window = horizon_columns(paths.years, settings)
    level = paths.values[:, window].mean(axis=1)
    p = narrowing_probability(level, now)
    status = change_status(p, widening_probability(level, now), np.nan, np.nan, settings)
    return {"p_narrower": p, "p_wider": widening_probability(level, now), "gap_now": now,
            "gap_2030": float(np.median(paths.values[:, h])),
            "status": TARGET_CODES[status], "reason": f"本指标即差距：{STATUS_LABELS[status]}"}


# --- towns -----------------------------------------------------------------------------------


def town_units(spec: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """The district's township-level units in ``params/areas.yaml`` order, current ones first,
    then former ones: ``town, type (街道/镇), urban_rural, first_year, last_year, former``."""
    spec = parse.areas() if spec is None else spec
    rows = []
    for former, block in ((False, spec.get("towns") or {}), (True, spec.get("former_towns") or {})):
        for name, town in block.items():
            rows.append({"town": name, "type": town.get("type", ""),
                         "urban_rural": "urban" if town.get("type") == "街道" else "rural",
                         "first_year": town.get("first_year"), "last_year": town.get("last_year"), "former": former})
    return pd.DataFrame(rows, columns=["town", "type", "urban_rural", "first_year", "last_year", "former"])


def membership(town: str, year: int, units: pd.DataFrame) -> str:
    """'member' when the town belonged to the district in ``year``, 'left' after its last year,
    'not_yet' before its first year; 'unknown' for a name that is not a town of the district."""
    hit = units[units["town"] == town]
    if hit.empty:
        return "unknown"
    first, last = hit.iloc[0]["first_year"], hit.iloc[0]["last_year"]
    if last is not None and pd.notna(last) and year > int(last):
        return "left"
    if first is not None and pd.notna(first) and year < int(first):
        return "not_yet"
    return "member"


def town_labels(units: pd.DataFrame) -> dict[str, str]:
    """Each town's name as tables and charts show it: a town that left (or joined) the district
    during the period says so ("佃庄镇（2022年起划出）")."""
    out = {}
    for r in units.itertuples():
        note = []
        if r.last_year is not None and pd.notna(r.last_year):
            note.append(f"{int(r.last_year) + 1}年起划出")
        if r.first_year is not None and pd.notna(r.first_year):
            note.append(f"{int(r.first_year)}年起划入")
        out[r.town] = r.town + (f"（{'，'.join(note)}）" if note else "")
    return out


def town_values(observations: pd.DataFrame, indicator_id: str, units: pd.DataFrame) -> pd.DataFrame:
    """Every town × every year of the indicator (totals), with its value and counts where
    reported and whether the town belonged to the district that year (a town that had left is
    'left', not a missing value)."""
    obs = observations[(observations["indicator_id"] == indicator_id) & (observations["sex"] == "total")]
    in_district = obs[obs["area"].isin(list(units["town"])) | (obs["area"] == "district")]
    if in_district.empty:
        return pd.DataFrame(columns=["town", "year", "value", "numerator", "denominator", "membership"])
    years = range(int(in_district["year"].min()), int(in_district["year"].max()) + 1)
    grid = pd.DataFrame([(t, y) for t in units["town"] for y in years], columns=["town", "year"])
    vals = obs.rename(columns={"area": "town"})[["town", "year", "value", "numerator", "denominator"]]
    out = grid.merge(vals, on=["town", "year"], how="left")
    out["membership"] = [membership(t, y, units) for t, y in zip(out["town"], out["year"], strict=True)]
    return out


def town_table(observations: pd.DataFrame, cat: Catalog, indicator_id: str, settings: GapSettings,
               units: pd.DataFrame | None = None) -> pd.DataFrame:
    """The published town table: the district and every town by year, small numbers suppressed,
    years outside a town's membership written "已划出" / "未划入" (not left blank)."""
    units = town_units() if units is None else units
    vals = town_values(observations, indicator_id, units)
    if vals.empty:
        return pd.DataFrame({"说明": [f"没有 {indicator_id} 的分镇（街道）数据"]})
    decimals = _decimals(cat, indicator_id)
    years = sorted(vals["year"].unique())
    district = observations[(observations["indicator_id"] == indicator_id) & (observations["area"] == "district")
                            & (observations["sex"] == "total")].set_index("year")
    rows = {"偃师区（全区）": {"类型": "全区", **{
        int(y): publish(district["value"].get(y, np.nan),
                        bool(is_small(district["numerator"].get(y, np.nan), settings.min_events)), settings, decimals)
        for y in years}}}
    types = dict(zip(units["town"], units["type"], strict=True))
    names = town_labels(units)
    for town, g in vals.groupby("town", sort=False):
        cells: dict[Any, str] = {"类型": types.get(town, "")}
        for r in g.itertuples():
            if r.membership in MEMBERSHIP_LABELS:
                cells[int(r.year)] = MEMBERSHIP_LABELS[r.membership]
            else:
                cells[int(r.year)] = publish(r.value, bool(is_small(r.numerator, settings.min_events)), settings,
                                             decimals)
        rows[names[town]] = cells
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "地区"
    return table


def _decimals(cat: Catalog, indicator_id: str) -> int:
    """Decimals a published value of the indicator shows (1 for %, 2 for ‰, 0 for persons)."""
    unit = cat.indicators.loc[indicator_id, "unit"] if indicator_id in cat.indicators.index else ""
    return {"%": 1, "‰": 2, "/10万": 1, "人": 0, "名": 0}.get(unit, 2)


def town_indicators(observations: pd.DataFrame, units: pd.DataFrame, ids: Iterable[str] | None = None) -> list[str]:
    """The indicators with values for at least one town, in plan order."""
    obs = observations[observations["area"].isin(list(units["town"]))]
    found = set(obs["indicator_id"])
    if ids is not None:
        found &= set(ids)
    return sorted(found, key=plan_order)


def towns_below_threshold(observations: pd.DataFrame, cat: Catalog, indicator_id: str, settings: GapSettings,
                          units: pd.DataFrame | None = None) -> pd.DataFrame:
    """For a target judged per town every year (kind keep_above / keep_below with breakdown
    ``town``): each town and year that missed it, with the funnel verdict against the district
    that year and the exact binomial probability of a value this far off if the town's true
    rate were at the threshold (a small town below 90 % may be noise its size explains)."""
    units = town_units() if units is None else units
    entry = cat.entry(indicator_id)
    if entry["kind"] not in ("keep_above", "keep_below") or "town" not in (entry["breakdowns"] or []):
        return pd.DataFrame()
    vals = town_values(observations, indicator_id, units)
    vals = vals[(vals["membership"] == "member") & vals["value"].notna()]
    threshold = float(entry["value"])
    missed = vals[~targets.meets(vals["value"].to_numpy(), entry["kind"], threshold)]
    per = _per(entry["unit"])
    rows = []
    for r in missed.sort_values(["year", "value"]).itertuples():
        verdict, p_chance = "", np.nan
        if per and pd.notna(r.numerator) and pd.notna(r.denominator) and r.denominator > 0:
            pts = funnel_points(observations, cat, indicator_id, int(r.year), settings, units)
            hit = pts[pts["town"] == r.town] if len(pts) else pts
            verdict = hit.iloc[0]["verdict"] if len(hit) else ""
            n, y, p0 = int(r.denominator), int(round(r.numerator)), threshold / per
            tail = stats.binom.cdf(y, n, p0) if entry["kind"] == "keep_above" else stats.binom.sf(y - 1, n, p0)
            p_chance = float(tail)
        rows.append({"year": int(r.year), "town": r.town, "value": r.value, "numerator": r.numerator,
                     "denominator": r.denominator, "threshold": threshold, "verdict": verdict,
                     "p_at_threshold": p_chance})
    return pd.DataFrame(rows, columns=["year", "town", "value", "numerator", "denominator", "threshold", "verdict",
                                       "p_at_threshold"])


def _per(unit: str | None) -> float | None:
    """How many units make the whole (100 for %, 1000 for ‰); None for levels and counts."""
    spec = parse.units().get(unit or "", {})
    return float(spec["per"]) if "per" in spec else None


def funnel_limits(theta: float, n: Any, coverage: float, method: str = "exact") -> tuple[np.ndarray, np.ndarray]:
    """Control limits (as proportions) for a unit of size ``n`` around the overall proportion
    ``theta``, for a two-sided ``coverage`` (0.95 ≈ 2 SD, 0.998 ≈ 3 SD).

    ``exact``: the binomial quantile interpolated as in Spiegelhalter (2005, appendix A.1.1) —
    for p = (1 − coverage)/2, r_p the smallest r with P(R ≤ r) ≥ p and
    α = (P(R ≤ r_p) − p) / (P(R ≤ r_p) − P(R ≤ r_p − 1)), the lower limit is (r_p − α)/n; the
    upper limit is the same construction on the non-events n − R ~ Bin(n, 1 − θ), mirrored,
    (n − s_p + α')/n, so that a point outside a drawn limit is exactly a unit whose exact
    one-sided binomial tail probability is below p. ``normal``: θ ± z·√(θ(1 − θ)/n).
    Limits are clipped to [0, 1].

    References
    ----------
    Spiegelhalter, D. J. (2005). Funnel plots for comparing institutional performance.
    *Statistics in Medicine* 24(8), 1185–1202.
    """
    n = np.asarray(n, dtype=float)
    p = (1.0 - coverage) / 2.0
    if method == "normal":
        half = stats.norm.ppf(1 - p) * np.sqrt(theta * (1 - theta) / n)
        return np.clip(theta - half, 0, 1), np.clip(theta + half, 0, 1)
    if method != "exact":
        raise ValueError(f"method must be 'exact' or 'normal', not {method!r}")

    def interpolated(prob: float) -> np.ndarray:
        r = stats.binom.ppf(p, n, prob)
        f_r, f_prev = stats.binom.cdf(r, n, prob), stats.binom.cdf(r - 1, n, prob)
        alpha = (f_r - p) / (f_r - f_prev)
        return r - alpha

    lower = interpolated(theta) / n
    upper = (n - interpolated(1.0 - theta)) / n
    return np.clip(lower, 0, 1), np.clip(upper, 0, 1)


def dispersion_ratio(z: Any, winsorize: float = 0.1) -> float:
    """Overdispersion ratio φ = mean of squared z-scores, the z-scores first winsorised at the
    ``winsorize`` and 1 − ``winsorize`` quantiles (Spiegelhalter 2005, section 6; Spiegelhalter
    et al. 2012). φ near 1: the towns differ as much as sampling noise explains; well above 1:
    they differ more, and the binomial limits are too narrow to be read as thresholds.

    References
    ----------
    Spiegelhalter, D. J. (2005). Funnel plots for comparing institutional performance.
    *Statistics in Medicine* 24(8), 1185–1202.
    Spiegelhalter, D. J., Sherlaw-Johnson, C., Bardsley, M., et al. (2012). Statistical methods
    for healthcare regulation: rating, screening and surveillance. *JRSS A* 175(1), 1–47.
    """
    v = np.asarray(z, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return float("nan")
    if winsorize > 0:
        lo, hi = np.quantile(v, (winsorize, 1 - winsorize))
        v = np.clip(v, lo, hi)
    return float(np.mean(v ** 2))


def funnel_possible(observations: pd.DataFrame, indicator_id: str, units: pd.DataFrame) -> tuple[bool, str]:
    """Whether a funnel plot can be drawn: the towns must report denominators (counts)."""
    obs = observations[(observations["indicator_id"] == indicator_id) & observations["area"].isin(list(units["town"]))]
    if obs.empty:
        return False, "没有分镇（街道）数据"
    if obs["denominator"].notna().sum() == 0:
        return False, ("各镇（街道）没有报送分母（计数），无法按二项分布计算控制限；本项目没有经审核的各镇人口数据"
                       "可作替代，因此不画漏斗图")
    return True, ""


def funnel_points(observations: pd.DataFrame, cat: Catalog, indicator_id: str, year: int, settings: GapSettings,
                  units: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each town's rate in ``year`` against the district rate, with control limits for its size.

    The centre θ is the district's rate that year from its counts (numerator/denominator), else
    the towns' pooled rate. Columns: ``town, n, y, rate`` (in the indicator's unit), ``theta``,
    ``lo_<c>, hi_<c>`` for every coverage c, ``z`` (normal z-score), ``verdict`` (within,
    low_warning, low_alarm, high_warning, high_alarm) and ``small``. Towns without a
    denominator that year are left out (logged).
    """
    units = town_units() if units is None else units
    entry = cat.entry(indicator_id)
    per = _per(entry["unit"])
    vals = town_values(observations, indicator_id, units)
    vals = vals[(vals["year"] == year) & (vals["membership"] == "member") & vals["value"].notna()]
    missing = vals[vals["denominator"].isna()]
    if len(missing):
        log.info("funnel %s %d: no denominator for %s", indicator_id, year, list(missing["town"]))
    vals = vals[vals["denominator"].notna() & (vals["denominator"] > 0) & vals["numerator"].notna()]
    if vals.empty or per is None:
        return pd.DataFrame()
    dist = observations[(observations["indicator_id"] == indicator_id) & (observations["area"] == "district")
                        & (observations["sex"] == "total") & (observations["year"] == year)]
    if len(dist) and pd.notna(dist.iloc[0]["numerator"]) and dist.iloc[0]["denominator"] > 0:
        theta = float(dist.iloc[0]["numerator"] / dist.iloc[0]["denominator"])
    else:
        theta = float(vals["numerator"].sum() / vals["denominator"].sum())
        log.info("funnel %s %d: no district counts, centre = the towns' pooled rate", indicator_id, year)
    n = vals["denominator"].to_numpy(float)
    y = vals["numerator"].to_numpy(float)
    out = pd.DataFrame({"town": vals["town"].to_numpy(), "n": n, "y": y, "rate": y / n * per, "theta": theta * per})
    verdict = np.full(len(out), "within", dtype=object)
    for c in sorted(settings.funnel_coverage):
        lo, hi = funnel_limits(theta, n, c, settings.funnel_method)
        out[f"lo_{c:g}"], out[f"hi_{c:g}"] = lo * per, hi * per
        level = "alarm" if c == max(settings.funnel_coverage) else "warning"
        verdict = np.where(y / n < lo, f"low_{level}", np.where(y / n > hi, f"high_{level}", verdict))
    out["z"] = (y / n - theta) / np.sqrt(theta * (1 - theta) / n)
    out["verdict"] = verdict
    out["small"] = is_small(y, settings.min_events)
    return out


# --- tables for the report (Chinese) ---------------------------------------------------------


def _fmt(x: Any, decimals: int = 2, signed: bool = False) -> str:
    """A number for a table ("—" when missing), optionally with its sign."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)) or pd.isna(x):
        return "—"
    return f"{x:+.{decimals}f}" if signed else f"{x:.{decimals}f}"


def _diff_unit(unit: str) -> str:
    """The unit of a difference: percentage points for %, else the unit itself."""
    return "百分点" if unit == "%" else unit


#: the English words of the gap tables and headline
GROUPS_EN = {"sex": {"labels": ("Female", "Male"), "who": ("women/girls", "men/boys"), "what": "sex"},
             "urban_rural": {"labels": ("Rural", "Urban"), "who": ("rural", "urban"), "what": "urban–rural"}}
STATUS_LABELS_EN = {"narrowing": "Narrowing", "stable": "No clear change", "widening": "Widening",
                    "reversed": "Reversed", "parity": "Parity kept", "insufficient_data": "Insufficient data"}
AREA_LABELS_EN = {"district": "Yanshi District", "national": "China", "urban": "urban", "rural": "rural"}


def _who_en(kind: str, code: str) -> str:
    focus, reference = GROUPS_EN[kind]["who"]
    return {"focus": f"{focus} worse off", "reference": f"{reference} worse off", "parity": "parity"}.get(code, "—")


@functools.lru_cache(maxsize=4)
def _names_en(path: str) -> dict[str, str]:
    from analysis.catalog import load_catalog

    return {str(k): str(v) for k, v in load_catalog(path).indicators["name_en"].items()}


def _name_en(indicator_id: str, name_zh: str, cat: Catalog | None = None) -> str:
    """The catalog's English name of an indicator (the default catalog's when none is given)."""
    if cat is not None and indicator_id in cat.indicators.index:
        return str(cat.indicators.loc[indicator_id, "name_en"])
    return _names_en(str(config.DEFAULT_CATALOG)).get(indicator_id, name_zh)


def _publish_en(text: str, settings: GapSettings) -> str:
    return text.replace(f"不足{settings.min_events}例", f"<{settings.min_events}")


def _who(kind: str, code: str) -> str:
    """Who is worse off, in Chinese, from a ``disadvantaged`` code."""
    focus, reference = GROUPS[kind]["who"]
    return {"focus": f"{focus}处于不利", "reference": f"{reference}处于不利", "parity": "均等"}.get(code, "—")


def gap_table(result: GapResult, cat: Catalog, settings: GapSettings, scopes: Sequence[str] | None = None,
              lang: str = "zh") -> pd.DataFrame:
    """The published summary of sex or urban–rural gaps, one row per indicator and area, with
    values built on fewer than ``min_events`` events suppressed. Differences are in the
    indicator's unit (named with the indicator; percentage points for %). ``lang="en"``: English."""
    if lang == "en":
        return _gap_table_en(result, cat, settings, scopes)
    s = result.summary
    if s.empty:
        return pd.DataFrame({"说明": ["所选指标没有可比较的两组数值"]})
    if scopes is not None:
        s = s[s["scope"].isin(list(scopes))]
    kind = result.kind
    fl, rl = GROUPS[kind]["labels"]
    rows = []
    for r in s.itertuples():
        d = _decimals(cat, r.indicator_id)
        small_any = r.focus_small or r.reference_small
        hidden = small_any and settings.small_numbers_action == "suppress"
        interval = (f"{_fmt(r.gap_2030, d, True)}（{_fmt(r.gap_lo80, d, True)}～{_fmt(r.gap_hi80, d, True)}）"
                    if np.isfinite(r.gap_2030) else "—")
        rows.append({
            "指标": f"{r.indicator_id} {r.name_zh}（{r.unit}）", "地区": trend.area_label(r.scope),
            "最新年份": r.latest_year,
            fl: publish(r.focus_latest, r.focus_small, settings, d),
            rl: publish(r.reference_latest, r.reference_small, settings, d),
            f"差值（{fl}−{rl}）": publish(r.difference_latest, small_any, settings, d),
            f"比值（{fl}/{rl}）": publish(r.ratio_latest, small_any, settings, 3),
            "调整后均等指数": publish(r.gpi_latest, small_any, settings, 3),
            "处于不利的一方": "—" if hidden else _who(kind, r.disadvantaged_latest),
            "基期差值（三年平均）": _with_years(publish(r.baseline_gap, r.baseline_small, settings, d),
                                        r.baseline_years),
            "近期差值（三年平均）": _with_years(publish(r.latest_gap, r.latest_small, settings, d), r.latest_years),
            "基期以来差距大小的变化": _change_text(r.change_abs, r.baseline_small or r.latest_small, settings, d),
            f"{settings.horizon}年预测差值（80%区间）": interval,
            "P(缩小)": _fmt(r.p_narrower, 2),
            "P(扩大)": _fmt(r.p_wider, 2),
            "判断": STATUS_LABELS[r.status] + (f"（{r.note}）" if r.note else ""),
        })
    return pd.DataFrame(rows)


def _gap_table_en(result: GapResult, cat: Catalog, settings: GapSettings, scopes: Sequence[str] | None
                  ) -> pd.DataFrame:
    s = result.summary
    if s.empty:
        return pd.DataFrame({"Note": ["No indicator has values of both groups to compare"]})
    if scopes is not None:
        s = s[s["scope"].isin(list(scopes))]
    kind = result.kind
    fl, rl = GROUPS_EN[kind]["labels"]
    units = {"/10万": "per 100,000", "岁": "years", "元": "yuan", "人": "persons", "名": "persons", "年": "years",
             "小时": "hours", "课时": "class hours", "分钟": "minutes", "名/千名儿童": "per 1,000 children",
             "张/千名儿童": "per 1,000 children", "次": "times", "所": "schools", "家": "", "个": ""}

    def pub(value: float, small: bool, decimals: int) -> str:
        return _publish_en(publish(value, small, settings, decimals), settings)

    def change(r: Any, d: int) -> str:
        text = _change_text(r.change_abs, r.baseline_small or r.latest_small, settings, d)
        return text.replace("不变", "unchanged").replace("缩小", "narrower by").replace("扩大", "wider by")

    rows = []
    for r in s.itertuples():
        d = _decimals(cat, r.indicator_id)
        small_any = r.focus_small or r.reference_small
        hidden = small_any and settings.small_numbers_action == "suppress"
        interval = (f"{_fmt(r.gap_2030, d, True)} ({_fmt(r.gap_lo80, d, True)} to {_fmt(r.gap_hi80, d, True)})"
                    if np.isfinite(r.gap_2030) else "—")
        unit = units.get(r.unit, r.unit)
        rows.append({
            "Indicator": f"{r.indicator_id} {_name_en(r.indicator_id, r.name_zh, cat)} ({unit.strip()})",
            "Area": AREA_LABELS_EN.get(r.scope, r.scope), "Latest year": r.latest_year,
            fl: pub(r.focus_latest, r.focus_small, d), rl: pub(r.reference_latest, r.reference_small, d),
            f"Difference ({fl} − {rl})": pub(r.difference_latest, small_any, d),
            f"Ratio ({fl}/{rl})": pub(r.ratio_latest, small_any, 3),
            "Adjusted parity index": pub(r.gpi_latest, small_any, 3),
            "Worse off": "—" if hidden else _who_en(kind, r.disadvantaged_latest),
            "Baseline gap (3-year mean)": _with_years(pub(r.baseline_gap, r.baseline_small, d), r.baseline_years),
            "Recent gap (3-year mean)": _with_years(pub(r.latest_gap, r.latest_small, d), r.latest_years),
            "Change in the gap's size since baseline": change(r, d),
            f"Projected gap {settings.horizon} (80% interval)": interval,
            "P(narrower)": _fmt(r.p_narrower, 2), "P(wider)": _fmt(r.p_wider, 2),
            "Judgement": STATUS_LABELS_EN[r.status]
            + (f" ({r.note.replace('无法预测：', 'cannot project: ')})" if r.note else ""),
        })
    table = pd.DataFrame(rows)
    table["Baseline gap (3-year mean)"] = table["Baseline gap (3-year mean)"].str.replace("（", " (").str.replace(
        "）", ")")
    table["Recent gap (3-year mean)"] = table["Recent gap (3-year mean)"].str.replace("（", " (").str.replace("）", ")")
    return table


def _with_years(text: str, years: str) -> str:
    """A published level followed by the years it averages."""
    return f"{text}（{years}）" if years and text != "—" else text


def _change_text(change: float, small: bool, settings: GapSettings, decimals: int) -> str:
    """|gap now| − |gap at baseline| in words (descriptive: no probability attached)."""
    if not np.isfinite(change) or (small and settings.small_numbers_action == "suppress"):
        return "—"
    if abs(change) < 0.5 * 10 ** -decimals:
        return "不变"
    return f"{'缩小' if change < 0 else '扩大'} {abs(change):.{decimals}f}"


def gap_years_table(result: GapResult, cat: Catalog, settings: GapSettings, scope: str = "district") -> pd.DataFrame:
    """The gap (focus − reference) of every indicator by year, small numbers suppressed."""
    s = result.series[result.series["scope"] == scope]
    if s.empty:
        return pd.DataFrame({"说明": [f"{trend.area_label(scope)}没有可比较的两组数值"]})
    cells: dict[str, dict[int, str]] = {}
    for r in s.itertuples():
        name = cat.indicators.loc[r.indicator_id, "name_zh"] if r.indicator_id in cat.indicators.index else ""
        small = bool(is_small(r.focus_events, settings.min_events) or is_small(r.reference_events, settings.min_events))
        cells.setdefault(f"{r.indicator_id} {name}", {})[int(r.year)] = publish(
            r.difference, small, settings, _decimals(cat, r.indicator_id))
    table = pd.DataFrame.from_dict(cells, orient="index")
    table = table[sorted(table.columns)].fillna("")
    table.index.name = "指标"
    return table


def share_table(shares: pd.DataFrame, settings: GapSettings) -> pd.DataFrame:
    """The published table of shares of women: value, band, distances, projection."""
    if shares.empty:
        return pd.DataFrame({"说明": ["所选指标中没有“女性比例”类指标的数据"]})
    rows = []
    for r in shares.itertuples():
        band = (f"{r.band_low:g}～{r.band_high:g}%" if r.basis == "target" and r.band_high < 100 else
                f"≥{r.band_low:g}%" if r.basis == "target" and r.band_low > 0 else
                f"≤{r.band_high:g}%" if r.basis == "target" else f"均等 {r.band_low:.2f}～{r.band_high:.2f}%")
        rows.append({
            "指标": f"{r.indicator_id} {r.name_zh}", "规划目标": r.target, "衡量区间": band,
            "最新年份": r.latest_year, "最新值(%)": publish(r.latest, r.small, settings, 1),
            "位置": "—" if r.small and settings.small_numbers_action == "suppress" else
            (POSITION_LABELS if r.basis == "target" else PARITY_POSITION_LABELS)[r.position],
            "距目标区间(百分点)": _fmt(r.distance, 1, True) if r.basis == "target" else "—",
            "距均等50%(百分点)": _fmt(r.parity_distance, 1, True),
            "全国": f"{_fmt(r.national, 1)}（{int(r.national_year)}）" if pd.notna(r.national_year) else "—",
            f"{settings.horizon}年预测（80%区间）": (
                f"{_fmt(r.projection_2030, 1)}（{_fmt(r.lo80, 1)}～{_fmt(r.hi80, 1)}）"
                if np.isfinite(r.projection_2030) else "—"),
            f"P({settings.horizon}年在区间内)": _fmt(r.p_in_band, 2),
            "P(更接近均等)": _fmt(r.p_closer_to_parity, 2),
            "说明": r.note,
        })
    return pd.DataFrame(rows)


def narrow_target_table(targets: pd.DataFrame, settings: GapSettings | None = None) -> pd.DataFrame:
    """The "差距缩小" targets with their judgement, in Chinese; a level resting on fewer than
    ``min_events`` events is suppressed like any published value."""
    settings = settings or GapSettings()
    if targets.empty:
        return pd.DataFrame({"说明": ["所选指标中没有“差距缩小”类目标"]})
    return pd.DataFrame({
        "目标": targets["indicator_id"] + " " + targets["name_zh"],
        "差距类型": targets["gap"].map({"sex": "性别", "urban_rural": "城乡"}),
        "依据指标": targets["gap_of"].replace("", "（本指标）"),
        "基期差距(三年平均)": [publish(v, bool(sm), settings, 2) for v, sm in
                           zip(targets["gap_baseline"], targets["baseline_small"], strict=True)],
        "当前差距(三年平均)": [publish(v, bool(sm), settings, 2) for v, sm in
                           zip(targets["gap_now"], targets["now_small"], strict=True)],
        "2030年预测差距": targets["gap_2030"].map(lambda v: _fmt(v, 2, True)),
        "P(缩小)": targets["p_narrower"].map(lambda v: _fmt(v, 2)),
        "P(扩大)": targets["p_wider"].map(lambda v: _fmt(v, 2)),
        "判断": targets["status"].map(TARGET_LABELS),
        "说明": targets["reason"],
    })


def below_threshold_table(below: pd.DataFrame, cat: Catalog, indicator_id: str, settings: GapSettings) -> pd.DataFrame:
    """The towns that missed a per-town threshold, in Chinese (counts shown: coverage counts
    are large; a numerator under ``min_events`` would still be suppressed)."""
    if below.empty:
        return pd.DataFrame({"说明": ["没有低于目标的镇（街道）"]})
    unit = cat.entry(indicator_id)["unit"]
    d = _decimals(cat, indicator_id)
    return pd.DataFrame({
        "年份": below["year"], "镇（街道）": below["town"],
        f"数值({unit})": [publish(v, bool(is_small(e, settings.min_events)), settings, d)
                        for v, e in zip(below["value"], below["numerator"], strict=True)],
        "分子/分母": [f"{int(a)}/{int(b)}" if pd.notna(a) and pd.notna(b) else "—"
                  for a, b in zip(below["numerator"], below["denominator"], strict=True)],
        "目标": below["threshold"].map(lambda v: f"{v:g}"),
        "漏斗图判断（对照全区）": below["verdict"].map(lambda v: VERDICT_LABELS.get(v, "无计数，无法判断")),
        "若真实值恰为目标值，观测到这么低的概率": below["p_at_threshold"].map(
            lambda v: "—" if not np.isfinite(v) else "小于0.001" if v < 0.001 else f"{v:.3f}"),
    }).set_index(["年份", "镇（街道）"])


def funnel_table(points: pd.DataFrame, settings: GapSettings, unit: str) -> pd.DataFrame:
    """Every town of a funnel plot with its verdict, in Chinese."""
    if points.empty:
        return pd.DataFrame({"说明": ["没有可画入漏斗图的镇（街道）"]})
    hi_c = max(settings.funnel_coverage)
    return pd.DataFrame({
        "镇（街道）": points["town"], "分母": points["n"].astype(int),
        f"数值({unit})": [publish(v, s, settings, 1) for v, s in zip(points["rate"], points["small"], strict=True)],
        f"全区({unit})": points["theta"].round(1),
        f"{hi_c:.1%}控制限": [f"{lo:.1f}～{hi:.1f}" for lo, hi in
                            zip(points[f"lo_{hi_c:g}"], points[f"hi_{hi_c:g}"], strict=True)],
        "判断": points["verdict"].map(VERDICT_LABELS),
    }).sort_values("分母").set_index("镇（街道）")


# --- narrative (Chinese) ---------------------------------------------------------------------


def gap_headline(result: GapResult, scope: str = "district", lang: str = "zh") -> str:
    """Which gaps narrow and which widen, in a few sentences for the expert group (``lang="en"``:
    in English, the names from the default catalog)."""
    if lang == "en":
        return _gap_headline_en(result, scope)
    s = result.summary
    s = s[s["scope"] == scope] if len(s) else s
    kind = result.kind
    what = "性别" if kind == "sex" else "城乡"
    if s.empty:
        return f"{trend.area_label(scope)}没有可比较的{what}数据。"
    horizon = int(s["horizon"].iloc[0])
    parts = [f"{trend.area_label(scope)}有{what}对比数据的指标 {len(s)} 项。按模拟路径判断到{horizon}年："]
    for status in ("widening", "reversed", "narrowing", "stable", "parity", "insufficient_data"):
        sub = s[s["status"] == status]
        if sub.empty:
            continue
        names = "、".join(
            f"{r.indicator_id} {r.name_zh}（{_who(kind, r.disadvantaged_latest)}，P(缩小)={_fmt(r.p_narrower, 2)}，"
            f"P(扩大)={_fmt(r.p_wider, 2)}）"
            if status in ("widening", "reversed", "narrowing") else f"{r.indicator_id} {r.name_zh}"
            for r in sub.itertuples())
        parts.append(f"- **{STATUS_LABELS[status]}**（{len(sub)} 项）：{names}")
    return "\n".join(parts)


def _gap_headline_en(result: GapResult, scope: str) -> str:
    s = result.summary
    s = s[s["scope"] == scope] if len(s) else s
    kind = result.kind
    what = GROUPS_EN[kind]["what"]
    area = AREA_LABELS_EN.get(scope, scope)
    if s.empty:
        return f"{area}: no {what} data to compare."
    horizon = int(s["horizon"].iloc[0])
    parts = [f"{area}: {len(s)} indicators with {what} data to compare. Judged from the simulated paths to "
             f"{horizon}:"]
    for status in ("widening", "reversed", "narrowing", "stable", "parity", "insufficient_data"):
        sub = s[s["status"] == status]
        if sub.empty:
            continue
        names = "; ".join(
            f"{r.indicator_id} {_name_en(r.indicator_id, r.name_zh)} ({_who_en(kind, r.disadvantaged_latest)}, "
            f"P(narrower)={_fmt(r.p_narrower, 2)}, P(wider)={_fmt(r.p_wider, 2)})"
            if status in ("widening", "reversed", "narrowing")
            else f"{r.indicator_id} {_name_en(r.indicator_id, r.name_zh)}"
            for r in sub.itertuples())
        parts.append(f"- **{STATUS_LABELS_EN[status]}** ({len(sub)}): {names}")
    return "\n".join(parts)


def share_headline(shares: pd.DataFrame) -> str:
    """The shares of women in one paragraph: which are below, inside or above their band."""
    if shares.empty:
        return "所选指标中没有“女性比例”类指标的数据。"
    parts = []
    for basis, labels in (("target", POSITION_LABELS), ("parity", PARITY_POSITION_LABELS)):
        for pos in ("below", "within", "above"):
            sub = shares[(shares["basis"] == basis) & (shares["position"] == pos)]
            if len(sub):
                what = "" if basis == "target" else "（无数值目标，以男女均等为参照）"
                parts.append(f"{labels[pos]}{what}的 {len(sub)} 项：" + "、".join(
                    f"{r.indicator_id} {r.name_zh}（{r.latest:.1f}%）" for r in sub.itertuples()))
    return "；".join(parts) + "。"


def below_headline(below: pd.DataFrame, indicator_id: str, cat: Catalog) -> str:
    """The towns below a per-town threshold in one sentence."""
    entry = cat.entry(indicator_id)
    if below.empty:
        return f"{indicator_id} {entry['name_zh']}：各年各镇（街道）均达到“{target_text(entry)}”。"
    items = "；".join(f"{int(y)}年 {'、'.join(g['town'])}" for y, g in below.groupby("year"))
    return f"{indicator_id} {entry['name_zh']}未达到“{target_text(entry)}”的镇（街道）：{items}。"


# --- charts ----------------------------------------------------------------------------------


def _label(r: Any) -> str:
    """An indicator's id and Chinese name, as chart rows show it."""
    return f"{r.indicator_id} {r.name_zh}"


def _no_data(ax: Any) -> None:
    """Turn an empty panel into a plain "no data" message."""
    ax.set_visible(True)
    ax.axis("off")
    ax.text(0.5, 0.5, "所选指标没有可比较的数据", ha="center", va="center", transform=ax.transAxes)


def _legend_below(ax: Any, handles: list, fig_height: float, ncol: int = 3) -> None:
    """A legend centred under the axes, clear of the x-axis label."""
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.9 / fig_height - 0.02), ncol=ncol,
              fontsize=8, frameon=False)


def parity_overview_chart(result: GapResult, scope: str = "district", *, title: str | None = None,
                          settings: GapSettings | None = None):
    """Dot-and-arrow chart of the oriented parity index of every indicator: the baseline level
    (hollow), the latest level (filled) and an arrow to the 2030 projection (diamond, with its
    80 % interval), coloured by status; the parity band shaded. Left of 1 the focus group
    (women and girls; rural) is worse off, right of 1 the reference group. Levels resting on
    fewer than ``min_events`` events are not drawn (the row says so); the projection still is."""
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    settings = settings or GapSettings()
    s = result.summary
    s = s[s["scope"] == scope].copy() if len(s) else s
    fig_h = 0.42 * max(len(s), 3) + 1.9
    fig, ax = plt.subplots(figsize=(11.5, fig_h))
    lo, hi = settings.parity_band
    ax.axvspan(lo, hi, color="#DDDDDD", alpha=0.6, lw=0)
    ax.axvline(1.0, color="#888888", lw=0.8)
    if s.empty:
        ax.text(0.5, 0.5, "没有可比较的数据", ha="center", va="center", transform=ax.transAxes)
        return fig
    order = {k: i for i, k in enumerate(("widening", "reversed", "stable", "narrowing", "parity", "insufficient_data"))}
    s["_o"] = s["status"].map(order)
    s = s.sort_values(["_o", "indicator_id"], key=lambda c: c.map(plan_order) if c.name == "indicator_id" else c)
    ys = np.arange(len(s))[::-1]
    labels = []
    for yv, r in zip(ys, s.itertuples(), strict=True):
        color = STATUS_COLORS[r.status]
        shown = not (r.latest_small and settings.small_numbers_action == "suppress")
        if shown and np.isfinite(r.baseline_oriented) and not r.baseline_small:
            ax.plot(r.baseline_oriented, yv, "o", mfc="white", mec="#555555", ms=7, zorder=3)
        if shown:
            ax.plot(r.latest_oriented, yv, "o", color="#333333", ms=7, zorder=4)
        if np.isfinite(r.oriented_2030):
            ax.plot([r.oriented_lo80, r.oriented_hi80], [yv, yv], color=color, lw=2.2, alpha=0.45, zorder=2)
            if shown:
                ax.annotate("", xy=(r.oriented_2030, yv), xytext=(r.latest_oriented, yv),
                            arrowprops={"arrowstyle": "-|>", "color": color, "lw": 1.6, "shrinkA": 4, "shrinkB": 4},
                            zorder=3)
            ax.plot(r.oriented_2030, yv, "D", color=color, ms=7, zorder=5)
        labels.append(_label(r) + ("（人数）" if r.unit in ("人", "名") else "")
                      + ("" if shown else f"（近三年少于{settings.min_events}例，只画预测）"))
        d = 0 if r.unit in ("人", "名") else 2 if r.unit in ("‰",) else 1
        now = _fmt(r.latest_gap, d, True) if shown else "—"
        emphasis = r.status in ("widening", "reversed", "narrowing")
        ax.text(1.01, yv, f"{now} → {_fmt(r.gap_2030, d, True)} {_diff_unit(r.unit)}",
                transform=ax.get_yaxis_transform(), va="center", fontsize=8, color=color if emphasis else "#444444")
    ax.set_yticks(ys, labels, fontsize=9)
    vals = np.concatenate([s[c].to_numpy(float) for c in ("baseline_oriented", "latest_oriented", "oriented_lo80",
                                                          "oriented_hi80")])
    vals = vals[np.isfinite(vals)]
    if vals.size:
        ax.set_xlim(min(0.75, vals.min() - 0.05), max(1.25, vals.max() + 0.05))
    ax.set_ylim(-0.8, len(s) - 0.2)
    fw, rw = GROUPS[result.kind]["who"]
    ax.set_xlabel(f"{GROUPS[result.kind]['index']}（按“越高越好”方向调整）   ← {fw}处于不利   |   {rw}处于不利 →")
    base_label = f"基期（{settings.baseline_year - settings.window_years + 1}–{settings.baseline_year}年平均）"
    handles = [Line2D([], [], marker="o", ls="", mfc="white", mec="#555555", label=base_label),
               Line2D([], [], marker="o", ls="", color="#333333", label="近三年平均"),
               *[Line2D([], [], marker="D", ls="", color=STATUS_COLORS[k],
                        label=f"{settings.horizon}年预测：{STATUS_LABELS[k]}")
                 for k in ("narrowing", "stable", "widening", "reversed", "parity") if (s["status"] == k).any()]]
    _legend_below(ax, handles, fig_h)
    what = "性别" if result.kind == "sex" else "城乡"
    ax.set_title(title or f"{trend.area_label(scope)}{what}差距：基期、近期与{settings.horizon}年预测"
                          f"（灰带为均等范围 {lo:g}–{hi:g}；线段为80%预测区间）", fontsize=11)
    fl, rl = GROUPS[result.kind]["labels"]
    ax.text(1.01, 1.0, f"差值（{fl}−{rl}）：\n近三年 → {settings.horizon}年", transform=ax.transAxes, va="bottom",
            fontsize=8, color="#444444")
    ax.grid(axis="y", visible=False)
    fig.tight_layout()
    return fig


def rolling_gap(rows: pd.DataFrame, window: int, min_events: int) -> pd.DataFrame:
    """The gap of one pair over a moving window of ``window`` years ending in each year (pooled
    by the denominators where counts exist), and whether it rests on fewer than ``min_events``
    events. For series of small counts the moving level is what can be published."""
    out = []
    rows = rows.sort_values("year")
    for y in rows["year"]:
        w = rows[(rows["year"] <= y) & (rows["year"] > y - window)]
        if w["year"].nunique() < min(window, 2):
            continue
        f, r = window_level(w["focus"], w["focus_den"]), window_level(w["reference"], w["reference_den"])
        events = [w[c].sum() if w[c].notna().all() else np.nan for c in ("focus_events", "reference_events")]
        out.append({"year": int(y), "gap": f - r, "small": bool(is_small(events, min_events).any())})
    return pd.DataFrame(out, columns=["year", "gap", "small"])


def gap_trend_chart(result: GapResult, cat: Catalog, scope: str = "district", *, settings: GapSettings | None = None,
                    ncols: int = 4):
    """Small multiples: each indicator's gap (focus − reference) by year — single years as dots,
    the three-year moving level as a line — with the projected gap to 2030 as a fan (80 % and
    95 %), the zero line, and the status with P(narrower) in the title. Years resting on fewer
    than ``min_events`` events are left out (or hollow when the action is 'mark'); the y-axis
    follows the data and the 80 % band (a 95 % band far wider is cut at the edge)."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    settings = settings or GapSettings()
    series = result.series[result.series["scope"] == scope]
    summary = result.summary[result.summary["scope"] == scope] if len(result.summary) else result.summary
    ids = list(dict.fromkeys(series["indicator_id"]))
    n = max(len(ids), 1)
    ncols = min(ncols, n)
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.7 * ncols, 3.0 * nrows + 0.6), squeeze=False)
    fl, rl = GROUPS[result.kind]["labels"]
    first = int(series["year"].min()) if len(series) else settings.baseline_year
    for ax, ind in zip(axes.ravel(), ids, strict=False):
        g = series[series["indicator_id"] == ind].sort_values("year")
        row = summary[summary["indicator_id"] == ind].iloc[0]
        color = STATUS_COLORS[row["status"]]
        proj = result.projection
        proj = proj[(proj["indicator_id"] == ind) & (proj["scope"] == scope)].sort_values("year") if len(proj) else proj
        if len(proj):
            ax.fill_between(proj["year"], proj["lo95"], proj["hi95"], color=color, alpha=0.15, lw=0)
            ax.fill_between(proj["year"], proj["lo80"], proj["hi80"], color=color, alpha=0.3, lw=0)
            ax.plot(proj["year"], proj["median"], color=color, lw=1.5)
        small = is_small(g["focus_events"], settings.min_events) | is_small(g["reference_events"], settings.min_events)
        shown = g[~small]
        ax.plot(shown["year"], shown["difference"], "o", color="#333333", ms=3.5, zorder=3)
        if small.any() and settings.small_numbers_action == "mark":
            ax.plot(g["year"][small], g["difference"][small], "o", mfc="white", mec="#333333", ms=3.5, zorder=3)
        moving = rolling_gap(g, settings.window_years, settings.min_events)
        moving.loc[moving["small"], "gap"] = np.nan  # a gap in the line, not a bridge over it
        moving = moving.set_index("year")["gap"]
        if len(moving):
            moving = moving.reindex(range(int(moving.index.min()), int(moving.index.max()) + 1))
        ax.plot(moving.index, moving.to_numpy(), color="#333333", lw=1.4)
        ax.axhline(0, color="#888888", lw=0.8)
        visible = np.concatenate([shown["difference"].to_numpy(float), moving.to_numpy(float),
                                  proj["lo80"].to_numpy(float) if len(proj) else [],
                                  proj["hi80"].to_numpy(float) if len(proj) else [], [0.0]])
        visible = visible[np.isfinite(visible)]
        pad = 0.12 * max(np.ptp(visible), 1e-9)
        ax.set_ylim(visible.min() - pad, visible.max() + pad)
        ax.set_xlim(first - 0.5, settings.horizon + 0.5)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=4))
        ax.set_title(f"{ind} {row['name_zh']}\n{STATUS_LABELS[row['status']]}  P(缩小)={_fmt(row['p_narrower'], 2)}"
                     f"  P(扩大)={_fmt(row['p_wider'], 2)}",
                     fontsize=9, color=color if row["status"] in ("widening", "reversed", "narrowing") else "#222222")
        ax.set_ylabel(f"{fl}−{rl}（{_diff_unit(row['unit'])}）", fontsize=8)
        ax.tick_params(labelsize=8)
        if shown.empty:
            ax.text(0.03, 0.04, f"各年均少于{settings.min_events}例，单年值不公布", transform=ax.transAxes, fontsize=7,
                    color="#555555")
    for ax in axes.ravel()[len(ids):]:
        ax.set_visible(False)
    if not ids:
        _no_data(axes[0][0])
    fig.suptitle(f"{trend.area_label(scope)}{fl}{rl}差值（{fl}−{rl}）：点为单年值，黑线为三年移动平均，"
                 f"彩色带为{settings.horizon}年前的80%和95%预测区间（少于{settings.min_events}例的单年值不画）",
                 fontsize=10.5)
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    return fig


def pair_values_chart(observations: pd.DataFrame, cat: Catalog, ids: Sequence[str], *,
                      settings: GapSettings | None = None, ncols: int = 3):
    """Rural and urban values by year, one panel per indicator: the district's (solid) and the
    national comparator's (dashed) where reported. District values resting on fewer than
    ``min_events`` events are left out (hollow when the action is 'mark')."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    settings = settings or GapSettings()
    ids = list(ids)
    n = max(len(ids), 1)
    ncols = min(ncols, n)
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.3 * ncols, 3.3 * nrows + 0.5), squeeze=False)
    styles = {"rural": ("#E76F51", "-", "o"), "urban": ("#264653", "-", "o"),
              "national_rural": ("#E76F51", "--", "s"), "national_urban": ("#264653", "--", "s")}
    for ax, ind in zip(axes.ravel(), ids, strict=False):
        hidden = 0
        for area, (color, ls, marker) in styles.items():
            g = observations[(observations["indicator_id"] == ind) & (observations["area"] == area)
                             & (observations["sex"] == "total")].sort_values("year")
            if g.empty:
                continue
            small = is_small(g["numerator"], settings.min_events)
            hidden += int(small.sum())
            # a suppressed year is a gap in the line, never bridged (a year not reported is)
            values = g["value"].where(~small) if settings.small_numbers_action == "suppress" else g["value"]
            if values.notna().any():
                ax.plot(g["year"], values, ls=ls, marker=marker, ms=3.5, color=color, lw=1.3,
                        label=trend.area_label(area))
            if settings.small_numbers_action == "mark" and small.any():
                ax.plot(g["year"][small], g["value"][small], marker, mfc="white", mec=color, ms=4.5)
        entry = cat.indicators.loc[ind] if ind in cat.indicators.index else None
        unit = entry["unit"] if entry is not None else ""
        note = (f"\n（{hidden} 个区级数值少于{settings.min_events}例，未画出）"
                if hidden and settings.small_numbers_action == "suppress" else "")
        ax.set_title(f"{ind} {entry['name_zh'] if entry is not None else ''}（{unit}）{note}", fontsize=9)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=5))
        ax.tick_params(labelsize=8)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
    for ax in axes.ravel()[len(ids):]:
        ax.set_visible(False)
    if not ids:
        _no_data(axes[0][0])
    fig.suptitle("城镇与农村的数值（实线：偃师区；虚线：全国）", fontsize=11)
    fig.tight_layout(rect=(0, 0, 1, 0.96))
    return fig


def share_chart(shares: pd.DataFrame, *, settings: GapSettings | None = None):
    """Shares of women: the target band (shaded; grey: parity for shares without a numeric
    target), the baseline level (hollow), the latest (filled) and the 2030 projection (diamond,
    80 % interval), one row per indicator. A target row's diamond is green when the share is
    more likely than not inside its band in 2030, red otherwise; a row without a numeric target
    is blue when it is likely (P ≥ ``narrowing_threshold``) to be closer to parity, grey if not."""
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    settings = settings or GapSettings()
    fig_h = 0.5 * max(len(shares), 3) + 2.1
    fig, ax = plt.subplots(figsize=(10, fig_h))
    if shares.empty:
        ax.text(0.5, 0.5, "没有数据", ha="center", va="center", transform=ax.transAxes)
        return fig
    ys = np.arange(len(shares))[::-1]
    ax.axvline(settings.share_parity, color="#888888", lw=1, ls="--")
    for yv, r in zip(ys, shares.itertuples(), strict=True):
        ax.add_patch(plt.Rectangle((r.band_low, yv - 0.3), min(r.band_high, 100) - r.band_low, 0.6,
                                   color="#A8DADC" if r.basis == "target" else "#DDDDDD", alpha=0.7, lw=0))
        if np.isfinite(r.baseline_level):
            ax.plot(r.baseline_level, yv, "o", mfc="white", mec="#555555", ms=7, zorder=3)
        ax.plot(r.latest_level, yv, "o", color="#333333", ms=7, zorder=4)
        if np.isfinite(r.projection_2030):
            if r.basis == "target":
                color = "#2A9D8F" if r.p_in_band >= 0.5 else "#D62828"
            else:
                color = "#457B9D" if r.p_closer_to_parity >= settings.narrowing_threshold else "#8D99AE"
            ax.plot([r.lo80, r.hi80], [yv, yv], color=color, lw=2.2, alpha=0.45)
            ax.annotate("", xy=(r.projection_2030, yv), xytext=(r.latest_level, yv),
                        arrowprops={"arrowstyle": "-|>", "color": color, "lw": 1.5, "shrinkA": 4, "shrinkB": 4})
            ax.plot(r.projection_2030, yv, "D", color=color, ms=7, zorder=5)
    ax.set_yticks(ys, [f"{r.indicator_id} {r.name_zh}" for r in shares.itertuples()], fontsize=9)
    lows = np.concatenate([shares[c].to_numpy(float) for c in ("latest_level", "lo80", "band_low", "baseline_level")])
    ax.set_xlim(max(0, np.nanmin(lows) - 5), 60)
    ax.set_ylim(-0.8, len(shares) - 0.2)
    ax.set_xlabel("女性所占比例（%）；虚线：男女各半（50%）")
    handles = [plt.Rectangle((0, 0), 1, 1, color="#A8DADC", label="规划目标区间"),
               plt.Rectangle((0, 0), 1, 1, color="#DDDDDD", label="无数值目标：均等区间"),
               Line2D([], [], marker="o", ls="", mfc="white", mec="#555555", label="基期（三年平均）"),
               Line2D([], [], marker="o", ls="", color="#333333", label="近三年平均"),
               Line2D([], [], marker="D", ls="", color="#2A9D8F", label=f"{settings.horizon}年多半在目标区间内"),
               Line2D([], [], marker="D", ls="", color="#D62828", label=f"{settings.horizon}年多半不在目标区间内"),
               Line2D([], [], marker="D", ls="", color="#457B9D", label="无数值目标：很可能更接近均等"),
               Line2D([], [], marker="D", ls="", color="#8D99AE", label="无数值目标：变化不明")]
    _legend_below(ax, handles, fig_h, ncol=4)
    ax.set_title("女性比例类指标：与规划目标区间和男女均等的距离（线段为80%预测区间）", fontsize=11)
    ax.grid(axis="y", visible=False)
    fig.tight_layout()
    return fig


def town_heatmap(observations: pd.DataFrame, cat: Catalog, indicator_id: str, settings: GapSettings,
                 units: pd.DataFrame | None = None):
    """Heat map of towns × years, the district on top: colours diverge around the target (red =
    the worse side), the value in each cell, framed where a per-town target (keep above /
    below) was missed; years after a town left the district are grey and say "已划出"; missing values
    "—"; values on fewer than ``min_events`` events hidden."""
    import matplotlib.pyplot as plt
    from matplotlib import colors

    units = town_units() if units is None else units
    entry = cat.entry(indicator_id)
    vals = town_values(observations, indicator_id, units)
    dist = observations[(observations["indicator_id"] == indicator_id) & (observations["area"] == "district")
                        & (observations["sex"] == "total")]
    years = sorted(vals["year"].unique())
    rows = ["偃师区（全区）", *units["town"]]
    grid = np.full((len(rows), len(years)), np.nan)
    text = np.full(grid.shape, "", dtype=object)
    special = np.full(grid.shape, "", dtype=object)
    d = 1 if entry["unit"] == "%" else 2
    for j, y in enumerate(years):
        hit = dist[dist["year"] == y]
        if len(hit):
            grid[0, j] = hit.iloc[0]["value"]
            text[0, j] = f"{grid[0, j]:.{d}f}"
    for r in vals.itertuples():
        i, j = rows.index(r.town), years.index(r.year)
        if r.membership in MEMBERSHIP_LABELS:
            special[i, j], text[i, j] = "left", MEMBERSHIP_LABELS[r.membership]
        elif pd.isna(r.value):
            special[i, j], text[i, j] = "missing", "—"
        elif is_small(r.numerator, settings.min_events) and settings.small_numbers_action == "suppress":
            special[i, j], text[i, j] = "small", f"不足{settings.min_events}例"
        else:
            grid[i, j], text[i, j] = r.value, f"{r.value:.{d}f}"
    finite = grid[np.isfinite(grid)]
    center = float(entry["value"]) if pd.notna(entry["value"]) else float(np.median(finite))
    span = max(center - float(finite.min()), float(finite.max()) - center, 1e-6)
    norm = colors.TwoSlopeNorm(vcenter=center, vmin=center - span, vmax=center + span)
    cmap = plt.get_cmap("RdYlBu" if entry["better"] != "lower" else "RdYlBu_r")
    rgba = cmap(norm(np.where(np.isfinite(grid), grid, center)))
    for code, color in (("left", "#CFCFCF"), ("small", "#E8E8E8"), ("missing", "#FFFFFF")):
        rgba[special == code] = colors.to_rgba(color)
    missed = np.zeros(grid.shape, dtype=bool)
    if entry["kind"] in ("keep_above", "keep_below"):
        missed = np.isfinite(grid) & ~targets.meets(grid, entry["kind"], center)
    fig, ax = plt.subplots(figsize=(1.6 + 0.72 * len(years), 0.36 * len(rows) + 1.7))
    ax.imshow(rgba, aspect="auto", interpolation="nearest")
    for i in range(len(rows)):
        for j in range(len(years)):
            lum = 0.299 * rgba[i, j, 0] + 0.587 * rgba[i, j, 1] + 0.114 * rgba[i, j, 2]
            ax.text(j, i, text[i, j], ha="center", va="center", fontsize=7.5,
                    color="#555555" if special[i, j] else ("white" if lum < 0.45 else "#111111"))
            if missed[i, j]:
                ax.add_patch(plt.Rectangle((j - 0.47, i - 0.45), 0.94, 0.9, fill=False, ec="black", lw=1.6))
    ax.axhline(0.5, color="#333333", lw=1.5)
    ax.set_xticks(range(len(years)), [str(y) for y in years], fontsize=8)
    names = town_labels(units)
    ax.set_yticks(range(len(rows)), [rows[0]] + [names[t] for t in rows[1:]], fontsize=8.5)
    types = dict(zip(units["town"], units["type"], strict=True))
    for tick, t in zip(ax.get_yticklabels()[1:], rows[1:], strict=True):
        if types.get(t) == "街道":
            tick.set_color("#264653")
    ax.set_xticks(np.arange(-0.5, len(years)), minor=True)
    ax.set_yticks(np.arange(-0.5, len(rows)), minor=True)
    ax.grid(which="minor", color="white", lw=1)
    ax.grid(which="major", visible=False)
    ax.tick_params(which="minor", length=0)
    bar = fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax, fraction=0.04, pad=0.02)
    bar.ax.axhline(center, color="black", lw=1.2)
    centre_name = "目标" if pd.notna(entry["value"]) else "中位数"
    bar.set_label(f"{entry['unit'] or ''}（黑线：{centre_name} {center:g}）", fontsize=8)
    bar.ax.tick_params(labelsize=7)
    ax.set_title(f"{indicator_id} {entry['name_zh']}：各镇（街道）逐年数值（目标：{target_text(entry)}）\n"
                 "红色偏向不利一侧，黑框为未达到逐年目标；灰色“已划出”表示该年已不属本区", fontsize=10)
    fig.tight_layout()
    return fig


def funnel_chart(observations: pd.DataFrame, cat: Catalog, indicator_id: str, years: Sequence[int],
                 settings: GapSettings, units: pd.DataFrame | None = None):
    """Funnel plots of the towns against the district rate, one panel per year: each town's rate
    against its denominator, the district line and the control limits (95 % and 99.8 % by
    default) for a town of that size; the target as a dotted line; the overdispersion ratio φ in
    the panel title. Only towns outside a limit — or, for a target judged every year, below it —
    are named, so that a small town inside its limits is not singled out."""
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    units = town_units() if units is None else units
    entry = cat.entry(indicator_id)
    years = list(years)
    k = max(len(years), 1)
    fig, axes = plt.subplots(1, k, figsize=(max(5.2 * k, 8.5), 4.8), squeeze=False)
    per = _per(entry["unit"]) or 1.0
    palette = {"within": "#457B9D", "low_warning": "#F4A261", "low_alarm": "#D62828", "high_warning": "#F4A261",
               "high_alarm": "#D62828"}
    target = float(entry["value"]) if pd.notna(entry["value"]) else None
    yearly = entry["kind"] in ("keep_above", "keep_below")
    coverages = sorted(settings.funnel_coverage)
    styles = ["--", "-", ":"]
    for ax, year in zip(axes[0], years, strict=True):
        pts = funnel_points(observations, cat, indicator_id, year, settings, units)
        if pts.empty:
            ax.text(0.5, 0.5, f"{year}年没有可画的计数", ha="center", va="center", transform=ax.transAxes)
            continue
        theta = float(pts["theta"].iloc[0]) / per
        grid = np.arange(max(1, int(pts["n"].min() * 0.8)), int(pts["n"].max() * 1.1) + 1)
        lows = []
        for c, ls in zip(coverages, styles, strict=False):
            lo, hi = funnel_limits(theta, grid, c, settings.funnel_method)
            ax.plot(grid, lo * per, color="#666666", ls=ls, lw=1)
            ax.plot(grid, hi * per, color="#666666", ls=ls, lw=1)
            lows.append(float(lo.min() * per))
        ax.axhline(theta * per, color="#264653", lw=1.2)
        if target is not None:
            ax.axhline(target, color="#C44E52", ls=":", lw=1.5)
        ax.scatter(pts["n"], pts["rate"], c=[palette[v] for v in pts["verdict"]], s=38, zorder=3, edgecolor="white")
        flagged = np.array(pts["verdict"] != "within", dtype=bool)
        if yearly and target is not None:
            flagged |= (pts["rate"] < target).to_numpy() if entry["kind"] == "keep_above" else \
                (pts["rate"] >= target).to_numpy()
        for r in pts[flagged].itertuples():
            ax.annotate(r.town, (r.n, r.rate), xytext=(5, -3), textcoords="offset points", fontsize=8.5)
        low = min([float(pts["rate"].min()), *lows] + ([target] if target is not None else []))
        top = float(max(pts["rate"].max(), np.max(funnel_limits(theta, grid, coverages[-1], settings.funnel_method)[1])
                        * per))
        pad = 0.04 * (top - low)
        ax.set_ylim(low - pad, (min(top, per) if per else top) + pad)
        ax.set_xlabel("分母（人数）：越往右镇越大，控制限越窄")
        ax.set_ylabel(entry["unit"] or "")
        phi = dispersion_ratio(pts["z"], settings.funnel_winsorize)
        ax.set_title(f"{year}年（全区 {theta * per:.1f}{entry['unit'] or ''}；离散度 φ={phi:.2f}）", fontsize=10)
    handles = [Line2D([], [], color="#666666", ls=ls, label=f"{c * 100:g}%控制限")
               for c, ls in zip(coverages, styles, strict=False)]
    handles += [Line2D([], [], color="#264653", label="全区"),
                *([Line2D([], [], color="#C44E52", ls=":", label=f"目标 {target:g}")] if target is not None else []),
                *[Line2D([], [], marker="o", ls="", color=c, label=lab) for c, lab in
                  (("#457B9D", "在控制限内"), ("#F4A261", "超出95%控制限"), ("#D62828", "超出99.8%控制限"))]]
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=8, frameon=False)
    fig.suptitle(f"{indicator_id} {entry['name_zh']}：各镇（街道）对照全区的漏斗图\n"
                 "控制限按各镇的人数计算：落在限内的差异可由随机波动解释", fontsize=10.5)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    return fig


# --- the town panel of the notebook ----------------------------------------------------------


def funnel_years(observations: pd.DataFrame, indicator_id: str, below: pd.DataFrame, units: pd.DataFrame
                 ) -> list[int]:
    """The years a funnel plot is drawn for: every year a town missed a per-town target, and the
    latest year with town counts."""
    obs = observations[(observations["indicator_id"] == indicator_id) & observations["area"].isin(list(units["town"]))
                       & observations["denominator"].notna()]
    years = set(below["year"]) if len(below) else set()
    if len(obs):
        years.add(int(obs["year"].max()))
    return sorted(int(y) for y in years)


def town_panel(inputs: Inputs, cat: Catalog, indicator_id: str, settings: GapSettings,
               units: pd.DataFrame | None = None) -> list[Any]:
    """Everything the notebook shows for one indicator reported by town, in order: heading, the
    table, the heat map with its caption, the towns below a per-town target, and the funnel plot
    with its caption and table — or the plain reason why no funnel plot can be drawn. The
    caller displays each item (Markdown, tables, figures) and closes the figures."""
    from IPython.display import Markdown

    units = town_units() if units is None else units
    entry = cat.entry(indicator_id)
    obs = inputs.observations
    former = [f"{r.town}（{int(r.last_year) + 1}年起已划出本区）" for r in units.itertuples()
              if r.last_year is not None and pd.notna(r.last_year)]
    items: list[Any] = [Markdown(f"### {indicator_id} {entry['name_zh']}（{entry['unit'] or ''}）\n\n"
                                 f"规划目标：{target_text(entry)}。")]
    items.append(town_table(obs, cat, indicator_id, settings, units))
    items.append(Markdown(small_numbers_note(settings) + (f"“已划出”表示该年已不属本区：{'、'.join(former)}；"
                                                          "此后的全区合计也不含它。" if former else "")))
    items.append(town_heatmap(obs, cat, indicator_id, settings, units))
    items.append(Markdown(
        "**怎么读这张热图**：每一行是一个镇（街道），每一列是一年，格子里是当年数值；颜色以规划目标为中点，"
        "越红越偏向不利一侧，越蓝越好（“越低越好”的指标反过来）。最上一行是全区，供对照；街道名称为深色。"
        "灰色“已划出”的格子表示该镇那一年已不属于本区，不是缺报；“—”才是缺报。"))
    below = towns_below_threshold(obs, cat, indicator_id, settings, units)
    yearly = entry["kind"] in ("keep_above", "keep_below") and "town" in (entry["breakdowns"] or [])
    if yearly:
        items.append(Markdown(below_headline(below, indicator_id, cat)))
        items.append(below_threshold_table(below, cat, indicator_id, settings))
    possible, reason = funnel_possible(obs, indicator_id, units)
    if not possible:
        items.append(Markdown(f"**漏斗图无法绘制**：{reason}。"))
        return items
    years = funnel_years(obs, indicator_id, below if yearly else pd.DataFrame(), units)
    items.append(funnel_chart(obs, cat, indicator_id, years, settings, units))
    hi_c = max(settings.funnel_coverage)
    items.append(Markdown(
        "**怎么读漏斗图**：横轴是各镇的分母（人数），纵轴是数值；横线是全区水平，两组曲线是“如果该镇与全区其实一样，"
        f"仅因人数有限而随机波动”时的{min(settings.funnel_coverage):.0%}和{hi_c:.1%}范围。人数越少，随机波动越大，"
        f"漏斗越宽。落在漏斗内的镇，与全区的差别可以用随机波动解释，不应单独点名；落在{hi_c:.1%}控制限以外的镇，"
        "差别很难用偶然解释，值得核实原因。离散度 φ 明显大于 1 时，各镇之间的差异本身就大于抽样波动，"
        "控制限偏窄，判断应更谨慎。只标出超出控制限或未达到逐年目标的镇。"))
    latest = years[-1]
    items.append(Markdown(f"{latest}年各镇（街道）对照全区："))
    items.append(funnel_table(funnel_points(obs, cat, indicator_id, latest, settings, units), settings,
                              entry["unit"] or ""))
    return items
