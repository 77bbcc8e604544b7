"""Tests of the assessment stage (analysis/scorecard/).

Unit tests build the simulated paths by hand (``Context.use_paths``), so they never depend on
the projection engine's randomness; expected values are worked out by hand (or, for least
squares, by numpy/statsmodels, independent of the module's own formulas). One integration test
runs clean → project → assess on a small folder of returns; the slow ones run the shipped data and
the notebook.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from analysis import clean, config, scorecard, trends
from analysis.catalog import load_catalog
from analysis.returns import parse
from tests.builders import observation_rows, observations_table, run_notebook

YEARS = np.arange(2015, 2025)
FUTURE = np.arange(2025, 2031)  # the paths' years when the data end in 2024


@pytest.fixture(scope="module")
def cat():
    return load_catalog()


@pytest.fixture(scope="module")
def settings():
    return scorecard.load_settings()


rows = observation_rows


def observations(records: list[dict], cat) -> pd.DataFrame:
    return observations_table(records, cat)


def context(cat, settings, records, paths=None, mode="annual", year=2024) -> scorecard.Context:
    """A Context over hand-made observations, with hand-made paths (no projection records: the
    scale comes from the unit)."""
    models = pd.DataFrame(columns=trends.MODEL_COLUMNS)
    ctx = scorecard.Context(observations(records, cat), models, cat, settings, mode, year)
    for key, (years, values) in (paths or {}).items():
        ctx.use_paths(*key, years, values)
    return ctx


def flat(*values) -> np.ndarray:
    """Paths that stay at one value each in every future year: one row per value."""
    return np.repeat(np.asarray(values, dtype=float)[:, None], len(FUTURE), axis=1)


def entry(cat, indicator_id: str) -> pd.Series:
    return cat.indicators.loc[indicator_id]


def by_key(rows_: list[dict]) -> dict:
    return {(r["area"], r["sex"]): r for r in rows_}


# --- the target test -----------------------------------------------------------------------------


def test_meets_follows_the_catalogs_definitions():
    v = np.array([11.0, 12.0, 13.0])
    assert scorecard.meets(v, "below", 12).tolist() == [True, True, False]         # 以下: value ≤ target
    assert scorecard.meets(v, "at_most", 12).tolist() == [True, True, False]       # value ≤ target
    assert scorecard.meets(v, "above", 12).tolist() == [False, True, True]         # value ≥ target
    assert scorecard.meets(v, "keep_below", 12).tolist() == [True, True, False]
    assert scorecard.meets(v, "about", 12.5, tolerance=0.5).tolist() == [False, True, True]
    assert scorecard.meets(np.array([66.0, 67.0]), "above", 70, slack=3.5).tolist() == [False, True]  # 基本实现
    assert not scorecard.meets(np.nan, "above", 1)


def test_point_target_probability_is_the_share_of_paths_on_the_right_side():
    values = np.array([[50, 55, 58], [50, 56, 61], [50, 60, 62], [50, 52, 59]], dtype=float)
    met = scorecard.met_on_paths(values, np.array([2028, 2029, 2030]), "below", 60, 2030)
    # 58 and 59 are below 60; 61 and 62 are not
    assert met.tolist() == [True, False, False, True]
    assert scorecard.probability(met) == 0.5


def test_keep_target_needs_every_remaining_year_and_reach_and_keep_once_reached():
    years = np.array([2025, 2026, 2027])
    values = np.array([[95, 95, 95], [95, 89, 95], [91, 92, 93]], dtype=float)
    # met now: every year must stay at or above 90; the one dip in 2026 fails its path
    assert scorecard.met_on_paths(values, years, "keep_above", 90, 2027, met_now=True).tolist() == [True, False, True]
    below_now = np.array([[88, 91, 92], [88, 91, 89], [85, 86, 87]], dtype=float)
    # not yet met (达到并保持): reached in 2026 and kept / reached then lost / never reached
    assert scorecard.met_on_paths(below_now, years, "keep_above", 90, 2027, met_now=False).tolist() == [
        True, False, False]


def test_joint_over_towns_pairs_independent_paths_by_index():
    town_a = np.array([True, True, False, False])
    town_b = np.array([True, False, True, False])
    both = scorecard.joint([town_a, town_b])
    assert both.tolist() == [True, False, False, False]
    assert scorecard.probability(both) == 0.25   # = 0.5 × 0.5, as independent draws give


def test_direction_probabilities_count_a_tie_as_neither():
    better, worse = scorecard.direction_probabilities(np.array([1.0, 2.0, 2.0, 3.0]), 2.0, +1)
    assert (better, worse) == (0.25, 0.25)
    assert scorecard.p_beyond(np.array([1.0, 2.0, 2.0, 3.0]), 2.0, +1) == 0.5
    assert scorecard.direction_probabilities(np.array([1.0, 3.0, 4.0, 5.0]), 2.0, -1) == (0.25, 0.75)


def test_status_thresholds_come_from_the_params_file(settings):
    likely, unlikely = settings.likely, settings.unlikely
    assert (likely, unlikely) == (0.66, 0.33)        # params/assessment.yaml
    assert scorecard.level_status(0.9, True, likely, unlikely) == "achieved"
    assert scorecard.level_status(0.9, False, likely, unlikely) == "on_track"
    assert scorecard.level_status(0.5, True, likely, unlikely) == "at_risk"
    assert scorecard.level_status(0.2, False, likely, unlikely) == "off_track"
    assert scorecard.level_status(math.nan, False, likely, unlikely) == "insufficient_data"
    # on the cut-offs themselves (with 2,000 paths P lands on them: 1,320/2,000 = 0.66): 有望实现 from
    # 0.66 on ("P(meet) >= likely"), 难以实现 up to and including 0.33
    assert scorecard.level_status(1320 / 2000, False, likely, unlikely) == "on_track"
    assert scorecard.level_status(1319 / 2000, False, likely, unlikely) == "at_risk"
    assert scorecard.level_status(660 / 2000, False, likely, unlikely) == "off_track"
    assert scorecard.level_status(661 / 2000, False, likely, unlikely) == "at_risk"
    assert scorecard.direction_status(1320 / 2000, 0.1, likely) == "improving"
    assert scorecard.direction_status(0.8, 0.1, likely) == "improving"
    assert scorecard.direction_status(0.1, 0.7, likely) == "worsening"
    assert scorecard.direction_status(0.4, 0.4, likely) == "no_clear_change"
    assert settings.label("off_track") == "难以实现" and settings.label("off_track", "final") == "未实现"


def test_settings_file_with_an_unknown_key_is_refused(tmp_path):
    text = config.resolve(scorecard.DEFAULT_SETTINGS).read_text(encoding="utf-8") + "\nsurprise: 1\n"
    (tmp_path / "a.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(config.ParamsError, match="surprise"):
        scorecard.load_settings(tmp_path / "a.yaml")


# --- pace ----------------------------------------------------------------------------------------


def test_observed_pace_is_the_least_squares_line_with_its_t_interval():
    years, z = np.array([2020, 2021, 2022, 2023, 2024]), np.array([1.0, 2.0, 4.0, 4.5, 6.0])
    pace = scorecard.observed_pace(years, z, 0.8)
    fit = sm.OLS(z, sm.add_constant(years - 2020.0)).fit()
    lo, hi = fit.conf_int(alpha=0.2)[1]
    assert pace.slope == pytest.approx(fit.params[1]) and pace.se == pytest.approx(fit.bse[1])
    assert (pace.lo, pace.hi) == (pytest.approx(lo), pytest.approx(hi))
    assert pace.sigma == pytest.approx(math.sqrt(fit.scale))
    assert pace.level == pytest.approx(fit.params[0] + fit.params[1] * 4)


def test_required_pace_and_ratio_by_hand():
    # from 0 in 2024 to 1 by 2030: 1/6 a year; observing 1/12 a year is half the pace
    required = scorecard.required_pace(0.0, 1.0, 2024, 2030)
    assert required == pytest.approx(1 / 6)
    assert scorecard.pace_ratio(1 / 12, required) == pytest.approx(0.5)
    assert math.isnan(scorecard.required_pace(0.0, 1.0, 2030, 2030))


def test_pace_of_a_row_is_on_the_logit_scale_for_a_percentage(cat, settings):
    values = [50.0, 52.0, 54.0, 56.0, 58.0]
    ctx = context(cat, settings, rows("W1.3a", range(2020, 2025), values),
                  {("W1.3a", "district", "total"): (FUTURE, flat(60, 65, 72, 75))})
    row, _ = scorecard.level_row(entry(cat, "W1.3a"), "district", "total", "total", ctx)
    z = np.log(np.array(values) / (100 - np.array(values)))
    slope, intercept = np.polyfit(np.arange(2020, 2025), z, 1)
    level = intercept + slope * 2024
    required = (math.log(70 / 30) - level) / 6
    assert row["pace_scale"] == "logit"
    assert row["observed_annual_change"] == pytest.approx(slope)
    assert row["required_annual_change"] == pytest.approx(required)
    assert row["pace_ratio"] == pytest.approx(slope / required)
    assert row["p_meet"] == 0.5        # 72 and 75 of 60, 65, 72, 75 reach 70


def test_first_year_met_and_its_interval():
    years = np.array([2025, 2026, 2027])
    ok = np.array([[False, True, True], [False, False, True], [True, True, True], [False, False, False]])
    first = scorecard.first_year_met(ok, years, False, 2024, keep=False)
    assert first.tolist() == [2026, 2027, 2025, math.inf]
    # the median of {2025, 2026, 2027, never}: the 2nd of 4 (inverted cdf) is 2026
    med, lo, hi = scorecard.year_reached(first, 0.5)
    assert (med, lo, hi) == (2026, 2025, 2027)
    keep_ok = np.array([[True, False, True]])
    assert scorecard.first_year_met(keep_ok, years, True, 2024, keep=True).tolist() == [2027]


# --- warnings --------------------------------------------------------------------------------------


def test_reversal_after_a_run_in_the_right_direction():
    years = np.arange(2019, 2025)
    assert scorecard.reversal(years, [1, 2, 3, 4, 5, 3.5], +1, sigma=0.5, run=3, min_sd=1.0)
    assert not scorecard.reversal(years, [1, 2, 3, 4, 5, 4.9], +1, sigma=0.5, run=3, min_sd=1.0)  # within noise
    assert not scorecard.reversal(years, [1, 2, 1.5, 4, 5, 3.5], +1, sigma=0.5, run=3, min_sd=1.0)  # no run before


def test_volatility_compares_the_noise_with_what_the_target_requires(settings):
    # far from the target (4 sds), a year's noise ten times the required annual change
    assert scorecard.volatility(0.1, 0.01, -0.4, settings) == ("pace", pytest.approx(10.0))
    # half a noise sd from the target line: ordinary years fall on either side
    assert scorecard.volatility(0.1, 0.01, 0.05, settings) == ("near", pytest.approx(0.5))
    assert scorecard.volatility(0.1, 0.08, -0.4, settings) is None


def test_small_counts_maternal_mortality_one_death_is_above_the_target():
    births = np.full(5, 4000.0)
    s = scorecard.Series(np.arange(2020, 2025), np.array([0, 25, 0, 0, 0.0]), np.array([0, 1, 0, 0, 0.0]), births,
                       ("",) * 5)
    hit = scorecard.small_counts(s, level=5.0, target=12.0, kind="below", per=1e5, change=math.nan)
    # one death among 4,000 births is 25/10万, above the 12/10万 target: the target means no death at all
    assert hit is not None and hit["below_one"] and hit["one"] == pytest.approx(25.0)


def test_data_quality_flags_on_the_own_series_warn_and_a_comparators_do_not(cat, settings):
    recs = rows("C1.M4", YEARS, [95.0] * 10, flags=[""] * 7 + ["jump", "", ""])
    recs += rows("C1.M4", YEARS, [99.0] * 10, area="national", flags=["lower_bound"] * 10)
    ctx = context(cat, settings, recs, {("C1.M4", "district", "total"): (FUTURE, flat(95, 95))})
    row, _ = scorecard.level_row(entry(cat, "C1.M4"), "district", "total", "total", ctx)
    assert "data_quality" in row["warning_codes"].split(";")
    assert "2022年：年度变化异常" in row["warnings"]
    assert "下限" not in row["warnings"]


# --- one row per kind ---------------------------------------------------------------------------------


def test_series_far_above_a_below_target_is_off_track(cat, settings):
    values = [80.0, 80.5, 81.0, 80.0, 80.2, 80.1, 80.4, 80.3, 80.6, 80.5]
    ctx = context(cat, settings, rows("C1.9c", YEARS, values),
                  {("C1.9c", "district", "total"): (FUTURE, flat(79, 80, 81, 80))})
    out = by_key(scorecard.assess_entry(entry(cat, "C1.9c"), ctx))
    head = out[("district", "total")]
    assert head["p_meet"] == 0.0 and head["status"] == "off_track" and head["status_zh"] == "难以实现"
    assert head["warning_codes"].split(";")[0] == "difficult"
    assert head["severity"] == settings.warnings["difficult"]["severity"] + 1     # off track: one more
    # the breakdowns the catalog asks for are rows too, without data here
    assert out[("district", "female")]["status"] == "insufficient_data"
    assert out[("district", "female")]["reason"] == "no data reported"


def test_keep_target_that_dipped_once_in_the_plan_period_is_missed_as_a_fact(cat, settings):
    """保持在90%以上 (C1.M4) with 2022 at 88 %: "every year" has already failed — said as a fact,
    P(met every year) = 0, and the chance of every year from now on given beside it."""
    values = [95.0] * 7 + [88.0, 95.0, 95.0]            # 2022 below 90
    paths = flat(95, 95, 95, 95)
    paths[2, 2] = 89.0                                  # one path dips below 90 in 2027
    ctx = context(cat, settings, rows("C1.M4", YEARS, values), {("C1.M4", "district", "total"): (FUTURE, paths)})
    row, met = scorecard.level_row(entry(cat, "C1.M4"), "district", "total", "total", ctx)
    assert met.tolist() == [True, True, False, True]    # the years ahead, for the joint over towns
    assert row["p_meet"] == 0.0 and row["status"] == "off_track" and row["status_zh"] == settings.broken_label
    assert row["p_ahead"] == 0.75 and row["p_of_zh"] == "2025—2030年每年均达到目标"
    assert row["fact_zh"].startswith("2022年88%未达到目标")
    assert "past_break" in row["warning_codes"].split(";") and "difficult" not in row["warning_codes"]
    assert "2022年88%" in row["warnings"]


def test_keep_target_that_dipped_before_the_plan_period_is_not_missed(cat, settings):
    values = [95.0, 88.0] + [95.0] * 8                  # 2016 below 90: before the plan period
    ctx = context(cat, settings, rows("C1.M4", YEARS, values),
                  {("C1.M4", "district", "total"): (FUTURE, flat(95, 95, 95, 95))})
    row, _ = scorecard.level_row(entry(cat, "C1.M4"), "district", "total", "total", ctx)
    assert row["p_meet"] == 1.0 and row["status"] == "achieved" and row["fact_zh"] == ""


def test_town_below_90_is_named_and_the_headline_is_all_towns_together(cat, settings):
    towns = list(parse.areas()["towns"])
    former = next(iter(parse.areas()["former_towns"]))           # left the district after 2021
    recs = rows("C1.6", YEARS, [97.0] * 10)
    paths = {("C1.6", "district", "total"): (FUTURE, flat(97, 97, 97, 97))}
    for t in towns:
        low = t == "邙岭镇"
        recs += rows("C1.6", YEARS, [92.0] * 9 + [88.0] if low else [97.0] * 10, area=t)
        paths[("C1.6", t, "total")] = (FUTURE, flat(88, 95, 88, 95) if low else flat(97, 97, 97, 97))
    recs += rows("C1.6", range(2015, 2022), [96.0] * 7, area=former)
    ctx = context(cat, settings, recs, paths)
    out = by_key(scorecard.assess_entry(entry(cat, "C1.6"), ctx))
    assert set(out) == {("district", "total")} | {(t, "total") for t in towns}   # the former town left out
    town = out[("邙岭镇", "total")]
    # 88 % in 2024 already broke 每年保持在90%以上: a fact; two of four paths keep every year ahead
    assert town["p_meet"] == 0.0 and town["p_ahead"] == 0.5 and town["status_zh"] == settings.broken_label
    head = out[("district", "total")]
    assert head["towns_at_risk"] == "邙岭镇"
    # every other town meets on every path: all towns together = 邙岭镇's two good paths of four
    assert head["p_all_towns"] == 0.5 and head["p_ahead"] == 0.5
    assert head["p_meet"] == 0.0 and head["status"] == "off_track" and head["status_zh"] == settings.broken_label
    assert head["fact_zh"].startswith("邙岭镇（2024年88%）未达到目标")
    assert head["p_of_zh"] == f"全部{len(towns)}个镇（街道）2025—2030年每年均达到目标"
    assert "相互独立" in head["reason_zh"] and former in head["reason_zh"]


def test_towns_all_met_so_far_the_headline_is_every_town_every_year_ahead(cat, settings):
    towns = list(parse.areas()["towns"])
    recs = rows("C1.6", YEARS, [97.0] * 10)
    paths = {("C1.6", "district", "total"): (FUTURE, flat(97, 97, 97, 97))}
    for t in towns:
        low = t == "邙岭镇"
        recs += rows("C1.6", YEARS, [92.0] * 10 if low else [97.0] * 10, area=t)
        paths[("C1.6", t, "total")] = (FUTURE, flat(88, 95, 88, 95) if low else flat(97, 97, 97, 97))
    out = by_key(scorecard.assess_entry(entry(cat, "C1.6"), context(cat, settings, recs, paths)))
    town, head = out[("邙岭镇", "total")], out[("district", "total")]
    assert town["p_meet"] == 0.5 and town["status"] == "at_risk" and town["fact_zh"] == ""
    assert head["p_all_towns"] == 0.5 and head["p_meet"] == 0.5 and head["status"] == "at_risk"


def test_direction_increase_with_a_rising_series_is_improving(cat, settings):
    values = np.linspace(40, 58, 10)
    ctx = context(cat, settings, rows("W1.3b", YEARS, values),
                  {("W1.3b", "district", "total"): (FUTURE, flat(60, 62, 65, 70))})
    row = scorecard.direction_row(entry(cat, "W1.3b"), "district", "total", "total", ctx)
    assert row["p_meet"] == 1.0 and row["status"] == "improving" and row["status_zh"] == "向好"


def test_relative_target_on_the_difference_of_two_series(cat, settings):
    recs = rows("W4.2a", YEARS, np.linspace(26.0, 29.6, 10)) + rows("W4.2b", YEARS, np.linspace(28.0, 31.0, 10))
    own, other = flat(30, 31, 29, 33), flat(30, 30, 30, 30)
    ctx = context(cat, settings, recs, {("W4.2b", "district", "total"): (FUTURE, own),
                                        ("W4.2a", "district", "total"): (FUTURE, other)})
    row = scorecard.relative_row(entry(cat, "W4.2b"), ctx)
    # 不低于: 30 ≥ 30, 31 ≥ 30, 29 < 30, 33 ≥ 30
    assert row["p_meet"] == 0.75
    assert row["target_value"] == pytest.approx(29.6)             # W4.2a in 2024, the latest common year
    assert row["met_now"] and row["status"] == "achieved"          # 31 ≥ 29.6 in 2024


def test_about_target_counts_the_paths_inside_the_band(cat, settings):
    values = [44.0, 44.5, 45.0, 44.8, 45.2, 45.1, 44.9, 45.0, 45.3, 45.2]
    ctx = context(cat, settings, rows("W3.2", YEARS, values),
                  {("W3.2", "district", "total"): (FUTURE, flat(42.9, 43.0, 47.0, 47.1, 45.0))})
    row, _ = scorecard.level_row(entry(cat, "W3.2"), "district", "total", "total", ctx)
    # 45 ± 2: 43.0, 47.0 and 45.0 are inside, 42.9 and 47.1 are not
    assert row["p_meet"] == pytest.approx(0.6) and row["status"] == "at_risk"


def test_basic_achievement_tolerance_off_and_on(cat, settings):
    values = np.linspace(58, 67, 10)
    recs = rows("W1.3a", YEARS, values)
    paths = {("W1.3a", "district", "total"): (FUTURE, flat(67, 68, 69, 71))}
    off, _ = scorecard.level_row(entry(cat, "W1.3a"), "district", "total", "total", context(cat, settings, recs, paths))
    assert not settings.basic_enabled                              # off by default
    assert off["p_meet"] == 0.25 and off["status"] == "off_track" and off["basic_tolerance"] == 0
    on_settings = dataclasses.replace(settings, basic_enabled=True)
    on, _ = scorecard.level_row(entry(cat, "W1.3a"), "district", "total", "total",
                              context(cat, on_settings, recs, paths))
    # 5 % of 70 = 3.5: 66.5 and more counts as basically met; 67 in 2024 and every path meet it
    assert on["basic_tolerance"] == pytest.approx(3.5)
    assert on["p_meet"] == 1.0 and on["status"] == "achieved" and on["status_zh"] == settings.basic_label


def test_no_data_too_few_points_and_qualitative(cat, settings):
    ctx = context(cat, settings, rows("W1.3a", [2023, 2024], [60.0, 61.0]))
    none, _ = scorecard.level_row(entry(cat, "W1.M5a"), "district", "total", "total", ctx)
    assert none["status"] == "insufficient_data" and none["reason"] == "no data reported"
    few, _ = scorecard.level_row(entry(cat, "W1.3a"), "district", "total", "total", ctx)
    assert few["status"] == "insufficient_data" and few["reason"].startswith("too few points (2")
    qual = scorecard.qualitative_row(entry(cat, "W1.4"), ctx)
    assert qual["status"] == "qualitative" and math.isnan(qual["p_meet"])


def test_final_mode_says_met_or_not(cat, settings):
    recs = rows("W1.3a", range(2021, 2031), np.linspace(60, 71, 10))
    recs += rows("C1.M4", range(2021, 2031), [95.0, 89.0] + [95.0] * 8)
    ctx = context(cat, settings, recs, mode="final", year=2030)
    met, _ = scorecard.level_row(entry(cat, "W1.3a"), "district", "total", "total", ctx)
    assert met["status"] == "achieved" and met["p_meet"] == 1.0          # 71 ≥ 70 in 2030
    broke, _ = scorecard.level_row(entry(cat, "C1.M4"), "district", "total", "total", ctx)
    assert broke["status"] == "off_track" and broke["status_zh"] == "未实现"  # 2022 was 89: not kept every year


def test_midterm_compares_with_the_straight_path_from_the_baseline(cat, settings):
    recs = rows("W1.3a", range(2016, 2026), [46, 47, 48, 49, 50, 52, 55, 57, 60, 62])
    ctx = context(cat, settings, recs, {("W1.3a", "district", "total"): (np.arange(2026, 2031), np.full((2, 5), 70.0))},
                  mode="midterm", year=2025)
    row, _ = scorecard.level_row(entry(cat, "W1.3a"), "district", "total", "total", ctx)
    # straight path from 50 (2020) to 70 (2030): 60 in 2025; observed 62 → 2 ahead, 60 % of the way
    assert row["baseline_value"] == 50 and row["expected_value"] == pytest.approx(60.0)
    assert row["schedule"] == "ahead" and row["schedule_gap"] == pytest.approx(2.0)
    assert row["progress_share"] == pytest.approx(0.6)


def test_headline_counts_add_up(settings):
    base = {"is_headline": True, "mode": "annual", "year": 2024, "monitorable": True}
    frame = pd.DataFrame([
        {**base, "target_kind": "above", "status": "achieved"},
        {**base, "target_kind": "below", "status": "on_track"},
        {**base, "target_kind": "keep_above", "status": "at_risk"},
        {**base, "target_kind": "about", "status": "off_track"},
        {**base, "target_kind": "relative", "status": "insufficient_data"},
        {**base, "target_kind": "above", "status": "insufficient_data", "monitorable": False},
        {**base, "target_kind": "direction", "status": "improving"},
        {**base, "target_kind": "qualitative", "status": "qualitative", "monitorable": False},
        {**base, "target_kind": "above", "status": "achieved", "is_headline": False},   # a breakdown: not counted
    ])
    h = scorecard.headline(frame, settings)
    assert h["n"] == 5 and sum(h["counts"].values()) == 5
    assert h["denominator"] == 4 and h["rate"] == 0.25                 # 1 achieved of 5 − 1 without data
    assert h["n"] + h["not_counted"] + h["n_direction"] + h["n_qualitative"] == h["n_targets"] == 8


# --- the whole stage ----------------------------------------------------------------------------------


def write_returns(raw: Path) -> None:
    """A small folder of returns: a long CSV, as a department could send it."""
    raw.mkdir()
    (raw / "README.md").write_text("测试用模拟数据（synthetic）", encoding="utf-8")
    lines = ["指标编号,年份,地区,性别,数值"]
    for y, v in zip(YEARS, [80.0, 80.5, 81.0, 80.0, 80.2, 80.1, 80.4, 80.3, 80.6, 80.5], strict=True):
        lines.append(f"C1.9c,{y},偃师区,合计,{v}%")
    for y, v in zip(YEARS, [93.0, 93.5, 94.1, 94.4, 95.0, 95.2, 95.8, 96.1, 96.3, 96.8], strict=True):
        lines.append(f"C1.M4,{y},偃师区,合计,{v}%")
    (raw / "模拟_卫健委.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_clean_project_assess_on_a_small_folder(tmp_path, cat):
    raw, processed = tmp_path / "synthetic_raw", tmp_path / "processed"
    write_returns(raw)
    clean.write(clean.clean(raw, cat), processed)
    with pytest.raises(FileNotFoundError, match="run the projection first"):
        scorecard.assess(processed, cat)
    trends.project(processed, cat)
    result = scorecard.assess(processed, cat)
    sc = result.scorecard
    assert list(sc.columns[:len(scorecard.CONTRACT_COLUMNS)]) == scorecard.CONTRACT_COLUMNS
    assert (processed / "scorecard.parquet").is_file()
    assert (processed / "scorecard.csv").read_bytes().startswith(b"\xef\xbb\xbf")      # UTF-8 with BOM
    assert pd.read_parquet(processed / "scorecard.parquet").shape == sc.shape
    head = sc[sc["is_headline"]].set_index("indicator_id")
    assert len(head) == len(cat.indicators)
    assert result.year == 2024 and set(sc["mode"]) == {"annual"}
    assert head.loc["C1.9c", "status"] == "off_track"                   # ~80 % against "below 60 %"
    assert head.loc["C1.M4", "status"] == "achieved"                    # 96.8 % against "keep above 90 %"
    assert head.loc["W1.2a", "reason"] == "no data reported"
    h = result.headline
    assert sum(h["counts"].values()) == h["n"]
    assert h["n"] + h["not_counted"] + h["n_direction"] + h["n_qualitative"] == len(cat.indicators)


@pytest.fixture(scope="module")
def shipped(tmp_path_factory, cat):
    processed = tmp_path_factory.mktemp("shipped") / "processed"
    clean.write(clean.clean(config.RAW_DIR, cat), processed)
    trends.project(processed, cat)
    return processed


@pytest.mark.slow
def test_a_page_reads_the_scorecard_until_an_input_changes(shipped, cat, tmp_path, caplog):
    import logging
    import shutil

    folder = tmp_path / "processed"
    shutil.copytree(shipped, folder)
    scorecard.assess(folder, cat)
    with caplog.at_level(logging.INFO, logger="analysis.scorecard.assess"):
        scorecard.load_assessment(folder, cat)
    assert "written by the assess stage" in caplog.text and "assessing anew" not in caplog.text
    obs = pd.read_parquet(folder / "observations.parquet")
    obs.loc[obs.index[0], "value"] += 0.1            # cleaned again, with a revised value
    obs.to_parquet(folder / "observations.parquet", index=False)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="analysis.scorecard.assess"):
        scorecard.load_assessment(folder, cat)
    assert "assessing anew: the observations, projections or self-evaluations changed" in caplog.text


@pytest.mark.slow
def test_shipped_data_end_to_end(shipped, cat):
    result = scorecard.assess(shipped, cat)
    sc = result.scorecard
    head = sc[sc["is_headline"]].set_index("indicator_id")
    assert "邙岭镇" in head.loc["C1.6", "towns_at_risk"]           # the synthetic town with a low year
    # 邙岭镇 2022 (83.05 %) broke 每年保持在90%以上: a fact; the towns' joint chance is of the years ahead
    assert head.loc["C1.6", "p_meet"] == 0.0 and head.loc["C1.6", "p_ahead"] == head.loc["C1.6", "p_all_towns"]
    assert head.loc["C1.6", "fact_zh"].startswith("邙岭镇（2022年83.05%）未达到目标")
    assert "small_counts" in head.loc["W1.2a", "warning_codes"]     # ~4,000 births: one death = 25/10万
    h = result.headline
    assert h["n"] + h["not_counted"] + h["n_direction"] + h["n_qualitative"] == len(cat.indicators) == 207
    midterm = scorecard.assess(shipped, cat, mode="midterm")
    assert midterm.year == 2025 and (midterm.scorecard["schedule"] != "").any()


@pytest.mark.slow
def test_scorecard_notebook_runs_on_the_shipped_data(shipped, tmp_path):
    shown = run_notebook("40_scorecard", tmp_path, processed_dir=str(shipped))
    assert "模拟数据（synthetic data）" in shown
    assert "在可监测的" in shown and "项有目标值的指标中" in shown
    assert "预计完成困难" in shown and "background-color" in shown   # the warnings, the status colours


def test_notebook_is_thin_and_committed_without_outputs():
    nb = nbformat.read(config.NOTEBOOKS_DIR / "40_scorecard.ipynb", as_version=4)
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# 目标评估")
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1 and params[0] is nb.cells[1]
    assert nb.metadata["kernelspec"] == {"name": "plan-monitor", "display_name": "plan-monitor", "language": "python"}
    for c in nb.cells:
        if c.cell_type == "code":
            assert c.outputs == [] and c.execution_count is None
            assert not any(w in c.source for w in ("def ", "class ", "lambda"))


def test_warned_indicators_are_those_with_a_warning_in_plan_order(tmp_path):
    import pandas as pd

    pd.DataFrame({"indicator_id": ["C1.9c", "W1.2a", "C1.3a", "C1.9c"],
                  "warnings": ["预计完成困难", "", "波动较大", None]}).to_parquet(tmp_path / "scorecard.parquet")
    assert scorecard.warned_indicators(tmp_path) == ["C1.3a", "C1.9c"]
    with pytest.raises(FileNotFoundError, match="run the assessment first"):
        scorecard.warned_indicators(tmp_path / "nowhere")
