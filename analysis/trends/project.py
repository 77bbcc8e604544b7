"""The projection stage: choose, fit and project every series (:func:`project_observations`), validate,
and write ``projections.parquet`` and ``projection_models.parquet`` (:func:`project`).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from analysis import atomic, config
from analysis.catalog import Catalog, load_catalog, plan_order
from analysis.trends.base import (
    BINOMIAL,
    CANDIDATES,
    FAMILY_NAMES,
    MODEL_COLUMNS,
    POISSON,
    PROJECTION_COLUMNS,
    PROJECTION_DTYPES,
    QUANTILES,
    SCALE_NAMES,
    ProjectionSettings,
)
from analysis.trends.batch import Batch, _last_col, build_batch
from analysis.trends.candidate import Fitted
from analysis.trends.candidates import GLM_CANDIDATES, MODELS, Rows
from analysis.trends.records import _json_float, _params_record, paths_from_params
from analysis.trends.selection import BacktestResult, backtest, choose, own_calibration
from analysis.trends.simulation import (
    analytic_quantiles,
    clip_to_range,
    glm_quantiles,
    keyed_streams,
    series_seed,
    sim_quantiles,
)

log = logging.getLogger(__name__)


@dataclass
class Projection:
    """The engine's output: the projections table and the per-series model record."""

    projections: pd.DataFrame
    models: pd.DataFrame
    files: dict[str, Path] = field(default_factory=dict)


def _final_fits(batch: Batch, chosen: np.ndarray, settings: ProjectionSettings) -> tuple[Rows, dict[str, Fitted]]:
    """Fit every candidate that some series chose, on all projectable series (keeping the
    in-sample values the projections table shows for the observed years)."""
    series = np.flatnonzero(batch.projectable)
    rows = Rows.of(batch, series, batch.mask[series])
    fits = {name: model.fit(batch, rows, settings, keep_fitted=True)
            for name, model in MODELS.items() if (chosen[series] == name).any()}
    return rows, fits


def _query_table(batch: Batch, series: np.ndarray, settings: ProjectionSettings
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, column, is_projection) of every year a projectable series gets in the table: its
    observed years (fitted values) and every year after its last one up to the horizon."""
    mask = batch.mask[series]
    last = _last_col(mask)
    cols = np.arange(len(batch.years))
    future = (cols[None, :] > last[:, None]) & (batch.years[None, :] <= settings.horizon)
    r, c = np.nonzero(mask | future)
    return r, c, future[r, c]


def _fitted_values(fitted: Fitted, batch, rows, r, c, widen):
    """Point and quantiles of a candidate at observed years (in-sample, one step ahead for the
    recursive ones)."""
    s = rows.series[r]
    mean, var, df = fitted.in_sample(rows, r, c, batch.x[c])
    return analytic_quantiles(mean, var, df, widen, batch.scale[s], batch.lo[s], batch.hi[s])


def _glm_series_tables(batch, rows, fitted, pos_list, r, c, is_proj, widen, settings, point, q, params):
    """Replace the analytic values of count series whose chosen model is a GLM trend by their
    simulated ones: future years from the same seeded paths :func:`simulate_paths` returns (one
    stream per series), observed years from each series's own stream (label 3), at each year's exposure
    (with ``n_sims_backtest`` draws: these fitted intervals are descriptive)."""
    glm, c_rows = fitted.glm, fitted.glm_rows
    pos_list = np.asarray(pos_list, dtype=int)
    starts, ends = np.searchsorted(r, pos_list, "left"), np.searchsorted(r, pos_list, "right")
    for pos, start, end in zip(pos_list, starts, ends, strict=True):
        s = rows.series[pos]
        fut = np.arange(start, end)[is_proj[start:end]]
        if len(fut):
            rec = params[s]
            rng = np.random.default_rng(series_seed(settings.seed, batch.key(s)))
            _, sims = paths_from_params(rec, settings.n_sims, rng, batch.years[c[fut]])
            q[fut] = sim_quantiles(sims)
            eta0 = rec["a"] + rec["b"] * (batch.x[c[fut]] - rec["xc"])
            point[fut] = rec["per"] * (np.exp(eta0) if rec["family"] == "poisson" else special.expit(eta0))
    in_glm = np.zeros(len(rows.series), bool)
    in_glm[pos_list] = True
    obs_ = np.flatnonzero(in_glm[r] & ~is_proj)
    if len(obs_):
        pos = r[obs_]
        g = np.searchsorted(c_rows, pos)
        s = rows.series[pos]
        point[obs_], q[obs_] = glm_quantiles(glm, g, batch.x[c[obs_]], batch.e[s, c[obs_]], rows.family[pos],
                                             batch.per[s], widen[pos], settings.n_sims_backtest,
                                             keyed_streams(settings.seed, batch.key, 3), s)


def project_observations(obs: pd.DataFrame, indicators: pd.DataFrame,
                         settings: ProjectionSettings | None = None) -> Projection:
    """Project every series of ``obs`` (the observations table) — no files read or written.

    ``indicators`` is the catalog's table (``Catalog.indicators``: unit, kind, valid_range by
    id). Returns the projections table and the model record (see the module doc and
    docs/projections.md).
    """
    settings = settings or ProjectionSettings.from_params()
    started = time.perf_counter()
    if obs.empty:
        log.warning("no observations: nothing to project")
        return Projection(projections=pd.DataFrame({c: pd.Series(dtype=t) for c, t in PROJECTION_DTYPES.items()}),
                          models=pd.DataFrame(columns=MODEL_COLUMNS))
    batch = build_batch(obs, indicators, settings)
    if settings.force_model is None:
        result = backtest(batch, settings)
    else:
        result = BacktestResult({c: pd.DataFrame() for c in CANDIDATES}, {})
    scores = result.scores
    chosen, why = choose(batch, scores, settings)
    rows, fits = _final_fits(batch, chosen, settings)
    widen = _widening(batch, rows, chosen, result, why, settings)
    r, c, is_proj = _query_table(batch, rows.series, settings)
    point = np.full(len(r), np.nan)
    q = np.full((len(r), len(QUANTILES)), np.nan)
    params: dict[int, dict[str, Any]] = {}
    streams = keyed_streams(settings.seed, batch.key, 2)
    for name, fitted in fits.items():
        pick = chosen[rows.series] == name
        for pos in np.flatnonzero(pick):
            params[int(rows.series[pos])] = _params_record(name, fitted, int(rows.series[pos]), pos, batch,
                                                           float(widen[pos]), settings)
        sel = np.flatnonzero(pick[r])
        fut, obs_ = sel[is_proj[sel]], sel[~is_proj[sel]]
        point[fut], q[fut] = fitted.predict(batch, rows, r[fut], batch.x[c[fut]], widen[r[fut]], settings, streams, 2)
        point[obs_], q[obs_] = _fitted_values(fitted, batch, rows, r[obs_], c[obs_], widen[r[obs_]])
        if fitted.glm is not None:
            glm_rows = np.flatnonzero(pick & rows.counts)
            _glm_series_tables(batch, rows, fitted, glm_rows, r, c, is_proj, widen, settings, point, q, params)
    s = rows.series[r]
    point = clip_to_range(point, batch.vlo[s], batch.vhi[s])
    q = clip_to_range(q, batch.vlo[s], batch.vhi[s])
    projections = _projection_frame(batch, s, c, is_proj, point, q, chosen)
    models = _model_frame(batch, scores, chosen, why, rows, fits, params, settings)
    log.info("projected %d series (%d not projectable) in %.2f s", int(batch.projectable.sum()),
             int((~batch.projectable).sum()), time.perf_counter() - started)
    return Projection(projections=projections, models=models)


def _widening(batch: Batch, rows: Rows, chosen: np.ndarray, result: BacktestResult, why: np.ndarray,
               settings: ProjectionSettings) -> np.ndarray:
    """The factor on each projected series' predictive sd: ``default_widen`` for a series too
    short to back-test; otherwise its own back-test's calibration (:func:`own_calibration`) or,
    when ``calibrate`` is on, the pooled factor of its family and model, whichever is larger —
    but never for a count series fitted by its GLM, whose dispersion is estimated from its own
    Pearson χ² (4-point infant-mortality series covered 93 % at 80 % with the widening;
    benchmarks/calibration_simulated.py); the reason is appended to ``why``."""
    s = rows.series
    glm = np.isin(batch.family[s], [POISSON, BINOMIAL]) & np.isin(chosen[s], GLM_CANDIDATES)
    short = (batch.n[s] < settings.min_backtest_points) & ~glm
    widen = np.where(short, settings.default_widen, 1.0)
    for pos in np.flatnonzero(~short & ~glm):
        name = chosen[s[pos]]
        table = result.scores.get(name)
        own = 1.0
        if table is not None and s[pos] in table.index:
            row = table.loc[s[pos]]
            own = float(own_calibration(np.array([row["n_scored"]]), np.array([row["mean_sq_score"]]), settings)[0])
            if own > 1.0:
                widen[pos] = own
                why[s[pos]] += (f"; intervals widened x{own:.2f} by its own back-test errors ({int(row['n_scored'])} "
                                f"forecasts, mean square of their normal scores {row['mean_sq_score']:.2f})")
        factor, n = result.calibration.get((int(batch.family[s[pos]]), name), (1.0, 0))
        if factor > max(own, 1.0):
            widen[pos] = factor
            why[s[pos]] += (f"; intervals widened x{factor:.2f} by the pooled back-test calibration of "
                            f"{FAMILY_NAMES[batch.family[s[pos]]]}:{name} ({n} forecasts)")
    return widen


def _model_label(batch: Batch, s: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    return np.char.add(np.char.add(FAMILY_NAMES[batch.family[s]].astype(str), ":"), chosen[s].astype(str))


def _projection_frame(batch, s, c, is_proj, point, q, chosen) -> pd.DataFrame:
    """The projections table in the contract's columns, in plan order."""
    frame = pd.DataFrame({
        "indicator_id": batch.keys["indicator_id"].to_numpy()[s], "area": batch.keys["area"].to_numpy()[s],
        "sex": batch.keys["sex"].to_numpy()[s], "year": batch.years[c].astype("int64"), "mean": point,
        "lo80": q[:, 1], "hi80": q[:, 3], "lo95": q[:, 0], "hi95": q[:, 4],
        "model": _model_label(batch, s, chosen), "is_projection": is_proj.astype(bool),
    }, columns=PROJECTION_COLUMNS)
    order = frame["indicator_id"].map(plan_order)
    frame = frame.assign(_o=order).sort_values(["_o", "area", "sex", "year"]).drop(columns="_o")
    return frame.reset_index(drop=True)


def _candidates_json(records: dict[str, dict[int, dict]], i: int) -> str:
    """One series' back-test scores of every candidate, as JSON (a list of objects)."""
    out = []
    for name in CANDIDATES:
        row = records.get(name, {}).get(i)
        if row is not None:
            scores_ = {k: (int(v) if k.startswith("n_") else _json_float(v)) for k, v in row.items()}
            out.append({"name": name, **scores_})
    return json.dumps(out, ensure_ascii=False)


def _series_warnings(batch, i, fitted: Fitted, pos) -> list[str]:
    """Warnings from the fit of the chosen model of series ``i`` (besides the data's own)."""
    out = list(batch.warnings[i])
    if batch.n[i] == 2:
        out.append("two points: the slope is their difference and the volatility their change (1 df)")
    return out + fitted.warnings(pos)


def _model_frame(batch, scores, chosen, why, rows, fits, params, settings) -> pd.DataFrame:
    """The per-series model record (every series, projectable or not)."""
    pos_of = {int(s): p for p, s in enumerate(rows.series)}
    score_records = {name: table.to_dict("index") for name, table in scores.items()}
    records = []
    for i in range(len(batch.keys)):
        mask = batch.mask[i]
        yrs = batch.years[mask]
        iid, area, sex = batch.key(i)
        rec = {"indicator_id": iid, "area": area, "sex": sex, "n_points": int(mask.sum()),
               "first_year": int(yrs.min()) if len(yrs) else None, "last_year": int(yrs.max()) if len(yrs) else None,
               "projectable": bool(batch.projectable[i]), "reason": batch.reason[i], "seed": int(settings.seed)}
        if not batch.projectable[i]:
            rec |= {"family": "none", "scale": "", "candidates": "[]", "chosen": "", "model": "", "why": "",
                    "comparator": "", "shrinkage_weight": np.nan, "own_slope": np.nan, "comparator_slope": np.nan,
                    "slope": np.nan, "warnings": "; ".join(batch.warnings[i]), "params": "{}"}
            records.append(rec)
            continue
        name, pos = chosen[i], pos_of[i]
        own, comp, weight, used = fits[name].slope(pos)
        has_comp = batch.comp[i] >= 0 and np.isfinite(weight)
        rec |= {"family": str(FAMILY_NAMES[batch.family[i]]), "scale": SCALE_NAMES[int(batch.scale[i])],
                "candidates": _candidates_json(score_records, i), "chosen": name,
                "model": f"{FAMILY_NAMES[batch.family[i]]}:{name}", "why": why[i],
                "comparator": batch.comp_label[i] if has_comp else "",
                "shrinkage_weight": weight, "own_slope": own, "comparator_slope": comp, "slope": used,
                "warnings": "; ".join(_series_warnings(batch, i, fits[name], pos)),
                "params": json.dumps(params[i], ensure_ascii=False)}
        records.append(rec)
    frame = pd.DataFrame(records, columns=MODEL_COLUMNS)
    frame = frame.assign(_o=frame["indicator_id"].map(plan_order)).sort_values(["_o", "area", "sex"])
    return frame.drop(columns="_o").reset_index(drop=True)


def _schemas():
    import pandera.pandas as pa

    projections = pa.DataFrameSchema({
        "indicator_id": pa.Column(str), "area": pa.Column(str), "sex": pa.Column(str, pa.Check.isin(
            ["female", "male", "total"])),
        "year": pa.Column("int64", pa.Check.in_range(1990, 2100)),
        "mean": pa.Column(float, nullable=True), "lo80": pa.Column(float, nullable=True),
        "hi80": pa.Column(float, nullable=True), "lo95": pa.Column(float, nullable=True),
        "hi95": pa.Column(float, nullable=True), "model": pa.Column(str), "is_projection": pa.Column(bool),
    }, strict=True, ordered=True, unique=["indicator_id", "area", "sex", "year"], checks=[
        pa.Check(lambda d: ~d["is_projection"] | (d["lo95"] <= d["lo80"] + 1e-9)
                 & (d["lo80"] <= d["hi80"] + 1e-9) & (d["hi80"] <= d["hi95"] + 1e-9),
                 error="projected years need lo95 <= lo80 <= hi80 <= hi95"),
        pa.Check(lambda d: ~d["is_projection"] | d[["mean", "lo80", "hi80", "lo95", "hi95"]].notna().all(axis=1),
                 error="projected years need a mean and both intervals"),
    ])
    models = pa.DataFrameSchema({
        "indicator_id": pa.Column(str), "area": pa.Column(str), "sex": pa.Column(str),
        "n_points": pa.Column("int64"), "first_year": pa.Column("Int64", nullable=True),
        "last_year": pa.Column("Int64", nullable=True), "projectable": pa.Column(bool),
        "reason": pa.Column(str), "family": pa.Column(str), "scale": pa.Column(str), "candidates": pa.Column(str),
        "chosen": pa.Column(str), "model": pa.Column(str), "why": pa.Column(str), "comparator": pa.Column(str),
        "shrinkage_weight": pa.Column(float, nullable=True), "own_slope": pa.Column(float, nullable=True),
        "comparator_slope": pa.Column(float, nullable=True), "slope": pa.Column(float, nullable=True),
        "warnings": pa.Column(str), "params": pa.Column(str), "seed": pa.Column("int64"),
    }, strict=True, ordered=True, coerce=True, unique=["indicator_id", "area", "sex"], checks=[
        pa.Check(lambda d: d["projectable"] | (d["reason"] != ""), error="a series not projected needs a reason"),
        pa.Check(lambda d: ~d["projectable"] | (d["why"] != ""), error="a projected series needs its why"),
    ])
    return projections, models


def validate(result: Projection) -> Projection:
    """Check both tables against their contracts (every failure listed, pandera lazy mode)."""
    from analysis import schemas

    proj_schema, model_schema = _schemas()
    projections = schemas.validate_or_raise(result.projections, proj_schema, "projections")
    models = schemas.validate_or_raise(result.models, model_schema, "projection_models")
    return Projection(projections=projections, models=models, files=result.files)


def observations_path(processed_dir: str | Path) -> Path:
    """``observations.parquet`` in ``processed_dir``; a clear error when the cleaning has not run."""
    path = config.resolve(processed_dir) / "observations.parquet"
    if not path.is_file():
        raise FileNotFoundError(f"{config.display_path(path)} does not exist: run the cleaning first "
                                "(plan-monitor clean, or the 20_clean notebook)")
    return path


def project(processed_dir: str | Path = config.PROCESSED_DIR, catalog: str | Path | Catalog = config.DEFAULT_CATALOG,
            settings: ProjectionSettings | None = None) -> Projection:
    """The projection stage: read ``observations.parquet`` in ``processed_dir``, project every
    series, validate, and write ``projections.parquet`` and ``projection_models.parquet`` there
    (each atomically: a failed run leaves the previous files whole)."""
    out = config.resolve(processed_dir)
    obs = pd.read_parquet(observations_path(out))
    cat = catalog if isinstance(catalog, Catalog) else load_catalog(catalog)
    settings = settings if settings is not None else ProjectionSettings.from_params()
    result = validate(project_observations(obs, cat.indicators, settings))
    files = {"projections": out / "projections.parquet", "models": out / "projection_models.parquet",
             "meta": out / "projection.json"}
    key = stage_key(out, cat, settings)
    with (atomic.atomic_output(files["projections"]) as tmp_p, atomic.atomic_output(files["models"]) as tmp_m,
          atomic.atomic_output(files["meta"]) as tmp_j):
        result.projections.to_parquet(tmp_p, index=False)
        result.models.to_parquet(tmp_m, index=False)
        tmp_j.write_text(json.dumps(key, indent=1), encoding="utf-8")
    log.info("wrote %s (%d rows) and %s (%d series)", config.display_path(files["projections"]),
             len(result.projections), config.display_path(files["models"]), len(result.models))
    result.files = files
    return result


def stage_key(out: Path, cat: Catalog, settings: ProjectionSettings) -> dict[str, str | None]:
    """What a projection was made from — the observations file, the catalog, every setting and the
    suite's code (SHA-256 each) — recorded in ``projection.json`` beside the tables, so that a page
    re-run reads them instead of projecting again only when nothing they depend on changed."""
    import dataclasses
    import hashlib

    from analysis.returns import inventory

    return {"observations": inventory.sha256(observations_path(out)), "catalog": inventory.fingerprint(cat.path),
            "settings": hashlib.sha256(repr(dataclasses.asdict(settings)).encode()).hexdigest(),
            "code": inventory.code_fingerprint()}


def load_projection(processed_dir: str | Path = config.PROCESSED_DIR,
                    catalog: str | Path | Catalog = config.DEFAULT_CATALOG,
                    settings: ProjectionSettings | None = None) -> Projection:
    """The projection the stage wrote in ``processed_dir`` when it was made from the same
    observations, catalog, settings and engine (:func:`stage_key`); else projected anew (and
    written), the log saying why — what a page re-run by an analyst calls."""
    out = config.resolve(processed_dir)
    cat = catalog if isinstance(catalog, Catalog) else load_catalog(catalog)
    settings = settings if settings is not None else ProjectionSettings.from_params()
    files = {"projections": out / "projections.parquet", "models": out / "projection_models.parquet",
             "meta": out / "projection.json"}
    why = ""
    if not all(p.is_file() for p in files.values()):
        why = "no projection written yet"
    else:
        made = json.loads(files["meta"].read_text(encoding="utf-8"))
        now = stage_key(out, cat, settings)
        changed = [k for k in now if made.get(k) != now[k]]
        why = f"the {', '.join(changed)} changed since the projection was written" if changed else ""
    if why:
        log.info("projecting anew: %s", why)
        return project(processed_dir, cat, settings)
    result = Projection(projections=pd.read_parquet(files["projections"]), models=pd.read_parquet(files["models"]),
                        files=files)
    log.info("read %s (%d series) written by the projection stage", config.display_path(files["models"]),
             len(result.models))
    return result


def load_observations(processed_dir: str | Path = config.PROCESSED_DIR) -> pd.DataFrame:
    """The cleaned observations in ``processed_dir`` (a clear error when the cleaning has not run)."""
    return pd.read_parquet(observations_path(processed_dir))
