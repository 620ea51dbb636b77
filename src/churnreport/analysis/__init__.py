"""Analysis library: pure functions on canonical pandas tables (no I/O, no plotting).

Names are imported on first use (PEP 562): a notebook that only reads recorded results (the
summary, the appendix) never pays for statsmodels, lifelines and scikit-learn.
"""

from __future__ import annotations

import importlib

_API: dict[str, str] = {
    "Alert": "trends",
    "ChurnValue": "value",
    "IndicatorChapter": "chapter",
    "Indicators": "indicators",
    "OverallChurn": "indicators",
    "Survival": "survival",
    "annualise": "indicators",
    "churn_conventions": "definitions",
    "churn_indicators": "indicators",
    "churn_value": "value",
    "cohort_retention": "cohorts",
    "evaluate_alerts": "trends",
    "indicator_chapter": "chapter",
    "lifetimes": "survival",
    "mrr_bridge": "revenue",
    "overall_churn": "indicators",
    "period_changes": "trends",
    "period_table": "indicators",
    "retention_curve": "survival",
    "wilson_interval": "indicators",
}

__all__ = sorted(_API)


def __getattr__(name: str):
    if name not in _API:
        raise AttributeError(f"module 'churnreport.analysis' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"churnreport.analysis.{_API[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_API))
