"""Projections to 2030: every series, a few honest models, chosen by back-testing, vectorised.

:func:`project` reads ``observations.parquet``, projects every series (one indicator, area and
sex) from its last observed year to 2030, and writes ``projections.parquet`` (a predictive
distribution per year: mean, 80 % and 95 % intervals; observed years carry the fitted values)
and ``projection_models.parquet`` (per series: the family, each candidate's back-test scores,
the chosen model and why, the shrinkage toward the national trend, warnings, the fitted
parameters). :func:`simulate_paths` turns a series' record into seeded simulated paths to 2030
for the assessment stage. ``docs/projections.md`` explains the choices for a reader.

Families, by what the series is (catalog unit, ``params/units.yaml`` kind, counts present):

* ``poisson`` — a rate per 1,000 / 10,000 / 100,000 (unit kind ``rate``) with numerator and
  denominator in every year: a Poisson GLM with log link, ``log(denominator)`` as offset and a
  linear time trend; ``binomial`` — a percentage (kind ``proportion``) with counts in every
  year: a binomial GLM with logit link. Overdispersion is checked by Pearson χ²/df and, when it
  exceeds 1, the covariance is scaled by it (quasi-likelihood) and the sampling noise widened
  to match (gamma-Poisson, beta-binomial).
* ``logit`` — a proportion or rate without complete counts: modelled on the logit scale of its
  valid range (0–100 %, or the catalog's ``valid_range``), so projections stay inside it.
* ``log`` — a level, count or duration whose values are all positive: the log scale;
  ``linear`` — otherwise (a difference in percentage points, a level with zeros).

Candidates, on the family's scale (for the two count families ``trend`` and
``weighted_trend`` are the GLMs and ``damped`` and ``naive`` work on the empirical log/logit
rates with 0.5 added to the counts):

* ``trend`` — a straight line (least squares; t predictive intervals with n − 2 df that
  include the uncertainty of intercept and slope);
* ``weighted_trend`` — the same with recency weights ``0.5 ** (age / half_life)`` (discounted
  least squares; equal noise every year, sandwich covariance, exact effective residual df);
* ``damped`` — additive damped trend exponential smoothing (Gardner & McKenzie 1985), smoothing
  parameters chosen per series by least squares over a grid, ETS(A,Ad,N) forecast variance with
  n − 5 df (initial level and trend, α, β, φ estimated);
* ``naive`` — the last value carried forward, with the series' own volatility (a random walk:
  variance grows with the horizon).

Count GLMs: the covariance is scaled by Pearson χ²/df when above 1; a series without any event
gets a constant rate with half an event added; one whose events all fall in its first or last
year (no finite maximum) gets a normal prior on its slope. The future exposure is the smaller
of the last one and its own log-linear trend. Every predictive distribution is kept inside the
indicator's valid range.

Choice: rolling-origin back-test on the series itself (Tashman 2000): fit on the first k points
for every k ≥ ``min_fit_points``, forecast the rest; the candidate with the lowest mean
weighted interval score (Bracher et al. 2021: the absolute error of the median plus the
interval scores of the 80 % and 95 % intervals, a proper score rewarding both accuracy and
calibration) is chosen. A series with fewer than ``min_backtest_points`` points gets the
``trend`` with its intervals widened (``default_widen``), and its record says so. Intervals
of the analytic candidates are then calibrated across series: when a (family, candidate)'s
pooled out-of-sample errors (origins of 5+ points, all series of the run) exceed its 80 %
half-widths more than 20 % of the time, its intervals are widened by the factor that would have
covered 80 % (split-conformal calibration, Lei et al. 2018; never narrowed).

Borrowing strength: a district, town or urban/rural series whose comparator (area
``national``, same indicator and sex — else the national total) has two or more points has its
trend slope shrunk toward the comparator's by precision weighting (the normal–normal
partial-pooling posterior, Gelman et al. 2013, ch. 5): weight on the comparator
``w = se_own² / (se_own² + tau² + se_comp²)``. Applied to the trend candidates, in the
back-test too (with the comparator cut at the same year); the weight is recorded.

Vectorised: all series are laid on one yearly grid (series × years, a mask where observed);
least squares are closed-form weighted sums, the GLMs are fitted by batched IRLS (2 × 2 normal
equations in closed form), the damped-trend recursion runs across series and a parameter grid
at once, and the back-test stacks every (series, origin) pair as one more row. statsmodels is
the reference the tests compare against.

References
----------
.. [1] Tashman, L. J. (2000). Out-of-sample tests of forecasting accuracy: an analysis and
   review. International Journal of Forecasting 16(4), 437–450.
.. [2] Gardner, E. S., & McKenzie, E. (1985). Forecasting trends in time series. Management
   Science 31(10), 1237–1246.
.. [3] Hyndman, R. J., Koehler, A. B., Ord, J. K., & Snyder, R. D. (2008). Forecasting with
   Exponential Smoothing: The State Space Approach. Springer (Table 6.1: ETS forecast variances).
.. [4] Hyndman, R. J., & Athanasopoulos, G. (2021). Forecasting: Principles and Practice, 3rd
   ed. (FPP3), OTexts, ch. 5 (benchmark methods, prediction intervals), 8 (damped trend).
.. [5] Agresti, A. (2013). Categorical Data Analysis, 3rd ed. Wiley (binomial GLM, logit).
.. [6] Cameron, A. C., & Trivedi, P. K. (2013). Regression Analysis of Count Data, 2nd ed.
   Cambridge University Press (overdispersion, Pearson χ²/df, quasi-Poisson).
.. [7] McCullagh, P., & Nelder, J. A. (1989). Generalized Linear Models, 2nd ed. Chapman & Hall
   (IRLS; quasi-likelihood dispersion).
.. [8] Gelman, A., Carlin, J. B., Stern, H. S., Dunson, D. B., Vehtari, A., & Rubin, D. B.
   (2013). Bayesian Data Analysis, 3rd ed. CRC Press, ch. 5 (partial pooling).
.. [9] Bracher, J., Ray, E. L., Gneiting, T., & Reich, N. G. (2021). Evaluating epidemic
   forecasts in an interval format. PLoS Computational Biology 17(2), e1008618.
.. [10] Gneiting, T., & Raftery, A. E. (2007). Strictly proper scoring rules, prediction, and
   estimation. JASA 102(477), 359–378 (the interval score).
.. [11] Lei, J., G'Sell, M., Rinaldo, A., Tibshirani, R. J., & Wasserman, L. (2018).
   Distribution-free predictive inference for regression. JASA 113(523), 1094–1111.
"""

from __future__ import annotations

import json
import logging
import math
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import special, stats

from analysis import atomic, config, parse
from analysis.catalog import Catalog, load_catalog, plan_order

log = logging.getLogger(__name__)

KEY = ["indicator_id", "area", "sex"]
#: the quantile levels every predictive distribution is summarised by
QUANTILES = np.array([0.025, 0.1, 0.5, 0.9, 0.975])
CANDIDATES = ("trend", "weighted_trend", "damped", "naive")
LINEAR, LOG, LOGIT, POISSON, BINOMIAL = range(5)
FAMILY_NAMES = np.array(["linear", "log", "logit", "poisson", "binomial"])
#: the model scale of each family: 0 identity, 1 log, 2 logit of the valid range
SCALE_OF_FAMILY = np.array([0, 1, 2, 1, 2])
SCALE_NAMES = {0: "linear", 1: "log", 2: "logit"}
#: areas that are comparators, never given a comparator themselves
COMPARATOR_AREAS = ("national", "national_urban", "national_rural", "henan", "luoyang")
COMPARATOR_AREA = "national"
PROJECTION_COLUMNS = ["indicator_id", "area", "sex", "year", "mean", "lo80", "hi80", "lo95", "hi95", "model",
                      "is_projection"]
MODEL_COLUMNS = ["indicator_id", "area", "sex", "n_points", "first_year", "last_year", "projectable", "reason",
                 "family", "scale", "candidates", "chosen", "model", "why", "comparator", "shrinkage_weight",
                 "own_slope", "comparator_slope", "slope", "warnings", "params", "seed"]
PROJECTION_DTYPES = {"indicator_id": "str", "area": "str", "sex": "str", "year": "int64", "mean": float,
                     "lo80": float, "hi80": float, "lo95": float, "hi95": float, "model": "str",
                     "is_projection": bool}
X0 = 2000.0  # time origin of the design (years are used as year - X0)
FLAG_WARNINGS = {
    "lower_bound": "value(s) published as a lower bound (以上) kept as the value: the level may be understated",
    "approximate": "approximate value(s) (近, 多) kept as published",
    "jump": "value(s) flagged 'jump' by the cleaning step kept",
}


@dataclass(frozen=True)
class Settings:
    """The engine's parameters (all have documented defaults; see docs/projections.md).

    ``force_model`` projects every series with one candidate (``"naive"`` for the baseline of
    the national back-test) instead of choosing; ``use_comparator`` turns shrinkage off.
    """

    horizon: int = 2030
    min_backtest_points: int = 5
    min_fit_points: int = 3
    half_life: float = 3.0
    default_widen: float = 1.25
    shrink_tau: float = 0.05
    damped_alpha: tuple[float, ...] = (0.1, 0.3, 0.5, 0.7, 0.85, 0.99)
    damped_beta: tuple[float, ...] = (0.0, 0.05, 0.15, 0.3, 0.5)
    damped_phi: tuple[float, ...] = (0.8, 0.88, 0.94, 0.98)
    n_sims: int = 1000
    n_sims_backtest: int = 400
    seed: int = 2030
    exposure: str = "conservative"
    force_model: str | None = None
    use_comparator: bool = True
    calibrate: bool = True
    calibration_min_forecasts: int = 30
    calibration_max: float = 3.0

    def __post_init__(self) -> None:
        if self.exposure not in ("conservative", "last", "trend"):
            raise ValueError(f"exposure must be 'conservative', 'last' or 'trend', not {self.exposure!r}")
        if self.force_model is not None and self.force_model not in CANDIDATES:
            raise ValueError(f"force_model must be one of {CANDIDATES}, not {self.force_model!r}")
        if self.min_fit_points < 2 or self.min_backtest_points <= self.min_fit_points:
            raise ValueError("need 2 <= min_fit_points < min_backtest_points")

    @classmethod
    def from_params(cls, path: str | Path = config.PARAMS_DIR / "projection.yaml", **overrides: Any) -> Settings:
        """The settings in ``params/projection.yaml`` (reviewed data), with ``overrides`` on top.

        Raises :class:`analysis.config.ParamsError` naming the file and the unknown key.
        """
        return config.settings_from_yaml(cls, path, **overrides)

    @property
    def decay(self) -> float:
        """The yearly recency-weight factor: weights halve every ``half_life`` years."""
        return 0.5 ** (1.0 / self.half_life)


# --- scales ----------------------------------------------------------------------------------


def to_model_scale(v, scale, lo, hi):
    """Values in the indicator's unit → the model scale (identity, log, or logit of [lo, hi])."""
    v = np.asarray(v, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        logit = np.log((v - lo) / (hi - v))
        return np.where(scale == 1, np.log(v), np.where(scale == 2, logit, v))


def from_model_scale(z, scale, lo, hi):
    """The model scale → the indicator's unit (the inverse of :func:`to_model_scale`)."""
    z = np.asarray(z, dtype=float)
    with np.errstate(over="ignore", invalid="ignore"):
        inv_logit = lo + (hi - lo) * special.expit(z)
        return np.where(scale == 1, np.exp(z), np.where(scale == 2, inv_logit, z))


def _scale_derivative(v, scale, lo, hi):
    """dz/dv at ``v``: how a small error in the unit maps onto the model scale."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(scale == 1, 1.0 / v, np.where(scale == 2, (hi - lo) / ((v - lo) * (hi - v)), 1.0))


def reporting_step(values: np.ndarray) -> np.ndarray:
    """The reporting step of each value: 1 for 93, 0.1 for 93.5, 0.01 for 3.41 (down to 1e-4)."""
    values = np.asarray(values, dtype=float)
    res = np.full(values.shape, 1e-4)
    for d in range(4, -1, -1):
        scaled = values * 10.0**d
        exact = np.abs(scaled - np.round(scaled)) < 1e-6 * np.maximum(1.0, np.abs(scaled))
        res = np.where(exact, 10.0**-d, res)
    return res


# --- the series on one grid ------------------------------------------------------------------


@dataclass
class Batch:
    """Every series laid on one yearly grid: arrays (series × years) with a mask where observed.

    ``z`` is the value on the model scale (for the count families the empirical log / logit rate
    with 0.5 added to the counts); ``y`` and ``e`` the counts (numerator, denominator).
    """

    keys: pd.DataFrame
    years: np.ndarray
    value: np.ndarray
    z: np.ndarray
    mask: np.ndarray
    y: np.ndarray
    e: np.ndarray
    family: np.ndarray
    scale: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    per: np.ndarray
    floor: np.ndarray
    projectable: np.ndarray
    reason: np.ndarray
    warnings: list[list[str]]
    comp: np.ndarray
    comp_label: np.ndarray
    comp_z: np.ndarray
    comp_mask: np.ndarray
    tau: np.ndarray
    vlo: np.ndarray | None = None
    vhi: np.ndarray | None = None
    bounded: np.ndarray | None = None  # series holding a value published as a bound or approximately

    @property
    def x(self) -> np.ndarray:
        """The grid's years as the design's time variable (year - 2000)."""
        return self.years - X0

    @property
    def n(self) -> np.ndarray:
        """Number of observed values of each series (cached)."""
        if getattr(self, "_n", None) is None:
            self._n = self.mask.sum(axis=1)
        return self._n

    def key(self, i: int) -> tuple[str, str, str]:
        """The (indicator_id, area, sex) of series ``i``."""
        if getattr(self, "_keys", None) is None:
            self._keys = [tuple(k) for k in self.keys[KEY].to_numpy(object)]
        return self._keys[i]


def _unit_table(indicators: pd.DataFrame, ids: pd.Index) -> pd.DataFrame:
    """Per indicator id: unit, unit kind, per, valid range (lo, hi) and whether it is in the catalog."""
    from analysis.clean import valid_range

    units = parse.units()
    rows = []
    for iid in ids:
        if iid not in indicators.index:
            rows.append({"id": iid, "in_catalog": False, "unit": None, "unit_kind": None, "per": np.nan,
                         "lo": np.nan, "hi": np.nan})
            continue
        entry = indicators.loc[iid]
        unit = entry.get("unit")
        unit = unit if isinstance(unit, str) and unit else None
        spec = units.get(unit, {}) if unit else {}
        lo, hi = valid_range(entry, unit) if unit in units else (np.nan, np.nan)
        rows.append({"id": iid, "in_catalog": True, "unit": unit, "unit_kind": spec.get("kind"),
                     "per": float(spec["per"]) if "per" in spec else np.nan, "lo": lo, "hi": hi})
    return pd.DataFrame(rows).set_index("id")


def _series_info(obs: pd.DataFrame, codes: np.ndarray, n_series: int, indicators: pd.DataFrame,
                 keys: pd.DataFrame) -> pd.DataFrame:
    """One row per series: counts complete?, all positive?, the unit's kind and range, flags."""
    den = obs["denominator"].to_numpy(float)
    num = obs["numerator"].to_numpy(float)
    has_counts = np.isfinite(num) & np.isfinite(den) & (den > 0)
    value = obs["value"].to_numpy(float)
    flags = obs["flags"].fillna("").astype(str)
    info = pd.DataFrame({
        "n": np.bincount(codes, minlength=n_series),
        "counts": np.bincount(codes, weights=has_counts, minlength=n_series),
        "positive": np.bincount(codes, weights=value > 0, minlength=n_series),
        "resolution": pd.Series(reporting_step(value)).groupby(codes).min().reindex(range(n_series)).to_numpy(),
    })
    for flag in FLAG_WARNINGS:
        hit = flags.str.contains(rf"(?:^|;){flag}(?:$|;|:)", regex=True).to_numpy()
        info[f"flag_{flag}"] = np.bincount(codes, weights=hit, minlength=n_series).astype(int)
    units = _unit_table(indicators, pd.Index(keys["indicator_id"].unique()))
    joined = units.reindex(keys["indicator_id"]).reset_index(drop=True)
    return pd.concat([info, joined], axis=1)


def _family_and_reason(info: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The family of each series (FAMILY codes, -1 when it cannot be projected) and the reason."""
    kind = info["unit_kind"].to_numpy(object)
    known = ~pd.isna(info["unit_kind"]).to_numpy()
    complete = (info["counts"] == info["n"]).to_numpy()
    positive = (info["positive"] == info["n"]).to_numpy()
    share = np.isin(kind, ["proportion", "rate"])
    family = np.select(
        [share & complete & (kind == "rate"), share & complete, share,
         np.isin(kind, ["level", "count", "duration"]) & positive, known],
        [POISSON, BINOMIAL, LOGIT, LOG, LINEAR], default=-1)
    reason = np.full(len(info), "", dtype=object)
    in_catalog = info["in_catalog"].to_numpy(bool)
    no_unit = info["unit"].isna().to_numpy()
    reason[in_catalog & no_unit] = "qualitative indicator: no unit in the catalog, nothing to project"
    reason[in_catalog & ~no_unit & ~known] = "unit not in params/units.yaml: its kind and range are unknown"
    reason[~in_catalog] = "indicator not in the catalog: unit and range unknown"
    n = info["n"].to_numpy()
    few = (n < 2) & (reason == "")
    reason[few] = [f"only {k} point{'s' if k != 1 else ''}: a trend needs at least 2" for k in n[few]]
    family = np.where(reason != "", -1, family)
    return family, reason


def _flag_warnings(info: pd.DataFrame) -> list[list[str]]:
    """Warnings each series carries from its values' flags (``derived`` values are not treated apart)."""
    out: list[list[str]] = [[] for _ in range(len(info))]
    for flag, text in FLAG_WARNINGS.items():
        for i in np.flatnonzero(info[f"flag_{flag}"].to_numpy() > 0):
            out[i].append(f"{info[f'flag_{flag}'].iat[i]} {text}")
    return out


def build_batch(obs: pd.DataFrame, indicators: pd.DataFrame, settings: Settings) -> Batch:
    """Lay every series of ``obs`` on one yearly grid and decide its family (see module doc)."""
    obs = obs.sort_values([*KEY, "year"]).reset_index(drop=True)
    grouped = obs.groupby(KEY, sort=True)
    codes = grouped.ngroup().to_numpy()
    keys = grouped.size().reset_index()[KEY]
    S = len(keys)
    first_year = int(obs["year"].min()) if len(obs) else settings.horizon
    years = np.arange(first_year, max(settings.horizon, int(obs["year"].max()) if len(obs) else 0) + 1)
    col = obs["year"].to_numpy(int) - first_year
    T = len(years)
    value, y, e = (np.full((S, T), np.nan) for _ in range(3))
    value[codes, col] = obs["value"].to_numpy(float)
    y[codes, col] = obs["numerator"].to_numpy(float)
    e[codes, col] = obs["denominator"].to_numpy(float)
    mask = np.isfinite(value)

    info = _series_info(obs, codes, S, indicators, keys)
    family, reason = _family_and_reason(info)
    warnings = _flag_warnings(info)
    fam = np.where(family >= 0, family, LINEAR)
    scale = SCALE_OF_FAMILY[fam]
    per = info["per"].to_numpy(float)
    lo = np.where(fam == BINOMIAL, 0.0, info["lo"].to_numpy(float))
    hi = np.where(fam == BINOMIAL, per, info["hi"].to_numpy(float))
    lo, hi = np.where(scale == 2, lo, np.nan), np.where(scale == 2, hi, np.nan)
    res = info["resolution"].to_numpy(float)
    delta = np.where(scale == 2, res / 4.0, 0.0)

    clipped = np.where(scale[:, None] == 2, np.clip(value, (lo + delta)[:, None], (hi - delta)[:, None]), value)
    n_clipped = (mask & (np.abs(clipped - value) > 0)).sum(axis=1)
    for i in np.flatnonzero(n_clipped & (family == LOGIT)):
        warnings[i].append(f"{n_clipped[i]} value(s) at the bound of the range moved {delta[i]:g} inside it "
                           "for the logit scale")
    z = to_model_scale(clipped, scale[:, None], lo[:, None], hi[:, None])
    count_z = np.where(fam[:, None] == POISSON, np.log(per[:, None] * (y + 0.5) / e),
                       np.log((y + 0.5) / (e - y + 0.5)))
    z = np.where(np.isin(fam, [POISSON, BINOMIAL])[:, None], count_z, z)
    z = np.where(mask, z, np.nan)

    last = np.where(mask, clipped, np.nan)
    last_value = last[np.arange(S), _last_col(mask).clip(0)]
    floor = res / math.sqrt(12.0) * np.abs(_scale_derivative(last_value, scale, lo, hi))
    floor = np.where(np.isfinite(floor), floor, 0.0)

    batch = Batch(keys=keys, years=years, value=value, z=z, mask=mask, y=y, e=e, family=fam, scale=scale, lo=lo,
                  hi=hi, per=per, floor=floor, projectable=family >= 0, reason=reason, warnings=warnings,
                  comp=np.full(S, -1), comp_label=np.full(S, "", dtype=object), comp_z=np.full((S, T), np.nan),
                  comp_mask=np.zeros((S, T), bool), tau=np.zeros(S), vlo=info["lo"].to_numpy(float),
                  vhi=info["hi"].to_numpy(float),
                  bounded=(info["flag_lower_bound"] + info["flag_approximate"]).to_numpy() > 0)
    if settings.use_comparator:
        _attach_comparators(batch, settings)
    return batch


def _attach_comparators(batch: Batch, settings: Settings) -> None:
    """Find each local series' comparator (national, same sex, else national total; never one
    holding bound or approximate values) and put the comparator's values on the series' own
    model scale."""
    keys = batch.keys
    national = keys.index[keys["area"] == COMPARATOR_AREA]
    # a comparator holding values published as bounds ("99%以上", then "90%以上") has no trend to
    # lend: the bounds' movement is the reports' wording, not the indicator's
    usable = np.ones(len(keys), bool) if batch.bounded is None else ~batch.bounded
    nat = {(keys.at[i, "indicator_id"], keys.at[i, "sex"]): i for i in national
           if batch.mask[i].sum() >= 2 and usable[i]}
    local = ~keys["area"].isin(COMPARATOR_AREAS).to_numpy() & batch.projectable
    ids, sexes = keys["indicator_id"].to_numpy(object), keys["sex"].to_numpy(object)
    for i in np.flatnonzero(local):
        j = nat.get((ids[i], sexes[i]), nat.get((ids[i], "total")))
        if j is not None:
            batch.comp[i] = j
            batch.comp_label[i] = f"{COMPARATOR_AREA}/{sexes[j]}"
    has = batch.comp >= 0
    if not has.any():
        return
    idx = np.flatnonzero(has)
    sc, lo, hi = batch.scale[idx, None], batch.lo[idx, None], batch.hi[idx, None]
    res = np.where(sc == 2, 1e-3 * (hi - lo), 0.0)
    v = batch.value[batch.comp[idx]]
    v = np.where(sc == 2, np.clip(v, lo + res, hi - res), v)
    cz = to_model_scale(v, sc, lo, hi)
    cm = batch.mask[batch.comp[idx]] & np.isfinite(cz)
    batch.comp_z[idx] = np.where(cm, cz, np.nan)
    batch.comp_mask[idx] = cm
    level = np.nanmean(np.abs(np.where(cm, v, np.nan)), axis=1)
    batch.tau[idx] = np.where(batch.scale[idx] == 0, settings.shrink_tau * level, settings.shrink_tau)


def _last_col(mask: np.ndarray) -> np.ndarray:
    """The last observed column of each row (-1 when none)."""
    T = mask.shape[1]
    any_ = mask.any(axis=1)
    return np.where(any_, T - 1 - np.argmax(mask[:, ::-1], axis=1), -1)


def _first_col(mask: np.ndarray) -> np.ndarray:
    """The first observed column of each row (-1 when none)."""
    return np.where(mask.any(axis=1), np.argmax(mask, axis=1), -1)


def _prev_col(mask: np.ndarray) -> np.ndarray:
    """For every column, the last observed column strictly before it (-1 when none)."""
    T = mask.shape[1]
    upto = np.maximum.accumulate(np.where(mask, np.arange(T), -1), axis=1)
    return np.concatenate([np.full((mask.shape[0], 1), -1), upto[:, :-1]], axis=1)


# --- straight lines: closed-form weighted least squares --------------------------------------


@dataclass
class Line:
    """A straight line on the model scale for each row, centred at ``xc`` so that intercept and
    slope are uncorrelated: ``z(x) = a + b (x - xc)``, ``Var(a) = var_a``, ``Var(b) = var_b``;
    ``s2`` the noise variance of a new value (the GLM dispersion for count models), ``df`` the
    residual degrees of freedom."""

    xc: np.ndarray
    a: np.ndarray
    b: np.ndarray
    var_a: np.ndarray
    var_b: np.ndarray
    s2: np.ndarray
    df: np.ndarray

    def at(self, rows: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and predictive variance (noise included) of a new value at ``x`` for ``rows``."""
        dx = x - self.xc[rows]
        return self.a[rows] + self.b[rows] * dx, self.s2[rows] + self.var_a[rows] + dx**2 * self.var_b[rows]


def wls_sums(z: np.ndarray, w: np.ndarray, x: np.ndarray, ridge: np.ndarray | float = 0.0
             ) -> tuple[np.ndarray, ...]:
    """Weighted least squares of ``z`` on ``x`` for every row at once (w = 0 where missing).

    Returns the weighted centre ``xc``, the fitted value there ``a``, the slope ``b``, the sum
    of weights, the weighted sum of squares of x about ``xc`` and the weighted residual sum of
    squares. ``ridge`` (per row) is added to the slope's normal equation: a normal prior on the
    slope with precision ``ridge`` centred on 0 (used only where a GLM has no finite maximum).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        z0 = np.where(w > 0, z, 0.0)
        sw = w.sum(axis=1)
        xc = (w * x).sum(axis=1) / sw
        a = (w * z0).sum(axis=1) / sw
        dx = x - xc[:, None]
        sxx = (w * dx**2).sum(axis=1)
        b = (w * dx * z0).sum(axis=1) / (sxx + ridge)
        resid = np.where(w > 0, z0 - a[:, None] - b[:, None] * dx, 0.0)
        rss = (w * resid**2).sum(axis=1)
    return xc, a, b, sw, sxx, rss


def recency_weights(mask: np.ndarray, x: np.ndarray, decay: float) -> np.ndarray:
    """Weights ``decay ** (last observed year - year)``: 1 for the latest value, 0 where missing."""
    last = _last_col(mask)
    x_last = x[np.clip(last, 0, None)]
    return np.where(mask, decay ** np.clip(x_last[:, None] - x, 0, None), 0.0)


def fit_line(z: np.ndarray, mask: np.ndarray, x: np.ndarray, weights: np.ndarray | None,
             floor: np.ndarray) -> Line:
    """A least-squares trend per row (recency-weighted when ``weights`` are given), with t
    predictive intervals that include the uncertainty of intercept and slope.

    Unweighted: ordinary least squares, ``s2 = RSS / (n − 2)``, n − 2 df (what statsmodels' OLS
    prediction interval gives). Weighted (discounted least squares): the weights discount old
    years, they do not say old values were noisier, so the noise is taken as the same every
    year: ``s2 = Σ w r² / d`` with ``d = Σw − Σw²/Σw − Σw²(x−x̄)²/Σw(x−x̄)²`` the exact
    expectation factor of Σ w r² (n − 2 when all w = 1), ``d`` df, and the coefficients'
    variances are the sandwich ``(X'WX)⁻¹ X'W²X (X'WX)⁻¹ s2``. Two points leave no residual:
    ``s2`` is then the squared change between them per year (their only measure of volatility)
    with 1 df. ``s2`` never falls below ``floor²`` (the rounding of the published values).
    """
    w = mask.astype(float) if weights is None else np.where(mask, weights, 0.0)
    xc, a, b, sw, sxx, rss = wls_sums(z, w, x)
    n = mask.sum(axis=1)
    naive = fit_naive(z, mask, x, np.zeros(len(z)))
    with np.errstate(divide="ignore", invalid="ignore"):
        dx = np.where(w > 0, x - xc[:, None], 0.0)
        w2, w2x, w2xx = (w**2).sum(1), (w**2 * dx).sum(1), (w**2 * dx**2).sum(1)
        d = sw - w2 / sw - w2xx / sxx
        s2 = np.where(n > 2, rss / np.maximum(d, 1e-9), naive.s2)
        s2 = np.maximum(s2, floor**2)
        var_a, var_b, cov_ab = s2 * w2 / sw**2, s2 * w2xx / sxx**2, s2 * w2x / (sw * sxx)
        # move the centre so that intercept and slope are uncorrelated (exactly xc when unweighted)
        shift = np.where(var_b > 0, -cov_ab / var_b, 0.0)
        a, xc, var_a = a + b * shift, xc + shift, var_a - np.where(var_b > 0, cov_ab**2 / var_b, 0.0)
        df = np.where(n > 2, np.maximum(np.round(d, 1), 1.0), 1.0)
    return Line(xc=xc, a=a, b=b, var_a=var_a, var_b=var_b, s2=s2, df=df)


# --- the naive random walk ---------------------------------------------------------------------


@dataclass
class Naive:
    """The last value carried forward; ``s2`` the variance of a one-year change (random walk)."""

    z_last: np.ndarray
    x_last: np.ndarray
    s2: np.ndarray
    df: np.ndarray


def fit_naive(z: np.ndarray, mask: np.ndarray, x: np.ndarray, floor: np.ndarray) -> Naive:
    """Random walk without drift: ``s2 = mean((Δz)² / Δt)`` over consecutive observed values
    (a change over a gap of g years counts as g years of steps), df = n − 1."""
    rows = np.arange(len(z))
    prev = _prev_col(mask)
    has_prev = mask & (prev >= 0)
    z_prev = np.take_along_axis(z, np.clip(prev, 0, None), axis=1)
    dt = x[None, :] - x[np.clip(prev, 0, None)]
    with np.errstate(divide="ignore", invalid="ignore"):
        step = np.where(has_prev, (z - z_prev) ** 2 / dt, 0.0)
        m = has_prev.sum(axis=1)
        s2 = np.maximum(step.sum(axis=1) / m, floor**2)
    last = _last_col(mask)
    return Naive(z_last=z[rows, np.clip(last, 0, None)], x_last=x[np.clip(last, 0, None)], s2=s2,
                 df=np.maximum(m, 1).astype(float))


# --- damped trend exponential smoothing ------------------------------------------------------


@dataclass
class Damped:
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


def _phi_sum(phi, h):
    """φ + φ² + … + φ^h."""
    return phi * (1.0 - phi**h) / (1.0 - phi)


def damped_variance_factor(alpha, beta, phi, h):
    """ETS(A,Ad,N) h-step forecast variance / σ²: ``1 + Σ_{j<h} (α (1 + β φ_j))²`` with
    φ_j = φ + … + φ^j and β the Holt-form trend smoothing (Hyndman et al. 2008, Table 6.1)."""
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


def fit_damped(z: np.ndarray, mask: np.ndarray, x: np.ndarray, floor: np.ndarray, settings: Settings,
               keep_fitted: bool = False, chunk: int = 8000) -> Damped:
    """Damped trend per row: the initial level and trend from the least-squares line (the level
    one year before the first value), (α, β, φ) by least squares over the settings' grid, then
    ``s2`` = that sum of squares / (n − 5): five quantities were estimated from the series (two
    initial states, three smoothing parameters; Hyndman et al. 2008, §5.2), at least 1 df."""
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


# --- count GLMs: batched IRLS ------------------------------------------------------------------


@dataclass
class GLMFit(Line):
    """A Poisson (log link, offset log e) or binomial (logit link) GLM trend per row, centred at
    the information-weighted mean year so that intercept and slope are uncorrelated; ``s2`` is
    the dispersion used (max(1, Pearson χ²/df)), ``phi_hat`` the estimate, ``converged`` and
    ``no_events`` flags, and the exposure's own log-linear trend for projecting it."""

    phi_hat: np.ndarray = field(default_factory=lambda: np.array([]))
    converged: np.ndarray = field(default_factory=lambda: np.array([]))
    no_events: np.ndarray = field(default_factory=lambda: np.array([]))
    penalized: np.ndarray = field(default_factory=lambda: np.array([]))
    exposure: Line | None = None
    e_last: np.ndarray = field(default_factory=lambda: np.array([]))

    def coef(self) -> tuple[np.ndarray, np.ndarray]:
        """Intercept at x = 0 (year 2000) and slope: the parametrisation statsmodels reports."""
        return self.a - self.b * self.xc, self.b

    def cov(self) -> np.ndarray:
        """The (rows × 2 × 2) covariance of (intercept at x = 0, slope), dispersion included."""
        vaa = self.var_a + self.xc**2 * self.var_b
        vab = -self.xc * self.var_b
        return np.stack([np.stack([vaa, vab], -1), np.stack([vab, self.var_b], -1)], -2)


#: sd of the normal prior put on a GLM slope (per year, link scale) when the likelihood has no
#: finite maximum because every event falls in the first or the last year of the series
SLOPE_PRIOR_SD = 0.2


def _at_one_end(positive: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Rows where every ``positive`` cell is in the first observed year, or every one in the last."""
    cols = np.arange(mask.shape[1])[None, :]
    first, last = _first_col(mask)[:, None], _last_col(mask)[:, None]
    positive = positive & mask
    only_first = ~(positive & (cols != first)).any(axis=1)
    only_last = ~(positive & (cols != last)).any(axis=1)
    return positive.any(axis=1) & (only_first | only_last)


def _glm_pieces(eta, y, e, poisson, w):
    """IRLS pieces at the linear predictor ``eta``: mean count, working weights, working response."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        p = special.expit(eta)
        mu = np.where(poisson, e * np.exp(eta), e * p)
        var = np.where(poisson, mu, e * p * (1.0 - p))
        weight = w * var
        work = eta + np.where(var > 0, (y - mu) / var, 0.0)
    return mu, var, weight, work


def fit_glm(y: np.ndarray, e: np.ndarray, mask: np.ndarray, x: np.ndarray, family: np.ndarray,
            weights: np.ndarray | None = None, max_iter: int = 100, tol: float = 1e-11) -> GLMFit:
    """Fit ``g(E[y]/e) = α + β x`` for every row by iteratively reweighted least squares.

    Poisson rows: log link with offset log(e); binomial rows: y successes of e trials, logit
    link. ``weights`` are variance weights (statsmodels' ``var_weights``; the recency weights of
    ``weighted_trend``). The covariance is the inverse Fisher information times the dispersion
    ``max(1, Pearson χ²/(n − 2))`` (quasi-likelihood; McCullagh & Nelder 1989, §4.5). A row with
    no events at all (or only events, binomial) has no finite maximum: it gets a constant rate
    with half an event added, b = 0 with no uncertainty of its own (the data say nothing about a
    trend; a comparator's slope can still be borrowed), and the intercept's information at
    that rate (half an event: Var(log rate) = 2). A row whose events all
    fall in its first or its last year (or, binomial, whose non-events do) has none either: its
    slope gets a normal prior with sd :data:`SLOPE_PRIOR_SD` (a ridge penalty; ``penalized``).
    """
    w = mask.astype(float) if weights is None else np.where(mask, weights, 0.0)
    poisson = (family == POISSON)[:, None]
    y0, e0 = np.where(mask, y, 0.0), np.where(mask, e, 1.0)
    ty, te = (w * y0).sum(1), (w * e0).sum(1)
    no_events = (ty <= 0) | (~poisson[:, 0] & (ty >= te))
    penalized = ~no_events & (_at_one_end(y0 > 0, mask) | (~poisson[:, 0] & _at_one_end(y0 < e0, mask)))
    ridge = np.where(penalized, 1.0 / SLOPE_PRIOR_SD**2, 0.0)
    start = np.where(poisson, np.log((y0 + 0.5) / e0), np.log((y0 + 0.5) / (e0 - y0 + 0.5)))
    xc, a, b, *_ = wls_sums(start, w, x)
    eta = a[:, None] + b[:, None] * (x - xc[:, None])
    converged = np.zeros(len(y), bool)
    for _ in range(max_iter):
        _, _, weight, work = _glm_pieces(eta, y0, e0, poisson, w)
        xc, a, b, *_ = wls_sums(work, weight, x, ridge)
        new = np.clip(a[:, None] + b[:, None] * (x - xc[:, None]), -50.0, 50.0)
        change = np.where(mask, np.abs(new - eta), 0.0).max(axis=1)
        eta = np.where(no_events[:, None], eta, new)
        converged = change < tol * (1 + np.abs(eta).max(axis=1))
        if converged[~no_events].all():
            break
    # half an event added on the side the data never reached: no successes → just above 0,
    # only successes (binomial, 2/2, 1/1 …) → just below 1
    const = np.where(poisson[:, 0], np.log(0.5 / te),
                     np.where(ty >= te, special.logit((te + 0.5) / (te + 1.0)), special.logit(0.5 / (te + 1.0))))
    eta = np.where(no_events[:, None], const[:, None], eta)
    mu, var, weight, _ = _glm_pieces(eta, y0, e0, poisson, w)
    with np.errstate(divide="ignore", invalid="ignore"):
        sw = weight.sum(1)
        xcw = (weight * x).sum(1) / sw
        a = (weight * eta).sum(1) / sw
        b = np.where(no_events, 0.0, ((weight * (x - xcw[:, None]) * eta).sum(1)
                                      / (weight * (x - xcw[:, None]) ** 2).sum(1)))
        var_a = 1.0 / sw
        var_b = np.where(no_events, 0.0, 1.0 / ((weight * (x - xcw[:, None]) ** 2).sum(1) + ridge))
        pearson = np.where(mask & (var > 0), w * (y0 - mu) ** 2 / var, 0.0).sum(1)
        n = mask.sum(1)
        phi_hat = np.where(n > 2, pearson / np.maximum(n - 2, 1), np.nan)
    disp = np.where(np.isfinite(phi_hat) & ~no_events, np.maximum(phi_hat, 1.0), 1.0)
    exposure = fit_line(np.log(np.where(mask, e, np.nan)), mask, x, None, np.zeros(len(y)))
    last = np.clip(_last_col(mask), 0, None)
    return GLMFit(xc=xcw, a=a, b=b, var_a=var_a * disp, var_b=var_b * disp, s2=disp,
                  df=np.maximum(n - 2, 1).astype(float), phi_hat=phi_hat, converged=converged | no_events,
                  no_events=no_events, penalized=penalized, exposure=exposure,
                  e_last=e[np.arange(len(e)), last])


def projected_exposure(fit: GLMFit, rows: np.ndarray, x: np.ndarray, rule: str) -> np.ndarray:
    """The exposure (denominator) assumed for a future year: the last one (``last``), its own
    log-linear trend (``trend``), or the smaller of the two (``conservative``, the default:
    a falling number of births is followed, a rising one is not assumed, because more exposure
    would narrow the interval)."""
    last = fit.e_last[rows]
    trend_mean, _ = fit.exposure.at(rows, x)
    trend = np.exp(np.where(np.isfinite(trend_mean), trend_mean, np.log(last)))
    out = {"last": last, "trend": trend, "conservative": np.minimum(last, trend)}[rule]
    return np.maximum(np.round(out), 1.0)


def _refit_intercept(fit: GLMFit, y, e, mask, x, family, weights=None) -> None:
    """After the slope was moved (shrinkage), re-estimate each GLM's intercept with the slope
    held fixed (Poisson: closed form; binomial: Newton steps), in place."""
    w = mask.astype(float) if weights is None else np.where(mask, weights, 0.0)
    poisson = (family == POISSON)[:, None]
    y0, e0 = np.where(mask, y, 0.0), np.where(mask, e, 1.0)
    slope_part = fit.b[:, None] * (x - fit.xc[:, None])
    a = fit.a.copy()
    for _ in range(30):
        eta = a[:, None] + slope_part
        mu, var, weight, _ = _glm_pieces(eta, y0, e0, poisson, w)
        with np.errstate(divide="ignore", invalid="ignore"):
            step = (w * (y0 - mu)).sum(1) / weight.sum(1)
        a = np.where(fit.no_events | ~np.isfinite(step), a, a + np.clip(step, -5, 5))
    fit.a = a
    fit.var_a = fit.s2 / weight.sum(1)


# --- shrinkage toward the comparator ----------------------------------------------------------


@dataclass
class Shrinkage:
    """Per row: the comparator's slope and its variance, the weight put on it (0 when none)."""

    own: np.ndarray
    comparator: np.ndarray
    weight: np.ndarray


def shrink_toward(fit: Line, comp: Line, has_comp: np.ndarray, tau: np.ndarray) -> Shrinkage:
    """Move each slope toward its comparator's by precision weighting (partial pooling).

    Prior for the local slope: normal, centred on the comparator's slope, variance
    ``tau² + Var(comparator slope)`` (``tau``: how far a district's trend may plausibly differ
    from the nation's). Posterior mean ``(1 - w) b_own + w b_comp`` with
    ``w = Var(b_own) / (Var(b_own) + tau² + Var(b_comp))``; posterior variance ``(1 - w) Var(b_own)``.
    Modifies ``fit`` in place; returns what it did.
    """
    prior_var = tau**2 + comp.var_b
    ok = has_comp & np.isfinite(comp.b) & np.isfinite(prior_var) & np.isfinite(fit.var_b)
    with np.errstate(divide="ignore", invalid="ignore"):
        weight = np.where(ok, fit.var_b / (fit.var_b + prior_var), 0.0)
    own = fit.b.copy()
    fit.b = np.where(ok, (1 - weight) * fit.b + weight * np.where(ok, comp.b, 0.0), fit.b)
    fit.var_b = np.where(ok, (1 - weight) * fit.var_b, fit.var_b)
    return Shrinkage(own=own, comparator=np.where(ok, comp.b, np.nan), weight=np.where(ok, weight, np.nan))


def comparator_lines(batch: Batch, rows: np.ndarray, cutoff_col: np.ndarray) -> tuple[Line, np.ndarray]:
    """The comparators' least-squares lines for ``rows`` of the batch, each using only the
    comparator's values up to ``cutoff_col`` (a back-test never sees the comparator's future)."""
    cols = np.arange(len(batch.years))
    cm = batch.comp_mask[rows] & (cols[None, :] <= cutoff_col[:, None])
    line = fit_line(batch.comp_z[rows], cm, batch.x, None, batch.floor[rows])
    return line, (batch.comp[rows] >= 0) & (cm.sum(1) >= 2)


# --- candidates on a set of rows ----------------------------------------------------------------


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


# --- predictive distributions -------------------------------------------------------------------


def t_quantiles(df: np.ndarray) -> np.ndarray:
    """Student-t quantiles at :data:`QUANTILES` for each df (rows × 5)."""
    df = np.asarray(df, dtype=float)
    uniq, inv = np.unique(df, return_inverse=True)
    table = stats.t.ppf(QUANTILES[None, :], uniq[:, None])
    return table[inv.ravel()].reshape(df.shape + (len(QUANTILES),))


def analytic_quantiles(mean, var, df, widen, scale, lo, hi) -> tuple[np.ndarray, np.ndarray]:
    """Point (the centre back-transformed) and quantiles in the indicator's unit of a
    location-scale t on the model scale."""
    zq = mean[:, None] + t_quantiles(df) * (np.sqrt(var) * widen)[:, None]
    return (from_model_scale(mean, scale, lo, hi),
            from_model_scale(zq, scale[:, None], lo[:, None], hi[:, None]))


def _glm_draws(a, b, var_a, var_b, disp, df, widen, rng, n_sims):
    """Parameter draws (sims × rows): normal from the covariance, with a t scale mixture where
    the dispersion was estimated (quasi-likelihood, disp > 1)."""
    shape = (n_sims,) + np.shape(a)
    za, zb = rng.standard_normal(shape), rng.standard_normal(shape)
    over = np.broadcast_to(np.asarray(disp) > 1.0, np.shape(a))
    if over.any():
        df = np.broadcast_to(np.maximum(df, 1.0), np.shape(a))
        mix = np.ones(shape)
        if np.ndim(a) == 0:
            mix = np.sqrt(df / rng.chisquare(df, n_sims))
        else:
            mix[:, over] = np.sqrt(df[over] / rng.chisquare(df[over], (n_sims, int(over.sum()))))
        za, zb = za * mix, zb * mix
    return a + np.sqrt(var_a) * widen * za, b + np.sqrt(var_b) * widen * zb


def _glm_noise(eta, expo, poisson: bool, disp, rng):
    """Counts drawn at the linear predictor ``eta`` and exposure ``expo`` (broadcast): Poisson
    or binomial, overdispersed as gamma-Poisson / beta-binomial with variance ``disp`` × the
    nominal one where ``disp`` > 1 (Cameron & Trivedi 2013, ch. 4). Returns count / exposure."""
    expo = np.broadcast_to(expo, eta.shape)
    disp = np.broadcast_to(disp, eta.shape)
    over = disp > 1.0
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        if poisson:
            lam = np.minimum(expo * np.exp(np.minimum(eta, 50.0)), 1e12)
            if over.any():
                k = disp[over] - 1.0
                lam[over] = rng.gamma(np.maximum(lam[over] / k, 1e-12), k)
            counts = rng.poisson(lam)
        else:
            p = special.expit(eta)
            if over.any():
                rho = np.clip((disp[over] - 1.0) / np.maximum(expo[over] - 1.0, 1.0), 1e-9, 0.999)
                k = 1.0 / rho - 1.0
                p[over] = rng.beta(np.maximum(p[over] * k, 1e-12), np.maximum((1 - p[over]) * k, 1e-12))
            counts = rng.binomial(expo.astype(np.int64), p)
    return counts / expo


def sim_quantiles(draws: np.ndarray) -> np.ndarray:
    """Quantiles at :data:`QUANTILES` of simulated draws (sims along axis 0), as numpy's default
    (linear) method gives them, by one sort (faster than ``np.quantile`` with several levels)."""
    ordered = np.sort(draws, axis=0)
    pos = QUANTILES * (draws.shape[0] - 1)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, draws.shape[0] - 1)
    frac = (pos - lo).reshape((-1,) + (1,) * (draws.ndim - 1))
    return (ordered[lo] * (1 - frac) + ordered[hi] * frac).T


def glm_quantiles(line: Line, rows: np.ndarray, x: np.ndarray, expo: np.ndarray, family: np.ndarray,
                  per: np.ndarray, widen: np.ndarray, n_sims: int, rng: np.random.Generator,
                  chunk: int = 6000) -> tuple[np.ndarray, np.ndarray]:
    """Point (the fitted rate) and simulated quantiles for GLM queries: parameter draws from the
    (quasi-)covariance — one set per row, shared by that row's years — then sampling noise at
    the exposure ``expo`` of each query."""
    eta0 = line.a[rows] + line.b[rows] * (x - line.xc[rows])
    point = per * np.where(family == POISSON, np.exp(eta0), special.expit(eta0))
    q = np.empty((len(rows), len(QUANTILES)))
    for fam in (POISSON, BINOMIAL):
        idx = np.flatnonzero(family == fam)
        for s in range(0, len(idx), chunk):
            sl = idx[s:s + chunk]
            uniq, inv = np.unique(rows[sl], return_inverse=True)
            first = np.searchsorted(rows[sl][np.argsort(rows[sl], kind="stable")], uniq)
            w = widen[sl][np.argsort(rows[sl], kind="stable")][first]
            a_s, b_s = _glm_draws(line.a[uniq], line.b[uniq], line.var_a[uniq], line.var_b[uniq], line.s2[uniq],
                                  line.df[uniq], w, rng, n_sims)
            eta = a_s[:, inv] + b_s[:, inv] * (x[sl] - line.xc[rows[sl]])
            rate = _glm_noise(eta, expo[sl], fam == POISSON, line.s2[rows[sl]], rng)
            q[sl] = sim_quantiles(rate) * per[sl, None]
    return point, q


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


def clip_to_range(values: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Values (rows, or rows × quantiles) kept inside each row's valid range (the catalog's
    ``valid_range`` or the unit's: 0–100 % , 0–1000 ‰, ≥ 0 for levels): a rate of 4 deaths per
    1,000 births cannot be projected above 1,000 ‰, nor a level below 0."""
    shape = (-1,) + (1,) * (np.ndim(values) - 1)
    lo = np.where(np.isfinite(lo), lo, -np.inf).reshape(shape)
    hi = np.where(np.isfinite(hi), hi, np.inf).reshape(shape)
    return np.clip(values, lo, hi)


# --- back-test -----------------------------------------------------------------------------------


def wis(truth: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Weighted interval score of the median and the 80 % and 95 % intervals (Bracher et al.
    2021): ``(½|y − m| + Σ_k (α_k/2) IS_αk) / 2.5``; lower is better."""
    def interval_score(lo, hi, alpha):
        return (hi - lo) + (2 / alpha) * np.maximum(lo - truth, 0) + (2 / alpha) * np.maximum(truth - hi, 0)

    total = 0.5 * np.abs(truth - q[:, 2])
    total = total + 0.1 * interval_score(q[:, 1], q[:, 3], 0.2) + 0.025 * interval_score(q[:, 0], q[:, 4], 0.05)
    return total / 2.5


def backtest_origins(batch: Batch, settings: Settings) -> tuple[np.ndarray, np.ndarray]:
    """The (series, number of points fitted) pairs of the rolling-origin back-test: every series
    with at least ``min_backtest_points`` points, every k from ``min_fit_points`` to n − 1."""
    n = batch.n
    eligible = batch.projectable & (n >= settings.min_backtest_points)
    series = np.flatnonzero(eligible)
    counts = n[series] - settings.min_fit_points
    rows = np.repeat(series, counts)
    start = np.repeat(np.cumsum(counts) - counts, counts)
    k = np.arange(len(rows)) - start + settings.min_fit_points
    return rows, k


@dataclass
class BacktestResult:
    """Per candidate, the per-series back-test scores (:func:`_score`); per (family, candidate),
    the calibration factor of the intervals and the number of forecasts it rests on."""

    scores: dict[str, pd.DataFrame]
    calibration: dict[tuple[int, str], tuple[float, int]]


def backtest(batch: Batch, settings: Settings) -> BacktestResult:
    """Rolling-origin back-test of every candidate on every eligible series.

    Scores per candidate and series: forecasts made, origins, mean absolute error of the point,
    coverage of the 80 % and 95 % intervals, their mean widths, mean weighted interval score.
    Also the interval calibration of each (family, candidate), see :func:`calibration_factors`.
    """
    series, k = backtest_origins(batch, settings)
    rank = np.cumsum(batch.mask, axis=1)
    fit_mask = batch.mask[series] & (rank[series] <= k[:, None])
    target = batch.mask[series] & (rank[series] > k[:, None])
    rows = Rows.of(batch, series, fit_mask)
    qr, qc = np.nonzero(target)
    truth = batch.value[series[qr], qc]
    rng = np.random.default_rng([settings.seed, 1])
    scores, ratios = {}, {}
    for name in CANDIDATES:
        fitted, _ = fit_candidate(name, batch, rows, settings)
        point, q = predict_future(name, fitted, batch, rows, qr, batch.x[qc], np.ones(len(qr)), settings, rng,
                                  settings.n_sims_backtest)
        scores[name] = _score(series[qr], truth, point, q, k[qr])
        mean, var, df = analytic_moments(name, fitted, qr, batch.x[qc])
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.abs(batch.z[series[qr], qc] - mean) / (t_quantiles(df)[:, 3] * np.sqrt(var))
        glm = rows.counts[qr] if name in ("trend", "weighted_trend") else np.zeros(len(qr), bool)
        ratios[name] = np.where(glm | (k[qr] < settings.min_backtest_points), np.nan, ratio)
    return BacktestResult(scores, calibration_factors(batch.family[series[qr]], ratios, settings))


def calibration_factors(family: np.ndarray, ratios: dict[str, np.ndarray], settings: Settings
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


def _score(group: np.ndarray, truth, point, q, k) -> pd.DataFrame:
    """Per series: the back-test scores of one candidate (see :func:`backtest`)."""
    frame = pd.DataFrame({
        "series": group, "abs_error": np.abs(truth - point),
        "in80": (truth >= q[:, 1]) & (truth <= q[:, 3]), "in95": (truth >= q[:, 0]) & (truth <= q[:, 4]),
        "width80": q[:, 3] - q[:, 1], "width95": q[:, 4] - q[:, 0], "wis": wis(truth, q), "k": k,
    })
    ok = np.isfinite(frame["wis"])
    frame = frame[ok]
    agg = frame.groupby("series").agg(n_forecasts=("wis", "size"), n_origins=("k", "nunique"),
                                      mae=("abs_error", "mean"), cover80=("in80", "mean"),
                                      cover95=("in95", "mean"), width80=("width80", "mean"),
                                      width95=("width95", "mean"), wis=("wis", "mean"))
    return agg


def choose(batch: Batch, scores: dict[str, pd.DataFrame], settings: Settings) -> tuple[np.ndarray, np.ndarray]:
    """The candidate of every series and why: the forced one, the lowest back-test WIS (ties to
    the simpler, in the order of :data:`CANDIDATES`), or the documented default for a series
    too short to back-test."""
    S = len(batch.keys)
    n = batch.n
    chosen = np.full(S, "trend", dtype=object)
    why = np.full(S, "", dtype=object)
    if settings.force_model:
        chosen[:] = settings.force_model
        why[batch.projectable] = f"forced by the settings: {settings.force_model}"
        return chosen, why
    table = {name: scores[name].reindex(range(S)) for name in CANDIDATES}
    wis_ = np.stack([table[name]["wis"].to_numpy(float) for name in CANDIDATES], axis=1)
    ok = np.isfinite(wis_).any(axis=1) & batch.projectable & (n >= settings.min_backtest_points)
    best = np.argmin(np.where(np.isfinite(wis_), wis_, np.inf), axis=1)
    for i in np.flatnonzero(ok):
        order = sorted((k for k in range(len(CANDIDATES)) if np.isfinite(wis_[i, k])), key=lambda k: wis_[i, k])
        row = table[CANDIDATES[best[i]]].iloc[i]
        others = ", ".join(f"{CANDIDATES[k]} {wis_[i, k]:.3g}" for k in order if k != best[i])
        chosen[i] = CANDIDATES[best[i]]
        why[i] = (f"lowest back-test weighted interval score over {int(row['n_forecasts'])} forecasts from "
                  f"{int(row['n_origins'])} origins: {chosen[i]} {wis_[i, best[i]]:.3g} (others: {others})")
    for i in np.flatnonzero(batch.projectable & ~ok):
        scale = SCALE_NAMES[int(batch.scale[i])]
        what = "the GLM trend" if batch.family[i] in (POISSON, BINOMIAL) else f"a trend on the {scale} scale"
        why[i] = (f"default: too few points to back-test (n={n[i]}); {what} with intervals widened "
                  f"x{settings.default_widen:g}")
    return chosen, why


# --- the final fit --------------------------------------------------------------------------------


def _series_seed(seed: int, key: tuple[str, str, str]) -> list[int]:
    """A seed sequence for one series: the run's seed and a stable hash of its key, so that a
    series' draws do not depend on which other series are projected with it."""
    return [int(seed), zlib.crc32("|".join(key).encode("utf-8"))]


def _json_float(v: Any) -> float | None:
    v = float(v)
    return v if math.isfinite(v) else None


def _params_record(name: str, fitted: Any, i: int, pos: int, batch: Batch, widen: float,
                   settings: Settings) -> dict[str, Any]:
    """Everything :func:`paths_from_params` needs to simulate the chosen model of one series."""
    last = int(_last_col(batch.mask[i:i + 1])[0])
    rec: dict[str, Any] = {
        "candidate": name, "family": str(FAMILY_NAMES[batch.family[i]]), "scale": int(batch.scale[i]),
        "lo": _json_float(batch.lo[i]), "hi": _json_float(batch.hi[i]), "per": _json_float(batch.per[i]),
        "widen": widen, "year_last": int(batch.years[last]), "horizon": settings.horizon,
        "valid_range": [_json_float(batch.vlo[i]), _json_float(batch.vhi[i])],
    }
    if name == "naive":
        rec |= {"z_last": float(fitted.z_last[pos]), "s2": float(fitted.s2[pos]), "df": float(fitted.df[pos])}
    elif name == "damped":
        rec |= {k: float(getattr(fitted, k)[pos]) for k in ("level", "trend", "alpha", "beta", "phi", "s2", "df")}
    else:
        line, glm, c_rows = fitted
        rec |= {k: float(getattr(line, k)[pos]) for k in ("xc", "a", "b", "var_a", "var_b", "s2", "df")}
        g = int(np.searchsorted(c_rows, pos)) if glm is not None else -1
        if glm is not None and g < len(c_rows) and c_rows[g] == pos:
            ex = glm.exposure
            rec |= {"glm": True, "phi_hat": _json_float(glm.phi_hat[g]), "exposure": {
                "rule": settings.exposure, "e_last": float(glm.e_last[g]), "xc": _json_float(ex.xc[g]),
                "a": _json_float(ex.a[g]), "b": _json_float(ex.b[g])}}
    return rec


def _future_exposure(rec: dict[str, Any], x: np.ndarray) -> np.ndarray:
    ex = rec["exposure"]
    last = ex["e_last"]
    trend = np.exp(ex["a"] + ex["b"] * (x - ex["xc"])) if ex["a"] is not None and ex["b"] is not None \
        else np.full(x.shape, last)
    out = {"last": np.full(x.shape, last), "trend": trend, "conservative": np.minimum(last, trend)}[ex["rule"]]
    return np.maximum(np.round(out), 1.0)


def paths_from_params(rec: dict[str, Any], n_sims: int, rng: np.random.Generator,
                      years: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Simulated paths (n_sims × years) of one series from its model record's ``params``.

    Every path draws the model's parameters once (the t scale mixture for the residual
    variance; the GLM coefficients from their covariance) and then the year-to-year noise: the
    trend's independent errors, the damped trend's state-space innovations, the random walk's
    steps, or the counts' sampling noise at the projected exposure. Each year's marginal
    distribution is the one the projections table summarises. ``years`` default to every year
    after the last observed one up to the horizon.
    """
    if years is None:
        years = np.arange(rec["year_last"] + 1, rec["horizon"] + 1)
    years = np.asarray(years, dtype=int)
    steps = np.arange(rec["year_last"] + 1, int(years.max(initial=rec["year_last"])) + 1)
    pick = np.searchsorted(steps, years)
    x = steps - X0
    H = len(x)
    widen = rec["widen"]
    lo = np.nan if rec["lo"] is None else rec["lo"]
    hi = np.nan if rec["hi"] is None else rec["hi"]
    if rec.get("glm"):
        a_s, b_s = _glm_draws(np.float64(rec["a"]), np.float64(rec["b"]), rec["var_a"], rec["var_b"], rec["s2"],
                              rec["df"], widen, rng, n_sims)
        eta = a_s[:, None] + b_s[:, None] * (x[None, :] - rec["xc"])
        rate = _glm_noise(eta, _future_exposure(rec, x)[None, :], rec["family"] == "poisson",
                          np.float64(rec["s2"]), rng)
        return years, _clip_record(rec, (rate * rec["per"])[:, pick])
    u = np.sqrt(rec["df"] / rng.chisquare(rec["df"], n_sims))[:, None] * widen
    eps = rng.standard_normal((n_sims, H)) * math.sqrt(rec["s2"]) * u
    if rec["candidate"] == "naive":
        z = rec["z_last"] + np.cumsum(eps, axis=1)
    elif rec["candidate"] == "damped":
        level, trend = np.full(n_sims, rec["level"]), np.full(n_sims, rec["trend"])
        z = np.empty((n_sims, H))
        for h in range(H):
            base = level + rec["phi"] * trend
            z[:, h] = base + eps[:, h]
            level, trend = base + rec["alpha"] * eps[:, h], rec["phi"] * trend + rec["alpha"] * rec["beta"] * eps[:, h]
    else:
        za, zb = rng.standard_normal((n_sims, 1)), rng.standard_normal((n_sims, 1))
        dx = x[None, :] - rec["xc"]
        z = rec["a"] + rec["b"] * dx + (math.sqrt(rec["var_a"]) * za + dx * math.sqrt(rec["var_b"]) * zb) * u + eps
    return years, _clip_record(rec, from_model_scale(z, rec["scale"], lo, hi)[:, pick])


def _clip_record(rec: dict[str, Any], values: np.ndarray) -> np.ndarray:
    lo, hi = rec.get("valid_range", [None, None])
    return np.clip(values, -np.inf if lo is None else lo, np.inf if hi is None else hi)


@dataclass
class Projection:
    """The engine's output: the projections table and the per-series model record."""

    projections: pd.DataFrame
    models: pd.DataFrame
    files: dict[str, Path] = field(default_factory=dict)


def _final_fits(batch: Batch, chosen: np.ndarray, settings: Settings) -> tuple[Rows, dict[str, Any], dict]:
    """Fit every candidate that some series chose, on all projectable series."""
    series = np.flatnonzero(batch.projectable)
    rows = Rows.of(batch, series, batch.mask[series])
    fits, shrinks = {}, {}
    for name in CANDIDATES:
        if (chosen[series] == name).any():
            fits[name], shrinks[name] = fit_candidate(name, batch, rows, settings, keep_fitted=name == "damped")
    return rows, fits, shrinks


def _query_table(batch: Batch, series: np.ndarray, settings: Settings) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, column, is_projection) of every year a projectable series gets in the table: its
    observed years (fitted values) and every year after its last one up to the horizon."""
    mask = batch.mask[series]
    last = _last_col(mask)
    cols = np.arange(len(batch.years))
    future = (cols[None, :] > last[:, None]) & (batch.years[None, :] <= settings.horizon)
    r, c = np.nonzero(mask | future)
    return r, c, future[r, c]


def _fitted_values(name, fitted, batch, rows, r, c, widen):
    """Point and quantiles of a candidate at observed years (in-sample, one step ahead for the
    recursive ones)."""
    s = rows.series[r]
    scale, lo, hi = batch.scale[s], batch.lo[s], batch.hi[s]
    x = batch.x[c]
    if name == "naive":
        prev = _prev_col(rows.mask)[r, c]
        mean = np.where(prev >= 0, rows.z[r, np.clip(prev, 0, None)], np.nan)
        var = fitted.s2[r] * np.where(prev >= 0, c - prev, np.nan)
        df = fitted.df[r]
    elif name == "damped":
        mean, var, df = fitted.fitted[r, c], fitted.fitted_var[r, c], fitted.df[r]
    else:
        mean, var = fitted[0].at(r, x)
        df = fitted[0].df[r]
    return analytic_quantiles(mean, var, df, widen, scale, lo, hi)


def _glm_series_tables(batch, rows, fitted, pos_list, r, c, is_proj, widen, settings, point, q, params):
    """Replace the analytic values of count series whose chosen model is a GLM trend by their
    simulated ones: future years from the same seeded paths :func:`simulate_paths` returns (one
    stream per series), observed years from one stream for the run, at each year's exposure
    (with ``n_sims_backtest`` draws: these fitted intervals are descriptive)."""
    glm, c_rows = fitted[1], fitted[2]
    pos_list = np.asarray(pos_list, dtype=int)
    starts, ends = np.searchsorted(r, pos_list, "left"), np.searchsorted(r, pos_list, "right")
    for pos, start, end in zip(pos_list, starts, ends, strict=True):
        s = rows.series[pos]
        fut = np.arange(start, end)[is_proj[start:end]]
        if len(fut):
            rec = params[s]
            rng = np.random.default_rng(_series_seed(settings.seed, batch.key(s)))
            _, sims = paths_from_params(rec, settings.n_sims, rng, batch.years[c[fut]])
            q[fut] = sim_quantiles(sims)
            eta0 = rec["a"] + rec["b"] * (batch.x[c[fut]] - rec["xc"])
            point[fut] = rec["per"] * (np.exp(eta0) if rec["family"] == "poisson" else special.expit(eta0))
    in_glm = np.zeros(len(rows.series), bool)
    in_glm[pos_list] = True
    obs_ = np.flatnonzero(in_glm[r] & ~is_proj)
    if len(obs_):
        pos = r[obs_]
        g = np.searchsorted(c_rows, pos)
        s = rows.series[pos]
        rng = np.random.default_rng([settings.seed, 3])
        point[obs_], q[obs_] = glm_quantiles(glm, g, batch.x[c[obs_]], batch.e[s, c[obs_]], rows.family[pos],
                                             batch.per[s], widen[pos], settings.n_sims_backtest, rng)


def project_observations(obs: pd.DataFrame, indicators: pd.DataFrame,
                         settings: Settings | None = None) -> Projection:
    """Project every series of ``obs`` (the observations table) — no files read or written.

    ``indicators`` is the catalog's table (``Catalog.indicators``: unit, kind, valid_range by
    id). Returns the projections table and the model record (see the module doc and
    docs/projections.md).
    """
    settings = settings or Settings()
    started = time.perf_counter()
    if obs.empty:
        log.warning("no observations: nothing to project")
        return Projection(projections=pd.DataFrame({c: pd.Series(dtype=t) for c, t in PROJECTION_DTYPES.items()}),
                          models=pd.DataFrame(columns=MODEL_COLUMNS))
    batch = build_batch(obs, indicators, settings)
    if settings.force_model is None:
        result = backtest(batch, settings)
    else:
        result = BacktestResult({c: pd.DataFrame() for c in CANDIDATES}, {})
    scores = result.scores
    chosen, why = choose(batch, scores, settings)
    rows, fits, shrinks = _final_fits(batch, chosen, settings)
    widen = _widening(batch, rows, chosen, result.calibration, why, settings)
    r, c, is_proj = _query_table(batch, rows.series, settings)
    point = np.full(len(r), np.nan)
    q = np.full((len(r), len(QUANTILES)), np.nan)
    params: dict[int, dict[str, Any]] = {}
    rng = np.random.default_rng([settings.seed, 2])
    for name, fitted in fits.items():
        pick = chosen[rows.series] == name
        for pos in np.flatnonzero(pick):
            params[int(rows.series[pos])] = _params_record(name, fitted, int(rows.series[pos]), pos, batch,
                                                           float(widen[pos]), settings)
        sel = np.flatnonzero(pick[r])
        fut, obs_ = sel[is_proj[sel]], sel[~is_proj[sel]]
        point[fut], q[fut] = predict_future(name, fitted, batch, rows, r[fut], batch.x[c[fut]], widen[r[fut]],
                                            settings, rng, 2)
        point[obs_], q[obs_] = _fitted_values(name, fitted, batch, rows, r[obs_], c[obs_], widen[r[obs_]])
        if name in ("trend", "weighted_trend") and fitted[1] is not None:
            glm_rows = np.flatnonzero(pick & rows.counts)
            _glm_series_tables(batch, rows, fitted, glm_rows, r, c, is_proj, widen, settings, point, q, params)
    s = rows.series[r]
    point = clip_to_range(point, batch.vlo[s], batch.vhi[s])
    q = clip_to_range(q, batch.vlo[s], batch.vhi[s])
    projections = _projection_frame(batch, s, c, is_proj, point, q, chosen)
    models = _model_frame(batch, scores, chosen, why, rows, fits, shrinks, params, settings)
    log.info("projected %d series (%d not projectable) in %.2f s", int(batch.projectable.sum()),
             int((~batch.projectable).sum()), time.perf_counter() - started)
    return Projection(projections=projections, models=models)


def _widening(batch: Batch, rows: Rows, chosen: np.ndarray, calibration: dict, why: np.ndarray,
               settings: Settings) -> np.ndarray:
    """The factor on each projected series' predictive sd: ``default_widen`` for a series too
    short to back-test, the pooled calibration factor of its family and model otherwise (not
    for the count GLMs); the reason is appended to ``why``."""
    s = rows.series
    short = batch.n[s] < settings.min_backtest_points
    widen = np.where(short, settings.default_widen, 1.0)
    glm = np.isin(batch.family[s], [POISSON, BINOMIAL]) & np.isin(chosen[s], ["trend", "weighted_trend"])
    for pos in np.flatnonzero(~short & ~glm):
        factor, n = calibration.get((int(batch.family[s[pos]]), chosen[s[pos]]), (1.0, 0))
        if factor > 1.0:
            widen[pos] = factor
            why[s[pos]] += (f"; intervals widened x{factor:.2f} by the pooled back-test calibration of "
                            f"{FAMILY_NAMES[batch.family[s[pos]]]}:{chosen[s[pos]]} ({n} forecasts)")
    return widen


def _model_label(batch: Batch, s: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    return np.char.add(np.char.add(FAMILY_NAMES[batch.family[s]].astype(str), ":"), chosen[s].astype(str))


def _projection_frame(batch, s, c, is_proj, point, q, chosen) -> pd.DataFrame:
    """The projections table in the contract's columns, in plan order."""
    frame = pd.DataFrame({
        "indicator_id": batch.keys["indicator_id"].to_numpy()[s], "area": batch.keys["area"].to_numpy()[s],
        "sex": batch.keys["sex"].to_numpy()[s], "year": batch.years[c].astype("int64"), "mean": point,
        "lo80": q[:, 1], "hi80": q[:, 3], "lo95": q[:, 0], "hi95": q[:, 4],
        "model": _model_label(batch, s, chosen), "is_projection": is_proj.astype(bool),
    }, columns=PROJECTION_COLUMNS)
    order = frame["indicator_id"].map(plan_order)
    frame = frame.assign(_o=order).sort_values(["_o", "area", "sex", "year"]).drop(columns="_o")
    return frame.reset_index(drop=True)


def _candidates_json(records: dict[str, dict[int, dict]], i: int) -> str:
    """One series' back-test scores of every candidate, as JSON (a list of objects)."""
    out = []
    for name in CANDIDATES:
        row = records.get(name, {}).get(i)
        if row is not None:
            scores_ = {k: (int(v) if k.startswith("n_") else _json_float(v)) for k, v in row.items()}
            out.append({"name": name, **scores_})
    return json.dumps(out, ensure_ascii=False)


def _slope_info(shrinks, fits, chosen_name, pos) -> tuple[float, float, float, float]:
    """Own slope, comparator slope, weight on the comparator, slope used (model scale per year)."""
    shrink = shrinks.get(chosen_name)
    fitted = fits.get(chosen_name)
    if chosen_name not in ("trend", "weighted_trend") or fitted is None:
        return np.nan, np.nan, np.nan, np.nan
    used = float(fitted[0].b[pos])
    if shrink is None:
        return used, np.nan, np.nan, used
    return float(shrink.own[pos]), float(shrink.comparator[pos]), float(shrink.weight[pos]), used


def _series_warnings(batch, i, name, fitted, pos) -> list[str]:
    """Warnings from the fit of the chosen model of series ``i`` (besides the data's own)."""
    out = list(batch.warnings[i])
    if batch.n[i] == 2:
        out.append("two points: the slope is their difference and the volatility their change (1 df)")
    g = int(np.searchsorted(fitted[2], pos)) if name in ("trend", "weighted_trend") and fitted[1] is not None else -1
    if 0 <= g < len(fitted[2]) and fitted[2][g] == pos:
        glm = fitted[1]
        phi_hat, df = glm.phi_hat[g], glm.df[g]
        if glm.no_events[g]:
            out.append("no events in any year: constant rate with half an event added (Jeffreys); slope not "
                       "estimable from the series")
        elif np.isfinite(phi_hat) and phi_hat > 1:
            p = stats.chi2.sf(phi_hat * df, df)
            out.append(f"overdispersion: Pearson chi2/df = {phi_hat:.2f} (p = {p:.3g}); covariance scaled by it "
                       "(quasi-likelihood) and sampling noise widened to match")
        if glm.penalized[g]:
            out.append(f"every event in the first or last year: the likelihood has no finite maximum, the slope "
                       f"has a normal prior (sd {SLOPE_PRIOR_SD} per year on the link scale)")
        if not glm.converged[g]:
            out.append("the GLM did not converge")
    return out


def _model_frame(batch, scores, chosen, why, rows, fits, shrinks, params, settings) -> pd.DataFrame:
    """The per-series model record (every series, projectable or not)."""
    pos_of = {int(s): p for p, s in enumerate(rows.series)}
    score_records = {name: table.to_dict("index") for name, table in scores.items()}
    records = []
    for i in range(len(batch.keys)):
        mask = batch.mask[i]
        yrs = batch.years[mask]
        iid, area, sex = batch.key(i)
        rec = {"indicator_id": iid, "area": area, "sex": sex, "n_points": int(mask.sum()),
               "first_year": int(yrs.min()) if len(yrs) else None, "last_year": int(yrs.max()) if len(yrs) else None,
               "projectable": bool(batch.projectable[i]), "reason": batch.reason[i], "seed": int(settings.seed)}
        if not batch.projectable[i]:
            rec |= {"family": "none", "scale": "", "candidates": "[]", "chosen": "", "model": "", "why": "",
                    "comparator": "", "shrinkage_weight": np.nan, "own_slope": np.nan, "comparator_slope": np.nan,
                    "slope": np.nan, "warnings": "; ".join(batch.warnings[i]), "params": "{}"}
            records.append(rec)
            continue
        name, pos = chosen[i], pos_of[i]
        own, comp, weight, used = _slope_info(shrinks, fits, name, pos)
        has_comp = batch.comp[i] >= 0 and np.isfinite(weight)
        rec |= {"family": str(FAMILY_NAMES[batch.family[i]]), "scale": SCALE_NAMES[int(batch.scale[i])],
                "candidates": _candidates_json(score_records, i), "chosen": name,
                "model": f"{FAMILY_NAMES[batch.family[i]]}:{name}", "why": why[i],
                "comparator": batch.comp_label[i] if has_comp else "",
                "shrinkage_weight": weight, "own_slope": own, "comparator_slope": comp, "slope": used,
                "warnings": "; ".join(_series_warnings(batch, i, name, fits[name], pos)),
                "params": json.dumps(params[i], ensure_ascii=False)}
        records.append(rec)
    frame = pd.DataFrame(records, columns=MODEL_COLUMNS)
    frame = frame.assign(_o=frame["indicator_id"].map(plan_order)).sort_values(["_o", "area", "sex"])
    return frame.drop(columns="_o").reset_index(drop=True)


# --- contracts, files, the stage ----------------------------------------------------------------


def _schemas():
    import pandera.pandas as pa

    projections = pa.DataFrameSchema({
        "indicator_id": pa.Column(str), "area": pa.Column(str), "sex": pa.Column(str, pa.Check.isin(
            ["female", "male", "total"])),
        "year": pa.Column("int64", pa.Check.in_range(1990, 2100)),
        "mean": pa.Column(float, nullable=True), "lo80": pa.Column(float, nullable=True),
        "hi80": pa.Column(float, nullable=True), "lo95": pa.Column(float, nullable=True),
        "hi95": pa.Column(float, nullable=True), "model": pa.Column(str), "is_projection": pa.Column(bool),
    }, strict=True, ordered=True, unique=["indicator_id", "area", "sex", "year"], checks=[
        pa.Check(lambda d: ~d["is_projection"] | (d["lo95"] <= d["lo80"] + 1e-9)
                 & (d["lo80"] <= d["hi80"] + 1e-9) & (d["hi80"] <= d["hi95"] + 1e-9),
                 error="projected years need lo95 <= lo80 <= hi80 <= hi95"),
        pa.Check(lambda d: ~d["is_projection"] | d[["mean", "lo80", "hi80", "lo95", "hi95"]].notna().all(axis=1),
                 error="projected years need a mean and both intervals"),
    ])
    models = pa.DataFrameSchema({
        "indicator_id": pa.Column(str), "area": pa.Column(str), "sex": pa.Column(str),
        "n_points": pa.Column("int64"), "first_year": pa.Column("Int64", nullable=True),
        "last_year": pa.Column("Int64", nullable=True), "projectable": pa.Column(bool),
        "reason": pa.Column(str), "family": pa.Column(str), "scale": pa.Column(str), "candidates": pa.Column(str),
        "chosen": pa.Column(str), "model": pa.Column(str), "why": pa.Column(str), "comparator": pa.Column(str),
        "shrinkage_weight": pa.Column(float, nullable=True), "own_slope": pa.Column(float, nullable=True),
        "comparator_slope": pa.Column(float, nullable=True), "slope": pa.Column(float, nullable=True),
        "warnings": pa.Column(str), "params": pa.Column(str), "seed": pa.Column("int64"),
    }, strict=True, ordered=True, coerce=True, unique=["indicator_id", "area", "sex"], checks=[
        pa.Check(lambda d: d["projectable"] | (d["reason"] != ""), error="a series not projected needs a reason"),
        pa.Check(lambda d: ~d["projectable"] | (d["why"] != ""), error="a projected series needs its why"),
    ])
    return projections, models


def validate(result: Projection) -> Projection:
    """Check both tables against their contracts (every failure listed, pandera lazy mode)."""
    from analysis import schemas

    proj_schema, model_schema = _schemas()
    projections = schemas.validate_or_raise(result.projections, proj_schema, "projections")
    models = schemas.validate_or_raise(result.models, model_schema, "projection_models")
    return Projection(projections=projections, models=models, files=result.files)


def observations_path(processed_dir: str | Path) -> Path:
    """``observations.parquet`` in ``processed_dir``; a clear error when the cleaning has not run."""
    path = config.resolve(processed_dir) / "observations.parquet"
    if not path.is_file():
        raise FileNotFoundError(f"{config.display_path(path)} does not exist: run the cleaning first "
                                "(plan-monitor clean, or the 20_clean notebook)")
    return path


def project(processed_dir: str | Path = config.PROCESSED_DIR, catalog: str | Path | Catalog = config.DEFAULT_CATALOG,
            settings: Settings | None = None) -> Projection:
    """The projection stage: read ``observations.parquet`` in ``processed_dir``, project every
    series, validate, and write ``projections.parquet`` and ``projection_models.parquet`` there
    (each atomically: a failed run leaves the previous files whole)."""
    out = config.resolve(processed_dir)
    obs = pd.read_parquet(observations_path(out))
    cat = catalog if isinstance(catalog, Catalog) else load_catalog(catalog)
    settings = settings if settings is not None else Settings.from_params()
    result = validate(project_observations(obs, cat.indicators, settings))
    files = {"projections": out / "projections.parquet", "models": out / "projection_models.parquet"}
    with atomic.atomic_output(files["projections"]) as tmp_p, atomic.atomic_output(files["models"]) as tmp_m:
        result.projections.to_parquet(tmp_p, index=False)
        result.models.to_parquet(tmp_m, index=False)
    log.info("wrote %s (%d rows) and %s (%d series)", config.display_path(files["projections"]),
             len(result.projections), config.display_path(files["models"]), len(result.models))
    result.files = files
    return result


# --- simulated paths for the assessment --------------------------------------------------------


@dataclass(frozen=True)
class Paths:
    """Simulated future values of one series: ``values[i, j]`` is path i in ``years[j]``, in the
    indicator's unit."""

    key: tuple[str, str, str]
    years: np.ndarray
    values: np.ndarray
    model: str
    seed: int


def _model_row(models: pd.DataFrame, indicator_id: str, area: str, sex: str) -> pd.Series:
    hit = models[(models["indicator_id"] == indicator_id) & (models["area"] == area) & (models["sex"] == sex)]
    if hit.empty:
        raise KeyError(f"no series {indicator_id}/{area}/{sex} in the projection models")
    row = hit.iloc[0]
    if not row["projectable"]:
        raise ValueError(f"series {indicator_id}/{area}/{sex} was not projected: {row['reason']}")
    return row


def simulate_paths(indicator_id: str, area: str = "district", sex: str = "total", *,
                   processed_dir: str | Path = config.PROCESSED_DIR, models: pd.DataFrame | None = None,
                   n_sims: int | None = None, seed: int | None = None) -> Paths:
    """Seeded simulated paths of one series from its last observed year + 1 to the horizon.

    Reads ``projection_models.parquet`` in ``processed_dir`` (or uses ``models``, the table
    :func:`project` returned). ``n_sims`` defaults to the engine's (1000); ``seed`` to the one
    the projections were made with (recorded per series). The same key, seed and ``n_sims``
    always give the same array; for a count series with its GLM trend, the default call
    reproduces exactly the draws behind the projections table's intervals.

    Raises KeyError for an unknown series and ValueError (with the reason) for one that was not
    projected.
    """
    if models is None:
        models = pd.read_parquet(config.resolve(processed_dir) / "projection_models.parquet")
    row = _model_row(models, indicator_id, area, sex)
    rec = json.loads(row["params"])
    seed = int(row["seed"]) if seed is None else int(seed)
    n_sims = Settings.from_params().n_sims if n_sims is None else int(n_sims)
    key = (indicator_id, area, sex)
    years, values = paths_from_params(rec, n_sims, np.random.default_rng(_series_seed(seed, key)))
    return Paths(key=key, years=years, values=values, model=row["model"], seed=seed)


# --- tables and charts for the notebook ---------------------------------------------------------

AREA_LABELS = {"district": "偃师区", "urban": "城镇", "rural": "农村", "national": "全国",
               "national_urban": "全国城市", "national_rural": "全国农村", "henan": "河南省", "luoyang": "洛阳市"}
SEX_LABELS = {"female": "女", "male": "男", "total": "合计"}
CANDIDATE_LABELS = {"trend": "趋势", "weighted_trend": "近期加权趋势", "damped": "阻尼趋势",
                    "naive": "朴素（沿用末值）"}
FAMILY_LABELS = {"poisson": "泊松GLM（计数与暴露）", "binomial": "二项GLM（计数）", "logit": "logit尺度（比例）",
                 "log": "对数尺度（水平值）", "linear": "线性尺度", "none": "不预测"}


def area_label(area: str) -> str:
    """An area code in Chinese (district → 偃师区, national → 全国; towns are already Chinese)."""
    return AREA_LABELS.get(area, area)


def load_observations(processed_dir: str | Path = config.PROCESSED_DIR) -> pd.DataFrame:
    """The cleaned observations in ``processed_dir`` (a clear error when the cleaning has not run)."""
    return pd.read_parquet(observations_path(processed_dir))


def run_summary(models: pd.DataFrame) -> str:
    """The run in one paragraph (Chinese): series projected, by family and model, defaults, not projected."""
    done = models[models["projectable"]]
    fams = "、".join(f"{FAMILY_LABELS.get(f, f)} {n} 个" for f, n in done["family"].value_counts().items())
    chosen = "、".join(f"{CANDIDATE_LABELS.get(c, c)} {n} 个" for c, n in done["chosen"].value_counts().items())
    default = int(done["why"].str.startswith("default").sum())
    shrunk = int((done["shrinkage_weight"] > 0).sum())
    return (f"共 {len(models)} 个序列（指标 × 地区 × 性别）：预测 {len(done)} 个，不预测 {len(models) - len(done)} 个"
            f"（原因见文末）。模型族：{fams or '—'}。选用模型：{chosen or '—'}；其中 {default} 个序列观测值少于 5 个，"
            f"无法回测，采用默认的趋势模型并放宽区间；{shrunk} 个序列的趋势向全国趋势收缩。")


def projection_table(projections: pd.DataFrame, indicator_id: str, area: str, sex: str) -> pd.DataFrame:
    """One series' fitted and projected values with their intervals (Chinese headers)."""
    rows = projections[(projections["indicator_id"] == indicator_id) & (projections["area"] == area)
                       & (projections["sex"] == sex)]
    if rows.empty:
        return pd.DataFrame({"说明": ["该序列没有预测值"]})
    return pd.DataFrame({
        "年份": rows["year"], "类型": np.where(rows["is_projection"], "预测", "拟合"), "均值": rows["mean"].round(2),
        "80%区间下限": rows["lo80"].round(2), "80%区间上限": rows["hi80"].round(2),
        "95%区间下限": rows["lo95"].round(2), "95%区间上限": rows["hi95"].round(2),
    }).reset_index(drop=True)


def not_projected(models: pd.DataFrame) -> pd.DataFrame:
    """The series that were not projected, each with the reason (never dropped silently)."""
    rows = models[~models["projectable"]]
    if rows.empty:
        return pd.DataFrame({"说明": ["所有序列均已预测"]})
    return pd.DataFrame({"指标": rows["indicator_id"], "地区": rows["area"].map(area_label),
                         "性别": rows["sex"].map(lambda s: SEX_LABELS.get(s, s)), "观测数": rows["n_points"],
                         "原因": rows["reason"]}).reset_index(drop=True)


def series_overview(observations: pd.DataFrame, indicator_id: str) -> pd.DataFrame:
    """The indicator's values as a table: one row per area and sex, one column per year."""
    sub = observations[observations["indicator_id"] == indicator_id]
    if sub.empty:
        return pd.DataFrame({"说明": [f"观测数据中没有指标 {indicator_id} 的数值"]})
    table = sub.pivot_table(index=["area", "sex"], columns="year", values="value", aggfunc="first")
    table.index = [f"{area_label(a)}·{SEX_LABELS.get(s, s)}" for a, s in table.index]
    table.columns = [int(c) for c in table.columns]
    return table


def backtest_table(models: pd.DataFrame, indicator_id: str, area: str, sex: str) -> pd.DataFrame:
    """Each candidate's back-test scores for one series, in Chinese, the chosen one marked."""
    hit = models[(models["indicator_id"] == indicator_id) & (models["area"] == area) & (models["sex"] == sex)]
    if hit.empty:
        return pd.DataFrame({"说明": [f"没有序列 {indicator_id}/{area_label(area)}/{SEX_LABELS.get(sex, sex)}"]})
    row = hit.iloc[0]
    cands = json.loads(row["candidates"])
    if not cands:
        text = row["reason"] or row["why"]
        return pd.DataFrame({"说明": [f"未做回测：{text}"]})
    return pd.DataFrame([{
        "候选模型": CANDIDATE_LABELS.get(c["name"], c["name"]), "回测预测数": c["n_forecasts"],
        "平均绝对误差": c["mae"], "80%区间覆盖率": c["cover80"], "95%区间覆盖率": c["cover95"],
        "80%区间平均宽度": c["width80"], "加权区间得分": c["wis"], "选中": "✔" if c["name"] == row["chosen"] else "",
    } for c in cands])


def model_card(models: pd.DataFrame, indicator_id: str, area: str, sex: str) -> str:
    """One series' model record in words (Markdown, Chinese with the engine's English reasons)."""
    hit = models[(models["indicator_id"] == indicator_id) & (models["area"] == area) & (models["sex"] == sex)]
    name = f"{indicator_id}（{area_label(area)}，{SEX_LABELS.get(sex, sex)}）"
    if hit.empty:
        return f"**{name}**：观测数据中没有这一序列，无法预测。"
    row = hit.iloc[0]
    if not row["projectable"]:
        return f"**{name}**：不做预测。原因：{row['reason']}。"
    lines = [f"**{name}**：{row['n_points']} 个观测值（{row['first_year']}—{row['last_year']}年）。",
             f"- 模型族：{FAMILY_LABELS.get(row['family'], row['family'])}",
             f"- 选用模型：{CANDIDATE_LABELS.get(row['chosen'], row['chosen'])}（`{row['model']}`）",
             f"- 选择理由：{row['why']}"]
    if row["comparator"]:
        lines.append(f"- 向全国趋势收缩：权重 {row['shrinkage_weight']:.2f}（本地斜率 {row['own_slope']:.4f}，"
                     f"全国斜率 {row['comparator_slope']:.4f}，采用 {row['slope']:.4f}；模型尺度上每年）")
    else:
        lines.append("- 向全国趋势收缩：未使用（无全国对比序列，或所选模型不是趋势模型）")
    if row["warnings"]:
        lines.append(f"- 提示：{row['warnings']}")
    return "\n".join(lines)


def models_overview(models: pd.DataFrame) -> pd.DataFrame:
    """Every series' chosen model in one table (Chinese headers)."""
    return pd.DataFrame({
        "指标": models["indicator_id"], "地区": models["area"].map(area_label),
        "性别": models["sex"].map(lambda s: SEX_LABELS.get(s, s)), "观测数": models["n_points"],
        "模型族": models["family"].map(lambda f: FAMILY_LABELS.get(f, f)),
        "选用模型": models["chosen"].map(lambda c: CANDIDATE_LABELS.get(c, c)),
        "收缩权重": models["shrinkage_weight"].round(2), "不预测原因": models["reason"],
    })


def series_chart(observations: pd.DataFrame, indicator_id: str, catalog: Catalog):
    """The indicator's observed series, one panel per sex, one line per area (towns in grey)."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    sub = observations[observations["indicator_id"] == indicator_id]
    sexes = [s for s in ("total", "female", "male") if s in set(sub["sex"])] or ["total"]
    fig, axes = plt.subplots(1, len(sexes), figsize=(5.2 * len(sexes), 3.8), sharey=True, squeeze=False)
    entry = catalog.indicators.loc[indicator_id] if indicator_id in catalog.indicators.index else None
    unit = entry["unit"] if entry is not None and isinstance(entry["unit"], str) else ""
    for ax, sex in zip(axes[0], sexes, strict=True):
        for area, g in sub[sub["sex"] == sex].groupby("area"):
            g = g.sort_values("year")
            named = area in AREA_LABELS
            ax.plot(g["year"], g["value"], marker="o" if named else None, lw=2 if named else 0.8,
                    color=None if named else "#bbbbbb", label=area_label(area) if named else None)
        ax.set_title(SEX_LABELS.get(sex, sex))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("年份")
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
    axes[0][0].set_ylabel(unit)
    title = entry["name_zh"] if entry is not None else indicator_id
    fig.suptitle(f"{indicator_id} {title}：分性别、分地区的观测值（灰线为各镇街）"
                 + ("" if len(sub) else "（暂无数据）"))
    fig.tight_layout()
    return fig


def fan_chart(projections: pd.DataFrame, observations: pd.DataFrame, indicator_id: str, area: str = "district",
              sex: str = "total", *, catalog: Catalog):
    """Observed values, fitted line and the projection to 2030 as a fan (80 % and 95 %
    intervals), with the 2030 target line and the national comparator."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    entry = catalog.indicators.loc[indicator_id] if indicator_id in catalog.indicators.index else None
    unit = entry["unit"] if entry is not None and isinstance(entry["unit"], str) else ""
    fig, ax = plt.subplots(figsize=(8, 4.6))
    key = (projections["indicator_id"] == indicator_id) & (projections["area"] == area) & (projections["sex"] == sex)
    proj = projections[key].sort_values("year")
    fut, fit = proj[proj["is_projection"]], proj[~proj["is_projection"]]
    if len(fut):
        last_fit = fit.tail(1)
        band = pd.concat([last_fit.assign(lo95=last_fit["mean"], hi95=last_fit["mean"], lo80=last_fit["mean"],
                                          hi80=last_fit["mean"]), fut])
        ax.fill_between(band["year"], band["lo95"], band["hi95"], color="#4C72B0", alpha=0.18, label="95%预测区间")
        ax.fill_between(band["year"], band["lo80"], band["hi80"], color="#4C72B0", alpha=0.35, label="80%预测区间")
        ax.plot(band["year"], band["mean"], color="#4C72B0", lw=2, label="预测值")
    if len(fit):
        ax.plot(fit["year"], fit["mean"], color="#4C72B0", lw=1, ls="--", label="拟合值")
    own = observations[(observations["indicator_id"] == indicator_id) & (observations["area"] == area)
                       & (observations["sex"] == sex)].sort_values("year")
    ax.plot(own["year"], own["value"], "o", color="#222222", label=f"{area_label(area)}观测值")
    comp = observations[(observations["indicator_id"] == indicator_id) & (observations["area"] == COMPARATOR_AREA)]
    comp = comp[comp["sex"] == (sex if sex in set(comp["sex"]) else "total")].sort_values("year")
    if len(comp) and area != COMPARATOR_AREA:
        ax.plot(comp["year"], comp["value"], "s-", color="#DD8452", ms=4, lw=1, label="全国")
        cproj = projections[(projections["indicator_id"] == indicator_id) & (projections["area"] == COMPARATOR_AREA)
                            & (projections["sex"] == comp["sex"].iloc[0]) & projections["is_projection"]]
        if len(cproj):
            ax.plot(cproj["year"], cproj["mean"], ls="--", color="#DD8452", lw=1, label="全国预测值")
    if entry is not None and pd.notna(entry.get("value")):
        ax.axhline(float(entry["value"]), color="#C44E52", ls=":", lw=1.5,
                   label=f"{int(entry['year'])}年目标 {entry['value']:g}{unit}")
    name = entry["name_zh"] if entry is not None else indicator_id
    note = "" if len(proj) else "（该序列没有预测：数据不足或暂无数据）"
    ax.set_title(f"{name}（{unit}）：{area_label(area)}，{SEX_LABELS.get(sex, sex)}{note}")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("年份")
    ax.set_ylabel(unit)
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    return fig
