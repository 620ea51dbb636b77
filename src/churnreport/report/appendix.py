"""Appendix blocks: the definitions and parameters a run used."""

from __future__ import annotations

import datetime as dt
from html import escape

from IPython.display import HTML

from churnreport.config import ReportConfig
from churnreport.report.tables import key_value_html
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
        ("churn.inactivity_days", str(config.churn.inactivity_days)),
        ("churn.reactivation_gap_days", str(config.churn.reactivation_gap_days)),
        ("segments", ", ".join(config.segments) or text("appendix.no_segments")),
    ]
    pairs += [
        (f"sources.{t}", s.path.name if s.path is not None else f"{s.sql} @ {s.connection}")
        for t, s in config.sources.items()
    ]
    return key_value_html(pairs, text)
