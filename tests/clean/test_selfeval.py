"""The self-evaluations in the clean stage: written with the other tables as one set, every year kept,
the latest up to a year shown, and a row lost on the way failing the stage."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from analysis import clean, returns
from analysis.catalog import load_catalog
from analysis.clean import selfeval as evaluations
from analysis.pipeline.cli import app
from analysis.returns import selfeval
from tests.builders import fail_parquet_writes


def forms(raw, years=(2023, 2024)) -> None:
    """卫健委's forms of two years: W1.4 differently each year, C1.1 only in 2023."""
    raw.mkdir(exist_ok=True)
    cat = load_catalog()
    answers = {2023: [{"indicator_id": "W1.4", "conclusion": "基本实现", "progress": "推进中"},
                      {"indicator_id": "C1.1", "conclusion": "未实现", "progress": "滞后"}],
               2024: [{"indicator_id": "W1.4", "conclusion": "已实现", "progress": "完成"}]}
    for y in years:
        path = selfeval.write_form(cat, "卫健委", y, raw / f"卫健委自评_{y}.xlsx")
        selfeval.fill_form(path, answers[y])


def test_every_year_is_kept_and_the_latest_up_to_a_year_is_shown(tmp_path):
    forms(tmp_path / "raw")
    table = clean.clean(tmp_path / "raw").self_evaluations
    assert sorted(zip(table["indicator_id"], table["year"], table["conclusion"], strict=True)) == [
        ("C1.1", 2023, "not_achieved"), ("W1.4", 2023, "basically_achieved"), ("W1.4", 2024, "achieved")]
    latest = evaluations.latest(table, 2024).set_index("indicator_id")
    assert latest.loc["W1.4", ["year", "conclusion"]].tolist() == [2024, "achieved"]       # the 2024 form wins
    assert latest.loc["C1.1", ["year", "conclusion"]].tolist() == [2023, "not_achieved"]   # no 2024 row: 2023's
    earlier = evaluations.latest(table, 2023).set_index("indicator_id")
    assert earlier.loc["W1.4", "conclusion"] == "basically_achieved"                       # as it stood in 2023
    assert evaluations.latest(table, 2022).empty


def test_the_clean_command_writes_self_evaluations_with_the_other_tables(tmp_path):
    raw, out = tmp_path / "raw", tmp_path / "processed"
    forms(raw)
    result = CliRunner().invoke(app, ["clean", "--raw", str(raw), "--out", str(out)])
    assert result.exit_code == 0, result.output
    table = pd.read_parquet(out / "self_evaluations.parquet")
    assert list(table.columns) == ["plan", "indicator_id", "department", "year", "conclusion", "progress", "evidence",
                                   "note", "source_file", "source_sheet", "source_cell", "flags"]
    assert len(table) == 3
    summary = json.loads((out / "cleaning_summary.json").read_text(encoding="utf-8"))
    assert summary["self_evaluations"] == {"forms": 2, "rows_read": 3, "kept": 3, "no_progress": 0,
                                           "quarantined": 0, "quarantined_by_reason": {},
                                           "cells_unaccounted": 0, "holds": True}
    # a refused row makes the command exit 1, as a quarantined value does
    selfeval.fill_form(raw / "卫健委自评_2024.xlsx", [{"indicator_id": "C1.2", "conclusion": "基本完成"}])
    assert CliRunner().invoke(app, ["clean", "--raw", str(raw), "--out", str(out)]).exit_code == 1
    q = pd.read_parquet(out / "quarantine.parquet")
    assert q["reason"].tolist() == ["conclusion_not_allowed"]


def test_a_write_that_fails_on_the_self_evaluations_leaves_every_previous_table_whole(tmp_path, monkeypatch):
    raw, out = tmp_path / "raw", tmp_path / "processed"
    forms(raw, years=(2023,))
    clean.write(clean.clean(raw), out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    forms(raw)
    result = clean.clean(raw)
    fail_parquet_writes(monkeypatch, "self_evaluations")
    with pytest.raises(OSError, match="disk full"):
        clean.write(result, out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_a_table_breaking_its_contract_is_not_written(tmp_path):
    raw, out = tmp_path / "raw", tmp_path / "processed"
    forms(raw)
    result = clean.clean(raw)
    result.self_evaluations.loc[0, "conclusion"] = "基本完成"        # a word, not a code of params/selfeval.yaml
    with pytest.raises(Exception, match="self_evaluations breaks its contract"):
        clean.write(result, out)
    assert not out.exists() or not any(out.iterdir())


def test_a_reader_that_loses_a_row_makes_clean_fail_naming_the_cells(tmp_path, monkeypatch):
    """The identity is counted from the form's cells, apart from the reader: a reader that drops a row
    (here the last one) is caught, and the stage stops — no table is written over a lost conclusion."""
    forms(tmp_path / "raw", years=(2023,))
    honest = selfeval.read_form

    def lossy(*args, **kwargs):
        return honest(*args, **kwargs)[:-1]

    monkeypatch.setattr(selfeval, "read_form", lossy)
    with pytest.raises(AssertionError, match=r"self-evaluation accounting broken: 1 rows read.*"
                                             r"2 filled cell\(s\) no row was read from: .*自评表!E7"):
        clean.clean(tmp_path / "raw")


def test_an_interpreter_that_loses_a_row_makes_clean_fail(tmp_path, monkeypatch):
    # rows read = kept + quarantined, checked apart from the cells: a row dropped after reading is caught too
    forms(tmp_path / "raw", years=(2023,))
    honest = evaluations.resolve_duplicates

    def lossy(kept, records):
        rows, quarantined = honest(kept, records)
        return rows[:-1], quarantined

    monkeypatch.setattr(evaluations, "resolve_duplicates", lossy)
    with pytest.raises(AssertionError, match="2 rows read, 1 kept \\+ 0 quarantined"):
        clean.clean(tmp_path / "raw")


def test_a_bad_form_is_read_whole_or_not_at_all(tmp_path, monkeypatch):
    # a reader failing half-way leaves nothing of that file among the rows read
    forms(tmp_path / "raw", years=(2023, 2024))

    def failing(wb, info, source_file):
        if "2024" in source_file:
            raise RuntimeError("boom")
        return honest(wb, info, source_file)

    honest = selfeval.read_form
    monkeypatch.setattr(selfeval, "read_form", failing)
    read = returns.read_raw(tmp_path / "raw")
    assert {r["source_file"] for r in read.self_evaluations} == {"卫健委自评_2023.xlsx"}
    assert [p["source_file"] for p in read.problems] == ["卫健委自评_2024.xlsx"]
