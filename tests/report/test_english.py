"""The English report names every area in English: towns by their Pinyin names (params/areas.yaml)."""

from __future__ import annotations

import re

import pandas as pd

from analysis.report import labels, sentences
from analysis.returns import parse

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_town_has_an_english_name_and_the_english_pages_use_it():
    spec = parse.areas()
    towns = {**spec["towns"], **(spec.get("former_towns") or {})}
    for name, town in towns.items():
        en = town.get("en", "")
        assert en and not CJK.search(en) and en.endswith(("Town", "Subdistrict")), name
        assert labels.area_en(name) == en
    row = pd.Series({"area": "顾县镇", "sex": "female"})
    assert sentences._group_words(row, "en") == "Guxian Town, female"
    assert labels.area_en("national") == "China" and labels.area_en("nowhere") == "nowhere"
