"""The gap measures on plain arrays: difference, ratio, the (adjusted, oriented) parity index, window
levels, and the probabilities that a projected gap narrows or widens.

References
----------
.. [1] UNESCO Institute for Statistics, SDG 4.5.1 metadata (adjusted parity index).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from analysis.gaps.settings import SUMMARY_QUANTILES, GapSettings

log = logging.getLogger(__name__)


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


def _finite(gap_paths: Any) -> np.ndarray:
    """The finite values of simulated gaps, flattened (a clipped or failed draw is NaN)."""
    g = np.asarray(gap_paths, dtype=float).ravel()
    return g[np.isfinite(g)]


def narrowing_probability(gap_paths: Any, reference_gap: float) -> float:
    """P(|gap| < |reference gap|) over simulated gaps: the chance the gap will be smaller in size
    than it is now, whichever side it ends on. NaN without paths or a reference.

    References
    ----------
    .. [1] UNESCO Institute for Statistics (2019). SDG 4.5.1 metadata (parity indices and their
       change).
    """
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


def is_small(events: Any, min_events: int) -> np.ndarray:
    """True where a value rests on fewer than ``min_events`` events (its numerator). A value
    without a count cannot be judged and is not marked (docs/gaps.md says so)."""
    e = np.asarray(events, dtype=float)
    return np.where(np.isnan(e), False, e < min_events)
