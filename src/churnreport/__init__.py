"""churnreport: churn analysis reports from fresh customer data.

The public API below is what the notebooks call; everything else is private machinery.
"""

from churnreport.analysis import (
    Indicators,
    OverallChurn,
    churn_indicators,
    overall_churn,
    period_table,
    wilson_interval,
)
from churnreport.config import ReportConfig, load_config
from churnreport.data import Dataset, load_dataset
from churnreport.errors import ConfigError, InputError
from churnreport.report.appendix import definitions_html, parameters_html
from churnreport.report.charts import plot_churn_trend, plot_customer_flows
from churnreport.report.context import ReportContext, open_report
from churnreport.report.tables import (
    heading,
    indicator_notes,
    kpi_cards,
    note,
    period_table_html,
    quality_tables_html,
    title_block,
    trend_heading,
)

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "Dataset",
    "Indicators",
    "InputError",
    "OverallChurn",
    "ReportConfig",
    "ReportContext",
    "churn_indicators",
    "definitions_html",
    "heading",
    "indicator_notes",
    "kpi_cards",
    "load_config",
    "load_dataset",
    "note",
    "open_report",
    "overall_churn",
    "parameters_html",
    "period_table",
    "period_table_html",
    "plot_churn_trend",
    "plot_customer_flows",
    "quality_tables_html",
    "title_block",
    "trend_heading",
    "wilson_interval",
]
