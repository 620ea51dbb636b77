"""Charts: one seaborn/matplotlib theme, CJK font fallback, and one function per chart.

Chart functions take an analysis result and a :class:`~churnreport.report.text.Text` and
return a :class:`Chart` (figure + alt text); they compute nothing themselves.
"""

from __future__ import annotations

import base64
import functools
import io
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from typing import ParamSpec, TypeVar

import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib import font_manager
from matplotlib.category import StrCategoryFormatter
from matplotlib.text import Text as MplText

from churnreport.periods import MIN_TREND_PERIODS
from churnreport.report.text import N_, Text, level_label

P = ParamSpec("P")
R = TypeVar("R")

CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Heiti SC",
    "Noto Serif CJK SC",
)
PALETTE = {
    "rolling": "#e69f00",
    "expansion": "#8fbc8f",
    "contraction": "#e6a5a3",
    "reactivation": "#56b4e9",
    "rate": "#1f4e79",
    "band": "#9dc3e6",
    "new": "#4c9a5f",
    "churned": "#c0504d",
    "end": "#595959",
}


#: Labels are data (segment values, reasons, names): "$x$" is shown as typed, never as TeX.
#: Set by the theme, around every chart function (:func:`_literal_text`) and when a chart is
#: rendered (:meth:`Chart.svg`), so no caller's settings can turn it back on.
LITERAL_TEXT = {"text.parse_math": False, "text.usetex": False}

CJK_FONT_MISSING = (
    "no Chinese font found: Chinese text in charts and the PDF would show as boxes. Install "
    "one, e.g. 'apt-get install fonts-noto-cjk' (Debian/Ubuntu)."
)


def find_cjk_font() -> str | None:
    """Name of an installed font that covers Chinese, or None."""
    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in installed), None)


#: The language of the theme set in this process and the settings it made (None: not yet).
_themed: tuple[str, dict] | None = None


def _theme_in_effect(language: str) -> bool:
    """The theme of ``language`` is set, and nothing since (a reset of matplotlib's settings,
    as before each notebook in a kept kernel) undid it."""
    if _themed is None or _themed[0] != language:
        return False
    return all(plt.rcParams[key] == value for key, value in _themed[1].items())


def apply_theme(language: str = "en") -> None:
    """Set the report's chart theme. Every chart function sets it for its own language
    before drawing (:func:`_literal_text`), so callers need not.

    For Chinese a CJK font is put first in the fallback list; when none is installed a
    warning names the Debian package to install (fonts-noto-cjk).
    """
    global _themed
    sns.set_theme(style="whitegrid", context="notebook", font_scale=0.95)
    families = ["DejaVu Sans"]
    cjk = find_cjk_font()
    if cjk:
        families = ["DejaVu Sans", cjk] if language == "en" else [cjk, "DejaVu Sans"]
    elif language == "zh":
        warnings.warn(CJK_FONT_MISSING, stacklevel=2)
    # the SVG names these fonts (its text is text): a reader's browser without them takes
    # its own sans-serif; WeasyPrint embeds them in the PDF
    families = [*families, "sans-serif"]
    theme = {
        "font.family": families,  # a list: matplotlib falls back glyph by glyph
        "font.sans-serif": families[:-1]
        + [f for f in plt.rcParams["font.sans-serif"] if f not in families],
        "axes.unicode_minus": False,
        "figure.figsize": (9, 3.8),
        "figure.dpi": 100,
        "savefig.dpi": 200,
        # text as text: the PDF lays it out twice as fast as glyph paths (each glyph is a
        # path WeasyPrint parses again at every use) and its chart words can be searched
        "svg.fonttype": "none",
        "axes.titleweight": "bold",
        "axes.spines.top": False,
        "axes.spines.right": False,
        **LITERAL_TEXT,
    }
    plt.rcParams.update(theme)
    _themed = (language, {key: plt.rcParams[key] for key in theme})  # as matplotlib stored them


@dataclass(frozen=True)
class Chart:
    """A finished chart: the matplotlib figure and its text alternative.

    Displays in Jupyter (and so in the exported report) as an SVG image with ``alt`` text:
    sharp at any zoom in HTML and PDF, readable by screen readers.
    """

    figure: plt.Figure
    alt: str

    def svg(self) -> str:
        """The chart as SVG text (its words as text in the report's fonts, then the
        reader's sans-serif)."""
        buf = io.StringIO()
        # the text as text whatever settings are in effect when it is shown (a caller's
        # rc_context may have ended since the chart was drawn with the theme)
        with plt.rc_context({**LITERAL_TEXT, "svg.fonttype": "none"}):
            self.figure.savefig(buf, format="svg", bbox_inches="tight")
        return buf.getvalue()

    def texts(self) -> list[str]:
        """Every text drawn on the chart (titles, labels, ticks, legend), for the report lint:
        kept beside the SVG, which the HTML embeds encoded."""
        return [
            t.get_text()
            for t in self.figure.findobj(MplText)
            if t.get_visible() and t.get_text().strip()
        ]

    def _repr_html_(self) -> str:
        data = base64.b64encode(self.svg().encode("utf-8")).decode("ascii")  # draws the ticks
        words = " | ".join(self.texts())
        return (
            f'<figure class="chart" data-chart-text="{escape(words)}">'
            f'<img alt="{escape(self.alt)}" src="data:image/svg+xml;base64,{data}"></figure>'
        )


#: Characters no font draws and XML 1.0 forbids in the SVG: control characters (C0 but tab
#: and newline, and DEL), lone surrogates and the noncharacters U+FFFE / U+FFFF.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def _printable(label: object) -> object:
    """``label`` with each control character shown as U+FFFD (the replacement character, in
    every chart font; the control pictures of at_risk.xlsx are in none of them)."""
    if not isinstance(label, str):  # a number formatter's own result: nothing to clean
        return label
    return _CONTROL.sub("\ufffd", label)


def _printable_text(fig: plt.Figure) -> None:
    """Every text of ``fig`` drawable: a control character in a label (data) becomes its
    control picture instead of a missing-glyph box and a warning. Tick labels given as text
    (categories, set_ticklabels) are made at draw time, so their formatters are wrapped too;
    number formatters, which never hold data text, are left alone."""
    for t in fig.findobj(MplText):
        label = t.get_text()
        if _CONTROL.search(label):
            t.set_text(_printable(label))
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            fmt = axis.get_major_formatter()
            text_labels = (StrCategoryFormatter, mticker.FixedFormatter, mticker.FuncFormatter)
            if isinstance(fmt, text_labels) and not getattr(fmt, "printable", False):
                wrapped = mticker.FuncFormatter(lambda x, pos, fmt=fmt: _printable(fmt(x, pos)))
                wrapped.printable = True
                axis.set_major_formatter(wrapped)


def _literal_text(plot: Callable[P, R]) -> Callable[P, R]:
    """Draw every text of the chart as typed (:data:`LITERAL_TEXT`), whatever the caller's
    matplotlib settings: labels are data, and seaborn lays text out before we finish. The
    report theme is set first, in the language of the chart's :class:`Text`."""

    @functools.wraps(plot)
    def draw(*args: P.args, **kwargs: P.kwargs) -> R:
        text = next((a for a in (*args, *kwargs.values()) if isinstance(a, Text)), None)
        if text is not None and not _theme_in_effect(text.language):
            apply_theme(text.language)
        with plt.rc_context(LITERAL_TEXT):
            return plot(*args, **kwargs)

    return draw


def _legend_above(ax, handles=None, labels=None, ncol: int = 3) -> None:
    """Legend in a row above the plot area, where it never hides data."""
    if handles is None:
        handles, labels = ax.get_legend_handles_labels()
    ax.legend(
        handles,
        labels,
        loc="lower left",
        bbox_to_anchor=(0, 1.0),
        ncol=ncol,
        frameon=False,
        fontsize="small",
    )


def _finish(fig: plt.Figure) -> None:
    """Lay out and detach a finished figure (it is shown through :class:`Chart`)."""
    _printable_text(fig)
    fig.tight_layout()
    plt.close(fig)


def _period_axis(ax, labels: list[str], text: Text) -> None:
    step = max(1, len(labels) // 12)
    ax.set_xticks(range(0, len(labels), step))
    ax.set_xticklabels([text.period(lbl) for lbl in labels[::step]], rotation=45, ha="right")


#: Periods with fewer customers at risk than this do not set the rate axis (their intervals are
#: so wide they would flatten every other period); their band is clipped at the top.
MIN_AT_RISK_FOR_AXIS = 30


def _rate_axis_top(periods: pd.DataFrame) -> float:
    enough = periods[periods["start_customers"] >= MIN_AT_RISK_FOR_AXIS]
    basis = enough if len(enough) else periods
    top = float(basis["ci_high"].max()) if basis["ci_high"].notna().any() else 0.0
    return max(top * 1.1, 0.01)


def _from_first_full_period(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """Drop leading periods where ``column`` is 0: the data's first period holds the whole
    existing base as "new", which would dwarf every later period on a chart."""
    started = frame[column].to_numpy() > 0
    return frame.iloc[int(started.argmax()) :] if started.any() else frame


@_literal_text
def plot_churn_trend(periods: pd.DataFrame, text: Text) -> Chart | None:
    """Churn rate per period with its 95% interval band.

    Parameters
    ----------
    periods : DataFrame
        Output of :func:`churnreport.analysis.period_table`.
    text : Text
        Report language.

    Returns
    -------
    Chart or None
        None when there are fewer than three periods, or fewer than two with customers at
        their start (nothing to trend).
    """
    if len(periods) < MIN_TREND_PERIODS or periods["churn_rate"].notna().sum() < 2:
        return None
    fig, ax = plt.subplots()
    x = range(len(periods))
    ax.fill_between(
        x,
        periods["ci_low"],
        periods["ci_high"],
        color=PALETTE["band"],
        alpha=0.6,
        linewidth=0,
        label=text("chart.ci_band"),
    )
    ax.plot(
        x,
        periods["churn_rate"],
        color=PALETTE["rate"],
        marker="o",
        markersize=3,
        linewidth=1.8,
        label=text("chart.churn_rate"),
    )
    if "rolling_churn_rate" in periods:
        ax.plot(
            x,
            periods["rolling_churn_rate"],
            color=PALETTE["rolling"],
            linewidth=1.2,
            linestyle="--",
            label=text("chart.rolling"),
        )
    if "significant_vs_previous" in periods:
        flagged = periods["significant_vs_previous"].fillna(False).to_numpy(dtype=bool)
        up = flagged & (periods["change_vs_previous"].to_numpy() > 0)
        down = flagged & ~up
        xs = np.arange(len(periods))
        for mask, marker, colour, key in (
            (up, "^", PALETTE["churned"], N_("chart.sig_up")),
            (down, "v", PALETTE["new"], N_("chart.sig_down")),
        ):
            if mask.any():
                ax.scatter(
                    xs[mask],
                    periods["churn_rate"].to_numpy()[mask],
                    marker=marker,
                    s=60,
                    color=colour,
                    zorder=5,
                    label=text(key),
                )
    ax.yaxis.set_major_formatter(mticker.PercentFormatter(1.0, decimals=1))
    ax.set_ylim(0, _rate_axis_top(periods))

    ax.set_ylabel(text("chart.churn_rate"))
    _period_axis(ax, list(periods["period"]), text)
    _legend_above(ax)

    _finish(fig)
    rated = periods.dropna(subset=["churn_rate"])  # periods with customers at their start
    last = rated.iloc[-1]
    alt = text(
        "chart.alt.trend",
        first=text.period(periods["period"].iloc[0]),
        last=text.period(last["period"]),
        rate=text.pct(last["churn_rate"]),
        low=text.pct(rated["churn_rate"].min()),
        high=text.pct(rated["churn_rate"].max()),
    )
    return Chart(fig, alt)


@_literal_text
def plot_customer_flows(periods: pd.DataFrame, text: Text) -> Chart | None:
    """New customers (up) and churned customers (down) per period, with customers at end.

    Parameters
    ----------
    periods : DataFrame
        Output of :func:`churnreport.analysis.period_table`.
    text : Text
        Report language.

    Returns
    -------
    Chart or None
        None when there are fewer than three periods.
    """
    periods = _from_first_full_period(periods, "start_customers")
    if len(periods) < MIN_TREND_PERIODS or periods["churn_rate"].notna().sum() < 2:
        return None
    fig, ax = plt.subplots()
    x = range(len(periods))
    ax.bar(x, periods["new"], color=PALETTE["new"], label=text("chart.new"))
    lost = periods["churned"] + periods["new_and_lost"]
    ax.bar(x, -lost, color=PALETTE["churned"], label=text("chart.churned"))
    ax.axhline(0, color="#333333", linewidth=0.8)
    ax.set_ylabel(text("chart.customers"))
    ax.yaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _: f"{abs(v):,.0f}"))
    ax2 = ax.twinx()
    ax2.plot(
        x,
        periods["end_customers"],
        color=PALETTE["end"],
        linewidth=1.5,
        label=text("chart.end_customers"),
    )
    ax2.set_ylim(bottom=0)
    ax2.grid(False)
    ax2.yaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax2.set_ylabel(text("chart.end_customers"))
    ax.set_title(text("indicators.flows"), loc="left", pad=22)
    _period_axis(ax, list(periods["period"]), text)
    handles = ax.get_legend_handles_labels()[0] + ax2.get_legend_handles_labels()[0]
    labels = ax.get_legend_handles_labels()[1] + ax2.get_legend_handles_labels()[1]
    _legend_above(ax, handles, labels)

    _finish(fig)
    alt = text(
        "chart.alt.flows",
        first=text.period(periods["period"].iloc[0]),
        last=text.period(periods["period"].iloc[-1]),
        new=text.int(periods["new"].sum()),
        lost=text.int((periods["churned"] + periods["new_and_lost"]).sum()),
        end=text.int(periods["end_customers"].iloc[-1]),
    )
    return Chart(fig, alt)


@_literal_text
def plot_mrr_bridge(bridge: pd.DataFrame, text: Text) -> Chart | None:
    """MRR movements per period: gains up (new, expansion, reactivation), losses down.

    Parameters
    ----------
    bridge : DataFrame or None
        :func:`churnreport.analysis.mrr_bridge` output.
    text : Text

    Returns
    -------
    Chart or None
        None without revenue or with fewer than three periods.
    """
    if bridge is None:
        return None
    bridge = _from_first_full_period(bridge, "start_revenue")
    if len(bridge) < MIN_TREND_PERIODS:
        return None

    fig, ax = plt.subplots()
    x = np.arange(len(bridge))
    bottom = np.zeros(len(bridge))
    for col, colour, label in (
        ("new_revenue", "new", N_("chart.new_revenue")),
        ("expansion", "expansion", N_("chart.expansion")),
        ("reactivation_revenue", "reactivation", N_("chart.reactivation_revenue")),
    ):
        ax.bar(x, bridge[col], bottom=bottom, color=PALETTE[colour], label=text(label))
        bottom += bridge[col].to_numpy()
    bottom = np.zeros(len(bridge))
    for col, colour, label in (
        ("churned_revenue", "churned", N_("chart.churned_revenue")),
        ("contraction", "contraction", N_("chart.contraction")),
    ):
        ax.bar(x, -bridge[col], bottom=-bottom, color=PALETTE[colour], label=text(label))
        bottom += bridge[col].to_numpy()
    ax.axhline(0, color="#333333", linewidth=0.8)
    ax.yaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _: text.money(abs(v))))
    ax.set_ylabel(text("chart.mrr_movement"))
    _period_axis(ax, list(bridge["period"]), text)
    _legend_above(ax)
    _finish(fig)
    last = bridge.iloc[-1]
    flows = {
        "last": text.period(last["period"]),
        "new": text.money(last["new_revenue"]),
        "lost": text.money(last["churned_revenue"]),
    }
    if pd.isna(last["nrr"]):  # no recurring revenue at the period start
        return Chart(fig, text("chart.alt.bridge_flows", **flows))
    return Chart(fig, text("chart.alt.bridge", **flows, nrr=text.pct(last["nrr"])))


@_literal_text
def plot_cohorts(
    cohorts: pd.DataFrame, text: Text, max_cohorts: int = 18, max_age: int = 12
) -> Chart | None:
    """Cohort retention heatmap: joining period (rows) by periods since joining (columns).

    Parameters
    ----------
    cohorts : DataFrame
        :func:`churnreport.analysis.cohort_retention` output.
    text : Text
    max_cohorts, max_age : int
        The latest cohorts and the first ages shown (readability).

    Returns
    -------
    Chart or None
        None when there are fewer than two cohorts.
    """
    if cohorts is None or len(cohorts) < 2:
        return None
    shares = cohorts.drop(columns="size").iloc[-max_cohorts:, : max_age + 1]
    fig, ax = plt.subplots(figsize=(9, 0.22 * len(shares) + 1.6))
    sns.heatmap(
        shares,
        ax=ax,
        cmap="Blues",
        vmin=0,
        vmax=1,
        cbar=True,
        annot=len(shares.columns) <= 13,
        fmt=".0%",
        annot_kws={"size": 6},
        cbar_kws={"format": mticker.PercentFormatter(1.0, decimals=0)},
        linewidths=0.3,
        linecolor="white",
        mask=shares.isna(),
    )
    ax.set_yticklabels([text.period(str(c)) for c in shares.index], rotation=0, fontsize=7)
    ax.set_xlabel(text("chart.periods_since_joining"))
    ax.set_ylabel(text("chart.cohort"))
    ax.tick_params(axis="x", labelsize=7)
    _finish(fig)
    k = min(12, shares.shape[1] - 1)
    col = shares.iloc[:, k].dropna()
    alt = text(
        "chart.alt.cohorts",
        cohorts=len(shares),
        k=k,
        low=text.pct(col.min() if len(col) else float("nan")),
        high=text.pct(col.max() if len(col) else float("nan")),
    )
    return Chart(fig, alt)


@_literal_text
def plot_survival(survival, text: Text) -> Chart:
    """Kaplan-Meier retention curve with its 95% band, median lifetime marked.

    Parameters
    ----------
    survival : Survival
        :func:`churnreport.analysis.retention_curve` output.
    text : Text

    Returns
    -------
    Chart
    """
    c = survival.curve
    fig, ax = plt.subplots()
    ax.fill_between(
        c["months"],
        c["ci_low"],
        c["ci_high"],
        step="post",
        color=PALETTE["band"],
        alpha=0.6,
        linewidth=0,
        label=text("chart.ci_band"),
    )
    ax.step(
        c["months"],
        c["retention"],
        where="post",
        color=PALETTE["rate"],
        linewidth=1.8,
        label=text("chart.still_customers"),
    )
    if survival.median_lifetime_months is not None:
        ax.axvline(
            survival.median_lifetime_months,
            color=PALETTE["rolling"],
            linestyle="--",
            linewidth=1,
            label=text("chart.median_lifetime"),
        )
    ax.yaxis.set_major_formatter(mticker.PercentFormatter(1.0, decimals=0))
    ax.set_ylim(0, 1.02)
    ax.set_xlim(left=0)
    ax.set_xlabel(text("chart.months_since_start"))
    ax.set_ylabel(text("chart.still_customers"))
    _legend_above(ax)
    _finish(fig)
    at12 = survival.retention_at(12)
    if at12 is None:  # nobody observed for a year yet
        months = text.num(c["months"].max(), 1)
        alt = text(
            "chart.alt.survival_short", customers=text.int(survival.customers), months=months
        )
    else:
        alt = text(
            "chart.alt.survival", customers=text.int(survival.customers), at12=text.pct(at12)
        )
    return Chart(fig, alt)


@_literal_text
def plot_reason_pareto(
    categories: pd.DataFrame, labels: dict[str, str], text: Text, key: str = "category"
) -> Chart | None:
    """Pareto chart of reasons: counts as bars (coloured by group), cumulative share as a line.

    Parameters
    ----------
    categories : DataFrame
        ``ReasonAnalysis.categories``, or the top raw reasons with a ``group`` column.
    labels : dict
        value of ``key`` -> label in the report language (missing: the value itself).
    text : Text
    key : str
        The column naming the bars: ``category`` or ``reason``.

    Returns
    -------
    Chart or None
        None without churners.
    """
    if categories is None or categories.empty:
        return None
    fig, ax = plt.subplots()
    x = np.arange(len(categories))
    colours = [
        PALETTE["churned"]
        if g == "subjective"
        else PALETTE["end"]
        if g in ("unmapped", "not_stated", "involuntary")
        else PALETTE["rate"]
        for g in categories["group"]
    ]
    ax.bar(x, categories["churned"], color=colours)
    ax.set_xticks(x)
    ax.set_xticklabels(
        [tick_label(labels.get(c, c), 28, lines=1) for c in categories[key]],
        rotation=30,
        ha="right",
        fontsize=7 if len(categories) > 10 else None,
    )
    ax.set_ylabel(text("chart.churned_customers"))
    ax2 = ax.twinx()
    ax2.plot(x, categories["cumulative_share"], color=PALETTE["rolling"], marker="o", markersize=3)
    ax2.set_ylim(0, 1.05)
    ax2.yaxis.set_major_formatter(mticker.PercentFormatter(1.0, decimals=0))
    ax2.grid(False)
    ax2.set_ylabel(text("chart.cumulative_share"))
    from matplotlib.patches import Patch

    handles = [
        Patch(color=PALETTE["churned"], label=text("chart.controllable")),
        Patch(color=PALETTE["rate"], label=text("chart.uncontrollable")),
        Patch(color=PALETTE["end"], label=text("chart.unknown_reason")),
    ]
    _legend_above(ax, handles, [h.get_label() for h in handles])
    _finish(fig)
    top = categories.iloc[0]
    alt = text(
        "chart.alt.pareto",
        top=labels.get(top[key], top[key]),
        share=text.pct(top["share"]),
        n=len(categories),
    )
    return Chart(fig, alt)


@_literal_text
def plot_reasons_by_segment(
    shares: pd.DataFrame, dimension: str, labels: dict[str, str], text: Text
) -> Chart | None:
    """Heatmap: share of each reason category among the churners of each segment level."""
    if shares is None or shares.empty:
        return None
    data = shares.drop(columns="churned")
    data.columns = [labels.get(c, c) for c in data.columns]
    data.index = [
        _printable(f"{i} (n={n})") for i, n in zip(data.index, shares["churned"], strict=True)
    ]  # seaborn measures the labels as it draws
    fig, ax = plt.subplots(figsize=(9, 0.35 * len(data) + 1.8))
    sns.heatmap(
        data,
        ax=ax,
        cmap="Reds",
        vmin=0,
        vmax=max(0.05, float(data.max().max())),
        annot=True,
        fmt=".0%",
        annot_kws={"size": 7},
        cbar=False,
        linewidths=0.3,
        linecolor="white",
    )
    ax.set_ylabel(dimension)
    ax.set_xlabel("")
    ax.tick_params(axis="x", labelrotation=30, labelsize=8)
    ax.tick_params(axis="y", labelsize=8)
    _finish(fig)
    return Chart(fig, text("chart.alt.by_segment", dimension=dimension, levels=len(data)))


@_literal_text
def plot_reasons_over_time(
    counts: pd.DataFrame, labels: dict[str, str], text: Text
) -> Chart | None:
    """Churners per period, stacked by reason category."""
    if counts is None or len(counts) < 2:
        return None
    fig, ax = plt.subplots()
    x = np.arange(len(counts))
    bottom = np.zeros(len(counts))
    palette = sns.color_palette("tab10", n_colors=len(counts.columns))
    for colour, cat in zip(palette, counts.columns, strict=True):
        ax.bar(x, counts[cat], bottom=bottom, color=colour, label=labels.get(cat, cat))
        bottom += counts[cat].to_numpy()
    ax.set_ylabel(text("chart.churned_customers"))
    _period_axis(ax, [str(i) for i in counts.index], text)
    _legend_above(ax, ncol=4)
    _finish(fig)
    return Chart(fig, text("chart.alt.over_time", n=len(counts)))


@_literal_text
def plot_incidence(incidence: pd.DataFrame, labels: dict[str, str], text: Text) -> Chart | None:
    """Cumulative incidence of churn by reason over customer age (competing risks)."""
    if incidence is None or len(incidence) < 2:
        return None
    fig, ax = plt.subplots()
    for cat in incidence.columns.drop("months"):
        ax.step(incidence["months"], incidence[cat], where="post", label=labels.get(cat, cat))
    ax.yaxis.set_major_formatter(mticker.PercentFormatter(1.0, decimals=0))
    ax.set_ylim(bottom=0)
    ax.set_xlim(left=0)
    ax.set_xlabel(text("chart.months_since_start"))
    ax.set_ylabel(text("chart.left_for_reason"))
    _legend_above(ax, ncol=3)
    _finish(fig)
    last = incidence.iloc[-1].drop("months").sort_values(ascending=False)
    alt = text(
        "chart.alt.incidence",
        months=int(incidence["months"].iloc[-1]),
        top=labels.get(last.index[0], last.index[0]),
        share=text.pct(last.iloc[0]),
    )
    return Chart(fig, alt)


#: Axis title of the driver effects, by kind of ratio.
EFFECT_AXIS = {"hazard_ratio": N_("chart.hazard_ratio"), "odds_ratio": N_("chart.odds_ratio")}


@_literal_text
def plot_drivers(
    drivers: pd.DataFrame, names: list[str], text: Text, top: int = 15
) -> Chart | None:
    """Forest plot: each driver's effect with its 95% interval on a log scale, strongest first;
    significant effects in colour, the others grey.

    Parameters
    ----------
    drivers : DataFrame
        ``DriverModel.drivers``.
    names : list of str
        Display name of each row (same order).
    text : Text
    top : int
        Rows shown.
    """
    if drivers is None or drivers.empty:
        return None
    d = drivers.head(top).iloc[::-1]
    shown = names[: len(d)][::-1]
    fig, ax = plt.subplots(figsize=(9, 0.32 * len(d) + 1.4))
    y = np.arange(len(d))
    colours = [
        (PALETTE["churned"] if e > 1 else PALETTE["new"]) if s else "#9e9e9e"
        for e, s in zip(d["effect"], d["significant"], strict=True)
    ]
    ax.hlines(y, d["ci_low"], d["ci_high"], color=colours, linewidth=2)
    ax.scatter(d["effect"], y, color=colours, zorder=3, s=25)
    ax.axvline(1, color="#333333", linewidth=0.8)
    ax.set_xscale("log")
    lo = min(float(d["ci_low"].min()), 0.9)
    hi = max(float(d["ci_high"].max()), 1.1)
    fine = (0.1, 0.2, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 4, 5, 10, 20)
    coarse = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100)  # wide: no overlap
    ticks = [t for t in (coarse if np.log10(hi / lo) > 1.2 else fine) if lo <= t <= hi]
    ax.xaxis.set_major_locator(mticker.FixedLocator(ticks))
    ax.xaxis.set_minor_locator(mticker.NullLocator())
    ax.xaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _: f"{v:g}×"))

    ax.set_yticks(y)
    ax.set_yticklabels(shown, fontsize=8)
    ax.set_xlabel(text(EFFECT_AXIS[d["kind"].iloc[0]]))
    _finish(fig)
    strongest = drivers.iloc[0]
    alt = text("chart.alt.drivers", n=len(d), top=names[0], effect=f"{strongest['effect']:.2f}")
    return Chart(fig, alt)


@_literal_text
def plot_metric_cohorts(
    cohorts: dict[str, pd.DataFrame], names: dict[str, str], text: Text, top: int = 6
) -> Chart | None:
    """Churn rate (with 95% interval) per decile or level of the strongest drivers, small
    multiples sharing one rate axis.

    Parameters
    ----------
    cohorts : dict
        driver -> bins (``DriverModel.cohorts``), in the order to show.
    names : dict
        driver -> display name.
    text : Text
    top : int
        Panels shown.
    """
    items = [(d, c) for d, c in cohorts.items() if len(c) >= 2][:top]
    if not items:
        return None
    cols = 3
    rows = (len(items) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(9, 2.6 * rows), sharey=True, squeeze=False)
    for ax, (driver, c) in zip(axes.flat, items, strict=False):
        x = np.arange(len(c))
        # distances to the interval ends; rounding can make an exact 0 slightly negative
        err = np.clip(
            np.nan_to_num(
                np.vstack([c["churn_rate"] - c["ci_low"], c["ci_high"] - c["churn_rate"]])
            ),
            0,
            None,
        )

        ax.bar(x, c["churn_rate"], color=PALETTE["band"])
        ax.errorbar(x, c["churn_rate"], yerr=err, fmt="none", ecolor=PALETTE["rate"], capsize=2)
        ax.set_title(names.get(driver, driver), fontsize=8, loc="left")
        ax.set_xticks(x)
        labels = [tick_label(b, 14) for b in c["bin"]]
        ax.set_xticklabels(labels, rotation=45 if len(c) > 3 else 0, ha="right", fontsize=6)
        ax.yaxis.set_major_formatter(mticker.PercentFormatter(1.0, decimals=1))
    for ax in list(axes.flat)[len(items) :]:
        ax.set_visible(False)
    _finish(fig)
    return Chart(fig, text("chart.alt.metric_cohorts", n=len(items)))


def tick_label(label: object, width: int, lines: int = 2) -> str:
    r"""A category label for an axis: wrapped at word boundaries into at most ``lines`` lines of
    ``width`` characters, the rest cut with an ellipsis (the table has the full name).

    Parameters
    ----------
    label : object
        The category (its text is used).
    width : int
        Characters per line.
    lines : int
        Lines at most.

    Returns
    -------
    str

    Examples
    --------
    >>> tick_label("Credit card (automatic)", 14)
    'Credit card\n(automatic)'
    >>> tick_label("Bank transfer (automatic)", 12, lines=1)
    'Bank transf…'
    """
    import textwrap

    s = str(label)
    if len(s) <= width:
        return s
    if lines == 1:
        return s[: width - 1].rstrip() + "…"
    parts = textwrap.wrap(s, width, break_long_words=True) or [""]
    if len(parts) > lines:
        parts = parts[:lines]
        parts[-1] = parts[-1][: width - 1].rstrip() + "…"
    return "\n".join(parts)


@_literal_text
def plot_segment_rates(
    table: pd.DataFrame, dimension: str, overall: float, text: Text
) -> Chart | None:
    """Churn rate per level with its 95% interval, in the table's order (by rate; bands in their
    own order); small levels hatched grey, the overall rate as a line."""
    if table is None or table.empty:
        return None
    t = table.iloc[::-1]
    fig, ax = plt.subplots(figsize=(9, 0.34 * len(t) + 1.2))
    y = np.arange(len(t))
    colours = ["#bdbdbd" if s else PALETTE["rate"] for s in t["small"]]
    err = np.clip(
        np.nan_to_num(np.vstack([t["churn_rate"] - t["ci_low"], t["ci_high"] - t["churn_rate"]])),
        0,
        None,
    )
    ax.barh(y, t["churn_rate"], color=colours, alpha=0.85)
    ax.errorbar(t["churn_rate"], y, xerr=err, fmt="none", ecolor="#333333", capsize=2)
    ax.axvline(
        overall,
        color=PALETTE["rolling"],
        linestyle="--",
        linewidth=1,
        label=text("chart.overall_rate"),
    )
    ax.set_yticks(y)
    ax.set_yticklabels([str(s)[:30] for s in t["segment"]], fontsize=8)
    ax.xaxis.set_major_formatter(mticker.PercentFormatter(1.0, decimals=0))
    ax.set_xlabel(text("chart.churn_rate"))
    _legend_above(ax, ncol=1)
    _finish(fig)
    top = table.loc[table["churn_rate"].idxmax()]  # bands keep their order: not row 0
    alt = text(
        "chart.alt.segment_rates",
        dimension=dimension,
        top=str(top["segment"]),
        rate=text.pct(top["churn_rate"]),
        n=len(table),
    )
    return Chart(fig, alt)


@_literal_text
def plot_segment_survival(curves: dict, dimension: str, text: Text) -> Chart | None:
    """Kaplan-Meier retention per level of one dimension."""
    if not curves:
        return None
    fig, ax = plt.subplots(figsize=(9, 3.2))
    for name, s in curves.items():
        ax.step(s.curve["months"], s.curve["retention"], where="post", label=str(name)[:30])
    ax.yaxis.set_major_formatter(mticker.PercentFormatter(1.0, decimals=0))
    ax.set_ylim(0, 1.02)
    ax.set_xlim(left=0)
    ax.set_xlabel(text("chart.months_since_start"))
    ax.set_ylabel(text("chart.still_customers"))
    _legend_above(ax, ncol=3)
    _finish(fig)
    return Chart(fig, text("chart.alt.segment_survival", dimension=dimension, n=len(curves)))


@_literal_text
def plot_segment_heatmap(rates: pd.DataFrame, dimension: str, text: Text) -> Chart | None:
    """Churn rate per level (rows) and period (columns)."""
    if rates is None or rates.empty or rates.shape[1] < 2 or rates.isna().to_numpy().all():
        return None
    data = rates.copy()
    data.columns = [text.period(str(c)) for c in data.columns]
    data.index = [_printable(str(i)[:30]) for i in data.index]  # seaborn measures them
    fig, ax = plt.subplots(figsize=(9, 0.32 * len(data) + 1.6))
    sns.heatmap(
        data,
        ax=ax,
        cmap="Reds",
        annot=True,
        fmt=".1%",
        annot_kws={"size": 6},
        cbar=False,
        linewidths=0.3,
        linecolor="white",
        mask=data.isna(),
    )
    ax.set_ylabel(dimension)
    ax.set_xlabel("")
    ax.tick_params(axis="x", labelrotation=45, labelsize=7)
    ax.tick_params(axis="y", labelsize=8)
    _finish(fig)
    return Chart(
        fig,
        text("chart.alt.segment_heatmap", dimension=dimension, n=len(data), periods=data.shape[1]),
    )


@_literal_text
def plot_lifecycle(states: pd.DataFrame, text: Text) -> Chart | None:
    """Lifecycle states per period: new, returning, resurrecting up; dormant down."""
    if states is None or len(states) < MIN_TREND_PERIODS:
        return None
    states = states.iloc[1:]  # the data's first period holds the whole existing base as new
    fig, ax = plt.subplots()
    x = np.arange(len(states))
    bottom = np.zeros(len(states))
    for col, colour in (("returning", "band"), ("new", "new"), ("resurrecting", "reactivation")):
        label = level_label("lifecycle", col, text)
        ax.bar(x, states[col], bottom=bottom, color=PALETTE[colour], label=label)
        bottom += states[col].to_numpy()
    dormant = level_label("lifecycle", "dormant", text)
    ax.bar(x, -states["dormant"], color=PALETTE["churned"], label=dormant)
    ax.axhline(0, color="#333333", linewidth=0.8)
    ax.yaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _: f"{abs(v):,.0f}"))
    ax.set_ylabel(text("chart.customers"))
    _period_axis(ax, list(states["period"]), text)
    _legend_above(ax, ncol=4)
    _finish(fig)
    return Chart(fig, text("chart.alt.lifecycle", n=len(states)))


@_literal_text
def plot_calibration(results: dict, labels: dict[str, str], text: Text) -> Chart | None:
    """Calibration of each model on the backtest: mean predicted vs observed churn per decile
    of predicted risk, with the diagonal of perfect calibration.

    Parameters
    ----------
    results : dict
        Model kind -> ``risk.evaluate`` output (with ``calibration``).
    labels : dict
        Model kind -> display name.
    text : Text
    """
    if not results:
        return None
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    top = 0.0
    for (kind, r), colour in zip(
        results.items(), (PALETTE["rate"], PALETTE["rolling"]), strict=False
    ):
        cal = pd.DataFrame(r["calibration"])
        ax.plot(
            cal["predicted"],
            cal["observed"],
            marker="o",
            color=colour,
            label=labels.get(kind, kind),
        )
        top = max(top, float(cal["predicted"].max()), float(cal["observed"].max()))
    top *= 1.05
    ax.plot(
        [0, top],
        [0, top],
        color="#9e9e9e",
        linestyle="--",
        linewidth=1,
        label=text("chart.perfect"),
    )
    ax.set_xlim(0, top)
    ax.set_ylim(0, top)
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_formatter(mticker.PercentFormatter(1.0, decimals=0 if top > 0.1 else 1))
    ax.set_xlabel(text("chart.predicted"))
    ax.set_ylabel(text("chart.observed"))
    _legend_above(ax, ncol=3)
    _finish(fig)
    return Chart(fig, text("chart.alt.calibration", n=len(results)))
