"""The member units' self-evaluations of the qualitative targets: every filled row of a self-evaluation form
kept or quarantined with its reason, never guessed.

:func:`interpret` turns one raw self-evaluation (a row read by :func:`analysis.returns.selfeval.read_form`)
into a row of ``self_evaluations.parquet`` or refuses it, naming the cell: a target id not in the
catalog, a target that is not qualitative (its figures come by the returns), another unit's target,
no conclusion chosen, a conclusion that is not one of the words of ``params/selfeval.yaml`` ("基本完成"
is not 基本实现: the allowed words are listed, nothing is mapped). A conclusion without 进展说明 is kept
and flagged ``no_progress``. A target evaluated twice for one year (one form or two) keeps the first
when the rows say the same and quarantines every row when they differ (:func:`resolve_duplicates`),
as the returns' duplicates are. Every year is kept; :func:`latest` gives each target's latest
self-evaluation up to a year (the one the report shows).
"""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd

from analysis import schemas
from analysis.catalog import Catalog, plan_order
from analysis.returns import parse, selfeval
from analysis.returns.selfeval import SelfEvaluationSettings

log = logging.getLogger(__name__)

COLUMNS = list(schemas.SELF_EVALUATIONS.columns)

#: reason codes of a refused self-evaluation row and the words the pages show for them
REASONS = {
    "unknown_target": "目标编号不在目录中",
    "not_qualitative": "不是定性目标（其数据由监测数据填报表报送）",
    "other_department": "不是本单位牵头的目标",
    "no_conclusion": "未选择自评结论",
    "conclusion_not_allowed": "自评结论不是规定用语",
    "duplicate_self_evaluation": "重复自评（内容相同）",
    "conflicting_self_evaluation": "重复自评且结论不同",
}

#: flags of a kept self-evaluation and their words
FLAGS = {"no_progress": "未填写进展说明"}


class Refused(Exception):
    """A raw self-evaluation that cannot be kept: reason code, the cell at fault, the text as
    written there, what is known of the target, and the message in Chinese and English."""

    def __init__(self, reason: str, cell: str, raw: Any, zh: str, en: str, indicator_id: str | None = None):
        super().__init__(en)
        self.reason, self.cell, self.raw, self.zh, self.en, self.indicator_id = reason, cell, raw, zh, en, indicator_id


def _where(record: dict[str, Any], cell: str) -> tuple[str, str]:
    """The place of a cell in Chinese and English: 文件“…”工作表“自评表”单元格E7."""
    return (f"{record['source_file']}工作表“{record['source_sheet']}”单元格{cell}",
            f"{record['source_file']}, sheet {record['source_sheet']}, cell {cell}")


def _target(record: dict[str, Any], cat: Catalog) -> str:
    """The catalog id the row names (its id cell, white space and width folded, case aside), checked:
    in the catalog, a qualitative target, led by the form's unit."""
    raw, cell = record.get("indicator_raw"), record["indicator_cell"]
    written = "" if raw is None else str(raw).strip()
    index = {parse.fold(i).casefold(): i for i in cat.indicators["id"]}
    eid = index.get(parse.fold(written).casefold()) if written else None
    if eid is None:
        zh = (f"单元格{cell}的“{written}”不是指标目录（params/indicators.yaml）中的目标编号" if written else
              f"该行填写了自评内容，但单元格{cell}没有目标编号")
        raise Refused("unknown_target", cell, written, zh + "：请按表样中的编号填写，不要改动灰色单元格",
                      f"'{written}' in cell {cell} is not a target id of the catalog (params/indicators.yaml)"
                      if written else f"the row has a self-evaluation but no target id in cell {cell}")
    entry = cat.indicators.loc[eid]
    if entry["kind"] != "qualitative":
        raise Refused("not_qualitative", cell, written,
                      f"{eid}（{entry['name_zh']}）是有目标值的指标，其数据通过监测数据填报表报送，不作自评",
                      f"{eid} ({entry['name_en']}) is a target with a value: its figures come by the returns, "
                      "it is not self-evaluated", eid)
    if entry["department"] != record["department"]:
        raise Refused("other_department", cell, written,
                      f"{eid}（{entry['name_zh']}）由{entry['department']}牵头，不在{record['department']}的自评范围内："
                      f"请由{entry['department']}在其自评表中填报",
                      f"{eid} is led by {entry['department']}, not {record['department']}: "
                      f"{entry['department']} evaluates it in its own form", eid)
    return eid


def _conclusion(record: dict[str, Any], eid: str, settings: SelfEvaluationSettings) -> str:
    """The code of the row's conclusion; Refused when none was chosen or the words are not allowed."""
    raw, cell = record.get("conclusion_raw"), record["conclusion_cell"]
    allowed = "、".join(c["zh"] for c in settings.conclusions)
    allowed_en = ", ".join(c["zh"] for c in settings.conclusions)
    if raw is None:
        given = next(record[f"{p}_raw"] for p in selfeval.FILLED if record.get(f"{p}_raw"))
        raise Refused("no_conclusion", cell, given,
                      f"单元格{cell}未选择自评结论，但该行填写了其他内容：请从{allowed}中选择一项",
                      f"cell {cell} has no conclusion though the row has other entries: choose one of {allowed_en}",
                      eid)
    code = settings.code_of(raw)
    if code is None:
        raise Refused("conclusion_not_allowed", cell, raw,
                      f"单元格{cell}的自评结论“{raw}”不是规定用语，只能是{allowed}之一（不作近义词推断）："
                      "请在表中的下拉列表中重新选择",
                      f"the conclusion '{raw}' in cell {cell} is not one of the allowed words ({allowed_en}); "
                      "near words are not mapped: choose from the drop-down again", eid)
    return code


def interpret(record: dict[str, Any], cat: Catalog, settings: SelfEvaluationSettings) -> dict[str, Any]:
    """One raw self-evaluation as a row of ``self_evaluations.parquet``, or :class:`Refused` saying why."""
    eid = _target(record, cat)
    code = _conclusion(record, eid, settings)
    progress = record.get("progress_raw") or ""
    return {
        "plan": cat.indicators.at[eid, "plan"], "indicator_id": eid, "department": record["department"],
        "year": int(record["year"]), "conclusion": code, "progress": progress,
        "evidence": record.get("evidence_raw") or "", "note": record.get("note_raw") or "",
        "source_file": record["source_file"], "source_sheet": record["source_sheet"],
        "source_cell": record["conclusion_cell"], "flags": "" if progress else "no_progress",
    }


def quarantine_row(record: dict[str, Any], reason: str, cell: str, raw: Any, zh: str, en: str,
                   indicator_id: str | None = None) -> dict[str, Any]:
    """A refused self-evaluation as a row of the quarantine table (no area or sex: a target's row)."""
    return {"source_file": record["source_file"], "source_sheet": record["source_sheet"], "source_cell": cell,
            "raw_value": "" if raw is None else str(raw), "indicator_id": indicator_id, "year": record["year"],
            "area": None, "sex": None, "reason": reason, "message": zh, "message_en": en}


def resolve_duplicates(kept: list[dict[str, Any]], records: list[dict[str, Any]]
                       ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Targets self-evaluated more than once for one year. The same conclusion, progress and evidence:
    the first (in file order) is kept, each repeat quarantined; different: every row is quarantined,
    each message naming the others — the unit decides, the code never picks one. ``kept`` carries
    ``_record``, the index of its raw record."""
    groups: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for row in kept:
        groups.setdefault((row["indicator_id"], row["year"]), []).append(row)
    out, quarantined = [], []
    for (eid, year), rows in groups.items():
        if len(rows) == 1:
            out += rows
            continue
        same = len({(r["conclusion"], r["progress"], r["evidence"]) for r in rows}) == 1
        for i, row in enumerate(rows):
            if same and i == 0:
                out.append(row)
                continue
            others = [o for j, o in enumerate(rows) if j != i]
            zh_others = "；".join(_where(o, o["source_cell"])[0] for o in (rows[:1] if same else others))
            en_others = "; ".join(_where(o, o["source_cell"])[1] for o in (rows[:1] if same else others))
            reason = "duplicate_self_evaluation" if same else "conflicting_self_evaluation"
            zh = (f"{eid}的{year}年度自评重复填报，内容与{zh_others}相同，保留先读到的一行" if same else
                  f"{eid}的{year}年度自评填报了不止一次且结论或说明不同（另见{zh_others}）：哪一行正确须由填报单位确定")
            en = (f"{eid} is self-evaluated twice for {year}, as at {en_others}; the first is kept" if same else
                  f"{eid} is self-evaluated more than once for {year} with different entries (also at {en_others}): "
                  "the unit must say which is right")
            record = records[row["_record"]]
            quarantined.append(quarantine_row(record, reason, row["source_cell"], record.get("conclusion_raw"),
                                              zh, en, eid))
    return out, quarantined


def evaluate(records: list[dict[str, Any]], cat: Catalog, settings: SelfEvaluationSettings | None = None
             ) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Every raw self-evaluation kept or quarantined: (the table, in plan order and year; the quarantine rows)."""
    settings = settings or selfeval.load_settings()
    kept, quarantined = [], []
    for i, record in enumerate(records):
        try:
            row = interpret(record, cat, settings)
        except Refused as exc:
            quarantined.append(quarantine_row(record, exc.reason, exc.cell, exc.raw, exc.zh, exc.en,
                                              exc.indicator_id))
            continue
        kept.append({**row, "_record": i})
    kept, repeats = resolve_duplicates(kept, records)
    quarantined += repeats
    table = pd.DataFrame(kept, columns=[*COLUMNS, "_record"]).drop(columns="_record")
    table["year"] = table["year"].astype("int64")
    table = table.sort_values(["indicator_id", "year"], key=lambda s: s.map(plan_order) if s.name == "indicator_id"
                              else s, kind="stable").reset_index(drop=True)
    log.info("self-evaluations: %d rows read, %d kept (%d without progress notes), %d quarantined",
             len(records), len(table), int((table["flags"] != "").sum()), len(quarantined))
    return table, quarantined


def summarise(rows_read: int, table: pd.DataFrame, quarantined: list[dict[str, Any]],
              unaccounted: list[dict[str, Any]], forms: int) -> dict[str, Any]:
    """The self-evaluations' part of the cleaning summary. ``holds``: every row read is kept or
    quarantined, and every filled cell of every form (counted from the files apart from the reader)
    is a cell a row was read from."""
    by_reason: dict[str, int] = {}
    for q in quarantined:
        by_reason[q["reason"]] = by_reason.get(q["reason"], 0) + 1
    return {
        "forms": forms, "rows_read": rows_read, "kept": len(table),
        "no_progress": int(table["flags"].str.contains("no_progress").sum()),
        "quarantined": len(quarantined), "quarantined_by_reason": dict(sorted(by_reason.items())),
        "cells_unaccounted": len(unaccounted),
        "holds": rows_read == len(table) + len(quarantined) and not unaccounted,
    }


def check_accounting(summary: dict[str, Any], unaccounted: list[dict[str, Any]]) -> None:
    """Fail loudly when a self-evaluation went missing between the forms and the tables: a conclusion
    neither kept nor quarantined is a program error, and no table may be written over it."""
    if summary["holds"]:
        return
    cells = ", ".join(f"{u['source_file']} {u['source_sheet']}!{u['source_cell']}" for u in unaccounted[:10])
    lost = f"; {len(unaccounted)} filled cell(s) no row was read from: {cells}" if unaccounted else ""
    raise AssertionError(f"self-evaluation accounting broken: {summary['rows_read']} rows read, {summary['kept']} "
                         f"kept + {summary['quarantined']} quarantined{lost}")


def latest(table: pd.DataFrame, year: int | None = None) -> pd.DataFrame:
    """Each target's latest self-evaluation up to ``year`` (all years when None): the one a report of
    that year shows. One row per target, in the table's order."""
    if table is None or table.empty:
        return pd.DataFrame(columns=COLUMNS)
    rows = table if year is None else table[table["year"] <= int(year)]
    return rows.sort_values("year", kind="stable").drop_duplicates("indicator_id", keep="last").sort_index()
