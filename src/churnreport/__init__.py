"""churnreport: churn analysis reports from fresh customer data.

The public API below is what the notebooks call; everything else is private machinery.
"""

from churnreport.analysis import (
    IndicatorChapter,
    Indicators,
    OverallChurn,
    churn_indicators,
    indicator_chapter,
    mrr_bridge,
    overall_churn,
    period_changes,
    period_table,
    wilson_interval,
)
from churnreport.config import ReportConfig, load_config
from churnreport.data import Dataset, load_dataset
from churnreport.errors import ConfigError, InputError
from churnreport.report import causes_view as causes
from churnreport.report import segments_view as segments
from churnreport.report import summary_view as summary
from churnreport.report import warning_view as warning
from churnreport.report.appendix import definitions_html, parameters_html
from churnreport.report.charts import (
    plot_churn_trend,
    plot_cohorts,
    plot_customer_flows,
    plot_mrr_bridge,
    plot_survival,
)
from churnreport.report.context import ReportContext, open_report
from churnreport.report.indicators_view import (
    alerts_html,
    churn_mix_html,
    conventions_html,
    indicator_notes,
    kpi_cards,
    period_table_html,
    revenue_table_html,
    section,
    survival_summary_html,
    takeaway,
    value_html,
)
from churnreport.report.tables import heading, note, quality_tables_html, title_block

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "Dataset",
    "IndicatorChapter",
    "Indicators",
    "InputError",
    "OverallChurn",
    "ReportConfig",
    "ReportContext",
    "alerts_html",
    "causes",
    "churn_mix_html",
    "churn_indicators",
    "conventions_html",
    "definitions_html",
    "heading",
    "indicator_chapter",
    "indicator_notes",
    "kpi_cards",
    "load_config",
    "load_dataset",
    "mrr_bridge",
    "note",
    "open_report",
    "overall_churn",
    "parameters_html",
    "period_changes",
    "period_table",
    "period_table_html",
    "plot_churn_trend",
    "plot_cohorts",
    "plot_customer_flows",
    "plot_mrr_bridge",
    "plot_survival",
    "quality_tables_html",
    "revenue_table_html",
    "section",
    "segments",
    "summary",
    "survival_summary_html",
    "takeaway",
    "title_block",
    "value_html",
    "warning",
    "wilson_interval",
]
