"""The monitoring database: every value received and every verdict published kept, through the
paths a run takes (clean → project → assess → history → record), a revision and a new year seen
in 与上期相比, an as-of assessment by vintage, a killed write, a rebuild from the archive, the CLI
and the README's notebook pattern."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime

import duckdb
import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from analysis import clean, config, scorecard, trends
from analysis import database as db
from analysis.catalog import load_catalog
from analysis.database import asof, history, ingest, schema, store
from analysis.pipeline.cli import app

runner = CliRunner()
CSV = "synthetic/模拟_人社局_就业和社会保障指标.csv"


def stages(raw, out, database, cat):
    """The stages of a run, as the notebooks call them, then the record the run adds."""
    result = clean.clean(raw, cat)
    clean.write(result, out)
    trends.project(out, cat)
    sc = scorecard.assess(out, cat)
    hist = db.build(out, database, cat, sc.settings)
    return result, hist


def record(run_id, out, raw, database, cat, when):
    rec = ingest.run_record(run_id, out, raw, cat, "测试", "test", None, when)
    ingest.record_run(database, rec)
    return rec


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """Run 1 on the shipped data; run 2 after 人社局 revised W3.2 2023 (44.8% → 44.1%), sent a 2025
    value and withdrew its W5.3 2019 figure (quarantined in run 1 as conflicting with 医保局's) —
    each recorded in the same database."""
    base = tmp_path_factory.mktemp("db")
    cat = load_catalog()
    raw = base / "raw"
    shutil.copytree(config.RAW_DIR, raw)
    database = base / "monitor.duckdb"
    first = base / "p1"
    res1, hist1 = stages(raw, first, database, cat)
    rec1 = record("run-1", first, raw, database, cat, datetime(2025, 3, 1, 2, 0, tzinfo=UTC))
    after_first = base / "after-run-1.duckdb"
    shutil.copy(database, after_first)
    csv = raw / CSV
    text = csv.read_text(encoding="utf-8")
    assert "W3.2,2023,偃师区,合计,44.8,%,134572,300431" in text
    text = text.replace("W3.2,2023,偃师区,合计,44.8,%,134572,300431", "W3.2,2023,偃师区,合计,44.1,%,132490,300431")
    text += "W3.2,2025,偃师区,合计,45.9,%,138198,301086,synthetic 模拟数据\n"
    # 人社局 withdraws its W5.3 2019 figure that conflicted with 医保局's: the latter is kept now
    withdrawn = "W5.3,2019,偃师区,女,95.9,%,268680,280039,synthetic 模拟数据; from the 人社局 enrolment register\n"
    assert withdrawn in text
    text = text.replace(withdrawn, "")
    csv.write_text(text, encoding="utf-8")
    second = base / "p2"
    res2, hist2 = stages(raw, second, database, cat)
    rec2 = record("run-2", second, raw, database, cat, datetime(2025, 6, 1, 2, 0, tzinfo=UTC))
    return {"base": base, "cat": cat, "raw": raw, "database": database, "first": first, "second": second,
            "res1": res1, "hist1": hist1, "rec1": rec1, "after_first": after_first, "res2": res2, "hist2": hist2,
            "rec2": rec2}


@pytest.mark.slow
def test_every_value_read_is_recorded_once_kept_or_quarantined_with_its_file_version(two_runs):
    database, res1 = two_runs["database"], two_runs["res1"]
    mine = store.query(database, "SELECT v.*, rv.status, rv.reason FROM run_values rv JOIN received_values v "
                                 "USING (value_id) WHERE rv.run_id = 'run-1'")
    # reconciled with what the reader counted in the raw files, not with what the database holds
    assert len(mine) == res1.summary["values_read"] == len(res1.observations) + len(res1.quarantine)
    assert (mine["status"] == "quarantined").sum() == len(res1.quarantine) == 3
    assert sorted(mine.loc[mine["status"] == "quarantined", "reason"]) == sorted(res1.quarantine["reason"])
    # the vintage: the checksum of the file each value came from, computed here independently
    for name, sha in mine.groupby("source_file")["file_sha256"].first().items():
        assert sha == hashlib.sha256((config.RAW_DIR / name).read_bytes()).hexdigest(), name
    kept = mine[mine["status"] == "kept"].merge(res1.observations, on=["indicator_id", "year", "area", "sex"],
                                                suffixes=("", "_obs"))
    assert len(kept) == len(res1.observations)
    assert (kept["value"] - kept["value_obs"]).abs().max() < 1e-12
    assert set(mine["department"].dropna()) >= {"卫健委", "人社局"}
    # and the member units' self-evaluations, each with its form's checksum
    se = store.query(database, "SELECT * FROM self_evaluations WHERE run_id = 'run-1'")
    assert len(se) == len(res1.self_evaluations) == 98
    assert se["file_sha256"].notna().all()
    assert sorted(se["conclusion"]) == sorted(res1.self_evaluations["conclusion"])


@pytest.mark.slow
def test_the_verdicts_of_each_run_and_its_as_of_assessments_are_recorded(two_runs):
    database = two_runs["database"]
    runs = store.reports(database)
    assert runs.loc[runs["kind"] == "report", "run_id"].tolist() == ["run-1", "run-2"]
    as_of = runs[runs["parent_run"] == "run-1"]
    assert as_of["evaluation_year"].tolist() == [2021, 2022, 2023] and set(as_of["basis"]) == {"year"}
    sc = pd.read_parquet(two_runs["first"] / "scorecard.parquet")
    v = store.verdicts_of(database, ["run-1"]).merge(sc, on=["indicator_id", "area", "sex"], suffixes=("", "_sc"))
    assert len(v) == len(sc)
    assert (v["status"] == v["status_sc"]).all()
    assert ((v["p_meet"] - v["p_meet_sc"]).abs().fillna(0) < 1e-12).all()
    # an as-of verdict knows only the data up to its year
    y2022 = store.verdicts_of(database, ["run-1/as-of-2022"])
    assert len(y2022) and (y2022["year"] == 2022).all() and (y2022["latest_year"].dropna() <= 2022).all()
    assert (v["latest_year"].dropna() == 2024).any()


@pytest.mark.slow
def test_a_revision_and_a_new_value_are_both_kept_and_shown_against_the_previous_report(two_runs):
    hist1, hist2, database = two_runs["hist1"], two_runs["hist2"], two_runs["database"]
    assert hist1.meta["base"] == "as_of" and hist1.meta["base_year"] == 2023   # no report before the first
    assert hist2.meta["base"] == "report" and hist2.meta["base_run"] == "run-1"
    revised = hist2.revisions[hist2.revisions["change"] == "revised"]
    assert revised[["indicator_id", "year", "area", "sex", "value_before", "value"]].values.tolist() == [
        ["W3.2", 2023, "district", "total", 44.8, 44.1]]
    assert revised["department"].tolist() == ["人社局"]
    new = hist2.revisions[hist2.revisions["change"] == "new"]
    assert new[["indicator_id", "year"]].values.tolist() == [["W3.2", 2025]]
    # both values stay in the database; the view lists the revision with both files
    both = store.query(database, "SELECT value FROM received_values WHERE indicator_id = 'W3.2' AND year = 2023 "
                                 "AND area = 'district' AND sex = 'total' ORDER BY value")
    assert both["value"].tolist() == [44.1, 44.8]
    view = store.query(database, "SELECT * FROM revisions")
    assert view[["indicator_id", "year", "previous_value", "value", "run_id"]].values.tolist() == [
        ["W3.2", 2023, 44.8, 44.1, "run-2"]]
    from analysis import report

    text = report.comparison_text(hist2.meta)
    assert "上次发布的2024年报告" in text and "修订1个" in text and "新增数值1个" in text
    assert "上期隔离的数值已更正1个" in text
    annex = report.revisions_text(hist2.revisions, hist2.meta)
    assert "2019年 W5.3（女性）上期因“重复报送且数值不同”隔离" in annex and "本期采用96.6%" in annex
    # both cells of the conflict were quarantined; both are resolved by the value kept now
    resolved = store.query(database, "SELECT * FROM quarantine_resolved ORDER BY quarantined_file")
    assert resolved[["indicator_id", "year", "quarantined_cell", "corrected_value", "corrected_in"]].values.tolist() \
        == [["W5.3", 2019, "E6", 96.6, "run-2"], ["W5.3", 2019, "B5", 96.6, "run-2"]]
    assert "2023年 W3.2（合计）由44.8%修订为44.1%（人社局" in annex and "模拟_人社局_就业和社会保障指标.csv" in annex


@pytest.mark.slow
def test_the_status_history_has_a_column_per_year_and_this_report(two_runs):
    hist2 = two_runs["hist2"]
    cols = hist2.verdicts.drop_duplicates("column").sort_values("order")["column"].tolist()
    # 2021–2023 were never published: assessed as of then; 2024 is this report
    assert cols == ["2021年（回溯）", "2022年（回溯）", "2023年（回溯）", "2024年（本期）"]
    from analysis import report

    settings = scorecard.load_settings()
    html = report.status_history(hist2.verdicts, "C1.9c", settings).to_html()
    mine = hist2.verdicts[hist2.verdicts["indicator_id"] == "C1.9c"]
    assert "2021年（回溯）" in html and "2024年（本期）" in html
    for status in set(mine["status"]):   # every status shown in its colour
        assert f"background-color: {settings.colours[status]}" in html, status
    now = mine[(mine["source"] == "current") & (mine["area"] == "district") & (mine["sex"] == "total")].iloc[0]
    assert now["status_zh"] in html


@pytest.mark.slow
def test_as_of_by_vintage_uses_the_values_the_report_of_that_year_kept(two_runs, tmp_path):
    database = tmp_path / "m.duckdb"
    shutil.copy(two_runs["after_first"], database)   # the database as run 1 left it
    obs2 = trends.load_observations(two_runs["second"])
    frame, basis = asof.observations_as_of(database, obs2, 2024)
    assert basis == "vintage"           # run-1 was the 2024 report: its values, before the revision
    w32 = frame[(frame["indicator_id"] == "W3.2") & (frame["area"] == "district") & (frame["sex"] == "total")]
    assert w32.set_index("year").loc[2023, "value"] == 44.8 and 2025 not in set(w32["year"])
    frame, basis = asof.observations_as_of(database, obs2, 2022)
    assert basis == "year" and frame["year"].max() == 2022
    result = runner.invoke(app, ["assess", "--as-of", "2024", "--processed", str(two_runs["second"]),
                                 "--database", str(database)])
    assert result.exit_code == 0, result.output
    assert "2024年回溯评估（按当时报告采用的数值（数据版本））" in result.output
    runs = store.reports(database)
    assert runs.iloc[-1]["kind"] == "as_of" and runs.iloc[-1]["basis"] == "vintage"


def _contents(database) -> dict:
    with duckdb.connect(str(database), read_only=True) as con:
        return {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in schema.TABLES if t != "meta"}


@pytest.mark.slow
def test_a_run_killed_while_writing_leaves_the_database_readable_and_unchanged(two_runs, tmp_path):
    database = tmp_path / "m.duckdb"
    shutil.copy(two_runs["database"], database)
    before = _contents(database)
    started = tmp_path / "started"
    child = textwrap.dedent(f"""
        import pathlib, time
        from datetime import UTC, datetime
        from analysis.catalog import load_catalog
        from analysis.database import ingest, store
        original = store._verdicts
        def slow(con, run_id, verdicts):   # the values are in, the verdicts not yet: kill here
            original(con, run_id, verdicts)
            pathlib.Path({str(started)!r}).write_text("in the transaction")
            time.sleep(60)
        store._verdicts = slow
        rec = ingest.run_record("run-killed", {str(two_runs['second'])!r}, {str(two_runs['raw'])!r},
                                load_catalog(), "测试", "test", None, datetime.now(UTC))
        store.record({str(database)!r}, rec)
    """)
    proc = subprocess.Popen([sys.executable, "-c", child], cwd=config.PROJECT_ROOT)
    deadline = time.monotonic() + 120
    while not started.exists():
        assert proc.poll() is None, "the writer ended before it was killed"
        assert time.monotonic() < deadline
        time.sleep(0.2)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert _contents(database) == before
    assert "run-killed" not in store.reports(database)["run_id"].tolist()


@pytest.mark.slow
def test_a_failed_record_leaves_no_archive_and_no_trace(two_runs, tmp_path, monkeypatch):
    database = tmp_path / "m.duckdb"
    shutil.copy(two_runs["database"], database)
    before = _contents(database)

    def broken(con, run_id, verdicts):
        raise RuntimeError("disk full")

    monkeypatch.setattr(store, "_verdicts", broken)
    rec = ingest.run_record("run-x", two_runs["second"], two_runs["raw"], two_runs["cat"], "测试", "t")
    with pytest.raises(RuntimeError, match="disk full"):
        ingest.record_run(database, rec)
    assert _contents(database) == before
    assert not (ingest.archive_dir(database) / "run-x").exists()


@pytest.mark.slow
def test_rebuild_from_the_archive_gives_the_same_database(two_runs, tmp_path):
    archive = ingest.archive_dir(two_runs["database"])
    assert sorted(p.name for p in archive.iterdir()) == ["run-1", "run-2"]
    copy = tmp_path / "monitor.duckdb"
    shutil.copytree(archive, ingest.archive_dir(copy))
    result = runner.invoke(app, ["db", "--rebuild", "--database", str(copy)])
    assert result.exit_code == 0, result.output
    assert _contents(copy) == _contents(two_runs["database"])


def test_a_database_of_a_newer_schema_is_refused(tmp_path):
    path = tmp_path / "m.duckdb"
    with store.connect(path) as con:
        con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(schema.VERSION + 1)])
    with pytest.raises(store.DatabaseError, match="update plan-monitor"), store.connect(path, read_only=True):
        pass
    with pytest.raises(store.DatabaseError, match="update plan-monitor"), store.connect(path):
        pass


def test_reading_a_database_that_does_not_exist_names_the_command(tmp_path):
    with pytest.raises(FileNotFoundError, match="plan-monitor run"):
        store.query(tmp_path / "none.duckdb", "SELECT 1")
    result = runner.invoke(app, ["db", "SELECT 1", "--database", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 2 and "plan-monitor run" in result.output


@pytest.mark.slow
def test_the_db_command_queries_and_exports(two_runs, tmp_path):
    database = str(two_runs["database"])
    result = runner.invoke(app, ["db", "SELECT kind, count(*) AS n FROM runs GROUP BY kind ORDER BY kind",
                                 "--database", database])
    assert result.exit_code == 0, result.output
    assert re.search(r"as_of\s+6", result.output) and re.search(r"report\s+2", result.output)
    out = tmp_path / "verdicts.xlsx"
    result = runner.invoke(app, ["db", "--table", "verdicts", "--out", str(out), "--database", database])
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(out).active
    n = store.query(database, "SELECT count(*) AS n FROM verdicts")["n"].iloc[0]
    assert sheet.max_row == n + 1 and sheet.cell(1, 1).value == "run_id"
    result = runner.invoke(app, ["db", "--table", "nonesuch", "--database", database])
    assert result.exit_code == 2 and "verdicts" in result.output
    result = runner.invoke(app, ["db", "SELEC x", "--database", database])
    assert result.exit_code == 2


@pytest.mark.slow
def test_the_readme_notebook_pattern_works(two_runs):
    readme = (config.PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- database-query -->\s*```python\n(.*?)```", readme, re.S)
    assert block, "the README shows how to query the database from a notebook"
    code = block.group(1).replace('"data/monitor.duckdb"', repr(str(two_runs["database"])))
    namespace: dict = {}
    exec(code, namespace)  # noqa: S102 — the README's own code, as an analyst would paste it
    frame = namespace["history"]
    assert len(frame) and {"run_id", "indicator_id", "status"} <= set(frame.columns)


def test_changes_are_named_by_the_rank_of_the_statuses():
    rank = scorecard.load_settings().status_rank
    key = {"area": "district", "sex": "total", "is_headline": True, "plan": "C", "unit": "%", "latest_year": 2024,
           "latest_value": 1.0, "p_meet": 0.5, "status_zh": ""}
    before = pd.DataFrame([{"indicator_id": i, "status": s, **key} for i, s in
                           [("a", "on_track"), ("b", "on_track"), ("c", "off_track"), ("d", "insufficient_data"),
                            ("e", "at_risk"), ("f", "qualitative"), ("g", "on_track"), ("h", "improving")]])
    now = pd.DataFrame([{"indicator_id": i, "status": s, **key} for i, s in
                        [("a", "achieved"), ("b", "off_track"), ("c", "at_risk"), ("d", "on_track"),
                         ("e", "insufficient_data"), ("f", "qualitative"), ("g", "on_track"), ("h", "on_track")]])
    changes = history.compare_statuses(now, before, rank)
    assert dict(zip(changes["indicator_id"], changes["change"], strict=True)) == {
        "a": "newly_achieved", "b": "worse", "c": "better", "d": "now_assessable", "e": "no_longer_assessable",
        "h": "other"}


def test_a_settings_file_without_a_rank_for_each_status_is_refused(tmp_path):
    text = (config.PARAMS_DIR / "assessment.yaml").read_text(encoding="utf-8").replace("  worsening: 1\n", "")
    path = tmp_path / "assessment.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(config.ParamsError, match="status_rank"):
        scorecard.load_settings(path)


def test_the_schema_documents_each_table():
    doc = (config.PROJECT_ROOT / "docs" / "database.md").read_text(encoding="utf-8")
    for name in [*schema.TABLES, *schema.VIEWS]:
        assert f"`{name}`" in doc, name
    assert json.dumps(schema.VERSION) in doc


@pytest.mark.slow
def test_a_run_whose_record_the_database_refuses_publishes_nothing(two_runs, tmp_path):
    processed = tmp_path / "processed"
    shutil.copytree(two_runs["second"], processed)
    database = tmp_path / "monitor.duckdb"
    shutil.copy(two_runs["database"], database)
    with duckdb.connect(str(database)) as con:   # readable, but its verdicts cannot be written
        con.execute("DROP TABLE verdicts")
        con.execute("CREATE VIEW verdicts AS SELECT run_id, indicator_id, area, sex, 'W' AS plan, true AS is_headline,"
                    " mode, evaluation_year AS year, NULL AS latest_year, NULL AS latest_value, NULL AS target_value, "
                    "NULL AS unit, NULL AS projection_2030, NULL AS lo80, NULL AS hi80, NULL AS p_meet, 'x' AS status,"
                    " 'x' AS status_zh, '' AS warning_codes, '' AS warnings, NULL AS model FROM runs, "
                    "(SELECT 'a' AS indicator_id, 'district' AS area, 'total' AS sex)")
    before = _contents(database)
    run_file = tmp_path / "run.yaml"
    run_file.write_text(f"title: 测试\nnotebooks: [40_scorecard]\nparameters: {{processed_dir: '{processed}', "
                        f"database: '{database}'}}\n", encoding="utf-8")
    reports = tmp_path / "reports"
    result = runner.invoke(app, ["run", "--params", str(run_file), "--reports", str(reports), "--outputs",
                                 str(tmp_path / "outputs")])
    assert result.exit_code == 1, result.output
    assert "could not be recorded" in result.output and "nothing was published" in result.output
    assert not reports.exists()
    assert _contents(database) == before
    assert "Binder Error" in result.output or "verdicts" in result.output   # the database's own words
    assert not ingest.archive_dir(database).exists() or not any(ingest.archive_dir(database).iterdir())


@pytest.mark.slow
def test_a_run_that_reads_a_current_scorecard_is_recorded_too(two_runs, tmp_path):
    processed = tmp_path / "processed"
    shutil.copytree(two_runs["second"], processed)      # assessed already: 40_scorecard reads it
    database = tmp_path / "monitor.duckdb"
    run_file = tmp_path / "run.yaml"
    run_file.write_text(f"title: 测试\nnotebooks: [40_scorecard]\nparameters: {{processed_dir: '{processed}', "
                        f"database: '{database}'}}\n", encoding="utf-8")
    result = runner.invoke(app, ["run", "--params", str(run_file), "--reports", str(tmp_path / "reports"),
                                 "--outputs", str(tmp_path / "outputs")])
    assert result.exit_code == 0, result.output
    (log,) = (tmp_path / "outputs" / "logs").iterdir()
    assert "assessing anew" not in log.read_text(encoding="utf-8")
    runs = store.reports(database)
    assert runs.loc[runs["kind"] == "report", "values_kept"].tolist() == [len(two_runs["res2"].observations)]
