"""Lifecycle states per period (the PostHog definitions) and the transitions between periods.

A customer is *active* in a period when it was a customer on at least one day of it. Then, per
period: **new** (active for the first time), **returning** (active in this and the previous
period), **resurrecting** (active now, not in the previous period, but before: reactivated),
**dormant** (active in the previous period, not in this one: lost).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def activity_matrix(spells: pd.DataFrame, periods: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(customer ids, customers x periods boolean matrix of activity)."""
    ps = pd.to_datetime(periods["period_start"]).to_numpy("datetime64[ns]")
    pe = (pd.to_datetime(periods["period_end"]) + pd.Timedelta(days=1)).to_numpy("datetime64[ns]")
    codes, ids = pd.factorize(spells["customer_id"])
    start = spells["spell_start"].to_numpy("datetime64[ns]")
    end = spells["spell_end"].to_numpy("datetime64[ns]")
    open_ = np.isnat(end)
    active = np.zeros((len(ids), len(periods)), dtype=bool)
    for j in range(len(periods)):
        on = (start < pe[j]) & (open_ | (end > ps[j]))
        active[codes[on], j] = True
    return np.asarray(ids), active


def lifecycle_states(spells: pd.DataFrame, periods: pd.DataFrame) -> pd.DataFrame:
    """Counts of new, returning, resurrecting and dormant customers per period.

    Returns
    -------
    DataFrame
        period, new, returning, resurrecting, dormant, active (= new + returning +
        resurrecting).
    """
    _, a = activity_matrix(spells, periods)
    prev = np.zeros_like(a)
    prev[:, 1:] = a[:, :-1]
    ever_before = np.zeros_like(a)
    ever_before[:, 1:] = np.logical_or.accumulate(a, axis=1)[:, :-1]
    out = pd.DataFrame({"period": periods["period"].to_numpy()})
    out["new"] = (a & ~ever_before).sum(axis=0)
    out["returning"] = (a & prev).sum(axis=0)
    out["resurrecting"] = (a & ~prev & ever_before).sum(axis=0)
    out["dormant"] = (~a & prev).sum(axis=0)
    out["active"] = a.sum(axis=0)
    return out


def state_transitions(spells: pd.DataFrame, periods: pd.DataFrame) -> pd.DataFrame:
    """Customers by state in the second-to-last period (rows) and the last period (columns).

    States per customer and period: new, returning, resurrecting, dormant (left in this period),
    inactive (gone before), not_yet (not a customer yet).
    """
    _, a = activity_matrix(spells, periods)
    if a.shape[1] < 3:
        return pd.DataFrame()

    def state(j: int) -> np.ndarray:
        prev = a[:, j - 1] if j > 0 else np.zeros(len(a), dtype=bool)
        before = a[:, :j].any(axis=1) if j > 0 else np.zeros(len(a), dtype=bool)
        now = a[:, j]
        return np.select(
            [now & ~before, now & prev, now & ~prev & before, ~now & prev, ~now & before],
            ["new", "returning", "resurrecting", "dormant", "inactive"],
            default="not_yet",
        )

    last = a.shape[1] - 1
    tab = pd.crosstab(pd.Series(state(last - 1), name="from"), pd.Series(state(last), name="to"))
    return tab
