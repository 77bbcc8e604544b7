"""plan-monitor catalog: the catalog as a table or CSV, with filters."""

import io
import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from analysis import catalog, config
from analysis.pipeline.cli import app

runner = CliRunner()
FIXTURES = Path(__file__).parents[1] / "fixtures"


def read_csv(output: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(output), dtype=str, keep_default_na=False)


def test_catalog_csv_has_every_field_and_every_entry_in_plan_order():
    result = runner.invoke(app, ["catalog", "--format", "csv"])
    assert result.exit_code == 0, result.output
    table = read_csv(result.output)
    assert list(table.columns) == [*catalog.FIELDS[:3], "field_zh", "field_en", *catalog.FIELDS[3:]]
    yaml_text = config.DEFAULT_CATALOG.read_text(encoding="utf-8")
    assert len(table) == len(re.findall(r"(?m)^  - id: ", yaml_text))
    ids = table["id"].tolist()
    assert ids[0].startswith("W1.") and ids[-1].startswith("C7.")
    # numeric order of goals (9 before 10), goals before measures, women before children
    assert ids.index("W1.9a") < ids.index("W1.10") < ids.index("W1.M4") < ids.index("W2.4")
    assert ids.index("W8.9") < ids.index("C1.3a")
    row = table.set_index("id").loc["C1.9c"]
    assert (row["field_zh"], row["field_en"]) == ("儿童与健康", "Children and health")
    assert (row["kind"], row["value"], row["unit"], row["breakdowns"]) == ("below", "60.0", "%", "sex")


def test_catalog_filters_by_plan_field_and_monitorability():
    result = runner.invoke(app, ["catalog", "--format", "csv", "--plan", "C", "--field", "1",
                                 "--monitorable"])
    table = read_csv(result.output)
    assert set(table["plan"]) == {"C"} and set(table["field"]) == {"1"}
    assert set(table["monitorable"]) == {"True"}
    assert "C1.9c" in set(table["id"]) and "C1.1" not in set(table["id"])


def test_catalog_table_prints_targets_in_words():
    result = runner.invoke(app, ["catalog", "--catalog", str(FIXTURES / "mini_catalog.yaml")],
                           env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "12/10万以下（2030年）" in result.output and "5 entries" in result.output


def test_catalog_writes_a_csv_file_excel_can_open(tmp_path):
    out = tmp_path / "catalog.csv"
    result = runner.invoke(app, ["catalog", "--format", "csv", "--catalog",
                                 str(FIXTURES / "mini_catalog.yaml"), "--out", str(out)])
    assert result.exit_code == 0
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel reads Chinese right
    assert pd.read_csv(out, encoding="utf-8-sig")["id"].tolist() == [
        "W1.1a", "W1.1b", "W1.2", "W1.M1", "C1.1"]


def test_a_broken_catalog_exits_2_naming_the_entry_and_field(tmp_path):
    text = (FIXTURES / "mini_catalog.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("kind: below\n    value: 60", "kind: bellow\n    value: 60"),
                   encoding="utf-8")
    result = runner.invoke(app, ["catalog", "--catalog", str(bad)])
    assert result.exit_code == 2
    assert "entry C1.1, field 'kind': unknown kind 'bellow'" in result.output


def test_project_and_assess_need_the_stage_before_them(tmp_path):
    """Without observations, project says to clean first; without projections, assess says to
    project first — exit 2, nothing written."""
    result = runner.invoke(app, ["project", "--processed", str(tmp_path)])
    assert result.exit_code == 2 and "plan-monitor clean" in result.output
    result = runner.invoke(app, ["assess", "--processed", str(tmp_path)])
    assert result.exit_code == 2
    result = runner.invoke(app, ["gaps", "--processed", str(tmp_path)])
    assert result.exit_code == 2 and "plan-monitor clean" in result.output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_clean_project_assess_chain_on_the_shipped_data(tmp_path):
    assert runner.invoke(app, ["clean", "--out", str(tmp_path)]).exit_code == 1  # planted problems
    result = runner.invoke(app, ["project", "--processed", str(tmp_path)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["assess", "--processed", str(tmp_path), "--mode", "midterm"])
    assert result.exit_code == 0, result.output
    scorecard = pd.read_csv(tmp_path / "scorecard.csv", encoding="utf-8-sig")
    assert set(scorecard["mode"]) == {"midterm"}
    headline = scorecard.drop_duplicates("indicator_id")
    assert len(headline) == len(re.findall(r"(?m)^  - id: ", config.DEFAULT_CATALOG.read_text(encoding="utf-8")))
    assert runner.invoke(app, ["assess", "--processed", str(tmp_path), "--mode", "yearly"]).exit_code == 2
    result = runner.invoke(app, ["gaps", "--processed", str(tmp_path)])
    assert result.exit_code == 0, result.output
    narrowing = pd.read_parquet(tmp_path / "narrowing.parquet").set_index("indicator_id")
    summary = pd.read_parquet(tmp_path / "gaps.parquet")
    assert set(summary["kind"]) == {"sex", "urban_rural"}
    # the 差距缩小 targets: one answer, the same in the scorecard (the midterm one just written)
    rows = scorecard.set_index("indicator_id").loc[narrowing.index]
    judged = narrowing["status"] != "insufficient_data"
    assert judged.any()
    assert (rows.loc[judged, "p_meet"].to_numpy() == narrowing.loc[judged, "p_narrower"].to_numpy()).all()
