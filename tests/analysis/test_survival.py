"""Kaplan-Meier lifetime figures against hand computation."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from churnreport.analysis.survival import DAYS_PER_MONTH, lifetimes, retention_curve
from tests.conftest import spells


def test_km_median_and_rmst_hand_computed():
    # durations 1..5 months, events at 1, 2, 4 (3 and 5 censored):
    # S(1) = 4/5 = 0.8, S(2) = 0.8 * 3/4 = 0.6, S(4) = 0.6 * 1/2 = 0.3 -> median 4
    # RMST to 4 (horizon = floor(max) capped... here max 5 -> horizon 5):
    # area = 1*1 + 0.8*1 + 0.6*1 + 0.6*1 + 0.3*1 = 3.3
    life = pd.DataFrame({"duration_months": [1, 2, 3, 4, 5], "churned": [1, 1, 0, 1, 0]})
    s = retention_curve(life)
    assert s.curve.set_index("months").loc[[1.0, 2.0, 4.0], "retention"].tolist() == pytest.approx(
        [0.8, 0.6, 0.3]
    )
    assert s.median_lifetime_months == 4
    assert s.horizon_months == 5
    assert s.rmst_months == pytest.approx(3.3)
    assert (s.customers, s.churned) == (5, 3)


def test_median_not_reached_is_none():
    life = pd.DataFrame({"duration_months": [1, 2, 3, 4], "churned": [1, 0, 0, 0]})
    assert retention_curve(life).median_lifetime_months is None


def test_lifetimes_use_first_spell_and_censor_at_report_date():
    s = spells(
        ("a", "2024-01-01", "2024-03-01"), ("a", "2024-05-01", None), ("b", "2024-02-01", None)
    )
    life = lifetimes(s, dt.date(2024, 6, 30)).set_index("customer_id")
    assert life.loc["a", "churned"] and not life.loc["b", "churned"]
    months = life["duration_months"]
    assert months["a"] == pytest.approx(60 / DAYS_PER_MONTH)
    assert months["b"] == pytest.approx(150 / DAYS_PER_MONTH)
