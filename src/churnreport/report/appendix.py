"""Appendix blocks: the definitions and parameters a run used."""

from __future__ import annotations

import datetime as dt
from html import escape

import pandas as pd
from IPython.display import HTML

from churnreport.analysis.results import DataProfile
from churnreport.config import ReportConfig
from churnreport.report.tables import key_value_html, table
from churnreport.report.text import N_, Text

#: The sentence defining each churn definition (config ``churn.definition``).
DEFINITIONS = {
    "contract": N_("def.contract"),
    "inactivity": N_("def.inactivity"),
    "snapshot": N_("def.snapshot"),
}
#: The calendar period in words (config ``period``).
PERIODS = {"month": N_("period.month"), "quarter": N_("period.quarter"), "year": N_("period.year")}


def definitions_html(config: ReportConfig, as_of: dt.date, text: Text) -> HTML:
    """The churn definition, formulas and period convention used, as a list."""
    c = config.churn
    definition = (
        N_("def.contract_touching")  # no gap: only touching or overlapping subscriptions join
        if c.definition == "contract" and c.reactivation_gap_days == 0
        else DEFINITIONS[c.definition]
    )
    items = [
        text(
            definition,
            gap=c.reactivation_gap_days,
            days=c.inactivity_days,
            as_of=text.date(as_of),
        ),
        text("def.churn_rate"),
        text("def.retention"),
        text("def.period", period=text(PERIODS[config.period]), as_of=text.date(as_of)),
    ]
    return HTML(
        '<ul class="definitions">' + "".join(f"<li>{escape(i)}</li>" for i in items) + "</ul>"
    )


def parameters_html(config: ReportConfig, as_of: dt.date, text: Text) -> HTML:
    """The parameters of the run (source files by name, not full path)."""
    pairs = [
        ("name", config.name),
        ("as_of", as_of.isoformat()),
        ("period", config.period),
        ("language", config.language),
        ("company", config.company),
        ("currency", config.currency),
        ("margin", f"{config.margin:g}"),
        ("churn.definition", config.churn.definition),
        *(  # only the settings the definition uses
            [("churn.inactivity_days", str(config.churn.inactivity_days))]
            if config.churn.definition == "inactivity"
            else []
        ),
        *(
            [("churn.reactivation_gap_days", str(config.churn.reactivation_gap_days))]
            if config.churn.definition == "contract"
            else []
        ),
        ("segments", ", ".join(config.segments) or text("appendix.no_segments")),
    ]
    pairs += [
        (f"sources.{t}", s.path.name if s.path is not None else f"{s.sql} @ {s.connection}")
        for t, s in config.sources.items()
    ]
    return key_value_html(pairs, text)


#: The input shape in words (``DataProfile.shape``).
SHAPES = {
    "dated": N_("profile.shape.dated"),
    "purchases": N_("profile.shape.purchases"),
    "snapshot": N_("profile.shape.snapshot"),
}
#: Where revenue comes from, in words (``DataProfile.revenue``).
REVENUE = {
    "subscriptions": N_("profile.revenue.subscriptions"),
    "monthly_revenue": N_("profile.revenue.monthly_revenue"),
    "transactions": N_("profile.revenue.transactions"),
    "none": N_("profile.revenue.none"),
}
#: The optional tables, by name.
OPTIONAL = {
    "subscriptions": N_("profile.subscriptions"),
    "transactions": N_("profile.transactions"),
    "tickets": N_("profile.tickets"),
    "staff": N_("profile.staff"),
}


def profile_html(profile: dict | DataProfile, text: Text) -> HTML:
    """The data profile as a two-column table: what kind of data the report had, which decides
    what it says (a snapshot has no trend, no revenue moves; no reasons, no stated causes ...).

    Parameters
    ----------
    profile : dict or DataProfile
        :func:`churnreport.data.profile.data_profile` of the run's data.
    text : Text

    Returns
    -------
    HTML
    """
    p = DataProfile.model_validate(profile)
    if p.first_activity is None or p.as_of is None:
        history = text("profile.history.snapshot")
    else:
        history = text(
            "profile.history.span",
            first=text.date(p.first_activity),
            last=text.date(p.as_of),
            months=text.num(p.history_months, 0),
        )
    pairs = [
        (text("profile.shape"), text(SHAPES[p.shape])),
        (
            text("profile.customers"),
            text("profile.customers_value", n=text.int(p.customers), k=text.int(p.churned)),
        ),
        (text("profile.history"), history),
        *(
            [(text("profile.observed"), text.date(p.observed_from))]
            if p.observed_from is not None
            else []
        ),
        (text("profile.revenue"), text(REVENUE[p.revenue])),
        (
            text("profile.reasons"),
            text("profile.reasons_value", n=text.int(p.stated_reasons), k=text.int(p.churned))
            if p.stated_reasons
            else text("profile.none"),
        ),
    ]
    for name, msgid in OPTIONAL.items():
        rows = getattr(p, name)
        pairs.append(
            (text(msgid), text("profile.rows", n=text.int(rows)) if rows else text("profile.none"))
        )
    frame = pd.DataFrame(pairs, columns=["item", "value"])
    return table(
        frame, {"item": (text("col.profile_item"), str), "value": (text("col.value"), str)}
    )
