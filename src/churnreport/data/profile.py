"""The data profile: what kind of data a run has, which decides what the report can say.

Computed once from the canonical tables (:func:`data_profile`), written to metrics.json
(``profile``) and shown first in the appendix: the input shape, the customers and churners, the
history span (and for a purchase history the first day whose churn it fully shows), the kind of
revenue, and which optional tables (stated reasons, tickets, account managers) exist.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import pandas as pd

#: The input shape of each churn definition.
SHAPES = {"contract": "dated", "inactivity": "purchases", "snapshot": "snapshot"}


def _rows(tables: Mapping[str, pd.DataFrame], name: str) -> int | None:
    """Rows of an optional table without reading it when it waits on disk (a notebook)."""
    if name not in tables:
        return None
    paths = getattr(tables, "_paths", None)
    if paths is not None and name in paths and name not in getattr(tables, "_frames", {}):
        import pyarrow.parquet as pq

        return int(pq.ParquetFile(paths[name]).metadata.num_rows)
    return len(tables[name])


def revenue_kind(customers: pd.DataFrame, tables: Mapping[str, pd.DataFrame], shape: str) -> str:
    """Where recurring revenue comes from, in the order the data layer prefers it
    (:func:`churnreport.data.prepare.revenue_intervals`).

    Parameters
    ----------
    customers : DataFrame
        The customer table.
    tables : mapping
        The run's other tables (``revenue`` when recurring revenue is known).
    shape : {"dated", "purchases", "snapshot"}

    Returns
    -------
    str
        ``subscriptions`` (MRR), ``monthly_revenue`` (a customer column), ``transactions``
        (spend per window) or ``none``.
    """
    if "revenue" not in tables:
        if "monthly_revenue" in customers and customers["monthly_revenue"].notna().any():
            return "monthly_revenue"  # a snapshot's price list: no intervals, still a value
        return "none"
    if "subscriptions" in tables and shape == "dated":
        subs = tables["subscriptions"]
        if "mrr" in subs.columns and subs["mrr"].notna().any():
            return "subscriptions"
    if "monthly_revenue" in customers and customers["monthly_revenue"].notna().any():
        return "monthly_revenue"
    return "transactions"


def data_profile(ds) -> dict:
    """The profile of a dataset (a :class:`churnreport.data.load.Dataset`).

    Parameters
    ----------
    ds : Dataset

    Returns
    -------
    dict
        shape (dated, purchases, snapshot), customers, churned, first_activity (the earliest
        start; None for a snapshot, whose start dates are derived from tenure), as_of,
        history_months, observed_from (purchase histories), revenue (see
        :func:`revenue_kind`), stated_reasons (churned customers with a reason), and the rows of
        the optional tables (subscriptions, transactions as customer-days, tickets, staff;
        None when absent).
    """
    shape = SHAPES.get(ds.definition, "dated")
    c = ds.customers
    first = None if shape == "snapshot" else pd.Timestamp(ds.spells["spell_start"].min()).date()
    months = None
    if first is not None:
        months = round((pd.Timestamp(ds.as_of) - pd.Timestamp(first)).days / 30.4375, 1)
    churned = c["churned"].astype(bool)
    reasons = int(c.loc[churned, "churn_reason"].notna().sum()) if "churn_reason" in c else 0
    return {
        "shape": shape,
        "customers": int(len(c)),
        "churned": int(churned.sum()),
        "first_activity": first,
        "as_of": ds.as_of if isinstance(ds.as_of, dt.date) else None,
        "history_months": months,
        "observed_from": ds.observed_from,
        "revenue": revenue_kind(c, ds.tables, shape),
        "stated_reasons": reasons,
        **{
            name: _rows(ds.tables, name)
            for name in ("subscriptions", "transactions", "tickets", "staff")
        },
    }
