"""Logging set-up: one log file per run, plus warnings and errors on the terminal.

Modules log through ``logging.getLogger(__name__)``; only the entry points (the CLI, a
notebook's first cell) call :func:`configure`.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime
from pathlib import Path

from analysis import config

LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def configure(log_file: Path | None = None, level: int = logging.INFO) -> logging.Logger:
    """Send the ``analysis`` loggers to ``log_file`` (created with its folder) and stderr.

    Calling it again replaces the handlers it installed before, so a long-lived process
    (a notebook kernel, a test session) does not write each line twice.
    """
    root = logging.getLogger("analysis")
    root.setLevel(level)
    for handler in list(root.handlers):
        if getattr(handler, "_plan_monitor", False):
            root.removeHandler(handler)
            handler.close()
    console = logging.StreamHandler()
    console.setLevel(logging.WARNING)
    console.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    console._plan_monitor = True  # type: ignore[attr-defined]
    root.addHandler(console)
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        fh = logging.FileHandler(log_file, encoding="utf-8")
        fh.setLevel(level)
        fh.setFormatter(logging.Formatter(LOG_FORMAT))
        fh._plan_monitor = True  # type: ignore[attr-defined]
        root.addHandler(fh)
    return root


#: set by the suite for each notebook it runs: the run's log file and the page being made
RUN_LOG_ENV, PAGE_ENV = "PLAN_MONITOR_RUN_LOG", "PLAN_MONITOR_PAGE"


def join_run_log() -> None:
    """In a notebook kernel the suite started, send the ``analysis`` loggers (INFO and up) to the
    run's log file too, each line naming the page: so the run log shows what every stage
    computed, read or wrote, once per run. Does nothing outside a run (JupyterLab, the tests)."""
    path = os.environ.get(RUN_LOG_ENV)
    if not path:
        return
    root = logging.getLogger("analysis")
    if any(getattr(h, "_plan_monitor_run", False) for h in root.handlers):
        return
    root.setLevel(min(root.level or logging.INFO, logging.INFO))
    fh = logging.FileHandler(path, encoding="utf-8")
    fh.setLevel(logging.INFO)
    page = os.environ.get(PAGE_ENV, "?")
    fh.setFormatter(logging.Formatter(f"%(asctime)s %(levelname)-7s [{page}] %(name)s: %(message)s"))
    fh._plan_monitor_run = True  # type: ignore[attr-defined]
    root.addHandler(fh)


def stage_log(stage: str) -> Path:
    """The log file of one run of a stage command: ``outputs/logs/<stage>-<time>.log``."""
    return config.OUTPUTS_DIR / "logs" / f"{stage}-{datetime.now():%Y%m%d-%H%M%S}.log"
