"""The report's field-by-field part: a table per plan field and its small multiples."""

from __future__ import annotations

import re

import pandas as pd

from analysis import kinds
from analysis.catalog import Catalog
from analysis.report import selfeval
from analysis.report.labels import COLUMNS_EN, UNITS_EN
from analysis.report.sentences import (
    _check_lang,
    _unit,
    indicator_sentence,
    plan_words,
    status_label,
    target_words_en,
    with_unit,
)
from analysis.scorecard.headline import page_ids
from analysis.trends.base import COMPARATOR_AREA


def small_trend_chart(indicator_id: str, area: str, sex: str, observations: pd.DataFrame,
                      projections: pd.DataFrame, cat: Catalog, ax=None, lang: str = "zh", fan: bool = True):
    """A small chart of one series: observed points, the projection's 80 % and 95 % fan to 2030,
    the target line and the national comparator. Draws on ``ax`` (a new small figure without).

    ``fan=False`` for a rate the scorecard judges in events (a handful of cases a year, where one
    case moves the rate by tens of per cent): its fan would span nearly the whole range and say
    nothing the 说明 does not say better in cases, so only the observed values are drawn."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    if ax is None:
        _, ax = plt.subplots(figsize=(3.6, 2.6))
    entry = cat.indicators.loc[indicator_id] if indicator_id in cat.indicators.index else None
    unit = entry["unit"] if entry is not None and isinstance(entry["unit"], str) else ""
    p = projections[(projections["indicator_id"] == indicator_id) & (projections["area"] == area)
                    & (projections["sex"] == sex)].sort_values("year")
    fut, fit = p[p["is_projection"]], p[~p["is_projection"]]
    if len(fut) and fan:
        band = pd.concat([fit.tail(1).assign(lo95=fit.tail(1)["mean"], hi95=fit.tail(1)["mean"],
                                             lo80=fit.tail(1)["mean"], hi80=fit.tail(1)["mean"]), fut])
        ax.fill_between(band["year"], band["lo95"], band["hi95"], color="#4C72B0", alpha=0.18, lw=0)
        ax.fill_between(band["year"], band["lo80"], band["hi80"], color="#4C72B0", alpha=0.35, lw=0)
        ax.plot(band["year"], band["mean"], color="#4C72B0", lw=1.2)
    o = observations[observations["indicator_id"] == indicator_id]
    own = o[(o["area"] == area) & (o["sex"] == sex)].sort_values("year")
    ax.plot(own["year"], own["value"], "o", color="#222222", ms=3)
    comp = o[o["area"] == COMPARATOR_AREA]
    comp = comp[comp["sex"] == (sex if sex in set(comp["sex"]) else "total")].sort_values("year")
    if len(comp) and area != COMPARATOR_AREA:
        from analysis.report.style import comparator_series

        comparator_series(ax, comp, lang=lang, small=True)
    from analysis.report.style import plan_markers, target_line

    target_line(ax, entry)

    plan_markers(ax, lang=lang, small=True)
    name = (entry["name_en"] if lang == "en" else entry["name_zh"]) if entry is not None else indicator_id
    if lang == "en":
        unit_en = UNITS_EN.get(unit, unit).strip()
        ax.set_title(f"{indicator_id} {name}" + (f" ({unit_en})" if unit_en else "")
                     + ("" if fan else "\njudged in cases: no interval drawn"), fontsize=8)
    else:
        ax.set_title(f"{indicator_id} {name}" + (f"（{unit}）" if unit else "")
                     + ("" if fan else "\n按例数判断，不画预测区间"), fontsize=8)
    if not fan:  # the same time axis as the panels beside it, to the plan's final year
        from analysis import config

        ax.set_xlim(right=config.plan().final_year + 0.5)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=4))
    ax.tick_params(labelsize=7)
    return ax


def chart_rows(scorecard: pd.DataFrame, plan: str, field: int) -> pd.DataFrame:
    """The headline rows of a field's quantitative targets that have data: what the small charts show."""
    sc = scorecard
    return sc[sc["is_headline"] & (sc["plan"] == plan) & (sc["field"] == field)
              & sc["target_kind"].isin(kinds.MEASURED_KINDS) & sc["latest_value"].notna()
              & (sc["area"] == "district")]


def small_multiples(scorecard: pd.DataFrame, plan: str, field: int, observations: pd.DataFrame,
                    projections: pd.DataFrame, cat: Catalog, ncols: int = 4, lang: str = "zh"):
    """A grid of :func:`small_trend_chart` for one field (None when no target of it has data),
    with one legend under the grid; a target without a series of its own (a gap) gets no panel."""
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    rows = chart_rows(scorecard, plan, field)
    # a target judged on a derived value (an urban–rural gap of W1.2a) has no series of its own to draw:
    # its panel would be empty axes; it is shown with the gaps (八、性别差距与城乡差距)
    drawn = set(zip(observations["indicator_id"], observations["area"], observations["sex"], strict=True))
    rows = rows[[key in drawn for key in zip(rows["indicator_id"], rows["area"], rows["sex"], strict=True)]]
    if rows.empty:
        return None
    n = len(rows)
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.4 * ncols, 2.6 * nrows + 0.5), squeeze=False)
    counts = rows["counts_zh"].fillna("").astype(str) if "counts_zh" in rows else pd.Series("", index=rows.index)
    for ax, r, by_cases in zip(axes.flat, rows.itertuples(index=False), counts != "", strict=False):
        small_trend_chart(r.indicator_id, r.area, r.sex, observations, projections, cat, ax=ax, lang=lang,
                          fan=not by_cases)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    zh = lang == "zh"
    handles = [Line2D([], [], marker="o", ls="", color="#222222", label="观测值" if zh else "observed"),
               Patch(color="#4C72B0", alpha=0.35, label="80%预测区间" if zh else "80% interval"),
               Patch(color="#4C72B0", alpha=0.18, label="95%预测区间" if zh else "95% interval"),
               Line2D([], [], ls=":", color="#C44E52", label="目标" if zh else "target"),
               Line2D([], [], color="#DD8452", label="全国" if zh else "China"),
               Line2D([], [], ls=(0, (2, 2)), color="#777777", label="基期、中期" if zh else "baseline, mid-term")]
    fig.legend(handles=handles, loc="lower center", ncol=6, frameon=False, fontsize=8)
    fig.tight_layout(rect=(0, 0.06 if nrows == 1 else 0.03, 1, 1))
    return fig


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


def paged_ids(scorecard: pd.DataFrame) -> list[str]:
    """The indicators the run file gives a page (``per_indicator: indicators``: a list of ids,
    ``warned`` or ``monitored``), so the report links only to pages that exist: the run file of the
    run executing the page (``plan-monitor run --params``), else the profile's ``run.yaml``; none
    when the run file builds no indicator pages."""
    import os

    from analysis import config

    spec = config.load_run_params(os.environ.get(config.RUN_FILE_ENV) or config.DEFAULT_RUN_PARAMS).per_indicator
    return page_ids(scorecard, spec.get("indicators", "warned")) if spec else []


def field_table(result, cat: Catalog, plan: str, field: int, projections: pd.DataFrame | None = None,
                lang: str = "zh", links: bool = True) -> pd.DataFrame:
    """A field's targets (headline rows): 编号, 指标, 基期(基期年), 最近值, 目标, 状态, 说明 (the
    sentence; for a qualitative target its leading unit's self-evaluation, :func:`selfeval.statement`),
    and 详情 — a link to the indicator page when the run gives the target one (:func:`paged_ids`)."""
    _check_lang(lang)
    sc = result.scorecard
    rows = sc[sc["is_headline"] & (sc["plan"] == plan) & (sc["field"] == field)]
    paged = set(paged_ids(sc))
    obs = result.observations
    zh = lang == "zh"
    # a qualitative target is said in its leading unit's self-evaluation (据成员单位自评), not scored
    evaluated = selfeval.qualitative_rows(result, cat).set_index("indicator_id")
    out = []
    for _, r in rows.iterrows():
        unit = _unit(r) if zh else UNITS_EN.get(_unit(r), _unit(r))
        latest = (f"{with_unit(r['latest_value'], unit)}（{int(r['latest_year'])}年）" if zh else
                  f"{with_unit(r['latest_value'], unit)} ({int(r['latest_year'])})") \
            if pd.notna(r["latest_value"]) and pd.notna(r["latest_year"]) else "—"
        name = r["name_zh"] if zh else str(cat.indicators.loc[r["indicator_id"], "name_en"]) \
            if r["indicator_id"] in cat.indicators.index else r["name_zh"]
        link = (f'<a href="{indicator_page(r["indicator_id"])}">{"指标页" if zh else "page"}</a>'
                if links and r["indicator_id"] in paged else "")
        baseline = with_unit(r["baseline_value"], unit) if pd.notna(r["baseline_value"]) else "—"
        if str(r.get("target_kind")) == "direction" and str(r.get("counts_zh") or ""):
            # a gap between two handfuls of events: its single-year values are not published (gaps page)
            latest = baseline = "计数过少，不公布" if zh else "too few events to publish"
        out.append({"编号": r["indicator_id"], "指标": name, plan_words("基期({baseline})"): baseline,
                    "最近值": latest, "目标": (r["target_text"] if isinstance(r["target_text"], str) else "—") if zh
                    else target_en(r),
                    "状态": status_label(r["status"], result.settings, result.mode, lang),
                    "说明": selfeval.statement(evaluated.loc[r["indicator_id"]], lang)
                    if r["indicator_id"] in evaluated.index else
                    indicator_sentence(r, obs, projections, cat, lang, result.settings), "详情": link})
    columns = {plan_words(k): plan_words(v) for k, v in COLUMNS_EN.items()}
    table = pd.DataFrame(out, columns=list(columns))
    return table if zh else table.rename(columns=columns)


def target_en(row: pd.Series) -> str:
    """The target column of the English field table: the target in words and its year."""
    if not isinstance(row.get("target_text"), str):
        return "—"
    words = target_words_en(row)
    year = re.search(r"（(\d{4})年）$", row["target_text"])
    return f"{words} ({year.group(1)})" if year else words
