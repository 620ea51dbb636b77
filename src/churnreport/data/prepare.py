"""Derive the canonical customer table and activity spells for the three input shapes.

A *spell* is one uninterrupted stretch of being a customer, the half-open day range
``[spell_start, spell_end)``: the customer is active on ``spell_start`` and no longer on
``spell_end`` (the churn date). ``spell_end`` is missing while the spell is still active at
``as_of``. Every churn count in the analysis layer is computed from spells.

- contract: one spell per customer from start_date / end_date, or spells merged from several
  subscription rows (overlapping ones, or ones closer than ``reactivation_gap_days``, join).
- inactivity: a customer is active on day D when it bought in (D - window, D]; a spell ends
  ``window`` days after its last purchase; a purchase after that starts a new spell.
- snapshot: start = as_of - tenure_months; churned customers end on ``as_of``, so they count
  as churned in the report period.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
import pandas as pd

from churnreport.data.engine import connect, purchase_spells, table, to_frame
from churnreport.data.quality import DataQuality, Issue

SPELL_COLUMNS = ["customer_id", "spell_start", "spell_end", "spell_no"]
_FAR = pd.Timestamp("2262-01-01")


def spells_from_intervals(intervals: pd.DataFrame, gap_days: int = 0) -> pd.DataFrame:
    """Merge per-customer intervals into spells.

    Parameters
    ----------
    intervals : DataFrame
        Columns customer_id, start_date, end_date (missing end = still active).
    gap_days : int
        Intervals whose start is at most this many days after the previous end join it.

    Returns
    -------
    DataFrame
        customer_id, spell_start, spell_end, spell_no (1-based per customer).

    Examples
    --------
    >>> iv = pd.DataFrame({"customer_id": ["a", "a"],
    ...     "start_date": pd.to_datetime(["2024-01-01", "2024-01-20"]),
    ...     "end_date": pd.to_datetime(["2024-02-01", "2024-03-01"])})
    >>> spells_from_intervals(iv)[["spell_start", "spell_end"]].astype(str).values.tolist()
    [['2024-01-01', '2024-03-01']]
    """
    iv = intervals[["customer_id", "start_date", "end_date"]].copy()
    iv["end_date"] = iv["end_date"].fillna(_FAR)
    iv = iv.sort_values(["customer_id", "start_date", "end_date"], kind="stable")
    reach = iv.groupby("customer_id", sort=False)["end_date"].cummax()
    prev_reach = reach.groupby(iv["customer_id"], sort=False).shift()
    new_spell = prev_reach.isna() | (iv["start_date"] > prev_reach + pd.Timedelta(days=gap_days))
    spell_key = new_spell.cumsum()
    out = (
        iv.assign(_k=spell_key.values)
        .groupby("_k", sort=False)
        .agg(
            customer_id=("customer_id", "first"),
            spell_start=("start_date", "min"),
            spell_end=("end_date", "max"),
        )
        .reset_index(drop=True)
    )
    out["spell_end"] = out["spell_end"].where(out["spell_end"] < _FAR)
    out["spell_no"] = out.groupby("customer_id", sort=False).cumcount() + 1
    return out[SPELL_COLUMNS]


def spells_from_purchases(
    transactions, window_days: int, engine: str = "duckdb", con=None
) -> pd.DataFrame:
    """Spells of purchase-based customers (the inactivity definition).

    Computed by the engine (``engine.purchase_spells``), so a large transactions table is
    reduced there, not in pandas.

    Parameters
    ----------
    transactions : DataFrame or ibis.Table
        Columns customer_id, date; an Ibis table (the customer-days an engine already holds,
        such as a run's file of them) is reduced on its backend ``con``.
    window_days : int
        Inactivity window N: a customer with no purchase for N days has churned.
    engine : {"duckdb", "spark"}
        Where to compute them from a DataFrame (config ``engine``).
    con : ibis.BaseBackend, optional
        The backend holding ``transactions`` when they are an Ibis table.

    Returns
    -------
    DataFrame
        customer_id, spell_start (first purchase), spell_end (last purchase + N days; the
        caller censors ends after as_of), spell_no.

    Examples
    --------
    Purchases on Jan 1 and Jan 20 with a 30-day window form one spell ending Feb 19; a purchase
    on Mar 1 (on or after the lapse day) starts spell 2:

    >>> tx = pd.DataFrame({"customer_id": ["a"] * 3,
    ...     "date": pd.to_datetime(["2024-01-01", "2024-01-20", "2024-03-01"])})
    >>> spells_from_purchases(tx, 30)[["spell_start", "spell_end", "spell_no"]].astype(str).values.tolist()
    [['2024-01-01', '2024-02-19', '1'], ['2024-03-01', '2024-03-31', '2']]
    """
    import ibis

    if isinstance(transactions, ibis.Table):
        tx = transactions.select("customer_id", "date")
    elif transactions.empty:
        return pd.DataFrame(
            {
                "customer_id": pd.Series(dtype=object),
                "spell_start": pd.Series(dtype="datetime64[ns]"),
                "spell_end": pd.Series(dtype="datetime64[ns]"),
                "spell_no": pd.Series(dtype="int64"),
            }
        )
    else:
        con, tx = connect(engine), table(transactions[["customer_id", "date"]])
    out = to_frame(con, purchase_spells(tx, window_days))
    return out[SPELL_COLUMNS].astype(
        {"spell_start": "datetime64[ns]", "spell_end": "datetime64[ns]"}
    )


def spells_from_snapshot(customers: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Spells derived from tenure and churn flag as of the export date.

    Parameters
    ----------
    customers : DataFrame
        Columns customer_id, tenure_months, churned.
    as_of : date
        The export date of the snapshot.

    Returns
    -------
    DataFrame
        One spell per customer: start = as_of - tenure_months (whole months, then the fraction
        as 30.4375-day months), end = as_of for churned customers, missing otherwise.
    """
    as_of_ts = pd.Timestamp(as_of)
    tenure = customers["tenure_months"].astype(float)
    whole = np.floor(tenure).astype(int)
    frac_days = ((tenure - whole) * 30.4375).round().astype(int)
    start = pd.Series(
        [as_of_ts - pd.DateOffset(months=int(m)) for m in whole.values], index=customers.index
    ) - pd.to_timedelta(frac_days, unit="D")
    end = pd.Series(pd.NaT, index=customers.index, dtype="datetime64[ns]")
    end[customers["churned"].astype(bool).values] = as_of_ts
    return pd.DataFrame(
        {
            "customer_id": customers["customer_id"].values,
            "spell_start": start.values,
            "spell_end": end.values,
            "spell_no": 1,
        }
    )


def censor_at(spells: pd.DataFrame, as_of: dt.date, quality: DataQuality) -> pd.DataFrame:
    """Drop spells starting after ``as_of`` and reopen those ending after it (counted).

    A spell ending on ``as_of + 1`` or later was active through ``as_of``; what happens after
    the report date is not known to the report.
    """
    cut = pd.Timestamp(as_of) + pd.Timedelta(days=1)
    late = spells["spell_start"] >= cut
    quality.add(
        Issue(
            "spells",
            "spell_start",
            "excluded",
            "starts_after_as_of",
            int(late.sum()),
            detail=f"spells starting after the report date {as_of} are left out",
        )
    )
    spells = spells[~late].copy()
    ends_later = spells["spell_end"] >= cut
    quality.add(
        Issue(
            "spells",
            "spell_end",
            "note",
            "ends_after_as_of",
            int(ends_later.sum()),
            detail=f"spells ending after {as_of} count as active on the report date",
        )
    )
    spells.loc[ends_later, "spell_end"] = pd.NaT
    return spells.reset_index(drop=True)


def customer_table(
    customers: pd.DataFrame | None, spells: pd.DataFrame, quality: DataQuality
) -> pd.DataFrame:
    """One row per customer: attributes plus start_date, end_date, churned, spells, derived
    from the spells (first start, last end if the last spell ended).

    Customers listed in the customers source with no spell are counted in the data-quality
    record and kept out (they were never active in the data); spells of ids missing from the
    customers source are kept with empty attributes and counted.
    """
    ordered = spells.sort_values(["customer_id", "spell_start"], kind="stable")
    grouped = ordered.groupby("customer_id", sort=True)
    last = ordered.drop_duplicates("customer_id", keep="last").set_index("customer_id")
    derived = pd.DataFrame(
        {
            "start_date": grouped["spell_start"].min(),
            "end_date": last["spell_end"],
            "spells": grouped.size(),
        }
    )
    derived["churned"] = derived["end_date"].notna()
    derived.index.name = "customer_id"
    derived = derived.reset_index()
    if customers is None:
        return derived
    attrs = customers.drop(
        columns=[c for c in ("start_date", "end_date", "churned") if c in customers.columns]
    )
    no_spell = ~attrs["customer_id"].isin(derived["customer_id"])
    quality.add(
        Issue(
            "customers",
            "customer_id",
            "excluded",
            "no_activity",
            int(no_spell.sum()),
            [(int(r), v) for r, v in attrs.loc[no_spell, "customer_id"].head(5).items()],
            "customers with no subscription or purchase up to the report date",
        )
    )
    orphan = ~derived["customer_id"].isin(attrs["customer_id"])
    quality.add(
        Issue(
            "customers",
            "customer_id",
            "note",
            "activity_without_customer_row",
            int(orphan.sum()),
            detail="ids with activity but no row in the customers source: kept, "
            "with empty attributes",
        )
    )
    out = derived.merge(attrs, on="customer_id", how="left")
    return out


def revenue_intervals(
    customers: pd.DataFrame,
    spells: pd.DataFrame,
    subscriptions: pd.DataFrame | None,
    as_of: dt.date,
    transactions: pd.DataFrame | Callable[[], pd.DataFrame] | None = None,
    window_days: int | None = None,
) -> pd.DataFrame | None:
    """Recurring revenue as intervals: customer_id, start, end (missing = running), mrr.

    ``transactions`` (customer-days) may be given as a function returning them: it is called
    only when they are the revenue, so a file of millions of rows is read only then.

    In order of preference: subscriptions with an ``mrr`` column (cut at the report date); each
    spell carrying the customer's ``monthly_revenue``; for purchase-based churn
    (``window_days`` given), each purchase spread over the inactivity window it keeps the
    customer active for, as a monthly run rate ``amount x 30.4375 / window_days`` over
    ``[date, date + window)``, so a customer's revenue at a date is its spend of the last
    window expressed per month, and it drops to 0 exactly when the customer churns. Without any
    of these there is no recurring revenue (None).
    """

    cut = pd.Timestamp(as_of) + pd.Timedelta(days=1)
    if subscriptions is not None and "mrr" in subscriptions and subscriptions["mrr"].notna().any():
        iv = pd.DataFrame(
            {
                "customer_id": subscriptions["customer_id"].to_numpy(),
                "start": subscriptions["start_date"].to_numpy(),
                "end": subscriptions["end_date"].to_numpy(),
                "mrr": subscriptions["mrr"].fillna(0.0).to_numpy(),
            }
        )
    elif "monthly_revenue" in customers and customers["monthly_revenue"].notna().any():
        rev = customers.set_index("customer_id")["monthly_revenue"].fillna(0.0)
        iv = pd.DataFrame(
            {
                "customer_id": spells["customer_id"].to_numpy(),
                "start": spells["spell_start"].to_numpy(),
                "end": spells["spell_end"].to_numpy(),
                "mrr": spells["customer_id"].map(rev).fillna(0.0).to_numpy(),
            }
        )
    elif window_days and transactions is not None:
        tx = transactions() if callable(transactions) else transactions
        if "amount" not in tx or not tx["amount"].notna().any():
            return None
        tx = tx[tx["amount"].notna()]
        iv = pd.DataFrame(
            {
                "customer_id": tx["customer_id"].to_numpy(),
                "start": tx["date"].to_numpy(),
                "end": (tx["date"] + pd.Timedelta(days=window_days)).to_numpy(),
                "mrr": (tx["amount"] * 30.4375 / window_days).to_numpy(),
            }
        )
    else:
        return None
    iv = iv[iv["start"] < cut].copy()

    iv.loc[iv["end"] >= cut, "end"] = pd.NaT
    return iv.reset_index(drop=True)


def attach_churn_events(
    customers: pd.DataFrame, events: pd.DataFrame, as_of: dt.date, quality: DataQuality
) -> pd.DataFrame:
    """Fill churned customers' stated reason (and churn type) from a churn-events table.

    Each churned customer takes its latest event dated on or before ``as_of``; a reason already
    in the customers source wins. Events after ``as_of`` and events of customers still active
    per their dates are not used; both are counted in the data-quality record.

    Parameters
    ----------
    customers : DataFrame
        The customer table (customer_id, churned, optional churn_reason / churn_type).
    events : DataFrame
        customer_id, churn_date, optional churn_reason, churn_type.
    as_of : date
        The report date.
    quality : DataQuality
        Receives the counts of unused events.

    Returns
    -------
    DataFrame
        ``customers`` with churn_reason / churn_type filled where an event supplies them.
    """
    cutoff = pd.Timestamp(as_of)
    late = events["churn_date"] > cutoff
    quality.add(
        Issue(
            "churn_events",
            "churn_date",
            "note",
            "event_after_report_date",
            int(late.sum()),
            [(int(r), str(v.date())) for r, v in events.loc[late, "churn_date"].head(5).items()],
            "churn events dated after the report date: not used",
        )
    )
    usable = events[~late].sort_values("churn_date", kind="stable")
    latest = usable.drop_duplicates("customer_id", keep="last")
    churned_ids = set(customers.loc[customers["churned"].astype(bool), "customer_id"])
    active = ~latest["customer_id"].isin(churned_ids).to_numpy()

    quality.add(
        Issue(
            "churn_events",
            "customer_id",
            "note",
            "event_for_active_customer",
            int(active.sum()),
            [(int(r), str(i)) for r, i in latest.loc[active, "customer_id"].head(5).items()],
            "customers with a churn event who are active on the report date per their dates "
            "(reactivated, or the dates disagree): their event reason is not used",
            evidence={"customers_with_event": int(len(active)), "active": int(active.sum())},
        )
    )
    latest = latest[~active].set_index("customer_id")
    out = customers.copy()

    churned = out["churned"].astype(bool)
    for column in ("churn_reason", "churn_type"):
        if column not in latest.columns:
            continue
        filled = out["customer_id"].map(latest[column])
        if column in out.columns:
            out[column] = out[column].where(out[column].notna() | ~churned, filled)
        else:
            out[column] = filled.where(churned)
    return out


def note_overlapping_subscriptions(
    subscriptions: pd.DataFrame, as_of: dt.date, quality: DataQuality
) -> None:
    """Count customers holding two or more subscriptions at once on the report date.

    Their recurring revenue is the sum of those subscriptions: right for add-ons, wrong when a
    renewal or a plan change was recorded without ending the subscription it replaced. The
    note's evidence (customers active, customers with overlaps, their subscriptions, the
    summed MRR) feeds the summary's ``overlapping_subscriptions`` data check.

    Parameters
    ----------
    subscriptions : DataFrame
        customer_id, start_date, end_date (missing = running), optional mrr.
    as_of : date
        The report date.
    quality : DataQuality
        Receives the note.
    """
    cut = pd.Timestamp(as_of)
    subs = subscriptions
    running = (subs["start_date"] <= cut) & (subs["end_date"].isna() | (subs["end_date"] > cut))
    held = subs.loc[running, "customer_id"].value_counts()
    several = held[held >= 2]
    if several.empty:
        return
    evidence: dict = {
        "active": int(len(held)),
        "subscriptions": int(several.sum()),
        "most": int(several.max()),
    }
    rows = running & subs["customer_id"].isin(several.index)
    overlapping = subs.loc[rows, "customer_id"]
    if "mrr" in subs and subs["mrr"].notna().any():
        evidence["mrr"] = float(subs.loc[rows, "mrr"].fillna(0.0).sum())
    quality.add(
        Issue(
            "subscriptions",
            "customer_id",
            "note",
            "overlapping_subscriptions",
            int(len(several)),
            [(int(r), str(v)) for r, v in overlapping.head(5).items()],
            "customers holding two or more subscriptions at once on the report date: "
            "their recurring revenue is summed",
            evidence=evidence,
        )
    )


def net_returns(con, days, quality: DataQuality):
    """Cancellations and returns (rows with a negative amount) are not purchases.

    On a day with purchases they are netted into the day's spend; a day with returns only is
    no purchase day (it neither starts nor extends a customer's activity) and is left out; a
    customer whose only lines are returns is not made a customer. Each is counted in the
    data-quality record (return lines netted, return-only days left out with their amount,
    customers with returns only). The counts are computed by the engine holding ``days``.

    Parameters
    ----------
    con : ibis.BaseBackend
        The backend holding ``days``.
    days : ibis.Table
        Customer-days (customer_id, date, purchases, amount, returns), as the engine reduces
        transactions (:func:`churnreport.data.engine.customer_days`); without a ``returns``
        column they are returned as they are.
    quality : DataQuality
        Receives the counts.

    Returns
    -------
    ibis.Table
        The purchase days (purchases >= 1), without the ``returns`` column. The return lines
        left out leave the table's kept rows.
    """
    if "returns" not in days.columns:
        return days
    bought = days.purchases > 0
    per_customer = days.group_by("customer_id").aggregate(bought=days.purchases.max())
    counts = con.execute(
        days.aggregate(
            netted=days.returns.sum(where=bought),
            left_lines=days.returns.sum(where=~bought),
            left_amount=days.amount.sum(where=~bought),
            left_days=(~bought).sum(),
        ).cross_join(per_customer.aggregate(never=(per_customer.bought == 0).sum()))
    )
    n = {k: 0 if pd.isna(v) else v for k, v in counts.iloc[0].items()}  # no rows: null
    left_lines = int(n["left_lines"])
    quality.add(
        Issue(
            "transactions",
            "amount",
            "note",
            "returns_netted",
            int(n["netted"]),
            detail="lines with a negative amount (cancellations, returns) on a day with "
            "purchases: netted into the day's spend, not counted as purchases",
        )
    )
    left_days = int(n["left_days"])
    if left_days:
        quality.add(
            Issue(
                "transactions",
                "amount",
                "excluded",
                "return_only_day",
                left_lines,
                detail="lines with a negative amount on a day without a purchase: no purchase day, "
                "left out of activity and spend",
                evidence={"amount": round(float(n["left_amount"]), 2), "days": left_days},
            )
        )
        if "transactions" in quality.tables:
            quality.tables["transactions"].rows_kept -= left_lines
        quality.add(
            Issue(
                "transactions",
                "customer_id",
                "note",
                "returns_only_customer",
                int(n["never"]),
                detail="customers whose only lines are returns or cancellations: not customers",
            )
        )
    return days.filter(bought).drop("returns")


def drop_duplicate_rows(frame: pd.DataFrame, table: str, quality: DataQuality) -> pd.DataFrame:
    """Rows repeated exactly (every mapped column equal) describe one subscription or ticket
    twice: the copies are excluded and counted, so revenue and complaints are not doubled.

    Parameters
    ----------
    frame : DataFrame
        A conformed table (its index: the file's row numbers).
    table : str
        Its canonical name (subscriptions, tickets, ...).
    quality : DataQuality
        Receives the count, the share of the table and the first copies' row numbers.

    Returns
    -------
    DataFrame
        The table with the first of each set of equal rows.
    """
    copies = frame.duplicated(keep="first")
    if not copies.any():
        return frame
    quality.add(
        Issue(
            table,
            None,
            "excluded",
            "duplicate_row",
            int(copies.sum()),
            [(int(r), str(v)) for r, v in frame.loc[copies, frame.columns[0]].head(5).items()],
            "rows repeated exactly (every column equal): the copies are left out",
            share=float(copies.mean()),
            evidence={"rows": int(len(frame))},
        )
    )
    if table in quality.tables:
        quality.tables[table].rows_kept -= int(copies.sum())
    return frame[~copies]
