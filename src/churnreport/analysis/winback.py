"""Whom to call first: customer value, win-back value tiers and the at-risk list.

Value is annual revenue: 12 x the MRR on the date (subscriptions / run rate), else 12 x the
customers' monthly_revenue, else the spend of the 365 days before the date. Tiers follow the
standard win-back rule (DOMAIN.md section 6) on value rank among paying customers: important
(win back at any cost), major (real effort), ordinary (act when cheap), small (let go); customers
bringing no revenue (hence no profit), and those marked in the optional bad-standing column
(broke a contract, damage the brand), are "never". Boundaries are cumulative customer shares
(``winback.tier_shares``), turned into value thresholds on today's paying customers so lost
customers are tiered on the same scale.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import numpy as np
import pandas as pd

TIERS = ("important", "major", "ordinary", "small", "never")


def customer_value(
    ids: pd.Index,
    dates: pd.Series | dt.date,
    customers: pd.DataFrame,
    tables: Mapping[str, pd.DataFrame],
    backend: str = "duckdb",
) -> tuple[pd.Series, str]:
    """Annual revenue of each customer on a date (one date, or one per customer).

    Parameters
    ----------
    ids : Index
        Customer ids.
    dates : date or Series
        The date, or a Series of dates indexed like ``ids`` (e.g. the day before each churn).
    customers : DataFrame
    tables : dict
        revenue, transactions (whichever exist).
    backend : {"duckdb", "spark"}
        Where the transactions are summed (:func:`churnreport.data.engine.session`).

    Returns
    -------
    (Series, basis)
        Value per id (0 when nothing is known for a customer) and the basis used:
        ``mrr``, ``monthly_revenue``, ``transactions`` or ``none`` (all values NaN).
    """
    when = (
        pd.Series(pd.Timestamp(dates), index=ids)
        if not isinstance(dates, pd.Series)
        else pd.to_datetime(dates).reindex(ids)
    )
    frame = pd.DataFrame({"customer_id": ids, "_d": when.to_numpy()})
    rev = tables.get("revenue")
    if rev is not None and len(rev):
        m = frame.merge(rev, on="customer_id")
        on = (m["start"] <= m["_d"]) & (m["end"].isna() | (m["end"] > m["_d"]))
        mrr = m[on].groupby("customer_id")["mrr"].sum()
        return (12 * mrr).reindex(ids, fill_value=0.0).astype(float), "mrr"
    if "monthly_revenue" in customers and customers["monthly_revenue"].notna().any():
        monthly = customers.set_index("customer_id")["monthly_revenue"].reindex(ids)
        return (12 * monthly.fillna(0.0)).astype(float), "monthly_revenue"
    spend = _spend_in_year(frame, tables, backend)
    if spend is not None:
        return pd.Series(spend, index=ids, dtype=float), "transactions"
    return pd.Series(np.nan, index=ids, dtype=float), "none"


def _spend_in_year(
    frame: pd.DataFrame, tables: Mapping[str, pd.DataFrame], backend: str
) -> np.ndarray | None:
    """The amount each row's customer spent in the 365 days up to its date ``_d``, by the
    engine (on DuckDB a run's cached transactions never enter pandas: ``engine.read``); None
    without amounts."""
    from churnreport.data import engine

    with engine.session(backend) as con:
        tx = engine.read(con, tables, "transactions")
        if tx is None or "amount" not in tx.columns:
            return None
        keys = engine.keys(frame.rename(columns={"_d": "snapshot"}))
        act = con.to_pyarrow(engine.window_activity(tx, keys, 365)).to_pandas()
    spend = act.set_index("row")["spend"].reindex(range(len(frame)))
    return spend.fillna(0.0).to_numpy(dtype=float)


def tier_thresholds(values: pd.Series, shares: tuple[float, float, float]) -> list[float]:
    """Lowest value of the important, major and ordinary tiers.

    Parameters
    ----------
    values : Series
        Annual value of today's customers.
    shares : (float, float, float)
        Cumulative customer shares (highest value first) ending the three tiers.

    Returns
    -------
    list of float
        Three thresholds, decreasing; a customer belongs to the first tier whose threshold
        its value reaches.
    """
    paying = np.sort(values[values > 0].to_numpy())[::-1]
    if len(paying) == 0:
        return [np.inf, np.inf, np.inf]
    out = []
    for s in shares:
        k = max(int(np.ceil(s * len(paying))), 1)
        out.append(float(paying[min(k, len(paying)) - 1]))
    return out


def assign_tiers(
    values: pd.Series, thresholds: list[float], bad_standing: pd.Series | None = None
) -> pd.Series:
    """Win-back tier of each value (see :data:`TIERS`).

    Parameters
    ----------
    values : Series
        Annual value per customer.
    thresholds : list of float
        :func:`tier_thresholds`.
    bad_standing : Series of bool, optional
        Customers who broke contracts or damage the brand (same index): ``never``.

    Returns
    -------
    Series
        Tier per customer; no positive value or bad standing = ``never``.
    """
    v = values.fillna(0.0).to_numpy()
    bad = (
        np.zeros(len(v), dtype=bool)
        if bad_standing is None
        else bad_standing.reindex(values.index).astype("boolean").fillna(False).to_numpy(bool)
    )
    important, major, ordinary = thresholds
    tier = np.select(
        [(v <= 0) | bad, v >= important, v >= major, v >= ordinary],
        ["never", "important", "major", "ordinary"],
        default="small",
    )
    return pd.Series(tier, index=values.index, name="tier")


def tier_grid(frame: pd.DataFrame, weight: str | None = None) -> pd.DataFrame:
    """Customers and value per tier.

    Parameters
    ----------
    frame : DataFrame
        tier, value, and optionally a probability column named by ``weight``.
    weight : str, optional
        Probability column: adds expected_loss (sum of probability x value) and the mean
        probability.

    Returns
    -------
    DataFrame
        One row per tier in :data:`TIERS` order: tier, customers, value, [mean_probability,
        expected_loss].
    """
    g = frame.groupby("tier")
    out = pd.DataFrame({"customers": g.size(), "value": g["value"].sum()})
    if weight is not None:
        out["mean_probability"] = g[weight].mean()
        out["expected_loss"] = (
            (frame[weight] * frame["value"].fillna(0)).groupby(frame["tier"]).sum()
        )
    out = out.reindex(list(TIERS)).fillna(0.0)
    out["customers"] = out["customers"].astype(int)
    return out.rename_axis("tier").reset_index()


def lost_in_period(spells: pd.DataFrame, period_start: dt.date, as_of: dt.date) -> pd.Series:
    """Customers whose last spell ended in the report period, with their churn date.

    Returns
    -------
    Series
        Churn date indexed by customer_id (customers who came back later are excluded).
    """
    last = spells.sort_values("spell_start").drop_duplicates("customer_id", keep="last")
    ended = last[
        last["spell_end"].notna()
        & (last["spell_end"] >= pd.Timestamp(period_start))
        & (last["spell_end"] <= pd.Timestamp(as_of))
    ]
    return pd.Series(ended["spell_end"].to_numpy(), index=pd.Index(ended["customer_id"]))
