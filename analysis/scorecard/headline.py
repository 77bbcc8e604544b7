"""The headline counts of a scorecard and the targets carrying a warning."""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any

import pandas as pd

from analysis import config, kinds
from analysis.catalog import plan_order
from analysis.clean import selfeval as evaluations
from analysis.returns import selfeval
from analysis.scorecard.settings import DIRECTION_STATUSES, LEVEL_STATUSES, SCORED_KINDS, AssessmentSettings

log = logging.getLogger(__name__)


def counted_targets(rows: pd.DataFrame, settings: AssessmentSettings) -> pd.DataFrame:
    """The headline rows the headline counts by status (有目标值的指标): the scored kinds' targets,
    the catalog's monitorable ones only when ``headline.count`` is ``monitorable``. The one rule,
    so that a report's 成效 and 问题 list exactly the targets its headline counts."""
    scored = rows[rows["target_kind"].isin(SCORED_KINDS)]
    return scored[scored["monitorable"].astype(bool)] if settings.headline_count == "monitorable" else scored


def headline(scorecard: pd.DataFrame, settings: AssessmentSettings,
             self_evaluations: pd.DataFrame | None = None) -> dict[str, Any]:
    """The counts an official report gives, on the headline rows (one per target).

    ``n``: the targets with a value or a comparator that are counted (the catalog's monitorable
    ones, or all: ``headline.count``), by status; ``rate`` = achieved / denominator, the
    denominator ``n`` minus insufficient data (``assessable``) or ``n`` (``all``); direction-only
    targets by status; qualitative targets, by the member units' self-evaluated conclusion
    (``qualitative``: :func:`qualitative_counts` — never part of ``rate``); and the rest, so that
    the groups add up to the number of targets.
    """
    rows = scorecard[scorecard["is_headline"]]
    scored = rows[rows["target_kind"].isin(SCORED_KINDS)]
    counted = counted_targets(rows, settings)
    not_counted = scored.drop(counted.index)
    direction = rows[rows["target_kind"].isin(kinds.GROUPS["direction"])]
    qualitative = rows[rows["target_kind"].isin(kinds.GROUPS["qualitative"])]
    by = counted["status"].value_counts()
    counts = {s: int(by.get(s, 0)) for s in LEVEL_STATUSES}
    n = len(counted)
    denominator = n - counts["insufficient_data"] if settings.headline_denominator == "assessable" else n
    dby = direction["status"].value_counts()
    ids = qualitative["indicator_id"] if "indicator_id" in qualitative else pd.Series(index=qualitative.index,
                                                                                     dtype=object)
    mode = str(rows["mode"].iloc[0]) if len(rows) else "annual"
    return {
        "mode": mode, "year": int(rows["year"].iloc[0]) if len(rows) else None, "n": n, "counts": counts,
        "denominator": denominator,
        "rate": counts["achieved"] / denominator if denominator else math.nan,
        "expected_rate": (counts["achieved"] + counts["on_track"]) / denominator if denominator else math.nan,
        "not_counted": len(not_counted), "not_counted_statuses": not_counted["status"].value_counts().to_dict(),
        "direction": {s: int(dby.get(s, 0)) for s in (*DIRECTION_STATUSES, "insufficient_data")},
        "n_direction": len(direction), "n_qualitative": len(qualitative), "n_targets": len(rows),
        "qualitative": qualitative_counts(ids, self_evaluations, int(rows["year"].iloc[0]) if len(rows) else None),
        # of the off-track ones: those a year of the plan period has already missed (a fact)
        "broken": int((counted["status_zh"] == settings.broken_label).sum()) if "status_zh" in counted else 0,
        "basic": bool(settings.basic_enabled), "basic_share": settings.basic_share,
        "schedule": {k: int((counted["schedule"] == k).sum()) for k in ("ahead", "behind", "met")}
        if "schedule" in counted else {},
    }


def qualitative_counts(ids: pd.Series, self_evaluations: pd.DataFrame | None, year: int | None) -> dict[str, Any]:
    """The qualitative targets ``ids`` by their latest self-evaluated conclusion up to ``year``
    (:func:`analysis.clean.selfeval.latest`): ``by_conclusion`` (every conclusion of
    ``params/selfeval.yaml``, in its order, zeros included), ``not_reported`` (no self-evaluation),
    and ``years``, the years of the self-evaluations counted. The units' own assessment: counted
    apart, never a status of the scorecard."""
    codes = selfeval.load_settings().codes
    latest = evaluations.latest(self_evaluations, year)
    latest = latest[latest["indicator_id"].isin(set(ids))]
    by = latest.set_index("indicator_id")["conclusion"].reindex(list(ids))
    return {"by_conclusion": {c: int((by == c).sum()) for c in codes}, "not_reported": int(by.isna().sum()),
            "years": sorted(int(y) for y in latest["year"].unique())}


def warned_ids(scorecard: pd.DataFrame) -> list[str]:
    """The ids of the targets any of whose rows carries an early warning, in plan order: the
    indicators that get a page of their own in the report."""
    column = "warning_codes" if "warning_codes" in scorecard.columns else "warnings"
    warned = scorecard.loc[scorecard[column].fillna("").astype(str).str.strip() != "", "indicator_id"]
    return sorted(set(warned), key=plan_order)


def monitored_ids(scorecard: pd.DataFrame) -> list[str]:
    """The ids of the monitorable targets with at least one observed value in any of their rows,
    in plan order: with ``indicators: monitored`` in ``params/run.yaml`` each gets a page."""
    seen = scorecard["monitorable"].fillna(False).astype(bool) & (scorecard["n_points"].fillna(0) > 0)
    return sorted(set(scorecard.loc[seen, "indicator_id"]), key=plan_order)


#: the choices of ``per_indicator: indicators`` in params/run.yaml besides a list of ids
PAGE_CHOICES = {"warned": warned_ids, "monitored": monitored_ids}


def page_ids(scorecard: pd.DataFrame, which: str | list = "warned") -> list[str]:
    """The indicators that get a page of their own: ``which`` is the run file's
    ``per_indicator: indicators`` — a list of ids, or one of :data:`PAGE_CHOICES` applied to
    ``scorecard``. The one rule for the run (which pages it makes) and the report (which it links)."""
    if isinstance(which, list):
        return [str(i) for i in which]
    if which not in PAGE_CHOICES:
        raise ValueError(f"per_indicator indicators must be a list of ids or one of {', '.join(PAGE_CHOICES)}, "
                         f"not {which!r}")
    return PAGE_CHOICES[which](scorecard)


def warned_indicators(processed_dir: str | Path = config.PROCESSED_DIR, which: str = "warned") -> list[str]:
    """:func:`page_ids` (by default the warned ones) of the scorecard written in ``processed_dir``."""
    path = config.resolve(processed_dir) / "scorecard.parquet"
    if not path.is_file():
        raise FileNotFoundError(f"{config.display_path(path)} does not exist: run the assessment first "
                                "(plan-monitor assess, or the 40_scorecard notebook)")
    return page_ids(pd.read_parquet(path), which)
