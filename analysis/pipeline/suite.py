"""Running the suite: the notebooks of a run, executed in order by papermill, then published.

This is what ``plan-monitor run`` (and so ``make report`` and a scheduler) calls. Each
notebook runs in a fresh kernel with the parameters of the run file, overridden by ``-p``;
the executed notebooks are kept under ``outputs/notebooks/<run-id>/`` with a log under
``outputs/logs/<run-id>.log``; the HTML pages go to ``reports/`` only when the whole run
succeeded (see :mod:`analysis.report`).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import papermill as pm
import yaml

from analysis import config, logs, report, scorecard
from analysis.pipeline import lock
from analysis.returns import inventory

log = logging.getLogger(__name__)

#: the Jupyter kernel the notebooks run in: this environment's Python (see ensure_kernel)
KERNEL_NAME = "plan-monitor"


class RunError(Exception):
    """The run could not start (bad run file, unknown parameter, unknown notebook)."""


@dataclass
class NotebookFailed(Exception):
    """A notebook raised while executing: which notebook, which cell, which error."""

    notebook: str
    cell: int | None
    error: str
    executed: Path

    def __str__(self) -> str:
        where = f"cell {self.cell}" if self.cell is not None else "an unknown cell"
        return (
            f"notebook {self.notebook} failed in {where}: {self.error}\n"
            f"the executed notebook with the full traceback is {config.display_path(self.executed)}"
        )


@dataclass
class RunResult:
    """What a finished run produced."""

    run_id: str
    log_file: Path
    executed: dict[str, Path] = field(default_factory=dict)
    pages: dict[str, Path] = field(default_factory=dict)
    index: Path | None = None
    #: what this run's cleaning found (:func:`data_status`), None when the run did not clean
    data: dict[str, Any] | None = None
    #: the report's Word and PDF files made by this run (format -> path)
    documents: dict[str, Path] = field(default_factory=dict)
    #: why a document was not made (format -> reason, in Chinese)
    missing_documents: dict[str, str] = field(default_factory=dict)
    #: the monitoring database this run was recorded in (None: not recorded, e.g. an ``--only`` run)
    recorded: Path | None = None

    @property
    def data_problems(self) -> int:
        """Values and self-evaluation rows quarantined plus files that could not be read, in this run's cleaning."""
        if not self.data:
            return 0
        d = self.data
        return int(d["quarantined"]) + int(d["self_evaluations_quarantined"]) + len(d["unreadable"])


def cleans(notebook: str) -> bool:
    """Whether a notebook is the cleaning page: it declares both the raw folder it reads and the
    processed folder it writes (20_clean), so a run that executed it reports what the data hold."""
    return {"raw_dir", "processed_dir"} <= set(declared_parameters(notebook))


def data_status(processed_dir: str | Path, cleaned: bool) -> dict[str, Any] | None:
    """The cleaning summary the run's cleaning page wrote or read (``cleaning_summary.json`` in
    ``processed_dir``; the page reads the stage's tables when no raw file, catalog, params file or
    code changed, and the summary is then as true as when it was written): files and values read,
    kept, quarantined by reason, and the files that could not be read — what a scheduler's log and
    the index page must state. None when the run did not execute the cleaning page (an ``--only``
    run of another notebook)."""
    path = config.resolve(processed_dir) / "cleaning_summary.json"
    if not cleaned or not path.is_file():
        return None
    s = json.loads(path.read_text(encoding="utf-8"))
    return {"files": s["files"], "values_read": s["values_read"], "observations": s["observations"],
            "quarantined": s["quarantined"], "quarantined_by_reason": s["quarantined_by_reason"],
            "self_evaluations": s.get("self_evaluations", {}).get("kept", 0),
            "self_evaluations_quarantined": s.get("self_evaluations", {}).get("quarantined", 0),
            "unreadable": [p["source_file"] for p in s["file_problems"]]}


def data_words(data: dict[str, Any] | None) -> str:
    """The run's data status in one Chinese sentence for the index page and the log."""
    if not data:
        return "本次运行未重新清理数据。"
    text = (f"读取 {data['files']} 个文件中的 {data['values_read']} 个数值，保留 {data['observations']} 个，"
            f"隔离 {data['quarantined']} 个")
    kept, refused = data["self_evaluations"], data["self_evaluations_quarantined"]
    if kept or refused:
        text += f"；成员单位自评 {kept} 行" + (f"，隔离 {refused} 行" if refused else "")
    text += f"；{len(data['unreadable'])} 个文件无法读取" if data["unreadable"] else "；所有文件均可读取"
    problems = data["quarantined"] or data["self_evaluations_quarantined"] or data["unreadable"]
    return text + ("（详见数据清理页）。" if problems else "。")


def ensure_kernel() -> None:
    """Make sure the ``plan-monitor`` kernel exists and runs this environment's Python.

    The kernel spec is installed into this environment (``sys.prefix``), so JupyterLab,
    papermill and nbval started from it all find the same interpreter. A spec of the same
    name elsewhere that points at another Python is an error: it would run the notebooks
    with other packages.
    """
    from ipykernel.kernelspec import install
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    manager = KernelSpecManager()
    try:
        spec = manager.get_kernel_spec(KERNEL_NAME)
    except NoSuchKernel:
        install(kernel_name=KERNEL_NAME, display_name="plan-monitor", prefix=sys.prefix)
        log.info("installed the %s kernel for %s", KERNEL_NAME, sys.executable)
        return
    if Path(spec.argv[0]).resolve() != Path(sys.executable).resolve():
        raise RunError(
            f"the Jupyter kernel '{KERNEL_NAME}' at {spec.resource_dir} runs {spec.argv[0]}, "
            f"not this environment's Python ({sys.executable}); remove it with "
            f"'jupyter kernelspec remove {KERNEL_NAME}' and run again"
        )


def git_commit() -> str:
    """The checked-out commit (with '+dirty' when files differ), or why it is unknown."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],
            cwd=config.PROJECT_ROOT, capture_output=True, text=True, check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=config.PROJECT_ROOT, capture_output=True, text=True, check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return commit + ("+dirty" if dirty else "")


def parse_overrides(pairs: list[str]) -> dict[str, Any]:
    """Turn ``-p name=value`` pairs into parameters; values are read as YAML (2024 → int)."""
    out: dict[str, Any] = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        if not sep or not name.strip():
            raise RunError(f"parameter {pair!r} is not of the form name=value")
        try:
            out[name.strip()] = yaml.safe_load(raw) if raw else ""
        except yaml.YAMLError as exc:
            raise RunError(f"parameter {name}: value {raw!r} cannot be read ({exc})") from exc
    return out


def declared_parameters(notebook: str) -> dict[str, Any]:
    """The parameters a notebook declares in its ``parameters`` cell, by name."""
    return pm.inspect_notebook(str(config.NOTEBOOKS_DIR / f"{notebook}.ipynb"))


def select_notebooks(run: config.RunParams, only: str | None) -> list[str]:
    """The notebooks to execute: all of the run, or the one ``--only`` names.

    ``only`` may be the file name without ``.ipynb`` (``10_catalog``) or without its
    order prefix (``catalog``); a notebook outside the run's list may be named too.
    """
    if only is None:
        return list(run.notebooks)
    available = sorted(p.stem for p in config.NOTEBOOKS_DIR.glob("*.ipynb"))
    matches = [n for n in available if only in (n, n.split("_", 1)[-1])]
    if len(matches) != 1:
        raise RunError(
            f"--only {only!r} matches {len(matches)} notebooks; choose one of {available}"
        )
    return matches


def plan_parameters(
    run: config.RunParams, notebooks: list[str], overrides: Mapping[str, Any]
) -> dict[str, dict[str, Any]]:
    """The parameters each notebook receives: the run file's, overridden, those it declares.

    An override (``-p``) that none of the selected notebooks declares is an error, and so
    is a run-file parameter that no notebook of the run declares: a misspelt name would
    otherwise be ignored and the notebook would silently keep its default.
    """
    in_run_notebooks = [*run.notebooks, *([run.per_indicator["notebook"]] if run.per_indicator else [])]
    declared = {nb: declared_parameters(nb) for nb in set(in_run_notebooks) | set(notebooks)}
    in_run = set().union(*(declared[nb] for nb in in_run_notebooks))
    stray = sorted(set(run.parameters) - in_run)
    if stray:
        raise RunError(
            f"{config.display_path(run.path)}: parameter(s) {stray} are declared by no "
            f"notebook of the run"
        )
    selected = set().union(*(declared[nb] for nb in notebooks))
    unknown = sorted(set(overrides) - selected)
    if unknown:
        raise RunError(
            f"-p {unknown}: no notebook of this run declares such a parameter "
            f"(declared: {sorted(selected)})"
        )
    # a notebook that shows the run's settings is told which run file is in force
    merged = {"params_file": config.display_path(run.path), **run.parameters, **overrides}
    return {nb: {k: v for k, v in merged.items() if k in declared[nb]} for nb in notebooks}


def new_run_id(outputs_dir: Path) -> str:
    """A sortable id from the local time, unique within ``outputs_dir``."""
    base = datetime.now().strftime("%Y%m%d-%H%M%S")
    run_id, n = base, 1
    while (outputs_dir / "notebooks" / run_id).exists():
        n += 1
        run_id = f"{base}-{n}"
    return run_id


#: China Standard Time (UTC+8, no daylight saving): the time the pages state
BEIJING = timezone(timedelta(hours=8))


def beijing_time(moment: datetime) -> str:
    """A moment as the pages state it: Beijing time, in words a Chinese reader expects."""
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S") + "（北京时间）"


def execute_notebook(notebook: str, parameters: dict[str, Any], executed: Path,
                     run_log: Path | None = None) -> None:
    """Execute one notebook in a fresh kernel; raise :class:`NotebookFailed` on any error. With
    ``run_log`` the kernel's ``analysis`` loggers write to it too (:func:`analysis.logs.join_run_log`)."""
    saved = {k: os.environ.get(k) for k in (logs.RUN_LOG_ENV, logs.PAGE_ENV)}
    if run_log is not None:
        os.environ[logs.RUN_LOG_ENV], os.environ[logs.PAGE_ENV] = str(run_log), executed.stem
    try:
        pm.execute_notebook(
            str(config.NOTEBOOKS_DIR / f"{notebook}.ipynb"),
            str(executed),
            parameters=parameters,
            kernel_name=KERNEL_NAME,
            cwd=str(config.NOTEBOOKS_DIR),
            progress_bar=False,
            log_output=False,
        )
    except pm.PapermillExecutionError as exc:
        cell = exc.exec_count if exc.exec_count is not None else exc.cell_index
        raise NotebookFailed(notebook, cell, f"{exc.ename}: {exc.evalue}", executed) from exc
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def page_name(notebook: str, params: Mapping[str, Any], run: config.RunParams) -> str:
    """The page a notebook renders to: its own name, or for the per-indicator notebook its name
    and the indicator (``70_indicator_C1.9c``), so that each indicator has its own page."""
    spec = run.per_indicator
    if spec and notebook == spec["notebook"] and params.get(spec["parameter"]):
        return f"{notebook}_{params[spec['parameter']]}"
    return notebook


def indicators_to_page(spec: Mapping[str, Any], params: Mapping[str, Any]) -> list[str]:
    """The indicators that get a page of their own: those the run file lists, with
    ``indicators: warned`` every indicator carrying an early warning in the scorecard just made,
    with ``indicators: monitored`` every monitorable one with data (about 4 s a page)."""
    chosen = spec.get("indicators", "warned")
    if isinstance(chosen, list):
        return [str(i) for i in chosen]

    return scorecard.warned_indicators(params.get("processed_dir", config.PROCESSED_DIR), str(chosen))


def indicator_name(indicator_id: str) -> str:
    """The catalog's Chinese name of an indicator, or '' (a page title must not fail a run)."""
    from analysis import catalog

    try:
        return str(catalog.load_catalog().entry(indicator_id)["name_zh"])
    except (KeyError, catalog.CatalogError, config.ParamsError):
        return ""


def _execute_and_render(nb: str, page: str, params: dict[str, Any], executed_dir: Path, staging: Path,
                        stamp: dict[str, Any], manifest: dict[str, Any], result: RunResult,
                        notify: Callable[[str, str], None]) -> None:
    """Execute one notebook with its parameters, render it as ``page``, and record it."""
    executed = executed_dir / f"{page}.ipynb"
    notify(page, "executing")
    t0 = time.monotonic()
    log.info("executing %s as %s with %s", nb, page, params)
    execute_notebook(nb, params, executed, result.log_file)
    log.info("executed %s in %.1f s", page, time.monotonic() - t0)
    result.executed[page] = executed
    notify(page, "rendering")
    html = staging / f"{page}.html"
    stamp["data_as_of"] = inventory.data_as_of(params.get("processed_dir", stamp.get("processed_dir", "")))
    page_stamp = stamp | {"lang": params.get("lang", "zh")}
    title = report.render_notebook(executed, html, page_stamp)
    entry = {"notebook": page, "html": html.name, "title": title,
             "run_id": stamp["run_id"], "run_time": stamp["run_time"]}
    if page != nb:  # a page of the per-indicator notebook: named after its indicator
        indicator = page[len(nb) + 1:]
        entry.update(indicator=indicator, title=f"{title}：{indicator} {indicator_name(indicator)}")
    manifest["pages"][page] = entry
    result.pages[page] = html.name
    notify(page, "done")


def record_in_database(run_params: config.RunParams, overrides: Mapping[str, Any] | None, stamp: dict[str, Any],
                       started: datetime) -> Path | None:
    """Add this run to the monitoring database (``database`` of the run's parameters), in one
    transaction, before its pages are published: the values it read with their vintage (the
    checksums taken when the run started), its quarantine, verdicts, self-evaluations and as-of
    assessments. Nothing is recorded when the run showed no assessment; a database that cannot be
    written fails the run, and so leaves the published pages as they were."""
    from analysis.database import ingest

    merged = {**run_params.parameters, **(overrides or {})}
    database = merged.get("database")
    processed = config.resolve(stamp["processed_dir"])
    # the history stage runs with every assessment page (40_scorecard), whether it assessed anew or
    # read a scorecard still current: its table, written by this run, says the run has verdicts
    made = processed / "history.json"
    if not database or not made.is_file() or made.stat().st_mtime < started.timestamp():
        log.info("run not recorded in a database (%s)", "no database parameter" if not database
                 else "no assessment shown by this run")
        return None
    raw_dir = merged.get("raw_dir", config.RAW_DIR)
    rec = ingest.run_record(stamp["run_id"], processed, raw_dir, merged.get("catalog", config.DEFAULT_CATALOG),
                            run_params.title, stamp["commit"],
                            ingest.checksums_from_inventory(stamp["inputs"], raw_dir), started)
    ingest.record_run(database, rec)
    return config.resolve(database)


def write_documents(spec: Mapping[str, Any], staging: Path, manifest: dict[str, Any], result: RunResult,
                    notify: Callable[[str, str], None]) -> None:
    """Write the report page ``spec['page']`` as Word and (unless ``pdf: false``) PDF beside it.

    A document that cannot be made is recorded with its reason in the manifest and the result,
    and the run goes on: the HTML pages are published whatever happens here.
    """
    from analysis.report import pdf, word

    page = spec["page"]
    html = staging / f"{page}.html"
    made: dict[str, str] = {}
    missing: dict[str, str] = {}
    notify(f"{page}.docx", "writing")
    try:
        made["docx"] = word.write_docx(html, staging / f"{page}.docx", spec["word_template"]).name
    except word.WordError as exc:
        missing["docx"] = str(exc)
    if spec.get("pdf", True):
        notify(f"{page}.pdf", "writing")
        try:
            made["pdf"] = pdf.write_pdf(html, staging / f"{page}.pdf").name
        except pdf.PdfError as exc:
            missing["pdf"] = str(exc)
    for kind, reason in missing.items():
        (staging / f"{page}.{kind}").unlink(missing_ok=True)  # never a stale file beside a new page
        log.warning("no %s of %s: %s", kind, page, reason)
    manifest["documents"] = {"page": page, "files": made, "missing": missing, "run_id": result.run_id,
                             "run_time": manifest.get("pages", {}).get(page, {}).get("run_time")}
    result.documents = {kind: staging / name for kind, name in made.items()}
    result.missing_documents = missing


def run(
    params_file: str | Path = config.DEFAULT_RUN_PARAMS,
    overrides: Mapping[str, Any] | None = None,
    only: str | None = None,
    reports_dir: Path = config.REPORTS_DIR,
    outputs_dir: Path = config.OUTPUTS_DIR,
    on_progress: Callable[[str, str], None] | None = None,
) -> RunResult:
    """Execute the run described by ``params_file`` and publish its pages to ``reports_dir``.

    ``on_progress(notebook, stage)`` is told of each stage ('executing', 'rendering',
    'done') so the CLI can show progress. Raises :class:`RunError` before anything runs,
    :class:`NotebookFailed` when a notebook fails; in both cases ``reports_dir`` is untouched.
    """
    started = datetime.now().astimezone()
    reports_dir, outputs_dir = config.resolve(reports_dir), config.resolve(outputs_dir)
    outputs_dir.mkdir(parents=True, exist_ok=True)
    run_id = new_run_id(outputs_dir)
    log_file = outputs_dir / "logs" / f"{run_id}.log"
    logs.configure(log_file)
    notify = on_progress or (lambda _nb, _stage: None)
    result = RunResult(run_id=run_id, log_file=log_file)
    try:
        run_params = config.load_run_params(params_file)
    except config.ParamsError as exc:
        raise RunError(str(exc)) from exc
    notebooks = select_notebooks(run_params, only)
    per_notebook = plan_parameters(run_params, notebooks, overrides or {})
    ensure_kernel()
    log.info("run %s: params file %s", run_id, config.display_path(run_params.path))
    log.info("notebooks: %s; overrides: %s", notebooks, dict(overrides or {}))

    raw_dir = {**run_params.parameters, **(overrides or {})}.get("raw_dir", config.RAW_DIR)
    folders = [raw_dir, config.PARAMS_DIR]
    if not run_params.path.is_relative_to(config.PARAMS_DIR):
        folders.append(run_params.path.parent)
    stamp = {
        "title": run_params.title,
        "title_en": run_params.title_en,
        "run_id": run_id,
        "run_time": beijing_time(started),
        "commit": git_commit(),
        "params_file": config.display_path(run_params.path),
        "params_sha256": inventory.sha256(run_params.path),
        "inputs": inventory.inventory(folders).to_dict("records"),
    }
    stamp["processed_dir"] = str({**run_params.parameters, **(overrides or {})}.get("processed_dir",
                                                                                     config.PROCESSED_DIR))
    log.info("commit %s; %d input files checksummed", stamp["commit"], len(stamp["inputs"]))

    executed_dir = outputs_dir / "notebooks" / run_id
    executed_dir.mkdir(parents=True, exist_ok=True)
    # the pages read the run file this run uses (the report links only to the indicator pages it builds)
    saved_run_file = os.environ.get(config.RUN_FILE_ENV)
    os.environ[config.RUN_FILE_ENV] = str(run_params.path)
    try:
        with lock.exclusive(stamp["processed_dir"]):
            return _run_locked(run_params, notebooks, per_notebook, overrides, only, reports_dir, executed_dir,
                               stamp, result, notify, started)
    except lock.Busy as exc:
        raise RunError(str(exc)) from exc
    finally:
        if saved_run_file is None:
            os.environ.pop(config.RUN_FILE_ENV, None)
        else:
            os.environ[config.RUN_FILE_ENV] = saved_run_file


def _run_locked(run_params, notebooks, per_notebook, overrides, only, reports_dir, executed_dir, stamp, result,
                notify, started) -> RunResult:
    """The run proper, holding the processed folder's lock (:func:`run`)."""
    run_id = result.run_id
    # a whole run rebuilds every page (an indicator no longer warned loses its page); --only
    # re-renders one page and keeps the others
    staging = report.start_staging(reports_dir, run_id, keep=only is not None)
    try:
        manifest = report.read_manifest(staging)
        pages = [(nb, page_name(nb, per_notebook[nb], run_params), per_notebook[nb]) for nb in notebooks]
        for nb, page, params in pages:
            _execute_and_render(nb, page, params, executed_dir, staging, stamp, manifest, result, notify)
        if only is None and run_params.per_indicator:
            spec = run_params.per_indicator
            base = {k: v for k, v in {**run_params.parameters, **(overrides or {})}.items()
                    if k in declared_parameters(spec["notebook"])}
            ids = indicators_to_page(spec, base)
            log.info("indicator pages for %d indicator(s): %s", len(ids), ids)
            for indicator_id in ids:
                params = {**base, spec["parameter"]: indicator_id}
                _execute_and_render(spec["notebook"], page_name(spec["notebook"], params, run_params), params,
                                    executed_dir, staging, stamp, manifest, result, notify)
        if run_params.documents and run_params.documents["page"] in result.executed:
            write_documents(run_params.documents, staging, manifest, result, notify)
            try:
                manifest["summary"] = report.index_summary(per_notebook[run_params.documents["page"]])
            except Exception as exc:  # the index then lists the pages without the headline
                log.warning("no headline for the index: %s", exc)
                manifest["summary"] = None
        result.data = data_status(stamp["processed_dir"], any(cleans(nb) for nb, _, _ in pages))
        if result.data:
            log.info("data: %d files, %d values read, %d kept, %d quarantined %s, %d files unreadable %s; "
                     "self-evaluations: %d rows kept, %d quarantined",
                     result.data["files"], result.data["values_read"], result.data["observations"],
                     result.data["quarantined"], result.data["quarantined_by_reason"],
                     len(result.data["unreadable"]), result.data["unreadable"], result.data["self_evaluations"],
                     result.data["self_evaluations_quarantined"])
        if only is None:
            result.recorded = record_in_database(run_params, overrides, stamp, started)
        manifest["latest_run"] = ({k: stamp[k] for k in stamp if k not in ("title", "title_en")}
                                  | {"data": data_words(result.data)})
        report.write_index(staging, manifest, run_params.title)
        report.publish(staging, reports_dir)
    except BaseException as exc:
        report.discard(staging)
        log.error("run %s failed; reports left as they were: %s", run_id, exc)
        raise
    result.pages = {page: reports_dir / name for page, name in result.pages.items()}
    result.documents = {kind: reports_dir / path.name for kind, path in result.documents.items()}
    result.index = reports_dir / "index.html"
    log.info("run %s finished in %.1f s", run_id, (datetime.now().astimezone() - started).total_seconds())
    return result
