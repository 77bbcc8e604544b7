"""The standard return: written by plan-monitor template, filled in, read back exactly."""

import math

import openpyxl
import pytest
from typer.testing import CliRunner

from analysis import clean
from analysis.catalog import load_catalog
from analysis.pipeline.cli import app
from analysis.returns import template


def test_a_filled_template_reads_back_exactly_the_values_written(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    form = raw / "卫健委_2024.xlsx"
    result = CliRunner().invoke(app, ["template", "--department", "卫健委", "--year", "2024", "--out", str(form)])
    assert result.exit_code == 0, result.output
    written = [
        {"indicator_id": "W1.2a", "area": "偃师区", "sex": "total", "value": 25.0, "numerator": 1,
         "denominator": 4000},
        {"indicator_id": "W1.2a", "area": "农村", "sex": "total", "numerator": 1, "denominator": 2500},
        {"indicator_id": "C1.3b", "area": "偃师区", "sex": "female", "value": 2.63, "numerator": 5,
         "denominator": 1900},
        {"indicator_id": "C1.3b", "area": "偃师区", "sex": "male", "value": "２．８６", "numerator": 6,
         "denominator": 2100},
        {"indicator_id": "C1.3b", "area": "偃师区", "sex": "total", "value": 2.75, "numerator": 11,
         "denominator": 4000},
        {"indicator_id": "C1.6", "area": "大口镇", "sex": "total", "value": 89.5},
        {"indicator_id": "C1.6", "area": "首阳山街道", "sex": "total", "value": "99.1%"},
    ]
    template.fill_template(form, written)
    obs = clean.clean(raw).observations.set_index(["indicator_id", "area", "sex"])
    assert len(obs) == len(written)
    assert obs.loc[("W1.2a", "district", "total"), ["value", "numerator", "denominator", "year"]].tolist() == \
        [25.0, 1.0, 4000.0, 2024]
    assert obs.loc[("W1.2a", "rural", "total"), "value"] == pytest.approx(40.0)  # 1/2500 × 100000
    assert obs.loc[("C1.3b", "district", "male"), "value"] == 2.86
    assert obs.loc[("C1.3b", "district", "total"), "value"] == 2.75
    assert obs.loc[("C1.6", "大口镇", "total"), "value"] == 89.5
    assert obs.loc[("C1.6", "首阳山街道", "total"), "value"] == 99.1
    assert math.isnan(obs.loc[("C1.6", "大口镇", "total"), "numerator"])


def test_the_template_has_validation_merged_headers_and_a_hidden_form_sheet(tmp_path):
    path = template.write_template(load_catalog(), "教体局", 2024, tmp_path / "t.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb[template.DATA_SHEET]
    assert wb[template.FORM_SHEET].sheet_state == "hidden"
    assert "E5:G5" in {str(r) for r in ws.merged_cells.ranges}
    rules = {dv.type: dv for dv in ws.data_validations.dataValidation}
    assert rules["decimal"].operator == "greaterThanOrEqual"
    assert "统计报表" in rules["list"].formula1
    c19c = next(r for r in range(7, ws.max_row + 1) if ws[f"A{r}"].value == "C1.9c")
    assert ws[f"C{c19c}"].value == "%" and ws[f"B{c19c}"].value == "初中生近视率"
    # the same form twice is the same bytes (forms can be checked against a regeneration)
    again = template.write_template(load_catalog(), "教体局", 2024, tmp_path / "t2.xlsx")
    assert path.read_bytes() == again.read_bytes()
