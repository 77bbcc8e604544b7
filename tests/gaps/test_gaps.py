"""Tests of the gap analysis (analysis/gaps/).

Every expected value is worked out by hand in the test (fractions, binomial sums written out),
never copied from the module's own output. The core measures take arrays, so only the last test
needs the shipped data and a projection run.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import config, gaps, report, trends
from analysis.catalog import FIELDS, Catalog

SETTINGS = gaps.GapSettings.from_params()  # the documented defaults: band 0.97–1.03, thresholds 0.8, 5 events
URBAN_RURAL = {"urban_rural": {"urban": {"types": ["街道"]}, "rural": {"types": ["镇"]}}}  # as params/areas.yaml


def mini_catalog(*entries: dict) -> Catalog:
    """A catalog of hand-written entries (only the fields the gap analysis reads)."""
    rows = []
    for e in entries:
        row = {f: None for f in FIELDS}
        row |= {"plan": e["id"][0], "field": int(e["id"][1]), "breakdowns": [], "name_zh": e["id"]} | e
        rows.append(row)
    table = pd.DataFrame(rows, columns=FIELDS).set_index("id", drop=False)
    table.index.name = None
    return Catalog(path=Path("mini.yaml"), plans={}, fields={}, indicators=table)


def obs_rows(rows: list[tuple]) -> pd.DataFrame:
    """Observations from (indicator, year, area, sex, value, numerator, denominator) tuples."""
    frame = pd.DataFrame(rows, columns=["indicator_id", "year", "area", "sex", "value", "numerator", "denominator"])
    return frame.assign(unit="%", source_file="synthetic/test.csv", flags="")


# --- the measures ----------------------------------------------------------------------------


def test_difference_ratio_and_adjusted_parity_index_by_hand():
    focus, reference = [90.0, 80.0, 0.0, 0.0], [100.0, 50.0, 0.0, 4.0]
    assert gaps.difference(focus, reference).tolist() == [-10.0, 30.0, 0.0, -4.0]
    r = gaps.ratio(focus, reference)
    assert r[0] == pytest.approx(0.9) and r[1] == pytest.approx(1.6) and math.isnan(r[2]) and r[3] == 0.0
    # adjusted: f/r when f <= r, else 2 - r/f = 2 - 50/80 = 1.375; both zero is parity; 0 vs 4 is 0
    assert gaps.adjusted_parity_index(focus, reference) == pytest.approx([0.9, 1.375, 1.0, 0.0])


def test_the_parity_band_includes_its_bounds():
    oriented = [0.9699, 0.97, 1.0, 1.03, 1.0301, np.nan]
    assert gaps.disadvantaged(oriented, (0.97, 1.03)).tolist() == [
        "focus", "parity", "parity", "parity", "reference", "unknown"]


def test_lower_is_better_turns_who_is_disadvantaged():
    # junior myopia: girls 72.7 %, boys 68.9 %; adjusted = 2 - 68.9/72.7 = 1.052269...
    adjusted = gaps.adjusted_parity_index(72.7, 68.9)
    assert float(adjusted) == pytest.approx(2 - 68.9 / 72.7)
    # myopia is "lower is better": girls, with the higher rate, are worse off
    lower = gaps.oriented_parity_index(adjusted, "lower")
    assert float(lower) == pytest.approx(68.9 / 72.7)  # 0.947730 < 0.97
    assert gaps.disadvantaged([lower]).tolist() == ["focus"]
    # the same numbers for a "higher is better" indicator put the boys behind
    higher = gaps.oriented_parity_index(adjusted, "higher")
    assert gaps.disadvantaged([higher]).tolist() == ["reference"]
    # mortality 3.0‰ girls vs 4.0‰ boys: adjusted 0.75, oriented 1.25 -> boys worse off
    assert float(gaps.oriented_parity_index(gaps.adjusted_parity_index(3.0, 4.0), "lower")) == pytest.approx(1.25)
    # no catalog direction: no orientation is guessed
    assert math.isnan(float(gaps.oriented_parity_index(1.2, None)))


def test_pair_series_takes_the_direction_from_the_catalog():
    obs = obs_rows([("X", 2024, "district", "female", 3.0, 6, 2000), ("X", 2024, "district", "male", 4.0, 8, 2000),
                    ("Y", 2024, "district", "female", 3.0, 30, 1000), ("Y", 2024, "district", "male", 4.0, 40, 1000)])
    series = gaps.pair_series(obs, "sex", {"X": "lower", "Y": "higher"}).set_index("indicator_id")
    assert series.loc["X", "difference"] == pytest.approx(-1.0)
    assert series.loc["X", "disadvantaged"] == "reference"  # lower mortality for girls: boys behind
    assert series.loc["Y", "disadvantaged"] == "focus"      # lower coverage for girls: girls behind


def test_urban_rural_pairs_rural_against_urban_in_district_and_nation():
    obs = obs_rows([("X", 2020, "rural", "total", 60.0, None, None), ("X", 2020, "urban", "total", 80.0, None, None),
                    ("X", 2020, "national_rural", "total", 70.0, None, None),
                    ("X", 2020, "national_urban", "total", 75.0, None, None),
                    ("X", 2020, "rural", "female", 1.0, None, None)])
    series = gaps.pair_series(obs, "urban_rural", {"X": "higher"}).set_index("scope")
    assert series.loc["district", "difference"] == -20.0 and series.loc["national", "difference"] == -5.0
    assert series.loc["district", "gpi"] == pytest.approx(0.75)  # 60/80
    assert series.loc["district", "disadvantaged"] == "focus"    # rural behind


def test_window_level_pools_counts_when_every_year_has_them():
    # (2.0 × 1000 + 4.0 × 3000) / 4000 = 3.5: the pooled rate, not the mean of the rates
    assert gaps.window_level([2.0, 4.0], [1000, 3000]) == pytest.approx(3.5)
    assert gaps.window_level([2.0, 4.0]) == pytest.approx(3.0)
    assert gaps.window_level([2.0, 4.0], [1000, np.nan]) == pytest.approx(3.0)  # one year without counts
    assert math.isnan(gaps.window_level([np.nan]))


# --- narrowing, widening, reversal -----------------------------------------------------------


def test_narrowing_and_widening_probabilities_on_hand_built_gaps():
    g = [-1.0, 0.5, 1.5, 2.5, 3.0, -3.0, 1.0, 1.9, 2.0, 0.0]
    # |g| < 2: -1, 0.5, 1.5, 1.0, 1.9, 0.0 -> 6 of 10 (2.0 itself is not smaller)
    assert gaps.narrowing_probability(g, 2.0) == pytest.approx(0.6)
    # larger on the same (positive) side: 2.5, 3.0 -> 2 of 10; the -3.0 has reversed
    assert gaps.widening_probability(g, 2.0) == pytest.approx(0.2)
    # a negative reference gap (women behind by 2): "wider" means more negative than -2
    assert gaps.widening_probability(g, -2.0) == pytest.approx(0.1)
    assert math.isnan(gaps.narrowing_probability([], 2.0)) and math.isnan(gaps.widening_probability(g, np.nan))


@pytest.mark.parametrize("p_narrow, p_wide, ref, proj, expected", [
    (0.90, 0.05, 0.90, 0.95, "narrowing"),
    (0.10, 0.85, 0.90, 0.85, "widening"),
    (0.05, 0.10, 0.90, 1.20, "reversed"),          # 1 - 0.05 - 0.10 = 0.85 on the other side
    (0.50, 0.30, 0.90, 0.92, "stable"),
    (0.79, 0.21, 0.90, 0.95, "stable"),            # just short of the 0.8 threshold
    (0.10, 0.85, 1.01, 0.99, "parity"),            # inside the band now and then: noise is not widening
    (np.nan, np.nan, 1.0, 1.0, "insufficient_data"),
])
def test_status_thresholds(p_narrow, p_wide, ref, proj, expected):
    assert gaps.change_status(p_narrow, p_wide, ref, proj, SETTINGS) == expected


def test_summarise_gap_paths_on_hand_built_paths():
    years = [2026, 2027, 2028, 2029, 2030]
    # women's paths: the first two years are wild (outside the 3-year window), then constant levels
    levels = [95.0, 94.0, 93.0, 94.5, 96.0]
    focus = np.array([[0.0, 200.0, lv, lv, lv] for lv in levels])
    reference = np.full((5, 5), 100.0)
    out = gaps.summarise_gap_paths(focus, reference, years, reference_gap=-4.5, reference_oriented=0.955,
                                   better="higher", settings=SETTINGS)
    # window gaps -5, -6, -7, -5.5, -4: four of five larger than 4.5 on the women's side
    assert out["p_wider"] == pytest.approx(0.8) and out["p_narrower"] == pytest.approx(0.2)
    assert out["status"] == "widening"
    assert out["gap_2030"] == pytest.approx(-5.5)          # median of -5, -6, -7, -5.5, -4
    assert out["oriented_2030"] == pytest.approx(0.945)    # median of 0.95, 0.94, 0.93, 0.945, 0.96
    assert out["disadvantaged_2030"] == "focus"


def test_gap_paths_of_unequal_shapes_are_refused():
    with pytest.raises(ValueError, match="same shape"):
        gaps.summarise_gap_paths(np.ones((3, 2)), np.ones((3, 3)), [2029, 2030], 1.0, 1.0, "higher", SETTINGS)


# --- small numbers ---------------------------------------------------------------------------


def test_values_on_fewer_than_five_events_are_suppressed_or_marked():
    assert gaps.is_small([4, 5, np.nan, 0], 5).tolist() == [True, False, False, True]
    assert report.published_value(41.27, True, SETTINGS) == "不足5例"
    assert report.published_value(41.27, False, SETTINGS) == "41.3"
    assert report.published_value(41.27, True, gaps.GapSettings.from_params(small_numbers_action="mark")) == "41.3†"
    assert report.published_value(np.nan, False, SETTINGS) == "—"
    assert report.published_value(41.27, True, gaps.GapSettings.from_params(min_events=3)) == "不足3例"


# --- towns -----------------------------------------------------------------------------------

AREAS = {"towns": {"甲街道": {"type": "街道"}, "乙镇": {"type": "镇"}},
         "former_towns": {"丙镇": {"type": "镇", "last_year": 2021}}, **URBAN_RURAL}
TOWN_CAT = mini_catalog({"id": "C1.6", "name_zh": "接种率", "unit": "%", "kind": "keep_above", "value": 90.0,
                         "year": 2030, "better": "higher", "breakdowns": ["town"]})


def test_a_town_that_left_the_district_is_shown_as_such_not_as_missing():
    units = gaps.town_units(AREAS)
    assert gaps.membership("丙镇", 2021, units) == "member"
    assert gaps.membership("丙镇", 2022, units) == "left"
    assert gaps.membership("甲街道", 2022, units) == "member"
    obs = obs_rows([("C1.6", 2021, "丙镇", "total", 96.0, 192, 200), ("C1.6", 2021, "甲街道", "total", 98.0, 98, 100),
                    ("C1.6", 2022, "甲街道", "total", 99.0, 99, 100), ("C1.6", 2021, "乙镇", "total", 75.0, 3, 4),
                    ("C1.6", 2021, "district", "total", 96.7, 293, 304)])
    table = report.town_table(obs, TOWN_CAT, "C1.6", SETTINGS, units)
    assert table.loc["丙镇（2022年起划出）", 2022] == "已划出"
    assert table.loc["丙镇（2022年起划出）", 2021] == "96.0"
    assert table.loc["乙镇", 2022] == "—"        # a member that did not report: missing, not "left"
    assert table.loc["乙镇", 2021] == "不足5例"     # 3 events
    assert table.loc["偃师区（全区）", 2021] == "96.7"


def funnel_obs() -> pd.DataFrame:
    return obs_rows([("C1.6", 2022, "district", "total", 96.0, 720, 750),
                     ("C1.6", 2022, "甲街道", "total", 98.0, 196, 200),
                     ("C1.6", 2022, "乙镇", "total", 85.0, 17, 20),
                     ("C1.6", 2022, "丁镇", "total", 85.0, 425, 500)])


def test_a_small_town_below_the_threshold_is_not_singled_out_for_noise_its_size_explains():
    units = gaps.town_units({"towns": {"甲街道": {"type": "街道"}, "乙镇": {"type": "镇"}, "丁镇": {"type": "镇"}},
                             **URBAN_RURAL})
    below = gaps.towns_below_threshold(funnel_obs(), TOWN_CAT, "C1.6", SETTINGS, units).set_index("town")
    assert set(below.index) == {"乙镇", "丁镇"}
    # 乙镇, 17 of 20 with the district at 0.96: P(R <= 17) = 1 - P(18) - P(19) - P(20)
    p18, p19, p20 = 190 * 0.96**18 * 0.04**2, 20 * 0.96**19 * 0.04, 0.96**20
    assert 1 - p18 - p19 - p20 > 0.025          # 0.0439: inside the 95 % limits
    assert below.loc["乙镇", "verdict"] == "within"
    # and if its true coverage were exactly 90 %, 17 of 20 or fewer happens 32 % of the time
    q18, q19, q20 = 190 * 0.9**18 * 0.1**2, 20 * 0.9**19 * 0.1, 0.9**20
    assert below.loc["乙镇", "p_at_threshold"] == pytest.approx(1 - q18 - q19 - q20)
    # 丁镇, 425 of 500: 18 standard errors below 96 %
    assert below.loc["丁镇", "verdict"] == "low_alarm"


def test_exact_funnel_limits_by_hand():
    # Bin(10, 0.5), 95 %: P(R<=1) = 11/1024, P(R<=2) = 56/1024; r = 2,
    # alpha = (56/1024 - 0.025) / (45/1024) = 30.4/45; lower = (2 - 30.4/45)/10; upper mirrors it
    lo, hi = gaps.funnel_limits(0.5, 10, 0.95, "exact")
    assert float(lo) == pytest.approx((2 - 30.4 / 45) / 10) and float(hi) == pytest.approx(1 - (2 - 30.4 / 45) / 10)
    # Bin(4, 0.2), 90 %: lower quantile r = 0 gives (0 - 0.8779)/4 < 0, clipped to 0; upper: the
    # non-events S ~ Bin(4, 0.8), P(S<=1) = 0.0272, P(S<=2) = 0.1808, s = 2,
    # alpha' = (0.1808 - 0.05)/0.1536, upper = (4 - 2 + alpha')/4
    lo, hi = gaps.funnel_limits(0.2, 4, 0.90, "exact")
    assert float(lo) == 0.0 and float(hi) == pytest.approx((2 + 0.1308 / 0.1536) / 4)
    # a point outside a limit is exactly a count in the binomial tail below 2.5 %
    assert 1 / 10 < (2 - 30.4 / 45) / 10 < 2 / 10


def test_normal_funnel_limits_by_hand():
    lo, hi = gaps.funnel_limits(0.9, 100, 0.95, "normal")  # 0.9 ± 1.959964 × 0.03
    assert float(lo) == pytest.approx(0.9 - 1.959964 * 0.03, abs=1e-6)
    assert float(hi) == pytest.approx(0.9 + 1.959964 * 0.03, abs=1e-6)


def test_dispersion_ratio_by_hand():
    assert gaps.dispersion_ratio([-2.0, 0.0, 1.0, 1.0], winsorize=0) == pytest.approx((4 + 0 + 1 + 1) / 4)


def test_funnel_chart_draws_chinese_labels_without_missing_glyphs(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from analysis.report import style

    style.setup()
    units = gaps.town_units({"towns": {"甲街道": {"type": "街道"}, "乙镇": {"type": "镇"}, "丁镇": {"type": "镇"}},
                             **URBAN_RURAL})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = report.funnel_chart(funnel_obs(), TOWN_CAT, "C1.6", [2022], SETTINGS, units)
        fig.savefig(tmp_path / "funnel.png")
    plt.close(fig)


# --- shares of women -------------------------------------------------------------------------


def test_an_about_target_is_a_band_judged_from_both_sides():
    lo, hi, basis = gaps.share_band({"kind": "about", "value": 45.0, "tolerance": 2.0}, SETTINGS)
    assert (lo, hi, basis) == (43.0, 47.0, "target")
    assert gaps.band_distance([41.0, 44.0, 48.0], lo, hi).tolist() == [-2.0, 0.0, 1.0]
    assert gaps.band_position([41.0, 44.0, 48.0], lo, hi).tolist() == ["below", "within", "above"]
    assert gaps.share_band({"kind": "above", "value": 30.0}, SETTINGS)[:2] == (30.0, 100.0)
    assert gaps.share_band({"kind": "relative", "comparison": "at_least"}, SETTINGS, 28.5)[:2] == (28.5, 100.0)


def test_a_share_without_a_target_is_measured_from_parity():
    # s/(100 - s) within 0.97–1.03  <=>  s within 100·0.97/1.97 … 100·1.03/2.03
    lo, hi, basis = gaps.share_band({"kind": "direction", "value": None}, SETTINGS)
    assert basis == "parity"
    assert lo == pytest.approx(97 / 1.97) and hi == pytest.approx(103 / 2.03)


# --- set-up ----------------------------------------------------------------------------------


def test_the_shipped_settings_are_the_documented_defaults():
    assert gaps.GapSettings.from_params() == gaps.GapSettings.from_params()


def test_an_unknown_setting_is_refused(tmp_path):
    path = tmp_path / "gaps.yaml"
    path.write_text("min_event: 3\n", encoding="utf-8")
    with pytest.raises(config.ParamsError, match="min_event"):
        gaps.GapSettings.from_params(path)


def test_without_projections_the_error_says_to_run_the_projection(tmp_path):
    obs_rows([("C1.6", 2022, "district", "total", 96.0, 720, 750)]).to_parquet(tmp_path / "observations.parquet")
    with pytest.raises(FileNotFoundError, match="plan-monitor project"):
        gaps.load_inputs(tmp_path)


# --- the shipped data ------------------------------------------------------------------------


@pytest.mark.slow
def test_the_synthetic_district_widening_pension_gap_and_its_town_below_ninety(tmp_path):
    from analysis import clean
    from analysis.catalog import load_catalog

    cat = load_catalog()
    clean.write(clean.clean(config.RAW_DIR, cat), tmp_path)
    trends.project(tmp_path, cat)
    inputs = gaps.load_inputs(tmp_path)
    sex = gaps.analyse_gaps(inputs, cat, "sex", SETTINGS, ids=["W5.4", "C1.9c", "W5.5a"]).summary.set_index(
        "indicator_id")
    # 失业保险参保人数 by sex are counts of people: no gap measure without the populations
    assert (inputs.observations["indicator_id"] == "W5.5a").any() and "W5.5a" not in sex.index
    pension = sex.loc["W5.4"]
    assert pension["status"] == "widening" and pension["disadvantaged_latest"] == "focus"
    assert pension["difference_latest"] < pension["baseline_gap"] < 0  # women further behind than at baseline
    below = gaps.towns_below_threshold(inputs.observations, cat, "C1.6", SETTINGS)
    assert ((below["year"] == 2022) & (below["town"] == "邙岭镇")).any()
    table = report.town_table(inputs.observations, cat, "C1.6", SETTINGS)
    assert table.loc["佃庄镇（2022年起划出）", 2022] == "已划出"


def _processed(tmp_path: Path) -> tuple[Path, Catalog]:
    """A processed folder as the clean and project stages leave it: girls' and boys' enrolment
    (C3.3) and the urban and rural under-five mortality (C1.3c)."""
    from analysis.catalog import load_catalog
    from tests.builders import observation_rows, observations_table

    cat = load_catalog()
    years = list(range(2015, 2025))
    rows = (observation_rows("C3.3", years, np.linspace(88, 93, 10), sex="female")
            + observation_rows("C3.3", years, np.linspace(90, 94, 10), sex="male")
            + observation_rows("C1.3c", years, np.linspace(12, 6, 10), area="rural")
            + observation_rows("C1.3c", years, np.linspace(4.2, 3.9, 10), area="urban"))
    obs = observations_table(rows, cat)
    result = trends.project_observations(obs, cat.indicators)
    obs.to_parquet(tmp_path / "observations.parquet", index=False)
    result.projections.to_parquet(tmp_path / "projections.parquet", index=False)
    result.models.to_parquet(tmp_path / "projection_models.parquet", index=False)
    return tmp_path, cat


def test_the_gaps_stage_writes_its_tables_and_reads_them_back_exactly(tmp_path, caplog):
    folder, cat = _processed(tmp_path)
    written = gaps.run(folder, cat)
    assert {p.name for p in written.files.values()} <= {p.name for p in folder.iterdir()}
    caplog.set_level("INFO", logger="analysis.gaps.stage")
    read = gaps.load(folder, cat)
    assert "read the gaps stage" in caplog.text and "computing the gaps anew" not in caplog.text
    for kind in ("sex", "urban_rural"):
        for part in ("series", "summary", "projection"):
            pd.testing.assert_frame_equal(getattr(getattr(read, kind), part),
                                          getattr(getattr(written, kind), part).reset_index(drop=True))
    pd.testing.assert_frame_equal(read.narrowing, written.narrowing)
    assert set(written.sex.summary["indicator_id"]) == {"C3.3"}
    assert set(written.urban_rural.summary["indicator_id"]) == {"C1.3c"}


def test_the_gaps_are_computed_anew_when_the_settings_changed(tmp_path, caplog):
    folder, cat = _processed(tmp_path)
    gaps.run(folder, cat)
    other = tmp_path / "gaps_other.yaml"
    other.write_text(config.PARAMS_DIR.joinpath("gaps.yaml").read_text(encoding="utf-8")
                     .replace("narrowing_threshold: 0.8", "narrowing_threshold: 0.9"), encoding="utf-8")
    caplog.set_level("INFO", logger="analysis.gaps.stage")
    gaps.load(folder, cat, other)
    assert "computing the gaps anew: the gaps written were made with other settings" in caplog.text


def test_the_gaps_are_computed_anew_when_the_projections_changed(tmp_path, caplog):
    folder, cat = _processed(tmp_path)
    gaps.run(folder, cat)
    proj = pd.read_parquet(folder / "projections.parquet")
    proj.loc[proj.index[0], "mean"] += 1.0          # the projection stage ran again since
    proj.to_parquet(folder / "projections.parquet", index=False)
    caplog.set_level("INFO", logger="analysis.gaps.stage")
    gaps.load(folder, cat)
    assert "computing the gaps anew: the observations or projections changed" in caplog.text


def test_a_page_selection_of_the_stage_equals_the_gaps_of_those_indicators_alone(tmp_path):
    folder, cat = _processed(tmp_path)
    stage = gaps.run(folder, cat).select(["C1.3c"])
    alone = gaps.analyse_gaps(gaps.load_inputs(folder), cat, "urban_rural", gaps.GapSettings.from_params(), ["C1.3c"])
    pd.testing.assert_frame_equal(stage.urban_rural.summary, alone.summary)
    assert stage.sex.summary.empty
    assert list(stage.narrowing["indicator_id"]) == ["C1.3d"]  # kept: the gap it names is selected


def test_which_towns_count_as_urban_is_read_from_the_profiles_types():
    # a city's profile whose units are counties: 区 urban, 县 rural; a type neither lists is refused
    spec = {"towns": {"东城区": {"type": "区"}, "甲县": {"type": "县"}},
            "urban_rural": {"urban": {"types": ["区"]}, "rural": {"types": ["县"]}}}
    assert gaps.town_units(spec)["urban_rural"].tolist() == ["urban", "rural"]
    spec["towns"]["乙旗"] = {"type": "旗"}
    with pytest.raises(config.ParamsError, match="town type '旗' is listed under neither"):
        gaps.town_units(spec)
