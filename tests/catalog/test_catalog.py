"""The indicator catalog: the loader's checks on small hand-written data, and the shipped
catalog checked against the plans' own text."""

import re
from pathlib import Path

import pytest
import yaml

from analysis import catalog, config

FIXTURES = Path(__file__).parents[1] / "fixtures"
MINI = FIXTURES / "mini_catalog.yaml"
MINI_TITLES = catalog.plan_titles(config.read_yaml(MINI)["plans"])  # 示例县…规划（2021—2030年） heads each plan


# --- the plan-text reader, on a small hand-written plan -------------------------------------


def test_plan_structure_reads_goals_and_measures_of_each_field():
    text = (FIXTURES / "mini_plan.txt").read_text(encoding="utf-8")
    s = catalog.plan_structure(text, MINI_TITLES)
    assert s[["plan", "field", "section", "number"]].values.tolist() == [
        ["W", 1, "goal", 1], ["W", 1, "goal", 2], ["W", 1, "measure", 1],
        ["C", 1, "goal", 1], ["C", 1, "measure", 1],
    ]
    # a sentence broken over lines and a page marker is joined, white space removed
    assert s.iloc[0]["text"] == "孕产妇死亡率下降到12/10万以下，城乡差距缩小。"
    assert s.iloc[0]["field_zh"] == "妇女与健康"


def test_plan_structure_refuses_a_gap_in_the_numbering():
    text = (FIXTURES / "mini_plan.txt").read_text(encoding="utf-8").replace("2．提高", "3．提高")
    with pytest.raises(ValueError, match=r"numbered \[1, 3\]"):
        catalog.plan_structure(text, MINI_TITLES)


# --- the loader's checks ---------------------------------------------------------------------


def mini_entries():
    return yaml.safe_load(MINI.read_text(encoding="utf-8"))


def write_catalog(tmp_path, data) -> Path:
    path = tmp_path / "indicators.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def problems_after(tmp_path, change) -> list[str]:
    data = mini_entries()
    change(data["indicators"])
    with pytest.raises(catalog.CatalogError) as exc:
        catalog.load_catalog(write_catalog(tmp_path, data))
    assert str(tmp_path / "indicators.yaml") in str(exc.value)
    return exc.value.problems


def test_the_mini_catalog_loads_in_plan_order():
    cat = catalog.load_catalog(MINI)
    assert cat.indicators["id"].tolist() == ["W1.1a", "W1.1b", "W1.2", "W1.M1", "C1.1"]
    assert cat.entry("C1.1")["value"] == 60


def test_duplicate_id_is_named(tmp_path):
    problems = problems_after(tmp_path, lambda e: e.append(dict(e[0])))
    assert "entry W1.1a, field 'id': duplicate id (entries #1 and #6)" in problems


def test_unknown_kind_is_named(tmp_path):
    def change(e):
        e[0]["kind"] = "lower"
    assert any(p.startswith("entry W1.1a, field 'kind': unknown kind 'lower'")
               for p in problems_after(tmp_path, change))


def test_numeric_kind_without_value_is_named(tmp_path):
    def change(e):
        del e[3]["value"]
    assert "entry W1.M1, field 'value': a 'above' target needs a value" in problems_after(
        tmp_path, change)


def test_unit_not_understood_is_named(tmp_path):
    def change(e):
        e[4]["unit"] = "percent-ish"
    assert any(p.startswith("entry C1.1, field 'unit': unit 'percent-ish' not understood")
               for p in problems_after(tmp_path, change))


def test_source_that_is_not_in_the_plan_is_named(tmp_path):
    def change(e):
        e[4]["source"] = "初中生近视率降至 55%以下。"
    problems = problems_after(tmp_path, change)
    assert ("entry C1.1, field 'source': the sentence does not occur in goal 1 of field 1 of "
            "the plan") in problems


def test_source_from_another_goal_is_refused(tmp_path):
    def change(e):  # a true sentence of the plan, but of goal 2, under the id of goal 1
        e[0]["source"] = "提高妇女健康素养水平。"
    assert any("does not occur in goal 1 of field 1" in p for p in problems_after(tmp_path, change))


def test_value_that_is_not_in_the_source_is_named(tmp_path):
    def change(e):
        e[0]["value"] = 10
    assert "entry W1.1a, field 'value': 10 does not appear in the source sentence" in \
        problems_after(tmp_path, change)


def test_goal_without_entry_is_named(tmp_path):
    def change(e):
        del e[2]
    assert any(p.startswith("plan W field 1: main goal 2 has no entry")
               for p in problems_after(tmp_path, change))


def test_every_problem_is_reported_at_once(tmp_path):
    def change(e):
        e[0]["department"] = "不存在的局"
        e[1]["gap_of"] = "W9.9"
        e[2]["monitorable"] = True
        e[4]["year"] = 2035
    problems = problems_after(tmp_path, change)
    assert "entry W1.1a, field 'department': '不存在的局' is not in params/departments.yaml" in problems
    assert "entry W1.1b, field 'gap_of': 'W9.9' is not an id in the catalog" in problems
    assert "entry W1.2, field 'monitorable': a qualitative target cannot be monitorable" in problems
    assert "entry C1.1, field 'year': 2035 is not a year of the plan period 2021–2030" in problems


def test_id_inconsistent_with_field_and_goal_is_named(tmp_path):
    def change(e):
        e[3]["id"] = "W1.M2"
    problems = problems_after(tmp_path, change)
    assert "entry W1.M2, field 'measure': is 1 but the id says 2" in problems


def test_population_must_be_known_and_need_the_sex_breakdown(tmp_path):
    def change(e):
        e[0]["population"] = "mothers"
        e[1]["population"] = "women"
        e[1]["breakdowns"] = []
    problems = problems_after(tmp_path, change)
    assert any(p.startswith("entry W1.1a, field 'population': 'mothers'") for p in problems)
    assert any(p.startswith("entry W1.1b, field 'population': a target about women or girls without") for p in problems)


def test_a_linked_entry_must_name_another_entry_with_the_same_target(tmp_path):
    def change(e):
        e[4]["same_as"] = "W1.M1"          # C1.1 (below 60 %) linked to W1.M1 (above 90 %): refused
        e[3]["same_as"] = "X9.9"           # no such id
    problems = problems_after(tmp_path, change)
    assert "entry C1.1, field 'same_as': kind is 'below' here but 'above' in W1.M1: not the same target" in problems
    assert "entry C1.1, field 'same_as': value is 60 here but 90 in W1.M1: not the same target" in problems
    assert "entry W1.M1, field 'same_as': 'X9.9' is not another id in the catalog" in problems


def test_about_needs_a_tolerance(tmp_path):
    def change(e):
        e[3]["kind"] = "about"
    assert "entry W1.M1, field 'tolerance': an 'about' (左右) target needs a positive tolerance" \
        in problems_after(tmp_path, change)


def test_target_text_states_the_target_in_the_plans_words():
    cat = catalog.load_catalog(MINI)
    assert catalog.target_text(cat.entry("W1.1a")) == "下降到12/10万以下（2030年）"
    assert catalog.target_text(cat.entry("W1.1b")) == "城乡差距缩小"
    assert catalog.target_text(cat.entry("W1.2")) == "定性目标"


def test_summary_counts_targets_by_kind_and_monitorability():
    cat = catalog.load_catalog(MINI)
    s = catalog.summary_by_field(cat).set_index("plan")
    # counted by hand from mini_catalog.yaml: W has 2 numeric, 1 direction, 1 qualitative
    assert s.loc["W", ["targets", "numeric", "direction", "relative", "qualitative",
                       "monitorable"]].tolist() == [4, 2, 1, 0, 1, 3]
    assert s.loc["C", ["targets", "numeric", "monitorable"]].tolist() == [1, 1, 1]
    assert "共列入目标 4 项，其中有具体数值的 2 项、方向性 1 项、相对目标 0 项、定性 1 项；可用常规统计监测的 3 项" \
        in catalog.headline(cat)


# --- the shipped catalog against the plans' own text ----------------------------------------


@pytest.fixture(scope="module")
def shipped():
    return catalog.load_catalog(config.DEFAULT_CATALOG)


@pytest.fixture(scope="module")
def plan_text():
    return catalog.read_plan_text()


def goals_per_field_by_regex(text: str) -> dict[tuple[str, int], int]:
    """Count the numbered lines between each '主要目标：' and the next '策略措施：'.

    Independent of catalog.plan_structure: it splits the raw text on the two headings only.
    """
    counts = {}
    women_end = text.index("洛阳市偃师区儿童发展规划\n", text.index("四、监测评估"))
    for plan, part in (("W", text[:women_end]), ("C", text[women_end:])):
        blocks = part.split("主要目标：")[1:]
        for field, block in enumerate(blocks, start=1):
            goals = block.split("策略措施：")[0]
            counts[(plan, field)] = len(re.findall(r"(?m)^\s*\d+．", goals))
    return counts


def test_the_plans_have_74_and_70_main_goals(plan_text):
    counts = goals_per_field_by_regex(plan_text)
    assert sum(v for (p, _), v in counts.items() if p == "W") == 74
    assert sum(v for (p, _), v in counts.items() if p == "C") == 70
    assert len([k for k in counts if k[0] == "W"]) == 8
    assert len([k for k in counts if k[0] == "C"]) == 7


def test_every_main_goal_of_both_plans_has_an_entry(shipped, plan_text):
    counts = goals_per_field_by_regex(plan_text)
    t = shipped.indicators
    for (plan, field), n in counts.items():
        goals = set(t[(t["plan"] == plan) & (t["field"] == field)]["goal"].dropna().astype(int))
        assert goals == set(range(1, n + 1)), (plan, field)


def test_every_quote_occurs_in_the_plan(shipped, plan_text):
    whole = re.sub(r"\s+", "", plan_text)
    for _, e in shipped.indicators.iterrows():
        assert re.sub(r"\s+", "", e["source"]) in whole, e["id"]


def test_every_number_with_a_unit_in_goals_and_measures_is_a_target_value(shipped, plan_text):
    """Each %, ‰, /10万, 名, 张 or 所 figure in a goal or measure is the value of an entry of
    that very goal or measure: no numeric target of the plans is left out."""
    figure = re.compile(r"(\d+(?:\.\d+)?)\s*(?:%|％|‰|/\s*10\s*万|名|张|所)")
    structure = catalog.plan_structure(plan_text)
    t = shipped.indicators
    checked = 0
    for item in structure.itertuples():
        col = "goal" if item.section == "goal" else "measure"
        entries = t[(t["plan"] == item.plan) & (t["field"] == item.field) & (t[col] == item.number)]
        values = {float(v) for v in entries["value"].dropna()}
        for number in figure.findall(item.text):
            checked += 1
            assert float(number) in values, (item.plan, item.field, item.section, item.number, number)
    assert checked >= 40


# values, units and kinds read by hand from the plans' text
HAND_READ = [
    ("W1.2a", "孕产妇死亡率", "below", 12, "/10万"),        # 下降到12/10万以下
    ("W1.3a", "适龄妇女宫颈癌人群筛查率", "above", 70, "%"),  # 达到70%以上
    ("W1.5", "艾滋病母婴传播率", "below", 2, "%"),           # 下降到2%以下
    ("W1.M4", "孕产妇系统管理率", "above", 90, "%"),          # 达到90%以上
    ("W2.4", "九年义务教育巩固率", "above", 97, "%"),         # 提高到97%以上
    ("W2.5", "高中阶段教育毛入学率", "reach_keep_above", 96, "%"),  # 达到并保持在96%以上
    ("W3.2", "就业人员中的女性比例", "keep_about", 45, "%"),  # 保持在45%左右: every year
    ("W4.7c", "村委会成员中女性比例", "above", 30, "%"),      # 达到30%以上
    ("W4.8c", "社区居委会成员中女性比例", "keep_about", 50, "%"),  # 保持在50%左右: every year
    ("C1.3a", "新生儿死亡率", "below", 3.0, "‰"),
    ("C1.3b", "婴儿死亡率", "below", 5.0, "‰"),
    ("C1.3c", "5岁以下儿童死亡率", "below", 6.0, "‰"),
    ("C1.6", "适龄儿童免疫规划疫苗接种率", "keep_above", 90, "%"),
    ("C1.8a", "5岁以下儿童贫血率", "at_most", 10, "%"),       # 控制在10%…以下
    ("C1.8b", "5岁以下儿童生长迟缓率", "at_most", 5, "%"),
    ("C1.9b", "小学生近视率", "below", 38, "%"),
    ("C1.9c", "初中生近视率", "below", 60, "%"),
    ("C1.9d", "高中阶段学生近视率", "below", 70, "%"),
    ("C1.9e", "0—6岁儿童眼保健和视力检查覆盖率", "above", 90, "%"),
    ("C1.10", "中小学生国家学生体质健康标准达标优良率", "above", 60, "%"),
    ("C1.M2b", "每千名儿童拥有儿科执业（助理）医生数", "above", 1.12, "名/千名儿童"),
    ("C1.M2c", "每千名儿童拥有儿科床位数", "above", 3.17, "张/千名儿童"),
    ("C1.M7a", "12岁儿童龋患率", "at_most", 25, "%"),         # 控制在25%以内
    ("C5.6a", "城市学校建立家长学校或家庭教育指导服务站点的比例", "above", 95, "%"),
    ("C5.6b", "农村学校建立家长学校或家庭教育指导服务站点的比例", "above", 85, "%"),
]


@pytest.mark.parametrize(("eid", "name", "kind", "value", "unit"), HAND_READ)
def test_targets_read_by_hand_from_the_plans(shipped, eid, name, kind, value, unit):
    e = shipped.entry(eid)
    assert (e["name_zh"], e["kind"], e["value"], e["unit"], e["year"]) == (name, kind, value, unit, 2030)


def test_per_town_and_relative_targets(shipped):
    assert shipped.entry("C1.6")["breakdowns"] == ["town"]          # 以镇（街道）为单位
    rel = shipped.entry("W4.2b")                                    # 一般不低于…女性比例
    assert (rel["kind"], rel["relative_to"], rel["comparison"]) == ("relative", "W4.2a", "at_least")
    gap = shipped.entry("W1.2b")                                    # 城乡差距缩小
    assert (gap["kind"], gap["direction"], gap["gap_of"], gap["gap"]) == \
        ("direction", "narrow", "W1.2a", "urban_rural")


def test_qualitative_targets_are_listed_and_not_monitorable(shipped):
    t = shipped.indicators
    qualitative = t[t["kind"] == "qualitative"]
    assert len(qualitative) > 0
    assert not qualitative["monitorable"].any()
