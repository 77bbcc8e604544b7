"""Writing the synthetic returns as the departments deliver them: forms, legacy workbooks, CSV."""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from analysis import atomic
from analysis.catalog import Catalog
from analysis.returns import parse, template
from analysis.synthetic.draw import Sample
from analysis.synthetic.society import _students
from analysis.synthetic.world import (
    CIVIL_FILE,
    EDUCATION_FILE,
    HEALTH_FILE,
    HRSS_FILE,
    INSURANCE_FILE,
    MAPPING_SUFFIX,
    NEW_NAME,
    OLD_NAME,
    ORGANISATION_FILE,
    PLANTED,
    POP_2020,
    SEX_ZH,
    SEXES,
    SYNTHETIC_MARK,
    WATER_FILE,
    WOMEN_FILE,
    YEARS,
    Rec,
    World,
)

log = logging.getLogger(__name__)


def _fmt(value: float, decimals: int) -> str:
    """A value as the returns write it: fixed decimals, so the bytes never depend on float repr."""
    return f"{value:.{decimals}f}"


def _fullwidth(text: str) -> str:
    """Digits and the decimal point in their full-width forms, as some spreadsheets type them."""
    return text.translate(str.maketrans("0123456789.", "０１２３４５６７８９．"))


def _area_label(area: str) -> str:
    """How a return names an area: the district's first label, 城镇, 农村 or the town."""
    district = parse.areas()["district"]["labels"][0]
    return {"district": district, "urban": "城镇", "rural": "农村"}.get(area, area)


def _district() -> str:
    """How a return names the whole district: the first label of params/areas.yaml."""
    return _area_label("district")


def _write_csv(path: Path, header: list[str], rows: list[list[Any]], encoding: str) -> Path:
    """A CSV with "\\n" line endings, in the encoding given, written atomically."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    with atomic.atomic_output(path) as tmp:
        tmp.write_bytes(buffer.getvalue().encode(encoding))
    return path


def _write_text(path: Path, text: str) -> Path:
    """UTF-8 text (with the caller's "\\n" line endings), written atomically."""
    with atomic.atomic_output(path) as tmp:
        tmp.write_bytes(text.encode("utf-8"))
    return path


def write_health_forms(sample: Sample, cat: Catalog, out: Path) -> list[Path]:
    """卫健委: the standard return, one form a year, written by :func:`template.write_template`
    and filled by :func:`template.fill_template` like a department would; the title says 模拟数据."""
    paths = []
    for y in YEARS:
        path = out / HEALTH_FILE.format(year=y)
        template.write_template(cat, "卫健委", y, path)
        values = [{"indicator_id": r.indicator, "area": _area_label(r.area), "sex": r.sex, "value": r.value,
                   "numerator": r.numerator, "denominator": r.denominator}
                  for r in sample.records if r.dest == "卫健委" and r.year == y and r.status == "ok"]
        template.fill_template(path, values)
        wb = openpyxl.load_workbook(path)
        ws = wb[template.DATA_SHEET]
        ws["A1"] = SYNTHETIC_MARK + str(ws["A1"].value)
        atomic.save_workbook(wb, path)
        paths.append(path)
    return paths


def _style_header(ws, rows: Iterable[int], last_col: int) -> None:
    """Bold, centred header rows (as departments format them; not read)."""
    for r in rows:
        for c in range(1, last_col + 1):
            cell = ws.cell(r, c)
            cell.font = Font(bold=True)
            cell.alignment = Alignment(horizontal="center", vertical="center")


def _year_sex_sheet(ws, title: str, subtitle: str, rows: list[tuple[str, dict[tuple[int, str], Any]]],
                    years: list[int], notes: list[str], merged: bool = True,
                    sex_heads: tuple[str, str, str] = ("女", "男", "合计")) -> dict[tuple[str, int, str], str]:
    """A department's year × sex table: title, unit line, a year header over 女/男/合计 (merged
    across its three columns, or repeated), a row per indicator, notes under the table. Returns
    the coordinate of every (label, year, sex) cell."""
    last = 1 + 3 * len(years)
    end = get_column_letter(last)
    ws["A1"], ws["A2"] = title, subtitle
    ws.merge_cells(f"A1:{end}1")
    ws.merge_cells(f"A2:{end}2")
    ws["A1"].font = Font(bold=True, size=13)
    ws["A3"] = "指标"
    ws.merge_cells("A3:A4")
    for i, y in enumerate(years):
        c = 2 + 3 * i
        if merged:
            ws.cell(3, c, f"{y}年")
            ws.merge_cells(start_row=3, start_column=c, end_row=3, end_column=c + 2)
        else:
            for j in range(3):
                ws.cell(3, c + j, f"{y}年")
        for j, head in enumerate(sex_heads):
            ws.cell(4, c + j, head)
    _style_header(ws, (3, 4), last)
    where = {}
    for k, (label, cells) in enumerate(rows):
        r = 5 + k
        ws.cell(r, 1, label)
        for (y, sex), value in cells.items():
            c = 2 + 3 * years.index(y) + SEXES.index(sex)
            ws.cell(r, c, value)
            where[(label, y, sex)] = f"{get_column_letter(c)}{r}"
    r = 5 + len(rows) + 1
    for note in notes:
        ws.cell(r, 1, note)
        ws.merge_cells(f"A{r}:{end}{r}")
        r += 1
    ws.column_dimensions["A"].width = 30
    for c in range(2, last + 1):
        ws.column_dimensions[get_column_letter(c)].width = 8
    return where


def _planted(kind: str, file: str, sheet: str | None = None) -> list[dict[str, str]]:
    """The :data:`PLANTED` entries of a kind in a file (and sheet)."""
    return [p for p in PLANTED if p["kind"] == kind and p["file"] == file and (sheet is None or p["sheet"] == sheet)]


def _expect_cell(kind: str, file: str, sheet: str, cell: str) -> None:
    """Stop if a planted problem is not in the cell :data:`PLANTED` says (the list and the
    layout must agree: the tests and the README read the list)."""
    cells = {p["cell"] for p in _planted(kind, file, sheet)}
    if cell not in cells:
        raise AssertionError(f"PLANTED says {kind} in {file} {sheet} {sorted(cells)}, the generator wrote {cell}")


def _expand(cells: str) -> list[str]:
    """The cells of a range ("B7:D7") or the one cell named."""
    if ":" not in cells:
        return [cells]
    from openpyxl.utils.cell import range_boundaries

    c1, r1, c2, r2 = range_boundaries(cells)
    return [f"{get_column_letter(c)}{r}" for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)]


def _edu_cell(r: Rec) -> Any:
    """How 教体局 wrote a figure: a number; "71.2%" text in 2016–2017; full-width digits in a few
    cells; "—" for a year not collected; the planted typo without its decimal point."""
    if r.status == "dash":
        return "—"
    if r.status == "typo":
        return int(round(r.value * 10))
    text = _fmt(r.value, r.decimals)
    if (r.indicator, r.year, r.sex) in {("C1.10", 2019, "female"), ("C1.10", 2019, "male"),
                                        ("C3.3", 2021, "total")}:
        return _fullwidth(text)
    if r.year in (2016, 2017) and r.sheet in ("视力体质", "入学巩固"):
        return text + "%"
    return float(text)


EDUCATION_SHEETS: dict[str, list[tuple[str, str]]] = {
    "视力体质": [("小学生近视率", "C1.9b"), ("初中生近视率", "C1.9c"), ("高中阶段学生近视率", "C1.9d"),
             ("中小学生体质健康达标优良率", "C1.10")],
    "入学巩固": [("学前教育毛入园率", "C3.3"), ("九年义务教育巩固率", "C3.4"), ("高中阶段教育毛入学率", "C3.5"),
             ("公办幼儿园在园幼儿占比", "C3.M6a"), ("学前教育教师接受专业教育比例", "C3.M6b"),
             ("残疾儿童义务教育巩固率", "C3.6")],
    "妇女规划指标": [("九年义务教育巩固率", "W2.4"), ("高中阶段教育毛入学率", "W2.5")],
}


EDUCATION_NOTES = {
    "视力体质": ["注：1. 近视率为当年秋季学期视力筛查结果，筛查人数见“在校学生数”表；2. 2015年高中阶段未开展视力筛查；"
             "3. 2020年受疫情影响未组织体质健康测试。", "数据来源：{area}教育体育局学校卫生统计（模拟数据）"],
    "入学巩固": ["注：毛入园（学）率 = 在园（校）人数 / 相应年龄人口；"
             "九年义务教育巩固率 = 初三毕业人数 / 九年前入学人数。", "数据来源：{area}教育事业统计年报（模拟数据）"],
    "妇女规划指标": ["注：本表为《妇女发展规划》监测指标，数值同“入学巩固”表。",
               "数据来源：{area}教育事业统计年报（模拟数据）"],
}


def write_education(sample: Sample, out: Path) -> list[Path]:
    """教体局: one legacy workbook in the bureau's own layout (merged year headers over
    女/男/合计, units in some cells, full-width digits, "—", notes under the tables, a reference
    sheet of pupils the mapping does not read) and its mapping file."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    years = list(YEARS)
    for sheet, rows in EDUCATION_SHEETS.items():
        ws = wb.create_sheet(sheet)
        table = []
        for label, ind in rows:
            cells = {(r.year, r.sex): _edu_cell(r) for r in sample.records
                     if r.indicator == ind and r.sheet == sheet and r.status != "absent"}
            table.append((label, cells))
        where = _year_sex_sheet(ws, f"{SYNTHETIC_MARK}{_district()}教育体育局 {sheet}监测汇总表（2015—2024年）",
                                f"填报单位：{_district()}教育体育局（模拟）　　单位：%", table, years,
                                [n.format(area=_district()) for n in EDUCATION_NOTES[sheet]])
        label_of = {ind: label for label, ind in rows}
        for r in sample.records:
            if r.sheet == sheet and r.status in ("typo", "dash"):
                kind = "typo" if r.status == "typo" else "missing"
                cell = where[(label_of[r.indicator], r.year, r.sex)]
                cells = [c for p in _planted(kind, EDUCATION_FILE, sheet) for c in _expand(p["cell"])]
                if cell not in cells:
                    raise AssertionError(f"PLANTED does not name {EDUCATION_FILE} {sheet} {cell} ({kind})")
    _enrolment_sheet(wb.create_sheet("在校学生数（参考）"), sample.world)
    path = atomic.save_workbook(wb, out / EDUCATION_FILE)
    mapping = _mapping_text("教体局", "教体局教育统计汇总表（模拟数据，按该局原有格式）", [
        {"sheet": sheet, "header_rows": [3, 4], "first_data_row": 5, "rows": "indicator",
         "labels": dict(rows), "area": _district(), "sex": "total", "unit": "%"}
        for sheet, rows in EDUCATION_SHEETS.items()],
        "the sheet 在校学生数（参考） is background (pupils by level and sex) and is not read")
    return [path, _write_text(out / (EDUCATION_FILE + MAPPING_SUFFIX), mapping)]


def _enrolment_sheet(ws, w: World) -> None:
    """Pupils by level and sex (background for the rates; no catalog indicator, so unmapped)."""
    years = list(YEARS)
    rows = []
    for label, level in (("在园幼儿数", "kindergarten"), ("小学在校生数", "primary"), ("初中在校生数", "junior"),
                         ("高中阶段在校生数", "senior")):
        cells = {}
        for y in years:
            f, m = _students(w, y, level, "female"), _students(w, y, level, "male")
            cells.update({(y, "female"): f, (y, "male"): m, (y, "total"): f + m})
        rows.append((label, cells))
    _year_sex_sheet(ws, f"{SYNTHETIC_MARK}{_district()}在校学生数（参考，不属于监测指标）", "单位：人", rows, years,
                    ["说明：本表供核对比率的分母，不在映射文件中，清洗步骤不读取。"])


def write_insurance(sample: Sample, out: Path) -> list[Path]:
    """医保局 (set up in 2019): a legacy workbook with repeated (not merged) year headers over
    女性/男性/合计, 2019–2024, and its mapping file."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "参保率"
    years = list(range(2019, YEARS[-1] + 1))
    rows = [("基本医疗保险参保率", "W5.3"), ("生育保险参保率", "W5.2")]
    table = [(label, {(r.year, r.sex): float(_fmt(r.value, r.decimals)) for r in sample.records
                      if r.indicator == ind and r.dest == "医保局"}) for label, ind in rows]
    where = _year_sex_sheet(ws, f"{SYNTHETIC_MARK}{_district()}医疗保障局 参保情况统计表（2019—2024年）",
                            "单位：%　　基本医疗保险参保率分性别为各性别户籍人口参保率", table, years,
                            ["注：医保局2019年组建，此前数据由人社局报送。",
                             f"数据来源：{_district()}医疗保障局（模拟数据）"],
                            merged=False, sex_heads=("女性", "男性", "合计"))
    _expect_cell("conflicting_duplicate", INSURANCE_FILE, "参保率", where[("基本医疗保险参保率", 2019, "female")])
    path = atomic.save_workbook(wb, out / INSURANCE_FILE)
    mapping = _mapping_text("医保局", "医保局参保情况统计表（模拟数据）", [
        {"sheet": "参保率", "header_rows": [3, 4], "first_data_row": 5, "rows": "indicator",
         "labels": dict(rows), "area": _district(), "sex": "total", "unit": "%"}])
    return [path, _write_text(out / (INSURANCE_FILE + MAPPING_SUFFIX), mapping)]


def write_water(sample: Sample, out: Path) -> list[Path]:
    """水利局: a legacy workbook with a row per town (首阳山街道 under its old name 首阳山镇,
    佃庄镇 to 2021) and a summary sheet for the children's plan, and its mapping file."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "农村自来水普及率"
    years = list(YEARS)
    last = get_column_letter(1 + len(years))
    ws["A1"] = f"{SYNTHETIC_MARK}{_district()}农村自来水普及率统计表（2015—2024年）"
    ws["A2"] = f"填报单位：{_district()}水利局（模拟）　　单位：%"
    ws.merge_cells(f"A1:{last}1")
    ws.merge_cells(f"A2:{last}2")
    ws["A3"] = "乡镇（街道）"
    for i, y in enumerate(years):
        ws.cell(3, 2 + i, f"{y}年")
    _style_header(ws, (3,), 1 + len(years))
    areas = ["district", *POP_2020]
    for k, area in enumerate(areas):
        r = 4 + k
        label = {"district": "合计", NEW_NAME: OLD_NAME}.get(area, area)
        ws.cell(r, 1, label)
        if area == NEW_NAME:
            _expect_cell("old_name", WATER_FILE, ws.title, f"A{r}")
        for rec in sample.records:
            if rec.indicator == "W7.6a" and rec.area == area:
                cell = ws.cell(r, 2 + years.index(rec.year))
                cell.value = "—" if rec.status == "dash" else float(_fmt(rec.value, rec.decimals))
                if rec.status == "dash":
                    _expect_cell("missing", WATER_FILE, ws.title, cell.coordinate)
    r = 4 + len(areas) + 1
    for note in ("注：1. 普及率 = 农村集中供水受益人口 / 农村常住人口；2. 佃庄镇2022年起不再属本区，不再统计。",
                 f"数据来源：{_district()}水利局农村供水工程统计（模拟数据）"):
        ws.cell(r, 1, note)
        ws.merge_cells(f"A{r}:{last}{r}")
        r += 1
    ws.column_dimensions["A"].width = 16
    summary = wb.create_sheet("汇总")
    summary["A1"] = f"{SYNTHETIC_MARK}{_district()}《儿童发展规划》供水指标汇总"
    summary["A2"] = "单位：%"
    summary["A3"] = "指标"
    for i, y in enumerate(years):
        summary.cell(3, 2 + i, f"{y}年")
    summary["A4"] = "农村自来水普及率"
    for rec in sample.records:
        if rec.indicator == "C6.7a":
            summary.cell(4, 2 + years.index(rec.year), float(_fmt(rec.value, rec.decimals)))
    summary.column_dimensions["A"].width = 18
    path = atomic.save_workbook(wb, out / WATER_FILE)
    mapping = _mapping_text("水利局", "水利局农村供水统计表（模拟数据，按该局原有格式）", [
        {"sheet": "农村自来水普及率", "header_rows": [3], "first_data_row": 4, "rows": "area",
         "indicator": "W7.6a", "sex": "total", "unit": "%"},
        {"sheet": "汇总", "header_rows": [3], "first_data_row": 4, "rows": "indicator",
         "labels": {"农村自来水普及率": "C6.7a"}, "area": _district(), "sex": "total", "unit": "%"}])
    return [path, _write_text(out / (WATER_FILE + MAPPING_SUFFIX), mapping)]


def _mapping_text(department: str, source: str, sheets: list[dict[str, Any]], note: str = "") -> str:
    """A mapping file (docs/returns.md §3), written by hand so that it reads like one."""
    lines = [f"# {SYNTHETIC_MARK} mapping of a synthetic legacy workbook (analysis/synthetic/)"]
    if note:
        lines.append(f"# {note}")
    lines += [f"department: {department}", f'source: "{source}"', "sheets:"]
    for s in sheets:
        lines.append(f"  - sheet: {s['sheet']}")
        lines.append(f"    header_rows: [{', '.join(str(r) for r in s['header_rows'])}]")
        for key in ("first_data_row", "rows", "indicator", "area", "sex"):
            if key in s:
                lines.append(f"    {key}: {s[key]}")
        lines.append(f'    unit: "{s["unit"]}"')
        if "labels" in s:
            lines.append("    labels:")
            lines += [f"      {label}: {ind}" for label, ind in s["labels"].items()]
    return "\n".join(lines) + "\n"


def _area_order(w: World) -> dict[str, int]:
    """The order returns list areas in: district, urban, rural, then the towns."""
    return {a: i for i, a in enumerate(["district", "urban", "rural", *POP_2020])}


def write_civil_affairs(sample: Sample, out: Path) -> list[Path]:
    """民政局: one CSV in GBK with Chinese headers (指标编号, 年份 as "2021年", 地区, 性别, 数值,
    分子, 分母, 备注), a row per indicator, year and area."""
    order = _area_order(sample.world)
    recs = sorted((r for r in sample.records if r.dest == "民政局"),
                  key=lambda r: (["W4.7c", "W4.8c", "C4.8"].index(r.indicator), r.year, order[r.area]))
    rows = [[r.indicator, f"{r.year}年", _area_label(r.area), SEX_ZH[r.sex], _fmt(r.value, r.decimals),
             r.numerator, r.denominator, "模拟数据" + ("；村（社区）两委换届" if r.year in (2018, 2021) else "")]
            for r in recs]
    return [_write_csv(out / CIVIL_FILE, ["指标编号", "年份", "地区", "性别", "数值", "分子", "分母", "备注"], rows,
                       "gbk")]


def write_hrss(sample: Sample, out: Path) -> list[Path]:
    """人社局: a plain UTF-8 long CSV with English headers; women's medical insurance first
    (its 2019 row is one of the planted conflicting pair), then employment and insurance."""
    order = ["W5.3", "W3.2", "W3.3", "W3.4", "W5.4", "W5.5a", "W5.5b"]
    recs = sorted((r for r in sample.records if r.dest == "人社局" and r.status != "absent"),
                  key=lambda r: (order.index(r.indicator), r.year, SEXES.index(r.sex)))
    rows = []
    for r in recs:
        unit = "人" if r.indicator in ("W5.5a", "W5.5b") else "%"
        note = "synthetic 模拟数据" + ("; from the 人社局 enrolment register" if r.status == "conflict" else "")
        rows.append([r.indicator, r.year, _district(), SEX_ZH[r.sex], _fmt(r.value, r.decimals), unit,
                     "" if r.numerator is None else r.numerator, "" if r.denominator is None else r.denominator, note])
        if r.status == "conflict":
            _expect_cell("conflicting_duplicate", HRSS_FILE, "", f"E{len(rows) + 1}")
    header = ["indicator_id", "year", "area", "sex", "value", "unit", "numerator", "denominator", "note"]
    return [_write_csv(out / HRSS_FILE, header, rows, "utf-8")]


def write_organisation(sample: Sample, cat: Catalog, out: Path) -> list[Path]:
    """组织部: UTF-8 with a BOM (as Excel saves it), indicators named by their Chinese names."""
    order = ["W4.2a", "W4.2b", "W4.4a", "W4.5"]
    recs = sorted((r for r in sample.records if r.dest == "组织部"), key=lambda r: (order.index(r.indicator), r.year))
    rows = [[cat.indicators.at[r.indicator, "name_zh"], r.year, _district(), "合计", _fmt(r.value, r.decimals),
             r.numerator, r.denominator, "模拟数据" + ("；党代会换届" if r.indicator == "W4.2b" else "")] for r in recs]
    header = ["指标名称", "年份", "地区", "性别", "数值", "分子", "分母", "备注"]
    return [_write_csv(out / ORGANISATION_FILE, header, rows, "utf-8-sig")]


def write_womens_federation(sample: Sample, out: Path) -> list[Path]:
    """妇联: UTF-8 with Chinese headers and the unit in its own column, 2021–2024."""
    recs = sorted((r for r in sample.records if r.dest == "妇联"), key=lambda r: (r.indicator, r.year))
    rows = [[r.indicator, r.year, _district(), _fmt(r.value, r.decimals), "%", r.numerator, r.denominator,
             "模拟数据：" + ("城市学校" if r.indicator == "C5.6a" else "农村学校")
             + "中建立家长学校或指导站点的学校数 / 学校数"]
            for r in recs]
    return [_write_csv(out / WOMEN_FILE, ["指标编号", "年份", "地区", "数值", "单位", "分子", "分母", "说明"], rows,
                       "utf-8")]


FILE_NOTES: list[tuple[str, str, str, str]] = [
    (HEALTH_FILE.format(year="2015") + " … " + HEALTH_FILE.format(year="2024"), "卫健委",
     "standard return (plan-monitor template), one a year",
     "maternal mortality (W1.2a; urban/rural from 2021), screening, testing and management rates, "
     "neonatal/infant/under-5 mortality by sex and urban/rural with deaths and live births, vaccination "
     "coverage by town (佃庄镇 to 2021), child anaemia/stunting/overweight, eye care, caries, "
     "breast-feeding, paediatric doctors and beds, child injury mortality; rates with numerator and denominator"),
    (EDUCATION_FILE, "教体局", "legacy workbook + mapping",
     "sheets 视力体质 (myopia C1.9b–d, fitness C1.10), 入学巩固 (C3.3, C3.4, C3.5, C3.M6a, C3.M6b, C3.6), "
     "妇女规划指标 (W2.4, W2.5) by 女/男/合计 under merged year headers; 在校学生数（参考） (pupils, not read)"),
    (INSURANCE_FILE, "医保局", "legacy workbook + mapping",
     "sheet 参保率: W5.3 by sex and W5.2, 2019–2024, repeated year headers over 女性/男性/合计"),
    (WATER_FILE, "水利局", "legacy workbook + mapping",
     "sheet 农村自来水普及率: W7.6a by town (rows: areas), 合计 = district; sheet 汇总: C6.7a"),
    (CIVIL_FILE, "民政局", "long CSV, GBK, Chinese headers",
     "W4.7c and W4.8c by town and district, C4.8 by urban/rural, with 分子/分母"),
    (HRSS_FILE, "人社局", "long CSV, UTF-8, English headers",
     "W5.3 (women, 2015–2019), W3.2, W3.3, W3.4 (from 2017), W5.4 by sex, W5.5a/W5.5b (persons) by sex"),
    (ORGANISATION_FILE, "组织部", "long CSV, UTF-8 with BOM, indicators by Chinese name",
     "W4.2a, W4.2b (congress years 2016 and 2021), W4.4a, W4.5 with counts"),
    (WOMEN_FILE, "妇联", "long CSV, UTF-8, Chinese headers, unit column", "C5.6a, C5.6b, 2021–2024, with counts"),
    ("模拟_自评_<unit>_2024.xlsx", "the units leading qualitative targets",
     "self-evaluation form (plan-monitor self-evaluation-form), one per unit",
     "each qualitative target the unit leads: 自评结论, 进展说明, 佐证材料 (see below)"),
]
