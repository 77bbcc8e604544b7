"""The target as the plan words it, tested as the plan means it; past facts as facts; small numbers
in counts; a schedule that agrees with the status (docs/assessment.md, "The target as the plan
words it" and the rules after it). Each case goes through the path ``plan-monitor assess`` takes:
observations → the projection engine → ``scorecard.assess_frame`` → the report's sentence.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import numpy as np
import pytest

from analysis import report
from analysis.catalog import load_catalog, normalize_text, target_text
from analysis.catalog.wording import is_subsequence
from analysis.scorecard import load_settings
from analysis.scorecard.rows import _schedule_against_status
from tests.builders import observation_rows
from tests.scorecard.test_verdicts import scorecard_of, table

YEARS = list(range(2015, 2025))


@pytest.fixture(scope="module")
def cat():
    return load_catalog()


def head_of(records, cat, sex="total", **kw):
    frame = scorecard_of(records, cat, **kw)
    return frame[(frame["area"] == "district") & (frame["sex"] == sex)].iloc[0]


def sentence(row, records, cat):
    return report.indicator_sentence(row, table(records, cat), cat=cat)


# --- the target column shows the plan's own words -------------------------------------------------


def test_every_measured_target_reads_in_the_plans_own_characters(cat):
    t = cat.indicators[cat.indicators["kind"] != "qualitative"]
    assert t["wording"].notna().all()
    for _, e in t.iterrows():
        assert is_subsequence(normalize_text(e["wording"]), normalize_text(e["source"])), e["id"]


@pytest.mark.parametrize("eid, words", [
    ("C1.8c", "上升趋势得到有效控制"), ("W1.6b", "上升趋势减缓"), ("W1.6c", "上升趋势减缓"),
    ("W3.6", "明显降低"), ("C1.9a", "明显下降"), ("C2.2", "持续下降"), ("W2.5", "达到并保持在96%以上（2030年）"),
    ("C1.8a", "控制在10%以下（2030年）"), ("W4.2b", "一般不低于本地党员总数中女性比例"),
])
def test_the_expert_groups_examples_read_as_the_plan_words_them(cat, eid, words):
    assert target_text(cat.entry(eid)) == words


# --- 上升趋势得到有效控制: not above the baseline --------------------------------------------------

def test_a_rise_brought_back_below_the_baseline_is_curbed(cat):
    # 儿童超重、肥胖率 rose to 2020, then fell back under its 2020 level
    values = [7.0, 7.4, 7.8, 8.2, 8.6, 9.0, 8.8, 8.6, 8.4, 8.2]
    rec = observation_rows("C1.8c", YEARS, values)
    row = head_of(rec, cat)
    assert row["status"] == "improving" and row["p_meet"] >= load_settings().likely
    assert "基期（2020年，9%）" in row["p_of_zh"]


def test_a_rise_that_goes_on_is_not_curbed_even_if_the_last_year_dipped(cat):
    values = [7.0, 7.3, 7.6, 7.9, 8.2, 8.5, 8.8, 9.1, 9.4, 9.3]   # still well above 2020's 8.5
    row = head_of(observation_rows("C1.8c", YEARS, values), cat)
    assert row["status"] == "worsening" and row["p_meet"] < 0.1


# --- 上升趋势减缓: the annual change since the baseline below the one before it ------------------

def womens_rates(indicator_id, values):
    return (observation_rows(indicator_id, YEARS, values, sex="female")
            + observation_rows(indicator_id, YEARS, values, sex="total"))


def test_a_rise_that_slowed_meets_上升趋势减缓_although_the_rate_still_rises(cat):
    # 妇女焦虑障碍患病率: +0.5 a year to 2020, +0.1 a year since — still rising, the rise slowed
    values = [3.0, 3.5, 4.0, 4.5, 5.0, 5.5, 5.6, 5.7, 5.8, 5.9]
    row = head_of(womens_rates("W1.6b", values), cat, sex="female")
    assert row["status"] == "improving" and row["p_meet"] > 0.9
    assert "按基期前（2015—2020年）年均上升0.5个百分点的速度延续到2030年的10.5%" in row["p_of_zh"]


def test_a_rise_at_the_same_speed_has_not_slowed(cat):
    values = [3.0 + 0.5 * i for i in range(10)]
    row = head_of(womens_rates("W1.6b", values), cat, sex="female")
    assert row["status"] != "improving"


def test_a_slowing_cannot_be_judged_without_years_before_the_baseline(cat):
    years = list(range(2020, 2025))
    rec = (observation_rows("W1.6b", years, [5.5, 5.6, 5.7, 5.8, 5.9], sex="female")
           + observation_rows("W1.6b", years, [5.5, 5.6, 5.7, 5.8, 5.9]))
    row = head_of(rec, cat, sex="female")
    assert row["status"] == "insufficient_data"
    assert "基期（2020年）及以前至少3年" in row["reason_zh"]


# --- 明显下降: a fall of at least marked_change of the baseline ---------------------------------

def test_a_small_decline_is_a_decline_but_not_a_marked_one(cat):
    settings = load_settings()
    # 儿童新发近视率 20 % in 2020 falling 0.1 a year: about 19 % in 2030, 5 % lower — not 10 %
    values = [20.5, 20.4, 20.3, 20.2, 20.1, 20.0, 19.9, 19.8, 19.7, 19.6]
    rec = [r for s in ("total",) for r in observation_rows("C1.9a", YEARS, values, sex=s)]
    row = head_of(rec, cat)
    assert f"下降{100 * settings.marked_change:g}%的18%" in row["p_of_zh"]
    assert row["status"] == "worsening" and row["p_meet"] < 0.1


def test_a_fall_of_a_fifth_is_marked(cat):
    values = [22.0, 21.5, 21.0, 20.5, 20.2, 20.0, 19.2, 18.4, 17.6, 16.8]
    row = head_of(observation_rows("C1.9a", YEARS, values), cat)
    assert row["status"] == "improving"


# --- 达到并保持 / 保持: the years before it is first reached are the way to it ---------------------

def test_reach_and_keep_not_yet_reached_has_no_missed_year(cat):
    # 高中阶段教育毛入学率 rising toward 96 %: the years below it are not misses of 达到并保持
    values = [88.0, 88.8, 89.6, 90.4, 91.2, 92.0, 92.8, 93.6, 94.4, 95.2]
    row = head_of(observation_rows("C3.5", YEARS, values), cat)
    assert "past_break" not in row["warning_codes"] and row["fact_zh"] == ""
    assert row["p_of_zh"] == "2030年前达到目标并此后每年保持"


def test_reach_and_keep_that_fell_back_after_reaching_is_missed(cat):
    values = [92.0, 93.0, 94.0, 95.0, 95.5, 96.0, 96.5, 96.8, 95.6, 96.9]   # reached 2020, 95.6 in 2023
    row = head_of(observation_rows("C3.5", YEARS, values), cat)
    assert row["status_zh"] == load_settings().broken_label and row["p_meet"] == 0.0
    assert row["fact_zh"].startswith("2023年95.6%未达到目标")
    assert "达到目标后又有年份未达到目标" in row["warnings"]


def test_keep_inside_a_band_every_year(cat):
    # 保持在50%左右 (±2): 47.5 % in 2022 was outside the band — a fact, with the years ahead beside it
    values = [49.0, 50.0, 49.5, 50.5, 50.0, 49.8, 50.2, 47.5, 49.9, 50.1]
    rec = observation_rows("W4.8c", YEARS, values)
    row = head_of(rec, cat)
    assert row["status_zh"] == load_settings().broken_label
    text = sentence(row, rec, cat)
    assert "2022年47.5%未达到目标，规划期内每年达标已不能实现" in text
    assert "2025—2030年每年均达到目标的可能性" in text and "80%区间" not in text


# --- small numbers speak in counts ----------------------------------------------------------------

def test_maternal_mortality_in_a_district_is_the_chance_of_no_death(cat):
    # ~3,800 births, no maternal death in most years: one death = 26/10万, twice the target
    deaths = [0, 1, 0, 0, 2, 0, 0, 1, 0, 0]
    births = [3800.0] * 10
    values = [1e5 * d / b for d, b in zip(deaths, births, strict=True)]
    rec = observation_rows("W1.2a", YEARS, values, num=deaths, den=births)
    row = head_of(rec, cat)
    assert row["p_of_zh"] == "2030年不发生1例"
    assert "1例即相当于26.3/10万" in row["counts_zh"]
    text = sentence(row, rec, cat)
    assert "2024年发生0例" in text and "2030年不发生1例的可能性" in text
    assert "80%区间" not in text and "约为" not in text


def test_one_institution_is_there_or_not(cat):
    # 政府举办的标准化妇幼保健机构: 1所 every year — met, a fact; no trend through whole numbers
    rec = observation_rows("W1.10", YEARS, [1.0] * 10)
    row = head_of(rec, cat)
    assert row["status"] == "achieved" and np.isnan(row["p_meet"])
    assert row["fact_zh"].startswith("已达到目标")
    text = sentence(row, rec, cat)
    assert "概率" not in text and "80%区间" not in text


def test_no_institution_yet_is_not_met(cat):
    rec = observation_rows("W1.10", YEARS, [0.0] * 10)
    row = head_of(rec, cat)
    assert row["status"] == "at_risk" and row["fact_zh"].startswith("尚未达到目标")


# --- the mid-term schedule agrees with the status -------------------------------------------------

def schedule_row(schedule, status, p, fact=""):
    return {"schedule": schedule, "schedule_zh": "超前2.36个百分点（已越过目标值，时间进度40%）", "status": status,
            "status_zh": "", "p_meet": p, "fact_zh": fact}


def test_ahead_of_the_straight_path_yet_at_risk_says_why():
    # C1.9b on the shipped data: ahead of the 2020 → 2030 line in 2024, yet 存在风险
    row = schedule_row("ahead", "at_risk", 0.61)
    _schedule_against_status(row, 2030, SimpleNamespace(settings=load_settings(), mode="midterm"))
    assert row["schedule_zh"].endswith("；但按当前趋势2030年达标的概率约60%，评为“存在风险”")


def test_behind_yet_on_track_and_a_missed_year_say_why_too():
    ctx = SimpleNamespace(settings=load_settings(), mode="midterm")
    row = schedule_row("behind", "on_track", 0.7)
    _schedule_against_status(row, 2030, ctx)
    assert "；虽滞后，但按当前趋势2030年达标的概率约70%，评为“有望实现”" in row["schedule_zh"]
    row = schedule_row("met", "off_track", 0.0, fact="2022年83.05%未达到目标")
    _schedule_against_status(row, 2030, ctx)
    assert row["schedule_zh"].endswith("；但2022年83.05%未达到目标，评为“难以实现”")


def test_schedule_and_status_that_agree_are_left_alone():
    row = schedule_row("ahead", "on_track", 0.8)
    _schedule_against_status(row, 2030, SimpleNamespace(settings=load_settings(), mode="midterm"))
    assert row["schedule_zh"] == "超前2.36个百分点（已越过目标值，时间进度40%）"


def test_a_share_set_at_congresses_states_the_last_congress_against_its_comparator(cat):
    # 党代会女代表比例 known for the 2016 and 2021 congresses only; 女党员比例 every year
    rec = (observation_rows("W4.2b", [2016, 2021], [28.8, 32.4])
           + observation_rows("W4.2a", YEARS, np.linspace(27.0, 30.6, 10)))
    frame = scorecard_of(rec, cat)
    row = frame[frame["indicator_id"] == "W4.2b"].iloc[0]
    assert row["status"] == "insufficient_data"
    assert "2021年为32.4%，同年女党员比例（W4.2a）为29.4%，不低于后者" in row["reason_zh"]


def test_a_target_is_judged_on_the_figure_that_will_be_published(cat):
    # 初中生近视率 published to one decimal: every simulated 2030 value is a figure of one decimal, so
    # 60.04 (published 60.0, which meets 60%以下) is never counted as a miss
    from analysis import trends
    from analysis.scorecard.context import Context

    values = [63.1, 62.8, 62.4, 62.1, 61.7, 61.5, 61.0, 60.8, 60.4, 60.1]
    obs = table(observation_rows("C1.9c", YEARS, values), cat)
    models = trends.project_observations(obs, cat.indicators).models
    ctx = Context(obs, models, cat, load_settings(), "annual", 2024)
    paths, why = ctx.paths("C1.9c", "district", "total")
    assert paths is not None, why
    tenths = paths.values * 10
    assert np.allclose(tenths, np.round(tenths))


def test_warnings_give_differences_of_rates_in_percentage_points_to_two_digits(cat):
    # 初中生近视率 near its 60 % line with noise: the volatility warning speaks of 个百分点, not "%"
    values = [61.3, 59.2, 61.8, 58.9, 61.1, 59.6, 60.9, 58.8, 61.4, 59.9]
    row = head_of(observation_rows("C1.9c", YEARS, values), cat)
    assert "volatile" in row["warning_codes"]
    noise = re.search(r"年度波动约±([0-9.]+)(\S+?)[），，]", row["warnings"])
    assert noise and noise.group(2) == "个百分点" and len(noise.group(1).replace(".", "").lstrip("0")) <= 2


def test_the_scorecard_table_speaks_in_events_where_the_sentence_does(cat):
    # the table beside the sentence: no "0（0—32）" rate interval for a value that is 0 or ≥ 26/10万
    deaths = [0, 1, 0, 0, 2, 0, 0, 1, 0, 0]
    births = [3800.0] * 10
    rec = observation_rows("W1.2a", YEARS, [1e5 * d / b for d, b in zip(deaths, births, strict=True)],
                           num=deaths, den=births)
    result = SimpleNamespace(scorecard=scorecard_of(rec, cat), settings=load_settings())
    table = report.scorecard_table(result, cat, "W")
    row = table[table["编号"] == "W1.2a"].iloc[0]
    assert row["目标年份预测（80%区间）"] == "按例数判断（见说明）"
    assert "1例即相当于26.3/10万" in row["说明"]
    assert re.search(r"2030年不发生1例的概率(约\d*[05]%|低于5%|高于95%)", row["说明"])


def test_the_headline_says_how_many_off_track_targets_have_already_missed_a_year(cat):
    from analysis.scorecard.headline import headline

    values = [49.0, 50.0, 49.5, 50.5, 50.0, 49.8, 50.2, 47.5, 49.9, 50.1]
    frame = scorecard_of(observation_rows("W4.8c", YEARS, values), cat)
    h = headline(frame, load_settings())
    assert h["broken"] == 1 and h["counts"]["off_track"] >= 1
