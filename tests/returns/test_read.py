"""Reading returns as delivered: encodings, legacy layouts with merged headers, bad files."""

import openpyxl
import pytest
import yaml

from analysis import config, returns
from analysis.returns import parse

HEADER = "指标编号,年份,地区,性别,数值\n"
ROWS = "C1.9c,2023年,偃师区,女,71.2%\nC1.9c,2023年,首阳山,男,—\n"


@pytest.mark.parametrize(("encoding", "prefix"), [("gbk", b""), ("gb18030", b""), ("utf-8", b""),
                                                  ("utf-8", b"\xef\xbb\xbf")])
def test_csv_encodings_are_detected_not_assumed(tmp_path, encoding, prefix):
    (tmp_path / "民政局.csv").write_bytes(prefix + (HEADER + ROWS).encode(encoding))
    read = returns.read_raw(tmp_path)
    assert read.problems == []
    (record,) = read.records
    assert (record["indicator_raw"], record["year_raw"], record["area_raw"], record["sex_raw"],
            record["value_raw"], record["source_cell"]) == ("C1.9c", "2023年", "偃师区", "女", "71.2%", "E2")
    (missing,) = read.missing
    assert (missing["source_cell"], missing["marker"]) == ("E3", "—")


def test_gbk_bytes_are_not_read_as_utf8():
    data = (HEADER + ROWS).encode("gbk")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert returns.decode(data) == (HEADER + ROWS, "GBK/GB18030")


def test_text_in_neither_encoding_is_a_file_problem(tmp_path):
    (tmp_path / "bad.csv").write_bytes(b"indicator_id,year,area,value\n\x81\xff\xfe,2021,x,1\n")
    read = returns.read_raw(tmp_path)
    assert read.problems[0]["source_file"] == "bad.csv"
    assert "neither UTF-8 nor GBK/GB18030" in read.problems[0]["problem_en"]


def test_csv_without_a_recognisable_header_is_reported(tmp_path):
    (tmp_path / "notes.csv").write_text("说明,内容\n本表,无数据\n", encoding="utf-8")
    read = returns.read_raw(tmp_path)
    assert "no recognisable table" in read.problems[0]["problem_en"]


def legacy_workbook(path):
    """A department's own layout: title, two-row header with years merged over 女/男/合计,
    units in some cells, a full-width number, a missing year, a notes row."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "学生视力"
    ws["A1"] = "偃师区中小学生视力监测汇总表"
    ws.merge_cells("A1:G1")
    ws["A3"] = "指标"
    ws.merge_cells("A3:A4")
    for col, year in (("B", 2022), ("E", 2023)):
        ws[f"{col}3"] = f"{year}年"
    ws.merge_cells("B3:D3")
    ws.merge_cells("E3:G3")
    for i, sex in enumerate(["女", "男", "合计"] * 2):
        ws.cell(4, 2 + i, sex)
    ws.append(["初中生近视率（%）", "72.5%", "68.1", 70.2, "７１．８", "—", 69.9])
    ws.append(["小学生近视率", 36.0, 33.2, 34.5, None, None, None])
    ws.append(["注：2023年男生数据未统计。"])
    ws.merge_cells("A7:G7")
    wb.save(path)
    mapping = {"department": "教体局", "sheets": [{
        "sheet": "学生视力", "header_rows": [3, 4], "first_data_row": 5, "label_column": "A",
        "rows": "indicator", "labels": {"初中生近视率（%）": "C1.9c", "小学生近视率": "C1.9b"},
        "area": "偃师区"}]}
    path.with_name(path.name + ".mapping.yaml").write_text(yaml.safe_dump(mapping, allow_unicode=True),
                                                           encoding="utf-8")


def test_legacy_sheet_with_merged_headers_is_read_through_its_mapping(tmp_path):
    legacy_workbook(tmp_path / "教体局_视力.xlsx")
    read = returns.read_raw(tmp_path)
    assert read.problems == []
    got = {(r["source_cell"], r["indicator_raw"], r["year_raw"], r["sex_raw"], r["value_raw"], r["unit_hint"])
           for r in read.records}
    assert got == {
        ("B5", "C1.9c", 2022, "female", "72.5%", "%"), ("C5", "C1.9c", 2022, "male", "68.1", "%"),
        ("D5", "C1.9c", 2022, "total", 70.2, "%"), ("E5", "C1.9c", 2023, "female", "７１．８", "%"),
        ("G5", "C1.9c", 2023, "total", 69.9, "%"),
        ("B6", "C1.9b", 2022, "female", 36.0, None), ("C6", "C1.9b", 2022, "male", 33.2, None),
        ("D6", "C1.9b", 2022, "total", 34.5, None),
    }
    assert [(m["source_cell"], m["marker"]) for m in read.missing] == [("F5", "—")]
    assert {f["file"]: f["read_as"] for f in read.files} == {
        "教体局_视力.xlsx": "legacy sheet", "教体局_视力.xlsx.mapping.yaml": "mapping"}


def test_unreadable_files_are_reported_and_the_others_still_read(tmp_path):
    (tmp_path / "corrupt.xlsx").write_bytes(b"PK\x03\x04 this is not really a zip")
    (tmp_path / "protected.xlsx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64)
    (tmp_path / "empty.csv").write_bytes(b"")
    openpyxl.Workbook().save(tmp_path / "unmapped.xlsx")
    (tmp_path / "good.csv").write_text(HEADER + ROWS, encoding="utf-8")
    read = returns.read_raw(tmp_path)
    problems = {p["source_file"]: p["problem_en"] for p in read.problems}
    chinese = {p["source_file"]: p["problem"] for p in read.problems}
    assert chinese["empty.csv"] == "文件为空" and "密码保护" in chinese["protected.xlsx"]
    assert "既不是标准填报表" in chinese["unmapped.xlsx"]
    assert "not a readable Excel workbook" in problems["corrupt.xlsx"]
    assert "password-protected" in problems["protected.xlsx"]
    assert problems["empty.csv"] == "the file is empty"
    assert "neither a standard return" in problems["unmapped.xlsx"] and "'_form'" in problems["unmapped.xlsx"]
    assert "described by a mapping file" in problems["unmapped.xlsx"]
    assert len(read.records) == 1 and read.records[0]["source_file"] == "good.csv"


def test_a_mapping_naming_a_missing_sheet_is_reported(tmp_path):
    legacy_workbook(tmp_path / "x.xlsx")
    mapping = tmp_path / "x.xlsx.mapping.yaml"
    mapping.write_text(mapping.read_text(encoding="utf-8").replace("sheet: 学生视力", "sheet: 视力"),
                       encoding="utf-8")
    read = returns.read_raw(tmp_path)
    assert "names sheet '视力', which the workbook does not have" in read.problems[0]["problem_en"]


def _with_extra_part(src, dst, name: str, data: bytes, replace: bool = False) -> None:
    """A copy of the workbook ``src`` with one more (or one replaced) part."""
    import zipfile

    with zipfile.ZipFile(src) as a, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as b:
        for item in a.infolist():
            if not (replace and item.filename == name):
                b.writestr(item, a.read(item))
        b.writestr(name, data)


FORM_2024 = config.RAW_DIR / "synthetic" / "模拟_卫健委_监测填报表_2024.xlsx"


def test_an_oversized_workbook_is_refused_before_its_cells_are_loaded(tmp_path, monkeypatch):
    limit = parse.cleaning_rules()["max_unpacked_mb"]
    _with_extra_part(FORM_2024, tmp_path / "big.xlsx", "xl/media/padding.bin", b" " * int((limit + 5) * 1e6))
    monkeypatch.setattr(openpyxl, "load_workbook", lambda *a, **k: pytest.fail("cells loaded"))
    problems = {p["source_file"]: p["problem_en"] for p in returns.read_raw(tmp_path).problems}
    assert f"more than the {limit} MB" in problems["big.xlsx"]


def test_a_workbook_neither_standard_nor_mapped_is_refused_without_loading_it(tmp_path, monkeypatch):
    wb = openpyxl.Workbook()
    wb.active.title = "统计表"
    wb.save(tmp_path / "other.xlsx")
    monkeypatch.setattr(openpyxl, "load_workbook", lambda *a, **k: pytest.fail("cells loaded"))
    problem = returns.read_raw(tmp_path).problems[0]["problem_en"]
    assert "neither a standard return" in problem and "its sheets: 统计表" in problem


def test_an_xml_bomb_is_refused_not_expanded(tmp_path):
    bomb = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
            b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets>'
            b'<sheet name="&b;" sheetId="1"/></sheets></workbook>')
    _with_extra_part(FORM_2024, tmp_path / "bomb.xlsx", "xl/workbook.xml", bomb, replace=True)
    problem = returns.read_raw(tmp_path).problems[0]["problem_en"]
    assert "declares entities" in problem
