"""The executive summary: headline KPIs, findings and actions from the chapters' typed results.

The summary notebook runs after the chapters and reads the results they recorded
(:class:`~churnreport.analysis.results.Metrics`), so every figure here is the figure of its
chapter, rendered by the same block (:mod:`churnreport.report.blocks`). Each chapter offers its
candidate findings as typed facts; the summary ranks them (alerts first, then the cost, the
biggest stated cause, the strongest driver, the riskiest segment, the early-warning list) and
writes the first five.
"""

from __future__ import annotations

from html import escape

from IPython.display import HTML

from churnreport.analysis.results import (
    Action,
    CauseResult,
    EarlyWarningResult,
    Finding,
    Metrics,
    SummaryResult,
)
from churnreport.report.blocks import finding_sentence, kpi_cards
from churnreport.report.text import N_, Text

MAX_FINDINGS = 5

#: Urgency of each finding kind: the summary shows the most urgent first.
FINDING_RANK = {
    "alert": 0,
    "no_start": 1,
    "no_churn": 1,
    "lost": 1,
    "cost": 1,
    "cause": 2,
    "driver": 3,
    "segment": 4,
    "risk": 5,
}

#: The action each cause category calls for (DOMAIN.md section 6).
ACTION_MESSAGE = {
    "service": N_("summary.action.service"),
    "price": N_("summary.action.price"),
    "product": N_("summary.action.product"),
    "employee": N_("summary.action.employee"),
    "brand": N_("summary.action.brand"),
    "competitor": N_("summary.action.competitor"),
    "involuntary": N_("summary.action.involuntary"),
    "onboarding": N_("summary.action.onboarding"),
}


def ranked_findings(m: Metrics) -> list[Finding]:
    """Every chapter's candidate findings, most urgent first, at most :data:`MAX_FINDINGS`.

    Parameters
    ----------
    m : Metrics
        The chapters' results.

    Returns
    -------
    list of Finding
    """
    found: list[Finding] = []
    for result in (m.indicators, m.causes, m.segments, m.early_warning):
        if result is not None:
            found += result.findings()
    return sorted(found, key=lambda f: FINDING_RANK[f.kind])[:MAX_FINDINGS]


def recommended_actions(
    causes: CauseResult | None, warning: EarlyWarningResult | None
) -> list[Action]:
    """Actions tied to the causes and drivers found (DOMAIN.md section 6): always contact the
    lost customers; then up to three cause categories, strongest evidence first; then the call
    list when the risk model marks important or major customers in its top tenth.

    Parameters
    ----------
    causes : CauseResult or None
    warning : EarlyWarningResult or None

    Returns
    -------
    list of Action
    """
    out = [Action(kind="contact_lost")]
    for cause in (causes.action_causes() if causes is not None else [])[:3]:
        out.append(Action(kind="cause", cause=cause))
    risk = warning.risk if warning is not None else None
    if risk is not None and risk.available and risk.priority_customers:
        out.append(Action(kind="call_list", customers=risk.priority_customers))
    return out


def action_sentence(action: Action, text: Text) -> str:
    """One recommended action as printed.

    Parameters
    ----------
    action : Action
    text : Text

    Returns
    -------
    str
    """
    if action.kind == "contact_lost":
        return text("summary.action.immediate")
    if action.kind == "call_list":
        return text("summary.action.call_list", n=text.int(action.customers))
    return text(ACTION_MESSAGE[action.cause])


def build_summary(m: Metrics, text: Text, labels: dict[str, str]) -> SummaryResult:
    """The executive summary (metrics.json ``summary``): KPIs, findings and actions.

    Parameters
    ----------
    m : Metrics
        The chapters' results.
    text : Text
        The report language.
    labels : dict
        Cause category -> display label.

    Returns
    -------
    SummaryResult
    """
    found = ranked_findings(m)
    todo = recommended_actions(m.causes, m.early_warning)
    return SummaryResult(
        kpis=[k for k in m.indicators.kpis() if k.on_summary] if m.indicators else [],
        findings=found,
        finding_text=[finding_sentence(f, text, labels) for f in found],
        actions=todo,
        action_text=[action_sentence(a, text) for a in todo],
    )


def kpi_html(summary: SummaryResult, text: Text) -> HTML:
    """The summary's KPI cards (the chapter's card renderer)."""
    return kpi_cards(summary.kpis, text, summary=True)


def findings_html(summary: SummaryResult, text: Text) -> HTML:
    """Findings as a numbered list."""
    items = "".join(f"<li>{escape(f)}</li>" for f in summary.finding_text)
    return HTML(f'<h3>{escape(text("summary.findings"))}</h3><ol class="findings">{items}</ol>')


def actions_html(summary: SummaryResult, text: Text) -> HTML:
    """Recommended actions as a list."""
    items = "".join(f"<li>{escape(a)}</li>" for a in summary.action_text)
    return HTML(f'<h3>{escape(text("summary.actions"))}</h3><ul class="actions">{items}</ul>')
