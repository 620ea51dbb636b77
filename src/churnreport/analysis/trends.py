"""Trends in the churn rate: change vs the previous period and vs a year earlier, with tests.

A change is flagged only when a two-proportion z-test (pooled, two-sided) gives p < alpha:
month-to-month wiggles inside the noise are not news.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportions_ztest

from churnreport.periods import PERIODS_PER_YEAR


def two_proportion_p(k1: int, n1: int, k2: int, n2: int) -> float:
    """Two-sided p-value of the pooled two-proportion z-test; NaN when it is undefined.

    Examples
    --------
    30 of 1000 vs 20 of 1000: pooled p = 0.025, se = sqrt(0.025 * 0.975 * 2 / 1000) = 0.006982,
    z = 0.01 / 0.006982 = 1.4322, p = 0.152:

    >>> round(two_proportion_p(30, 1000, 20, 1000), 3)
    0.152
    """
    if min(n1, n2) <= 0 or (k1 + k2) in (0, n1 + n2):
        return float("nan")
    _, p = proportions_ztest([k1, k2], [n1, n2])
    return float(p)


def period_changes(periods: pd.DataFrame, period: str, alpha: float = 0.05) -> pd.DataFrame:
    """Each period's churn rate against the previous period and the same period a year before.

    Parameters
    ----------
    periods : DataFrame
        :func:`churnreport.analysis.period_table` output (consecutive periods).
    period : {"month", "quarter", "year"}
    alpha : float
        Significance level for flagging a change.

    Returns
    -------
    DataFrame
        period, churn_rate, rolling_churn_rate (mean of the last three periods with a rate),
        change_vs_previous (rate difference), p_vs_previous, significant_vs_previous,
        change_vs_year_ago, p_vs_year_ago, significant_vs_year_ago. Comparisons that cannot be
        made (no earlier period, no customers at risk) are missing and not significant.
    """
    lag_year = PERIODS_PER_YEAR[period]
    out = pd.DataFrame({"period": periods["period"], "churn_rate": periods["churn_rate"]})
    out["rolling_churn_rate"] = periods["churn_rate"].rolling(3, min_periods=3).mean()
    k = periods["churned"].to_numpy()
    n = periods["start_customers"].to_numpy()
    rate = periods["churn_rate"].to_numpy(dtype=float)
    for name, lag in (("previous", 1), ("year_ago", lag_year)):
        change = np.full(len(periods), np.nan)
        pval = np.full(len(periods), np.nan)
        if lag < len(periods):
            change[lag:] = rate[lag:] - rate[:-lag]
            pval[lag:] = [
                two_proportion_p(int(k[i]), int(n[i]), int(k[i - lag]), int(n[i - lag]))
                for i in range(lag, len(periods))
            ]
        out[f"change_vs_{name}"] = change
        out[f"p_vs_{name}"] = pval
        out[f"significant_vs_{name}"] = np.nan_to_num(pval, nan=1.0) < alpha
    return out.reset_index(drop=True)


@dataclass(frozen=True)
class Alert:
    """One threshold crossed in the report period.

    Attributes
    ----------
    metric : str
        The indicator (churn_rate, annualised_churn_rate, nrr, churn_rate_change).
    value : float
        Its value in the report period.
    threshold : float or None
        The configured limit (None for the significance rule).
    rule : str
        ``above``, ``below`` or ``significant_increase``.
    period : str
        The report period.
    """

    metric: str
    value: float
    threshold: float | None
    rule: str
    period: str

    def to_dict(self) -> dict:
        """JSON-ready form (metrics.json ``indicators.alerts``)."""
        return asdict(self)


def evaluate_alerts(
    report: pd.Series,
    changes: pd.Series,
    *,
    churn_rate_above: float | None = None,
    annualised_churn_rate_above: float | None = None,
    nrr_below: float | None = None,
    nrr: float | None = None,
    significant_increase: bool = True,
) -> list[Alert]:
    """Thresholds crossed by the report period.

    Parameters
    ----------
    report : Series
        The report period's row of the period table.
    changes : Series
        The report period's row of :func:`period_changes`.
    churn_rate_above, annualised_churn_rate_above, nrr_below : float, optional
        Limits; None switches a rule off.
    nrr : float, optional
        The report period's net revenue retention, when revenue exists.
    significant_increase : bool
        Alert when churn rose significantly against the previous period.

    Returns
    -------
    list of Alert
    """
    period = str(report["period"])
    alerts: list[Alert] = []
    rate = report["churn_rate"]
    if churn_rate_above is not None and pd.notna(rate) and rate > churn_rate_above:
        alerts.append(Alert("churn_rate", float(rate), churn_rate_above, "above", period))
    annual = report.get("annualised_churn_rate")
    if annualised_churn_rate_above is not None and pd.notna(annual):
        if annual > annualised_churn_rate_above:
            alerts.append(
                Alert(
                    "annualised_churn_rate",
                    float(annual),
                    annualised_churn_rate_above,
                    "above",
                    period,
                )
            )
    if nrr_below is not None and nrr is not None and pd.notna(nrr) and nrr < nrr_below:
        alerts.append(Alert("nrr", float(nrr), nrr_below, "below", period))
    if significant_increase and bool(changes["significant_vs_previous"]):
        if changes["change_vs_previous"] > 0:
            alerts.append(
                Alert(
                    "churn_rate_change",
                    float(changes["change_vs_previous"]),
                    None,
                    "significant_increase",
                    period,
                )
            )
    return alerts
