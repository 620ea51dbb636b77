"""Analysis library: pure functions on canonical pandas tables (no I/O, no plotting)."""

from churnreport.analysis.indicators import (
    Indicators,
    OverallChurn,
    churn_indicators,
    overall_churn,
    period_table,
    wilson_interval,
)

__all__ = [
    "Indicators",
    "OverallChurn",
    "churn_indicators",
    "overall_churn",
    "period_table",
    "wilson_interval",
]
