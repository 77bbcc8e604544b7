"""What a run adds to the monitoring database, read from the stage tables it wrote.

The run's record (:class:`analysis.database.store.RunRecord`) is assembled from the processed
folder after every page was made — the cleaned observations and the quarantine (every value read,
each once), the self-evaluations, the scorecard and its ``scorecard.json``, and the as-of
assessments the history stage made (``history_as_of.parquet``) — plus the checksums of the raw
files taken when the run started, so a value's vintage is the file the run really read.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pandas as pd

from analysis import config
from analysis.catalog import Catalog, load_catalog
from analysis.database import store
from analysis.returns import inventory

log = logging.getLogger(__name__)

#: the stage table in which the history stage leaves the as-of assessments it made for the run to record
AS_OF_TABLE = "history_as_of.parquet"


#: China Standard Time (the pages' time)
BEIJING = timezone(timedelta(hours=8))


def beijing(moment: datetime) -> str:
    """A moment as the pages state it (Beijing time)."""
    from analysis.pipeline.suite import beijing_time

    return beijing_time(moment)


def run_row(run_id: str, kind: str, basis: str, when: datetime, mode: str, year: int, data_year: int | None,
            profile: str, catalog_sha: str | None, settings_sha: str | None, commit: str, kept: int,
            quarantined: int, parent: str | None = None) -> dict:
    """One row of the ``runs`` table."""
    return {"run_id": run_id, "kind": kind, "parent_run": parent, "basis": basis, "recorded_at": when,
            "recorded_at_beijing": beijing(when), "mode": mode, "evaluation_year": int(year),
            "data_year": None if data_year is None else int(data_year), "profile": profile,
            "catalog_sha256": catalog_sha, "settings_sha256": settings_sha, "code_commit": commit,
            "values_kept": int(kept), "values_quarantined": int(quarantined)}


def data_year(observations: pd.DataFrame) -> int | None:
    """The latest year of the district's own data (comparators excluded)."""
    from analysis.returns import parse

    own = observations[~observations["area"].isin(parse.comparator_areas())]
    return int(own["year"].max()) if len(own) else None


def run_record(run_id: str, processed_dir: str | os.PathLike[str], raw_dir: str | os.PathLike[str],
               catalog: str | os.PathLike[str] | Catalog, profile: str, commit: str,
               checksums: dict[str, str] | None = None, when: datetime | None = None) -> store.RunRecord:
    """The record of the run ``run_id`` from the stage tables in ``processed_dir``.

    ``checksums`` maps each raw file (relative to ``raw_dir``) to the SHA-256 the run took before
    reading it; files without one are checksummed now.
    """
    when = when or datetime.now(UTC)
    out = config.resolve(processed_dir)
    cat = catalog if isinstance(catalog, Catalog) else load_catalog(catalog)
    obs = pd.read_parquet(out / "observations.parquet")
    quarantine = pd.read_parquet(out / "quarantine.parquet")
    evaluations_file = out / "self_evaluations.parquet"
    evaluations = pd.read_parquet(evaluations_file) if evaluations_file.is_file() else pd.DataFrame(
        columns=store.SELF_EVALUATION_COLUMNS)
    scorecard = pd.read_parquet(out / "scorecard.parquet")
    meta = json.loads((out / "scorecard.json").read_text(encoding="utf-8"))
    names = [*obs["source_file"], *quarantine["source_file"], *evaluations["source_file"]]
    files = store.file_versions(raw_dir, names, checksums)
    values = store.received(obs, quarantine, files, cat.indicators["department"].to_dict())
    sha = dict(zip(files["source_file"], files["sha256"], strict=True))
    evaluations = evaluations.assign(file_sha256=evaluations["source_file"].map(sha))
    catalog_sha = inventory.fingerprint(cat.path) if getattr(cat, "path", None) else None
    run = run_row(run_id, "report", "data", when, meta["mode"], meta["year"], data_year(obs), profile,
                  catalog_sha, meta.get("settings"), commit, len(obs), len(quarantine))
    as_of_file = out / AS_OF_TABLE
    made = pd.read_parquet(as_of_file) if as_of_file.is_file() else pd.DataFrame()
    return store.RunRecord(run=run, files=files, values=values, verdicts=scorecard, self_evaluations=evaluations,
                           as_of=as_of_records(made, run))


def as_of_records(made: pd.DataFrame, run: dict) -> list[store.AsOf]:
    """The as-of assessments a run's history stage made (``history_as_of.parquet``), one run row each."""
    records = []
    for year, verdicts in (made.groupby("year", sort=True) if len(made) else ()):
        row = run_row(f"{run['run_id']}/as-of-{int(year)}", "as_of", "year", run["recorded_at"], "annual", int(year),
                      int(verdicts["data_year"].iloc[0]), run["profile"], run["catalog_sha256"],
                      run["settings_sha256"], run["code_commit"], int(verdicts["values_kept"].iloc[0]), 0,
                      parent=run["run_id"])
        records.append(store.AsOf(row, verdicts))
    return records


def archive_dir(database: str | os.PathLike[str]) -> Path:
    """Where the runs recorded in ``database`` are archived: ``<database>_archive/`` beside it
    (``data/monitor_archive/`` for the default ``data/monitor.duckdb``)."""
    target = config.resolve(database)
    return target.with_name(f"{target.stem}_archive")


def record_run(database: str | os.PathLike[str], rec: store.RunRecord) -> Path:
    """Archive a run's record and add it to the database; when the database cannot take it the
    archived copy is removed again, so the archive never holds a run the database refused."""
    import shutil

    folder = archive(rec, archive_dir(database))
    try:
        store.record(database, rec)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return folder


# --- the archive of published runs (what plan-monitor db --rebuild replays) -----------------------

ARCHIVE_FILES = ("values", "files", "verdicts", "self_evaluations", "as_of")


def archive(rec: store.RunRecord, archive_dir: str | os.PathLike[str]) -> Path:
    """Keep a run's record as files under ``archive_dir/<run id>/`` (written into a temporary folder,
    then renamed into place): the database can be made again from these alone."""
    import shutil

    base = config.resolve(archive_dir)
    target = base / rec.run["run_id"].replace("/", "_")
    tmp = base / f".{target.name}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    as_of = pd.concat([a.verdicts.assign(_run_id=a.run["run_id"]) for a in rec.as_of], ignore_index=True) \
        if rec.as_of else pd.DataFrame({"_run_id": pd.Series(dtype=str)})
    frames = {"values": rec.values, "files": rec.files, "verdicts": rec.verdicts,
              "self_evaluations": rec.self_evaluations, "as_of": as_of}
    for name, frame in frames.items():
        frame.to_parquet(tmp / f"{name}.parquet", index=False)
    runs = {"run": rec.run, "as_of": [a.run for a in rec.as_of]}
    (tmp / "run.json").write_text(json.dumps(runs, ensure_ascii=False, indent=1, default=_iso), encoding="utf-8")
    os.replace(tmp, target)
    return target


def _iso(value):
    return value.isoformat() if isinstance(value, datetime) else str(value)


def _times(row: dict) -> dict:
    return row | {"recorded_at": datetime.fromisoformat(row["recorded_at"])}


def from_archive(folder: str | os.PathLike[str]) -> store.RunRecord:
    """A run's record as :func:`archive` kept it."""
    folder = Path(folder)
    runs = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    frames = {name: pd.read_parquet(folder / f"{name}.parquet") for name in ARCHIVE_FILES}
    as_of = [store.AsOf(_times(row), frames["as_of"][frames["as_of"]["_run_id"] == row["run_id"]])
             for row in runs["as_of"]]
    return store.RunRecord(run=_times(runs["run"]), files=frames["files"], values=frames["values"],
                           verdicts=frames["verdicts"], self_evaluations=frames["self_evaluations"], as_of=as_of)


def rebuild(database: str | os.PathLike[str], archive_dir: str | os.PathLike[str]) -> int:
    """Make the database anew from the archived runs, oldest first, into a temporary file renamed
    over ``database`` at the end (the old database stays whole if anything fails). Returns the
    number of runs replayed; FileNotFoundError when the archive holds none."""
    base = config.resolve(archive_dir)
    folders = sorted((p for p in base.glob("*") if (p / "run.json").is_file() and not p.name.startswith(".")),
                     key=lambda p: json.loads((p / "run.json").read_text(encoding="utf-8"))["run"]["recorded_at"])
    if not folders:
        raise FileNotFoundError(f"{config.display_path(base)} holds no archived run: a full run "
                                "(plan-monitor run) records one")
    target = config.resolve(database)
    tmp = target.with_name(f".{target.name}.rebuild")
    tmp.unlink(missing_ok=True)
    for folder in folders:
        store.record(tmp, from_archive(folder))
    Path(f"{target}.wal").unlink(missing_ok=True)  # the old file's log must not be replayed onto the new one
    os.replace(tmp, target)
    log.info("rebuilt %s from %d archived runs", config.display_path(target), len(folders))
    return len(folders)


def checksums_from_inventory(inputs: list[dict], raw_dir: str | os.PathLike[str]) -> dict[str, str]:
    """The run stamp's inventory (taken before anything was read) as file → SHA-256 for the raw folder."""
    folder = config.display_path(config.resolve(raw_dir))
    return {row["file"]: row["sha256"] for row in inputs if row["folder"] == folder}
