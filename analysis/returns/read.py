"""Reading the departments' returns as delivered: every file under ``data/raw/``.

Three shapes of return are read (``docs/returns.md``): the standard return (an Excel form written by
:mod:`analysis.returns.template`), legacy workbooks in a department's own layout with a mapping
file beside them, and long CSV files in UTF-8, UTF-8 with BOM, GBK or GB18030. Each reader
turns a file into *raw values* — one reported figure each, with the exact file, sheet and
cell it came from — and the cells that were expected but empty. A member unit's self-evaluation
form (:mod:`analysis.returns.selfeval`) is recognised by its hidden sheet too and read into *raw
self-evaluations*, one per filled row. Interpreting the values
(indicator, unit, area, checks) is :mod:`analysis.clean`'s job; reading never drops or
changes a value.

A file that cannot be read (corrupt, password-protected, empty, no recognisable table) is
reported as a file problem and the other files are still read.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
from defusedxml import DefusedXmlException
from openpyxl.utils import column_index_from_string, get_column_letter

from analysis import config
from analysis.returns import parse, selfeval, template
from analysis.returns.parse import FileProblem

log = logging.getLogger(__name__)

MAPPING_SUFFIX = ".mapping.yaml"
DOC_SUFFIXES = {".md", ".txt", ".pdf", ".docx", ".doc"}
ENCODINGS = (("utf-8-sig", "UTF-8 with BOM"), ("utf-8", "UTF-8"), ("gb18030", "GBK/GB18030"))

#: long CSV columns and the headers that name them (English or Chinese)
CSV_COLUMNS = {
    "indicator_id": ["indicator_id", "indicator", "指标编号", "指标", "指标名称"],
    "year": ["year", "年份", "年度"],
    "area": ["area", "地区", "区域"],
    "sex": ["sex", "性别"],
    "value": ["value", "数值", "值"],
    "unit": ["unit", "单位"],
    "numerator": ["numerator", "分子"],
    "denominator": ["denominator", "分母"],
    "flags": ["flags", "标记"],
}
CSV_REQUIRED = ("indicator_id", "year", "area")
#: how the columns of notes and provenance a CSV may carry begin, besides the note prefixes of
#: params/cleaning.yaml (the national reference file's source_report, quote, superseded_value …);
#: they are never read as values
CSV_NOTE_COLUMNS = ("note", "remark", "comment", "source", "quote", "superseded")


@dataclass
class RawRead:
    """Everything read from a raw folder."""

    records: list[dict[str, Any]] = field(default_factory=list)
    missing: list[dict[str, Any]] = field(default_factory=list)
    files: list[dict[str, Any]] = field(default_factory=list)
    problems: list[dict[str, Any]] = field(default_factory=list)
    #: cells holding a figure in a file's data region that no raw value accounts for (counted from
    #: the file by :func:`content_cells`, apart from the readers): each one a lost value
    unaccounted: list[dict[str, Any]] = field(default_factory=list)
    #: the rows of the member units' self-evaluation forms, one per filled row (:func:`selfeval.read_form`)
    self_evaluations: list[dict[str, Any]] = field(default_factory=list)


def read_raw(raw_dir: str | Path) -> RawRead:
    """Read every file under ``raw_dir`` (hidden files aside), in path order."""
    base = config.resolve(raw_dir)
    if not base.is_dir():
        raise FileNotFoundError(f"raw-data folder {config.display_path(base)} does not exist")
    out = RawRead()
    for path in sorted(p for p in base.rglob("*") if p.is_file()):
        rel = path.relative_to(base).as_posix()
        if any(part.startswith(".") for part in Path(rel).parts):
            continue
        kind, n_before, m_before, s_before = "", len(out.records), len(out.missing), len(out.self_evaluations)
        try:
            kind, wb = _read_file(path, rel, out)
            _reconcile(path, rel, kind, wb, out.records[n_before:] + out.self_evaluations[s_before:], out)
        except Exception as exc:  # noqa: BLE001 — one bad file never stops the others
            # a file is read whole or not at all: what a failing reader added before it failed goes
            del out.records[n_before:], out.missing[m_before:], out.self_evaluations[s_before:]
            kind = "problem"
            sheet = exc.sheet if isinstance(exc, FileProblem) else ""
            problem = str(exc) if isinstance(exc, FileProblem) else (
                f"the file cannot be read ({type(exc).__name__}: {exc}); it may be damaged — ask the "
                "department to open it in Excel, save it and deliver it again")
            zh = exc.zh if isinstance(exc, FileProblem) else (
                f"文件无法读取（{type(exc).__name__}：{exc}）：文件可能已损坏，"
                "请报送部门在 Excel 中打开、保存后重新报送")
            out.problems.append({"source_file": rel, "source_sheet": sheet, "problem": zh, "problem_en": problem})
            log.warning("%s: %s", rel, problem)
        read = len(out.records) - n_before + len(out.self_evaluations) - s_before
        out.files.append({"file": rel, "read_as": kind, "values": read})
        log.info("%s: %s, %d %s", rel, kind, read, "rows" if kind.startswith(SELF_EVALUATION) else "values")
    return out


#: how :func:`read_raw` names a self-evaluation form it read (``self-evaluation (卫健委, 2024)``)
SELF_EVALUATION = "self-evaluation"

#: the parts of a raw value, and of a raw self-evaluation, read from a cell of their own
PARTS = ("value", "numerator", "denominator", *selfeval.FILLED)


def accounted_cells(records: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """(sheet, cell) of every cell a raw value (value, numerator, denominator) or a raw
    self-evaluation (conclusion, progress, evidence, note) was read from."""
    return {(r["source_sheet"] or "", r[f"{part}_cell"]) for r in records for part in PARTS
            if r.get(f"{part}_raw") is not None and r.get(f"{part}_cell")}


def content_cells(path: Path, kind: str, wb=None) -> set[tuple[str, str]]:
    """(sheet, cell) of every cell in a file's data region that holds a figure (anything but a
    blank or a missing marker), counted by walking the sheets (or the CSV's rows) — a second
    reading, apart from the reader that builds the raw values, so the two can be reconciled.
    ``wb``: the workbook as the reader loaded it (it is not loaded again)."""
    if kind == "long CSV":
        return _csv_content(path)
    if kind.startswith(("standard return", "legacy sheet", SELF_EVALUATION)) and wb is None:
        wb = openpyxl.load_workbook(path, data_only=True)
    if kind.startswith("standard return"):
        return template.content_cells(wb)
    if kind.startswith(SELF_EVALUATION):
        return selfeval.content_cells(wb)
    if kind == "legacy sheet":
        return _legacy_content(wb, config.read_yaml(path.with_name(path.name + MAPPING_SUFFIX)))
    return set()


def _reconcile(path: Path, rel: str, kind: str, wb, records: list[dict[str, Any]], out: RawRead) -> None:
    """Every figure in the file is a raw value: cells of the data region, counted from the file,
    that no raw value came from are each named (a value the reader lost — a program error)."""
    lost = sorted(content_cells(path, kind, wb) - accounted_cells(records))
    for sheet, cell in lost:
        out.unaccounted.append({"source_file": rel, "source_sheet": sheet, "source_cell": cell, "read_as": kind})
    if lost:
        where = ", ".join(f"{sheet + '!' if sheet else ''}{cell}" for sheet, cell in lost[:10])
        more = ", …" if len(lost) > 10 else ""
        what, what_en = ("自评内容", "self-evaluations") if kind.startswith(SELF_EVALUATION) else ("数值", "values")
        out.problems.append({"source_file": rel, "source_sheet": lost[0][0], "problem": (
            f"{len(lost)} 个有{what}的单元格未被读取（{where}{more}）：这是程序错误，请报告；该文件的其他{what}已读取"),
            "problem_en": (f"{len(lost)} cell(s) holding a figure were not read as {what_en} ({where}{more})"
                           f": a program error, please report it; the file's other {what_en} were read")})
        log.error("%s: %d cells with figures not accounted for: %s", rel, len(lost), where)


def _read_file(path: Path, rel: str, out: RawRead) -> tuple[str, Any]:
    """Read one file into ``out``: how it was read, and the workbook when it is one (for the
    reconciliation, which walks the same cells again)."""
    suffix = path.suffix.lower()
    if path.name.endswith(MAPPING_SUFFIX):
        workbook = path.with_name(path.name[: -len(MAPPING_SUFFIX)])
        if not workbook.is_file():
            raise FileProblem(f"mapping for '{workbook.name}', which is not in the folder",
                              zh=f"这是“{workbook.name}”的映射文件，但文件夹中没有该工作簿")
        return "mapping", None
    if suffix in DOC_SUFFIXES:
        return "documentation", None
    if path.stat().st_size == 0:
        raise FileProblem("the file is empty", zh="文件为空")
    if suffix == ".csv":
        records, missing = read_csv(path, rel)
        out.records += records
        out.missing += missing
        return "long CSV", None
    if suffix in (".xlsx", ".xlsm"):
        wb = _open_workbook(path, mapped=path.with_name(path.name + MAPPING_SUFFIX).is_file())
        info = template.form_info(wb)
        if info is not None:
            records, missing = template.read_template(wb, info, rel, uncached_formulas(path))
            out.records += records
            out.missing += missing
            return f"standard return ({info.get('department')}, {info.get('year')})", wb
        info = selfeval.form_info(wb)
        if info is not None:
            out.self_evaluations += selfeval.read_form(wb, info, rel)
            return f"{SELF_EVALUATION} ({info.get('department')}, {info.get('year')})", wb
        mapping = path.with_name(path.name + MAPPING_SUFFIX)
        if not mapping.is_file():
            raise FileProblem("a workbook that is neither a standard return (it has no hidden sheet "
                              f"'{template.FORM_SHEET}' identifying the form — was it deleted, or the data copied "
                              f"into a new workbook?) nor described by a mapping file ('{mapping.name}' beside it)",
                              zh=f"该工作簿既不是标准填报表（没有标识表样的隐藏工作表“{template.FORM_SHEET}”：是否被删除，"
                                 f"或数据被复制到了新工作簿？），旁边也没有说明其格式的映射文件（“{mapping.name}”）")
        records, missing = read_legacy(wb, config.read_yaml(mapping), rel, mapping.name, out.problems)
        out.records += records
        out.missing += missing
        return "legacy sheet", wb
    if suffix == ".xls":
        raise FileProblem("an old-format .xls workbook: save it as .xlsx in Excel and deliver again",
                          zh="这是旧版 .xls 工作簿：请在 Excel 中另存为 .xlsx 后重新报送")
    raise FileProblem(f"a '{suffix or path.name}' file is not a return the suite reads "
                      "(.xlsx, .csv, with .mapping.yaml and documentation beside them)",
                      zh=f"“{suffix or path.name}”文件不是本系统读取的报表格式（可读取 .xlsx、.csv，"
                         "以及其旁的 .mapping.yaml 映射文件和说明文档）")


def _sheet_names(z: zipfile.ZipFile) -> list[str]:
    """The sheet names a workbook declares (``xl/workbook.xml``), read without loading any cell;
    parsed with defusedxml, so an entity-expansion bomb is refused rather than expanded."""
    from defusedxml import ElementTree

    root = ElementTree.fromstring(z.read("xl/workbook.xml"))
    return [el.get("name") for el in root.iter() if el.tag.endswith("}sheet") or el.tag == "sheet"]


def _open_workbook(path: Path, mapped: bool = False):
    """Open a workbook for its values; corrupt and password-protected files are FileProblems.

    Before any cell is loaded: its parts must unpack to at most ``max_unpacked_mb``, and it must
    be a standard return (a ``_form`` sheet) or have a mapping file (``mapped``) — a workbook
    that is neither is refused at once, however large, instead of after loading every cell."""
    if not zipfile.is_zipfile(path):
        # an encrypted .xlsx is an OLE compound file, not a zip
        with path.open("rb") as fh:
            head = fh.read(8)
        if head.startswith(b"\xd0\xcf\x11\xe0"):
            raise FileProblem("the workbook is password-protected (or an old .xls renamed): "
                              "ask the department for an unprotected copy",
                              zh="工作簿设有密码保护（或是改了扩展名的旧版 .xls）：请报送部门提供未加密的文件")
        raise FileProblem("the file is not a readable Excel workbook (corrupt or not .xlsx)",
                          zh="文件不是可读取的 Excel 工作簿（已损坏，或不是 .xlsx 文件）")
    limit = parse.cleaning_rules()["max_unpacked_mb"]
    try:
        with zipfile.ZipFile(path) as z:
            unpacked = sum(i.file_size for i in z.infolist()) / 1e6
            sheets = _sheet_names(z) if unpacked <= limit else []
    except (zipfile.BadZipFile, KeyError) as exc:
        raise FileProblem(f"the workbook cannot be opened: {exc}",
                          zh=f"工作簿无法打开（{exc}）：文件可能已损坏，请报送部门重新保存后报送") from exc
    except DefusedXmlException as exc:
        raise FileProblem("the workbook's XML declares entities or a document type, which no Excel file "
                          f"needs (an XML bomb?): not read ({type(exc).__name__})",
                          zh="工作簿的 XML 中声明了实体或文档类型，正常的 Excel 文件不需要这些"
                             "（可能是恶意文件）：未读取") from exc
    if unpacked > limit:
        raise FileProblem(f"the workbook unpacks to {unpacked:.0f} MB, more than the {limit} MB a return may "
                          "take (params/cleaning.yaml, max_unpacked_mb): not read. A return of the standard form "
                          "is well under 1 MB — ask the department what the file holds",
                          zh=f"工作簿解压后为 {unpacked:.0f} MB，超过报表允许的 {limit} MB（params/cleaning.yaml 的 "
                             "max_unpacked_mb）：未读取。标准填报表远小于 1 MB，请向报送部门了解文件内容")
    if template.FORM_SHEET not in sheets and not mapped:
        raise FileProblem("a workbook that is neither a standard return (it has no hidden sheet "
                          f"'{template.FORM_SHEET}' identifying the form — was it deleted, or the data copied "
                          f"into a new workbook?) nor described by a mapping file ('{path.name}{MAPPING_SUFFIX}' "
                          f"beside it); its sheets: {', '.join(sheets)}",
                          zh=f"该工作簿既不是标准填报表（没有标识表样的隐藏工作表“{template.FORM_SHEET}”：是否被删除，"
                             f"或数据被复制到了新工作簿？），旁边也没有说明其格式的映射文件（“{path.name}{MAPPING_SUFFIX}”）；"
                             f"其中的工作表：{'、'.join(sheets)}")
    try:
        return openpyxl.load_workbook(path, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise FileProblem(f"the workbook cannot be opened: {exc}",
                          zh=f"工作簿无法打开（{exc}）：文件可能已损坏，请报送部门重新保存后报送") from exc


def uncached_formulas(path: Path) -> dict[tuple[str, str], str]:
    """(sheet, cell) → formula of every formula cell whose result was never saved (a workbook
    written by a program and not opened in Excel since): read for its values such a cell looks
    empty, and would be counted as a blank. Only a workbook whose sheets hold formulas at all is
    opened a second time."""
    with zipfile.ZipFile(path) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")]
        if not any(re.search(rb"<f[ >]", z.read(n)) for n in sheets):
            return {}
    values = openpyxl.load_workbook(path, data_only=True, read_only=True)
    formulas = openpyxl.load_workbook(path, data_only=False, read_only=True)
    out = {}
    try:
        for name in formulas.sheetnames:
            for row_f, row_v in zip(formulas[name].iter_rows(), values[name].iter_rows(), strict=False):
                for cf, cv in zip(row_f, row_v, strict=False):
                    if isinstance(cf.value, str) and cf.value.startswith("=") and cv.value is None:
                        out[(name, cf.coordinate)] = cf.value
    finally:
        values.close()
        formulas.close()
    return out


# --- CSV ------------------------------------------------------------------------------------


def decode(data: bytes) -> tuple[str, str]:
    """Decode CSV bytes, detecting UTF-8 (with or without BOM) and GBK/GB18030.

    Each encoding is tried strictly, so a file is never half-read with replacement
    characters; bytes that fit none are a :class:`FileProblem`.
    """
    for codec, label in ENCODINGS:
        if codec == "utf-8-sig" and not data.startswith(b"\xef\xbb\xbf"):
            continue
        try:
            return data.decode(codec), label
        except UnicodeDecodeError:
            continue
    from charset_normalizer import from_bytes

    guess = from_bytes(data).best()
    raise FileProblem("the text is neither UTF-8 nor GBK/GB18030"
                      + (f" (it looks like {guess.encoding})" if guess else ""),
                      zh="文本既不是 UTF-8 也不是 GBK/GB18030 编码"
                      + (f"（看起来是 {guess.encoding}）" if guess else "")
                      + "：请另存为 UTF-8 或 GBK 编码的 CSV")


def csv_columns(header: list[str]) -> dict[str, int]:
    """The long CSV's columns by name (indicator_id, year, …) → their position in ``header``."""
    folded = [parse.fold(h).casefold() for h in header]
    columns: dict[str, int] = {}
    for name, labels in CSV_COLUMNS.items():
        for i, h in enumerate(folded):
            if h in {parse.fold(lab).casefold() for lab in labels} and name not in columns:
                columns[name] = i
    return columns


def _csv_content(path: Path) -> set[tuple[str, str]]:
    """The cells of a long CSV's value, numerator and denominator columns that hold a figure."""
    rows = list(csv.reader(io.StringIO(decode(path.read_bytes())[0])))
    columns = csv_columns(rows[0])
    wanted = [columns[p] for p in ("value", "numerator", "denominator") if p in columns]
    return {("", f"{get_column_letter(i + 1)}{r}") for r, row in enumerate(rows[1:], start=2)
            for i in wanted if i < len(row) and row[i].strip() and not parse.is_missing(row[i])}


def read_csv(path: Path, rel: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Read a long CSV: (raw values, rows stating no value); one raw value per row, the cell of
    each column kept (``C12``)."""
    text, encoding = decode(path.read_bytes())
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise FileProblem("no header row", zh="没有表头行")
    header = [parse.fold(h).casefold() for h in rows[0]]
    columns = csv_columns(rows[0])
    absent = [n for n in CSV_REQUIRED if n not in columns]
    if absent or ("value" not in columns and not {"numerator", "denominator"} <= set(columns)):
        need = absent or ["value (or numerator and denominator)"]
        raise FileProblem(f"no recognisable table: the header row lacks {', '.join(need)} "
                          f"(found: {', '.join(rows[0])})",
                          zh=f"无法识别表格：表头缺少 {'、'.join(need)} 列（现有：{'、'.join(rows[0])}）")
    notes = parse.note_prefixes() + CSV_NOTE_COLUMNS
    unread = [f"'{rows[0][i]}' ({get_column_letter(i + 1)}1)" for i, h in enumerate(header)
              if h and i not in columns.values() and not h.startswith(notes)]
    if unread:
        # a column the reader does not know is never dropped in silence: 'gender' for sex would turn
        # every 女/男 row into a total
        raise FileProblem(f"column(s) {', '.join(unread)} are not ones the suite reads; the known columns are "
                          + "; ".join(f"{k}: {'/'.join(v)}" for k, v in CSV_COLUMNS.items())
                          + " (notes: 备注/说明/note). Rename the column or remove it",
                          zh=f"列 {'、'.join(unread)} 不是本系统读取的列，不能忽略（例如把“性别”列改名为 gender，"
                             "所有女/男行会被当作合计）；可读取的列为 指标编号、年份、地区、性别、数值、单位、"
                             "分子、分母、标记，"
                             "另可有备注、说明列。请更正列名或删除该列")
    log.info("%s: %s, %d rows", rel, encoding, len(rows) - 1)

    def cell(row: list[str], name: str) -> Any:
        i = columns.get(name)
        return row[i] if i is not None and i < len(row) else None

    def ref(name: str, r: int) -> str | None:
        i = columns.get(name)
        return f"{get_column_letter(i + 1)}{r}" if i is not None else None

    records, missing = [], []
    for r, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        parts = {p: cell(row, p) for p in ("value", "numerator", "denominator")}
        filled = {p: v for p, v in parts.items() if not parse.is_missing(v)}
        base = {"source_file": rel, "source_sheet": "", "reader": "csv",
                "indicator_raw": cell(row, "indicator_id"), "year_raw": cell(row, "year"),
                "area_raw": cell(row, "area"), "sex_raw": cell(row, "sex")}
        if not filled:  # a row stating no value: missing, for the coverage report
            missing.append({**base, "source_cell": ref("value", r) or ref("numerator", r),
                            "marker": str(parts["value"] or "")})
            continue
        first = next(p for p in ("value", "numerator", "denominator") if p in filled)
        records.append({
            **base, "source_cell": ref(first, r), "unit_hint": cell(row, "unit"),
            **{f"{p}_raw": filled.get(p) for p in parts},
            **{f"{p}_cell": ref(p, r) for p in parts},
            "flags_raw": cell(row, "flags") or "", "percent_format": False,
        })
    return records, missing


# --- legacy workbooks -----------------------------------------------------------------------

LEGACY_KEYS = {"sheet", "header_rows", "first_data_row", "label_column", "rows", "labels",
               "area", "indicator", "sex", "unit"}


def _merged_value(ws, row: int, col: int) -> Any:
    """A cell's value, or the value of the merged range it lies in (merged headers)."""
    value = ws.cell(row, col).value
    if value is not None:
        return value
    for rng in ws.merged_cells.ranges:
        if rng.min_row <= row <= rng.max_row and rng.min_col <= col <= rng.max_col:
            return ws.cell(rng.min_row, rng.min_col).value
    return None


def _check_legacy_header(ws, sheet: str, columns: dict, header_rows: list[int], first: int, label_col: int,
                         mapping_name: str) -> None:
    """Refuse a sheet whose header no longer sits where the mapping says: the values are placed
    by their column's header, so a header row deleted (the first data row then read as a header,
    its figures joining the headings) or year headers moved a column (a column of figures left
    with no year, the others shifted onto the wrong year) would put values in the wrong year or
    sex without a word. The problem names the cells."""
    figures = []
    for r in header_rows:
        for col in columns:
            v = ws.cell(r, col).value
            if isinstance(v, int | float) and not isinstance(v, bool) and not 1900 <= v <= 2100:
                figures.append(f"{ws.cell(r, col).coordinate}={v:g}")
    if figures:
        raise FileProblem(f"{mapping_name}: row(s) {header_rows} should be the header, but hold figures ("
                          + ", ".join(figures[:5]) + "): a header row was deleted or added — correct the sheet or "
                          "header_rows / first_data_row in the mapping", sheet,
                          zh=f"{mapping_name}：第 {header_rows} 行应为表头，但其中有数值（" + "、".join(figures[:5])
                          + "）：表头行被删除或增加了，请更正工作表，或更正映射文件中的 header_rows / first_data_row")
    unyeared = [col for col, head in columns.items() if not head["year"] and any(
        not parse.is_missing(ws.cell(r, col).value) for r in range(first, ws.max_row + 1)
        if not _is_note_label(ws.cell(r, label_col).value))]
    if unyeared:
        cells = ", ".join(f"{get_column_letter(c)}{header_rows[0]}" for c in unyeared[:5])
        raise FileProblem(f"{mapping_name}: column(s) with figures whose header names no year ({cells}) beside "
                          "columns that do: the year headers may have moved, which would put every figure under "
                          "the wrong year — correct the header (merged year cells over their own columns)", sheet,
                          zh=f"{mapping_name}：有数值的列（{cells}）表头中没有年份，而其他列有：年份表头可能错位，"
                             "会使所有数值记到错误的年份下——请更正表头（合并的年份单元格应位于其所属各列之上）")


def _is_note_label(label: Any) -> bool:
    notes = parse.note_prefixes()
    return label is not None and parse.fold(str(label)).startswith(notes)


def _legacy_content(wb, mapping: dict) -> set[tuple[str, str]]:
    """The cells of each mapped sheet's data region that hold a figure: from the first data row
    down, outside the label column, the notes rows and the notes columns."""
    notes = parse.note_prefixes()
    out = set()
    for spec in mapping.get("sheets") or []:
        if not isinstance(spec, dict) or spec.get("sheet") not in wb.sheetnames or not spec.get("first_data_row"):
            continue
        ws = wb[spec["sheet"]]
        label_col = column_index_from_string(spec.get("label_column", "A"))
        note_cols = {c for c in range(1, ws.max_column + 1) if parse.fold("".join(
            str(_merged_value(ws, r, c) or "") for r in spec.get("header_rows") or [])).startswith(notes)}
        for row in ws.iter_rows(min_row=spec["first_data_row"]):
            if _is_note_label(row[label_col - 1].value if label_col <= len(row) else None):
                continue
            out |= {(ws.title, c.coordinate) for c in row if c.column != label_col and c.column not in note_cols
                    and not parse.is_missing(c.value) and str(c.value).strip()}
    return out


def read_legacy(wb, mapping: dict, rel: str, mapping_name: str,
                problems: list[dict] | None = None) -> tuple[list[dict], list[dict]]:
    """Read a workbook in a department's own layout as its mapping file describes it.

    Each sheet the mapping names is read on its own: a sheet that cannot be read (renamed, its
    header moved) is a problem of that sheet, added to ``problems`` with the file and sheet, and
    the workbook's other sheets are still read. Without ``problems`` the first one is raised."""
    if not isinstance(mapping, dict) or not isinstance(mapping.get("sheets"), list):
        raise FileProblem(f"{mapping_name}: expected a list 'sheets'", zh=f"{mapping_name}：应有 sheets 列表")
    records, missing = [], []
    for spec in mapping["sheets"]:
        name = spec.get("sheet") if isinstance(spec, dict) else None
        try:
            if not isinstance(spec, dict):
                raise FileProblem(f"{mapping_name}: each entry of 'sheets' must be a mapping",
                                  zh=f"{mapping_name}：sheets 的每一项都应是键值对")
            unknown = set(spec) - LEGACY_KEYS
            if unknown:
                raise FileProblem(f"{mapping_name}: unknown key(s) {sorted(unknown)}", name or "",
                                  zh=f"{mapping_name}：无法识别的键 {sorted(unknown)}")
            if name not in wb.sheetnames:
                raise FileProblem(f"{mapping_name} names sheet '{name}', which the workbook does not "
                                  f"have ({', '.join(wb.sheetnames)}): was it renamed?", name or "",
                                  zh=f"{mapping_name} 指定的工作表“{name}”在工作簿中不存在"
                                     f"（现有：{'、'.join(wb.sheetnames)}）：是否被改名？")
            r, m = _read_legacy_sheet(wb[name], spec, rel, mapping_name)
        except FileProblem as exc:
            if problems is None:
                raise
            problems.append({"source_file": rel, "source_sheet": exc.sheet or (name or ""), "problem": exc.zh,
                             "problem_en": str(exc)})
            log.warning("%s: %s", rel, exc)
            continue
        records += r
        missing += m
    return records, missing


def _read_legacy_sheet(ws, spec: dict, rel: str, mapping_name: str):
    sheet = ws.title
    rows_are = spec.get("rows", "indicator")
    if rows_are not in ("indicator", "area"):
        raise FileProblem(f"{mapping_name}: 'rows' must be 'indicator' or 'area'", sheet,
                          zh=f"{mapping_name}：rows 应为 indicator 或 area")
    label_col = column_index_from_string(spec.get("label_column", "A"))
    header_rows = spec.get("header_rows") or []
    first = spec.get("first_data_row")
    if not header_rows or not first:
        raise FileProblem(f"{mapping_name}: 'header_rows' and 'first_data_row' are required", sheet,
                          zh=f"{mapping_name}：须给出 header_rows 和 first_data_row")
    labels = {parse.fold(str(k)): v for k, v in (spec.get("labels") or {}).items()}
    notes = parse.note_prefixes()

    columns = {}
    for col in range(1, ws.max_column + 1):
        if col == label_col:
            continue
        heading = "".join(str(_merged_value(ws, r, col) or "") for r in header_rows)
        if parse.fold(heading).startswith(notes):
            continue  # a 备注 / 说明 column: notes, not values
        columns[col] = {"heading": heading, "year": parse.year_in_header(heading),
                        "sex": parse.sex_in_header(heading), "unit": parse.unit_in_header(heading)}
    if not any(c["year"] for c in columns.values()):
        raise FileProblem(f"no recognisable table: no column header in rows {header_rows} names a "
                          "year", sheet, zh=f"无法识别表格：第 {header_rows} 行的列标题中没有年份")
    _check_legacy_header(ws, sheet, columns, header_rows, first, label_col, mapping_name)

    records, missing = [], []
    for r in range(first, ws.max_row + 1):
        label = ws.cell(r, label_col).value
        label_text = parse.fold(str(label)) if label is not None else ""
        if label_text.startswith(notes):
            continue
        row_unit = parse.unit_in_header(label_text) if label_text else None
        for col, head in columns.items():
            cell = ws.cell(r, col)
            raw = cell.value
            if rows_are == "indicator":
                indicator = labels.get(label_text, label if label is not None else None)
                area = spec.get("area")
            else:
                indicator = spec.get("indicator")
                area = label
            if parse.is_missing(raw):
                if head["year"] and label_text and raw is not None:
                    missing.append({"source_file": rel, "source_sheet": sheet,
                                    "source_cell": cell.coordinate, "indicator_raw": indicator,
                                    "year_raw": head["year"], "area_raw": area,
                                    "sex_raw": head["sex"] or spec.get("sex", "total"),
                                    "reader": "legacy", "marker": str(raw)})
                continue
            records.append({
                "source_file": rel, "source_sheet": sheet, "source_cell": cell.coordinate,
                "reader": "legacy", "indicator_raw": indicator,
                "year_raw": head["year"] if head["year"] else f"(column header '{head['heading']}')",
                "area_raw": area, "sex_raw": head["sex"] or spec.get("sex", "total"),
                "value_raw": raw, "numerator_raw": None, "denominator_raw": None,
                "value_cell": cell.coordinate, "numerator_cell": None, "denominator_cell": None,
                "unit_hint": head["unit"] or row_unit or spec.get("unit"),
                "percent_format": isinstance(raw, int | float) and "%" in (cell.number_format or ""),
                "flags_raw": "",
            })
    return records, missing
