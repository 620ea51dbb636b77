"""What churn costs: revenue and profit lost, customer lifetime value, scenarios.

All money figures are in the data's currency. Revenue lost is *annual recurring* revenue:
the monthly revenue of the customers who churned in the report period, times 12 (what the
company will not bill over the next year). The churn basis for lifetime value and scenarios is
the annual equivalent of the mean churn rate over the last year of periods (one period alone is
too noisy to project a lifetime from).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from churnreport.periods import PERIODS_PER_YEAR

SCENARIO_POINTS = (1, 3, 5)


@dataclass(frozen=True)
class ChurnValue:
    """Value of churn in the report period.

    Attributes
    ----------
    period : str
        Report period.
    customers : int
        Customers at the start of the period.
    churned : int
        Customers lost in the period.
    churn_rate : float
        churned / customers.
    arpa : float
        Average monthly revenue per paying account at the period start.
    revenue_lost : float
        Annual recurring revenue lost: churned monthly revenue x 12.
    revenue_lost_per_customer : float
        revenue_lost / churned (the "average revenue" of the cost statement).
    profit_lost : float
        revenue_lost x margin.
    margin : float
        Profit margin used.
    annual_churn_rate : float or None
        1 - (1 - mean period churn over the last year) ^ periods per year; None for snapshots.
    expected_lifetime_years : float or None
        1 / annual_churn_rate.
    monthly_churn_rate : float or None
        1 - (1 - annual_churn_rate)^(1/12), the rate behind ``clv_arpa_method``.
    clv_arpa_method : float or None
        Lifetime revenue: ARPA / monthly churn rate (monthly = 1 - (1 - annual)^(1/12)).
    clv_spend_method : float or None
        Lifetime profit: ARPA x 12 x expected lifetime years x margin.
    scenarios : list of dict
        For 1, 3 and 5 points less annual churn (those not above the annual churn itself):
        points, annual_churn_rate, customers_saved, revenue, profit per year (first-year effect
        on the customers at the period start).

    """

    period: str
    customers: int
    churned: int
    churn_rate: float
    arpa: float
    revenue_lost: float
    revenue_lost_per_customer: float
    profit_lost: float
    margin: float
    annual_churn_rate: float | None = None
    expected_lifetime_years: float | None = None
    monthly_churn_rate: float | None = None
    clv_arpa_method: float | None = None
    clv_spend_method: float | None = None
    scenarios: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        """JSON-ready form (metrics.json ``indicators.value``)."""
        return asdict(self)


def annual_churn_basis(periods: pd.DataFrame, period: str) -> float | None:
    """Annual churn from the mean rate of the last year of periods (None when no rate).

    Examples
    --------
    Twelve months at 2%: 1 - 0.98^12 = 0.2153.

    >>> p = pd.DataFrame({"churn_rate": [0.02] * 12})
    >>> round(annual_churn_basis(p, "month"), 4)
    0.2153
    """
    k = PERIODS_PER_YEAR[period]
    rates = periods["churn_rate"].dropna().tail(k)
    if rates.empty:
        return None
    return float(1 - (1 - rates.mean()) ** k)


def churn_value(
    periods: pd.DataFrame,
    bridge: pd.DataFrame,
    period: str,
    margin: float,
    *,
    snapshot: bool = False,
) -> ChurnValue:
    """Revenue and profit lost, CLV both ways, and what less churn would be worth.

    Parameters
    ----------
    periods : DataFrame
        The period table.
    bridge : DataFrame
        :func:`churnreport.analysis.revenue.mrr_bridge` for the same periods.
    period : {"month", "quarter", "year"}
    margin : float
        Profit margin.
    snapshot : bool
        Snapshot data: the churn rate covers an unknown span, so no lifetime or scenario is
        projected from it.

    Returns
    -------
    ChurnValue
    """
    last, rev = periods.iloc[-1], bridge.iloc[-1]
    customers, churned = int(last["start_customers"]), int(last["churned"])
    arpa = float(rev["arpa"]) if pd.notna(rev["arpa"]) else 0.0
    revenue_lost = float(rev["churned_revenue"]) * 12
    per_customer = revenue_lost / churned if churned else 0.0
    value = dict(
        period=str(last["period"]),
        customers=customers,
        churned=churned,
        churn_rate=float(last["churn_rate"]) if pd.notna(last["churn_rate"]) else float("nan"),
        arpa=arpa,
        revenue_lost=revenue_lost,
        revenue_lost_per_customer=per_customer,
        profit_lost=revenue_lost * margin,
        margin=margin,
    )
    annual = None if snapshot else annual_churn_basis(periods, period)
    if annual is None or annual <= 0:
        return ChurnValue(**value, annual_churn_rate=annual)
    monthly = 1 - (1 - annual) ** (1 / 12)
    years = 1 / annual
    scenarios = []
    for pts in SCENARIO_POINTS:
        cut = pts / 100
        if cut > annual:  # cannot cut more churn than there is
            break
        saved = customers * cut

        scenarios.append(
            {
                "points": pts,
                "annual_churn_rate": annual - cut,
                "customers_saved": saved,
                "revenue": saved * arpa * 12,
                "profit": saved * arpa * 12 * margin,
            }
        )
    return ChurnValue(
        **value,
        annual_churn_rate=annual,
        expected_lifetime_years=years,
        monthly_churn_rate=monthly,
        clv_arpa_method=arpa / monthly if monthly > 0 else float(np.inf),
        clv_spend_method=arpa * 12 * years * margin,
        scenarios=scenarios,
    )
