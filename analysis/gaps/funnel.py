"""Towns against the district: funnel-plot control limits (Spiegelhalter 2005) and the towns below
a per-town threshold.

References
----------
.. [1] Spiegelhalter, D. J. (2005). Funnel plots for comparing institutional performance.
   Statistics in Medicine 24(8), 1185–1202.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from analysis import kinds
from analysis.catalog import Catalog
from analysis.gaps.measures import is_small
from analysis.gaps.settings import GapSettings
from analysis.gaps.towns import _per, town_units, town_values
from analysis.scorecard.probability import meets

log = logging.getLogger(__name__)


def towns_below_threshold(observations: pd.DataFrame, cat: Catalog, indicator_id: str, settings: GapSettings,
                          units: pd.DataFrame | None = None) -> pd.DataFrame:
    """For a target judged per town every year (kind keep_above / keep_below with breakdown
    ``town``): each town and year that missed it, with the funnel verdict against the district
    that year and the exact binomial probability of a value this far off if the town's true
    rate were at the threshold (a small town below 90 % may be noise its size explains)."""
    units = town_units() if units is None else units
    entry = cat.entry(indicator_id)
    spec = kinds.get(entry["kind"])
    if not spec.keep or "town" not in (entry["breakdowns"] or []):
        return pd.DataFrame()
    vals = town_values(observations, indicator_id, units)
    vals = vals[(vals["membership"] == "member") & vals["value"].notna()]
    threshold = float(entry["value"])
    missed = vals[~meets(vals["value"].to_numpy(), entry["kind"], threshold)]
    per = _per(entry["unit"])
    rows = []
    for r in missed.sort_values(["year", "value"]).itertuples():
        verdict, p_chance = "", np.nan
        if per and pd.notna(r.numerator) and pd.notna(r.denominator) and r.denominator > 0:
            pts = funnel_points(observations, cat, indicator_id, int(r.year), settings, units)
            hit = pts[pts["town"] == r.town] if len(pts) else pts
            verdict = hit.iloc[0]["verdict"] if len(hit) else ""
            n, y, p0 = int(r.denominator), int(round(r.numerator)), threshold / per
            tail = stats.binom.cdf(y, n, p0) if spec.side > 0 else stats.binom.sf(y - 1, n, p0)
            p_chance = float(tail)
        rows.append({"year": int(r.year), "town": r.town, "value": r.value, "numerator": r.numerator,
                     "denominator": r.denominator, "threshold": threshold, "verdict": verdict,
                     "p_at_threshold": p_chance})
    return pd.DataFrame(rows, columns=["year", "town", "value", "numerator", "denominator", "threshold", "verdict",
                                       "p_at_threshold"])


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
