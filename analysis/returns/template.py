"""The standard return: the Excel form a department fills in, and reading it back.

``plan-monitor template --department 卫健委 --year 2024 --out F.xlsx`` writes one sheet
``填报表`` with a row per indicator the department reports (from the catalog) and, where the
catalog monitors it so, a row per urban/rural area or per town; columns for female, male and
total, each with value, numerator and denominator when the indicator is a rate. Units are
printed beside each row, cells carry number validation and a drop-down for the data source,
and a hidden sheet ``_form`` identifies the form, so a filled-in form is read back without
any configuration (see :func:`read_template`).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import column_index_from_string
from openpyxl.worksheet.datavalidation import DataValidation

from analysis import atomic, config, kinds
from analysis.catalog import Catalog
from analysis.returns import parse
from analysis.returns.parse import FileProblem

log = logging.getLogger(__name__)

FORM_ID = "plan-monitor-return"
FORM_VERSION = 1
DATA_SHEET = "填报表"
FORM_SHEET = "_form"
HEADER_ROWS = (5, 6)
FIRST_DATA_ROW = 7
#: sex → (column of value, numerator, denominator)
SEX_COLUMNS = {"female": ("E", "F", "G"), "male": ("H", "I", "J"), "total": ("K", "L", "M")}
SEX_HEADINGS = {"female": "女性", "male": "男性", "total": "合计"}
SOURCE_COLUMN, NOTE_COLUMN = "N", "O"
DATA_SOURCES = ["统计报表", "行政记录", "抽样调查", "估算"]
RATE_KINDS = {"proportion", "rate"}

GREY = PatternFill("solid", fgColor="DDDDDD")
HEAD = PatternFill("solid", fgColor="DCE6F1")
THIN = Side(style="thin", color="999999")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)


@dataclass(frozen=True)
class FormRow:
    """One row of the form: an indicator for one area."""

    indicator_id: str
    name_zh: str
    unit: str
    area: str
    by_sex: bool
    with_counts: bool


def catalog_checksum(cat: Catalog) -> str:
    """SHA-256 of the catalog file: the form says which catalog it was made from."""
    return hashlib.sha256(cat.path.read_bytes()).hexdigest()


def district_name() -> str:
    """The district as the forms name it (the first label of ``params/areas.yaml``): the
    profile's word, so that another county's forms carry its own name."""
    return str(parse.areas()["district"]["labels"][0])


def departments() -> dict[str, dict[str, str]]:
    """The member units of ``params/departments.yaml``: short name → {name, en}."""
    return config.read_yaml(config.DEPARTMENTS_FILE)["departments"]


def check_department(department: str) -> dict[str, str]:
    """The entry of a member unit, or ValueError listing the known ones (a form for a unit the
    profile does not have would never be read back as that unit's)."""
    known = departments()
    if department not in known:
        raise ValueError(f"department '{department}' is not in params/departments.yaml ({', '.join(known)})")
    return known[department]


def areas_in(year: int) -> list[str]:
    """The district's towns in ``year``: current ones, and former ones up to their last year."""
    spec = parse.areas()
    towns = list(spec["towns"])
    towns += [name for name, t in (spec.get("former_towns") or {}).items() if t["last_year"] >= year]
    return towns


def form_rows(cat: Catalog, department: str, year: int) -> list[FormRow]:
    """The rows of a department's form: each monitorable quantitative indicator it reports,
    for the district, then urban and rural, then each town, as the catalog's breakdowns ask."""
    t = cat.indicators
    collected = t["monitorable"] & t["kind"].isin(kinds.MEASURED_KINDS)
    # a gap of another indicator is computed from that indicator's areas, not collected
    collected &= ~((t["direction"] == "narrow") & t["gap_of"].notna())
    # the comparator of a relative target is collected even when its own target is qualitative
    collected |= t["id"].isin(t["relative_to"].dropna())
    mine = t[(t["department"] == department) & collected]
    district = parse.areas()["district"]["labels"][0]
    rows = []
    for _, e in mine.iterrows():
        unit = e["unit"] or ""
        kind = parse.units().get(unit, {}).get("kind")
        areas = [district]
        if "urban_rural" in e["breakdowns"]:
            areas += ["城镇", "农村"]
        if "town" in e["breakdowns"]:
            areas += areas_in(year)
        for area in areas:
            rows.append(FormRow(e["id"], e["name_zh"], unit, area, "sex" in e["breakdowns"],
                                kind in RATE_KINDS))
    return rows


def write_template(cat: Catalog, department: str, year: int, out: str | Path) -> Path:
    """Write the department's blank return for ``year`` to ``out`` (atomically, reproducibly)."""
    full_name = check_department(department)["name"]
    rows = form_rows(cat, department, year)
    if not rows:
        raise ValueError(f"the catalog has no monitorable indicator reported by {department}")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = DATA_SHEET
    ws["A1"] = f"{district_name()}妇女儿童发展规划监测数据填报表（{year}年度）"
    ws["A1"].font = Font(bold=True, size=14)
    ws.merge_cells("A1:O1")
    ws["A2"] = (f"填报单位：{full_name}　　统计年度：{year}年　　"
                "请在白色单元格填写数值；有分子、分母的请一并填写；无数据的留空，不要填“0”。")
    ws.merge_cells("A2:O2")
    ws["A3"] = "单位一栏为指标的计量单位，请按该单位填写（如 93.5 表示 93.5%）。灰色单元格无需填写。"
    ws.merge_cells("A3:O3")
    _write_header(ws)
    number = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0",
                            allow_blank=True, showErrorMessage=True,
                            errorTitle="数值有误", error="请填写不小于0的数字（不要带单位或文字）")
    source = DataValidation(type="list", formula1='"' + ",".join(DATA_SOURCES) + '"',
                            allow_blank=True)
    ws.add_data_validation(number)
    ws.add_data_validation(source)
    for i, row in enumerate(rows):
        r = FIRST_DATA_ROW + i
        for col, value in zip("ABCD", (row.indicator_id, row.name_zh, row.unit, row.area), strict=True):
            ws[f"{col}{r}"] = value
        for sex, cols in SEX_COLUMNS.items():
            for j, col in enumerate(cols):
                cell = ws[f"{col}{r}"]
                cell.border = BOX
                wanted = (sex == "total" or row.by_sex) and (j == 0 or row.with_counts)
                if wanted:
                    number.add(cell.coordinate)
                else:
                    cell.fill = GREY
        source.add(f"{SOURCE_COLUMN}{r}")
        for col in "ABCD" + SOURCE_COLUMN + NOTE_COLUMN:
            ws[f"{col}{r}"].border = BOX
    widths = {"A": 10, "B": 34, "C": 12, "D": 12, SOURCE_COLUMN: 12, NOTE_COLUMN: 24}
    for col in "EFGHIJKLM":
        widths[col] = 10
    for col, width in widths.items():
        ws.column_dimensions[col].width = width
    ws.freeze_panes = f"E{FIRST_DATA_ROW}"

    write_form_sheet(wb, FORM_ID, FORM_VERSION, department, year, cat, len(rows))
    path = atomic.save_workbook(wb, out)
    log.info("template for %s %d: %d rows -> %s", department, year, len(rows), path)
    return path


def write_form_sheet(wb, form_id: str, version: int, department: str, year: int, cat: Catalog, rows: int) -> None:
    """The hidden sheet ``_form`` that identifies a form the suite wrote — which form (``form_id``)
    and version, the unit, the year, the catalog's checksum, the number of rows — so that a filled
    form is read back without any configuration (:func:`form_info`)."""
    form = wb.create_sheet(FORM_SHEET)
    for r, (key, value) in enumerate([("form", form_id), ("version", version), ("department", department),
                                      ("year", year), ("catalog_sha256", catalog_checksum(cat)), ("rows", rows)],
                                     start=1):
        form[f"A{r}"], form[f"B{r}"] = key, value
    form.sheet_state = "hidden"


def style_header(cell) -> None:
    """A header cell of a form: shaded, boxed, bold, centred and wrapped."""
    cell.fill, cell.border = HEAD, BOX
    cell.font = Font(bold=True)
    cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)


def _write_header(ws) -> None:
    top, sub = HEADER_ROWS
    for col, text in zip("ABCD", ("指标编号", "指标名称", "单位", "地区"), strict=True):
        ws[f"{col}{top}"] = text
        ws.merge_cells(f"{col}{top}:{col}{sub}")
    for sex, cols in SEX_COLUMNS.items():
        ws[f"{cols[0]}{top}"] = SEX_HEADINGS[sex]
        ws.merge_cells(f"{cols[0]}{top}:{cols[-1]}{top}")
        for col, text in zip(cols, ("数值", "分子", "分母"), strict=True):
            ws[f"{col}{sub}"] = text
    for col, text in ((SOURCE_COLUMN, "数据来源"), (NOTE_COLUMN, "备注")):
        ws[f"{col}{top}"] = text
        ws.merge_cells(f"{col}{top}:{col}{sub}")
    for r in HEADER_ROWS:
        for c in range(1, 16):
            style_header(ws.cell(r, c))


def form_info(wb, form_id: str = FORM_ID) -> dict[str, Any] | None:
    """The identification of a form the suite wrote (its hidden sheet) when it is the form
    ``form_id`` — the standard return by default, the self-evaluation form with
    :data:`analysis.returns.selfeval.FORM_ID` — or None for other workbooks."""
    if FORM_SHEET not in wb.sheetnames:
        return None
    ws = wb[FORM_SHEET]
    info = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(1, ws.max_row + 1)}
    return info if info.get("form") == form_id else None


def data_sheet(wb, sheet: str, form_en: str = "a standard return", form_zh: str = "标准填报表",
               command: str = "plan-monitor template"):
    """The data sheet of a form the hidden sheet identifies, or a FileProblem saying it is gone
    (renamed?) — never another sheet read in its place."""
    if sheet in wb.sheetnames:
        return wb[sheet]
    raise FileProblem(f"{form_en} (its hidden sheet '{FORM_SHEET}' says so) without its data sheet "
                      f"'{sheet}' (the workbook has: {', '.join(wb.sheetnames)}): was the sheet renamed? "
                      f"Name it '{sheet}' again, or fill in a new form ({command})", FORM_SHEET,
                      zh=f"这是{form_zh}（隐藏工作表“{FORM_SHEET}”如此标明），但缺少数据工作表“{sheet}”"
                         f"（现有：{'、'.join(wb.sheetnames)}）：是否被改名？请改回“{sheet}”，或重新填写表样（{command}）")


def read_template(wb, info: dict[str, Any], source_file: str,
                  formulas: dict[tuple[str, str], str] | None = None) -> tuple[list[dict], list[dict]]:
    """Read a filled-in standard return: (raw values, missing cells).

    A raw value is one row and sex with anything in its value, numerator or denominator cell;
    the row's indicator id and area are read from the visible cells (so a sorted form still
    reads right), the year from the form. Cells expected but left blank are returned as
    missing, for the coverage report. ``formulas``: the cells holding a formula whose result was
    never saved (:func:`analysis.returns.read.uncached_formulas`) — read as that formula, never as
    a blank.
    """
    formulas = formulas or {}
    ws = data_sheet(wb, DATA_SHEET)
    year = form_year(wb, info)
    check_layout(ws)
    records, missing = [], []
    for r in range(FIRST_DATA_ROW, ws.max_row + 1):
        indicator = ws[f"A{r}"].value
        area = ws[f"D{r}"].value
        unit = ws[f"C{r}"].value
        for sex, cols in SEX_COLUMNS.items():
            cells = [ws[f"{c}{r}"] for c in cols]
            raw = [formulas.get((DATA_SHEET, c.coordinate), c.value) if c.value is None else c.value for c in cells]
            filled = [not parse.is_missing(v) for v in raw]
            expected = cells[0].fill != GREY and cells[0].fill.fgColor.rgb != GREY.fgColor.rgb
            base = {"source_file": source_file, "source_sheet": DATA_SHEET,
                    "indicator_raw": indicator, "year_raw": year, "area_raw": area,
                    "sex_raw": sex, "reader": "template"}
            if not any(filled):
                if indicator is not None and expected:
                    missing.append({**base, "source_cell": cells[0].coordinate,
                                    "marker": "" if raw[0] is None else str(raw[0])})
                continue
            first = next(c for c, f in zip(cells, filled, strict=True) if f)
            records.append({
                **base, "source_cell": first.coordinate, "unit_hint": unit, "not_asked": not expected,
                "uncached_formula": any((DATA_SHEET, c.coordinate) in formulas for c in cells),
                **{f"{part}_raw": (v if f else None)
                   for part, v, f in zip(("value", "numerator", "denominator"), raw, filled, strict=True)},
                **{f"{part}_cell": c.coordinate
                   for part, c in zip(("value", "numerator", "denominator"), cells, strict=True)},
                "percent_format": "%" in (cells[0].number_format or ""),
            })
    return records, missing


def expected_header() -> dict[str, str]:
    """Every header cell of the data sheet and the text the form writes in it (a merged header's
    text is in its top-left cell)."""
    top, sub = HEADER_ROWS
    cells = {f"{c}{top}": t for c, t in zip("ABCD", ("指标编号", "指标名称", "单位", "地区"), strict=True)}
    for sex, cols in SEX_COLUMNS.items():
        cells[f"{cols[0]}{top}"] = SEX_HEADINGS[sex]
        cells.update({f"{c}{sub}": t for c, t in zip(cols, ("数值", "分子", "分母"), strict=True)})
    cells[f"{SOURCE_COLUMN}{top}"], cells[f"{NOTE_COLUMN}{top}"] = "数据来源", "备注"
    return cells


def content_cells(wb) -> set[tuple[str, str]]:
    """(sheet, cell) of every cell of the data sheet's value, numerator and denominator columns,
    from the first data row down, that holds a figure (not a blank or a missing marker) — counted
    by walking the sheet, apart from :func:`read_template`, for the reconciliation."""
    ws = wb[DATA_SHEET]
    first = min(column_index_from_string(c) for cols in SEX_COLUMNS.values() for c in cols)
    last = max(column_index_from_string(c) for cols in SEX_COLUMNS.values() for c in cols)
    return {(DATA_SHEET, c.coordinate) for row in ws.iter_rows(min_row=FIRST_DATA_ROW, min_col=first, max_col=last)
            for c in row if c.value is not None and str(c.value).strip() and not parse.is_missing(c.value)}


def check_layout(ws) -> None:
    """Refuse a data sheet whose header is not the one the form wrote: the values are read by
    column (female value in E, male in H …), so a column inserted, a sex block moved or a header
    row deleted would put every figure under the wrong sex, part or row without a word. The
    problem names each cell that differs."""
    check_header(ws, DATA_SHEET, expected_header())


def check_header(ws, sheet: str, expected: dict[str, str], form: tuple[str, str] = ("the standard form's", "标准表样"),
                 what: tuple[str, str] = ("values", "数值"), command: str = "plan-monitor template") -> None:
    """Refuse a form's data sheet whose header cells (``expected``: cell → the text the form
    writes) no longer say what the form wrote, naming each cell that differs: a form is read by
    column, so a moved column would put its ``what`` (English, Chinese) under the wrong heading
    without a word. ``form``: the form in the message's words; ``command``: how to get a new one."""
    wrong, wrong_zh = [], []
    for ref, text in expected.items():
        found = ws[ref].value
        if parse.fold(str(found or "")) != parse.fold(text):
            wrong.append(f"{ref} reads '{'' if found is None else found}' (the form writes '{text}')")
            wrong_zh.append(f"{ref}为“{'' if found is None else found}”（表样为“{text}”）")
    if wrong:
        raise FileProblem(f"the header of sheet '{sheet}' is not {form[0]}, so its {what[0]} cannot be "
                          "read by column: " + "; ".join(wrong[:6]) + ("; …" if len(wrong) > 6 else "")
                          + f". Restore the form's columns (or copy the {what[0]} into a new form from "
                          f"{command})", sheet,
                          zh=f"工作表“{sheet}”的表头与{form[1]}不同，无法按列读取{what[1]}：" + "；".join(wrong_zh[:6])
                          + ("；……" if len(wrong_zh) > 6 else "")
                          + f"。请恢复表样的各列（或把{what[1]}复制到 {command} 生成的新表样中）")


def form_year(wb, info: dict[str, Any], years: tuple[int, int] | None = None,
              period: tuple[str, str] = ("the suite monitors", "监测年份")) -> int:
    """The year the form is for, from its hidden sheet, checked against ``years`` (first, last;
    default the monitored years of ``params/cleaning.yaml``; ``period``: their name, English and
    Chinese): a wrong year there would put every value of the form in another year."""
    ws = wb[FORM_SHEET]
    row = next((r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "year"), None)
    where = f"{FORM_SHEET}!B{row}" if row else f"{FORM_SHEET} (no 'year' row)"
    try:
        year = parse.parse_year(info.get("year"))
    except parse.ParseError as exc:
        raise FileProblem(f"cell {where} should hold the year of the return: {exc}", FORM_SHEET,
                          zh=f"单元格 {where} 应为报表年份：{exc.zh}") from exc
    rules = parse.cleaning_rules()["years"]
    first, last = years or (rules["first"], rules["last"])
    if not first <= year <= last:
        raise FileProblem(f"cell {where} says the return is for {year}, outside the years {first}–{last} "
                          f"{period[0]}: a form for another year, or the cell was edited", FORM_SHEET,
                          zh=f"单元格 {where} 写明报表年份为{year}年，不在{period[1]}（{first}—{last}年）之内："
                             "是其他年度的表样，或该单元格被改动")
    return year


def fill_template(path: str | Path, values: list[dict[str, Any]]) -> Path:
    """Write values into a blank standard return, as a department would, and save it.

    ``values``: dicts with ``indicator_id``, ``area`` (as the form writes it: the district's first label, 城镇, a
    town), ``sex`` (female/male/total) and any of ``value``, ``numerator``, ``denominator``
    (a number, or text as a department might type it). Raises KeyError naming the row the
    form does not have. Used to fill forms programmatically (tests, the synthetic sample).
    """
    wb = openpyxl.load_workbook(path)
    ws = wb[DATA_SHEET]
    rows = {(ws[f"A{r}"].value, ws[f"D{r}"].value): r for r in range(FIRST_DATA_ROW, ws.max_row + 1)}
    for v in values:
        r = rows.get((v["indicator_id"], v["area"]))
        if r is None:
            raise KeyError(f"{config.display_path(Path(path))} has no row for {v['indicator_id']} in {v['area']}")
        for part, col in zip(("value", "numerator", "denominator"), SEX_COLUMNS[v["sex"]], strict=True):
            if v.get(part) is not None:
                ws[f"{col}{r}"] = v[part]
    return atomic.save_workbook(wb, path)
