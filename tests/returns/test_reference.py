"""The national reference figures: carried into the long CSV on small hand-written sources,
and the shipped reference file checked as a whole. Every expected value below was worked out
by hand from the rows written in the test (or read off the shipped source file)."""

import csv
from pathlib import Path

import pytest
import yaml

from analysis import catalog, config
from analysis.returns import reference

FIXTURES = Path(__file__).parents[1] / "fixtures"
COLUMNS = ["outline", "indicator_key", "indicator_zh", "year", "value", "unit", "scope", "source_report",
           "source_url", "quote"]

R13 = "2013年《中国妇女发展纲要(2011—2020年)》实施情况统计报告(2015.02)"
MID16 = "《中国妇女发展纲要(2011—2020年)》中期统计监测报告(2016.10)"
R16 = "2016年《中国妇女发展纲要(2011—2020年)》统计监测报告(2017.10)"
R17 = "2017年《中国妇女发展纲要(2011—2020年)》统计监测报告(2018.11)"
R18 = "2018年《中国妇女发展纲要(2011—2020年)》统计监测报告(2019.12)"
C13 = "2013年《中国儿童发展纲要（2011—2020年）》统计监测报告"
C15 = "《中国儿童发展纲要（2011—2020年）》中期统计监测报告（2015年）"
C16 = "2016年《中国儿童发展纲要（2011—2020年）》统计监测报告"


@pytest.fixture
def cat(tmp_path):
    """The mini catalog with national keys: mmr → W1.1a (/10万, here by sex and urban/rural);
    msm → W1.M1 (no breakdown) and C1.1 (by sex), both %; mmr_gap → W1.1b, made here a sex gap
    whose own series is the gap (to test that scope)."""
    data = yaml.safe_load((FIXTURES / "mini_catalog.yaml").read_text(encoding="utf-8"))
    keys = {"W1.1a": "mmr", "W1.1b": "mmr_gap", "W1.M1": "msm", "C1.1": "msm"}
    for e in data["indicators"]:
        if e["id"] in keys:
            e["national_key"] = keys[e["id"]]
        if e["id"] == "W1.1a":
            e["breakdowns"] = ["sex", "urban_rural"]
        if e["id"] == "W1.1b":
            del e["gap_of"]
            e["gap"] = "sex"
    path = tmp_path / "catalog.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return catalog.load_catalog(path)


def write_source(tmp_path, rows, name="source.csv"):
    """A source file from (indicator_key, year, value, unit, scope, source_report, quote) rows;
    the first row is on line 2 of the file."""
    path = tmp_path / name
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(COLUMNS)
        for key, year, value, unit, scope, report, quote in rows:
            w.writerow(["women", key, "指标", year, value, unit, scope, report, "https://example.org/r", quote])
    return path


def one(carried, indicator_id, year, area="national", sex="total"):
    """The single carried row for one indicator, year, area and sex."""
    hit = carried[(carried["indicator_id"] == indicator_id) & (carried["year"] == year)
                  & (carried["area"] == area) & (carried["sex"] == sex)]
    assert len(hit) == 1, hit
    return hit.iloc[0]


def reason_of(not_carried, line):
    (reason,) = not_carried.loc[not_carried["source_row"] == line, "reason"]
    return reason


# --- scopes ----------------------------------------------------------------------------------


def test_each_scope_gives_its_area_sex_and_flags_or_is_refused(tmp_path, cat):
    src = write_source(tmp_path, [
        ("mmr", 2015, "20.1", "/10万", "national", R16, "q"),                                   # line 2
        ("mmr", 2015, "19.8", "/10万", "urban", R16, "q"),                                      # 3
        ("mmr", 2015, "20.2", "/10万", "rural", R16, "q"),                                      # 4
        ("mmr", 2015, "18.0", "/10万", "female", R16, "q"),                                     # 5
        ("mmr", 2015, "22.0", "/10万", "male", R16, "q"),                                       # 6
        ("mmr", 2016, "99", "/10万", "national; stated as 99%以上 (lower bound)", R16, "q"),     # 7
        ("mmr", 2016, "39", "/10万", "female (approx: 近3.9亿)", R16, "q"),                      # 8
        ("mmr", 2017, "1", "/10万", "national; cumulative since 2016", R17, "q"),                # 9
        ("mmr", 2017, "3.4", "/10万", "national (source text garbled: 3.4数万人; 比2010年降低50.5%)", R17, "q"),  # 10
        ("mmr", 2017, "5", "/10万", "city centre", R17, "q"),                                    # 11
        ("mmr", 2018, "1.5", "/10万", "male-female gap", R18, "q"),                              # 12
        ("mmr_gap", 2018, "1.5", "/10万", "male-female gap", R18, "q"),                          # 13
        ("mmr_gap", 2018, "20.0", "/10万", "national", R18, "q"),                                # 14
    ])
    carried, not_carried = reference.national_returns(src, cat)

    assert one(carried, "W1.1a", 2015)["value"] == 20.1
    assert one(carried, "W1.1a", 2015, area="national_urban")["value"] == 19.8
    assert one(carried, "W1.1a", 2015, area="national_rural")["value"] == 20.2
    assert one(carried, "W1.1a", 2015, sex="female")["value"] == 18.0
    assert one(carried, "W1.1a", 2015, sex="male")["value"] == 22.0
    assert one(carried, "W1.1a", 2016)["flags"] == "lower_bound"
    assert one(carried, "W1.1a", 2016, sex="female")["flags"] == "approximate"
    gap = one(carried, "W1.1b", 2018)
    assert (gap["value"], gap["flags"]) == (1.5, "")
    assert len(carried) == 8
    assert set(not_carried["source_row"]) == {9, 10, 11, 12, 14}
    assert set(not_carried["outcome"]) == {"not carried"}
    assert "another period" in reason_of(not_carried, 9)
    assert "garbled" in reason_of(not_carried, 10)
    assert "not in the table of known scopes" in reason_of(not_carried, 11)
    assert reason_of(not_carried, 12) == "a male-female gap, but W1.1a is not itself a sex gap"
    assert reason_of(not_carried, 14) == "W1.1b is a male-female gap; this row is not one"


def test_approximate_lower_bound_scope_carries_both_flags(tmp_path, cat):
    src = write_source(tmp_path, [
        ("mmr", 2013, "70", "/10万", "national; stated as 70%多 (slightly above 70, approximate)", C13, "q"),
        ("mmr", 2014, "5", "/10万", "national; 31 of 33 monitored indicators", C13, "q"),
        ("mmr", 2015, "54000", "/10万", "female (lower bound: 超过5.4亿)", C15, "q"),
    ])
    carried, _ = reference.national_returns(src, cat)
    assert one(carried, "W1.1a", 2013)["flags"] == "lower_bound;approximate"
    assert one(carried, "W1.1a", 2014)["flags"] == ""
    assert one(carried, "W1.1a", 2015, sex="female")["flags"] == "lower_bound"


# --- units and mapping ------------------------------------------------------------------------


def test_rates_and_proportions_convert_to_the_catalog_unit(tmp_path, cat):
    src = write_source(tmp_path, [
        ("msm", 2015, "5.4", "‰", "national", R16, "q"),      # 5.4 per 1,000 = 0.54 per 100
        ("msm", 2016, "13.1", "‰", "national", R16, "q"),     # 13.1 per 1,000 = 1.31 per 100
        ("msm", 2017, "93.5", "％", "national", R17, "q"),    # full-width percent sign: the same unit
        ("mmr", 2015, "1.69", "/万", "national", R16, "q"),   # 1.69 per 10,000 = 16.9 per 100,000
        ("mmr", 2016, "0.0199", "%", "national", R16, "q"),   # 0.0199 per 100 = 19.9 per 100,000
        ("mmr", 2017, "3", "人", "national", R17, "q"),       # persons: not a rate
    ])
    carried, not_carried = reference.national_returns(src, cat)
    assert one(carried, "W1.M1", 2015)["value"] == 0.54
    assert one(carried, "W1.M1", 2016)["value"] == 1.31
    assert one(carried, "W1.M1", 2017)["value"] == 93.5
    assert one(carried, "W1.1a", 2015)["value"] == 16.9
    assert one(carried, "W1.1a", 2016)["value"] == 19.9
    assert set(carried.loc[carried["indicator_id"] == "W1.M1", "unit"]) == {"%"}
    assert set(carried.loc[carried["indicator_id"] == "W1.1a", "unit"]) == {"/10万"}
    assert reason_of(not_carried, 7) == "unit 人 not comparable with the catalog's /10万"
    # the converted value is written as its shortest text, not 1.3099999999999998
    assert ",1.31,%," in reference.carried_csv(carried)


def test_a_key_serving_two_targets_gives_one_row_per_target_in_plan_order(tmp_path, cat):
    src = write_source(tmp_path, [
        ("msm", 2016, "91.6", "%", "national", R16, "q"),
        ("msm", 2015, "90.0", "%", "national", R16, "q"),
        ("nothing", 2015, "1", "%", "national", R16, "q"),
    ])
    carried, not_carried = reference.national_returns(src, cat)
    assert carried[["indicator_id", "year"]].values.tolist() == [
        ["W1.M1", 2015], ["W1.M1", 2016], ["C1.1", 2015], ["C1.1", 2016]]
    assert list(carried.index) == [3, 2, 3, 2]
    assert list(carried.columns) == reference.CARRIED_COLUMNS
    assert reason_of(not_carried, 4) == "no catalog entry has this indicator_key as its national_key"


# --- derived values and revisions ----------------------------------------------------------------


def test_derived_rows_are_flagged_and_a_stated_value_beats_them(tmp_path, cat):
    src = write_source(tmp_path, [
        ("mmr", 2010, "30.1", "/10万", "national", R18, "derived: 18.3+11.8"),            # 2: later report, derived
        ("mmr", 2010, "30.0", "/10万", "national", R13, "由2010年的30/10万"),               # 3: stated
        ("mmr", 2011, "26.1", "/10万", "national", R13, "derived: 23.0+3.1"),             # 4: only value
        ("mmr", 2012, "99", "/10万", "national; stated as 99%以上 (lower bound)", R13, "derived: x"),  # 5
    ])
    carried, not_carried = reference.national_returns(src, cat)
    kept = one(carried, "W1.1a", 2010)
    assert (kept["value"], kept["flags"], kept["source_report"]) == (30.0, "", R13)
    assert (kept["superseded_value"], kept["superseded_report"]) == ("30.1", R18 + " (derived)")
    assert one(carried, "W1.1a", 2011)["flags"] == "derived"
    assert one(carried, "W1.1a", 2012)["flags"] == "derived;lower_bound"
    (sup,) = not_carried.itertuples()
    assert (sup.source_row, sup.outcome, sup.superseded_by) == (2, "superseded", "3")
    assert sup.reason.startswith("derived; a stated value exists")


def test_the_later_report_wins_and_the_other_value_is_kept(tmp_path, cat):
    src = write_source(tmp_path, [
        ("mmr", 2013, "23.2", "/10万", "national", R17, "q"),   # 2: 2017 report, earlier in the file
        ("mmr", 2013, "23.0", "/10万", "national", R13, "q"),   # 3: 2013 report
        ("mmr", 2015, "20.3", "/10万", "national", R16, "q"),   # 4: report year 2016, published 2017.10
        ("mmr", 2015, "20.1", "/10万", "national", MID16, "q"),  # 5: report year 2016, published 2016.10
        ("mmr", 2014, "21.5", "/10万", "national", C15, "q"),   # 6: mid-term report, year 2015
        ("mmr", 2014, "21.7", "/10万", "national", C13, "q"),   # 7: 2013 report
        ("mmr", 2016, "19.8", "/10万", "national", C16, "q"),   # 8: same report year, no date ...
        ("mmr", 2016, "19.9", "/10万", "national", C16, "q"),   # 9: ... the later row of the file wins
        ("mmr", 2017, "19.6", "/10万", "national", R13, "q"),   # 10: three reports,
        ("mmr", 2017, "19.5", "/10万", "national", R18, "q"),   # 11: the latest wins,
        ("mmr", 2017, "19.7", "/10万", "national", R16, "q"),   # 12: the others listed in report order
    ])
    carried, not_carried = reference.national_returns(src, cat)
    y2013 = one(carried, "W1.1a", 2013)
    assert (y2013["value"], y2013["source_report"], y2013["superseded_value"], y2013["superseded_report"]) == (
        23.2, R17, "23.0", R13)
    y2015 = one(carried, "W1.1a", 2015)
    assert (y2015["value"], y2015["superseded_value"], y2015["superseded_report"]) == (20.3, "20.1", MID16)
    assert one(carried, "W1.1a", 2014)["value"] == 21.5
    assert one(carried, "W1.1a", 2016)["value"] == 19.9
    y2017 = one(carried, "W1.1a", 2017)
    assert (y2017["value"], y2017["superseded_value"], y2017["superseded_report"]) == (
        19.5, "19.6 | 19.7", f"{R13} | {R16}")
    assert dict(zip(not_carried["source_row"], not_carried["superseded_by"], strict=True)) == {
        3: "2", 5: "4", 7: "6", 8: "9", 10: "11", 12: "11"}
    assert set(not_carried["outcome"]) == {"superseded"}
    assert reason_of(not_carried, 3) == "revised value in a later report"
    assert reason_of(not_carried, 8) == "revised value in a later row of the same report"


def test_identical_values_from_two_reports_keep_the_later_and_note_the_other(tmp_path, cat):
    src = write_source(tmp_path, [
        ("mmr", 2020, "16.9", "/10万", "national", R18, "q"),
        ("mmr", 2020, "16.9", "/10万", "national", R13, "q"),
    ])
    carried, not_carried = reference.national_returns(src, cat)
    kept = one(carried, "W1.1a", 2020)
    assert (kept["value"], kept["source_report"], kept["superseded_value"], kept["superseded_report"]) == (
        16.9, R18, "16.9", R13)
    assert not_carried[["source_row", "outcome", "reason"]].values.tolist() == [
        [3, "superseded", "same value in a later report"]]


def test_report_order_reads_the_report_year_and_publication_date():
    assert reference.report_order(C13) == (2013, 0, 0)
    assert reference.report_order(C15) == (2015, 0, 0)
    assert reference.report_order(R16) == (2016, 2017, 10)
    assert reference.report_order(MID16) == (2016, 2016, 10)
    assert reference.report_order("《中国妇女发展纲要(2011—2020年)》终期统计监测报告(2021.12)") == (2021, 2021, 12)
    assert reference.report_order("某部门报告") is None


# --- accounting and writing ------------------------------------------------------------------


def mixed_source(tmp_path):
    return write_source(tmp_path, [
        ("mmr", 2015, "20.1", "/10万", "national", R16, "q"),       # 2 carried
        ("mmr", 2015, "20.1", "/10万", "national", R13, "q"),       # 3 superseded (same value)
        ("mmr", 2016, "19.9", "/10万", "national", R16, "derived: 20.1-0.2"),  # 4 carried, derived
        ("msm", 2016, "12.3", "%", "national", R16, "q"),           # 5 carried twice (W1.M1, C1.1)
        ("msm", 2016, "12.0", "%", "national", R16, "derived: x"),  # 6 superseded (stated exists)
        ("msm", 2017, "3", "人", "national", R17, "q"),             # 7 not carried (unit)
        ("other", 2017, "3", "%", "national", R17, "q"),            # 8 not carried (no entry)
        ("mmr", 2017, "3", "/10万", "national; cumulative since 2016", R17, "q"),  # 9 not carried (period)
    ])


def test_every_source_row_is_carried_superseded_or_not_carried(tmp_path, cat):
    carried, not_carried = reference.national_returns(mixed_source(tmp_path), cat)
    assert sorted(set(carried.index)) == [2, 4, 5]
    assert len(carried) == 4
    outcome = dict(zip(not_carried["source_row"], not_carried["outcome"], strict=True))
    assert outcome == {3: "superseded", 6: "superseded", 7: "not carried", 8: "not carried", 9: "not carried"}
    assert len(set(carried.index)) + len(not_carried) == 8
    # the check itself refuses a table that has lost a row
    with pytest.raises(AssertionError):
        reference.check_accounting(8, carried, not_carried.iloc[1:])


def test_writing_is_deterministic_plain_utf8_and_documented(tmp_path, cat):
    src = mixed_source(tmp_path)
    first = reference.write_national_returns(src, tmp_path / "a", cat)
    written = {name: (tmp_path / "a" / name).read_bytes() for name in ("national.csv", "README.md", "not_carried.md")}
    reference.write_national_returns(src, tmp_path / "b", cat)
    again = reference.write_national_returns(src, tmp_path / "a", cat)
    assert first == again == tmp_path / "a" / "national.csv"
    for name, content in written.items():
        assert (tmp_path / "a" / name).read_bytes() == content == (tmp_path / "b" / name).read_bytes()
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["README.md", "national.csv", "not_carried.md"]
    raw = first.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf") and b"\r" not in raw
    lines = raw.decode("utf-8").splitlines()
    assert lines[0] == ",".join(reference.CARRIED_COLUMNS)
    assert lines[1].startswith("W1.1a,2015,national,total,20.1,/10万,,")
    assert "W1.M1,2016,national,total,12.3,%,," in lines[3]
    readme = (tmp_path / "a" / "README.md").read_text(encoding="utf-8")
    assert "**real**" in readme and "superseded_value" in readme and "`derived`" in readme
    assert "| not carried | no catalog entry has this indicator_key as its national_key | 1 |" in readme
    listing = (tmp_path / "a" / "not_carried.md").read_text(encoding="utf-8")
    row_7 = "| 7 | msm | 2017 | national | 3 | 人 | W1.M1;C1.1 | unit 人 not comparable with the catalog's % |"
    assert row_7 in listing


# --- the shipped reference file ----------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped():
    """The project's catalog and the shipped reference file, carried."""
    cat = catalog.load_catalog()
    carried, not_carried = reference.national_returns(reference.SOURCE, cat)
    return cat, carried, not_carried


def test_shipped_figures_fit_the_catalog_and_account_for_every_row(shipped):
    cat, carried, not_carried = shipped
    with reference.SOURCE.open(encoding="utf-8") as fh:
        source = list(csv.DictReader(fh))
    assert set(carried["indicator_id"]) <= set(cat.indicators["id"])
    assert (carried["unit"] == carried["indicator_id"].map(cat.indicators["unit"])).all()
    n_superseded = (not_carried["outcome"] == "superseded").sum()
    n_not = (not_carried["outcome"] == "not carried").sum()
    assert carried.index.nunique() + n_superseded + n_not == len(source)
    assert {r["scope"] for r in source} <= set(reference.SCOPES)


def test_shipped_figures_read_by_hand(shipped):
    _, carried, _ = shipped
    # source line 63: infant mortality 2017, 6.8 ‰ stated in the 2017 report; line 64 derives the same
    # from the 2018 report
    im = one(carried, "C1.3b", 2017)
    assert (im["value"], im["flags"], im["superseded_value"]) == (6.8, "", "6.8")
    # lines 47-48: 高中阶段毛入学率 serves both W2.5 and C3.5; 2015 stated 87 %
    assert one(carried, "W2.5", 2015)["value"] == one(carried, "C3.5", 2015)["value"] == 87.0
    # line 212: 均保持在90%以上 in 2022
    assert one(carried, "C1.6", 2022)["flags"] == "lower_bound"


def test_shipped_output_is_the_regeneration_of_the_source(shipped):
    _, carried, _ = shipped
    out = config.RAW_DIR / "reference" / "national.csv"
    assert out.read_bytes() == reference.carried_csv(carried).encode("utf-8"), (
        "data/raw/reference/national.csv is stale: run .venv/bin/python -m analysis.returns.reference")


def test_a_scope_that_describes_the_indicator_itself_is_its_national_value(tmp_path, cat):
    """W1.M1 has no breakdown: a figure the report tags female or rural is the indicator's own
    national figure (a share of women is tagged 'female'; a village committee share 'rural')."""
    src = write_source(tmp_path, [
        ("msm", 2015, "22.5", "%", "female", R16, "q"),
        ("msm", 2016, "23.0", "%", "rural", R16, "q"),
    ])
    carried, _ = reference.national_returns(src, cat)
    w = carried[carried["indicator_id"] == "W1.M1"]
    assert w[["year", "area", "sex", "value"]].values.tolist() == [[2015, "national", "total", 22.5],
                                                                   [2016, "national", "total", 23.0]]
    c = carried[carried["indicator_id"] == "C1.1"]   # C1.1 is by sex, not by urban/rural
    assert c[["year", "area", "sex"]].values.tolist() == [[2015, "national", "female"],
                                                          [2016, "national", "total"]]
