"""The member units' self-evaluations of the qualitative targets, in the pages' words (Chinese and English).

Every word here says whose judgement it is: a conclusion is the unit's own (据成员单位自评 / by the
member units' self-assessment), counted apart from the scorecard's statuses and never in the
achievement rate. A qualitative target without a self-evaluation up to the evaluation year reads
未报送 (not reported). The conclusions and their words are ``params/selfeval.yaml``'s.
"""

from __future__ import annotations

import pandas as pd

from analysis.catalog import Catalog
from analysis.returns import selfeval, template

#: the conclusion code of a target without a self-evaluation
NOT_REPORTED = "not_reported"


def _settings() -> selfeval.SelfEvaluationSettings:
    return selfeval.load_settings()


def unit_name(department: str, lang: str = "zh") -> str:
    """A member unit as the pages name it: its short name (卫健委), in English its English name."""
    if lang == "zh":
        return department
    return str(template.departments().get(department, {}).get("en", department))


def self_assessed(code: str, lang: str = "zh") -> str:
    """A conclusion labelled as the unit's: 自评：已实现 / 未报送自评 (self-assessed: achieved / not reported)."""
    word = _settings().word(code, lang)
    if code == NOT_REPORTED:
        return f"{word}自评" if lang == "zh" else "self-assessment not reported"
    return f"自评：{word}" if lang == "zh" else f"self-assessed: {word}"


def headline_words(h: dict, lang: str = "zh") -> str:
    """The qualitative targets in the headline: 定性目标102项：据成员单位自评，已实现X项、…，未报送V项（…）."""
    q, st = h["qualitative"], _settings()
    if lang == "zh":
        parts = "、".join(f"{st.word(c)}{n}项" for c, n in q["by_conclusion"].items())
        return (f"定性目标{h['n_qualitative']}项：据成员单位自评，{parts}，{st.word(NOT_REPORTED)}{q['not_reported']}项"
                "（成员单位的自我评价，单列统计，不计入达标率）")
    parts = ", ".join(f"{st.word(c, 'en')} {n}" for c, n in q["by_conclusion"].items())
    return (f"Qualitative targets ({h['n_qualitative']}), by the member units' self-assessment: {parts}; "
            f"{st.word(NOT_REPORTED, 'en')} {q['not_reported']} (the units' own assessment, counted apart, "
            "not in the achievement rate)")


def headline_rows(h: dict, lang: str = "zh") -> list[dict]:
    """The rows of the headline table for the qualitative targets: one per conclusion and 未报送."""
    q = h["qualitative"]
    counts = {**q["by_conclusion"], NOT_REPORTED: q["not_reported"]}
    if lang == "zh":
        group = f"定性目标（{h['n_qualitative']}项，据成员单位自评）"
        return [{"类别": group, "状态": self_assessed(c), "项数": n} for c, n in counts.items()]
    group = f"Qualitative targets ({h['n_qualitative']}, self-assessed by the member units)"
    return [{"Group": group, "Status": self_assessed(c, "en"), "Number": n} for c, n in counts.items()]


def qualitative_rows(result, cat: Catalog) -> pd.DataFrame:
    """The qualitative targets (headline rows, plan order) with their latest self-evaluation up to the
    evaluation year: id, plan, field, name, the plan's sentence, the leading unit, the conclusion code
    (``not_reported`` without one), its year, progress, evidence, flags."""
    sc = result.scorecard
    rows = sc[sc["is_headline"] & (sc["target_kind"] == "qualitative")]
    latest = result.latest_self_evaluations.set_index("indicator_id")
    ids = rows["indicator_id"]
    got = latest.reindex(ids)
    return pd.DataFrame({
        "indicator_id": ids.to_numpy(), "plan": rows["plan"].to_numpy(), "field": rows["field"].to_numpy(),
        "name_zh": rows["name_zh"].to_numpy(), "name_en": ids.map(cat.indicators["name_en"]).to_numpy(),
        "target": ids.map(cat.indicators["source"]).fillna("").to_numpy(),
        "department": ids.map(cat.indicators["department"]).to_numpy(),
        "conclusion": got["conclusion"].fillna(NOT_REPORTED).to_numpy(),
        "year": got["year"].astype("Int64").to_numpy(),
        "progress": got["progress"].fillna("").to_numpy(), "evidence": got["evidence"].fillna("").to_numpy(),
        "flags": got["flags"].fillna("").to_numpy(),
    })


def qualitative_table(result, cat: Catalog, lang: str = "zh") -> pd.DataFrame:
    """Every qualitative target with the leading unit's self-evaluation (the scorecard page's list):
    编号, 指标, 目标（规划原文）, 牵头单位, 自评结论, 自评年度, 进展说明, 佐证材料."""
    q = qualitative_rows(result, cat)
    year = ["—" if pd.isna(y) else (f"{int(y)}年" if lang == "zh" else str(int(y))) for y in q["year"]]
    if lang == "zh":
        return pd.DataFrame({
            "编号": q["indicator_id"], "指标": q["name_zh"], "目标（规划原文）": q["target"],
            "牵头单位": q["department"], "自评结论": [self_assessed(c) for c in q["conclusion"]], "自评年度": year,
            "进展说明": q["progress"].replace("", "—"), "佐证材料": q["evidence"].replace("", "—")})
    return pd.DataFrame({
        "ID": q["indicator_id"], "Target": q["name_en"], "Leading unit": [unit_name(d, "en") for d in q["department"]],
        "Self-assessment": [self_assessed(c, "en") for c in q["conclusion"]], "Year": year})


def statement(row: pd.Series, lang: str = "zh") -> str:
    """The 说明 of a qualitative target in a field table, from its :func:`qualitative_rows` row:
    据成员单位自评（卫健委，2024年度）：基本实现。进展说明：…… / 成员单位（卫健委）未报送自评。"""
    unit, code = unit_name(row["department"], lang), row["conclusion"]
    if code == NOT_REPORTED:
        return (f"定性目标：成员单位（{unit}）未报送自评。" if lang == "zh" else
                f"Qualitative target: no self-assessment reported by the {unit}.")
    word = _settings().word(code, lang)
    if lang == "zh":
        progress = f"进展说明：{row['progress']}" if row["progress"] else "未填写进展说明。"
        return f"定性目标，据成员单位自评（{unit}，{int(row['year'])}年度）：{word}。{progress}"
    return f"Qualitative target, self-assessed by the {unit} ({int(row['year'])}): {word}."


def not_achieved(result, cat: Catalog, plan: str | None = None, field: int | None = None) -> pd.DataFrame:
    """The qualitative targets self-assessed 未实现 (the conclusion ``not_achieved``), of one plan
    field or all."""
    return with_conclusion(result, cat, "not_achieved", plan, field)


def with_conclusion(result, cat: Catalog, code: str, plan: str | None = None, field: int | None = None
                    ) -> pd.DataFrame:
    """The qualitative targets whose latest self-evaluation concluded ``code`` (params/selfeval.yaml:
    achieved, basically_achieved, not_achieved, …), of one plan field or all."""
    q = qualitative_rows(result, cat)
    keep = q["conclusion"] == code
    if plan is not None:
        keep &= q["plan"] == plan
    if field is not None:
        keep &= q["field"] == field
    return q[keep]


def named(rows: pd.DataFrame, lang: str = "zh") -> str:
    """Targets by name with their leading unit: 名称（卫健委）、名称（妇联）."""
    names = rows["name_zh"] if lang == "zh" else rows["name_en"]
    units = [unit_name(d, lang) for d in rows["department"]]
    if lang == "zh":
        return "、".join(f"{n}（{u}）" for n, u in zip(names, units, strict=True))
    return "; ".join(f"{n} ({u})" for n, u in zip(names, units, strict=True))


def self_evaluation_note(result, cat: Catalog, plan: str, field: int, lang: str = "zh") -> str:
    """A line under a field's table naming its qualitative targets self-assessed 未实现 ("" when none)."""
    rows = not_achieved(result, cat, plan, field)
    if rows.empty:
        return ""
    word = _settings().word("not_achieved", lang)
    if lang == "zh":
        return f"据成员单位自评，本领域定性目标中{word}的有{len(rows)}项：{named(rows, lang)}。"
    many = f"{len(rows)} qualitative targets of this field are" if len(rows) > 1 else \
        "1 qualitative target of this field is"
    return f"By the member units' self-assessment, {many} {word}: {named(rows, lang)}."
