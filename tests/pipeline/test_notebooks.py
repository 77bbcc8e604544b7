"""Notebooks executed by papermill with fixture parameters, asserting on what they show.

(Every notebook is also executed with its defaults by nbval: see pytest's --nbval-lax.)
"""

from pathlib import Path

import pytest

from tests.builders import run_notebook

FIXTURES = Path(__file__).parents[1] / "fixtures"
SHA256_ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"  # FIPS 180-2


execute = run_notebook


@pytest.mark.slow
def test_overview_lists_the_given_inputs_with_checksums(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "README.md").write_text("模拟数据（synthetic）测试说明", encoding="utf-8")
    (raw / "卫健委_2024.csv").write_bytes(b"abc")
    shown = execute("00_overview", tmp_path, raw_dir=str(raw))
    assert "卫健委_2024.csv" in shown and SHA256_ABC in shown
    assert "模拟数据（synthetic）测试说明" in shown
    assert str(raw) in shown  # the parameter in force


@pytest.mark.slow
def test_catalog_notebook_counts_and_lists_the_given_catalog(tmp_path):
    shown = execute("10_catalog", tmp_path, catalog=str(FIXTURES / "mini_catalog.yaml"))
    # counted by hand from the fixture: 4 women's targets, 1 children's
    assert "共列入目标 4 项" in shown and "共列入目标 1 项" in shown
    assert "孕产妇系统管理率达到90%以上。" in shown
    assert "12/10万以下（2030年）" in shown


@pytest.mark.slow
def test_clean_notebook_reports_quarantine_and_writes_the_tables(tmp_path):
    raw, processed = tmp_path / "synthetic_raw", tmp_path / "processed"
    raw.mkdir()
    (raw / "README.md").write_text("test returns", encoding="utf-8")
    (raw / "模拟_教体局.csv").write_text(
        "指标编号,年份,地区,性别,数值\nC1.9c,2023,偃师区,合计,71.2%\nC1.9c,2022,偃师区,合计,abc\n", encoding="gbk")
    shown = execute("20_clean", tmp_path, raw_dir=str(raw), processed_dir=str(processed))
    # counted by hand: 2 values read, 1 kept, 1 quarantined
    assert "共读取 2 个文件中的 2 个数值：保留 1 个" in shown and "隔离 1 个" in shown
    assert "模拟数据（synthetic data）" in shown               # the file is synthetic by its name
    assert "数值：“abc”不是数字" in shown    # the message in Chinese, escaped as every text from a return
    assert (processed / "observations.parquet").is_file() and (processed / "quarantine.parquet").is_file()
