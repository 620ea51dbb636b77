"""Indicators against hand-computed fixtures and invariants."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from churnreport.analysis.indicators import (
    annualise,
    churn_indicators,
    churn_type_split,
    overall_churn,
    period_table,
    referral_rates,
    wilson_interval,
)
from tests.conftest import spells


def test_wilson_interval_matches_hand_computation():
    # 10 of 100, z = 1.959964, z^2 = 3.841459, denominator 1 + z^2/100 = 1.0384146
    # centre = (0.1 + z^2/200) / 1.0384146 = 0.1192073 / 1.0384146 = 0.1147974
    # half = z * sqrt(0.0009 + z^2/40000) / 1.0384146 = 1.959964 * 0.0315601 / 1.0384146 = 0.0595686
    lo, hi = wilson_interval(10, 100)
    assert float(lo) == pytest.approx(0.1147974 - 0.0595686, abs=1e-6)
    assert float(hi) == pytest.approx(0.1147974 + 0.0595686, abs=1e-6)


def test_holm_adjusted_equals_statsmodels_with_ties_and_clipping():
    from statsmodels.stats.multitest import multipletests

    from churnreport.analysis.indicators import holm_adjusted

    rng = np.random.default_rng(0)
    for p in (rng.random(40) ** 3, np.array([0.5, 0.01, 0.5, 0.9, 0.01]), np.array([0.2]),
              np.array([])):  # fmt: skip
        np.testing.assert_array_equal(holm_adjusted(p), multipletests(p, method="holm")[1])


def test_wilson_interval_zero_trials_is_nan_and_zero_events_starts_at_zero():
    lo, hi = wilson_interval(np.array([0, 0]), np.array([0, 20]))
    assert np.isnan(lo[0]) and np.isnan(hi[0])
    assert lo[1] == 0.0
    # 0 of 20: high = z^2/n / (1 + z^2/n) = 0.16113
    assert hi[1] == pytest.approx(0.16113, abs=1e-4)


def test_period_table_hand_computed_months():
    # January..March 2024, report date 31 March.
    s = spells(
        ("a", "2023-11-05", None),  # active throughout
        ("b", "2023-12-10", "2024-01-15"),  # at start of Jan, churns in Jan
        ("c", "2024-01-03", "2024-01-20"),  # new and lost in Jan
        ("d", "2024-01-10", "2024-02-01"),  # new in Jan, churns on 1 Feb (in Feb)
        ("e", "2024-02-14", None),  # new in Feb
        ("f", "2023-06-01", "2024-01-01"),  # ends on 1 Jan: at start of Jan, churned in Jan
        ("g", "2023-01-01", "2023-12-31"),  # gone before January
    )
    t = period_table(s, "month", dt.date(2024, 3, 31), first_day=dt.date(2024, 1, 1))
    assert list(t["period"]) == ["2024-01", "2024-02", "2024-03"]
    # Jan: start {a,b,f}=3; new {c,d}=2; new_and_lost {c}=1; churned {b,f}=2; end {a,d}=2
    # Feb: start {a,d}=2; new {e}=1; churned {d}=1; end {a,e}=2
    # Mar: start {a,e}=2; nothing happens; end 2
    assert t["start_customers"].tolist() == [3, 2, 2]
    assert t["new"].tolist() == [2, 1, 0]
    assert t["new_and_lost"].tolist() == [1, 0, 0]
    assert t["churned"].tolist() == [2, 1, 0]
    assert t["end_customers"].tolist() == [2, 2, 2]
    assert t["churn_rate"].tolist() == pytest.approx([2 / 3, 1 / 2, 0.0])
    assert t["retention_rate"].tolist() == pytest.approx([1 / 3, 1 / 2, 1.0])


def test_quarter_periods_and_incomplete_last_period_is_left_out():
    s = spells(("a", "2024-01-01", "2024-05-10"), ("b", "2024-01-01", None))
    t = period_table(s, "quarter", dt.date(2024, 8, 15))
    # Q3 2024 is not complete on 15 Aug: the last row is Q2
    assert list(t["period"]) == ["2024Q1", "2024Q2"]
    assert t["churned"].tolist() == [0, 1]
    assert t["churn_rate"].iloc[1] == pytest.approx(0.5)


def test_overall_is_report_period_for_dated_data():
    s = spells(
        ("a", "2024-01-01", "2024-03-10"),
        ("b", "2024-01-01", None),
        ("c", "2024-01-01", None),
        ("d", "2024-01-01", None),
    )
    ind = churn_indicators(s, None, "month", dt.date(2024, 3, 31), "contract")
    assert ind.overall.period == "2024-03"
    assert (ind.overall.customers, ind.overall.churned) == (4, 1)
    assert ind.overall.churn_rate == pytest.approx(0.25)
    assert ind.overall.basis == "start_set"


def test_snapshot_overall_is_churned_over_all_customers():
    customers = pd.DataFrame({"customer_id": list("abcd"), "churned": [True, False, False, True]})
    s = spells(
        ("a", "2024-01-01", "2024-06-30"),
        ("b", "2023-01-01", None),
        ("c", "2024-06-30", None),
        ("d", "2024-06-30", "2024-06-30"),
    )
    ind = churn_indicators(s, customers, "month", dt.date(2024, 6, 30), "snapshot")
    assert ind.snapshot
    assert (ind.overall.customers, ind.overall.churned) == (4, 2)
    assert ind.overall.churn_rate == pytest.approx(0.5)
    assert list(ind.periods["period"]) == ["2024-06"]


def test_snapshot_in_middle_of_month_uses_that_month():
    customers = pd.DataFrame({"customer_id": ["a", "b"], "churned": [True, False]})
    s = spells(("a", "2024-01-01", "2024-06-15"), ("b", "2023-01-01", None))
    ind = churn_indicators(s, customers, "month", dt.date(2024, 6, 15), "snapshot")
    assert ind.periods["churned"].tolist() == [1]
    assert ind.overall.period == "2024-06"


def test_overall_churn_with_empty_start_set_is_nan():
    t = pd.DataFrame({"period": ["2024-01"], "start_customers": [0], "churned": [0]})
    o = overall_churn(t)
    assert np.isnan(o.churn_rate) and o.customers == 0


@st.composite
def random_spells(draw):
    n = draw(st.integers(1, 60))
    base = np.datetime64("2023-01-01")
    starts = draw(st.lists(st.integers(0, 700), min_size=n, max_size=n))
    lengths = draw(st.lists(st.one_of(st.none(), st.integers(0, 400)), min_size=n, max_size=n))
    rows = []
    for i, (s, length) in enumerate(zip(starts, lengths, strict=True)):
        start = base + np.timedelta64(s, "D")
        end = None if length is None else str(start + np.timedelta64(length, "D"))
        rows.append((f"c{i}", str(start), end))
        # some customers return after a lapse: a later, non-overlapping spell
        gap = draw(st.one_of(st.none(), st.integers(1, 200)))
        if end is not None and gap is not None:
            again = np.datetime64(end) + np.timedelta64(gap, "D")
            rows.append((f"c{i}", str(again), draw(st.sampled_from([None, str(again + 40)]))))
    return spells(*rows)


@settings(max_examples=200, deadline=None)
@given(random_spells(), st.sampled_from(["month", "quarter", "year"]))
def test_counts_reconcile_and_rates_are_proportions(s, period):
    t = period_table(s, period, dt.date(2024, 12, 31))
    assert (
        t["start_customers"] + t["new"] + t["reactivated"] - t["new_and_lost"] - t["churned"]
        == t["end_customers"]
    ).all()
    ok = t["churn_rate"].notna()
    per_year = {"month": 12, "quarter": 4, "year": 1}[period]
    assert np.allclose(
        1 - t.loc[ok, "annualised_churn_rate"], (1 - t.loc[ok, "churn_rate"]) ** per_year
    )

    assert (
        t["end_customers"].iloc[:-1].to_numpy() == t["start_customers"].iloc[1:].to_numpy()
    ).all()
    for col in ("start_customers", "new", "new_and_lost", "churned", "end_customers"):
        assert (t[col] >= 0).all()
    rates = t["churn_rate"].dropna()
    assert ((rates >= 0) & (rates <= 1)).all()
    ok = t["churn_rate"].notna()
    assert np.allclose(t.loc[ok, "retention_rate"], 1 - t.loc[ok, "churn_rate"])
    assert (
        (t.loc[ok, "ci_low"] <= t.loc[ok, "churn_rate"] + 1e-12)
        & (t.loc[ok, "churn_rate"] <= t.loc[ok, "ci_high"] + 1e-12)
    ).all()


@settings(max_examples=100, deadline=None)
@given(random_spells())
def test_period_table_equals_brute_force_count(s):
    t = period_table(s, "month", dt.date(2024, 12, 31))
    for _, row in t.iterrows():
        ps, pe = (
            pd.Timestamp(row["period_start"]),
            pd.Timestamp(row["period_end"]) + pd.Timedelta(days=1),
        )
        end = s["spell_end"].fillna(pd.Timestamp("2262-01-01"))
        at_start = ((s["spell_start"] < ps) & (end >= ps)).sum()
        churned = ((s["spell_start"] < ps) & (end >= ps) & (end < pe)).sum()
        starting = (s["spell_start"] >= ps) & (s["spell_start"] < pe)
        new = (starting & (s["spell_no"] == 1)).sum()
        back = (starting & (s["spell_no"] > 1)).sum()
        assert (row["start_customers"], row["churned"], row["new"], row["reactivated"]) == (
            at_start,
            churned,
            new,
            back,
        )


def test_customer_returning_after_a_lapse_is_reactivated_not_new():
    s = spells(
        ("a", "2023-10-01", "2024-01-10"),  # churns in January
        ("a", "2024-02-20", None),  # comes back in February: reactivated
        ("b", "2024-02-05", None),  # first time in February: new
        ("c", "2023-11-01", None),
    )
    t = period_table(s, "month", dt.date(2024, 2, 29), first_day=dt.date(2024, 1, 1))
    # Jan: start {a, c} = 2, churned {a} = 1, end 1
    # Feb: start {c} = 1, new {b} = 1, reactivated {a} = 1, end 3
    assert t["churned"].tolist() == [1, 0]
    assert t["new"].tolist() == [0, 1]
    assert t["reactivated"].tolist() == [0, 1]
    assert t["end_customers"].tolist() == [1, 3]


def test_annualised_rate_hand_computed():
    # 2% a month: 0.98^12 = 0.784717, so 0.215283; 5% a quarter: 0.95^4 = 0.814506, so 0.185494
    assert float(annualise(0.02, "month")) == pytest.approx(0.215283, abs=1e-6)
    assert float(annualise(0.05, "quarter")) == pytest.approx(0.185494, abs=1e-6)
    assert float(annualise(0.3, "year")) == pytest.approx(0.3)


def test_voluntary_and_involuntary_churn_hand_computed():
    s = spells(
        ("a", "2023-10-01", "2024-01-10"),
        ("b", "2023-10-01", "2024-01-20"),
        ("c", "2023-10-01", "2024-01-25"),
        ("d", "2023-10-01", None),
        ("e", "2024-01-02", "2024-01-05"),
    )  # new and lost: not in the churned count
    customers = pd.DataFrame(
        {
            "customer_id": list("abcde"),
            "churn_type": ["voluntary", "Involuntary", None, None, "voluntary"],
        }
    )
    t = period_table(s, "month", dt.date(2024, 1, 31), first_day=dt.date(2024, 1, 1))
    split = churn_type_split(s, customers, t).iloc[0]
    # start set {a, b, c, d} = 4; churned {a, b, c}: 1 voluntary, 1 involuntary, 1 unknown
    assert (split.churned_voluntary, split.churned_involuntary, split.churned_type_unknown) == (
        1,
        1,
        1,
    )
    assert split.voluntary_churn_rate == pytest.approx(0.25)
    assert churn_type_split(s, customers.drop(columns="churn_type"), t) is None


def test_referral_rate_among_new_customers():
    s = spells(
        ("a", "2024-01-05", None),
        ("b", "2024-01-06", None),
        ("c", "2024-01-07", None),
        ("d", "2023-12-01", None),
    )
    customers = pd.DataFrame({"customer_id": list("abcd"), "referred_by": ["d", None, "d", None]})
    t = period_table(s, "month", dt.date(2024, 1, 31), first_day=dt.date(2024, 1, 1))
    r = referral_rates(s, customers, t).iloc[0]
    assert (r.new_referred, r.referral_rate) == (2, pytest.approx(2 / 3))
    assert referral_rates(s, customers.assign(referred_by=None), t) is None
