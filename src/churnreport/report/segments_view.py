"""Chapter 3 blocks: churn by segment, survival by segment, what changed."""

from __future__ import annotations

from html import escape

import pandas as pd
from IPython.display import HTML

from churnreport.analysis.chapter import SegmentChapter
from churnreport.report.charts import (
    plot_lifecycle,
    plot_segment_heatmap,
    plot_segment_rates,
    plot_segment_survival,
)
from churnreport.report.tables import heading, note, table
from churnreport.report.text import Text


def dimension_name(dim: str, text: Text) -> str:
    """Display name of a segment dimension."""
    return text.get(f"seg.{dim}", text.get(f"drv.{dim}", dim))


def intro_html(chapter: SegmentChapter, text: Text) -> HTML:
    """Which customers the tables count."""
    key = "seg.intro_snapshot" if chapter.snapshot else "seg.intro"
    return HTML(
        '<p class="meta">'
        + escape(
            text(
                key,
                customers=text.int(chapter.customers),
                start=text.date(chapter.window_start),
                end=text.date(chapter.window_end),
            )
        )
        + "</p>"
    )


def _p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def tables_html(chapter: SegmentChapter, text: Text) -> HTML:
    """For every dimension: a sentence on the test, the chart of rates, and the table."""
    parts = []
    for dim, st in chapter.tables.items():
        name = dimension_name(dim, text)
        parts.append(heading(name, level=4).data)
        t = st.table
        overall = t["churned"].sum() / t["customers"].sum()
        top = t[~t["small"]].iloc[0] if (~t["small"]).any() else t.iloc[0]
        low = t[~t["small"]].iloc[-1] if (~t["small"]).any() else t.iloc[-1]
        key = "seg.real" if st.p_value < 0.05 else "seg.not_real"
        parts.append(
            '<p class="takeaway">'
            + escape(
                text(
                    key,
                    top=str(top["segment"]),
                    top_rate=text.pct(top["churn_rate"]),
                    low=str(low["segment"]),
                    low_rate=text.pct(low["churn_rate"]),
                    test=text(f"seg.test.{st.test}") if st.test != "none" else "",
                    p=_p(st.p_value),
                    pairs=int(st.pairs["significant"].sum()) if len(st.pairs) else 0,
                    npairs=len(st.pairs),
                )
            )
            + "</p>"
        )
        chart = plot_segment_rates(t, name, overall, text)
        if chart is not None:
            parts.append(chart._repr_html_())
        parts.append(_segment_table(t, text))
    return HTML("".join(parts))


def _segment_table(t: pd.DataFrame, text: Text) -> str:
    frame = t.assign(
        ci=[
            f"{text.pct(lo)} – {text.pct(hi)}"
            for lo, hi in zip(t["ci_low"], t["ci_high"], strict=True)
        ]
    )
    return table(
        frame,
        {
            "segment": (text("col.segment"), str),
            "customers": (text("col.customers_at_risk"), text.int),
            "churned": (text("col.churned"), text.int),
            "churn_rate": (text("col.churn_rate"), text.pct),
            "ci": (text("col.ci"), str),
            "share_of_churn": (text("col.share_of_churn"), text.pct),
            "lift": (text("col.lift"), lambda v: text.num(v, 2)),
            "revenue_lost": (text("col.revenue_lost"), text.money),
            "small": (text("col.small"), lambda v: text("seg.too_small") if v else ""),
        },
        numeric={
            "customers",
            "churned",
            "churn_rate",
            "ci",
            "share_of_churn",
            "lift",
            "revenue_lost",
        },
        compact=True,
    ).data


def survival_html(chapter: SegmentChapter, text: Text) -> HTML | None:
    """Kaplan-Meier curves per level of the key dimensions, with logrank test and lifetimes."""
    if not chapter.survival:
        return None
    parts = []
    for dim, s in chapter.survival.items():
        name = dimension_name(dim, text)
        parts.append(heading(name, level=4).data)
        chart = plot_segment_survival(s.curves, name, text)

        if chart is not None:
            parts.append(chart._repr_html_())
        parts.append('<p class="meta">' + escape(text("seg.logrank", p=_p(s.logrank_p))) + "</p>")
        parts.append(
            table(
                s.summary,
                {
                    "segment": (text("col.segment"), str),
                    "customers": (text("col.customers"), text.int),
                    "churned": (text("col.churned"), text.int),
                    "median_lifetime_months": (
                        text("col.median_lifetime"),
                        lambda v: text("survival.not_reached_short") if pd.isna(v) else f"{v:.1f}",
                    ),
                    "rmst_months": (text("col.rmst"), lambda v: f"{v:.1f}"),
                    "horizon_months": (text("col.horizon"), lambda v: f"{v:.0f}"),
                },
                numeric={
                    "customers",
                    "churned",
                    "median_lifetime_months",
                    "rmst_months",
                    "horizon_months",
                },
                compact=True,
            ).data
        )
    return HTML("".join(parts))


def change_html(chapter: SegmentChapter, text: Text) -> HTML:
    """Mix vs rate decomposition of the change in churn, per dimension, with a sentence naming
    the segment that moved the rate most."""
    if chapter.snapshot or not chapter.decomposition:
        return note(text("seg.no_change_snapshot"))
    rows, sentences = [], []
    for dim, dec in chapter.decomposition.items():
        for kind in ("previous", "year_ago"):
            d = dec.get(kind)
            if d is None:
                continue
            mix, rate = d["mix_effect"].sum(), d["rate_effect"].sum()
            contrib = d["mix_effect"] + d["rate_effect"]
            top = d.loc[contrib.abs().idxmax()]
            rows.append(
                {
                    "dimension": dimension_name(dim, text),
                    "comparison": text.period(str(d["period_before"].iloc[0])),
                    "change": mix + rate,
                    "mix": mix,
                    "rate": rate,
                    "driver": f"{top['segment']} ({text.points(top['mix_effect'] + top['rate_effect'])})",
                }
            )
            if kind == "previous" and not sentences:
                sentences.append(
                    text(
                        "seg.change_sentence",
                        after=text.period(str(d["period_after"].iloc[0])),
                        before=text.period(str(d["period_before"].iloc[0])),
                        change=text.points(mix + rate),
                        dimension=dimension_name(dim, text),
                        mix=text.points(mix),
                        rate=text.points(rate),
                        top=str(top["segment"]),
                        top_change=text.points(top["mix_effect"] + top["rate_effect"]),
                    )
                )
    if not rows:
        return note(text("seg.no_change_snapshot"))
    frame = pd.DataFrame(rows)
    out = "".join(f'<p class="takeaway">{escape(s)}</p>' for s in sentences)
    out += table(
        frame,
        {
            "dimension": (text("col.dimension"), str),
            "comparison": (text("col.compared_with"), str),
            "change": (text("col.change_total"), text.points),
            "mix": (text("col.mix_effect"), text.points),
            "rate": (text("col.rate_effect"), text.points),
            "driver": (text("col.largest_contribution"), str),
        },
        numeric={"change", "mix", "rate"},
        compact=True,
    ).data
    return HTML(out)


def heatmaps_html(chapter: SegmentChapter, text: Text, top: int = 3) -> HTML | None:
    """Segment x period churn-rate heatmaps of the first dimensions."""
    charts = [
        plot_segment_heatmap(h, dimension_name(d, text), text)
        for d, h in list(chapter.heatmaps.items())[:top]
    ]
    charts = [c for c in charts if c is not None]
    if not charts:
        return None
    return HTML("".join(c._repr_html_() for c in charts))


def section(chapter: SegmentChapter, name: str, text: Text) -> HTML | None:
    """A section heading of chapter 3 (tables, survival, change, heatmaps), or nothing when the
    section has nothing to show."""
    if name == "heatmaps" and not chapter.heatmaps:
        return None
    if name == "lifecycle" and chapter.lifecycle is None:
        return None

    if name == "survival" and not chapter.survival:
        return None
    return heading(text(f"seg.{name}"), text(f"seg.{name}.why"), level=3)


def lifecycle_html(chapter: SegmentChapter, text: Text) -> HTML | None:
    """Lifecycle chart and the transition matrix between the last two periods."""
    if chapter.lifecycle is None:
        return None
    parts = []
    chart = plot_lifecycle(chapter.lifecycle, text)
    if chart is not None:
        parts.append(chart._repr_html_())
    tr = chapter.transitions
    if tr is not None and not tr.empty:
        last = chapter.lifecycle["period"].iloc[-2:].tolist()
        parts.append(
            '<p class="meta">'
            + escape(
                text("life.transitions", before=text.period(last[0]), after=text.period(last[1]))
            )
            + "</p>"
        )
        frame = tr.reset_index()
        cols = {"from": (text("life.from"), lambda s: text(f"life.{s}"))}
        cols |= {c: (text(f"life.{c}"), text.int) for c in tr.columns}
        parts.append(table(frame, cols, numeric=set(tr.columns), compact=True).data)
    return HTML("".join(parts))
