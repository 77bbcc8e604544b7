import pytest

from analysis import atomic
from analysis.atomic import atomic_output


def test_a_failed_write_leaves_the_previous_file_whole(tmp_path):
    target = tmp_path / "scorecard.csv"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError), atomic_output(target) as tmp:
        tmp.write_text("half-writ", encoding="utf-8")
        raise RuntimeError("interrupted")
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["scorecard.csv"]


def test_a_successful_write_replaces_the_file(tmp_path):
    target = tmp_path / "sub" / "out.txt"
    with atomic_output(target) as tmp:
        tmp.write_text("new", encoding="utf-8")
    assert target.read_text(encoding="utf-8") == "new"


def test_text_a_spreadsheet_would_run_as_a_formula_is_written_as_text():
    import pandas as pd

    frame = pd.DataFrame({"说明": ["=HYPERLINK(\"http://x\",\"点此\")", "@SUM(A1)", "+1", "-2+3", "正常文字"],
                          "数值": [-1.5, 2.0, 3.0, -4.0, 5.0]})
    safe = atomic.spreadsheet_safe(frame)
    assert safe["说明"].tolist() == ["'=HYPERLINK(\"http://x\",\"点此\")", "'@SUM(A1)", "'+1", "'-2+3", "正常文字"]
    assert safe["数值"].tolist() == [-1.5, 2.0, 3.0, -4.0, 5.0]       # numbers stay numbers
    assert frame["说明"].iloc[0].startswith("=")                        # the table itself is not changed


def test_text_columns_of_every_dtype_are_made_safe():
    import pandas as pd

    frame = pd.DataFrame({"object": pd.Series(["=1+1", 3, None], dtype=object),
                          "string": pd.Series(["@SUM(A1)", "文字", None], dtype="string")})
    safe = atomic.spreadsheet_safe(frame)
    assert safe["object"].tolist()[:2] == ["'=1+1", 3]
    assert safe["string"].tolist()[:2] == ["'@SUM(A1)", "文字"]


def _workbook():
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active["A1"] = "填报单位"
    wb.active["B2"] = 93.5
    return wb


def test_a_saved_workbook_is_byte_for_byte_reproducible_and_reads_back(tmp_path):
    """The same content gives the same bytes whenever it is saved: every zip entry stamped with
    the fixed time, compressed, its permissions kept; the document's modified time fixed."""
    import time
    import zipfile

    import openpyxl

    first = atomic.save_workbook(_workbook(), tmp_path / "a.xlsx").read_bytes()
    time.sleep(1.1)   # openpyxl stamps the save time to the second
    second = atomic.save_workbook(_workbook(), tmp_path / "b.xlsx").read_bytes()
    assert first == second
    plain = tmp_path / "plain.xlsx"
    _workbook().save(plain)
    with zipfile.ZipFile(tmp_path / "a.xlsx") as z, zipfile.ZipFile(plain) as p:
        attrs = {i.filename: i.external_attr for i in p.infolist()}
        for info in z.infolist():
            assert info.date_time == atomic.FIXED_TIME, info.filename
            assert info.compress_type == zipfile.ZIP_DEFLATED, info.filename
            assert info.external_attr == attrs[info.filename], info.filename
        core_xml = z.read("docProps/core.xml").decode()
    assert ">2020-01-01T00:00:00Z</dcterms:modified>" in core_xml
    assert "<dcterms:modified" in core_xml and "XX" not in core_xml
    ws = openpyxl.load_workbook(tmp_path / "a.xlsx").active
    assert (ws["A1"].value, ws["B2"].value) == ("填报单位", 93.5)
