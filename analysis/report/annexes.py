"""The report's warning list and annexes: data quality, methods, titles, and one indicator's rows."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from analysis import config
from analysis.catalog import Catalog
from analysis.report.fields import indicator_page, paged_ids
from analysis.report.labels import REASONS_EN
from analysis.report.scorecard import warning_table
from analysis.report.selfeval import unit_name
from analysis.report.sentences import _check_lang, _group_words, indicator_sentence, status_label
from analysis.returns import parse


def warning_list(result, lang: str = "zh", cat: Catalog | None = None) -> pd.DataFrame:
    """The early warnings, most severe first, each with its reason (warning_table, with
    the link to the indicator page); in English the names are the catalog's (``cat``)."""
    _check_lang(lang)
    table = warning_table(result, lang, cat)
    id_col, link_col, word = ("ID", "Details", "page") if lang == "en" else ("编号", "详情", "指标页")
    if id_col in table.columns:
        paged = set(paged_ids(result.scorecard))
        table.insert(2, link_col, [f'<a href="{indicator_page(i)}">{word}</a>' if i in paged else ""
                                   for i in table[id_col]])
    return table


def _quality_headline_en(s: dict) -> str:
    check = "holds" if s["accounting_holds"] else "does not hold (a program error: please report it)"
    reasons = ", ".join(f"{REASONS_EN.get(k, k)} {v}" for k, v in s["quarantined_by_reason"].items())
    text = (f"{s['values_read']} values read from {s['files']} files: {s['observations']} kept ({s['flagged']} "
            f"flagged for review), {s['quarantined']} quarantined" + (f" ({reasons})" if reasons else "")
            + f"; {s['missing_cells']} cells to be filled were blank or marked as having no data. "
            f"Check: every cell holding a figure in a file's data region was read (cell by cell), and values "
            f"read = kept + quarantined, which {check}.")
    if s["file_problems"]:
        text += f" {len(s['file_problems'])} files could not be read (see below)."
    e = s.get("self_evaluations")
    if e:
        holds = "holds" if e["holds"] else "does not hold (a program error: please report it)"
        text += (f"\n\nMember units' self-evaluation forms: {e['forms']}, {e['rows_read']} rows: {e['kept']} kept "
                 f"({e['no_progress']} without progress notes), {e['quarantined']} quarantined; rows read = kept + "
                 f"quarantined, which {holds}.")
    return text


def _data_quality_en(out: Path, cat: Catalog, result, summary: dict | None) -> dict[str, object]:
    from analysis import clean

    q, missing = result.quarantine, result.missing
    nr = clean.not_reported(result, cat)
    names = cat.indicators["name_en"]
    not_reported = pd.DataFrame({"ID": nr["编号"], "Indicator": [str(names.get(i, n)) for i, n in
                                                               zip(nr["编号"], nr["指标"], strict=True)],
                                 "Reporting department": [unit_name(d, "en") for d in nr["报送部门"]]})
    if len(q):
        quarantine = pd.DataFrame({
            "File": q["source_file"], "Sheet": q["source_sheet"], "Cell": q["source_cell"],
            "Value as written": q["raw_value"], "Indicator": q["indicator_id"].fillna("—"), "Year": q["year"],
            "Reason": q["reason"].map(lambda r: REASONS_EN.get(r, r)), "Message": q["message_en"]})
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


def _bands_words(s, lang: str = "zh") -> str:
    """The verbal bands of a probability with their ranges: 可能性很大（90%及以上）、较大（66%—90%）…"""
    zh, out = lang == "zh", []
    for upper, band in zip([None, *s.bands[:-1]], s.bands, strict=True):
        lo, hi = f"{100 * band['from']:g}%", upper and f"{100 * upper['from']:g}%"
        if hi is None:
            span = f"{lo}及以上" if zh else f"{lo} or more"
        elif band["from"] > 0:
            span = f"{lo}—{hi}" if zh else f"{lo}–{hi}"
        else:
            span = f"低于{hi}" if zh else f"under {hi}"
        out.append(f"可能性{band['zh']}（{span}）" if zh else f"{band['en']} ({span})")
    return ("、" if zh else ", ").join(out)


def methods_text(settings, lang: str = "zh") -> str:
    """The methods annex in plain words (Markdown); every threshold read from the settings
    (params/assessment.yaml), none written here."""
    _check_lang(lang)
    s = settings
    likely, unlikely = f"{100 * s.likely:.0f}%", f"{100 * s.unlikely:.0f}%"
    if lang == "en":
        return "\n".join([
            f"**Projections.** Each series (indicator × area × sex) is projected to {s.final_year} by the model that "
            "forecast its own past best in a rolling back-test (trend, recency-weighted trend, damped trend, "
            "naive); rates from counts use Poisson/binomial models, proportions the logit scale. Short series "
            "borrow the national trend.",
            "**Probabilities.** The model simulates "
            f"{s.n_sims} possible paths to {s.final_year}; the probability of meeting a target is the share of "
            "paths "
            "that meet it in the target year (every year for 'keep above' targets). In the text a chance is said in "
            f"words: {_bands_words(s, 'en')}; the annex table gives the number.",
            f"**Statuses.** Achieved: met in the latest year and probability ≥ {likely}; on track: probability ≥ "
            f"{likely}; at risk: between {unlikely} and {likely}; off track: ≤ {unlikely}. Direction targets: "
            f"improving when the probability of moving the asked way is ≥ {likely}, worsening when the other way "
            f"is ≥ {likely}. Insufficient data: fewer than {s.min_points} values, or the latest older than "
            f"{s.max_data_age} years. Qualitative targets are not scored: the report gives the leading member unit's "
            f"self-assessment ({_conclusion_words('en')}, or not reported), counted apart and never in the "
            "achievement rate.",
            f"Thresholds: `{config.display_path(s.path)}`."])
    lab = s.labels
    basic = (f"本次启用“{s.basic_label}”口径：距目标不超过目标值的{100 * s.basic_share:.0f}%视为达标。"
             if s.basic_enabled else f"未启用“{s.basic_label}”口径（差一点也不算达标）。")
    return "\n\n".join([
        f"**预测怎么做。** 每个序列（指标×地区×性别）分别预测到{s.final_year}年："
        "比较趋势、近期加权趋势、阻尼趋势和沿用末值四种模型，用“拿前几年预测后几年”的回测看哪个模型对这个序列过去预测得最准，就用哪个。由出生数、死亡数算出的比率按实际计数建模，"
        "比例在0–100%之内建模；数据少的序列借用全国同一指标的趋势。",
        f"**概率怎么算。** 模型模拟{s.n_sims}条到{s.final_year}年的可能走势，"
        "达标概率就是其中在目标年份达标的走势所占的比例"
        f"（“保持在……以上”的目标要求以后每一年都达标）。正文中概率用文字按档表述：" + _bands_words(s)
        + f"；附表列出数值，低于{100 * s.words_below:g}%或高于{100 * s.words_above:g}%的不再细分，其余取到5%。",
        f"**状态的含义。** {lab['achieved']}：最近一年已达标，且达标概率不低于{likely}；"
        f"{lab['on_track']}：达标概率不低于{likely}；"
        f"{lab['at_risk']}：达标概率在{unlikely}到{likely}之间；{lab['off_track']}：达标概率不超过{unlikely}（终期评估称"
        f"“{s.label('off_track', 'final')}”）。方向性目标：向规划方向变化的概率不低于{likely}为“{lab['improving']}”，"
        f"向相反方向变化的概率不低于{likely}为“{lab['worsening']}”，其余为“{lab['no_clear_change']}”。"
        f"观测值少于{s.min_points}个或最近数据早于评估年份{s.max_data_age}年以上的，为“{lab['insufficient_data']}”，"
        f"并说明原因。定性目标不评分，列出牵头成员单位的自评结论（据成员单位自评：" + _conclusion_words()
        + "，或未报送），单列统计，不计入达标率。" + basic,
        f"**预警。** 进度比（实际年均变化÷所需年均变化）不低于{s.on_pace}为进度达标，"
        f"{s.acceleration_needed}—{s.on_pace}需加快；预警按严重程度排序："
        + "、".join(f"{w['label']}" for w in sorted(s.warnings.values(), key=lambda w: -int(w["severity"]))) + "。",
        f"以上阈值均读自 `{config.display_path(s.path)}`，方法详见 docs/projections.md 和 docs/assessment.md。"])


def _conclusion_words(lang: str = "zh") -> str:
    """The self-evaluation's conclusions in their order (params/selfeval.yaml), in ``lang``."""
    from analysis.returns import selfeval

    return ("、" if lang == "zh" else ", ").join(c[lang] for c in selfeval.load_settings().conclusions)


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
        "说明" if zh else "Statement": [
            indicator_sentence(r, result.observations, projections, cat, lang, result.settings)
            for _, r in rows.iterrows()],
        "预警" if zh else "Warnings": rows["warnings"].fillna("").to_list(),
    })


def series_keys(observations: pd.DataFrame, indicator_id: str) -> list[tuple[str, str]]:
    """The indicator's own series (area, sex) — district first, then sexes, urban/rural, towns —
    without the comparators (national …)."""
    o = observations[(observations["indicator_id"] == indicator_id)
                     & ~observations["area"].isin(parse.comparator_areas())]
    keys = sorted(set(zip(o["area"], o["sex"], strict=True)),
                  key=lambda k: (k[0] != "district", k[0] not in ("urban", "rural"), k[0], k[1] != "total", k[1]))
    return keys
