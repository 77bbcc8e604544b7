"""Will each target be met by 2030? Probability, status, pace and early warnings for every target.

:func:`assess` reads ``observations.parquet`` and ``projection_models.parquet`` (the projection
stage's output) and writes the scorecard, ``scorecard.parquet`` and a CSV copy: one row per
catalog target for the district (area ``district``, sex ``total`` — the target's headline row),
plus one per breakdown the catalog asks for (female/male, urban/rural, each town).
``docs/assessment.md`` explains every choice for a reader; every threshold and label is in
``params/assessment.yaml``.

* **Probability of meeting the target** (``p_meet``) — from the projection engine's seeded
  simulated paths (:func:`analysis.trend.simulate_paths`), never from the point forecast:
  ``below`` / ``at_most`` / ``above``: the share of paths on the right side in the target year;
  ``about`` (左右): within value ± tolerance; ``keep_above`` / ``keep_below`` (保持在): on the
  right side in *every* remaining year of the path; a town-level target (以镇（街道）为单位): every
  town in every year, combining the towns' paths as independent draws; ``relative`` (不低于
  another indicator): the difference of the two series' paths; ``direction``: the share of
  paths whose target-year value lies beyond the latest observed value in the asked direction (a
  narrowing gap: the absolute gap between the two groups' paths below the latest observed gap).
* **Status** — achieved (met in the latest year and likely to stay met), on track, at risk,
  off track by the probability thresholds of the params file (IPCC likelihood language); a
  direction target is improving / no clear change / worsening; insufficient data with the reason.
* **Pace** — the observed annual change (least-squares slope on the model's scale: logit for
  proportions, log for rates and levels) against the annual change still required to reach the
  target by its year, their ratio (the UN SDG progress-chart "ratio of actual to required
  progress"), and the year the paths first reach the target (median and interval).
* **Early warnings** — 预计完成困难, 已有年份未达标, 趋势逆转, 差距扩大, 波动较大 (judged with the
  series' own noise, and with the sampling noise of small counts), 数据质量 (cleaning flags).
* **Modes** — annual monitoring of a year Y, the mid-term evaluation (2025; also compared with
  the straight path from the 2020 baseline to the target) and the final evaluation (met or not).

References
----------
.. [1] United Nations Statistics Division (2022). *SDG Progress Chart 2022: Technical Note*
   (the ratio of actual to required growth rate; thresholds 0.95 and 0.5).
.. [2] Bidarbakht Nia, A. (2017). Tracking progress towards the SDGs: measuring the otherwise
   ambiguous progress. ESCAP Statistics Division Working Paper SD/WP/05 (anticipated progress:
   required vs. observed rate of change toward a 2030 target).
.. [3] Mastrandrea, M. D., et al. (2010). Guidance Note for Lead Authors of the IPCC Fifth
   Assessment Report on Consistent Treatment of Uncertainties. IPCC (likely ≥ 66 %, unlikely ≤ 33 %).
.. [4] Brier, G. W. (1950). Verification of forecasts expressed in terms of probability.
   Monthly Weather Review 78(1), 1–3 (the score of the calibration benchmark).
.. [5] Robert, C. P., & Casella, G. (2004). *Monte Carlo Statistical Methods*, 2nd ed. Springer
   (probabilities of events as averages over simulated paths).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
from scipy import stats

from analysis import atomic, config, parse, schemas, trend
from analysis.catalog import KINDS, NUMERIC_KINDS, Catalog, load_catalog, plan_order, target_text

log = logging.getLogger(__name__)

DEFAULT_SETTINGS = config.PARAMS_DIR / "assessment.yaml"
MODES = ("annual", "midterm", "final")
LEVEL_STATUSES = ("achieved", "on_track", "at_risk", "off_track", "insufficient_data")
DIRECTION_STATUSES = ("improving", "no_clear_change", "worsening")
STATUSES = LEVEL_STATUSES + DIRECTION_STATUSES + ("qualitative",)
POINT_KINDS = ("below", "at_most", "above", "about")
KEEP_KINDS = ("keep_above", "keep_below")
#: kinds with a target value or a comparator: counted in the headline's N
SCORED_KINDS = set(NUMERIC_KINDS) | {"relative"}
SCALE_CODES = {"linear": 0, "log": 1, "logit": 2}
COMPARATOR_AREAS = trend.COMPARATOR_AREAS
CONTRACT_COLUMNS = [
    "indicator_id", "area", "sex", "mode", "year", "latest_year", "latest_value", "baseline_value", "target_kind",
    "target_value", "projection_2030", "lo80", "hi80", "p_meet", "observed_annual_change", "required_annual_change",
    "status", "warnings", "model",
]
EXTRA_COLUMNS = [
    "plan", "field", "name_zh", "unit", "target_text", "target_year", "breakdown", "is_headline", "monitorable",
    "status_zh", "reason", "reason_zh", "n_points", "met_now", "basic_tolerance", "pace_scale",
    "observed_change_lo", "observed_change_hi", "pace_ratio", "pace_ratio_lo", "pace_ratio_hi", "pace_zh",
    "year_reached", "year_reached_lo", "year_reached_hi", "year_reached_text", "p_all_towns", "towns_at_risk",
    "warning_codes", "severity", "value_at_year", "expected_value", "schedule_gap", "progress_share", "schedule",
    "schedule_zh",
]
COLUMNS = CONTRACT_COLUMNS + EXTRA_COLUMNS
SEX_LABELS = {"female": "女", "male": "男", "total": "合计"}
#: English status labels (the Chinese ones come from params/assessment.yaml)
STATUS_EN = {"achieved": "Achieved", "on_track": "On track", "at_risk": "At risk", "off_track": "Off track",
             "insufficient_data": "Insufficient data", "improving": "Improving", "no_clear_change": "No clear change",
             "worsening": "Worsening", "qualitative": "Qualitative"}
STATUS_EN_FINAL = {"off_track": "Not achieved"}
#: English warning labels and the reason in general words (the Chinese reason states the figures)
WARNINGS_EN = {
    "difficult": ("Unlikely to be met", "the probability of meeting the target is low"),
    "past_break": ("Missed in a past year", "the target was not met in a year already observed"),
    "gap_widening": ("Gap widening", "the gap between groups is projected to widen"),
    "reversal": ("Trend reversed", "the recent trend runs against the target"),
    "volatile": ("Volatile", "year-to-year swings are large against the change needed each year"),
    "small_counts": ("Volatile (small counts)",
                     "one case moves the rate a lot: a single year cannot show the change needed; "
                     "judge on multi-year totals"),
    "data_quality": ("Data quality", "values of this target were flagged or quarantined in the cleaning"),
}
AREA_EN = {"district": "Yanshi District", "urban": "urban", "rural": "rural", "national": "China",
           "national_urban": "China, urban", "national_rural": "China, rural", "henan": "Henan", "luoyang": "Luoyang"}
SEX_EN = {"female": "female", "male": "male", "total": "total"}


def status_en(status: str, mode: str = "annual") -> str:
    """A status code in English (``off_track`` at the final evaluation: "Not achieved")."""
    return (STATUS_EN_FINAL.get(status) if mode == "final" else None) or STATUS_EN.get(status, status)
GAP_LABELS = {"urban_rural": "城乡差距", "sex": "男女差距"}


# --- settings ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """The assessment's parameters, read from ``params/assessment.yaml`` (no defaults in code:
    the file is the one place a threshold or a label is set). See that file for each."""

    path: Path
    baseline_year: int
    plan_start: int
    midterm_year: int
    final_year: int
    baseline_max_shift: int
    n_sims: int
    seed: int | None
    min_points: int
    max_data_age: int
    final_max_lag: int
    likely: float
    unlikely: float
    basic_enabled: bool
    basic_share: float
    pace_window: int
    pace_interval: float
    on_pace: float
    acceleration_needed: float
    noise_to_pace: float
    reach_z: float
    reversal_run: int
    reversal_min_sd: float
    gap_widening_z: float
    data_quality_flags: dict[str, str]
    joint_town_phrases: tuple[str, ...]
    headline_count: str
    headline_denominator: str
    labels: dict[str, str]
    final_labels: dict[str, str]
    basic_label: str
    colours: dict[str, str]
    warnings: dict[str, dict[str, Any]]

    def label(self, status: str, mode: str = "annual") -> str:
        """The Chinese word for a status code (the final evaluation's plainer words in mode final)."""
        if mode == "final" and status in self.final_labels:
            return self.final_labels[status]
        return self.labels[status]


TOP_KEYS = {"baseline_year", "plan_start", "midterm_year", "final_year", "baseline_max_shift", "n_sims", "seed",
            "min_points", "max_data_age", "final_max_lag", "probability", "basic_achievement", "pace", "volatility",
            "reversal", "gap", "data_quality_flags", "joint_town_phrases", "headline", "labels", "final_labels",
            "basic_label", "colours", "warnings"}


def load_settings(path: str | Path = DEFAULT_SETTINGS, **overrides: Any) -> Settings:
    """Read ``params/assessment.yaml`` (or another file of the same form), with ``overrides``
    (field names of :class:`Settings`) on top.

    Raises :class:`analysis.config.ParamsError` naming the file and the unknown or missing key,
    or a threshold out of order (``unlikely < likely``).
    """
    path = config.resolve(path)
    data = config.read_yaml(path)
    where = config.display_path(path)
    if not isinstance(data, dict):
        raise config.ParamsError(f"{where}: expected a mapping of settings")
    unknown, missing = sorted(set(data) - TOP_KEYS), sorted(TOP_KEYS - set(data))
    if unknown or missing:
        raise config.ParamsError(f"{where}: unknown setting(s) {unknown}, missing setting(s) {missing}")
    try:
        settings = Settings(
            path=path, baseline_year=int(data["baseline_year"]), plan_start=int(data["plan_start"]),
            midterm_year=int(data["midterm_year"]), final_year=int(data["final_year"]),
            baseline_max_shift=int(data["baseline_max_shift"]), n_sims=int(data["n_sims"]),
            seed=None if data["seed"] is None else int(data["seed"]), min_points=int(data["min_points"]),
            max_data_age=int(data["max_data_age"]), final_max_lag=int(data["final_max_lag"]),
            likely=float(data["probability"]["likely"]), unlikely=float(data["probability"]["unlikely"]),
            basic_enabled=bool(data["basic_achievement"]["enabled"]),
            basic_share=float(data["basic_achievement"]["share"]),
            pace_window=int(data["pace"]["window"]), pace_interval=float(data["pace"]["interval"]),
            on_pace=float(data["pace"]["on_pace"]), acceleration_needed=float(data["pace"]["acceleration_needed"]),
            noise_to_pace=float(data["volatility"]["noise_to_pace"]), reach_z=float(data["volatility"]["reach_z"]),
            reversal_run=int(data["reversal"]["run"]), reversal_min_sd=float(data["reversal"]["min_sd"]),
            gap_widening_z=float(data["gap"]["widening_z"]),
            data_quality_flags=dict(data["data_quality_flags"]),
            joint_town_phrases=tuple(data["joint_town_phrases"]),
            headline_count=str(data["headline"]["count"]), headline_denominator=str(data["headline"]["denominator"]),
            labels=dict(data["labels"]), final_labels=dict(data["final_labels"]), basic_label=str(data["basic_label"]),
            colours=dict(data["colours"]), warnings={k: dict(v) for k, v in data["warnings"].items()},
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise config.ParamsError(f"{where}: a setting is missing or not of the right type ({exc!r})") from exc
    settings = dataclasses.replace(settings, **overrides)
    problems = []
    if not 0 < settings.unlikely < settings.likely < 1:
        problems.append("need 0 < probability.unlikely < probability.likely < 1")
    if set(STATUSES) - set(settings.labels):
        problems.append(f"labels missing for {sorted(set(STATUSES) - set(settings.labels))}")
    if settings.headline_count not in ("monitorable", "all"):
        problems.append("headline.count must be 'monitorable' or 'all'")
    if settings.headline_denominator not in ("assessable", "all"):
        problems.append("headline.denominator must be 'assessable' or 'all'")
    if settings.min_points < 2:
        problems.append("min_points must be at least 2")
    if problems:
        raise config.ParamsError(f"{where}: " + "; ".join(problems))
    return settings


# --- the target test and probabilities from paths ----------------------------------------------


def side(kind: str) -> int:
    """Which side of the target value meets it: +1 from above (above, keep_above), -1 from below
    (below, at_most, keep_below), 0 for a band (about)."""
    if kind in ("above", "keep_above"):
        return 1
    if kind in ("below", "at_most", "keep_below"):
        return -1
    if kind == "about":
        return 0
    raise ValueError(f"kind {kind!r} has no target value")


def meets(values, kind: str, target: float, tolerance: float = 0.0, slack: float = 0.0) -> np.ndarray:
    """Whether each value meets the target, as the catalog defines the kinds.

    ``below``/``keep_below`` (…以下) and ``at_most`` (控制在…以内, 不超过): value ≤ target;
    ``above``/``keep_above`` (…以上): value ≥ target; ``about``: |value − target| ≤ tolerance.
    以上、以下、以内 include the number itself (民法典 第一千二百五十九条), so a 2030 neonatal
    mortality of exactly 3.0‰ meets "降至3.0‰以下". ``slack`` (the 基本实现 tolerance, in
    the unit, 0 when off) moves the line by that much in the indicator's favour. NaN never meets.
    """
    v = np.asarray(values, dtype=float)
    with np.errstate(invalid="ignore"):
        if kind in ("below", "at_most", "keep_below"):
            return v <= target + slack
        if kind in ("above", "keep_above"):
            return v >= target - slack
        if kind == "about":
            return np.abs(v - target) <= tolerance + slack
    raise ValueError(f"kind {kind!r} has no target value")


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


# --- status ------------------------------------------------------------------------------------


def level_status(p: float, met_now: bool, likely: float, unlikely: float) -> str:
    """The status of a target with a value: achieved (met in the latest year and likely to stay
    met), on_track (likely met), off_track (unlikely), at_risk (in between)."""
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


# --- pace --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pace:
    """The observed annual change of a series: a least-squares line on the model scale.

    ``slope`` per year with its ``lo``–``hi`` interval (t, n − 2 df; NaN with 2 points),
    ``sigma`` the residual standard deviation (the series' own year-to-year noise), ``level``
    the line's value in the latest year and ``n`` the number of points.
    """

    slope: float
    lo: float
    hi: float
    se: float
    sigma: float
    level: float
    n: int


def observed_pace(years, z, interval: float = 0.8) -> Pace:
    """Least-squares slope of ``z`` on ``years`` with its t interval, the residual sd and the
    line's level in the last year. The observed pace of the UN SDG progress chart is a growth
    rate between two years; a line through every year of the window is less at the mercy of one
    noisy year, and gives the noise the volatility warning needs."""
    x, z = np.asarray(years, dtype=float), np.asarray(z, dtype=float)
    keep = np.isfinite(z)
    x, z = x[keep], z[keep]
    n = len(x)
    if n < 2:
        return Pace(math.nan, math.nan, math.nan, math.nan, math.nan, float(z[-1]) if n else math.nan, n)
    xc = x - x.mean()
    sxx = float(xc @ xc)
    b = float(xc @ (z - z.mean()) / sxx)
    a = float(z.mean())
    level = a + b * float(x.max() - x.mean())
    if n < 3:
        return Pace(b, math.nan, math.nan, math.nan, math.nan, level, n)
    resid = z - (a + b * xc)
    s2 = float(resid @ resid) / (n - 2)
    se = math.sqrt(s2 / sxx)
    t = float(stats.t.ppf(0.5 + interval / 2, n - 2))
    return Pace(b, b - t * se, b + t * se, se, math.sqrt(s2), level, n)


def required_pace(level: float, target_z: float, year_now: int, target_year: int) -> float:
    """The annual change on the model scale still needed to go from ``level`` (the current level)
    to ``target_z`` by ``target_year`` (NaN when no year is left)."""
    if target_year <= year_now:
        return math.nan
    return (target_z - level) / (target_year - year_now)


def pace_ratio(observed: float, required: float) -> float:
    """Observed over required annual change: 1 = exactly on pace, < 0 = moving away (NaN when
    nothing is required any more, the target's level being reached)."""
    if not np.isfinite(observed) or not np.isfinite(required) or abs(required) < 1e-12:
        return math.nan
    return observed / required


def pace_band(ratio: float, settings: Settings) -> str:
    """The pace ratio in words (UN SDG progress chart bands)."""
    if not np.isfinite(ratio):
        return ""
    if ratio >= settings.on_pace:
        return "进度达标"
    if ratio >= settings.acceleration_needed:
        return "需加快"
    return "进展有限" if ratio >= 0 else "方向相反"


# --- scales ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scale:
    """The model scale of a series (as the projection engine chose it) and its range."""

    name: str
    lo: float
    hi: float
    per: float
    family: str

    @property
    def code(self) -> int:
        return SCALE_CODES[self.name]

    def to_z(self, values) -> np.ndarray:
        """Values in the unit → the model scale, values at a bound of the range moved inside by a
        quarter of their reporting step (as the engine does before the logit)."""
        v = np.asarray(values, dtype=float)
        if self.name == "linear":
            return v
        step = 0.25 * trend.reporting_step(v)
        lo = self.lo if np.isfinite(self.lo) else -np.inf
        hi = self.hi if np.isfinite(self.hi) else np.inf
        v = np.clip(v, lo + step, hi - step) if self.name == "logit" else np.maximum(v, step)
        return trend.to_model_scale(v, self.code, self.lo, self.hi)

    def counts_to_z(self, numerator, denominator) -> np.ndarray:
        """Counts → the empirical rate on the model scale with half an event added (the engine's
        rule for the count families): log rate for a Poisson rate, logit for a binomial share."""
        y, n = np.asarray(numerator, dtype=float), np.asarray(denominator, dtype=float)
        if self.name == "log":
            return np.log((y + 0.5) / n * self.per)
        return np.log((y + 0.5) / (n - y + 0.5))

    def to_unit(self, z) -> np.ndarray:
        """The model scale → the unit."""
        return trend.from_model_scale(np.asarray(z, dtype=float), self.code, self.lo, self.hi)

    def unit_per_z(self, value: float) -> float:
        """d(value)/dz at ``value``: a model-scale distance in the unit, for words a reader knows."""
        if self.name == "log":
            return value
        if self.name == "logit":
            return (value - self.lo) * (self.hi - value) / (self.hi - self.lo)
        return 1.0


def round_to_step(values: np.ndarray, step: float) -> np.ndarray:
    """Values rounded to a reporting step, as they would be published (a count of institutions to
    a whole number, a percentage given to one decimal to one decimal)."""
    return np.round(np.asarray(values, dtype=float) / step) * step


def unit_scale(entry: pd.Series) -> Scale:
    """The scale the engine would use for an indicator without counts, from its unit: logit of the
    valid range for shares and rates, log for levels, counts and durations, else linear."""
    from analysis.clean import valid_range

    unit = entry.get("unit")
    spec = parse.units().get(unit, {}) if isinstance(unit, str) else {}
    kind = spec.get("kind")
    lo, hi = valid_range(entry, unit) if spec else (-math.inf, math.inf)
    per = float(spec.get("per", math.nan))
    if kind in ("proportion", "rate"):
        return Scale("logit", lo, hi, per, "logit")
    if kind in ("level", "count", "duration"):
        return Scale("log", lo, hi, per, "log")
    return Scale("linear", lo, hi, per, "linear")


# --- the series and their paths ------------------------------------------------------------------


@dataclass(frozen=True)
class Series:
    """One observed series (indicator × area × sex) up to the evaluation year, in year order."""

    years: np.ndarray
    values: np.ndarray
    numerator: np.ndarray
    denominator: np.ndarray
    flags: tuple[str, ...]

    @property
    def n(self) -> int:
        return len(self.years)

    @property
    def latest_year(self) -> int:
        return int(self.years[-1])

    @property
    def latest_value(self) -> float:
        return float(self.values[-1])

    @property
    def step(self) -> float:
        """The reporting step of the series (the finest of its values: 0.01 for 97.85)."""
        return float(trend.reporting_step(self.values).min()) if len(self.values) else 1e-4

    @property
    def has_counts(self) -> bool:
        return bool(np.all(np.isfinite(self.numerator) & np.isfinite(self.denominator) & (self.denominator > 0)))

    def value_in(self, year: int) -> float:
        """The value observed in ``year`` (NaN when none)."""
        hit = np.flatnonzero(self.years == year)
        return float(self.values[hit[0]]) if len(hit) else math.nan

    def baseline(self, year: int, shift: int) -> tuple[float, int | None]:
        """The value in the base ``year``, else in the nearest year within ``shift`` (earlier first)."""
        for d in [0] + [s for k in range(1, shift + 1) for s in (-k, k)]:
            v = self.value_in(year + d)
            if np.isfinite(v):
                return v, year + d
        return math.nan, None


@dataclass
class Context:
    """Everything a row needs: the observations up to the evaluation year, the projection
    models, the catalog, the settings, the mode and year, and a cache of simulated paths."""

    observations: pd.DataFrame
    models: pd.DataFrame
    catalog: Catalog
    settings: Settings
    mode: str
    year: int
    area: str = "district"
    #: per series, the years a keep-every-year target is checked in (default: every year of the
    #: paths); the calibration benchmark passes the years with a published value
    check_years: dict = field(default_factory=dict)
    _series: dict = field(default_factory=dict, repr=False)
    _paths: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        obs = self.observations.sort_values("year")
        for key, g in obs.groupby(["indicator_id", "area", "sex"], sort=False):
            self._series[key] = Series(
                years=g["year"].to_numpy(int), values=g["value"].to_numpy(float),
                numerator=g["numerator"].to_numpy(float), denominator=g["denominator"].to_numpy(float),
                flags=tuple(g["flags"].fillna("").astype(str)))
        self._models = {tuple(k): row for k, row in zip(
            self.models[["indicator_id", "area", "sex"]].itertuples(index=False, name=None),
            self.models.to_dict("records"), strict=True)}

    def series(self, indicator_id: str, area: str, sex: str) -> Series | None:
        """The observed series, or None when nothing was reported."""
        return self._series.get((indicator_id, area, sex))

    def areas_of(self, indicator_id: str) -> set[str]:
        """Every area with a value of the indicator."""
        return {a for (i, a, _s) in self._series if i == indicator_id}

    def model(self, indicator_id: str, area: str, sex: str) -> dict | None:
        """The projection record of a series, or None."""
        return self._models.get((indicator_id, area, sex))

    def paths(self, indicator_id: str, area: str, sex: str) -> tuple[trend.Paths | None, str]:
        """The series' simulated paths (cached), or None and the reason it has none."""
        key = (indicator_id, area, sex)
        if key not in self._paths:
            rec = self.model(*key)
            if rec is None:
                self._paths[key] = (None, "no projection for this series (run the projection stage)")
            elif not rec["projectable"]:
                self._paths[key] = (None, f"not projected: {rec['reason']}")
            else:
                p = trend.simulate_paths(*key, models=self.models, n_sims=self.settings.n_sims,
                                         seed=self.settings.seed)
                s = self.series(*key)
                if s is not None:  # judged on the figure that will be published: rounded as the series is
                    p = dataclasses.replace(p, values=round_to_step(p.values, s.step))
                self._paths[key] = (p, "")
        return self._paths[key]

    def use_paths(self, indicator_id: str, area: str, sex: str, years, values, model: str = "given") -> None:
        """Use these simulated paths (n_sims × years, in the unit) for a series instead of the
        engine's: for tests, and for a caller who simulated them elsewhere."""
        key = (indicator_id, area, sex)
        self._paths[key] = (trend.Paths(key, np.asarray(years, dtype=int), np.atleast_2d(np.asarray(values, float)),
                                        model, 0), "")

    def scale(self, entry: pd.Series, area: str, sex: str) -> Scale:
        """The model scale of a series: the engine's, from its record; else from the unit."""
        rec = self.model(entry["id"], area, sex)
        if rec is not None and rec["projectable"]:
            p = json.loads(rec["params"])
            lo = math.nan if p["lo"] is None else p["lo"]
            hi = math.nan if p["hi"] is None else p["hi"]
            per = math.nan if p["per"] is None else p["per"]
            return Scale(trend.SCALE_NAMES[int(p["scale"])], lo, hi, per, p["family"])
        return unit_scale(entry)


def series_z(s: Series, scale: Scale) -> np.ndarray:
    """A series on its model scale: from its counts (half an event added) when the engine
    modelled the counts, else from the values."""
    if scale.family in ("poisson", "binomial") and s.has_counts:
        return scale.counts_to_z(s.numerator, s.denominator)
    return scale.to_z(s.values)


def window(s: Series, year: int, years: int) -> Series:
    """The part of a series in the ``years`` years up to ``year``: the observed-pace window."""
    keep = (s.years > year - years) & (s.years <= year)
    return Series(s.years[keep], s.values[keep], s.numerator[keep], s.denominator[keep],
                  tuple(f for f, k in zip(s.flags, keep, strict=True) if k))


# --- early warnings ------------------------------------------------------------------------------


def past_breaks(s: Series, kind: str, target: float, since: int, tolerance: float = 0.0,
                slack: float = 0.0) -> list[tuple[int, float]]:
    """(year, value) of every year from ``since`` on in which a keep-every-year target was missed."""
    sel = s.years >= since
    bad = sel & ~meets(s.values, kind, target, tolerance, slack)
    return [(int(y), float(v)) for y, v in zip(s.years[bad], s.values[bad], strict=True)]


def reversal(years, z, sign: int, sigma: float, run: int, min_sd: float) -> bool:
    """趋势逆转: the ``run`` consecutive year-on-year changes before the latest one all went the
    right way (``sign``), and the latest change goes against it by more than ``min_sd`` times the
    series' noise ``sigma`` (a smaller move back is ordinary noise)."""
    years, z = np.asarray(years), np.asarray(z, dtype=float)
    if len(years) < run + 2 or not np.isfinite(sigma):
        return False
    yrs, zz = years[-(run + 2):], z[-(run + 2):]
    if not np.all(np.diff(yrs) == 1):
        return False
    d = np.diff(zz)
    return bool(np.all(sign * d[:-1] > 0) and sign * d[-1] < 0 and abs(d[-1]) > min_sd * sigma)


def gap_widening(years, gap, z: float) -> bool:
    """差距扩大: the observed gap's least-squares slope is above 0 by ``z`` standard errors."""
    pace = observed_pace(years, gap)
    return bool(np.isfinite(pace.se) and pace.slope - z * pace.se > 0)


def volatility(sigma: float, required: float, inside: float, settings: Settings) -> tuple[str, float] | None:
    """波动较大, judged with the series' own noise ``sigma`` (the residual sd of its line, model scale).

    ``"near"``: the current level lies within ``reach_z`` noise sds of the target line (``inside``
    is its signed distance, positive on the right side), so ordinary years fall on either side of
    it; ``"pace"``: not met, and a year's noise exceeds ``noise_to_pace`` × the annual change the
    target still requires, so one year's movement says little about the pace. Returns the case and
    its ratio (distance in sds, or noise over required change), or None.
    """
    if not np.isfinite(sigma) or sigma <= 0 or not np.isfinite(inside):
        return None
    if abs(inside) < settings.reach_z * sigma:
        return "near", abs(inside) / sigma
    if inside < 0 and np.isfinite(required) and abs(required) > 0 and sigma > settings.noise_to_pace * abs(required):
        return "pace", sigma / abs(required)
    return None


def required_change(baseline: float, kind: str, target: float, tolerance: float = 0.0) -> float:
    """The change the plan asks for, in the unit: from the baseline value to the target line (to
    the near edge of an "about" band); NaN when the baseline already met the target."""
    if not np.isfinite(baseline):
        return math.nan
    sd = side(kind)
    need = abs(baseline - target) - tolerance if sd == 0 else sd * (target - baseline)
    return need if need > 0 else math.nan


def small_counts(s: Series, level: float, target: float, kind: str, per: float, change: float) -> dict | None:
    """波动较大（计数过小）: a rate built on so few events that the change the plan asks for cannot be
    detected in a year's figure at all — the sampling sd of one year's value (binomial, at the
    current ``level`` and the latest denominator) exceeds the whole required ``change`` (baseline
    to target, :func:`required_change`), or, for a "below" target, one event alone is more than the
    target (maternal mortality 12/10万 with ~4,000 births: one death = 25/10万, the target means
    no death at all). Returns the figures for the message, or None."""
    if not s.has_counts or not np.isfinite(per) or not np.isfinite(level):
        return None
    n = float(s.denominator[-1])
    one = per / n
    p = min(max(level / per, 0.5 / n), 1.0)
    sd = math.sqrt(p * (1 - p) / n) * per
    below_one = side(kind) < 0 and target < one
    if below_one or (np.isfinite(change) and sd > change):
        return {"n": n, "one": one, "sd": sd, "below_one": below_one, "change": change}
    return None


def flag_list(s: Series, wanted: dict[str, str]) -> list[tuple[int, str]]:
    """(year, flag) of the cleaning flags that ask for review, on this series' own values."""
    out = []
    for y, flags in zip(s.years, s.flags, strict=True):
        for f in filter(None, str(flags).split(";")):
            name = f.split(":")[0]
            if name in wanted:
                out.append((int(y), name))
    return out


# --- formatting ----------------------------------------------------------------------------------


DIFFERENCE_UNITS_ZH = {"%": "个百分点", "‰": "个千分点"}


def difference_unit(unit: str) -> str:
    """The unit of a difference of two values in ``unit``: a difference of rates in % is in
    个百分点 (percentage points), in ‰ in 个千分点; other units are their own."""
    return DIFFERENCE_UNITS_ZH.get(unit, unit)


def fmt(v: float, unit: str = "") -> str:
    """A number as a report writes it (4 significant digits, no trailing zeros) with its unit."""
    if v is None or not np.isfinite(v):
        return "—"
    text = f"{v:.4g}"
    if "e" in text:
        text = f"{v:.2f}"
    return f"{text}{unit}"


def pct(p: float) -> str:
    """A probability in per cent."""
    return "—" if p is None or not np.isfinite(p) else f"{100 * p:.0f}%"


# --- rows ----------------------------------------------------------------------------------------


def _base_row(entry: pd.Series, area: str, sex: str, breakdown: str, ctx: Context) -> dict[str, Any]:
    """A scorecard row with the target's own fields filled and everything else empty."""
    unit = entry["unit"] if isinstance(entry["unit"], str) else None
    value = float(entry["value"]) if pd.notna(entry["value"]) else math.nan
    year = int(entry["year"]) if pd.notna(entry["year"]) else None
    row: dict[str, Any] = {c: math.nan for c in COLUMNS}
    row.update({
        "indicator_id": entry["id"], "area": area, "sex": sex, "mode": ctx.mode, "year": ctx.year,
        "latest_year": None, "target_kind": entry["kind"], "target_value": value, "status": "", "warnings": "",
        "model": "", "plan": entry["plan"], "field": int(entry["field"]), "name_zh": entry["name_zh"], "unit": unit,
        "target_text": target_text(entry), "target_year": year, "breakdown": breakdown,
        "is_headline": breakdown == "total", "monitorable": bool(entry["monitorable"]), "status_zh": "",
        "reason": "", "reason_zh": "", "n_points": 0, "met_now": None, "basic_tolerance": 0.0, "pace_scale": "",
        "pace_zh": "", "year_reached": None, "year_reached_lo": None, "year_reached_hi": None,
        "year_reached_text": "", "towns_at_risk": "", "warning_codes": "", "severity": 0, "schedule": "",
        "schedule_zh": "",
    })
    return row


def _insufficient(row: dict, reason: str, reason_zh: str) -> dict:
    row.update(status="insufficient_data", reason=reason, reason_zh=reason_zh)
    return row


def _slack(entry: pd.Series, settings: Settings) -> float:
    """The 基本实现 tolerance in the unit (0 when off)."""
    if not settings.basic_enabled or pd.isna(entry.get("value")):
        return 0.0
    return settings.basic_share * abs(float(entry["value"]))


def _check_series(row: dict, s: Series | None, ctx: Context, what: str = "") -> bool:
    """Fill the latest value and say whether there is enough to judge (else mark the row)."""
    st = ctx.settings
    if s is None:
        _insufficient(row, f"no data reported{what}", "未报送数据" + ("（" + what.strip(" ;") + "）" if what else ""))
        return False
    row.update(latest_year=s.latest_year, latest_value=s.latest_value, n_points=s.n)
    row["baseline_value"] = s.baseline(st.baseline_year, st.baseline_max_shift)[0]
    if s.n < st.min_points:
        _insufficient(row, f"too few points ({s.n}; at least {st.min_points} needed)",
                      f"观测值仅{s.n}个（至少需要{st.min_points}个），无法判断趋势")
        return False
    if ctx.mode != "final" and ctx.year - s.latest_year > st.max_data_age:  # final: its own lag rule
        _insufficient(row, f"latest value is from {s.latest_year}, more than {st.max_data_age} years before "
                           f"{ctx.year}", f"最近数值为{s.latest_year}年，距评估年份超过{st.max_data_age}年")
        return False
    return True


def _final_value(s: Series, ctx: Context) -> tuple[float, int | None]:
    """The value the final evaluation judges: the evaluation year's, else one at most
    ``final_max_lag`` years older."""
    for y in range(ctx.year, ctx.year - ctx.settings.final_max_lag - 1, -1):
        v = s.value_in(y)
        if np.isfinite(v):
            return v, y
    return math.nan, None


def _add_warning(row: dict, code: str, text: str, settings: Settings, extra_severity: int = 0) -> None:
    """Add an early warning (its code, its message in Chinese, severity from the params file, plus
    ``extra_severity``) and re-render the row's ``warnings``, ``warning_codes`` and ``severity``."""
    row.setdefault("_warn", []).append((code, text.replace("；", "，"), int(settings.warnings[code]["severity"])
                                        + extra_severity))
    _render_warnings(row, settings)


def _drop_warning(row: dict, code: str, settings: Settings) -> None:
    row["_warn"] = [w for w in row.get("_warn", []) if w[0] != code]
    _render_warnings(row, settings)


def _render_warnings(row: dict, settings: Settings) -> None:
    warns = row.get("_warn", [])
    row["warning_codes"] = ";".join(c for c, _, _ in warns)
    row["warnings"] = "；".join(f"{settings.warnings[c]['label']}：{t}" for c, t, _ in warns)
    row["severity"] = max((sev for _, _, sev in warns), default=0)


def _quantiles(row: dict, values: np.ndarray) -> None:
    q = np.quantile(values, [0.5, 0.1, 0.9])
    row.update(projection_2030=float(q[0]), lo80=float(q[1]), hi80=float(q[2]))


def _year_reached_fields(row: dict, first: np.ndarray, interval: float, latest_year: int) -> None:
    med, lo, hi = year_reached(first, interval)

    def as_year(v: float) -> int | None:
        return int(v) if np.isfinite(v) else None

    row.update(year_reached=as_year(med), year_reached_lo=as_year(lo), year_reached_hi=as_year(hi))

    def words(v: float) -> str:
        if not np.isfinite(v):
            return "2030年后"
        return "已达到" if v <= latest_year else f"{int(v)}年"

    if np.isfinite(med) and med <= latest_year and np.isfinite(hi) and hi <= latest_year:
        row["year_reached_text"] = f"已达到（{latest_year}年）"
    else:
        row["year_reached_text"] = f"{words(med)}（{int(round(100 * interval))}%区间：{words(lo)}—{words(hi)}）"


def _pace_fields(row: dict, s: Series, scale: Scale, target: float, target_year: int, ctx: Context,
                 met_level=None) -> Pace:
    """Observed annual change (least squares over the pace window, model scale) with its interval,
    the change still required from the line's current level to ``target`` by ``target_year``, and
    their ratio with the interval the observed change's gives. ``met_level(z)`` says whether a
    level on the model scale already meets the target (then nothing is required: no ratio)."""
    st = ctx.settings
    w = window(s, ctx.year, st.pace_window)
    pace = observed_pace(w.years, series_z(w, scale), st.pace_interval)
    row.update(pace_scale=scale.name, observed_annual_change=pace.slope, observed_change_lo=pace.lo,
               observed_change_hi=pace.hi)
    if np.isfinite(target) and np.isfinite(pace.level):
        tz = float(scale.to_z(np.array([target]))[0])
        required = required_pace(pace.level, tz, s.latest_year, target_year)
        row["required_annual_change"] = required
        if met_level is not None and met_level(pace.level):
            row["pace_zh"] = "已达到目标水平"
        else:
            ratio = pace_ratio(pace.slope, required)
            lo, hi = sorted((pace_ratio(pace.lo, required), pace_ratio(pace.hi, required)))
            row.update(pace_ratio=ratio, pace_ratio_lo=lo, pace_ratio_hi=hi, pace_zh=pace_band(ratio, st))
    return pace


def _level_met(level_z: float, scale: Scale, kind: str, target: float, tolerance: float, slack: float) -> bool:
    """Whether the trend line's current level is on the right side of the target."""
    return bool(meets(scale.to_unit(np.array([level_z])), kind, target, tolerance, slack)[0])


def _schedule(row: dict, entry: pd.Series, s: Series, paths: trend.Paths | None, ctx: Context,
              tolerance: float, slack: float) -> None:
    """Mid-term comparison with the straight path from the 2020 baseline to the target value in
    the target year ("时间过半、任务过半"): the value in the evaluation year (observed, else the
    paths' median) against the straight path's value then."""
    st = ctx.settings
    kind, target, target_year = entry["kind"], float(entry["value"]), int(entry["year"])
    base = row["baseline_value"]
    if not np.isfinite(base) or target_year <= st.baseline_year:
        return
    y = ctx.year
    value = s.value_in(y)
    projected = False
    if not np.isfinite(value) and paths is not None and y in paths.years:
        value, projected = float(np.median(paths.values[:, int(np.flatnonzero(paths.years == y)[0])])), True
    if not np.isfinite(value):
        value = s.latest_value
    share_time = (y - st.baseline_year) / (target_year - st.baseline_year)
    expected = base + (target - base) * share_time
    row.update(value_at_year=value)
    note = "（预测值）" if projected else ""
    if bool(meets(base, kind, target, tolerance, slack)):  # no straight path to follow: no 直线进度值
        ok = bool(meets(value, kind, target, tolerance, slack))
        row.update(schedule="met" if ok else "behind", schedule_zh="基期已达标" + ("" if ok else "，现已回落") + note)
        return
    row["expected_value"] = expected
    sign = 1.0 if target > base else -1.0
    gap = sign * (value - expected)
    share = (value - base) / (target - base)
    unit = row["unit"] or ""
    progress = f"完成进度{100 * share:.0f}%" if share <= 1 else "已越过目标值"
    row.update(schedule_gap=gap, progress_share=share, schedule="ahead" if gap >= 0 else "behind",
               schedule_zh=(f"{'超前' if gap >= 0 else '滞后'}{fmt(abs(gap), '')}{difference_unit(unit)}"
                            f"（{progress}，时间进度{100 * share_time:.0f}%）{note}"))


def level_row(entry: pd.Series, area: str, sex: str, breakdown: str, ctx: Context
              ) -> tuple[dict, np.ndarray | None]:
    """The row of a target with a value (below, at_most, above, about, keep_above, keep_below)
    for one series, and the per-path "met" vector (for the joint over towns).

    Annual and midterm modes: P(meet) from the series' paths; achieved looks at the latest
    observed year. Final mode: the value of the evaluation year (or one at most
    ``final_max_lag`` older), met or not; a keep target also needs every year since the plan's start.
    """
    st = ctx.settings
    row = _base_row(entry, area, sex, breakdown, ctx)
    kind, target, target_year = entry["kind"], float(entry["value"]), int(entry["year"])
    tolerance = float(entry["tolerance"]) if pd.notna(entry.get("tolerance")) else 0.0
    slack = _slack(entry, st)
    row["basic_tolerance"] = slack
    unit = row["unit"] or ""
    s = ctx.series(entry["id"], area, sex)
    if not _check_series(row, s, ctx):
        return _finish(row, ctx), None
    met_now = bool(meets(s.latest_value, kind, target, tolerance, slack))
    met_strict = bool(meets(s.latest_value, kind, target, tolerance))
    row["met_now"] = met_now
    scale = ctx.scale(entry, area, sex)
    level_ok = functools.partial(_level_met, scale=scale, kind=kind, target=target, tolerance=tolerance, slack=slack)
    pace = _pace_fields(row, s, scale, target, target_year, ctx, level_ok)
    met_level = level_ok(pace.level) if np.isfinite(pace.level) else met_now
    breaks = past_breaks(s, kind, target, st.plan_start, tolerance, slack) if kind in KEEP_KINDS else []
    met = None
    paths = None
    if ctx.mode == "final":
        value, vyear = _final_value(s, ctx)
        if vyear is None:
            return _finish(_insufficient(row, f"no value for {ctx.year} (latest {s.latest_year})",
                                         f"没有{ctx.year}年的数值（最近为{s.latest_year}年）"), ctx), None
        ok = bool(meets(value, kind, target, tolerance, slack)) and not breaks
        strict = bool(meets(value, kind, target, tolerance)) and not (
            kind in KEEP_KINDS and past_breaks(s, kind, target, st.plan_start, tolerance))
        row.update(p_meet=1.0 if ok else 0.0, status="achieved" if ok else "off_track",
                   value_at_year=value, met_now=ok)
        row["reason_zh"] = f"以{vyear}年数值{fmt(value, unit)}判断" + (
            "；" + "、".join(f"{y}年{fmt(v, unit)}" for y, v in breaks) + "未达到目标" if breaks else "")
        if ok and not strict:
            row["status_zh"] = st.basic_label
    else:
        paths, why = ctx.paths(entry["id"], area, sex)
        if paths is None:
            return _finish(_insufficient(row, why, "该序列没有预测（" + why + "）"), ctx), None
        row["model"] = paths.model
        years, values = paths.years, paths.values
        if target_year <= s.latest_year:
            observed = s.value_in(target_year)
            met = np.full(len(values), bool(meets(observed, kind, target, tolerance, slack)))
        else:
            met = met_on_paths(values, years, kind, target, target_year, tolerance, slack,
                               ctx.check_years.get((entry["id"], area, sex)), met_now)
            _quantiles(row, values[:, int(np.flatnonzero(years == target_year)[0])])
        p = probability(met)
        row.update(p_meet=p, status=level_status(p, met_now, st.likely, st.unlikely))
        if row["status"] == "achieved" and not met_strict:
            row["status_zh"] = st.basic_label
        cols = years <= target_year
        ok = meets(values[:, cols], kind, target, tolerance, slack)
        _year_reached_fields(row, first_year_met(ok, years[cols], met_now, s.latest_year, kind in KEEP_KINDS),
                             st.pace_interval, s.latest_year)
        if row["status"] in ("at_risk", "off_track"):
            words = "每年均达标" if kind in KEEP_KINDS else "达标"
            _add_warning(row, "difficult", f"到{target_year}年{words}的概率为{pct(p)}（{st.label(row['status'])}）",
                         st, 1 if row["status"] == "off_track" else 0)
        if met_now and row["status"] in ("at_risk", "off_track"):
            row["reason_zh"] = f"{s.latest_year}年已达标，但预计难以保持"
    if breaks:
        _add_warning(row, "past_break", f"{st.plan_start}年以来已有年份未达到目标：" + "、".join(
            f"{y}年{fmt(v, unit)}" for y, v in breaks), st)
    _series_warnings(row, entry, s, scale, pace, kind, target, tolerance, slack, met_level, ctx)
    _schedule(row, entry, s, paths, ctx, tolerance, slack)
    return _finish(row, ctx), met


def _toward(kind: str, target: float, level: float, scale: Scale) -> int:
    """The direction of movement toward the target (+1 up, −1 down; for a band, toward its centre)."""
    sd = side(kind)
    if sd != 0:
        return sd
    return 1 if target > float(scale.to_unit(np.array([level]))[0]) else -1


def _series_warnings(row: dict, entry: pd.Series, s: Series, scale: Scale, pace: Pace, kind: str, target: float,
                     tolerance: float, slack: float, met_level: bool, ctx: Context) -> None:
    """趋势逆转, 波动较大 (own noise; small counts) and 数据质量 for a target with a value."""
    st = ctx.settings
    unit = row["unit"] or ""
    z = series_z(s, scale)
    level_unit = float(scale.to_unit(np.array([pace.level]))[0]) if np.isfinite(pace.level) else s.latest_value
    if not (kind == "about" and met_level):
        sign = _toward(kind, target, pace.level, scale)
        if reversal(s.years, z, sign, pace.sigma, st.reversal_run, st.reversal_min_sd):
            change = s.values[-1] - s.values[-2]
            _add_warning(row, "reversal", f"此前连续{st.reversal_run}年向目标方向变化，{s.latest_year}年反向变化"
                                          f"{fmt(change, unit)}（超过年度波动）", st)
    change = required_change(row["baseline_value"], kind, target, tolerance)
    counts = small_counts(s, level_unit, target, kind, scale.per, change) \
        if scale.family in ("poisson", "binomial") else None
    if counts is not None:
        text = (f"按最近一年分母约{counts['n']:,.0f}计，1例即相当于{fmt(counts['one'], unit)}，"
                f"一年数值的抽样波动约±{fmt(counts['sd'], unit)}")
        if counts["below_one"]:
            text += f"；目标{fmt(target, unit)}低于1例对应的数值，意味着全年不能发生1例"
        else:
            text += (f"，大于规划要求的全部变化（由基期的{fmt(row['baseline_value'], unit)}到目标"
                     f"{fmt(target, unit)}，{fmt(counts['change'], unit)}）")
        text += "；单一年份的数值无法反映所需的变化，宜用多年合计数值评估"
        _add_warning(row, "small_counts", text, st)
    else:
        inside = _distance(pace.level, scale, kind, target, tolerance, slack)
        hit = volatility(pace.sigma, row["required_annual_change"], inside, st)
        if hit is not None:
            noise_unit = pace.sigma * scale.unit_per_z(level_unit)
            if hit[0] == "near":
                text = (f"当前水平约{fmt(level_unit, unit)}，距目标线仅约{hit[1]:.1f}个年度波动标准差"
                        f"（年度波动约±{fmt(noise_unit, unit)}），个别年份可能落在目标线的另一侧")
            else:
                need = row["required_annual_change"] * scale.unit_per_z(level_unit)
                text = (f"年度波动约±{fmt(noise_unit, unit)}，是每年所需变化（{fmt(need, unit)}）的{hit[1]:.1f}倍，"
                        "单一年份的变化难以说明进度")
            _add_warning(row, "volatile", text, st)
    _quality_warning(row, s, ctx)


def _distance(level: float, scale: Scale, kind: str, target: float, tolerance: float, slack: float) -> float:
    """How far (model scale) the current level lies inside the target: from the target line, or
    from the nearer edge of an "about" band (negative when outside)."""
    if kind == "about":
        lo_z, hi_z = scale.to_z(np.array([target - tolerance - slack, target + tolerance + slack]))
        return float(min(level - lo_z, hi_z - level))
    line = target - side(kind) * slack
    return float(side(kind) * (level - scale.to_z(np.array([line]))[0]))


def _quality_warning(row: dict, s: Series, ctx: Context) -> None:
    flags = flag_list(s, ctx.settings.data_quality_flags)
    if flags:
        words = "；".join(f"{y}年：{ctx.settings.data_quality_flags[f]}" for y, f in flags)
        _add_warning(row, "data_quality", words + "（清洗步骤标记，请核实）", ctx.settings)


def direction_row(entry: pd.Series, area: str, sex: str, breakdown: str, ctx: Context) -> dict:
    """The row of an increase / decrease target: P(the target-year value lies beyond the latest
    observed value in the asked direction), ties half; final mode: the evaluation year's value
    against the baseline."""
    st = ctx.settings
    row = _base_row(entry, area, sex, breakdown, ctx)
    sign = 1 if entry["direction"] == "increase" else -1
    target_year = int(entry["year"]) if pd.notna(entry["year"]) else st.final_year
    s = ctx.series(entry["id"], area, sex)
    if not _check_series(row, s, ctx):
        return _finish(row, ctx)
    scale = ctx.scale(entry, area, sex)
    w = window(s, ctx.year, st.pace_window)
    pace = observed_pace(w.years, series_z(w, scale), st.pace_interval)
    row.update(pace_scale=scale.name, observed_annual_change=pace.slope, observed_change_lo=pace.lo,
               observed_change_hi=pace.hi)
    if ctx.mode == "final":
        value, vyear = _final_value(s, ctx)
        base = row["baseline_value"]
        if vyear is None or not np.isfinite(base):
            return _finish(_insufficient(row, "no value for the evaluation year or the baseline",
                                         "缺少评估年份或基期（2020年）的数值"), ctx)
        p = p_beyond(np.array([value]), base, sign)
        row.update(p_meet=p, value_at_year=value, status={1.0: "improving", 0.0: "worsening"}.get(p, "no_clear_change"),
                   reason_zh=f"{vyear}年{fmt(value, row['unit'] or '')}，基期{fmt(base, row['unit'] or '')}")
    else:
        paths, why = ctx.paths(entry["id"], area, sex)
        if paths is None:
            return _finish(_insufficient(row, why, "该序列没有预测（" + why + "）"), ctx)
        row["model"] = paths.model
        if target_year not in paths.years:
            return _finish(_insufficient(row, f"the paths do not reach {target_year}",
                                         f"预测未覆盖{target_year}年"), ctx)
        vT = paths.values[:, int(np.flatnonzero(paths.years == target_year)[0])]
        _quantiles(row, vT)
        better, worse = direction_probabilities(vT, s.latest_value, sign)
        p = p_beyond(vT, s.latest_value, sign)
        row.update(p_meet=p, status=direction_status(better, worse, st.likely))
        row["reason_zh"] = (f"{target_year}年数值{'高' if sign > 0 else '低'}于{s.latest_year}年"
                            f"（{fmt(s.latest_value, row['unit'] or '')}）的概率为{pct(better)}，"
                            f"{'低' if sign > 0 else '高'}于它的概率为{pct(worse)}")
        if reversal(s.years, series_z(s, scale), sign, pace.sigma, st.reversal_run, st.reversal_min_sd):
            _add_warning(row, "reversal", f"此前连续{st.reversal_run}年向规划方向变化，{s.latest_year}年反向变化"
                                          f"{fmt(s.values[-1] - s.values[-2], row['unit'] or '')}（超过年度波动）", st)
    _quality_warning(row, s, ctx)
    return _finish(row, ctx)


def _gap_pair(entry: pd.Series, ctx: Context) -> tuple[tuple, tuple | None, str, str]:
    """The two series whose gap should narrow (urban vs rural, or female vs male, of ``gap_of``),
    or the entry's own series (the gap itself) when ``gap_of`` is absent; and what they are, in
    English and Chinese."""
    if entry.get("gap_of"):
        src = entry["gap_of"]
        if entry["gap"] == "urban_rural":
            return ((src, "urban", "total"), (src, "rural", "total"), f"the urban and rural series of {src}",
                    f"{src}的城镇与农村")
        return ((src, ctx.area, "female"), (src, ctx.area, "male"), f"the female and male series of {src}",
                f"{src}的女性与男性")
    return (entry["id"], ctx.area, "total"), None, "the gap's own series", "本指标（差距本身）"


def _gap_series(a: Series, b: Series | None) -> Series:
    """The absolute gap between two series in the years both have (or |own series|)."""
    if b is None:
        return Series(a.years, np.abs(a.values), a.numerator * np.nan, a.denominator * np.nan, a.flags)
    common, ia, ib = np.intersect1d(a.years, b.years, return_indices=True)
    flags = tuple(";".join(filter(None, [a.flags[i], b.flags[j]])) for i, j in zip(ia, ib, strict=True))
    nan = np.full(len(common), np.nan)
    return Series(common, np.abs(a.values[ia] - b.values[ib]), nan, nan, flags)


def narrow_row(entry: pd.Series, ctx: Context) -> dict:
    """The row of a gap that should narrow: P(|A − B| in the target year < the latest observed
    gap), A and B the two groups' paths paired as independent draws (ties half); the row's values
    are the gap (in the unit). Final mode: the gap in the evaluation year against the baseline's."""
    st = ctx.settings
    row = _base_row(entry, ctx.area, "total", "total", ctx)
    key_a, key_b, what, what_zh = _gap_pair(entry, ctx)
    a = ctx.series(*key_a)
    b = ctx.series(*key_b) if key_b is not None else None
    if a is None or (key_b is not None and b is None):
        _insufficient(row, f"no data reported for {what}", f"未报送{what_zh}数据")
        return _finish(row, ctx)
    g = _gap_series(a, b)
    if not _check_series(row, g, ctx):
        return _finish(row, ctx)
    unit = row["unit"] or ""
    label = GAP_LABELS.get(entry.get("gap") or "", "差距")
    w = window(g, ctx.year, st.pace_window)
    pace = observed_pace(w.years, w.values, st.pace_interval)
    row.update(pace_scale="linear (gap)", observed_annual_change=pace.slope, observed_change_lo=pace.lo,
               observed_change_hi=pace.hi)
    target_year = int(entry["year"]) if pd.notna(entry["year"]) else st.final_year
    if ctx.mode == "final":
        value, vyear = _final_value(g, ctx)
        base = row["baseline_value"]
        if vyear is None or not np.isfinite(base):
            return _finish(_insufficient(row, "no gap for the evaluation year or the baseline",
                                         "缺少评估年份或基期（2020年）的差距"), ctx)
        p = p_beyond(np.array([value]), base, -1)
        row.update(p_meet=p, value_at_year=value, status={1.0: "improving", 0.0: "worsening"}.get(p, "no_clear_change"),
                   reason_zh=f"{label}{vyear}年为{fmt(value, unit)}，基期为{fmt(base, unit)}")
    else:
        pa_, why_a = ctx.paths(*key_a)
        pb_, why_b = ctx.paths(*key_b) if key_b is not None else (None, "")
        if pa_ is None or (key_b is not None and pb_ is None):
            why = why_a or why_b
            return _finish(_insufficient(row, why, "差距所需的序列没有预测（" + why + "）"), ctx)
        col_a = int(np.flatnonzero(pa_.years == target_year)[0])
        gap_T = np.abs(pa_.values[:, col_a]) if pb_ is None else np.abs(
            pa_.values[:, col_a] - pb_.values[:, int(np.flatnonzero(pb_.years == target_year)[0])])
        row["model"] = pa_.model if pb_ is None else f"{pa_.model} | {pb_.model}"
        _quantiles(row, gap_T)
        better, worse = direction_probabilities(gap_T, g.latest_value, -1)
        p = p_beyond(gap_T, g.latest_value, -1)
        row.update(p_meet=p, status=direction_status(better, worse, st.likely))
        row["reason_zh"] = (f"{label}：{g.latest_year}年为{fmt(g.latest_value, unit)}；{target_year}年差距小于此的"
                            f"概率为{pct(better)}，大于此的概率为{pct(worse)}"
                            + ("（两组的模拟路径视为相互独立）" if pb_ is not None else ""))
    widening = gap_widening(w.years, w.values, st.gap_widening_z)
    if widening or row["status"] == "worsening":
        first_year = int(w.years[0])
        _add_warning(row, "gap_widening", f"{label}由{first_year}年的{fmt(float(w.values[0]), unit)}变为"
                                          f"{g.latest_year}年的{fmt(g.latest_value, unit)}"
                                          + ("，呈扩大趋势" if widening else "，预计难以缩小"), st)
    _quality_warning(row, g, ctx)
    return _finish(row, ctx)


def relative_row(entry: pd.Series, ctx: Context) -> dict:
    """The row of a target set against another indicator (党代表中女党员比例 不低于 女党员比例):
    P(own − other ≥ 0) in the target year, on the two series' paths paired as independent
    draws. ``target_value`` is the other indicator's value in the latest year both have."""
    st = ctx.settings
    row = _base_row(entry, ctx.area, "total", "total", ctx)
    other_id, comparison = entry["relative_to"], entry["comparison"]
    s = ctx.series(entry["id"], ctx.area, "total")
    o = ctx.series(other_id, ctx.area, "total")
    if not _check_series(row, s, ctx):
        return _finish(row, ctx)
    if o is None:
        return _finish(_insufficient(row, f"no data reported for {other_id}", f"未报送对比指标{other_id}的数据"), ctx)
    common = np.intersect1d(s.years, o.years)
    unit = row["unit"] or ""
    slack = st.basic_share * abs(o.latest_value) if st.basic_enabled else 0.0
    row["basic_tolerance"] = slack
    if len(common):
        y0 = int(common[-1])
        own0, other0 = s.value_in(y0), o.value_in(y0)
        row["target_value"] = other0
        met_now = bool(met_relative(np.array([own0]), np.array([other0]), comparison, slack)[0])
        row["met_now"] = met_now
    else:
        met_now = False
    target_year = int(entry["year"]) if pd.notna(entry["year"]) else st.final_year
    scale = ctx.scale(entry, ctx.area, "total")
    word = "不低于" if comparison == "at_least" else "不高于"
    if ctx.mode == "final":
        v, vy = _final_value(s, ctx)
        ov, oy = _final_value(o, ctx)
        if vy is None or oy is None:
            return _finish(_insufficient(row, f"no value for {ctx.year}", f"没有{ctx.year}年的数值"), ctx)
        ok = bool(met_relative(np.array([v]), np.array([ov]), comparison, slack)[0])
        row.update(p_meet=1.0 if ok else 0.0, status="achieved" if ok else "off_track", value_at_year=v,
                   target_value=ov, reason_zh=f"{vy}年{fmt(v, unit)}，{other_id} {oy}年{fmt(ov, unit)}")
        return _finish(row, ctx)
    ps, why = ctx.paths(entry["id"], ctx.area, "total")
    po, why_o = ctx.paths(other_id, ctx.area, "total")
    if ps is None or po is None:
        return _finish(_insufficient(row, why or why_o, "该序列或对比序列没有预测（" + (why or why_o) + "）"), ctx)
    row["model"] = f"{ps.model} | {other_id}: {po.model}"
    own_T = ps.values[:, int(np.flatnonzero(ps.years == target_year)[0])]
    other_T = po.values[:, int(np.flatnonzero(po.years == target_year)[0])]
    _quantiles(row, own_T)
    met = met_relative(own_T, other_T, comparison, slack)
    p = probability(met)
    row.update(p_meet=p, status=level_status(p, met_now, st.likely, st.unlikely))
    d = np.quantile(own_T - other_T, [0.5, 0.1, 0.9])
    row["reason_zh"] = (f"{target_year}年与{other_id}之差的中位数{fmt(d[0], unit)}（80%区间{fmt(d[1], unit)}至"
                        f"{fmt(d[2], unit)}），两序列的模拟路径视为相互独立")
    target_now = float(np.median(other_T))
    _pace_fields(row, s, scale, target_now, target_year, ctx, lambda z: bool(met_relative(
        scale.to_unit(np.array([z])), np.array([target_now]), comparison)[0]))
    common_years = np.intersect1d(ps.years, po.years)
    common_years = common_years[common_years <= target_year]
    if len(common_years):
        ia = np.searchsorted(ps.years, common_years)
        ib = np.searchsorted(po.years, common_years)
        ok = met_relative(ps.values[:, ia], po.values[:, ib], comparison, slack)
        _year_reached_fields(row, first_year_met(ok, common_years, met_now, s.latest_year, False),
                             st.pace_interval, s.latest_year)
    if row["status"] in ("at_risk", "off_track"):
        _add_warning(row, "difficult", f"到{target_year}年{word}{other_id}的概率为{pct(p)}"
                                       f"（{st.label(row['status'])}）", st, 1 if row["status"] == "off_track" else 0)
    _quality_warning(row, s, ctx)
    return _finish(row, ctx)


def qualitative_row(entry: pd.Series, ctx: Context) -> dict:
    """A qualitative target: listed, not scored."""
    row = _base_row(entry, ctx.area, "total", "total", ctx)
    row.update(status="qualitative", reason="qualitative target: listed, not scored",
               reason_zh="定性目标：列出，不评分")
    return _finish(row, ctx)


def _finish(row: dict, ctx: Context) -> dict:
    """Fill the status label (the 基本实现 word and the final mode's words included)."""
    if not row["status_zh"]:
        row["status_zh"] = ctx.settings.label(row["status"], ctx.mode)
    if row["status"] == "insufficient_data" and not row["reason_zh"]:
        row["reason_zh"] = row["reason"]
    return row


# --- one target, every row -------------------------------------------------------------------------


def district_towns(ctx: Context, indicator_id: str) -> tuple[list[str], list[str]]:
    """The towns with a value of the indicator that belong to the district in the evaluation year
    (``params/areas.yaml`` order), and those that no longer do (a former town left out)."""
    spec = parse.areas()
    present = ctx.areas_of(indicator_id)
    current = [t for t in spec["towns"] if t in present]
    former = [t for t, info in (spec.get("former_towns") or {}).items()
              if t in present and int(info["last_year"]) < ctx.year]
    kept_former = [t for t, info in (spec.get("former_towns") or {}).items()
                   if t in present and int(info["last_year"]) >= ctx.year]
    missing = [t for t in spec["towns"] if t not in present] if current else []
    return current + kept_former + missing, former


def is_joint_town_target(entry: pd.Series, settings: Settings) -> bool:
    """A target the plan sets for every town (以镇（街道）为单位…): its headline is all towns together."""
    source = str(entry.get("source") or "")
    return "town" in entry["breakdowns"] and any(p in source for p in settings.joint_town_phrases)


def verdict_sex(entry: pd.Series) -> str:
    """The sex of the series a target is judged on: ``female`` for a target the plan words about
    women or girls (catalog ``population``) whose data come by sex — 妇女基本养老保险参保率 is the
    women's rate, not the men's and women's together — else ``total``. The other sex is context
    (the gaps page), never a verdict."""
    population = entry.get("population") or "all"
    return "female" if population in ("women", "girls") and "sex" in (entry["breakdowns"] or []) else "total"


def assess_entry(entry: pd.Series, ctx: Context) -> list[dict]:
    """Every row of one catalog target: the headline (district, on the population the target is
    about: :func:`verdict_sex`) and one per breakdown the catalog asks for — female/male for a
    target about everyone; urban/rural; each town only where the plan sets the target per town
    (以镇（街道）为单位, :func:`is_joint_town_target`: elsewhere towns are information, shown on the
    gaps page, never a verdict)."""
    kind = entry["kind"]
    if kind == "qualitative":
        return [qualitative_row(entry, ctx)]
    if kind == "relative":
        return [relative_row(entry, ctx)]
    if kind == "direction" and entry["direction"] == "narrow":
        return [narrow_row(entry, ctx)]
    one = functools.partial(level_row if kind in NUMERIC_KINDS else direction_row, entry)

    def first(result):
        return result[0] if isinstance(result, tuple) else result

    breakdowns = entry["breakdowns"]
    own_sex = verdict_sex(entry)
    head = one(ctx.area, own_sex, "total", ctx)
    rows = [first(head)]
    if "sex" in breakdowns and own_sex == "total":
        rows += [first(one(ctx.area, sex, "sex", ctx)) for sex in ("female", "male")]
    if "urban_rural" in breakdowns and ctx.area == "district":
        rows += [first(one(area, own_sex, "urban_rural", ctx)) for area in ("urban", "rural")]
    if "town" in breakdowns and ctx.area == "district" and is_joint_town_target(entry, ctx.settings):
        towns, former = district_towns(ctx, entry["id"])
        town_results = [one(t, "total", "town", ctx) for t in towns]
        rows += [first(r) for r in town_results]
        _town_summary(rows[0], entry, towns, former, town_results, ctx)
    return rows


def linked_rows(entry: pd.Series, rows: list[dict]) -> list[dict]:
    """The rows of a target that is the same indicator with the same target as another entry
    (catalog ``same_as``): that entry's rows — one series, one projection, one probability, one
    status — under this entry's own id, name and place in the plan, saying so. *Why:* 高中阶段教育
    毛入学率 is set at 96 % by both plans; judged twice it read "约78%" in one and "约79%" in the other."""
    other = entry["same_as"]
    out = []
    for r in rows:
        row = dict(r)
        row.update(indicator_id=entry["id"], plan=entry["plan"], field=int(entry["field"]), name_zh=entry["name_zh"],
                   monitorable=bool(entry["monitorable"]), target_text=target_text(entry))
        row["reason_zh"] = "；".join(filter(None, [f"与{other}为同一指标、同一目标，按{other}的数据评估，结论相同",
                                                   r["reason_zh"]]))
        out.append(row)
    return out


def _town_summary(head: dict, entry: pd.Series, towns: list[str], former: list[str], results: list,
                  ctx: Context) -> None:
    """On the headline row: the towns at risk, P(every town meets) and, for a target the plan sets
    per town, the headline's status from that joint probability."""
    st = ctx.settings
    if not towns:
        head["reason_zh"] = "；".join(filter(None, [head["reason_zh"], "未报送分镇（街道）数据"]))
        return
    rows = [r[0] if isinstance(r, tuple) else r for r in results]
    at_risk = [t for t, r in zip(towns, rows, strict=True) if r["status"] in ("at_risk", "off_track")]
    head["towns_at_risk"] = "、".join(at_risk)
    notes = []
    if former:
        notes.append("、".join(former) + "已不属本区，未计入")
    mets = [r[1] for r in results if isinstance(r, tuple) and r[1] is not None]
    lacking = [t for t, r in zip(towns, rows, strict=True) if r["status"] == "insufficient_data"]
    if lacking:
        notes.append("、".join(lacking) + "数据不足，未计入全部镇（街道）的联合概率")
    if mets and ctx.mode != "final":
        p_all = probability(joint(mets))
        head["p_all_towns"] = p_all
        notes.append(f"全部{len(mets)}个镇（街道）均达标的概率为{pct(p_all)}（各镇模拟路径视为相互独立）")
    if is_joint_town_target(entry, st):
        if ctx.mode == "final":
            ok = all(r["status"] == "achieved" for r in rows if r["status"] != "insufficient_data")
            head.update(status="achieved" if ok else "off_track", p_meet=1.0 if ok else 0.0)
        elif mets:
            met_now_all = all(bool(r["met_now"]) for r in rows if r["status"] != "insufficient_data")
            own = head["p_meet"]
            head.update(p_meet=head["p_all_towns"],
                        status=level_status(head["p_all_towns"], met_now_all, st.likely, st.unlikely))
            notes.insert(0, f"以镇（街道）为单位评估；全区合计的达标概率为{pct(own)}")
            # the 预计完成困难 warning is re-judged on the joint probability
            _drop_warning(head, "difficult", st)
            if head["status"] in ("at_risk", "off_track"):
                _add_warning(head, "difficult", f"全部镇（街道）每年均达标的概率为{pct(head['p_all_towns'])}"
                             + (f"；风险镇（街道）：{head['towns_at_risk']}" if at_risk else ""), st,
                             1 if head["status"] == "off_track" else 0)
        breaks = [(t, r) for t, r in zip(towns, rows, strict=True) if "past_break" in r["warning_codes"]]
        if breaks and "past_break" not in head["warning_codes"]:
            _add_warning(head, "past_break", "、".join(t for t, _ in breaks) + "已有年份未达到目标", st)
        head["status_zh"] = st.label(head["status"], ctx.mode)
    head["reason_zh"] = "；".join(filter(None, [head["reason_zh"], *notes]))


# --- the whole scorecard ------------------------------------------------------------------------


def evaluation_year(observations: pd.DataFrame, mode: str, year: int | None, settings: Settings,
                    area: str = "district") -> int:
    """The year evaluated: ``year`` when given (0 or None: the mode's default) — midterm: 2025;
    final: 2030; annual: the year most of the district's series have reached — the most common
    latest year over its series (indicator × area × sex, towns and urban/rural included; the later
    year on a tie). One department's early return for a new year does not move the evaluation of
    every other indicator to that year; a run that wants another year says so (``year``). The
    choice is logged, with how many series reach a later year."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    if year:
        return int(year)
    if mode == "midterm":
        return settings.midterm_year
    if mode == "final":
        return settings.final_year
    own = observations[~observations["area"].isin(COMPARATOR_AREAS)] if area == "district" else \
        observations[observations["area"] == area]
    if own.empty:
        if observations.empty:
            raise ValueError("there are no observations to assess")
        log.warning("no %s data: the evaluation year is the latest year of any series", area)
        own = observations
    latest = own.groupby(["indicator_id", "area", "sex"])["year"].max()
    shares = latest.value_counts()
    year_ = int(shares[shares == shares.max()].index.max())
    later = int((latest > year_).sum())
    log.info("evaluation year %d: the latest year of %d of %d series%s", year_, int(shares.max()), len(latest),
             f"; {later} series already reach a later year and are assessed at {year_}" if later else "")
    return year_


def models_as_of(observations: pd.DataFrame, models: pd.DataFrame, cat: Catalog,
                 projection_settings: trend.Settings | None = None) -> pd.DataFrame:
    """The projection models fitted to ``observations`` (already cut at the evaluation year): the
    given table when every series' last year agrees with the observations, else a fresh projection
    of the observations (in memory; the files of the projection stage are left alone)."""
    last = observations.groupby(["indicator_id", "area", "sex"])["year"].max().rename("obs_last").reset_index()
    joined = last.merge(models[["indicator_id", "area", "sex", "last_year"]], how="left",
                        on=["indicator_id", "area", "sex"])
    stale = joined["last_year"].isna() | (joined["last_year"] != joined["obs_last"])
    if not stale.any():
        return models
    log.info("projection models do not match the observations up to the evaluation year (%d series differ): "
             "re-projecting in memory", int(stale.sum()))
    settings = projection_settings if projection_settings is not None else trend.Settings.from_params()
    return trend.project_observations(observations, cat.indicators, settings).models


def assess_frame(observations: pd.DataFrame, models: pd.DataFrame, cat: Catalog, mode: str = "annual",
                 year: int | None = None, settings: Settings | None = None, area: str = "district",
                 projection_settings: trend.Settings | None = None) -> pd.DataFrame:
    """The scorecard as a table (not validated, not written): every catalog target's rows, in plan
    order, for the evaluation ``year`` (observations after it are set aside, and the series
    re-projected without them when needed: the assessment as it would have been made then)."""
    settings = settings if settings is not None else load_settings()
    y = evaluation_year(observations, mode, year, settings, area)
    obs = observations[observations["year"] <= y]
    models = models_as_of(obs, models, cat, projection_settings)
    ctx = Context(obs, models, cat, settings, mode, y, area)
    log.info("assessing %d targets, mode %s, year %d, area %s (settings %s)", len(cat.indicators), mode, y, area,
             config.display_path(settings.path))
    entries = list(cat.indicators.iterrows())
    by_id = {entry["id"]: assess_entry(entry, ctx) for _, entry in entries if not entry.get("same_as")}
    by_id |= {entry["id"]: linked_rows(entry, by_id[entry["same_as"]]) for _, entry in entries
              if entry.get("same_as")}
    rows = [r for _, entry in entries for r in by_id[entry["id"]]]
    frame = pd.DataFrame(rows, columns=COLUMNS)
    return _typed(frame)


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    ints = ["latest_year", "target_year", "year_reached", "year_reached_lo", "year_reached_hi"]
    for c in ints:
        frame[c] = pd.array([None if v is None or (isinstance(v, float) and math.isnan(v)) else int(v)
                             for v in frame[c]], dtype="Int64")
    frame["met_now"] = pd.array([None if v is None else bool(v) for v in frame["met_now"]], dtype="boolean")
    for c in ("year", "field", "n_points", "severity"):
        frame[c] = frame[c].astype("int64")
    floats = ["latest_value", "baseline_value", "target_value", "projection_2030", "lo80", "hi80", "p_meet",
              "observed_annual_change", "required_annual_change", "basic_tolerance", "observed_change_lo",
              "observed_change_hi", "pace_ratio", "pace_ratio_lo", "pace_ratio_hi", "p_all_towns", "value_at_year",
              "expected_value", "schedule_gap", "progress_share"]
    for c in floats:
        frame[c] = frame[c].astype(float)
    frame["unit"] = frame["unit"].astype(object).where(frame["unit"].notna(), None)
    return frame


def scorecard_schema() -> pa.DataFrameSchema:
    """The scorecard's contract (design card: Scorecard) plus the added columns."""
    f = functools.partial(pa.Column, float, nullable=True)
    text = functools.partial(pa.Column, str)
    year = functools.partial(pa.Column, "Int64", pa.Check.in_range(1990, 2100), nullable=True)
    columns = {
        "indicator_id": text(), "area": text(), "sex": text(pa.Check.isin(schemas.SEXES)),
        "mode": text(pa.Check.isin(MODES)), "year": pa.Column("int64", pa.Check.in_range(1990, 2100)),
        "latest_year": year(), "latest_value": f(), "baseline_value": f(), "target_kind": text(pa.Check.isin(KINDS)),
        "target_value": f(), "projection_2030": f(), "lo80": f(), "hi80": f(),
        "p_meet": pa.Column(float, pa.Check.in_range(0, 1), nullable=True), "observed_annual_change": f(),
        "required_annual_change": f(), "status": text(pa.Check.isin(STATUSES)), "warnings": text(), "model": text(),
        "plan": text(pa.Check.isin(["W", "C"])), "field": pa.Column("int64"), "name_zh": text(),
        "unit": text(nullable=True), "target_text": text(), "target_year": year(), "breakdown": text(
            pa.Check.isin(["total", "sex", "urban_rural", "town"])), "is_headline": pa.Column(bool),
        "monitorable": pa.Column(bool), "status_zh": text(), "reason": text(), "reason_zh": text(),
        "n_points": pa.Column("int64", pa.Check.ge(0)), "met_now": pa.Column("boolean", nullable=True),
        "basic_tolerance": pa.Column(float, pa.Check.ge(0)), "pace_scale": text(), "observed_change_lo": f(),
        "observed_change_hi": f(), "pace_ratio": f(), "pace_ratio_lo": f(), "pace_ratio_hi": f(), "pace_zh": text(),
        "year_reached": year(), "year_reached_lo": year(), "year_reached_hi": year(), "year_reached_text": text(),
        "p_all_towns": pa.Column(float, pa.Check.in_range(0, 1), nullable=True), "towns_at_risk": text(),
        "warning_codes": text(), "severity": pa.Column("int64", pa.Check.ge(0)), "value_at_year": f(),
        "expected_value": f(), "schedule_gap": f(), "progress_share": f(),
        "schedule": text(pa.Check.isin(["", "ahead", "behind", "met"])), "schedule_zh": text(),
    }
    scored = ["achieved", "on_track", "at_risk", "off_track", *DIRECTION_STATUSES]
    return pa.DataFrameSchema(columns, strict=True, ordered=True, coerce=True,
                              unique=["indicator_id", "area", "sex"], checks=[
        pa.Check(lambda d: ~d["status"].isin(scored) | d["p_meet"].notna(), error="a judged row needs p_meet"),
        pa.Check(lambda d: (d["status"] != "insufficient_data") | (d["reason"] != ""),
                 error="insufficient_data needs a reason"),
        pa.Check(lambda d: (d["status"] != "qualitative") | d["p_meet"].isna(),
                 error="qualitative rows are not scored"),
        pa.Check(lambda d: ~(d["lo80"] > d["hi80"]).fillna(False), error="lo80 above hi80"),
        pa.Check(lambda d: d.groupby("indicator_id")["is_headline"].sum() == 1, error="one headline row per target"),
    ])


def validate(frame: pd.DataFrame) -> pd.DataFrame:
    """Check the scorecard against its contract (every failure listed, pandera lazy mode)."""
    return schemas.validate_or_raise(frame, scorecard_schema(), "scorecard")


@dataclass
class Assessment:
    """The assessment's output: the scorecard, the mode and year, the settings, the observations
    it was made from (for the synthetic-data notice) and the files written."""

    scorecard: pd.DataFrame
    mode: str
    year: int
    settings: Settings
    observations: pd.DataFrame
    files: dict[str, Path] = field(default_factory=dict)

    @property
    def headline(self) -> dict[str, Any]:
        return headline(self.scorecard, self.settings)


def assess(processed_dir: str | Path = config.PROCESSED_DIR, catalog: str | Path | Catalog = config.DEFAULT_CATALOG,
           mode: str = "annual", year: int | None = None, settings_path: str | Path = DEFAULT_SETTINGS,
           *, settings: Settings | None = None) -> Assessment:
    """The assessment stage: read ``observations.parquet`` and ``projection_models.parquet`` in
    ``processed_dir``, assess every target, validate, and write ``scorecard.parquet`` and
    ``scorecard.csv`` (UTF-8 with BOM, for Excel) there, each atomically.

    ``mode`` is ``annual`` (monitoring of ``year``; default the latest year in the district's
    data), ``midterm`` (default 2025) or ``final`` (default 2030); ``year`` 0 or None means the
    mode's default. Raises FileNotFoundError naming the stage to run when an input is missing.
    """
    out = config.resolve(processed_dir)
    obs = pd.read_parquet(trend.observations_path(out))
    models_file = out / "projection_models.parquet"
    if not models_file.is_file():
        raise FileNotFoundError(f"{config.display_path(models_file)} does not exist: run the projection first "
                                "(plan-monitor project, or the 30_trends notebook)")
    models = pd.read_parquet(models_file)
    cat = catalog if isinstance(catalog, Catalog) else load_catalog(catalog)
    settings = settings if settings is not None else load_settings(settings_path)
    frame = validate(assess_frame(obs, models, cat, mode, year, settings))
    files = {"scorecard": out / "scorecard.parquet", "csv": out / "scorecard.csv"}
    with atomic.atomic_output(files["scorecard"]) as tmp_p, atomic.atomic_output(files["csv"]) as tmp_c:
        frame.to_parquet(tmp_p, index=False)
        frame.to_csv(tmp_c, index=False, encoding="utf-8-sig")
    y = int(frame["year"].iloc[0]) if len(frame) else evaluation_year(obs, mode, year, settings)
    counts = frame.loc[frame["is_headline"], "status"].value_counts().to_dict()
    log.info("wrote %s and %s: %d rows (%d targets), mode %s, year %d; headline statuses %s",
             config.display_path(files["scorecard"]), config.display_path(files["csv"]), len(frame),
             int(frame["is_headline"].sum()), mode, y, counts)
    if settings.basic_enabled:
        log.info("基本实现 tolerance in use: %.0f%% of the target value", 100 * settings.basic_share)
    return Assessment(frame, mode, y, settings, obs, files)


# --- headline counts ------------------------------------------------------------------------------


def headline(scorecard: pd.DataFrame, settings: Settings) -> dict[str, Any]:
    """The counts an official report gives, on the headline rows (one per target).

    ``n``: the targets with a value or a comparator that are counted (the catalog's monitorable
    ones, or all: ``headline.count``), by status; ``rate`` = achieved / denominator, the
    denominator ``n`` minus insufficient data (``assessable``) or ``n`` (``all``); direction-only
    targets by status; qualitative targets; and the rest, so that the groups add up to the
    number of targets.
    """
    rows = scorecard[scorecard["is_headline"]]
    scored = rows[rows["target_kind"].isin(SCORED_KINDS)]
    counted = scored[scored["monitorable"]] if settings.headline_count == "monitorable" else scored
    not_counted = scored.drop(counted.index)
    direction = rows[rows["target_kind"] == "direction"]
    qualitative = rows[rows["target_kind"] == "qualitative"]
    by = counted["status"].value_counts()
    counts = {s: int(by.get(s, 0)) for s in LEVEL_STATUSES}
    n = len(counted)
    denominator = n - counts["insufficient_data"] if settings.headline_denominator == "assessable" else n
    dby = direction["status"].value_counts()
    mode = str(rows["mode"].iloc[0]) if len(rows) else "annual"
    return {
        "mode": mode, "year": int(rows["year"].iloc[0]) if len(rows) else None, "n": n, "counts": counts,
        "denominator": denominator,
        "rate": counts["achieved"] / denominator if denominator else math.nan,
        "expected_rate": (counts["achieved"] + counts["on_track"]) / denominator if denominator else math.nan,
        "not_counted": len(not_counted), "not_counted_statuses": not_counted["status"].value_counts().to_dict(),
        "direction": {s: int(dby.get(s, 0)) for s in (*DIRECTION_STATUSES, "insufficient_data")},
        "n_direction": len(direction), "n_qualitative": len(qualitative), "n_targets": len(rows),
        "basic": bool(settings.basic_enabled), "basic_share": settings.basic_share,
        "schedule": {k: int((counted["schedule"] == k).sum()) for k in ("ahead", "behind", "met")}
        if "schedule" in counted else {},
    }


def headline_text(result: Assessment, lang: str = "zh") -> str:
    """The headline in the words of an official report (Markdown), the denominator stated;
    ``lang="en"``: in English."""
    if lang == "en":
        return _headline_text_en(result)
    h, st = result.headline, result.settings
    c = h["counts"]
    scope = "可监测的" if st.headline_count == "monitorable" else ""
    mode_words = {"annual": f"{h['year']}年度监测", "midterm": f"中期评估（{h['year']}年）",
                  "final": f"终期评估（{h['year']}年）"}[h["mode"]]
    if h["mode"] == "final":
        parts = [f"{st.label('achieved', 'final')}{c['achieved']}项",
                 f"{st.label('off_track', 'final')}{c['off_track']}项"]
    else:
        parts = [f"{st.label(s)}{c[s]}项" for s in ("achieved", "on_track", "at_risk", "off_track")]
    parts.append(f"{st.label('insufficient_data')}{c['insufficient_data']}项")
    denom_words = (f"以有数据可判断的{h['denominator']}项为分母" if st.headline_denominator == "assessable"
                   else f"以全部{h['n']}项为分母")
    lines = [f"**{mode_words}**：在{scope}{h['n']}项有目标值的指标中，" + "、".join(parts) + "。",
             f"达标率（已实现÷分母）为 **{pct(h['rate'])}**（{denom_words}）"
             + ("" if h["mode"] == "final" else f"；连同有望实现的，预计达标率为 {pct(h['expected_rate'])}") + "。"]
    d = h["direction"]
    lines.append(f"方向性目标{h['n_direction']}项：{st.label('improving')}{d['improving']}项、"
                 f"{st.label('no_clear_change')}{d['no_clear_change']}项、{st.label('worsening')}{d['worsening']}项、"
                 f"{st.label('insufficient_data')}{d['insufficient_data']}项。定性目标{h['n_qualitative']}项（列出，不评分）"
                 + (f"；另有{h['not_counted']}项有目标值但不可常规监测，未计入上述{h['n']}项"
                    if h["not_counted"] else "")
                 + f"。合计{h['n_targets']}项目标。")
    if h["mode"] == "midterm" and h["schedule"]:
        sch = h["schedule"]
        lines.append(f"与“2020年基期值到2030年目标值”的直线进度相比（时间过半、任务过半）：超前{sch['ahead']}项、"
                     f"滞后{sch['behind']}项，基期已达标且保持{sch['met']}项；"
                     f"其余{h['n'] - sum(sch.values())}项缺少基期值或数据（逐项见下文进度比较）。")
    if h["basic"]:
        lines.append(f"注：本次评估启用了“基本实现”口径——距目标不超过目标值的{100 * h['basic_share']:.0f}%的视为达标"
                     f"（标为“{st.basic_label}”）。")
    if h["mode"] != "final":
        lines.append("达标概率来自预测模型的模拟路径（不是单一的点预测）；“已实现”指最近一年已达标且预计能保持。")
    return "\n\n".join(lines)


def _headline_text_en(result: Assessment) -> str:
    h, st = result.headline, result.settings
    c = h["counts"]
    scope = "monitorable " if st.headline_count == "monitorable" else ""
    mode_words = {"annual": f"Annual monitoring, {h['year']}", "midterm": f"Mid-term evaluation, {h['year']}",
                  "final": f"Final evaluation, {h['year']}"}[h["mode"]]
    codes = (("achieved", "off_track") if h["mode"] == "final"
             else ("achieved", "on_track", "at_risk", "off_track")) + ("insufficient_data",)
    parts = [f"{status_en(s, h['mode']).lower()} {c[s]}" for s in codes]
    denom_words = (f"denominator: the {h['denominator']} targets with data to judge"
                   if st.headline_denominator == "assessable" else f"denominator: all {h['n']} targets")
    lines = [f"**{mode_words}**: of the {h['n']} {scope}targets with a target value, " + ", ".join(parts) + ".",
             f"Achievement rate (achieved ÷ denominator): **{pct(h['rate'])}** ({denom_words})"
             + ("" if h["mode"] == "final" else
                f"; with those on track, the expected achievement rate is {pct(h['expected_rate'])}") + "."]
    d = h["direction"]
    lines.append(f"Direction targets ({h['n_direction']}): improving {d['improving']}, no clear change "
                 f"{d['no_clear_change']}, worsening {d['worsening']}, insufficient data {d['insufficient_data']}. "
                 f"Qualitative targets: {h['n_qualitative']} (listed, not scored)"
                 + (f"; {h['not_counted']} more targets with a value cannot be monitored routinely and are not "
                    f"among the {h['n']}" if h["not_counted"] else "")
                 + f". {h['n_targets']} targets in all.")
    if h["mode"] == "midterm" and h["schedule"]:
        sch = h["schedule"]
        lines.append(f"Against the straight path from the 2020 baseline to the 2030 target (half the time, half the "
                     f"task): ahead {sch['ahead']}, behind {sch['behind']}, met at baseline and kept {sch['met']}; "
                     f"the other {h['n'] - sum(sch.values())} lack a baseline value or data.")
    if h["basic"]:
        lines.append(f"Note: this evaluation counts a target within {100 * h['basic_share']:.0f}% of its value as met "
                     "(basically achieved).")
    if h["mode"] != "final":
        lines.append("The probabilities come from the projection model's simulated paths (not a single point "
                     "forecast); 'achieved' means met in the latest year and expected to stay met.")
    return "\n\n".join(lines)


def headline_table(result: Assessment, lang: str = "zh") -> pd.DataFrame:
    """The headline counts as a small table (Chinese; ``lang="en"``: English)."""
    h, st = result.headline, result.settings
    if lang == "en":
        statuses = ("achieved", "off_track", "insufficient_data") if h["mode"] == "final" else LEVEL_STATUSES
        rows = [{"Group": f"Targets with a value ({h['n']})", "Status": status_en(s, h["mode"]),
                 "Number": h["counts"][s]} for s in statuses]
        rows += [{"Group": f"Direction targets ({h['n_direction']})", "Status": status_en(s), "Number": n}
                 for s, n in h["direction"].items()]
        rows.append({"Group": "Qualitative targets", "Status": status_en("qualitative"), "Number": h["n_qualitative"]})
        if h["not_counted"]:
            rows.append({"Group": "Targets not monitored routinely", "Status": "Not counted",
                         "Number": h["not_counted"]})
        return pd.DataFrame(rows)
    statuses = ("achieved", "off_track", "insufficient_data") if h["mode"] == "final" else LEVEL_STATUSES
    rows = [{"类别": f"有目标值的指标（{h['n']}项）", "状态": st.label(s, h["mode"]), "项数": h["counts"][s]}
            for s in statuses]
    rows += [{"类别": f"方向性目标（{h['n_direction']}项）", "状态": st.label(s), "项数": n}
             for s, n in h["direction"].items()]
    rows.append({"类别": "定性目标", "状态": st.label("qualitative"), "项数": h["n_qualitative"]})
    if h["not_counted"]:
        rows.append({"类别": "不可常规监测的数值目标", "状态": "未计入", "项数": h["not_counted"]})
    return pd.DataFrame(rows)


# --- tables for the notebook ----------------------------------------------------------------------


def _area_words(area: str, sex: str) -> str:
    a = trend.area_label(area)
    return a if sex == "total" else f"{a}·{SEX_LABELS.get(sex, sex)}"


def scorecard_table(result: Assessment, cat: Catalog, plan: str | None = None, headline_only: bool = True,
                    qualitative: bool = False) -> pd.DataFrame:
    """The scorecard for the report (Chinese headers), one plan (``W``/``C``) or both: field, id,
    indicator, area/group, target, latest value, projection for the target year with its 80 %
    interval, P(meet) (for a direction target P(the asked way)), status, notes, warnings.
    ``headline_only``: the district total rows; False: the breakdown rows (sex, urban/rural, towns).
    Qualitative targets only with ``qualitative`` (the report lists them apart)."""
    sc = result.scorecard
    keep = (sc["is_headline"] == headline_only) & (qualitative | (sc["status"] != "qualitative"))
    sc = sc[keep & ((sc["plan"] == plan) if plan else True)]
    fields = cat.fields or {}
    unit = sc["unit"].fillna("")
    latest = [f"{fmt(v, u)}（{int(y)}年）" if pd.notna(y) else "—"
              for v, u, y in zip(sc["latest_value"], unit, sc["latest_year"], strict=True)]
    proj = [f"{fmt(m)}（{fmt(lo)}—{fmt(hi)}）" if pd.notna(m) else "—"
            for m, lo, hi in zip(sc["projection_2030"], sc["lo80"], sc["hi80"], strict=True)]
    return pd.DataFrame({
        "领域": [fields.get(f"{p}{f}", {}).get("zh", f"{p}{f}") for p, f in zip(sc["plan"], sc["field"], strict=True)],
        "编号": sc["indicator_id"], "指标": sc["name_zh"],
        "地区/分组": [_area_words(a, s) for a, s in zip(sc["area"], sc["sex"], strict=True)],
        "目标": sc["target_text"], "最近值": latest, "目标年份预测（80%区间）": proj,
        "达标（向好）概率": [pct(p) for p in sc["p_meet"]], "状态": sc["status_zh"],
        "说明": sc["reason_zh"], "预警": sc["warnings"],
    }).reset_index(drop=True)


def _status_css(value: str, colours: dict[str, str]) -> str:
    colour = colours.get(value)
    return f"background-color: {colour}" if colour else ""


def status_colours(result: Assessment) -> dict[str, str]:
    """Status label (Chinese) → colour, for the tables."""
    st = result.settings
    out = {st.label(s): st.colours[s] for s in STATUSES}
    out.update({st.label(s, "final"): st.colours[s] for s in st.final_labels})
    out[st.basic_label] = st.colours["achieved"]
    return out


def styled(table: pd.DataFrame, result: Assessment, column: str = "状态", lang: str = "zh"):
    """A table as a pandas Styler with the status column in its colour, index hidden, left-aligned
    (``lang="en"``: the column "Status", English labels)."""
    if lang == "en":
        column = "Status" if column == "状态" else column
        colours = {**status_colours(result), **{status_en(s, m): result.settings.colours[s]
                                                for s in STATUSES for m in ("annual", "final")}}
    else:
        colours = status_colours(result)
    styler = table.style.hide(axis="index").set_properties(**{"text-align": "left"}).set_table_styles(
        [{"selector": "th", "props": [("text-align", "left")]}])
    if column in table.columns and len(table):
        styler = styler.map(functools.partial(_status_css, colours=colours), subset=[column])
        styler = styler.set_properties(subset=[column], **{"white-space": "nowrap"})
    return styler


def status_by_field(result: Assessment, cat: Catalog, lang: str = "zh") -> pd.DataFrame:
    """Headline rows counted by plan field and status (one column per status label, in order)."""
    st = result.settings
    if lang == "en":
        st = dataclasses.replace(st, labels={s: status_en(s) for s in st.labels},
                                 final_labels={s: status_en(s, "final") for s in st.final_labels})
    sc = result.scorecard[result.scorecard["is_headline"]]
    labels = [st.label(s, result.mode) for s in STATUSES]
    labels = list(dict.fromkeys(labels))
    order = list(dict.fromkeys(sc["plan"] + sc["field"].astype(str)))
    fields = cat.fields or {}
    table = pd.crosstab(sc["plan"] + sc["field"].astype(str), sc["status"].map(
        lambda s: st.label(s, result.mode))).reindex(index=order, columns=labels, fill_value=0)
    table = table.loc[:, table.sum() > 0]
    table.insert(0, "领域" if lang == "zh" else "Field",
                 [f"{k} {fields.get(k, {}).get(lang, k)}" for k in table.index])
    return table.reset_index(drop=True)


def _warning_items(result: Assessment, lang: str) -> pd.DataFrame:
    """Every warning of every scorecard row, one row each: indicator, headline or not, the group,
    the warning's severity (params; an off-track 预计完成困难 one more), label and reason."""
    st = result.settings
    sc = result.scorecard
    items = []
    for r in sc[sc["warning_codes"] != ""].itertuples(index=False):
        for code, text in zip(r.warning_codes.split(";"), r.warnings.split("；"), strict=True):
            extra = 1 if code == "difficult" and r.status == "off_track" else 0
            if lang == "en":
                label, reason = WARNINGS_EN.get(code, (code, ""))
                area = AREA_EN.get(r.area, r.area)
                group = area if r.sex == "total" else f"{area}, {SEX_EN.get(r.sex, r.sex)}"
            else:
                label, reason, group = st.warnings[code]["label"], text.split("：", 1)[1], _area_words(r.area, r.sex)
            items.append({"indicator_id": r.indicator_id, "headline": bool(r.is_headline), "group": group,
                          "severity": int(st.warnings[code]["severity"]) + extra, "label": label, "reason": reason})
    return pd.DataFrame(items)


def warning_table(result: Assessment, lang: str = "zh", cat: Catalog | None = None) -> pd.DataFrame:
    """The early-warning list an expert reads on one page: one row per indicator with a warning.

    The district-level (headline) warnings come first, most severe first, then plan order; the
    warnings of an indicator's breakdown rows (female/male, urban/rural, towns) are folded into
    its row (分组预警) instead of filling rows of their own; an indicator warned only in a
    breakdown follows the district-level ones. Severity is explained by :func:`severity_scale`.
    ``lang="en"``: English headers and labels, names from ``cat``.
    """
    en = lang == "en"
    items = _warning_items(result, lang)
    if items.empty:
        return pd.DataFrame({"Note": ["No warnings"]} if en else {"说明": ["没有预警"]})
    sc = result.scorecard
    heads = sc[sc["is_headline"]].set_index("indicator_id")
    names = cat.indicators["name_en"] if en and cat is not None else None
    comma, semi, colon = (", ", "; ", ": ") if en else ("、", "；", "：")
    rows = []
    for ind, group in items.groupby("indicator_id", sort=False):
        top = group[group["headline"]].sort_values("severity", ascending=False, kind="stable")
        sub = group[~group["headline"]]
        folded = semi.join(f"{g}{colon}{comma.join(dict.fromkeys(part['label']))}"
                           for g, part in sub.groupby("group", sort=False))
        head = heads.loc[ind]
        status = status_en(head["status"], result.mode) if en else head["status_zh"]
        name = str(names.get(ind, head["name_zh"])) if names is not None else head["name_zh"]
        rows.append({
            "_district": 0 if len(top) else 1, "_order": plan_order(ind),
            "severity": int((top if len(top) else sub)["severity"].max()), "id": ind, "name": name, "status": status,
            "warning": comma.join(dict.fromkeys(top["label"])) if len(top) else "—",
            "reason": semi.join(dict.fromkeys(top["reason"])) if len(top) else "—",
            "groups": folded or "—"})
    table = pd.DataFrame(rows).sort_values(["_district", "severity", "_order"], ascending=[True, False, True],
                                           kind="stable").drop(columns=["_district", "_order"])
    headers = (["Severity", "ID", "Indicator", "Status", "Warning", "Reason", "Warnings by group"] if en else
               ["严重程度", "编号", "指标", "状态", "预警", "原因", "分组预警"])
    table.columns = headers
    return table.reset_index(drop=True)


def severity_scale(settings: Settings, lang: str = "zh") -> str:
    """The severity scale of the warning list in words, from ``params/assessment.yaml``: which
    warning carries which degree (higher is more serious), and the extra degree of an off-track
    target's 预计完成困难."""
    by = {}
    for code, spec in settings.warnings.items():
        label = spec["label"] if lang != "en" else WARNINGS_EN.get(code, (code, ""))[0]
        by.setdefault(int(spec["severity"]), []).append(label)
    top = int(settings.warnings["difficult"]["severity"]) + 1
    levels = sorted(by.items(), reverse=True)
    difficult = settings.warnings["difficult"]["label"] if lang != "en" else WARNINGS_EN["difficult"][0]
    if lang == "en":
        parts = [f"{top}: {difficult} and off track"] + [f"{k}: {', '.join(v)}" for k, v in levels]
        return ("Severity (higher is more serious): " + "; ".join(parts) + ". District-level warnings come first; "
                "warnings of the breakdowns (sex, urban/rural, towns) are folded into the indicator's row.")
    parts = [f"{top}级：{difficult}且难以实现"] + [f"{k}级：{'、'.join(v)}" for k, v in levels]
    return ("严重程度（数字越大越严重）：" + "；".join(parts) + "。区级预警列在前面；分性别、分城乡、分镇（街道）"
            "的预警并入该指标一行（分组预警）。")


def pace_table(result: Assessment) -> pd.DataFrame:
    """Observed vs required annual change (model scale), the ratio and the year reached, for
    the headline rows of targets with a value."""
    sc = result.scorecard
    sc = sc[sc["is_headline"] & sc["target_kind"].isin(SCORED_KINDS) & sc["observed_annual_change"].notna()]
    scale_words = {"logit": "logit", "log": "对数", "linear": "原单位", "linear (gap)": "原单位"}

    def num(v, d=3):
        return f"{v:+.{d}f}" if pd.notna(v) else "—"

    return pd.DataFrame({
        "编号": sc["indicator_id"], "指标": sc["name_zh"], "尺度": sc["pace_scale"].map(scale_words),
        "实际年均变化（80%区间）": [f"{num(v)}（{num(lo)}至{num(hi)}）" if pd.notna(lo) else num(v)
                            for v, lo, hi in zip(sc["observed_annual_change"], sc["observed_change_lo"],
                                                 sc["observed_change_hi"], strict=True)],
        "所需年均变化": [num(v) for v in sc["required_annual_change"]],
        "进度比（80%区间）": [f"{r:.2f}（{lo:.2f}至{hi:.2f}）" if pd.notna(r) and pd.notna(lo) else
                       (f"{r:.2f}" if pd.notna(r) else "—")
                       for r, lo, hi in zip(sc["pace_ratio"], sc["pace_ratio_lo"], sc["pace_ratio_hi"], strict=True)],
        "进度判断": sc["pace_zh"], "预计达标年份": sc["year_reached_text"], "状态": sc["status_zh"],
    }).reset_index(drop=True)


def schedule_table(result: Assessment) -> pd.DataFrame:
    """The comparison with the straight path from the 2020 baseline to the target (时间过半、任务过半):
    the value in the evaluation year against the straight path's value then."""
    sc = result.scorecard
    sc = sc[sc["is_headline"] & (sc["schedule"] != "")]
    if sc.empty:
        return pd.DataFrame({"说明": ["没有可比较的目标（需要基期数值和目标值）"]})
    unit = sc["unit"].fillna("")
    return pd.DataFrame({
        "编号": sc["indicator_id"], "指标": sc["name_zh"], "目标": sc["target_text"],
        "基期值": [fmt(v, u) for v, u in zip(sc["baseline_value"], unit, strict=True)],
        f"{result.year}年数值": [fmt(v, u) for v, u in zip(sc["value_at_year"], unit, strict=True)],
        f"{result.year}年直线进度值": [fmt(v, u) for v, u in zip(sc["expected_value"], unit, strict=True)],
        "进度": sc["schedule_zh"], "状态": sc["status_zh"],
    }).reset_index(drop=True)


def insufficient_table(result: Assessment) -> pd.DataFrame:
    """Targets (headline rows) with too little data to judge, each with the reason."""
    sc = result.scorecard
    sc = sc[sc["is_headline"] & (sc["status"] == "insufficient_data")]
    if sc.empty:
        return pd.DataFrame({"说明": ["所有目标均有足够数据"]})
    return pd.DataFrame({"编号": sc["indicator_id"], "指标": sc["name_zh"], "目标": sc["target_text"],
                         "可常规监测": sc["monitorable"].map({True: "是", False: "否"}),
                         "原因": sc["reason_zh"]}).reset_index(drop=True)


def qualitative_table(result: Assessment) -> pd.DataFrame:
    """Qualitative targets: listed, not scored."""
    sc = result.scorecard
    sc = sc[sc["status"] == "qualitative"]
    return pd.DataFrame({"编号": sc["indicator_id"], "指标": sc["name_zh"]}).reset_index(drop=True)


def status_chart(result: Assessment, cat: Catalog, lang: str = "zh"):
    """Horizontal stacked bars: per plan field, the targets by status, each status in its colour."""
    import matplotlib.pyplot as plt

    table = status_by_field(result, cat, lang)
    colours = status_colours(result)
    if lang == "en":
        colours.update({status_en(s, m): result.settings.colours[s] for s in STATUSES for m in ("annual", "final")})
    fig, ax = plt.subplots(figsize=(9, 0.38 * max(len(table), 2) + 1.8))
    labels = list(table.iloc[:, 0])[::-1]
    left = np.zeros(len(table))
    for col in table.columns[1:]:
        values = table[col].to_numpy(float)[::-1]
        ax.barh(labels, values, left=left, color=colours.get(col, "#999999"), edgecolor="white", label=col)
        left += values
    if lang == "en":
        mode_en = {"annual": "annual monitoring", "midterm": "mid-term evaluation", "final": "final evaluation"}
        ax.set_title(f"Targets by field and status ({mode_en[result.mode]}, {result.year})")
        ax.set_xlabel("Targets")
    else:
        ax.set_title(f"各领域目标的评估状态（{_mode_words(result)}）")
        ax.set_xlabel("目标数")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.06 - 0.6 / (len(table) + 4)), ncol=5, frameon=False)
    fig.tight_layout()
    return fig


def _mode_words(result: Assessment) -> str:
    return {"annual": f"{result.year}年度监测", "midterm": f"中期评估，{result.year}年",
            "final": f"终期评估，{result.year}年"}[result.mode]


def warned_ids(scorecard: pd.DataFrame) -> list[str]:
    """The ids of the targets any of whose rows carries an early warning, in plan order: the
    indicators that get a page of their own in the report."""
    column = "warning_codes" if "warning_codes" in scorecard.columns else "warnings"
    warned = scorecard.loc[scorecard[column].fillna("").astype(str).str.strip() != "", "indicator_id"]
    return sorted(set(warned), key=plan_order)


def warned_indicators(processed_dir: str | Path = config.PROCESSED_DIR) -> list[str]:
    """:func:`warned_ids` of the scorecard written in ``processed_dir``."""
    path = config.resolve(processed_dir) / "scorecard.parquet"
    if not path.is_file():
        raise FileNotFoundError(f"{config.display_path(path)} does not exist: run the assessment first "
                                "(plan-monitor assess, or the 40_scorecard notebook)")
    return warned_ids(pd.read_parquet(path))
