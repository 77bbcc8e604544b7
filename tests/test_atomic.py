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
