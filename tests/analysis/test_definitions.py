"""The conventions table against the period table of a hand-made fixture."""

from __future__ import annotations

import datetime as dt

import pytest

from churnreport.analysis.definitions import churn_conventions
from churnreport.analysis.indicators import period_table
from tests.conftest import spells


def test_conventions_hand_computed():
    s = spells(
        ("a", "2023-11-05", None),
        ("b", "2023-12-10", "2024-01-15"),  # churned in Jan (start set)
        ("c", "2024-01-03", "2024-01-20"),  # joined and left in Jan
        ("d", "2024-01-10", None),  # new
        ("f", "2023-06-01", "2024-01-25"),  # churned in Jan, within the last 30 days
    )
    t = period_table(s, "month", dt.date(2024, 1, 31), first_day=dt.date(2024, 1, 1))
    c = churn_conventions(t.iloc[-1], s, dt.date(2024, 1, 31)).set_index("convention")
    # start {a, b, f} = 3, new {c, d} = 2, new_and_lost 1, churned 2, end {a, d} = 2
    assert c.loc["start_set", "churn_rate"] == pytest.approx(2 / 3)
    assert c.loc["all_joiners", "churn_rate"] == pytest.approx(3 / 5)
    assert c.loc["excluding_join_and_leave", "churn_rate"] == pytest.approx(2 / 4)
    assert c.loc["average_customers", "churn_rate"] == pytest.approx(2 / 2.5)
    # active on 2 Jan (30 days before 1 Feb): {a, b, f}; left since: {b, f}
    assert (c.loc["rolling_30_days", "churned"], c.loc["rolling_30_days", "denominator"]) == (2, 3)


def test_snapshot_has_no_rolling_rate():
    s = spells(("a", "2024-01-01", None))
    t = period_table(s, "month", dt.date(2024, 1, 31))
    c = churn_conventions(t.iloc[-1], s, dt.date(2024, 1, 31), daily=False)
    assert "rolling_30_days" not in set(c["convention"])
