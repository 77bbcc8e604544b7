import pytest

from analysis.returns import inventory

# SHA-256 test vectors from FIPS 180-2 / NIST (independent of the code under test)
SHA256_ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
SHA256_EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_inventory_lists_every_file_with_size_and_checksum(tmp_path):
    (tmp_path / "returns").mkdir()
    (tmp_path / "returns" / "卫健委.csv").write_bytes(b"abc")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / ".hidden").write_bytes(b"x")
    table = inventory.inventory([tmp_path])
    assert table["file"].tolist() == ["empty.txt", "returns/卫健委.csv"]
    assert table["bytes"].tolist() == [0, 3]
    assert table["sha256"].tolist() == [SHA256_EMPTY, SHA256_ABC]


def test_a_missing_input_folder_is_an_error_naming_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="no_such_folder"):
        inventory.inventory([tmp_path / "no_such_folder"])


def test_raw_folder_must_say_where_its_data_come_from(tmp_path):
    with pytest.raises(FileNotFoundError, match="must say where"):
        inventory.raw_readme(tmp_path)
    (tmp_path / "README.md").write_text("# 模拟数据", encoding="utf-8")
    assert inventory.raw_readme(tmp_path) == "# 模拟数据"


def test_parameters_table_shows_overrides_beside_the_run_file():
    table = inventory.parameters_table({"raw_dir": "data/raw"}, {"raw_dir": "/tmp/other", "year": 2024})
    assert table.iloc[0].tolist() == ["raw_dir", "data/raw", "/tmp/other"]
    assert table.iloc[1].tolist() == ["year", "—", 2024]
