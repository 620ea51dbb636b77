"""Cohort retention against a hand-made fixture."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from churnreport.analysis.cohorts import cohort_retention
from churnreport.periods import to_periods
from tests.conftest import spells


def test_cohort_matrix_hand_computed():
    s = spells(
        ("a", "2024-01-05", None),  # Jan cohort, stays
        ("b", "2024-01-10", "2024-02-15"),  # Jan cohort, leaves in Feb
        ("c", "2024-01-20", "2024-01-25"),  # Jan cohort, leaves in Jan
        ("c", "2024-03-02", None),  # ... and comes back in March: retained again
        ("d", "2024-02-01", "2024-03-10"),  # Feb cohort, leaves in March
    )
    t = cohort_retention(s, "month", dt.date(2024, 3, 31))
    assert t.index.tolist() == ["2024-01", "2024-02"]
    assert t["size"].tolist() == [3, 1]
    # Jan cohort at end of Jan: {a, b} = 2/3; end of Feb: {a} = 1/3; end of Mar: {a, c} = 2/3
    assert t.loc["2024-01", [0, 1, 2]].tolist() == pytest.approx([2 / 3, 1 / 3, 2 / 3])
    # Feb cohort: end of Feb 1/1, end of Mar 0/1, k = 2 not observed yet
    assert t.loc["2024-02", [0, 1]].tolist() == [1.0, 0.0]
    assert np.isnan(t.loc["2024-02", 2])


def test_a_customer_holding_two_subscriptions_at_once_counts_once():
    s = spells(
        ("a", "2024-01-05", None),  # two subscriptions at once, both open at every end
        ("a", "2024-01-20", "2024-03-10"),
        ("b", "2024-01-10", "2024-02-15"),  # leaves in Feb
    )
    t = cohort_retention(s, "month", dt.date(2024, 3, 31))
    assert t["size"].tolist() == [2]
    assert t.loc["2024-01", [0, 1, 2]].tolist() == [1.0, 0.5, 0.5]


def test_cohort_shares_are_proportions(tmp_path):
    s = spells(("a", "2023-01-01", "2023-06-01"), ("b", "2023-03-01", None))
    t = cohort_retention(s, "quarter", dt.date(2023, 12, 31))
    vals = t.drop(columns="size").to_numpy()
    vals = vals[~np.isnan(vals)]
    assert ((vals >= 0) & (vals <= 1)).all()


def test_a_purchase_history_leaves_out_its_censored_start():
    """Purchases from 1 Jan 2024, a 90-day window: who was a customer is known from 1 Apr on.
    The first periods (everyone new, nobody lost) and cohorts are left out, and counted."""
    from churnreport.analysis.chapter import indicator_chapter
    from churnreport.periods import observed_from

    rows = [(f"c{i}", f"2024-01-{1 + i % 28:02d}", None) for i in range(60)]  # seen in Jan
    rows += [(f"n{i}", "2024-05-10", "2024-09-01" if i < 4 else None) for i in range(20)]
    sp = spells(*rows)
    sp.loc[sp["customer_id"].isin([f"c{i}" for i in range(10)]), "spell_end"] = pd.Timestamp(
        "2024-07-15"
    )
    start = observed_from(dt.date(2024, 1, 1), 90, "month")
    assert start == dt.date(2024, 4, 1)
    customers = pd.DataFrame({"customer_id": sp["customer_id"], "churned": sp["spell_end"].notna()})
    ch = indicator_chapter(sp, customers, None, period="month", as_of=dt.date(2024, 12, 31),
                           definition="inactivity", margin=0.1, first_day=start)  # fmt: skip
    periods = ch.indicators.periods
    assert periods["period"].iloc[0] == "2024-04" and len(periods) == 9
    assert periods["start_customers"].iloc[0] == 60  # the January buyers, not "new" in April
    r = ch.result()
    assert r.history.model_dump() == {
        "first_activity": dt.date(2024, 1, 1), "observed_from": start,
        "first_period": "2024-04", "periods_left_out": 3,
    }  # fmt: skip
    assert ch.cohorts.index.tolist() == ["2024-05"]  # the January cohort is everyone: left out
    from churnreport.analysis.checks import data_checks
    from churnreport.analysis.results import Metrics
    from churnreport.report.blocks import check_sentence
    from churnreport.report.text import Text

    m = Metrics(run_id="r", as_of="2024-12-31", period="month", definition="inactivity",
                language="en", indicators=r)  # fmt: skip
    (check,) = [c for c in data_checks(m) if c.code == "censored_start"]
    assert check_sentence(check, Text("en")) == (
        "The purchase history begins on 1 Jan 2024: who was a customer before it is unknown, so "
        "churn is counted from Apr 2024 on and the 3 earlier periods are left out of every trend "
        "and cohort."
    )


def test_to_periods_gives_each_days_period_missing_stays_missing():
    days = pd.Series(pd.to_datetime(["2024-01-31", "2024-02-01", None, "2024-12-31"]))
    assert [str(p) for p in to_periods(days, "month")[[0, 1, 3]]] == [
        "2024-01",
        "2024-02",
        "2024-12",
    ]
    assert [str(p) for p in to_periods(days, "quarter")[[0, 1, 3]]] == ["2024Q1"] * 2 + ["2024Q4"]
    assert to_periods(days, "year").isna().tolist() == [False, False, True, False]
    as_dates = pd.Series([dt.date(2024, 3, 1), dt.date(2024, 4, 30)])  # object dtype
    assert [str(p) for p in to_periods(as_dates, "month")] == ["2024-03", "2024-04"]
