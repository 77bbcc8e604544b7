"""The evaluation's 主要成效, 存在的主要问题, 对策建议 and 附表 (analysis/report/evaluation.py).

Drafted from the stage tables on the shipped district: every number and name said must be the
scorecard's; the recommendations come only from the expert group's file, whose mistakes are
named in Chinese and never stop the report.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import yaml

from analysis import gaps, report, scorecard
from analysis.catalog import load_catalog
from analysis.report import evaluation


@pytest.fixture(scope="module")
def cat():
    return load_catalog()


# ``processed``: tests/report/conftest.py


@pytest.fixture(scope="module")
def result(processed, cat):
    return scorecard.assess(processed, cat, mode="midterm")


@pytest.fixture(scope="module")
def narrowing(processed, cat):
    return gaps.load(processed, cat).narrowing


def _headline(result):
    return result.scorecard[result.scorecard["is_headline"]]


def test_achievements_name_every_achieved_target_and_only_real_improvements(result, cat, narrowing):
    text = report.achievements(result, cat, narrowing)
    # the targets the headline counts (headline.count: monitorable): C1.M2a, achieved but not
    # monitorable (its value is W1.10's), is not among them, so 成效 and the headline agree
    assert result.settings.headline_count == "monitorable"
    hl = _headline(result)
    achieved = hl[(hl["status"] == "achieved") & hl["monitorable"]]
    assert ((hl["status"] == "achieved") & ~hl["monitorable"]).any()
    assert len(achieved) == scorecard.headline(result.scorecard, result.settings)["counts"]["achieved"]
    assert f"一是{len(achieved)}项目标已经实现" in text
    assert all(name in text for name in achieved["name_zh"])
    assert sum(int(n) for n in re.findall(r"（(\d+)项）：", text)) == len(achieved)
    # and the units' own words on the qualitative targets, counted apart (据成员单位自评)
    from analysis.report import selfeval

    done = selfeval.with_conclusion(result, cat, "achieved")
    assert f"是据成员单位自评，定性目标已实现{len(done)}项" in text and len(done)
    assert all(name in text for name in done["name_zh"])
    top = evaluation.improvements(result, cat)
    assert len(top) >= evaluation.TOP_IMPROVEMENTS
    better = top["indicator_id"].map(cat.indicators["better"])
    change = top["latest_value"] - top["baseline_value"]
    assert ((better == "higher") & (change > 0) | (better == "lower") & (change < 0)).all()
    assert top["indicator_id"].map(cat.indicators["gap_of"]).isna().all()   # gaps are judged by the gaps stage
    first = top.iloc[0]
    assert f"{first['name_zh']}由{result.settings.baseline_year}年的" in text
    assert "城乡差距由" not in text


def test_problems_list_every_target_off_track_at_risk_or_worsening_with_its_facts(result, cat, narrowing):
    text = report.problems(result, cat, narrowing)
    hl = _headline(result)
    for status in ("off_track", "at_risk", "worsening"):
        rows = hl[hl["status"] == status]
        for _, r in rows.iterrows():
            line = next(line for line in text.splitlines() if line.startswith(f"- {r['name_zh']}（目标："))
            if np.isfinite(r["latest_value"]) and not r["fact_zh"]:
                assert f"{int(r['latest_year'])}年为" in line
    counts = scorecard.headline(result.scorecard, result.settings)["counts"]
    assert f"{counts['insufficient_data']}项有目标值的指标暂无可用数据" in text     # the headline's 数据不足
    assert not re.search(r"[A-Za-z]{3,}", text.replace("W1.2a", ""))


def test_recommendations_merge_the_expert_groups_file_and_mark_the_rest(result, cat, tmp_path):
    empty = report.recommendations(result, cat, tmp_path / "none.yaml")
    fields = list(dict.fromkeys(_headline(result)["plan"] + _headline(result)["field"].astype(str)))
    assert empty.count("【待评估组填写】") == len(fields) + 1
    given = tmp_path / "对策建议.yaml"
    given.write_text("总体: |\n  建立妇儿工委成员单位季度会商机制。\n\nW1: |\n  加强孕产妇全程健康管理。\n\n  "
                     "推进宫颈癌和乳腺癌筛查扩面。\nC1:\n", encoding="utf-8")
    text = report.recommendations(result, cat, given)
    assert "建立妇儿工委成员单位季度会商机制。" in text
    w1 = text.index("妇女与健康")
    assert text.index("加强孕产妇全程健康管理。") > w1 and "推进宫颈癌和乳腺癌筛查扩面。" in text
    assert text.count("【待评估组填写】") == len(fields) - 1       # 总体 and W1 written; C1 left empty


@pytest.mark.parametrize("content, words", [
    ("X9: 文字\n", "未知的领域编号“X9”"),
    ("W1: [1, 2]\n", "“W1”下应为文字段落"),
    ("- W1\n- 文字\n", "应为“领域编号: 文字”的形式"),
    ("W1: |\n  a\n b: c\n", "不是有效的YAML文件"),
])
def test_a_faulty_recommendations_file_is_named_and_the_report_still_built(result, cat, tmp_path, content, words):
    bad = tmp_path / "对策建议.yaml"
    bad.write_text(content, encoding="utf-8")
    with pytest.raises(evaluation.RecommendationsError, match=re.escape(words)):
        evaluation.read_recommendations(bad, cat)
    text = report.recommendations(result, cat, bad)
    assert text.startswith("> **对策建议文件有误，未能并入：**") and words in text and "对策建议.yaml" in text
    assert "【待评估组填写】" in text


def test_the_template_lists_every_field_and_reads_as_empty(cat):
    data = yaml.safe_load(evaluation.RECOMMENDATIONS_TEMPLATE.read_text(encoding="utf-8"))
    assert list(data) == [evaluation.GENERAL, *cat.fields]
    assert evaluation.read_recommendations(evaluation.RECOMMENDATIONS_TEMPLATE, cat) == {}


def test_the_annex_table_holds_every_target_with_its_status(result, cat):
    table = report.attainment_table(result, cat)
    hl = _headline(result)
    assert len(table) == len(hl) == len(cat.indicators)
    assert list(table["编号"]) == list(hl["indicator_id"])
    scored = (hl["target_kind"] != "qualitative").to_numpy()   # a qualitative target's: tests/report/test_selfeval.py
    assert (table["状态"].to_numpy()[scored] == hl["status_zh"].to_numpy()[scored]).all()
    assert (table["报送单位"].to_numpy() == hl["indicator_id"].map(cat.indicators["department"]).to_numpy()).all()
    assert not table.isna().any().any() and not table.astype(str).apply(lambda c: c.str.contains("nan")).any().any()
    en = report.attainment_table(result, cat, "en")
    assert list(en.columns) == ["ID", "Indicator", f"Baseline ({result.settings.baseline_year})", "Latest", "Target",
                                "Status", "P(met / improving)", "Reporting unit"]


def test_the_annex_gives_the_probability_as_a_number_the_sentences_in_words(result, cat):
    from analysis.report.sentences import probability_words

    table = report.attainment_table(result, cat).set_index("编号")
    hl = _headline(result).set_index("indicator_id")
    scored = hl[hl["p_meet"].notna()]
    assert len(scored) > 10
    for i, p in scored["p_meet"].items():
        shown = table.loc[i, "达标（向好）概率"]
        if p < 0.05:
            assert shown == "低于5%"
        elif p > 0.95:
            assert shown == "高于95%"
        else:  # to the nearest 5 %: never "约83%"
            assert shown == f"约{5 * round(20 * p)}%" and int(shown[1:-1]) % 5 == 0
    assert (table.loc[hl["p_meet"].isna(), "达标（向好）概率"] == "—").all()
    # the words agree with the status beside them: 较大/很大 only for on track or achieved
    st = result.settings
    for i, r in scored.iterrows():
        words = probability_words(r["p_meet"], "zh", st)
        if r["status"] == "on_track":
            assert words in ("很大", "较大"), (i, r["p_meet"], words)
        if r["status"] == "off_track":
            assert words in ("较小", "很小"), (i, r["p_meet"], words)


def test_the_midterm_progress_table_is_the_scorecards_schedule(result, cat):
    table = report.progress_table(result, cat)
    hl = _headline(result)
    assert len(table) == int((hl["schedule"] != "").sum()) > 0
    assert isinstance(table, pd.DataFrame) and "进度" in table.columns
