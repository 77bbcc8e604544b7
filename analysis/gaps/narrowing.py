"""The one judgement of "差距缩小" targets: is the gap the plan names narrowing, with what probability.

The scorecard and the gaps page both read it (:func:`narrow_targets`), so a target has one answer.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from analysis.catalog import Catalog
from analysis.gaps.measures import (
    change_status,
    horizon_columns,
    narrowing_probability,
    widening_probability,
    window_level,
)
from analysis.gaps.pairs import GapResult, analyse_gaps
from analysis.gaps.settings import TARGET_CODES, GapSettings, Inputs
from analysis.report.labels import GAP_STATUS_LABELS, engine_reason_zh
from analysis.trends.records import simulate_paths

log = logging.getLogger(__name__)


def narrow_targets(inputs: Inputs, cat: Catalog, settings: GapSettings, sex: GapResult, urban_rural: GapResult,
                   ids: Iterable[str] | None = None) -> pd.DataFrame:
    """The plans' "差距缩小" targets (kind direction, direction narrow), one row each, judged by
    :func:`narrowing_judgement` on the gaps already analysed (``sex``, ``urban_rural``)."""
    wanted = set(ids) if ids is not None else None
    t = cat.indicators
    rows = []
    for ind, entry in t[t["direction"] == "narrow"].iterrows():  # only direction targets have one
        if wanted is not None and ind not in wanted and entry["gap_of"] not in wanted:
            continue
        rows.append(narrowing_judgement(entry, inputs, cat, settings, {"sex": sex, "urban_rural": urban_rural}))
    return pd.DataFrame(rows)


def narrowing_judgement(entry: pd.Series, inputs: Inputs, cat: Catalog, settings: GapSettings,
                        analysed: dict[str, GapResult] | None = None) -> dict[str, Any]:
    """The one judgement of a "差距缩小" target: the gaps page and the scorecard both show it.

    With ``gap_of`` the gap is that indicator's district gap of the named kind (urban–rural or
    sex): three-year window levels, oriented so that a reversal is seen, projected from the two
    groups' simulated paths (:func:`analysis.gaps.pairs.analyse_gaps`), and judged by its status:
    narrowing → improving, widening or reversed → worsening, no clear change or parity →
    no_clear_change, with the thresholds of ``params/gaps.yaml``. Without ``gap_of`` the entry's
    own district series is the gap (男女收入差距): P(|gap 2030| < |gap now|) from its own paths.
    ``analysed``: the gap results already computed for the page (else the one pair is analysed).
    """
    ind, gap_of, kind = str(entry.name), entry["gap_of"], entry["gap"]
    record = {"indicator_id": ind, "name_zh": entry["name_zh"], "gap": kind, "gap_of": gap_of or "",
              "p_narrower": np.nan, "p_wider": np.nan, "gap_baseline": np.nan, "gap_now": np.nan,
              "gap_2030": np.nan, "baseline_small": False, "now_small": False, "status": "insufficient_data",
              "reason": ""}
    if not gap_of:
        return record | _own_gap(inputs, ind, settings)
    gap_kind = "sex" if kind == "sex" else "urban_rural"
    result = (analysed or {}).get(gap_kind) or analyse_gaps(inputs, cat, gap_kind, settings, [gap_of])
    summary = result.summary
    hit = summary[(summary["indicator_id"] == gap_of) & (summary["scope"] == "district")] if len(summary) \
        else summary
    if hit.empty:
        what = "分性别" if kind == "sex" else "分城乡"
        return record | {"reason": f"区级没有 {gap_of} 的{what}数据"}
    row = hit.iloc[0]
    return record | {"p_narrower": row["p_narrower"], "p_wider": row["p_wider"],
                     "gap_baseline": row["baseline_gap"], "gap_now": row["latest_gap"],
                     "gap_2030": row["gap_2030"], "baseline_small": row["baseline_small"],
                     "now_small": row["latest_small"], "status": TARGET_CODES[row["status"]],
                     "reason": engine_reason_zh(row["note"]) or (f"{gap_of} 区级{'城乡' if kind != 'sex' else '性别'}"
                                                                 f"差距：{GAP_STATUS_LABELS[row['status']]}")}


def _own_gap(inputs: Inputs, ind: str, settings: GapSettings) -> dict[str, Any]:
    """A gap that is its own series (no ``gap_of``): P(|x 2030| < |x now|) from its paths."""
    obs = inputs.observations
    own = obs[(obs["indicator_id"] == ind) & (obs["area"] == "district") & (obs["sex"] == "total")]
    if own.empty:
        return {"reason": "暂无区级数据"}
    ly = int(own["year"].max())
    now = window_level(own.loc[own["year"] > ly - settings.window_years, "value"])
    try:
        paths = simulate_paths(ind, "district", "total", models=inputs.models, n_sims=settings.n_sims,
                                     seed=settings.seed)
    except (KeyError, ValueError) as exc:
        return {"gap_now": now, "reason": f"无法预测：{engine_reason_zh(exc)}"}
    h, window = horizon_columns(paths.years, settings)
    level = paths.values[:, window].mean(axis=1)
    p = narrowing_probability(level, now)
    status = change_status(p, widening_probability(level, now), np.nan, np.nan, settings)
    return {"p_narrower": p, "p_wider": widening_probability(level, now), "gap_now": now,
            "gap_2030": float(np.median(paths.values[:, h])),
            "status": TARGET_CODES[status], "reason": f"本指标即差距：{GAP_STATUS_LABELS[status]}"}
