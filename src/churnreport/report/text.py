"""Every visible string of the report, in English and Chinese, and number/date formatting.

One catalogue per language; :func:`missing_keys` is checked by a test so the two stay in step.
"""

from __future__ import annotations

import datetime as dt
import math
import re

CATALOGUE: dict[str, dict[str, str]] = {
    "en": {
        "report.title": "Churn analysis report",
        "report.period": "Report period: {period} (data as of {as_of})",
        "report.generated": "Generated {date} for {company}",
        "indicators.title": "Churn indicators and trends",
        "indicators.why": "How many customers we lose each period, and whether that is "
        "getting better or worse.",
        "indicators.kpis": "Headline figures",
        "indicators.trend": "Churn rate over time",
        "indicators.trend.why": "The line is the churn rate of each period; the band is its 95% "
        "confidence interval, so movements inside the band may be noise.",
        "indicators.flows": "Customers won and lost",
        "indicators.table": "Period table",
        "indicators.table.why": "Customers at the start of each period, new customers, "
        "customers lost, and those who joined and left within the same period (counted apart, "
        "outside the churn rate).",
        "indicators.snapshot_note": "The data are a snapshot as of {as_of} (tenure and a churn "
        "flag, no dates), so there is no history to trend. The churn rate is churned customers / "
        "all customers in the snapshot.",
        "indicators.short_history": "Fewer than three complete periods: no trend chart.",
        "kpi.churn_rate": "Churn rate",
        "kpi.retention_rate": "Retention rate",
        "kpi.customers": "Customers at risk",
        "kpi.churned": "Customers lost",
        "kpi.ci": "95% CI {low} – {high}",
        "kpi.basis.start_set": "customers active at the start of {period}",
        "kpi.basis.snapshot": "all customers in the snapshot",
        "col.period": "Period",
        "col.start_customers": "At start",
        "col.new": "New",
        "col.reactivated": "Returned",
        "col.new_and_lost": "New and lost",
        "col.churned": "Churned",
        "col.end_customers": "At end",
        "col.churn_rate": "Churn rate",
        "col.ci": "95% CI",
        "col.retention_rate": "Retention",
        "chart.churn_rate": "Churn rate",
        "chart.ci_band": "95% confidence interval",
        "chart.period": "Period",
        "chart.customers": "Customers",
        "chart.new": "New",
        "chart.churned": "Churned (incl. new and lost)",
        "chart.end_customers": "Customers at end",
        "chart.alt.trend": "Line chart of the churn rate per period from {first} to {last}, between "
        "{low} and {high}; {rate} in {last}.",
        "chart.alt.flows": "Bar chart of customers won and lost per period from {first} to {last}: "
        "{new} won, {lost} lost, {end} customers at the end.",
        "appendix.title": "Appendix: data, definitions and parameters",
        "appendix.why": "What went into this report, what was left out and why, and the "
        "definitions used.",
        "appendix.quality": "Data quality",
        "appendix.quality.why": "Every row read is either kept or excluded with a reason; "
        "repairs (such as '?' read as missing) are counted.",
        "appendix.quality.none": "No rows were excluded or repaired.",
        "appendix.issues": "Issues found",
        "appendix.definitions": "Definitions used",
        "appendix.parameters": "Parameters",
        "col.table": "Table",
        "col.file": "File",
        "col.rows_read": "Rows read",
        "col.rows_kept": "Rows kept",
        "col.rows_excluded": "Rows excluded",
        "col.column": "Column",
        "col.action": "Action",
        "col.reason": "Reason",
        "col.count": "Rows",
        "col.examples": "Examples (row: value)",
        "col.parameter": "Parameter",
        "col.value": "Value",
        "action.excluded": "excluded",
        "action.repaired": "repaired",
        "action.note": "note",
        "def.contract": "Contract: a customer churns on its cancellation date (end date); "
        "subscriptions less than {gap} days apart form one spell.",
        "def.inactivity": "Inactivity: a customer churns {days} days after its last purchase; "
        "a later purchase starts a new spell (reactivation).",
        "def.snapshot": "Snapshot: start = {as_of} minus tenure; customers flagged churned "
        "count as lost in the report period.",
        "def.churn_rate": "Churn rate = customers lost in the period among those active at its "
        "start / customers active at its start. Customers who join and leave inside one period "
        "are shown as 'new and lost', outside the rate. 95% intervals are Wilson score "
        "intervals.",
        "def.retention": "Retention rate = 1 - churn rate.",
        "def.period": "Periods are calendar {period}s; the report period is the last complete "
        "one on {as_of}.",
        "period.month": "month",
        "period.quarter": "quarter",
        "period.year": "year",
        "dq.blank": "(blank)",
        "dq.missing_token": "placeholder text (such as '?') read as a missing value",
        "dq.blank_value": "empty cells, kept as missing values",
        "dq.missing_required_value": "rows without a required value cannot be analysed",
        "dq.empty_column_dropped": "entirely empty unnamed columns ignored",
        "dq.starts_after_as_of": "spells starting after the report date are left out",
        "dq.ends_after_as_of": "spells ending after the report date count as active on it",
        "dq.no_activity": "customers with no subscription or purchase up to the report date",
        "dq.activity_without_customer_row": "ids with activity but no row in the customers "
        "source: kept, with empty attributes",
        "dq.stated_churn_disagrees_with_dates": "the stated churn flag disagrees with the dates; "
        "the dates are used",
    },
    "zh": {
        "report.title": "客户流失分析报告",
        "report.period": "报告期：{period}（数据截至 {as_of}）",
        "report.generated": "{company}，生成于 {date}",
        "indicators.title": "流失指标与趋势",
        "indicators.why": "每期流失多少客户，情况在变好还是变坏。",
        "indicators.kpis": "核心指标",
        "indicators.trend": "流失率走势",
        "indicators.trend.why": "折线为各期流失率，阴影为其 95% 置信区间；区间内的波动可能只是噪声。",
        "indicators.flows": "新增与流失客户",
        "indicators.table": "分期明细",
        "indicators.table.why": "各期期初客户数、新增客户、流失客户，以及同一期内新增又流失的客户（单独列示，不计入流失率）。",
        "indicators.snapshot_note": "数据为截至 {as_of} 的快照（只有在网时长和流失标记，没有日期），"
        "因此无法展示趋势。流失率 = 流失客户数 / 快照中全部客户数。",
        "indicators.short_history": "完整周期不足三期，不绘制趋势图。",
        "kpi.churn_rate": "流失率",
        "kpi.retention_rate": "留存率",
        "kpi.customers": "风险客户数",
        "kpi.churned": "流失客户数",
        "kpi.ci": "95% 置信区间 {low} – {high}",
        "kpi.basis.start_set": "{period} 期初在网客户",
        "kpi.basis.snapshot": "快照中的全部客户",
        "col.period": "期间",
        "col.start_customers": "期初客户",
        "col.new": "新增",
        "col.reactivated": "召回",
        "col.new_and_lost": "新增即流失",
        "col.churned": "流失",
        "col.end_customers": "期末客户",
        "col.churn_rate": "流失率",
        "col.ci": "95% 置信区间",
        "col.retention_rate": "留存率",
        "chart.churn_rate": "流失率",
        "chart.ci_band": "95% 置信区间",
        "chart.period": "期间",
        "chart.customers": "客户数",
        "chart.new": "新增",
        "chart.churned": "流失（含新增即流失）",
        "chart.end_customers": "期末客户数",
        "chart.alt.trend": "{first}至{last}各期流失率折线图，介于 {low} 与 {high} 之间；{last}为 {rate}。",
        "chart.alt.flows": "{first}至{last}各期新增与流失客户柱状图：新增 {new}，流失 {lost}，期末 {end} 位客户。",
        "appendix.title": "附录：数据、定义与参数",
        "appendix.why": "本报告使用了哪些数据、排除了哪些及原因，以及所用的定义。",
        "appendix.quality": "数据质量",
        "appendix.quality.why": "读取的每一行要么保留，要么注明原因后排除；修复（如把“?”视为缺失）也逐项计数。",
        "appendix.quality.none": "没有排除或修复任何行。",
        "appendix.issues": "发现的问题",
        "appendix.definitions": "所用定义",
        "appendix.parameters": "参数",
        "col.table": "数据表",
        "col.file": "文件",
        "col.rows_read": "读取行数",
        "col.rows_kept": "保留行数",
        "col.rows_excluded": "排除行数",
        "col.column": "列",
        "col.action": "处理",
        "col.reason": "原因",
        "col.count": "行数",
        "col.examples": "示例（行：值）",
        "col.parameter": "参数",
        "col.value": "取值",
        "action.excluded": "排除",
        "action.repaired": "修复",
        "action.note": "说明",
        "def.contract": "合约制：客户在解约日（结束日期）流失；间隔少于 {gap} 天的订阅合并为一段。",
        "def.inactivity": "非合约制：客户最后一次购买后 {days} 天无购买即视为流失；之后再次购买开始新的一段（召回）。",
        "def.snapshot": "快照：开始日期 = {as_of} 减去在网时长；标记为流失的客户计入报告期流失。",
        "def.churn_rate": "流失率 = 期初在网客户中本期流失的人数 / 期初在网客户数。同一期内新增又流失的客户单独列为“新增即流失”，不计入流失率。95% 区间为 Wilson 区间。",
        "def.retention": "留存率 = 1 - 流失率。",
        "def.period": "周期为自然{period}；报告期为截至 {as_of} 的最后一个完整周期。",
        "period.month": "月",
        "period.quarter": "季度",
        "period.year": "年",
        "dq.blank": "（空）",
        "dq.missing_token": "占位文本（如“?”）视为缺失值",
        "dq.blank_value": "空单元格，按缺失值保留",
        "dq.missing_required_value": "缺少必填值的行无法分析",
        "dq.empty_column_dropped": "忽略完全为空且无列名的列",
        "dq.starts_after_as_of": "开始于报告日期之后的记录不计入",
        "dq.ends_after_as_of": "结束于报告日期之后的记录视为报告日仍在网",
        "dq.no_activity": "截至报告日期没有任何订阅或购买的客户",
        "dq.activity_without_customer_row": "有活动记录但客户表中没有对应行的编号：保留，属性为空",
        "dq.stated_churn_disagrees_with_dates": "填报的流失标记与日期不一致；以日期为准",
    },
}

LANGUAGES = tuple(CATALOGUE)


def missing_keys() -> dict[str, set[str]]:
    """Keys present in one language but not in another (should be empty)."""
    every = set().union(*(set(c) for c in CATALOGUE.values()))
    return {lang: every - set(c) for lang, c in CATALOGUE.items() if every - set(c)}


class Text:
    """Strings and formats of one report language.

    Parameters
    ----------
    language : {"en", "zh"}

    Examples
    --------
    >>> Text("zh").pct(0.1234)
    '12.3%'
    >>> Text("zh").period("2024-06")
    '2024年6月'
    >>> Text("en").period("2024Q2")
    'Q2 2024'
    """

    def __init__(self, language: str = "en"):
        if language not in CATALOGUE:
            raise ValueError(f"language must be one of {LANGUAGES}, not {language!r}")
        self.language = language
        self._c = CATALOGUE[language]

    def __call__(self, key: str, **values: object) -> str:
        """The string for ``key`` with ``values`` filled in."""
        return self._c[key].format(**values)

    def get(self, key: str, default: str) -> str:
        """The string for ``key``, or ``default`` when the catalogue has none."""
        return self._c.get(key, default)

    def pct(self, x: float | None, digits: int = 1) -> str:
        """A share as a percentage, ``–`` when missing."""
        if x is None or (isinstance(x, float) and math.isnan(x)):
            return "–"
        return f"{x * 100:.{digits}f}%"

    def int(self, x: float | int | None) -> str:
        """A count with thousands separators."""
        if x is None or (isinstance(x, float) and math.isnan(x)):
            return "–"
        return f"{int(round(x)):,}"

    def date(self, d: dt.date | str) -> str:
        """A calendar date: ``30 Jun 2024`` / ``2024年6月30日``."""
        d = dt.date.fromisoformat(str(d)[:10])
        if self.language == "zh":
            return f"{d.year}年{d.month}月{d.day}日"
        return f"{d.day} {d:%b %Y}"

    def period(self, label: str) -> str:
        """A period label (``2024-06``, ``2024Q2``, ``2024``) in the report language."""
        m = re.fullmatch(r"(\d{4})-(\d{2})", label)
        if m:
            y, mo = int(m[1]), int(m[2])
            return f"{y}年{mo}月" if self.language == "zh" else f"{dt.date(y, mo, 1):%b %Y}"
        m = re.fullmatch(r"(\d{4})Q(\d)", label)
        if m:
            return f"{m[1]}年第{m[2]}季度" if self.language == "zh" else f"Q{m[2]} {m[1]}"
        return f"{label}年" if self.language == "zh" and label.isdigit() else label
