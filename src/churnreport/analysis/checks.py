"""Data checks: what in a run's typed results says the data may not support the report.

Each check is a typed fact (:class:`~churnreport.analysis.results.DataCheck`) with the figures
that triggered it; the executive summary shows them in a "check the data" box before anything
else, and metrics.json keeps them (``summary.data_checks``).
"""

from __future__ import annotations

from churnreport.analysis.results import DataCheck, Metrics

#: A customer lifetime beyond this many years is no planning figure.
MAX_LIFETIME_YEARS = 20.0
#: A lifetime value beyond this multiple of the monthly revenue per account is implausible.
MAX_CLV_TO_ARPA = 100.0
#: A backtest this good means a column gives the outcome away.
LEAK_AUC = 0.97


def data_checks(m: Metrics) -> list[DataCheck]:
    """The checks a run's results trigger, most serious first.

    - ``no_churn_in_period``: customers at the period start but none lost: a churn flag or
      end dates may not be mapped, or the period is not the one the data cover;
    - ``long_lifetime``: expected lifetime beyond :data:`MAX_LIFETIME_YEARS` years (too few
      churn events for a lifetime value);
    - ``clv_vs_arpa``: lifetime value beyond :data:`MAX_CLV_TO_ARPA` x ARPA;
    - ``outcome_leak``: the risk model's backtest AUC at or above :data:`LEAK_AUC` (a
      column that records the outcome, e.g. a second churn flag or a cancellation date).

    Parameters
    ----------
    m : Metrics
        The chapters' results.

    Returns
    -------
    list of DataCheck

    Examples
    --------
    A period with customers at its start and nobody lost:

    >>> from churnreport.analysis.results import IndicatorResult
    >>> ind = IndicatorResult.model_construct(
    ...     overall=type("O", (), {"customers": 475, "churned": 0, "period": "2024-12"})(),
    ...     value=None,
    ... )
    >>> [c.code for c in data_checks(Metrics.model_construct(indicators=ind, early_warning=None))]
    ['no_churn_in_period']
    """
    out: list[DataCheck] = []
    ind = m.indicators
    if ind is not None:
        o = ind.overall
        if o.customers and not o.churned:
            out.append(
                DataCheck(
                    code="no_churn_in_period",
                    evidence={"period": o.period, "customers": o.customers},
                )
            )
        v = ind.value
        if v is not None and v.expected_lifetime_years is not None:
            if v.expected_lifetime_years > MAX_LIFETIME_YEARS:
                out.append(
                    DataCheck(
                        code="long_lifetime",
                        evidence={
                            "years": v.expected_lifetime_years,
                            "annual_churn_rate": v.annual_churn_rate,
                        },
                    )
                )
        if v is not None and v.clv_arpa_method is not None and v.arpa:
            if v.clv_arpa_method > MAX_CLV_TO_ARPA * v.arpa:
                out.append(
                    DataCheck(
                        code="clv_vs_arpa",
                        evidence={"clv": v.clv_arpa_method, "arpa": v.arpa},
                    )
                )
    ew = m.early_warning
    bt = ew.risk.backtest if ew is not None else None
    if bt is not None and bt.auc is not None and bt.auc >= LEAK_AUC:
        out.append(DataCheck(code="outcome_leak", evidence={"auc": bt.auc}))
    return out
