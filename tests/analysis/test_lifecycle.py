"""Lifecycle states against a hand-made history."""

from __future__ import annotations

import datetime as dt

from churnreport.analysis.indicators import period_table
from churnreport.analysis.lifecycle import lifecycle_states, state_transitions
from tests.conftest import spells


def test_states_hand_computed():
    s = spells(
        ("a", "2024-01-05", None),  # new Jan, returning Feb, Mar
        ("b", "2024-01-10", "2024-02-01"),  # new Jan, dormant Feb (gone on 1 Feb)
        ("b", "2024-03-15", None),  # resurrecting Mar
        ("c", "2024-02-20", "2024-02-25"),  # new Feb, dormant Mar
    )
    t = period_table(s, "month", dt.date(2024, 3, 31), first_day=dt.date(2024, 1, 1))
    life = lifecycle_states(s, t).set_index("period")
    assert life.loc["2024-01", ["new", "returning", "resurrecting", "dormant"]].tolist() == [
        2,
        0,
        0,
        0,
    ]
    assert life.loc["2024-02", ["new", "returning", "resurrecting", "dormant"]].tolist() == [
        1,
        1,
        0,
        1,
    ]
    assert life.loc["2024-03", ["new", "returning", "resurrecting", "dormant"]].tolist() == [
        0,
        1,
        1,
        1,
    ]
    tr = state_transitions(s, t)
    # Feb -> Mar: a returning -> returning, b dormant -> resurrecting, c new -> dormant
    assert tr.loc["returning", "returning"] == 1
    assert tr.loc["dormant", "resurrecting"] == 1
    assert tr.loc["new", "dormant"] == 1
