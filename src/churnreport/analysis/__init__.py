"""Analysis library: pure functions on canonical pandas tables (no I/O, no plotting)."""

from churnreport.analysis.chapter import IndicatorChapter, indicator_chapter
from churnreport.analysis.cohorts import cohort_retention
from churnreport.analysis.definitions import churn_conventions
from churnreport.analysis.indicators import (
    Indicators,
    OverallChurn,
    annualise,
    churn_indicators,
    overall_churn,
    period_table,
    wilson_interval,
)
from churnreport.analysis.revenue import mrr_bridge
from churnreport.analysis.survival import Survival, lifetimes, retention_curve
from churnreport.analysis.trends import Alert, evaluate_alerts, period_changes
from churnreport.analysis.value import ChurnValue, churn_value

__all__ = [
    "Alert",
    "ChurnValue",
    "IndicatorChapter",
    "Indicators",
    "OverallChurn",
    "Survival",
    "annualise",
    "churn_conventions",
    "churn_indicators",
    "churn_value",
    "cohort_retention",
    "evaluate_alerts",
    "indicator_chapter",
    "lifetimes",
    "mrr_bridge",
    "overall_churn",
    "period_changes",
    "period_table",
    "retention_curve",
    "wilson_interval",
]
