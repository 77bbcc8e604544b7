"""The report's generated sentences: one per target from its scorecard row and the data, headings,
the synthetic-data notice and the district context (births).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from analysis import config, kinds
from analysis.catalog import Catalog
from analysis.report.labels import (
    CHANGE_UNITS,
    HEADINGS,
    LANGS,
    SEX_EN,
    SEX_LABELS,
    TARGET_PHRASES_EN,
    UNITS_EN,
    area_en,
    area_label,
    direction_words_en,
    status_en,
)
from analysis.report.numbers import chance
from analysis.returns import parse


def _check_lang(lang: str) -> None:
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, not {lang!r}")


def heading(key: str, lang: str = "zh") -> str:
    """A section heading of the report (Markdown) in ``lang``."""
    _check_lang(lang)
    return plan_words(HEADINGS[key][LANGS.index(lang)])


def plan_words(text: str) -> str:
    """A fixed text with the plan's years and the profile's names filled in: ``{baseline}``,
    ``{first}``, ``{final}`` (``params/plan.yaml``); ``{area}``, ``{area_en}``, ``{full_area_en}``,
    ``{whole}`` (全区), ``{own}`` (本区), ``{level_en}`` (profile.yaml); ``{plans}`` (《…》和《…》, the
    catalog's titles)."""
    p, prof = config.plan(), config.profile()
    words = {"baseline": p.baseline_year, "first": p.first_year, "final": p.final_year, "area": prof.name,
             "area_en": prof.name_en, "full_area_en": prof.full_name_en, "whole": prof.whole, "own": prof.own,
             "level_en": prof.level_en}
    if "{plans}" in text:
        words["plans"] = "和".join(f"《{t}》" for t in plan_titles())
    for key, value in words.items():
        text = text.replace("{" + key + "}", str(value))
    return text


def plan_titles(lang: str = "zh") -> list[str]:
    """The plans' titles as the catalog names them (``plans`` of the profile's catalog), in order."""
    plans = (config.read_yaml(config.DEFAULT_CATALOG) or {}).get("plans") or {}
    return [str(names.get(lang) or names.get("zh") or code) if isinstance(names, dict) else str(names)
            for code, names in plans.items()]


def _code_span(name: str) -> str:
    """A file name for a Markdown code span (shown literally): without backticks it cannot end
    the span and become markup, whatever a department called its file."""
    return str(name).replace("`", "'")


def synthetic_notice(paths, lang: str = "zh") -> str:
    """The 模拟数据 notice a page shows whenever any number on it comes from synthetic data, in
    ``lang``; empty when no figure is synthetic (:func:`analysis.returns.inventory.synthetic_files`)."""
    from analysis.returns import inventory

    _check_lang(lang)
    files = inventory.synthetic_files(paths)
    if not files:
        return ""
    if lang == "zh":
        return (f"> **⚠ 模拟数据（synthetic data）**：本页的{config.profile().name}数据是为演示和测试生成的模拟数据，"
                "不是真实统计数据，不得引用。来源文件："
                + "、".join(f"`{_code_span(f)}`" for f in files[:6]) + (" 等" if len(files) > 6 else "") + "。")
    return (f"> **⚠ Synthetic data (模拟数据)**: the {config.profile().name_en} data on this page were generated for "
            "demonstration and testing; they are not real statistics and must not be cited. Source files: "
            + ", ".join(f"`{_code_span(f)}`" for f in files[:6]) + (" and more" if len(files) > 6 else "") + ".")


def decimals(v: float) -> int:
    """Sensible decimals for a value as a report writes it: 0 from 100 on, 1 from 1, else 2."""
    a = abs(v)
    return 0 if a >= 100 else 1 if a >= 1 else 2


def number(v: float, places: int | None = None) -> str:
    """A number with ``places`` decimals (default: :func:`decimals`), trailing ``.0`` dropped."""
    if v is None or pd.isna(v) or not np.isfinite(v):
        return "—"
    if places is not None:
        return f"{v:.{places}f}"
    text = f"{v:.{decimals(v)}f}"
    return re.sub(r"\.0+$", "", text) if "." in text else text


def with_unit(v: float, unit: str, places: int | None = None) -> str:
    """A number with its unit written after it (``70.7%``, ``12.4/10万``, ``78.2岁``)."""
    return f"{number(v, places)}{unit or ''}"


def _or_shipped(settings):
    """``settings``, or the shipped params/assessment.yaml's when None."""
    if settings is None:
        from analysis.scorecard import load_settings

        settings = load_settings()
    return settings


def probability_words(p: float, lang: str = "zh", settings=None) -> str:
    """A probability in the words of its band (``probability.bands`` of the assessment's
    settings; the shipped params/assessment.yaml when none are given): 很大 / 较大 / 一般 / 较小 /
    很小 (very high … very low), said of a chance: "实现目标的可能性较大". The number is in the
    annex table (:func:`probability_number`), not in the sentence: a band says what the
    simulation can tell, a number to 1 % would claim more."""
    if p is None or pd.isna(p):
        return "不详" if lang == "zh" else "unknown"
    band = next(b for b in _or_shipped(settings).bands if p >= b["from"])
    return band["zh"] if lang == "zh" else band["en"]


def probability_number(p: float, lang: str = "zh", settings=None) -> str:
    """A probability as a number for tables (:func:`analysis.report.numbers.chance`), with the
    shipped params/assessment.yaml when no ``settings`` are given."""
    if p is None or pd.isna(p):
        return "—"
    return chance(p, _or_shipped(settings), lang)


def _target_words(row: pd.Series) -> str:
    """The target as the plan states it, without the year in brackets (``60%以下``)."""
    return re.sub(r"（\d{4}年）$", "", str(row.get("target_text") or "")).strip()


def target_words_en(row: pd.Series) -> str:
    """The target in English (``below 60%``) from the kind and value; the plan's words otherwise."""
    spec, v = kinds.REGISTRY.get(str(row.get("target_kind"))), row.get("target_value")
    if spec is not None and spec.has_value and pd.notna(v):
        unit = _unit(row)
        return spec.text_en(f"{number(v)}{UNITS_EN.get(unit, unit)}")
    words = _target_words(row)
    if spec is not None and not spec.measured:
        return spec.text_en("")
    if words in TARGET_PHRASES_EN:
        return TARGET_PHRASES_EN[words]
    direction = direction_words_en(words) if spec is not None and spec.name == "direction" else None
    if direction is not None:
        return direction
    return re.sub(r"^不低于\s*", "not below ", words)


def _unit(row: pd.Series) -> str:
    u = row.get("unit")
    return u if isinstance(u, str) else ""


def previous_value(observations: pd.DataFrame, indicator_id: str, area: str, sex: str, year: int) -> float:
    """The series' value in ``year - 1`` (NaN when there is none)."""
    o = observations
    hit = o[(o["indicator_id"] == indicator_id) & (o["area"] == area) & (o["sex"] == sex) & (o["year"] == year - 1)]
    return float(hit["value"].iloc[0]) if len(hit) else float("nan")


def change_words(latest: float, previous: float, unit: str, lang: str = "zh") -> str:
    """``比上年下降0.3个百分点`` (% in percentage points, ‰ in per mille points, else the unit)."""
    if pd.isna(previous):
        return "上年无数据" if lang == "zh" else "no value for the previous year"
    zh_unit, en_unit = CHANGE_UNITS.get(unit, (unit, f" {unit.strip()}" if unit.strip() else ""))
    d = latest - previous
    size = number(abs(d), max(decimals(latest), decimals(previous)))
    if size.strip("0.") == "":
        return "与上年持平" if lang == "zh" else "unchanged on the previous year"
    if lang == "zh":
        return f"比上年{'上升' if d > 0 else '下降'}{size}{zh_unit}"
    return f"{'up' if d > 0 else 'down'} {size}{en_unit} on the previous year"


def _group_words(row: pd.Series, lang: str) -> str:
    area, sex = str(row["area"]), str(row["sex"])
    if area == "district" and sex == "total":
        return ""
    if lang == "zh":
        a = "" if area == "district" else area_label(area)
        return a if sex == "total" else f"{a}{'·' if a else ''}{SEX_LABELS.get(sex, sex)}性"
    a = "" if area == "district" else area_en(area)
    return a if sex == "total" else f"{a}{', ' if a else ''}{SEX_EN.get(sex, sex)}"


def _name(row: pd.Series, cat: Catalog | None, lang: str) -> str:
    iid = row["indicator_id"]
    if lang == "en" and cat is not None and iid in cat.indicators.index:
        name = str(cat.indicators.loc[iid, "name_en"])
        name = name[0].lower() + name[1:] if len(name) > 1 and name[1].islower() else name
    else:
        name = str(row["name_zh"])
    group = _group_words(row, lang)
    if not group:
        return name
    return f"{name}（{group}）" if lang == "zh" else f"{name} ({group})"


def status_label(status: str, settings, mode: str = "annual", lang: str = "zh") -> str:
    """The status in words: the labels of params/assessment.yaml, or English."""
    if lang == "en":
        return status_en(status, mode)
    return settings.label(status, mode)


def indicator_sentence(row: pd.Series, observations: pd.DataFrame, projections: pd.DataFrame | None = None,
                       cat: Catalog | None = None, lang: str = "zh", settings=None) -> str:
    """One sentence stating the facts of a scorecard row, e.g.

    ``2024年初中生近视率为70.7%，比上年下降0.3个百分点，按当前趋势2030年约为69.6%（80%区间67.5%–71.5%），
    实现“降至60%以下”目标的可能性很小。`` (the target in the plan's words)

    Changes in percentage points for % units, in the unit otherwise; the probability in words by
    band (:func:`probability_words`: 很大 … 很小); direction-only targets ``向好的可能性较大``; qualitative targets
    ``定性目标，不评分``; too little data: the reason. ``projections`` is accepted for symmetry
    with the charts (the projection for the target year is on the row itself); ``settings``: the
    assessment's (the probability words' bounds).
    """
    _check_lang(lang)
    zh = lang == "zh"
    name, unit, status = _name(row, cat, lang), _unit(row), str(row["status"])
    if not zh:
        unit = UNITS_EN.get(unit, unit)
    spec = kinds.REGISTRY.get(str(row.get("target_kind")))
    if status == "qualitative" or (spec is not None and not spec.measured):
        return f"{name}：定性目标，不评分。" if zh else f"{name}: a qualitative target, not scored."
    latest, latest_year = row.get("latest_value"), row.get("latest_year")
    has_latest = pd.notna(latest) and pd.notna(latest_year)
    if status == "insufficient_data":
        reason = str(row.get("reason_zh") or "") if zh else str(row.get("reason") or row.get("reason_zh") or "")
        head = (f"{int(latest_year)}年{name}为{with_unit(latest, unit)}，" if zh else
                f"In {int(latest_year)}, {name} was {with_unit(latest, unit)}; ") if has_latest else ""
        if zh:
            return f"{head}{'' if head else name + '：'}数据不足，无法评估（{reason or '原因未记录'}）。"
        return f"{head}{'' if head else name + ': '}insufficient data to assess ({reason or 'no reason recorded'})."
    parts = []
    counts = str(row.get("counts_zh") or "") if zh else ""
    fact = str(row.get("fact_zh") or "") if zh else ""
    p_of = str(row.get("p_of_zh") or "") if zh else ""
    if counts:  # a value that can take only a few values speaks in events, not in a rate's interval
        parts.append(f"{name}：{counts}")
    elif has_latest:
        y = int(latest_year)
        prev = previous_value(observations, row["indicator_id"], row["area"], row["sex"], y)
        change = change_words(float(latest), prev, unit, lang)
        parts.append(f"{y}年{name}为{with_unit(latest, unit)}，{change}" if zh else
                     f"In {y}, {name} was {with_unit(latest, unit)}, {change}")
    else:
        parts.append(name)
    ty = int(row["target_year"]) if pd.notna(row.get("target_year")) else None
    mean, lo, hi = row.get("projection_2030"), row.get("lo80"), row.get("hi80")
    if ty and pd.notna(mean) and str(row.get("mode")) != "final" and not counts and not fact:
        if pd.notna(lo) and pd.notna(hi):
            places = decimals(max(abs(mean), abs(lo), abs(hi)))
            interval = (f"（80%区间{with_unit(lo, unit, places)}–{with_unit(hi, unit, places)}）" if zh else
                        f" (80% interval {with_unit(lo, unit, places)}–{with_unit(hi, unit, places)})")
        else:
            places, interval = None, ""
        parts.append(f"按当前趋势{ty}年约为{with_unit(mean, unit, places)}{interval}" if zh else
                     f"on current trends about {with_unit(mean, unit, places)} in {ty}{interval}")
    p = row.get("p_meet")
    target = _target_words(row) if zh else target_words_en(row)
    if fact:  # decided by what has happened; what remains open, if anything, after it
        parts.append(fact)
        ahead = row.get("p_ahead")
        if p_of and pd.notna(ahead):
            parts.append(f"{p_of}的可能性{probability_words(ahead, lang, settings)}")
    elif p_of and str(row.get("mode")) != "final":
        parts.append(f"{p_of}的可能性{probability_words(p, lang, settings)}")
    elif spec is not None and spec.probability_words:
        zh_words, en_words = spec.probability_words
        parts.append(f"{zh_words}{probability_words(p, lang, settings)}" if zh else
                     f"{en_words} {probability_words(p, lang, settings)}")
    elif str(row.get("mode")) == "final":
        word = str(row.get("status_zh") or status) if zh else status_label(status, None, "final", "en")
        parts.append(f"终期评估：{word}" if zh else f"final evaluation: {word.lower()}")
    elif status == "achieved":
        parts.append(f"已实现“{target}”的目标，{ty or ''}年仍达标的可能性{probability_words(p, lang, settings)}"
                     if zh else
                     f"the target ({target}) is met; the chance it is still met in {ty or ''} is "
                     f"{probability_words(p, lang, settings)}")
    else:
        parts.append(f"实现“{target}”目标的可能性{probability_words(p, lang, settings)}" if zh else
                     f"the chance of meeting the target ({target}) is {probability_words(p, lang, settings)}")
    return ("，".join(parts) + "。") if zh else (", ".join(parts) + ".")


def births_indicator() -> str:
    """The indicator whose denominator is the district's live births (``params/areas.yaml``,
    ``district.births_indicator``: infant mortality)."""
    return str(parse.areas()["district"]["births_indicator"])


def births(observations: pd.DataFrame) -> pd.DataFrame:
    """Live births by year: the denominator of the births indicator (infant mortality), district,
    total and by sex."""
    o = observations[(observations["indicator_id"] == births_indicator()) & (observations["area"] == "district")
                     & observations["denominator"].notna()]
    if o.empty:
        return pd.DataFrame(columns=["年份"])
    table = o.pivot_table(index="year", columns="sex", values="denominator", aggfunc="first")
    names = {"total": "活产数（合计）", "female": "女", "male": "男"}
    table = table.reindex(columns=[s for s in names if s in table.columns]).rename(columns=names)
    table = table.astype("Int64")
    table.index = table.index.astype(int)
    return table.rename_axis("年份").reset_index()


def district_context(observations: pd.DataFrame, lang: str = "zh") -> tuple[str, pd.DataFrame]:
    """The district in figures, from the data only: the text (population — or the plain statement
    that the data carry none — and births) and the table of births by year."""
    _check_lang(lang)
    table = births(observations)
    zh = lang == "zh"
    population = plan_words("监测数据中没有{area}分性别的常住人口数，本报告不列人口数（未作估计）。" if zh else
                            "The monitoring data carry no population of the {level_en} by sex: none is given "
                            "(none estimated). ")
    if table.empty or "活产数（合计）" not in table.columns:
        b = ("监测数据中没有出生数（婴儿死亡率的分母）。" if zh else
             "The data carry no births (the denominator of infant mortality).")
        return population + b, table
    last = table.dropna(subset=["活产数（合计）"]).iloc[-1]
    first = table.dropna(subset=["活产数（合计）"]).iloc[0]
    y, n = int(last["年份"]), int(last["活产数（合计）"])
    if zh:
        b = (f"出生：{y}年{config.profile().whole}活产{n}人（婴儿死亡率{births_indicator()}的分母），"
             f"{int(first['年份'])}年为"
             f"{int(first['活产数（合计）'])}人。")
    else:
        b = (f"Births: {n} live births in {y} (the denominator of infant mortality, {births_indicator()}), "
             f"{int(first['活产数（合计）'])} in {int(first['年份'])}.")
    if not zh:
        table = table.rename(columns={"年份": "Year", "活产数（合计）": "Live births (total)", "女": "girls",
                                      "男": "boys"})
    return population + b, table
