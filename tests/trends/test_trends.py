"""Tests of the projection engine (analysis/trends/).

Expected values come from independent methods — statsmodels (OLS, WLS, GLM, ExponentialSmoothing),
explicit matrix algebra, closed formulas worked by hand — or from the known process a series
was generated from; never from the engine's own output.
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import special, stats
from statsmodels.tsa.holtwinters import ExponentialSmoothing

from analysis import config, trends
from analysis.catalog import load_catalog
from analysis.trends import damped
from tests.builders import observation_rows, observations_table, run_notebook

SETTINGS = trends.ProjectionSettings.from_params  # the shipped projection settings, with overrides

YEARS = np.arange(2013, 2025)
X = YEARS - 2000.0


@pytest.fixture(scope="module")
def cat():
    return load_catalog()


def observations(rows: list[dict], cat) -> pd.DataFrame:
    return observations_table(rows, cat, source_file="test.csv")


series = observation_rows


def record(models, indicator_id, area="district", sex="total") -> pd.Series:
    hit = models[(models["indicator_id"] == indicator_id) & (models["area"] == area) & (models["sex"] == sex)]
    assert len(hit) == 1
    return hit.iloc[0]


def rows_of(proj, indicator_id, area="district", sex="total") -> pd.DataFrame:
    return proj[(proj["indicator_id"] == indicator_id) & (proj["area"] == area) & (proj["sex"] == sex)]


# --- the vectorised fits against statsmodels ------------------------------------------------


def _count_data(seed=5):
    rng = np.random.default_rng(seed)
    e = rng.integers(3000, 5000, (6, len(X))).astype(float)
    y = rng.poisson(e * 0.006 * np.exp(-0.05 * (X - 18))).astype(float)
    y[3:] = rng.binomial(e[3:].astype(int), special.expit(1.2 + 0.06 * (X - 18))).astype(float)
    mask = np.ones(e.shape, bool)
    mask[1, :3] = False   # a shorter series
    mask[2, 5] = False    # a gap
    mask[4, [0, 7]] = False
    family = np.array([trends.POISSON] * 3 + [trends.BINOMIAL] * 3)
    return y, e, mask, family


def _statsmodels_glm(y, e, x, family, weights=None):
    X_ = sm.add_constant(x)
    if family == trends.POISSON:
        model = sm.GLM(y, X_, family=sm.families.Poisson(), offset=np.log(e), var_weights=weights)
    else:
        model = sm.GLM(np.column_stack([y, e - y]), X_, family=sm.families.Binomial(), var_weights=weights)
    return model.fit(tol=1e-13)


@pytest.mark.parametrize("weighted", [False, True])
def test_batched_glm_matches_statsmodels_coefficients_and_standard_errors(weighted):
    y, e, mask, family = _count_data()
    weights = trends.recency_weights(mask, X, 0.8) if weighted else None
    fit = trends.fit_glm(y, e, mask, X, family, weights, slope_prior_sd=SETTINGS().slope_prior_sd)
    intercept, slope = fit.coef()
    cov = fit.cov()
    for r in range(len(y)):
        m = mask[r]
        ref = _statsmodels_glm(y[r][m], e[r][m], X[m], family[r], None if weights is None else weights[r][m])
        d = _pearson_expectation(ref, e[r][m], X[m], family[r], None if weights is None else weights[r][m])
        if not weighted:
            assert d == pytest.approx(ref.df_resid, abs=1e-9)   # n - 2 without weights
        dispersion = max(1.0, ref.pearson_chi2 / d)   # quasi-likelihood scaling
        np.testing.assert_allclose([intercept[r], slope[r]], ref.params, rtol=0, atol=1e-6)
        np.testing.assert_allclose(np.sqrt(np.diag(cov[r])), ref.bse * math.sqrt(dispersion), rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(fit.phi_hat[r], ref.pearson_chi2 / d, rtol=1e-6)
        np.testing.assert_allclose(fit.df[r], max(round(d, 1), 1.0))


def _pearson_expectation(ref, e, x, family, weights):
    """E[weighted Pearson χ²] / φ at statsmodels' fit, by explicit matrix algebra: Σw − tr(A X'W²VX)
    with A = (X'WVX)⁻¹, W the variance weights and V the count variance at the fitted mean."""
    X_ = sm.add_constant(x)
    w = np.ones(len(x)) if weights is None else weights
    p = ref.mu
    v = e * p if family == trends.POISSON else e * p * (1 - p)
    if family == trends.POISSON:
        v = p   # statsmodels' Poisson mu is already the expected count (offset log e)
    A = np.linalg.inv(X_.T @ np.diag(w * v) @ X_)
    return w.sum() - np.trace(A @ X_.T @ np.diag(w * w * v) @ X_)


def test_overdispersion_scales_the_covariance_like_statsmodels_x2():
    rng = np.random.default_rng(11)
    e = np.full(len(X), 4000.0)
    mu = e * 0.01 * np.exp(-0.04 * (X - 18))
    y = rng.negative_binomial(5, 5 / (5 + mu)).astype(float)   # variance mu + mu^2/5: overdispersed
    fit = trends.fit_glm(y[None], e[None], np.ones((1, len(X)), bool), X, np.array([trends.POISSON]),
                         slope_prior_sd=SETTINGS().slope_prior_sd)
    ref = sm.GLM(y, sm.add_constant(X), family=sm.families.Poisson(), offset=np.log(e)).fit(scale="X2", tol=1e-13)
    assert ref.scale > 1 and fit.s2[0] == pytest.approx(ref.scale, rel=1e-8)
    np.testing.assert_allclose(fit.cov()[0], ref.cov_params(), rtol=1e-6)


def test_trend_interval_matches_statsmodels_ols_prediction_interval():
    rng = np.random.default_rng(3)
    z = 0.5 - 0.05 * X + rng.normal(0, 0.1, len(X))
    mask = np.ones((1, len(X)), bool)
    mask[0, 3] = False
    line = trends.fit_line(z[None], mask, X, None, np.zeros(1))
    mean, var = line.at(np.array([0]), np.array([30.0]))
    lo = mean + stats.t.ppf(0.025, line.df) * np.sqrt(var)
    hi = mean + stats.t.ppf(0.975, line.df) * np.sqrt(var)
    ref = sm.OLS(z[mask[0]], sm.add_constant(X[mask[0]])).fit().get_prediction(np.array([[1.0, 30.0]]))
    frame = ref.summary_frame(alpha=0.05)
    np.testing.assert_allclose([lo[0], hi[0]], [frame["obs_ci_lower"].iloc[0], frame["obs_ci_upper"].iloc[0]],
                               rtol=1e-10)


def test_weighted_trend_is_wls_with_the_sandwich_variance():
    rng = np.random.default_rng(4)
    z = 1.0 + 0.03 * X + rng.normal(0, 0.05, len(X))
    mask = np.ones((1, len(X)), bool)
    w = trends.recency_weights(mask, X, 0.8)
    line = trends.fit_line(z[None], mask, X, w, np.zeros(1))
    # point: statsmodels WLS; variance: explicit matrices, homoscedastic noise
    Xd, W = sm.add_constant(X), np.diag(w[0])
    wls = sm.WLS(z, Xd, weights=w[0]).fit()
    resid = z - Xd @ wls.params
    M = np.eye(len(X)) - Xd @ np.linalg.solve(Xd.T @ W @ Xd, Xd.T @ W)
    s2 = resid @ W @ resid / np.trace(M.T @ W @ M)
    A = np.linalg.inv(Xd.T @ W @ Xd)
    cov = A @ Xd.T @ W @ W @ Xd @ A * s2
    g = np.array([1.0, 31.0])
    mean, var = line.at(np.array([0]), np.array([31.0]))
    assert mean[0] == pytest.approx(g @ wls.params, abs=1e-10)
    assert var[0] == pytest.approx(s2 + g @ cov @ g, rel=1e-10)
    assert line.df[0] == pytest.approx(np.trace(M.T @ W @ M), abs=0.05)


def test_damped_trend_recursion_matches_statsmodels_with_fixed_parameters():
    rng = np.random.default_rng(8)
    z = 1.8 + np.cumsum(rng.normal(-0.05, 0.03, len(X)))
    level, slope, sse, fitted = damped._damped_run(z[None], np.ones((1, len(X)), bool), X, np.array([1.9]),
                                                  np.array([-0.04]), np.array([[0.5]]), np.array([[0.3]]),
                                                  np.array([[0.9]]), keep_fitted=True)
    ref = ExponentialSmoothing(z, trend="add", damped_trend=True, initialization_method="known",
                               initial_level=1.9, initial_trend=-0.04).fit(
        smoothing_level=0.5, smoothing_trend=0.3, damping_trend=0.9, optimized=False)
    fit = trends.Damped(level=level[:, 0], trend=slope[:, 0], alpha=np.array([0.5]), beta=np.array([0.3]),
                       phi=np.array([0.9]), s2=np.ones(1), df=np.ones(1), x_last=np.array([X[-1]]))
    mean, _ = trends.damped_forecast(fit, np.zeros(6, int), X[-1] + np.arange(1, 7))
    np.testing.assert_allclose(mean, ref.forecast(6), atol=1e-12)
    np.testing.assert_allclose(fitted[0, 0], ref.fittedvalues, atol=1e-12)
    assert sse[0, 0] == pytest.approx(ref.sse, rel=1e-12)


def test_damped_trend_variance_factor_is_the_ets_formula():
    # ETS(A,Ad,N), h = 3: 1 + c1² + c2², c_j = α(1 + β(φ + … + φ^j)); worked by hand
    a, b, p = 0.5, 0.2, 0.9
    c1, c2 = a * (1 + b * p), a * (1 + b * (p + p**2))
    assert trends.damped_variance_factor(a, b, p, 3) == pytest.approx(1 + c1**2 + c2**2)


def test_damped_grid_fit_is_close_to_the_statsmodels_optimum():
    settings = SETTINGS()
    for seed in range(3):
        rng = np.random.default_rng(seed)
        level, slope, z = 3.0, -0.12, []
        for _ in X:
            slope *= 0.85
            level += slope
            z.append(level + rng.normal(0, 0.01))
        z = np.array(z)
        fit = trends.fit_damped(z[None], np.ones((1, len(X)), bool), X, np.zeros(1), settings)
        ols = sm.OLS(z, sm.add_constant(X)).fit()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = ExponentialSmoothing(z, trend="add", damped_trend=True, initialization_method="known",
                                       initial_level=ols.params[0] + ols.params[1] * (X[0] - 1),
                                       initial_trend=ols.params[1]).fit()
        mean, _ = trends.damped_forecast(fit, np.zeros(6, int), X[-1] + np.arange(1, 7))
        assert fit.s2[0] * fit.df[0] <= 1.02 * ref.sse
        np.testing.assert_allclose(np.exp(mean), np.exp(ref.forecast(6)), rtol=0.05)


def test_weighted_interval_score_by_hand():
    # median 10, 80 % interval [8, 12], 95 % [6, 14]; y = 15: above both intervals
    q = np.array([[6.0, 8.0, 10.0, 12.0, 14.0]])
    is80 = 4 + (2 / 0.2) * (15 - 12)
    is95 = 8 + (2 / 0.05) * (15 - 14)
    expected = (0.5 * 5 + 0.1 * is80 + 0.025 * is95) / 2.5
    assert trends.wis(np.array([15.0]), q)[0] == pytest.approx(expected)


def test_exposure_projection_follows_a_fall_but_never_assumes_a_rise():
    e = np.array([[5000, 4800, 4600, 4400, 4200.0], [4000, 4100, 4200, 4300, 4400.0]])
    y = np.array([[20, 18, 19, 17, 16.0], [20, 18, 19, 17, 16.0]])
    mask = np.ones(e.shape, bool)
    x = np.arange(2020, 2025) - 2000.0
    fit = trends.fit_glm(y, e, mask, x, np.array([trends.POISSON, trends.POISSON]),
                         slope_prior_sd=SETTINGS().slope_prior_sd)
    falling = np.exp(np.polyval(np.polyfit(x, np.log(e[0]), 1), 30.0))   # log-linear trend by numpy
    got = trends.projected_exposure(fit, np.array([0, 1]), np.array([30.0, 30.0]), "conservative")
    assert got[0] == pytest.approx(round(falling)) and got[1] == 4400


# --- families and honest intervals on known processes -----------------------------------------


def test_a_known_logit_trend_is_recovered_within_its_interval(cat):
    rng = np.random.default_rng(21)
    a, b = 0.9, -0.06            # logit of the myopia rate falls 0.06 a year
    truth = 100 * special.expit(a + b * (YEARS - 2013))
    values = np.round(100 * special.expit(a + b * (YEARS - 2013) + rng.normal(0, 0.02, len(YEARS))), 1)
    result = trends.project_observations(observations(series("C1.9c", YEARS, values), cat), cat.indicators)
    row = rows_of(result.projections, "C1.9c").set_index("year").loc[2030]
    true_2030 = 100 * special.expit(a + b * (2030 - 2013))
    assert row["lo95"] <= true_2030 <= row["hi95"]
    assert row["is_projection"] and record(result.models, "C1.9c")["family"] == "logit"
    # the trend on the logit scale recovers the slope: within 2 standard errors
    z = special.logit(values / 100)
    line = trends.fit_line(z[None], np.ones((1, len(z)), bool), YEARS - 2000.0, None, np.zeros(1))
    assert abs(line.b[0] - b) < 2 * math.sqrt(line.var_b[0])
    assert np.all(np.abs(values - truth) < 1.0)


def test_a_known_poisson_rate_trend_is_recovered(cat):
    rng = np.random.default_rng(22)
    births = rng.integers(3600, 4800, len(YEARS)).astype(float)
    rate = 0.006 * np.exp(-0.07 * (YEARS - 2013))       # infant deaths per birth
    deaths = rng.poisson(births * rate).astype(float)
    values = np.round(deaths / births * 1000, 2)
    obs = observations(series("C1.3b", YEARS, values, num=deaths, den=births), cat)
    result = trends.project_observations(obs, cat.indicators, SETTINGS(force_model="trend"))
    rec = record(result.models, "C1.3b")
    params = json.loads(rec["params"])
    assert rec["family"] == "poisson" and params["glm"]
    assert abs(params["b"] - (-0.07)) < 2 * math.sqrt(params["var_b"])
    row = rows_of(result.projections, "C1.3b").set_index("year").loc[2030]
    assert row["lo95"] <= 1000 * 0.006 * math.exp(-0.07 * 17) <= row["hi95"]


def test_trend_intervals_cover_about_80_percent_when_the_model_is_right(cat):
    """200 series from a linear logit trend with noise; the 80 % interval of the value 3 years
    after the last must cover close to 80 % (binomial sd of the share: 2.8 points)."""
    rng = np.random.default_rng(23)
    rows, truth = [], {}
    years = np.arange(2015, 2025)
    for i in range(200):
        a, b = rng.uniform(-1, 1), rng.normal(0, 0.05)
        z = a + b * (np.arange(2015, 2028) - 2015) + rng.normal(0, 0.05, 13)
        v = np.round(100 * special.expit(z), 2)
        rows += series("C1.9c", years, v[:10], area=f"town{i}")
        truth[f"town{i}"] = v[12]
    result = trends.project_observations(observations(rows, cat), cat.indicators,
                                        SETTINGS(force_model="trend", use_comparator=False))
    p = result.projections[result.projections["year"] == 2027].set_index("area")
    actual = pd.Series(truth).reindex(p.index)
    inside = ((actual >= p["lo80"]) & (actual <= p["hi80"])).mean()
    assert 0.72 <= inside <= 0.88


def test_a_rate_with_zero_events_in_some_years_gets_non_negative_sensible_intervals(cat):
    births = np.array([4631, 4824, 4706, 4371, 4266, 4206, 4130, 3954.0])
    deaths = np.array([0, 1, 0, 0, 2, 0, 1, 0.0])
    years = np.arange(2017, 2025)
    obs = observations(series("W1.2a", years, deaths / births * 1e5, num=deaths, den=births)
                       + series("W1.2a", years, np.zeros(8), area="urban", num=np.zeros(8), den=births / 2), cat)
    result = trends.project_observations(obs, cat.indicators)
    for area in ("district", "urban"):
        proj = rows_of(result.projections, "W1.2a", area)
        fut = proj[proj["is_projection"]]
        assert list(fut["year"]) == list(range(2025, 2031))
        q = fut[["lo95", "lo80", "hi80", "hi95"]].to_numpy()
        assert np.all(q >= 0) and np.all(np.diff(q, axis=1) >= 0)
        assert np.all(fut["hi95"] > 0) and np.all(fut["hi95"] <= 1e5) and np.all(fut["mean"] > 0)
    assert "no events in any year" in record(result.models, "W1.2a", "urban")["warnings"]


@pytest.mark.parametrize("with_counts", [False, True])
def test_a_proportion_at_99_percent_never_projects_above_100(cat, with_counts):
    values = np.array([98.6, 98.8, 99.0, 99.1, 99.3, 99.4, 99.6, 99.7, 99.8, 100.0])
    years = np.arange(2015, 2025)
    den = np.full(10, 4000.0) if with_counts else None
    num = np.round(values / 100 * 4000) if with_counts else None
    if with_counts:
        values = num / den * 100
    obs = observations(series("C1.6", years, values, num=num, den=den), cat)
    for model in trends.CANDIDATES:
        result = trends.project_observations(obs, cat.indicators, SETTINGS(force_model=model))
        proj = rows_of(result.projections, "C1.6")
        assert proj[["mean", "lo80", "hi80", "lo95", "hi95"]].max().max() <= 100.0
        assert record(result.models, "C1.6")["family"] == ("binomial" if with_counts else "logit")
    if not with_counts:
        assert "moved" in record(result.models, "C1.6")["warnings"]   # the 100.0 read as just below it


def test_levels_are_modelled_on_the_log_scale_and_differences_linearly(cat):
    years = np.arange(2016, 2025)
    obs = observations(series("C1.M2b", years, np.linspace(0.6, 0.9, 9))
                       + series("W2.7", years, [-1.2, -0.8, 0.1, 0.4, -0.3, 0.2, 0.5, 0.3, 0.6], area="national"),
                       cat)
    models = trends.project_observations(obs, cat.indicators).models
    assert record(models, "C1.M2b")["family"] == "log"
    assert record(models, "W2.7", "national")["family"] == "linear"


# --- the record: choice, defaults, shrinkage, what cannot be projected --------------------------


def test_counts_are_used_only_when_present_in_every_year(cat):
    births = np.full(8, 4000.0)
    deaths = np.array([20, 22, 19, 18, 17, 18, 15, 16.0])
    years = np.arange(2017, 2025)
    full = series("C1.3b", years, deaths / births * 1000, num=deaths, den=births)
    partial = series("C1.3b", years, deaths / births * 1000, area="urban", num=deaths, den=births)
    partial[3]["numerator"] = partial[3]["denominator"] = np.nan
    models = trends.project_observations(observations(full + partial, cat), cat.indicators).models
    assert record(models, "C1.3b")["family"] == "poisson"
    assert record(models, "C1.3b", "urban")["family"] == "logit"


def test_the_trend_is_kept_when_its_back_test_errors_are_centred_and_says_why(cat):
    rng = np.random.default_rng(5)
    values = np.round(70 + np.cumsum(rng.normal(0, 0.8, 10)), 1)
    models = trends.project_observations(observations(series("C1.9c", np.arange(2015, 2025), values), cat),
                                        cat.indicators).models
    rec = record(models, "C1.9c")
    cands = json.loads(rec["candidates"])
    assert [c["name"] for c in cands] == list(trends.CANDIDATES)
    trend = next(c for c in cands if c["name"] == "trend")
    threshold = SETTINGS().bias_threshold
    assert abs(trend["bias"]) <= threshold      # a random walk's errors, from the trend, centred
    assert rec["chosen"] == "trend" and rec["model"] == "logit:trend"
    # 10 points, origins after backtest_first_origin (5) .. 9 points: 5 + 4 + … + 1 = 15 forecasts
    assert SETTINGS().backtest_first_origin == 5
    assert all(c["n_forecasts"] == 15 and c["n_origins"] == 5 for c in cands)
    assert rec["why"].startswith("trend's back-test errors over 15 forecasts from 5 origins: mean standardized "
                                 f"error {trend['bias']:+.2f}, within ±{threshold:g}: kept")
    assert {"mae", "cover80", "cover95", "width80", "wis", "bias"} <= set(cands[0])


def test_a_trend_that_misses_a_plateau_is_replaced_by_the_lowest_back_test_score(cat):
    """Screening rose 50 → 66 % to 2019 and then stayed there: the line fitted to the first five
    to nine years overshoots every later year (its errors lean to one side), so the trend is not
    kept and the candidate with the lowest weighted interval score is chosen."""
    years = np.arange(2015, 2025)
    rng = np.random.default_rng(3)
    values = np.round(np.where(years <= 2019, 50 + 4 * (years - 2015), 66.0) + rng.normal(0, 0.3, 10), 1)
    models = trends.project_observations(observations(series("W1.3a", years, values), cat), cat.indicators).models
    rec = record(models, "W1.3a")
    cands = json.loads(rec["candidates"])
    trend = next(c for c in cands if c["name"] == "trend")
    assert trend["bias"] < -SETTINGS().bias_threshold
    best = min(cands, key=lambda c: c["wis"])
    assert best["name"] != "trend" and rec["chosen"] == best["name"]
    assert "beyond ±" in rec["why"] and "lowest back-test weighted interval score" in rec["why"]


def test_too_few_points_get_the_documented_default(cat):
    obs = observations(series("C1.9c", [2021, 2022, 2023, 2024], [71.0, 70.2, 70.5, 69.8]), cat)
    result = trends.project_observations(obs, cat.indicators)
    rec = record(result.models, "C1.9c")
    assert rec["chosen"] == "trend" and rec["candidates"] == "[]"
    assert rec["why"].startswith("default: too few points to back-test (n=4)")
    assert json.loads(rec["params"])["widen"] == SETTINGS().default_widen


def test_shrinkage_moves_a_short_noisy_slope_toward_the_national_one_and_reports_it(cat):
    years_n = np.arange(2013, 2025)
    national = np.round(100 * special.expit(1.3 - 0.05 * (years_n - 2013)), 1)
    local_years = np.array([2021, 2022, 2023, 2024])
    local = np.array([68.0, 71.5, 69.0, 72.8])          # noisy, rising
    obs = observations(series("C1.9c", years_n, national, area="national")
                       + series("C1.9c", local_years, local), cat)
    rec = record(trends.project_observations(obs, cat.indicators).models, "C1.9c")
    # expected by hand from two OLS fits on the logit scale (statsmodels) and the prior sd tau
    own = sm.OLS(special.logit(local / 100), sm.add_constant(local_years - 2000.0)).fit()
    comp = sm.OLS(special.logit(national / 100), sm.add_constant(years_n - 2000.0)).fit()
    tau = SETTINGS().shrink_tau
    w = own.bse[1] ** 2 / (own.bse[1] ** 2 + tau**2 + comp.bse[1] ** 2)
    assert rec["comparator"] == "national/total"
    assert rec["own_slope"] == pytest.approx(own.params[1], rel=1e-9)
    assert rec["comparator_slope"] == pytest.approx(comp.params[1], rel=1e-9)
    assert rec["shrinkage_weight"] == pytest.approx(w, rel=1e-9)
    assert rec["slope"] == pytest.approx((1 - w) * own.params[1] + w * comp.params[1], rel=1e-9)
    assert 0 < w < 1 and abs(rec["slope"] - comp.params[1]) < abs(rec["own_slope"] - comp.params[1])


def test_series_that_cannot_be_projected_are_listed_with_the_reason(cat):
    obs = observations(series("C1.9c", [2024], [70.1]) + series("W1.4", [2023, 2024], [1.0, 1.0]), cat)
    obs = pd.concat([obs, obs.iloc[[0]].assign(indicator_id="X9.9")], ignore_index=True)
    result = trends.project_observations(obs, cat.indicators)
    models = result.models
    assert len(models) == 3
    one = record(models, "C1.9c")
    assert not one["projectable"] and one["reason"] == "only 1 point: a trend needs at least 2"
    assert "qualitative" in record(models, "W1.4")["reason"]
    assert "not in the catalog" in record(models, "X9.9")["reason"]
    assert result.projections.empty
    with pytest.raises(ValueError, match="only 1 point"):
        trends.simulate_paths("C1.9c", models=models)


def test_flagged_values_are_kept_with_a_warning_and_derived_ones_are_not_treated_apart(cat):
    years = np.arange(2016, 2025)
    flags = ["lower_bound"] + [""] * 8
    obs = observations(series("C1.6", years, np.linspace(95, 97, 9), flags=flags)
                       + series("C1.9c", years, np.linspace(74, 70, 9), flags=["derived"] * 9), cat)
    models = trends.project_observations(obs, cat.indicators).models
    assert "1 value(s) published as a lower bound" in record(models, "C1.6")["warnings"]
    assert record(models, "C1.9c")["warnings"] == ""
    assert record(models, "C1.6")["n_points"] == 9


def test_a_series_of_bounds_only_is_not_projected_and_says_why(cat):
    # the national C1.6 as published: 99%以上 (2015–2017), 90%以上 (2022) — a fall from 99 to 90 is
    # a change of wording, not of the rate; projecting it gave ~35 % for 2030
    obs = observations(series("C1.6", [2015, 2016, 2017, 2022], [99.0, 99.0, 99.0, 90.0], area="national",
                              flags=["lower_bound"] * 4), cat)
    result = trends.project_observations(obs, cat.indicators)
    one = record(result.models, "C1.6", area="national")
    assert not one["projectable"] and one["reason"] == "all 4 values are bounds (以上), not values: nothing to project"
    assert rows_of(result.projections, "C1.6", area="national").empty
    from analysis.report.labels import engine_reason_zh
    assert engine_reason_zh(one["reason"]) == "全部4个数值都是下限（“以上”），不是实际数值，不作预测"


# --- paths for the assessment ---------------------------------------------------------------------


def _mixed(cat):
    births = np.array([4631, 4824, 4706, 4371, 4266, 4206, 4130, 3954, 3681, 3775.0])
    deaths = np.array([25, 43, 28, 18, 23, 18, 15, 17, 15, 15.0])
    years = np.arange(2015, 2025)
    return observations(series("C1.3b", years, deaths / births * 1000, num=deaths, den=births)
                        + series("C1.9c", years, np.linspace(74.3, 70.7, 10).round(1)), cat)


def test_simulated_paths_are_reproducible_with_the_seed(cat):
    models = trends.project_observations(_mixed(cat), cat.indicators).models
    first = trends.simulate_paths("C1.3b", models=models, n_sims=500)
    again = trends.simulate_paths("C1.3b", models=models, n_sims=500)
    other = trends.simulate_paths("C1.3b", models=models, n_sims=500, seed=7)
    assert first.values.shape == (500, 6) and list(first.years) == list(range(2025, 2031))
    np.testing.assert_array_equal(first.values, again.values)
    assert not np.array_equal(first.values, other.values)
    assert np.all(first.values >= 0)


def test_count_paths_reproduce_the_table_intervals_exactly(cat):
    result = trends.project_observations(_mixed(cat), cat.indicators, SETTINGS(force_model="trend"))
    paths = trends.simulate_paths("C1.3b", models=result.models)
    fut = rows_of(result.projections, "C1.3b").query("is_projection")
    q = np.quantile(paths.values, [0.025, 0.1, 0.9, 0.975], axis=0).T
    np.testing.assert_allclose(q, fut[["lo95", "lo80", "hi80", "hi95"]].to_numpy(), rtol=1e-12)


@pytest.mark.parametrize("model", trends.CANDIDATES)
def test_paths_have_the_marginals_of_the_table(cat, model):
    result = trends.project_observations(_mixed(cat), cat.indicators, SETTINGS(force_model=model))
    paths = trends.simulate_paths("C1.9c", models=result.models, n_sims=40000)
    fut = rows_of(result.projections, "C1.9c").query("is_projection")
    q = np.quantile(paths.values, [0.1, 0.5, 0.9], axis=0).T
    expected = fut[["lo80", "mean", "hi80"]].to_numpy()
    np.testing.assert_allclose(q, expected, atol=0.02 * (fut["hi95"] - fut["lo95"]).max())


# --- the stage and its files --------------------------------------------------------------------


def test_project_writes_both_tables_following_the_contract(tmp_path, cat):
    _mixed(cat).to_parquet(tmp_path / "observations.parquet", index=False)
    result = trends.project(tmp_path, cat)
    proj = pd.read_parquet(tmp_path / "projections.parquet")
    models = pd.read_parquet(tmp_path / "projection_models.parquet")
    assert list(proj.columns) == ["indicator_id", "area", "sex", "year", "mean", "lo80", "hi80", "lo95", "hi95",
                                  "model", "is_projection"]
    assert list(models.columns) == trends.MODEL_COLUMNS
    assert proj["is_projection"].dtype == bool and proj["year"].dtype == "int64"
    for iid in ("C1.3b", "C1.9c"):
        rows = rows_of(proj, iid)
        assert list(rows.loc[~rows["is_projection"], "year"]) == list(range(2015, 2025))   # fitted values
        assert list(rows.loc[rows["is_projection"], "year"]) == list(range(2025, 2031))
        assert rows["model"].nunique() == 1 and rows["model"].iloc[0] == record(models, iid)["model"]
    fut = proj[proj["is_projection"]]
    assert (fut["lo95"] <= fut["lo80"]).all() and (fut["lo80"] <= fut["hi80"]).all()
    assert (fut["hi80"] <= fut["hi95"]).all()
    assert set(result.files) == {"projections", "models", "meta"}   # meta: projection.json, what it was made from
    assert sorted(p.name for p in tmp_path.iterdir()) == ["observations.parquet", "projection.json",
                                                          "projection_models.parquet",
                                                          "projections.parquet"]   # no temporary left
    paths = trends.simulate_paths("C1.9c", processed_dir=tmp_path, n_sims=10)
    assert paths.values.shape == (10, 6)


def test_project_without_observations_says_to_run_the_cleaning_first(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"run the cleaning first \(plan-monitor clean"):
        trends.project(tmp_path)


def test_a_contract_break_is_refused_before_writing(tmp_path, cat):
    result = trends.project_observations(_mixed(cat), cat.indicators)
    broken = trends.Projection(result.projections.assign(is_projection="yes"), result.models)
    with pytest.raises(Exception, match="projections breaks its contract"):
        trends.validate(broken)


# --- the notebook ----------------------------------------------------------------------------------


def _execute(tmp_path: Path, **parameters) -> str:
    return run_notebook("30_trends", tmp_path, **parameters)


def test_the_notebook_is_committed_clean_with_literal_parameters():
    nb = nbformat.read(config.NOTEBOOKS_DIR / "30_trends.ipynb", as_version=4)
    assert nb.metadata["kernelspec"] == {"name": "plan-monitor", "display_name": "plan-monitor", "language": "python"}
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# 趋势与预测")
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1
    assert params[0].source.splitlines() == ['indicator_id = "C1.9c"', 'area = "district"', 'sex = "total"',
                                             'processed_dir = "data/processed"',
                                             'catalog = "params/indicators.yaml"']
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.get("outputs") and cell.get("execution_count") is None
            assert not any(word in cell.source for word in ("def ", "class ", "lambda"))


def test_a_page_rerun_reads_the_projection_until_an_input_changes(tmp_path, cat, caplog):
    import logging

    _mixed(cat).to_parquet(tmp_path / "observations.parquet", index=False)
    first = trends.project(tmp_path, cat)
    with caplog.at_level(logging.INFO, logger="analysis.trends.project"):
        again = trends.load_projection(tmp_path, cat)
    assert "projecting anew" not in caplog.text and "written by the projection stage" in caplog.text
    pd.testing.assert_frame_equal(again.models, first.models)
    # another setting, then new observations: projected anew, and the log says why
    caplog.clear()
    settings = trends.ProjectionSettings.from_params(seed=7)
    with caplog.at_level(logging.INFO, logger="analysis.trends.project"):
        trends.load_projection(tmp_path, cat, settings)
    assert "projecting anew: the settings changed" in caplog.text
    obs = _mixed(cat)
    obs.loc[obs.index[0], "value"] += 1
    obs.to_parquet(tmp_path / "observations.parquet", index=False)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="analysis.trends.project"):
        trends.load_projection(tmp_path, cat, settings)
    assert "projecting anew: the observations changed" in caplog.text


@pytest.mark.slow
def test_the_notebook_projects_and_draws_the_fan_chart(tmp_path, cat):
    processed = tmp_path / "processed"
    processed.mkdir()
    _mixed(cat).to_parquet(processed / "observations.parquet", index=False)
    shown = _execute(tmp_path, processed_dir=str(processed), indicator_id="C1.3b")
    assert (processed / "projections.parquet").is_file() and (processed / "projection_models.parquet").is_file()
    assert "泊松广义线性模型" in shown and "<png>" in shown and "选用模型" in shown


@pytest.mark.slow
def test_the_notebook_fails_clearly_without_observations(tmp_path):
    import papermill as pm

    with pytest.raises(pm.PapermillExecutionError, match="plan-monitor clean"):
        _execute(tmp_path, processed_dir=str(tmp_path / "nothing"))


def test_a_binomial_series_of_only_successes_projects_near_100_percent():
    """2/2, 2/2, 1/1, 2/2 treated (W1.M7d-like): the rate is near 1, not near 0 — half a
    failure is added, so the constant is logit((7 + 0.5) / (7 + 1)) = logit(0.9375)."""
    y = np.array([[2.0, 2.0, 1.0, 2.0]])
    e = np.array([[2.0, 2.0, 1.0, 2.0]])
    mask = np.ones_like(y, bool)
    x = np.arange(4.0)
    fit = trends.fit_glm(y, e, mask, x, np.array([trends.BINOMIAL]), slope_prior_sd=SETTINGS().slope_prior_sd)
    assert float(special.expit(fit.a[0])) == pytest.approx(0.9375)


def test_two_deaths_in_ten_years_do_not_make_a_runaway_slope():
    """Maternal deaths 0,…,0,1,1 among ~4,000 births (found by benchmarks/calibration_simulated.py):
    the maximum is finite, but the slope it gives (+1.07 a year) would put 2030 at thousands per
    10万. With fewer than ``sparse_events`` events the slope gets the normal prior; with many
    events the fit is statsmodels' own (the tests above)."""
    settings = SETTINGS()
    y = np.array([[0, 0, 0, 0, 0, 0, 0, 0, 1, 1.0]])
    e = np.full_like(y, 4000.0)
    mask = np.ones_like(y, bool)
    x = np.arange(2015, 2025) - 2000.0
    free = trends.fit_glm(y, e, mask, x, np.array([trends.POISSON]), slope_prior_sd=settings.slope_prior_sd)
    held = trends.fit_glm(y, e, mask, x, np.array([trends.POISSON]), slope_prior_sd=settings.slope_prior_sd,
                          sparse_events=settings.sparse_events)
    assert settings.sparse_events == 5 and free.b[0] > 0.8 and not free.penalized[0]
    assert held.penalized[0] and 0 < held.b[0] < 0.3
    many = trends.fit_glm(y + 20, e, mask, x, np.array([trends.POISSON]), slope_prior_sd=settings.slope_prior_sd,
                          sparse_events=settings.sparse_events)
    assert not many.penalized[0]


def test_a_comparator_published_as_bounds_lends_no_trend(cat):
    """National vaccination coverage reported as "99%以上" then "90%以上" is wording, not a decline:
    the district series is not shrunk toward it."""
    years_n = np.arange(2015, 2023)
    bounds = [99.0, 99.0, 99.0, 99.0, 90.0, 90.0, 90.0, 90.0]
    obs = observations(series("C1.9c", years_n, bounds, area="national", flags=["lower_bound"] * 8)
                       + series("C1.9c", np.array([2021, 2022, 2023, 2024]), np.array([68.0, 71.5, 69.0, 72.8])),
                       cat)
    rec = record(trends.project_observations(obs, cat.indicators).models, "C1.9c")
    assert rec["comparator"] in ("", None) or pd.isna(rec["comparator"])


def test_one_rule_moves_values_off_the_bounds_of_the_logit_range():
    """100 % published as a whole number cannot be told from 99.75 %: a quarter of its reporting
    step inside the range; the same rule for a series, a comparator and a target (Scale.to_z)."""
    assert trends.inside_range([100.0, 99.5, 0.0], 0.0, 100.0, [1.0, 0.1, 1.0]).tolist() == [99.75, 99.5, 0.25]
    scale = trends.Scale("logit", 0.0, 100.0, 100.0, "logit")
    assert scale.to_z(np.array([100.0]))[0] == pytest.approx(np.log(99.75 / 0.25))
    assert scale.to_z(np.array([99.9]))[0] == pytest.approx(np.log(99.9 / 0.1))   # inside: unchanged
    # the engine's rule for an indicator without a record: a share on the logit scale of its range
    cat = load_catalog()
    assert trends.Scale.of_unit(cat.entry("C1.9c")).name == "logit"


# --- every candidate of a count series works on the counts' scale (issue 14, defect 1) ---------


def test_a_count_series_naive_is_the_recent_rate_with_its_sampling_noise_and_damped_is_not_a_candidate(cat):
    """Maternal deaths 0/1 a year in about 4,000 births: a published rate is 0 or at least one
    death in the year's births (~25/10万), never the 13.5/10万 that log((0 + ½)/births) carried
    forward gives. The naive projection of such a series is the recency-weighted mean rate with
    Poisson noise at the projected births; damped has no form on that scale and is not scored."""
    years = np.arange(2015, 2025)
    births = np.full(len(years), 4000.0)
    deaths = np.array([0, 1, 0, 0, 1, 0, 0, 1, 0, 0], float)
    obs = observations(series("W1.2a", years, deaths / births * 1e5, num=deaths, den=births), cat)
    settings = SETTINGS(force_model="naive")
    result = trends.project_observations(obs, cat.indicators, settings)
    rec = record(result.models, "W1.2a")
    params = json.loads(rec["params"])
    assert params["glm"] and params["b"] == 0.0 and params["var_b"] == 0.0
    w = 0.5 ** ((years.max() - years) / settings.half_life)
    assert params["a"] == pytest.approx(math.log((w * deaths).sum() / (w * births).sum()), abs=1e-9)
    paths = trends.simulate_paths("W1.2a", models=result.models, n_sims=4000).values
    births_ahead = 4000.0
    deaths_drawn = paths * births_ahead / 1e5
    np.testing.assert_allclose(deaths_drawn, np.round(deaths_drawn), atol=1e-9)   # whole deaths only
    future = rows_of(result.projections, "W1.2a").query("is_projection")
    assert set(np.round(future["lo80"] * births_ahead / 1e5, 9)) <= {0.0}
    assert (future["hi95"] * births_ahead / 1e5 >= 1 - 1e-9).all()
    # chosen freely, the candidates scored for a count series are the three with a count form
    free = trends.project_observations(obs, cat.indicators)
    names = [c["name"] for c in json.loads(record(free.models, "W1.2a")["candidates"])]
    assert names == ["trend", "weighted_trend", "naive"]


# --- a series' own interval calibration --------------------------------------------------------


def test_a_normal_score_maps_the_t_predictive_back_to_a_standard_normal():
    from analysis.trends.selection import normal_score

    df = np.array([3.0, 3.0, 30.0])
    t90 = stats.t.ppf(0.9, df)
    # an error at the t's own 90 % point is the normal's 90 % point, whatever the df and the sd
    score = normal_score(2.0 + t90 * 0.5, np.full(3, 2.0), np.full(3, 0.25), df)
    assert np.allclose(score, stats.norm.ppf(0.9))
    # honest t(3) errors: their own squares average df/(df − 2) = 3, their normal scores' 1
    draws = np.random.default_rng(1).standard_t(3, 200_000)
    sq = normal_score(draws, np.zeros_like(draws), np.ones_like(draws), np.full_like(draws, 3.0)) ** 2
    assert np.mean(draws**2) > 2 and abs(sq.mean() - 1) < 0.02
    assert np.isnan(normal_score(np.array([1.0]), np.array([1.0]), np.array([0.0]), np.array([5.0])))[0]


def test_own_calibration_widens_by_the_shrunk_mean_square_and_never_narrows():
    from analysis.trends.selection import own_calibration

    s = SETTINGS()
    nu = s.own_calibration_prior
    assert nu > 0
    got = own_calibration(np.array([10, 10, 0, 10_000]), np.array([2.34, 0.5, np.nan, 100.0]), s)
    assert got[0] == pytest.approx(math.sqrt((nu + 10 * 2.34) / (nu + 10)))
    assert got[1] == 1.0 and got[2] == 1.0          # honest-or-better errors, no errors: unchanged
    assert got[3] == s.calibration_max               # at most calibration_max
    assert (own_calibration(np.array([10]), np.array([9.0]), SETTINGS(own_calibration_prior=0)) == 1.0).all()


def test_a_series_whose_pace_slowed_gets_the_widening_its_back_test_asks_for(cat):
    """National under-5 mortality 2010–2021 (the real published values): the log-linear trend
    fitted to the early years runs ahead of the slowing decline, so its back-test errors are
    larger than its intervals; the 2030 interval is widened by exactly the factor the record
    reports, from the trend's own back-test (n_scored, mean_sq_score), and by nothing without it."""
    from analysis.trends.selection import own_calibration

    years = [2010, 2013, 2015, 2016, 2017, 2018, 2019, 2020, 2021]
    values = [13.1, 9.5, 8.1, 7.5, 6.8, 6.1, 5.6, 5.4, 5.0]
    obs = observations(series("C1.3b", years, values), cat)
    widened = trends.project_observations(obs, cat.indicators, SETTINGS(use_comparator=False))
    plain = trends.project_observations(obs, cat.indicators, SETTINGS(use_comparator=False, own_calibration_prior=0))
    rec = record(widened.models, "C1.3b")
    assert rec["chosen"] == "trend" == record(plain.models, "C1.3b")["chosen"]
    trend = next(c for c in json.loads(rec["candidates"]) if c["name"] == "trend")
    factor = own_calibration(np.array([trend["n_scored"]]), np.array([trend["mean_sq_score"]]), SETTINGS())[0]
    assert trend["mean_sq_score"] > 1.5 and factor > 1.2
    assert f"intervals widened x{factor:.2f} by its own back-test errors ({trend['n_scored']} forecasts" in rec["why"]
    assert "widened" not in record(plain.models, "C1.3b")["why"]
    w, p = rows_of(widened.projections, "C1.3b"), rows_of(plain.projections, "C1.3b")
    w, p = w[w["year"] == 2030].iloc[0], p[p["year"] == 2030].iloc[0]
    # a log-scale t interval: the log half-widths scale by the factor, the centre does not move
    assert w["mean"] == pytest.approx(p["mean"])
    assert math.log(w["hi80"] / w["lo80"]) == pytest.approx(factor * math.log(p["hi80"] / p["lo80"]), rel=1e-4)
