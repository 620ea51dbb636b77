"""The string catalogue and formats."""

from __future__ import annotations

import datetime as dt

from churnreport.report.text import CATALOGUE, Text, missing_keys


def test_every_key_exists_in_both_languages():
    assert missing_keys() == {}


def test_no_empty_strings():
    for lang, cat in CATALOGUE.items():
        assert all(v.strip() for v in cat.values()), lang


def test_formats():
    en, zh = Text("en"), Text("zh")
    assert en.pct(0.01804) == "1.8%" and en.pct(float("nan")) == "–"
    assert en.int(13094) == "13,094"
    assert en.period("2024-12") == "Dec 2024" and zh.period("2024-12") == "2024年12月"
    assert zh.period("2024Q1") == "2024年第1季度" and en.period("2024") == "2024"
    assert en.date(dt.date(2024, 6, 30)) == "30 Jun 2024"
    assert zh.date("2024-06-30") == "2024年6月30日"


def test_money_and_points():
    en, zh = Text("en", "CNY"), Text("zh", "CNY")
    assert en.money(4_044_751.88) == "4.04M" and en.money(62_265, unit=True) == "CNY 62.3k"
    assert en.money(950) == "950" and en.money(float("nan")) == "–"
    assert zh.money(4_044_751.88) == "404.5万" and zh.money(2.5e8, unit=True) == "2.50亿 CNY"
    assert en.points(0.0123) == "+1.2 pts" and zh.points(-0.004) == "-0.4 个百分点"


def test_catalogue_has_no_key_twice():
    """A key written twice in one language silently keeps only the last string."""
    import ast
    from pathlib import Path

    import churnreport.report.text as mod

    tree = ast.parse(Path(mod.__file__).read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            keys = [k.value for k in node.keys if isinstance(k, ast.Constant)]
            assert not {k for k in keys if keys.count(k) > 1}


def test_points_never_print_minus_zero():
    from churnreport.report.text import Text

    t = Text("en")
    assert t.points(-0.00004) == t.points(0.0) == t.points(0.00004)
    assert "-" not in t.points(-0.00004)
    assert t.points(-0.004).startswith("-0.4")
