"""The evaluation's own sections: 主要成效, 存在的主要问题 (drafted from the evidence), 对策建议 (the
expert group's text, merged from its input file).

The plans (四、监测评估) ask the evaluation to "总结经验做法，找出突出问题，预测发展趋势，提出对策建议".
The tool drafts the first two from the stage tables — every sentence names its targets and
numbers, nothing is said that the data do not show — and leaves the recommendations to people:
the 评估组 writes them in ``data/evaluation/对策建议.yaml`` (a copy of
``docs/templates/对策建议.yaml``: one paragraph or more per field, and one for the whole), and the
report shows a clearly marked place to write wherever the file is missing or a field is empty.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from analysis import config
from analysis.catalog import Catalog
from analysis.report import selfeval
from analysis.report.fields import target_en
from analysis.report.labels import UNITS_EN, status_en
from analysis.report.numbers import fmt, fmt_difference
from analysis.report.sentences import probability_number, probability_words
from analysis.scorecard.headline import counted_targets

log = logging.getLogger(__name__)

#: where the expert group's recommendations are read from (a copy of the template in docs/templates/)
RECOMMENDATIONS = config.PROFILE_HOME / "data" / "evaluation" / "对策建议.yaml"

#: the template the expert group copies and fills
RECOMMENDATIONS_TEMPLATE = config.PROJECT_ROOT / "docs" / "templates" / "对策建议.yaml"

#: the key of the recommendations that concern the plans as a whole
GENERAL = "总体"

#: what the report shows where the expert group has not written yet
PLACEHOLDER = "**【待评估组填写】** 在 `data/evaluation/对策建议.yaml` 中本领域之下填写对策建议，重新生成报告即可并入。"

PLACEHOLDER_EN = ("**[For the expert group to write]** Write the recommendations for this field in "
                  "`data/evaluation/对策建议.yaml` and build the report again.")

#: how many improvements 主要成效 names
TOP_IMPROVEMENTS = 5


class RecommendationsError(ValueError):
    """The recommendations file cannot be used: the message names the file and the problem (Chinese)."""


def _headline(result) -> pd.DataFrame:
    return result.scorecard[result.scorecard["is_headline"]]


def _field_name(cat: Catalog, key: str, lang: str = "zh") -> str:
    return f"{(cat.fields or {}).get(key, {}).get(lang, key)}"


def _names(rows: pd.DataFrame, cat: Catalog, lang: str) -> pd.Series:
    """The targets' names in ``lang`` (the catalog's English name for ``en``)."""
    return rows["name_zh"] if lang == "zh" else rows["indicator_id"].map(cat.indicators["name_en"])


def _by_field(rows: pd.DataFrame, cat: Catalog, lang: str = "zh") -> list[str]:
    """One line per plan field: the field's name and the targets' names (plan order)."""
    out = []
    rows = rows.assign(_name=_names(rows, cat, lang))
    for key, group in rows.groupby(rows["plan"] + rows["field"].astype(str), sort=False):
        names = ("、" if lang == "zh" else "; ").join(dict.fromkeys(group["_name"]))
        out.append(f"- {_field_name(cat, key, lang)}（{len(group)}项）：{names}" if lang == "zh"
                   else f"- {_field_name(cat, key, lang)} ({len(group)}): {names}")
    return out


def improvements(result, cat: Catalog) -> pd.DataFrame:
    """Headline targets whose latest value is better than the 2020 baseline, the better side
    being the catalog's ``better`` (higher / lower), with the change in the difference's unit;
    largest relative improvement first."""
    sc = _headline(result)
    better = sc["indicator_id"].map(cat.indicators["better"])
    base, last = sc["baseline_value"].astype(float), sc["latest_value"].astype(float)
    sign = np.where(better == "higher", 1.0, np.where(better == "lower", -1.0, np.nan))
    gain = sign * (last - base)
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = gain / np.abs(base)
    # a gap indicator's own "improvement" rests on the counts behind both sides (the gaps
    # section says when they are too small to publish): 成效 on gaps come from the gaps stage
    is_gap = sc["indicator_id"].map(cat.indicators["gap_of"]).notna()
    ok = np.isfinite(gain) & (gain > 0) & (sc["area"] == "district") & ~is_gap
    out = sc[ok].assign(gain=gain[ok], relative=np.where(np.isfinite(relative[ok]), relative[ok], np.inf),
                        better=better[ok])
    return out.sort_values("relative", ascending=False, kind="stable")


def _change_words(row: pd.Series, baseline_year: int, cat: Catalog, lang: str = "zh") -> str:
    unit = row["unit"] or ""
    if lang == "zh":
        verb = "提高" if row["better"] == "higher" else "下降"
        return (f"{row['name_zh']}由{baseline_year}年的{fmt(row['baseline_value'], unit)}{verb}到"
                f"{int(row['latest_year'])}年的{fmt(row['latest_value'], unit)}，{verb}"
                f"{fmt_difference(row['gain'], unit, 3)}")
    unit_en = UNITS_EN.get(unit, unit)
    diff_unit = " percentage points" if unit == "%" else unit_en
    verb = "rose" if row["better"] == "higher" else "fell"
    return (f"{cat.indicators.loc[row['indicator_id'], 'name_en']} {verb} from {fmt(row['baseline_value'], unit_en)} "
            f"in {baseline_year} to {fmt(row['latest_value'], unit_en)} in {int(row['latest_year'])} "
            f"({fmt(row['gain'], diff_unit, 3)})")


def achievements(result, cat: Catalog, narrowing: pd.DataFrame | None = None, lang: str = "zh") -> str:
    """主要成效 (Markdown, ``lang`` zh or en): the targets already met, by field; the largest
    improvements since the baseline year; the directions improving; the gaps that narrowed — only
    what the scorecard and the gaps stage show; then, apart and said to be theirs, the qualitative
    targets the member units self-assessed as achieved or basically achieved."""
    st, zh = result.settings, lang == "zh"
    sc = _headline(result)
    # the targets the headline counts, so that 成效 and the headline give the same number
    achieved = counted_targets(sc, st).query("status == 'achieved'")
    lines = []
    numbered = iter("一二三四五六七")
    if len(achieved):
        lines.append(f"**{next(numbered)}是{len(achieved)}项目标已经实现**（最近一年已达标且预计能够保持）："
                     if zh else f"**{len(achieved)} targets are achieved** (met in the latest year and expected to "
                                "hold):")
        lines += _by_field(achieved, cat, lang)
    else:
        lines.append("**目前尚无已实现的目标。**" if zh else "**No target is achieved yet.**")
    top = improvements(result, cat).head(TOP_IMPROVEMENTS)
    if len(top):
        changes = [_change_words(r, st.baseline_year, cat, lang) for _, r in top.iterrows()]
        lines += ["", (f"**{next(numbered)}是一批指标较基期明显改善。** 与{st.baseline_year}年相比，"
                       f"改善幅度（相对基期）最大的{len(top)}项：" + "；".join(changes) + "。") if zh else
                  (f"**Clear improvements since {st.baseline_year}.** The {len(top)} largest (relative to the "
                   "baseline): " + "; ".join(changes) + ".")]
    improving = sc[sc["status"] == "improving"]
    if len(improving):
        names = _names(improving, cat, lang)
        lines += ["", f"**{next(numbered)}是{len(improving)}项方向性目标呈改善趋势**：" + "、".join(names) + "。"
                  if zh else f"**{len(improving)} direction targets are improving**: " + "; ".join(names) + "."]
    if narrowing is not None and len(narrowing):
        narrowed = narrowing[narrowing["status"] == "narrowing"]
        if len(narrowed):
            names = _names(narrowed, cat, lang)
            lines += ["", (f"**{next(numbered)}是差距缩小{len(narrowed)}项**：" + "；".join(
                f"{n}（{r['reason']}）" for n, (_, r) in zip(names, narrowed.iterrows(), strict=True)) + "。")
                if zh else f"**{len(narrowed)} gaps narrowed**: " + "; ".join(names) + "."]
    done = selfeval.with_conclusion(result, cat, "achieved")
    basic = selfeval.with_conclusion(result, cat, "basically_achieved")
    if len(done) or len(basic):
        fields = [(f"{_field_name(cat, key, lang)}{len(g)}项——" if zh else f"{_field_name(cat, key, lang)} "
                   f"({len(g)}): ") + ("、" if zh else "; ").join(g["name_zh"] if zh else g["name_en"])
                  for key, g in done.groupby(done["plan"] + done["field"].astype(str), sort=False)]
        lines += ["", (f"**{next(numbered)}是据成员单位自评，定性目标已实现{len(done)}项、基本实现{len(basic)}项**"
                       "（成员单位的自我评价，不计入达标率）"
                       + ("。已实现的：" + "；".join(fields) + "。" if fields else "。"))
                  if zh else (f"**Qualitative targets self-assessed by their units: {len(done)} achieved, "
                              f"{len(basic)} basically achieved** (the units' own assessment, not counted in the "
                              "achievement rate)"
                              + (". Achieved: " + "; ".join(fields) + "." if fields else "."))]
    return "\n".join(lines)


def problems(result, cat: Catalog, narrowing: pd.DataFrame | None = None, lang: str = "zh") -> str:
    """存在的主要问题 (Markdown, ``lang`` zh or en): targets hard to reach and at risk (with their
    facts), worsening directions, widening gaps, and the targets that cannot be judged for want
    of data, by the department that reports them."""
    sc = _headline(result)
    st, zh = result.settings, lang == "zh"
    lines = []
    numbered = iter("一二三四五六七")

    def item(rows: pd.DataFrame, status: str, title: str) -> None:
        if rows.empty:
            return
        if zh:
            lines.append(f"**{next(numbered)}是{title}{len(rows)}项**：")
            lines.extend(f"- {r['name_zh']}（目标：{r['target_text']}）：{_problem_facts(r)}"
                         for _, r in rows.iterrows())
        else:
            lines.append(f"**{status_en(status, result.mode)}: {len(rows)}**")
            lines.extend(f"- {cat.indicators.loc[r['indicator_id'], 'name_en']} (target: {target_en(r)}): "
                         + _problem_facts_en(r) for _, r in rows.iterrows())
        lines.append("")

    by_severity = sc.sort_values("severity", ascending=False, kind="stable")
    item(by_severity[by_severity["status"] == "off_track"], "off_track", f"{st.label('off_track', result.mode)}的目标")
    item(by_severity[by_severity["status"] == "at_risk"], "at_risk", f"{st.label('at_risk', result.mode)}的目标")
    item(by_severity[by_severity["status"] == "worsening"], "worsening", "出现不利变化的方向性目标")
    if narrowing is not None and len(narrowing):
        wider = narrowing[narrowing["status"] == "widening"]
        if len(wider):
            names = _names(wider, cat, lang)
            lines += [(f"**{next(numbered)}是差距扩大{len(wider)}项**：" + "；".join(
                f"{n}（{r['reason']}）" for n, (_, r) in zip(names, wider.iterrows(), strict=True)) + "。") if zh
                else f"**Gaps widening: {len(wider)}**: " + "; ".join(names) + ".", ""]
    missed = selfeval.not_achieved(result, cat)
    if len(missed):
        lines += [f"**{next(numbered)}是据成员单位自评尚未实现的定性目标{len(missed)}项**：{selfeval.named(missed)}"
                  "（成员单位的自我评价，详见分领域评估）。" if zh else
                  f"**Qualitative targets self-assessed as not achieved by their units: {len(missed)}**: "
                  f"{selfeval.named(missed, 'en')}.", ""]
    # 有目标值的指标 without data: the ones the headline counts as 数据不足
    missing = counted_targets(sc, st).query("status == 'insufficient_data'")
    if len(missing):
        dept = missing["indicator_id"].map(cat.indicators["department"]).fillna("未指定部门")
        counts = dept.value_counts()
        lines.append(f"**{next(numbered)}是部分指标缺少监测数据。** {len(missing)}项有目标值的指标暂无可用数据或数据"
                     f"不足，无法判断（按报送部门：" + "、".join(f"{d}{n}项" for d, n in counts.items())
                     + "），逐项见附表。" if zh else
                     f"**Data missing.** {len(missing)} targets with a target value have no usable data or too "
                     f"little to judge (by reporting department: {len(counts)} departments); see the annex table.")
    return "\n".join(lines).strip() or ("本次评估未发现难以实现、存在风险或变差的目标。" if zh else
                                      "No target is off track, at risk or worsening.")


def _problem_facts(r: pd.Series) -> str:
    """What a problem rests on: the latest value and the pace, the scorecard's fact or reason (a
    year missed, a target met but not expected to hold), and the chance of meeting the target in
    words unless the reason already gives one."""
    parts = []
    if np.isfinite(r["latest_value"]) and not r["fact_zh"]:
        parts.append(f"{int(r['latest_year'])}年为{fmt(r['latest_value'], r['unit'] or '')}"
                     + (f"，{r['pace_zh']}" if r["pace_zh"] else ""))
    said = r["fact_zh"] or r["reason_zh"]
    if said:
        parts.append(said)
    if np.isfinite(r["p_meet"]) and "概率" not in said:
        parts.append(f"按目前趋势到期达标的可能性{probability_words(r['p_meet'])}")
    return "；".join(parts) or "—"


def _problem_facts_en(r: pd.Series) -> str:
    """The English counterpart of :func:`_problem_facts`: the latest value and the chance."""
    parts = []
    if np.isfinite(r["latest_value"]):
        parts.append(f"{fmt(r['latest_value'], UNITS_EN.get(r['unit'] or '', r['unit'] or ''))} in "
                     f"{int(r['latest_year'])}")
    if np.isfinite(r["p_meet"]):
        parts.append(f"the chance of meeting it on the present trend is {probability_words(r['p_meet'], 'en')}")
    return "; ".join(parts) or "—"


def read_recommendations(path: str | Path | None, cat: Catalog) -> dict[str, str]:
    """The expert group's recommendations: ``{key: text}`` with key 总体 or a field code (W1 … C7).

    A missing file gives ``{}`` (the report shows where to write). Raises
    :class:`RecommendationsError` naming the file and, in Chinese, what is wrong: not YAML, not a
    mapping, an unknown key, a text that is not a string. Nothing is dropped silently.
    """
    path = Path(path) if path is not None else RECOMMENDATIONS
    path = config.resolve(path)
    if not path.is_file():
        return {}
    shown = config.display_path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise RecommendationsError(f"{shown}：不是有效的YAML文件，请对照模板（docs/templates/对策建议.yaml）检查"
                                   "缩进和冒号") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise RecommendationsError(f"{shown}：应为“领域编号: 文字”的形式（见模板），而不是一个列表或单独的文字")
    known = {GENERAL, *(cat.fields or {})}
    out = {}
    for key, text in data.items():
        key = str(key)
        if key not in known:
            raise RecommendationsError(f"{shown}：未知的领域编号“{key}”（可用：{GENERAL}、"
                                       + "、".join(cat.fields or {}) + "）")
        if text is None:
            continue
        if not isinstance(text, str):
            raise RecommendationsError(f"{shown}：“{key}”下应为文字段落（在“|”的下一行起、每行前空两格书写）")
        if text.strip():
            out[key] = text.strip()
    return out


def recommendations(result, cat: Catalog, path: str | Path | None = None, lang: str = "zh") -> str:
    """对策建议 (Markdown): the expert group's text for the whole and for every field that has
    headline targets, in plan order; a marked place to write where there is none; the file's
    problem stated at the top when it cannot be read (the report is still produced). In English
    the headings and the placeholder are English; the group's text is shown as written."""
    zh = lang == "zh"
    note = ""
    try:
        given = read_recommendations(path, cat)
    except RecommendationsError as exc:
        log.error("%s", exc)
        given = {}
        note = (f"> **对策建议文件有误，未能并入：** {exc}\n\n" if zh else
                f"> **The recommendations file could not be merged** (the message is in Chinese): {exc}\n\n")
    placeholder = PLACEHOLDER if zh else PLACEHOLDER_EN
    sc = _headline(result)
    keys = list(dict.fromkeys(sc["plan"] + sc["field"].astype(str)))
    lines = [note + ("对策建议由评估组根据以上成效和问题研究提出；本节只并入评估组填写的文字，不由数据自动生成。"
                     if zh else
                     "The recommendations are the expert group's, drawn from the achievements and problems above; "
                     "this section only merges the text the group writes, nothing is generated from the data."), ""]
    lines += ["**（一）总体**" if zh else "**General**", "", given.get(GENERAL, placeholder), ""]
    for i, key in enumerate(keys, start=2):
        title = f"**（{_chinese_number(i)}）{_field_name(cat, key)}**" if zh else f"**{_field_name(cat, key, 'en')}**"
        lines += [title, "", given.get(key, placeholder), ""]
    return "\n".join(lines).strip()


def attainment_table(result, cat: Catalog, lang: str = "zh") -> pd.DataFrame:
    """附表 指标达标情况表: every headline target of both plans (qualitative ones included) — its
    id, name, baseline value, latest value and year, target, status and the probability behind the
    status as a number (:func:`analysis.report.sentences.probability_number`; the report's
    sentences say it in words), and the unit that reports it, in plan order. A qualitative target's
    status is its unit's self-evaluated conclusion, labelled as such (自评：基本实现 / 未报送自评)."""
    sc = _headline(result)
    unit = sc["unit"].fillna("")
    zh = lang == "zh"
    unit_shown = unit if zh else unit.map(lambda u: UNITS_EN.get(u, u))
    def shown(v, u, y):
        if pd.isna(y) or not np.isfinite(v):
            return "—"
        return f"{fmt(v, u)}（{int(y)}年）" if zh else f"{fmt(v, u)} ({int(y)})"

    # a gap between two handfuls of events is not published as a number (the scorecard's rule)
    counts = sc["counts_zh"].fillna("") if "counts_zh" in sc else pd.Series("", index=sc.index)
    hidden = ((sc["target_kind"] == "direction") & (counts != "")).to_numpy()
    withheld = "计数过少，不公布" if zh else "not published (small counts)"
    latest = [withheld if h else shown(v, u, y) for v, u, y, h in zip(
        sc["latest_value"].astype(float), unit_shown, sc["latest_year"], hidden, strict=True)]
    base = [withheld if h else fmt(v, u) if np.isfinite(v) else "—" for v, u, h in zip(
        sc["baseline_value"].astype(float), unit_shown, hidden, strict=True)]
    st = result.settings
    chance = [probability_number(p, lang, st) for p in sc["p_meet"].astype(float)]
    # a qualitative target: its unit's self-evaluated conclusion, labelled as the unit's (自评：…), never a status
    evaluated = selfeval.qualitative_rows(result, cat).set_index("indicator_id")["conclusion"]
    status = [selfeval.self_assessed(evaluated[i], lang) if i in evaluated.index else
              (s if zh else status_en(c, result.mode))
              for i, s, c in zip(sc["indicator_id"], sc["status_zh"], sc["status"], strict=True)]
    units = [selfeval.unit_name(d, lang) for d in sc["indicator_id"].map(cat.indicators["department"]).fillna("—")]
    if zh:
        return pd.DataFrame({"编号": sc["indicator_id"], "指标": sc["name_zh"], f"基期值（{st.baseline_year}年）": base,
                             "最近值": latest, "目标": sc["target_text"].fillna("—"), "状态": status,
                             "达标（向好）概率": chance, "报送单位": units}).reset_index(drop=True)
    return pd.DataFrame({"ID": sc["indicator_id"], "Indicator": sc["indicator_id"].map(cat.indicators["name_en"]),
                         f"Baseline ({st.baseline_year})": base, "Latest": latest,
                         "Target": [target_en(r) for _, r in sc.iterrows()], "Status": status,
                         "P(met / improving)": chance, "Reporting unit": units}).reset_index(drop=True)


def progress_table(result, cat: Catalog, lang: str = "zh") -> pd.DataFrame:
    """The mid-term's progress table (时间过半、任务过半): each headline target's value in the
    evaluation year against the straight path from the baseline to the target then."""
    from analysis.report.scorecard import schedule_table

    if lang == "zh":
        return schedule_table(result)
    sc = _headline(result)
    sc = sc[sc["schedule"] != ""]
    words = {"ahead": "ahead of the straight path", "behind": "behind the straight path",
             "met": "met at the baseline"}
    unit = sc["unit"].fillna("").map(lambda u: UNITS_EN.get(u, u))
    return pd.DataFrame({
        "ID": sc["indicator_id"], "Indicator": sc["indicator_id"].map(cat.indicators["name_en"]),
        "Baseline": [fmt(v, u) for v, u in zip(sc["baseline_value"], unit, strict=True)],
        f"Value {result.year}": [fmt(v, u) for v, u in zip(sc["value_at_year"], unit, strict=True)],
        f"Straight path {result.year}": [fmt(v, u) for v, u in zip(sc["expected_value"], unit, strict=True)],
        "Progress": sc["schedule"].map(words), "Status": [status_en(x, result.mode) for x in sc["status"]],
    }).reset_index(drop=True)


def _chinese_number(n: int) -> str:
    """1–99 in Chinese numerals (一, 十二, 二十)."""
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    tens, ones = divmod(n, 10)
    return (digits[tens] if tens > 1 else "") + "十" + (digits[ones] if ones else "")
