"""The MRR bridge against a hand-computed fixture, and its identity on random data."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from churnreport.analysis.indicators import period_table
from churnreport.analysis.revenue import mrr_bridge
from tests.conftest import spells


def _rev(*rows):
    return pd.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "start": pd.to_datetime([r[1] for r in rows]),
            "end": pd.to_datetime([r[2] for r in rows]),
            "mrr": [float(r[3]) for r in rows],
        }
    )


REV = _rev(
    ("a", "2023-12-01", None, 100),
    ("a", "2024-01-15", None, 50),  # add-on: expansion in January
    ("b", "2023-11-01", "2024-02-10", 200),  # churns in February
    ("c", "2024-01-05", None, 80),  # new in January
    ("d", "2023-06-01", "2023-10-01", 60),
    ("d", "2024-02-03", None, 60),  # returns in February: reactivation
    ("e", "2023-10-01", "2024-02-15", 300),
    ("e", "2024-02-15", None, 120),  # downgrade in February: contraction 180
)
PERIODS = pd.DataFrame(
    {
        "period": ["2024-01", "2024-02"],
        "period_start": [dt.date(2024, 1, 1), dt.date(2024, 2, 1)],
        "period_end": [dt.date(2024, 1, 31), dt.date(2024, 2, 29)],
    }
)


def test_bridge_hand_computed():
    b = mrr_bridge(REV, PERIODS).set_index("period")
    jan, feb = b.loc["2024-01"], b.loc["2024-02"]
    # January: start a100 + b200 + e300 = 600; new c 80; expansion a 50; end 730
    assert (jan.start_revenue, jan.new_revenue, jan.expansion, jan.end_revenue) == (
        600,
        80,
        50,
        730,
    )
    assert (jan.contraction, jan.churned_revenue, jan.reactivation_revenue) == (0, 0, 0)
    assert jan.nrr == pytest.approx(650 / 600)
    assert jan.net_revenue_churn == pytest.approx(-50 / 600)
    assert jan.gross_revenue_churn == 0 and np.isnan(jan.quick_ratio)  # nothing lost
    assert (jan.paying_customers, jan.arpa) == (3, 200)
    # February: start 730; churned b 200; contraction e 180; reactivation d 60; end 410
    assert (feb.start_revenue, feb.churned_revenue, feb.contraction) == (730, 200, 180)
    assert (feb.reactivation_revenue, feb.new_revenue, feb.end_revenue) == (60, 0, 410)
    assert feb.gross_revenue_churn == pytest.approx(380 / 730)  # 0.5205
    assert feb.net_revenue_churn == pytest.approx(320 / 730)  # (380 - 60) / 730
    assert feb.nrr == pytest.approx(350 / 730)  # (730 - 180 - 200) / 730
    assert feb.quick_ratio == 0
    assert feb.arpa == pytest.approx(730 / 4)


def test_monthly_revenue_bridge_matches_customer_counts():
    # each customer pays 10 a month: churned revenue = 10 x churned customers
    s = spells(
        ("a", "2023-12-01", "2024-01-20"), ("b", "2023-12-05", None), ("c", "2024-01-10", None)
    )
    rev = pd.DataFrame(
        {
            "customer_id": s["customer_id"],
            "start": s["spell_start"],
            "end": s["spell_end"],
            "mrr": 10.0,
        }
    )
    t = period_table(s, "month", dt.date(2024, 1, 31))
    b = mrr_bridge(rev, t)
    row = b.iloc[-1]
    assert row.churned_revenue == 10 * t["churned"].iloc[-1]
    assert row.start_revenue == 10 * t["start_customers"].iloc[-1]


@st.composite
def random_revenue(draw):
    rows = []
    for _ in range(draw(st.integers(1, 25))):
        s = draw(st.integers(0, 500))
        n = draw(st.one_of(st.none(), st.integers(1, 300)))
        start = np.datetime64("2023-01-01") + np.timedelta64(s, "D")
        end = None if n is None else str(start + np.timedelta64(n, "D"))
        rows.append((f"c{draw(st.integers(0, 8))}", str(start), end, draw(st.integers(0, 500))))
    return _rev(*rows)


@settings(max_examples=150, deadline=None)
@given(random_revenue())
def test_bridge_identity_holds(rev):
    periods = pd.DataFrame({"period": [f"2023-{m:02d}" for m in range(1, 13)]})
    periods["period_start"] = pd.date_range("2023-01-01", periods=12, freq="MS").date
    periods["period_end"] = (
        pd.date_range("2023-02-01", periods=12, freq="MS") - pd.Timedelta(days=1)
    ).date
    b = mrr_bridge(rev, periods)
    recon = (
        b.start_revenue
        + b.new_revenue
        + b.reactivation_revenue
        + b.expansion
        - b.contraction
        - b.churned_revenue
    )
    assert np.allclose(recon, b.end_revenue)
    assert np.allclose(b.end_revenue.iloc[:-1].to_numpy(), b.start_revenue.iloc[1:].to_numpy())
    for col in ("new_revenue", "expansion", "contraction", "churned_revenue"):
        assert (b[col] >= 0).all()
    ok = b.gross_revenue_churn.notna()
    assert ((b.gross_revenue_churn[ok] >= 0) & (b.gross_revenue_churn[ok] <= 1 + 1e-9)).all()
