"""The rules of the verdict an expert group signs (docs/assessment.md, "Whose value, which rows,
which side of the line"), tested through the path the scorecard takes: observations → the
projection engine → ``scorecard.assess_frame``. No hand-made paths: each case is a realistic
return a department could send.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import report, scorecard, trends
from analysis.catalog import load_catalog
from tests.builders import observation_rows, observations_table

YEARS = list(range(2015, 2025))


@pytest.fixture(scope="module")
def cat():
    return load_catalog()


def table(records: list[dict], cat) -> pd.DataFrame:
    return observations_table(records, cat)


def scorecard_of(records: list[dict], cat, mode: str = "annual", year: int | None = None) -> pd.DataFrame:
    """The scorecard rows of the targets in ``records``, as ``plan-monitor assess`` computes them."""
    obs = table(records, cat)
    models = trends.project_observations(obs, cat.indicators).models
    frame = scorecard.assess_frame(obs, models, cat, mode=mode, year=year)
    return frame[frame["indicator_id"].isin(obs["indicator_id"].unique())]


def counts(rate_per_1000: float, births: int) -> tuple[list[float], list[float]]:
    deaths = [rate_per_1000 * births / 1000] * len(YEARS)
    return deaths, [float(births)] * len(YEARS)


# --- 以下 / 以上 include the number ----------------------------------------------------------------


def test_a_value_exactly_at_a_below_target_meets_it():
    # 降至3.0‰以下 includes 3.0‰ (民法典 第一千二百五十九条); and 60%以下 includes 60 %
    assert scorecard.meets(np.array([3.0, 3.01]), "below", 3.0).tolist() == [True, False]
    assert scorecard.meets(np.array([60.0]), "keep_below", 60.0).tolist() == [True]
    assert scorecard.meets(np.array([95.0, 94.99]), "above", 95.0).tolist() == [True, False]


def test_neonatal_mortality_flat_at_exactly_the_target_is_met_not_missed(cat):
    # 12 deaths in 4,000 births every year = 3.0‰, exactly 新生儿死亡率 3.0‰以下
    deaths, births = counts(3.0, 4000)
    rows = observation_rows("C1.3a", YEARS, [3.0] * len(YEARS), num=deaths, den=births)
    head = scorecard_of(rows, cat).query("is_headline").iloc[0]
    assert head["latest_value"] == 3.0
    # met in the latest year: achieved or on track, never "hard to achieve"
    assert head["status"] in ("achieved", "on_track", "at_risk")
    assert head["status"] != "off_track"


@pytest.mark.parametrize("indicator_id, value", [("C1.9c", 60.0), ("C1.3a", 3.0), ("C3.4", 97.0)])
def test_midterm_with_the_baseline_exactly_at_the_target_does_not_crash(cat, indicator_id, value):
    # the straight 2020 → 2030 path has zero length: the schedule says 基期已达标, not 1/0
    unit = cat.indicators.loc[indicator_id, "unit"]
    if unit == "‰":
        num, den = counts(value, 4000)
    else:
        den = [2000.0] * len(YEARS)
        num = [value * 20.0] * len(YEARS)
    rows = observation_rows(indicator_id, YEARS, [value] * len(YEARS), num=num, den=den)
    head = scorecard_of(rows, cat, mode="midterm").query("is_headline").iloc[0]
    assert head["schedule"] == "met"
    assert head["schedule_zh"].startswith("基期已达标")
    assert np.isnan(head["expected_value"])        # no straight path from a baseline already at the target


# --- a target about women is judged on women ------------------------------------------------------


def pension(cat):
    women = [80.0, 82.0, 84.0, 85.5, 87.0, 88.0, 89.0, 89.6, 90.1, 90.5]
    men = [92.0, 93.0, 94.0, 94.5, 95.0, 95.2, 95.4, 95.5, 95.6, 95.6]
    total = [(w + m) / 2 for w, m in zip(women, men, strict=True)]
    return (observation_rows("W5.4", YEARS, women, sex="female")
            + observation_rows("W5.4", YEARS, men, sex="male")
            + observation_rows("W5.4", YEARS, total, sex="total"))


def test_womens_pension_coverage_is_judged_on_the_womens_rate(cat):
    sc = scorecard_of(pension(cat), cat)
    head = sc.query("is_headline").iloc[0]
    assert head["sex"] == "female"
    assert head["latest_value"] == 90.5          # the women's rate, not the 93.05 % of both sexes
    assert head["status"] not in ("achieved",)


def test_the_other_sex_is_never_a_verdict_on_a_womens_target(cat):
    sc = scorecard_of(pension(cat), cat)
    assert set(sc["sex"]) == {"female"}
    assert len(sc) == 1


def test_a_target_about_everyone_keeps_its_sex_rows(cat):
    # 九年义务教育巩固率 (C3.4) is about all children: the total is the verdict, girls and boys rows follow
    rows = (observation_rows("C3.4", YEARS, np.linspace(95, 97.5, 10), sex="total")
            + observation_rows("C3.4", YEARS, np.linspace(95.2, 97.6, 10), sex="female")
            + observation_rows("C3.4", YEARS, np.linspace(94.8, 97.4, 10), sex="male"))
    sc = scorecard_of(rows, cat)
    assert sc.query("is_headline").iloc[0]["sex"] == "total"
    assert set(sc["sex"]) == {"total", "female", "male"}


def test_catalog_marks_the_womens_targets_with_sex_data(cat):
    t = cat.indicators
    for indicator_id in ("W5.3", "W5.4", "W5.5a", "W5.5b"):
        assert t.loc[indicator_id, "population"] == "women"
        assert scorecard.verdict_sex(t.loc[indicator_id]) == "female"
    assert scorecard.verdict_sex(t.loc["C3.4"]) == "total"


# --- towns get a verdict only where the plan sets the target per town ---------------------------


def committee(cat):
    # 村委会成员中女性比例 (W4.7c) per town: committees of 13–15 members
    rows = observation_rows("W4.7c", YEARS, np.linspace(22, 29, 10))
    for town, share in (("翟镇镇", 26.7), ("岳滩镇", 33.3)):
        rows += observation_rows("W4.7c", YEARS, [share] * 10, area=town, num=[4.0 if share < 30 else 5.0] * 10,
                                 den=[15.0] * 10)
    return rows


def test_towns_are_information_where_the_plan_sets_no_town_target(cat):
    sc = scorecard_of(committee(cat), cat)
    assert set(sc["breakdown"]) == {"total"}


def test_the_one_town_target_of_the_plan_keeps_its_town_rows(cat):
    # C1.6 适龄儿童免疫规划疫苗接种率以镇（街道）为单位保持在90%以上
    rows = observation_rows("C1.6", YEARS, [98.0] * 10)
    for town in ("翟镇镇", "岳滩镇"):
        rows += observation_rows("C1.6", YEARS, [97.0] * 10, area=town, num=[970.0] * 10, den=[1000.0] * 10)
    sc = scorecard_of(rows, cat)
    assert set(sc.loc[sc["breakdown"] == "town", "area"]) >= {"翟镇镇", "岳滩镇"}


# --- the evaluation year is one decision ----------------------------------------------------------


def test_one_early_return_does_not_move_the_annual_evaluation_year(cat):
    # every series ends in 2024; one department already sent 2025 for one indicator
    rows = (observation_rows("C1.9c", YEARS, np.linspace(72, 70.7, 10))
            + observation_rows("C1.9b", YEARS, np.linspace(40, 36.6, 10))
            + observation_rows("C3.4", YEARS + [2025], np.linspace(95, 97.6, 11)))
    obs = table(rows, cat)
    assert scorecard.evaluation_year(obs, "annual", None, scorecard.load_settings()) == 2024
    sc = scorecard_of(rows, cat)
    assert set(sc["year"]) == {2024}
    # a run that asks for a year gets it
    assert scorecard.evaluation_year(obs, "annual", 2025, scorecard.load_settings()) == 2025


def test_the_annual_year_follows_the_data_when_every_series_moves_on(cat):
    rows = (observation_rows("C1.9c", YEARS + [2025], np.linspace(72, 70.5, 11))
            + observation_rows("C1.9b", YEARS + [2025], np.linspace(40, 36.4, 11)))
    assert scorecard.evaluation_year(table(rows, cat), "annual", None, scorecard.load_settings()) == 2025


def test_the_midterm_schedule_speaks_of_percentage_points_and_caps_progress(cat):
    # 小学生近视率 falling fast from 45 % toward 38 %以下: ahead of the straight path, in 个百分点
    rows = observation_rows("C1.9b", YEARS, [46, 45.5, 45, 44.5, 44, 43, 41, 39, 37.5, 36])
    head = scorecard_of(rows, cat, mode="midterm").query("is_headline").iloc[0]
    assert head["schedule"] == "ahead"
    assert "个百分点" in head["schedule_zh"] and "%（" not in head["schedule_zh"]
    # 43 → 36 against 43 → 38: already beyond the target, said in words rather than as "140%"
    assert "已越过目标值" in head["schedule_zh"]


# --- the warning list is one page -----------------------------------------------------------------


def warned(cat):
    # 初中生近视率 far above 60 % for girls, boys and both: one indicator, three warned rows;
    # 小学生近视率 met overall, only the girls' series volatile around the line
    rows = []
    for sex, level in (("total", 70.7), ("female", 72.0), ("male", 69.5)):
        rows += observation_rows("C1.9c", YEARS, np.linspace(level + 0.5, level, 10), sex=sex)
    rows += observation_rows("C1.9b", YEARS, np.linspace(40, 33, 10))
    rows += observation_rows("C1.9b", YEARS, [40, 36, 41, 35, 40, 36, 39, 37, 38.5, 37.5], sex="female")
    rows += observation_rows("C1.9b", YEARS, np.linspace(40, 32, 10), sex="male")
    obs = table(rows, cat)
    models = trends.project_observations(obs, cat.indicators).models
    settings = scorecard.load_settings()
    frame = scorecard.assess_frame(obs, models, cat)
    frame = frame[frame["indicator_id"].isin(["C1.9b", "C1.9c"])]
    return scorecard.Assessment(frame, "annual", 2024, settings, obs)


def test_the_warning_list_has_one_row_per_indicator_with_the_groups_folded_in(cat):
    result = warned(cat)
    sc = result.scorecard
    assert (sc.loc[sc["indicator_id"] == "C1.9c", "warning_codes"] != "").sum() == 3   # three warned rows …
    t = report.warning_table(result)
    assert t["编号"].tolist().count("C1.9c") == 1                                      # … one line
    row = t.set_index("编号").loc["C1.9c"]
    assert row["预警"].startswith("预计完成困难") and "偃师区·女" in row["分组预警"] and "偃师区·男" in row["分组预警"]


def test_district_level_warnings_come_before_those_of_a_breakdown_only(cat):
    t = report.warning_table(warned(cat))
    ids = t["编号"].tolist()
    assert ids[0] == "C1.9c"
    # 小学生近视率 is warned only in a breakdown (girls): after, with no district warning
    assert ids.index("C1.9b") > ids.index("C1.9c")
    assert t.set_index("编号").loc["C1.9b", "预警"] == "—"


def test_the_severity_scale_is_explained_from_the_params():
    settings = scorecard.load_settings()
    text = report.severity_scale(settings)
    for spec in settings.warnings.values():
        assert f"{int(spec['severity'])}级" in text and spec["label"] in text
    assert "5级：预计完成困难且难以实现" in text
    assert "Severity" in report.severity_scale(settings, "en")


# --- one series, one answer ------------------------------------------------------------------------


def test_two_entries_for_one_indicator_get_one_answer(cat):
    # 高中阶段教育毛入学率 达到并保持在96%以上 is set by both plans (W2.5 and C3.5): the same return
    # arrives under both ids, and a department may fill only one
    assert cat.indicators.loc["W2.5", "same_as"] == "C3.5"
    values = [88.0, 89.0, 90.1, 90.8, 91.0, 91.4, 91.8, 92.6, 93.2, 93.7]
    rows = observation_rows("C3.5", YEARS, values) + observation_rows("W2.5", YEARS, values)
    sc = scorecard_of(rows, cat).query("is_headline").set_index("indicator_id")
    for column in ("status", "p_meet", "latest_value", "projection_2030"):
        assert sc.loc["W2.5", column] == sc.loc["C3.5", column]
    assert "与C3.5为同一指标" in sc.loc["W2.5", "reason_zh"]


def test_a_linked_entry_without_its_own_returns_is_still_judged(cat):
    # one standardised MCH institution: reported once (W1.10), the children's plan's C1.M2a follows it
    rows = observation_rows("W1.10", YEARS, [1.0] * 10)
    obs = table(rows, cat)
    frame = scorecard.assess_frame(obs, trends.project_observations(obs, cat.indicators).models, cat)
    heads = frame[frame["is_headline"]].set_index("indicator_id")
    assert heads.loc["C1.M2a", "status"] == heads.loc["W1.10", "status"] != "insufficient_data"


def test_a_gap_that_should_narrow_gets_one_answer_on_the_scorecard_and_the_gaps_page(cat):
    """C1.3d (城乡差距缩小 of the under-five mortality rate): the scorecard row and the gaps page's
    narrowing table show the same probability and status, from the same three-year windows —
    rural falling from 12‰ to 6‰ while urban stays near 4‰ is a narrowing gap."""
    from analysis import gaps

    rural = [12.0, 11.4, 10.9, 10.1, 9.5, 8.8, 8.0, 7.3, 6.7, 6.0]
    urban = [4.2, 4.1, 4.2, 4.0, 4.1, 4.0, 3.9, 4.0, 3.9, 3.9]
    obs = table(observation_rows("C1.3c", YEARS, rural, area="rural")
                + observation_rows("C1.3c", YEARS, urban, area="urban"), cat)
    models = trends.project_observations(obs, cat.indicators).models
    row = scorecard.assess_frame(obs, models, cat).set_index("indicator_id").loc["C1.3d"]
    page = gaps.compute(gaps.Inputs(obs, models), cat, gaps.GapSettings.from_params()).narrowing
    judged = page.set_index("indicator_id").loc["C1.3d"]
    assert judged["status"] == "improving" and row["status"] == "improving"
    assert row["p_meet"] == judged["p_narrower"] >= 0.8
    # and the words say what was compared: three-year levels, not one year's gap
    # and the words say what was compared: three-year levels (a difference of ‰ in 个千分点), not one year
    assert "近3年平均为" in row["reason_zh"] and "个千分点" in row["reason_zh"]
    assert "2028—2030年平均差距" in row["reason_zh"]


def test_one_good_year_does_not_decide_whether_a_gap_narrows(cat):
    """W1.2b (maternal mortality, urban–rural gap): a rural ratio of 0 in the latest year after
    years near 30/10万 is one year's small-count luck. Judged on that year alone the gap "now" is
    0 and nothing can be narrower (P = 0, the old scorecard's answer); judged on three-year levels,
    as the gaps page does, the gap now is about (0 + 28 + 30)/3 − urban's and can still narrow."""
    urban = [12.0] * 10
    rural = [40.0, 38.0, 36.0, 35.0, 33.0, 32.0, 31.0, 30.0, 28.0, 0.0]
    obs = table(observation_rows("W1.2a", YEARS, rural, area="rural")
                + observation_rows("W1.2a", YEARS, urban, area="urban"), cat)
    models = trends.project_observations(obs, cat.indicators).models
    row = scorecard.assess_frame(obs, models, cat).set_index("indicator_id").loc["W1.2b"]
    assert row["latest_value"] == 12.0                  # |0 − 12|: the single year shown as the latest gap
    assert row["p_meet"] > 0.05 and "近3年平均为7.3/10万" in row["reason_zh"]
