"""Win-back value tiers and customer value, by hand."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from churnreport.analysis.winback import (
    TIERS,
    assign_tiers,
    customer_value,
    lost_in_period,
    tier_grid,
    tier_thresholds,
)
from tests.conftest import spells


def test_tiers_by_customer_share_hand_computed():
    # 10 paying customers 100..1000 and one without revenue
    values = pd.Series([100.0 * k for k in range(1, 11)] + [0.0], index=list("abcdefghijk"))
    th = tier_thresholds(values, (0.1, 0.3, 0.6))
    # top 1 customer >= 1000, next 2 >= 800, next 3 >= 500
    assert th == [1000.0, 800.0, 500.0]
    tiers = assign_tiers(values, th)
    assert tiers.value_counts().to_dict() == {
        "small": 4, "ordinary": 3, "major": 2, "important": 1, "never": 1,
    }  # fmt: skip
    assert tiers["k"] == "never" and tiers["j"] == "important"


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0, 1e6), min_size=1, max_size=300))
def test_every_customer_gets_exactly_one_tier_and_value_reconciles(vals):
    values = pd.Series(vals, index=[f"c{i}" for i in range(len(vals))])
    tiers = assign_tiers(values, tier_thresholds(values, (0.05, 0.2, 0.6)))
    grid = tier_grid(pd.DataFrame({"tier": tiers, "value": values}))
    assert list(grid["tier"]) == list(TIERS)
    assert grid["customers"].sum() == len(values)
    assert grid["value"].sum() == pytest.approx(values.sum())
    # higher tiers never hold a lower value than lower tiers
    order = {t: i for i, t in enumerate(TIERS)}
    rank = tiers.map(order)
    paying = values > 0
    for t in range(3):
        hi, lo = values[paying & (rank == t)], values[paying & (rank > t)]
        if len(hi) and len(lo):
            assert hi.min() >= lo.max()


def test_tier_grid_expected_loss():
    f = pd.DataFrame(
        {
            "tier": ["important", "important", "small"],
            "value": [1000.0, 500.0, 10.0],
            "p": [0.1, 0.2, 0.5],
        }
    )
    g = tier_grid(f, "p").set_index("tier")
    assert g.loc["important", "expected_loss"] == pytest.approx(100 + 100)
    assert g.loc["important", "mean_probability"] == pytest.approx(0.15)
    assert g.loc["major", "customers"] == 0


def test_customer_value_from_mrr_monthly_revenue_or_spend():
    ids = pd.Index(["a", "b"])
    rev = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b"],
            "start": pd.to_datetime(["2024-01-01", "2024-03-01", "2024-01-01"]),
            "end": pd.to_datetime(["2024-03-01", None, "2024-02-01"]),
            "mrr": [10.0, 20.0, 5.0],
        }
    )
    v, basis = customer_value(
        ids, dt.date(2024, 6, 30), pd.DataFrame({"customer_id": ids}), {"revenue": rev}
    )
    assert basis == "mrr" and v.tolist() == [240.0, 0.0]
    # one date per customer: b the day before it left
    when = pd.Series(pd.to_datetime(["2024-06-30", "2024-01-31"]), index=ids)
    v, _ = customer_value(ids, when, pd.DataFrame({"customer_id": ids}), {"revenue": rev})
    assert v.tolist() == [240.0, 60.0]
    cust = pd.DataFrame({"customer_id": ["a", "b"], "monthly_revenue": [5.0, np.nan]})
    v, basis = customer_value(ids, dt.date(2024, 6, 30), cust, {})
    assert basis == "monthly_revenue" and v.tolist() == [60.0, 0.0]
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b"],
            "date": pd.to_datetime(["2023-06-30", "2024-06-01", "2024-07-01"]),
            "amount": [100.0, 7.0, 50.0],
        }
    )
    v, basis = customer_value(
        ids, dt.date(2024, 6, 30), pd.DataFrame({"customer_id": ids}), {"transactions": tx}
    )
    assert basis == "transactions" and v.tolist() == [7.0, 0.0]
    v, basis = customer_value(ids, dt.date(2024, 6, 30), pd.DataFrame({"customer_id": ids}), {})
    assert basis == "none" and v.isna().all()


def test_lost_in_period_excludes_customers_who_came_back():
    sp = spells(
        ("a", "2024-01-01", "2024-06-10"),
        ("b", "2024-01-01", "2024-06-05"),
        ("b", "2024-06-20", None),
        ("c", "2024-01-01", "2024-05-31"),
        ("d", "2024-01-01", "2024-06-30"),
    )
    lost = lost_in_period(sp, dt.date(2024, 6, 1), dt.date(2024, 6, 30))
    assert sorted(lost.index) == ["a", "d"]


def test_bad_standing_is_never_whatever_the_value():
    values = pd.Series([1000.0, 900.0, 10.0], index=["a", "b", "c"])
    tiers = assign_tiers(values, [1000.0, 900.0, 500.0], pd.Series({"a": True, "c": False}))
    assert tiers.tolist() == ["never", "major", "small"]


def test_bad_standing_column_is_checked_and_typed(tmp_path):
    from churnreport.config import load_config
    from churnreport.data import load_dataset
    from churnreport.errors import ConfigError
    from tests.conftest import SAMPLE

    c = pd.read_csv(SAMPLE / "customers.csv").head(3000)
    c["breached"] = np.where(c.index % 7 == 0, "yes", "no")
    c.to_csv(tmp_path / "customers.csv", index=False)
    cfg_text = (SAMPLE / "report.yml").read_text(encoding="utf-8")
    (tmp_path / "r.yml").write_text(cfg_text, encoding="utf-8")
    base = {"sources": {"customers": {"path": str(tmp_path / "customers.csv")}}}
    cfg = load_config(tmp_path / "r.yml", **base, winback={"bad_standing": "breached"})
    ds = load_dataset(cfg)
    assert ds.customers["breached"].dtype == "boolean"
    assert int(ds.customers["breached"].sum()) == int((c.index % 7 == 0).sum()) - int(
        (~c["customer_id"].isin(ds.customers["customer_id"]) & (c.index % 7 == 0)).sum()
    )
    cfg = load_config(tmp_path / "r.yml", **base, winback={"bad_standing": "no_such_column"})
    with pytest.raises(ConfigError, match="no_such_column"):
        load_dataset(cfg)
