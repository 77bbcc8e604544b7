"""Where things are, and how run parameters are read.

Every path the suite uses is resolved here, against the project root, never against the
working directory of whoever runs the code: a notebook opened in JupyterLab, papermill
executing it from elsewhere and a test in a temporary folder all find the same files.
Relative paths in parameters ("data/raw") mean "relative to the project root".
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

#: The project root: the folder holding ``analysis/``, ``params/`` and ``data/``.
#: ``PLAN_MONITOR_ROOT`` overrides it (for a county that keeps its data elsewhere).
PROJECT_ROOT = Path(os.environ.get("PLAN_MONITOR_ROOT", Path(__file__).resolve().parents[1]))

NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
#: The plan profile: the folder of params files describing one 妇儿工委's plans (its names in
#: ``profile.yaml``, catalog, areas, departments, units, plan period). ``PLAN_MONITOR_PROFILE``
#: names another (relative to the project root); the shipped profile, the district the suite was
#: built for, is ``params/``.
PARAMS_DIR = PROJECT_ROOT / os.environ.get("PLAN_MONITOR_PROFILE", "params")
#: where the profile's data, pages and run records live: the project root for the shipped profile,
#: the profile's own folder for another (its ``data/raw``, ``data/processed``, ``reports``, ``outputs``)
PROFILE_HOME = PROJECT_ROOT if PARAMS_DIR.resolve() == (PROJECT_ROOT / "params").resolve() else PARAMS_DIR
RAW_DIR = PROFILE_HOME / "data" / "raw"
PROCESSED_DIR = PROFILE_HOME / "data" / "processed"
REPORTS_DIR = PROFILE_HOME / "reports"
OUTPUTS_DIR = PROFILE_HOME / "outputs"
DEFAULT_RUN_PARAMS = PARAMS_DIR / "run.yaml"
#: set by ``plan-monitor run`` for its notebooks: the run file in force (``--params``)
RUN_FILE_ENV = "PLAN_MONITOR_RUN_FILE"
DEFAULT_CATALOG = PARAMS_DIR / "indicators.yaml"
UNITS_FILE = PARAMS_DIR / "units.yaml"
DEPARTMENTS_FILE = PARAMS_DIR / "departments.yaml"
WORDINGS_FILE = PARAMS_DIR / "wordings.yaml"
#: the member units' self-evaluation of the qualitative targets: the conclusions and their words
SELF_EVALUATION_FILE = PARAMS_DIR / "selfeval.yaml"

#: the profile's names: the area, the area above it and its level (the plans' titles and text are
#: the catalog's: ``plans`` and ``plan_text`` in ``indicators.yaml``)
PROFILE_FILE = PARAMS_DIR / "profile.yaml"


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
    #: the report also written as Word and PDF: ``page`` (a page of the run) and ``word_template``
    documents: dict[str, Any] | None = None
    #: the title in English, for the banner of pages made with ``-p lang=en``
    title_en: str = ""


def load_run_params(path: str | os.PathLike[str] = DEFAULT_RUN_PARAMS) -> RunParams:
    """Read and check a run file: a title, a non-empty list of notebooks that exist, parameters.

    Raises :class:`ParamsError` naming the file and the key at fault.
    """
    p = resolve(path)
    data = read_yaml(p)
    where = display_path(p)
    if not isinstance(data, dict):
        raise ParamsError(f"{where}: expected a mapping with 'notebooks' and 'parameters'")
    unknown = set(data) - {"title", "title_en", "notebooks", "parameters", "per_indicator", "documents"}
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
        if indicators not in ("warned", "monitored") and not isinstance(indicators, list):
            raise ParamsError(f"{where}: per_indicator 'indicators' is 'warned', 'monitored' or a list of ids")
    documents = data.get("documents")
    if documents is not None:
        if not isinstance(documents, dict) or "page" not in documents:
            raise ParamsError(f"{where}: 'documents' needs 'page' (the notebook whose page becomes Word and PDF)")
        unknown = set(documents) - {"page", "word_template", "pdf"}
        if unknown:
            raise ParamsError(f"{where}: unknown key(s) {sorted(unknown)} in 'documents'")
        if documents["page"] not in notebooks:
            raise ParamsError(f"{where}: documents page {documents['page']!r} is not one of the run's notebooks")
        template = resolve(documents.get("word_template", WORD_TEMPLATE))
        if not template.is_file():
            raise ParamsError(f"{where}: documents word_template {display_path(template)} does not exist "
                              "(plan-monitor word-template writes the default one)")
        documents = {"page": documents["page"], "word_template": template, "pdf": bool(documents.get("pdf", True))}
    return RunParams(
        path=p,
        title=str(data.get("title") or "plan-monitor"),
        notebooks=list(notebooks),
        parameters=dict(parameters),
        per_indicator=per_indicator,
        documents=documents,
        title_en=str(data.get("title_en") or ""),
    )


#: the default Word template of the evaluation report (``plan-monitor word-template`` writes it)
WORD_TEMPLATE = PARAMS_DIR / "评估报告样式.docx"

#: the plan period and the run's randomness (``params/plan.yaml``), read by every stage
PLAN_FILE = PARAMS_DIR / "plan.yaml"


@dataclass(frozen=True)
class Plan:
    """The plan period and the run's randomness, declared once in ``params/plan.yaml``."""

    baseline_year: int
    first_year: int
    midterm_year: int
    final_year: int
    seed: int
    n_sims_projection: int
    n_sims_backtest: int
    n_sims_assessment: int


@functools.cache
def _plan(path: Path, stamp: float) -> Plan:
    data = read_yaml(path)
    where = display_path(path)
    sims = data.get("simulations") if isinstance(data, dict) else None
    keys = {"baseline_year", "first_year", "midterm_year", "final_year", "seed", "simulations"}
    if not isinstance(data, dict) or set(data) != keys or not isinstance(sims, dict) \
            or set(sims) != {"projection", "backtest", "assessment"}:
        raise ParamsError(f"{where}: expected exactly {sorted(keys)} and simulations: projection, backtest, "
                          "assessment")
    try:
        plan = Plan(int(data["baseline_year"]), int(data["first_year"]), int(data["midterm_year"]),
                    int(data["final_year"]), int(data["seed"]), int(sims["projection"]), int(sims["backtest"]),
                    int(sims["assessment"]))
    except (TypeError, ValueError) as exc:
        raise ParamsError(f"{where}: every value must be a whole number ({exc})") from exc
    if not plan.baseline_year < plan.first_year <= plan.midterm_year <= plan.final_year:
        raise ParamsError(f"{where}: need baseline_year < first_year <= midterm_year <= final_year")
    if min(plan.n_sims_projection, plan.n_sims_backtest, plan.n_sims_assessment) < 100:
        raise ParamsError(f"{where}: every simulation count must be at least 100")
    return plan


def plan(path: str | os.PathLike[str] = PLAN_FILE) -> Plan:
    """The plan period and simulation settings of ``params/plan.yaml`` (re-read when the file changes)."""
    p = resolve(path)
    if not p.is_file():
        raise ParamsError(f"{display_path(p)}: file not found")
    return _plan(p, p.stat().st_mtime)


def _lookup(data: dict, key: str) -> tuple[bool, Any]:
    node: Any = data
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return False, None
        node = node[part]
    return True, node


def _leaves(data: Any, prefix: str = "") -> list[str]:
    if not isinstance(data, dict) or not data:
        return [prefix] if prefix else []
    return [leaf for k, v in data.items() for leaf in _leaves(v, f"{prefix}.{k}" if prefix else str(k))]


def settings_from_yaml(cls: type, path: str | os.PathLike[str], **overrides: Any) -> Any:
    """The one settings loader: a settings dataclass ``cls`` filled from its params file, the plan
    period and simulation counts from ``params/plan.yaml``, ``overrides`` on top.

    Each field is read from the key of its name, or from ``metadata["key"]`` (dotted for a nested
    one: ``probability.likely``); a field with ``metadata["plan"]`` takes that attribute of
    :func:`plan` and may not be set in the file; ``metadata["path"]`` receives the file's path.
    Lists become tuples. Raises :class:`ParamsError` naming the file and every unknown, missing or
    misplaced key: a misspelt setting must not silently keep its default.
    """
    import dataclasses

    p = resolve(path)
    where = display_path(p)
    data = read_yaml(p) or {}
    if not isinstance(data, dict):
        raise ParamsError(f"{where}: expected a mapping of settings")
    values: dict[str, Any] = {}
    used: list[str] = []
    missing, misplaced = [], []
    the_plan = None
    for f in dataclasses.fields(cls):
        key = f.metadata.get("key", f.name)
        found, value = _lookup(data, key)
        if f.name in overrides:
            if found:
                used.append(key)
            continue
        if f.metadata.get("path"):
            values[f.name] = p
            continue
        if "plan" in f.metadata:
            if found:
                misplaced.append(key)
            the_plan = the_plan or plan()
            values[f.name] = getattr(the_plan, f.metadata["plan"])
            continue
        if found:
            used.append(key)
            values[f.name] = tuple(value) if isinstance(value, list) else value
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            missing.append(key)
    unknown = sorted(leaf for leaf in _leaves(data)
                     if not any(leaf == k or leaf.startswith(k + ".") for k in used) and leaf not in misplaced)
    problems = []
    if unknown:
        problems.append(f"unknown setting(s) {unknown}")
    if missing:
        problems.append(f"missing setting(s) {missing}")
    if misplaced:
        problems.append(f"{misplaced} belong in {display_path(PLAN_FILE)} (declared once, for every stage)")
    if problems:
        raise ParamsError(f"{where}: " + "; ".join(problems))
    try:
        return cls(**{**values, **overrides})
    except (TypeError, ValueError) as exc:
        raise ParamsError(f"{where}: {exc}") from exc


#: what the level of a profile is called in its report: 全区 / 本区 / 区级 for 区, and so on
LEVELS = ("县", "区", "市", "省")


@dataclass(frozen=True)
class Profile:
    """The 妇儿工委 whose plans are monitored (``profile.yaml`` of the profile folder): every name
    a report, form or message uses, so that no code names a district."""

    #: the area the plans cover, as reports name it and in English
    name: str
    name_en: str
    #: the area above it as the plans' titles write it (empty for a province) and in English
    parent: str
    parent_en: str
    #: 县, 区, 市 or 省, and its English word (district, county, city, province)
    level: str
    level_en: str
    path: Path

    @property
    def whole(self) -> str:
        """The whole area in the report's words: 全区 (全县, 全市, 全省)."""
        return f"全{self.level}"

    @property
    def own(self) -> str:
        """The area as its own report says it: 本区 (本县, 本市, 本省)."""
        return f"本{self.level}"

    @property
    def level_word(self) -> str:
        """The level of the area's own figures: 区级 (县级, 市级, 省级)."""
        return f"{self.level}级"

    @property
    def full_name(self) -> str:
        """The area with the one above it, as the plans' titles write it (city, then district)."""
        return f"{self.parent}{self.name}"

    @property
    def full_name_en(self) -> str:
        """The same in English: the area, then the one above it."""
        return f"{self.name_en}, {self.parent_en}" if self.parent_en else self.name_en


@functools.cache
def _profile(path: Path, stamp: float) -> Profile:
    data = read_yaml(path)
    where = display_path(path)
    keys = {"name", "name_en", "parent", "parent_en", "level", "level_en"}
    if not isinstance(data, dict) or set(data) != keys:
        got = sorted(data) if isinstance(data, dict) else type(data).__name__
        raise ParamsError(f"{where}: expected exactly {sorted(keys)}, found {got}")
    text = {k: "" if data[k] is None else str(data[k]).strip() for k in keys}
    empty = [k for k in ("name", "name_en", "level", "level_en") if not text[k]]
    if empty:
        raise ParamsError(f"{where}: {empty} may not be empty")
    if text["level"] not in LEVELS:
        raise ParamsError(f"{where}: level must be one of {list(LEVELS)}, not {text['level']!r}")
    return Profile(text["name"], text["name_en"], text["parent"], text["parent_en"], text["level"],
                   text["level_en"], path)


def profile(path: str | os.PathLike[str] | None = None) -> Profile:
    """The plan profile's names (``profile.yaml`` of :data:`PARAMS_DIR`; re-read when it changes)."""
    p = resolve(path) if path else PROFILE_FILE
    if not p.is_file():
        raise ParamsError(f"{display_path(p)}: file not found (every profile names its area and plans there)")
    return _profile(p, p.stat().st_mtime)
