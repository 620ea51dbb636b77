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

from churnreport.analysis.checks import data_checks
from churnreport.analysis.results import (
    Action,
    Finding,
    Metrics,
    SummaryResult,
    call_first_rows,
)
from churnreport.report.blocks import check_sentence, driver_name, finding_sentence, kpi_cards
from churnreport.report.text import N_, Text

MAX_FINDINGS = 5
#: Data checks that leave the lifetime value without support: its card is not shown.
VALUE_CHECKS = {"long_lifetime"}

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

#: "Behind it: <driver> (<ratio>)" by kind of ratio.
BECAUSE = {
    "hazard_ratio": N_("summary.action.because_hazard"),
    "odds_ratio": N_("summary.action.because_odds"),
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
    if m.definition == "snapshot":  # as of the export: no period, no horizon date
        found = [f.model_copy(update={"snapshot": True}) if "snapshot" in type(f).model_fields
                 else f for f in found]  # fmt: skip
    return sorted(found, key=lambda f: FINDING_RANK[f.kind])[:MAX_FINDINGS]


def recommended_actions(m: Metrics, slow_hours: float = 24.0) -> list[Action]:
    """Actions tied to the findings (DOMAIN.md section 6), each naming the figure it answers:
    contact the customers lost in the report period (dated data with churn); up to three cause
    categories, strongest evidence first (without any, the strongest churn-raising factor's
    customers); the call list when the risk model marks important or
    major customers in its top tenth.

    Parameters
    ----------
    m : Metrics
        The chapters' results.
    slow_hours : float
        The slow-response threshold of the config (the service action's target).

    Returns
    -------
    list of Action
    """
    out = []
    ind = m.indicators
    monthly = ind is not None and ind.period_kind == "month" and not ind.is_snapshot
    if monthly and ind.overall.churned:  # "within a week" suits a month's leavers
        o = ind.overall
        out.append(Action(kind="contact_lost", customers=o.churned, period=o.period))
    causes = m.causes.action_causes() if m.causes is not None else []
    for a in causes[:3]:
        out.append(a.model_copy(update={"hours": slow_hours}) if a.cause == "service" else a)
    raising = [d for d in m.causes.citable_drivers() if d.direction == "raises"] if m.causes else []
    if not causes and raising:  # a factor no cause covers: reach those customers first
        out.append(Action(kind="target", driver=raising[0]))
    risk = m.early_warning.risk if m.early_warning is not None else None
    if risk is not None and risk.available and risk.priority_customers:
        out.append(Action(kind="call_list", customers=risk.priority_customers))
    return out


def action_sentence(action: Action, text: Text, list_file: str = "at_risk.xlsx") -> str:
    """One recommended action as printed.

    Parameters
    ----------
    action : Action
    text : Text
    list_file : str
        The file the call list action names (:func:`call_list_file`).

    Returns
    -------
    str
    """
    if action.kind == "contact_lost":
        return text(
            "summary.action.immediate",
            n=text.int(action.customers),
            period=text.period(action.period or ""),
        )
    if action.kind == "call_list":
        return text("summary.action.call_list", n=text.int(action.customers), file=list_file)
    if action.kind == "check_data":
        return text("summary.action.check_data")
    if action.kind == "target":
        d = action.driver
        return text.sentences(
            [
                text("summary.action.target"),
                text(BECAUSE[d.kind], name=driver_name(d, text), effect=text.num(d.effect, 2)),
            ]
        )
    if action.cause == "service" and action.driver is None:  # stated only: no ticket data
        what = text("summary.action.service_stated")
    elif action.cause == "service":
        hours = action.hours if action.hours is not None else 24.0
        what = text(ACTION_MESSAGE["service"], hours=text.num(hours, 0 if hours % 1 == 0 else 1))
    else:
        what = text(ACTION_MESSAGE[action.cause])
    if action.driver is not None:
        d = action.driver
        why = text(BECAUSE[d.kind], name=driver_name(d, text), effect=text.num(d.effect, 2))
    elif action.share is not None:
        why = text("summary.action.because_share", share=text.pct(action.share))
    else:
        return what
    return text.sentences([what, why])


def call_list_file(scored: int | None, workbook_rows: int | None) -> str:
    """The at-risk file that holds the whole top tenth of the list: the workbook, unless it
    holds only the first ``workbook_rows`` and the top tenth is longer (then the CSV).

    Examples
    --------
    >>> call_list_file(335_575, 100_000), call_list_file(3_353_277, 100_000)
    ('at_risk.xlsx', 'at_risk.csv')
    """
    if workbook_rows is None or scored is None or call_first_rows(scored) <= workbook_rows:
        return "at_risk.xlsx"
    return "at_risk.csv"


def build_summary(
    m: Metrics,
    text: Text,
    labels: dict[str, str],
    slow_hours: float = 24.0,
    workbook_rows: int | None = None,
) -> SummaryResult:
    """The executive summary (metrics.json ``summary``): KPIs, findings and actions.

    Parameters
    ----------
    m : Metrics
        The chapters' results.
    text : Text
        The report language.
    labels : dict
        Cause category -> display label.
    slow_hours : float
        The config's slow-response threshold (the service action's target).
    workbook_rows : int, optional
        The rows at_risk.xlsx holds at most (``early_warning.workbook_rows``): the call list
        action names the file that holds its customers.

    Returns
    -------
    SummaryResult
    """
    found = ranked_findings(m)
    todo = recommended_actions(m, slow_hours)
    checks = data_checks(m)
    if not todo and any(c.severity == "warning" for c in checks):  # the first thing to do
        todo = [Action(kind="check_data")]
    risk = m.early_warning.risk if m.early_warning is not None else None
    list_file = call_list_file(risk.scored_customers if risk else None, workbook_rows)
    unsupported = {"clv"} if {c.code for c in checks} & VALUE_CHECKS else set()
    kpis = [k for k in m.indicators.kpis() if k.on_summary] if m.indicators else []
    return SummaryResult(
        kpis=[k for k in kpis if k.name not in unsupported],
        findings=found,
        finding_text=[finding_sentence(f, text, labels) for f in found],
        actions=todo,
        action_text=[action_sentence(a, text, list_file) for a in todo],
        data_checks=checks,
        check_text=[check_sentence(c, text) for c in checks],
    )


def kpi_html(summary: SummaryResult, text: Text) -> HTML:
    """The summary's KPI cards (the chapter's card renderer)."""
    return kpi_cards(summary.kpis, text, summary=True)


def checks_html(summary: SummaryResult, text: Text) -> HTML | None:
    """The "check the data" box, first on the summary; nothing when every check passed.

    Parameters
    ----------
    summary : SummaryResult
    text : Text

    Returns
    -------
    HTML or None
    """
    if not summary.check_text:
        return None
    items = "".join(f"<li>{escape(c)}</li>" for c in summary.check_text)
    warn = any(c.severity == "warning" for c in summary.data_checks)
    # notes only (a censored start, similar spellings): a quieter box, not a red one
    title = escape(text("summary.checks" if warn else "summary.checks_info"))
    kind = "checks" if warn else "checks info"
    return HTML(f'<div class="{kind}"><p class="checks-title">{title}</p><ul>{items}</ul></div>')


def findings_html(summary: SummaryResult, text: Text) -> HTML:
    """Findings as a numbered list."""
    items = "".join(f"<li>{escape(f)}</li>" for f in summary.finding_text)
    return HTML(f'<h3>{escape(text("summary.findings"))}</h3><ol class="findings">{items}</ol>')


def actions_html(summary: SummaryResult, text: Text) -> HTML:
    """Recommended actions as a list."""
    if not summary.action_text:  # nobody lost, no cause, no list: nothing to act on yet
        return HTML(
            f"<h3>{escape(text('summary.actions'))}</h3>"
            f'<p class="meta">{escape(text("summary.no_actions"))}</p>'
        )
    items = "".join(f"<li>{escape(a)}</li>" for a in summary.action_text)
    return HTML(f'<h3>{escape(text("summary.actions"))}</h3><ul class="actions">{items}</ul>')
