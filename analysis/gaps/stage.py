"""The gaps stage: every sex and urban–rural gap, the female shares and the narrowing judgements,
computed once per run and written beside the other processed tables.

:func:`run` reads the clean and projection stages' tables, computes, validates and writes (each
file atomically, with ``gaps.json`` beside them naming the settings and catalog they were made
with); :func:`load` reads them back for the pages (or computes them when they are missing or were
made with other settings), and :meth:`GapStage.select` narrows them to the indicators a page
covers. ``plan-monitor gaps`` runs it from the command line.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis import atomic, config
from analysis.catalog import Catalog, load_catalog
from analysis.gaps.narrowing import narrow_targets
from analysis.gaps.pairs import GapResult, analyse_gaps
from analysis.gaps.settings import PARAMS_FILE, GapSettings, Inputs, load_inputs
from analysis.gaps.shares import female_shares
from analysis.returns import inventory
from analysis.returns.inventory import fingerprint

log = logging.getLogger(__name__)

#: the stage's tables, by name → file in the processed folder
FILES = {"summary": "gaps.parquet", "series": "gap_series.parquet", "projection": "gap_projections.parquet",
         "shares": "female_shares.parquet", "narrowing": "narrowing.parquet", "meta": "gaps.json"}
KINDS = ("sex", "urban_rural")


@dataclass
class GapStage:
    """The gaps of one run: per kind a :class:`GapResult`, the female shares, the narrowing table."""

    sex: GapResult
    urban_rural: GapResult
    shares: pd.DataFrame
    narrowing: pd.DataFrame
    files: dict[str, Path] = field(default_factory=dict)

    def select(self, ids: Iterable[str] | None) -> GapStage:
        """The part of the stage a page covers: ``ids`` (None: everything). A narrowing target is
        kept when it or the indicator whose gap it names is selected."""
        if ids is None:
            return self
        wanted = set(ids)

        def rows(frame: pd.DataFrame) -> pd.DataFrame:
            return frame[frame["indicator_id"].isin(wanted)].reset_index(drop=True) if len(frame) else frame

        def result(r: GapResult) -> GapResult:
            return GapResult(r.kind, rows(r.series), rows(r.summary), rows(r.projection))

        narrowing = self.narrowing
        if len(narrowing):
            keep = narrowing["indicator_id"].isin(wanted) | narrowing["gap_of"].isin(wanted)
            narrowing = narrowing[keep].reset_index(drop=True)
        return GapStage(result(self.sex), result(self.urban_rural), rows(self.shares), narrowing, self.files)


def compute(inputs: Inputs, cat: Catalog, settings: GapSettings) -> GapStage:
    """Every gap of the catalog's indicators (no file read or written)."""
    sex = analyse_gaps(inputs, cat, "sex", settings)
    urban_rural = analyse_gaps(inputs, cat, "urban_rural", settings)
    shares = female_shares(inputs, cat, settings)
    narrowing = narrow_targets(inputs, cat, settings, sex, urban_rural)
    return GapStage(sex, urban_rural, shares, narrowing)


def _stack(stage: GapStage, part: str) -> pd.DataFrame:
    frames = [getattr(getattr(stage, k), part).assign(kind=k) for k in KINDS]
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame({"kind": pd.Series(dtype=str)})


def run(processed_dir: str | Path = config.PROCESSED_DIR, catalog: str | Path | Catalog = config.DEFAULT_CATALOG,
        settings_path: str | Path = PARAMS_FILE) -> GapStage:
    """The gaps stage: read observations and projection models in ``processed_dir``, compute every
    gap and write the stage's tables there (:data:`FILES`), each atomically."""
    out = config.resolve(processed_dir)
    cat = catalog if isinstance(catalog, Catalog) else load_catalog(catalog)
    settings = GapSettings.from_params(settings_path)
    stage = compute(load_inputs(out), cat, settings)
    files = {k: out / v for k, v in FILES.items()}
    tables = {"summary": _stack(stage, "summary"), "series": _stack(stage, "series"),
              "projection": _stack(stage, "projection"), "shares": stage.shares, "narrowing": stage.narrowing}
    meta = {"settings": fingerprint(settings_path), "catalog": fingerprint(cat.path),
            "inputs": inventory.inputs_fingerprint(out, GAP_INPUTS), "rows": {k: len(v) for k, v in tables.items()},
            # each kind's own columns and types, so that a result reads back exactly as computed
            "columns": {part: {k: {c: str(t) for c, t in getattr(getattr(stage, k), part).dtypes.items()}
                               for k in KINDS} for part in ("summary", "series", "projection")}}
    with (atomic.atomic_output(files["summary"]) as t1, atomic.atomic_output(files["series"]) as t2,
          atomic.atomic_output(files["projection"]) as t3, atomic.atomic_output(files["shares"]) as t4,
          atomic.atomic_output(files["narrowing"]) as t5, atomic.atomic_output(files["meta"]) as t6):
        for tmp, name in zip((t1, t2, t3, t4, t5), tables, strict=True):
            tables[name].to_parquet(tmp, index=False)
        t6.write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
    log.info("wrote the gaps stage to %s: %s", config.display_path(out),
             ", ".join(f"{FILES[k]} ({n} rows)" for k, n in meta["rows"].items()))
    stage.files = files
    return stage


def _unstack(frame: pd.DataFrame, kind: str, columns: dict[str, str]) -> pd.DataFrame:
    """One kind's rows of a stacked table, with exactly its own columns and types."""
    part = frame[frame["kind"] == kind] if "kind" in frame else frame.iloc[:0]
    return part.reindex(columns=list(columns)).astype(columns).reset_index(drop=True)


#: the stage tables the gaps are made from (their checksums are kept in gaps.json)
GAP_INPUTS = ("observations.parquet", "projections.parquet", "projection_models.parquet")


def load(processed_dir: str | Path = config.PROCESSED_DIR, catalog: str | Path | Catalog = config.DEFAULT_CATALOG,
         settings_path: str | Path = PARAMS_FILE) -> GapStage:
    """The gaps the stage wrote in ``processed_dir``; computed anew (and written) when they are
    missing or were made with another settings file or catalog (the log says which)."""
    out = config.resolve(processed_dir)
    files = {k: out / v for k, v in FILES.items()}
    cat_path = catalog.path if isinstance(catalog, Catalog) else catalog
    why = ""
    if not all(p.is_file() for p in files.values()):
        why = "the gaps stage has not written its tables yet"
    else:
        meta = json.loads(files["meta"].read_text(encoding="utf-8"))
        if meta.get("settings") != fingerprint(settings_path):
            why = f"the gaps written were made with other settings than {config.display_path(settings_path)}"
        elif meta.get("catalog") != fingerprint(cat_path):
            why = "the gaps written were made with another catalog"
        elif meta.get("inputs") != inventory.inputs_fingerprint(out, GAP_INPUTS):
            why = "the observations or projections changed since the gaps were written"
    if why:
        log.info("computing the gaps anew: %s", why)
        return run(processed_dir, catalog, settings_path)
    t = {k: pd.read_parquet(p) for k, p in files.items() if k != "meta"}
    cols = meta["columns"]
    results = {k: GapResult(k, *(_unstack(t[part], k, cols[part][k]) for part in ("series", "summary", "projection")))
               for k in KINDS}
    log.info("read the gaps stage from %s (%d summary rows)", config.display_path(out), len(t["summary"]))
    return GapStage(results["sex"], results["urban_rural"], t["shares"], t["narrowing"], files)
