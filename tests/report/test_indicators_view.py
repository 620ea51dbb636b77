"""Chapter 1 blocks: sentences carry the chapter's numbers, in both languages."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from churnreport.analysis.chapter import indicator_chapter
from churnreport.report.indicators_view import (
    alerts_html,
    churn_mix_html,
    kpi_cards,
    period_table_html,
    trend_takeaway,
    value_html,
)
from churnreport.report.text import Text
from tests.conftest import spells


@pytest.fixture(scope="module")
def chapter():
    rows = [(f"c{i}", "2023-01-15", None) for i in range(400)]
    # 4 leave in each month of 2023, then 30 in December 2023: a significant jump
    for m in range(2, 12):
        rows += [(f"l{m}-{i}", "2023-01-10", f"2023-{m:02d}-15") for i in range(4)]
    rows += [(f"x{i}", "2023-01-10", "2023-12-10") for i in range(30)]
    s = spells(*rows)
    customers = pd.DataFrame({"customer_id": s["customer_id"].unique()})
    customers["monthly_revenue"] = 100.0
    customers["churn_type"] = "voluntary"
    rev = pd.DataFrame(
        {
            "customer_id": s["customer_id"],
            "start": s["spell_start"],
            "end": s["spell_end"],
            "mrr": 100.0,
        }
    )
    return indicator_chapter(
        s,
        customers,
        rev,
        period="month",
        as_of=dt.date(2023, 12, 31),
        definition="contract",
        margin=0.2,
        alerts={"churn_rate_above": 0.05},
    )


def test_trend_takeaway_reports_the_significant_rise(chapter):
    last = chapter.periods.iloc[-1]
    assert last["churned"] == 30 and last["significant_vs_previous"]
    en = trend_takeaway(chapter, Text("en")).data
    assert f"{last['churn_rate'] * 100:.1f}%" in en
    assert "up " in en and "a significant change" in en
    zh = trend_takeaway(chapter, Text("zh")).data
    assert "上升" in zh and "变化显著" in zh


def test_alerts_and_cards_show_the_numbers(chapter):
    html = alerts_html(chapter, Text("en")).data
    assert "above the alert limit of 5.0%" in html and "rose significantly" in html
    cards = kpi_cards(chapter, Text("en", "EUR")).data
    assert "(significant)" in cards and "EUR 36.0k" in cards  # 30 x 100 x 12
    assert 'class="kpi-sub worse"' in cards


def test_value_statement_arithmetic(chapter):
    html = value_html(chapter, Text("en", "EUR")).data
    v = chapter.value
    assert v.revenue_lost == pytest.approx(30 * 100 * 12)
    assert v.profit_lost == pytest.approx(0.2 * 36_000)
    assert "30 lost" in html and "EUR 36.0k revenue lost per year" in html


def test_churn_mix_and_zero_start_note(chapter):
    mix = churn_mix_html(chapter, Text("en")).data
    assert "30 left by choice" in mix and "No referral column" in mix
    table = period_table_html(chapter, Text("en")).data
    assert "no customer at their start" in table  # January 2023 starts empty
