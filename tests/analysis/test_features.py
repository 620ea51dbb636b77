"""Early-warning features: hand-computed values and no information from after the snapshot."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from churnreport.analysis.drivers import is_complaint
from churnreport.analysis.features import (
    OUTCOME_COLUMNS,
    active_on,
    churn_label,
    features_on,
    snapshot_features,
)
from churnreport.data.load import LazyTables
from tests.conftest import spells

D = dt.date(2024, 6, 30)


def _tables():
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "b", "b"],
            "date": pd.to_datetime(
                ["2024-02-15", "2024-05-01", "2024-06-20", "2024-03-01", "2024-07-05"]
            ),
            "amount": [100.0, 50.0, 70.0, 80.0, 999.0],
        }
    )
    tickets = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "b"],
            "opened_at": pd.to_datetime(["2024-06-01", "2024-06-29", "2024-03-01", "2024-06-10"]),
            "category": ["Complaint", "billing", "complaint", "投诉"],
            # a's second ticket is answered after D: its response is not known on D
            "first_response_hours": [30.0, 48.0, 40.0, 2.0],
            "satisfaction": [1.0, np.nan, 5.0, 2.0],
        }
    )
    staff = pd.DataFrame(
        {"account_manager": ["m1", "m2"], "left_date": pd.to_datetime(["2024-05-10", "2024-08-01"])}
    )
    revenue = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b"],
            "start": pd.to_datetime(["2023-01-01", "2024-05-01", "2024-01-01"]),
            "end": pd.to_datetime(["2024-05-01", None, None]),
            "mrr": [100.0, 120.0, 80.0],
        }
    )
    return {"transactions": tx, "tickets": tickets, "staff": staff, "revenue": revenue}


def _frames():
    sp = spells(
        ("a", "2023-01-01", None),
        ("b", "2022-06-01", "2023-01-01"),
        ("b", "2024-01-01", "2024-07-15"),
        ("c", "2024-07-01", None),  # starts after D: not scored on D
        ("d", "2023-01-01", "2024-06-30"),  # left on D: not active on D
    )
    customers = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d"],
            "account_manager": ["m1", "m2", "m1", "m1"],
            "plan": ["basic", "premium", "basic", "basic"],
            "churned": [False, True, False, True],
        }
    )
    return sp, customers


def test_an_attribute_of_a_customer_the_table_lacks_is_missing_not_another_customers():
    sp, customers = _frames()
    f = snapshot_features(sp, customers, D, attributes=["plan"])
    assert f["plan"].to_dict() == {"a": "basic", "b": "premium"}
    # a spell whose customer is not in the customer table (looked up by id, not by position)
    f = snapshot_features(sp, customers[customers["customer_id"] != "a"], D, attributes=["plan"])
    assert pd.isna(f.loc["a", "plan"]) and f.loc["b", "plan"] == "premium"


def test_features_hand_computed():
    sp, customers = _frames()
    f = snapshot_features(sp, customers, D, tables=_tables(), attributes=["plan"])
    assert list(f.index) == ["a", "b"]
    a, b = f.loc["a"], f.loc["b"]
    assert a["tenure_months"] == pytest.approx(
        (pd.Timestamp(D) - pd.Timestamp("2023-01-01")).days / (365.25 / 12)
    )
    assert (a["returning"], b["returning"]) == (0, 1)
    # window (2024-04-01, 2024-06-30]; the one before (2024-01-02, 2024-04-01]
    assert (
        a["recency_days"] == 10
        and b["recency_days"] == (pd.Timestamp(D) - pd.Timestamp("2024-03-01")).days
    )
    assert (a["purchases_window"], a["spend_window"]) == (2, 120.0)
    assert a["spend_trend"] == pytest.approx(120 / 100 - 1)
    assert b["spend_trend"] == pytest.approx(-1.0)  # spent 80 before, nothing in the window
    assert a["mrr"] == 120 and a["mrr_change"] == pytest.approx(0.2)
    assert (a["tickets_window"], a["complaints_window"]) == (2, 1)
    assert b["complaints_window"] == 1  # 投诉 is a complaint
    assert a["slow_responses_window"] == 1  # the 48 h answer comes after D
    assert a["response_hours_mean"] == 30.0
    assert (a["low_satisfaction_window"], b["low_satisfaction_window"]) == (1, 1)
    assert (a["manager_left_window"], b["manager_left_window"]) == (1, 0)  # m2 leaves after D
    assert a["plan"] == "basic"


def test_label_is_leaving_within_the_horizon():
    sp, _ = _frames()
    y = churn_label(sp, D, dt.date(2024, 7, 31))
    assert y.to_dict() == {"a": 0, "b": 1}
    assert list(active_on(sp, D)["customer_id"]) == ["a", "b"]
    assert churn_label(sp, D, dt.date(2024, 7, 10))["b"] == 0


def test_outcome_columns_are_refused_as_features():
    sp, customers = _frames()
    with pytest.raises(ValueError, match="outcome"):
        snapshot_features(sp, customers, D, attributes=["churned"])


def test_future_data_never_changes_a_past_snapshot(sample_dataset):
    """Leakage check on the sample: rewrite everything after D; features on D must not move."""
    ds = sample_dataset
    attrs = ["customer_type", "age", "plan", "account_manager"]
    before = snapshot_features(ds.spells, ds.customers, D, tables=ds.tables, attributes=attrs)
    cut = pd.Timestamp(D)
    t = {k: v.copy() for k, v in ds.tables.items()}
    tx = t["transactions"]
    late = tx["date"] > cut
    tx.loc[late, "amount"] *= 10
    tx.loc[late, "date"] += pd.Timedelta(days=3)
    tk = t["tickets"]
    tk.loc[tk["opened_at"] > cut, "category"] = "complaint"
    extra = tk.head(500).assign(opened_at=cut + pd.Timedelta(days=1), first_response_hours=99.0)
    t["tickets"] = pd.concat([tk, extra])
    t["staff"] = pd.concat(
        [
            t["staff"],
            pd.DataFrame(
                {"account_manager": ["AM01", "AM02"], "left_date": [cut + pd.Timedelta(days=5)] * 2}
            ),
        ]
    )
    rev = t["revenue"]
    rev.loc[rev["start"] > cut, "mrr"] *= 3
    sp = ds.spells.copy()
    # customers who leave after D leave a month later instead, and new joiners appear
    ends_later = sp["spell_end"] > cut
    sp.loc[ends_later, "spell_end"] += pd.Timedelta(days=30)
    after = sp.copy()
    after = after[after["spell_start"] > cut].assign(customer_id=lambda d: d["customer_id"] + "x")
    sp = pd.concat([sp, after], ignore_index=True)
    moved = snapshot_features(sp, ds.customers, D, tables=t, attributes=attrs)
    pd.testing.assert_frame_equal(before, moved)


def test_ticket_features_exist_also_on_a_date_without_tickets_in_the_window():
    # the model learns on dates with tickets and scores a date without: same columns
    sp, customers = _frames()
    tables = _tables()
    on_d = snapshot_features(sp, customers, D, tables=tables)
    quiet = snapshot_features(sp, customers, dt.date(2025, 6, 30), tables=tables)
    assert set(quiet.columns) == set(on_d.columns)
    assert {"slow_responses_window", "low_satisfaction_window"} <= set(quiet.columns)
    assert (quiet["slow_responses_window"] == 0).all()


def test_many_dates_at_once_and_from_the_cached_files_equal_one_date_from_frames(tmp_path):
    """The engine reads a run's cached transactions from their file, for every date in one
    query: the same features as one date at a time from pandas frames, and the transactions
    never enter pandas."""
    sp, customers = _frames()
    tables = _tables()
    # a customer-day table, as the run caches it (purchases per day)
    tables["transactions"] = tables["transactions"].assign(purchases=[1, 2, 1, 1, 3])
    for name, frame in tables.items():
        frame.to_parquet(tmp_path / f"{name}.parquet")
    cached = LazyTables({name: tmp_path / f"{name}.parquet" for name in tables})
    dates = [dt.date(2024, 3, 31), D, dt.date(2024, 7, 31), dt.date(2025, 6, 30)]
    at_once = features_on(sp, customers, dates, tables=cached, attributes=["plan"])
    assert cached.parquet_file("transactions") is not None  # never read into pandas
    for d in dates:
        one = snapshot_features(sp, customers, d, tables=tables, attributes=["plan"])
        pd.testing.assert_frame_equal(at_once[d], one, check_exact=False, rtol=1e-12)
    assert at_once[D].loc["a", "purchases_window"] == 3  # 2 on May 1 + 1 on June 20


def test_the_engine_gives_the_pandas_definition_on_the_sample(sample_dataset, tmp_path):
    """Every feature of several snapshot dates, all tables of the sample (transactions,
    tickets, staff, revenue, attributes), equals the definition as first written in pandas,
    also when the engine reads a run's cached files."""
    from churnreport.data.load import read_tables, save_tables

    ds = sample_dataset
    attrs = ["customer_type", "age", "plan", "account_manager"]
    dates = [dt.date(2023, 3, 31), D, dt.date(2024, 11, 30)]
    save_tables(ds, tmp_path)
    cached = read_tables(tmp_path).tables
    got = features_on(ds.spells, ds.customers, dates, tables=ds.tables, attributes=attrs)
    from_files = features_on(ds.spells, ds.customers, dates, tables=cached, attributes=attrs)
    assert cached.parquet_file("transactions") is not None  # never read into pandas
    for d in dates:
        pd.testing.assert_frame_equal(from_files[d], got[d], check_exact=False, rtol=1e-12)
        expected = _reference_features(
            ds.spells, ds.customers, d, tables=ds.tables, attributes=attrs
        )
        assert list(got[d].columns) == list(expected.columns)
        assert len(expected) > 1000 and expected["complaints_window"].sum() > 0
        pd.testing.assert_frame_equal(got[d], expected, check_exact=False, rtol=1e-9)


# The definition as first written, kept as the reference of the engine's queries.
def _reference_features(
    spells: pd.DataFrame,
    customers: pd.DataFrame,
    date: dt.date,
    *,
    tables: dict[str, pd.DataFrame] | None = None,
    attributes: list[str] | None = None,
    window_days: int = 90,
    slow_hours: float = 24.0,
) -> pd.DataFrame:
    """The definition as first written: pandas, one date at a time."""
    tables = tables or {}
    d = pd.Timestamp(date)
    w0 = d - pd.Timedelta(days=window_days)
    w_prev = w0 - pd.Timedelta(days=window_days)
    past = spells[spells["spell_start"] <= d]
    active = active_on(spells, date)
    ids = pd.Index(active["customer_id"], name="customer_id")
    out = pd.DataFrame(index=ids)
    first_start = past.groupby("customer_id")["spell_start"].min().reindex(ids)
    out["tenure_months"] = (d - first_start).dt.days / (365.25 / 12)
    out["returning"] = (past.groupby("customer_id").size().reindex(ids) > 1).astype(int)

    tx = tables.get("transactions")
    if tx is not None and len(tx):
        tx = tx[(tx["date"] <= d) & tx["customer_id"].isin(ids)]
        last = tx.groupby("customer_id")["date"].max().reindex(ids)
        out["recency_days"] = (d - last).dt.days.astype(float)
        recent = tx[tx["date"] > w0]
        before = tx[(tx["date"] > w_prev) & (tx["date"] <= w0)]
        # the prepared table holds one row per customer-day with its number of purchases
        if "purchases" in recent:
            counts = recent.groupby("customer_id")["purchases"].sum()
            out["purchases_window"] = counts.reindex(ids, fill_value=0).astype(int)
        else:
            out["purchases_window"] = _count(recent, ids)
        if "amount" in tx:
            spend = recent.groupby("customer_id")["amount"].sum().reindex(ids, fill_value=0.0)
            spend_before = before.groupby("customer_id")["amount"].sum().reindex(ids, fill_value=0)
            out["spend_window"] = spend.astype(float)
            # relative change against the window before (0 without spend before; capped +300%)
            trend = (spend - spend_before) / spend_before.where(spend_before > 0)
            out["spend_trend"] = trend.fillna(0.0).clip(-1.0, 3.0).astype(float)

    rev = tables.get("revenue")
    if rev is not None and len(rev):
        out["mrr"] = _mrr_on(rev, d, ids)
        before = _mrr_on(rev, w0, ids)
        # relative change for customers paying at the window start (new ones: 0)
        out["mrr_change"] = ((out["mrr"] - before) / before.where(before > 0)).fillna(0.0)

    tk = tables.get("tickets")
    if tk is not None and len(tk):
        # which features exist depends on the table, never on the window: the model trained
        # on past dates and the scoring of today must see the same columns
        has_hours = "first_response_hours" in tk and tk["first_response_hours"].notna().any()
        has_score = "satisfaction" in tk and tk["satisfaction"].notna().any()
        tk = tk[(tk["opened_at"] <= d) & (tk["opened_at"] > w0) & tk["customer_id"].isin(ids)]
        out["tickets_window"] = _count(tk, ids)
        if "category" in tk:
            out["complaints_window"] = _count(tk[is_complaint(tk["category"])], ids)
        if has_hours:
            hours = tk["first_response_hours"]
            answered_at = tk["opened_at"] + pd.to_timedelta(hours, unit="h")
            # a response after the snapshot date is not known on it
            known = hours.notna() & (answered_at <= d)
            slow = known & (hours > slow_hours)
            out["slow_responses_window"] = _count(tk[slow], ids)
            out["response_hours_mean"] = (
                tk[known].groupby("customer_id")["first_response_hours"].mean().reindex(ids)
            )
        if has_score:
            out["low_satisfaction_window"] = _count(tk[tk["satisfaction"] <= 2], ids)

    staff = tables.get("staff")
    if staff is not None and len(staff) and "account_manager" in customers:
        left = staff[(staff["left_date"] <= d) & (staff["left_date"] > w0)]
        managers = customers.set_index("customer_id")["account_manager"].reindex(ids)
        out["manager_left_window"] = managers.isin(set(left["account_manager"])).astype(int)

    for a in attributes or []:
        if a in OUTCOME_COLUMNS:
            raise ValueError(f"{a!r} describes the outcome and cannot be a feature")
        if a in customers.columns and a not in out.columns:
            out[a] = customers.set_index("customer_id")[a].reindex(ids)
    return out


def _count(frame: pd.DataFrame, ids: pd.Index) -> pd.Series:
    return frame.groupby("customer_id").size().reindex(ids, fill_value=0).astype(int)


def _mrr_on(revenue: pd.DataFrame, date: pd.Timestamp, ids: pd.Index) -> pd.Series:
    on = (revenue["start"] <= date) & (revenue["end"].isna() | (revenue["end"] > date))
    return revenue[on].groupby("customer_id")["mrr"].sum().reindex(ids, fill_value=0.0)
