"""The ``trend`` and ``weighted_trend`` candidates: a straight line on the model scale by (recency-
weighted) least squares, or — for a count series — the family's GLM with the exposure, each slope
shrunk toward the comparator's.

References
----------
.. [1] McCullagh, P., & Nelder, J. A. (1989). Generalized Linear Models, 2nd ed. Chapman & Hall.
.. [2] Gelman, A. et al. (2013). Bayesian Data Analysis, 3rd ed., ch. 5 (partial pooling).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from analysis.trends.base import from_model_scale
from analysis.trends.candidate import Candidate, Fitted, record_bounds, t_noise
from analysis.trends.glm import GLMFit, _refit_intercept, fit_glm, projected_exposure
from analysis.trends.linear import Line, fit_line, recency_weights
from analysis.trends.shrinkage import Shrinkage, comparator_lines, shrink_toward
from analysis.trends.simulation import _glm_draws, _glm_noise, clip_to_range, glm_quantiles


@dataclass
class TrendFit(Fitted):
    """A fitted trend: the line of every row (the GLM's coefficients on count rows), the GLM of the
    count rows (``glm``, None when there are none) and their positions (``glm_rows``)."""

    line: Line
    glm: GLMFit | None
    glm_rows: np.ndarray | None = None
    shrink: Shrinkage | None = None
    #: the sd of the slope's normal prior where the likelihood has no finite maximum
    slope_prior_sd: float = math.nan

    def moments(self, r, x):
        mean, var = self.line.at(r, x)
        return mean, var, self.line.df[r]

    def in_sample(self, rows, r, c, x):
        return self.moments(r, x)

    def glm_position(self, pos: int) -> int:
        """The row's position among the GLM rows (-1 when it is not a count row)."""
        if self.glm is None:
            return -1
        g = int(np.searchsorted(self.glm_rows, pos))
        return g if g < len(self.glm_rows) and self.glm_rows[g] == pos else -1

    def predict(self, batch, rows, r, x, widen, settings, streams, n_sims):
        """The t predictive; count rows simulated (parameters + sampling noise at the projected exposure)."""
        point, q = super().predict(batch, rows, r, x, widen, settings, streams, n_sims)
        if self.glm is not None and rows.counts[r].any():
            s = rows.series[r]
            sel = np.flatnonzero(rows.counts[r])
            pos = np.searchsorted(self.glm_rows, r[sel])
            expo = projected_exposure(self.glm, pos, x[sel], settings.exposure)
            p_, q_ = glm_quantiles(self.glm, pos, x[sel], expo, rows.family[r[sel]], batch.per[s[sel]], widen[sel],
                                   n_sims, streams, s[sel])
            point[sel] = clip_to_range(p_, batch.vlo[s[sel]], batch.vhi[s[sel]])
            q[sel] = clip_to_range(q_, batch.vlo[s[sel]], batch.vhi[s[sel]])
        return point, q

    def to_record(self, pos, settings):
        rec: dict[str, Any] = {k: float(getattr(self.line, k)[pos]) for k in ("xc", "a", "b", "var_a", "var_b",
                                                                               "s2", "df")}
        g = self.glm_position(pos)
        if g >= 0:
            ex = self.glm.exposure
            rec |= {"glm": True, "phi_hat": _finite(self.glm.phi_hat[g]), "exposure": {
                "rule": settings.exposure, "e_last": float(self.glm.e_last[g]), "xc": _finite(ex.xc[g]),
                "a": _finite(ex.a[g]), "b": _finite(ex.b[g])}}
        return rec

    def slope(self, pos):
        used = float(self.line.b[pos])
        if self.shrink is None:
            return used, np.nan, np.nan, used
        return float(self.shrink.own[pos]), float(self.shrink.comparator[pos]), float(self.shrink.weight[pos]), used

    def warnings(self, pos):
        g = self.glm_position(pos)
        if g < 0:
            return []
        glm, out = self.glm, []
        phi_hat, df = glm.phi_hat[g], glm.df[g]
        if glm.no_events[g]:
            out.append("no events in any year: constant rate with half an event added (Jeffreys); slope not "
                       "estimable from the series")
        elif np.isfinite(phi_hat) and phi_hat > 1:
            p = stats.chi2.sf(phi_hat * df, df)
            out.append(f"overdispersion: Pearson chi2/df = {phi_hat:.2f} (p = {p:.3g}); covariance scaled by it "
                       "(quasi-likelihood) and sampling noise widened to match")
        if glm.penalized[g]:
            out.append(f"every event in the first or last year, or only a few events: the likelihood cannot pin "
                       f"the slope down, which has a normal prior (sd {self.slope_prior_sd} per year on the link "
                       "scale)")
        if not glm.converged[g]:
            out.append("the GLM did not converge")
        return out


def _finite(v: Any) -> float | None:
    v = float(v)
    return v if math.isfinite(v) else None


def future_exposure(rec: dict[str, Any], x: np.ndarray) -> np.ndarray:
    """The exposure (births, population) of a count record's future years, by its rule."""
    ex = rec["exposure"]
    last = ex["e_last"]
    trend = np.exp(ex["a"] + ex["b"] * (x - ex["xc"])) if ex["a"] is not None and ex["b"] is not None \
        else np.full(x.shape, last)
    out = {"last": np.full(x.shape, last), "trend": trend, "conservative": np.minimum(last, trend)}[ex["rule"]]
    return np.maximum(np.round(out), 1.0)


class TrendCandidate(Candidate):
    """``trend`` (equal weights) or ``weighted_trend`` (weights halving every ``half_life`` years)."""

    uses_glm = True

    def __init__(self, name: str, weighted: bool, slope: bool = True) -> None:
        self.name = name
        self.weighted = weighted
        #: False: the level alone (the count-scale ``naive``), no slope and so nothing to shrink
        self.has_slope = slope
        self.description = "a recency-weighted trend" if weighted else "a trend"

    def fit(self, batch, rows, settings, keep_fitted=False) -> TrendFit:
        x = batch.x
        weights = recency_weights(rows.mask, x, settings.decay) if self.weighted else None
        line = fit_line(rows.z, rows.mask, x, weights, rows.floor)
        glm = c = None
        if rows.counts.any():
            c = np.flatnonzero(rows.counts)
            glm = fit_glm(rows.y[c], rows.e[c], rows.mask[c], x, rows.family[c],
                          None if weights is None else weights[c], slope_prior_sd=settings.slope_prior_sd,
                          sparse_events=settings.sparse_events, slope=self.has_slope)
            for attr in ("xc", "a", "b", "var_a", "var_b", "s2", "df"):
                getattr(line, attr)[c] = getattr(glm, attr)
        shrink = None
        if self.has_slope and settings.use_comparator and (batch.comp[rows.series] >= 0).any():
            comp, has = comparator_lines(batch, rows.series, rows.last_col)
            shrink = shrink_toward(line, comp, has & (rows.mask.sum(1) >= 2), batch.tau[rows.series])
            if glm is not None:
                for attr in ("b", "var_b"):
                    setattr(glm, attr, getattr(line, attr)[c])
                _refit_intercept(glm, rows.y[c], rows.e[c], rows.mask[c], x, rows.family[c],
                                 None if weights is None else weights[c])
                line.a[c], line.var_a[c] = glm.a, glm.var_a
        return TrendFit(line, glm, c, shrink, settings.slope_prior_sd)

    def simulate(self, rec, n_sims, rng, x):
        """Count records: the GLM coefficients drawn from their covariance, then the counts' sampling
        noise at the projected exposure; otherwise intercept and slope drawn with the t mixture,
        then independent errors."""
        if rec.get("glm"):
            a_s, b_s = _glm_draws(np.float64(rec["a"]), np.float64(rec["b"]), rec["var_a"], rec["var_b"], rec["s2"],
                                  rec["df"], rec["widen"], rng, n_sims)
            eta = a_s[:, None] + b_s[:, None] * (x[None, :] - rec["xc"])
            rate = _glm_noise(eta, future_exposure(rec, x)[None, :], rec["family"] == "poisson",
                              np.float64(rec["s2"]), rng)
            return rate * rec["per"]
        u, eps = t_noise(rec, n_sims, rng, len(x))
        za, zb = rng.standard_normal((n_sims, 1)), rng.standard_normal((n_sims, 1))
        dx = x[None, :] - rec["xc"]
        z = rec["a"] + rec["b"] * dx + (math.sqrt(rec["var_a"]) * za + dx * math.sqrt(rec["var_b"]) * zb) * u + eps
        return from_model_scale(z, rec["scale"], *record_bounds(rec))
