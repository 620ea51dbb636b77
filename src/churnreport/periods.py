"""Calendar periods (month, quarter, year) shared by every layer.

A period is a half-open day range ``[start, next start)``; its ``end`` is the last day in it.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

FREQ = {"month": "M", "quarter": "Q", "year": "Y"}
PERIODS_PER_YEAR = {"month": 12, "quarter": 4, "year": 1}

#: Fewest periods a trend is drawn or described over (fewer: a note says the history is short).
MIN_TREND_PERIODS = 3


def to_period(day: dt.date | pd.Timestamp, period: str) -> pd.Period:
    """The period containing ``day``."""
    return pd.Timestamp(day).to_period(FREQ[period])


def to_periods(days: pd.Series, period: str) -> pd.Series:
    """The period containing each day, for all days at once (a missing day has a missing
    period, which no period compares equal, before or after).

    Parameters
    ----------
    days : Series
        Dates (datetime64, or dates and text that ``pandas.to_datetime`` reads).
    period : {"month", "quarter", "year"}
        Calendar period.

    Returns
    -------
    Series
        Periods, same index.
    """
    return pd.to_datetime(days).dt.to_period(FREQ[period])


def period_label(p: pd.Period) -> str:
    """Stable text label: ``2024-06``, ``2024Q2`` or ``2024``."""
    return str(p)


def last_complete_period_end(day: dt.date | pd.Timestamp, period: str) -> dt.date:
    """End (last day) of the last period that is complete on ``day``.

    Examples
    --------
    >>> last_complete_period_end(dt.date(2024, 6, 30), "month")
    datetime.date(2024, 6, 30)
    >>> last_complete_period_end(dt.date(2024, 6, 29), "month")
    datetime.date(2024, 5, 31)
    """
    p = to_period(day, period)
    end = p.end_time.normalize()
    if pd.Timestamp(day).normalize() == end:
        return end.date()
    return (p - 1).end_time.normalize().date()


def complete_periods(first_day, as_of, period: str) -> pd.PeriodIndex:
    """Complete periods from the one containing ``first_day`` up to ``as_of`` inclusive.

    The period containing ``as_of`` is included only when ``as_of`` is its last day.
    """
    last_end = last_complete_period_end(as_of, period)
    first = to_period(first_day, period)
    last = to_period(last_end, period)
    if last < first:
        return pd.period_range(last, last, freq=FREQ[period])
    return pd.period_range(first, last, freq=FREQ[period])


def observed_from(first_activity: dt.date, window_days: int, period: str) -> dt.date:
    """The first day of the first period whose churn a purchase history fully shows.

    Under the inactivity definition a customer active on a day is one who bought in the
    ``window_days`` before it: before ``first_activity + window_days`` the history cannot tell
    who was active (customers who last bought before the data began are invisible), so the
    first periods would show every customer as new and nobody lost. Counting starts with the
    first period that begins on or after that day.

    Parameters
    ----------
    first_activity : date
        The first purchase in the data.
    window_days : int
        The inactivity window.
    period : {"month", "quarter", "year"}

    Returns
    -------
    date

    Examples
    --------
    >>> observed_from(dt.date(2024, 1, 5), 90, "month")
    datetime.date(2024, 5, 1)
    >>> observed_from(dt.date(2024, 1, 1), 90, "month")
    datetime.date(2024, 4, 1)
    """
    ready = first_activity + dt.timedelta(days=window_days)
    p = to_period(ready, period)
    start = p.start_time.date()
    return start if start >= ready else (p + 1).start_time.date()
