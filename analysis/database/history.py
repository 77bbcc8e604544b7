"""The history stage: this report against the previous one (与上期相比) and the status history.

Run after the assessment (by the 40_scorecard notebook, or ``plan-monitor assess``), it reads the
scorecard just made, the observations, and the monitoring database (read-only; none yet is
fine), and writes three stage tables beside the scorecard:

``history_verdicts.parquet``
    the status and P(met) of every target in each year's report: for an earlier year the latest
    published report of that year when the database has one, else the assessment as it would
    have been made then from the data up to that year (an *as-of* assessment, "回溯"); and this
    report. What the indicator pages show as a row of coloured statuses.
``history_changes.parquet``
    the targets whose status changed since the previous report (上期): newly achieved, better,
    worse, assessable again or no longer — each with both statuses and probabilities.
``history_revisions.parquet``
    the values the previous report held that this report holds with another number — both
    values, both files —, the values new since then, and the values it quarantined that this
    report keeps a value for (corrected).

``history_as_of.parquet`` holds the as-of assessments made here, for the run to record in the
database with its own verdicts (:mod:`analysis.database.ingest`); ``history.json`` says which
report was the previous one and on what basis.

上期 is the latest published report of an earlier evaluation year; without one, the latest earlier
issue of this year's report (a report published again after a department revised its figures);
with neither in the database (a first run), the as-of assessment of the year before, so that a
first report still shows how the verdicts moved — said as such ("回溯评估").
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis import atomic, config
from analysis.catalog import Catalog, load_catalog
from analysis.database import ingest, store
from analysis.returns import parse

log = logging.getLogger(__name__)

FILES = {"verdicts": "history_verdicts.parquet", "changes": "history_changes.parquet",
         "revisions": "history_revisions.parquet", "as_of": ingest.AS_OF_TABLE, "meta": "history.json"}

#: the columns of a verdict kept in the status history
HISTORY_COLUMNS = ["column", "order", "source", "run_id", "report_year", "report_mode", "indicator_id", "area", "sex",
                   "is_headline", "status", "status_zh", "p_meet", "latest_year", "latest_value", "unit"]

CHANGE_KINDS = ("newly_achieved", "better", "worse", "now_assessable", "no_longer_assessable", "other")


@dataclass
class History:
    """The history stage's tables (:func:`build`, :func:`load`)."""

    verdicts: pd.DataFrame
    changes: pd.DataFrame
    revisions: pd.DataFrame
    meta: dict


def _published(database: str | os.PathLike[str]) -> pd.DataFrame:
    """The published reports in the database, oldest first (empty: no database yet)."""
    runs = store.reports(database)
    return runs[runs["kind"] == "report"].reset_index(drop=True)


def as_of_assessments(observations: pd.DataFrame, models: pd.DataFrame, cat: Catalog, years: list[int],
                      settings) -> pd.DataFrame:
    """The annual assessment of each of ``years`` from the observations up to that year (the series
    re-projected without the later years: :func:`analysis.scorecard.assess.assess_frame`)."""
    import sys

    import analysis.scorecard.assess  # noqa: F401 — the module, not the function the package exports

    assess = sys.modules["analysis.scorecard.assess"]
    frames = []
    for year in years:
        seen = observations[observations["year"] <= year]
        frame = assess.assess_frame(observations, models, cat, "annual", year, settings)
        frames.append(frame.assign(data_year=ingest.data_year(seen), values_kept=len(seen)))
        log.info("as-of assessment of %d from the data up to that year: %s", year,
                 frame["status"].value_counts().to_dict())
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _history_rows(frame: pd.DataFrame, source: str, run_id: str | None, year: int, order: int,
                  mode: str = "annual") -> pd.DataFrame:
    from analysis.report.labels import history_column

    rows = frame.assign(column=history_column(source, year, mode), order=order, source=source, run_id=run_id,
                        report_year=year, report_mode=mode)
    for col in HISTORY_COLUMNS:
        if col not in rows:
            rows[col] = None
    return rows[HISTORY_COLUMNS]


def compare_statuses(current: pd.DataFrame, previous: pd.DataFrame, rank: dict[str, int]) -> pd.DataFrame:
    """The rows whose status differs between ``previous`` and ``current`` verdicts (same indicator,
    area and sex), each named by :data:`CHANGE_KINDS`: ``newly_achieved`` (now 已实现, before not),
    ``better`` / ``worse`` by the status ranks of params/assessment.yaml, ``now_assessable`` /
    ``no_longer_assessable`` (数据不足 on one side), ``other`` (another status of the same rank)."""
    key = ["indicator_id", "area", "sex"]
    cols = [*key, "status", "status_zh", "p_meet", "latest_year", "latest_value"]
    both = current[[*cols, "is_headline", "plan", "unit"]].merge(previous[cols], on=key, suffixes=("", "_before"))
    both = both[(both["status"] != both["status_before"]) & (both["status"] != "qualitative")
                & (both["status_before"] != "qualitative")].copy()

    def kind(row) -> str:
        before, now = row["status_before"], row["status"]
        if now == "insufficient_data":
            return "no_longer_assessable"
        if before == "insufficient_data":
            return "now_assessable"
        if now == "achieved":
            return "newly_achieved"
        up = rank[now] - rank[before]
        return "better" if up > 0 else "worse" if up < 0 else "other"

    both["change"] = [kind(r) for _, r in both.iterrows()] if len(both) else []
    order = {k: i for i, k in enumerate(CHANGE_KINDS)}
    both["_o"] = both["change"].map(order)
    return both.sort_values(["_o", "indicator_id", "area", "sex"], kind="stable").drop(columns="_o").reset_index(
        drop=True)


def compare_values(current: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
    """The values ``previous`` (the kept values of the previous report) and ``current`` (this run's
    observations) both hold with different numbers: both numbers, both files and cells, and the
    department; rows new in ``current`` as ``change = 'new'``."""
    key = ["indicator_id", "year", "area", "sex"]
    cols = [*key, "value", "unit", "source_file", "source_sheet", "source_cell"]
    merged = current[cols].merge(previous[[*key, "value", "source_file", "source_cell"]], on=key, how="left",
                                 suffixes=("", "_before"), indicator=True)
    revised = merged[(merged["_merge"] == "both") & ((merged["value"] - merged["value_before"]).abs() > 1e-9)]
    new = merged[merged["_merge"] == "left_only"]
    out = pd.concat([revised.assign(change="revised"), new.assign(change="new")], ignore_index=True)
    return out.drop(columns="_merge").reset_index(drop=True)


def quarantined_values(database: str | os.PathLike[str], run_id: str) -> pd.DataFrame:
    """The values a published report quarantined whose indicator, year, area and sex were known."""
    return store.query(database, "SELECT v.*, rv.reason FROM run_values rv JOIN received_values v USING (value_id) "
                                 "WHERE rv.run_id = ? AND rv.status = 'quarantined' AND v.indicator_id IS NOT NULL "
                                 "AND v.year IS NOT NULL AND v.area IS NOT NULL AND v.sex IS NOT NULL", [run_id])


def corrected_values(current: pd.DataFrame, quarantined: pd.DataFrame) -> pd.DataFrame:
    """The quarantined values of the previous report whose row this report keeps a value for (the
    department corrected or withdrew the faulty figure): ``change = 'corrected'``, with the refused
    cell, its raw text and the reason beside the value now used."""
    key = ["indicator_id", "year", "area", "sex"]
    cols = [*key, "value", "unit", "source_file", "source_sheet", "source_cell"]
    before = quarantined[[*key, "raw_value", "reason", "source_file", "source_cell"]].astype({"year": "int64"})
    before = before.drop_duplicates(key)
    fixed = current[cols].merge(before, on=key, suffixes=("", "_before"))
    return fixed.rename(columns={"reason": "reason_before"}).assign(change="corrected")


def build(processed_dir: str | os.PathLike[str] = config.PROCESSED_DIR,
          database: str | os.PathLike[str] = "data/monitor.duckdb",
          catalog: str | os.PathLike[str] | Catalog = config.DEFAULT_CATALOG, settings=None) -> History:
    """The history stage (module docstring): compare the scorecard in ``processed_dir`` with the
    previous report in ``database`` and with the as-of assessments of the earlier years; write its
    tables atomically beside the scorecard."""
    from analysis import scorecard, trends

    out = config.resolve(processed_dir)
    cat = catalog if isinstance(catalog, Catalog) else load_catalog(catalog)
    settings = settings if settings is not None else scorecard.load_settings()
    current = pd.read_parquet(out / "scorecard.parquet")
    meta_in = json.loads((out / "scorecard.json").read_text(encoding="utf-8"))
    year, mode = int(meta_in["year"]), meta_in["mode"]
    observations = trends.load_observations(processed_dir)
    models = pd.read_parquet(out / "projection_models.parquet")
    published = _published(database)
    earlier = published[published["evaluation_year"] < year]
    # the plan's years before this report for which the district has data of its own
    own = ingest.data_year(observations)
    local = ~observations["area"].isin(parse.comparator_areas())
    first_own = int(observations.loc[local, "year"].min()) if own else year
    years = list(range(max(settings.plan_start, first_own), min(year, (own or year) + 1)))
    report_years = {int(y): run for y, run in earlier.groupby("evaluation_year").tail(1).set_index(
        "evaluation_year")["run_id"].items()}
    missing_years = [y for y in years if y not in report_years]
    as_of = as_of_assessments(observations, models, cat, missing_years, settings)
    stored = store.verdicts_of(database, list(report_years.values())) if report_years else pd.DataFrame()
    parts, order = [], 0
    for y in sorted(set(years) | set(report_years)):
        if y in report_years:
            run_id = report_years[y]
            run_mode = earlier.set_index("run_id").loc[run_id, "mode"]
            parts.append(_history_rows(stored[stored["run_id"] == run_id], "report", run_id, y, order, run_mode))
        else:
            parts.append(_history_rows(as_of[as_of["year"] == y], "as_of", None, y, order))
        order += 1
    parts.append(_history_rows(current, "current", None, year, order, mode))
    verdicts = pd.concat(parts, ignore_index=True)

    meta = {"year": year, "mode": mode, "database": config.display_path(config.resolve(database)),
            "reports_in_database": int(len(published)), "as_of_years": missing_years}
    same_year = published[published["evaluation_year"] == year]
    if len(earlier) or len(same_year):
        base = earlier.iloc[-1] if len(earlier) else same_year.iloc[-1]
        meta |= {"base": "report", "base_run": base["run_id"], "base_year": int(base["evaluation_year"]),
                 "base_time": base["recorded_at_beijing"], "base_mode": base["mode"],
                 "base_same_year": not len(earlier)}
        previous = store.verdicts_of(database, [base["run_id"]])
        changes = compare_statuses(current, previous, settings.status_rank)
        changed = compare_values(observations, store.kept_values_of(database, base["run_id"]))
        corrected = corrected_values(observations, quarantined_values(database, base["run_id"]))
        key = ["indicator_id", "year", "area", "sex"]
        was_refused = changed[key].apply(tuple, axis=1).isin(set(corrected[key].apply(tuple, axis=1))) \
            if len(changed) and len(corrected) else pd.Series(False, index=changed.index)
        revisions = pd.concat([changed[~(was_refused & (changed["change"] == "new"))], corrected], ignore_index=True)
    elif missing_years:
        base_year = max(missing_years)
        meta |= {"base": "as_of", "base_run": None, "base_year": base_year}
        changes = compare_statuses(current, as_of[as_of["year"] == base_year], settings.status_rank)
        revisions = pd.DataFrame(columns=["indicator_id", "year", "area", "sex", "value", "unit", "source_file",
                                          "source_sheet", "source_cell", "value_before", "source_file_before",
                                          "source_cell_before", "change"])
    else:
        meta |= {"base": None}
        changes = compare_statuses(current, current.iloc[0:0], settings.status_rank)
        revisions = compare_values(observations.iloc[0:0], observations.iloc[0:0])
    departments = cat.indicators["department"].to_dict()
    revisions["department"] = revisions["indicator_id"].map(departments)
    meta["changes"] = changes["change"].value_counts().to_dict()
    meta["revised"] = int((revisions["change"] == "revised").sum())
    meta["new_values"] = int((revisions["change"] == "new").sum())
    meta["corrected"] = int((revisions["change"] == "corrected").sum())
    result = History(verdicts, changes, revisions, meta)
    write(result, as_of, out)
    log.info("history: previous report %s; %d status changes %s, %d values revised, %d new; as-of years %s",
             meta.get("base_run") or meta.get("base"), len(changes), meta["changes"], meta["revised"],
             meta["new_values"], missing_years)
    return result


def write(result: History, as_of: pd.DataFrame, out: Path) -> None:
    """The stage's tables, each written atomically, renamed into place together."""
    frames = {"verdicts": result.verdicts, "changes": result.changes, "revisions": result.revisions,
              "as_of": as_of}
    with (atomic.atomic_output(out / FILES["verdicts"]) as v, atomic.atomic_output(out / FILES["changes"]) as c,
          atomic.atomic_output(out / FILES["revisions"]) as r, atomic.atomic_output(out / FILES["as_of"]) as a,
          atomic.atomic_output(out / FILES["meta"]) as m):
        for name, tmp in (("verdicts", v), ("changes", c), ("revisions", r), ("as_of", a)):
            frames[name].to_parquet(tmp, index=False)
        m.write_text(json.dumps(result.meta, ensure_ascii=False, indent=1, default=str), encoding="utf-8")


def load(processed_dir: str | os.PathLike[str] = config.PROCESSED_DIR) -> History:
    """The history stage's tables as the last assessment wrote them (FileNotFoundError naming the
    command when it has not run)."""
    out = config.resolve(processed_dir)
    if not (out / FILES["meta"]).is_file():
        raise FileNotFoundError(f"{config.display_path(out / FILES['meta'])} does not exist: run the assessment "
                                "first (plan-monitor assess, or the 40_scorecard notebook)")
    meta = json.loads((out / FILES["meta"]).read_text(encoding="utf-8"))
    return History(*(pd.read_parquet(out / FILES[k]) for k in ("verdicts", "changes", "revisions")), meta)
