"""The report's generated words (analysis/report/) and the 60_report / 70_indicator notebooks."""


import re

import matplotlib
import numpy as np
import pandas as pd
import pytest

from analysis import config, report, scorecard
from analysis.catalog import load_catalog
from analysis.report import sentences, style
from tests.builders import run_notebook

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def cat():
    return load_catalog(config.DEFAULT_CATALOG)


def row(**kw) -> pd.Series:
    base = {"indicator_id": "C1.9c", "area": "district", "sex": "total", "mode": "annual", "name_zh": "初中生近视率",
            "unit": "%", "target_kind": "below", "target_value": 60.0, "target_text": "降至60%以下（2030年）",
            "target_year": 2030, "latest_value": 70.7, "latest_year": 2024, "projection_2030": 69.6, "lo80": 67.5,
            "hi80": 71.6, "p_meet": 0.0005, "status": "off_track", "status_zh": "难以实现", "reason": "",
            "reason_zh": ""}
    base.update(kw)
    return pd.Series(base)


def obs(indicator_id="C1.9c", values=((2023, 71.0), (2024, 70.7)), unit="%") -> pd.DataFrame:
    return pd.DataFrame([{"indicator_id": indicator_id, "area": "district", "sex": "total", "year": y, "value": v,
                          "unit": unit, "denominator": np.nan} for y, v in values])


def test_a_below_target_far_from_reach(cat):
    assert report.indicator_sentence(row(), obs(), None, cat) == (
        "2024年初中生近视率为70.7%，比上年下降0.3个百分点，按当前趋势2030年约为69.6%（80%区间67.5%–71.6%），"
        "实现“降至60%以下”目标的可能性很小。")


def test_probability_bands():
    # in words by band, the bands meeting the status thresholds (0.66, 0.33) of params/assessment.yaml
    assert [report.probability_words(p) for p in (0.0, 0.09, 0.1, 0.32, 0.33, 0.65, 0.66, 0.89, 0.9, 1.0)] == [
        "很小", "很小", "较小", "较小", "一般", "一般", "较大", "较大", "很大", "很大"]
    assert report.probability_words(0.96, "en") == "very high"
    assert report.probability_words(float("nan")) == "不详"
    # as a number (the annex), bounded at the ends and otherwise to the nearest 5 %
    from analysis.report.sentences import probability_number
    assert [probability_number(p) for p in (0.01, 0.049, 0.05, 0.83, 0.95, 0.96)] == [
        "低于5%", "低于5%", "约5%", "约85%", "约95%", "高于95%"]


def test_a_direction_target(cat):
    r = row(indicator_id="W1.3b", name_zh="乳腺癌人群筛查率", target_kind="direction", target_value=np.nan,
            target_text="逐步提高", latest_value=57.6, projection_2030=71.5, lo80=68.2, hi80=74.8, p_meet=0.62,
            status="no_clear_change")
    o = obs("W1.3b", ((2023, 57.6), (2024, 57.6)))
    assert report.indicator_sentence(r, o, None, cat) == (
        "2024年乳腺癌人群筛查率为57.6%，与上年持平，按当前趋势2030年约为71.5%（80%区间68.2%–74.8%），向好的可能性一般。")


def test_insufficient_data_gives_the_reason(cat):
    r = row(indicator_id="W1.1a", name_zh="妇女人均预期寿命", unit="岁", target_kind="direction",
            latest_value=np.nan, latest_year=pd.NA, projection_2030=np.nan, p_meet=np.nan,
            status="insufficient_data", reason_zh="未报送数据", reason="no data reported")
    assert report.indicator_sentence(r, obs(), None, cat) == "妇女人均预期寿命：数据不足，无法评估（未报送数据）。"


def test_qualitative(cat):
    r = row(indicator_id="W1.4", name_zh="生殖健康知识普及", target_kind="qualitative", status="qualitative")
    assert report.indicator_sentence(r, obs(), None, cat) == "生殖健康知识普及：定性目标，不评分。"


def test_a_rate_per_100000_changes_in_its_unit_and_a_sex_group(cat):
    r = row(indicator_id="W1.2a", sex="female", name_zh="孕产妇死亡率", unit="/10万",
            target_text="下降到12/10万以下（2030年）",
            target_value=12.0, latest_value=14.2, projection_2030=10.4, lo80=5.1, hi80=18.0, p_meet=0.55,
            status="at_risk")
    o = obs("W1.2a", ((2023, 17.5), (2024, 14.2)), "/10万").assign(sex="female")
    assert report.indicator_sentence(r, o, None, cat) == (
        "2024年孕产妇死亡率（女性）为14.2/10万，比上年下降3.3/10万，按当前趋势2030年约为10.4/10万"
        "（80%区间5.1/10万–18.0/10万），实现“下降到12/10万以下”目标的可能性一般。")


def test_english(cat):
    assert report.indicator_sentence(row(), obs(), None, cat, lang="en") == (
        "In 2024, myopia prevalence among junior secondary students was 70.7%, down 0.3 percentage points on the "
        "previous year, on current trends about 69.6% in 2030 (80% interval 67.5%–71.6%), the chance of meeting "
        "the target (below 60%) is very low.")
    with pytest.raises(ValueError):
        report.indicator_sentence(row(), obs(), None, cat, lang="fr")


def test_district_context_says_plainly_there_is_no_population():
    o = obs("C1.3b", ((2023, 4.1), (2024, 4.0)), "‰").assign(denominator=[3681.0, 3775.0])
    text, table = report.district_context(o)
    assert "没有偃师区分性别的常住人口数" in text and "2024年全区活产3775人" in text
    assert list(table["活产数（合计）"]) == [3681, 3775]
    text, table = report.district_context(obs())
    assert "没有出生数" in text and table.empty


def test_warned_indicators_in_plan_order():
    sc = pd.DataFrame({"indicator_id": ["C1.9c", "W1.2a", "C1.3b", "W1.3a"],
                       "warning_codes": ["difficult", "small_counts", "", None]})
    assert scorecard.warned_ids(sc) == ["W1.2a", "C1.9c"]


# --- on the shipped data, built once in a tmp dir ----------------------------------------------------


# ``processed``: tests/report/conftest.py


def test_field_table_methods_and_chart_on_real_data(processed, cat):
    result = scorecard.assess(processed, cat)
    projections = pd.read_parquet(processed / "projections.parquet")
    table = report.field_table(result, cat, "C", 1, projections)
    assert list(table.columns) == ["编号", "指标", "基期(2020)", "最近值", "目标", "状态", "说明", "详情"]
    myopia = table.set_index("编号").loc["C1.9c"]
    assert myopia["说明"].startswith("2024年初中生近视率为") and myopia["状态"] == "难以实现"
    assert myopia["详情"] == '<a href="70_indicator_C1.9c.html">指标页</a>'
    en = report.field_table(result, cat, "C", 1, projections, lang="en")
    assert en.set_index("ID").loc["C1.9c", "Status"] == "Off track"
    assert "C1.9c" in scorecard.warned_ids(result.scorecard)
    methods = report.methods_text(result.settings)
    assert f"{100 * result.settings.likely:.0f}%" in methods and "params/assessment.yaml" in methods
    html = report.styled(table, result).to_html()
    assert result.settings.colours["off_track"] in html and "<a href=" in html
    style.setup()
    fig = report.small_multiples(result.scorecard, "C", 1, result.observations, projections, cat)
    panels = [a for a in fig.axes if a.get_visible()]
    rows = report.chart_rows(result.scorecard, "C", 1)
    # C1.3d (an urban–rural gap of C1.3a) has a scorecard value but no series of its own: no empty panel
    assert "C1.3d" in set(rows["indicator_id"])
    assert not any(a.get_title().startswith("C1.3d") for a in panels)
    observed = set(zip(result.observations["indicator_id"], result.observations["area"], result.observations["sex"],
                       strict=True))
    assert len(panels) == sum(k in observed for k in zip(rows["indicator_id"], rows["area"], rows["sex"], strict=True))
    w1 = report.small_multiples(result.scorecard, "W", 1, result.observations, projections, cat)
    by_cases = set(report.chart_rows(result.scorecard, "W", 1).query("counts_zh != ''")["indicator_id"])
    assert "W1.2a" in by_cases  # maternal deaths: a handful of cases, judged in events
    fanned = {}
    for ax in (a for a in w1.axes if a.get_visible()):
        fanned[ax.get_title().split()[0]] = bool(ax.collections)  # fill_between: the 80 % / 95 % fan
        if ax.get_title().split()[0] in by_cases:
            assert "按例数判断" in ax.get_title() and ax.get_xlim()[1] >= 2030
    assert {i for i, f in fanned.items() if i in by_cases and f} == set()
    assert fanned["W1.3a"]  # a screening rate keeps its fan
    for ax in panels:  # every panel shows observed points, and the baseline and mid-term years
        points = [line for line in ax.get_lines() if line.get_marker() == "o"]
        assert points and len(points[0].get_xdata()) > 0, ax.get_title()
        years = {line.get_xdata()[0] for line in ax.get_lines() if line.get_linestyle() not in ("None", "-", ":")
                 and len(set(line.get_xdata())) == 1}
        assert {2020, 2025} <= years, ax.get_title()


execute = run_notebook


@pytest.mark.slow
@pytest.mark.parametrize("mode, heading", [("annual", "2024年度监测"), ("midterm", "中期评估（2025年）"),
                                           ("final", "终期评估（2030年）")])
def test_report_notebook(processed, cat, tmp_path, mode, heading):
    shown = execute("60_report", tmp_path, processed_dir=str(processed), catalog=str(config.DEFAULT_CATALOG),
                    assessment=str(config.PARAMS_DIR / "assessment.yaml"), mode=mode)
    result = scorecard.assess(processed, cat, mode=mode)
    assert "模拟数据" in shown and heading in shown
    assert report.headline_text(result).split("\n\n")[0] in shown
    c19c = result.scorecard[result.scorecard["is_headline"] & (result.scorecard["indicator_id"] == "C1.9c")].iloc[0]
    assert report.indicator_sentence(c19c, result.observations, None, cat) in shown
    assert "没有偃师区分性别的常住人口数" in shown and "全区活产" in shown
    assert "概率怎么算" in shown
    assert all(report.indicator_page(i) in shown for i in scorecard.warned_ids(result.scorecard))
    # the evaluation's own sections, in the order of official practice (issue 16)
    order = ["一、基本情况", "二、总体情况", "三、主要成效", "四、存在的主要问题", "五、妇女发展规划",
             "六、儿童发展规划", "七、预警清单", "八、性别差距与城乡差距", "九、对策建议", "附表：指标达标情况表",
             "附件一", "附件二"]
    at = [shown.index(h) for h in order]
    assert at == sorted(at)
    assert "【待评估组填写】" in shown          # no recommendations file: the place to write is marked
    assert ("进度比较（时间过半、任务过半）" in shown) == (mode == "midterm")
    assert "set `lang" not in shown


@pytest.mark.slow
def test_indicator_notebook(processed, cat, tmp_path):
    scorecard.assess(processed, cat)  # the page reads the scorecard last written: the annual one
    shown = execute("70_indicator", tmp_path, processed_dir=str(processed), catalog=str(config.DEFAULT_CATALOG),
                    indicator_id="C1.9c")
    assert "模拟数据" in shown and "初中生近视率" in shown
    assert "2024年初中生近视率为70.7%" in shown
    assert "加权区间得分" in shown and "选用模型" in shown


@pytest.mark.slow
def test_report_notebook_in_english(processed, cat, tmp_path):
    shown = execute("60_report", tmp_path, processed_dir=str(processed), catalog=str(config.DEFAULT_CATALOG),
                    assessment=str(config.PARAMS_DIR / "assessment.yaml"), lang="en")
    result = scorecard.assess(processed, cat)
    assert "synthetic data" in shown.lower() and "Annual monitoring, 2024" in shown
    assert report.headline_text(result, "en").split("\n\n")[0] in shown
    assert "Achievement rate (achieved ÷ denominator)" in shown
    assert "## 2. Overview" in shown and "## Annex 2: Methods" in shown and "## 7. Early warnings" in shown
    assert "## 3. Main achievements" in shown and "## 4. Main problems" in shown and "## 9. Recommendations" in shown
    assert "[For the expert group to write]" in shown
    assert "Off track" in shown and "On track" in shown
    assert str(cat.indicators.loc["C1.9c", "name_en"]) in shown
    assert "Severity" in shown and "Direction targets" in shown
    for zh in ("一、基本情况", "二、总体情况", "妇女发展规划：分领域评估", "预警清单", "性别差距与城乡差距",
               "附件一", "附件二", "隔离的数值", "有目标值的指标", "达标率", "难以实现", "概率怎么算", "（一）",
               "主要成效", "存在的主要问题", "九、对策建议", "待评估组填写", "已经实现"):
        assert zh not in shown, zh


def test_the_probability_words_and_numbers_are_the_settings(tmp_path):
    """The bands and the bounds come from params/assessment.yaml: with the bounds at 10 % and 90 %
    a probability of 0.07 is 低于10%, not 约5%; a renamed band is what the sentence says."""
    from analysis import config, scorecard
    from analysis.report.sentences import probability_number

    text = config.PARAMS_DIR.joinpath("assessment.yaml").read_text(encoding="utf-8")
    other = tmp_path / "assessment.yaml"
    other.write_text(text.replace("words_below: 0.05", "words_below: 0.1").replace("words_above: 0.95",
                                                                                 "words_above: 0.9")
                     .replace("zh: 很小", "zh: 极小"), encoding="utf-8")
    shipped, wider = scorecard.load_settings(), scorecard.load_settings(other)
    assert probability_number(0.07, "zh", shipped) == "约5%"
    assert probability_number(0.07, "zh", wider) == "低于10%"
    assert probability_number(0.93, "en", wider) == "over 90%"
    assert report.probability_words(0.03, "zh", shipped) == "很小"
    assert report.probability_words(0.03, "zh", wider) == "极小"


def test_bands_out_of_order_or_missing_a_status_threshold_are_refused(tmp_path):
    from analysis import config, scorecard

    text = config.PARAMS_DIR.joinpath("assessment.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "assessment.yaml"
    bad.write_text(text.replace("{from: 0.66, zh: 较大", "{from: 0.7, zh: 较大"), encoding="utf-8")
    with pytest.raises(config.ParamsError, match="bands starting at probability.likely"):
        scorecard.load_settings(bad)
    bad.write_text(text.replace("{from: 0.00, zh: 很小", "{from: 0.05, zh: 很小"), encoding="utf-8")
    with pytest.raises(config.ParamsError, match="'from' falling to 0"):
        scorecard.load_settings(bad)


def test_the_engines_reasons_reach_a_chinese_page_in_chinese():
    from analysis.report.labels import engine_reason_zh

    assert engine_reason_zh("series W2.9b/national/female was not projected: only 1 point: a trend needs at least 2") \
        == "序列 W2.9b/national/female 未作预测：仅有1个观测值，至少需要2个才能判断趋势"
    assert engine_reason_zh("无法预测：not projected: only 3 points: a trend needs at least 2") \
        == "无法预测：未作预测：仅有3个观测值，至少需要2个才能判断趋势"
    assert engine_reason_zh(None) == "" and engine_reason_zh("") == ""


def test_a_number_is_written_as_published_whatever_its_size():
    from analysis.report.numbers import fmt

    assert fmt(17065.0, "人") == "17065人"          # not 1.706e+04人 nor 17065.00人
    assert fmt(123456.7, "人") == "123457人"
    assert fmt(38.95, "%") == "38.95%" and fmt(0.285714) == "0.2857" and fmt(4.0, "‰") == "4‰"
    assert fmt(0.00001) == "0.00" and fmt(float("nan")) == "—"


def test_the_reports_title_and_introduction_are_in_the_pages_language():
    zh, en = report.heading("title", "zh"), report.heading("title", "en")
    assert zh.startswith("# 偃师区妇女儿童发展规划监测报告") and "（2021—2030年）" in zh
    assert not re.search(r"[A-Za-z]{3,}", zh)
    assert en.startswith("# Monitoring Report of the Yanshi District") and "(2021–2030)" in en
    assert not re.search(r"[\u4e00-\u9fff]", en)


@pytest.mark.parametrize(("words", "english"), [
    ("提高", "higher"), ("明显下降", "markedly lower"), ("持续增加", "steadily higher"), ("延长", "longer"),
    ("城乡差距逐步缩小", "urban–rural gap gradually narrower"), ("上升趋势得到有效控制", "rise brought under control"),
    ("进一步巩固提高", "consolidated and still higher"), ("入学巩固率", None),
])
def test_a_direction_target_is_said_in_english_from_the_plans_words(words, english):
    from analysis.report.labels import direction_words_en

    assert direction_words_en(words) == english
    row = pd.Series({"target_kind": "direction", "target_text": words, "target_value": np.nan, "wording": words})
    if english is not None:
        assert sentences.target_words_en(row) == english


def test_the_report_links_only_to_the_indicator_pages_its_run_builds(processed, cat, tmp_path, monkeypatch):
    # a run file without per-indicator pages: no 指标页 link anywhere in the field tables or warnings
    result = scorecard.assess(processed, cat)
    warned = set(scorecard.warned_ids(result.scorecard))
    links = report.warning_list(result).set_index("编号")["详情"]
    assert {i for i, link in links.items() if link} == warned & set(links.index)
    run_file = tmp_path / "run.yaml"
    run_file.write_text("notebooks: [60_report]\nparameters: {}\n", encoding="utf-8")
    monkeypatch.setenv(config.RUN_FILE_ENV, str(run_file))
    assert (report.warning_list(result)["详情"] == "").all()
    assert (report.field_table(result, cat, "C", 1)["详情"] == "").all()
    # a run file listing one page links to that page only
    run_file.write_text("notebooks: [60_report]\nparameters: {}\nper_indicator: {notebook: 70_indicator, "
                        "parameter: indicator_id, indicators: [C1.9c]}\n", encoding="utf-8")
    linked = report.field_table(result, cat, "C", 1).set_index("编号")["详情"]
    assert linked[linked != ""].to_dict() == {"C1.9c": '<a href="70_indicator_C1.9c.html">指标页</a>'}
