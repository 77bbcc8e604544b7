"""The self-evaluation form: the Excel form a member unit fills in for its qualitative targets.

The plans' qualitative targets ("教育工作全面贯彻男女平等基本国策") have no figure to collect; official
mid-term and final evaluations assess them from the member units' self-evaluations (自查自评).
``plan-monitor self-evaluation-form --department 卫健委 --year 2024 --out F.xlsx`` writes one sheet
``自评表`` with a row per qualitative target the unit leads (catalog ``department``): its id, plan,
field and the plan's own sentence (catalog ``source``), then the unit's 自评结论 (a drop-down of the
conclusions of ``params/selfeval.yaml``), 进展说明, 佐证材料 and 填报人/备注. A hidden sheet ``_form``
identifies the form exactly as the standard return's does (:mod:`analysis.returns.template`), so a
filled form dropped in ``data/raw/`` is recognised and read back (:func:`read_form`) without any
configuration; interpreting what was read (conclusion words, target ids, duplicates) is
:mod:`analysis.clean.selfeval`'s job.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.datavalidation import DataValidation

from analysis import atomic, config
from analysis.catalog import Catalog, plan_order
from analysis.returns import template
from analysis.returns.parse import FileProblem

log = logging.getLogger(__name__)

FORM_ID = "plan-monitor-self-evaluation"
FORM_VERSION = 1
DATA_SHEET = "自评表"
HEADER_ROW = 5
FIRST_DATA_ROW = 6
#: the form's columns: what each holds and its heading
COLUMNS = {"indicator": ("A", "指标编号"), "plan": ("B", "规划"), "field": ("C", "领域"),
           "target": ("D", "目标（规划原文）"), "conclusion": ("E", "自评结论"), "progress": ("F", "进展说明"),
           "evidence": ("G", "佐证材料"), "note": ("H", "填报人/备注")}
#: the columns the unit fills in (every cell of them holding text is read: see :func:`content_cells`)
FILLED = ("conclusion", "progress", "evidence", "note")
PLAN_WORDS = {"W": "妇女", "C": "儿童"}
COMMAND = "plan-monitor self-evaluation-form"
WIDTHS = {"A": 9, "B": 6, "C": 14, "D": 46, "E": 11, "F": 42, "G": 28, "H": 14}


@dataclass(frozen=True)
class SelfEvaluationSettings:
    """The conclusions a unit may choose and the word for a target without one
    (``params/selfeval.yaml``, read through :func:`analysis.config.settings_from_yaml`)."""

    path: Path = field(metadata={"path": True})
    #: ({code, zh, en}, …) in the order of the form's drop-down and the report's counts
    conclusions: tuple[dict[str, str], ...]
    #: {zh, en}: a qualitative target with no self-evaluation (未报送)
    not_reported: dict[str, str]

    @property
    def codes(self) -> tuple[str, ...]:
        """The conclusions' codes, in order."""
        return tuple(c["code"] for c in self.conclusions)

    def word(self, code: str, lang: str = "zh") -> str:
        """The word of a conclusion code (or of ``not_reported``) in ``lang``."""
        if code == "not_reported":
            return self.not_reported[lang]
        return next(c[lang] for c in self.conclusions if c["code"] == code)

    def like(self, code: str) -> str:
        """The assessment status whose colour the status chart borrows for a conclusion code (or for
        ``not_reported``)."""
        if code == "not_reported":
            return self.not_reported["like"]
        return next(c["like"] for c in self.conclusions if c["code"] == code)

    def code_of(self, text: Any) -> str | None:
        """The code of a conclusion as written, or None: exactly one of the words once white space
        is removed (" 已实现 " is 已实现; "已完成", "基本完成" are not: a near word is never guessed)."""
        folded = re.sub(r"\s+", "", str(text))
        return next((c["code"] for c in self.conclusions if c["zh"] == folded), None)


def load_settings(path: str | Path = config.SELF_EVALUATION_FILE) -> SelfEvaluationSettings:
    """Read ``params/selfeval.yaml``; ParamsError naming the file when a conclusion lacks its code or
    words, or two share one."""
    settings = config.settings_from_yaml(SelfEvaluationSettings, path)
    where = config.display_path(settings.path)
    entries = settings.conclusions
    if not entries or not all(isinstance(c, dict) and {"code", "zh", "en", "like"} <= set(c) for c in entries):
        raise config.ParamsError(f"{where}: 'conclusions' must be a list of {{code, zh, en, like}}")
    for key in ("code", "zh"):
        values = [str(c[key]) for c in entries]
        if len(set(values)) != len(values) or "not_reported" in values:
            raise config.ParamsError(f"{where}: every conclusion needs its own {key} ('not_reported' is reserved)")
    if not isinstance(settings.not_reported, dict) or not {"zh", "en", "like"} <= set(settings.not_reported):
        raise config.ParamsError(f"{where}: 'not_reported' must give zh, en and like")
    from analysis.scorecard.settings import STATUSES

    strays = sorted(({c["like"] for c in entries} | {settings.not_reported["like"]}) - set(STATUSES))
    if strays:
        raise config.ParamsError(f"{where}: 'like' must name an assessment status {list(STATUSES)}, not {strays}")
    return settings


def form_rows(cat: Catalog, department: str) -> list[dict[str, Any]]:
    """The rows of a unit's form: each qualitative target it leads, in plan order, with its plan,
    field and the plan's sentence."""
    t = cat.indicators
    mine = t[(t["kind"] == "qualitative") & (t["department"] == department)]
    fields = cat.fields or {}
    return [{"indicator_id": e["id"], "plan": PLAN_WORDS[e["plan"]],
             "field": fields.get(f"{e['plan']}{int(e['field'])}", {}).get("zh", f"{e['plan']}{int(e['field'])}"),
             "target": str(e["source"] or e["name_zh"])}
            for _, e in sorted(mine.iterrows(), key=lambda item: plan_order(item[1]["id"]))]


def plan_years() -> tuple[int, int]:
    """The years a self-evaluation can be for: the plan period (``params/plan.yaml``)."""
    p = config.plan()
    return p.first_year, p.final_year


def write_form(cat: Catalog, department: str, year: int, out: str | Path, title_mark: str = "") -> Path:
    """Write the unit's blank self-evaluation form for ``year`` to ``out`` (atomically,
    reproducibly). ``title_mark`` goes before the title (the synthetic sample's 模拟数据 mark).
    ValueError for a unit the profile does not have, one without qualitative targets, or a year
    outside the plan period."""
    full_name = template.check_department(department)["name"]
    first, last = plan_years()
    if not first <= year <= last:
        raise ValueError(f"{year} is outside the plan period {first}–{last}: a self-evaluation is of a plan year")
    rows = form_rows(cat, department)
    if not rows:
        raise ValueError(f"the catalog has no qualitative target led by {department}")
    words = [c["zh"] for c in load_settings().conclusions]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = DATA_SHEET
    _write_title(ws, title_mark, full_name, year, len(rows), words)
    for col, heading in COLUMNS.values():
        ws[f"{col}{HEADER_ROW}"] = heading
        template.style_header(ws[f"{col}{HEADER_ROW}"])
    choice = DataValidation(type="list", formula1='"' + ",".join(words) + '"', allow_blank=True,
                            showErrorMessage=True, errorTitle="自评结论有误",
                            error="请从下拉列表中选择：" + "、".join(words))
    ws.add_data_validation(choice)
    for i, row in enumerate(rows):
        _write_row(ws, FIRST_DATA_ROW + i, row, choice)
    for col, width in WIDTHS.items():
        ws.column_dimensions[col].width = width
    ws.freeze_panes = f"E{FIRST_DATA_ROW}"
    template.write_form_sheet(wb, FORM_ID, FORM_VERSION, department, year, cat, len(rows))
    path = atomic.save_workbook(wb, out)
    log.info("self-evaluation form for %s %d: %d rows -> %s", department, year, len(rows), path)
    return path


def _write_title(ws, mark: str, full_name: str, year: int, n: int, words: list[str]) -> None:
    """The form's title, unit, year and the instructions (rows 1–4), in Chinese."""
    lines = [
        f"{mark}{template.district_name()}妇女儿童发展规划定性目标自查自评表（{year}年度）",
        f"填报单位：{full_name}　　自评年度：{year}年　　本单位牵头的定性目标：{n}项",
        "填写说明：对照每项目标的规划原文，在“自评结论”栏从下拉列表中选择" + "、".join(words)
        + "之一；在“进展说明”栏简述主要工作、进展和存在的问题（选择了结论的，请务必填写；“无法评估”的请写明原因）；"
        "在“佐证材料”栏列出文件、报告、统计资料等的名称。灰色单元格为表样内容，请勿改动，也不要增删或调换列。",
        "自评结论是成员单位的自我评价：评估报告注明“据成员单位自评”，单列统计，不计入量化目标的达标率。",
    ]
    for r, text in enumerate(lines, start=1):
        ws[f"A{r}"] = text
        ws.merge_cells(f"A{r}:H{r}")
        ws[f"A{r}"].alignment = Alignment(wrap_text=True, vertical="center")
    ws["A1"].font = Font(bold=True, size=14)
    ws.row_dimensions[3].height = 48
    ws.row_dimensions[4].height = 30


def _write_row(ws, r: int, row: dict[str, Any], choice: DataValidation) -> None:
    """One target's row: the form's own cells grey, the unit's cells white, the conclusion a drop-down."""
    for part, (col, _) in COLUMNS.items():
        cell = ws[f"{col}{r}"]
        cell.border = template.BOX
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if part in FILLED:
            continue
        cell.value = row["indicator_id" if part == "indicator" else part]
        cell.fill = template.GREY
    choice.add(f"{COLUMNS['conclusion'][0]}{r}")
    ws.row_dimensions[r].height = 15 * max(2, -(-len(row["target"]) // 22))


def form_info(wb) -> dict[str, Any] | None:
    """The identification of a self-evaluation form (its hidden sheet), or None for other workbooks."""
    return template.form_info(wb, FORM_ID)


def expected_header() -> dict[str, str]:
    """Every header cell of the data sheet and the text the form writes in it."""
    return {f"{col}{HEADER_ROW}": heading for col, heading in COLUMNS.values()}


def _text(value: Any) -> str:
    """A cell as text: a number as written ("2024", not "2024.0"), blanks as ""."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_form(wb, info: dict[str, Any], source_file: str) -> list[dict[str, Any]]:
    """Read a filled self-evaluation form: one raw self-evaluation per row with anything in its
    自评结论, 进展说明, 佐证材料 or 填报人/备注 cell (a row left blank is a target not reported).

    The target is read from the row's visible id cell (a sorted form still reads right), the unit
    and the year from the hidden sheet; the year must be a year of the plan period, the unit one of
    ``params/departments.yaml`` and the header the form's, else the whole file is a FileProblem
    naming the cell. Nothing is interpreted here: a conclusion is kept as written."""
    ws = template.data_sheet(wb, DATA_SHEET, "a self-evaluation form", "成员单位自评表", COMMAND)
    year = template.form_year(wb, info, plan_years(), ("of the plan period", "规划期"))
    department = _form_department(wb, info)
    template.check_header(ws, DATA_SHEET, expected_header(), ("the self-evaluation form's", "自评表样"),
                          ("self-evaluations", "自评内容"), COMMAND)
    records = []
    id_col = COLUMNS["indicator"][0]
    for r in range(FIRST_DATA_ROW, ws.max_row + 1):
        cells = {part: ws[f"{COLUMNS[part][0]}{r}"] for part in FILLED}
        texts = {part: _text(c.value) for part, c in cells.items()}
        if not any(texts.values()):
            continue
        records.append({
            "source_file": source_file, "source_sheet": DATA_SHEET, "source_cell": cells["conclusion"].coordinate,
            "reader": "self-evaluation", "department": department, "year": year,
            "indicator_raw": ws[f"{id_col}{r}"].value, "indicator_cell": f"{id_col}{r}",
            **{f"{part}_raw": (texts[part] or None) for part in FILLED},
            **{f"{part}_cell": c.coordinate for part, c in cells.items()},
        })
    return records


def _form_department(wb, info: dict[str, Any]) -> str:
    """The unit the form is for, from its hidden sheet, checked against ``params/departments.yaml``:
    every row of the form is that unit's self-evaluation."""
    ws = wb[template.FORM_SHEET]
    row = next((r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "department"), None)
    where = f"{template.FORM_SHEET}!B{row}" if row else f"{template.FORM_SHEET} (no 'department' row)"
    department = str(info.get("department") or "").strip()
    known = template.departments()
    if department not in known:
        raise FileProblem(f"cell {where} should name the reporting unit, one of params/departments.yaml, but reads "
                          f"'{department}': the cell was edited, or the form is another profile's", template.FORM_SHEET,
                          zh=f"单元格 {where} 应为填报单位（params/departments.yaml 中的单位），但为“{department}”："
                             "该单元格被改动，或是其他地区的表样")
    return department


def content_cells(wb) -> set[tuple[str, str]]:
    """(sheet, cell) of every cell of the columns the unit fills in, from the first data row down,
    that holds anything — counted by walking the sheet, apart from :func:`read_form`, for the
    reconciliation (every such cell must be a cell a raw self-evaluation was read from)."""
    ws = wb[DATA_SHEET]
    cols = {COLUMNS[part][0] for part in FILLED}
    return {(DATA_SHEET, c.coordinate) for row in ws.iter_rows(min_row=FIRST_DATA_ROW) for c in row
            if c.column_letter in cols and _text(c.value)}


def fill_form(path: str | Path, rows: list[dict[str, Any]]) -> Path:
    """Write a unit's answers into a blank self-evaluation form, as the unit would, and save it.

    ``rows``: dicts with ``indicator_id`` and any of ``conclusion`` (as typed: a word of
    ``params/selfeval.yaml`` or anything else), ``progress``, ``evidence``, ``note``. KeyError
    naming a target the form has no row for. Used by the tests and the synthetic sample."""
    wb = openpyxl.load_workbook(path)
    ws = wb[DATA_SHEET]
    id_col = COLUMNS["indicator"][0]
    where = {ws[f"{id_col}{r}"].value: r for r in range(FIRST_DATA_ROW, ws.max_row + 1)}
    for row in rows:
        r = where.get(row["indicator_id"])
        if r is None:
            raise KeyError(f"{config.display_path(Path(path))} has no row for {row['indicator_id']}")
        for part in FILLED:
            if row.get(part) is not None:
                ws[f"{COLUMNS[part][0]}{r}"] = row[part]
    return atomic.save_workbook(wb, path)
