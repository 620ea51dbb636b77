"""The report period's churn rate under the conventions users meet in other tools.

Billing and analytics tools disagree on the denominator; this table computes each from the same
spells so a user can match our number to theirs.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd


def churn_conventions(
    report: pd.Series, spells: pd.DataFrame, as_of: dt.date, daily: bool = True
) -> pd.DataFrame:
    """Churn rate of the report period under common conventions.

    Parameters
    ----------
    report : Series
        The report period's row of the period table.
    spells : DataFrame
        Spells (for the rolling 30-day rate).
    as_of : date
        Report date.
    daily : bool
        Whether the data carry daily dates (snapshot exports do not: no rolling rate).

    Returns
    -------
    DataFrame
        convention, churned, denominator, churn_rate. Conventions:

        - start_set: churned / customers at the start (ours);
        - all_joiners: (churned + new_and_lost) / (start + new + reactivated) — everyone who
          was a customer at any time in the period;
        - excluding_join_and_leave: churned / (start + new + reactivated - new_and_lost);
        - average_customers: churned / ((start + end) / 2);
        - rolling_30_days: customers active 30 days before the report date who left within
          those 30 days / customers active then.
    """
    start, end = int(report["start_customers"]), int(report["end_customers"])
    joined = int(report["new"]) + int(report.get("reactivated", 0))
    nal, churned = int(report["new_and_lost"]), int(report["churned"])
    rows = [
        ("start_set", churned, start),
        ("all_joiners", churned + nal, start + joined),
        ("excluding_join_and_leave", churned, start + joined - nal),
        ("average_customers", churned, (start + end) / 2),
    ]
    if daily:
        b = pd.Timestamp(as_of) + pd.Timedelta(days=1) - pd.Timedelta(days=30)
        cut = pd.Timestamp(as_of) + pd.Timedelta(days=1)
        end_ = spells["spell_end"]
        active = (spells["spell_start"] < b) & (end_.isna() | (end_ >= b))
        left = active & end_.notna() & (end_ < cut)
        rows.append(("rolling_30_days", int(left.sum()), int(active.sum())))
    out = pd.DataFrame(rows, columns=["convention", "churned", "denominator"])
    out["churn_rate"] = out["churned"] / out["denominator"].where(out["denominator"] > 0)
    return out
