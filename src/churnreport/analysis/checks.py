"""Data checks: what in a run's typed results says the data may not support the report.

Each check is a typed fact (:class:`~churnreport.analysis.results.DataCheck`) with the figures
that triggered it; the executive summary shows them in a "check the data" box before anything
else, and metrics.json keeps them (``summary.data_checks``).
"""

from __future__ import annotations

from churnreport.analysis.results import DataCheck, Metrics

#: A customer lifetime beyond this many years is no planning figure.
MAX_LIFETIME_YEARS = 20.0
#: A period without churn is a data question only when this many were expected to leave.
MIN_EXPECTED_CHURNERS = 3.0
#: A backtest this good means a column gives the outcome away.
LEAK_AUC = 0.97


def data_checks(m: Metrics) -> list[DataCheck]:
    """The checks a run's results trigger, most serious first.

    - ``no_churn_in_period``: customers at the period start but none lost while the earlier
      periods' churn expected at least :data:`MIN_EXPECTED_CHURNERS` (a snapshot: none of 30
      or more customers): a churn flag or end dates may not be mapped;
    - ``long_lifetime``: expected lifetime beyond :data:`MAX_LIFETIME_YEARS` years (too few
      churn events for a lifetime value; the lifetime value shown is not supported);
    - ``outcome_leak``: the risk model's backtest AUC at or above :data:`LEAK_AUC` (near-
      perfect prediction is rare: a column may record the outcome, e.g. a second churn flag).

    Parameters
    ----------
    m : Metrics
        The chapters' results.

    Returns
    -------
    list of DataCheck
        Tested in tests/analysis/test_results.py on hand-made results.
    """
    out: list[DataCheck] = []
    ind = m.indicators
    if ind is not None:
        o = ind.overall
        if o.customers and not o.churned:
            last_year = ind.periods[:-1][-ind.year_lag :]
            earlier = [p.churn_rate for p in last_year if p.churn_rate is not None]
            expected = o.customers * sum(earlier) / len(earlier) if earlier else None
            if (expected is None and o.customers >= 30) or (
                expected is not None and expected >= MIN_EXPECTED_CHURNERS
            ):
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
                            "clv": v.clv_arpa_method,
                        },
                    )
                )
    ew = m.early_warning
    bt = ew.risk.backtest if ew is not None else None
    if bt is not None and bt.auc is not None and bt.auc >= LEAK_AUC:
        out.append(DataCheck(code="outcome_leak", evidence={"auc": bt.auc}))
    return out
