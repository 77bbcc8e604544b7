"""The candidates' common entry points: fit one by name over a batch of rows, its analytic moments and
its predictive quantiles.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

from analysis.trends.base import BINOMIAL, POISSON, Settings
from analysis.trends.batch import Batch, _last_col
from analysis.trends.damped import damped_forecast, fit_damped
from analysis.trends.glm import _refit_intercept, fit_glm, projected_exposure
from analysis.trends.linear import fit_line, recency_weights
from analysis.trends.naive import fit_naive
from analysis.trends.shrinkage import Shrinkage, comparator_lines, shrink_toward
from analysis.trends.simulation import analytic_quantiles, clip_to_range, glm_quantiles

log = logging.getLogger(__name__)


@dataclass
class Rows:
    """A view of the batch for some rows (series, or series cut at a back-test origin)."""

    series: np.ndarray
    mask: np.ndarray
    z: np.ndarray
    y: np.ndarray
    e: np.ndarray
    family: np.ndarray
    floor: np.ndarray
    last_col: np.ndarray

    @classmethod
    def of(cls, batch: Batch, series: np.ndarray, mask: np.ndarray) -> Rows:
        return cls(series=series, mask=mask, z=batch.z[series], y=batch.y[series], e=batch.e[series],
                   family=batch.family[series], floor=batch.floor[series], last_col=_last_col(mask))

    @property
    def counts(self) -> np.ndarray:
        return np.isin(self.family, [POISSON, BINOMIAL])


def fit_candidate(name: str, batch: Batch, rows: Rows, settings: Settings,
                  keep_fitted: bool = False) -> tuple[Any, Shrinkage | None]:
    """Fit one candidate on the rows (count rows get the GLMs for the two trends) and, for the
    trends, shrink toward the comparator."""
    x = batch.x
    if name == "naive":
        return fit_naive(rows.z, rows.mask, x, rows.floor), None
    if name == "damped":
        return fit_damped(rows.z, rows.mask, x, rows.floor, settings, keep_fitted=keep_fitted), None
    weights = recency_weights(rows.mask, x, settings.decay) if name == "weighted_trend" else None
    line = fit_line(rows.z, rows.mask, x, weights, rows.floor)
    glm = None
    if rows.counts.any():
        c = np.flatnonzero(rows.counts)
        glm = fit_glm(rows.y[c], rows.e[c], rows.mask[c], x, rows.family[c],
                      None if weights is None else weights[c])
        for attr in ("xc", "a", "b", "var_a", "var_b", "s2", "df"):
            getattr(line, attr)[c] = getattr(glm, attr)
    shrink = None
    if settings.use_comparator and (batch.comp[rows.series] >= 0).any():
        comp, has = comparator_lines(batch, rows.series, rows.last_col)
        shrink = shrink_toward(line, comp, has & (rows.mask.sum(1) >= 2), batch.tau[rows.series])
        if glm is not None:
            for attr in ("b", "var_b"):
                setattr(glm, attr, getattr(line, attr)[c])
            _refit_intercept(glm, rows.y[c], rows.e[c], rows.mask[c], x, rows.family[c],
                             None if weights is None else weights[c])
            line.a[c], line.var_a[c] = glm.a, glm.var_a
    return (line, glm, c if glm is not None else None), shrink


def analytic_moments(name: str, fitted: Any, r: np.ndarray, x: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, variance and df on the model scale of candidate ``name`` at year(s) ``x`` after
    each row's last value (the t predictive of the analytic candidates)."""
    if name == "naive":
        return fitted.z_last[r], fitted.s2[r] * (x - fitted.x_last[r]), fitted.df[r]
    if name == "damped":
        mean, var = damped_forecast(fitted, r, x)
        return mean, var, fitted.df[r]
    mean, var = fitted[0].at(r, x)
    return mean, var, fitted[0].df[r]


def predict_future(name: str, fitted: Any, batch: Batch, rows: Rows, r: np.ndarray, x: np.ndarray,
                   widen: np.ndarray, settings: Settings, rng: np.random.Generator,
                   n_sims: int) -> tuple[np.ndarray, np.ndarray]:
    """Point and quantiles (indicator's unit) of candidate ``name`` for queries (row ``r``, year x)
    after each row's last value. Count rows' trends are simulated (parameters + sampling noise at
    the projected exposure); everything else is a t distribution on the model scale."""
    s = rows.series[r]
    mean, var, df = analytic_moments(name, fitted, r, x)
    point, q = analytic_quantiles(mean, var, df, widen, batch.scale[s], batch.lo[s], batch.hi[s])
    if name in ("trend", "weighted_trend") and rows.counts[r].any():
        glm, c_rows = fitted[1], fitted[2]
        sel = np.flatnonzero(rows.counts[r])
        pos = np.searchsorted(c_rows, r[sel])
        expo = projected_exposure(glm, pos, x[sel], settings.exposure)
        point[sel], q[sel] = glm_quantiles(glm, pos, x[sel], expo, rows.family[r[sel]], batch.per[s[sel]],
                                           widen[sel], n_sims, rng)
    return clip_to_range(point, batch.vlo[s], batch.vhi[s]), clip_to_range(q, batch.vlo[s], batch.vhi[s])
