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
    start = revenue["start"].to_numpy("datetime64[ns]")
    end = revenue["end"].to_numpy("datetime64[ns]")
    open_ = np.isnat(end)
    mrr = revenue["mrr"].to_numpy(dtype=float)
    out = np.zeros((len(ids), len(boundaries)))
    for j, b in enumerate(boundaries):
        on = (start < b) & (open_ | (end >= b))
        out[:, j] = np.bincount(codes[on], weights=mrr[on], minlength=len(ids))
    return np.asarray(ids), out


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
    ids, m = mrr_at(revenue, bounds)
    first = revenue.groupby("customer_id")["start"].min().reindex(ids).to_numpy("datetime64[ns]")
    m0, m1 = m[:, :-1], m[:, 1:]
    up = (m0 == 0) & (m1 > 0)
    is_new = up & (first[:, None] >= bounds[None, :-1])
    both = (m0 > 0) & (m1 > 0)
    diff = m1 - m0
    out = pd.DataFrame(
        {
            "period": periods["period"].to_numpy(),
            "start_revenue": m0.sum(axis=0),
            "new_revenue": np.where(is_new, m1, 0).sum(axis=0),
            "expansion": np.where(both & (diff > 0), diff, 0).sum(axis=0),
            "contraction": np.where(both & (diff < 0), -diff, 0).sum(axis=0),
            "churned_revenue": np.where((m0 > 0) & (m1 == 0), m0, 0).sum(axis=0),
            "reactivation_revenue": np.where(up & ~is_new, m1, 0).sum(axis=0),
            "end_revenue": m1.sum(axis=0),
            "paying_customers": (m0 > 0).sum(axis=0),
        }
    )
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
