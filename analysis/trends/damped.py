"""The ``damped`` candidate: additive damped-trend exponential smoothing across series and a grid of
smoothing parameters, with the ETS(A,Ad,N) forecast variance.

References
----------
.. [1] Gardner, E. S., & McKenzie, E. (1985). Forecasting trends in time series. Management
   Science 31(10), 1237–1246.
.. [2] Hyndman, R. J., Koehler, A. B., Ord, J. K., & Snyder, R. D. (2008). Forecasting with
   Exponential Smoothing: The State Space Approach. Springer (Table 6.1).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from analysis.trends.base import ProjectionSettings, from_model_scale
from analysis.trends.batch import _first_col, _last_col, _prev_col
from analysis.trends.candidate import Candidate, Fitted, record_bounds, t_noise
from analysis.trends.linear import fit_line

log = logging.getLogger(__name__)


@dataclass
class Damped(Fitted):
    """Additive damped trend smoothing: state (level, trend) at the last observation, smoothing
    parameters, and the one-step innovation variance ``s2``."""

    level: np.ndarray
    trend: np.ndarray
    alpha: np.ndarray
    beta: np.ndarray
    phi: np.ndarray
    s2: np.ndarray
    df: np.ndarray
    x_last: np.ndarray
    fitted: np.ndarray | None = None
    fitted_var: np.ndarray | None = None

    def moments(self, r, x):
        mean, var = damped_forecast(self, r, x)
        return mean, var, self.df[r]

    def in_sample(self, rows, r, c, x):
        return self.fitted[r, c], self.fitted_var[r, c], self.df[r]

    def to_record(self, pos, settings):
        return {k: float(getattr(self, k)[pos]) for k in ("level", "trend", "alpha", "beta", "phi", "s2", "df")}


def _phi_sum(phi, h):
    """φ + φ² + … + φ^h."""
    return phi * (1.0 - phi**h) / (1.0 - phi)


def damped_variance_factor(alpha, beta, phi, h):
    """ETS(A,Ad,N) h-step forecast variance / σ²: ``1 + Σ_{j<h} (α (1 + β φ_j))²`` with
    φ_j = φ + … + φ^j and β the Holt-form trend smoothing (Hyndman et al. 2008, Table 6.1).

    References
    ----------
    .. [1] Hyndman, R. J., Koehler, A. B., Ord, J. K., & Snyder, R. D. (2008). Forecasting with
       Exponential Smoothing: The State Space Approach. Springer, Table 6.1 (class 1 forecast
       variances).
    """
    alpha, beta, phi, h = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (alpha, beta, phi, h)))
    out = np.ones(h.shape)
    for j in range(1, int(np.nanmax(h, initial=1))):
        c = alpha * (1.0 + beta * _phi_sum(phi, j))
        out = out + np.where(j < h, c**2, 0.0)
    return out


def _gap_lookup(vtab: np.ndarray, gap: np.ndarray) -> np.ndarray:
    """Variance factors for each row's gap: ``vtab`` is (1, P, M) for a parameter grid shared
    by all rows or (R, 1, M) for per-row parameters; returns (R, P)."""
    if vtab.shape[0] == 1:
        return vtab[0][:, gap - 1].T
    return vtab[np.arange(len(gap)), :, gap - 1]


def _damped_run(z, mask, x, level0, trend0, alpha, beta, phi, keep_fitted=False):
    """Run the damped-trend recursion over the grid for every row (and parameter column).

    ``alpha``, ``beta``, ``phi`` are (1, P) for a grid shared by all rows or (R, 1) per row;
    a missing year propagates the state without an update (error-correction form:
    ``l ← l + φb + αe``, ``b ← φb + αβe``). Returns the final states, the sum of squared
    one-step errors each divided by its gap's variance factor, and optionally the one-step
    predictions (rows, P, years).
    """
    R, T = z.shape
    first, last = _first_col(mask), _last_col(mask)
    prev = _prev_col(mask)
    gap = np.where(prev >= 0, np.arange(T)[None, :] - prev, 1)
    shape = np.broadcast_shapes((R, 1), np.shape(alpha))
    level = np.broadcast_to(level0[:, None], shape).copy()
    trend = np.broadcast_to(trend0[:, None], shape).copy()
    sse = np.zeros(shape)
    max_gap = int(gap[mask].max(initial=1))
    vtab = np.stack([damped_variance_factor(alpha, beta, phi, g) for g in range(1, max_gap + 1)], axis=-1)
    fitted = np.full(shape + (T,), np.nan) if keep_fitted else None
    lo_col, hi_col = int(first[first >= 0].min(initial=0)), int(last.max(initial=-1))
    for c in range(lo_col, hi_col + 1):
        pred = level + phi * trend
        active = ((c >= first) & (c <= last))[:, None]
        obs = (mask[:, c] & (c <= last))[:, None]
        err = np.where(obs, np.nan_to_num(z[:, c])[:, None] - pred, 0.0)
        if obs.any():
            v = _gap_lookup(vtab, np.clip(gap[:, c], 1, max_gap))
            sse += err**2 / v
        if keep_fitted:
            fitted[..., c] = np.where(active, pred, np.nan)
        level = np.where(active, pred + alpha * err, level)
        trend = np.where(active, phi * trend + alpha * beta * err, trend)
    return level, trend, sse, fitted


#: quantities the damped trend estimates from a series: initial level and trend, α, β, φ
DAMPED_PARAMETERS = 5


def fit_damped(z: np.ndarray, mask: np.ndarray, x: np.ndarray, floor: np.ndarray, settings: ProjectionSettings,
               keep_fitted: bool = False, chunk: int = 8000) -> Damped:
    """Damped trend per row: the initial level and trend from the least-squares line (the level
    one year before the first value), (α, β, φ) by least squares over the settings' grid, then
    ``s2`` = that sum of squares / (n − 5): five quantities were estimated from the series (two
    initial states, three smoothing parameters; Hyndman et al. 2008, §5.2), at least 1 df.

    References
    ----------
    .. [1] Gardner, E. S., & McKenzie, E. (1985). Forecasting trends in time series. Management Science
       31(10), 1237–1246.
    .. [2] Hyndman, R. J., Koehler, A. B., Ord, J. K., & Snyder, R. D. (2008). Forecasting with
       Exponential Smoothing: The State Space Approach. Springer, §5.2 and Table 6.1.
    """
    grid = np.array([(a, b, p) for a in settings.damped_alpha for b in settings.damped_beta
                     for p in settings.damped_phi]).T
    line = fit_line(z, mask, x, None, np.zeros(len(z)))
    first = np.clip(_first_col(mask), 0, None)
    level0 = line.a + line.b * (x[first] - 1.0 - line.xc)
    trend0 = np.where(np.isfinite(line.b), line.b, 0.0)
    level0 = np.where(np.isfinite(level0), level0, z[np.arange(len(z)), first])
    best = np.zeros(len(z), dtype=int)
    best_sse = np.zeros(len(z))
    for s in range(0, len(z), chunk):
        sl = slice(s, s + chunk)
        _, _, sse, _ = _damped_run(z[sl], mask[sl], x, level0[sl], trend0[sl], grid[0][None, :],
                                   grid[1][None, :], grid[2][None, :])
        best[sl] = np.argmin(sse, axis=1)
        best_sse[sl] = sse[np.arange(sse.shape[0]), best[sl]]
    alpha, beta, phi = grid[0][best], grid[1][best], grid[2][best]
    level, trend, _, fitted = _damped_run(z, mask, x, level0, trend0, alpha[:, None], beta[:, None], phi[:, None],
                                          keep_fitted=keep_fitted)
    n = mask.sum(axis=1)
    df = np.maximum(n - DAMPED_PARAMETERS, 1).astype(float)
    s2 = np.maximum(best_sse / df, floor**2)
    last = np.clip(_last_col(mask), 0, None)
    out = Damped(level=level[:, 0], trend=trend[:, 0], alpha=alpha, beta=beta, phi=phi, s2=s2, df=df,
                 x_last=x[last])
    if keep_fitted:
        out.fitted = fitted[:, 0, :]
        prev = _prev_col(mask)
        gap = np.where(prev >= 0, np.arange(z.shape[1])[None, :] - prev, 1)
        out.fitted_var = s2[:, None] * damped_variance_factor(alpha[:, None], beta[:, None], phi[:, None], gap)
    return out


def damped_forecast(fit: Damped, rows: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of the damped-trend forecast at ``x`` (after the last value) for ``rows``."""
    h = np.maximum(np.round(x - fit.x_last[rows]), 1)
    phi = fit.phi[rows]
    mean = fit.level[rows] + _phi_sum(phi, h) * fit.trend[rows]
    return mean, fit.s2[rows] * damped_variance_factor(fit.alpha[rows], fit.beta[rows], phi, h)


class DampedCandidate(Candidate):
    """``damped``: additive damped-trend exponential smoothing, ETS(A,Ad,N)."""

    name = "damped"
    description = "a damped trend"
    #: its recursion runs on a continuous scale; on log((deaths + ½)/births) a year with no
    #: death is a level the published rate can never take, so counts have no damped trend
    for_counts = False

    def fit(self, batch, rows, settings, keep_fitted=False) -> Damped:
        return fit_damped(rows.z, rows.mask, batch.x, rows.floor, settings, keep_fitted=keep_fitted)

    def simulate(self, rec, n_sims, rng, x):
        """The state-space recursion with the drawn innovations (level and trend updated by them)."""
        _, eps = t_noise(rec, n_sims, rng, len(x))
        level, trend = np.full(n_sims, rec["level"]), np.full(n_sims, rec["trend"])
        z = np.empty((n_sims, len(x)))
        for h in range(len(x)):
            base = level + rec["phi"] * trend
            z[:, h] = base + eps[:, h]
            level, trend = base + rec["alpha"] * eps[:, h], rec["phi"] * trend + rec["alpha"] * rec["beta"] * eps[:, h]
        return from_model_scale(z, rec["scale"], *record_bounds(rec))
