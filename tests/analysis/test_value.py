"""Cost of churn, CLV and scenarios against hand-computed figures."""

from __future__ import annotations

import pandas as pd
import pytest

from churnreport.analysis.value import annual_churn_basis, churn_value


def _tables(rates, start=5000, churned=250, arpa=8000 / 12, churned_mrr=None):
    periods = pd.DataFrame(
        {
            "period": [f"2024-{m:02d}" for m in range(1, len(rates) + 1)],
            "start_customers": start,
            "churned": churned,
            "churn_rate": rates,
        }
    )
    bridge = pd.DataFrame(
        {
            "arpa": [arpa] * len(rates),
            "churned_revenue": [churned_mrr if churned_mrr is not None else churned * arpa]
            * len(rates),
        }
    )
    return periods, bridge


def test_cost_of_churn_matches_the_domain_example():
    # DOMAIN.md: 5,000 customers x 5% churn = 250 lost; x 8,000 revenue each = 2,000,000;
    # x 10% margin = 200,000 profit lost (revenue per customer 8,000 a year = 666.67 a month)
    p, b = _tables([0.05])
    v = churn_value(p, b, "year", 0.10)
    assert (v.customers, v.churned) == (5000, 250)
    assert v.revenue_lost == pytest.approx(2_000_000)
    assert v.revenue_lost_per_customer == pytest.approx(8000)
    assert v.profit_lost == pytest.approx(200_000)


def test_clv_both_ways_hand_computed():
    # 12 months at 2%: annual = 1 - 0.98^12 = 0.215283, lifetime 4.645 years,
    # monthly equivalent back = 2%; ARPA 100 a month, margin 10%
    p, b = _tables([0.02] * 12, start=1000, churned=20, arpa=100.0)
    v = churn_value(p, b, "month", 0.10)
    assert v.annual_churn_rate == pytest.approx(0.215283, abs=1e-6)
    assert v.expected_lifetime_years == pytest.approx(1 / 0.215283, rel=1e-5)
    assert v.clv_arpa_method == pytest.approx(100 / 0.02)  # 5,000 lifetime revenue
    assert v.monthly_churn_rate == pytest.approx(0.02)  # the rate the lifetime revenue divides by
    assert v.clv_spend_method == pytest.approx(100 * 12 * (1 / 0.215283) * 0.10, rel=1e-5)  # 557.4


def test_scenarios_one_three_five_points():
    p, b = _tables([0.02] * 12, start=1000, churned=20, arpa=100.0)
    v = churn_value(p, b, "month", 0.10)
    # 1 point less annual churn on 1,000 customers = 10 saved; x 1,200 a year = 12,000; x 10%
    s = {x["points"]: x for x in v.scenarios}
    assert s[1]["customers_saved"] == pytest.approx(10)
    assert s[1]["revenue"] == pytest.approx(12_000) and s[1]["profit"] == pytest.approx(1_200)
    assert s[5]["customers_saved"] == pytest.approx(50)


def test_snapshot_projects_no_lifetime():
    p, b = _tables([0.265], start=7043, churned=1869, arpa=64.76)
    v = churn_value(p, b, "month", 0.1, snapshot=True)
    assert v.clv_arpa_method is None and v.scenarios == []
    assert v.revenue_lost == pytest.approx(1869 * 64.76 * 12)


def test_no_churn_gives_no_lifetime_and_no_division_error():
    p, b = _tables([0.0] * 3, churned=0, churned_mrr=0.0)
    v = churn_value(p, b, "month", 0.1)
    assert v.revenue_lost == 0 and v.revenue_lost_per_customer == 0
    assert v.clv_arpa_method is None


def test_annual_basis_uses_last_year_only():
    p = pd.DataFrame({"churn_rate": [0.5] * 6 + [0.02] * 12})
    assert annual_churn_basis(p, "month") == pytest.approx(1 - 0.98**12)
    assert annual_churn_basis(pd.DataFrame({"churn_rate": [float("nan")]}), "month") is None


def test_scenarios_beyond_the_churn_there_is_are_left_out():
    # annual churn 1 - 0.998^12 = 2.4%: only the 1-point scenario is possible
    p, b = _tables([0.002] * 12, start=1000, churned=2, arpa=100.0)
    v = churn_value(p, b, "month", 0.10)
    assert [s["points"] for s in v.scenarios] == [1]
