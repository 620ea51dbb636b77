"""Segment sentences name a bare code's dimension ("IsActiveMember 0", never "0 churn most")."""

from types import SimpleNamespace

import pandas as pd

from churnreport.report.segments_view import _test_sentence
from churnreport.report.text import Text


def _table(levels, rates, p=0.001):
    t = pd.DataFrame({"segment": levels, "churn_rate": rates, "small": False})
    pairs = pd.DataFrame({"significant": [True]})
    return SimpleNamespace(
        table=t, dimension="IsActiveMember", test="chi-square", p_value=p, pairs=pairs
    )


def test_numeric_codes_carry_their_dimension():
    s = _test_sentence(_table([0, 1], [0.269, 0.143]), "IsActiveMember", Text("en"))
    assert s.startswith("IsActiveMember 0 churn most (26.9%), IsActiveMember 1 least (14.3%)")


def test_yes_no_and_words():
    en = Text("en")
    assert _test_sentence(_table(["Yes", "No"], [0.3, 0.1]), "Partner", en).startswith(
        "Partner Yes"
    )
    s = _test_sentence(_table(["France", "Germany"], [0.1, 0.3]), "Geography", en)
    assert s.startswith("Germany churn most")


def test_one_level_named():
    t = _table([1], [0.2])
    assert "IsActiveMember 1" in _test_sentence(t, "IsActiveMember", Text("en"))


def test_letter_codes_are_named_together():
    s = _test_sentence(_table(["F", "M"], [0.25, 0.16]), "Gender", Text("en"))
    assert s.startswith("Gender F churn most (25.0%), Gender M least (16.0%)")
