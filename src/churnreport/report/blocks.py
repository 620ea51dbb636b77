"""Blocks shown in a chapter and again in the summary, one renderer each.

KPI cards, alert lines, driver sentences, segment sentences and the summary's finding sentences
take the typed results of :mod:`churnreport.analysis.results`; a chapter page and the executive
summary call the same function, so a fact reads the same wherever it appears.
"""

from __future__ import annotations

from html import escape

from IPython.display import HTML

from churnreport.analysis.results import (
    RATE_KPIS,
    AlertFinding,
    AlertRow,
    CauseFinding,
    CostFinding,
    DataCheck,
    DriverEffect,
    DriverFinding,
    Finding,
    Kpi,
    LostFinding,
    NoChurnFinding,
    NoStartFinding,
    RiskFinding,
    SegmentFinding,
    SegmentLevel,
)
from churnreport.report.text import N_, Text, dimension_label, level_label, table_label

#: Card label of each KPI.
KPI_LABEL = {
    "churn_rate": N_("kpi.churn_rate"),
    "retention_rate": N_("kpi.retention_rate"),
    "annualised_churn_rate": N_("kpi.annualised"),
    "churned": N_("kpi.churned"),
    "customers": N_("kpi.customers"),
    "revenue_lost": N_("kpi.revenue_lost"),
    "profit_lost": N_("kpi.profit_lost"),
    "nrr": N_("kpi.nrr"),
    "grr": N_("kpi.grr"),
    "clv": N_("kpi.clv"),
}

#: The sentence of each alert (metric, rule).
ALERT_MESSAGE = {
    ("churn_rate", "above"): N_("alert.churn_rate.above"),
    ("annualised_churn_rate", "above"): N_("alert.annualised_churn_rate.above"),
    ("nrr", "below"): N_("alert.nrr.below"),
    ("churn_rate_change", "significant_increase"): N_(
        "alert.churn_rate_change.significant_increase"
    ),
}

#: "Customers who ..." of the derived flags.
DRIVER_WHO = {
    "complaint_90d": N_("drv.who.complaint_90d"),
    "slow_response_90d": N_("drv.who.slow_response_90d"),
    "low_satisfaction_90d": N_("drv.who.low_satisfaction_90d"),
    "manager_left_90d": N_("drv.who.manager_left_90d"),
    "new_customer": N_("drv.who.new_customer"),
}

#: The sentence of a significant effect, by kind of ratio and direction.
DRIVER_SENTENCE = {
    ("hazard_ratio", "raises"): N_("drv.sentence.hazard_ratio"),
    ("odds_ratio", "raises"): N_("drv.sentence.odds_ratio"),
    ("hazard_ratio", "lowers"): N_("drv.sentence.hazard_ratio.lower"),
    ("odds_ratio", "lowers"): N_("drv.sentence.odds_ratio.lower"),
}


# ---------------------------------------------------------------- KPI cards


def format_kpi(kpi: Kpi, text: Text) -> str:
    """A KPI value as printed: rates as percentages, counts whole, amounts as money."""
    if kpi.name in RATE_KPIS:
        return text.pct(kpi.value)
    if kpi.name in ("churned", "customers"):
        return text.int(kpi.value)
    return text.money(kpi.value, unit=True)


def _change_line(kpi: Kpi, which: str, text: Text) -> tuple[str, str]:
    """'▲ +0.2 pts vs Nov 2024 (not significant)' and its css class (coloured only when the
    change was tested significant)."""
    change = kpi.changes[which]
    ch = change.change
    arrow = "•" if abs(ch) < 0.0005 else ("▲" if ch > 0 else "▼")  # no arrow for a zero
    amount = text.points(ch) if kpi.name in RATE_KPIS else text.pct(ch)
    line = text("kpi.vs", change=f"{arrow} {amount}", period=text.period(change.period))
    if change.significant is None:
        return line, ""
    good = (ch > 0) if kpi.higher_is_better else (ch < 0)
    cls = ("better" if good else "worse") if change.significant else ""
    word = text("kpi.sig") if change.significant else text("kpi.ns")
    return f"{line} ({word})", cls


def _kpi_subs(kpi: Kpi, text: Text) -> list[tuple[str, str]]:
    subs: list[tuple[str, str]] = []
    if kpi.ci_low is not None and kpi.ci_high is not None:
        subs.append((text("kpi.ci", low=text.pct(kpi.ci_low), high=text.pct(kpi.ci_high)), ""))
    subs += [_change_line(kpi, which, text) for which in kpi.changes]
    if kpi.basis == "start_set":
        subs.append((text("kpi.basis.start_set", period=text.period(kpi.period or "")), ""))
    elif kpi.basis == "snapshot":
        subs.append((text("kpi.basis.snapshot"), ""))
    if kpi.name == "revenue_lost":
        subs.append((text("kpi.per_year_of"), ""))
    if kpi.name == "annualised_churn_rate":  # not the 12-period basis of the value section
        subs.append((text("kpi.annualised_basis", period=text.period(kpi.period or "")), ""))
    if kpi.margin is not None:
        subs.append((text("summary.margin", margin=text.pct(kpi.margin, 0)), ""))
    return subs


def kpi_cards(kpis: list[Kpi], text: Text, *, summary: bool = False) -> HTML:
    """The headline cards, for chapter 1 or (``summary``) the executive summary.

    Parameters
    ----------
    kpis : list of Kpi
        :meth:`~churnreport.analysis.results.IndicatorResult.kpis`.
    text : Text
    summary : bool
        The summary's set of cards (each KPI says where it shows).

    Returns
    -------
    HTML
    """
    cards = []
    for k in kpis:
        if not (k.on_summary if summary else k.on_chapter):
            continue
        sub = "".join(
            f'<div class="kpi-sub {c}">{escape(t)}</div>' for t, c in _kpi_subs(k, text) if t
        )
        cards.append(
            f'<div class="kpi" data-kpi="{k.name}"><div class="kpi-label">'
            f"{escape(text(KPI_LABEL[k.name]))}</div>"
            f'<div class="kpi-value">{escape(format_kpi(k, text))}</div>{sub}</div>'
        )
    cls = "kpis summary-kpis" if summary else "kpis"
    return HTML(f'<div class="{cls}">{"".join(cards)}</div>')


# ---------------------------------------------------------------- alerts


def alert_sentence(alert: AlertRow, text: Text) -> str:
    """One alert as a sentence: the value, the limit crossed, the period.

    Parameters
    ----------
    alert : AlertRow
    text : Text

    Returns
    -------
    str
    """
    fmt = text.points if alert.rule == "significant_increase" else text.pct
    return text(
        ALERT_MESSAGE[(alert.metric, alert.rule)],
        value=fmt(alert.value),
        period=text.period(alert.period),
        threshold="" if alert.threshold is None else text.pct(alert.threshold),
    )


# ---------------------------------------------------------------- drivers


def driver_name(effect: DriverEffect, text: Text) -> str:
    """Short display name of a driver effect ("Plan = premium", "Tenure (per SD)").

    Parameters
    ----------
    effect : DriverEffect
    text : Text

    Returns
    -------
    str
    """
    base = dimension_label(effect.driver, text)
    if effect.unit == "level":
        return f"{base} = {level_label(effect.driver, effect.level, text)}"
    if effect.unit == "per_sd":
        return text("drv.per_sd_name", name=base)
    return base


def _who(effect: DriverEffect, text: Text) -> str:
    name = dimension_label(effect.driver, text)
    if effect.unit == "binary":
        if effect.driver in DRIVER_WHO:
            return text(DRIVER_WHO[effect.driver])
        return text("drv.who.flag", name=name)
    if effect.unit == "level":
        return text(
            "drv.who.level",
            name=name,
            level=level_label(effect.driver, effect.level, text),
            reference=level_label(effect.driver, effect.reference, text),
        )
    return text("drv.who.per_sd", name=name)


def driver_sentence(effect: DriverEffect, text: Text) -> str:
    """'Customers who complained in the last 90 days left 2.2 times as often (95% CI 2.0-2.4).'

    Parameters
    ----------
    effect : DriverEffect
    text : Text

    Returns
    -------
    str
    """
    values = dict(
        who=_who(effect, text),
        effect=f"{effect.effect:.2f}",
        lo=f"{effect.ci_low:.2f}",
        hi=f"{effect.ci_high:.2f}",
    )
    if not effect.significant:
        return text("drv.sentence.ns", **values)
    less = text.pct(1 - effect.effect, 0)  # a protective effect as "NN% less"
    direction = effect.direction if less != text.pct(0.0, 0) else "raises"  # not "0% less"
    return text(DRIVER_SENTENCE[(effect.kind, direction)], **values, less=less)


# ---------------------------------------------------------------- segments


def segment_sentence(dim: str, level: SegmentLevel, text: Text) -> str:
    """'Plan basic: 21.6% churn, 1.03 times the average, 50.9% of all churn.'

    Parameters
    ----------
    dim : str
        The segment dimension.
    level : SegmentLevel
    text : Text

    Returns
    -------
    str
    """
    return text(
        "summary.segment",
        dimension=dimension_label(dim, text),
        level=level_label(dim, level.segment, text),
        rate=text.pct(level.churn_rate),
        lift=text.num(level.lift, 2),
        share=text.pct(level.share_of_churn),
    )


# ---------------------------------------------------------------- data checks


def check_sentence(check: DataCheck, text: Text) -> str:
    """One data check as a sentence with the figures that triggered it.

    Parameters
    ----------
    check : DataCheck
    text : Text

    Returns
    -------
    str
    """
    e = check.evidence
    match check.code:
        case "no_churn_in_period":
            return text(
                "check.no_churn_in_period",
                customers=text.int(e["customers"]),
                period=text.period(str(e["period"])),
            )
        case "long_lifetime":
            return text("check.long_lifetime", years=text.num(e["years"], 0))
        case "outcome_leak":  # under inactivity, days without a purchase are the outcome
            return text(
                "check.outcome_leak_recency"
                if e.get("definition") == "inactivity"
                else "check.outcome_leak",
                auc=text.num(e["auc"], 3),
            )
        case "duplicate_rows":
            return text(
                "check.duplicate_rows",
                count=text.int(e["count"]),
                rows=text.int(e["rows"]),
                table=table_label(str(e["table"]), text),
            )
        case "censored_start":
            return text(
                "check.censored_start",
                date=text.date(str(e["first_activity"])),
                period=text.period(str(e["first_period"])),
                count=text.int(e["periods_left_out"]),
            )
        case "similar_levels":
            return text(
                "check.similar_levels" if e["pairs"] == 1 else "check.similar_levels_more",
                column=str(e["column"]),
                first=str(e["first"]),
                second=str(e["second"]),
                more=text.int(int(e["pairs"]) - 1),
            )
        case "outcome_column":
            return text("check.outcome_column", column=str(e["column"]), auc=text.num(e["auc"], 3))
        case "tables_disagree":
            return text(
                "check.tables_disagree",
                column=str(e["column"]),
                flagged=text.int(e["flag_churned"]),
                customers=text.int(e["customers"]),
                dated=text.int(e["dates_churned"]),
                differ=text.int(e["differ"]),
            )
        case "events_disagree":
            return text(
                "check.events_disagree_all"
                if e["active"] == e["customers_with_event"]
                else "check.events_disagree",
                active=text.int(e["active"]),
                events=text.int(e["customers_with_event"]),
            )
        case "overlapping_subscriptions":
            return text(
                "check.overlap_mrr" if e.get("mrr") is not None else "check.overlap",
                customers=text.int(e["customers"]),
                active=text.int(e["active"]),
                most=text.int(e["most"]),
                mrr=text.money(e["mrr"], unit=True) if e.get("mrr") is not None else "",
            )
    raise ValueError(f"no sentence for data check {check.code!r}")


# ---------------------------------------------------------------- findings


def finding_sentence(f: Finding, text: Text, labels: dict[str, str]) -> str:
    """One summary finding as a sentence.

    Parameters
    ----------
    f : Finding
        A typed fact from a chapter result.
    text : Text
    labels : dict
        Cause category -> display label.

    Returns
    -------
    str
    """
    match f:
        case AlertFinding():
            return text("summary.alert") + alert_sentence(f.alert, text)
        case NoStartFinding():
            return text("indicators.no_start", period=text.period(f.period))
        case NoChurnFinding():
            return text(
                "summary.no_churn", customers=text.int(f.customers), period=text.period(f.period)
            )
        case LostFinding() if f.snapshot:
            return text(
                "summary.lost_snapshot",
                lost=text.int(f.lost),
                customers=text.int(f.customers),
                rate=text.pct(f.rate),
            )
        case LostFinding():
            return text(
                "summary.lost",
                lost=text.int(f.lost),
                customers=text.int(f.customers),
                rate=text.pct(f.rate),
                period=text.period(f.period),
            )
        case CostFinding():
            cost = {
                "lost": text.int(f.lost),
                "period": text.period(f.period),
                "revenue": text.money(f.revenue, unit=True),
                "profit": text.money(f.profit, unit=True),
            }
            if f.snapshot:  # churned as of the export: no period, no annual churn to cut
                del cost["period"]
                return text("summary.cost_snapshot", **cost)
            if f.saved_one_point is None:  # no scenario (no basis, or churn under a point)
                return text("summary.cost_only", **cost)
            return text("summary.cost", **cost, saved=text.money(f.saved_one_point, unit=True))
        case CauseFinding():
            category = labels.get(f.category, f.category)
            if f.controllable is None:
                return text("summary.cause_only", category=category, share=text.pct(f.share))
            return text(
                "summary.cause",
                category=category,
                share=text.pct(f.share),
                controllable=text.pct(f.controllable),
            )
        case DriverFinding():
            return driver_sentence(f.effect, text)
        case SegmentFinding():
            return segment_sentence(f.dimension, f.level, text)
        case RiskFinding():
            expected, n = text.num(f.expected, 0), text.int(f.scored)
            if f.snapshot:
                sentence = text(
                    "summary.risk_snapshot" if f.by_value else "summary.risk_snapshot_novalue",
                    expected=expected,
                    n=n,
                )
            else:
                sentence = text(
                    "summary.risk" if f.by_value else "summary.risk_novalue",
                    expected=expected,
                    n=n,
                    horizon=text.date(f.horizon_end),
                )
            if f.corrected is None:
                return sentence
            check = text(
                "summary.calibration",
                ratio=text.num(f.calibration_ratio, 2),
                corrected=text.num(f.corrected, 0),
            )
            return text.sentences([sentence, check])
    raise TypeError(f"no sentence for {type(f).__name__}")
