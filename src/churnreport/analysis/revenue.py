"""Recurring-revenue indicators: the MRR bridge per period and the ratios built on it.

Each customer's MRR is read at every period boundary b with the same convention as the
customer counts: an interval counts at b when ``start < b <= end`` (or it has no end), i.e. it
was running just before the period began. Between the two boundaries of a period, a customer's
MRR movement is:

- new: 0 -> positive, and the customer had no revenue before (first spell);
- reactivation: 0 -> positive for a customer that had revenue before;
- expansion / contraction: positive -> larger / smaller positive (reported as positive amounts);
- churned: positive -> 0.

``end = start + new + reactivation + expansion - contraction - churned`` for every period.
Customers who join and leave between two boundaries never show in the bridge (as in the usual
snapshot-based MRR tools).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

BRIDGE_COLUMNS = [
    "period",
    "start_revenue",
    "new_revenue",
    "expansion",
    "contraction",
    "churned_revenue",
    "reactivation_revenue",
    "end_revenue",
    "paying_customers",
    "arpa",
    "gross_revenue_churn",
    "net_revenue_churn",
    "nrr",
    "quick_ratio",
]


def mrr_at(revenue: pd.DataFrame, boundaries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """MRR per customer at each boundary.

    Parameters
    ----------
    revenue : DataFrame
        customer_id, start, end (missing = running), mrr.
    boundaries : array of datetime64
        Instants (period starts).

    Returns
    -------
    (customers, matrix)
        Customer ids, and a (customers x boundaries) matrix of MRR.
    """
    codes, ids = pd.factorize(revenue["customer_id"])
    mrr_on = _mrr_reader(revenue, codes, len(ids))
    out = np.zeros((len(ids), len(boundaries)))
    for j, b in enumerate(boundaries):
        out[:, j] = mrr_on(b)
    return np.asarray(ids), out


def _mrr_reader(revenue: pd.DataFrame, codes: np.ndarray, customers: int):
    """A function of an instant giving each customer's MRR then, customers in the order of
    ``codes`` (the revenue rows' customer codes, 0 .. customers - 1)."""
    start = revenue["start"].to_numpy("datetime64[ns]")
    end = revenue["end"].to_numpy("datetime64[ns]")
    open_ = np.isnat(end)
    mrr = revenue["mrr"].to_numpy(dtype=float)

    def mrr_on(instant) -> np.ndarray:
        on = (start < instant) & (open_ | (end >= instant))
        return np.bincount(codes[on], weights=mrr[on], minlength=customers)

    return mrr_on


def mrr_bridge(revenue: pd.DataFrame, periods: pd.DataFrame) -> pd.DataFrame:
    """The MRR bridge and revenue ratios per period.

    Parameters
    ----------
    revenue : DataFrame
        customer_id, start, end, mrr (the data layer's ``revenue`` table).
    periods : DataFrame
        The period table (its period, period_start and period_end columns are used).

    Returns
    -------
    DataFrame
        Columns of :data:`BRIDGE_COLUMNS`. Ratios are missing when their denominator is 0:
        gross_revenue_churn = (churned + contraction) / start; net_revenue_churn =
        (churned + contraction - expansion - reactivation) / start; nrr = (start + expansion -
        contraction - churned) / start; quick_ratio = (new + expansion) / (churned +
        contraction); arpa = start / paying customers at the start.
    """
    starts = pd.to_datetime(periods["period_start"]).to_numpy("datetime64[ns]")
    last_end = pd.Timestamp(periods["period_end"].iloc[-1]) + pd.Timedelta(days=1)
    bounds = np.append(starts, np.datetime64(last_end, "ns"))
    codes, ids = pd.factorize(revenue["customer_id"])
    mrr_on = _mrr_reader(revenue, codes, len(ids))
    first = (
        pd.Series(revenue["start"].to_numpy("datetime64[ns]"))
        .groupby(codes)
        .min()
        .reindex(np.arange(len(ids)))
        .to_numpy("datetime64[ns]")
    )
    # one period at a time: the customers x periods matrix and its temporaries were most of
    # the indicator chapter's memory (gigabytes at millions of customers)
    rows = []
    m1 = mrr_on(bounds[0])
    for begin, after in zip(bounds[:-1], bounds[1:], strict=True):
        m0, m1 = m1, mrr_on(after)
        up = (m0 == 0) & (m1 > 0)
        is_new = up & (first >= begin)
        both = (m0 > 0) & (m1 > 0)
        diff = m1 - m0
        rows.append(
            {
                "start_revenue": m0.sum(),
                "new_revenue": m1[is_new].sum(),
                "expansion": diff[both & (diff > 0)].sum(),
                "contraction": (-diff[both & (diff < 0)]).sum(),
                "churned_revenue": m0[(m0 > 0) & (m1 == 0)].sum(),
                "reactivation_revenue": m1[up & ~is_new].sum(),
                "end_revenue": m1.sum(),
                "paying_customers": int((m0 > 0).sum()),
            }
        )
    out = pd.DataFrame(rows, columns=BRIDGE_COLUMNS[1:9], dtype=float).astype(
        {"paying_customers": np.int64}
    )
    out.insert(0, "period", periods["period"].to_numpy())
    s = out["start_revenue"].where(out["start_revenue"] > 0)
    lost = out["churned_revenue"] + out["contraction"]
    out["arpa"] = s / out["paying_customers"].where(out["paying_customers"] > 0)
    out["gross_revenue_churn"] = lost / s
    out["net_revenue_churn"] = (lost - out["expansion"] - out["reactivation_revenue"]) / s
    out["nrr"] = (s + out["expansion"] - out["contraction"] - out["churned_revenue"]) / s
    out["quick_ratio"] = (out["new_revenue"] + out["expansion"]) / lost.where(lost > 0)
    return out[BRIDGE_COLUMNS]


def revenue_at_churn(lost: pd.DataFrame, revenue: pd.DataFrame | None) -> np.ndarray:
    """Monthly recurring revenue of each churned customer just before its churn date.

    Parameters
    ----------
    lost : DataFrame
        customer_id, end_date (the churn date), one row per churned customer.
    revenue : DataFrame or None
        Revenue intervals (customer_id, start, end, mrr).

    Returns
    -------
    ndarray
        One amount per row of ``lost`` (0 when unknown).
    """
    if revenue is None or lost.empty:
        return np.zeros(len(lost))
    rows = pd.DataFrame(
        {
            "_row": np.arange(len(lost)),
            "customer_id": lost["customer_id"].to_numpy(),
            "end_date": lost["end_date"].to_numpy(),
        }
    )
    m = rows.merge(revenue, on="customer_id")
    on = (m["start"] < m["end_date"]) & (m["end"].isna() | (m["end"] >= m["end_date"]))
    per = m[on].groupby("_row")["mrr"].sum()
    return per.reindex(range(len(lost)), fill_value=0.0).to_numpy()
