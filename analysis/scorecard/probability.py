"""Probabilities from simulated paths: which side of the line meets a target, P(met), direction
probabilities, the year a target is reached, and the status words they map to (IPCC likelihood
language).

References
----------
.. [1] Mastrandrea, M. D. et al. (2010). Guidance note for lead authors of the IPCC Fifth
   Assessment Report on consistent treatment of uncertainties.
"""

from __future__ import annotations

import logging
import math

import numpy as np

from analysis import kinds
from analysis.kinds import KEEP_KINDS

log = logging.getLogger(__name__)


def side(kind: str) -> int:
    """Which side of the target value meets it (the kind's own answer, :mod:`analysis.kinds`): +1
    from above (above, keep_above), -1 from below (below, at_most, keep_below), 0 for a band (about)."""
    spec = kinds.get(kind)
    if spec.side is None:
        raise ValueError(f"kind {kind!r} has no target value")
    return spec.side


def meets(values, kind: str, target: float, tolerance: float = 0.0, slack: float = 0.0) -> np.ndarray:
    """Whether each value meets the target: the kind's single definition of "met"
    (:meth:`analysis.kinds.base.Kind.meets`; 以上、以下、以内 include the number itself; ``slack``,
    the 基本实现 tolerance, moves the line in the indicator's favour; NaN never meets)."""
    return kinds.get(kind).meets(values, target, tolerance, slack)


def met_on_paths(values: np.ndarray, years: np.ndarray, kind: str, target: float, target_year: int,
                 tolerance: float = 0.0, slack: float = 0.0, check_years=None, met_now: bool = True) -> np.ndarray:
    """Per simulated path (rows of ``values``, columns ``years``): is the target met?

    Point kinds (below, at_most, above, about): in ``target_year``. Keep kinds (保持在): met in
    the latest observed year (``met_now``), the path must stay on the right side in every year up
    to ``target_year``; not yet met (达到并保持), it must reach the target by then and stay on the
    right side from the first year it does. Only ``check_years`` are looked at when given (the
    calibration benchmark checks the years that have a published value). A path that does not
    reach the target year cannot be judged: ValueError.
    """
    values, years = np.atleast_2d(np.asarray(values, dtype=float)), np.asarray(years)
    ok = meets(values, kind, target, tolerance, slack)
    if kind in KEEP_KINDS:
        cols = np.isin(years, check_years) if check_years is not None else years <= target_year
        ok = np.column_stack([np.full(len(ok), bool(met_now)), ok[:, cols]])
        reached = ok.any(axis=1)
        first = ok.argmax(axis=1)
        after = np.arange(ok.shape[1])[None, :] >= first[:, None]
        return reached & np.all(ok | ~after, axis=1)
    if target_year not in years:
        raise ValueError(f"the paths ({years.min()}–{years.max()}) do not reach the target year {target_year}")
    return ok[:, int(np.flatnonzero(years == target_year)[0])]


def probability(met: np.ndarray) -> float:
    """The Monte Carlo probability of an event: the share of simulated paths on which it happens."""
    met = np.asarray(met, dtype=float)
    return float(met.mean()) if met.size else math.nan


def direction_probabilities(values, reference: float, sign: int) -> tuple[float, float]:
    """P(value lies beyond ``reference`` in direction ``sign``) and P(it lies beyond it the other
    way) over simulated values; what is left is a tie (rates built on counts, counts and rounded
    figures take discrete values: "0 deaths" again is no change, neither better nor worse).

    Direction-only targets use them with ``sign`` +1 for increase, −1 for decrease (and −1 on the
    absolute gap for a gap that should narrow); their ``p_meet`` is the better-way probability
    plus half the tie (:func:`p_beyond`).
    """
    v = np.asarray(values, dtype=float)
    d = sign * (v - reference)
    tol = 1e-9 * max(1.0, abs(reference))
    return float(np.mean(d > tol)), float(np.mean(d < -tol))


def p_beyond(values, reference: float, sign: int) -> float:
    """P(beyond ``reference`` in direction ``sign``) with a tie counted as half: 0.5 = no
    tendency either way."""
    better, worse = direction_probabilities(values, reference, sign)
    return better + (1.0 - better - worse) / 2


def met_relative(own: np.ndarray, other: np.ndarray, comparison: str, slack: float = 0.0) -> np.ndarray:
    """Per path: is ``own`` not below (``at_least``) / not above (``at_most``) ``other``? The two
    series' paths are independent draws, paired by index."""
    d = np.asarray(own, dtype=float) - np.asarray(other, dtype=float)
    return d >= -slack if comparison == "at_least" else d <= slack


def joint(met_vectors: list[np.ndarray]) -> np.ndarray:
    """Per path index: met in every one of several series (every town). Each series' paths come
    from its own random stream, so pairing them by index treats them as independent draws."""
    return np.logical_and.reduce([np.asarray(m, dtype=bool) for m in met_vectors])


def first_year_met(ok: np.ndarray, years: np.ndarray, met_now: bool, latest_year: int, keep: bool) -> np.ndarray:
    """Per path, the first year the target is met (``inf`` when not by the last year).

    ``ok[i, j]``: path i meets the target in ``years[j]``; the latest observed year is put in
    front (met or not). For keep kinds, the first year from which the path stays met to its end.
    """
    ok = np.column_stack([np.full(len(ok), bool(met_now)), np.asarray(ok, dtype=bool)])
    yrs = np.r_[latest_year, np.asarray(years)].astype(float)
    if keep:
        ok = np.flip(np.logical_and.accumulate(np.flip(ok, axis=1), axis=1), axis=1)
    return np.where(ok.any(axis=1), yrs[ok.argmax(axis=1)], np.inf)


def year_reached(first: np.ndarray, interval: float) -> tuple[float, float, float]:
    """Median and central ``interval`` of the first year met across paths (``inf`` = not by the
    horizon); quantiles of the empirical distribution, so an ``inf`` stays ``inf``."""
    first = np.asarray(first, dtype=float)
    q = np.quantile(first, [0.5, (1 - interval) / 2, (1 + interval) / 2], method="inverted_cdf")
    return float(q[0]), float(q[1]), float(q[2])


def level_status(p: float, met_now: bool, likely: float, unlikely: float) -> str:
    """The status of a target with a value: achieved (met in the latest year and likely to stay
    met), on_track (likely met), off_track (unlikely), at_risk (in between).

    References
    ----------
    .. [1] Mastrandrea, M. D., et al. (2010). Guidance Note for Lead Authors of the IPCC Fifth
       Assessment Report on Consistent Treatment of Uncertainties. IPCC (calibrated likelihood
       language).
    """
    if p is None or not np.isfinite(p):
        return "insufficient_data"
    if p >= likely:
        return "achieved" if met_now else "on_track"
    return "off_track" if p <= unlikely else "at_risk"


def direction_status(p_better: float, p_worse: float, likely: float) -> str:
    """The status of a direction-only target: improving when moving the asked way is likely,
    worsening when moving the other way is likely, else no clear change (a likely tie included)."""
    if p_better is None or not np.isfinite(p_better):
        return "insufficient_data"
    if p_better >= likely:
        return "improving"
    return "worsening" if p_worse >= likely else "no_clear_change"
