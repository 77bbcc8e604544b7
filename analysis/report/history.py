"""与上期相比 and the status history, in words and tables (from the history stage's tables,
:mod:`analysis.database.history`)."""

from __future__ import annotations

import pandas as pd

from analysis.catalog import Catalog
from analysis.report.labels import CHANGE_WORDS, SEX_EN, SEX_LABELS, area_en, area_label, history_column, status_en
from analysis.report.numbers import fmt
from analysis.report.sentences import _check_lang, probability_number
from analysis.report.tables import escape, table


def group_label(area: str, sex: str, lang: str = "zh") -> str:
    """The series a row is about in a few words: 合计, 女性, 城镇, 城关镇·女性 (English: total, female…)."""
    zh = lang == "zh"
    a = "" if area == "district" else (area_label(area) if zh else area_en(area))
    s = "" if sex == "total" else (f"{SEX_LABELS.get(sex, sex)}性" if zh else SEX_EN.get(sex, sex))
    text = ("·" if zh else ", ").join(x for x in (a, s) if x)
    return text or ("合计" if zh else "total")


def _status(status: str, status_zh: str, lang: str) -> str:
    return status_zh if lang == "zh" else status_en(status)


def base_words(meta: dict, lang: str = "zh") -> str:
    """Which report this one is compared with (上期), in one phrase."""
    zh = lang == "zh"
    if meta.get("base") == "report":
        when = str(meta.get("base_time", "")).split("（")[0]
        if meta.get("base_same_year"):
            if zh:
                return f"上次发布的{meta['base_year']}年报告（{when}发布）"
            return f"the earlier issue of the {meta['base_year']} report (published {when}, Beijing time)"
        if zh:
            return f"上期报告（{meta['base_year']}年，{when}发布）"
        return f"the previous report ({meta['base_year']}, published {when}, Beijing time)"
    if meta.get("base") == "as_of":
        y = meta["base_year"]
        return f"{y}年（回溯评估）" if zh else f"{y} (assessed as of then)"
    return "上期" if zh else "the previous report"


def comparison_text(meta: dict, lang: str = "zh") -> str:
    """The paragraph of 与上期相比: what this report is compared with and how many targets changed
    status, values were revised, values are new (Markdown)."""
    _check_lang(lang)
    zh = lang == "zh"
    if meta.get("base") is None:
        return ("本期为规划期的首次评估，没有可比较的上期。" if zh
                else "This is the first assessment of the plan period: there is no previous report to compare with.")
    counts = meta.get("changes", {})
    parts = [(CHANGE_WORDS[k][0 if zh else 1], counts[k]) for k in CHANGE_WORDS if counts.get(k)]
    lead = ""
    if meta.get("base") == "as_of":
        y = meta["base_year"]
        lead = (f"监测数据库中尚无往年发布的报告，上期按本期数据中{y}年及以前的数值回溯评估{y}年的情况。" if zh else
                f"The monitoring database holds no earlier published report: the previous year is {y} assessed as "
                f"of then from this report's values up to {y}. ")
    if zh:
        moved = "、".join(f"{w}{n}项" for w, n in parts) if parts else "各项目标的评估状态均无变化"
        text = f"{lead}与{base_words(meta, lang)}相比：{moved}（按目标和分组计）。"
    else:
        moved = ", ".join(f"{n} {w}" for w, n in parts) if parts else "no target changed status"
        text = f"{lead}Compared with {base_words(meta, lang)}: {moved} (counted by target and group)."
    if meta.get("base") == "report":
        revised, new, corrected = meta.get("revised", 0), meta.get("new_values", 0), meta.get("corrected", 0)
        if zh:
            text += (f"上期已有的数值中修订{revised}个（见附件一）" if revised else "上期已有的数值均未修订") + \
                    (f"，上期隔离的数值已更正{corrected}个" if corrected else "") + \
                    (f"，新增数值{new}个。" if new else "，无新增数值。")
        else:
            text += (f" {revised} value(s) held by the previous report were revised (Annex 1)"
                     if revised else " No value held by the previous report was revised") + \
                    (f"; {corrected} value(s) quarantined last time are now corrected" if corrected else "") + \
                    (f"; {new} value(s) are new." if new else "; no value is new.")
    elif zh:
        text += "数据库中没有上期报告的数值，本期无法列出修订。"
    else:
        text += " The database holds no values of a previous report, so revisions cannot be listed."
    return text


def changes_table(changes: pd.DataFrame, cat: Catalog, settings, lang: str = "zh"):
    """The targets whose status changed since 上期, one row per target and group."""
    _check_lang(lang)
    zh = lang == "zh"
    if changes.empty:
        return table(pd.DataFrame({"说明" if zh else "Note": ["评估状态均无变化" if zh else "No status changed"]}))
    names = cat.indicators["name_zh" if zh else "name_en"]
    rows = pd.DataFrame({
        "编号" if zh else "Id": changes["indicator_id"],
        "指标" if zh else "Indicator": changes["indicator_id"].map(names),
        "分组" if zh else "Group": [group_label(a, s, lang) for a, s in zip(changes["area"], changes["sex"],
                                                                            strict=True)],
        "变化" if zh else "Change": changes["change"].map(lambda k: CHANGE_WORDS[k][0 if zh else 1]),
        "上期状态" if zh else "Before": [_status(s, z, lang) for s, z in zip(changes["status_before"],
                                                                          changes["status_zh_before"], strict=True)],
        "本期状态" if zh else "Now": [_status(s, z, lang) for s, z in zip(changes["status"], changes["status_zh"],
                                                                       strict=True)],
        "上期达标概率" if zh else "P(met) before": changes["p_meet_before"].map(
            lambda p: probability_number(p, lang, settings)),
        "本期达标概率" if zh else "P(met) now": changes["p_meet"].map(lambda p: probability_number(p, lang, settings)),
    })
    before, now = ("上期状态", "本期状态") if zh else ("Before", "Now")
    return in_status_colours(table(rows), {before: changes["status_before"].tolist(),
                                           now: changes["status"].tolist()}, settings)


def in_status_colours(styler, codes: dict[str, list], settings):
    """``styler`` with each cell of the columns in ``codes`` in the colour of its status code (one
    code per row; params/assessment.yaml's colours), the word kept, text left-aligned."""
    colours = settings.colours

    def paint(frame: pd.DataFrame) -> pd.DataFrame:
        out = pd.DataFrame("", index=frame.index, columns=frame.columns)
        for col, statuses in codes.items():
            out[col] = [f"background-color: {colours[s]}; white-space: nowrap" if isinstance(s, str) and s in colours
                        else "" for s in statuses]
        return out

    return styler.apply(paint, axis=None).set_properties(**{"text-align": "left"})


def revision_sentence(row: pd.Series, lang: str = "zh") -> str:
    """One revised value as the data-quality page states it: 2023年 W1.3a（合计）由62%修订为61.4%（卫健委，
    文件…单元格…）."""
    unit = row["unit"] if isinstance(row["unit"], str) else ""
    group = group_label(row["area"], row["sex"], lang)
    where = f"{escape(row['source_file'])}单元格{escape(row['source_cell'])}"
    if lang == "zh":
        return (f"{int(row['year'])}年 {row['indicator_id']}（{group}）由{fmt(row['value_before'], unit)}修订为"
                f"{fmt(row['value'], unit)}（{row['department'] or '报送单位不详'}，{where}）")
    return (f"{int(row['year'])} {row['indicator_id']} ({group}) revised from {fmt(row['value_before'], unit)} to "
            f"{fmt(row['value'], unit)} ({row['source_file']}, cell {row['source_cell']})")


def correction_sentence(row: pd.Series, lang: str = "zh") -> str:
    """A value quarantined by the previous report and kept now: 2019年 W5.3（女性）上期因“重复报送且
    数值不同”隔离（…csv 单元格E6，原值95.9），本期采用96.6%（…）."""
    from analysis.clean.stage import REASONS

    unit = row["unit"] if isinstance(row["unit"], str) else ""
    group = group_label(row["area"], row["sex"], lang)
    if lang == "zh":
        reason = REASONS.get(row["reason_before"], row["reason_before"])
        return (f"{int(row['year'])}年 {row['indicator_id']}（{group}）上期因“{reason}”隔离"
                f"（{escape(row['source_file_before'])}单元格{escape(row['source_cell_before'])}，原值"
                f"{escape(row['raw_value'])}），本期采用{fmt(row['value'], unit)}"
                f"（{escape(row['source_file'])}单元格{escape(row['source_cell'])}）")
    return (f"{int(row['year'])} {row['indicator_id']} ({group}): quarantined last time ({row['reason_before']}, "
            f"{row['source_file_before']} cell {row['source_cell_before']}, written {row['raw_value']}), now "
            f"{fmt(row['value'], unit)} ({row['source_file']} cell {row['source_cell']})")


def revisions_table(revisions: pd.DataFrame, lang: str = "zh"):
    """The values revised since 上期, both numbers and both files."""
    _check_lang(lang)
    zh = lang == "zh"
    revised = revisions[revisions["change"] == "revised"]
    if revised.empty:
        return table(pd.DataFrame({"说明" if zh else "Note": ["上期报告的数值均未修订" if zh else
                                                            "No value of the previous report was revised"]}))
    units = revised["unit"].where(revised["unit"].notna(), "")
    rows = pd.DataFrame({
        "年份" if zh else "Year": revised["year"].astype(int).astype(str),
        "编号" if zh else "Id": revised["indicator_id"],
        "分组" if zh else "Group": [group_label(a, s, lang) for a, s in zip(revised["area"], revised["sex"],
                                                                            strict=True)],
        "上期数值" if zh else "Before": [fmt(v, u) for v, u in zip(revised["value_before"], units, strict=True)],
        "本期数值" if zh else "Now": [fmt(v, u) for v, u in zip(revised["value"], units, strict=True)],
        "上期来源" if zh else "Source before": revised["source_file_before"] + " " + revised["source_cell_before"],
        "本期来源" if zh else "Source now": revised["source_file"] + " " + revised["source_cell"],
        "报送单位" if zh else "Unit": revised["department"].fillna("—"),
    })
    return table(rows)


def revisions_text(revisions: pd.DataFrame, meta: dict, lang: str = "zh") -> str:
    """The revisions for the data-quality annex: one line each (Markdown list), or why there are none."""
    _check_lang(lang)
    zh = lang == "zh"
    revised = revisions[revisions["change"] == "revised"]
    if meta.get("base") != "report":
        return ("数据库中没有上期报告的数值，无法列出修订（下一期起列出）。" if zh
                else "The database holds no values of a previous report: revisions are listed from the next report.")
    corrected = revisions[revisions["change"] == "corrected"]
    if revised.empty:
        text = "上期报告的数值本期均未修订。" if zh else "No value of the previous report was revised."
    else:
        head = (f"与{base_words(meta, lang)}相比修订的数值（上期数值保存在监测数据库中，本期采用修订后的数值）："
                if zh else f"Values revised since {base_words(meta, lang)} (the previous values stay in the "
                           "database; this report uses the revised ones):")
        text = head + "\n\n" + "\n".join(f"- {revision_sentence(r, lang)}" for _, r in revised.iterrows())
    if len(corrected):
        head = ("上期隔离、本期已有采用数值的（报送部门更正或撤回了有问题的数值）：" if zh else
                "Quarantined last time, with a value used now (the department corrected or withdrew the faulty "
                "figure):")
        text += f"\n\n{head}\n\n" + "\n".join(f"- {correction_sentence(r, lang)}" for _, r in corrected.iterrows())
    return text


def status_history(verdicts: pd.DataFrame, indicator_id: str, settings, lang: str = "zh"):
    """The status and P(met) of each group of one indicator in every year's report (回溯: as of then),
    a row per group, a column per report, each cell in its status colour."""
    _check_lang(lang)
    zh = lang == "zh"
    mine = verdicts[verdicts["indicator_id"] == indicator_id].sort_values("order", kind="stable")
    if mine.empty:
        return table(pd.DataFrame({"说明" if zh else "Note": ["没有评估记录" if zh else "No assessment recorded"]}))
    mine = mine.assign(col=[history_column(src, int(y), m, lang) for src, y, m in
                            zip(mine["source"], mine["report_year"], mine["report_mode"].fillna("annual"),
                                strict=True)],
                       group=[group_label(a, s, lang) for a, s in zip(mine["area"], mine["sex"], strict=True)])
    columns = list(dict.fromkeys(mine["col"]))

    def cell(r) -> str:
        word = _status(r["status"], r["status_zh"], lang)
        p = probability_number(r["p_meet"], lang, settings) if pd.notna(r["p_meet"]) else ""
        return f"{word}（{p}）" if p and zh else f"{word} ({p})" if p else word

    mine["cell"] = [cell(r) for _, r in mine.iterrows()]
    mine["code"] = mine["status"]
    order = list(dict.fromkeys(mine["group"]))
    wide = mine.pivot_table(index="group", columns="col", values="cell", aggfunc="first").reindex(
        index=order, columns=columns)
    codes = mine.pivot_table(index="group", columns="col", values="code", aggfunc="first").reindex(
        index=order, columns=columns)
    wide = wide.reset_index().rename(columns={"group": "分组" if zh else "Group"})
    return in_status_colours(table(wide), {c: codes[c].tolist() for c in columns}, settings)
