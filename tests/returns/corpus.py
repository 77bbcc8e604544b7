"""A seeded corpus of faulty and valid returns, derived from the shipped returns, each with the
action the cleaner must take and where.

Every case is one file (with its mapping file where it is a legacy workbook) in a raw folder of
its own — the cases are variants of the same returns, so side by side they would be duplicates
of one another — beside one good return of another department, which must be read whatever the
case does (one bad file never stops the others). The expected action is worked out here, from
the file's cells as written (openpyxl or the csv module), never from what the reader produced:

* ``read``: every value of the file is kept, ``n`` of them (counted from the cells);
* ``quarantine``: the value at ``cell`` is quarantined for ``reason``, and the file's other
  values are kept (``n`` of them);
* ``problem``: the file (or one sheet) is refused as a file problem whose text contains each of
  ``words`` (the cells it must name), and nothing of it — or of that sheet — is kept; ``n``:
  the values of the workbook's other sheets that are still kept.

``python -m tests.returns.corpus DIR`` writes the corpus into DIR for a look by hand.
"""

from __future__ import annotations

import csv
import datetime
import io
import random
import shutil
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
from openpyxl.cell.cell import MergedCell

from analysis import config
from analysis.returns import template

SHIPPED = config.PROJECT_ROOT / "data" / "raw" / "synthetic"
FORM = SHIPPED / "模拟_卫健委_监测填报表_2024.xlsx"
CSV_FILE = SHIPPED / "模拟_人社局_就业和社会保障指标.csv"
LEGACY = SHIPPED / "模拟_水利局_农村供水统计表.xlsx"
SEED = 20261202


@dataclass
class Case:
    """One file of the corpus and what the cleaner must do with it."""

    name: str
    family: str
    action: str                      # read | quarantine | problem
    n: int = 0                       # values of the file that must be kept
    cell: str = ""                   # quarantine: the cell named
    reason: str = ""                 # quarantine: the reason code
    words: tuple[str, ...] = ()      # problem: words its message must contain
    sheet: str = ""                  # problem of one sheet of a legacy workbook
    quarantined: int = 0             # problem of one sheet: values the other sheets must quarantine
    build: Callable[[Path], None] = field(default=lambda p: None, repr=False)


# --- counting the cells of a file, independently of the reader ---------------------------------


def form_values(wb) -> tuple[list[tuple[str, object]], list[str]]:
    """The filled value cells (cell, value) of a standard return and its grey (not asked) cells,
    straight from the sheet: a row and sex counts once when any of its three cells is filled."""
    ws = wb[template.DATA_SHEET]
    filled, grey = [], []
    for r in range(template.FIRST_DATA_ROW, ws.max_row + 1):
        for cols in template.SEX_COLUMNS.values():
            cells = [ws[f"{c}{r}"] for c in cols]
            if cells[0].fill.fgColor.rgb == template.GREY.fgColor.rgb:
                grey.append(cells[0].coordinate)
            elif any(c.value not in (None, "") for c in cells):
                filled.append((cells[0].coordinate, cells[0].value))
    return filled, grey


def csv_rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def legacy_values(path: Path, sheet: str, first_row: int) -> int:
    """The figures of a legacy sheet below its header: every cell right of the label column that
    is not blank, in rows whose label is not a note (注：…)."""
    from analysis.returns import parse

    notes = tuple(parse.cleaning_rules()["note_prefixes"])
    ws = openpyxl.load_workbook(path, data_only=True)[sheet]
    return sum(1 for row in ws.iter_rows(min_row=first_row)
               if not str(row[0].value or "").startswith(notes)
               for c in row[1:] if c.value not in (None, "") and not parse.is_missing(c.value))


# --- building the cases ------------------------------------------------------------------------


def _form_case(name: str, family: str, action: str, edit: Callable, **kw) -> Case:
    def build(path: Path) -> None:
        wb = openpyxl.load_workbook(FORM)
        edit(wb)
        wb.save(path)
    return Case(name=name, family=family, action=action, build=build, **kw)


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) if "0" <= ch <= "9" or ch == "." else ch for ch in text)


def cases(seed: int = SEED) -> list[Case]:
    """The corpus: value-level faults on cells chosen with ``seed``, file-level faults, and valid
    variants that must be read unchanged."""
    rng = random.Random(seed)
    wb = openpyxl.load_workbook(FORM)
    filled, grey = form_values(wb)
    numeric = [(c, v) for c, v in filled if isinstance(v, int | float)]
    n_form = len(filled)
    out: list[Case] = []

    def put(cell: str, value: object) -> Callable:
        return lambda w: w[template.DATA_SHEET].__setitem__(cell, value)

    # a value a person must look at, in a cell that held a number: quarantined there, the rest kept
    value_faults = [
        ("text", "not_a_number", lambda v: f"约{v}"),
        ("digit_groups", "not_a_number", lambda v: f"{int(v)} {int(v * 10) % 100 or 15}"),
        ("date", "not_a_number", lambda v: datetime.datetime(2024, 9, 7)),
        ("markup", "not_a_number", lambda v: f"<img src=x onerror=alert(1)>{v}"),
        ("formula", "formula_not_computed", lambda v: "=1+1"),
        ("unit_word", "not_a_number", lambda v: f"{v}左右"),
    ]
    for family, reason, make in value_faults:
        for cell, v in rng.sample(numeric, 5):
            out.append(_form_case(f"{family}_{cell}", family, "quarantine", put(cell, make(v)),
                                  n=n_form - 1, cell=cell, reason=reason))
    for cell in rng.sample(grey, 5):  # a value typed in a grey cell the form does not ask for
        out.append(_form_case(f"grey_{cell}", "grey_cell", "quarantine", put(cell, 55.5),
                              n=n_form, cell=cell, reason="not_asked"))
    for cell, v in rng.sample(numeric, 5):  # valid: full-width digits are the same number
        out.append(_form_case(f"fullwidth_{cell}", "fullwidth_valid", "read", put(cell, _fullwidth(f"{v:g}")),
                              n=n_form))
    out.append(_form_case("form_as_shipped", "valid", "read", lambda w: None, n=n_form))

    # the layout changed: refused as one file problem naming the header cells, nothing read by position
    for new in ("Sheet1", "数据", "填报表 (2)"):
        out.append(_form_case(f"data_sheet_renamed_{new}", "layout", "problem",
                              lambda w, new=new: setattr(w[template.DATA_SHEET], "title", new),
                              words=(template.DATA_SHEET, new)))
    for col in rng.sample(range(5, 14), 3):  # a column inserted before or among the value columns
        letter = openpyxl.utils.get_column_letter(col)
        moved = next(ref for ref in template.expected_header()
                     if openpyxl.utils.column_index_from_string(ref.rstrip("0123456789")) >= col)
        out.append(_form_case(f"column_inserted_{letter}", "layout", "problem",
                              lambda w, col=col: w[template.DATA_SHEET].insert_cols(col), words=(f"{moved} reads",)))

    def swap_sexes(w) -> None:
        ws = w[template.DATA_SHEET]
        for r in range(template.HEADER_ROWS[0], ws.max_row + 1):
            for a, b in zip("EFG", "HIJ", strict=True):
                x, y = ws[f"{a}{r}"], ws[f"{b}{r}"]
                if not isinstance(x, MergedCell) and not isinstance(y, MergedCell):
                    x.value, y.value = y.value, x.value
    out.append(_form_case("male_block_first", "layout", "problem", swap_sexes, words=("E5", "男性", "H5")))
    out.append(_form_case("second_header_row_deleted", "layout", "problem",
                          lambda w: w[template.DATA_SHEET].delete_rows(template.HEADER_ROWS[1]), words=("E6",)))
    out.append(_form_case("form_sheet_removed", "identity", "problem",
                          lambda w: w.remove(w[template.FORM_SHEET]), words=(template.FORM_SHEET,)))
    for year in (2042, "二〇二四", None):
        out.append(_form_case(f"form_year_{year}", "identity", "problem",
                              lambda w, year=year: w[template.FORM_SHEET].__setitem__("B4", year),
                              words=(f"{template.FORM_SHEET}!B4",)))

    # damaged files
    def truncated(path: Path) -> None:
        with zipfile.ZipFile(FORM) as src, zipfile.ZipFile(path, "w") as dst:
            for item in src.infolist():
                data = src.read(item)
                if item.filename.startswith("xl/worksheets/sheet1"):
                    data = data[: len(data) // 2]
                dst.writestr(item, data)
    out.append(Case("sheet_xml_cut_in_half", "damaged", "problem", words=("cannot be read",), build=truncated))
    out.append(Case("not_a_workbook", "damaged", "problem", words=("not a readable Excel workbook",),
                    build=lambda p: p.write_bytes(bytes(rng.randrange(256) for _ in range(4000)))))
    out.append(Case("empty_file", "damaged", "problem", words=("empty",), build=lambda p: p.write_bytes(b"")))

    # long CSV
    rows = csv_rows(CSV_FILE)
    n_csv = sum(1 for r in rows[1:] if r and r[4].strip())

    def write_csv(table: list[list[str]], encoding: str = "utf-8-sig") -> Callable:
        def build(path: Path) -> None:
            buf = io.StringIO()
            csv.writer(buf, lineterminator="\n").writerows(table)
            path.write_bytes(buf.getvalue().encode(encoding))
        return build

    out.append(Case("csv_as_shipped", "valid", "read", n=n_csv, build=write_csv(rows)))
    out.append(Case("csv_gbk", "valid", "read", n=n_csv, build=write_csv(rows, "gb18030")))
    renamed = [["gender" if h == "sex" else h for h in rows[0]], *rows[1:]]
    out.append(Case("csv_sex_renamed_gender", "layout", "problem", words=("'gender' (D1)",), build=write_csv(renamed)))
    for i in rng.sample(range(1, len(rows)), 3):
        for family, text, reason in (("digit_groups", "12 15", "not_a_number"),
                                     ("markup", "<script>alert(1)</script>95", "not_a_number")):
            bad = [list(r) for r in rows]
            bad[i][4] = text
            out.append(Case(f"csv_{family}_E{i + 1}", family, "quarantine", n=n_csv - 1, cell=f"E{i + 1}",
                            reason=reason, build=write_csv(bad)))
    unknown = [list(r) for r in rows]
    unknown[1][0] = "W9.99"
    out.append(Case("csv_unknown_indicator", "meaning", "quarantine", n=n_csv - 1, cell="E2",
                    reason="unknown_indicator", build=write_csv(unknown)))

    # a legacy workbook with its mapping: a renamed sheet is that sheet's problem, the others are read
    legacy_wb = openpyxl.load_workbook(LEGACY)
    mapping = config.read_yaml(LEGACY.with_name(LEGACY.name + ".mapping.yaml"))
    sheets = [s["sheet"] for s in mapping["sheets"]]
    counts = {s["sheet"]: legacy_values(LEGACY, s["sheet"], s["first_data_row"]) for s in mapping["sheets"]}

    def legacy(edit: Callable | None) -> Callable:
        def build(path: Path) -> None:
            w = openpyxl.load_workbook(LEGACY)
            if edit:
                edit(w)
            w.save(path)
            shutil.copy(LEGACY.with_name(LEGACY.name + ".mapping.yaml"), path.with_name(path.name + ".mapping.yaml"))
        return build

    out.append(Case("legacy_as_shipped", "valid", "read", n=sum(counts.values()), build=legacy(None)))
    gone = sheets[0]
    out.append(Case("legacy_sheet_renamed", "layout", "problem", words=(gone, "renamed"), sheet=gone,
                    n=sum(v for k, v in counts.items() if k != gone),
                    build=legacy(lambda w: setattr(w[gone], "title", "Sheet9"))))
    del legacy_wb

    # the education bureau's workbook: three mapped sheets, one with a planted impossible 944
    edu = SHIPPED / "模拟_教体局_教育统计汇总表.xlsx"
    edu_map = config.read_yaml(edu.with_name(edu.name + ".mapping.yaml"))
    edu_counts = {s["sheet"]: legacy_values(edu, s["sheet"], s["first_data_row"]) for s in edu_map["sheets"]}

    def edu_case(name: str, broken: str, edit: Callable, words: tuple[str, ...], quarantined: int) -> Case:
        def build(path: Path) -> None:
            w = openpyxl.load_workbook(edu)
            edit(w[broken])
            w.save(path)
            shutil.copy(edu.with_name(edu.name + ".mapping.yaml"), path.with_name(path.name + ".mapping.yaml"))
        return Case(name, "layout", "problem", words=words, sheet=broken, quarantined=quarantined,
                    n=sum(v for k, v in edu_counts.items() if k != broken) - quarantined, build=build)

    def shift_years_right(ws) -> None:
        ranges = [r for r in list(ws.merged_cells.ranges) if r.min_row == 3 and r.min_col > 1]
        values = {r.min_col: ws.cell(3, r.min_col).value for r in ranges}
        for r in ranges:
            ws.unmerge_cells(str(r))
        for col in values:
            ws.cell(3, col).value = None
        for r in ranges:
            ws.cell(3, r.min_col + 1).value = values[r.min_col]
            ws.merge_cells(start_row=3, start_column=r.min_col + 1, end_row=3, end_column=r.max_col + 1)

    out.append(edu_case("legacy_sex_header_row_deleted", "视力体质", lambda ws: ws.delete_rows(4),
                        words=("视力体质", "hold figures", "B4="), quarantined=1))
    out.append(edu_case("legacy_year_headers_moved_right", "入学巩固", shift_years_right,
                        words=("入学巩固", "names no year", "B3"), quarantined=0))
    return out


def suffix(case: Case) -> str:
    return ".csv" if case.name.startswith("csv_") else ".xlsx"


#: a good return of another department, put beside every case
NEIGHBOUR = SHIPPED / "模拟_妇联_家庭教育指导服务站点.csv"


def write_corpus(folder: Path, seed: int = SEED) -> dict[Path, tuple[str, Case]]:
    """Write every case into its own raw folder under ``folder`` (with the good neighbour);
    returns raw folder → (the case's file name, the case)."""
    written = {}
    for case in cases(seed):
        raw = folder / case.name
        raw.mkdir(parents=True, exist_ok=True)
        name = f"case_{case.name}{suffix(case)}"
        case.build(raw / name)
        shutil.copy(NEIGHBOUR, raw / NEIGHBOUR.name)
        written[raw] = (name, case)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "corpus")
    print(f"{len(write_corpus(target))} cases written to {target}")
