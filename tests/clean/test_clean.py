"""The cleaning rules, each on small hand-written returns, with the exact outcome asserted:
value and unit after conversion, the reason, and the file and cell."""

import json
import re

import pandas as pd
import pytest
from typer.testing import CliRunner

from analysis import clean, config, synthetic
from analysis.catalog import load_catalog
from analysis.pipeline.cli import app
from tests.builders import fail_parquet_writes
from tests.returns.test_read import legacy_workbook

HEADER = "indicator_id,year,area,sex,value,unit,numerator,denominator\n"


def run(tmp_path, rows: str, encoding="utf-8") -> clean.CleanResult:
    raw = tmp_path / "raw"
    raw.mkdir(exist_ok=True)
    (raw / "return.csv").write_bytes((HEADER + rows).encode(encoding))
    return clean.clean(raw)


def only_obs(result) -> pd.Series:
    assert len(result.observations) == 1, result.quarantine.to_dict("records")
    return result.observations.iloc[0]


def only_quarantined(result) -> pd.Series:
    assert len(result.quarantine) == 1 and result.observations.empty
    return result.quarantine.iloc[0]


def test_a_percentage_with_its_unit_in_the_cell(tmp_path):
    o = only_obs(run(tmp_path, "C1.9c,2023,偃师区,女,71.2%,,,\n"))
    assert (o["indicator_id"], o["year"], o["area"], o["sex"], o["value"], o["unit"]) == \
        ("C1.9c", 2023, "district", "female", 71.2, "%")
    assert (o["source_file"], o["source_sheet"], o["source_cell"], o["flags"]) == ("return.csv", "", "E2", "")


def test_permille_is_converted_to_the_catalogs_percent(tmp_path):
    o = only_obs(run(tmp_path, "C1.9c,2023,偃师区,合计,712‰,,,\n"))
    assert o["value"] == pytest.approx(71.2)  # 712 per 1000 = 71.2 per 100
    assert o["flags"] == "unit_converted:‰→%"


def test_unit_column_is_used_when_the_cell_names_none(tmp_path):
    o = only_obs(run(tmp_path, "W1.2a,2022,偃师区,合计,0.25,‰,,\n"))
    assert o["value"] == pytest.approx(25.0)  # 0.25 per 1000 = 25 per 100000
    assert o["unit"] == "/10万"


def test_value_is_computed_from_counts_when_only_counts_are_given(tmp_path):
    o = only_obs(run(tmp_path, "W1.2a,2022,偃师区,合计,,,1,4000\n"))
    assert o["value"] == pytest.approx(25.0)  # 1 death / 4000 births × 100000
    assert (o["numerator"], o["denominator"], o["flags"]) == (1.0, 4000.0, "derived_from_counts")


def test_a_value_that_disagrees_with_its_counts_is_kept_and_flagged(tmp_path):
    o = only_obs(run(tmp_path, "W1.2a,2022,偃师区,合计,12,,1,4000\n"))
    assert o["value"] == 12 and o["flags"] == "value_disagrees_with_counts"


@pytest.mark.parametrize(
    ("row", "reason", "cell", "raw", "words"),
    [
        ("C1.9c,2023,偃师区,合计,abc,,,\n", "not_a_number", "E2", "abc", "'abc' is not a number"),
        ("C1.9c,2023,偃师区,合计,123.4,,,\n", "out_of_range", "E2", "123.4", "outside the possible range 0–100 %"),
        ("W1.2a,2022,偃师区,合计,,,5,4,\n", "numerator_exceeds_denominator", "G2", "5",
         "numerator 5 is larger than denominator 4"),
        ("W1.2a,2022,偃师区,合计,,,-1,4000\n", "out_of_range", "G2", "-1", "numerator -1 is negative"),
        # a bad denominator is reported at the denominator's own cell, not the numerator's or the value's
        ("W1.2a,2022,偃师区,合计,,,1,-4000\n", "out_of_range", "H2", "-4000", "denominator -4000 is negative"),
        ("W1.2a,2022,偃师区,合计,,,1,四千\n", "not_a_number", "H2", "四千", "denominator: '四千' is not a number"),
        ("W1.2a,2022,偃师区,合计,,,0,0\n", "no_value", "G2", "0", "no value of '/10万' can be computed"),
        ("X9.9,2023,偃师区,合计,5,,,\n", "unknown_indicator", "E2", "X9.9", "'X9.9' is not an indicator"),
        ("C1.9c,2023,火星镇,合计,70,,,\n", "unknown_area", "E2", "火星镇", "'火星镇' is not an area"),
        ("C1.9c,2023,偃师区,未知,70,,,\n", "unknown_sex", "E2", "未知", "'未知' is not a sex label"),
        ("C1.9c,2035,偃师区,合计,70,,,\n", "year_out_of_range", "E2", "2035", "2035 is outside the years 2010–2030"),
        ("C1.9c,二〇二一,偃师区,合计,70,,,\n", "not_a_year", "E2", "二〇二一", "is not a year"),
        ("C1.9c,2023,佃庄镇,合计,70,,,\n", "area_not_in_district", "E2", "佃庄镇", "left the district after 2021"),
        ("C1.9c,2023,偃师区,合计,70,所,,\n", "unit_mismatch", "E2", "70", "cannot be converted"),
        ("C1.9c,2023,偃师区,合计,70,percentish,,\n", "unit_not_understood", "E2", "70", "'percentish'"),
        ("C4.5b,2023,偃师区,合计,1000000000000,个,,\n", "out_of_range", "E2", "1000000000000",
         "outside the possible range 0–1e+06"),
        # "12 15": two figures or a thousands separator? never 1215 by guess
        ("C4.5b,2023,偃师区,合计,12 15,个,,\n", "not_a_number", "E2", "12 15", "digits separated by a space"),
        ("W1.2a,2022,偃师区,合计,,,1,4 0 00\n", "not_a_number", "H2", "4 0 00", "digits separated by a space"),
    ],
)
def test_hard_problems_are_quarantined_with_cell_reason_and_words(tmp_path, row, reason, cell, raw, words):
    q = only_quarantined(run(tmp_path, row))
    assert (q["source_file"], q["source_cell"], q["raw_value"], q["reason"]) == ("return.csv", cell, raw, reason)
    assert words in q["message_en"]
    # the page's message is Chinese: the problem said in the analyst's words, the raw value quoted
    assert re.search(r"[\u4e00-\u9fff]{4}", q["message"]) and q["message"] != q["message_en"]


def test_a_former_town_before_it_left_is_kept_and_flagged(tmp_path):
    o = only_obs(run(tmp_path, "C1.6,2020,佃庄镇,合计,95,,,\n"))
    assert (o["area"], o["flags"]) == ("佃庄镇", "former_boundary")


def test_an_old_town_name_is_mapped_through_the_alias_table(tmp_path):
    o = only_obs(run(tmp_path, "C1.6,2020,首阳山镇,合计,95,,,\n"))
    assert (o["area"], o["flags"]) == ("首阳山街道", "alias:首阳山镇→首阳山街道")


def test_conflicting_duplicates_are_both_quarantined_naming_each_other(tmp_path):
    result = run(tmp_path, "C1.9c,2023,偃师区,合计,70.1,,,\nC1.9c,2023,全区,合计,71.0,,,\n")
    assert result.observations.empty
    q = result.quarantine.set_index("source_cell")
    assert list(q["reason"]) == ["conflicting_duplicate"] * 2
    assert "70.1 here, but 71 at return.csv, cell E3" in q.loc["E2", "message_en"]
    assert "71 here, but 70.1 at return.csv, cell E2" in q.loc["E3", "message_en"]
    assert "此处为70.1，而return.csv单元格E3为71" in q.loc["E2", "message"]


def test_an_identical_repeat_keeps_the_first_and_quarantines_the_repeat(tmp_path):
    result = run(tmp_path, "C1.9c,2023,偃师区,合计,70.1,,,\nC1.9c,2023,偃师区,合计,70.1%,,,\n")
    assert only_obs_cell(result) == "E2"
    q = result.quarantine.iloc[0]
    assert (q["source_cell"], q["reason"]) == ("E3", "duplicate")


def only_obs_cell(result) -> str:
    assert len(result.observations) == 1
    return result.observations.iloc[0]["source_cell"]


def test_female_and_male_counts_that_do_not_add_up_are_flagged(tmp_path):
    rows = ("C1.3b,2022,偃师区,女,,,3,1900\nC1.3b,2022,偃师区,男,,,4,2100\n"
            "C1.3b,2022,偃师区,合计,,,8,4000\n")
    obs = run(tmp_path, rows).observations
    assert all("sex_sum_mismatch" in f for f in obs["flags"])


def test_a_total_rate_outside_the_female_and_male_rates_is_flagged(tmp_path):
    rows = "C1.9c,2022,偃师区,女,70,,,\nC1.9c,2022,偃师区,男,72,,,\nC1.9c,2022,偃师区,合计,75,,,\n"
    obs = run(tmp_path, rows).observations.set_index("sex")
    assert obs.loc["total", "flags"] == "total_outside_sex_range"
    assert obs.loc["female", "flags"] == "" and obs.loc["male", "flags"] == ""


def test_a_misplaced_decimal_point_is_flagged_as_a_jump_only_where_it_is(tmp_path):
    series = {2015: 70, 2016: 70.5, 2017: 71, 2018: 71.6, 2019: 7.22, 2020: 72.4, 2021: 73, 2022: 73.5}
    rows = "".join(f"C1.9c,{y},偃师区,合计,{v},,,\n" for y, v in series.items())
    obs = run(tmp_path, rows).observations.set_index("year")
    assert obs.loc[2019, "flags"] == "jump"
    assert (obs.drop(index=2019)["flags"] == "").all()


def test_a_lasting_level_shift_is_flagged_once(tmp_path):
    series = [50, 50.4, 50.9, 51.2, 51.8, 60.1, 60.5, 61.0, 61.4]
    rows = "".join(f"C1.10,{2015 + i},偃师区,合计,{v},,,\n" for i, v in enumerate(series))
    obs = run(tmp_path, rows).observations.set_index("year")
    assert list(obs.index[obs["flags"] == "jump"]) == [2020]


def test_every_value_read_is_an_observation_or_quarantined(tmp_path):
    rows = ("C1.9c,2023,偃师区,合计,70,,,\nC1.9c,2023,偃师区,女,abc,,,\nX1.1,2023,偃师区,合计,1,,,\n"
            "C1.9c,2022,偃师区,男,—,,,\n")
    result = run(tmp_path, rows)
    s = result.summary
    assert (s["values_read"], s["observations"], s["quarantined"], s["missing_cells"]) == (3, 1, 2, 1)
    assert s["accounting_holds"]


def test_a_gbk_csv_and_a_merged_header_workbook_clean_to_the_same_table(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    legacy_workbook(raw / "教体局.xlsx")
    result = clean.clean(raw)
    o = result.observations.set_index(["indicator_id", "year", "sex"])
    assert o.loc[("C1.9c", 2022, "female"), "value"] == 72.5        # "72.5%"
    assert o.loc[("C1.9c", 2023, "female"), "value"] == 71.8        # "７１．８"
    assert o.loc[("C1.9c", 2023, "female"), "source_cell"] == "E5"
    assert o.loc[("C1.9c", 2023, "female"), "source_sheet"] == "学生视力"
    assert ("C1.9c", 2023, "male") not in o.index                    # "—": missing, not a value
    assert len(result.observations) == 8 and result.quarantine.empty


def test_clean_command_writes_tables_and_exits_by_outcome(tmp_path):
    raw, out = tmp_path / "raw", tmp_path / "processed"
    raw.mkdir()
    (raw / "ok.csv").write_text(HEADER + "C1.9c,2023,偃师区,合计,70,,,\n", encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(app, ["clean", "--raw", str(raw), "--out", str(out)]).exit_code == 0
    assert pd.read_parquet(out / "observations.parquet")["value"].tolist() == [70.0]
    summary = json.loads((out / "cleaning_summary.json").read_text(encoding="utf-8"))
    assert summary["accounting_holds"] and summary["values_read"] == 1
    (raw / "bad.csv").write_text(HEADER + "C1.9c,2022,偃师区,合计,abc,,,\n", encoding="utf-8")
    result = runner.invoke(app, ["clean", "--raw", str(raw), "--out", str(out)])
    assert result.exit_code == 1
    q = pd.read_parquet(out / "quarantine.parquet")
    assert q[["source_file", "source_cell", "reason"]].values.tolist() == [["bad.csv", "E2", "not_a_number"]]
    missing = runner.invoke(app, ["clean", "--raw", str(tmp_path / "nowhere"), "--out", str(out)])
    assert missing.exit_code == 2 and "does not exist" in missing.output
    # an unreadable file alone, every value clean: still exit 1, the file named
    (raw / "bad.csv").unlink()
    (raw / "damaged.xlsx").write_bytes(b"PK\x03\x04 not a zip")
    unreadable = runner.invoke(app, ["clean", "--raw", str(raw), "--out", str(out)])
    assert unreadable.exit_code == 1 and "damaged.xlsx" in unreadable.output


def test_a_failed_write_leaves_the_previous_tables_whole(tmp_path, monkeypatch):
    raw, out = tmp_path / "raw", tmp_path / "processed"
    raw.mkdir()
    (raw / "ok.csv").write_text(HEADER + "C1.9c,2023,偃师区,合计,70,,,\n", encoding="utf-8")
    clean.write(clean.clean(raw), out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    result = clean.clean(raw)
    result.observations.loc[0, "sex"] = "unknown"  # breaks the contract: nothing may be written
    with pytest.raises(Exception, match="observations breaks its contract"):
        clean.write(result, out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_a_write_that_fails_half_way_leaves_every_previous_table_whole(tmp_path, monkeypatch):
    # the tables are one set: a failure writing the third leaves the first two as they were too
    raw, out = tmp_path / "raw", tmp_path / "processed"
    raw.mkdir()
    (raw / "ok.csv").write_text(HEADER + "C1.9c,2023,偃师区,合计,70,,,\n", encoding="utf-8")
    clean.write(clean.clean(raw), out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    (raw / "ok.csv").write_text(HEADER + "C1.9c,2023,偃师区,合计,71,,,\n", encoding="utf-8")
    result = clean.clean(raw)
    fail_parquet_writes(monkeypatch, "missing")
    with pytest.raises(OSError, match="disk full"):
        clean.write(result, out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_a_rate_on_few_events_is_not_flagged_for_its_sampling_noise(tmp_path):
    """One maternal death in ten years among 4,000 births a year: the ratio goes 0 → 25 /10万
    → 0 by chance alone (one death moves it by 25), not by a reporting error."""
    deaths = [0, 0, 0, 0, 0, 1, 0, 0, 0, 0]
    rows = "".join(f"W1.2a,{2015 + i},偃师区,合计,,,{d},4000\n" for i, d in enumerate(deaths))
    obs = run(tmp_path, rows).observations
    assert sorted(obs["value"].round(6).unique()) == [0.0, 25.0]
    assert not obs["flags"].str.contains("jump").any()
    # the same figures written without their counts give no such excuse: a lone spike
    rows = "".join(f"W1.2a,{2015 + i},偃师区,合计,{d * 25},,,\n" for i, d in enumerate(deaths))
    flagged = run(tmp_path, rows).observations.set_index("year")["flags"]
    assert list(flagged[flagged == "jump"].index) == [2020]


@pytest.mark.slow
def test_the_shipped_raw_data_cleans_with_exactly_the_planted_problems(tmp_path):
    """data/raw as shipped (real national figures + the synthetic district) through the command."""
    from analysis import config

    result = CliRunner().invoke(app, ["clean", "--out", str(tmp_path)])
    assert result.exit_code == 1  # the planted problems are quarantined
    summary = json.loads((tmp_path / "cleaning_summary.json").read_text(encoding="utf-8"))
    assert summary["accounting_holds"] and summary["file_problems"] == []
    q = pd.read_parquet(tmp_path / "quarantine.parquet")
    planted = {(f"synthetic/{p['file']}", p["cell"], p["reason"]) for p in synthetic.PLANTED
               if p["effect"] == "quarantine"}
    assert set(zip(q["source_file"], q["source_cell"], q["reason"], strict=True)) == planted
    national = pd.read_parquet(tmp_path / "observations.parquet").query("area.str.startswith('national')")
    assert len(national) == pd.read_csv(config.RAW_DIR / "reference" / "national.csv").shape[0]


def test_a_quarantined_value_keeps_what_was_read_of_it(tmp_path):
    q = only_quarantined(run(tmp_path, "C1.9c,2023,首阳山,女,712,,,\n"))
    assert (q["indicator_id"], q["year"], q["area"], q["sex"], q["reason"]) == \
        ("C1.9c", 2023, "首阳山街道", "female", "out_of_range")
    q = only_quarantined(run(tmp_path, "C1.9c,2023,火星镇,女,71,,,\n"))
    assert (q["indicator_id"], q["year"], q["area"]) == ("C1.9c", 2023, None)


def test_digits_grouped_by_three_with_spaces_are_one_number(tmp_path):
    # GB/T 15835 groups large numbers by three: "4 012" is 4012
    o = only_obs(run(tmp_path, "W1.2a,2022,偃师区,合计,,,1,4 012\n"))
    assert o["denominator"] == 4012


def test_a_value_for_a_qualitative_target_is_kept_and_flagged_for_review(tmp_path):
    # W1.4 is qualitative: no figure is asked for; a figure sent anyway is kept, and a person looks at it
    result = run(tmp_path, "W1.4,2023,偃师区,合计,88,%,,\n")
    o = only_obs(result)
    assert "qualitative_target" in o["flags"]
    assert len(clean.flagged_for_review(result)) == 1


def test_the_comparator_of_a_relative_target_is_not_flagged(tmp_path):
    # W4.2a (女党员比例) is qualitative in the plan but collected as W4.2b's comparator
    o = only_obs(run(tmp_path, "W4.2a,2023,偃师区,合计,29.4,%,,\n"))
    assert "qualitative_target" not in o["flags"]


def test_a_figure_the_reader_loses_is_named_and_the_accounting_fails(tmp_path, monkeypatch):
    """The identity is counted from the file's cells, apart from the reader: a reader that drops a
    value (here: the last one of a standard return) is caught, the cell named."""
    import shutil

    from analysis.returns import template

    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(config.RAW_DIR / "synthetic" / "模拟_卫健委_监测填报表_2024.xlsx", raw / "form.xlsx")
    honest = template.read_template
    lost = {}

    def lossy(*args, **kw):
        records, missing = honest(*args, **kw)
        last = records[-1]
        lost["cells"] = [last[f"{p}_cell"] for p in ("value", "numerator", "denominator")
                         if last[f"{p}_raw"] is not None]
        return records[:-1], missing

    monkeypatch.setattr(template, "read_template", lossy)
    result = clean.clean(raw)
    s = result.summary
    problem = result.problems["problem_en"].iloc[0]
    assert s["cells_unaccounted"] == len(lost["cells"]) >= 1 and not s["accounting_holds"]
    assert all(c in problem for c in lost["cells"]) and "not read as values" in problem
    assert "不成立" in clean.headline(s)


def test_a_value_that_breaks_the_interpreter_is_quarantined_not_fatal(tmp_path, monkeypatch):
    # whatever goes wrong with one value, the run goes on and the value is accounted for, at its cell
    from analysis.returns import parse

    honest = parse.parse_sex

    def broken(raw):
        if raw == "男":
            raise RuntimeError("boom")
        return honest(raw)

    monkeypatch.setattr(parse, "parse_sex", broken)
    result = run(tmp_path, "C1.9c,2023,偃师区,女,70,,,\nC1.9c,2023,偃师区,男,71,,,\n")
    assert len(result.observations) == 1
    q = only_quarantined_of(result)
    assert (q["reason"], q["source_cell"]) == ("interpretation_failed", "E3") and "程序错误" in q["message"]


def only_quarantined_of(result) -> pd.Series:
    assert len(result.quarantine) == 1
    return result.quarantine.iloc[0]


def test_the_data_quality_page_reads_the_stage_tables_until_an_input_changes(tmp_path, monkeypatch):
    # a re-run of 20_clean reads what the stage wrote; a changed return, catalog or params file cleans anew
    raw, out = tmp_path / "raw", tmp_path / "processed"
    raw.mkdir()
    (raw / "ok.csv").write_text(HEADER + "C1.9c,2023,偃师区,合计,70,,,\nC1.9c,2022,偃师区,合计,abc,,,\n",
                                encoding="utf-8")
    first = clean.load(raw, config.DEFAULT_CATALOG, out)
    assert first.key and (out / "cleaning_stage.json").is_file()
    real_clean = clean.stage.clean

    def refuse(*args, **kwargs):
        raise AssertionError("cleaned again although nothing changed")

    monkeypatch.setattr(clean.stage, "clean", refuse)
    second = clean.load(raw, config.DEFAULT_CATALOG, out)
    pd.testing.assert_frame_equal(second.observations, first.observations, check_dtype=False)
    pd.testing.assert_frame_equal(second.quarantine, first.quarantine, check_dtype=False)
    pd.testing.assert_frame_equal(second.files, first.files)
    assert second.summary == first.summary and second.key == first.key
    assert clean.files_report(second, load_catalog()).equals(clean.files_report(first, load_catalog()))
    assert clean.quarantine_table(second).equals(clean.quarantine_table(first))
    # a revised return: the page shows the revision, not the tables written before it
    monkeypatch.setattr(clean.stage, "clean", real_clean)
    (raw / "ok.csv").write_text(HEADER + "C1.9c,2023,偃师区,合计,71,,,\n", encoding="utf-8")
    revised = clean.load(raw, config.DEFAULT_CATALOG, out)
    assert revised.observations["value"].tolist() == [71.0] and revised.quarantine.empty
    assert pd.read_parquet(out / "observations.parquet")["value"].tolist() == [71.0]
    # a new file beside it, and a catalog that is not the one the tables were made with
    (raw / "more.csv").write_text(HEADER + "C1.9c,2024,偃师区,合计,72,,,\n", encoding="utf-8")
    assert clean.load(raw, config.DEFAULT_CATALOG, out).observations["value"].tolist() == [71.0, 72.0]
    other = tmp_path / "indicators.yaml"
    other.write_text(config.DEFAULT_CATALOG.read_text(encoding="utf-8") + "\n# a comment\n", encoding="utf-8")
    monkeypatch.setattr(clean.stage, "clean", refuse)
    with pytest.raises(AssertionError, match="cleaned again"):
        clean.load(raw, other, out)


def test_tables_written_without_their_inputs_key_are_never_taken_as_current(tmp_path):
    # a cleaning not made by clean() (no key) or tables from before the stage file existed: cleaned anew
    raw, out = tmp_path / "raw", tmp_path / "processed"
    raw.mkdir()
    (raw / "ok.csv").write_text(HEADER + "C1.9c,2023,偃师区,合计,70,,,\n", encoding="utf-8")
    made = clean.clean(raw)
    made.key = {}
    made.observations.loc[0, "value"] = 69.0  # not what the return says: must not be read back
    clean.write(made, out)
    assert clean.load(raw, config.DEFAULT_CATALOG, out).observations["value"].tolist() == [70.0]
    (out / "cleaning_stage.json").unlink()
    assert clean.load(raw, config.DEFAULT_CATALOG, out).observations["value"].tolist() == [70.0]


def test_a_changed_params_file_cleans_anew(tmp_path, monkeypatch):
    # the readers' units, towns and ranges live in params/: a change there makes the tables stale
    import shutil

    params = tmp_path / "params"
    shutil.copytree(config.PARAMS_DIR, params)
    monkeypatch.setattr(config, "PARAMS_DIR", params)
    raw, out = tmp_path / "raw", tmp_path / "processed"
    raw.mkdir()
    (raw / "ok.csv").write_text(HEADER + "C1.9c,2023,偃师区,合计,70,,,\n", encoding="utf-8")
    before = clean.load(raw, config.DEFAULT_CATALOG, out).key
    assert clean.stage_key(raw, load_catalog()) == before
    with (params / "cleaning.yaml").open("a", encoding="utf-8") as f:
        f.write("\n# a threshold reconsidered\n")
    after = clean.stage_key(raw, load_catalog())
    assert after["params"] != before["params"] and {k for k in after if after[k] != before[k]} == {"params"}
