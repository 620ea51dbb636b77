"""churnreport: churn analysis reports from fresh customer data.

The public API below is what the notebooks call; everything else is private machinery. Names
are imported on first use (PEP 562), so a process that needs one module (a notebook worker,
``churn-report --help``) does not pay for pandas, matplotlib and the whole report layer.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

#: Public name -> (module, attribute); attribute None: the module itself.
_API: dict[str, tuple[str, str | None]] = {
    "ConfigError": ("churnreport.errors", "ConfigError"),
    "Dataset": ("churnreport.data", "Dataset"),
    "IndicatorChapter": ("churnreport.analysis", "IndicatorChapter"),
    "Indicators": ("churnreport.analysis", "Indicators"),
    "InputError": ("churnreport.errors", "InputError"),
    "OverallChurn": ("churnreport.analysis", "OverallChurn"),
    "ReportConfig": ("churnreport.config", "ReportConfig"),
    "ReportContext": ("churnreport.report.context", "ReportContext"),
    "alerts_html": ("churnreport.report.indicators_view", "alerts_html"),
    "causes": ("churnreport.report.causes_view", None),
    "churn_indicators": ("churnreport.analysis", "churn_indicators"),
    "churn_mix_html": ("churnreport.report.indicators_view", "churn_mix_html"),
    "cohorts_heading": ("churnreport.report.indicators_view", "cohorts_heading"),
    "cohorts_takeaway": ("churnreport.report.indicators_view", "cohorts_takeaway"),
    "conventions_html": ("churnreport.report.indicators_view", "conventions_html"),
    "definitions_heading": ("churnreport.report.indicators_view", "definitions_heading"),
    "definitions_html": ("churnreport.report.appendix", "definitions_html"),
    "flows_takeaway": ("churnreport.report.indicators_view", "flows_takeaway"),
    "heading": ("churnreport.report.tables", "heading"),
    "indicator_chapter": ("churnreport.analysis", "indicator_chapter"),
    "indicator_notes": ("churnreport.report.indicators_view", "indicator_notes"),
    "kpi_cards": ("churnreport.report.indicators_view", "kpi_cards"),
    "load_config": ("churnreport.config", "load_config"),
    "load_dataset": ("churnreport.data", "load_dataset"),
    "mrr_bridge": ("churnreport.analysis", "mrr_bridge"),
    "note": ("churnreport.report.tables", "note"),
    "open_report": ("churnreport.report.context", "open_report"),
    "overall_churn": ("churnreport.analysis", "overall_churn"),
    "parameters_html": ("churnreport.report.appendix", "parameters_html"),
    "data_profile": ("churnreport.data.profile", "data_profile"),
    "profile_html": ("churnreport.report.appendix", "profile_html"),
    "period_changes": ("churnreport.analysis", "period_changes"),
    "period_table": ("churnreport.analysis", "period_table"),
    "period_table_html": ("churnreport.report.indicators_view", "period_table_html"),
    "plot_churn_trend": ("churnreport.report.charts", "plot_churn_trend"),
    "plot_cohorts": ("churnreport.report.charts", "plot_cohorts"),
    "plot_customer_flows": ("churnreport.report.charts", "plot_customer_flows"),
    "plot_mrr_bridge": ("churnreport.report.charts", "plot_mrr_bridge"),
    "plot_survival": ("churnreport.report.charts", "plot_survival"),
    "quality_tables_html": ("churnreport.report.tables", "quality_tables_html"),
    "revenue_heading": ("churnreport.report.indicators_view", "revenue_heading"),
    "revenue_table_html": ("churnreport.report.indicators_view", "revenue_table_html"),
    "revenue_takeaway": ("churnreport.report.indicators_view", "revenue_takeaway"),
    "segments": ("churnreport.report.segments_view", None),
    "summary": ("churnreport.report.summary_view", None),
    "survival_heading": ("churnreport.report.indicators_view", "survival_heading"),
    "survival_summary_html": ("churnreport.report.indicators_view", "survival_summary_html"),
    "survival_takeaway": ("churnreport.report.indicators_view", "survival_takeaway"),
    "table_heading": ("churnreport.report.indicators_view", "table_heading"),
    "title_block": ("churnreport.report.tables", "title_block"),
    "trend_heading": ("churnreport.report.indicators_view", "trend_heading"),
    "trend_takeaway": ("churnreport.report.indicators_view", "trend_takeaway"),
    "value_heading": ("churnreport.report.indicators_view", "value_heading"),
    "value_html": ("churnreport.report.indicators_view", "value_html"),
    "warning": ("churnreport.report.warning_view", None),
    "wilson_interval": ("churnreport.analysis", "wilson_interval"),
}

__all__ = sorted(_API)


def __getattr__(name: str):
    if name not in _API:
        raise AttributeError(f"module 'churnreport' has no attribute {name!r}")
    module, attr = _API[name]
    value = importlib.import_module(module)
    if attr is not None:
        value = getattr(value, attr)
    globals()[name] = value  # imported once
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_API])
