"""Period-over-period changes, significance, alerts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from churnreport.analysis.trends import evaluate_alerts, period_changes, two_proportion_p


def _periods(churned, at_start, labels=None):
    n = len(churned)
    labels = labels or [f"2023-{m:02d}" for m in range(1, n + 1)]
    rate = np.array(churned) / np.array(at_start)
    return pd.DataFrame(
        {
            "period": labels,
            "churned": churned,
            "start_customers": at_start,
            "churn_rate": rate,
            "annualised_churn_rate": 1 - (1 - rate) ** 12,
        }
    )


def test_two_proportion_p_hand_computed():
    # 30/1000 vs 20/1000: pooled 0.025, se = sqrt(0.025*0.975*(2/1000)) = 0.0069821,
    # z = 0.01/0.0069821 = 1.43223, two-sided p = 2 * (1 - Phi(1.43223)) = 0.15208
    assert two_proportion_p(30, 1000, 20, 1000) == pytest.approx(0.15208, abs=1e-5)
    assert np.isnan(two_proportion_p(0, 100, 0, 100))  # no event anywhere: undefined
    assert np.isnan(two_proportion_p(1, 0, 1, 10))


def test_changes_flag_only_significant_moves():
    # 20/1000 -> 21/1000 is noise; 21/1000 -> 60/1000 is not (z about 4.4)
    t = period_changes(_periods([20, 21, 60], [1000, 1000, 1000]), "month")
    assert t["change_vs_previous"].tolist()[1:] == pytest.approx([0.001, 0.039])
    assert t["significant_vs_previous"].tolist() == [False, False, True]
    assert t["change_vs_year_ago"].isna().all()  # no period a year earlier
    assert not t["significant_vs_year_ago"].any()


def test_year_ago_comparison_uses_same_period_last_year():
    churned = [20] * 12 + [40]
    t = period_changes(_periods(churned, [1000] * 13, [f"p{i}" for i in range(13)]), "month")
    assert t["change_vs_year_ago"].iloc[12] == pytest.approx(0.02)
    assert t["significant_vs_year_ago"].iloc[12]
    q = period_changes(_periods([10, 10, 10, 10, 30], [500] * 5, list("abcde")), "quarter")
    assert q["change_vs_year_ago"].iloc[4] == pytest.approx(0.04)


def test_rolling_mean_of_three_periods():
    t = period_changes(_periods([10, 20, 30, 40], [1000] * 4), "month")
    assert t["rolling_churn_rate"].isna().tolist() == [True, True, False, False]
    assert t["rolling_churn_rate"].iloc[3] == pytest.approx(0.03)


def test_alert_rules():
    p = _periods([20, 60], [1000, 1000])
    c = period_changes(p, "month")
    alerts = evaluate_alerts(
        p.iloc[-1],
        c.iloc[-1],
        churn_rate_above=0.05,
        annualised_churn_rate_above=0.30,
        nrr_below=1.0,
        nrr=0.97,
    )
    rules = {(a.metric, a.rule) for a in alerts}
    # 6% a month: above 5%; 1 - 0.94^12 = 52.4% a year: above 30%; NRR 97% < 100%;
    # and a significant rise from 2%
    assert rules == {
        ("churn_rate", "above"),
        ("annualised_churn_rate", "above"),
        ("nrr", "below"),
        ("churn_rate_change", "significant_increase"),
    }
    quiet = evaluate_alerts(
        p.iloc[0],
        c.iloc[0],
        churn_rate_above=0.05,
        annualised_churn_rate_above=None,
        nrr_below=None,
    )
    assert quiet == []
