"""Number, money and date formats (Babel) and analysis codes in words."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from churnreport.report.text import Text, dimension_label, level_label, messages, missing_keys


def test_every_key_exists_in_both_languages():
    assert missing_keys() == {}


def test_unknown_language_is_refused():
    with pytest.raises(ValueError, match="language must be one of"):
        Text("fr")


def test_formats():
    en, zh = Text("en"), Text("zh")
    assert en.pct(0.01804) == "1.8%" and en.pct(float("nan")) == "–"
    assert en.int(13094) == "13,094"
    assert en.period("2024-12") == "Dec 2024" and zh.period("2024-12") == "2024年12月"
    assert zh.period("2024Q1") == "2024年第1季度" and en.period("2024") == "2024"
    assert en.date(dt.date(2024, 6, 30)) == "30 Jun 2024"
    assert zh.date("2024-06-30") == "2024年6月30日"


def test_percentages_by_hand():
    en, zh = Text("en"), Text("zh")
    # 0.1234 -> 12.34% -> one decimal 12.3%; no grouping in a percentage
    assert en.pct(0.1234) == zh.pct(0.1234) == "12.3%"
    assert en.pct(0.1234, 0) == "12%" and en.pct(0.1234, 2) == "12.34%"
    assert en.pct(12.5) == "1250.0%" and en.pct(-0.02) == "-2.0%"
    # 29 / 2000 = 1.45%: the report rounds x * 100 as a float (1.4500000000000002) -> 1.5%
    assert en.pct(29 / 2000) == "1.5%"
    assert en.pct(None) == en.pct(float("inf")) == "–"


def test_counts_and_numbers_by_hand():
    en, zh = Text("en"), Text("zh")
    assert en.int(1234567) == zh.int(1234567) == "1,234,567"
    assert en.int(2.5) == "2" and en.int(3.5) == "4"  # round half to even, as round() does
    assert en.int(np.int64(7)) == "7" and en.int(np.float64(1e4)) == "10,000"
    assert en.num(1234.5678) == "1,234.6" and zh.num(1234.5678, 2) == "1,234.57"
    assert en.num(0.125, 2) == "0.12"  # 0.125 is exact in binary: half to even
    assert en.num(2.675, 2) == "2.67"  # 2.675 is 2.67499999... in binary
    assert en.num(-3.0, 0) == "-3" and en.num(float("nan")) == "–"


def test_money_by_hand():
    en, zh = Text("en"), Text("zh")
    # English: 4,044,751.88 / 1e6 = 4.04M; 62,265 / 1e3 = 62.3k (k from 10,000); 2.5e9 = 2.50B
    assert en.money(4_044_751.88) == "4.04M" and en.money(62_265) == "62.3k"
    assert en.money(9_999) == "9,999" and en.money(2.5e9) == "2.50B"
    assert en.money(-1_500_000) == "-1.50M" and en.money(950) == "950"
    # Chinese: 万 (1e4) and 亿 (1e8): 4,044,751.88 / 1e4 = 404.5万; 1.23e8 / 1e8 = 1.23亿
    assert zh.money(4_044_751.88) == "404.5万" and zh.money(123_000_000) == "1.23亿"
    assert zh.money(62_265) == "6.2万" and zh.money(9_999) == "9,999"
    assert zh.money(2.5e9) == "25.00亿" and zh.money(-50_000) == "-5.0万"
    assert en.money(float("inf")) == zh.money(None) == "–"


def test_money_and_points():
    en, zh = Text("en", "CNY"), Text("zh", "CNY")
    assert en.money(4_044_751.88) == "4.04M" and en.money(62_265, unit=True) == "CNY 62.3k"
    assert en.money(950) == "950" and en.money(float("nan")) == "–"
    assert zh.money(4_044_751.88) == "404.5万" and zh.money(2.5e8, unit=True) == "2.50亿 CNY"
    assert en.points(0.0123) == "+1.2 pts" and zh.points(-0.004) == "-0.4 个百分点"


def test_dates_and_periods_by_hand():
    en, zh = Text("en"), Text("zh")
    assert en.date("2024-01-05") == "5 Jan 2024" and zh.date("2024-01-05") == "2024年1月5日"
    assert en.date(dt.datetime(2024, 9, 30, 13, 5)) == "30 Sep 2024"
    assert en.period("2024-06") == "Jun 2024" and zh.period("2024-06") == "2024年6月"
    assert en.period("2024Q4") == "Q4 2024" and zh.period("2024Q4") == "2024年第4季度"
    assert en.period("2024") == "2024" and zh.period("2024") == "2024年"
    assert en.period("2024-13") == "2024-13" and zh.period("FY24") == "FY24"  # not a period


def test_points_never_print_minus_zero():
    t = Text("en")
    assert t.points(-0.00004) == t.points(0.0) == t.points(0.00004)
    assert "-" not in t.points(-0.00004)
    assert t.points(-0.004).startswith("-0.4")


def test_sentences_and_fields():
    assert Text("zh").sentences(["一。", "二。"]) == "一。二。"
    assert Text("en").fields("tier.range.between") == {"low", "high"}


# ---------------------------------------------------------------- codes in words


def test_tenure_and_age_bands_in_both_languages():
    en, zh = Text("en"), Text("zh")
    assert [level_label("tenure_band", c, en) for c in ("<3", "3-11", "24+")] == [
        "<3 months",
        "3-11 months",
        "24+ months",
    ]
    assert [level_label("tenure_band", c, zh) for c in ("<6", "6-35", "36+")] == [
        "不足 6 个月",
        "6–35 个月",
        "36 个月及以上",
    ]
    assert [level_label("age_band", c, en) for c in ("<30", "30-54", "55+")] == [
        "under 30",
        "30-54",
        "55+",
    ]
    assert level_label("age_band", "<30", zh) == "30 岁以下"


def test_groups_classes_and_states_have_words_in_chinese():
    zh = Text("zh")
    for dim, code in [
        ("rfm_group", "at_risk"),
        ("rfm_group", "new_or_promising"),
        ("rfm_group", "cannot_lose"),
        ("value_class", "A"),
        ("customer_type", "intermediate"),
        ("lifecycle", "dormant"),
        ("plan", "(other)"),
        ("tenure_band", "(missing)"),
    ]:
        label = level_label(dim, code, zh)
        assert label != code and not label.isascii(), (dim, code, label)
    assert level_label("rfm_group", "at_risk", Text("en")) == "At risk"
    assert level_label("rfm_group", "at_risk", zh) == "流失风险客户"


def test_levels_of_the_users_data_stay_as_written():
    zh = Text("zh")
    assert level_label("plan", "basic", zh) == "basic"
    assert level_label("region", 3, zh) == "3"
    assert level_label("tenure_band", "1,000 – 2,000", zh) == "1,000 – 2,000"


def test_dimension_names():
    en, zh = Text("en"), Text("zh")
    assert dimension_label("tenure_band", en) == messages("en")["seg.tenure_band"]
    assert dimension_label("customer_type", zh) == "客户类型"
    assert dimension_label("Contract length", zh) == "Contract length"
