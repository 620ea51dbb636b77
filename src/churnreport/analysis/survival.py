"""Customer lifetime: Kaplan-Meier retention curve, median lifetime, restricted mean lifetime.

Lifetime is measured on each customer's first spell, in months (days / 30.4375), from its
start to its churn date; customers still active on the report date are censored there. For
snapshot exports this is tenure with the churn flag as the event, which is what such data can
tell about lifetimes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter
from lifelines.utils import restricted_mean_survival_time

DAYS_PER_MONTH = 30.4375
MAX_RMST_HORIZON_MONTHS = 60


def lifetimes(spells: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Duration (months) and event (churned) of each customer's first spell."""

    first = spells.sort_values("spell_start").drop_duplicates("customer_id")
    stop = first["spell_end"].fillna(pd.Timestamp(as_of))
    days = (stop - first["spell_start"]).dt.days.clip(lower=0)
    return pd.DataFrame(
        {
            "customer_id": first["customer_id"].to_numpy(),
            "duration_months": (days / DAYS_PER_MONTH).to_numpy(),
            "churned": first["spell_end"].notna().to_numpy(),
        }
    )


@dataclass(frozen=True)
class Survival:
    """Kaplan-Meier retention of customers over their lifetime.

    Attributes
    ----------
    curve : DataFrame
        months, retention, ci_low, ci_high (95% pointwise interval).
    median_lifetime_months : float or None
        First time the curve falls to 50% or below; None when it never does in the data.
    rmst_months : float
        Restricted mean lifetime: area under the curve up to ``horizon_months``.
    horizon_months : float
        RMST horizon (the longest observed lifetime, at most 60 months).
    customers, churned : int
        Customers in the estimate and observed churn events.
    """

    curve: pd.DataFrame
    median_lifetime_months: float | None
    rmst_months: float
    horizon_months: float
    customers: int
    churned: int

    def retention_at(self, months: float) -> float | None:
        """Share still customers ``months`` after joining; None beyond the longest observed
        lifetime (the curve says nothing there).

        Examples
        --------
        >>> life = pd.DataFrame({"duration_months": [2.0, 5.0, 14.0], "churned": [1, 0, 0]})
        >>> s = retention_curve(life)
        >>> round(s.retention_at(12), 3), s.retention_at(15)
        (0.667, None)
        """
        c = self.curve
        if c.empty or c["months"].max() < months:
            return None
        return float(c.loc[c["months"] <= months, "retention"].iloc[-1])

    def to_dict(self) -> dict:
        """JSON-ready summary (metrics.json ``indicators.survival``), without the curve."""
        return {
            "median_lifetime_months": self.median_lifetime_months,
            "rmst_months": self.rmst_months,
            "horizon_months": self.horizon_months,
            "customers": self.customers,
            "churned": self.churned,
        }


def retention_curve(life: pd.DataFrame, horizon: float | None = None) -> Survival:
    """Fit Kaplan-Meier to lifetimes (see :func:`lifetimes`).

    Parameters
    ----------
    life : DataFrame
        duration_months, churned.
    horizon : float, optional
        RMST horizon in months; default the longest observed lifetime, at most 60.


    Returns
    -------
    Survival
    """
    kmf = KaplanMeierFitter(label="retention").fit(
        life["duration_months"], event_observed=life["churned"]
    )
    ci = kmf.confidence_interval_
    curve = pd.DataFrame(
        {
            "months": kmf.survival_function_.index.to_numpy(dtype=float),
            "retention": kmf.survival_function_.iloc[:, 0].to_numpy(),
            "ci_low": ci.iloc[:, 0].to_numpy(),
            "ci_high": ci.iloc[:, 1].to_numpy(),
        }
    )
    median = float(kmf.median_survival_time_)
    if horizon is None:
        horizon = float(min(np.floor(life["duration_months"].max()), MAX_RMST_HORIZON_MONTHS))

    rmst = float(restricted_mean_survival_time(kmf, t=horizon)) if horizon > 0 else 0.0
    return Survival(
        curve=curve,
        median_lifetime_months=median if np.isfinite(median) else None,
        rmst_months=rmst,
        horizon_months=horizon,
        customers=len(life),
        churned=int(life["churned"].sum()),
    )
