"""The ``plan-monitor`` command: the suite's stages for analysts, scripts and schedulers.

Exit codes: 0 success; 1 the work ran and found a failure (a notebook failed: nothing published;
``clean``: values quarantined or files unreadable); 2 the work could not start (a bad params
file, an unknown parameter, a catalog that does not load, another run holding the data folder);
3 ``run --strict`` only: published, but the data had problems (values quarantined or files that
could not be read) — for a scheduler that must tell "published, data clean" (0) from "published
with data problems" (3) from "failed, nothing published" (1).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from analysis import config

app = typer.Typer(
    help="Monitoring suite for a county's (or city's, or province's) Women's and Children's Development "
    "Plans: the plan profile in params/ (profile.yaml names it), or the folder PLAN_MONITOR_PROFILE names.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
log = logging.getLogger(__name__)


def err() -> Console:
    """The console for messages and progress (stderr), sized for the terminal of this call."""
    return Console(stderr=True, soft_wrap=True)


def out() -> Console:
    """The console for results (stdout)."""
    return Console()


def fail(message: object, code: int) -> typer.Exit:
    """Print an error (its text shown as is, never read as markup) and return the exit to raise."""
    err().print("[red]error:[/red] " + escape(str(message)), highlight=False)
    return typer.Exit(code)


@app.command()
def run(
    params: Annotated[
        Path, typer.Option("--params", help="the run file: notebooks and their parameters")
    ] = config.DEFAULT_RUN_PARAMS,
    parameter: Annotated[
        list[str] | None,
        typer.Option("-p", "--parameter", help="override a parameter: -p name=value (repeatable)"),
    ] = None,
    only: Annotated[
        str | None, typer.Option("--only", help="run one notebook (e.g. 'catalog' or '10_catalog')")
    ] = None,
    reports: Annotated[
        Path, typer.Option("--reports", help="where the HTML pages are published")
    ] = config.REPORTS_DIR,
    outputs: Annotated[
        Path, typer.Option("--outputs", help="where executed notebooks and logs are kept")
    ] = config.OUTPUTS_DIR,
    strict: Annotated[
        bool, typer.Option("--strict", help="exit 3 when the run published but values were quarantined or "
                                            "files could not be read (for cron)")
    ] = False,
) -> None:
    """Run the whole suite (or one notebook) with papermill and publish the HTML reports.

    Exit 0 published; 1 a notebook failed, nothing published; 2 could not start; with
    ``--strict``, 3 published but the data had problems (quarantined values, unreadable files).
    """
    from analysis.database.store import DatabaseError
    from analysis.pipeline import suite

    try:
        overrides = suite.parse_overrides(parameter or [])
    except suite.RunError as exc:
        raise fail(exc, 2) from exc
    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(), console=err(), transient=False,
    ) as progress:
        try:
            total = len(suite.select_notebooks(config.load_run_params(params), only))
        except (config.ParamsError, suite.RunError):
            total = None  # suite.run reports the problem itself
        task = progress.add_task("starting", total=total)

        def on_progress(notebook: str, stage: str) -> None:
            progress.update(task, description=f"{notebook}: {stage}")
            if stage == "done":
                progress.advance(task)

        try:
            result = suite.run(
                params, overrides, only=only, reports_dir=reports, outputs_dir=outputs,
                on_progress=on_progress,
            )
        except suite.RunError as exc:
            raise fail(exc, 2) from exc
        except suite.NotebookFailed as exc:
            progress.stop()
            err().print(f"[red]failed:[/red] {exc}")
            err().print(f"the previous reports in {config.display_path(config.resolve(reports))} "
                      "were left as they were")
            raise typer.Exit(1) from exc
        except DatabaseError as exc:
            progress.stop()
            err().print(f"[red]failed:[/red] the run could not be recorded in the monitoring database: "
                        f"{escape(str(exc))}", soft_wrap=True)
            err().print(f"nothing was published: the previous reports in {config.display_path(config.resolve(reports))}"
                        " and the database were left as they were")
            raise typer.Exit(1) from exc
        progress.update(task, description="finished", total=len(result.pages))
    out().print(f"reports: {config.display_path(result.index)}")
    for kind, path in result.documents.items():
        out().print(f"{kind}: {config.display_path(path)}")
    for kind, reason in result.missing_documents.items():
        err().print(escape(f"no {kind} written (未生成{kind.upper()}文件): {reason}"), highlight=False, soft_wrap=True)
    out().print(f"log: {config.display_path(result.log_file)}")
    if result.recorded:
        out().print(f"recorded in the monitoring database {config.display_path(result.recorded)}")
    if result.data:
        d = result.data
        out().print(escape(f"data: {d['values_read']} values read from {d['files']} files, {d['observations']} kept, "
                           f"{d['quarantined']} quarantined, {len(d['unreadable'])} files unreadable"
                           + (f" ({', '.join(d['unreadable'])})" if d["unreadable"] else "")
                           + f"; self-evaluations: {d['self_evaluations']} rows kept, "
                             f"{d['self_evaluations_quarantined']} quarantined"), highlight=False, soft_wrap=True)
    if strict and result.data_problems:
        err().print(f"[yellow]published with data problems[/yellow] (--strict): {result.data_problems}")
        raise typer.Exit(3)



@app.command()
def catalog(
    catalog_file: Annotated[
        Path, typer.Option("--catalog", help="the indicator catalog to read")
    ] = config.DEFAULT_CATALOG,
    fmt: Annotated[str, typer.Option("--format", help="'table' or 'csv'")] = "table",
    plan: Annotated[str | None, typer.Option("--plan", help="W (women) or C (children)")] = None,
    field: Annotated[int | None, typer.Option("--field", help="field number, e.g. 1")] = None,
    monitorable: Annotated[
        bool | None,
        typer.Option("--monitorable/--not-monitorable", help="only (not) monitorable targets"),
    ] = None,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="write the CSV to this file instead of stdout")
    ] = None,
) -> None:
    """Check the indicator catalog and print it (every field, ids in plan order)."""
    from analysis import atomic
    from analysis import catalog as cat_mod

    if fmt not in ("table", "csv"):
        raise fail(f"--format must be 'table' or 'csv', not {fmt!r}", 2)
    if plan is not None and plan not in ("W", "C"):
        raise fail(f"--plan must be W or C, not {plan!r}", 2)
    try:
        cat = cat_mod.load_catalog(catalog_file)
    except (cat_mod.CatalogError, config.ParamsError, FileNotFoundError) as exc:
        raise fail(exc, 2) from exc
    flat = cat_mod.to_flat(cat_mod.select(cat, plan, field, monitorable), cat.fields)
    if fmt == "csv":
        if out_file is None:
            typer.echo(atomic.spreadsheet_safe(flat).to_csv(index=False), nl=False)
        else:
            with atomic.atomic_output(out_file) as tmp:
                atomic.spreadsheet_safe(flat).to_csv(tmp, index=False, encoding="utf-8-sig")
            err().print(f"{len(flat)} entries written to {out_file}")
        return
    from rich.table import Table

    table = Table(title=f"{config.display_path(cat.path)}: {len(flat)} entries")
    for col in ("id", "指标", "目标", "分组", "部门", "可监测"):
        table.add_column(col, overflow="fold")
    for _, row in cat_mod.select(cat, plan, field, monitorable).iterrows():
        table.add_row(
            row["id"], row["name_zh"], cat_mod.target_text(row), ",".join(row["breakdowns"]),
            row["department"], "是" if row["monitorable"] else "否",
        )
    out().print(table)


@app.command()
def clean(
    raw: Annotated[Path, typer.Option("--raw", help="the folder of returns as delivered")] = config.RAW_DIR,
    out_dir: Annotated[Path, typer.Option("--out", help="where the validated tables are written")] = (
        config.PROCESSED_DIR),
    catalog_file: Annotated[Path, typer.Option("--catalog", help="the indicator catalog")] = config.DEFAULT_CATALOG,
) -> None:
    """Clean the returns: observations + quarantine, every raw value accounted for.

    Exit 0 when every value became an observation, 1 when something was quarantined or a file
    could not be read, 2 when the step could not run (no raw folder, a broken catalog).
    """
    from rich.table import Table

    from analysis import catalog as cat_mod
    from analysis import clean as clean_mod
    from analysis import logs, schemas
    from analysis.pipeline import lock

    logs.configure(logs.stage_log("clean"))
    try:
        with lock.exclusive(out_dir):
            result = clean_mod.clean(raw, catalog_file)
            written = clean_mod.write(result, out_dir)
    except (cat_mod.CatalogError, config.ParamsError, FileNotFoundError, schemas.ContractError, lock.Busy) as exc:
        raise fail(exc, 2) from exc
    s = result.summary
    e = s["self_evaluations"]
    table = Table(title="plan-monitor clean", show_header=False)
    for label, value in (
        ("files", s["files"]), ("values read", s["values_read"]), ("observations kept", s["observations"]),
        ("  of which flagged for review", s["flagged"]), ("quarantined", s["quarantined"]),
        *((f"  {reason}", n) for reason, n in s["quarantined_by_reason"].items()),
        ("cells left empty (missing)", s["missing_cells"]), ("files that could not be read", len(s["file_problems"])),
        ("self-evaluation forms", e["forms"]), ("  rows read", e["rows_read"]), ("  rows kept", e["kept"]),
        ("    of which without progress notes", e["no_progress"]), ("  rows quarantined", e["quarantined"]),
        *((f"    {reason}", n) for reason, n in e["quarantined_by_reason"].items()),
    ):
        table.add_row(label, str(value))
    out().print(table)
    for p in s["file_problems"]:
        sheet = f" (sheet {p['source_sheet']})" if p["source_sheet"] else ""
        err().print("[yellow]file problem:[/yellow] " + escape(f"{p['source_file']}{sheet}: {p['problem']}"),
                    highlight=False)
    out().print(f"written: {', '.join(config.display_path(p) for p in written.values())}")
    if s["quarantined"] or e["quarantined"] or s["file_problems"]:
        raise typer.Exit(1)


@app.command()
def template(
    department: Annotated[str, typer.Option("--department", help="the reporting department, e.g. 卫健委")],
    year: Annotated[int, typer.Option("--year", help="the year the figures are for")],
    out_file: Annotated[Path, typer.Option("--out", help="the .xlsx file to write")],
    catalog_file: Annotated[Path, typer.Option("--catalog", help="the indicator catalog")] = config.DEFAULT_CATALOG,
) -> None:
    """Write the blank standard return a department fills in for one year."""
    from analysis import catalog as cat_mod
    from analysis.returns import template as template_mod

    try:
        cat = cat_mod.load_catalog(catalog_file)
        path = template_mod.write_template(cat, department, year, out_file)
    except (cat_mod.CatalogError, config.ParamsError, ValueError) as exc:
        raise fail(exc, 2) from exc
    rows = len(template_mod.form_rows(cat, department, year))
    out().print(f"{path}: {rows} rows for {department}, {year}")


@app.command("self-evaluation-form")
def self_evaluation_form(
    department: Annotated[str, typer.Option("--department", help="the member unit, e.g. 卫健委")],
    year: Annotated[int, typer.Option("--year", help="the plan year the self-evaluation is for")],
    out_file: Annotated[Path, typer.Option("--out", help="the .xlsx file to write")],
    catalog_file: Annotated[Path, typer.Option("--catalog", help="the indicator catalog")] = config.DEFAULT_CATALOG,
) -> None:
    """Write the blank self-evaluation form of a member unit's qualitative targets for one year.

    A row per qualitative target the unit leads, with the plan's sentence; the unit chooses a
    conclusion (params/selfeval.yaml) and writes its progress and evidence. Filled in and put in
    data/raw/, it is read back by clean without configuration. Exit 2 for an unknown unit, a unit
    without qualitative targets or a year outside the plan period.
    """
    from analysis import catalog as cat_mod
    from analysis.returns import selfeval

    try:
        cat = cat_mod.load_catalog(catalog_file)
        path = selfeval.write_form(cat, department, year, out_file)
    except (cat_mod.CatalogError, config.ParamsError, ValueError) as exc:
        raise fail(exc, 2) from exc
    rows = len(selfeval.form_rows(cat, department))
    out().print(f"{path}: {rows} qualitative targets for {department}, {year}")


@app.command("word-template")
def word_template(
    out_file: Annotated[Path, typer.Option("--out", help="the .docx file to write")] = config.WORD_TEMPLATE,
) -> None:
    """Write the default Word template of the evaluation report (the office may then restyle it in Word).

    The report's Word file takes its styles from this template: Title, Heading 1-3, Normal, List Bullet,
    Quote, Caption, the table style Table Grid and the paragraph style 表格文字, page size, margins, footer.
    """
    from analysis.report import word

    path = word.build_template(config.resolve(out_file))
    out().print(f"written: {config.display_path(path)}")


@app.command()
def sample(
    seed: Annotated[int, typer.Option("--seed", help="the random seed: the same seed gives the same files")] = 20250101,
    out_dir: Annotated[Path, typer.Option("--out", help="where the synthetic returns are written")] = (
        config.RAW_DIR / "synthetic"),
) -> None:
    """Write the synthetic district's returns (模拟数据), byte-for-byte from the seed."""
    from analysis import catalog as cat_mod
    from analysis import synthetic

    try:
        paths = synthetic.generate(seed, out_dir)
    except (cat_mod.CatalogError, config.ParamsError) as exc:
        raise fail(exc, 2) from exc
    out().print(f"{len(paths)} files (模拟数据, seed {seed}) written to {config.display_path(config.resolve(out_dir))}")


@app.command()
def project(
    processed: Annotated[Path, typer.Option("--processed", help="the folder holding observations.parquet")] = (
        config.PROCESSED_DIR),
    catalog_file: Annotated[Path, typer.Option("--catalog", help="the indicator catalog")] = config.DEFAULT_CATALOG,
    settings_file: Annotated[Path, typer.Option("--settings", help="the engine's settings")] = (
        config.PARAMS_DIR / "projection.yaml"),
    seed: Annotated[int | None, typer.Option("--seed", help="override the settings' random seed")] = None,
) -> None:
    """Project every series to 2030 with intervals: projections.parquet + projection_models.parquet.

    Exit 0 when done (series that cannot be projected are listed, with why), 2 when the stage
    could not run (no observations: run plan-monitor clean first; a broken catalog or settings).
    """
    from analysis import catalog as cat_mod
    from analysis import logs, schemas, trends
    from analysis.pipeline import lock

    logs.configure(logs.stage_log("project"))
    try:
        settings = trends.ProjectionSettings.from_params(settings_file, **({} if seed is None else {"seed": seed}))
        with lock.exclusive(processed):
            result = trends.project(processed, catalog_file, settings)
    except (cat_mod.CatalogError, config.ParamsError, FileNotFoundError, schemas.ContractError, ValueError,
            lock.Busy) as exc:
        raise fail(exc, 2) from exc
    models = result.models
    done = int(models["projectable"].sum())
    out().print(f"{done} series projected to {settings.horizon}, {len(models) - done} not projectable "
                f"(listed with the reason in projection_models.parquet)")
    out().print(f"written: {', '.join(config.display_path(p) for p in result.files.values())}")


@app.command()
def assess(
    processed: Annotated[Path, typer.Option("--processed", help="the folder holding observations and projections")] = (
        config.PROCESSED_DIR),
    catalog_file: Annotated[Path, typer.Option("--catalog", help="the indicator catalog")] = config.DEFAULT_CATALOG,
    settings_file: Annotated[Path, typer.Option("--settings", help="thresholds and labels of the assessment")] = (
        config.PARAMS_DIR / "assessment.yaml"),
    mode: Annotated[str, typer.Option("--mode", help="annual, midterm (2025) or final (2030)")] = "annual",
    year: Annotated[int | None, typer.Option("--year", help="the evaluation year (default: by mode)")] = None,
    as_of: Annotated[int | None, typer.Option(
        "--as-of", help="assess as a report for this year would have: only the values known then (by vintage "
        "when the database holds that year's report, else by year); recorded in the database, the scorecard "
        "left alone")] = None,
    database: Annotated[Path, typer.Option("--database", help="the monitoring database (DuckDB)")] = Path(
        "data/monitor.duckdb"),
) -> None:
    """Judge every target: probability of meeting it, status, pace and early warnings (scorecard),
    then compare with the previous report in the database (与上期相比, the status history).

    Exit 0 when done; 2 when it could not run (no projections yet: run plan-monitor project first;
    a broken catalog or settings; an unknown mode; a database that cannot be read).
    """
    from analysis import catalog as cat_mod
    from analysis import database as db
    from analysis import logs, report, schemas, scorecard
    from analysis.database import asof
    from analysis.pipeline import lock, suite

    logs.configure(logs.stage_log("assess"))
    try:
        with lock.exclusive(processed):
            if as_of is not None:
                made = asof.assess_as_of(processed, database, as_of, catalog_file,
                                         scorecard.load_settings(settings_file), config.load_run_params().title,
                                         suite.git_commit())
            else:
                result = scorecard.assess(processed, catalog_file, mode=mode, year=year, settings_path=settings_file)
                history = db.build(processed, database, catalog_file, result.settings)
    except (cat_mod.CatalogError, config.ParamsError, FileNotFoundError, schemas.ContractError, ValueError,
            lock.Busy, db.DatabaseError) as exc:
        raise fail(exc, 2) from exc
    if as_of is not None:
        settings = scorecard.load_settings(settings_file)
        headline = made.scorecard[made.scorecard["is_headline"]]
        counts = headline["status"].value_counts()
        basis = ("按当时报告采用的数值（数据版本）" if made.basis == "vintage"
                 else f"按{as_of}年及以前的数值（数据库中没有当年的报告）")
        out().print(f"{as_of}年回溯评估（{basis}）：" + "、".join(
            f"{settings.label(s)}{int(counts[s])}项" for s in settings.labels if s in counts))
        out().print(f"recorded in {config.display_path(config.resolve(database))} as run {made.run['run_id']}")
        return
    out().print(report.headline_text(result))
    out().print(report.comparison_text(history.meta))
    out().print(f"written: {', '.join(config.display_path(p) for p in result.files.values())}")


@app.command()
def gaps(
    processed: Annotated[Path, typer.Option("--processed", help="the folder holding observations and projections")] = (
        config.PROCESSED_DIR),
    catalog_file: Annotated[Path, typer.Option("--catalog", help="the indicator catalog")] = config.DEFAULT_CATALOG,
    settings_file: Annotated[Path, typer.Option("--settings", help="thresholds of the gap analysis")] = (
        config.PARAMS_DIR / "gaps.yaml"),
) -> None:
    """Measure every sex and urban–rural gap, the female shares and the 差距缩小 targets (gaps tables).

    Exit 0 when done; 2 when it could not run (no projections yet: run plan-monitor project first;
    a broken catalog or settings).
    """
    from analysis import catalog as cat_mod
    from analysis import gaps as gaps_mod
    from analysis import logs
    from analysis.pipeline import lock

    logs.configure(logs.stage_log("gaps"))
    try:
        with lock.exclusive(processed):
            stage = gaps_mod.run(processed, catalog_file, settings_file)
    except (cat_mod.CatalogError, config.ParamsError, FileNotFoundError, ValueError, lock.Busy) as exc:
        raise fail(exc, 2) from exc
    for result in (stage.sex, stage.urban_rural):
        counts = result.summary["status"].value_counts().to_dict() if len(result.summary) else {}
        out().print(f"{result.kind}: {len(result.summary)} gaps " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    targets = stage.narrowing["status"].value_counts().to_dict() if len(stage.narrowing) else {}
    out().print(f"差距缩小 targets: {len(stage.narrowing)} " + ", ".join(f"{k} {v}" for k, v in targets.items()))
    out().print(f"written: {', '.join(config.display_path(p) for p in stage.files.values())}")


@app.command("db")
def db_command(
    sql: Annotated[str | None, typer.Argument(help="a SQL query (DuckDB), e.g. \"SELECT * FROM runs\"")] = None,
    table: Annotated[str | None, typer.Option("--table", help="export this table or view whole")] = None,
    out_file: Annotated[Path | None, typer.Option("--out", help="write the result to a .csv or .xlsx file")] = None,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="make the database anew from the archive of "
                                          "published runs beside it")] = False,
    database: Annotated[Path, typer.Option("--database", help="the monitoring database (DuckDB)")] = Path(
        "data/monitor.duckdb"),
) -> None:
    """Query or export the monitoring database; without arguments list its tables and reports.

    Exit 0 when done; 2 when the query cannot run (no database yet, an unknown table, bad SQL).
    """
    import duckdb
    import pandas as pd

    from analysis import atomic
    from analysis.database import ingest, store

    try:
        if rebuild:
            n = ingest.rebuild(database, ingest.archive_dir(database))
            out().print(f"rebuilt {config.display_path(config.resolve(database))} from {n} archived run(s) in "
                        f"{config.display_path(ingest.archive_dir(database))}")
            return
        if sql is None and table is None:
            names = store.table_names(database)
            runs = store.reports(database)
            out().print("tables and views: " + ", ".join(names), soft_wrap=True)
            out().print(runs[["run_id", "kind", "basis", "recorded_at_beijing", "mode", "evaluation_year",
                              "data_year"]].to_string(index=False), soft_wrap=True)
            return
        if table is not None:
            if table not in store.table_names(database):
                raise store.DatabaseError(f"no table or view {table!r}; there are {store.table_names(database)}")
            sql = f'SELECT * FROM "{table}"'
        frame = store.query(database, sql)
    except (FileNotFoundError, store.DatabaseError, duckdb.Error) as exc:
        raise fail(exc, 2) from exc
    if out_file is None:
        out().print(frame.to_string(index=False), highlight=False, markup=False, soft_wrap=True)
        return
    safe = atomic.spreadsheet_safe(frame)
    for col in safe.columns:  # Excel has no time zones
        if isinstance(safe[col].dtype, pd.DatetimeTZDtype):
            safe[col] = safe[col].dt.tz_convert(ingest.BEIJING).dt.tz_localize(None)
    with atomic.atomic_output(out_file) as tmp:
        if out_file.suffix.lower() == ".xlsx":
            safe.to_excel(tmp, index=False, engine="openpyxl")
        elif out_file.suffix.lower() == ".csv":
            safe.to_csv(tmp, index=False, encoding="utf-8-sig")
        else:
            raise fail(f"--out {out_file}: write a .csv or an .xlsx file", 2)
    out().print(f"{len(frame)} rows written to {config.display_path(config.resolve(out_file))}")


@app.command("check-pages")
def check_pages(
    reports: Annotated[Path, typer.Option("--reports", help="the folder of rendered pages")] = config.REPORTS_DIR,
    screenshots: Annotated[Path, typer.Option("--screenshots", help="where the screenshots go")] = (
        config.OUTPUTS_DIR / "screenshots"),
) -> None:
    """Open every page in headless Chromium: screenshots, and no broken images, links or script errors.

    Exit 0 when every page passes, 1 when a page has a problem (each listed), 2 when the check
    could not run (no Chromium: apt-get install chromium fonts-noto-cjk; no pages yet).
    """
    from analysis.report import browser

    try:
        results = browser.check_pages(reports, screenshots)
    except (RuntimeError, FileNotFoundError) as exc:
        raise fail(exc, 2) from exc
    bad = [r for r in results if r.problems]
    for r in results:
        out().print(f"{'FAIL' if r.problems else 'ok  '} {r.page} -> {config.display_path(r.screenshot)}",
                    highlight=False)
        for problem in r.problems:
            out().print(f"     {problem}", highlight=False, markup=False)
    if bad:
        raise typer.Exit(1)
