"""Choosing a candidate: the rolling-origin back-test, the weighted interval score, calibration factors.

References
----------
.. [1] Tashman, L. J. (2000). Out-of-sample tests of forecasting accuracy. IJF 16(4), 437–450.
.. [2] Bracher, J. et al. (2021). Evaluating epidemic forecasts in an interval format. PLoS Comput
   Biol 17(2), e1008618.
.. [3] Lei, J. et al. (2018). Distribution-free predictive inference for regression. JASA 113(523).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special, stats

from analysis.trends.base import BINOMIAL, CANDIDATES, POISSON, SCALE_NAMES, ProjectionSettings
from analysis.trends.batch import Batch
from analysis.trends.candidates import MODELS, Rows
from analysis.trends.simulation import common_streams, t_quantiles

log = logging.getLogger(__name__)


def wis(truth: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Weighted interval score of the median and the 80 % and 95 % intervals (Bracher et al.
    2021): ``(½|y − m| + Σ_k (α_k/2) IS_αk) / 2.5``; lower is better.

    References
    ----------
    .. [1] Bracher, J., Ray, E. L., Gneiting, T., & Reich, N. G. (2021). Evaluating epidemic forecasts
       in an interval format. PLoS Computational Biology 17(2), e1008618.
    .. [2] Gneiting, T., & Raftery, A. E. (2007). Strictly proper scoring rules, prediction, and
       estimation. JASA 102(477), 359–378.
    """
    def interval_score(lo, hi, alpha):
        return (hi - lo) + (2 / alpha) * np.maximum(lo - truth, 0) + (2 / alpha) * np.maximum(truth - hi, 0)

    total = 0.5 * np.abs(truth - q[:, 2])
    total = total + 0.1 * interval_score(q[:, 1], q[:, 3], 0.2) + 0.025 * interval_score(q[:, 0], q[:, 4], 0.05)
    return total / 2.5


def standardized_error(truth: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Each forecast's error in predictive standard deviations, ``(y − median) / sd`` with the sd
    read off the 80 % interval (its width / 2.563, exact for a normal; the 95 % one, / 3.920,
    where the 80 % has no width — a count that is 0 at both its 10 % and 90 % points); NaN
    where neither has a width. Honest forecasts give errors centred on 0."""
    w80, w95 = q[:, 3] - q[:, 1], q[:, 4] - q[:, 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        sd = np.where(w80 > 0, w80 / (2 * 1.2815515655446004), np.where(w95 > 0, w95 / (2 * 1.959963984540054),
                                                                         np.nan))
        return (truth - q[:, 2]) / sd


def backtest_origins(batch: Batch, settings: ProjectionSettings) -> tuple[np.ndarray, np.ndarray]:
    """The (series, number of points fitted) pairs of the rolling-origin back-test: every series
    with at least ``min_backtest_points`` points, every k from ``backtest_first_origin`` to
    n − 1 (a trend fitted to three noisy counts is not the trend fitted to ten: scored from
    three points, the level won 97 % of ten-year infant-mortality series whose truth fell)."""
    n = batch.n
    first = max(settings.min_fit_points, settings.backtest_first_origin)
    eligible = batch.projectable & (n >= settings.min_backtest_points) & (n > first)
    series = np.flatnonzero(eligible)
    counts = n[series] - first
    rows = np.repeat(series, counts)
    start = np.repeat(np.cumsum(counts) - counts, counts)
    k = np.arange(len(rows)) - start + first
    return rows, k


@dataclass
class BacktestResult:
    """Per candidate, the per-series back-test scores (:func:`_score`); per (family, candidate),
    the calibration factor of the intervals and the number of forecasts it rests on."""

    scores: dict[str, pd.DataFrame]
    calibration: dict[tuple[int, str], tuple[float, int]]


def backtest(batch: Batch, settings: ProjectionSettings) -> BacktestResult:
    """Rolling-origin back-test of every candidate on every eligible series.

    Scores per candidate and series: forecasts made, origins, mean absolute error of the point,
    coverage of the 80 % and 95 % intervals, their mean widths, mean weighted interval score.
    Also the interval calibration of each (family, candidate), see :func:`calibration_factors`.

    References
    ----------
    .. [1] Tashman, L. J. (2000). Out-of-sample tests of forecasting accuracy: an analysis and review.
       International Journal of Forecasting 16(4), 437–450.
    """
    series, k = backtest_origins(batch, settings)
    rank = np.cumsum(batch.mask, axis=1)
    fit_mask = batch.mask[series] & (rank[series] <= k[:, None])
    target = batch.mask[series] & (rank[series] > k[:, None])
    rows = Rows.of(batch, series, fit_mask)
    qr, qc = np.nonzero(target)
    truth = batch.value[series[qr], qc]
    horizon = (batch.years[qc] - batch.years[np.clip(rows.last_col, 0, None)][qr]).astype(float)
    streams = common_streams(settings.seed, 1)
    scores, ratios = {}, {}
    for name, model in MODELS.items():
        fitted = model.fit(batch, rows, settings)
        point, q = fitted.predict(batch, rows, qr, batch.x[qc], np.ones(len(qr)), settings, streams,
                                  settings.n_sims_backtest)
        keep = np.ones(len(qr), bool) if model.for_counts else ~rows.counts[qr]
        mean, var, df = fitted.moments(qr, batch.x[qc])
        glm = rows.counts[qr] if model.uses_glm else np.zeros(len(qr), bool)
        score_ = np.where(glm, np.nan, normal_score(batch.z[series[qr], qc], mean, var, df))
        scores[name] = _score(series[qr][keep], truth[keep], point[keep], q[keep], k[qr][keep],
                              horizon[keep] ** settings.horizon_power, score_[keep])
        if not settings.calibrate:   # the ratios only serve the pooled calibration
            continue
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.abs(batch.z[series[qr], qc] - mean) / (t_quantiles(df)[:, 3] * np.sqrt(var))
        ratios[name] = np.where(glm | (k[qr] < settings.min_backtest_points), np.nan, ratio)
    return BacktestResult(scores, calibration_factors(batch.family[series[qr]], ratios, settings))


def calibration_factors(family: np.ndarray, ratios: dict[str, np.ndarray], settings: ProjectionSettings
                        ) -> dict[tuple[int, str], tuple[float, int]]:
    """How much each (family, candidate)'s intervals must widen to cover 80 % out of sample.

    Pooled over every series of the run (borrowing strength: a short series cannot tell its
    own calibration): for each back-test forecast from an origin of at least
    ``min_backtest_points`` points (the regime of the final fits) the error on the model scale
    divided by the 80 % half-width, ``|z − m| / (t₀.₉ sd)``; the factor is the 80th percentile
    of these ratios — the multiplier of the predictive sd that would have covered 80 % — kept
    within [1, ``calibration_max``] (intervals are widened, never narrowed) and used only with
    at least ``calibration_min_forecasts`` forecasts. This is split-conformal calibration with a
    scaled residual (Lei et al. 2018) on rolling origins. Not applied to the count GLMs, whose
    dispersion is estimated by Pearson χ².

    References
    ----------
    .. [1] Lei, J., G'Sell, M., Rinaldo, A., Tibshirani, R. J., & Wasserman, L. (2018). Distribution-
       free predictive inference for regression. JASA 113(523), 1094–1111.
    """
    out: dict[tuple[int, str], tuple[float, int]] = {}
    if not settings.calibrate:
        return out
    for name, ratio in ratios.items():
        for fam in np.unique(family):
            pool = ratio[(family == fam) & np.isfinite(ratio)]
            if len(pool) >= settings.calibration_min_forecasts:
                factor = float(np.clip(np.quantile(pool, 0.8), 1.0, settings.calibration_max))
                out[(int(fam), name)] = (factor, len(pool))
    return out


def normal_score(z: np.ndarray, mean: np.ndarray, var: np.ndarray, df: np.ndarray) -> np.ndarray:
    """A forecast's error on the model scale as a standard normal score: ``Φ⁻¹(T_df((z − m)/sd))``,
    the probability integral transform of the t predictive mapped back to N(0, 1) — so that
    ``E[score²] = 1`` for an honest forecast whatever its df (a t error's own square has mean
    df/(df − 2), 3 at df 3). Kept within ±8; NaN where the forecast has no spread."""
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (z - mean) / np.sqrt(var)
        score = special.ndtri(stats.t.cdf(t, np.maximum(df, 1.0)))
    return np.where(np.isfinite(t) & (var > 0), np.clip(score, -8.0, 8.0), np.nan)


def own_calibration(n_scored: np.ndarray, mean_sq_score: np.ndarray, settings: ProjectionSettings) -> np.ndarray:
    """The factor on a series' predictive sd from its own back-test: the errors' normal scores
    (:func:`normal_score`) should have mean square 1; their observed mean square, shrunk toward 1
    as though ``own_calibration_prior`` more forecasts had been exactly calibrated,
    ``s² = (ν₀ + m·ms) / (ν₀ + m)`` (a variance scale with a scaled inverse-χ² prior of ν₀ df),
    its square root kept within [1, ``calibration_max``]: intervals are widened, never narrowed.
    1 where the series has no scored forecast or the prior is 0 (off).

    Why: a smooth series' trend leaves a small residual variance, and its intervals assume the
    line goes on; when its pace has changed before, its own back-test says so (national infant
    and under-5 mortality slowed after 2019: their 80 % intervals from 6+ points covered 33 %).
    Per series, so a series' intervals do not depend on the others in the run.

    References
    ----------
    .. [1] Gelman, A. et al. (2013). Bayesian Data Analysis, 3rd ed., §2.6 (normal variance with a
       scaled inverse-χ² prior).
    """
    m = np.nan_to_num(np.asarray(n_scored, float))
    ms = np.where(m > 0, np.nan_to_num(np.asarray(mean_sq_score, float), nan=1.0), 1.0)
    nu = settings.own_calibration_prior
    if nu <= 0:
        return np.ones(len(m))
    return np.clip(np.sqrt((nu + m * ms) / (nu + m)), 1.0, settings.calibration_max)


def _score(group: np.ndarray, truth, point, q, k, weight, score2: np.ndarray) -> pd.DataFrame:
    """Per series: the back-test scores of one candidate (see :func:`backtest`); the weighted
    interval score is averaged with ``weight`` (horizon ** ``horizon_power``); ``score2`` are
    the errors' normal scores (:func:`normal_score`), summarised as their number and mean square
    for the series' own interval calibration (:func:`own_calibration`)."""
    score = wis(truth, q)
    frame = pd.DataFrame({
        "series": group, "abs_error": np.abs(truth - point),
        "in80": (truth >= q[:, 1]) & (truth <= q[:, 3]), "in95": (truth >= q[:, 0]) & (truth <= q[:, 4]),
        "width80": q[:, 3] - q[:, 1], "width95": q[:, 4] - q[:, 0], "wis": score, "k": k,
        "wis_w": score * weight, "weight": weight, "z": standardized_error(truth, q), "ns2": score2 ** 2,
    })
    frame = frame[np.isfinite(score)]
    agg = frame.groupby("series").agg(n_forecasts=("wis", "size"), n_origins=("k", "nunique"),
                                      mae=("abs_error", "mean"), cover80=("in80", "mean"),
                                      cover95=("in95", "mean"), width80=("width80", "mean"),
                                      width95=("width95", "mean"), wis_w=("wis_w", "sum"),
                                      weight=("weight", "sum"), bias=("z", "mean"))
    # summed in the forecasts' order by bincount: pandas' grouped mean can differ in the last digit
    # with the other groups present, and the widening must not depend on the batch
    scored = np.isfinite(frame["ns2"].to_numpy())
    where = frame["series"].to_numpy()[scored]
    total = np.bincount(where, weights=frame["ns2"].to_numpy()[scored], minlength=int(group.max(initial=0)) + 1)
    count = np.bincount(where, minlength=len(total))
    with np.errstate(divide="ignore", invalid="ignore"):
        agg["n_scored"] = count[agg.index]
        agg["mean_sq_score"] = np.where(count[agg.index] > 0, total[agg.index] / count[agg.index], np.nan)
    agg.insert(agg.columns.get_loc("wis_w"), "wis", agg["wis_w"] / agg["weight"])
    return agg.drop(columns=["wis_w", "weight"])


def choose(batch: Batch, scores: dict[str, pd.DataFrame], settings: ProjectionSettings
           ) -> tuple[np.ndarray, np.ndarray]:
    """The candidate of every series and why: the forced one, the lowest back-test WIS (ties to
    the simpler, in the order of :data:`CANDIDATES`), or the documented default for a series
    too short to back-test."""
    S = len(batch.keys)
    n = batch.n
    chosen = np.full(S, settings.default_model, dtype=object)
    why = np.full(S, "", dtype=object)
    if settings.force_model:
        chosen[:] = settings.force_model
        why[batch.projectable] = f"forced by the settings: {settings.force_model}"
        return chosen, why
    table = {name: scores[name].reindex(range(S)) for name in CANDIDATES}
    wis_ = np.stack([table[name]["wis"].to_numpy(float) for name in CANDIDATES], axis=1)
    ok = np.isfinite(wis_).any(axis=1) & batch.projectable & (n >= settings.min_backtest_points)
    base = CANDIDATES.index(settings.default_model)
    bias = table[settings.default_model]["bias"].to_numpy(float)
    kept = np.isfinite(wis_[:, base]) & ~(np.abs(bias) > settings.bias_threshold)
    best = np.where(kept, base, np.argmin(np.where(np.isfinite(wis_), wis_, np.inf), axis=1))
    for i in np.flatnonzero(ok):
        order = sorted((k for k in range(len(CANDIDATES)) if np.isfinite(wis_[i, k])), key=lambda k: wis_[i, k])
        row = table[CANDIDATES[base]].iloc[i]
        scores_ = ", ".join(f"{CANDIDATES[k]} {wis_[i, k]:.3g}" for k in order)
        chosen[i] = CANDIDATES[best[i]]
        where = (f"{settings.default_model}'s back-test errors over {int(row['n_forecasts'])} forecasts from "
                 f"{int(row['n_origins'])} origins: mean standardized error {bias[i]:+.2f}")
        why[i] = (f"{where}, within ±{settings.bias_threshold:g}: kept (weighted interval scores: {scores_})"
                  if kept[i] else
                  f"{where}, beyond ±{settings.bias_threshold:g}: lowest back-test weighted interval score "
                  f"(scores: {scores_})")
    for i in np.flatnonzero(batch.projectable & ~ok):
        scale = SCALE_NAMES[int(batch.scale[i])]
        model = MODELS[settings.default_model]
        glm = model.uses_glm and batch.family[i] in (POISSON, BINOMIAL)
        what = f"the GLM {model.name}" if glm else f"{model.description} on the {scale} scale"
        why[i] = (f"default: too few points to back-test (n={n[i]}); {what}"
                  + ("" if glm else f" with intervals widened x{settings.default_widen:g}"))
    return chosen, why
