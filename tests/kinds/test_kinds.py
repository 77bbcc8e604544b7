"""The target-kind registry (analysis/kinds/): one file per kind, one definition of "met", asked
by the catalog, the scorecard, the gaps page and the report alike."""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from analysis import catalog, gaps, kinds, scorecard
from analysis.kinds.base import LevelKind

MINI = Path(__file__).parents[1] / "fixtures" / "mini_catalog.yaml"


def test_every_kind_file_registers_exactly_the_kind_it_is_named_for():
    files = {m.name for m in pkgutil.iter_modules(kinds.__path__)} - {"base"}
    assert files == set(kinds.REGISTRY)
    for name in files:
        assert importlib.import_module(f"analysis.kinds.{name}").KIND is kinds.get(name)


def test_every_kind_the_shipped_catalog_uses_is_in_the_registry_and_says_its_target():
    cat = catalog.load_catalog()
    assert set(cat.indicators["kind"]) <= kinds.KINDS
    for _, entry in cat.indicators.iterrows():
        assert kinds.get(entry["kind"]).text(entry)


def test_the_single_definition_of_met_at_the_line_and_across_it():
    # 以上、以下、以内 include the number; a band includes its edges; NaN never meets
    v = np.array([2.99, 3.0, 3.01, np.nan])
    assert kinds.get("below").meets(v, 3.0).tolist() == [True, True, False, False]
    assert kinds.get("at_most").meets(v, 3.0).tolist() == [True, True, False, False]
    assert kinds.get("keep_below").meets(v, 3.0).tolist() == [True, True, False, False]
    assert kinds.get("above").meets(v, 3.0).tolist() == [False, True, True, False]
    assert kinds.get("keep_above").meets(v, 3.0).tolist() == [False, True, True, False]
    assert kinds.get("about").meets(np.array([44.9, 45.0, 47.0, 47.1]), 45.0, tolerance=2.0).tolist() == \
        [True, True, True, False]
    for name in ("direction", "relative", "qualitative"):
        with pytest.raises(ValueError, match="has no target value"):
            kinds.get(name).meets(v, 3.0)
    # the scorecard's meets is the kind's, not a second definition
    assert scorecard.meets(v, "below", 3.0).tolist() == kinds.get("below").meets(v, 3.0).tolist()


def test_the_towns_below_a_threshold_use_the_same_line():
    """A town exactly at 每年保持在90%以上 is not below it (gaps page and scorecard agree)."""
    from tests.builders import observations_table

    cat = catalog.load_catalog()
    town = gaps.town_units()["town"].iloc[0]
    rows = [{"indicator_id": "C1.6", "year": 2022, "area": town, "value": v}
            for v in (90.0,)] + [{"indicator_id": "C1.6", "year": 2023, "area": town, "value": 89.9}]
    obs = observations_table(rows, cat)
    below = gaps.towns_below_threshold(obs, cat, "C1.6", gaps.GapSettings.from_params())
    assert below["year"].tolist() == [2023]


def test_an_unknown_kind_is_refused_naming_the_known_ones():
    with pytest.raises(ValueError, match="unknown target kind 'at_least'.*below"):
        kinds.get("at_least")


def test_adding_a_kind_is_one_object_in_the_registry(tmp_path, monkeypatch):
    """A new kind (say 不低于 without the 以上 wording) needs no change anywhere else: the catalog
    accepts an entry of it, states its target in the plan's words, and the scorecard judges it with
    its own line."""
    new = LevelKind("not_below", side=1, words_en="not below {v}")
    monkeypatch.setitem(kinds.REGISTRY, "not_below", new)
    data = yaml.safe_load(MINI.read_text(encoding="utf-8"))
    numeric = next(e for e in data["indicators"] if e["kind"] == "above")
    numeric["kind"] = "not_below"
    path = tmp_path / "indicators.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    cat = catalog.load_catalog(path)
    entry = cat.entry(numeric["id"])
    assert catalog.target_text(entry) == f"{numeric['wording']}（{numeric['year']}年）"
    assert scorecard.meets(np.array([numeric["value"]]), "not_below", float(numeric["value"])).tolist() == [True]


def test_a_field_of_another_kind_is_refused_naming_the_kinds_that_have_it(tmp_path):
    data = yaml.safe_load(MINI.read_text(encoding="utf-8"))
    numeric = next(e for e in data["indicators"] if e["kind"] == "above")
    numeric["gap"] = "sex"
    path = tmp_path / "indicators.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(catalog.CatalogError) as exc:
        catalog.load_catalog(path)
    assert f"entry {numeric['id']}, field 'gap': only 'direction' targets have a gap" in exc.value.problems


def test_kinds_are_frozen_data():
    with pytest.raises(dataclasses.FrozenInstanceError):
        kinds.get("below").side = 1  # type: ignore[misc]


def test_the_basic_achievement_slack_moves_every_line_in_the_indicators_favour():
    """基本实现: ``slack`` (in the unit) widens what meets — below the line by that much more, above
    it by that much less, a band by that much on each side; values may come as a plain list, and
    a missing one (None) never meets."""
    values = [3.4, 3.5, 3.6, None]
    assert kinds.get("below").meets(values, 3.0, slack=0.5).tolist() == [True, True, False, False]
    assert kinds.get("above").meets([2.4, 2.5, 2.6, None], 3.0, slack=0.5).tolist() == [False, True, True, False]
    band = kinds.get("about").meets([42.4, 42.5, 47.5, 47.6, None], 45.0, tolerance=2.0, slack=0.5)
    assert band.tolist() == [False, True, True, False, False]


def test_a_kind_without_a_target_value_says_which_kind_it_is():
    for name in ("direction", "relative", "qualitative"):
        with pytest.raises(ValueError, match=rf"^kind '{name}' has no target value$"):
            kinds.get(name).meets([1.0], 3.0)


def test_a_target_is_stated_in_the_plans_words_with_its_year_only_when_it_has_a_number():
    cat = catalog.load_catalog()
    about, direction = cat.entry("W3.3"), cat.entry("W1.1a")
    assert kinds.get("about").text(about) == "达到40%左右（按±2个百分点判断）（2030年）"
    assert pd.notna(direction["year"]) and kinds.get("direction").text(direction) == direction["wording"]
    assert kinds.get("below").text(cat.entry("C1.3a")).endswith("（2030年）")


def _edit_catalog(tmp_path, entry_id, **changes):
    """The shipped catalog with one entry's fields changed (None: the field removed), loaded."""
    data = yaml.safe_load(catalog.load_catalog().path.read_text(encoding="utf-8"))
    entry = next(e for e in data["indicators"] if e["id"] == entry_id)
    for key, value in changes.items():
        if value is None:
            entry.pop(key, None)
        else:
            entry[key] = value
    path = tmp_path / "indicators.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.parametrize(("entry_id", "changes", "problem"), [
    ("W1.1a", {"direction": "up"},
     "field 'direction': 'up'; one of ['decrease', 'increase', 'narrow', 'rise_curbed', 'rise_slowed']"),
    ("W1.1a", {"marked": "yes"}, "field 'marked': only 'marked: true', and only with direction increase / "
                                 "decrease / narrow"),
    ("W1.2b", {"gap": "age"}, "field 'gap': 'age'; one of ['sex', 'urban_rural']"),
    ("W1.2b", {"gap_of": "W9.9"}, "field 'gap_of': 'W9.9' is not an id in the catalog"),
    ("W4.2b", {"relative_to": "W9.9"}, "field 'relative_to': 'W9.9' is not an id in the catalog"),
    ("W4.2b", {"comparison": "above"}, "field 'comparison': 'above'; one of ['at_least', 'at_most']"),
    ("W3.3", {"tolerance": 0}, "field 'tolerance': an 'about' (左右) target needs a positive tolerance"),
    ("W3.3", {"tolerance": True}, "field 'tolerance': an 'about' (左右) target needs a positive tolerance"),
])
def test_each_kinds_own_fields_are_checked_naming_the_field_and_what_it_may_be(tmp_path, entry_id, changes, problem):
    with pytest.raises(catalog.CatalogError) as exc:
        catalog.load_catalog(_edit_catalog(tmp_path, entry_id, **changes))
    assert f"entry {entry_id}, {problem}" in exc.value.problems


def test_a_marked_change_is_refused_where_the_plan_cannot_ask_for_one_and_a_small_tolerance_is_allowed(tmp_path):
    with pytest.raises(catalog.CatalogError) as exc:
        catalog.load_catalog(_edit_catalog(tmp_path, "W1.1a", direction="rise_slowed", marked=True))
    assert any(p.startswith("entry W1.1a, field 'marked'") for p in exc.value.problems)
    assert catalog.load_catalog(_edit_catalog(tmp_path, "W3.3", tolerance=0.5)).entry("W3.3")["tolerance"] == 0.5
