"""The self-evaluation form: written by plan-monitor self-evaluation-form, filled in, read back exactly;
every faulty row kept out with its cell and the reason in Chinese, every faulty file named."""

from __future__ import annotations

import openpyxl
import pytest
from typer.testing import CliRunner

from analysis import clean, returns
from analysis.catalog import load_catalog
from analysis.pipeline.cli import app
from analysis.returns import selfeval, template


@pytest.fixture(scope="module")
def cat():
    return load_catalog()


def blank_form(tmp_path, department="卫健委", year=2024, name="自评.xlsx"):
    """A unit's blank form in a raw folder of its own."""
    raw = tmp_path / "raw"
    raw.mkdir(exist_ok=True)
    return selfeval.write_form(load_catalog(), department, year, raw / name)


def row_of(path, indicator_id) -> int:
    ws = openpyxl.load_workbook(path)[selfeval.DATA_SHEET]
    return next(r for r in range(selfeval.FIRST_DATA_ROW, ws.max_row + 1) if ws[f"A{r}"].value == indicator_id)


def edit(path, **cells) -> None:
    """Type into cells of the form's data sheet as a person would (``E7="基本完成"``)."""
    wb = openpyxl.load_workbook(path)
    for ref, value in cells.items():
        wb[selfeval.DATA_SHEET][ref] = value
    wb.save(path)


# --- the form ------------------------------------------------------------------------------------------


def test_the_cli_writes_a_row_per_qualitative_target_of_the_unit_with_the_plans_sentence(tmp_path, cat):
    out = tmp_path / "卫健委自评.xlsx"
    result = CliRunner().invoke(app, ["self-evaluation-form", "--department", "卫健委", "--year", "2024",
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(out)
    ws = wb[selfeval.DATA_SHEET]
    ids = [ws[f"A{r}"].value for r in range(selfeval.FIRST_DATA_ROW, ws.max_row + 1)]
    t = cat.indicators
    mine = t[(t["kind"] == "qualitative") & (t["department"] == "卫健委")]
    assert sorted(ids) == sorted(mine["id"]) and len(ids) == 10          # 卫健委 leads 10 qualitative targets
    assert "10 qualitative targets for 卫健委, 2024" in " ".join(result.output.split())
    r = ids.index("W1.4") + selfeval.FIRST_DATA_ROW
    assert [ws[f"{c}{r}"].value for c in "ABCD"] == ["W1.4", "妇女", "妇女与健康", t.at["W1.4", "source"]]
    headings = [ws[f"{c}{selfeval.HEADER_ROW}"].value for c in "EFGH"]
    assert headings == ["自评结论", "进展说明", "佐证材料", "填报人/备注"]
    assert "偃师区" in ws["A1"].value and "2024年度" in ws["A1"].value and "偃师区卫生健康委员会" in ws["A2"].value
    (choice,) = ws.data_validations.dataValidation
    assert choice.type == "list" and choice.formula1 == '"已实现,基本实现,未实现,无法评估"'
    assert f"E{selfeval.FIRST_DATA_ROW}" in str(choice.sqref)
    form = wb[template.FORM_SHEET]
    assert form.sheet_state == "hidden"
    info = {form.cell(i, 1).value: form.cell(i, 2).value for i in range(1, form.max_row + 1)}
    assert info == {"form": selfeval.FORM_ID, "version": 1, "department": "卫健委", "year": 2024,
                    "catalog_sha256": template.catalog_checksum(cat), "rows": 10}


def test_the_same_form_twice_is_the_same_bytes(tmp_path, cat):
    a = selfeval.write_form(cat, "妇联", 2024, tmp_path / "a.xlsx")
    b = selfeval.write_form(cat, "妇联", 2024, tmp_path / "b.xlsx")
    assert a.read_bytes() == b.read_bytes()


@pytest.mark.parametrize("args, words", [
    (["--department", "外星局", "--year", "2024"], "not in params/departments.yaml"),
    (["--department", "统计局", "--year", "2024"], "no qualitative target led by 统计局"),
    (["--department", "卫健委", "--year", "2019"], "outside the plan period 2021–2030"),
])
def test_the_cli_refuses_a_unit_or_year_it_cannot_make_a_form_for(tmp_path, args, words):
    result = CliRunner().invoke(app, ["self-evaluation-form", *args, "--out", str(tmp_path / "x.xlsx")])
    assert result.exit_code == 2 and words in " ".join(result.output.split())
    assert not (tmp_path / "x.xlsx").exists()


# --- round trip ------------------------------------------------------------------------------------------


def test_a_filled_form_reads_back_exactly_what_the_unit_wrote(tmp_path):
    form = blank_form(tmp_path)
    written = [
        {"indicator_id": "W1.4", "conclusion": "已实现", "progress": "开展婚前孕前保健宣传120场。",
         "evidence": "《2024年妇幼健康工作总结》", "note": "张三"},
        # white space around the word is folded (an ideographic space too)
        {"indicator_id": "C1.1", "conclusion": " 基本实现\u3000", "progress": "儿童医院二期在建。"},
        {"indicator_id": "C1.2", "conclusion": "未实现", "progress": "健康素养监测未开展。", "evidence": 2024},
        {"indicator_id": "C1.4", "conclusion": "无法评估", "progress": "缺少统计口径。"},
    ]
    selfeval.fill_form(form, written)
    result = clean.clean(form.parent)
    se = result.self_evaluations.set_index("indicator_id")
    assert result.quarantine.empty and result.problems.empty
    assert list(se.index) == ["W1.4", "C1.1", "C1.2", "C1.4"]                  # plan order
    assert list(se["conclusion"]) == ["achieved", "basically_achieved", "not_achieved", "cannot_assess"]
    assert se.loc["W1.4", ["progress", "evidence", "note", "department", "year", "plan"]].tolist() == \
        ["开展婚前孕前保健宣传120场。", "《2024年妇幼健康工作总结》", "张三", "卫健委", 2024, "W"]
    assert se.loc["C1.2", "evidence"] == "2024"
    assert se.loc["C1.1", "source_cell"] == f"E{row_of(form, 'C1.1')}" and se.loc["C1.1", "source_sheet"] == "自评表"
    assert (se["flags"] == "").all()
    e = result.summary["self_evaluations"]
    assert (e["forms"], e["rows_read"], e["kept"], e["quarantined"], e["holds"]) == (1, 4, 4, 0, True)
    assert result.files.set_index("file").loc["自评.xlsx", "read_as"] == "self-evaluation (卫健委, 2024)"
    assert clean.read_as_zh("self-evaluation (卫健委, 2024)") == "定性目标自评表（卫健委，2024年）"


def test_a_conclusion_without_progress_notes_is_kept_and_flagged(tmp_path):
    form = blank_form(tmp_path)
    selfeval.fill_form(form, [{"indicator_id": "W1.4", "conclusion": "已实现"}])
    (row,) = clean.clean(form.parent).self_evaluations.to_dict("records")
    assert (row["conclusion"], row["progress"], row["flags"]) == ("achieved", "", "no_progress")


# --- faulty rows: quarantined at their cell, in Chinese ------------------------------------------------------


@pytest.mark.parametrize("entry, column, reason, raw, words", [
    ({"conclusion": "基本完成", "progress": "x"}, "E", "conclusion_not_allowed", "基本完成",
     "自评结论“基本完成”不是规定用语，只能是已实现、基本实现、未实现、无法评估之一"),
    ({"conclusion": "已完成", "progress": "x"}, "E", "conclusion_not_allowed", "已完成", "不作近义词推断"),
    ({"conclusion": "已 实现（大部分）", "progress": "x"}, "E", "conclusion_not_allowed", "已 实现（大部分）",
     "不是规定用语"),
    ({"progress": "今年开展了专项行动。"}, "E", "no_conclusion", "今年开展了专项行动。", "未选择自评结论"),
])
def test_a_faulty_conclusion_is_quarantined_at_its_cell_with_the_allowed_words(tmp_path, entry, column, reason,
                                                                                raw, words):
    form = blank_form(tmp_path)
    selfeval.fill_form(form, [{"indicator_id": "C1.1", **entry}, {"indicator_id": "W1.4", "conclusion": "已实现",
                                                                   "progress": "y"}])
    result = clean.clean(form.parent)
    (q,) = result.quarantine.to_dict("records")
    assert (q["source_file"], q["source_sheet"], q["source_cell"]) == ("自评.xlsx", "自评表",
                                                                       f"{column}{row_of(form, 'C1.1')}")
    assert (q["reason"], q["raw_value"], q["indicator_id"], q["year"]) == (reason, raw, "C1.1", 2024)
    assert words in q["message"] and q["message_en"]
    assert list(result.self_evaluations["indicator_id"]) == ["W1.4"]            # the good row is kept


@pytest.mark.parametrize("written, reason, indicator, words", [
    ("W9.9", "unknown_target", None, "“W9.9”不是指标目录（params/indicators.yaml）中的目标编号"),
    (None, "unknown_target", None, "没有目标编号"),
    ("W1.2a", "not_qualitative", "W1.2a", "W1.2a（孕产妇死亡率）是有目标值的指标，其数据通过监测数据填报表报送"),
    ("W2.1", "other_department", "W2.1", "W2.1（妇女思想政治教育）由妇联牵头，不在卫健委的自评范围内"),
])
def test_a_row_naming_a_target_it_cannot_be_for_is_quarantined_at_the_id_cell(tmp_path, written, reason, indicator,
                                                                               words):
    form = blank_form(tmp_path)
    r = row_of(form, "C1.1")
    edit(form, **{f"A{r}": written, f"E{r}": "已实现", f"F{r}": "说明"})
    q = clean.clean(form.parent).quarantine.iloc[0]
    assert (q["source_cell"], q["reason"], q["indicator_id"]) == (f"A{r}", reason, indicator)
    assert words in q["message"]


def test_a_target_evaluated_twice_the_same_keeps_the_first_and_twice_differently_keeps_neither(tmp_path):
    form = blank_form(tmp_path)
    r1, r2 = row_of(form, "C1.1"), row_of(form, "C1.2")
    same = {"conclusion": "基本实现", "progress": "同一说明"}
    selfeval.fill_form(form, [{"indicator_id": "C1.1", **same}])
    edit(form, **{f"A{r2}": "C1.1", f"E{r2}": "基本实现", f"F{r2}": "同一说明"})     # the row copied over C1.2's
    result = clean.clean(form.parent)
    assert result.self_evaluations[["indicator_id", "source_cell"]].values.tolist() == [["C1.1", f"E{r1}"]]
    (q,) = result.quarantine.to_dict("records")
    assert (q["reason"], q["source_cell"]) == ("duplicate_self_evaluation", f"E{r2}") and f"E{r1}" in q["message"]
    # a second form for the same year that says otherwise: every row of the target is quarantined
    other = selfeval.write_form(load_catalog(), "卫健委", 2024, form.parent / "自评_补报.xlsx")
    selfeval.fill_form(other, [{"indicator_id": "C1.1", "conclusion": "已实现", "progress": "另一说明"}])
    result = clean.clean(form.parent)
    assert "C1.1" not in set(result.self_evaluations["indicator_id"])
    conflicts = result.quarantine[result.quarantine["reason"] == "conflicting_self_evaluation"]
    assert sorted(conflicts["source_file"]) == ["自评.xlsx", "自评.xlsx", "自评_补报.xlsx"]
    assert all("哪一行正确须由填报单位确定" in m for m in conflicts["message"])
    assert result.summary["self_evaluations"]["rows_read"] == 3 and result.summary["self_evaluations"]["holds"]


# --- faulty files: named, the other files still read ------------------------------------------------------


def _form_cell(path, key, value):
    wb = openpyxl.load_workbook(path)
    ws = wb[template.FORM_SHEET]
    r = next(i for i in range(1, ws.max_row + 1) if ws.cell(i, 1).value == key)
    ws.cell(r, 2, value)
    wb.save(path)
    return f"{template.FORM_SHEET}!B{r}"


@pytest.mark.parametrize("break_it, words", [
    (lambda p: _form_cell(p, "year", 2019), "写明报表年份为2019年，不在规划期（2021—2030年）之内"),
    (lambda p: _form_cell(p, "year", 2031), "不在规划期（2021—2030年）之内"),
    (lambda p: _form_cell(p, "department", "外星局"), "应为填报单位（params/departments.yaml 中的单位），但为“外星局”"),
    (lambda p: edit(p, E5="进展说明", F5="自评结论"), "E5为“进展说明”（表样为“自评结论”）"),
    (lambda p: _rename(p), "缺少数据工作表“自评表”"),
])
def test_a_form_that_cannot_be_read_is_named_and_the_other_files_are_still_read(tmp_path, break_it, words):
    form = blank_form(tmp_path, name="坏表.xlsx")
    selfeval.fill_form(form, [{"indicator_id": "W1.4", "conclusion": "已实现", "progress": "x"}])
    where = break_it(form)
    good = selfeval.write_form(load_catalog(), "妇联", 2024, form.parent / "妇联自评.xlsx")
    selfeval.fill_form(good, [{"indicator_id": "W2.1", "conclusion": "已实现", "progress": "x"}])
    result = clean.clean(form.parent)
    (problem,) = result.problems.to_dict("records")
    assert problem["source_file"] == "坏表.xlsx" and words in problem["problem"] and problem["problem_en"]
    if isinstance(where, str):
        assert where in problem["problem"]
    assert list(result.self_evaluations["indicator_id"]) == ["W2.1"]


def _rename(path):
    wb = openpyxl.load_workbook(path)
    wb[selfeval.DATA_SHEET].title = "Sheet1"
    wb.save(path)


def test_every_filled_cell_is_a_cell_a_row_was_read_from(tmp_path):
    form = blank_form(tmp_path)
    r = row_of(form, "C1.2")
    selfeval.fill_form(form, [{"indicator_id": "W1.4", "conclusion": "已实现", "progress": "x", "evidence": "y"}])
    edit(form, **{f"H{r}": "本单位不牵头此项"})            # a note alone: read, and quarantined (no conclusion)
    read = returns.read_raw(form.parent)
    wb = openpyxl.load_workbook(form)
    assert selfeval.content_cells(wb) == returns.read.accounted_cells(read.self_evaluations)
    assert len(read.self_evaluations) == 2 and read.unaccounted == []
    q = clean.clean(form.parent).quarantine.iloc[0]
    assert (q["reason"], q["source_cell"], q["raw_value"]) == ("no_conclusion", f"E{r}", "本单位不牵头此项")
