"""The plan profile (params/profile.yaml and the folder PLAN_MONITOR_PROFILE names): every name the
pages use comes from it, none from code."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from analysis import config

ROOT = Path(__file__).resolve().parents[1]


def test_the_shipped_profile_names_the_district_its_city_and_level():
    p = config.profile()
    assert (p.name, p.full_name, p.whole, p.own, p.level_word) == ("偃师区", "洛阳市偃师区", "全区", "本区", "区级")
    assert p.full_name_en == "Yanshi District, Luoyang"


@pytest.mark.parametrize("text, problem", [
    ("name: 某县\n", "expected exactly"),
    ("name: 某县\nname_en: X\nparent: ''\nparent_en: ''\nlevel: 乡\nlevel_en: township\n", "level must be one of"),
    ("name: ''\nname_en: X\nparent: ''\nparent_en: ''\nlevel: 县\nlevel_en: county\n", "may not be empty"),
])
def test_a_profile_file_that_cannot_name_the_area_is_refused_with_the_file(tmp_path, text, problem):
    path = tmp_path / "profile.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(config.ParamsError, match=problem) as exc:
        config.profile(path)
    assert "profile.yaml" in str(exc.value)


def test_no_code_names_the_district():
    # the names live in the profile; a county that copies the suite finds none of Yanshi's in the code
    names = ("偃师", "Yanshi", "洛阳", "Luoyang", "河南", "Henan")
    found = [f"{p.relative_to(ROOT)}: {n}" for p in sorted((ROOT / "analysis").rglob("*"))
             if p.suffix in (".py", ".j2", ".css", ".html") for n in names if n.lower() in p.read_text(
                 encoding="utf-8").lower()]
    assert found == []


PROBE = """
import json
from analysis import config
from analysis.report import labels, sentences
print(json.dumps({"title": sentences.heading("title"), "title_en": sentences.heading("title", "en"),
                  "basic": sentences.heading("basic"), "area": labels.area_label("district"),
                  "area_en": labels.area_en("district"), "province": labels.area_label("province"),
                  "notice": sentences.synthetic_notice(["模拟_卫健委.csv"]),
                  "raw": str(config.RAW_DIR), "reports": str(config.REPORTS_DIR)}, ensure_ascii=False))
"""


def test_another_profile_folder_names_every_heading_and_area(tmp_path):
    # a county's copy of params/ with its own names, plans and comparators, chosen by PLAN_MONITOR_PROFILE
    profile = tmp_path / "某县"
    shutil.copytree(config.PROJECT_ROOT / "params", profile)
    (profile / "profile.yaml").write_text(
        "name: 某县\nname_en: Mou County\nparent: 某市\nparent_en: Mou City\nlevel: 县\nlevel_en: county\n",
        encoding="utf-8")
    catalog = (profile / "indicators.yaml").read_text(encoding="utf-8")
    (profile / "indicators.yaml").write_text(catalog.replace("洛阳市偃师区", "某市某县"), encoding="utf-8")
    areas = (profile / "areas.yaml").read_text(encoding="utf-8")
    (profile / "areas.yaml").write_text(areas.replace(
        "  luoyang:        {name: 洛阳市, en: Luoyang, labels: [洛阳市, 洛阳, 全市, luoyang]}",
        "  province:       {name: 某省, en: Mou Province, labels: [某省, 全省, province]}").replace(
        "  henan:          {name: 河南省, en: Henan, labels: [河南省, 河南, 全省, henan]}\n", ""), encoding="utf-8")
    env = {**os.environ, "PLAN_MONITOR_PROFILE": str(profile)}
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, cwd=tmp_path, capture_output=True, text=True,
                         check=True).stdout
    words = json.loads(out)
    assert words["title"].startswith("# 某县妇女儿童发展规划监测报告\n\n"
                                     "《某市某县妇女发展规划（2021—2030年）》和《某市某县儿童")
    assert "Mou County, Mou City" in words["title_en"]
    assert words["title_en"].startswith("# Monitoring Report of the Mou County")
    assert "全县人口" in words["basic"] and "the county" not in words["basic"]
    assert (words["area"], words["area_en"], words["province"]) == ("某县", "Mou County", "某省")
    assert "本页的某县数据" in words["notice"]
    assert "偃师" not in out and "Yanshi" not in out and "洛阳" not in out
    # its data, pages and run records live in its own folder, not in the shipped district's
    assert words["raw"] == str(profile / "data" / "raw") and words["reports"] == str(profile / "reports")
