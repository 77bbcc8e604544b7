"""Are the engine's probabilities and intervals honest when the truth is known? Simulated district series.

Each scenario family is a known process at district scale (about 4,000 births a year, or a
survey of about 1,500): a true mean path for 2015–2030, the values observed in some of
2015–2024, and the values that will really be published in 2025–2030, drawn from the same
process (``--list`` shows them: flat, linear, kinked, overdispersed, short, sparse-count,
plateau and rise-then-fall truths; two controls straight on the GLM's own scale; two families
whose truth is drawn per replicate, so that a reliability table within the family means
something). Every replicate of a family is one series of one batch (its own area code,
``r0000`` …; no national series, so no shrinkage toward a comparator), projected by the whole
engine (:func:`analysis.trends.project_observations` with the default settings: back-test and
choice) and by the trend alone (``force_model="trend"``: the GLM for counts, the straight line
otherwise; no back-test). A series' result does not depend on the others in its batch
(tests/trends/test_batch_independence.py), so one batch per family is only a matter of speed.
The forecast is P(target met in 2030): the share of 2,000 paths (:func:`analysis.trends.simulate_paths`), rounded to the
series' reporting step as the scorecard rounds them, that meet the catalog target in 2030
(:func:`analysis.scorecard.probability.meets`, the scorecard's event for a below / above
target); the outcome is whether the published 2030 value meets it.

Comparators: **trend alone** (above); **statsmodels** — a plain GLM per replicate (Poisson
with ``log(births)`` offset for counts, binomial for shares, linear in year, no dispersion
scaling; fitted on the counts even for the family whose engine input is values only), P(met)
by simulation: 2,000 coefficient draws from the normal approximation N(β̂, cov(β̂)), then the
sampling noise (Poisson deaths / binomial positives at the last observed births / sample
size), rounded as published; **oracle** — the true process itself (P from 20,000 draws of the
2030 value given the true mean: the best possible forecast, a floor for the scores).

Printed per family and pooled: forecasts; Brier and log score (P smoothed to
(k + ½)/(n + 1) so a wrong certainty costs a finite amount), mean P and mean |P − oracle P| of
each forecaster; the engine's reliability table (forecasts, mean P and share met in the bands
0–0.1, 0.1–0.33, 0.33–0.66, 0.66–0.9, 0.9–1); the coverage of the realized 2025–2030 values
by the projections table's 80 % (lo80–hi80) and 95 % (lo95–hi95) intervals per horizon 1–6,
for the engine and for the trend alone.

Then the goals of issue 14, each PASS or FAIL with the numbers that miss; ``--plot`` writes the
reliability diagram (engine, trend alone, statsmodels against the diagonal).

Run: ``.venv/bin/python benchmarks/calibration_simulated.py [--replicates 200] [--seed 2030]
[--families imr_flat,mmr_flat] [--csv out.csv] [--plot reliability.png]``. With the default 200
replicates of each of the 19 families the run takes about 100 s on 2 cores.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
import warnings
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis import trends  # noqa: E402
from analysis.catalog import load_catalog  # noqa: E402
from analysis.returns import parse  # noqa: E402
from analysis.scorecard.pace import round_to_step  # noqa: E402
from analysis.scorecard.probability import meets  # noqa: E402
from analysis.trends.base import reporting_step  # noqa: E402
from tests.builders import observations_table  # noqa: E402

YEARS = np.arange(2015, 2031)
LAST_OBSERVED = 2024
TARGET_YEAR = 2030
N_SIMS = 2000
N_ORACLE = 20000
BANDS = [0.0, 0.1, 0.33, 0.66, 0.9, 1.0000001]
BAND_LABELS = ["[0, 0.1)", "[0.1, 0.33)", "[0.33, 0.66)", "[0.66, 0.9)", "[0.9, 1]"]
CSV_COLUMNS = ["family", "indicator_id", "area", "n_observed", "kind", "target", "truth_2030", "realized_2030", "met",
               "p_oracle", "p_engine", "p_trend", "p_sm", "engine_model", "engine_mean_2030", "sm_mean_2030",
               "sm_fallback"]
FORECASTERS = {"engine": "p_engine", "trend alone": "p_trend", "statsmodels": "p_sm", "oracle": "p_oracle"}


#: a true mean path: the years → the mean in the unit; the generator lets a family draw its truth per replicate
Truth = Callable[[np.ndarray, np.random.Generator], np.ndarray]


def _line(years: np.ndarray, start: float, end: float, y0: int = 2015, y1: int = 2030) -> np.ndarray:
    """The straight line through ``start`` in ``y0`` and ``end`` in ``y1``, at ``years``."""
    return start + (end - start) * (years - y0) / (y1 - y0)


def linear(start: float, end: float) -> Truth:
    """A straight mean path from ``start`` (2015) to ``end`` (2030), in the unit."""
    return lambda years, rng: _line(years, start, end)


def loglinear(start: float, end: float) -> Truth:
    """Straight on the log scale (the Poisson GLM's own model) from ``start`` (2015) to ``end`` (2030)."""
    return lambda years, rng: np.exp(_line(years, np.log(start), np.log(end)))


def logitlinear(start: float, end: float, per: float = 100.0) -> Truth:
    """Straight on the logit scale (the binomial GLM's own model) from ``start`` (2015) to ``end`` (2030)."""
    lo, hi = np.log(start / (per - start)), np.log(end / (per - end))
    return lambda years, rng: per / (1.0 + np.exp(-_line(years, lo, hi)))


def broken(start: float, at_break: float, end: float, year_break: int = 2020) -> Truth:
    """Two straight pieces: ``start`` (2015) to ``at_break`` (``year_break``) to ``end`` (2030)."""
    return lambda years, rng: np.where(years <= year_break, _line(years, start, at_break, 2015, year_break),
                                       _line(years, at_break, end, year_break, 2030))


def random_linear(start: tuple[float, float], end: tuple[float, float]) -> Truth:
    """A straight path whose 2015 and 2030 levels are drawn per replicate, uniformly in the ranges:
    the truth varies, so the outcome depends on what the data show and a reliability table within
    the family is meaningful (with one fixed truth, every replicate's outcome has the same chance)."""
    return lambda years, rng: _line(years, rng.uniform(*start), rng.uniform(*end))


@dataclass(frozen=True)
class Family:
    """A scenario: the indicator, the true mean path (in the unit), what is counted and how noisily."""

    name: str
    indicator: str
    counts: bool  # True: deaths among births (a rate); False: positives in a survey (a share)
    truth: Truth
    description: str
    first_observed: int = 2015
    dispersion: float = 1.0  # variance / mean of the counts (1: Poisson; > 1: gamma-Poisson)
    size: int = 4000  # births a year, or survey size
    decimals: int = 2  # the published value's decimals
    with_counts: bool = True  # False: only the value is published (the engine's logit family, not the GLM)

    @property
    def observed_years(self) -> np.ndarray:
        return YEARS[(self.first_observed <= YEARS) & (YEARS <= LAST_OBSERVED)]


FAMILIES = [
    Family("imr_flat", "C1.3b", True, linear(4.8, 4.8), "infant mortality flat at 4.8‰ (target ≤ 5)"),
    Family("imr_decline", "C1.3b", True, linear(6.0, 4.0), "infant mortality 6 → 4‰ linearly, 2015–2030"),
    Family("imr_loglinear", "C1.3b", True, loglinear(6.0, 4.0),
           "6 → 4‰ straight on the log scale (the GLM's own model: a control)"),
    Family("imr_kink", "C1.3b", True, broken(7.0, 5.0, 4.5),
           "infant mortality 7 → 5‰ by 2020, then 5 → 4.5‰ by 2030 (slope change)"),
    Family("imr_overdispersed", "C1.3b", True, linear(6.0, 4.0), "6 → 4‰ with gamma-Poisson noise, var/mean 3",
           dispersion=3.0),
    Family("imr_decline_7pts", "C1.3b", True, linear(6.0, 4.0), "6 → 4‰, 7 points",
           first_observed=2018),
    Family("imr_decline_4pts", "C1.3b", True, linear(6.0, 4.0), "6 → 4‰, 4 points",
           first_observed=2021),
    Family("mmr_flat", "W1.2a", True, linear(10.0, 10.0), "maternal mortality flat at 10/10万 (target ≤ 12)"),
    Family("screen_rise", "W1.3a", False, linear(50.0, 75.0), "screening 50 → 75 % linearly (target ≥ 70)",
           size=1500, decimals=1),
    Family("screen_logit", "W1.3a", False, logitlinear(50.0, 71.0),
           "50 → 71 % straight on the logit scale (the GLM's own model: a control)", size=1500, decimals=1),
    Family("screen_plateau", "W1.3a", False, broken(50.0, 66.0, 66.0), "screening 50 → 66 % by 2020, then flat",
           size=1500, decimals=1),
    Family("screen_rise_fall", "W1.3a", False, broken(50.0, 70.0, 60.0), "screening 50 → 70 % by 2020, then → 60 %",
           size=1500, decimals=1),
    Family("screen_rise_values", "W1.3a", False, linear(50.0, 75.0),
           "screening 50 → 75 %, values only (no counts: the logit family)", size=1500, decimals=1, with_counts=False),
    Family("imr_random", "C1.3b", True, random_linear((4.5, 7.5), (3.0, 6.5)),
           "infant mortality straight, 2015 level U(4.5, 7.5), 2030 level U(3, 6.5)‰"),
    Family("screen_random", "W1.3a", False, random_linear((40.0, 65.0), (55.0, 85.0)),
           "screening straight, 2015 level U(40, 65), 2030 level U(55, 85) %", size=1500, decimals=1),
    Family("myopia_decline", "C1.9c", False, linear(72.0, 66.0), "junior-school myopia 72 → 66 % (target ≤ 60)",
           size=1500, decimals=1),
    Family("nmr_decline", "C1.3a", True, linear(3.6, 2.6),
           "neonatal mortality 3.6 → 2.6‰ (target ≤ 3; ~12 deaths a year)"),
    Family("mmr_decline", "W1.2a", True, linear(16.0, 9.0),
           "maternal mortality 16 → 9/10万 (target ≤ 12; about half a death a year)"),
    Family("hiv_ceiling", "W1.M7a", False, logitlinear(97.0, 99.2),
           "HIV testing of pregnant women 97 → 99.2 % on the logit scale, near the ceiling (target ≥ 98)",
           size=4000, decimals=2),
]


def family_rng(seed: int, family: Family, replicate: int) -> np.random.Generator:
    """The replicate's own stream, keyed by the seed, the family's name and the replicate number
    (a family's data do not depend on which other families run)."""
    return np.random.default_rng([seed, zlib.crc32(family.name.encode()), replicate])


def draw_counts(family: Family, mean: np.ndarray, per: float, rng: np.random.Generator,
                n: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """``n`` draws (rows) of (numerator, denominator) for every year of ``mean`` (columns).

    Counts: births ~ 4,000 · exp(N(0, 0.03²)); deaths ~ Poisson(births · rate), with a gamma
    multiplier of the rate (mean 1, shape μ/(φ − 1)) when the dispersion φ > 1, so that the
    variance of the deaths is φ times their mean. Shares: survey size uniform on ±7 % of
    ``size``; positives ~ Binomial(size, share)."""
    shape = (n, len(mean))
    if family.counts:
        den = np.round(family.size * np.exp(rng.normal(0.0, 0.03, shape)))
        mu = den * mean / per
        if family.dispersion > 1:
            k = mu / (family.dispersion - 1.0)
            mu = mu * rng.gamma(k, 1.0 / k)
        return rng.poisson(mu).astype(float), den
    den = rng.integers(int(family.size * 0.93), int(family.size * 1.07) + 1, shape).astype(float)
    return rng.binomial(den.astype(int), mean / per).astype(float), den


def published(family: Family, num: np.ndarray, den: np.ndarray, per: float) -> np.ndarray:
    """The value as it is published: numerator / denominator in the unit, rounded."""
    return np.round(num / den * per, family.decimals)


def simulate_family(family: Family, replicates: int, seed: int,
                    per: float) -> tuple[list[dict], pd.DataFrame, pd.DataFrame, pd.Series]:
    """Every replicate's observed rows for the engine (with the counts unless the family publishes
    values only), the same years with their counts for the statsmodels comparator (area, year,
    numerator, denominator), the realized 2025–2030 published values (area, year, realized), and
    the true 2030 mean of each area."""
    records, counts, future, truth = [], [], [], {}
    for r in range(replicates):
        rng = family_rng(seed, family, r)
        mean = family.truth(YEARS.astype(float), rng)
        num, den = draw_counts(family, mean, per, rng)
        num, den = num[0], den[0]
        value = published(family, num, den, per)
        area = f"r{r:04d}"
        truth[area] = float(mean[-1])
        for j, year in enumerate(YEARS):
            if family.first_observed <= year <= LAST_OBSERVED:
                row = {"indicator_id": family.indicator, "year": int(year), "area": area, "value": float(value[j])}
                if family.with_counts:
                    row |= {"numerator": num[j], "denominator": den[j]}
                records.append(row)
                counts.append({"area": area, "year": int(year), "numerator": num[j], "denominator": den[j]})
            elif year > LAST_OBSERVED:
                future.append({"area": area, "year": int(year), "realized": float(value[j])})
    return records, pd.DataFrame(counts), pd.DataFrame(future), pd.Series(truth, name="truth_2030")


def oracle_probability(family: Family, mean_2030: float, kind: str, target: float, per: float, seed: int) -> float:
    """P(the published 2030 value meets the target) under the true process with this 2030 mean:
    the ideal forecast (20,000 draws)."""
    rng = np.random.default_rng([seed, zlib.crc32(family.name.encode()), 999_999])
    num, den = draw_counts(family, np.array([mean_2030]), per, rng, n=N_ORACLE)
    return float(meets(published(family, num[:, 0], den[:, 0], per), kind, target).mean())


def engine_probabilities(result: trends.Projection, obs: pd.DataFrame, indicator: str, kind: str,
                         target: float) -> pd.Series:
    """Per area: the share of the engine's 2,000 paths (rounded to the series' reporting step, as
    the scorecard does) that meet the target in 2030."""
    out = {}
    for area, g in obs.groupby("area"):
        paths = trends.simulate_paths(indicator, area, "total", models=result.models, n_sims=N_SIMS)
        step = float(reporting_step(g["value"].to_numpy(float)).min())
        values = round_to_step(paths.values[:, paths.years == TARGET_YEAR][:, 0], step)
        out[area] = float(meets(values, kind, target).mean())
    return pd.Series(out)


def glm_coefficients(years: np.ndarray, num: np.ndarray, den: np.ndarray,
                     counts: bool) -> tuple[np.ndarray, np.ndarray, bool]:
    """Intercept and slope (year − 2024) of a plain statsmodels GLM and their covariance: Poisson
    with log(births) offset, or binomial; no dispersion scaling. A count series without any event
    has no finite maximum (statsmodels stops on a NaN deviance): it gets a constant rate with half
    an event added (the engine's own rule) and a slope of 0 ± 0.2, and the flag is True."""
    import statsmodels.api as sm

    if counts and num.sum() == 0:
        return np.array([np.log(0.5 / den.sum()), 0.0]), np.diag([1 / 0.5, 0.2**2]), True
    x = sm.add_constant(years - LAST_OBSERVED)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # events in the first or last years only: huge but usable covariance
        if counts:
            fit = sm.GLM(num, x, family=sm.families.Poisson(), offset=np.log(den)).fit()
        else:
            fit = sm.GLM(np.column_stack([num, den - num]), x, family=sm.families.Binomial()).fit()
    return np.asarray(fit.params), np.asarray(fit.cov_params()), False


def statsmodels_probability(g: pd.DataFrame, family: Family, kind: str, target: float, per: float,
                            rng: np.random.Generator) -> tuple[float, float, bool]:
    """The statsmodels comparator on one replicate: (P(met in 2030), the point prediction of
    2030, whether the no-event fallback was used). Coefficients drawn from the normal
    approximation N(β̂, cov(β̂)), then the sampling noise at the last observed denominator,
    rounded as published."""
    num, den = g["numerator"].to_numpy(float), g["denominator"].to_numpy(float)
    params, cov, fallback = glm_coefficients(g["year"].to_numpy(float), num, den, family.counts)
    beta = rng.multivariate_normal(params, cov, N_SIMS, method="cholesky")
    h = TARGET_YEAR - LAST_OBSERVED
    eta, eta_hat = beta[:, 0] + beta[:, 1] * h, params[0] + params[1] * h
    n_future = den[-1]
    if family.counts:
        # a slope without a finite maximum has a huge variance: a drawn rate is kept at most 1
        # (no more deaths than births)
        draws = rng.poisson(n_future * np.exp(np.clip(eta, -50, 0)))
        point = float(np.exp(eta_hat) * per)
    else:
        draws = rng.binomial(int(n_future), 1.0 / (1.0 + np.exp(-eta)))
        point = float(per / (1.0 + np.exp(-eta_hat)))
    values = np.round(draws / n_future * per, family.decimals)
    return float(meets(values, kind, target).mean()), point, fallback


def project_two_ways(obs: pd.DataFrame, future: pd.DataFrame, family: Family, kind: str, target: float,
                     cat) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Project the batch with the whole engine and with the trend alone: per area the two
    probabilities, the engine's chosen candidate and 2030 mean; and the realized 2025–2030
    values joined to each method's intervals (one row per area, method and year)."""
    runs = {"engine": trends.ProjectionSettings.from_params(),
            "trend alone": trends.ProjectionSettings.from_params(force_model="trend")}
    per_area, intervals = {}, []
    for label, settings in runs.items():
        result = trends.project_observations(obs, cat.indicators, settings)
        per_area[label] = engine_probabilities(result, obs, family.indicator, kind, target)
        proj = result.projections[result.projections["is_projection"]]
        joined = future.merge(proj[["area", "year", "mean", "lo80", "hi80", "lo95", "hi95"]], on=["area", "year"],
                              how="left")
        if joined["lo80"].isna().any():
            missing = int(joined["lo80"].isna().sum())
            raise RuntimeError(f"{family.name}/{label}: {missing} realized values without a projection")
        intervals.append(joined.assign(family=family.name, method=label, horizon=joined["year"] - LAST_OBSERVED))
        if label == "engine":
            per_area["engine_model"] = result.models.set_index("area")["chosen"]
            per_area["engine_mean_2030"] = proj[proj["year"] == TARGET_YEAR].set_index("area")["mean"]
    table = pd.DataFrame(per_area).rename(columns={"engine": "p_engine", "trend alone": "p_trend"})
    return table, pd.concat(intervals, ignore_index=True)


def run_family(family: Family, replicates: int, seed: int, cat) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One family: simulate, project (engine and trend alone), fit statsmodels, score; returns
    the forecasts (one row per replicate) and the interval checks (per replicate, method, year)."""
    entry = cat.indicators.loc[family.indicator]
    kind, target = str(entry["kind"]), float(entry["value"])
    per = float(parse.units()[entry["unit"]]["per"])  # params/units.yaml: 1000 for ‰, 100000 for /10万
    records, counts, future, truth = simulate_family(family, replicates, seed, per)
    obs = observations_table(records, cat)
    engine, intervals = project_two_ways(obs, future, family, kind, target, cat)
    def sm_rng(area: str) -> np.random.Generator:  # keyed to the replicate, not to the order of the batch
        return np.random.default_rng([seed, zlib.crc32(family.name.encode()), 1_000_000, int(area[1:])])

    sm_out = pd.DataFrame.from_dict({area: statsmodels_probability(g, family, kind, target, per, sm_rng(area))
                                     for area, g in counts.groupby("area")}, orient="index",
                                    columns=["p_sm", "sm_mean_2030", "sm_fallback"])
    realized = future[future["year"] == TARGET_YEAR].set_index("area")["realized"].rename("realized_2030")
    oracle = {m: oracle_probability(family, m, kind, target, per, seed) for m in truth.unique()}
    forecasts = pd.concat([truth, realized, engine, sm_out], axis=1).rename_axis("area").reset_index()
    forecasts = forecasts.assign(
        family=family.name, indicator_id=family.indicator, n_observed=len(family.observed_years), kind=kind,
        target=target, met=meets(forecasts["realized_2030"].to_numpy(), kind, target).astype(float),
        p_oracle=forecasts["truth_2030"].map(oracle))
    return forecasts[CSV_COLUMNS], intervals


def brier(p: pd.Series, y: pd.Series) -> float:
    """The mean squared difference between forecast probabilities and outcomes (Brier 1950)."""
    return float(((p - y) ** 2).mean())


def log_score(p: pd.Series, y: pd.Series, n: int = N_SIMS) -> float:
    """The mean negative log probability given to what happened, P smoothed to (k + ½)/(n + 1)
    (k of n paths met) so that a certainty proved wrong costs log(2n + 2), not infinity."""
    ps = (p * n + 0.5) / (n + 1)
    return float(-(y * np.log(ps) + (1 - y) * np.log(1 - ps)).mean())


def scores(frame: pd.DataFrame) -> pd.DataFrame:
    """Brier and log score of every forecaster (rows) on ``frame``, its mean P and its mean
    distance from the oracle's P (0 for a forecaster that knew the truth)."""
    return pd.DataFrame({"Brier": {k: brier(frame[c], frame["met"]) for k, c in FORECASTERS.items()},
                         "log score": {k: log_score(frame[c], frame["met"]) for k, c in FORECASTERS.items()},
                         "mean P": {k: frame[c].mean() for k, c in FORECASTERS.items()},
                         "mean |P - oracle|": {k: (frame[c] - frame["p_oracle"]).abs().mean()
                                               for k, c in FORECASTERS.items()}})


def reliability(frame: pd.DataFrame, column: str = "p_engine") -> pd.DataFrame:
    """Forecasts in each probability band: how many, their mean probability, the share met."""
    band = pd.cut(frame[column], BANDS, right=False, labels=BAND_LABELS).rename("P band")
    return frame.groupby(band, observed=False).agg(forecasts=("met", "size"), mean_p=(column, "mean"),
                                                   share_met=("met", "mean"))


def coverage(intervals: pd.DataFrame) -> pd.DataFrame:
    """Share of realized values inside the 80 % and 95 % intervals, per method and horizon."""
    v = intervals["realized"]
    frame = intervals.assign(in80=(v >= intervals["lo80"]) & (v <= intervals["hi80"]),
                             in95=(v >= intervals["lo95"]) & (v <= intervals["hi95"]))
    table = frame.groupby(["method", "horizon"])[["in80", "in95"]].mean().unstack("method")
    table.columns = [f"{w[2:]}% {m}" for w, m in table.columns]
    return table


def truth_range(truth: pd.Series) -> str:
    """The true 2030 mean of a family: its value, or the range of the drawn ones."""
    lo, hi = truth.min(), truth.max()
    return f"{lo:g}" if np.isclose(lo, hi) else f"{lo:.3g}–{hi:.3g}"


def report(title: str, forecasts: pd.DataFrame, intervals: pd.DataFrame) -> None:
    """Print the scores, the engine's reliability table and the coverage per horizon of one group."""
    fallback = int(forecasts["sm_fallback"].astype(bool).sum())
    note = f"; statsmodels no-event fallback in {fallback}" if fallback else ""
    print(f"=== {title}: {len(forecasts)} forecasts, met {forecasts['met'].mean():.0%}{note} ===")
    print(scores(forecasts).round(4).to_string(), "\n")
    print("engine reliability (P bands):")
    print(reliability(forecasts).round(3).to_string(), "\n")
    print("interval coverage of the realized values, by horizon (years after 2024):")
    print(coverage(intervals).round(3).to_string(), "\n")


def goals(forecasts: pd.DataFrame, intervals: pd.DataFrame) -> list[tuple[str, bool, str]]:
    """The probabilities issue's goals, each (goal, met?, the numbers): in every band of the
    engine's P with at least 50 forecasts the share met within ±0.05 of the mean P (pooled);
    80 % coverage in 0.77–0.83 and 95 % ≥ 0.93 per family and per horizon 1–6; the engine's
    Brier no worse than the trend alone's or statsmodels' in any family (within 0.01) and
    lower than both pooled."""
    out = []
    rel = reliability(forecasts)
    rel = rel[rel["forecasts"] >= 50]
    off = (rel["share_met"] - rel["mean_p"]).abs()
    out.append(("reliability: every band with ≥ 50 forecasts within ±0.05", bool((off <= 0.05).all()),
                ", ".join(f"{b} {p:.2f}→{m:.2f}" for b, p, m in zip(rel.index, rel["mean_p"], rel["share_met"],
                                                                     strict=True) if abs(m - p) > 0.05)))
    engine = intervals[intervals["method"] == "engine"]
    per = engine.assign(in80=(engine["realized"] >= engine["lo80"]) & (engine["realized"] <= engine["hi80"]),
                        in95=(engine["realized"] >= engine["lo95"]) & (engine["realized"] <= engine["hi95"]))
    cells = per.groupby(["family", "horizon"])
    cov, size = cells[["in80", "in95"]].mean(), cells.size()
    bad80 = cov[(cov["in80"] < 0.77) | (cov["in80"] > 0.83)]
    bad95 = cov[cov["in95"] < 0.93]
    # what perfectly calibrated intervals would give by chance with this many forecasts per cell
    chance80 = float(sum(stats.binom.cdf(np.ceil(0.77 * n) - 1, n, 0.8) + stats.binom.sf(np.floor(0.83 * n), n, 0.8)
                         for n in size))
    chance95 = float(sum(stats.binom.cdf(np.ceil(0.93 * n) - 1, n, 0.95) for n in size))
    out.append((f"80 % coverage in 0.77–0.83 per family and horizon ({len(cov)} cells)", bad80.empty,
                f"{len(bad80)} cells outside (nominal intervals: {chance80:.0f} by chance): "
                + ", ".join(sorted({f for f, _ in bad80.index}))))
    out.append(("95 % coverage ≥ 0.93 per family and horizon", bad95.empty,
                f"{len(bad95)} cells below (nominal: {chance95:.0f} by chance): "
                + ", ".join(sorted({f for f, _ in bad95.index}))))
    fam = forecasts.groupby("family").apply(lambda g: pd.Series({
        k: brier(g[c], g["met"]) for k, c in (("engine", "p_engine"), ("trend", "p_trend"), ("sm", "p_sm"))}),
        include_groups=False)
    worse = fam[(fam["engine"] > fam["trend"] + 0.01) | (fam["engine"] > fam["sm"] + 0.01)]
    out.append(("Brier no worse than the trend alone or statsmodels in any family (within 0.01)", worse.empty,
                ", ".join(f"{f} {r.engine:.3f} vs {min(r.trend, r.sm):.3f}" for f, r in worse.iterrows())))
    pooled = scores(forecasts)["Brier"]
    out.append(("pooled Brier below the trend alone's and statsmodels'",
                bool(pooled["engine"] < min(pooled["trend alone"], pooled["statsmodels"])),
                f"{pooled['engine']:.3f} vs {pooled['trend alone']:.3f} and {pooled['statsmodels']:.3f}"))
    return out


def reliability_diagram(forecasts: pd.DataFrame, path: str) -> None:
    """The reliability diagram (share met against mean P, per band, for the engine, the trend alone
    and statsmodels; the diagonal is perfect calibration) written to ``path`` (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 5), dpi=120)
    ax.plot([0, 1], [0, 1], color="grey", lw=0.8, ls="--")
    for label, column in (("engine", "p_engine"), ("trend alone", "p_trend"), ("statsmodels", "p_sm")):
        rel = reliability(forecasts, column)
        rel = rel[rel["forecasts"] > 0]
        ax.plot(rel["mean_p"], rel["share_met"], marker="o", label=label)
    ax.set_xlabel("mean P(met) in the band")
    ax.set_ylabel("share met")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_title(f"Reliability, {forecasts['family'].nunique()} simulated families ({len(forecasts)} forecasts)")
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=200, help="replicates per family (default 200)")
    parser.add_argument("--seed", type=int, default=2030)
    parser.add_argument("--families", default=None, help="comma-separated subset of the families (see --list)")
    parser.add_argument("--csv", default=None, help="write every forecast with its outcome to this CSV")
    parser.add_argument("--list", action="store_true", help="list the families and exit")
    parser.add_argument("--plot", default=None, help="write the reliability diagram to this PNG")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    pd.set_option("display.width", 160)
    if args.list:
        for f in FAMILIES:
            print(f"{f.name:18s} {f.indicator:6s} observed {f.first_observed}–{LAST_OBSERVED}: {f.description}")
        return 0
    by_name = {f.name: f for f in FAMILIES}
    names = args.families.split(",") if args.families else list(by_name)
    unknown = [n for n in names if n not in by_name]
    if unknown:
        parser.error(f"unknown families {unknown}; known: {', '.join(by_name)}")
    cat = load_catalog()
    started = time.perf_counter()
    all_f, all_i = [], []
    for name in names:
        t0 = time.perf_counter()
        f, i = run_family(by_name[name], args.replicates, args.seed, cat)
        all_f.append(f)
        all_i.append(i)
        print(f"[{name}: {time.perf_counter() - t0:.1f} s; engine models {f['engine_model'].value_counts().to_dict()}]")
    forecasts, intervals = pd.concat(all_f, ignore_index=True), pd.concat(all_i, ignore_index=True)
    if args.csv:
        forecasts.to_csv(args.csv, index=False)
    print()
    for name in names:
        fam = by_name[name]
        f = forecasts[forecasts["family"] == name]
        report(f"{name} ({fam.description}; observed {fam.first_observed}–{LAST_OBSERVED}; "
               f"true 2030 {truth_range(f['truth_2030'])}, target {f['kind'].iat[0]} {f['target'].iat[0]:g})",
               f, intervals[intervals["family"] == name])
    report(f"pooled over {len(names)} families", forecasts, intervals)
    print("pooled reliability of the trend alone and of statsmodels:")
    print(pd.concat({"trend alone": reliability(forecasts, "p_trend"), "statsmodels": reliability(forecasts, "p_sm")},
                    axis=1).round(3).to_string())
    print("\ngoals (issue 14):")
    for goal, ok, numbers in goals(forecasts, intervals):
        print(f"{'PASS' if ok else 'FAIL'}  {goal}" + (f": {numbers}" if numbers else ""))
    if args.plot:
        reliability_diagram(forecasts, args.plot)
        print(f"reliability diagram: {args.plot}")
    print(f"\nseed {args.seed}, {args.replicates} replicates per family, {N_SIMS} paths per forecast; "
          f"total {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
