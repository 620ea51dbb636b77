"""Chapter 1 blocks: KPI cards, alerts, tables and the one-sentence takeaways.

Every sentence is a catalogue template filled from the chapter's numbers (no free text).
"""

from __future__ import annotations

from html import escape

import pandas as pd
from IPython.display import HTML

from churnreport.analysis.chapter import IndicatorChapter
from churnreport.analysis.checks import MAX_LIFETIME_YEARS
from churnreport.report import blocks
from churnreport.report.tables import heading, note, table
from churnreport.report.text import N_, Text

#: Each counting convention of :func:`churnreport.analysis.definitions.churn_conventions`:
#: its name and why its rate differs.
CONVENTIONS = {
    "start_set": (N_("conv.start_set"), N_("conv.start_set.why")),
    "all_joiners": (N_("conv.all_joiners"), N_("conv.all_joiners.why")),
    "excluding_join_and_leave": (
        N_("conv.excluding_join_and_leave"),
        N_("conv.excluding_join_and_leave.why"),
    ),
    "average_customers": (N_("conv.average_customers"), N_("conv.average_customers.why")),
    "rolling_30_days": (N_("conv.rolling_30_days"), N_("conv.rolling_30_days.why")),
}


def kpi_cards(chapter: IndicatorChapter, text: Text) -> HTML:
    """Headline cards of chapter 1 (the summary's renderer): churn rate with interval and
    tested changes, retention, annualised churn, customers lost and at the start, revenue lost
    and NRR when revenue is known; a note instead of a rate when nobody was at the start."""
    result = chapter.result()
    cards = blocks.kpi_cards(result.kpis(), text).data
    if result.overall.churn_rate is None:
        period = text.period(result.overall.period)
        return HTML(note(text("indicators.no_start", period=period)).data + cards)
    return HTML(cards)


def alerts_html(chapter: IndicatorChapter, text: Text) -> HTML:
    """The alerts of the report period, or a line saying there is none."""
    if not chapter.alerts:
        period = text.period(chapter.indicators.overall.period)
        return HTML(f'<p class="ok">{escape(text("indicators.no_alerts", period=period))}</p>')
    alerts = chapter.result().alerts
    lis = "".join(f"<li>{escape(blocks.alert_sentence(a, text))}</li>" for a in alerts)
    return HTML(f'<ul class="alerts">{lis}</ul>')


def indicator_notes(chapter: IndicatorChapter, as_of, text: Text) -> HTML | None:
    """Why a trend is missing: a snapshot has no history; under three periods is too short."""
    if chapter.is_snapshot:
        return note(text("indicators.snapshot_note", as_of=text.date(as_of)))
    if not chapter.has_trend:
        return note(text("indicators.short_history"))
    return None


def _takeaway(sentence: str) -> HTML:
    return HTML(f'<p class="takeaway">{escape(sentence)}</p>')


def trend_heading(chapter: IndicatorChapter, text: Text) -> HTML | None:
    """Heading of the churn trend, or nothing without enough periods for a trend."""
    if not chapter.has_trend:
        return None
    return heading(text("indicators.trend"), text("indicators.trend.why"), level=3)


def trend_takeaway(chapter: IndicatorChapter, text: Text) -> HTML | None:
    """The report period's rate with its interval and its tested changes, in one sentence."""
    if not chapter.has_trend:
        return None
    p = chapter.periods
    last = p.iloc[-1]
    if pd.isna(last["churn_rate"]):
        return _takeaway(text("indicators.no_start", period=text.period(last["period"])))
    vs_prev = _change_sentence(last, "previous", text.period(p["period"].iloc[-2]), text)
    lag = chapter.result().year_lag
    vs_year = (
        _change_sentence(last, "year_ago", text.period(p["period"].iloc[-1 - lag]), text)
        if len(p) > lag
        else ""
    )
    return _takeaway(
        text(
            "take.trend",
            period=text.period(last["period"]),
            rate=text.pct(last["churn_rate"]),
            low=text.pct(last["ci_low"]),
            high=text.pct(last["ci_high"]),
            vs_prev=vs_prev,
            vs_year=vs_year,
        )
    )


def flows_takeaway(chapter: IndicatorChapter, text: Text) -> HTML | None:
    """Customers won and lost over the periods shown, and the customers at the end."""
    if not chapter.has_trend:
        return None
    p = chapter.periods
    back = int(p["reactivated"].sum())
    return _takeaway(
        text(
            "take.flows_returning" if back else "take.flows",  # a comeback is no new customer
            n=len(p),
            new=text.int(p["new"].sum()),
            back=text.int(back),
            lost=text.int((p["churned"] + p["new_and_lost"]).sum()),
            end=text.int(p["end_customers"].iloc[-1]),
        )
    )


def revenue_heading(chapter: IndicatorChapter, text: Text) -> HTML:
    """Heading of the recurring revenue section (without revenue its table says why)."""
    return heading(text("indicators.revenue"), text("indicators.revenue.why"), level=3)


def revenue_takeaway(chapter: IndicatorChapter, text: Text) -> HTML | None:
    """The report period's revenue moves, NRR and quick ratio, or nothing without revenue."""
    if not chapter.has_revenue or chapter.definition == "snapshot":
        return None
    return _takeaway(_bridge_sentence(chapter.bridge.iloc[-1], text))


def value_heading(chapter: IndicatorChapter, text: Text) -> HTML | None:
    """Heading of the cost of churn, or nothing without revenue."""
    if not chapter.has_value:
        return None
    return heading(text("indicators.value"), text("indicators.value.why"), level=3)


def cohorts_heading(chapter: IndicatorChapter, text: Text) -> HTML | None:
    """Heading of the cohort matrix, or nothing with fewer than two cohorts."""
    if not chapter.has_cohorts:
        return None
    return heading(text("indicators.cohorts"), text("indicators.cohorts.why"), level=3)


def cohorts_takeaway(chapter: IndicatorChapter, text: Text) -> HTML | None:
    """The range of retention after a year (or the longest age observed) across cohorts."""
    if not chapter.has_cohorts:
        return None
    shares = chapter.cohorts.drop(columns="size")
    k = min(12, shares.shape[1] - 1)
    col = shares[k].dropna()
    if not len(col):
        return None
    low, high = text.pct(col.min()), text.pct(col.max())
    latest = text.period(str(col.index[-1]))
    if low == high:  # every cohort alike: one figure, no range with equal ends
        return _takeaway(text("take.cohorts_same", k=k, share=low, latest=latest))
    return _takeaway(text("take.cohorts", k=k, low=low, high=high, latest=latest))


def survival_heading(chapter: IndicatorChapter, text: Text) -> HTML:
    """Heading of the customer lifetime curve."""
    return heading(text("indicators.survival"), text("indicators.survival.why"), level=3)


def survival_takeaway(chapter: IndicatorChapter, text: Text) -> HTML:
    """Retention after a year (or the longest age observed) and the median lifetime."""
    s = chapter.survival
    at12 = s.retention_at(12)
    if at12 is None:
        return _takeaway(
            text(
                "take.survival_short",
                months=text.num(s.curve["months"].max(), 1),
                median=_median(chapter, text),
            )
        )
    return _takeaway(text("take.survival", at12=text.pct(at12), median=_median(chapter, text)))


def definitions_heading(chapter: IndicatorChapter, text: Text) -> HTML:
    """Heading of the rate under other tools' conventions."""
    return heading(text("indicators.definitions"), text("indicators.definitions.why"), level=3)


def table_heading(chapter: IndicatorChapter, text: Text) -> HTML:
    """Heading of the period table."""
    return heading(text("indicators.table"), text("indicators.table.why"), level=3)


def _bridge_sentence(b: pd.Series, text: Text) -> str:
    """Revenue moves of the report period, with NRR and the quick ratio when they exist (NRR
    needs revenue at the start, the quick ratio revenue lost)."""
    gained = b["new_revenue"] + b["expansion"] + b["reactivation_revenue"]
    lost = b["churned_revenue"] + b["contraction"]
    moves = {
        "period": text.period(b["period"]),
        "start": text.money(b["start_revenue"], unit=True),
        "end": text.money(b["end_revenue"], unit=True),
        "gained": text.money(gained),
        "lost": text.money(lost),
    }
    if pd.notna(b["nrr"]) and pd.notna(b["quick_ratio"]):
        return text(
            "take.bridge", **moves, nrr=text.pct(b["nrr"]), quick=text.num(b["quick_ratio"])
        )
    parts = [text("take.bridge_moves", **moves)]
    if pd.notna(b["nrr"]):
        parts.append(text("take.nrr", nrr=text.pct(b["nrr"])))
    else:
        parts.append(text("take.no_nrr"))
    if pd.notna(b["quick_ratio"]):
        parts.append(text("take.quick", quick=text.num(b["quick_ratio"])))
    else:
        parts.append(text("take.no_quick"))
    return text.sentences(parts)


def _change_sentence(row: pd.Series, kind: str, other: str, text: Text) -> str:
    change = row[f"change_vs_{kind}"]
    if pd.isna(change):
        return ""
    if row[f"significant_vs_{kind}"]:
        direction = text("take.up") if change > 0 else text("take.down")
        return text(
            "take.change_sig", direction=direction, points=f"{abs(change) * 100:.1f}", other=other
        )
    return text("take.change_ns", points=text.points(change), other=other)


def _median(chapter: IndicatorChapter, text: Text) -> str:
    m = chapter.survival.median_lifetime_months
    return text("survival.not_reached") if m is None else text("survival.months", months=f"{m:.1f}")


def survival_summary_html(chapter: IndicatorChapter, text: Text) -> HTML:
    """Median and restricted mean lifetime in one sentence."""
    s = chapter.survival
    if s.horizon_months < 1:  # nobody observed for a month: no mean over a horizon
        sentence = text(
            "survival.summary_short",
            median=_median(chapter, text),
            customers=text.int(s.customers),
            churned=text.int(s.churned),
        )
        return HTML(f'<p class="meta">{escape(sentence)}</p>')
    return HTML(
        '<p class="meta">'
        + escape(
            text(
                "survival.summary",
                median=_median(chapter, text),
                horizon=f"{s.horizon_months:.0f}",
                rmst=f"{s.rmst_months:.1f}",
                customers=text.int(s.customers),
                churned=text.int(s.churned),
            )
        )
        + "</p>"
    )


def revenue_table_html(chapter: IndicatorChapter, text: Text, last: int = 13) -> HTML:
    """The MRR bridge and revenue ratios of the last ``last`` periods (or a note without revenue);
    moves that are zero in every period shown are left out."""
    if chapter.bridge is None:
        return note(text("indicators.no_revenue"))
    if chapter.definition == "snapshot":  # one date: no revenue moves to show
        return note(text("indicators.no_revenue_snapshot"))
    b = chapter.bridge.tail(last)
    money = text.money
    cols = {
        "period": (text("col.period"), text.period),
        "start_revenue": (text("col.start_revenue"), money),
        "new_revenue": (text("col.new_revenue"), money),
        "expansion": (text("col.expansion"), money),
        "reactivation_revenue": (text("col.reactivation_revenue"), money),
        "contraction": (text("col.contraction"), money),
        "churned_revenue": (text("col.churned_revenue"), money),
        "arpa": (text("col.arpa"), lambda v: text.num(v, 0)),
        "gross_revenue_churn": (text("col.gross_revenue_churn"), text.pct),
        "nrr": (text("col.nrr"), text.pct),
        "quick_ratio": (text("col.quick_ratio"), lambda v: text.num(v, 2)),
    }
    # a move the data never show (no upgrades, downgrades or returns) is no column of zeros
    for move in ("expansion", "reactivation_revenue", "contraction"):
        if not b[move].fillna(0).ne(0).any():
            del cols[move]
    return table(b, cols, numeric=set(cols) - {"period"}, compact=True)


def value_html(chapter: IndicatorChapter, text: Text) -> HTML | None:
    """Cost-of-churn statement, lifetime value both ways, and the scenario table."""
    v = chapter.value
    if v is None:
        return None
    k = chapter.result().year_lag
    parts = [f'<p class="statement">{escape(_value_statement(v, text))}</p>']
    if chapter.indicators.snapshot:
        parts.append(note(text("value.snapshot")).data)
        return HTML("".join(parts))
    if v.annual_churn_rate is None:
        parts.append(note(text("value.no_basis", k=k)).data)
        return HTML("".join(parts))
    if v.expected_lifetime_years is None:  # no churn over the last year: nothing to project
        parts.append(note(text("value.no_annual_churn", k=k)).data)
        return HTML("".join(parts))
    years = f"{v.expected_lifetime_years:.1f}"
    if v.expected_lifetime_years > MAX_LIFETIME_YEARS:  # too little churn to value a lifetime
        parts.append(
            note(
                text(
                    "value.implausible",
                    annual=text.pct(v.annual_churn_rate),
                    k=k,
                    years=text.num(v.expected_lifetime_years, 0),
                )
            ).data
        )
        return HTML("".join(parts))

    items = [
        text("value.basis", annual=text.pct(v.annual_churn_rate), k=k, years=years),
        text(
            "value.clv_arpa",
            arpa=text.money(v.arpa, unit=True),
            monthly=text.pct(v.monthly_churn_rate),
            clv=text.money(v.clv_arpa_method, unit=True),
        ),
        text(
            "value.clv_spend",
            spend=text.money(v.arpa * 12, unit=True),
            years=years,
            margin=text.pct(v.margin, 0),
            clv=text.money(v.clv_spend_method, unit=True),
        ),
    ]
    parts.append(
        '<ul class="definitions">' + "".join(f"<li>{escape(i)}</li>" for i in items) + "</ul>"
    )
    if not v.scenarios:
        parts.append(note(text("value.no_scenarios")).data)
        return HTML("".join(parts))
    frame = pd.DataFrame(v.scenarios)
    parts.append(
        table(
            frame,
            {
                "points": (
                    text("col.scenario"),
                    lambda x: text(
                        "value.scenario_point" if int(x) == 1 else "value.scenario_points",
                        points=int(x),
                    ),
                ),
                "annual_churn_rate": (text("col.annual_churn_after"), text.pct),
                "customers_saved": (text("col.customers_saved"), text.int),
                "revenue": (text("col.revenue_per_year"), lambda x: text.money(x, unit=True)),
                "profit": (text("col.profit_per_year"), lambda x: text.money(x, unit=True)),
            },
            numeric={"annual_churn_rate", "customers_saved", "revenue", "profit"},
        ).data
    )
    return HTML("".join(parts))


def _value_statement(v, text: Text) -> str:
    """The cost-of-churn sentence; without customers at the start or without churn, a
    sentence saying so (a rate of no customers or a cost per lost customer of none is no
    number)."""
    period = text.period(v.period)
    if v.customers == 0:
        return text("value.no_start", period=period)
    if v.churned == 0:
        return text("value.no_churn", customers=text.int(v.customers), period=period)
    return text(
        "value.statement",
        customers=text.int(v.customers),
        rate=text.pct(v.churn_rate),
        lost=text.int(v.churned),
        per_customer=text.money(v.revenue_lost_per_customer),
        revenue=text.money(v.revenue_lost, unit=True),
        margin=text.pct(v.margin, 0),
        profit=text.money(v.profit_lost, unit=True),
    )


def conventions_html(chapter: IndicatorChapter, text: Text) -> HTML:
    """The report period's churn rate under other tools' conventions, with why each differs;
    a snapshot has no period to count in other ways (one line says so)."""
    if chapter.definition == "snapshot":
        return note(text("conv.snapshot"))
    c = chapter.conventions.assign(explanation=chapter.conventions["convention"])
    return table(
        c,
        {
            "convention": (text("col.convention"), lambda k: text(CONVENTIONS[k][0])),
            "churned": (text("col.churned"), text.int),
            "denominator": (
                text("col.denominator"),
                lambda v: text.num(v, 0 if v == int(v) else 1),
            ),
            "churn_rate": (text("col.churn_rate"), lambda v: text.pct(v, 2)),
            "explanation": (text("col.explanation"), lambda k: text(CONVENTIONS[k][1])),
        },
        numeric={"churned", "denominator", "churn_rate"},
    )


def period_table_html(chapter: IndicatorChapter, text: Text) -> HTML:
    """The per-period table with counts, rate, interval and the tested change."""
    p = chapter.periods
    frame = p.assign(
        ci=list(zip(p["ci_low"], p["ci_high"], strict=True)),
        change=list(zip(p["change_vs_previous"], p["significant_vs_previous"], strict=True)),
    )
    cols = {
        "period": (text("col.period"), text.period),
        "start_customers": (text("col.start_customers"), text.int),
        "new": (text("col.new"), text.int),
        "reactivated": (text("col.reactivated"), text.int),
        "new_and_lost": (text("col.new_and_lost"), text.int),
        "churned": (text("col.churned"), text.int),
        "end_customers": (text("col.end_customers"), text.int),
        "churn_rate": (text("col.churn_rate"), text.pct),
        "ci": (
            text("col.ci"),
            lambda v: "–" if v[0] != v[0] else f"{text.pct(v[0])} – {text.pct(v[1])}",
        ),
        "change": (
            text("col.change"),
            lambda v: "–" if v[0] != v[0] else text.points(v[0]) + (" *" if v[1] else ""),
        ),
    }
    out = table(frame, cols, numeric=set(cols) - {"period"}).data
    if (p["start_customers"] == 0).any():
        out += note(text("indicators.zero_start")).data
    return HTML(out)


def churn_mix_html(chapter: IndicatorChapter, text: Text) -> HTML:
    """Voluntary vs involuntary churn and the referral rate of the report period, or notes
    saying which column would be needed."""
    last = chapter.periods.iloc[-1]
    period = text.period(last["period"])
    lines = []
    if chapter.churn_types is not None:
        lines.append(
            text(
                "mix.types",
                period=period,
                lost=text.int(last["churned"]),
                voluntary=text.int(last["churned_voluntary"]),
                involuntary=text.int(last["churned_involuntary"]),
                unknown=text.int(last["churned_type_unknown"]),
            )
        )
    else:
        lines.append(text("mix.no_types"))
    if chapter.referrals is not None:
        lines.append(
            text(
                "mix.referral",
                period=period,
                rate=text.pct(last["referral_rate"]),
                referred=text.int(last["new_referred"]),
                new=text.int(last["new"]),
            )
        )
    else:
        lines.append(text("mix.no_referral"))
    return HTML(
        '<ul class="definitions">' + "".join(f"<li>{escape(x)}</li>" for x in lines) + "</ul>"
    )
