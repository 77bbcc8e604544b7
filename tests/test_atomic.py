import pytest

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
