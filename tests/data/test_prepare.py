"""Spells for the three input shapes."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from churnreport.data.prepare import (
    censor_at,
    customer_table,
    spells_from_intervals,
    spells_from_purchases,
    spells_from_snapshot,
)
from churnreport.data.quality import DataQuality


def _iv(rows):
    return pd.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "start_date": pd.to_datetime([r[1] for r in rows]),
            "end_date": pd.to_datetime([r[2] for r in rows]),
        }
    )


def test_overlapping_and_touching_subscriptions_merge_into_one_spell():
    s = spells_from_intervals(
        _iv(
            [
                ("a", "2024-01-01", "2024-03-01"),
                ("a", "2024-02-01", "2024-04-01"),  # overlaps
                ("a", "2024-04-01", "2024-05-01"),  # starts the day the previous ended
                ("a", "2024-06-01", None),  # a month's gap: a new spell
            ]
        )
    )
    assert s["spell_start"].astype(str).tolist() == ["2024-01-01", "2024-06-01"]
    assert s["spell_end"].astype(str).tolist() == ["2024-05-01", "NaT"]
    assert s["spell_no"].tolist() == [1, 2]


def test_reactivation_gap_merges_subscriptions_closer_than_gap():
    iv = _iv([("a", "2024-01-01", "2024-02-01"), ("a", "2024-02-20", None)])
    assert len(spells_from_intervals(iv, gap_days=0)) == 2
    assert len(spells_from_intervals(iv, gap_days=30)) == 1


def test_open_subscription_keeps_spell_open_even_if_later_one_ends():
    s = spells_from_intervals(_iv([("a", "2024-01-01", None), ("a", "2024-02-01", "2024-03-01")]))
    assert len(s) == 1 and pd.isna(s["spell_end"].iloc[0])


def test_customer_returning_after_window_is_reactivated_not_new():
    tx = pd.DataFrame(
        {
            "customer_id": ["a"] * 4,
            "date": pd.to_datetime(["2024-01-01", "2024-03-01", "2024-03-31", "2024-08-01"]),
        }
    )
    s = spells_from_purchases(tx, window_days=90)
    # 1 Jan -> 1 Mar (60 days) -> 31 Mar (30 days): one spell ending 31 Mar + 90 = 29 Jun
    # 1 Aug comes after the lapse: spell 2 of the same customer
    assert s["spell_start"].astype(str).tolist() == ["2024-01-01", "2024-08-01"]
    assert s["spell_end"].astype(str).tolist() == ["2024-06-29", "2024-10-30"]
    assert s["spell_no"].tolist() == [1, 2]


def test_purchase_exactly_on_lapse_day_starts_new_spell():
    # active on D when it bought in (D - 30, D]: bought 1 Jan -> active through 30 Jan
    tx = pd.DataFrame(
        {"customer_id": ["a", "a"], "date": pd.to_datetime(["2024-01-01", "2024-01-31"])}
    )
    s = spells_from_purchases(tx, window_days=30)
    assert len(s) == 2
    tx.loc[1, "date"] = pd.Timestamp("2024-01-30")
    assert len(spells_from_purchases(tx, window_days=30)) == 1


def test_snapshot_dates_from_tenure():
    c = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c"],
            "tenure_months": [2.0, 0.0, 12.5],
            "churned": [True, False, False],
        }
    )
    s = spells_from_snapshot(c, dt.date(2024, 6, 30))
    # 12.5 months: 12 calendar months, then half of 30.4375 days = 15 days
    assert s["spell_start"].astype(str).tolist() == ["2024-04-30", "2024-06-30", "2023-06-15"]
    assert s["spell_end"].astype(str).tolist() == ["2024-06-30", "NaT", "NaT"]


def test_censoring_reopens_future_ends_and_drops_future_starts():
    q = DataQuality()
    s = spells_from_intervals(
        _iv(
            [
                ("a", "2024-01-01", "2024-09-01"),
                ("b", "2024-08-01", None),
                ("c", "2024-01-01", "2024-07-01"),
            ]
        )
    )
    out = censor_at(s, dt.date(2024, 6, 30), q)
    assert out["customer_id"].tolist() == ["a", "c"]
    # c ends on 1 Jul: active through 30 Jun, so active on the report date
    assert out["spell_end"].isna().all()
    reasons = {i.reason: i.count for i in q.issues}
    assert reasons == {"starts_after_as_of": 1, "ends_after_as_of": 2}


def test_customer_table_churned_from_last_spell_and_unmatched_ids_counted():
    q = DataQuality()
    s = spells_from_intervals(
        _iv(
            [
                ("a", "2024-01-01", "2024-02-01"),
                ("a", "2024-03-01", None),
                ("b", "2024-01-01", "2024-02-01"),
                ("z", "2024-01-01", None),
            ]
        )
    )
    attrs = pd.DataFrame(
        {"customer_id": ["a", "b", "x"], "plan": ["p1", "p2", "p3"]}, index=[2, 3, 4]
    )
    c = customer_table(attrs, s, q).set_index("customer_id")
    assert c.loc["a", "churned"] == False  # noqa: E712 (numpy bool)
    assert c.loc["b", "churned"] == True  # noqa: E712
    assert c.loc["a", "spells"] == 2
    assert c.loc["a", "start_date"] == pd.Timestamp("2024-01-01")
    assert "x" not in c.index and pd.isna(c.loc["z", "plan"])
    counts = {i.reason: i.count for i in q.issues}
    assert counts == {"no_activity": 1, "activity_without_customer_row": 1}


def test_purchase_revenue_is_a_run_rate_that_ends_with_the_spell():
    from churnreport.analysis.revenue import mrr_at
    from churnreport.data.prepare import revenue_intervals

    tx = pd.DataFrame(
        {
            "customer_id": ["a", "a"],
            "date": pd.to_datetime(["2024-01-10", "2024-02-20"]),
            "amount": [90.0, 30.0],
        }
    )
    s = spells_from_purchases(tx, window_days=60)
    customers = pd.DataFrame({"customer_id": ["a"]})
    iv = revenue_intervals(customers, s, None, dt.date(2024, 12, 31), tx, window_days=60)
    # per month: 90 x 30.4375 / 60 = 45.66 while the January purchase counts (to 10 Mar),
    # plus 30 x 30.4375 / 60 = 15.22 from 20 Feb to 20 Apr
    bounds = pd.to_datetime(["2024-02-01", "2024-03-01", "2024-04-01", "2024-05-01"]).to_numpy()
    _, m = mrr_at(iv, bounds)
    assert m[0].tolist() == pytest.approx([45.65625, 45.65625 + 15.21875, 15.21875, 0.0])
    # the spell ends 60 days after the last purchase (20 Apr): revenue is 0 from then, as churn
    assert s["spell_end"].iloc[0] == pd.Timestamp("2024-04-20")
    # given as a function, the purchases are read only when they are the revenue
    same = revenue_intervals(customers, s, None, dt.date(2024, 12, 31), lambda: tx, 60)
    pd.testing.assert_frame_equal(same, iv)

    def unread():
        raise AssertionError("read although a monthly revenue column is the revenue")

    priced = customers.assign(monthly_revenue=[10.0])
    iv = revenue_intervals(priced, s, None, dt.date(2024, 12, 31), unread, window_days=60)
    assert iv["mrr"].tolist() == [10.0]


def test_churn_events_fill_reasons_of_churned_customers_only():
    from churnreport.data.prepare import attach_churn_events

    customers = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d"],
            "churned": [True, True, False, True],
            "churn_reason": ["stated in CRM", None, None, None],
        }
    )
    events = pd.DataFrame(
        {
            "customer_id": ["a", "b", "b", "c", "d"],
            "churn_date": pd.to_datetime(
                ["2024-01-05", "2024-01-10", "2024-03-01", "2024-02-01", "2024-09-01"]
            ),
            "churn_reason": ["price", "support", "competitor", "budget", "moved"],
        },
        index=[2, 3, 4, 5, 6],
    )
    q = DataQuality()
    out = attach_churn_events(customers, events, dt.date(2024, 6, 30), q)
    # a keeps its own reason; b takes its latest event; c is active; d's event is after as_of
    got = out["churn_reason"].where(out["churn_reason"].notna(), None).tolist()
    assert got == ["stated in CRM", "competitor", None, None]

    notes = {i.reason: (i.count, i.examples) for i in q.issues}
    assert notes["event_after_report_date"] == (1, [(6, "2024-09-01")])
    assert notes["event_for_active_customer"] == (1, [(5, "c")])
    active = next(i for i in q.issues if i.reason == "event_for_active_customer")
    assert active.evidence == {"customers_with_event": 3, "active": 1}  # a, b, c: c is active


def test_subscriptions_held_at_once_are_noted_with_their_summed_mrr():
    from churnreport.data.prepare import note_overlapping_subscriptions

    subs = _iv(
        [
            ("a", "2024-01-01", None),  # a holds two on 30 Jun
            ("a", "2024-03-01", None),
            ("b", "2024-01-01", "2024-03-01"),  # b's two follow each other
            ("b", "2024-03-01", None),
            ("c", "2024-01-01", "2024-12-01"),  # c: one running past the report date
            ("c", "2024-02-01", "2024-06-30"),  # ended on the report date: not held
        ]
    )
    subs["mrr"] = [100.0, 50.0, 80.0, 80.0, 30.0, 20.0]
    q = DataQuality()
    note_overlapping_subscriptions(subs, dt.date(2024, 6, 30), q)
    (issue,) = q.issues
    assert (issue.reason, issue.count) == ("overlapping_subscriptions", 1)
    assert issue.evidence == {"active": 3, "subscriptions": 2, "most": 2, "mrr": 150.0}
    q = DataQuality()
    note_overlapping_subscriptions(subs.iloc[2:], dt.date(2024, 6, 30), q)
    assert q.issues == []


def test_returns_are_netted_on_purchase_days_and_never_make_a_customer():
    from churnreport.data.engine import connect, daily_purchases, table, to_frame
    from churnreport.data.prepare import net_returns
    from churnreport.data.quality import TableQuality

    tx = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "b", "b", "c"],
            "date": pd.to_datetime(
                ["2024-01-05", "2024-01-05", "2024-02-01", "2024-01-07", "2024-03-01", "2024-01-09"]
            ),
            # a buys 100 and returns 30 the same day, returns 20 on 1 Feb; b buys; c only returns
            "amount": [100.0, -30.0, -20.0, 50.0, 60.0, -15.0],
        }
    )
    days = daily_purchases(tx)
    assert days["returns"].tolist() == [1, 1, 0, 0, 1]
    q = DataQuality()
    q.tables["transactions"] = TableQuality("transactions", "tx.csv", rows_read=6, rows_kept=6)
    con = connect()
    out = to_frame(con, net_returns(con, table(days), q))  # counted by the engine
    assert out[["customer_id", "amount", "purchases"]].values.tolist() == [
        ["a", 70.0, 1], ["b", 50.0, 1], ["b", 60.0, 1]
    ]  # fmt: skip
    notes = {i.reason: (i.action, i.count, i.evidence) for i in q.issues}
    assert notes["returns_netted"] == ("note", 1, {})
    assert notes["return_only_day"] == ("excluded", 2, {"amount": -35.0, "days": 2})
    assert notes["returns_only_customer"] == ("note", 1, {})  # c
    assert q.tables["transactions"].rows_kept == 4
    # without amounts there is nothing to net
    plain = table(daily_purchases(tx.drop(columns="amount")))
    assert net_returns(con, plain, DataQuality()) is plain
