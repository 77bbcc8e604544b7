"""The clean stage: every raw value read, interpreted, checked, and kept or quarantined with its reason (the
package docstring, :mod:`analysis.clean`, says how).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis import config, kinds, returns, schemas
from analysis.catalog import Catalog, load_catalog, plan_order
from analysis.clean import selfeval
from analysis.returns import inventory, parse

log = logging.getLogger(__name__)

OBSERVATION_COLUMNS = list(schemas.OBSERVATIONS.columns)
QUARANTINE_COLUMNS = list(schemas.QUARANTINE.columns)
#: reason codes and the words the report shows for them
REASONS = {
    "unknown_indicator": "指标不在目录中",
    "not_a_year": "年份无法识别",
    "year_out_of_range": "年份超出监测范围",
    "unknown_area": "地区无法识别",
    "area_not_in_district": "该年已不属本区的镇",
    "unknown_sex": "性别无法识别",
    "not_a_number": "不是数字",
    "unit_not_understood": "单位无法识别",
    "unit_mismatch": "单位无法换算",
    "out_of_range": "超出可能范围",
    "numerator_exceeds_denominator": "分子大于分母",
    "no_value": "有分子分母但无法计算数值",
    "duplicate": "重复报送（数值相同）",
    "conflicting_duplicate": "重复报送且数值不同",
    "not_asked": "灰色单元格（表中不要求填报）",
    "formula_not_computed": "公式未计算，请在 Excel 中打开并保存",
    "interpretation_failed": "无法解读（程序错误，请报告）",
    # a member unit's self-evaluation form (analysis/clean/selfeval.py)
    **selfeval.REASONS,
}


#: flags that ask for a person's review (the others record what was done)
REVIEW_FLAGS = ("jump", "sex_sum_mismatch", "total_outside_sex_range", "value_disagrees_with_counts",
                "qualitative_target")


class Rejected(Exception):
    """A raw value that cannot become an observation: the reason code, message and cell, and
    what was already known of it (indicator, year, area, sex) when it was refused."""

    def __init__(self, reason: str, message: str, cell: str | None = None, raw: Any = None,
                 zh: str | None = None):
        super().__init__(message)
        self.reason, self.message, self.cell, self.raw = reason, message, cell, raw
        #: the message in Chinese, what the pages show (``message`` is the English one)
        self.zh = zh or message
        self.known: dict[str, Any] = {}


@dataclass
class CleanResult:
    """The outcome of a cleaning run."""

    observations: pd.DataFrame
    quarantine: pd.DataFrame
    missing: pd.DataFrame
    files: pd.DataFrame
    problems: pd.DataFrame
    summary: dict[str, Any]
    #: the member units' self-evaluations of the qualitative targets, every year (self_evaluations.parquet)
    self_evaluations: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=selfeval.COLUMNS))
    #: what the cleaning was made from (:func:`stage_key`), written beside the tables; empty for a
    #: result not made by :func:`clean` (whose tables :func:`load` then never takes as current)
    key: dict[str, str | None] = field(default_factory=dict)


# --- interpreting one raw value ------------------------------------------------------------


def _indicator_index(cat: Catalog) -> dict[str, str]:
    """Written forms of every indicator (its id, its Chinese name) → id."""
    index = {}
    for eid, name in zip(cat.indicators["id"], cat.indicators["name_zh"], strict=True):
        index[parse.fold(eid).casefold()] = eid
        index.setdefault(parse.fold(name).casefold(), eid)
    return index


def _as_text(raw: Any) -> str:
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw)) if abs(raw) < 1e15 else str(raw)
    return str(raw)


#: the parts of a raw value, in Chinese
PARTS_ZH = {"value": "数值", "numerator": "分子", "denominator": "分母"}


def _number(record: dict, part: str) -> parse.Number | None:
    raw = record.get(f"{part}_raw")
    if raw is None or parse.is_missing(raw):
        return None
    try:
        number = parse.parse_number(raw)
    except parse.ParseError as exc:
        raise Rejected("not_a_number", f"{part}: {exc}", record.get(f"{part}_cell"), raw,
                       f"{PARTS_ZH[part]}：{exc.zh}") from exc
    if part == "value" and record.get("percent_format") and number.unit is None:
        # a cell formatted as a percentage in Excel stores 0.935 for "93.5%"
        return parse.Number(number.value * 100, "%")
    return number


def valid_range(entry: pd.Series, unit: str) -> tuple[float, float]:
    """The possible values of an indicator: the catalog's ``valid_range`` when it gives one,
    else by its unit — 0 to the whole for a share (0–100 %), 0 to ``count_limit`` for a count
    (params/cleaning.yaml: no count of people, places or institutions in a district can pass its
    population — 1e12 nursery places is a typing error, not a figure), non-negative for levels,
    anything for a difference."""
    given = entry.get("valid_range")
    if isinstance(given, list | tuple) and len(given) == 2:
        return float(given[0]), float(given[1])
    spec = parse.units().get(unit, {})
    if spec.get("kind") in ("proportion", "rate"):
        return 0.0, float(spec["per"])
    if spec.get("kind") == "difference":
        return -math.inf, math.inf
    if spec.get("kind") == "count":
        return 0.0, float(parse.cleaning_rules()["count_limit"])
    return 0.0, math.inf


def interpret(record: dict, cat: Catalog, index: dict[str, str]) -> dict[str, Any]:
    """Turn one raw value into an observation row, or raise :class:`Rejected` saying why
    (carrying the indicator, year, area and sex as far as they were read)."""
    known: dict[str, Any] = {}
    try:
        return _interpret(record, cat, index, known)
    except Rejected as exc:
        exc.known = known
        raise


def _interpret(record: dict, cat: Catalog, index: dict[str, str], known: dict[str, Any]) -> dict[str, Any]:
    rules = parse.cleaning_rules()
    cell = record["source_cell"]
    flags = [f for f in str(record.get("flags_raw") or "").replace(",", ";").split(";") if f.strip()]

    indicator = record.get("indicator_raw")
    eid = index.get(parse.fold(str(indicator)).casefold()) if indicator is not None else None
    if eid is None:
        raise Rejected("unknown_indicator",
                       f"'{_as_text(indicator)}' is not an indicator of the catalog "
                       "(params/indicators.yaml): neither an id nor an indicator's name", cell, indicator,
                       f"“{_as_text(indicator)}”不是指标目录（params/indicators.yaml）中的指标：既不是编号，也不是指标名称")
    entry = cat.indicators.loc[eid]
    known["indicator_id"] = eid
    if record.get("uncached_formula"):
        raise Rejected("formula_not_computed", "the cell holds a formula whose result was never saved (公式未计算): "
                       "open the file in Excel, save it and deliver it again", cell, record.get("value_raw"),
                       "单元格中是公式，但文件未保存计算结果（公式未计算）：请在 Excel 中打开该文件、保存后重新报送")
    if record.get("not_asked"):
        raise Rejected("not_asked", f"a value in a grey cell, which the form does not ask for ({eid}, "
                       f"{record.get('sex_raw')}): was it typed one column off?", cell, record.get("value_raw"),
                       f"灰色单元格（表中不要求填报，{eid}）中填了数值：是否错填了一列？")
    if not kinds.get(entry["kind"]).measured and eid not in set(cat.indicators["relative_to"].dropna()):
        flags.append("qualitative_target")

    try:
        year = parse.parse_year(record.get("year_raw"))
    except parse.ParseError as exc:
        raise Rejected("not_a_year", str(exc), cell, record.get("year_raw"), exc.zh) from exc
    first, last = rules["years"]["first"], rules["years"]["last"]
    if not first <= year <= last:
        raise Rejected("year_out_of_range", f"{year} is outside the years {first}–{last} the suite "
                       "monitors (params/cleaning.yaml)", cell, record.get("year_raw"),
                       f"{year}年不在监测年份（{first}—{last}年，params/cleaning.yaml）之内")
    known["year"] = year

    try:
        area = parse.parse_area(record.get("area_raw"))
    except parse.ParseError as exc:
        raise Rejected("unknown_area", str(exc), cell, record.get("area_raw"), exc.zh) from exc
    if area.former_last_year is not None:
        if year > area.former_last_year:
            raise Rejected("area_not_in_district", f"{area.code} left the district after "
                           f"{area.former_last_year}; a {year} value cannot be one of the district's towns",
                           cell, record.get("area_raw"),
                           f"{area.code}{area.former_last_year}年后已不属本区，{year}年的数值不能计为本区镇（街道）的数值")
        flags.append("former_boundary")
    if area.alias_of is not None:
        flags.append(f"alias:{area.alias_of}→{area.code}")
    known["area"] = area.code

    try:
        sex = parse.parse_sex(record.get("sex_raw"))
    except parse.ParseError as exc:
        raise Rejected("unknown_sex", str(exc), cell, record.get("sex_raw"), exc.zh) from exc
    known["sex"] = sex

    value, numerator, denominator = (_number(record, p) for p in ("value", "numerator", "denominator"))
    unit = entry["unit"]
    for part, n in (("numerator", numerator), ("denominator", denominator)):
        if n is not None and n.value < 0:
            raise Rejected("out_of_range", f"{part} {n.value:g} is negative: a count cannot be",
                           record.get(f"{part}_cell"), record.get(f"{part}_raw"),
                           f"{PARTS_ZH[part]}为{n.value:g}，是负数：计数不可能为负")
    if numerator is not None and denominator is not None and numerator.value > denominator.value:
        raise Rejected("numerator_exceeds_denominator",
                       f"numerator {numerator.value:g} is larger than denominator {denominator.value:g}",
                       record.get("numerator_cell"), record.get("numerator_raw"),
                       f"分子{numerator.value:g}大于分母{denominator.value:g}")

    per = parse.units().get(unit or "", {}).get("per")
    from_counts = None
    if numerator is not None and denominator is not None and denominator.value > 0 and per:
        from_counts = numerator.value / denominator.value * per
    if value is None:
        if from_counts is None:
            raise Rejected("no_value", f"numerator and denominator were given but no value of "
                           f"'{unit}' can be computed from them", cell, record.get("numerator_raw"),
                           f"填了分子分母，但无法由其算出以“{unit}”为单位的数值（缺分子或分母，或分母为0）")
        number, written_unit = from_counts, unit
        flags.append("derived_from_counts")
    else:
        hint = record.get("unit_hint")
        written_unit = value.unit
        if written_unit is None and hint is not None and not parse.is_missing(hint):
            written_unit = parse.unit_of(str(hint))
            if written_unit is None:
                raise Rejected("unit_not_understood", f"unit '{hint}' is not one the suite knows "
                               "(params/units.yaml)", record.get("value_cell"), record.get("value_raw"),
                               f"单位“{hint}”无法识别（可用的单位见 params/units.yaml）")
        written_unit = written_unit or unit
        number = value.value
        if unit is not None and written_unit != unit:
            try:
                number = parse.convert(value.value, written_unit, unit)
            except parse.ParseError as exc:
                raise Rejected("unit_mismatch", f"{_as_text(record.get('value_raw'))} is in "
                               f"'{written_unit}', the catalog measures {eid} in '{unit}': {exc}",
                               record.get("value_cell"), record.get("value_raw"),
                               f"“{_as_text(record.get('value_raw'))}”的单位是“{written_unit}”，指标目录中{eid}的单位是"
                               f"“{unit}”：{exc.zh}") from exc
            flags.append(f"unit_converted:{written_unit}→{unit}")
    low, high = valid_range(entry, unit or "")
    if not low <= number <= high:
        span = f"{low:g}–{high:g} {unit or ''}".strip()
        raise Rejected("out_of_range", f"{_as_text(record.get('value_raw')) or f'{number:g}'} is outside "
                       f"the possible range {span} of {eid} ({entry['name_en']})",
                       record.get("value_cell") or cell, record.get("value_raw"),
                       f"“{_as_text(record.get('value_raw')) or f'{number:g}'}”超出{eid}{entry['name_zh']}的可能范围"
                       f"（{span}）")
    # a reported value is rounded: allow the relative tolerance, and at least 0.05 units
    if (value is not None and from_counts is not None
            and abs(number - from_counts) > max(rules["counts_tolerance"] * abs(from_counts), 0.05)):
        flags.append("value_disagrees_with_counts")
    return {
        "indicator_id": eid, "year": year, "area": area.code, "sex": sex, "value": float(number),
        "unit": unit, "numerator": numerator.value if numerator else np.nan,
        "denominator": denominator.value if denominator else np.nan,
        "source_file": record["source_file"], "source_sheet": record["source_sheet"] or "",
        "source_cell": cell, "flags": ";".join(dict.fromkeys(flags)),
    }


def _quarantine_row(record: dict, reason: str, message: str, cell: str | None, raw: Any,
                    known: dict | None = None, message_zh: str | None = None) -> dict[str, Any]:
    known = known or {}
    return {
        "source_file": record["source_file"], "source_sheet": record["source_sheet"] or "",
        "source_cell": cell or record["source_cell"], "raw_value": _as_text(raw),
        "indicator_id": known.get("indicator_id"), "year": known.get("year"),
        "area": known.get("area"), "sex": known.get("sex"), "reason": reason, "message": message_zh or message,
        "message_en": message,
    }


# --- checks across values ------------------------------------------------------------------


def _where_zh(row: pd.Series) -> str:
    sheet = f"工作表“{row['source_sheet']}”" if row["source_sheet"] else ""
    return f"{row['source_file']}{sheet}单元格{row['source_cell']}"


def _where(row: pd.Series) -> str:
    sheet = f" sheet {row['source_sheet']}," if row["source_sheet"] else ""
    return f"{row['source_file']},{sheet} cell {row['source_cell']}"


def resolve_duplicates(obs: pd.DataFrame, records: list[dict]) -> tuple[pd.DataFrame, list[dict]]:
    """Values reported more than once for one indicator, year, area and sex.

    Same number (and counts): the first (in file order) is kept, each repeat quarantined as
    ``duplicate``. Different numbers: all are quarantined as ``conflicting_duplicate``, each
    message naming the others — the analyst decides, the code never picks one.
    """
    key = ["indicator_id", "year", "area", "sex"]
    dup = obs.duplicated(key, keep=False)
    quarantined, drop = [], []
    for _, group in obs[dup].groupby(key, sort=False):
        values = group[["value", "numerator", "denominator"]].round(9)
        same = len(values.drop_duplicates()) == 1
        for i, (idx, row) in enumerate(group.iterrows()):
            others = "; ".join(f"{o['value']:g} at {_where(o)}" for j, (_, o) in enumerate(group.iterrows())
                               if j != i)
            if same and i == 0:
                continue
            reason = "duplicate" if same else "conflicting_duplicate"
            message = (f"the same value was also reported at {_where(group.iloc[0])}; the first is kept"
                       if same else f"{row['value']:g} here, but {others}: which is right must be decided "
                                    "by the department")
            others_zh = "；".join(f"{_where_zh(o)}为{o['value']:g}" for j, (_, o) in enumerate(group.iterrows())
                                 if j != i)
            message_zh = (f"同一数值也报送于{_where_zh(group.iloc[0])}，保留先读到的一个" if same
                          else f"此处为{row['value']:g}，而{others_zh}：哪一个正确须由报送部门确定")
            rec = records[row["_record"]]
            quarantined.append(_quarantine_row(rec, reason, message, row["source_cell"], rec.get("value_raw")
                                               if rec.get("value_raw") is not None else row["value"],
                                               row.to_dict(), message_zh))
            drop.append(idx)
    return obs.drop(index=drop), quarantined


def _add_flag(obs: pd.DataFrame, idx, flag: str) -> None:
    current = obs.at[idx, "flags"]
    obs.at[idx, "flags"] = flag if not current else f"{current};{flag}"


def flag_sex_consistency(obs: pd.DataFrame) -> None:
    """Flag female + male counts that do not add up to the total, and a total rate outside the
    female and male rates (both kept: which figure is wrong needs the department). One pass over
    the indicator-year-area groups that have all three sexes (``obs`` is unique on
    indicator, year, area and sex once the duplicates are resolved)."""
    key = ["indicator_id", "year", "area"]
    three = obs[obs["sex"].isin(("female", "male", "total"))]
    wide = three.reset_index().pivot(index=key, columns="sex", values=["index", "value", "numerator",
                                                                       "denominator", "unit"])
    if wide.empty or not {"female", "male", "total"} <= set(wide["value"].columns):
        return
    wide = wide[wide["value"][["female", "male", "total"]].notna().all(axis=1)]
    col = {(part, sex): wide[part][sex] for part in ("value", "numerator", "denominator") for sex in
           ("female", "male", "total")}
    mismatch = np.zeros(len(wide), dtype=bool)
    for part in ("numerator", "denominator"):
        f, m, t = (col[(part, x)].astype(float).to_numpy() for x in ("female", "male", "total"))
        with np.errstate(invalid="ignore"):
            mismatch |= np.isfinite(f + m + t) & (np.abs(f + m - t) > 0.5)
    units = parse.units()
    kind = wide["unit"]["total"].map(lambda u: units.get(u or "", {}).get("kind")).to_numpy()
    f, m, t = (col[("value", x)].astype(float).to_numpy() for x in ("female", "male", "total"))
    low, high = np.minimum(f, m), np.maximum(f, m)
    slack = 1e-6 + 0.001 * np.maximum(np.abs(high), 1)
    share = np.isin(kind, ("proportion", "rate"))
    outside = share & ~((low - slack <= t) & (t <= high + slack))
    mismatch |= (kind == "count") & (np.abs(f + m - t) > 0.5)
    index = wide["index"]
    for sex in ("female", "male", "total"):
        for idx in index[sex].to_numpy()[mismatch]:
            _add_flag(obs, idx, "sex_sum_mismatch")
    for idx in index["total"].to_numpy()[outside]:
        _add_flag(obs, idx, "total_outside_sex_range")


def sampling_sd(series: pd.DataFrame) -> np.ndarray:
    """The binomial standard error of each value of a rate with its counts, in the value's unit
    (0 where the value has no counts): sqrt(p(1-p)/n) × per, with p at least 1/(2n) so that a
    year with no events still has the noise a year with one would have."""
    per = parse.units().get(series["unit"].iloc[0] or "", {}).get("per")
    den = series["denominator"].to_numpy(dtype=float)
    if not per:
        return np.zeros(len(series))
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.clip(series["numerator"].to_numpy(dtype=float) / den, 0.5 / den, 1.0)
        sd = np.sqrt(p * (1 - p) / den) * per
    return np.nan_to_num(sd, nan=0.0)


def flag_jumps(obs: pd.DataFrame) -> None:
    """Flag a year-on-year change far outside the series' usual movement (kept, for review).

    For each change the median and the median absolute deviation (MAD) of the series' *other*
    changes set what is usual; a change more than ``threshold`` robust standard deviations
    (1.4826·MAD, floored at a small share of the series' level) from their median is unusual.
    A spike — an unusual change followed by an unusual change back — flags the one value in
    the middle, not its neighbour.

    References: Hampel, F. R. (1974), "The influence curve and its role in robust
    estimation", JASA 69(346), 383–393 (the MAD as a robust scale).
    """
    rules = parse.cleaning_rules()["jump"]
    ordered = obs.sort_values(["indicator_id", "area", "sex", "year"], kind="stable")
    for _, g in ordered.groupby(["indicator_id", "area", "sex"], sort=False):
        years, values = g["year"].to_numpy(), g["value"].to_numpy(dtype=float)
        if len(values) < rules["min_changes"] + 2:
            continue
        changes = np.diff(values)
        consecutive = np.diff(years) == 1
        level = float(np.median(np.abs(values)))
        noise = sampling_sd(g)
        unusual = []
        for i, d in enumerate(changes):
            others = np.delete(changes, i)
            centre = float(np.median(others))
            # a rate built on few events moves by its sampling noise alone: a change within
            # what the counts explain is never unusual, however calm the other years were
            chance = math.hypot(noise[i], noise[i + 1])
            scale = max(1.4826 * float(np.median(np.abs(others - centre))), rules["min_scale_share"] * level,
                        chance, 1e-9)
            unusual.append(consecutive[i] and abs(d - centre) > rules["threshold"] * scale)
        i = 0
        while i < len(changes):
            if unusual[i]:
                _add_flag(obs, g.index[i + 1], "jump")
                if i + 1 < len(changes) and unusual[i + 1] and np.sign(changes[i]) != np.sign(changes[i + 1]):
                    i += 1  # the change back after a spike is not a second jump
            i += 1


# --- the whole step --------------------------------------------------------------------------


def clean(raw_dir: str | Path = config.RAW_DIR, catalog: str | Path | Catalog = config.DEFAULT_CATALOG
          ) -> CleanResult:
    """Read, interpret and check every raw value under ``raw_dir``, and every row of the member units'
    self-evaluation forms (:mod:`analysis.clean.selfeval`; its refused rows join the quarantine);
    nothing is written. AssertionError when a value or a self-evaluation is lost on the way (a
    program error: nothing may be written over it)."""
    cat = catalog if isinstance(catalog, Catalog) else load_catalog(catalog)
    key = stage_key(raw_dir, cat)  # before reading: a file changed during the read makes the next load clean anew
    read = returns.read_raw(raw_dir)
    index = _indicator_index(cat)
    kept, quarantined = [], []
    for i, record in enumerate(read.records):
        try:
            row = interpret(record, cat, index)
        except Rejected as exc:
            quarantined.append(_quarantine_row(record, exc.reason, exc.message, exc.cell, exc.raw, exc.known, exc.zh))
            continue
        except Exception as exc:  # noqa: BLE001 — one value that breaks the interpreter never stops the run
            log.exception("%s %s: the value could not be interpreted", record["source_file"], record["source_cell"])
            quarantined.append(_quarantine_row(
                record, "interpretation_failed", f"the value could not be interpreted ({type(exc).__name__}: {exc}): "
                "a program error, please report it", record["source_cell"], record.get("value_raw"), None,
                f"该数值无法解读（{type(exc).__name__}：{exc}）：这是程序错误，请报告"))
            continue
        row["_record"] = i
        kept.append(row)
    obs = pd.DataFrame(kept, columns=[*OBSERVATION_COLUMNS, "_record"])
    obs, dup_rows = resolve_duplicates(obs, read.records)
    quarantined += dup_rows
    obs = obs.drop(columns="_record").reset_index(drop=True)
    obs["year"] = obs["year"].astype("int64")
    for col in ("value", "numerator", "denominator"):
        obs[col] = obs[col].astype(float)
    obs["flags"] = obs["flags"].astype(object)
    flag_sex_consistency(obs)
    flag_jumps(obs)
    obs = obs.sort_values(["indicator_id", "area", "sex", "year"],
                          key=lambda s: s.map(plan_order) if s.name == "indicator_id" else s)
    obs = obs.reset_index(drop=True)
    quarantine = pd.DataFrame(quarantined, columns=QUARANTINE_COLUMNS)
    quarantine["year"] = quarantine["year"].astype("Int64")
    missing = pd.DataFrame(read.missing, columns=["source_file", "source_sheet", "source_cell",
                                                  "indicator_raw", "year_raw", "area_raw", "sex_raw",
                                                  "reader", "marker"])
    files = pd.DataFrame(read.files, columns=["file", "read_as", "values"])
    problems = pd.DataFrame(read.problems, columns=["source_file", "source_sheet", "problem", "problem_en"])
    lost_rows = [u for u in read.unaccounted if u["read_as"].startswith(returns.read.SELF_EVALUATION)]
    lost_values = len(read.unaccounted) - len(lost_rows)
    summary = summarise(len(read.records), obs, quarantine, missing, files, problems, lost_values)
    if summary["values_read"] != summary["observations"] + summary["quarantined"]:
        raise AssertionError(f"accounting broken: {summary['values_read']} values read, "
                             f"{summary['observations']} observations + {summary['quarantined']} quarantined")
    evaluations, refused = selfeval.evaluate(read.self_evaluations, cat)
    forms = sum(str(k).startswith(returns.read.SELF_EVALUATION) for k in files["read_as"])
    summary["self_evaluations"] = selfeval.summarise(len(read.self_evaluations), evaluations, refused, lost_rows, forms)
    selfeval.check_accounting(summary["self_evaluations"], lost_rows)
    if refused:
        quarantine = pd.concat([quarantine, pd.DataFrame(refused, columns=QUARANTINE_COLUMNS)], ignore_index=True)
        quarantine["year"] = quarantine["year"].astype("Int64")
    log.info("cleaned: %d values read, %d observations (%d flagged), %d quarantined, %d missing, "
             "%d file problems; %d self-evaluation rows, %d kept, %d quarantined", summary["values_read"],
             summary["observations"], summary["flagged"], summary["quarantined"], summary["missing_cells"],
             len(problems), len(read.self_evaluations), len(evaluations), len(refused))
    return CleanResult(obs, quarantine, missing, files, problems, summary, evaluations, key)


def summarise(values_read: int, obs: pd.DataFrame, quarantine: pd.DataFrame, missing: pd.DataFrame,
              files: pd.DataFrame, problems: pd.DataFrame, unaccounted: int = 0) -> dict[str, Any]:
    """The machine-readable summary of a cleaning run (also written as JSON). The accounting holds
    when every value read is an observation or quarantined *and* every cell holding a figure in a
    file's data region, counted from the file apart from the readers, is a value read
    (``unaccounted`` counts those that are not)."""
    flag_counts: dict[str, int] = {}
    for flags in obs["flags"]:
        for flag in filter(None, str(flags).split(";")):
            name = flag.split(":")[0]
            flag_counts[name] = flag_counts.get(name, 0) + 1
    review = set(REVIEW_FLAGS)
    return {
        "files": len(files),
        "values_read": values_read,
        "observations": len(obs),
        "flagged": int(obs["flags"].map(lambda f: bool(set(str(f).split(";")) & review)).sum()),
        "flags": dict(sorted(flag_counts.items())),
        "quarantined": len(quarantine),
        "quarantined_by_reason": {k: int(v) for k, v in quarantine["reason"].value_counts().sort_index().items()},
        "missing_cells": len(missing),
        "file_problems": problems.to_dict("records"),
        "cells_unaccounted": unaccounted,
        "accounting_holds": values_read == len(obs) + len(quarantine) and unaccounted == 0,
    }


#: the tables the stage writes in the processed folder, as one atomic set (:func:`write`)
TABLE_FILES = {
    "observations": "observations.parquet",
    "quarantine": "quarantine.parquet",
    "missing": "missing.parquet",
    "self_evaluations": "self_evaluations.parquet",
    "summary": "cleaning_summary.json",
    "stage": "cleaning_stage.json",  # what the tables were made from, and the files read (for load)
}


def stage_key(raw_dir: str | Path, cat: Catalog) -> dict[str, str | None]:
    """What a cleaning is made from — every file under ``raw_dir`` (its path and SHA-256), the
    catalog, the params files the readers and checks use, and the suite's code (SHA-256 each) —
    recorded beside the cleaned tables so that a page re-run reads them until one of these changes."""
    raw = inventory.inventory([raw_dir])
    params = sorted(config.PARAMS_DIR.glob("*.yaml"))

    def digest(lines: list[str]) -> str:
        return hashlib.sha256("\n".join(lines).encode()).hexdigest()

    return {"raw": digest([f"{f}\t{h}" for f, h in zip(raw["file"], raw["sha256"], strict=True)]),
            "catalog": inventory.fingerprint(cat.path),
            "params": digest([f"{p.name}\t{inventory.sha256(p)}" for p in params]),
            "code": inventory.code_fingerprint()}


def load(raw_dir: str | Path = config.RAW_DIR, catalog: str | Path | Catalog = config.DEFAULT_CATALOG,
         processed_dir: str | Path = config.PROCESSED_DIR) -> CleanResult:
    """The cleaning the stage wrote in ``processed_dir`` when it was made from the same raw files,
    catalog, params and code (:func:`stage_key`); else cleaned anew and written, the log saying
    why — what the data-quality page calls, so a re-run reads instead of reading every return again."""
    out = config.resolve(processed_dir)
    cat = catalog if isinstance(catalog, Catalog) else load_catalog(catalog)
    files = {name: out / file for name, file in TABLE_FILES.items()}
    if not all(p.is_file() for p in files.values()):
        why = "no cleaned tables written yet"
    else:
        made = json.loads(files["stage"].read_text(encoding="utf-8"))
        now = stage_key(raw_dir, cat)
        changed = [k for k in now if made.get("key", {}).get(k) != now[k]]
        why = f"the {', '.join(changed)} changed since the tables were written" if changed else ""
    if why:
        log.info("cleaning anew: %s", why)
        result = clean(raw_dir, cat)
        write(result, processed_dir)
        return result
    result = CleanResult(
        observations=pd.read_parquet(files["observations"]), quarantine=pd.read_parquet(files["quarantine"]),
        missing=pd.read_parquet(files["missing"]),
        files=pd.DataFrame(made["files"], columns=["file", "read_as", "values"]),
        problems=pd.DataFrame(made["problems"], columns=["source_file", "source_sheet", "problem", "problem_en"]),
        summary=json.loads(files["summary"].read_text(encoding="utf-8")),
        self_evaluations=pd.read_parquet(files["self_evaluations"]), key=made["key"])
    log.info("read the cleaned tables in %s (%d observations, %d quarantined) written by the clean stage",
             config.display_path(out), len(result.observations), len(result.quarantine))
    return result


def write(result: CleanResult, out_dir: str | Path = config.PROCESSED_DIR) -> dict[str, Path]:
    """Validate the tables against their contracts and write them, each atomically.

    All files are first written beside their targets, then renamed into place together, so
    an interrupted run leaves the previous outputs whole.
    """
    out = config.resolve(out_dir)
    obs = schemas.validate_or_raise(result.observations, schemas.OBSERVATIONS, "observations")
    quarantine = schemas.validate_or_raise(result.quarantine, schemas.QUARANTINE, "quarantine")
    evaluations = schemas.validate_or_raise(result.self_evaluations, schemas.SELF_EVALUATIONS, "self_evaluations")
    targets = {name: out / file for name, file in TABLE_FILES.items()}
    writers = {
        "observations": lambda p: obs.to_parquet(p, index=False),
        "quarantine": lambda p: quarantine.to_parquet(p, index=False),
        "missing": lambda p: result.missing.astype(str).to_parquet(p, index=False),
        "self_evaluations": lambda p: evaluations.to_parquet(p, index=False),
        "summary": lambda p: p.write_text(json.dumps(result.summary, ensure_ascii=False, indent=2),
                                          encoding="utf-8"),
        "stage": lambda p: p.write_text(json.dumps(
            {"key": result.key, "files": result.files.to_dict("records"),
             "problems": result.problems.to_dict("records")}, ensure_ascii=False, indent=1), encoding="utf-8"),
    }
    out.mkdir(parents=True, exist_ok=True)
    staged = {}
    try:
        for name, target in targets.items():
            tmp = target.with_name(f".{target.name}.tmp")
            writers[name](tmp)
            staged[name] = tmp
        for name, tmp in staged.items():
            os.replace(tmp, targets[name])
    finally:
        for tmp in staged.values():
            if tmp.exists():
                tmp.unlink()
    log.info("wrote %s", ", ".join(config.display_path(p) for p in targets.values()))
    return targets
