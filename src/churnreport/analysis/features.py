"""Early-warning features of each customer as of one snapshot date, from information up to it.

One function, :func:`snapshot_features`, builds them for any date, so the model is trained on
past snapshots and scores today's customers with the same code. Nothing dated after the
snapshot date is read: every dated table is cut at the date first (a test shifts future data
and checks past snapshots do not move). Static customer attributes (plan, region, age ...) are
taken as exported; outcome columns (end date, churn flag, reason, type) are never features.

Features (those whose source table exists):

- tenure_months, returning (the customer has left and come back before);
- transactions: recency_days, purchases and spend in the window and the spend trend
  (relative change against the window before, 0 without spend before, capped at +300%);
- revenue: mrr on the date and its relative change over the window (price changes, downgrades);
- tickets: tickets, complaints, slow first responses (answered by the date), low satisfaction
  (<= 2) in the window, and the mean first-response hours;
- staff: the account manager left in the window;
- the configured customer attributes (numeric or categorical).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import pandas as pd

from churnreport.analysis.drivers import is_complaint

WINDOW_DAYS = 90
#: Customer columns that describe the outcome, never used as features.
OUTCOME_COLUMNS = frozenset(
    {"customer_id", "start_date", "end_date", "churned", "churn_reason", "churn_type", "spells"}
)
_DAYS_PER_MONTH = 365.25 / 12


def active_on(spells: pd.DataFrame, date: dt.date) -> pd.DataFrame:
    """The spell of each customer active on ``date`` (``spell_start <= date < spell_end``).

    Parameters
    ----------
    spells : DataFrame
        customer_id, spell_start, spell_end (missing = open).
    date : date

    Returns
    -------
    DataFrame
        One row per active customer: customer_id, spell_start, spell_end, spell_no.
    """
    d = pd.Timestamp(date)
    on = (spells["spell_start"] <= d) & (spells["spell_end"].isna() | (spells["spell_end"] > d))
    return spells[on].drop_duplicates("customer_id").reset_index(drop=True)


def churn_label(spells: pd.DataFrame, date: dt.date, horizon_end: dt.date) -> pd.Series:
    """1 when the customer's spell active on ``date`` ends in ``(date, horizon_end]``.

    Parameters
    ----------
    spells : DataFrame
    date, horizon_end : date

    Returns
    -------
    Series
        0/1 indexed by customer_id, for the customers active on ``date``.
    """
    active = active_on(spells, date)
    end = active["spell_end"]
    y = (end.notna() & (end <= pd.Timestamp(horizon_end))).astype(int)
    return pd.Series(y.to_numpy(), index=active["customer_id"].to_numpy(), name="churned")


def snapshot_features(
    spells: pd.DataFrame,
    customers: pd.DataFrame,
    date: dt.date,
    *,
    tables: Mapping[str, pd.DataFrame] | None = None,
    attributes: list[str] | None = None,
    window_days: int = WINDOW_DAYS,
    slow_hours: float = 24.0,
) -> pd.DataFrame:
    """Features of every customer active on ``date``, from data dated up to ``date``.

    Parameters
    ----------
    spells, customers : DataFrame
        Canonical spells and customer table.
    date : date
        The snapshot date.
    tables : mapping, optional
        transactions, tickets, staff, revenue (whichever exist).
    attributes : list of str, optional
        Customer columns to carry as features (outcome columns are refused).
    window_days : int
        Length of the "recent" window.
    slow_hours : float
        A first response slower than this is slow.

    Returns
    -------
    DataFrame
        Indexed by customer_id; one column per feature.
    """
    return features_on(
        spells, customers, [date], tables=tables, attributes=attributes,
        window_days=window_days, slow_hours=slow_hours,
    )[date]  # fmt: skip


def features_on(
    spells: pd.DataFrame,
    customers: pd.DataFrame,
    dates: list[dt.date],
    *,
    tables: Mapping[str, pd.DataFrame] | None = None,
    attributes: list[str] | None = None,
    window_days: int = WINDOW_DAYS,
    slow_hours: float = 24.0,
) -> dict[dt.date, pd.DataFrame]:
    """:func:`snapshot_features` of several dates, the transactions read once for all.

    The transaction features of every date come from one engine query
    (:func:`churnreport.data.engine.window_activity`, DuckDB); a run's cached transactions are
    read by the engine from their file and never enter pandas.

    Parameters
    ----------
    spells, customers, tables, attributes, window_days, slow_hours
        As :func:`snapshot_features`.
    dates : list of date

    Returns
    -------
    dict
        date -> that date's :func:`snapshot_features`.
    """
    tables = tables or {}
    active = {date: active_on(spells, date) for date in dates}
    activity = _transaction_activity(tables, active, window_days)
    return {
        date: _features(
            spells, customers, date, active[date], activity, tables=tables,
            attributes=attributes, window_days=window_days, slow_hours=slow_hours,
        )
        for date in dates
    }  # fmt: skip


def _transaction_activity(
    tables: Mapping[str, pd.DataFrame], active: dict[dt.date, pd.DataFrame], window_days: int
) -> pd.DataFrame | None:
    """:func:`~churnreport.data.engine.window_activity` of the customers active on each date,
    indexed by (snapshot, customer_id); None without transactions."""
    if "transactions" not in tables:
        return None
    from churnreport.data import engine

    con = engine.connect()
    try:
        tx = engine.read(con, tables, "transactions")
        if tx is None:
            return None
        keys = pd.concat(
            [a[["customer_id"]].assign(snapshot=pd.Timestamp(d)) for d, a in active.items()]
        )
        result = con.to_pyarrow(engine.window_activity(tx, engine.keys(keys), window_days))
    finally:
        con.disconnect()
    out = result.to_pandas(date_as_object=False)
    out["snapshot"] = out["snapshot"].astype("datetime64[ns]")
    return out.set_index(["snapshot", "customer_id"]).sort_index()


def _features(
    spells: pd.DataFrame,
    customers: pd.DataFrame,
    date: dt.date,
    active: pd.DataFrame,
    activity: pd.DataFrame | None,
    *,
    tables: Mapping[str, pd.DataFrame],
    attributes: list[str] | None,
    window_days: int,
    slow_hours: float,
) -> pd.DataFrame:
    d = pd.Timestamp(date)
    w0 = d - pd.Timedelta(days=window_days)
    past = spells[spells["spell_start"] <= d]
    ids = pd.Index(active["customer_id"], name="customer_id")
    out = pd.DataFrame(index=ids)
    first_start = past.groupby("customer_id")["spell_start"].min().reindex(ids)
    out["tenure_months"] = (d - first_start).dt.days / _DAYS_PER_MONTH
    out["returning"] = (past.groupby("customer_id").size().reindex(ids) > 1).astype(int)

    if activity is not None:
        on = activity.xs(d, level="snapshot") if d in activity.index.levels[0] else None
        on = (on if on is not None else activity.iloc[:0].droplevel(0)).reindex(ids)
        epoch_day = (d - pd.Timestamp(0)).days
        out["recency_days"] = (epoch_day - on["last"]).astype(float)
        out["purchases_window"] = on["purchases"].fillna(0).astype(int)
        if "spend" in on:
            spend = on["spend"].fillna(0.0).astype(float)
            spend_before = on["spend_before"].fillna(0.0).astype(float)
            out["spend_window"] = spend
            # relative change against the window before (0 without spend before; capped +300%)
            trend = (spend - spend_before) / spend_before.where(spend_before > 0)
            out["spend_trend"] = trend.fillna(0.0).clip(-1.0, 3.0).astype(float)

    rev = tables.get("revenue")
    if rev is not None and len(rev):
        out["mrr"] = _mrr_on(rev, d, ids)
        before = _mrr_on(rev, w0, ids)
        # relative change for customers paying at the window start (new ones: 0)
        out["mrr_change"] = ((out["mrr"] - before) / before.where(before > 0)).fillna(0.0)

    tk = tables.get("tickets")
    if tk is not None and len(tk):
        # which features exist depends on the table, never on the window: the model trained
        # on past dates and the scoring of today must see the same columns
        has_hours = "first_response_hours" in tk and tk["first_response_hours"].notna().any()
        has_score = "satisfaction" in tk and tk["satisfaction"].notna().any()
        tk = tk[(tk["opened_at"] <= d) & (tk["opened_at"] > w0) & tk["customer_id"].isin(ids)]
        out["tickets_window"] = _count(tk, ids)
        if "category" in tk:
            out["complaints_window"] = _count(tk[is_complaint(tk["category"])], ids)
        if has_hours:
            hours = tk["first_response_hours"]
            answered_at = tk["opened_at"] + pd.to_timedelta(hours, unit="h")
            # a response after the snapshot date is not known on it
            known = hours.notna() & (answered_at <= d)
            slow = known & (hours > slow_hours)
            out["slow_responses_window"] = _count(tk[slow], ids)
            out["response_hours_mean"] = (
                tk[known].groupby("customer_id")["first_response_hours"].mean().reindex(ids)
            )
        if has_score:
            out["low_satisfaction_window"] = _count(tk[tk["satisfaction"] <= 2], ids)

    staff = tables.get("staff")
    if staff is not None and len(staff) and "account_manager" in customers:
        left = staff[(staff["left_date"] <= d) & (staff["left_date"] > w0)]
        managers = customers.set_index("customer_id")["account_manager"].reindex(ids)
        out["manager_left_window"] = managers.isin(set(left["account_manager"])).astype(int)

    for a in attributes or []:
        if a in OUTCOME_COLUMNS:
            raise ValueError(f"{a!r} describes the outcome and cannot be a feature")
        if a in customers.columns and a not in out.columns:
            out[a] = customers.set_index("customer_id")[a].reindex(ids)
    return out


def _count(frame: pd.DataFrame, ids: pd.Index) -> pd.Series:
    return frame.groupby("customer_id").size().reindex(ids, fill_value=0).astype(int)


def _mrr_on(revenue: pd.DataFrame, date: pd.Timestamp, ids: pd.Index) -> pd.Series:
    on = (revenue["start"] <= date) & (revenue["end"].isna() | (revenue["end"] > date))
    return revenue[on].groupby("customer_id")["mrr"].sum().reindex(ids, fill_value=0.0)
