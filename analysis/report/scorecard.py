"""The scorecard page: headline in words, tables by plan and field, warnings, pace, schedule, status
colours and the status chart.
"""

from __future__ import annotations

import dataclasses
import logging

import numpy as np
import pandas as pd

from analysis.catalog import Catalog, plan_order
from analysis.report import selfeval
from analysis.report.labels import SEX_EN, SEX_LABELS, WARNINGS_EN, area_en, area_label, status_en
from analysis.report.numbers import fmt, pct
from analysis.report.sentences import probability_number
from analysis.report.tables import table as page_table
from analysis.scorecard.assess import Assessment
from analysis.scorecard.settings import LEVEL_STATUSES, SCORED_KINDS, STATUSES, AssessmentSettings

log = logging.getLogger(__name__)


def headline_text(result: Assessment, lang: str = "zh") -> str:
    """The headline in the words of an official report (Markdown), the denominator stated;
    ``lang="en"``: in English."""
    if lang == "en":
        return _headline_text_en(result)
    h, st = result.headline, result.settings
    c = h["counts"]
    scope = "可监测的" if st.headline_count == "monitorable" else ""
    mode_words = {"annual": f"{h['year']}年度监测", "midterm": f"中期评估（{h['year']}年）",
                  "final": f"终期评估（{h['year']}年）"}[h["mode"]]
    if h["mode"] == "final":
        parts = [f"{st.label('achieved', 'final')}{c['achieved']}项",
                 f"{st.label('off_track', 'final')}{c['off_track']}项"]
    else:
        parts = [f"{st.label(s)}{c[s]}项" for s in ("achieved", "on_track", "at_risk", "off_track")]
        if h.get("broken"):
            parts[-1] += f"（其中{h['broken']}项{st.broken_label}）"
    parts.append(f"{st.label('insufficient_data')}{c['insufficient_data']}项")
    denom_words = (f"以有数据可判断的{h['denominator']}项为分母" if st.headline_denominator == "assessable"
                   else f"以全部{h['n']}项为分母")
    lines = [f"**{mode_words}**：在{scope}{h['n']}项有目标值的指标中，" + "、".join(parts) + "。",
             f"达标率（已实现÷分母）为 **{pct(h['rate'])}**（{denom_words}）"
             + ("" if h["mode"] == "final" else f"；连同有望实现的，预计达标率为 {pct(h['expected_rate'])}") + "。"]
    d = h["direction"]
    lines.append(f"方向性目标{h['n_direction']}项：{st.label('improving')}{d['improving']}项、"
                 f"{st.label('no_clear_change')}{d['no_clear_change']}项、{st.label('worsening')}{d['worsening']}项、"
                 f"{st.label('insufficient_data')}{d['insufficient_data']}项"
                 + (f"；另有{h['not_counted']}项有目标值但不可常规监测，未计入上述{h['n']}项"
                    if h["not_counted"] else "") + "。")
    lines.append(f"{selfeval.headline_words(h)}。合计{h['n_targets']}项目标。")
    if h["mode"] == "midterm" and h["schedule"]:
        sch = h["schedule"]
        lines.append(f"与“{st.baseline_year}年基期值到{st.final_year}年目标值”的直线进度相比（时间过半、任务过半）：超前{sch['ahead']}项、"
                     f"滞后{sch['behind']}项，基期已达标且保持{sch['met']}项；"
                     f"其余{h['n'] - sum(sch.values())}项缺少基期值或数据（逐项见下文进度比较）。")
    if h["basic"]:
        lines.append(f"注：本次评估启用了“基本实现”口径——距目标不超过目标值的{100 * h['basic_share']:.0f}%的视为达标"
                     f"（标为“{st.basic_label}”）。")
    if h["mode"] != "final":
        lines.append("达标概率来自预测模型的模拟路径（不是单一的点预测）；“已实现”指最近一年已达标且预计能保持。")
    return "\n\n".join(lines)


def _headline_text_en(result: Assessment) -> str:
    h, st = result.headline, result.settings
    c = h["counts"]
    scope = "monitorable " if st.headline_count == "monitorable" else ""
    mode_words = {"annual": f"Annual monitoring, {h['year']}", "midterm": f"Mid-term evaluation, {h['year']}",
                  "final": f"Final evaluation, {h['year']}"}[h["mode"]]
    codes = (("achieved", "off_track") if h["mode"] == "final"
             else ("achieved", "on_track", "at_risk", "off_track")) + ("insufficient_data",)
    parts = [f"{status_en(s, h['mode']).lower()} {c[s]}" for s in codes]
    denom_words = (f"denominator: the {h['denominator']} targets with data to judge"
                   if st.headline_denominator == "assessable" else f"denominator: all {h['n']} targets")
    lines = [f"**{mode_words}**: of the {h['n']} {scope}targets with a target value, " + ", ".join(parts) + ".",
             f"Achievement rate (achieved ÷ denominator): **{pct(h['rate'])}** ({denom_words})"
             + ("" if h["mode"] == "final" else
                f"; with those on track, the expected achievement rate is {pct(h['expected_rate'])}") + "."]
    d = h["direction"]
    lines.append(f"Direction targets ({h['n_direction']}): improving {d['improving']}, no clear change "
                 f"{d['no_clear_change']}, worsening {d['worsening']}, insufficient data {d['insufficient_data']}"
                 + (f"; {h['not_counted']} more targets with a value cannot be monitored routinely and are not "
                    f"among the {h['n']}" if h["not_counted"] else "") + ".")
    lines.append(f"{selfeval.headline_words(h, 'en')}. {h['n_targets']} targets in all.")
    if h["mode"] == "midterm" and h["schedule"]:
        sch = h["schedule"]
        lines.append(f"Against the straight path from the 2020 baseline to the 2030 target (half the time, half the "
                     f"task): ahead {sch['ahead']}, behind {sch['behind']}, met at baseline and kept {sch['met']}; "
                     f"the other {h['n'] - sum(sch.values())} lack a baseline value or data.")
    if h["basic"]:
        lines.append(f"Note: this evaluation counts a target within {100 * h['basic_share']:.0f}% of its value as met "
                     "(basically achieved).")
    if h["mode"] != "final":
        lines.append("The probabilities come from the projection model's simulated paths (not a single point "
                     "forecast); 'achieved' means met in the latest year and expected to stay met.")
    return "\n\n".join(lines)


def headline_table(result: Assessment, lang: str = "zh") -> pd.DataFrame:
    """The headline counts as a small table (Chinese; ``lang="en"``: English)."""
    h, st = result.headline, result.settings
    if lang == "en":
        statuses = ("achieved", "off_track", "insufficient_data") if h["mode"] == "final" else LEVEL_STATUSES
        rows = [{"Group": f"Targets with a value ({h['n']})", "Status": status_en(s, h["mode"]),
                 "Number": h["counts"][s]} for s in statuses]
        rows += [{"Group": f"Direction targets ({h['n_direction']})", "Status": status_en(s), "Number": n}
                 for s, n in h["direction"].items()]
        rows += selfeval.headline_rows(h, "en")
        if h["not_counted"]:
            rows.append({"Group": "Targets not monitored routinely", "Status": "Not counted",
                         "Number": h["not_counted"]})
        return pd.DataFrame(rows)
    statuses = ("achieved", "off_track", "insufficient_data") if h["mode"] == "final" else LEVEL_STATUSES
    rows = [{"类别": f"有目标值的指标（{h['n']}项）", "状态": st.label(s, h["mode"]), "项数": h["counts"][s]}
            for s in statuses]
    rows += [{"类别": f"方向性目标（{h['n_direction']}项）", "状态": st.label(s), "项数": n}
             for s, n in h["direction"].items()]
    rows += selfeval.headline_rows(h)
    if h["not_counted"]:
        rows.append({"类别": "不可常规监测的数值目标", "状态": "未计入", "项数": h["not_counted"]})
    return pd.DataFrame(rows)


def _area_words(area: str, sex: str) -> str:
    a = area_label(area)
    return a if sex == "total" else f"{a}·{SEX_LABELS.get(sex, sex)}"


def scorecard_table(result: Assessment, cat: Catalog, plan: str | None = None, headline_only: bool = True,
                    qualitative: bool = False) -> pd.DataFrame:
    """The scorecard for the report (Chinese headers), one plan (``W``/``C``) or both: field, id,
    indicator, area/group, target, latest value, projection for the target year with its 80 %
    interval, P(meet) (for a direction target P(the asked way)), status, notes, warnings.
    ``headline_only``: the district total rows; False: the breakdown rows (sex, urban/rural, towns).
    Qualitative targets only with ``qualitative`` (the report lists them apart)."""
    sc = result.scorecard
    keep = (sc["is_headline"] == headline_only) & (qualitative | (sc["status"] != "qualitative"))
    sc = sc[keep & ((sc["plan"] == plan) if plan else True)]
    fields = cat.fields or {}
    unit = sc["unit"].fillna("")
    counts = sc["counts_zh"].fillna("") if "counts_zh" in sc else pd.Series("", index=sc.index)
    # a gap between two handfuls of events: its single-year value is not published (gaps page)
    hidden = (sc["target_kind"] == "direction") & (counts != "")
    latest = ["计数过少，不公布" if h else f"{fmt(v, u)}（{int(y)}年）" if pd.notna(y) else "—"
              for v, u, y, h in zip(sc["latest_value"], unit, sc["latest_year"], hidden, strict=True)]
    # a value that can take only a few values is not given as a rate's interval (见说明: in events)
    proj = ["按例数判断（见说明）" if c else f"{fmt(m)}（{fmt(lo)}—{fmt(hi)}）" if pd.notna(m) else "—"
            for m, lo, hi, c in zip(sc["projection_2030"], sc["lo80"], sc["hi80"], counts, strict=True)]
    notes = [_row_note(r) for _, r in sc.iterrows()]
    return pd.DataFrame({
        "领域": [fields.get(f"{p}{f}", {}).get("zh", f"{p}{f}") for p, f in zip(sc["plan"], sc["field"], strict=True)],
        "编号": sc["indicator_id"], "指标": sc["name_zh"],
        "地区/分组": [_area_words(a, s) for a, s in zip(sc["area"], sc["sex"], strict=True)],
        "目标": sc["target_text"], "最近值": latest, "目标年份预测（80%区间）": proj,
        "达标（向好）概率": [probability_number(p, "zh", result.settings) for p in sc["p_meet"]],
        "状态": sc["status_zh"],
        "说明": notes, "预警": sc["warnings"],
    }).reset_index(drop=True)


def _row_note(r: pd.Series) -> str:
    """The 说明 of a scorecard row: the row's counts (a value that can take only a few values, with
    the probability of what it is of) before its reason."""
    counts, p_of, reason = str(r.get("counts_zh") or ""), str(r.get("p_of_zh") or ""), str(r.get("reason_zh") or "")
    if not counts or "计数过少" in reason:  # nothing to add, or the reason says it already (a gap's judgement)
        return reason
    parts = [counts]
    if p_of and pd.notna(r.get("p_meet")):
        parts.append(f"{p_of}的概率{probability_number(r['p_meet'])}")
    return "；".join(p for p in [*parts, reason] if p)


def status_colours(settings: AssessmentSettings) -> dict[str, str]:
    """Every status word a table may carry → its colour (``params/assessment.yaml``).

    The words of every mode (the final evaluation's plainer ones included), the 基本实现 word and
    the English labels: one table, so that a status has the same colour on every page.
    """
    out: dict[str, str] = {}
    for code, colour in settings.colours.items():
        for mode in ("annual", "final"):
            if code in settings.labels:
                out[settings.label(code, mode)] = colour
            out[status_en(code, mode)] = colour
    out[settings.basic_label] = settings.colours["achieved"]
    return out


def styled(table: pd.DataFrame, result: Assessment, column: str | None = None):
    """The table as a pandas Styler: the status cell in its colour (the word stays), index hidden,
    left-aligned, text escaped (:func:`analysis.report.tables.table`), the suite's links live.
    ``column`` defaults to 状态 (or Status in an English table)."""
    column = column or ("状态" if "状态" in table.columns else "Status")
    colours = status_colours(result.settings)
    styler = page_table(table).set_properties(**{"text-align": "left"}).set_table_styles(
        [{"selector": "th", "props": [("text-align", "left")]}])
    if column in table.columns and len(table):
        styler = styler.map(lambda v: f"background-color: {colours[v]}" if v in colours else "", subset=[column])
        styler = styler.set_properties(subset=[column], **{"white-space": "nowrap"})
    return styler


def status_by_field(result: Assessment, cat: Catalog, lang: str = "zh") -> pd.DataFrame:
    """Headline rows counted by plan field and status (one column per status label, in order)."""
    st = result.settings
    if lang == "en":
        st = dataclasses.replace(st, labels={s: status_en(s) for s in st.labels},
                                 final_labels={s: status_en(s, "final") for s in st.final_labels})
    sc = result.scorecard[result.scorecard["is_headline"]]
    labels = [st.label(s, result.mode) for s in STATUSES]
    labels = list(dict.fromkeys(labels))
    order = list(dict.fromkeys(sc["plan"] + sc["field"].astype(str)))
    fields = cat.fields or {}
    table = pd.crosstab(sc["plan"] + sc["field"].astype(str), sc["status"].map(
        lambda s: st.label(s, result.mode))).reindex(index=order, columns=labels, fill_value=0)
    table = table.loc[:, table.sum() > 0]
    table.insert(0, "领域" if lang == "zh" else "Field",
                 [f"{k} {fields.get(k, {}).get(lang, k)}" for k in table.index])
    return table.reset_index(drop=True)


def _warning_items(result: Assessment, lang: str) -> pd.DataFrame:
    """Every warning of every scorecard row, one row each: indicator, headline or not, the group,
    the warning's severity (params; an off-track 预计完成困难 one more), label and reason."""
    st = result.settings
    sc = result.scorecard
    items = []
    for r in sc[sc["warning_codes"] != ""].itertuples(index=False):
        for code, text in zip(r.warning_codes.split(";"), r.warnings.split("；"), strict=True):
            extra = 1 if code == "difficult" and r.status == "off_track" else 0
            if lang == "en":
                label, reason = WARNINGS_EN.get(code, (code, ""))
                area = area_en(r.area)
                group = area if r.sex == "total" else f"{area}, {SEX_EN.get(r.sex, r.sex)}"
            else:
                label, reason, group = st.warnings[code]["label"], text.split("：", 1)[1], _area_words(r.area, r.sex)
            items.append({"indicator_id": r.indicator_id, "headline": bool(r.is_headline), "group": group,
                          "severity": int(st.warnings[code]["severity"]) + extra, "label": label, "reason": reason})
    return pd.DataFrame(items)


def warning_table(result: Assessment, lang: str = "zh", cat: Catalog | None = None) -> pd.DataFrame:
    """The early-warning list an expert reads on one page: one row per indicator with a warning.

    The district-level (headline) warnings come first, most severe first, then plan order; the
    warnings of an indicator's breakdown rows (female/male, urban/rural, towns) are folded into
    its row (分组预警) instead of filling rows of their own; an indicator warned only in a
    breakdown follows the district-level ones. Severity is explained by :func:`severity_scale`.
    ``lang="en"``: English headers and labels, names from ``cat``.
    """
    en = lang == "en"
    items = _warning_items(result, lang)
    if items.empty:
        return pd.DataFrame({"Note": ["No warnings"]} if en else {"说明": ["没有预警"]})
    sc = result.scorecard
    heads = sc[sc["is_headline"]].set_index("indicator_id")
    names = cat.indicators["name_en"] if en and cat is not None else None
    comma, semi, colon = (", ", "; ", ": ") if en else ("、", "；", "：")
    rows = []
    for ind, group in items.groupby("indicator_id", sort=False):
        top = group[group["headline"]].sort_values("severity", ascending=False, kind="stable")
        sub = group[~group["headline"]]
        folded = semi.join(f"{g}{colon}{comma.join(dict.fromkeys(part['label']))}"
                           for g, part in sub.groupby("group", sort=False))
        head = heads.loc[ind]
        status = status_en(head["status"], result.mode) if en else head["status_zh"]
        name = str(names.get(ind, head["name_zh"])) if names is not None else head["name_zh"]
        rows.append({
            "_district": 0 if len(top) else 1, "_order": plan_order(ind),
            "severity": int((top if len(top) else sub)["severity"].max()), "id": ind, "name": name, "status": status,
            "warning": comma.join(dict.fromkeys(top["label"])) if len(top) else "—",
            "reason": semi.join(dict.fromkeys(top["reason"])) if len(top) else "—",
            "groups": folded or "—"})
    table = pd.DataFrame(rows).sort_values(["_district", "severity", "_order"], ascending=[True, False, True],
                                           kind="stable").drop(columns=["_district", "_order"])
    headers = (["Severity", "ID", "Indicator", "Status", "Warning", "Reason", "Warnings by group"] if en else
               ["严重程度", "编号", "指标", "状态", "预警", "原因", "分组预警"])
    table.columns = headers
    return table.reset_index(drop=True)


def severity_scale(settings: AssessmentSettings, lang: str = "zh") -> str:
    """The severity scale of the warning list in words, from ``params/assessment.yaml``: which
    warning carries which degree (higher is more serious), and the extra degree of an off-track
    target's 预计完成困难."""
    by = {}
    for code, spec in settings.warnings.items():
        label = spec["label"] if lang != "en" else WARNINGS_EN.get(code, (code, ""))[0]
        by.setdefault(int(spec["severity"]), []).append(label)
    top = int(settings.warnings["difficult"]["severity"]) + 1
    levels = sorted(by.items(), reverse=True)
    difficult = settings.warnings["difficult"]["label"] if lang != "en" else WARNINGS_EN["difficult"][0]
    if lang == "en":
        parts = [f"{top}: {difficult} and off track"] + [f"{k}: {', '.join(v)}" for k, v in levels]
        return ("Severity (higher is more serious): " + "; ".join(parts) + ". District-level warnings come first; "
                "warnings of the breakdowns (sex, urban/rural, towns) are folded into the indicator's row.")
    parts = [f"{top}级：{difficult}且难以实现"] + [f"{k}级：{'、'.join(v)}" for k, v in levels]
    return ("严重程度（数字越大越严重）：" + "；".join(parts) + "。区级预警列在前面；分性别、分城乡、分镇（街道）"
            "的预警并入该指标一行（分组预警）。")


def pace_table(result: Assessment) -> pd.DataFrame:
    """Observed vs required annual change (model scale), the ratio and the year reached, for
    the headline rows of targets with a value."""
    sc = result.scorecard
    sc = sc[sc["is_headline"] & sc["target_kind"].isin(SCORED_KINDS) & sc["observed_annual_change"].notna()]
    scale_words = {"logit": "logit", "log": "对数", "linear": "原单位", "linear (gap)": "原单位"}

    def num(v, d=3):
        return f"{v:+.{d}f}" if pd.notna(v) else "—"

    return pd.DataFrame({
        "编号": sc["indicator_id"], "指标": sc["name_zh"], "尺度": sc["pace_scale"].map(scale_words),
        "实际年均变化（80%区间）": [f"{num(v)}（{num(lo)}至{num(hi)}）" if pd.notna(lo) else num(v)
                            for v, lo, hi in zip(sc["observed_annual_change"], sc["observed_change_lo"],
                                                 sc["observed_change_hi"], strict=True)],
        "所需年均变化": [num(v) for v in sc["required_annual_change"]],
        "进度比（80%区间）": [f"{r:.2f}（{lo:.2f}至{hi:.2f}）" if pd.notna(r) and pd.notna(lo) else
                       (f"{r:.2f}" if pd.notna(r) else "—")
                       for r, lo, hi in zip(sc["pace_ratio"], sc["pace_ratio_lo"], sc["pace_ratio_hi"], strict=True)],
        "进度判断": sc["pace_zh"], "预计达标年份": sc["year_reached_text"], "状态": sc["status_zh"],
    }).reset_index(drop=True)


def schedule_table(result: Assessment) -> pd.DataFrame:
    """The comparison with the straight path from the 2020 baseline to the target (时间过半、任务过半):
    the value in the evaluation year against the straight path's value then."""
    sc = result.scorecard
    sc = sc[sc["is_headline"] & (sc["schedule"] != "")]
    if sc.empty:
        return pd.DataFrame({"说明": ["没有可比较的目标（需要基期数值和目标值）"]})
    unit = sc["unit"].fillna("")
    return pd.DataFrame({
        "编号": sc["indicator_id"], "指标": sc["name_zh"], "目标": sc["target_text"],
        "基期值": [fmt(v, u) for v, u in zip(sc["baseline_value"], unit, strict=True)],
        f"{result.year}年数值": [fmt(v, u) for v, u in zip(sc["value_at_year"], unit, strict=True)],
        f"{result.year}年直线进度值": [fmt(v, u) for v, u in zip(sc["expected_value"], unit, strict=True)],
        "进度": sc["schedule_zh"], "状态": sc["status_zh"],
    }).reset_index(drop=True)


def insufficient_table(result: Assessment) -> pd.DataFrame:
    """Targets (headline rows) with too little data to judge, each with the reason."""
    sc = result.scorecard
    sc = sc[sc["is_headline"] & (sc["status"] == "insufficient_data")]
    if sc.empty:
        return pd.DataFrame({"说明": ["所有目标均有足够数据"]})
    return pd.DataFrame({"编号": sc["indicator_id"], "指标": sc["name_zh"], "目标": sc["target_text"],
                         "可常规监测": sc["monitorable"].map({True: "是", False: "否"}),
                         "原因": sc["reason_zh"]}).reset_index(drop=True)


def status_chart(result: Assessment, cat: Catalog, lang: str = "zh"):
    """Horizontal stacked bars: per plan field, the targets by status, each status in its colour; the
    qualitative targets by their units' self-evaluation (自评：已实现 …), hatched, in the colour of the
    status params/selfeval.yaml likens each conclusion to — a unit's word, never a verdict."""
    import matplotlib.pyplot as plt

    from analysis.report import selfeval

    table = status_by_field(result, cat, lang)
    qualitative = result.settings.label("qualitative", result.mode) if lang == "zh" else status_en("qualitative")
    table = table.drop(columns=[qualitative], errors="ignore")
    q = selfeval.qualitative_rows(result, cat)
    settings = selfeval._settings()
    codes = [*settings.codes, selfeval.NOT_REPORTED]
    if len(q):
        keys = q["plan"] + q["field"].astype(str)
        names = table.iloc[:, 0].str.split(" ").str[0]
        for code in codes:
            counts = keys[q["conclusion"] == code].value_counts()
            if counts.sum():
                table[selfeval.self_assessed(code, lang)] = names.map(counts).fillna(0).astype(int).to_numpy()
    colours = status_colours(result.settings)
    hatched = {selfeval.self_assessed(c, lang): result.settings.colours[settings.like(c)] for c in codes}
    fig, ax = plt.subplots(figsize=(9, 0.38 * max(len(table), 2) + 2.2))
    labels = list(table.iloc[:, 0])[::-1]
    left = np.zeros(len(table))
    for col in table.columns[1:]:
        values = table[col].to_numpy(float)[::-1]
        if col in hatched:
            ax.barh(labels, values, left=left, color=hatched[col], edgecolor="white", hatch="///", alpha=0.55,
                    label=col)
        else:
            ax.barh(labels, values, left=left, color=colours.get(col, "#999999"), edgecolor="white", label=col)
        left += values
    if lang == "en":
        mode_en = {"annual": "annual monitoring", "midterm": "mid-term evaluation", "final": "final evaluation"}
        ax.set_title(f"Targets by field and status ({mode_en[result.mode]}, {result.year}; hatched: qualitative "
                     "targets, as their units self-assessed them)")
        ax.set_xlabel("Targets")
    else:
        ax.set_title(f"各领域目标的评估状态（{_mode_words(result)}；斜线为定性目标，据成员单位自评）")
        ax.set_xlabel("目标数")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.06 - 0.6 / (len(table) + 4)), ncol=5, frameon=False)
    fig.tight_layout()
    return fig


def _mode_words(result: Assessment) -> str:
    return {"annual": f"{result.year}年度监测", "midterm": f"中期评估，{result.year}年",
            "final": f"终期评估，{result.year}年"}[result.mode]
