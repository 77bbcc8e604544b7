"""Reading and writing the monitoring database (DuckDB, one file, no server).

Each published run adds its record in **one transaction** (:func:`record`): its run row, the
versions of the raw files it read, every value it kept or quarantined, its verdicts, the
self-evaluations and the as-of assessments it made. A failure or a killed process before the
commit leaves the database exactly as it was (DuckDB's write-ahead log replays only committed
transactions). Readers open the file read-only, so that a notebook querying it never blocks nor
changes it.

The database adds history; it is not a second source of truth: every published table is still
rebuilt from ``data/raw/`` by each run, and ``plan-monitor db --rebuild`` makes a new database
from the raw folder and the archived verdicts of published reports.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from analysis import config
from analysis.database import schema

log = logging.getLogger(__name__)


class DatabaseError(Exception):
    """The database cannot be used as it is (made by a newer version, not a DuckDB file, locked)."""


#: the scorecard's columns kept for every verdict (the ``verdicts`` table)
VERDICT_COLUMNS = ["indicator_id", "area", "sex", "plan", "is_headline", "mode", "year", "latest_year",
                   "latest_value", "target_value", "unit", "projection_2030", "lo80", "hi80", "p_meet", "status",
                   "status_zh", "warning_codes", "warnings", "model"]

VALUE_COLUMNS = ["value_id", "file_sha256", "source_file", "source_sheet", "source_cell", "indicator_id", "year",
                 "area", "sex", "value", "unit", "numerator", "denominator", "raw_value", "department"]

SELF_EVALUATION_COLUMNS = ["indicator_id", "department", "year", "conclusion", "progress", "evidence", "note",
                           "source_file", "source_sheet", "source_cell", "file_sha256"]


def _duckdb():
    import duckdb

    return duckdb


def default_path() -> Path:
    """The database of the default run (``database`` in params/run.yaml)."""
    return config.resolve(config.load_run_params().parameters.get("database", "data/monitor.duckdb"))


@contextmanager
def connect(path: str | os.PathLike[str], read_only: bool = False) -> Iterator:
    """A connection to the database at ``path``; read-write creates the file and its schema.

    Read-only on a file that does not exist is a :class:`FileNotFoundError` (say which command makes
    it); a file of a newer schema, or one DuckDB cannot open, is a :class:`DatabaseError`.
    """
    duckdb = _duckdb()
    target = config.resolve(path)
    if read_only and not target.is_file():
        raise FileNotFoundError(f"{config.display_path(target)} does not exist yet: a full run "
                                "(plan-monitor run) or plan-monitor db --rebuild makes it")
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(target), read_only=read_only)
    except duckdb.Error as exc:
        hint = (" — another program holds it open for writing (a notebook that connected without "
                "read_only=True?): close it, or open it read-only" if "lock" in str(exc).lower() else "")
        raise DatabaseError(f"{config.display_path(target)} cannot be opened as the monitoring database: "
                            f"{exc}{hint}") from exc
    try:
        try:
            if not read_only:
                ensure_schema(con)
            else:
                check_version(con, target)
        except duckdb.Error as exc:
            raise DatabaseError(f"{config.display_path(target)} is not a monitoring database this version can "
                                f"use: {exc}") from exc
        yield con
    finally:
        con.close()


def schema_version(con) -> int | None:
    """The schema version recorded in the database, None for an empty file."""
    has_meta = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta'").fetchone()[0]
    if not has_meta:
        return None
    row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else None


def check_version(con, target: Path) -> None:
    """Refuse a database made by a newer version of the suite (its tables may mean other things)."""
    version = schema_version(con)
    if version is not None and version > schema.VERSION:
        raise DatabaseError(f"{config.display_path(target)} has schema version {version}; this version of "
                            f"plan-monitor reads version {schema.VERSION}: update plan-monitor")


def ensure_schema(con) -> None:
    """Create the tables and views of :mod:`analysis.database.schema` when missing (version 1 is
    the first; a newer file is refused)."""
    version = schema_version(con)
    if version is not None and version > schema.VERSION:
        raise DatabaseError(f"the database has schema version {version}; this version of plan-monitor "
                            f"writes version {schema.VERSION}: update plan-monitor")
    for ddl in schema.TABLES.values():
        con.execute(ddl)
    for ddl in schema.VIEWS.values():
        con.execute(ddl)
    con.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(schema.VERSION)])


# --- what a run records ------------------------------------------------------------------------


@dataclass
class AsOf:
    """An as-of assessment to record: its run row and its verdicts (scorecard rows)."""

    run: dict
    verdicts: pd.DataFrame


@dataclass
class RunRecord:
    """Everything one run adds to the database (:func:`record`)."""

    run: dict
    files: pd.DataFrame
    values: pd.DataFrame
    verdicts: pd.DataFrame
    self_evaluations: pd.DataFrame
    as_of: list[AsOf] = field(default_factory=list)


def value_ids(frame: pd.DataFrame) -> pd.Series:
    """A stable identity of each received value: the SHA-256 of its file version, sheet, cell and row
    key (two values read from the same cell with the same key are told apart by their order)."""
    parts = frame[["file_sha256", "source_file", "source_sheet", "source_cell", "indicator_id", "year", "area",
                   "sex"]].astype(object).where(frame[["file_sha256", "source_file", "source_sheet", "source_cell",
                                                       "indicator_id", "year", "area", "sex"]].notna(), "")
    keys = parts.astype(str).agg("|".join, axis=1)
    repeat = keys.groupby(keys).cumcount()
    keys = keys.where(repeat == 0, keys + "#" + repeat.astype(str))
    return keys.map(lambda k: hashlib.sha256(k.encode("utf-8")).hexdigest())


def file_versions(raw_dir: str | os.PathLike[str], names, checksums: dict[str, str] | None = None) -> pd.DataFrame:
    """The version of each raw file ``names`` (relative to ``raw_dir``): SHA-256 (from ``checksums``,
    the run's inventory taken before it read anything, else read now), size and modification time.
    A file no longer there keeps a NULL checksum: its values are recorded all the same."""
    from analysis.returns import inventory

    base = config.resolve(raw_dir)
    rows = []
    for name in sorted(set(names)):
        path = base / name
        sha = (checksums or {}).get(name)
        if path.is_file():
            stat = path.stat()
            sha = sha or inventory.sha256(path)
            rows.append({"source_file": name, "sha256": sha, "bytes": stat.st_size,
                         "modified_at": datetime.fromtimestamp(stat.st_mtime, UTC)})
        else:
            rows.append({"source_file": name, "sha256": sha, "bytes": None, "modified_at": None})
    return pd.DataFrame(rows, columns=["source_file", "sha256", "bytes", "modified_at"])


def received(observations: pd.DataFrame, quarantine: pd.DataFrame, files: pd.DataFrame,
             departments: dict[str, str]) -> pd.DataFrame:
    """Every value of a run, kept and quarantined, as rows of ``received_values`` with the run's
    judgement (``status``, ``reason``, ``message``, ``flags``) beside them."""
    sha = dict(zip(files["source_file"], files["sha256"], strict=True))
    kept = observations.assign(status="kept", reason=None, message=None, raw_value=None)
    refused = quarantine.assign(status="quarantined", value=float("nan"), unit=None, numerator=float("nan"),
                                denominator=float("nan"), flags=None)
    cols = ["source_file", "source_sheet", "source_cell", "indicator_id", "year", "area", "sex", "value", "unit",
            "numerator", "denominator", "raw_value", "status", "reason", "message", "flags"]
    frame = pd.concat([kept[cols].astype(object), refused[cols].astype(object)], ignore_index=True)
    frame["file_sha256"] = frame["source_file"].map(sha)
    frame["department"] = frame["indicator_id"].map(lambda i: departments.get(i) if isinstance(i, str) else None)
    for col in ("value", "numerator", "denominator"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(float)
    frame["year"] = pd.array([None if pd.isna(y) else int(y) for y in frame["year"]], dtype="Int64")
    frame["raw_value"] = frame["raw_value"].map(lambda v: None if v is None or pd.isna(v) else str(v))
    frame["value_id"] = value_ids(frame)
    return frame


def record(path: str | os.PathLike[str], rec: RunRecord) -> None:
    """Add one run's record to the database at ``path`` in one transaction (nothing of it on failure)."""
    duckdb = _duckdb()
    with connect(path) as con:
        con.execute("BEGIN TRANSACTION")
        try:
            _write(con, rec)
            con.execute("COMMIT")
        except duckdb.Error as exc:
            con.execute("ROLLBACK")
            raise DatabaseError(f"run {rec.run['run_id']} could not be recorded in "
                                f"{config.display_path(config.resolve(path))} (nothing of it was written): {exc}") \
                from exc
        except BaseException:
            con.execute("ROLLBACK")
            raise
    refused = int((rec.values["status"] == "quarantined").sum()) if len(rec.values) else 0
    log.info("recorded run %s in %s: %d values (%d quarantined), %d verdicts, %d as-of assessments",
             rec.run["run_id"], config.display_path(config.resolve(path)), len(rec.values), refused,
             len(rec.verdicts), len(rec.as_of))


def _insert(con, table: str, frame: pd.DataFrame, columns: list[str], ignore: bool = False,
            conflict: str = "") -> None:
    """``INSERT`` the ``columns`` of ``frame`` into ``table`` (``ignore``: rows already there stay;
    ``conflict``: an ``ON CONFLICT …`` clause)."""
    if frame.empty:
        return
    con.register("_incoming", frame[columns])
    verb = "INSERT OR IGNORE" if ignore else "INSERT"
    con.execute(f"{verb} INTO {table} ({', '.join(columns)}) SELECT {', '.join(columns)} FROM _incoming {conflict}")
    con.unregister("_incoming")  # after a failed insert the transaction is rolled back, and the name with it


def _run_row(con, run: dict) -> None:
    cols = ["run_id", "kind", "parent_run", "basis", "recorded_at", "recorded_at_beijing", "mode", "evaluation_year",
            "data_year", "profile", "catalog_sha256", "settings_sha256", "code_commit", "values_kept",
            "values_quarantined"]
    con.execute(f"INSERT INTO runs ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                [run.get(c) for c in cols])


def _verdicts(con, run_id: str, verdicts: pd.DataFrame) -> None:
    frame = verdicts[VERDICT_COLUMNS].copy()
    frame.insert(0, "run_id", run_id)
    _insert(con, "verdicts", frame, ["run_id", *VERDICT_COLUMNS])


def _write(con, rec: RunRecord) -> None:
    """The inserts of :func:`record`, inside its transaction."""
    run_id, when = rec.run["run_id"], rec.run["recorded_at"]
    _run_row(con, rec.run)
    files = rec.files.dropna(subset=["sha256"]).assign(first_run=run_id, first_seen=when)
    _insert(con, "files", files, ["sha256", "source_file", "bytes", "modified_at", "first_run", "first_seen"],
            ignore=True)
    values = rec.values.assign(first_run=run_id, first_seen=when)
    # a value seen before keeps its first sighting; a cell first read as quarantined (its raw text
    # only) gains the number once a run keeps it
    _insert(con, "received_values", values, [*VALUE_COLUMNS, "first_run", "first_seen"],
            conflict="ON CONFLICT (value_id) DO UPDATE SET " + ", ".join(
                f"{c} = COALESCE(received_values.{c}, EXCLUDED.{c})" for c in ("value", "unit", "numerator",
                                                                               "denominator")))
    _insert(con, "run_values", values.assign(run_id=run_id),
            ["run_id", "value_id", "status", "reason", "message", "flags"])
    _verdicts(con, run_id, rec.verdicts)
    if len(rec.self_evaluations):
        _insert(con, "self_evaluations", rec.self_evaluations.assign(run_id=run_id),
                ["run_id", *SELF_EVALUATION_COLUMNS])
    for as_of in rec.as_of:
        _run_row(con, as_of.run)
        _verdicts(con, as_of.run["run_id"], as_of.verdicts)


# --- reading -------------------------------------------------------------------------------------


def query(path: str | os.PathLike[str], sql: str, parameters: list | None = None) -> pd.DataFrame:
    """The result of one SQL query on the database (read-only) as a DataFrame."""
    with connect(path, read_only=True) as con:
        return con.execute(sql, parameters or []).df()


def reports(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Every run recorded (reports and as-of assessments), oldest first; empty when there is no database."""
    if not config.resolve(path).is_file():
        return pd.DataFrame(columns=["run_id", "kind", "basis", "recorded_at", "recorded_at_beijing", "mode",
                                     "evaluation_year", "data_year"])
    return query(path, "SELECT * FROM runs ORDER BY recorded_at, run_id")


def verdicts_of(path: str | os.PathLike[str], run_ids: list[str]) -> pd.DataFrame:
    """The verdicts of the runs ``run_ids``."""
    if not run_ids:
        return pd.DataFrame(columns=["run_id", *VERDICT_COLUMNS])
    marks = ", ".join("?" * len(run_ids))
    return query(path, f"SELECT * FROM verdicts WHERE run_id IN ({marks})", list(run_ids))


def kept_values_of(path: str | os.PathLike[str], run_id: str) -> pd.DataFrame:
    """The values a published report kept, with their files and cells."""
    return query(path, "SELECT * FROM kept_values WHERE run_id = ?", [run_id])


def table_names(path: str | os.PathLike[str]) -> list[str]:
    """The tables and views of the database, for ``plan-monitor db`` and its errors."""
    frame = query(path, "SELECT table_name FROM information_schema.tables ORDER BY table_name")
    return frame["table_name"].tolist()
