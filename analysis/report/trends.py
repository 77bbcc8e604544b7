"""The trends pages: series overviews, back-test tables, the model card, fan and series charts."""

from __future__ import annotations

import json
import logging

import numpy as np
import pandas as pd

from analysis.catalog import Catalog
from analysis.report.labels import (
    CANDIDATE_LABELS,
    FAMILY_LABELS,
    SEX_LABELS,
    area_label,
    area_name,
    engine_reason_zh,
)
from analysis.report.numbers import pct
from analysis.trends.base import COMPARATOR_AREA, ProjectionSettings

log = logging.getLogger(__name__)


def _label(name: str) -> str:
    return CANDIDATE_LABELS.get(name, name)


def _three_figures(v: float) -> str:
    """A score to about three significant figures, never in exponent notation (1040, 0.579, 0.00012)."""
    if abs(v) >= 100:
        return f"{v:.0f}"
    return f"{v:.3g}" if abs(v) >= 0.001 else f"{v:.6f}".rstrip("0").rstrip(".")


def _score(v) -> str:
    """A back-test score for a table: three significant figures, "—" when there is none."""
    return "—" if v is None or not np.isfinite(v) else _three_figures(float(v))


def choice_reason_zh(row: pd.Series, settings: ProjectionSettings | None = None) -> str:
    """Why the engine chose a series' model, in Chinese, from the record's fields (the candidates'
    back-test scores, the number of points, the widening in ``params``) — not a translation of
    the engine's English ``why``. ``settings`` default to ``params/projection.yaml``."""
    settings = settings or ProjectionSettings.from_params()
    if not row["projectable"]:
        return ""
    chosen, default = _label(row["chosen"]), _label(settings.default_model)
    if str(row["why"]).startswith("forced"):
        return f"按设置统一采用{chosen}模型"
    widen = float(json.loads(row["params"] or "{}").get("widen", 1.0))
    cands = json.loads(row["candidates"] or "[]")
    if not cands:
        text = (f"观测值{int(row['n_points'])}个，少于回测所需的{settings.min_backtest_points}个，"
                f"采用默认的{default}模型")
        return text + (f"，预测区间放宽为{widen:g}倍" if widen > 1 else "")
    scores = "、".join(f"{_label(c['name'])} {_three_figures(c['wis'])}" for c in sorted(cands, key=lambda c: c["wis"]))
    base = next((c for c in cands if c["name"] == settings.default_model), None)
    bias = float("nan") if base is None or base.get("bias") is None else float(base["bias"])
    where = (f"{default}模型在{int(base['n_forecasts'])}次回测预测（{int(base['n_origins'])}个起点）中的平均标准化误差"
             f"为{bias:+.2f}" if base is not None else f"{default}模型无回测结果")
    if row["chosen"] == settings.default_model:
        text = f"{where}，未超过±{settings.bias_threshold:g}，沿用{default}模型（加权区间得分：{scores}）"
    else:
        text = (f"{where}，超过±{settings.bias_threshold:g}，说明其偏离序列走势；改用加权区间得分最低的{chosen}模型"
                f"（得分：{scores}）")
    return text + (f"；预测区间按回测校准放宽为{widen:.2f}倍" if widen > 1 else "")


def run_summary(models: pd.DataFrame) -> str:
    """The run in one paragraph (Chinese): series projected, by family and model, defaults, not projected."""
    settings = ProjectionSettings.from_params()
    done = models[models["projectable"]]
    fams = "、".join(f"{FAMILY_LABELS.get(f, f)} {n} 个" for f, n in done["family"].value_counts().items())
    chosen = "、".join(f"{_label(c)} {n} 个" for c, n in done["chosen"].value_counts().items())
    default = int(done["why"].str.startswith("default").sum())
    shrunk = int((done["shrinkage_weight"] > 0).sum())
    return (f"共 {len(models)} 个序列（指标 × 地区 × 性别）：预测 {len(done)} 个，不预测 {len(models) - len(done)} 个"
            f"（原因见文末）。模型族：{fams or '—'}。选用模型：{chosen or '—'}；其中 {default} 个序列观测值少于 "
            f"{settings.min_backtest_points} 个，无法回测，采用默认的{_label(settings.default_model)}模型（计数序列以外"
            f"放宽区间）；{shrunk} 个序列的趋势向全国趋势收缩。")


def projection_table(projections: pd.DataFrame, indicator_id: str, area: str, sex: str) -> pd.DataFrame:
    """One series' fitted and projected values with their intervals (Chinese headers)."""
    rows = projections[(projections["indicator_id"] == indicator_id) & (projections["area"] == area)
                       & (projections["sex"] == sex)]
    if rows.empty:
        return pd.DataFrame({"说明": ["该序列没有预测值"]})
    return pd.DataFrame({
        "年份": rows["year"], "类型": np.where(rows["is_projection"], "预测", "拟合"), "均值": rows["mean"].round(2),
        "80%区间下限": rows["lo80"].round(2), "80%区间上限": rows["hi80"].round(2),
        "95%区间下限": rows["lo95"].round(2), "95%区间上限": rows["hi95"].round(2),
    }).reset_index(drop=True)


def not_projected(models: pd.DataFrame) -> pd.DataFrame:
    """The series that were not projected, each with the reason (never dropped silently)."""
    rows = models[~models["projectable"]]
    if rows.empty:
        return pd.DataFrame({"说明": ["所有序列均已预测"]})
    return pd.DataFrame({"指标": rows["indicator_id"], "地区": rows["area"].map(area_label),
                         "性别": rows["sex"].map(lambda s: SEX_LABELS.get(s, s)), "观测数": rows["n_points"],
                         "原因": rows["reason"].map(engine_reason_zh)}).reset_index(drop=True)


def series_overview(observations: pd.DataFrame, indicator_id: str) -> pd.DataFrame:
    """The indicator's values as a table: one row per area and sex (the first column, 序列), one
    column per year (a year without a value shows "—" through :func:`analysis.report.table`)."""
    sub = observations[observations["indicator_id"] == indicator_id]
    if sub.empty:
        return pd.DataFrame({"说明": [f"观测数据中没有指标 {indicator_id} 的数值"]})
    table = sub.pivot_table(index=["area", "sex"], columns="year", values="value", aggfunc="first")
    labels = [f"{area_label(a)}·{SEX_LABELS.get(s, s)}" for a, s in table.index]
    table.columns = [f"{int(c)}年" for c in table.columns]
    return table.reset_index(drop=True).astype(float).assign(序列=labels)[["序列", *table.columns]]


def backtest_table(models: pd.DataFrame, indicator_id: str, area: str, sex: str) -> pd.DataFrame:
    """Each candidate's back-test scores for one series, in Chinese, the chosen one marked."""
    hit = models[(models["indicator_id"] == indicator_id) & (models["area"] == area) & (models["sex"] == sex)]
    if hit.empty:
        return pd.DataFrame({"说明": [f"没有序列 {indicator_id}/{area_label(area)}/{SEX_LABELS.get(sex, sex)}"]})
    row = hit.iloc[0]
    cands = json.loads(row["candidates"])
    if not cands:
        text = engine_reason_zh(row["reason"]) if row["reason"] else choice_reason_zh(row)
        return pd.DataFrame({"说明": [f"未做回测：{text}"]})
    return pd.DataFrame([{
        "候选模型": CANDIDATE_LABELS.get(c["name"], c["name"]), "回测预测数": c["n_forecasts"],
        "平均绝对误差": _score(c["mae"]), "80%区间覆盖率": pct(c["cover80"]), "95%区间覆盖率": pct(c["cover95"]),
        "80%区间平均宽度": _score(c["width80"]), "加权区间得分": _score(c["wis"]),
        "选中": "✔" if c["name"] == row["chosen"] else "",
    } for c in cands])


def model_card(models: pd.DataFrame, indicator_id: str, area: str, sex: str) -> str:
    """One series' model record in words (Markdown, Chinese with the engine's English reasons)."""
    hit = models[(models["indicator_id"] == indicator_id) & (models["area"] == area) & (models["sex"] == sex)]
    name = f"{indicator_id}（{area_label(area)}，{SEX_LABELS.get(sex, sex)}）"
    if hit.empty:
        return f"**{name}**：观测数据中没有这一序列，无法预测。"
    row = hit.iloc[0]
    if not row["projectable"]:
        return f"**{name}**：不做预测。原因：{engine_reason_zh(row['reason'])}。"
    lines = [f"**{name}**：{row['n_points']} 个观测值（{row['first_year']}—{row['last_year']}年）。",
             f"- 模型族：{FAMILY_LABELS.get(row['family'], row['family'])}",
             f"- 选用模型：{CANDIDATE_LABELS.get(row['chosen'], row['chosen'])}",
             f"- 选择理由：{choice_reason_zh(row)}"]
    if row["comparator"]:
        lines.append(f"- 向全国趋势收缩：权重 {row['shrinkage_weight']:.2f}（本地斜率 {row['own_slope']:.4f}，"
                     f"全国斜率 {row['comparator_slope']:.4f}，采用 {row['slope']:.4f}；模型尺度上每年）")
    else:
        lines.append("- 向全国趋势收缩：未使用（无全国对比序列，或所选模型不是趋势模型）")
    if row["warnings"]:
        lines.append(f"- 提示：{engine_reason_zh(row['warnings'])}")
    return "\n".join(lines)


def models_overview(models: pd.DataFrame) -> pd.DataFrame:
    """Every series' chosen model in one table (Chinese headers)."""
    return pd.DataFrame({
        "指标": models["indicator_id"], "地区": models["area"].map(area_label),
        "性别": models["sex"].map(lambda s: SEX_LABELS.get(s, s)), "观测数": models["n_points"],
        "模型族": models["family"].map(lambda f: FAMILY_LABELS.get(f, f)),
        "选用模型": models["chosen"].map(lambda c: CANDIDATE_LABELS.get(c, c)),
        "收缩权重": models["shrinkage_weight"].round(2), "不预测原因": models["reason"].map(engine_reason_zh),
    })


def series_chart(observations: pd.DataFrame, indicator_id: str, catalog: Catalog):
    """The indicator's observed series, one panel per sex, one line per area (towns in grey)."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    sub = observations[observations["indicator_id"] == indicator_id]
    sexes = [s for s in ("total", "female", "male") if s in set(sub["sex"])] or ["total"]
    fig, axes = plt.subplots(1, len(sexes), figsize=(5.2 * len(sexes), 3.8), sharey=True, squeeze=False)
    entry = catalog.indicators.loc[indicator_id] if indicator_id in catalog.indicators.index else None
    unit = entry["unit"] if entry is not None and isinstance(entry["unit"], str) else ""
    for ax, sex in zip(axes[0], sexes, strict=True):
        for area, g in sub[sub["sex"] == sex].groupby("area"):
            g = g.sort_values("year")
            named = area_name(area) is not None
            ax.plot(g["year"], g["value"], marker="o" if named else None, lw=2 if named else 0.8,
                    color=None if named else "#bbbbbb", label=area_label(area) if named else None)
        ax.set_title(SEX_LABELS.get(sex, sex))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("年份")
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
    axes[0][0].set_ylabel(unit)
    title = entry["name_zh"] if entry is not None else indicator_id
    fig.suptitle(f"{indicator_id} {title}：分性别、分地区的观测值（灰线为各镇街）"
                 + ("" if len(sub) else "（暂无数据）"))
    fig.tight_layout()
    return fig


def fan_chart(projections: pd.DataFrame, observations: pd.DataFrame, indicator_id: str, area: str = "district",
              sex: str = "total", *, catalog: Catalog):
    """Observed values, fitted line and the projection to 2030 as a fan (80 % and 95 %
    intervals), with the 2030 target line and the national comparator."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    entry = catalog.indicators.loc[indicator_id] if indicator_id in catalog.indicators.index else None
    unit = entry["unit"] if entry is not None and isinstance(entry["unit"], str) else ""
    fig, ax = plt.subplots(figsize=(8, 4.6))
    key = (projections["indicator_id"] == indicator_id) & (projections["area"] == area) & (projections["sex"] == sex)
    proj = projections[key].sort_values("year")
    fut, fit = proj[proj["is_projection"]], proj[~proj["is_projection"]]
    if len(fut):
        last_fit = fit.tail(1)
        band = pd.concat([last_fit.assign(lo95=last_fit["mean"], hi95=last_fit["mean"], lo80=last_fit["mean"],
                                          hi80=last_fit["mean"]), fut])
        ax.fill_between(band["year"], band["lo95"], band["hi95"], color="#4C72B0", alpha=0.18, label="95%预测区间")
        ax.fill_between(band["year"], band["lo80"], band["hi80"], color="#4C72B0", alpha=0.35, label="80%预测区间")
        ax.plot(band["year"], band["mean"], color="#4C72B0", lw=2, label="预测值")
    if len(fit):
        ax.plot(fit["year"], fit["mean"], color="#4C72B0", lw=1, ls="--", label="拟合值")
    own = observations[(observations["indicator_id"] == indicator_id) & (observations["area"] == area)
                       & (observations["sex"] == sex)].sort_values("year")
    ax.plot(own["year"], own["value"], "o", color="#222222", label=f"{area_label(area)}观测值")
    comp = observations[(observations["indicator_id"] == indicator_id) & (observations["area"] == COMPARATOR_AREA)]
    comp = comp[comp["sex"] == (sex if sex in set(comp["sex"]) else "total")].sort_values("year")
    if len(comp) and area != COMPARATOR_AREA:
        cproj = projections[(projections["indicator_id"] == indicator_id) & (projections["area"] == COMPARATOR_AREA)
                            & (projections["sex"] == comp["sex"].iloc[0]) & projections["is_projection"]]
        from analysis.report.style import comparator_series

        comparator_series(ax, comp, cproj)
    from analysis.report.style import plan_markers, target_line

    if entry is not None and pd.notna(entry.get("value")):
        band = (f"±{entry['tolerance']:g}" if pd.notna(entry.get("tolerance")) and entry["tolerance"] > 0 else "")
        target_line(ax, entry, label=f"{int(entry['year'])}年目标 {entry['value']:g}{band}{unit}")

    plan_markers(ax)
    name = entry["name_zh"] if entry is not None else indicator_id
    note = "" if len(proj) else "（该序列没有预测：数据不足或暂无数据）"
    ax.set_title(f"{name}（{unit}）：{area_label(area)}，{SEX_LABELS.get(sex, sex)}{note}")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("年份")
    ax.set_ylabel(unit)
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    return fig
