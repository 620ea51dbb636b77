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

import numpy as np
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
    backend: str = "duckdb",
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
    backend : {"duckdb", "spark"}
        Where the dated tables are aggregated (:func:`churnreport.data.engine.session`).

    Returns
    -------
    DataFrame
        Indexed by customer_id; one column per feature.
    """
    return features_on(
        spells, customers, [date], tables=tables, attributes=attributes,
        window_days=window_days, slow_hours=slow_hours, backend=backend,
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
    backend: str = "duckdb",
) -> dict[dt.date, pd.DataFrame]:
    """:func:`snapshot_features` of several dates, every table aggregated once for all.

    Each dated table is reduced in the engine (``backend``; data/engine.py) by one query for
    every (customer, date) pair at once; on DuckDB a run's cached transactions are read from
    their file and never enter pandas (on Spark the frame is handed over: ``engine.read``).
    pandas only sees one row per customer and date.

    Parameters
    ----------
    spells, customers, tables, attributes, window_days, slow_hours, backend
        As :func:`snapshot_features`.
    dates : list of date

    Returns
    -------
    dict
        date -> that date's :func:`snapshot_features`.
    """
    tables = tables or {}
    for a in attributes or []:
        if a in OUTCOME_COLUMNS:
            raise ValueError(f"{a!r} describes the outcome and cannot be a feature")
    active = [active_on(spells, d)["customer_id"] for d in dates]
    keys = pd.DataFrame(
        {
            "customer_id": pd.concat(active, ignore_index=True) if active else [],
            "snapshot": np.repeat(
                np.array([pd.Timestamp(d) for d in dates], dtype="datetime64[ns]"),
                [len(a) for a in active],
            ),
        }
    )
    out = _engine_features(keys, spells, tables, window_days, slow_hours, backend)

    staff = tables.get("staff")
    with_managers = staff is not None and len(staff) > 0 and "account_manager" in customers
    wanted = [
        a
        for a in attributes or []
        if a in customers.columns and a != "customer_id" and a not in out.columns
    ]
    if with_managers or wanted:
        by_id = customers.set_index("customer_id")
        # each key's customer row, looked up once for every column (a text index's lookup
        # is the costly part: seconds for the training dates' keys at 5,000,000 customers)
        row = by_id.index.get_indexer(keys["customer_id"])
        everyone = bool((row >= 0).all())

        def of_customer(column: str) -> pd.api.extensions.ExtensionArray:
            values = by_id[column]
            return (values.iloc[row] if everyone else values.reindex(keys["customer_id"])).array

    if with_managers:
        managers = pd.Series(of_customer("account_manager"), index=keys.index)
        left = pd.Series(0, index=keys.index)
        for d in dates:
            at = pd.Timestamp(d)
            gone = staff[
                (staff["left_date"] <= at)
                & (staff["left_date"] > at - pd.Timedelta(days=window_days))
            ]
            on = keys["snapshot"] == at
            left[on] = managers[on].isin(set(gone["account_manager"])).astype(int)
        out["manager_left_window"] = left.astype(int)
    for a in wanted:
        if a not in out.columns:  # a feature of the same name made above stays
            out[a] = of_customer(a)

    frames, start = {}, 0
    for d, ids in zip(dates, active, strict=True):
        part = out.iloc[start : start + len(ids)]
        frames[d] = part.set_axis(pd.Index(ids, name="customer_id"), axis=0)
        start += len(ids)
    return frames


def _engine_features(
    keys: pd.DataFrame,
    spells: pd.DataFrame,
    tables: Mapping[str, pd.DataFrame],
    window_days: int,
    slow_hours: float,
    backend: str,
) -> pd.DataFrame:
    """The features that aggregate dated rows, one row per key (its position), in the order
    of the module docstring."""
    from churnreport.data import engine

    at = keys["snapshot"]
    out = pd.DataFrame(index=keys.index)
    with engine.session(backend) as con:
        k = engine.keys(keys)

        def fetch(expr) -> pd.DataFrame:
            got = con.to_pyarrow(expr).to_pandas(date_as_object=False)
            return got.set_index("row").reindex(keys.index)

        history = fetch(
            engine.spell_history(engine.frame_table(spells, ["customer_id", "spell_start"]), k)
        )
        out["tenure_months"] = (at - history["first_start"]).dt.days / _DAYS_PER_MONTH
        out["returning"] = (history["spells"] > 1).astype(int)

        tx = engine.read(con, tables, "transactions")
        if tx is not None:
            act = fetch(engine.window_activity(tx, k, window_days))
            epoch_day = (at - pd.Timestamp(0)).dt.days
            out["recency_days"] = (epoch_day - act["last"]).astype(float)
            out["purchases_window"] = act["purchases"].fillna(0).astype(int)
            if "spend" in act:
                spend = act["spend"].fillna(0.0).astype(float)
                spend_before = act["spend_before"].fillna(0.0).astype(float)
                out["spend_window"] = spend
                # relative change against the window before (0 without spend before; +300% cap)
                trend = (spend - spend_before) / spend_before.where(spend_before > 0)
                out["spend_trend"] = trend.fillna(0.0).clip(-1.0, 3.0).astype(float)

        rev = tables.get("revenue")
        if rev is not None and len(rev):
            cols = ["customer_id", "start", "end", "mrr"]
            on = fetch(engine.revenue_on(engine.frame_table(rev, cols), k, window_days))
            out["mrr"] = on["mrr"].fillna(0.0).astype(float)
            before = on["mrr_before"].fillna(0.0).astype(float)
            # relative change for customers paying at the window start (new ones: 0)
            out["mrr_change"] = ((out["mrr"] - before) / before.where(before > 0)).fillna(0.0)

        tk = tables.get("tickets")
        if tk is not None and len(tk):
            tickets = _ticket_rows(tk)
            got = fetch(engine.window_tickets(tickets, k, window_days, slow_hours))
            out["tickets_window"] = got["tickets"].fillna(0).astype(int)
            if "complaints" in got:
                out["complaints_window"] = got["complaints"].fillna(0).astype(int)
            if "slow" in got:
                out["slow_responses_window"] = got["slow"].fillna(0).astype(int)
                out["response_hours_mean"] = got["hours_mean"].astype(float)
            if "low_satisfaction" in got:
                out["low_satisfaction_window"] = got["low_satisfaction"].fillna(0).astype(int)
    return out


def _ticket_rows(tickets: pd.DataFrame):
    """The tickets as the engine reads them: a complaint flag, and when the first response
    was given. Which columns exist depends on the table, never on a window: the model trained
    on past dates and the scoring of today see the same features."""
    from churnreport.data import engine

    tk = tickets[["customer_id", "opened_at"]].copy()
    if "category" in tickets:
        tk["complaint"] = is_complaint(tickets["category"]).to_numpy()
    hours = tickets.get("first_response_hours")
    if hours is not None and hours.notna().any():
        tk["first_response_hours"] = hours.astype(float)
        # a response after the snapshot date is not known on it
        tk["answered_at"] = tickets["opened_at"] + pd.to_timedelta(hours, unit="h")
    score = tickets.get("satisfaction")
    if score is not None and score.notna().any():
        tk["satisfaction"] = score.astype(float)
    return engine.frame_table(tk, list(tk.columns))
