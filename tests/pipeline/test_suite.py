"""plan-monitor run: parameters, selection, and whole runs into temporary folders."""

import hashlib
import re
from datetime import UTC

import nbformat
import pytest
from typer.testing import CliRunner

from analysis import config, scorecard
from analysis.pipeline import suite
from analysis.pipeline.cli import app

runner = CliRunner()


def test_overrides_are_read_as_yaml_values():
    assert suite.parse_overrides(["year=2024", "raw_dir=data/raw", "flag=true"]) == {
        "year": 2024, "raw_dir": "data/raw", "flag": True}
    with pytest.raises(suite.RunError, match="name=value"):
        suite.parse_overrides(["year"])


def test_only_selects_a_notebook_by_name_with_or_without_its_number():
    run = config.load_run_params()
    assert suite.select_notebooks(run, "catalog") == ["10_catalog"]
    assert suite.select_notebooks(run, "00_overview") == ["00_overview"]
    with pytest.raises(suite.RunError, match="matches 0 notebooks"):
        suite.select_notebooks(run, "nonesuch")


def test_an_override_no_notebook_declares_is_refused():
    run = config.load_run_params()
    with pytest.raises(suite.RunError, match=r"-p \['raw_dri'\]"):
        suite.plan_parameters(run, run.notebooks, {"raw_dri": "x"})


def test_each_notebook_gets_only_the_parameters_it_declares():
    run = config.load_run_params()
    planned = suite.plan_parameters(run, run.notebooks, {"catalog": "params/other.yaml"})
    assert planned["00_overview"] == {"params_file": "params/run.yaml", "raw_dir": "data/raw"}
    assert planned["10_catalog"] == {"catalog": "params/other.yaml"}


def test_a_run_file_parameter_no_notebook_declares_is_refused(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text("notebooks: [00_overview]\nparameters: {raw_dir: data/raw, yaer: 2024}\n",
                    encoding="utf-8")
    run = config.load_run_params(path)
    with pytest.raises(suite.RunError, match=r"\['yaer'\] are declared by no notebook"):
        suite.plan_parameters(run, run.notebooks, {})


def snapshot(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def full_run(tmp_path_factory):
    """The default run, end to end through the CLI, into temporary folders."""
    base = tmp_path_factory.mktemp("run")
    result = runner.invoke(app, ["run", "--reports", str(base / "reports"), "--outputs", str(base / "outputs"),
                                 "-p", f"processed_dir={base / 'processed'}", "-p",
                                 f"database={base / 'monitor.duckdb'}"])
    return base, result


@pytest.mark.slow
def test_run_publishes_every_notebook_and_an_index(full_run):
    base, result = full_run
    assert result.exit_code == 0, result.output
    reports = base / "reports"
    index = (reports / "index.html").read_text(encoding="utf-8")
    for nb in config.load_run_params().notebooks:
        assert f'href="{nb}.html"' in index
        assert (reports / f"{nb}.html").is_file()
    # stamped with the checksum of an input file, computed here independently
    reference = config.RAW_DIR / "reference" / "national.csv"
    assert hashlib.sha256(reference.read_bytes()).hexdigest() in index
    assert "params/run.yaml" in index


@pytest.mark.slow
def test_run_keeps_executed_notebooks_and_a_log(full_run):
    base, _ = full_run
    (run_dir,) = (base / "outputs" / "notebooks").iterdir()
    executed = sorted(p.name for p in run_dir.iterdir())
    main = [f"{n}.ipynb" for n in config.load_run_params().notebooks]
    assert [n for n in executed if not n.startswith("70_indicator_")] == main
    assert "70_indicator_C1.9c.ipynb" in executed
    log = (base / "outputs" / "logs" / f"{run_dir.name}.log").read_text(encoding="utf-8")
    assert "params file params/run.yaml" in log and "executed 10_catalog" in log
    # each stage computed once, by its own notebook, and read back by the pages after it
    assert log.count("analysis.scorecard.assess: wrote") == 1
    assert "[40_scorecard] analysis.scorecard.assess: wrote" in log
    assert log.count("analysis.gaps.stage: wrote the gaps stage") == 1 and "[50_gaps] analysis.gaps.stage: wrote" in log
    assert "[60_report] analysis.scorecard.assess: read" in log and "[60_report] analysis.gaps.stage: read" in log
    assert "[70_indicator_C1.9c] analysis.scorecard.assess: read" in log
    # the stage notebooks find nothing written yet in a new folder; no page after them computes again
    anew = [line for line in log.splitlines() if "assessing anew" in line or "computing the gaps anew" in line
            or "projecting anew" in line]
    assert {re.search(r"\[(\w+)\]", line).group(1) for line in anew} <= {"30_trends", "40_scorecard", "50_gaps"}
    # the data projected once; the history stage re-projects only for its as-of assessments (2021–2023)
    assert log.count("[30_trends] analysis.trends.project: projected") == 1
    assert log.count("analysis.trends.project: projected") == 1 + log.count(
        "[40_scorecard] analysis.trends.project: projected") == 1 + 3
    assert "[40_scorecard] analysis.database.history: history: previous report as_of" in log
    assert log.count("analysis.clean.stage: cleaned") == 1
    # what a scheduler reads: files and values read, quarantined, unreadable — the shipped data plant 3
    assert re.search(r"data: \d+ files, \d+ values read, \d+ kept, 3 quarantined .*, 0 files unreadable", log)


@pytest.mark.slow
def test_the_index_page_and_the_output_state_the_datas_problems(full_run):
    base, result = full_run
    assert "隔离 3 个" in (base / "reports" / "index.html").read_text(encoding="utf-8")
    assert "3 quarantined, 0 files unreadable" in result.output


@pytest.mark.slow
def test_a_full_run_records_itself_in_the_database_and_shows_the_history(full_run):
    from analysis.database import store

    base, result = full_run
    (run_dir,) = (base / "outputs" / "notebooks").iterdir()
    runs = store.reports(base / "monitor.duckdb")
    report_run = runs[runs["kind"] == "report"].iloc[0]
    assert report_run["run_id"] == run_dir.name and report_run["values_kept"] == 1831
    assert report_run["values_quarantined"] == 3 and report_run["evaluation_year"] == 2024
    assert sorted(runs.loc[runs["kind"] == "as_of", "evaluation_year"]) == [2021, 2022, 2023]
    n = store.query(base / "monitor.duckdb", "SELECT count(*) AS n FROM verdicts WHERE run_id = ?",
                    [run_dir.name])["n"].iloc[0]
    assert n == len(scorecard.load_assessment(base / "processed").scorecard)
    assert (base / "monitor_archive" / run_dir.name / "run.json").is_file()
    assert "recorded in the monitoring database" in result.output
    page = (base / "reports" / "60_report.html").read_text(encoding="utf-8")
    assert "与上期相比" in page and "新实现" in page
    assert "上期按本期数据中2023年及以前的数值回溯评估2023年的情况" in page
    indicator = (base / "reports" / "70_indicator_C1.9c.html").read_text(encoding="utf-8")
    assert "历年评估状态" in indicator and "2021年（回溯）" in indicator and "2024年（本期）" in indicator


@pytest.mark.slow
def test_strict_tells_published_with_data_problems_from_clean_and_from_failed(tmp_path):
    # the shipped returns carry planted problems: published (the pages exist), exit 3 under --strict
    args = ["run", "--only", "20_clean", "--reports", str(tmp_path / "reports"), "--outputs",
            str(tmp_path / "outputs"), "-p", f"processed_dir={tmp_path / 'processed'}"]
    published = runner.invoke(app, args)
    assert published.exit_code == 0, published.output       # without --strict: published is success
    assert (tmp_path / "reports" / "20_clean.html").is_file()
    # the second run reads the tables the first wrote (nothing changed) and still tells their problems
    strict = runner.invoke(app, [*args, "--strict"])
    assert strict.exit_code == 3, strict.output
    assert "3 quarantined, 0 files unreadable" in strict.output
    first, second = sorted((tmp_path / "outputs" / "logs").glob("*.log"))
    assert "analysis.clean.stage: cleaned:" in first.read_text(encoding="utf-8")
    log = second.read_text(encoding="utf-8")
    assert "analysis.clean.stage: read the cleaned tables" in log and "analysis.clean.stage: cleaned" not in log


def test_a_second_run_on_the_same_data_folder_is_refused_while_the_first_holds_it(tmp_path):
    from analysis.pipeline import lock

    processed = tmp_path / "processed"
    with lock.exclusive(processed):
        result = runner.invoke(app, ["clean", "--out", str(processed)])
        assert result.exit_code == 2 and "another plan-monitor run" in result.output
        with pytest.raises(lock.Busy, match="in use by pid"), lock.exclusive(processed):
            pass
    with lock.exclusive(processed):   # released when the first run ends
        pass


@pytest.mark.slow
def test_the_html_holds_what_the_notebook_displayed_and_no_code(full_run):
    base, _ = full_run
    (run_dir,) = (base / "outputs" / "notebooks").iterdir()
    executed = nbformat.read(run_dir / "10_catalog.ipynb", as_version=4)
    shown = [o["data"]["text/markdown"] for c in executed.cells if c.cell_type == "code"
             for o in c.get("outputs", []) if "text/markdown" in o.get("data", {})]
    html = (base / "reports" / "10_catalog.html").read_text(encoding="utf-8")
    headline = shown[0].split("\n\n")[0]
    assert headline.startswith("《洛阳市偃师区妇女发展规划") and headline in html
    assert "初中生近视率降至" in html          # a source sentence of the plan, in the target list
    assert "load_catalog" not in html         # no code


@pytest.fixture
def short_run(tmp_path):
    """A run file of the two quick notebooks, for the tests of failure and --only (the default
    run is exercised whole by full_run)."""
    path = tmp_path / "params" / "run.yaml"
    path.parent.mkdir()
    path.write_text("title: 测试\nnotebooks: [00_overview, 10_catalog]\n"
                    "parameters: {raw_dir: data/raw, catalog: params/indicators.yaml}\n", encoding="utf-8")
    return str(path)


@pytest.mark.slow
def test_a_failing_notebook_names_itself_and_its_cell_and_leaves_reports_untouched(tmp_path, short_run):
    reports, outputs = tmp_path / "out" / "reports", tmp_path / "out" / "outputs"
    first = runner.invoke(app, ["run", "--params", short_run, "--reports", str(reports), "--outputs", str(outputs)])
    assert first.exit_code == 0, first.output
    before = snapshot(reports)
    broken = runner.invoke(app, ["run", "--params", short_run, "--reports", str(reports), "--outputs", str(outputs),
                                 "-p", "catalog=params/no_such_catalog.yaml"])
    assert broken.exit_code == 1
    message = " ".join(broken.output.split())
    assert re.search(r"notebook 10_catalog failed in cell \d+: ParamsError: "
                     r"params/no_such_catalog.yaml: file not found", message), message
    assert "left as they were" in message
    assert snapshot(reports) == before
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["outputs", "reports"]  # no staging left


def test_an_unknown_parameter_exits_2_before_anything_runs(tmp_path):
    result = runner.invoke(app, ["run", "--reports", str(tmp_path / "r"), "--outputs",
                                 str(tmp_path / "o"), "-p", "catalgo=x.yaml"])
    assert result.exit_code == 2
    assert "catalgo" in result.output
    assert not (tmp_path / "r").exists()


@pytest.mark.slow
def test_only_reruns_one_notebook_and_keeps_the_other_pages(tmp_path, short_run):
    reports, outputs = tmp_path / "reports", tmp_path / "outputs"
    assert runner.invoke(app, ["run", "--params", short_run, "--reports", str(reports),
                               "--outputs", str(outputs)]).exit_code == 0
    overview_before = (reports / "00_overview.html").read_bytes()
    result = runner.invoke(app, ["run", "--params", short_run, "--only", "catalog", "--reports", str(reports),
                                 "--outputs", str(outputs)])
    assert result.exit_code == 0, result.output
    assert (reports / "00_overview.html").read_bytes() == overview_before
    index = (reports / "index.html").read_text(encoding="utf-8")
    assert 'href="00_overview.html"' in index and 'href="10_catalog.html"' in index


@pytest.mark.slow
def test_a_whole_run_drops_the_pages_of_the_previous_run(tmp_path, short_run):
    # a page of an indicator no longer warned must not linger from an earlier run
    reports, outputs = tmp_path / "reports", tmp_path / "outputs"
    assert runner.invoke(app, ["run", "--params", short_run, "--reports", str(reports),
                               "--outputs", str(outputs)]).exit_code == 0
    (reports / "70_indicator_C1.9c.html").write_text("<html>stale</html>", encoding="utf-8")
    assert runner.invoke(app, ["run", "--params", short_run, "--reports", str(reports),
                               "--outputs", str(outputs)]).exit_code == 0
    assert not (reports / "70_indicator_C1.9c.html").exists()
    assert (reports / "00_overview.html").is_file() and (reports / "10_catalog.html").is_file()


def test_the_per_indicator_notebook_renders_one_page_per_indicator(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text("notebooks: [00_overview]\nparameters: {raw_dir: data/raw}\n"
                    "per_indicator: {notebook: 10_catalog, parameter: catalog, indicators: [a.yaml, b.yaml]}\n",
                    encoding="utf-8")
    run = config.load_run_params(path)
    assert suite.page_name("10_catalog", {"catalog": "a.yaml"}, run) == "10_catalog_a.yaml"
    assert suite.page_name("00_overview", {"raw_dir": "x"}, run) == "00_overview"
    assert suite.indicators_to_page(run.per_indicator, {}) == ["a.yaml", "b.yaml"]


def test_every_monitored_indicator_with_data_can_get_a_page(tmp_path):
    """``indicators: monitored``: a page for each monitorable target with at least one value (in
    any area or sex), in plan order; a qualitative target or one without data gets none; an
    unknown choice is refused naming the three allowed."""
    import pandas as pd

    from analysis import scorecard

    sc = pd.DataFrame({"indicator_id": ["C1.9c", "W1.2a", "W1.2a", "W2.1", "C1.3a"],
                       "monitorable": [True, True, True, False, True], "n_points": [4, 0, 2, 0, 0],
                       "warnings": ["", "", "", "", ""]})
    out = tmp_path / "processed"
    out.mkdir()
    sc.to_parquet(out / "scorecard.parquet")
    path = tmp_path / "run.yaml"
    path.write_text("notebooks: [00_overview]\nper_indicator: {notebook: 70_indicator, parameter: indicator_id, "
                    "indicators: monitored}\n", encoding="utf-8")
    run = config.load_run_params(path)
    assert suite.indicators_to_page(run.per_indicator, {"processed_dir": str(out)}) == ["W1.2a", "C1.9c"]
    assert scorecard.warned_ids(sc) == []
    path.write_text("notebooks: [00_overview]\nper_indicator: {notebook: 70_indicator, parameter: indicator_id, "
                    "indicators: all}\n", encoding="utf-8")
    with pytest.raises(config.ParamsError, match="'warned', 'monitored' or a list of ids"):
        config.load_run_params(path)


def test_a_per_indicator_entry_without_its_notebook_is_refused(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text("notebooks: [00_overview]\nper_indicator: {notebook: 99_nothing, parameter: x}\n",
                    encoding="utf-8")
    with pytest.raises(config.ParamsError, match="per_indicator notebook '99_nothing' does not exist"):
        config.load_run_params(path)


@pytest.mark.slow
def test_the_whole_run_has_the_report_and_a_page_per_warned_indicator(full_run):

    base, _ = full_run
    reports = base / "reports"
    warned = scorecard.warned_indicators(base / "processed")
    assert warned and "C1.9c" in warned
    index = (reports / "index.html").read_text(encoding="utf-8")
    for indicator_id in warned:
        assert (reports / f"70_indicator_{indicator_id}.html").is_file()
        assert f'href="70_indicator_{indicator_id}.html"' in index
    report_page = (reports / "60_report.html").read_text(encoding="utf-8")
    assert "70_indicator_C1.9c.html" in report_page and "模拟数据" in report_page


@pytest.mark.slow
def test_the_pages_pass_the_browser_check(full_run, tmp_path):
    from analysis.report import browser

    if browser.find_chromium() is None:
        pytest.skip("Chromium is not installed (apt-get install chromium fonts-noto-cjk)")
    base, _ = full_run
    results = browser.check_pages(base / "reports", tmp_path / "shots")
    assert [(r.page, r.problems) for r in results if r.problems] == []
    assert len(results) == len(list((base / "reports").glob("*.html")))


def test_the_pages_state_beijing_time():
    from datetime import datetime

    from analysis.pipeline import suite

    assert suite.beijing_time(datetime(2026, 12, 2, 14, 6, 45, tzinfo=UTC)) == "2026-12-02 22:06:45（北京时间）"


@pytest.mark.slow
def test_the_default_run_leaves_the_report_in_word_and_pdf(full_run):
    import docx
    import pypdf

    base, result = full_run
    reports = base / "reports"
    assert "docx: " in result.output and "pdf: " in result.output
    headline = scorecard.load_assessment(base / "processed").headline
    n_line = f"在可监测的{headline['n']}项有目标值的指标中"
    document = docx.Document(str(reports / "60_report.docx"))
    text = "\n".join(p.text for p in document.paragraphs)
    assert document.paragraphs[0].text == "偃师区妇女儿童发展规划监测报告"
    assert n_line in text and "三、主要成效" in text and "九、对策建议" in text and "模拟数据" in text
    assert len(document.tables) >= 20 and len(document.inline_shapes) >= 10
    assert "nan" not in text.lower().split()
    reader = pypdf.PdfReader(reports / "60_report.pdf")
    printed = "".join(p.extract_text() for p in reader.pages)
    assert n_line in printed and "附表：指标达标情况表" in printed and "模拟数据" in printed
    fonts = {str(ref.get_object()["/BaseFont"]) for p in reader.pages
             for ref in (p["/Resources"].get("/Font") or {}).values()}
    assert fonts and all("+PM-CJK" in f for f in fonts)
    index = (reports / "index.html").read_text(encoding="utf-8")
    assert 'href="60_report.docx"' in index and 'href="60_report.pdf"' in index
    assert n_line in index and "模拟数据" in index
    assert index.index("60_report.docx") < index.index("各阶段页面")  # the report leads


@pytest.mark.slow
def test_without_a_pdf_engine_the_run_says_so_and_publishes_html_and_word(full_run, tmp_path, monkeypatch):
    from analysis.report import pdf

    base, _ = full_run
    monkeypatch.setattr(pdf, "engine_problem", lambda: "PDF排版程序WeasyPrint无法启动：缺少系统库Pango（测试）")
    reports = tmp_path / "reports"
    result = runner.invoke(app, ["run", "--only", "60_report", "--reports", str(reports), "--outputs",
                                 str(tmp_path / "outputs"), "-p", f"processed_dir={base / 'processed'}"])
    assert result.exit_code == 0, result.output
    assert "no pdf written" in result.output and "缺少系统库Pango" in result.output
    assert (reports / "60_report.html").is_file() and (reports / "60_report.docx").is_file()
    assert not (reports / "60_report.pdf").exists()
    index = (reports / "index.html").read_text(encoding="utf-8")
    assert "未生成PDF版" in index and "缺少系统库Pango" in index and 'href="60_report.pdf"' not in index


def test_a_documents_entry_must_name_a_page_of_the_run_and_a_template_that_exists(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text("notebooks: [00_overview]\ndocuments: {page: 60_report}\n", encoding="utf-8")
    with pytest.raises(config.ParamsError, match="documents page '60_report' is not one of the run's notebooks"):
        config.load_run_params(path)
    path.write_text("notebooks: [60_report]\ndocuments: {page: 60_report, word_template: nope.docx}\n",
                    encoding="utf-8")
    with pytest.raises(config.ParamsError, match="word_template .*nope.docx does not exist"):
        config.load_run_params(path)
    path.write_text("notebooks: [60_report]\ndocuments: {page: 60_report, fromat: pdf}\n", encoding="utf-8")
    with pytest.raises(config.ParamsError, match="fromat"):
        config.load_run_params(path)


#: what must not appear in the visible text of a Chinese page (code spans — file names — excepted)
ENGLISH_SENTENCE = re.compile(r"[A-Za-z][A-Za-z'’\-]*(?:[ ,;:()]+[A-Za-z][A-Za-z'’\-]*){2,}")
RAW_VALUES = re.compile(r"\b(?:nan|NaN|None|UTC)\b|\d+\.\d{5,}")


@pytest.mark.slow
def test_the_chinese_pages_carry_no_english_sentence_no_nan_and_no_utc(full_run):
    from bs4 import BeautifulSoup

    base, _ = full_run
    found = []
    for page in sorted((base / "reports").glob("*.html")):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        for tag in soup(["style", "script", "code"]):
            tag.decompose()
        for line in soup.get_text("\n").splitlines():
            for pattern in (ENGLISH_SENTENCE, RAW_VALUES):
                found += [(page.name, m.group(0), line.strip()[:80]) for m in pattern.finditer(line)]
    assert found == []
