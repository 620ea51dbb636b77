"""Chapter 2 blocks: stated reasons and measured drivers, with generated sentences."""

from __future__ import annotations

from html import escape

import pandas as pd
from IPython.display import HTML

from churnreport.analysis.chapter import CauseChapter
from churnreport.analysis.results import DriverEffect, StaffTurnover, jsonable
from churnreport.report import blocks
from churnreport.report.charts import (
    plot_drivers,
    plot_incidence,
    plot_metric_cohorts,
    plot_reason_pareto,
    plot_reasons_by_segment,
    plot_reasons_over_time,
)
from churnreport.report.tables import heading, note, table
from churnreport.report.text import N_, Text, dimension_label, level_label

#: Labels of the categories the library adds to the user's taxonomy.
SPECIAL_CATEGORIES = {
    "unmapped": N_("cause.unmapped"),
    "not_stated": N_("cause.not_stated"),
    "other_causes": N_("cause.other_causes"),
}
#: "Could we have prevented it?" of each category group.
GROUPS = {
    "subjective": N_("group.subjective"),
    "objective": N_("group.objective"),
    "involuntary": N_("group.involuntary"),
    "unmapped": N_("group.unmapped"),
    "not_stated": N_("group.not_stated"),
}
#: Why a driver was left out (``churnreport.analysis.drivers.LEFT_OUT`` codes).
LEFT_OUT = {
    "constant": N_("drv.left.constant"),
    "few_values": N_("drv.left.few_values"),
    "pooled": N_("drv.left.pooled"),
    "few_rows": N_("drv.left.few_rows"),
    "correlated": N_("drv.left.correlated"),
    "few_events": N_("drv.left.few_events"),
    "not_estimable": N_("drv.left.not_estimable"),
    "nobody_at_risk": N_("drv.left.nobody_at_risk"),
    "no_factors": N_("drv.left.no_factors"),
    "outcome_like": N_("drv.left.outcome_like"),
    "definitional": N_("drv.left.definitional"),
}
#: The driver model's scope sentence and its effect column, by kind of ratio.
MODEL_SCOPE = {
    "hazard_ratio": N_("causes.model.hazard_ratio"),
    "odds_ratio": N_("causes.model.odds_ratio"),
}
EFFECT_COLUMN = {"hazard_ratio": N_("col.hazard_ratio"), "odds_ratio": N_("col.odds_ratio")}


def category_labels(chapter: CauseChapter, text: Text) -> dict[str, str]:
    """Display label of every category, in the report language."""
    labels = {name: getattr(c, text.language) for name, c in chapter.mapping.categories.items()}
    return labels | {name: text(msgid) for name, msgid in SPECIAL_CATEGORIES.items()}


def reasons_heading(chapter: CauseChapter, text: Text) -> HTML:
    """Heading of the stated reasons (without reasons, the summary below says so)."""
    return heading(text("causes.reasons"), text("causes.reasons.why"), level=3)


def segments_heading(chapter: CauseChapter, text: Text) -> HTML | None:
    """Heading of the reasons by segment, or nothing when there is no split to show."""
    if not chapter.has_reasons_by_segment:
        return None
    return heading(text("causes.segments"), text("causes.segments.why"), level=3)


def time_heading(chapter: CauseChapter, text: Text) -> HTML | None:
    """Heading of the reasons over time, or nothing with fewer than two periods of reasons."""
    if not chapter.has_reasons_over_time:
        return None
    return heading(text("causes.time"), text("causes.time.why"), level=3)


def incidence_heading(chapter: CauseChapter, text: Text) -> HTML | None:
    """Heading of the reasons over the customer lifetime, or nothing without incidence curves."""
    if not chapter.has_incidence:
        return None
    return heading(text("causes.incidence"), text("causes.incidence.why"), level=3)


def drivers_heading(chapter: CauseChapter, text: Text) -> HTML:
    """Heading of the driver model (without one, the text below says why)."""
    return heading(text("causes.drivers"), text("causes.drivers.why"), level=3)


def cohorts_heading(chapter: CauseChapter, text: Text) -> HTML | None:
    """Heading of the raw churn rate by factor, or nothing without drivers."""
    if not chapter.has_drivers:
        return None
    return heading(text("causes.cohorts"), text("causes.cohorts.why"), level=3)


def reasons_summary_html(chapter: CauseChapter, text: Text) -> HTML:
    """Who stated what: counts, the leading categories, the controllable share."""
    r = chapter.reasons
    if r is None:
        return note(text("causes.no_reasons"))
    if r.churners.empty:
        return note(text("causes.no_churners"))
    labels = category_labels(chapter, text)
    cats = r.categories[~r.categories["category"].isin(["not_stated"])]
    top = cats.head(2)
    stated = int((r.churners["category"] != "not_stated").sum())
    sentence = text(
        "causes.summary_snapshot" if r.window_start == r.window_end else "causes.summary",
        lost=text.int(len(r.churners)),
        start=text.date(r.window_start),
        end=text.date(r.window_end),
        stated=text.int(stated),
        top=text("causes.and").join(labels.get(c, c) for c in top["category"]),
        share=text.pct(top["churned"].sum() / len(r.churners)),
        controllable=text.pct(r.controllable_share),
    )
    return HTML(f'<p class="takeaway">{escape(sentence)}</p>')


def reason_pareto(chapter: CauseChapter, text: Text):
    """Pareto chart of the reason categories."""
    if chapter.reasons is None:
        return None
    return plot_reason_pareto(chapter.reasons.categories, category_labels(chapter, text), text)


def raw_reason_pareto(chapter: CauseChapter, text: Text, top: int = 15):
    """Pareto chart of the most frequent raw reasons (shares of all churners in the window)."""
    r = chapter.reasons
    if r is None or r.reasons.empty:
        return None
    groups = {n: c.group for n, c in chapter.mapping.categories.items()}
    frame = r.reasons.head(top).assign(
        group=lambda d: d["category"].map(groups).fillna("unmapped"),
        reason=lambda d: reason_labels(d, text),
    )
    return plot_reason_pareto(frame, {}, text, key="reason")


def categories_table_html(chapter: CauseChapter, text: Text) -> HTML | None:
    """Categories with churners, share, cumulative share and revenue lost per year."""
    r = chapter.reasons
    if r is None or r.churners.empty:
        return None
    labels = category_labels(chapter, text)
    return table(
        r.categories,
        {
            "category": (text("col.category"), lambda c: labels.get(c, c)),
            "group": (text("col.group"), lambda g: text(GROUPS[g])),
            "churned": (text("col.churned"), text.int),
            "share": (text("col.share"), text.pct),
            "cumulative_share": (text("col.cumulative"), text.pct),
            "revenue_lost": (text("col.revenue_lost"), lambda v: text.money(v)),
        },
        numeric={"churned", "share", "cumulative_share", "revenue_lost"},
    )


def reasons_table_html(chapter: CauseChapter, text: Text, top: int = 15) -> HTML | None:
    """The most frequent stated reasons with category, counts, shares and revenue lost; then
    the reasons no rule matched."""
    r = chapter.reasons
    if r is None or r.churners.empty:
        return None
    labels = category_labels(chapter, text)
    frame = r.reasons.head(top).assign(
        label=lambda d: reason_labels(d, text),
        cat=lambda d: [labels.get(c, c) for c in d["category"]],
        spelled=lambda d: [_spellings(s) for s in d["stated_as"]],
    )
    cols = {
        "label": (text("col.reason"), str),
        "cat": (text("col.category"), str),
        "spelled": (text("col.stated_as"), str),
        "churned": (text("col.churned"), text.int),
        "share": (text("col.share"), text.pct),
        "cumulative_share": (text("col.cumulative"), text.pct),
        "revenue_lost": (text("col.revenue_lost"), lambda v: text.money(v)),
    }
    if not frame["revenue_lost"].fillna(0).gt(0).any():  # no revenue data: no column of zeros
        del cols["revenue_lost"]
    out = table(
        frame,
        cols,
        numeric={"churned", "share", "cumulative_share", "revenue_lost"},
        compact=True,
        wide={"spelled"},
    ).data
    if len(r.reasons) > top:
        out += note(text("causes.more_reasons", n=len(r.reasons) - top)).data
    if r.unmapped.empty:
        out += f'<p class="ok">{escape(text("causes.all_mapped", source=_source(chapter)))}</p>'
    else:
        out += heading(text("causes.unmapped"), text("causes.unmapped.why"), level=3).data
        out += table(
            r.unmapped,
            {"reason": (text("col.reason_text"), str), "churned": (text("col.churned"), text.int)},
            numeric={"churned"},
        ).data
    return HTML(out)


def reason_labels(rows: pd.DataFrame, text: Text) -> list[str]:
    """A reason row's name in the report language: its sub-reason, or the text no rule matched.

    Parameters
    ----------
    rows : DataFrame
        ``ReasonAnalysis.reasons`` rows (reason, sub, sub_zh).
    text : Text

    Returns
    -------
    list of str
        Sub-reasons in sentence case (English) or as the taxonomy writes them (Chinese).
    """
    sub = rows["sub_zh" if text.language == "zh" else "sub"]
    return [s[:1].upper() + s[1:] if s else r for s, r in zip(sub, rows["reason"], strict=True)]


def _spellings(stated: list[str], most: int = 3) -> str:
    """The ways customers wrote a reason, most frequent first ('… +2' beyond ``most``)."""
    shown = " / ".join(stated[:most])
    return shown + (f" … +{len(stated) - most}" if len(stated) > most else "")


def _source(chapter: CauseChapter) -> str:
    return chapter.mapping.source.rsplit("/", 1)[-1]


def reasons_by_segment_html(chapter: CauseChapter, text: Text) -> HTML | None:
    """One heatmap per segment dimension."""
    if not chapter.has_reasons_by_segment:
        return None
    labels = category_labels(chapter, text)
    parts = [
        plot_reasons_by_segment(
            shares.rename(index=lambda level, dim=dim: level_label(dim, level, text)),
            dimension_label(dim, text),
            labels,
            text,
        )
        for dim, shares in chapter.by_segment.items()
    ]
    return HTML("".join(p._repr_html_() for p in parts if p is not None))


def reasons_over_time(chapter: CauseChapter, text: Text):
    """Churners per period by category."""
    if not chapter.has_reasons_over_time:
        return None
    return plot_reasons_over_time(chapter.over_time, category_labels(chapter, text), text)


def incidence(chapter: CauseChapter, text: Text):
    """Cumulative incidence by category over customer age."""
    if not chapter.has_incidence:
        return None
    return plot_incidence(chapter.incidence, category_labels(chapter, text), text)


def _effects(chapter: CauseChapter) -> list[DriverEffect]:
    """The driver effects as typed rows, strongest first."""
    return chapter.drivers.effects() if chapter.drivers is not None else []


def drivers_chart(chapter: CauseChapter, text: Text):
    """Forest plot of the driver effects."""
    if not chapter.has_drivers:
        return None
    m = chapter.drivers
    names = [blocks.driver_name(e, text) for e in _effects(chapter)]
    return plot_drivers(m.drivers, names, text)


def left_out_reason(item: dict, text: Text) -> str:
    """Why a driver was left out, in the report language.

    Parameters
    ----------
    item : dict
        An entry of ``DriverModel.dropped`` (``code`` and ``params``; older runs: ``reason``).
    text : Text
        The report language.

    Returns
    -------
    str
    """
    if "code" not in item:
        return item["reason"]
    return text(LEFT_OUT[item["code"]], **item.get("params", {}))


def drivers_html(chapter: CauseChapter, text: Text, top: int = 6) -> HTML:
    """The strongest significant drivers in sentences, the null ones named, the model's scope,
    the staff-turnover effect, and what was left out and why."""
    m = chapter.drivers
    if m is None:
        return note(text("causes.no_drivers"))
    parts = []
    d = m.drivers
    if d.empty:
        model = next((x for x in m.dropped if x["driver"] == "(model)"), None)
        if model is None:
            return note(text("causes.no_drivers"))
        return note(text("causes.model_not_fitted", reason=left_out_reason(model, text)))
    effects = _effects(chapter)
    sig = [e for e in effects if e.significant and e.is_estimated]
    items = [blocks.driver_sentence(e, text) for e in sig[:top]]
    parts.append(
        '<ul class="definitions">' + "".join(f"<li>{escape(i)}</li>" for i in items) + "</ul>"
    )
    null = [blocks.driver_name(e, text) for e in effects if not e.significant]
    if null:
        parts.append(f'<p class="meta">{escape(text("causes.null", names="; ".join(null)))}</p>')
    scope = text(MODEL_SCOPE[m.kind], rows=text.int(m.rows), events=text.int(m.events))
    if m.sample is not None:
        s = m.sample
        scope += " " + text(
            "causes.model.sampled",
            share=text.pct(s["customers"] / s["of_customers"], 0),
            customers=text.int(s["customers"]),
            of=text.int(s["of_customers"]),
        )
    parts.append(f'<p class="meta">{escape(scope)}</p>')
    s = StaffTurnover.model_validate(jsonable(m.staff_turnover)) if m.staff_turnover else None
    if s is not None and None not in (
        s.after_rate,
        s.other_rate,
        s.rate_ratio,
        s.ratio_ci_low,
        s.ratio_ci_high,
    ):  # no comparison without customer-months on both sides
        parts.append(
            '<p class="takeaway">'
            + escape(
                text(
                    "causes.staff",
                    after=text.pct(s.after_rate, 2),
                    other=text.pct(s.other_rate, 2),
                    ratio=f"{s.rate_ratio:.2f}",
                    lo=f"{s.ratio_ci_low:.2f}",
                    hi=f"{s.ratio_ci_high:.2f}",
                    months=text.int(s.after_months),
                )
            )
            + "</p>"
        )
    if m.dropped:
        left = "; ".join(f"{x['driver']}: {left_out_reason(x, text)}" for x in m.dropped)
        parts.append(f'<p class="meta">{escape(text("causes.dropped", items=left))}</p>')
    return HTML("".join(parts))


def drivers_table_html(chapter: CauseChapter, text: Text) -> HTML | None:
    """Every driver with its effect, interval and (Holm-adjusted) p-value."""
    if not chapter.has_drivers:
        return None
    m = chapter.drivers
    d = m.drivers.assign(name=[blocks.driver_name(e, text) for e in _effects(chapter)])
    return table(
        d,
        {
            "name": (text("col.driver"), str),
            "effect": (text(EFFECT_COLUMN[m.kind]), lambda v: f"{v:.2f}"),
            "ci_low": (text("col.ci_low"), lambda v: f"{v:.2f}"),
            "ci_high": (text("col.ci_high"), lambda v: f"{v:.2f}"),
            "p_adjusted": (text("col.p_adjusted"), lambda v: "<0.001" if v < 0.001 else f"{v:.3f}"),
            "exposure": (text("col.exposure"), text.pct),
        },
        numeric={"effect", "ci_low", "ci_high", "p_adjusted", "exposure"},
        compact=True,
    )


def metric_cohorts_chart(chapter: CauseChapter, text: Text, top: int = 6):
    """Churn rate by decile / level of the strongest drivers (what the model summarises)."""
    if not chapter.has_drivers:
        return None
    m = chapter.drivers
    order = list(dict.fromkeys(m.drivers["driver"]))[:top]
    names = {d: dimension_label(d, text) for d in order}
    cohorts = {
        d: m.cohorts[d].assign(bin=[level_label(d, b, text) for b in m.cohorts[d]["bin"]])
        for d in order
        if d in m.cohorts
    }
    return plot_metric_cohorts(cohorts, names, text)
