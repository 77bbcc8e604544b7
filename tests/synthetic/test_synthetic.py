"""The synthetic sample (analysis/synthetic/): reproducible to the byte, cleaned into exactly the
planted problems, and realistic — each realism check computed here from the cleaned
observations, not from the generator's internals."""

from __future__ import annotations

import re

import numpy as np
import openpyxl
import pandas as pd
import pytest
from openpyxl.utils.cell import range_boundaries

from analysis import clean, config, synthetic
from analysis.catalog import load_catalog
from analysis.returns import parse

SHIPPED = config.RAW_DIR / "synthetic"
NUMERIC_KINDS = {"below", "at_most", "above", "about", "keep_above"}


@pytest.fixture(scope="module")
def cleaned() -> clean.CleanResult:
    return clean.clean(SHIPPED)


@pytest.fixture(scope="module")
def obs(cleaned) -> pd.DataFrame:
    return cleaned.observations


def planted(effect: str) -> list[dict[str, str]]:
    return [p for p in synthetic.PLANTED if p["effect"] == effect]


def cells(spec: str) -> list[str]:
    if ":" not in spec:
        return [spec]
    c1, r1, c2, r2 = range_boundaries(spec)
    return [f"{openpyxl.utils.get_column_letter(c)}{r}" for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)]


def series(obs: pd.DataFrame, indicator: str, area: str = "district", sex: str = "total") -> pd.Series:
    s = obs[(obs["indicator_id"] == indicator) & (obs["area"] == area) & (obs["sex"] == sex)]
    return s.set_index("year")["value"].sort_index()


# --- reproducibility --------------------------------------------------------------------------


@pytest.mark.slow
def test_the_same_seed_gives_the_shipped_files_byte_for_byte(tmp_path):
    written = synthetic.generate(synthetic.SEED, tmp_path)
    shipped = sorted(p.name for p in SHIPPED.iterdir() if p.is_file())
    assert sorted(p.name for p in written) == shipped, "regenerate data/raw/synthetic (see its README)"
    for name in shipped:
        assert (tmp_path / name).read_bytes() == (SHIPPED / name).read_bytes(), (
            f"{name} differs from its regeneration: run "
            "`python -m analysis.synthetic --seed 20250101 --out data/raw/synthetic`")


def test_a_different_seed_gives_different_values():
    cat = load_catalog()
    a, b = synthetic.draw(synthetic.SEED, cat), synthetic.draw(synthetic.SEED + 1, cat)
    key = lambda r: (r.indicator, r.year, r.area, r.sex, r.dest)  # noqa: E731
    va = {key(r): r.value for r in a.records}
    vb = {key(r): r.value for r in b.records}
    common = set(va) & set(vb)
    assert len(common) > 1000
    assert sum(va[k] != vb[k] for k in common) > len(common) / 2


# --- exactly the planted problems ------------------------------------------------------------


def test_cleaning_quarantines_exactly_the_planted_values(cleaned):
    got = sorted(zip(cleaned.quarantine["reason"], cleaned.quarantine["source_file"],
                     cleaned.quarantine["source_sheet"], cleaned.quarantine["source_cell"], strict=True))
    want = sorted((p["reason"], p["file"], p["sheet"], p["cell"]) for p in planted("quarantine"))
    assert got == want
    assert sorted(cleaned.quarantine["reason"]) == ["conflicting_duplicate", "conflicting_duplicate", "out_of_range"]


def test_the_flags_are_exactly_the_planted_ones(obs):
    flags = {f for fs in obs["flags"] for f in fs.split(";") if f}
    assert flags == {p["flag"] for p in planted("flag")}
    review = {"jump", "sex_sum_mismatch", "total_outside_sex_range", "value_disagrees_with_counts"}
    assert not {f.split(":")[0] for f in flags} & review


def test_the_old_name_rows_are_the_planted_row(obs):
    (entry,) = [p for p in planted("flag") if p["flag"].startswith("alias:")]
    rows = obs[obs["flags"].str.contains(entry["flag"], regex=False)]
    assert len(rows) == len(synthetic.YEARS)
    assert set(rows["area"]) == {synthetic.NEW_NAME}
    assert set(rows["source_file"]) == {entry["file"]} and set(rows["source_sheet"]) == {entry["sheet"]}
    assert {c.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for c in rows["source_cell"]} == {entry["cell"][1:]}


def test_the_former_town_is_kept_flagged_and_only_to_2021(cleaned, obs):
    former = obs[obs["area"] == "佃庄镇"]
    assert not former.empty and former["year"].max() == 2021
    assert former["flags"].eq("former_boundary").all()
    assert set(obs.loc[obs["flags"].str.contains("former_boundary"), "area"]) == {"佃庄镇"}
    files = {p["file"] for p in planted("flag") if p["flag"] == "former_boundary"}
    assert set(former["source_file"]) == files
    assert "佃庄镇" not in set(cleaned.quarantine["area"].dropna())


def test_accounting_holds_and_every_file_is_read(cleaned):
    s = cleaned.summary
    assert s["accounting_holds"] and s["values_read"] == s["observations"] + s["quarantined"]
    assert s["file_problems"] == [] and cleaned.problems.empty
    assert s["flagged"] == 0
    kinds = dict(zip(cleaned.files["file"], cleaned.files["read_as"], strict=True))
    assert kinds["README.md"] == "documentation"
    assert {k for f, k in kinds.items() if f.endswith(".mapping.yaml")} == {"mapping"}


def test_the_planted_missing_cells_are_counted_missing(cleaned):
    missing = set(zip(cleaned.missing["source_file"], cleaned.missing["source_sheet"],
                      cleaned.missing["source_cell"], strict=True))
    located = [p for p in planted("missing") if re.fullmatch(r"[A-Z]+\d+(:[A-Z]+\d+)?", p["cell"])]
    assert len(located) >= 3
    for p in located:
        for c in cells(p["cell"]):
            assert (p["file"], p["sheet"], c) in missing, p
    # the blank rows of the 2015 health form (C1.8a, C1.8b: three sexes each)
    form = cleaned.missing[cleaned.missing["source_file"] == synthetic.HEALTH_FILE.format(year=2015)]
    assert (form["indicator_raw"].isin(["C1.8a", "C1.8b"])).sum() == 6


# --- realism ------------------------------------------------------------------------------------


def test_births_are_about_4000_a_year(obs):
    births = obs[(obs["indicator_id"] == "C1.3a") & (obs["area"] == "district") & (obs["sex"] == "total")]
    births = births.set_index("year")["denominator"].sort_index()
    assert list(births.index) == list(synthetic.YEARS)
    assert births.between(3000, 5000).all()
    assert births[2024] < births[2016]  # births fall, as they did in China
    maternal = obs[(obs["indicator_id"] == "W1.2a") & (obs["area"] == "district")].set_index("year")
    assert (maternal["denominator"] == births).all()


def test_maternal_mortality_carries_small_count_noise(obs):
    m = obs[(obs["indicator_id"] == "W1.2a") & (obs["area"] == "district")].set_index("year")
    assert (m["value"] == 0).any() and (m["value"] >= 20).any()
    assert np.allclose(m["value"], (m["numerator"] / m["denominator"] * 1e5).round(2))
    assert (m["numerator"] == m["numerator"].round()).all() and m["numerator"].max() <= 5


def test_junior_myopia_stays_above_its_target_and_falls_slowly(obs):
    c = series(obs, "C1.9c")
    assert list(c.index) == list(synthetic.YEARS)
    assert (c > 60).all() and c.iloc[-1] < c.iloc[0]
    gap = series(obs, "C1.9c", sex="female") - series(obs, "C1.9c", sex="male")
    assert gap.iloc[-1] < gap.iloc[0]  # the sex gap narrows
    pension = series(obs, "W5.4", sex="male") - series(obs, "W5.4", sex="female")
    assert pension.iloc[-1] > pension.iloc[0]  # and this one widens


def test_one_town_misses_the_vaccination_threshold(obs):
    towns = obs[(obs["indicator_id"] == "C1.6") & (obs["area"] != "district")]
    below = towns[towns["value"] < 90]
    assert set(below["area"]) == {synthetic.WEAK_TOWN}
    assert (series(obs, "C1.6") >= 90).all()


def test_female_and_male_add_up_to_the_total(obs):
    units = parse.units()
    checked = 0
    for _, g in obs.groupby(["indicator_id", "year", "area"]):
        by = g.set_index("sex")
        if not {"female", "male", "total"} <= set(by.index):
            continue
        for part in ("numerator", "denominator"):
            if by[part].notna().all():
                assert by.at["female", part] + by.at["male", part] == by.at["total", part]
        kind = units.get(by.at["total", "unit"], {}).get("kind")
        if kind == "count":
            assert by.at["female", "value"] + by.at["male", "value"] == by.at["total", "value"]
        elif kind in ("proportion", "rate"):
            low, high = sorted((by.at["female", "value"], by.at["male", "value"]))
            assert low <= by.at["total", "value"] <= high
        checked += 1
    assert checked > 100


def test_district_totals_include_the_former_town_before_2022(obs):
    w = obs[obs["indicator_id"] == "W4.7c"]
    for year, g in w.groupby("year"):
        towns = g[g["area"] != "district"]
        assert ("佃庄镇" in set(towns["area"])) == (year <= 2021)
        district = g[g["area"] == "district"].iloc[0]
        assert towns["denominator"].sum() == district["denominator"]


def test_every_field_with_a_numeric_target_has_data(obs):
    t = load_catalog().indicators
    numeric = t[t["kind"].isin(NUMERIC_KINDS)]
    fields = set(zip(numeric["plan"], numeric["field"], strict=True))
    observed = t.loc[sorted(set(obs["indicator_id"]) & set(numeric.index))]
    assert fields == set(zip(observed["plan"], observed["field"], strict=True))
    for _, e in t.loc[sorted(set(obs["indicator_id"]))].iterrows():
        mine = obs[obs["indicator_id"] == e["id"]]
        assert (mine["unit"] == e["unit"]).all()
        if "town" in e["breakdowns"]:
            assert mine["area"].isin(list(parse.areas()["towns"])).any(), e["id"]


# --- the shapes and labels ----------------------------------------------------------------------


def test_the_civil_affairs_csv_is_gbk():
    data = (SHIPPED / synthetic.CIVIL_FILE).read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert data.decode("gbk").startswith("指标编号,年份,地区,性别,数值")


def test_the_legacy_workbook_has_merged_year_headers():
    wb = openpyxl.load_workbook(SHIPPED / synthetic.EDUCATION_FILE)
    ws = wb["视力体质"]
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"A3:A4", "B3:D3", "E3:G3"} <= merged
    assert ws["B3"].value == "2015年" and [ws.cell(4, c).value for c in (2, 3, 4)] == ["女", "男", "合计"]
    assert (SHIPPED / (synthetic.EDUCATION_FILE + ".mapping.yaml")).is_file()
    assert str(ws["A1"].value).startswith(synthetic.SYNTHETIC_MARK)


def test_everything_is_labelled_synthetic_and_the_readme_lists_the_problems():
    names = [p.name for p in SHIPPED.iterdir() if p.is_file()]
    assert all("模拟" in n for n in names if n != "README.md")
    readme = (SHIPPED / "README.md").read_text(encoding="utf-8")
    assert "模拟数据" in readme and "SYNTHETIC" in readme
    assert "plan-monitor sample --seed 20250101 --out data/raw/synthetic" in readme
    for p in synthetic.PLANTED:
        assert f"`{p['file']}`" in readme and p["description"] in readme
    for name in names:
        if name.endswith(".csv"):
            text = (SHIPPED / name).read_bytes().decode("gbk" if name == synthetic.CIVIL_FILE else "utf-8-sig")
            body = text.splitlines()[1:]
            assert body and all("模拟数据" in line for line in body), name


# --- the self-evaluation forms -----------------------------------------------------------------------


def test_the_units_self_evaluations_are_synthetic_mixed_and_one_unit_sends_none(cleaned):
    from analysis.returns import selfeval
    from analysis.synthetic import selfeval as sample

    cat = load_catalog()
    forms = sorted(p.name for p in SHIPPED.glob("模拟_自评_*.xlsx"))
    led = set(cat.indicators.loc[cat.indicators["kind"] == "qualitative", "department"])
    assert forms == sorted(f"模拟_自评_{d}_{sample.YEAR}.xlsx" for d in led - {sample.NOT_REPORTING})
    for name in forms:
        ws = openpyxl.load_workbook(SHIPPED / name)[selfeval.DATA_SHEET]
        assert str(ws["A1"].value).startswith(synthetic.SYNTHETIC_MARK)
    table = cleaned.self_evaluations
    assert set(table["source_file"]) == set(forms)
    assert set(table["conclusion"]) == set(selfeval.load_settings().codes)          # every conclusion occurs
    assert table["progress"].map(lambda p: p == "" or p.startswith("（模拟）")).all()
    assert 0 < (table["flags"] == "no_progress").sum() < len(table) / 4
    assert sample.NOT_REPORTING not in set(table["department"])
    assert cleaned.summary["self_evaluations"]["quarantined"] == 0 and cleaned.summary["self_evaluations"]["holds"]
    readme = (SHIPPED / "README.md").read_text(encoding="utf-8")
    assert "## Self-evaluation forms (定性目标自评表)" in readme and f"**{sample.NOT_REPORTING}** sends none" in readme
