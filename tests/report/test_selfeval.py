"""The member units' self-evaluations on the pages (analysis/report/selfeval.py), on the shipped district:
every qualitative target with its unit's conclusion labelled as the unit's, 未报送 where there is none,
the targets self-assessed 未实现 named in their field and among the problems."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from analysis import report, scorecard
from analysis.catalog import load_catalog
from analysis.clean import selfeval as evaluations
from analysis.report import selfeval
from analysis.synthetic import selfeval as sample

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def cat():
    return load_catalog()


# ``processed``: tests/report/conftest.py (the shipped raw data through every stage)


@pytest.fixture(scope="module")
def result(processed, cat):
    return scorecard.load_assessment(processed, cat)


@pytest.fixture(scope="module")
def latest(processed, result):
    table = pd.read_parquet(processed / "self_evaluations.parquet")
    return evaluations.latest(table, result.year).set_index("indicator_id")


def qualitative_ids(cat) -> list[str]:
    return list(cat.indicators.index[cat.indicators["kind"] == "qualitative"])


def test_the_annex_gives_each_qualitative_target_its_units_conclusion_and_the_unit(result, cat, latest):
    table = report.attainment_table(result, cat).set_index("编号")
    words = {c["code"]: c["zh"] for c in selfeval.selfeval.load_settings().conclusions}
    for i in qualitative_ids(cat):
        want = f"自评：{words[latest.loc[i, 'conclusion']]}" if i in latest.index else "未报送自评"
        assert table.loc[i, "状态"] == want, i
        assert table.loc[i, "报送单位"] == cat.indicators.at[i, "department"]
        assert table.loc[i, "达标（向好）概率"] == "—"
    silent = cat.indicators.index[cat.indicators["department"] == sample.NOT_REPORTING]
    assert (table.loc[[i for i in silent if i in qualitative_ids(cat)], "状态"] == "未报送自评").all()
    assert not table["状态"].str.contains("不评分").any()
    en = report.attainment_table(result, cat, "en").set_index("ID")
    assert en.loc[qualitative_ids(cat), "Status"].str.match(r"self-assess(ed: |ment not reported)").all()
    assert not en["Status"].map(lambda s: bool(CJK.search(s))).any()


def test_the_headline_counts_match_the_table_read_from_the_forms(result, cat, latest):
    h = result.headline
    q = h["qualitative"]
    mine = latest[latest.index.isin(qualitative_ids(cat))]
    assert q["by_conclusion"] == {c: int((mine["conclusion"] == c).sum()) for c in q["by_conclusion"]}
    assert q["not_reported"] == len(qualitative_ids(cat)) - len(mine) >= 3          # 网信办's 3 at least
    text = report.headline_text(result)
    assert f"定性目标{h['n_qualitative']}项：据成员单位自评，" in text and f"未报送{q['not_reported']}项" in text
    assert h["rate"] == h["counts"]["achieved"] / h["denominator"]                 # the rate is the values' alone


def test_a_field_table_says_a_qualitative_target_in_its_units_words(result, cat, latest):
    table = report.field_table(result, cat, "W", 2).set_index("编号")
    said = table.loc["W2.1", "说明"]
    assert said.startswith(f"定性目标，据成员单位自评（妇联，{result.year}年度）：") and "（模拟）" in said
    silent = next(i for i in qualitative_ids(cat) if cat.indicators.at[i, "department"] == sample.NOT_REPORTING)
    e = cat.indicators.loc[silent]
    table = report.field_table(result, cat, e["plan"], int(e["field"])).set_index("编号")
    assert table.loc[silent, "说明"] == f"定性目标：成员单位（{sample.NOT_REPORTING}）未报送自评。"


def test_the_targets_self_assessed_not_achieved_are_named_in_their_field_and_among_the_problems(result, cat, latest):
    missed = latest[latest["conclusion"] == "not_achieved"]
    assert len(missed) >= 3
    for (plan, field), group in missed.groupby(["plan", missed.index.map(cat.indicators["field"])]):
        note = report.self_evaluation_note(result, cat, plan, int(field))
        assert note.startswith(f"据成员单位自评，本领域定性目标中未实现的有{len(group)}项：")
        assert all(f"{cat.indicators.at[i, 'name_zh']}（{d}）" in note for i, d in group["department"].items())
    with_missed = {(p, int(f)) for p, f in zip(missed["plan"], missed.index.map(cat.indicators["field"]), strict=True)}
    fields = {(e["plan"], int(e["field"])) for _, e in cat.indicators.iterrows()}
    quiet = sorted(fields - with_missed)
    assert quiet and all(report.self_evaluation_note(result, cat, p, f) == "" for p, f in quiet)
    problems = report.problems(result, cat)
    assert f"据成员单位自评尚未实现的定性目标{len(missed)}项" in problems
    assert all(cat.indicators.at[i, "name_zh"] in problems for i in missed.index)


def test_the_scorecard_pages_list_lists_every_qualitative_target(result, cat):
    table = report.qualitative_table(result, cat)
    assert list(table["编号"]) == qualitative_ids(cat)
    assert table["自评结论"].str.match(r"(自评：|未报送自评)").all()
    assert (table.loc[table["自评结论"] == "未报送自评", "自评年度"] == "—").all()


def test_the_status_chart_draws_the_qualitative_targets_by_their_units_conclusion_hatched(result, cat):
    import matplotlib.pyplot as plt

    from analysis.report import style

    style.setup()
    fig = report.status_chart(result, cat)
    ax = fig.axes[0]
    hatched = [b for c in ax.containers for b in c if b.get_hatch()]
    plain = [b for c in ax.containers for b in c if not b.get_hatch()]
    q = selfeval.qualitative_rows(result, cat)
    assert round(sum(b.get_width() for b in hatched)) == len(q) == 102
    by_label = {c.get_label(): round(sum(b.get_width() for b in c)) for c in ax.containers}
    for code, n in q["conclusion"].value_counts().items():
        assert by_label[selfeval.self_assessed(code)] == n
    assert "定性目标" not in by_label          # no longer one grey lump
    headline = result.scorecard[result.scorecard["is_headline"] & (result.scorecard["status"] != "qualitative")]
    assert round(sum(b.get_width() for b in plain)) == len(headline)
    plt.close(fig)
