"""Cohort retention: customers grouped by the period they first joined, followed over time."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from churnreport.periods import complete_periods, period_label, to_period, to_periods


def cohort_retention(
    spells: pd.DataFrame,
    period: str,
    as_of: dt.date,
    max_age: int | None = None,
    first_day: dt.date | None = None,
) -> pd.DataFrame:
    """Share of each joining cohort still active k periods later.

    Parameters
    ----------
    spells : DataFrame
        customer_id, spell_start, spell_end (missing = active).
    period : {"month", "quarter", "year"}
    as_of : date
        Report date; only complete periods are observed.
    max_age : int, optional
        Largest k shown (default: all observed).
    first_day : date, optional
        The first observed day of a purchase history: earlier cohorts, which hold every
        customer already buying when the data begin, are left out.

    Returns
    -------
    DataFrame
        Index: cohort label; columns: ``size`` then k = 0, 1, 2, ... Cell (c, k) is the share of
        the customers whose first spell started in period c who are active at the end of period
        c + k (any spell: a customer who came back counts as retained). Cells not yet observed on
        ``as_of`` are missing.
    """
    first = spells.groupby("customer_id")["spell_start"].min()
    periods = complete_periods(first.min(), as_of, period)
    if len(periods) == 0:
        return pd.DataFrame()
    cohort = to_periods(first, period)
    in_range = cohort <= periods[-1]
    if first_day is not None:
        observed = periods[periods >= to_period(first_day, period)]
        periods = observed if len(observed) else periods[-1:]
        in_range &= cohort >= periods[0]
    first, cohort = first[in_range], cohort[in_range]
    cohort_i = periods.get_indexer(cohort)
    n_periods = len(periods)
    ages = n_periods if max_age is None else min(max_age + 1, n_periods)
    # active at the end of period j = active at the start of period j + 1
    ends = (periods + 1).start_time.normalize()
    # each spell's customer among the cohorts' (-1: not in one); one hash lookup per spell
    codes = pd.Index(first.index).get_indexer(spells["customer_id"])
    kept = codes >= 0
    cust_codes = codes[kept]
    start = spells["spell_start"].to_numpy("datetime64[ns]")[kept]
    end = spells["spell_end"].to_numpy("datetime64[ns]")[kept]
    open_ = np.isnat(end)
    active = np.zeros((len(first), n_periods), dtype=bool)
    for j, b in enumerate(ends.to_numpy("datetime64[ns]")):
        on = (start < b) & (open_ | (end >= b))
        active[cust_codes[on], j] = True  # set once per active spell: a customer's are one
    size = np.bincount(cohort_i, minlength=n_periods)
    matrix = np.full((n_periods, ages), np.nan)
    for k in range(ages):
        j = cohort_i + k
        ok = j < n_periods
        kept = np.bincount(
            cohort_i[ok], weights=active[np.flatnonzero(ok), j[ok]], minlength=n_periods
        )
        observed = np.arange(n_periods) + k < n_periods
        with np.errstate(invalid="ignore", divide="ignore"):
            matrix[:, k] = np.where(observed & (size > 0), kept / size, np.nan)
    out = pd.DataFrame(matrix, index=[period_label(p) for p in periods], columns=range(ages))
    out.insert(0, "size", size)
    out.index.name = "cohort"
    return out[out["size"] > 0]
