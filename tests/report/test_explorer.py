"""The analyst's explorer (80_explore): choices only with data, names resolved as the cleaning
resolves them, helpful errors, the view of a series from the stage tables, the drop-downs."""

from __future__ import annotations

import time

import pytest

from analysis import report
from analysis.catalog import load_catalog


@pytest.fixture(scope="module")
def explorer(processed):
    from analysis.report import style

    style.setup()
    return report.Explorer(processed, load_catalog())


def test_names_are_resolved_as_the_cleaning_resolves_them(explorer):
    cat, obs = explorer.catalog, explorer.observations
    assert report.resolve_selection(cat, obs, "初中生近视率", "偃师区", "女") == report.explorer.Selection(
        "C1.9c", "district", "female")
    assert report.resolve_selection(cat, obs, "c1.9C", "district", "合计").indicator_id == "C1.9c"
    town = report.resolve_selection(cat, obs, "C1.6", "首阳山", "total")   # a town by its short name
    assert town.area == "首阳山街道"


@pytest.mark.parametrize(("choice", "words"), [
    (("C1.9z", "district", "total"), ["不在目录中", "最接近的是", "“C1.9c”"]),
    (("C1.9c", "顾县镇", "total"), ["没有地区“顾县镇”的数据", "偃师区（district）", "全国（national）"]),
    (("C1.9c", "district", "x"), ["没有“x”的数据", "女（female）", "合计（total）"]),
    ((None, "district", "total"), ["没有观测数据", "有数据的指标"]),
])
def test_a_choice_the_data_do_not_have_lists_the_valid_ones(explorer, choice, words):
    if choice[0] is None:   # an indicator of the catalog without any value
        choice = (next(i for i in explorer.catalog.indicators.index
                       if i not in set(explorer.observations["indicator_id"])), *choice[1:])
    with pytest.raises(report.SelectionError) as err:
        report.resolve_selection(explorer.catalog, explorer.observations, *choice)
    for w in words:
        assert w in str(err.value), (w, str(err.value))


def test_the_drop_downs_offer_only_combinations_with_data(explorer):
    obs = explorer.observations
    for _, plan in explorer.plans():
        for _, field in explorer.fields(plan):
            for _, iid in explorer.indicators(plan, field):
                assert (obs["indicator_id"] == iid).any()
                for _, area in explorer.areas(iid):
                    for _, sex in explorer.sexes(iid, area):
                        assert ((obs["indicator_id"] == iid) & (obs["area"] == area) & (obs["sex"] == sex)).any()
    assert explorer.areas("C1.6")[0] == ("偃师区", "district") and explorer.areas("C1.6")[-1][1] == "national"
    assert ("女", "female") in explorer.sexes("C1.9c", "district")


def test_the_view_of_a_series_says_its_verdict_and_shows_its_raw_cells(explorer):
    from IPython.display import Markdown

    parts = explorer.view("C1.9c", "district", "female")
    text = "\n".join(p.data for p in parts if isinstance(p, Markdown))
    row = explorer.assessment.scorecard.query("indicator_id == 'C1.9c' and area == 'district' and sex == 'female'")
    assert f"**评估状态**：{row['status_zh'].iloc[0]}" in text and "初中生近视率" in text
    cells = explorer.raw_cells(report.explorer.Selection("C1.9c", "district", "female"))
    mine = explorer.observations.query("indicator_id == 'C1.9c' and area == 'district' and sex == 'female'")
    assert len(cells) == len(mine) and set(cells["单元格"]) == set(mine["source_cell"])
    assert any(type(p).__name__ == "Figure" for p in parts)


def test_a_series_the_scorecard_does_not_assess_is_still_shown(explorer):
    from IPython.display import Markdown

    parts = explorer.view("C1.9c", "national", "total")
    assert any(isinstance(p, Markdown) and "本序列不单独评估" in p.data for p in parts)


def test_a_change_of_choice_answers_from_memory_in_well_under_a_second(explorer):
    t0 = time.perf_counter()
    for choice in [("C1.9b", "district", "female"), ("C1.3b", "rural", "total"), ("W3.2", "district", "total")]:
        explorer.view(*choice)
    assert (time.perf_counter() - t0) / 3 < 1.0   # a guard against recomputing; the benchmark measures


def test_the_drop_downs_redraw_the_chosen_series(explorer, monkeypatch):
    shown = []
    monkeypatch.setattr(explorer, "show", lambda *choice: shown.append(choice))
    box = explorer.interact("C1.9c", "district", "total")
    plan, field = box.children[0].children
    indicator = box.children[1]
    area, sex, _ = box.children[2].children
    assert shown[-1] == ("C1.9c", "district", "total")
    indicator.value = "C1.9b"
    assert shown[-1] == ("C1.9b", "district", "total")
    sex.value = "female"
    assert shown[-1] == ("C1.9b", "district", "female")
    plan.value = "W"          # another plan: its first field and indicator, and the areas of that one
    assert shown[-1][0] == indicator.value and indicator.value.startswith("W")
    assert [v for _, v in area.options] == [v for _, v in explorer.areas(indicator.value)]


def test_raw_files_newer_than_the_tables_are_said_above_the_view(processed, tmp_path):
    import os
    import shutil

    from IPython.display import Markdown

    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "old.csv").write_text("x", encoding="utf-8")
    made = (processed / "observations.parquet").stat().st_mtime
    os.utime(raw / "old.csv", (made - 10, made - 10))
    shutil.copy(raw / "old.csv", raw / "卫健委_2025.csv")   # arrived after the cleaning
    os.utime(raw / "卫健委_2025.csv", (made + 10, made + 10))
    from analysis.returns import inventory

    assert inventory.newer_raw_files(processed, raw) == ["卫健委_2025.csv"]
    parts = report.Explorer(processed, load_catalog(), raw_dir=raw).view("C1.9c")
    assert isinstance(parts[0], Markdown) and "卫健委_2025.csv" in parts[0].data and "make report" in parts[0].data
