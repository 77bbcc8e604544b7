"""The evaluation report's words, tables and small charts (the 60_report and 70_indicator notebooks).

Every sentence here is generated from a scorecard row (``targets.assess``) and the cleaned
observations and projections in ``data/processed``: nothing is typed in by hand, no threshold is
set in code (they are read from ``params/assessment.yaml`` through ``targets.Settings``). Chinese
by default; ``lang="en"`` gives the English version (the catalog's ``name_en``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import config, targets, trend
from analysis.catalog import Catalog

LANGS = ("zh", "en")
#: English status labels (the Chinese ones come from params/assessment.yaml)
STATUS_EN = targets.STATUS_EN
STATUS_EN_FINAL = targets.STATUS_EN_FINAL
AREA_EN = {"district": "Yanshi District", "urban": "urban", "rural": "rural", "national": "China"}
SEX_EN = {"female": "female", "male": "male", "total": "total"}
#: the unit in which a change is stated, when it is not the value's own unit
CHANGE_UNITS = {"%": (targets.difference_unit("%"), " percentage points"),
                "‰": (targets.difference_unit("‰"), " per mille points")}
LEVEL_KINDS = ("below", "at_most", "above", "about", "keep_above", "keep_below", "relative")
COLUMNS_EN = {"编号": "ID", "指标": "Indicator", "基期(2020)": "Baseline (2020)", "最近值": "Latest",
              "目标": "Target", "状态": "Status", "说明": "Statement", "详情": "Details"}


def _check_lang(lang: str) -> None:
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, not {lang!r}")


# --- the report's headings -------------------------------------------------------------------------

#: the 60_report notebook's section headings (Markdown), Chinese and English
HEADINGS = {
    "basic": ("## 一、基本情况\n\n全区人口和出生情况，只列监测数据中有的数（没有的如实说明，不作估计）。",
              "## 1. The district\n\nPopulation and births of the district: only the figures the monitoring data "
              "carry (what they do not carry is said, not estimated)."),
    "overall": ("## 二、总体情况", "## 2. Overview"),
    "women": ("## 三、妇女发展规划：分领域评估\n\n"
              "每个领域一张表：基期（2020年）值、最近值、目标、评估状态（颜色和文字）和一句话说明；"
              "有预警的目标附指标页链接。其下是该领域有数据的数值目标的小图：黑点为观测值，蓝色扇形为80%（深）和95%（浅）预测区间，"
              "红色点线为目标，橙线为全国。",
              "## 3. Women's Development Plan: assessment by field\n\nOne table per field: baseline (2020) value, "
              "latest value, target, status (colour and word) and a one-sentence statement; targets with a warning "
              "link to their indicator page. Below, small charts of the field's numeric targets with data: black "
              "dots are observed values, the blue fan the 80% (dark) and 95% (light) projection intervals, the red "
              "dotted line the target, the orange line China."),
    "children": ("## 四、儿童发展规划：分领域评估", "## 4. Children's Development Plan: assessment by field"),
    "warnings": ("## 五、预警清单\n\n按严重程度排序，每条附原因和指标页链接。",
                 "## 5. Early warnings\n\nMost severe first, each with its reason and a link to the indicator page."),
    "gaps": ("## 六、性别差距与城乡差距\n\n"
             "男女之间、城乡之间的差距及其变化（方法见 docs/gaps.md；计数过小的不公布数值）。",
             "## 6. Sex and urban–rural gaps\n\nGaps between women and men (girls and boys) and between rural and "
             "urban areas, and how they change (method: docs/gaps.md; values resting on small counts are not "
             "published)."),
    "quality": ("## 附件一：数据质量\n\n"
                "清洗步骤的结果：未报送的指标、被隔离（未采用）的数值、需要复核的数值和空白单元格。",
                "## Annex 1: Data quality\n\nWhat the cleaning found: indicators not reported, values quarantined "
                "(not used), values to review and blank cells."),
    "not_reported": ("### 未报送数据的指标", "### Indicators not reported"),
    "quarantine": ("### 隔离的数值", "### Quarantined values"),
    "flagged": ("### 需要复核的数值", "### Values to review"),
    "missing": ("### 空白单元格（按文件）", "### Blank cells (by file)"),
    "methods": ("## 附件二：方法说明", "## Annex 2: Methods"),
}
TITLE_EN = "# Monitoring Report of the Yanshi District Women's and Children's Development Plans (2021–2030)"


def heading(key: str, lang: str = "zh") -> str:
    """A section heading of the report (Markdown) in ``lang``."""
    _check_lang(lang)
    return HEADINGS[key][LANGS.index(lang)]


def title_line(lang: str = "zh") -> str:
    """The English report's title under the notebook's (Chinese) title cell; empty in Chinese."""
    _check_lang(lang)
    return TITLE_EN if lang == "en" else ""


def synthetic_notice(paths, lang: str = "zh") -> str:
    """The 模拟数据 notice (inputs.synthetic_notice) in ``lang``; empty when no figure is synthetic."""
    from analysis import inputs

    _check_lang(lang)
    if lang == "zh":
        return inputs.synthetic_notice(paths)
    files = inputs.synthetic_files(paths)
    if not files:
        return ""
    return ("> **⚠ Synthetic data (模拟数据)**: the Yanshi District data on this page were generated for "
            "demonstration and testing; they are not real statistics and must not be cited. Source files: "
            + ", ".join(f"`{f}`" for f in files[:6]) + (" and more" if len(files) > 6 else "") + ".")


# --- numbers ---------------------------------------------------------------------------------------


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


def probability_words(p: float, lang: str = "zh") -> str:
    """A probability in bands: 低于5% / 约X% / 高于95% (``under 5%`` / ``about X%`` / ``over 95%``)."""
    if p is None or pd.isna(p):
        return "不详" if lang == "zh" else "unknown"
    if p < 0.05:
        return "低于5%" if lang == "zh" else "under 5%"
    if p > 0.95:
        return "高于95%" if lang == "zh" else "over 95%"
    return f"约{100 * p:.0f}%" if lang == "zh" else f"about {100 * p:.0f}%"


def _target_words(row: pd.Series) -> str:
    """The target as the plan states it, without the year in brackets (``60%以下``)."""
    return re.sub(r"（\d{4}年）$", "", str(row.get("target_text") or "")).strip()


UNITS_EN = {"/10万": " per 100,000", "岁": " years", "元": " yuan", "所": "", "年": " years", "人": "",
            "百分点": " percentage points", "小时": " hours", "课时": " class hours", "分钟": " minutes",
            "名/千名儿童": " per 1,000 children", "张/千名儿童": " per 1,000 children", "次": " times", "家": "",
            "个": ""}
#: the plan's words for targets without a value, in English
TARGET_PHRASES_EN = {"逐步提高": "gradually higher", "逐步下降": "gradually lower", "差距缩小": "gap narrowed",
                     "定性目标": "qualitative target"}
KIND_EN = {"below": "below {v}", "at_most": "at most {v}", "above": "above {v}", "about": "about {v}",
           "keep_above": "above {v} every year", "keep_below": "below {v} every year"}


def target_words_en(row: pd.Series) -> str:
    """The target in English (``below 60%``) from the kind and value; the plan's words otherwise."""
    kind, v = str(row.get("target_kind")), row.get("target_value")
    if kind in KIND_EN and pd.notna(v):
        unit = _unit(row)
        return KIND_EN[kind].format(v=f"{number(v)}{UNITS_EN.get(unit, unit)}")
    words = _target_words(row)
    if kind == "qualitative":
        return TARGET_PHRASES_EN["定性目标"]
    if words in TARGET_PHRASES_EN:
        return TARGET_PHRASES_EN[words]
    return re.sub(r"^不低于\s*", "not below ", words)


def _unit(row: pd.Series) -> str:
    u = row.get("unit")
    return u if isinstance(u, str) else ""


# --- the sentence ----------------------------------------------------------------------------------


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
        a = "" if area == "district" else trend.area_label(area)
        return a if sex == "total" else f"{a}{'·' if a else ''}{trend.SEX_LABELS.get(sex, sex)}性"
    a = "" if area == "district" else AREA_EN.get(area, area)
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
        return (STATUS_EN_FINAL.get(status) if mode == "final" else None) or STATUS_EN.get(status, status)
    return settings.label(status, mode)


def indicator_sentence(row: pd.Series, observations: pd.DataFrame, projections: pd.DataFrame | None = None,
                       cat: Catalog | None = None, lang: str = "zh") -> str:
    """One sentence stating the facts of a scorecard row, e.g.

    ``2024年初中生近视率为70.7%，比上年下降0.3个百分点，按当前趋势2030年约为69.6%（80%区间67.5%–71.5%），
    达到60%以下目标的概率低于5%。``

    Changes in percentage points for % units, in the unit otherwise; the probability in bands
    (低于5%, 约X%, 高于95%); direction-only targets ``向好的概率约X%``; qualitative targets
    ``定性目标，不评分``; too little data: the reason. ``projections`` is accepted for symmetry
    with the charts (the projection for the target year is on the row itself).
    """
    _check_lang(lang)
    zh = lang == "zh"
    name, unit, status = _name(row, cat, lang), _unit(row), str(row["status"])
    if not zh:
        unit = UNITS_EN.get(unit, unit)
    if status == "qualitative" or row.get("target_kind") == "qualitative":
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
    if has_latest:
        y = int(latest_year)
        prev = previous_value(observations, row["indicator_id"], row["area"], row["sex"], y)
        change = change_words(float(latest), prev, unit, lang)
        parts.append(f"{y}年{name}为{with_unit(latest, unit)}，{change}" if zh else
                     f"In {y}, {name} was {with_unit(latest, unit)}, {change}")
    else:
        parts.append(name)
    ty = int(row["target_year"]) if pd.notna(row.get("target_year")) else None
    mean, lo, hi = row.get("projection_2030"), row.get("lo80"), row.get("hi80")
    if ty and pd.notna(mean) and str(row.get("mode")) != "final":
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
    if row.get("target_kind") == "direction":
        parts.append(f"向好的概率{probability_words(p, lang)}" if zh else
                     f"the probability of improving is {probability_words(p, lang)}")
    elif str(row.get("mode")) == "final":
        word = str(row.get("status_zh") or status) if zh else status_label(status, None, "final", "en")
        parts.append(f"终期评估：{word}" if zh else f"final evaluation: {word.lower()}")
    elif status == "achieved":
        parts.append(f"已达到{target}目标，{ty or ''}年仍达标的概率{probability_words(p, lang)}" if zh else
                     f"the target ({target}) is met; the probability it is still met in {ty or ''} is "
                     f"{probability_words(p, lang)}")
    else:
        parts.append(f"达到{target}目标的概率{probability_words(p, lang)}" if zh else
                     f"the probability of meeting the target ({target}) is {probability_words(p, lang)}")
    return ("，".join(parts) + "。") if zh else (", ".join(parts) + ".")


# --- the district ----------------------------------------------------------------------------------

BIRTHS_INDICATOR = "C1.3b"  # infant mortality: its denominator is the live births


def births(observations: pd.DataFrame) -> pd.DataFrame:
    """Live births by year: the denominator of infant mortality (C1.3b), district, total and by sex."""
    o = observations[(observations["indicator_id"] == BIRTHS_INDICATOR) & (observations["area"] == "district")
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
    population = ("监测数据中没有偃师区分性别的常住人口数，本报告不列人口数（未作估计）。" if zh else
                  "The monitoring data carry no population of the district by sex: none is given (none estimated). ")
    if table.empty or "活产数（合计）" not in table.columns:
        b = ("监测数据中没有出生数（婴儿死亡率的分母）。" if zh else
             "The data carry no births (the denominator of infant mortality).")
        return population + b, table
    last = table.dropna(subset=["活产数（合计）"]).iloc[-1]
    first = table.dropna(subset=["活产数（合计）"]).iloc[0]
    y, n = int(last["年份"]), int(last["活产数（合计）"])
    if zh:
        b = (f"出生：{y}年全区活产{n}人（婴儿死亡率C1.3b的分母），{int(first['年份'])}年为"
             f"{int(first['活产数（合计）'])}人。")
    else:
        b = (f"Births: {n} live births in {y} (the denominator of infant mortality, C1.3b), "
             f"{int(first['活产数（合计）'])} in {int(first['年份'])}.")
    if not zh:
        table = table.rename(columns={"年份": "Year", "活产数（合计）": "Live births (total)", "女": "girls",
                                      "男": "boys"})
    return population + b, table


# --- small charts ----------------------------------------------------------------------------------


def small_trend_chart(indicator_id: str, area: str, sex: str, observations: pd.DataFrame,
                      projections: pd.DataFrame, cat: Catalog, ax=None, lang: str = "zh"):
    """A small chart of one series: observed points, the projection's 80 % and 95 % fan to 2030,
    the target line and the national comparator. Draws on ``ax`` (a new small figure without)."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    if ax is None:
        _, ax = plt.subplots(figsize=(3.6, 2.6))
    entry = cat.indicators.loc[indicator_id] if indicator_id in cat.indicators.index else None
    unit = entry["unit"] if entry is not None and isinstance(entry["unit"], str) else ""
    p = projections[(projections["indicator_id"] == indicator_id) & (projections["area"] == area)
                    & (projections["sex"] == sex)].sort_values("year")
    fut, fit = p[p["is_projection"]], p[~p["is_projection"]]
    if len(fut):
        band = pd.concat([fit.tail(1).assign(lo95=fit.tail(1)["mean"], hi95=fit.tail(1)["mean"],
                                             lo80=fit.tail(1)["mean"], hi80=fit.tail(1)["mean"]), fut])
        ax.fill_between(band["year"], band["lo95"], band["hi95"], color="#4C72B0", alpha=0.18, lw=0)
        ax.fill_between(band["year"], band["lo80"], band["hi80"], color="#4C72B0", alpha=0.35, lw=0)
        ax.plot(band["year"], band["mean"], color="#4C72B0", lw=1.2)
    o = observations[observations["indicator_id"] == indicator_id]
    own = o[(o["area"] == area) & (o["sex"] == sex)].sort_values("year")
    ax.plot(own["year"], own["value"], "o", color="#222222", ms=3)
    comp = o[o["area"] == trend.COMPARATOR_AREA]
    comp = comp[comp["sex"] == (sex if sex in set(comp["sex"]) else "total")].sort_values("year")
    if len(comp) and area != trend.COMPARATOR_AREA:
        ax.plot(comp["year"], comp["value"], "-", color="#DD8452", lw=1)
    if entry is not None and pd.notna(entry.get("value")):
        ax.axhline(float(entry["value"]), color="#C44E52", ls=":", lw=1.2)
    name = (entry["name_en"] if lang == "en" else entry["name_zh"]) if entry is not None else indicator_id
    if lang == "en":
        unit_en = UNITS_EN.get(unit, unit).strip()
        ax.set_title(f"{indicator_id} {name}" + (f" ({unit_en})" if unit_en else ""), fontsize=8)
    else:
        ax.set_title(f"{indicator_id} {name}" + (f"（{unit}）" if unit else ""), fontsize=8)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=4))
    ax.tick_params(labelsize=7)
    return ax


def chart_rows(scorecard: pd.DataFrame, plan: str, field: int) -> pd.DataFrame:
    """The headline rows of a field's quantitative targets that have data: what the small charts show."""
    sc = scorecard
    return sc[sc["is_headline"] & (sc["plan"] == plan) & (sc["field"] == field)
              & (sc["target_kind"] != "qualitative") & sc["latest_value"].notna()
              & (sc["area"] == "district")]


def small_multiples(scorecard: pd.DataFrame, plan: str, field: int, observations: pd.DataFrame,
                    projections: pd.DataFrame, cat: Catalog, ncols: int = 4, lang: str = "zh"):
    """A grid of :func:`small_trend_chart` for one field (None when no target of it has data),
    with one legend under the grid."""
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    rows = chart_rows(scorecard, plan, field)
    if rows.empty:
        return None
    n = len(rows)
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.4 * ncols, 2.6 * nrows + 0.5), squeeze=False)
    for ax, r in zip(axes.flat, rows.itertuples(index=False), strict=False):
        small_trend_chart(r.indicator_id, r.area, r.sex, observations, projections, cat, ax=ax, lang=lang)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    zh = lang == "zh"
    handles = [Line2D([], [], marker="o", ls="", color="#222222", label="观测值" if zh else "observed"),
               Patch(color="#4C72B0", alpha=0.35, label="80%预测区间" if zh else "80% interval"),
               Patch(color="#4C72B0", alpha=0.18, label="95%预测区间" if zh else "95% interval"),
               Line2D([], [], ls=":", color="#C44E52", label="目标" if zh else "target"),
               Line2D([], [], color="#DD8452", label="全国" if zh else "China")]
    fig.legend(handles=handles, loc="lower center", ncol=5, frameon=False, fontsize=8)
    fig.tight_layout(rect=(0, 0.06 if nrows == 1 else 0.03, 1, 1))
    return fig


# --- tables ----------------------------------------------------------------------------------------


def indicator_page(indicator_id: str) -> str:
    """The file name of an indicator's page (``70_indicator_C1.9c.html``)."""
    return f"70_indicator_{indicator_id}.html"


def fields_of(scorecard: pd.DataFrame, plan: str) -> list[int]:
    """The plan's fields that have targets, in order."""
    return sorted(int(f) for f in scorecard.loc[scorecard["plan"] == plan, "field"].unique())


def field_title(cat: Catalog, plan: str, field: int, lang: str = "zh") -> str:
    """The field's heading (``（一）妇女与健康`` / ``1. Women and health``)."""
    names = (cat.fields or {}).get(f"{plan}{field}", {})
    if lang == "en":
        return f"{field}. {names.get('en', f'{plan}{field}')}"
    return f"（{'一二三四五六七八'[field - 1]}）{names.get('zh', f'{plan}{field}')}"


def field_table(result, cat: Catalog, plan: str, field: int, projections: pd.DataFrame | None = None,
                lang: str = "zh", links: bool = True) -> pd.DataFrame:
    """A field's targets (headline rows): 编号, 指标, 基期(2020), 最近值, 目标, 状态, 说明 (the
    sentence), and 详情 — a link to the indicator page when the target has a warning."""
    _check_lang(lang)
    sc = result.scorecard
    rows = sc[sc["is_headline"] & (sc["plan"] == plan) & (sc["field"] == field)]
    warned = set(targets.warned_ids(sc))
    obs = result.observations
    zh = lang == "zh"
    out = []
    for _, r in rows.iterrows():
        unit = _unit(r) if zh else UNITS_EN.get(_unit(r), _unit(r))
        latest = (f"{with_unit(r['latest_value'], unit)}（{int(r['latest_year'])}年）" if zh else
                  f"{with_unit(r['latest_value'], unit)} ({int(r['latest_year'])})") \
            if pd.notna(r["latest_value"]) and pd.notna(r["latest_year"]) else "—"
        name = r["name_zh"] if zh else str(cat.indicators.loc[r["indicator_id"], "name_en"]) \
            if r["indicator_id"] in cat.indicators.index else r["name_zh"]
        link = (f'<a href="{indicator_page(r["indicator_id"])}">{"指标页" if zh else "page"}</a>'
                if links and r["indicator_id"] in warned else "")
        out.append({"编号": r["indicator_id"], "指标": name,
                    "基期(2020)": with_unit(r["baseline_value"], unit) if pd.notna(r["baseline_value"]) else "—",
                    "最近值": latest, "目标": (r["target_text"] if isinstance(r["target_text"], str) else "—") if zh
                    else _target_en(r),
                    "状态": status_label(r["status"], result.settings, result.mode, lang),
                    "说明": indicator_sentence(r, obs, projections, cat, lang), "详情": link})
    table = pd.DataFrame(out, columns=list(COLUMNS_EN))
    return table if zh else table.rename(columns=COLUMNS_EN)


def _target_en(row: pd.Series) -> str:
    """The target column of the English field table: the target in words and its year."""
    if not isinstance(row.get("target_text"), str):
        return "—"
    words = target_words_en(row)
    year = re.search(r"（(\d{4})年）$", row["target_text"])
    return f"{words} ({year.group(1)})" if year else words


def status_colours(settings, mode: str = "annual") -> dict[str, str]:
    """Status word (Chinese and English) → colour of params/assessment.yaml."""
    out = {}
    for code, colour in settings.colours.items():
        out[settings.label(code)] = colour
        out[settings.label(code, mode)] = colour
        out[status_label(code, settings, mode, "en")] = colour
        out[STATUS_EN.get(code, code)] = colour
    return out


def styled(table: pd.DataFrame, result, column: str | None = None):
    """The table as a Styler: the status cell in its colour (the word stays), index hidden, links live."""
    column = column or ("状态" if "状态" in table.columns else "Status")
    colours = status_colours(result.settings, result.mode)
    styler = table.style.hide(axis="index").set_properties(**{"text-align": "left"}).set_table_styles(
        [{"selector": "th", "props": [("text-align", "left")]}])
    if column in table.columns and len(table):
        styler = styler.map(lambda v: f"background-color: {colours[v]}" if v in colours else "", subset=[column])
        styler = styler.set_properties(subset=[column], **{"white-space": "nowrap"})
    return styler


def warning_list(result, lang: str = "zh", cat: Catalog | None = None) -> pd.DataFrame:
    """The early warnings, most severe first, each with its reason (targets.warning_table, with
    the link to the indicator page); in English the names are the catalog's (``cat``)."""
    _check_lang(lang)
    table = targets.warning_table(result, lang, cat)
    id_col, link_col, word = ("ID", "Details", "page") if lang == "en" else ("编号", "详情", "指标页")
    if id_col in table.columns:
        table.insert(2, link_col, [f'<a href="{indicator_page(i)}">{word}</a>' for i in table[id_col]])
    return table


# --- annexes ---------------------------------------------------------------------------------------


REASONS_EN = {"unknown_indicator": "indicator not in the catalog", "not_a_year": "year not recognised",
              "year_out_of_range": "year outside the monitoring period", "unknown_area": "area not recognised",
              "area_not_in_district": "town no longer in the district that year", "unknown_sex": "sex not recognised",
              "not_a_number": "not a number", "unit_not_understood": "unit not recognised",
              "unit_mismatch": "unit cannot be converted", "out_of_range": "outside the possible range",
              "numerator_exceeds_denominator": "numerator larger than denominator",
              "no_value": "numerator and denominator but no value can be computed",
              "duplicate": "reported twice (same value)", "conflicting_duplicate": "reported twice, values differ"}


def _quality_headline_en(s: dict) -> str:
    check = "holds" if s["accounting_holds"] else "does not hold (a program error: please report it)"
    reasons = ", ".join(f"{REASONS_EN.get(k, k)} {v}" for k, v in s["quarantined_by_reason"].items())
    text = (f"{s['values_read']} values read from {s['files']} files: {s['observations']} kept ({s['flagged']} "
            f"flagged for review), {s['quarantined']} quarantined" + (f" ({reasons})" if reasons else "")
            + f"; {s['missing_cells']} cells to be filled were blank or marked as having no data. "
            f"Check: values read = kept + quarantined, which {check}.")
    if s["file_problems"]:
        text += f" {len(s['file_problems'])} files could not be read (see below)."
    return text


def _data_quality_en(out: Path, cat: Catalog, result, summary: dict | None) -> dict[str, object]:
    from analysis import clean

    q, missing = result.quarantine, result.missing
    nr = clean.not_reported(result, cat)
    names = cat.indicators["name_en"]
    not_reported = pd.DataFrame({"ID": nr["编号"], "Indicator": [str(names.get(i, n)) for i, n in
                                                               zip(nr["编号"], nr["指标"], strict=True)],
                                 "Reporting department": nr["报送部门"]})
    if len(q):
        quarantine = pd.DataFrame({
            "File": q["source_file"], "Sheet": q["source_sheet"], "Cell": q["source_cell"],
            "Value as written": q["raw_value"], "Indicator": q["indicator_id"].fillna("—"), "Year": q["year"],
            "Reason": q["reason"].map(lambda r: REASONS_EN.get(r, r)), "Message": q["message"]})
    else:
        quarantine = pd.DataFrame({"Note": ["No values quarantined"]})
    flagged = clean.flagged_for_review(result).rename(columns={
        "指标": "Indicator", "年份": "Year", "地区": "Area", "性别": "Sex", "数值": "Value", "单位": "Unit",
        "文件": "File", "工作表": "Sheet", "单元格": "Cell", "标记": "Flags"})
    by_file = (missing.groupby("source_file").size().rename("Blank cells").reset_index()
               .rename(columns={"source_file": "File"}) if len(missing) else pd.DataFrame({"Note": ["No blank cells"]}))
    return {
        "headline": _quality_headline_en(summary) if summary else "No cleaning summary found (cleaning_summary.json).",
        "not_reported": not_reported, "quarantine": quarantine, "flagged": flagged, "missing": by_file,
    }


def data_quality(processed_dir: str | Path, cat: Catalog, lang: str = "zh") -> dict[str, object]:
    """The data-quality annex from ``processed_dir``: the cleaning's summary sentence, targets not
    reported, values quarantined, values flagged for review, and the count of missing cells
    (``lang="en"``: in English)."""
    _check_lang(lang)
    from analysis import clean

    out = config.resolve(processed_dir)
    obs = pd.read_parquet(out / "observations.parquet")
    q = pd.read_parquet(out / "quarantine.parquet") if (out / "quarantine.parquet").is_file() else pd.DataFrame()
    missing = pd.read_parquet(out / "missing.parquet") if (out / "missing.parquet").is_file() else pd.DataFrame()
    summary_file = out / "cleaning_summary.json"
    summary = json.loads(summary_file.read_text(encoding="utf-8")) if summary_file.is_file() else None
    result = clean.CleanResult(obs, q, missing, pd.DataFrame(), pd.DataFrame(), summary or {})
    if lang == "en":
        return _data_quality_en(out, cat, result, summary)
    by_file = (missing.groupby("source_file").size().rename("空白单元格").reset_index()
               .rename(columns={"source_file": "文件"}) if len(missing) else pd.DataFrame({"说明": ["没有空白单元格"]}))
    return {
        "headline": clean.headline(summary) if summary else "没有找到清洗摘要（cleaning_summary.json）。",
        "not_reported": clean.not_reported(result, cat),
        "quarantine": clean.quarantine_table(result) if len(q) else pd.DataFrame({"说明": ["没有隔离的数值"]}),
        "flagged": clean.flagged_for_review(result),
        "missing": by_file,
    }


def methods_text(settings, lang: str = "zh") -> str:
    """The methods annex in plain words (Markdown); every threshold read from the settings
    (params/assessment.yaml), none written here."""
    _check_lang(lang)
    s = settings
    likely, unlikely = f"{100 * s.likely:.0f}%", f"{100 * s.unlikely:.0f}%"
    if lang == "en":
        return "\n".join([
            "**Projections.** Each series (indicator × area × sex) is projected to 2030 by the model that "
            "forecast its own past best in a rolling back-test (trend, recency-weighted trend, damped trend, "
            "naive); rates from counts use Poisson/binomial models, proportions the logit scale. Short series "
            "borrow the national trend.",
            "**Probabilities.** The model simulates "
            f"{s.n_sims} possible paths to 2030; the probability of meeting a target is the share of paths "
            "that meet it in the target year (every year for 'keep above' targets).",
            f"**Statuses.** Achieved: met in the latest year and probability ≥ {likely}; on track: probability ≥ "
            f"{likely}; at risk: between {unlikely} and {likely}; off track: ≤ {unlikely}. Direction targets: "
            f"improving when the probability of moving the asked way is ≥ {likely}, worsening when the other way "
            f"is ≥ {likely}. Insufficient data: fewer than {s.min_points} values, or the latest older than "
            f"{s.max_data_age} years. Qualitative targets are listed, not scored.",
            f"Thresholds: `{config.display_path(s.path)}`."])
    lab = s.labels
    basic = (f"本次启用“{s.basic_label}”口径：距目标不超过目标值的{100 * s.basic_share:.0f}%视为达标。"
             if s.basic_enabled else f"未启用“{s.basic_label}”口径（差一点也不算达标）。")
    return "\n\n".join([
        "**预测怎么做。** 每个序列（指标×地区×性别）分别预测到2030年："
        "比较趋势、近期加权趋势、阻尼趋势和沿用末值四种模型，用“拿前几年预测后几年”的回测看哪个模型对这个序列过去预测得最准，就用哪个。由出生数、死亡数算出的比率按实际计数建模，"
        "比例在0–100%之内建模；数据少的序列借用全国同一指标的趋势。",
        f"**概率怎么算。** 模型模拟{s.n_sims}条到2030年的可能走势，达标概率就是其中在目标年份达标的走势所占的比例"
        "（“保持在……以上”的目标要求以后每一年都达标）。报告中概率按档表述：低于5%、约X%、高于95%。",
        f"**状态的含义。** {lab['achieved']}：最近一年已达标，且达标概率不低于{likely}；"
        f"{lab['on_track']}：达标概率不低于{likely}；"
        f"{lab['at_risk']}：达标概率在{unlikely}到{likely}之间；{lab['off_track']}：达标概率不超过{unlikely}（终期评估称"
        f"“{s.label('off_track', 'final')}”）。方向性目标：向规划方向变化的概率不低于{likely}为“{lab['improving']}”，"
        f"向相反方向变化的概率不低于{likely}为“{lab['worsening']}”，其余为“{lab['no_clear_change']}”。"
        f"观测值少于{s.min_points}个或最近数据早于评估年份{s.max_data_age}年以上的，为“{lab['insufficient_data']}”，"
        f"并说明原因；定性目标列出，不评分。{basic}",
        f"**预警。** 进度比（实际年均变化÷所需年均变化）不低于{s.on_pace}为进度达标，"
        f"{s.acceleration_needed}—{s.on_pace}需加快；预警按严重程度排序："
        + "、".join(f"{w['label']}" for w in sorted(s.warnings.values(), key=lambda w: -int(w["severity"]))) + "。",
        f"以上阈值均读自 `{config.display_path(s.path)}`，方法详见 docs/projections.md 和 docs/assessment.md。"])


def report_title(result, lang: str = "zh") -> str:
    """The report's subtitle: the evaluation in words (年度监测 / 中期评估 / 终期评估 and the year)."""
    if lang == "en":
        return {"annual": f"Annual monitoring, {result.year}", "midterm": f"Mid-term evaluation, {result.year}",
                "final": f"Final evaluation, {result.year}"}[result.mode]
    return {"annual": f"{result.year}年度监测", "midterm": f"中期评估（{result.year}年）",
            "final": f"终期评估（{result.year}年）"}[result.mode]


def indicator_rows(result, indicator_id: str, cat: Catalog, projections: pd.DataFrame | None = None,
                   lang: str = "zh") -> pd.DataFrame:
    """Every scorecard row of one indicator (district, sexes, areas, towns) with its sentence."""
    sc = result.scorecard
    rows = sc[sc["indicator_id"] == indicator_id]
    zh = lang == "zh"
    return pd.DataFrame({
        "地区/分组" if zh else "Group": [(_group_words(r, lang) or ("全区合计" if zh else "district total"))
                                      for _, r in rows.iterrows()],
        "状态" if zh else "Status": [status_label(s, result.settings, result.mode, lang) for s in rows["status"]],
        "说明" if zh else "Statement": [indicator_sentence(r, result.observations, projections, cat, lang)
                                      for _, r in rows.iterrows()],
        "预警" if zh else "Warnings": rows["warnings"].fillna("").to_list(),
    })


def series_keys(observations: pd.DataFrame, indicator_id: str) -> list[tuple[str, str]]:
    """The indicator's own series (area, sex) — district first, then sexes, urban/rural, towns —
    without the comparators (national …)."""
    o = observations[(observations["indicator_id"] == indicator_id)
                     & ~observations["area"].isin(trend.COMPARATOR_AREAS)]
    keys = sorted(set(zip(o["area"], o["sex"], strict=True)),
                  key=lambda k: (k[0] != "district", k[0] not in ("urban", "rural"), k[0], k[1] != "total", k[1]))
    return keys
