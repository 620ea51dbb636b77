"""The committed sample: deterministic, and its planted effects are recoverable."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from churnreport.analysis.indicators import period_table
from churnreport.config import load_config
from churnreport.data.sample import (
    EFFECTS,
    PRICE_RISE_MONTH,
    SLOW_RESPONSE_HOURS,
    generate_sample,
    write_sample,
)
from tests.conftest import SAMPLE


@pytest.fixture(scope="module")
def sample(sample_dataset):
    return sample_dataset


def test_generator_is_deterministic_and_committed_sample_is_its_output():
    a = generate_sample(2_000, seed=7)
    b = generate_sample(2_000, seed=7)
    pd.testing.assert_frame_equal(a.customers, b.customers)
    committed = pd.read_csv(SAMPLE / "customers.csv", nrows=50, dtype=str, keep_default_na=False)
    fresh = generate_sample().customers.head(50).astype(str).replace({"None": "", "nan": ""})
    fresh["monthly_revenue"] = committed["monthly_revenue"]  # float text formatting
    assert committed["customer_id"].tolist() == fresh["customer_id"].tolist()
    assert committed["start_date"].tolist() == fresh["start_date"].tolist()
    assert committed["end_date"].tolist() == fresh["end_date"].tolist()


def test_sample_has_the_documented_shape(sample):
    c = sample.customers
    assert len(c) == 20_000
    assert sample.as_of == dt.date(2024, 12, 31)
    assert set(sample.tables) == {"transactions", "tickets", "staff", "revenue"}
    assert c["churn_reason"].str.contains(r"[\u4e00-\u9fff]", na=False).any()
    assert c["churn_reason"].str.contains(r"[A-Za-z]", na=False).any()
    assert sample.quality.excluded("customers") == 0


def _rate_by(months_at_risk: pd.DataFrame, flag: pd.Series) -> tuple[float, float]:
    churn = months_at_risk["churned_here"]
    return churn[flag].mean(), churn[~flag].mean()


def _month_index(dates: pd.Series) -> pd.Series:
    return dates.dt.year * 12 + dates.dt.month - 1


@pytest.fixture(scope="module")
def customer_months(sample):
    """One row per customer-month at risk (active at the month start), with whether the
    customer churned that month. Months are integers (year * 12 + month - 1)."""
    c = sample.customers
    start_m = _month_index(c["start_date"])
    end_m = _month_index(c["end_date"]).fillna(10**6)
    rows = []
    for m in range(2022 * 12, 2025 * 12):
        at_risk = (start_m < m) & (end_m >= m)
        sub = c.loc[at_risk, ["customer_id", "customer_type", "age", "account_manager"]].copy()
        sub["month"] = m
        sub["age_months"] = m - start_m[at_risk]
        sub["churned_here"] = (end_m[at_risk] == m).to_numpy()
        rows.append(sub)
    return pd.concat(rows, ignore_index=True)


def test_planted_new_customers_churn_more(customer_months):
    new, old = _rate_by(customer_months, customer_months["age_months"] <= 2)
    assert new / old > 1.5


def test_planted_intermediate_customers_churn_less(customer_months):
    inter, final = _rate_by(customer_months, customer_months["customer_type"] == "intermediate")
    assert inter / final < 0.65


def test_planted_younger_churn_more_than_older(customer_months):
    young = customer_months[customer_months["age"] < 30]["churned_here"].mean()
    older = customer_months[customer_months["age"] >= 55]["churned_here"].mean()
    assert young / older > 1.6


def test_planted_price_rise_month_and_january_stand_out(sample):
    t = period_table(sample.spells, "month", sample.as_of).set_index("period")
    rise = t.loc[PRICE_RISE_MONTH, "churn_rate"]
    typical = t.loc["2023-05":"2023-11", "churn_rate"].median()
    assert rise / typical > 1.4
    assert t.loc["2024-01", "churn_rate"] > t.loc["2023-12", "churn_rate"]
    assert t.loc["2023-01", "churn_rate"] > t.loc["2022-12", "churn_rate"]


def _recent(customer_months: pd.DataFrame, events: pd.DataFrame) -> pd.Series:
    """Whether the customer had an event in this month or the two before (the planted window)."""
    marks = {
        (cid, m + lag)
        for cid, m in zip(events["customer_id"], events["month"], strict=True)
        for lag in (0, 1, 2)
    }
    keys = zip(customer_months["customer_id"], customer_months["month"], strict=True)
    return pd.Series([k in marks for k in keys], index=customer_months.index)


@pytest.mark.parametrize("kind", ["complaint", "slow_response"])
def test_planted_complaints_and_slow_responses_raise_churn(sample, customer_months, kind):
    tk = sample.tables["tickets"].assign(month=lambda d: _month_index(d["opened_at"]))
    if kind == "complaint":
        events = tk[tk["category"] == "complaint"]
    else:
        events = tk[tk["first_response_hours"] > SLOW_RESPONSE_HOURS]
    recent = _recent(customer_months, events)
    with_, without = _rate_by(customer_months, recent)
    assert with_ / without > (1.8 if kind == "complaint" else 1.3)


def test_planted_departed_manager_customers_churn_more(sample, customer_months):
    staff = sample.tables["staff"]
    left = dict(zip(staff["account_manager"], _month_index(staff["left_date"]), strict=True))
    cm = customer_months
    since = cm["month"] - cm["account_manager"].map(left)
    after = since.between(0, 2)
    assert cm.loc[after, "churned_here"].mean() > 1.6 * cm.loc[~after, "churned_here"].mean()


def test_effects_table_is_what_the_readme_documents():
    readme = (SAMPLE / "README.md").read_text(encoding="utf-8")
    for name, size in EFFECTS.items():
        assert name in readme and f"{size:g}" in readme


def test_planted_price_rise_and_january_are_flagged_changes(sample):
    from churnreport.analysis.trends import period_changes

    t = period_changes(period_table(sample.spells, "month", sample.as_of), "month")
    t = t.set_index("period")
    assert t.loc[PRICE_RISE_MONTH, "significant_vs_previous"]
    assert t.loc[PRICE_RISE_MONTH, "change_vs_previous"] > 0
    assert t.loc[PRICE_RISE_MONTH, "significant_vs_year_ago"]
    # the month after the rise ends falls back significantly
    assert (
        t.loc["2024-05", "significant_vs_previous"] and t.loc["2024-05", "change_vs_previous"] < 0
    )
    assert (
        t.loc["2024-01", "change_vs_previous"] > 0 and t.loc["2024-01", "significant_vs_previous"]
    )


def test_a_large_sample_is_streamed_in_blocks_that_continue_the_numbering(tmp_path):
    import pyarrow.parquet as pq

    path = write_sample(tmp_path, n_customers=1000, seed=9, block_customers=300)
    cfg = load_config(path)
    assert cfg.sources["customers"].path.name == "customers.parquet"
    files = {
        name: pq.ParquetFile(tmp_path / f"{name}.parquet")
        for name in ("customers", "tickets", "transactions")
    }
    assert files["customers"].metadata.num_row_groups == 4  # 300 + 300 + 300 + 100
    customers = pd.read_parquet(tmp_path / "customers.parquet")
    tickets = pd.read_parquet(tmp_path / "tickets.parquet")
    tx = pd.read_parquet(tmp_path / "transactions.parquet")
    assert customers["customer_id"].is_unique and len(customers) == 1000
    assert customers["customer_id"].iloc[[0, -1]].tolist() == ["C000001", "C001000"]
    assert tickets["ticket_id"].is_unique
    assert set(tx["customer_id"]) <= set(customers["customer_id"])
    assert set(tickets["customer_id"]) <= set(customers["customer_id"])
    # the first block is the small sample of the same seed
    small = generate_sample(300, seed=9).customers
    cols = ["customer_id", "plan", "monthly_revenue", "churn_reason"]
    pd.testing.assert_frame_equal(customers[cols].iloc[:300], small[cols])
    assert (
        pd.to_datetime(customers["start_date"].iloc[:300]) == pd.to_datetime(small["start_date"])
    ).all()
