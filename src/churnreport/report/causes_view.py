"""Chapter 2 blocks: stated reasons and measured drivers, with generated sentences."""

from __future__ import annotations

from html import escape

import pandas as pd
from IPython.display import HTML

from churnreport.analysis.chapter import CauseChapter
from churnreport.report.charts import (
    plot_drivers,
    plot_incidence,
    plot_metric_cohorts,
    plot_reason_pareto,
    plot_reasons_by_segment,
    plot_reasons_over_time,
)
from churnreport.report.tables import heading, note, table
from churnreport.report.text import Text

KNOWN_DRIVERS = (
    "complaint_90d",
    "slow_response_90d",
    "low_satisfaction_90d",
    "manager_left_90d",
    "new_customer",
    "age_band",
    "customer_type",
    "plan",
    "gender",
    "region",
    "channel",
    "tenure_months",
)


def category_labels(chapter: CauseChapter, text: Text) -> dict[str, str]:
    """Display label of every category, in the report language."""
    labels = {name: getattr(c, text.language) for name, c in chapter.mapping.categories.items()}
    for special in ("unmapped", "not_stated", "other_causes"):
        labels[special] = text(f"cause.{special}")
    return labels


def section(chapter: CauseChapter, name: str, text: Text) -> HTML | None:
    """A section heading of chapter 2, or nothing when the section has nothing to show.

    ``name``: reasons, segments, time, incidence, drivers, cohorts.
    """
    r = chapter.reasons
    has = {
        "reasons": True,
        "segments": bool(chapter.by_segment),
        "time": chapter.over_time is not None and len(chapter.over_time) >= 2,
        "incidence": chapter.incidence is not None and len(chapter.incidence) >= 2,
        "drivers": True,
        "cohorts": chapter.drivers is not None and not chapter.drivers.drivers.empty,
    }[name]
    if name == "cohorts" and not has:
        return None
    if name in ("segments", "time", "incidence") and (r is None or not has):
        return None
    return heading(text(f"causes.{name}"), text(f"causes.{name}.why"), level=3)


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
    frame = r.reasons.head(top).assign(group=lambda d: d["category"].map(groups).fillna("unmapped"))
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
            "group": (text("col.group"), lambda g: text(f"group.{g}")),
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
        cat=lambda d: [
            labels.get(c, c) + (f" · {s}" if s else "")
            for c, s in zip(
                d["category"], d["sub_zh" if text.language == "zh" else "sub"], strict=True
            )
        ]
    )
    out = table(
        frame,
        {
            "reason": (text("col.reason_text"), str),
            "cat": (text("col.category"), str),
            "churned": (text("col.churned"), text.int),
            "share": (text("col.share"), text.pct),
            "cumulative_share": (text("col.cumulative"), text.pct),
            "revenue_lost": (text("col.revenue_lost"), lambda v: text.money(v)),
        },
        numeric={"churned", "share", "cumulative_share", "revenue_lost"},
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


def _source(chapter: CauseChapter) -> str:
    return chapter.mapping.source.rsplit("/", 1)[-1]


def reasons_by_segment_html(chapter: CauseChapter, text: Text) -> HTML | None:
    """One heatmap per segment dimension."""
    if not chapter.by_segment:
        return None
    labels = category_labels(chapter, text)
    parts = [
        plot_reasons_by_segment(shares, text.get(f"drv.{dim}", dim), labels, text)
        for dim, shares in chapter.by_segment.items()
    ]
    return HTML("".join(p._repr_html_() for p in parts if p is not None))


def reasons_over_time(chapter: CauseChapter, text: Text):
    """Churners per period by category."""
    return plot_reasons_over_time(chapter.over_time, category_labels(chapter, text), text)


def incidence(chapter: CauseChapter, text: Text):
    """Cumulative incidence by category over customer age."""
    return plot_incidence(chapter.incidence, category_labels(chapter, text), text)


def driver_name(row: pd.Series, text: Text) -> str:
    """Short display name of a driver row."""
    base = text(f"drv.{row['driver']}") if row["driver"] in KNOWN_DRIVERS else str(row["driver"])
    if row["unit"] == "level":
        return f"{base} = {_level(row['level'], text)}"
    if row["unit"] == "per_sd":
        return text("drv.per_sd_name", name=base)
    return base


def _level(level: str, text: Text) -> str:
    key = f"drv.level.{level}"
    return text.get(key, level)


def _who(row: pd.Series, text: Text) -> str:
    name = text(f"drv.{row['driver']}") if row["driver"] in KNOWN_DRIVERS else str(row["driver"])
    if row["unit"] == "binary":
        return text.get(f"drv.who.{row['driver']}", text("drv.who.flag", name=name))
    if row["unit"] == "level":
        return text(
            "drv.who.level",
            name=name,
            level=_level(row["level"], text),
            reference=_level(row["reference"], text),
        )
    return text("drv.who.per_sd", name=name)


def driver_sentence(row: pd.Series, text: Text) -> str:
    """'Customers who complained in the last 90 days left 2.2 times as often (95% CI 2.0-2.4).'"""
    values = dict(
        who=_who(row, text),
        effect=f"{row['effect']:.2f}",
        lo=f"{row['ci_low']:.2f}",
        hi=f"{row['ci_high']:.2f}",
    )
    if not row["significant"]:
        return text("drv.sentence.ns", **values)
    return text(f"drv.sentence.{row['kind']}", **values)


def drivers_chart(chapter: CauseChapter, text: Text):
    """Forest plot of the driver effects."""
    m = chapter.drivers
    if m is None or m.drivers.empty:
        return None
    names = [driver_name(r, text) for _, r in m.drivers.iterrows()]
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
    return text(f"drv.left.{item['code']}", **item.get("params", {}))


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
    sig = d[d["significant"]].head(top)
    items = [driver_sentence(r, text) for _, r in sig.iterrows()]
    parts.append(
        '<ul class="definitions">' + "".join(f"<li>{escape(i)}</li>" for i in items) + "</ul>"
    )
    null = [driver_name(r, text) for _, r in d[~d["significant"]].iterrows()]
    if null:
        parts.append(f'<p class="meta">{escape(text("causes.null", names="; ".join(null)))}</p>')
    scope = text(f"causes.model.{m.kind}", rows=text.int(m.rows), events=text.int(m.events))
    if m.sample is not None:
        s = m.sample
        scope += " " + text(
            "causes.model.sampled",
            share=text.pct(s["customers"] / s["of_customers"], 0),
            customers=text.int(s["customers"]),
            of=text.int(s["of_customers"]),
        )
    parts.append(f'<p class="meta">{escape(scope)}</p>')
    if m.staff_turnover is not None:
        s = m.staff_turnover
        parts.append(
            '<p class="takeaway">'
            + escape(
                text(
                    "causes.staff",
                    after=text.pct(s["after_rate"], 2),
                    other=text.pct(s["other_rate"], 2),
                    ratio=f"{s['rate_ratio']:.2f}",
                    lo=f"{s['ratio_ci_low']:.2f}",
                    hi=f"{s['ratio_ci_high']:.2f}",
                    months=text.int(s["after_months"]),
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
    m = chapter.drivers
    if m is None or m.drivers.empty:
        return None
    d = m.drivers.assign(name=[driver_name(r, text) for _, r in m.drivers.iterrows()])
    return table(
        d,
        {
            "name": (text("col.driver"), str),
            "effect": (text(f"col.{m.kind}"), lambda v: f"{v:.2f}"),
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
    m = chapter.drivers
    if m is None or m.drivers.empty:
        return None
    order = list(dict.fromkeys(m.drivers["driver"]))[:top]
    names = {d: (text(f"drv.{d}") if d in KNOWN_DRIVERS else d) for d in order}
    return plot_metric_cohorts({d: m.cohorts[d] for d in order if d in m.cohorts}, names, text)
