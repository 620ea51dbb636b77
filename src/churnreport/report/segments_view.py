"""Chapter 3 blocks: churn by segment, survival by segment, what changed."""

from __future__ import annotations

import re
from html import escape

import pandas as pd
from IPython.display import HTML

from churnreport.analysis.chapter import SegmentChapter
from churnreport.analysis.segments import is_banded, level_key
from churnreport.report import blocks
from churnreport.report.charts import (
    plot_lifecycle,
    plot_segment_heatmap,
    plot_segment_rates,
    plot_segment_survival,
)
from churnreport.report.tables import heading, note, table
from churnreport.report.text import N_, Text, dimension_label, level_label

#: The test across the levels of a dimension (``SegmentTable.test``).
SEGMENT_TESTS = {"chi-square": N_("seg.test.chi-square"), "fisher": N_("seg.test.fisher")}


def dimension_name(dim: str, text: Text) -> str:
    """Display name of a segment dimension (:func:`~churnreport.report.text.dimension_label`)."""
    return dimension_label(dim, text)


def _labelled(frame: pd.DataFrame, dim: str, text: Text) -> pd.DataFrame:
    """``frame`` with its ``segment`` codes in words."""
    return frame.assign(segment=[level_label(dim, s, text) for s in frame["segment"]])


def intro_html(chapter: SegmentChapter, text: Text) -> HTML:
    """Which customers the tables count."""
    # the window churn_population takes: the year up to the report date (or a shorter one)
    a_year = pd.Timestamp(chapter.window_end) - pd.DateOffset(years=1) + pd.Timedelta(days=1)
    year = chapter.window_start <= a_year.date()
    key = (
        N_("seg.intro_snapshot")
        if chapter.snapshot
        else N_("seg.intro")
        if year
        else N_("seg.intro_short")  # a history shorter than a year and its censored start
    )
    months = round((chapter.window_end - chapter.window_start).days / 30.4375)
    return HTML(
        '<p class="meta">'
        + escape(
            text(
                key,
                customers=text.int(chapter.customers),
                start=text.date(chapter.window_start),
                end=text.date(chapter.window_end),
                months=text.int(months),
            )
        )
        + "</p>"
    )


def _p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def tables_html(chapter: SegmentChapter, text: Text) -> HTML:
    """For every dimension: a sentence on the test, the chart of rates, and the table.

    Without a customer at risk there is nothing to compare (a note says so); when no customer
    or every customer churned, one sentence says so and no table of equal rates follows.
    """
    if not chapter.customers or not chapter.tables:
        return note(text("seg.no_population", start=text.date(chapter.window_start)))
    any_table = next(iter(chapter.tables.values())).table
    customers, churned = int(any_table["customers"].sum()), int(any_table["churned"].sum())
    parts = []
    same = churned in (0, customers)  # one rate for every segment: nothing to test or chart
    if same:
        key = N_("seg.none_churned") if churned == 0 else N_("seg.all_churned")
        parts.append(f'<p class="takeaway">{escape(text(key, customers=text.int(customers)))}</p>')
        return HTML("".join(parts))
    riskiest = chapter.result().riskiest_level()
    if riskiest is not None:  # the summary's sentence, from the same fact
        sentence = blocks.segment_sentence(*riskiest, text)
        parts.append(f'<p class="takeaway">{escape(sentence)}</p>')
    for dim, st in chapter.tables.items():
        name = dimension_name(dim, text)
        parts.append(heading(name, level=4).data)
        t = _labelled(st.table, dim, text)
        parts.append(f'<p class="takeaway">{escape(_test_sentence(st, name, text))}</p>')
        overall = t["churned"].sum() / t["customers"].sum()  # this dimension's customers
        chart = plot_segment_rates(t, name, overall, text)
        if chart is not None:
            parts.append(chart._repr_html_())
        parts.append(_segment_table(t, text))
    return HTML("".join(parts))


def _test_sentence(st, name: str, text: Text) -> str:
    """Which segments churn most and least, and whether the difference is real."""
    t = _labelled(st.table, st.dimension, text)
    if len(t) < 2:
        return text(
            "seg.one_level",
            segment=_named(t["segment"].iloc[0], name),
            rate=text.pct(t["churn_rate"].iloc[0]),
        )
    big = t[~t["small"]] if (~t["small"]).sum() >= 2 else t
    ranked = big.sort_values("churn_rate", ascending=False, kind="stable")  # bands keep order
    top, low = ranked.iloc[0], ranked.iloc[-1]
    bare = any(_BARE_CODE.fullmatch(str(v).strip()) for v in t["segment"])
    top_name, low_name = _named(top["segment"], name, bare), _named(low["segment"], name, bare)
    if text.pct(top["churn_rate"]) == text.pct(low["churn_rate"]):  # no range to print
        return text(
            "seg.same_rate",
            dimension=name,
            rate=text.pct(top["churn_rate"]),
            test=text(SEGMENT_TESTS[st.test]),
            p=_p(st.p_value),
        )
    key = N_("seg.real") if st.p_value < 0.05 else N_("seg.not_real")
    return text(
        key,
        top=top_name,
        top_rate=text.pct(top["churn_rate"]),
        low=low_name,
        low_rate=text.pct(low["churn_rate"]),
        test=text(SEGMENT_TESTS[st.test]),
        p=_p(st.p_value),
        pairs=int(st.pairs["significant"].sum()) if len(st.pairs) else 0,
        npairs=len(st.pairs),
    )


#: Levels that say nothing without their dimension: "0 churn most" -> "IsActiveMember 0".
_BARE_CODE = re.compile(r"-?\d+(\.\d+)?|[a-z]{1,2}|yes|no|true|false|是|否", re.IGNORECASE)


def _named(label: str, dimension: str, bare: bool | None = None) -> str:
    """A level for a sentence with its dimension's name when the dimension's levels are
    codes (a number, yes/no; ``bare``: any level of the dimension is one, so "Gender F" goes
    with "Gender M"), else as it is."""
    if bare is None:
        bare = bool(_BARE_CODE.fullmatch(str(label).strip()))
    return f"{dimension} {label}" if bare else str(label)


def _band_order(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows of banded levels (ages, tenures) in band order; others as they come."""
    if not is_banded(frame["segment"].tolist()):
        return frame
    return frame.iloc[sorted(range(len(frame)), key=lambda i: level_key(frame["segment"].iloc[i]))]


def _segment_table(t: pd.DataFrame, text: Text) -> str:
    frame = t.assign(
        ci=[
            f"{text.pct(lo)} – {text.pct(hi)}"
            for lo, hi in zip(t["ci_low"], t["ci_high"], strict=True)
        ]
    )
    cols = {
        "segment": (text("col.segment"), str),
        "customers": (text("col.customers_at_risk"), text.int),
        "churned": (text("col.churned"), text.int),
        "churn_rate": (text("col.churn_rate"), text.pct),
        "ci": (text("col.ci"), str),
        "share_of_churn": (text("col.share_of_churn"), text.pct),
        "lift": (text("col.lift"), lambda v: text.num(v, 2)),
        "revenue_lost": (text("col.revenue_lost"), text.money),
        "small": (text("col.small"), lambda v: text("seg.too_small") if v else ""),
    }
    if not t["revenue_lost"].fillna(0).gt(0).any():  # no revenue data: no column of zeros
        del cols["revenue_lost"]
    return table(
        frame,
        cols,
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
    if not chapter.has_survival:
        return None
    parts = []
    for dim, s in chapter.survival.items():
        name = dimension_name(dim, text)
        parts.append(heading(name, level=4).data)
        levels = list(s.curves)
        if is_banded(levels):  # bands in band order in the legend: under 30, 30-54, 55+
            levels = sorted(levels, key=level_key)
        curves = {level_label(dim, level, text): s.curves[level] for level in levels}
        chart = plot_segment_survival(curves, name, text)

        if chart is not None:
            parts.append(chart._repr_html_())
        logrank = (
            text("seg.logrank_none")
            if s.summary["churned"].sum() == 0
            else text("seg.logrank", p=_p(s.logrank_p))
        )
        parts.append(f'<p class="meta">{escape(logrank)}</p>')
        parts.append(
            table(
                _labelled(_band_order(s.summary), dim, text),
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
    the segment that moved the rate most; comparisons without churn in either period are left
    out (nothing moved)."""
    if chapter.snapshot:
        return note(text("seg.no_change_snapshot"))
    if not chapter.decomposition:  # no customer attribute to split by
        return note(text("seg.no_change_dimensions"))
    rows, sentences = [], []
    for dim, dec in chapter.decomposition.items():
        for kind in ("previous", "year_ago"):
            d = dec.get(kind)
            if d is None or not (d["rate_before"].fillna(0) + d["rate_after"].fillna(0)).any():
                continue  # not comparable, or nobody churned in either period: nothing to split
            mix, rate = d["mix_effect"].sum(), d["rate_effect"].sum()
            contrib = d["mix_effect"] + d["rate_effect"]
            top = d.loc[contrib.abs().idxmax()]
            top_level = level_label(dim, top["segment"], text)
            rows.append(
                {
                    "dimension": dimension_name(dim, text),
                    "comparison": text.period(str(d["period_before"].iloc[0])),
                    "change": mix + rate,
                    "mix": mix,
                    "rate": rate,
                    "driver": f"{top_level} ({text.points(top['mix_effect'] + top['rate_effect'])})",
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
                        top=top_level,
                        top_change=text.points(top["mix_effect"] + top["rate_effect"]),
                    )
                )
    if not rows:
        return note(text("seg.no_change"))
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


def heatmaps_html(chapter: SegmentChapter, text: Text) -> HTML | None:
    """Segment x period churn-rate heatmaps of the first dimensions."""
    charts = [
        plot_segment_heatmap(
            h.rename(index=lambda level, d=d: level_label(d, level, text)),
            dimension_name(d, text),
            text,
        )
        for d, h in chapter.key_heatmaps.items()
    ]
    charts = [c for c in charts if c is not None]
    if not charts:
        return None
    return HTML("".join(c._repr_html_() for c in charts))


def change_heading(chapter: SegmentChapter, text: Text) -> HTML:
    """Heading of the mix / rate split of the change (a snapshot's note says why it is empty)."""
    return heading(text("seg.change"), text("seg.change.why"), level=3)


def tables_heading(chapter: SegmentChapter, text: Text) -> HTML:
    """Heading of churn by segment."""
    return heading(text("seg.tables"), text("seg.tables.why"), level=3)


def heatmaps_heading(chapter: SegmentChapter, text: Text) -> HTML | None:
    """Heading of the segment x period heatmaps, or nothing without one to show."""
    if not chapter.has_heatmaps:
        return None
    return heading(text("seg.heatmaps"), text("seg.heatmaps.why"), level=3)


def lifecycle_heading(chapter: SegmentChapter, text: Text) -> HTML | None:
    """Heading of the lifecycle states, or nothing without enough periods."""
    if not chapter.has_lifecycle:
        return None
    return heading(text("seg.lifecycle"), text("seg.lifecycle.why"), level=3)


def survival_heading(chapter: SegmentChapter, text: Text) -> HTML | None:
    """Heading of lifetime by segment, or nothing without curves."""
    if not chapter.has_survival:
        return None
    return heading(text("seg.survival"), text("seg.survival.why"), level=3)


def lifecycle_html(chapter: SegmentChapter, text: Text) -> HTML | None:
    """Lifecycle chart and the transition matrix between the last two periods."""
    if not chapter.has_lifecycle:
        return None
    parts = []
    chart = plot_lifecycle(chapter.lifecycle, text)
    if chart is not None:
        parts.append(chart._repr_html_())
    tr = chapter.transitions
    if tr is not None and not tr.empty and len(chapter.lifecycle) >= 2:
        last = chapter.lifecycle["period"].iloc[-2:].tolist()
        parts.append(
            '<p class="meta">'
            + escape(
                text("life.transitions", before=text.period(last[0]), after=text.period(last[1]))
            )
            + "</p>"
        )
        frame = tr.reset_index()
        cols = {"from": (text("life.from"), lambda s: level_label("lifecycle", s, text))}
        cols |= {c: (level_label("lifecycle", c, text), text.int) for c in tr.columns}
        parts.append(table(frame, cols, numeric=set(tr.columns), compact=True).data)
    return HTML("".join(parts))
