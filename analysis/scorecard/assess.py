"""One target, every row; the whole scorecard (:func:`assess_frame`), its contract, and the assess stage
(:func:`assess` writes ``scorecard.parquet``; :func:`load_assessment` reads it back for the pages).
"""

from __future__ import annotations

import functools
import json
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pandera.pandas as pa

from analysis import atomic, config, kinds, schemas, trends
from analysis.catalog import KINDS, Catalog, load_catalog, target_text
from analysis.clean.selfeval import COLUMNS as SELF_EVALUATION_COLUMNS
from analysis.clean.selfeval import latest as latest_self_evaluations
from analysis.report.numbers import chance, fmt
from analysis.returns import inventory, parse
from analysis.returns.inventory import fingerprint
from analysis.scorecard.context import Context
from analysis.scorecard.headline import headline
from analysis.scorecard.probability import joint, level_status, probability
from analysis.scorecard.rows import _schedule_against_status, _slack
from analysis.scorecard.settings import (
    COLUMNS,
    DEFAULT_SETTINGS,
    DIRECTION_STATUSES,
    MODES,
    STATUSES,
    AssessmentSettings,
    load_settings,
)
from analysis.scorecard.warnings import _add_warning, _drop_warning, past_breaks
from analysis.trends.project import observations_path, project_observations

log = logging.getLogger(__name__)


def district_towns(ctx: Context, indicator_id: str) -> tuple[list[str], list[str]]:
    """The towns with a value of the indicator that belong to the district in the evaluation year
    (``params/areas.yaml`` order), and those that no longer do (a former town left out)."""
    spec = parse.areas()
    present = ctx.areas_of(indicator_id)
    current = [t for t in spec["towns"] if t in present]
    former = [t for t, info in (spec.get("former_towns") or {}).items()
              if t in present and int(info["last_year"]) < ctx.year]
    kept_former = [t for t, info in (spec.get("former_towns") or {}).items()
                   if t in present and int(info["last_year"]) >= ctx.year]
    missing = [t for t in spec["towns"] if t not in present] if current else []
    return current + kept_former + missing, former


def is_joint_town_target(entry: pd.Series, settings: AssessmentSettings) -> bool:
    """A target the plan sets for every town (以镇（街道）为单位…): its headline is all towns together."""
    source = str(entry.get("source") or "")
    return "town" in entry["breakdowns"] and any(p in source for p in settings.joint_town_phrases)


def verdict_sex(entry: pd.Series) -> str:
    """The sex of the series a target is judged on: ``female`` for a target the plan words about
    women or girls (catalog ``population``) whose data come by sex — 妇女基本养老保险参保率 is the
    women's rate, not the men's and women's together — else ``total``. The other sex is context
    (the gaps page), never a verdict."""
    population = entry.get("population") or "all"
    return "female" if population in ("women", "girls") and "sex" in (entry["breakdowns"] or []) else "total"


def assess_entry(entry: pd.Series, ctx: Context) -> list[dict]:
    """Every row of one catalog target, as its kind assesses it (:meth:`analysis.kinds.base.Kind.assess`)."""
    return kinds.get(entry["kind"]).assess(entry, ctx)


def breakdown_rows(entry: pd.Series, ctx: Context, one_row) -> list[dict]:
    """The rows of a target judged series by series (``one_row``: a level or a direction row):
    the headline (district, on the population the target is about: :func:`verdict_sex`) and one
    per breakdown the catalog asks for — female/male for a target about everyone; urban/rural;
    each town only where the plan sets the target per town (以镇（街道）为单位,
    :func:`is_joint_town_target`: elsewhere towns are information, shown on the gaps page, never a
    verdict)."""
    one = functools.partial(one_row, entry)

    def first(result):
        return result[0] if isinstance(result, tuple) else result

    breakdowns = entry["breakdowns"]
    own_sex = verdict_sex(entry)
    head = one(ctx.area, own_sex, "total", ctx)
    rows = [first(head)]
    if "sex" in breakdowns and own_sex == "total":
        rows += [first(one(ctx.area, sex, "sex", ctx)) for sex in ("female", "male")]
    if "urban_rural" in breakdowns and ctx.area == "district":
        rows += [first(one(area, own_sex, "urban_rural", ctx)) for area in ("urban", "rural")]
    if "town" in breakdowns and ctx.area == "district" and is_joint_town_target(entry, ctx.settings):
        towns, former = district_towns(ctx, entry["id"])
        town_results = [one(t, "total", "town", ctx) for t in towns]
        rows += [first(r) for r in town_results]
        _town_summary(rows[0], entry, towns, former, town_results, ctx)
    return rows


def linked_rows(entry: pd.Series, rows: list[dict]) -> list[dict]:
    """The rows of a target that is the same indicator with the same target as another entry
    (catalog ``same_as``): that entry's rows — one series, one projection, one probability, one
    status — under this entry's own id, name and place in the plan, saying so. *Why:* 高中阶段教育
    毛入学率 is set at 96 % by both plans; judged twice it read "约78%" in one and "约79%" in the other."""
    other = entry["same_as"]
    out = []
    for r in rows:
        row = dict(r)
        row.update(indicator_id=entry["id"], plan=entry["plan"], field=int(entry["field"]), name_zh=entry["name_zh"],
                   monitorable=bool(entry["monitorable"]), target_text=target_text(entry))
        row["reason_zh"] = "；".join(filter(None, [f"与{other}为同一指标、同一目标，按{other}的数据评估，结论相同",
                                                   r["reason_zh"]]))
        out.append(row)
    return out


def _town_summary(head: dict, entry: pd.Series, towns: list[str], former: list[str], results: list,
                  ctx: Context) -> None:
    """On the headline row: the towns at risk, P(every town meets) and, for a target the plan sets
    per town, the headline's status from that joint probability."""
    st = ctx.settings
    if not towns:
        head["reason_zh"] = "；".join(filter(None, [head["reason_zh"], "未报送分镇（街道）数据"]))
        return
    rows = [r[0] if isinstance(r, tuple) else r for r in results]
    at_risk = [t for t, r in zip(towns, rows, strict=True) if r["status"] in ("at_risk", "off_track")]
    head["towns_at_risk"] = "、".join(at_risk)
    notes = []
    if former:
        notes.append("、".join(former) + "已不属本区，未计入")
    mets = [r[1] for r in results if isinstance(r, tuple) and r[1] is not None]
    lacking = [t for t, r in zip(towns, rows, strict=True) if r["status"] == "insufficient_data"]
    if lacking:
        notes.append("、".join(lacking) + "数据不足，未计入全部镇（街道）的联合概率")
    target_year = int(entry["year"]) if pd.notna(entry.get("year")) else st.final_year
    ahead = f"{int(head['latest_year']) + 1}—{target_year}年" if pd.notna(head.get("latest_year")) else "今后"
    if mets and ctx.mode != "final":
        p_all = probability(joint(mets))
        head["p_all_towns"] = p_all
        notes.append(f"全部{len(mets)}个镇（街道）{ahead}每年均达标的概率{chance(p_all, st)}"
                     "（各镇模拟路径视为相互独立）")
    if is_joint_town_target(entry, st):
        # a town that already missed a year of the plan period: the per-town target is missed, a fact
        tolerance = float(entry["tolerance"]) if pd.notna(entry.get("tolerance")) else 0.0
        missed = [(t, past_breaks(ctx.series(entry["id"], t, "total"), entry["kind"], float(entry["value"]),
                                  st.plan_start, tolerance, _slack(entry, st)))
                  for t, r in zip(towns, rows, strict=True) if "past_break" in r["warning_codes"]]
        missed_words = "、".join(f"{t}（" + "、".join(f"{y}年{fmt(v, head['unit'] or '')}" for y, v in b) + "）"
                                 for t, b in missed)
        if ctx.mode == "final":
            ok = all(r["status"] == "achieved" for r in rows if r["status"] != "insufficient_data")
            head.update(status="achieved" if ok else "off_track", p_meet=1.0 if ok else 0.0)
        elif mets:
            met_now_all = all(bool(r["met_now"]) for r in rows if r["status"] != "insufficient_data")
            own = head["p_meet"]
            # the 预计完成困难 warning is re-judged on the joint probability
            _drop_warning(head, "difficult", st)
            head["p_of_zh"] = f"全部{len(mets)}个镇（街道）{ahead}每年均达到目标"
            if missed:
                head.update(p_meet=0.0, p_ahead=head["p_all_towns"], status="off_track",
                            fact_zh=f"{missed_words}未达到目标，各镇（街道）规划期内每年达标已不能全部实现")
                notes.insert(0, f"以镇（街道）为单位评估：{head['fact_zh']}；全区合计的达标概率{chance(own, st)}")
            else:
                head.update(p_meet=head["p_all_towns"],
                            status=level_status(head["p_all_towns"], met_now_all, st.likely, st.unlikely))
                notes.insert(0, f"以镇（街道）为单位评估；全区合计的达标概率{chance(own, st)}")
                if head["status"] in ("at_risk", "off_track"):
                    _add_warning(head, "difficult", f"全部镇（街道）{ahead}每年均达标的概率"
                                 f"{chance(head['p_all_towns'], st)}" + (f"；风险镇（街道）：{head['towns_at_risk']}"
                                                                  if at_risk else ""), st,
                                 1 if head["status"] == "off_track" else 0)
        if missed and "past_break" not in head["warning_codes"]:
            _add_warning(head, "past_break", f"{missed_words}未达到目标", st)
        head["status_zh"] = st.broken_label if missed and ctx.mode != "final" else st.label(head["status"], ctx.mode)
        _schedule_against_status(head, target_year, ctx)
    head["reason_zh"] = "；".join(filter(None, [head["reason_zh"], *notes]))


def evaluation_year(observations: pd.DataFrame, mode: str, year: int | None, settings: AssessmentSettings,
                    area: str = "district") -> int:
    """The year evaluated: ``year`` when given (0 or None: the mode's default) — midterm: 2025;
    final: 2030; annual: the year most of the district's series have reached — the most common
    latest year over its series (indicator × area × sex, towns and urban/rural included; the later
    year on a tie). One department's early return for a new year does not move the evaluation of
    every other indicator to that year; a run that wants another year says so (``year``). The
    choice is logged, with how many series reach a later year."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    if year:
        return int(year)
    if mode == "midterm":
        return settings.midterm_year
    if mode == "final":
        return settings.final_year
    own = observations[~observations["area"].isin(parse.comparator_areas())] if area == "district" else \
        observations[observations["area"] == area]
    if own.empty:
        if observations.empty:
            raise ValueError("there are no observations to assess")
        log.warning("no %s data: the evaluation year is the latest year of any series", area)
        own = observations
    latest = own.groupby(["indicator_id", "area", "sex"])["year"].max()
    shares = latest.value_counts()
    year_ = int(shares[shares == shares.max()].index.max())
    later = int((latest > year_).sum())
    log.info("evaluation year %d: the latest year of %d of %d series%s", year_, int(shares.max()), len(latest),
             f"; {later} series already reach a later year and are assessed at {year_}" if later else "")
    return year_


def models_as_of(observations: pd.DataFrame, models: pd.DataFrame, cat: Catalog,
                 projection_settings: trends.ProjectionSettings | None = None) -> pd.DataFrame:
    """The projection models fitted to ``observations`` (already cut at the evaluation year): the
    given table when every series' last year agrees with the observations, else a fresh projection
    of the observations (in memory; the files of the projection stage are left alone)."""
    last = observations.groupby(["indicator_id", "area", "sex"])["year"].max().rename("obs_last").reset_index()
    joined = last.merge(models[["indicator_id", "area", "sex", "last_year"]], how="left",
                        on=["indicator_id", "area", "sex"])
    stale = joined["last_year"].isna() | (joined["last_year"] != joined["obs_last"])
    if not stale.any():
        return models
    log.info("projection models do not match the observations up to the evaluation year (%d series differ): "
             "re-projecting in memory", int(stale.sum()))
    settings = projection_settings if projection_settings is not None else trends.ProjectionSettings.from_params()
    return project_observations(observations, cat.indicators, settings).models


def assess_frame(observations: pd.DataFrame, models: pd.DataFrame, cat: Catalog, mode: str = "annual",
                 year: int | None = None, settings: AssessmentSettings | None = None, area: str = "district",
                 projection_settings: trends.ProjectionSettings | None = None) -> pd.DataFrame:
    """The scorecard as a table (not validated, not written): every catalog target's rows, in plan
    order, for the evaluation ``year`` (observations after it are set aside, and the series
    re-projected without them when needed: the assessment as it would have been made then)."""
    settings = settings if settings is not None else load_settings()
    y = evaluation_year(observations, mode, year, settings, area)
    obs = observations[observations["year"] <= y]
    models = models_as_of(obs, models, cat, projection_settings)
    ctx = Context(obs, models, cat, settings, mode, y, area)
    log.info("assessing %d targets, mode %s, year %d, area %s (settings %s)", len(cat.indicators), mode, y, area,
             config.display_path(settings.path))
    entries = list(cat.indicators.iterrows())
    by_id = {entry["id"]: assess_entry(entry, ctx) for _, entry in entries if not entry.get("same_as")}
    by_id |= {entry["id"]: linked_rows(entry, by_id[entry["same_as"]]) for _, entry in entries
              if entry.get("same_as")}
    rows = [r for _, entry in entries for r in by_id[entry["id"]]]
    frame = pd.DataFrame(rows, columns=COLUMNS)
    return _typed(frame)


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    ints = ["latest_year", "target_year", "year_reached", "year_reached_lo", "year_reached_hi"]
    for c in ints:
        frame[c] = pd.array([None if v is None or (isinstance(v, float) and math.isnan(v)) else int(v)
                             for v in frame[c]], dtype="Int64")
    frame["met_now"] = pd.array([None if v is None else bool(v) for v in frame["met_now"]], dtype="boolean")
    for c in ("year", "field", "n_points", "severity"):
        frame[c] = frame[c].astype("int64")
    floats = ["latest_value", "baseline_value", "target_value", "projection_2030", "lo80", "hi80", "p_meet",
              "observed_annual_change", "required_annual_change", "basic_tolerance", "observed_change_lo",
              "observed_change_hi", "pace_ratio", "pace_ratio_lo", "pace_ratio_hi", "p_all_towns", "value_at_year",
              "expected_value", "schedule_gap", "progress_share"]
    for c in floats:
        frame[c] = frame[c].astype(float)
    frame["unit"] = frame["unit"].astype(object).where(frame["unit"].notna(), None)
    return frame


def scorecard_schema() -> pa.DataFrameSchema:
    """The scorecard's contract (design card: Scorecard) plus the added columns."""
    f = functools.partial(pa.Column, float, nullable=True)
    text = functools.partial(pa.Column, str)
    year = functools.partial(pa.Column, "Int64", pa.Check.in_range(1990, 2100), nullable=True)
    columns = {
        "indicator_id": text(), "area": text(), "sex": text(pa.Check.isin(schemas.SEXES)),
        "mode": text(pa.Check.isin(MODES)), "year": pa.Column("int64", pa.Check.in_range(1990, 2100)),
        "latest_year": year(), "latest_value": f(), "baseline_value": f(), "target_kind": text(pa.Check.isin(KINDS)),
        "target_value": f(), "projection_2030": f(), "lo80": f(), "hi80": f(),
        "p_meet": pa.Column(float, pa.Check.in_range(0, 1), nullable=True), "observed_annual_change": f(),
        "required_annual_change": f(), "status": text(pa.Check.isin(STATUSES)), "warnings": text(), "model": text(),
        "plan": text(pa.Check.isin(["W", "C"])), "field": pa.Column("int64"), "name_zh": text(),
        "unit": text(nullable=True), "target_text": text(), "target_year": year(), "breakdown": text(
            pa.Check.isin(["total", "sex", "urban_rural", "town"])), "is_headline": pa.Column(bool),
        "monitorable": pa.Column(bool), "status_zh": text(), "reason": text(), "reason_zh": text(),
        "n_points": pa.Column("int64", pa.Check.ge(0)), "met_now": pa.Column("boolean", nullable=True),
        "basic_tolerance": pa.Column(float, pa.Check.ge(0)), "pace_scale": text(), "observed_change_lo": f(),
        "observed_change_hi": f(), "pace_ratio": f(), "pace_ratio_lo": f(), "pace_ratio_hi": f(), "pace_zh": text(),
        "year_reached": year(), "year_reached_lo": year(), "year_reached_hi": year(), "year_reached_text": text(),
        "p_all_towns": pa.Column(float, pa.Check.in_range(0, 1), nullable=True), "towns_at_risk": text(),
        "warning_codes": text(), "severity": pa.Column("int64", pa.Check.ge(0)), "value_at_year": f(),
        "expected_value": f(), "schedule_gap": f(), "progress_share": f(),
        "schedule": text(pa.Check.isin(["", "ahead", "behind", "met"])), "schedule_zh": text(),
        "fact_zh": text(), "p_of_zh": text(), "p_ahead": pa.Column(float, pa.Check.in_range(0, 1), nullable=True),
        "counts_zh": text(),
    }
    scored = ["achieved", "on_track", "at_risk", "off_track", *DIRECTION_STATUSES]
    return pa.DataFrameSchema(columns, strict=True, ordered=True, coerce=True,
                              unique=["indicator_id", "area", "sex"], checks=[
        pa.Check(lambda d: ~d["status"].isin(scored) | d["p_meet"].notna() | (d["fact_zh"] != ""),
                 error="a judged row needs p_meet, or the fact it is judged on"),
        pa.Check(lambda d: (d["status"] != "insufficient_data") | (d["reason"] != ""),
                 error="insufficient_data needs a reason"),
        pa.Check(lambda d: (d["status"] != "qualitative") | d["p_meet"].isna(),
                 error="qualitative rows are not scored"),
        pa.Check(lambda d: ~(d["lo80"] > d["hi80"]).fillna(False), error="lo80 above hi80"),
        pa.Check(lambda d: d.groupby("indicator_id")["is_headline"].sum() == 1, error="one headline row per target"),
    ])


def validate(frame: pd.DataFrame) -> pd.DataFrame:
    """Check the scorecard against its contract (every failure listed, pandera lazy mode)."""
    return schemas.validate_or_raise(frame, scorecard_schema(), "scorecard")


@dataclass
class Assessment:
    """The assessment's output: the scorecard, the mode and year, the settings, the observations
    it was made from (for the synthetic-data notice) and the files written."""

    scorecard: pd.DataFrame
    mode: str
    year: int
    settings: AssessmentSettings
    observations: pd.DataFrame
    files: dict[str, Path] = field(default_factory=dict)
    #: the member units' self-evaluations of the qualitative targets, every year (the clean stage's
    #: ``self_evaluations.parquet``): shown beside the scorecard as the units' own assessment, never scored
    self_evaluations: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=SELF_EVALUATION_COLUMNS))

    @property
    def headline(self) -> dict[str, Any]:
        return headline(self.scorecard, self.settings, self.self_evaluations)

    @property
    def latest_self_evaluations(self) -> pd.DataFrame:
        """Each qualitative target's latest self-evaluation up to the evaluation year (one row per target)."""
        return latest_self_evaluations(self.self_evaluations, self.year)


def read_self_evaluations(processed_dir: str | Path) -> pd.DataFrame:
    """The clean stage's ``self_evaluations.parquet`` in ``processed_dir``; an empty table (every
    qualitative target then reads 未报送) when the folder was cleaned without one, said in the log."""
    path = config.resolve(processed_dir) / "self_evaluations.parquet"
    if not path.is_file():
        log.warning("%s does not exist (cleaned by an older version?): no self-evaluations shown; run clean again",
                    config.display_path(path))
        return pd.DataFrame(columns=SELF_EVALUATION_COLUMNS)
    return pd.read_parquet(path)


def assess(processed_dir: str | Path = config.PROCESSED_DIR, catalog: str | Path | Catalog = config.DEFAULT_CATALOG,
           mode: str = "annual", year: int | None = None, settings_path: str | Path = DEFAULT_SETTINGS,
           *, settings: AssessmentSettings | None = None) -> Assessment:
    """The assessment stage: read ``observations.parquet`` and ``projection_models.parquet`` in
    ``processed_dir``, assess every target, validate, and write ``scorecard.parquet`` and
    ``scorecard.csv`` (UTF-8 with BOM, for Excel) there, each atomically.

    ``mode`` is ``annual`` (monitoring of ``year``; default the latest year in the district's
    data), ``midterm`` (default 2025) or ``final`` (default 2030); ``year`` 0 or None means the
    mode's default. Raises FileNotFoundError naming the stage to run when an input is missing.
    """
    out = config.resolve(processed_dir)
    obs = pd.read_parquet(observations_path(out))
    models_file = out / "projection_models.parquet"
    if not models_file.is_file():
        raise FileNotFoundError(f"{config.display_path(models_file)} does not exist: run the projection first "
                                "(plan-monitor project, or the 30_trends notebook)")
    models = pd.read_parquet(models_file)
    cat = catalog if isinstance(catalog, Catalog) else load_catalog(catalog)
    given = settings
    settings = settings if settings is not None else load_settings(settings_path)
    frame = validate(assess_frame(obs, models, cat, mode, year, settings))
    files = {"scorecard": out / "scorecard.parquet", "csv": out / "scorecard.csv", "meta": out / "scorecard.json"}
    y = int(frame["year"].iloc[0]) if len(frame) else evaluation_year(obs, mode, year, settings)
    meta = {"mode": mode, "year": y, "settings": fingerprint(settings_path if given is None else None),
            "catalog": fingerprint(catalog.path if isinstance(catalog, Catalog) else catalog),
            "inputs": inventory.inputs_fingerprint(out, ASSESSMENT_INPUTS)}
    with (atomic.atomic_output(files["scorecard"]) as tmp_p, atomic.atomic_output(files["csv"]) as tmp_c,
          atomic.atomic_output(files["meta"]) as tmp_m):
        frame.to_parquet(tmp_p, index=False)
        atomic.spreadsheet_safe(frame).to_csv(tmp_c, index=False, encoding="utf-8-sig")
        tmp_m.write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
    counts = frame.loc[frame["is_headline"], "status"].value_counts().to_dict()
    log.info("wrote %s and %s: %d rows (%d targets), mode %s, year %d; headline statuses %s",
             config.display_path(files["scorecard"]), config.display_path(files["csv"]), len(frame),
             int(frame["is_headline"].sum()), mode, y, counts)
    if settings.basic_enabled:
        log.info("基本实现 tolerance in use: %.0f%% of the target value", 100 * settings.basic_share)
    return Assessment(frame, mode, y, settings, obs, files, read_self_evaluations(out))


#: the stage tables an assessment is made from (their checksums are kept in scorecard.json)
ASSESSMENT_INPUTS = ("observations.parquet", "projection_models.parquet", "self_evaluations.parquet")


def load_assessment(processed_dir: str | Path = config.PROCESSED_DIR,
                    catalog: str | Path | Catalog = config.DEFAULT_CATALOG, mode: str = "annual",
                    year: int | None = None, settings_path: str | Path = DEFAULT_SETTINGS) -> Assessment:
    """The assessment this run's assess stage wrote, for the pages that show it.

    Reads ``scorecard.parquet`` and the ``scorecard.json`` beside it when they were made for the
    same mode, year (0 or None: the mode's default) and settings file; otherwise assesses anew
    (:func:`assess`, which rewrites the scorecard) and logs why, so that a page never shows a
    scorecard made under other settings than it was asked for.
    """
    out = config.resolve(processed_dir)
    files = {"scorecard": out / "scorecard.parquet", "meta": out / "scorecard.json"}
    why = ""
    if not (files["scorecard"].is_file() and files["meta"].is_file()):
        why = "no scorecard written yet"
    else:
        meta = json.loads(files["meta"].read_text(encoding="utf-8"))
        if meta.get("mode") != mode:
            why = f"the scorecard written is for mode {meta.get('mode')}, not {mode}"
        elif year and int(year) != meta.get("year"):
            why = f"the scorecard written is for {meta.get('year')}, not {year}"
        elif meta.get("settings") != fingerprint(settings_path):
            why = f"the scorecard written was made with other settings than {config.display_path(settings_path)}"
        elif meta.get("catalog") != fingerprint(catalog.path if isinstance(catalog, Catalog) else catalog):
            why = "the scorecard written was made with another catalog"
        elif meta.get("inputs") != inventory.inputs_fingerprint(out, ASSESSMENT_INPUTS):
            why = "the observations, projections or self-evaluations changed since the scorecard was written"
    if why:
        log.info("assessing anew: %s", why)
        return assess(processed_dir, catalog, mode=mode, year=year, settings_path=settings_path)
    frame = pd.read_parquet(files["scorecard"])
    log.info("read %s (%d rows, mode %s, year %d) written by the assess stage",
             config.display_path(files["scorecard"]), len(frame), meta["mode"], meta["year"])
    return Assessment(frame, meta["mode"], int(meta["year"]), load_settings(settings_path),
                      pd.read_parquet(observations_path(out)), files, read_self_evaluations(out))
