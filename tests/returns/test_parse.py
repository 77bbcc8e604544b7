import pytest

from analysis.returns import parse


@pytest.mark.parametrize(
    ("written", "value", "unit"),
    [
        ("93.5", 93.5, None),
        ("９３．５", 93.5, None),            # full-width digits and point
        ("93.5%", 93.5, "%"),
        ("９３．５％", 93.5, "%"),
        ("3.2‰", 3.2, "‰"),
        ("12.3/10万", 12.3, "/10万"),
        ("12.3 /10 万", 12.3, "/10万"),      # spaces as the plans' PDF has them
        ("1,234", 1234.0, None),
        ("１，２３４", 1234.0, None),        # full-width thousands separator
        (" 4 012 ", 4012.0, None),
        (0.5, 0.5, None),
        (12, 12.0, None),
    ],
)
def test_numbers_are_read_with_the_unit_written_in_the_cell(written, value, unit):
    assert parse.parse_number(written) == parse.Number(value, unit)


@pytest.mark.parametrize("written", ["abc", "93.5左右", "约90", "1.2.3", "90%以上"])
def test_text_that_is_not_a_number_is_refused_with_its_content(written):
    with pytest.raises(parse.ParseError, match="is not a number"):
        parse.parse_number(written)


@pytest.mark.parametrize("written", [None, "", "  ", "—", "－", "-", "/", "无", "未统计", "…"])
def test_missing_markers_are_not_values(written):
    assert parse.is_missing(written)


@pytest.mark.parametrize("written", [0, "0", "0.0", "零值?"])
def test_zero_and_text_are_not_missing(written):
    assert not parse.is_missing(written)


def test_units_convert_between_shares_of_a_whole():
    assert parse.convert(3.2, "‰", "%") == pytest.approx(0.32)      # 3.2 per 1000 = 0.32 per 100
    assert parse.convert(12, "/10万", "‰") == pytest.approx(0.12)   # 12 per 100000 = 0.12 per 1000
    assert parse.convert(93.5, "%", "%") == 93.5
    with pytest.raises(parse.ParseError, match="cannot be converted"):
        parse.convert(5, "%", "所")


@pytest.mark.parametrize(("written", "year"), [(2021, 2021), (2021.0, 2021), ("2021年", 2021),
                                               ("２０２１年度", 2021), ("2021", 2021)])
def test_years(written, year):
    assert parse.parse_year(written) == year


def test_headers_name_year_sex_and_unit():
    assert parse.year_in_header("2021年女") == 2021
    assert parse.sex_in_header("2021年女") == "female"
    assert parse.sex_in_header("2021年合计") == "total"
    assert parse.sex_in_header("2021年") is None
    assert parse.unit_in_header("初中生近视率（%）") == "%"
    assert parse.unit_in_header("孕产妇死亡率(1/10万)") == "/10万"


@pytest.mark.parametrize(("written", "sex"), [("女", "female"), ("女性", "female"), ("男", "male"),
                                              ("合计", "total"), ("小计", "total"), ("", "total")])
def test_sex_labels(written, sex):
    assert parse.parse_sex(written) == sex


def test_areas_by_name_alias_and_comparator():
    assert parse.parse_area("偃师区").code == "district"
    assert parse.parse_area("首阳山街道") == parse.Area("首阳山街道")
    assert parse.parse_area("首阳山") == parse.Area("首阳山街道", alias_of="首阳山")
    assert parse.parse_area("全国").code == "national"
    assert parse.parse_area("佃庄镇").former_last_year == 2021
    with pytest.raises(parse.ParseError, match="'火星镇' is not an area"):
        parse.parse_area("火星镇")
    assert parse.town_type("伊洛街道") == "urban" and parse.town_type("大口镇") == "rural"


def test_a_date_in_a_number_cell_is_explained_as_a_date():
    import datetime

    with pytest.raises(parse.ParseError, match=r"holds a date or time \(2024-09-07\)"):
        parse.parse_number(datetime.datetime(2024, 9, 7))
