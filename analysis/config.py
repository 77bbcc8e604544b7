"""Where things are, and how run parameters are read.

Every path the suite uses is resolved here, against the project root, never against the
working directory of whoever runs the code: a notebook opened in JupyterLab, papermill
executing it from elsewhere and a test in a temporary folder all find the same files.
Relative paths in parameters ("data/raw") mean "relative to the project root".
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

#: The project root: the folder holding ``analysis/``, ``params/`` and ``data/``.
#: ``PLAN_MONITOR_ROOT`` overrides it (for a county that keeps its data elsewhere).
PROJECT_ROOT = Path(os.environ.get("PLAN_MONITOR_ROOT", Path(__file__).resolve().parents[1]))

NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
PARAMS_DIR = PROJECT_ROOT / "params"
RAW_DIR = PROJECT_ROOT / "data" / "raw"
PROCESSED_DIR = PROJECT_ROOT / "data" / "processed"
REPORTS_DIR = PROJECT_ROOT / "reports"
OUTPUTS_DIR = PROJECT_ROOT / "outputs"
DEFAULT_RUN_PARAMS = PARAMS_DIR / "run.yaml"
DEFAULT_CATALOG = PARAMS_DIR / "indicators.yaml"
UNITS_FILE = PARAMS_DIR / "units.yaml"
DEPARTMENTS_FILE = PARAMS_DIR / "departments.yaml"

#: The plans' full text (the source of every target), shipped in ``docs/plans/``.
PLAN_TEXT = PROJECT_ROOT / "docs" / "plans" / "yanshi-women-children-plans-2021-2030.txt"


def resolve(path: str | os.PathLike[str]) -> Path:
    """Return ``path`` as an absolute path, reading a relative one from the project root."""
    p = Path(path).expanduser()
    return p if p.is_absolute() else PROJECT_ROOT / p


def display_path(path: str | os.PathLike[str]) -> str:
    """Return ``path`` relative to the project root when it lies inside it (for messages)."""
    p = Path(path).resolve()
    try:
        return p.relative_to(PROJECT_ROOT.resolve()).as_posix()
    except ValueError:
        return str(p)


class ParamsError(ValueError):
    """A parameters file that cannot be used, with the file and the problem named."""


def read_yaml(path: str | os.PathLike[str]) -> Any:
    """Read a YAML file, raising :class:`ParamsError` naming the file and line on bad input."""
    p = resolve(path)
    if not p.is_file():
        raise ParamsError(f"{display_path(p)}: file not found")
    try:
        with p.open(encoding="utf-8") as fh:
            return yaml.safe_load(fh)
    except yaml.YAMLError as exc:
        where = ""
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            where = f" (line {mark.line + 1}, column {mark.column + 1})"
        raise ParamsError(f"{display_path(p)}{where}: not valid YAML: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise ParamsError(f"{display_path(p)}: not UTF-8 text ({exc})") from exc


@dataclass(frozen=True)
class RunParams:
    """A run as declared in ``params/run.yaml``: its title, notebooks and parameters."""

    path: Path
    title: str
    notebooks: list[str]
    parameters: dict[str, Any]
    per_indicator: dict[str, Any] | None = None


def load_run_params(path: str | os.PathLike[str] = DEFAULT_RUN_PARAMS) -> RunParams:
    """Read and check a run file: a title, a non-empty list of notebooks that exist, parameters.

    Raises :class:`ParamsError` naming the file and the key at fault.
    """
    p = resolve(path)
    data = read_yaml(p)
    where = display_path(p)
    if not isinstance(data, dict):
        raise ParamsError(f"{where}: expected a mapping with 'notebooks' and 'parameters'")
    unknown = set(data) - {"title", "notebooks", "parameters", "per_indicator"}
    if unknown:
        raise ParamsError(f"{where}: unknown key(s) {sorted(unknown)}")
    notebooks = data.get("notebooks")
    if not isinstance(notebooks, list) or not notebooks:
        raise ParamsError(f"{where}: 'notebooks' must be a non-empty list of notebook names")
    for name in notebooks:
        if not isinstance(name, str) or not (NOTEBOOKS_DIR / f"{name}.ipynb").is_file():
            raise ParamsError(
                f"{where}: notebook {name!r} listed in 'notebooks' does not exist in notebooks/"
            )
    parameters = data.get("parameters") or {}
    if not isinstance(parameters, dict):
        raise ParamsError(f"{where}: 'parameters' must be a mapping of name: value")
    per_indicator = data.get("per_indicator")
    if per_indicator is not None:
        if not isinstance(per_indicator, dict) or not {"notebook", "parameter"} <= set(per_indicator):
            raise ParamsError(f"{where}: 'per_indicator' needs 'notebook' and 'parameter' (and 'indicators')")
        if not (NOTEBOOKS_DIR / f"{per_indicator['notebook']}.ipynb").is_file():
            raise ParamsError(f"{where}: per_indicator notebook {per_indicator['notebook']!r} does not exist")
        indicators = per_indicator.get("indicators", "warned")
        if indicators != "warned" and not isinstance(indicators, list):
            raise ParamsError(f"{where}: per_indicator 'indicators' is 'warned' or a list of ids")
    return RunParams(
        path=p,
        title=str(data.get("title") or "plan-monitor"),
        notebooks=list(notebooks),
        parameters=dict(parameters),
        per_indicator=per_indicator,
    )


def settings_from_yaml(cls: type, path: str | os.PathLike[str], **overrides: Any) -> Any:
    """A settings dataclass ``cls`` filled from a flat YAML file of ``name: value`` (lists become
    tuples), with ``overrides`` on top.

    Raises :class:`ParamsError` naming the file and any unknown key: a misspelt setting must not
    silently keep its default.
    """
    from dataclasses import fields

    data = read_yaml(path) or {}
    if not isinstance(data, dict):
        raise ParamsError(f"{display_path(resolve(path))}: expected a mapping of settings")
    unknown = sorted(set(data) - {f.name for f in fields(cls)})
    if unknown:
        raise ParamsError(f"{display_path(resolve(path))}: unknown setting(s) {unknown}")
    data = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
    return cls(**{**data, **overrides})
