"""Customer churn indicators per period (the start-set method, DOMAIN.md sections 2-3).

For a period ``[ps, pe)`` and spells ``[start, end)``:

- start_customers: spells active at the period start, ``start < ps <= end`` (or end missing);
- new: first spells of customers starting in the period, ``ps <= start < pe``;
- reactivated: later spells (a customer returning after a lapse) starting in the period;
- new_and_lost: spells starting in the period (new or reactivated) that also end in it
  (reported apart, outside the rate);
- churned: spells of the starting set ending in the period, ``start < ps <= end < pe``;
- end_customers: spells active at the next period's start;
  ``end = start + new + reactivated - new_and_lost - churned``;
- churn_rate = churned / start_customers, with a 95% Wilson score interval;
  retention_rate = 1 - churn_rate; annualised_churn_rate = 1 - (1 - churn_rate)^k for k
  periods a year.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm

from churnreport.data.keys import is_among
from churnreport.periods import PERIODS_PER_YEAR, complete_periods, period_label, to_period

PERIOD_COLUMNS = [
    "period",
    "period_start",
    "period_end",
    "start_customers",
    "new",
    "reactivated",
    "new_and_lost",
    "churned",
    "end_customers",
    "churn_rate",
    "ci_low",
    "ci_high",
    "retention_rate",
    "annualised_churn_rate",
]


def holm_adjusted(p_values) -> np.ndarray:
    """Holm's step-down adjusted p-values (family-wise error across the tests).

    The i-th smallest of n p-values becomes ``max over j <= i of (n - j + 1) p_(j)``, at most
    1: what ``statsmodels.stats.multitest.multipletests(p, method="holm")[1]`` returns, which
    statsmodels 0.15 follows with a full garbage collection on every call (0.1 s or more in a
    notebook's process; a report makes a dozen calls).

    Parameters
    ----------
    p_values : array-like of float
        No missing values.

    Returns
    -------
    ndarray
        Adjusted p-values, in the input order.

    Examples
    --------
    p = 0.01, 0.04, 0.03 (n = 3): sorted 0.01 x 3 = 0.03, 0.03 x 2 = 0.06, 0.04 x 1 = 0.04
    -> running max 0.03, 0.06, 0.06:

    >>> holm_adjusted([0.01, 0.04, 0.03]).round(4).tolist()
    [0.03, 0.06, 0.06]
    """
    p = np.asarray(p_values, dtype=float)
    order = np.argsort(p)
    steps = p[order] * np.arange(len(p), 0, -1)
    out = np.empty_like(p)
    out[order] = np.minimum(np.maximum.accumulate(steps), 1.0)
    return out


def wilson_interval(
    successes: np.ndarray | int, trials: np.ndarray | int, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a binomial proportion.

    Parameters
    ----------
    successes, trials : int or array of int
        Events (e.g. churned customers) and trials (customers at risk).
    confidence : float
        Two-sided confidence level.

    Returns
    -------
    (low, high) : arrays of float
        NaN where ``trials`` is 0.

    Examples
    --------
    10 churned out of 100 (z = 1.96): centre (0.1 + 1.92/100) / 1.0384 = 0.11480,
    half-width 1.96 * sqrt(0.0009 + 0.000096) / 1.0384 = 0.05957:

    >>> lo, hi = wilson_interval(10, 100)
    >>> round(float(lo), 4), round(float(hi), 4)
    (0.0552, 0.1744)
    """
    k = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    z = norm.ppf(0.5 + confidence / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        denom = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
        low = np.clip(centre - half, 0.0, 1.0)
        high = np.clip(centre + half, 0.0, 1.0)
    low = np.where(n > 0, low, np.nan)
    high = np.where(n > 0, high, np.nan)
    return low, high


def period_table(
    spells: pd.DataFrame,
    period: str,
    as_of: dt.date,
    first_day: dt.date | None = None,
) -> pd.DataFrame:
    """Customer counts and churn rate per complete period up to ``as_of``.

    Parameters
    ----------
    spells : DataFrame
        customer_id, spell_start, spell_end (missing = active), as built by the data layer.
    period : {"month", "quarter", "year"}
    as_of : date
        The report date; the last row is the last period complete on it.
    first_day : date, optional
        First period to show; default the period of the earliest spell start.

    Returns
    -------
    DataFrame
        One row per period with the columns of :data:`PERIOD_COLUMNS`.
    """
    starts = np.sort(spells["spell_start"].to_numpy(dtype="datetime64[ns]"))
    ends_all = spells["spell_end"].to_numpy(dtype="datetime64[ns]")
    ends = np.sort(ends_all[~np.isnat(ends_all)])
    first = first_day or pd.Timestamp(starts.min()).date()
    periods = complete_periods(first, as_of, period)
    ps = periods.start_time.normalize().to_numpy(dtype="datetime64[ns]")
    pe = (periods + 1).start_time.normalize().to_numpy(dtype="datetime64[ns]")

    def before(sorted_values: np.ndarray, bounds: np.ndarray) -> np.ndarray:
        return np.searchsorted(sorted_values, bounds, side="left")

    start_customers = before(starts, ps) - before(ends, ps)
    end_customers = before(starts, pe) - before(ends, pe)
    started = before(starts, pe) - before(starts, ps)
    returns = np.sort(spells.loc[spells["spell_no"] > 1, "spell_start"].to_numpy("datetime64[ns]"))
    reactivated = before(returns, pe) - before(returns, ps)
    new = started - reactivated
    ended_in = before(ends, pe) - before(ends, ps)

    # new_and_lost: spells whose start and end fall in the same period
    has_end = ~np.isnat(ends_all)
    s_idx = _period_index(spells["spell_start"].to_numpy(dtype="datetime64[ns]")[has_end], ps, pe)
    e_idx = _period_index(ends_all[has_end], ps, pe)
    same = (s_idx == e_idx) & (s_idx >= 0)
    new_and_lost = np.bincount(s_idx[same], minlength=len(periods))
    churned = ended_in - new_and_lost

    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(start_customers > 0, churned / start_customers, np.nan)
    low, high = wilson_interval(churned, start_customers)
    return pd.DataFrame(
        {
            "period": [period_label(p) for p in periods],
            "period_start": pd.to_datetime(ps).date,
            "period_end": (pd.to_datetime(pe) - pd.Timedelta(days=1)).date,
            "start_customers": start_customers.astype(int),
            "new": new.astype(int),
            "reactivated": reactivated.astype(int),
            "new_and_lost": new_and_lost.astype(int),
            "churned": churned.astype(int),
            "end_customers": end_customers.astype(int),
            "churn_rate": rate,
            "ci_low": low,
            "ci_high": high,
            "retention_rate": 1 - rate,
            "annualised_churn_rate": annualise(rate, period),
        },
        columns=PERIOD_COLUMNS,
    )


def annualise(rate: np.ndarray | float, period: str) -> np.ndarray | float:
    """Annual equivalent of a per-period churn rate: ``1 - (1 - rate) ** periods_per_year``.

    Examples
    --------
    >>> round(float(annualise(0.02, "month")), 4)   # 1 - 0.98^12
    0.2153
    """
    return 1 - (1 - np.asarray(rate, dtype=float)) ** PERIODS_PER_YEAR[period]


def _period_index(days: np.ndarray, ps: np.ndarray, pe: np.ndarray) -> np.ndarray:
    """Index of the period containing each day, -1 outside all periods."""
    idx = np.searchsorted(ps, days, side="right") - 1
    inside = (idx >= 0) & (days < pe[np.clip(idx, 0, len(pe) - 1)])
    return np.where(inside, idx, -1)


@dataclass(frozen=True)
class OverallChurn:
    """Headline churn of the report period.

    Attributes
    ----------
    period : str
        Report period label.
    customers : int
        Customers at risk: active at the period start, or all customers of a snapshot.
    churned : int
        Churned among them.
    churn_rate, ci_low, ci_high, retention_rate : float
        Rate with its 95% Wilson interval, and 1 - rate.
    basis : str
        ``start_set`` or ``snapshot``.
    """

    period: str
    customers: int
    churned: int
    churn_rate: float
    ci_low: float
    ci_high: float
    retention_rate: float
    basis: str

    def to_dict(self) -> dict:
        """JSON-ready form (metrics.json ``indicators.overall``)."""
        return asdict(self)


def overall_churn(
    periods: pd.DataFrame, customers: pd.DataFrame | None = None, *, snapshot: bool = False
) -> OverallChurn:
    """Headline churn for the report period.

    Parameters
    ----------
    periods : DataFrame
        Output of :func:`period_table`; its last row is the report period.
    customers : DataFrame, optional
        The customer table; needed for snapshot data.
    snapshot : bool
        Snapshot convention: churned / all customers in the export; the period is the one
        containing the export date.

    Returns
    -------
    OverallChurn
    """
    if snapshot:
        n = len(customers)
        k = int(customers["churned"].sum())
        label, basis = periods.iloc[-1]["period"], "snapshot"
    else:
        last = periods.iloc[-1]
        n, k, label, basis = (
            int(last["start_customers"]),
            int(last["churned"]),
            last["period"],
            "start_set",
        )
    rate = k / n if n else float("nan")
    low, high = wilson_interval(k, n)
    return OverallChurn(label, n, k, rate, float(low), float(high), 1 - rate, basis)


@dataclass(frozen=True)
class Indicators:
    """Customer indicators of a run.

    Attributes
    ----------
    periods : DataFrame
        :func:`period_table` output; for snapshot data only the snapshot's period, since a
        snapshot holds no history of churn before its export date.
    overall : OverallChurn
        The report period's headline.
    snapshot : bool
        Whether the snapshot convention was used.
    """

    periods: pd.DataFrame
    overall: OverallChurn
    snapshot: bool


def churn_indicators(
    spells: pd.DataFrame,
    customers: pd.DataFrame,
    period: str,
    as_of: dt.date,
    definition: str,
    first_day: dt.date | None = None,
) -> Indicators:
    """Period table and headline churn for a churn definition.

    Parameters
    ----------
    spells, customers : DataFrame
        Canonical spells and customer table.
    period : {"month", "quarter", "year"}
    as_of : date
        Report date.
    definition : {"contract", "inactivity", "snapshot"}
    first_day : date, optional
        The first observed day (a purchase history's censored start left out).

    Returns
    -------
    Indicators
    """
    snapshot = definition == "snapshot"
    if snapshot:
        # the export's own period, complete or not: nothing happens after the export date
        end = to_period(as_of, period).end_time.normalize().date()
        periods = _as_snapshot(period_table(spells, period, end, first_day=as_of), customers)
    else:
        periods = period_table(spells, period, as_of, first_day=first_day)
    return Indicators(periods, overall_churn(periods, customers, snapshot=snapshot), snapshot)


def _as_snapshot(periods: pd.DataFrame, customers: pd.DataFrame) -> pd.DataFrame:
    """A snapshot's one row with the snapshot convention: every customer in the export is in
    the base and every churned one is lost (the headline's figures), since the export says
    nothing about when they joined or left; no joiners, reactivations or annual rate."""
    n, k = len(customers), int(customers["churned"].sum())
    low, high = wilson_interval(np.array([k]), np.array([n]))
    rate = k / n if n else float("nan")
    row = periods.iloc[[-1]].copy()
    row[["start_customers", "churned", "end_customers"]] = [n, k, n - k]
    row[["new", "reactivated", "new_and_lost"]] = 0
    row[["churn_rate", "ci_low", "ci_high", "retention_rate", "annualised_churn_rate"]] = [
        rate, float(low[0]), float(high[0]), 1 - rate, float("nan")
    ]  # fmt: skip
    return row.reset_index(drop=True)


def _ended_in(spells: pd.DataFrame, periods: pd.DataFrame) -> pd.DataFrame:
    """Spells of each period's starting set that end in it: customer_id and period label."""
    ps = pd.to_datetime(periods["period_start"]).to_numpy("datetime64[ns]")
    pe = (pd.to_datetime(periods["period_end"]) + pd.Timedelta(days=1)).to_numpy("datetime64[ns]")
    ended = spells[spells["spell_end"].notna()]
    e_idx = _period_index(ended["spell_end"].to_numpy("datetime64[ns]"), ps, pe)
    s_idx = _period_index(ended["spell_start"].to_numpy("datetime64[ns]"), ps, pe)
    keep = (e_idx >= 0) & (s_idx != e_idx)  # not new-and-lost
    labels = periods["period"].to_numpy()
    return pd.DataFrame(
        {"customer_id": ended["customer_id"].to_numpy()[keep], "period": labels[e_idx[keep]]}
    )


def churn_type_split(
    spells: pd.DataFrame, customers: pd.DataFrame, periods: pd.DataFrame
) -> pd.DataFrame | None:
    """Voluntary vs involuntary churn per period, when ``churn_type`` is known.

    Parameters
    ----------
    spells, customers : DataFrame
        Canonical spells and customer table (``churn_type``: voluntary / involuntary; other
        or missing values count as unknown).
    periods : DataFrame
        The period table.

    Returns
    -------
    DataFrame or None
        period, churned_voluntary, churned_involuntary, churned_type_unknown,
        voluntary_churn_rate, involuntary_churn_rate (each / start_customers); None when the
        customer table has no churn_type.
    """
    if "churn_type" not in customers or customers["churn_type"].isna().all():
        return None
    kind = customers.set_index("customer_id")["churn_type"].astype("string").str.lower()
    ended = _ended_in(spells, periods)
    ended["kind"] = ended["customer_id"].map(kind)
    counts = (
        pd.crosstab(ended["period"], ended["kind"].fillna("unknown"))
        .reindex(index=periods["period"], columns=["voluntary", "involuntary"], fill_value=0)
        .fillna(0)
    )
    out = pd.DataFrame({"period": periods["period"].to_numpy()})
    out["churned_voluntary"] = counts["voluntary"].to_numpy(dtype=int)
    out["churned_involuntary"] = counts["involuntary"].to_numpy(dtype=int)

    total = periods["churned"].to_numpy()
    out["churned_type_unknown"] = total - out["churned_voluntary"] - out["churned_involuntary"]
    n = periods["start_customers"].where(periods["start_customers"] > 0).to_numpy()
    out["voluntary_churn_rate"] = out["churned_voluntary"] / n
    out["involuntary_churn_rate"] = out["churned_involuntary"] / n
    return out


def referral_rates(
    spells: pd.DataFrame, customers: pd.DataFrame, periods: pd.DataFrame
) -> pd.DataFrame | None:
    """Share of each period's new customers who came by referral, when ``referred_by`` exists.

    Returns
    -------
    DataFrame or None
        period, new_referred, referral_rate (new customers with a referrer / new customers);
        None when the customer table has no referred_by column.
    """
    if "referred_by" not in customers or customers["referred_by"].isna().all():
        return None
    referred = customers.loc[customers["referred_by"].notna(), "customer_id"]
    ps = pd.to_datetime(periods["period_start"]).to_numpy("datetime64[ns]")
    pe = (pd.to_datetime(periods["period_end"]) + pd.Timedelta(days=1)).to_numpy("datetime64[ns]")
    first = spells[spells["spell_no"] == 1]
    idx = _period_index(first["spell_start"].to_numpy("datetime64[ns]"), ps, pe)
    is_ref = is_among(first["customer_id"], referred)
    ok = idx >= 0
    new_ref = np.bincount(idx[ok & is_ref], minlength=len(periods))
    new = periods["new"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(new > 0, new_ref / np.maximum(new, 1), np.nan)
    return pd.DataFrame(
        {"period": periods["period"].to_numpy(), "new_referred": new_ref, "referral_rate": rate}
    )
