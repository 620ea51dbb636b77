"""Chapter 4 blocks: the model's backtest, the at-risk list with reason codes, win-back tiers."""

from __future__ import annotations

import math
from html import escape

import numpy as np
import pandas as pd
from IPython.display import HTML

from churnreport.analysis.early_warning import EarlyWarningChapter
from churnreport.analysis.results import call_first_rows
from churnreport.analysis.risk import MODELS
from churnreport.analysis.winback import TIERS
from churnreport.report.charts import Chart, plot_calibration
from churnreport.report.tables import heading, note, table
from churnreport.report.text import N_, Text, dimension_label, level_label

#: Reason-code features with their own sentence; others read "<attribute>: <value>".
REASON_PHRASES = {
    "complaints_window": N_("reason.complaints_window"),
    "slow_responses_window": N_("reason.slow_responses_window"),
    "low_satisfaction_window": N_("reason.low_satisfaction_window"),
    "tickets_window": N_("reason.tickets_window"),
    "response_hours_mean": N_("reason.response_hours_mean"),
    "manager_left_window": N_("reason.manager_left_window"),
    "recency_days": N_("reason.recency_days"),
    "purchases_window": N_("reason.purchases_window"),
    "spend_window": N_("reason.spend_window"),
    "spend_trend": N_("reason.spend_trend"),
    "mrr": N_("reason.mrr"),
    "mrr_change": N_("reason.mrr_change"),
    "tenure_months": N_("reason.tenure_months"),
    "returning": N_("reason.returning"),
    "age": N_("reason.age"),
}
#: The phrase of a count of exactly one (English has no "(s)"), and of a customer younger
#: than a month.
REASON_ONE = {
    "complaints_window": N_("reason.complaints_window_one"),
    "slow_responses_window": N_("reason.slow_responses_window_one"),
    "low_satisfaction_window": N_("reason.low_satisfaction_window_one"),
    "tickets_window": N_("reason.tickets_window_one"),
    "purchases_window": N_("reason.purchases_window_one"),
    "tenure_months": N_("reason.tenure_months_one"),
}
#: Display name of each risk model (``churnreport.analysis.risk.MODELS``).
MODEL_NAMES = {
    "logistic": N_("warning.model.logistic"),
    "gradient_boosting": N_("warning.model.gradient_boosting"),
}
#: Why no model was built (``EarlyWarningChapter.why_not``).
WHY_NOT = {
    "too_few_churners": N_("warning.why_not.too_few_churners"),
    "too_few_stayers": N_("warning.why_not.too_few_stayers"),
    "no_history": N_("warning.why_not.no_history"),
    "nobody_active": N_("warning.why_not.nobody_active"),
}
#: Why the backtest is a cross-validation instead of a time split.
NO_TIME_SPLIT = {
    "snapshot": N_("warning.cv.snapshot"),
    "short_history": N_("warning.cv.short_history"),
}
#: Why the chosen model scores the customers.
CHOICE = {"auc": N_("warning.choice.auc"), "calibration": N_("warning.choice.calibration")}
#: What a customer's annual value is made of.
VALUE_BASIS = {
    "mrr": N_("warning.basis.mrr"),
    "monthly_revenue": N_("warning.basis.monthly_revenue"),
    "transactions": N_("warning.basis.transactions"),
    "none": N_("warning.basis.none"),
}
#: Each win-back tier (``churnreport.analysis.winback.TIERS``): its name, its rule and the
#: action for one of its customers.
TIER_LABELS = {
    "important": N_("tier.important"),
    "major": N_("tier.major"),
    "ordinary": N_("tier.ordinary"),
    "small": N_("tier.small"),
    "never": N_("tier.never"),
}
TIER_RULES = {
    "important": N_("tier.important.rule"),
    "major": N_("tier.major.rule"),
    "ordinary": N_("tier.ordinary.rule"),
    "small": N_("tier.small.rule"),
    "never": N_("tier.never.rule"),
}
TIER_ACTIONS = {
    "important": N_("action.tier.important"),
    "major": N_("action.tier.major"),
    "ordinary": N_("action.tier.ordinary"),
    "small": N_("action.tier.small"),
    "never": N_("action.tier.never"),
}
#: The action for the cause a customer's strongest reason points to
#: (``churnreport.analysis.risk.FEATURE_CAUSE``).
CAUSE_ACTIONS = {
    "service": N_("action.cause.service"),
    "employee": N_("action.cause.employee"),
    "price": N_("action.cause.price"),
    "engagement": N_("action.cause.engagement"),
    "onboarding": N_("action.cause.onboarding"),
}


def title(definition: str, text: Text) -> HTML:
    """The chapter's title: next period's leavers, or for a snapshot the current customers
    most like those who churned (no time frame).

    Parameters
    ----------
    definition : str
        The run's churn definition.
    text : Text

    Returns
    -------
    HTML
    """
    return heading(
        text("warning.title"),
        text("warning.why_snapshot" if definition == "snapshot" else "warning.why"),
        level=1,
    )


def backtest_heading(chapter: EarlyWarningChapter, text: Text) -> HTML | None:
    """Heading of the backtest, or nothing when no model was built (the note says why)."""
    if not chapter.is_built:
        return None
    return heading(
        text("warning.backtest"),
        text("warning.backtest.why_snapshot" if chapter.is_snapshot else "warning.backtest.why"),
        level=3,
    )


def list_heading(chapter: EarlyWarningChapter, text: Text) -> HTML | None:
    """Heading of the at-risk list, or nothing when no model was built."""
    if not chapter.is_built:
        return None
    return heading(text("warning.list"), text("warning.list.why"), level=3)


def tiers_heading(chapter: EarlyWarningChapter, text: Text) -> HTML | None:
    """Heading of today's win-back priorities, or nothing without tiers."""
    if not chapter.has_tiers:
        return None
    return heading(text("warning.tiers"), text("warning.tiers.why"), level=3)


def lost_heading(chapter: EarlyWarningChapter, text: Text) -> HTML | None:
    """Heading of the customers lost this period by tier, or nothing without them."""
    if not chapter.has_lost_tiers:
        return None
    if chapter.is_snapshot:  # every churner of the export, over an unknown span
        return heading(text("warning.lost_snapshot"), text("warning.lost_snapshot.why"), level=3)
    return heading(text("warning.lost"), text("warning.lost.why"), level=3)


def previous_heading(chapter: EarlyWarningChapter, text: Text) -> HTML:
    """Heading of the previous run's list scored (without one, a note says so)."""
    return heading(text("warning.previous"), text("warning.previous.why"), level=3)


def model_name(kind: str, text: Text) -> str:
    """Display name of a model kind."""
    return text(MODEL_NAMES[kind])


def backtest_html(chapter: EarlyWarningChapter, text: Text) -> HTML:
    """What the backtest did and which model was chosen, in sentences."""
    if chapter.why_not:
        return note(text(WHY_NOT[chapter.why_not]))
    bt = chapter.backtest
    best = bt.results[bt.chosen]
    parts = []
    if bt.method == "time_split":
        parts.append(
            text(
                "warning.time_split",
                train=text.int(bt.train_rows),
                until=text.date(bt.train_until),
                test=text.int(bt.test_rows),
                since=text.date(bt.test_from),
            )
        )
    else:
        parts.append(text(NO_TIME_SPLIT[bt.why_no_time_split], n=text.int(bt.train_rows)))
    if chapter.training_sample is not None:
        s = chapter.training_sample
        parts.append(
            text(
                "warning.training_sample",
                share=text.pct(s["customers"] / s["of_customers"], 0),
                customers=text.int(s["customers"]),
                of=text.int(s["of_customers"]),
            )
        )
    parts.append(
        text(
            "warning.result",
            model=model_name(bt.chosen, text),
            auc=text.num(best["auc"], 2),
            lift=text.num(best["top_decile_lift"], 1),
            rate=text.pct(best["base_rate"]),
        )
    )
    parts.append(text(CHOICE[bt.choice_reason], model=model_name(bt.chosen, text)))
    return HTML("".join(f"<p>{escape(p)}</p>" for p in parts))


def backtest_table_html(chapter: EarlyWarningChapter, text: Text) -> HTML | None:
    """Both models side by side on the test rows."""
    if not chapter.is_built:
        return None
    bt = chapter.backtest
    rows = pd.DataFrame(
        [
            {
                "model": model_name(k, text) + (" ✓" if k == bt.chosen else ""),
                **{m: bt.results[k][m] for m in ("auc", "pr_auc", "top_decile_lift", "brier")},
                "calibration_ratio": bt.results[k]["calibration_ratio"],
            }
            for k in MODELS
        ]
    )
    return table(
        rows,
        {
            "model": (text("col.model"), str),
            "auc": (text("col.auc"), lambda v: text.num(v, 3)),
            "pr_auc": (text("col.pr_auc"), lambda v: text.num(v, 3)),
            "top_decile_lift": (text("col.top_decile_lift"), lambda v: text.num(v, 2)),
            "brier": (text("col.brier"), lambda v: text.num(v, 4)),
            "calibration_ratio": (text("col.calibration_ratio"), lambda v: text.num(v, 2)),
        },
        numeric={"auc", "pr_auc", "top_decile_lift", "brier", "calibration_ratio"},
    )


def calibration_chart(chapter: EarlyWarningChapter, text: Text) -> Chart | None:
    """Predicted vs observed churn per risk decile, both models."""
    if not chapter.is_built:
        return None
    labels = {k: model_name(k, text) for k in MODELS}
    return plot_calibration(chapter.backtest.results, labels, text)


def _fmt_value(v: object, text: Text) -> str:
    if isinstance(v, float):
        return text.num(v, 0 if abs(v) >= 100 or v == int(v) else 1)
    return str(v)


def reason_phrase(row: pd.Series | dict, text: Text, window_days: int = 90) -> str:
    """One reason code in words: ``2 complaints in the last 90 days``.

    Parameters
    ----------
    row : Series or dict
        feature, value, typical (a row of ``EarlyWarningChapter.reasons``).
    text : Text
    window_days : int
        The feature window.
    """
    f, v, t = row["feature"], row["value"], row["typical"]
    if f not in REASON_PHRASES:
        label = dimension_label(str(f), text)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return text("reason.attribute_number", label=label, value=_fmt_value(float(v), text),
                        typical=_fmt_value(float(t), text))  # fmt: skip
        return text("reason.attribute", label=label, value=level_label(str(f), v, text))
    v = float(v) if v is not None and not (isinstance(v, float) and math.isnan(v)) else 0.0
    t = float(t) if t is not None else 0.0
    values = {
        "n": lambda: text.int(v),
        "days": lambda: window_days,
        "value": lambda: _fmt_value(v, text),
        "typical": lambda: _fmt_value(t, text),
        "money": lambda: text.money(v),
        "money_typical": lambda: text.money(t),
        "change": lambda: text.pct(v, 0),
    }
    msgid = REASON_PHRASES[f]
    if f in REASON_ONE and round(v) == 1:
        msgid = REASON_ONE[f]
    elif f == "tenure_months" and round(v) < 1:
        msgid = N_("reason.tenure_new")
    # only the values the sentence shows: the at-risk files phrase every scored customer
    return text(msgid, **{k: values[k]() for k in text.fields(msgid)})


def reasons_by_customer(chapter: EarlyWarningChapter, text: Text, window_days: int) -> pd.Series:
    """Each scored customer's reason codes joined in one string (strongest first)."""
    r = chapter.reasons
    if r.empty:
        return pd.Series(dtype="string")
    # customers share most (feature, value, typical) triples: each is phrased once
    said: dict[tuple, str] = {}
    phrases = []
    for f, v, t in zip(r["feature"], r["value"], r["typical"], strict=True):
        if (f, v, t) not in said:
            said[f, v, t] = reason_phrase({"feature": f, "value": v, "typical": t}, text,
                                          window_days)  # fmt: skip
        phrases.append(said[f, v, t])
    # joined per customer in one pass (a groupby's Python aggregation costs microseconds per
    # customer: seconds for a list of hundreds of thousands), strongest first as listed
    by_customer: dict[object, list[str]] = {}
    for customer, phrase in zip(r["customer_id"], phrases, strict=True):
        by_customer.setdefault(customer, []).append(phrase)
    sep = text("reason.separator")
    joined = pd.Series({c: sep.join(p) for c, p in by_customer.items()}, dtype=object)
    return joined.sort_index().rename_axis("customer_id")


def action(tier: str, cause: str, text: Text) -> str:
    """Recommended action for a customer of ``tier`` whose strongest reason points to ``cause``."""
    tier_action = text(TIER_ACTIONS[tier]) if tier else text("action.tier.unknown")
    if tier in ("small", "never") or not cause:
        return tier_action
    return tier_action + text("reason.separator") + text(CAUSE_ACTIONS[cause])


def at_risk_rows(
    chapter: EarlyWarningChapter,
    customers: pd.DataFrame,
    text: Text,
    *,
    window_days: int = 90,
    extra_columns: list[str] | None = None,
) -> pd.DataFrame:
    """The at-risk list with display columns in the report language (all scored customers).

    Parameters
    ----------
    chapter : EarlyWarningChapter
    customers : DataFrame
        For the extra columns (segments, names when not masked).
    text : Text
    window_days : int
    extra_columns : list of str, optional
        Customer columns to carry (e.g. plan, region, account name).

    Returns
    -------
    DataFrame
        rank, customer_id, extra columns, probability, value, expected_loss, tier, reasons,
        action; tier and action in words.
    """
    a = chapter.at_risk
    if not chapter.is_built or a.empty:
        return pd.DataFrame()
    out = a[["rank", "customer_id"]].copy()
    extra = [c for c in (extra_columns or []) if c in customers.columns]
    if extra:
        attrs = customers.set_index("customer_id")[extra]
        out = out.join(attrs, on="customer_id")
        for c in extra:  # levels the report knows in words (customer type, "(other)")
            if pd.api.types.is_numeric_dtype(out[c]) or pd.api.types.is_datetime64_any_dtype(
                out[c]
            ):
                continue  # numbers, flags and dates are shown as they are
            # each distinct level worded once, then taken by its code (not a call per row)
            codes, levels = pd.factorize(out[c])
            is_text = np.array([isinstance(v, str) for v in levels] + [False])
            words = np.array(
                [level_label(c, v, text) if isinstance(v, str) else v for v in levels] + [None],
                dtype=object,
            )
            worded = out[c].astype(object)  # missing values and other kinds stay as they are
            said = is_text[codes]  # codes -1 (missing): the last, False
            worded[said] = words[codes[said]]
            out[c] = worded
    out["probability"] = a["probability"].round(4)
    out["value"] = a["value"].round(2)
    out["expected_loss"] = a["expected_loss"].round(2)
    # each distinct tier and (tier, cause) phrased once, not once per customer
    out["tier"] = a["tier"].map({t: text(TIER_LABELS[t]) if t else "" for t in a["tier"].unique()})
    out["reasons"] = (
        a["customer_id"]
        .map(reasons_by_customer(chapter, text, window_days))
        .fillna(text("reason.none"))  # no factor the data support raises this one's risk
    )
    phrased = {k: action(*k, text) for k in set(zip(a["tier"], a["cause"], strict=True))}
    out["action"] = [phrased[k] for k in zip(a["tier"], a["cause"], strict=True)]
    return out


def at_risk_table_html(rows: pd.DataFrame, text: Text, top: int = 20) -> HTML | None:
    """The top of the at-risk list (without revenue data: no value, loss or tier columns)."""
    if rows.empty:
        return None
    shown = rows.head(top)
    cols = {
        "rank": (text("col.rank"), str),
        "customer_id": (text("col.customer"), str),
        "probability": (text("col.probability"), lambda v: text.pct(v)),
        "value": (text("col.annual_value"), lambda v: text.money(v)),
        "expected_loss": (text("col.expected_loss"), lambda v: text.money(v)),
        "tier": (text("col.tier"), str),
        "reasons": (text("col.reasons"), str),
    }
    if not (shown["tier"] != "").any():  # no revenue data: no value, loss or tier to show
        cols = {k: v for k, v in cols.items() if k not in ("value", "expected_loss", "tier")}
    return table(
        shown, cols, numeric={"rank", "probability", "value", "expected_loss"}, compact=True
    )


def list_summary_html(chapter: EarlyWarningChapter, text: Text) -> HTML | None:
    """How many customers were scored and the expected loss."""
    if not chapter.is_built:
        return None
    a = chapter.at_risk
    top = a.head(max(call_first_rows(len(a)), 1))
    valued = chapter.value_basis != "none"
    sentence = text(
        (
            ("warning.list_now" if valued else "warning.list_now_novalue")
            if chapter.is_snapshot  # current risk: no horizon date
            else ("warning.list_summary" if valued else "warning.list_summary_novalue")
        ),
        n=text.int(len(a)),
        horizon=text.date(chapter.horizon_end),
        expected=text.num(a["probability"].sum(), 0),
        loss=text.money(a["expected_loss"].sum(), unit=True),
        top_share=text.pct(top["expected_loss"].sum() / a["expected_loss"].sum())
        if a["expected_loss"].sum() > 0
        else "–",
        basis=text(VALUE_BASIS[chapter.value_basis]),
    )
    return HTML(f"<p>{escape(sentence)}</p>")


def tiers_html(chapter: EarlyWarningChapter, text: Text, lost: bool = False) -> HTML | None:
    """Win-back priorities by value tier, for today's customers or those lost in the period."""
    grid = chapter.tiers_lost if lost else chapter.tiers_at_risk
    if grid.empty:
        return None
    g = grid[grid["customers"] > 0].copy()  # an empty tier is no row of zeros
    if g.empty:
        return None
    g["label"] = g["tier"].map(lambda t: text(TIER_LABELS[t]))
    g["rule"] = g["tier"].map(lambda t: text(TIER_RULES[t]))
    g["range"] = [_tier_range(t, chapter.thresholds, text) for t in g["tier"]]
    cols = {
        "label": (text("col.tier"), str),
        "range": (text("col.annual_value_range"), str),
        "customers": (text("col.customers"), lambda v: text.int(v)),
        "value": (
            text("col.value_lost" if lost else "col.value_at_stake"),
            lambda v: text.money(v),
        ),
    }
    if not lost:
        cols["mean_probability"] = (text("col.mean_probability"), lambda v: text.pct(v))
        cols["expected_loss"] = (text("col.expected_loss"), lambda v: text.money(v))
    cols["rule"] = (text("col.recommended_action"), str)
    return table(g, cols, numeric={"customers", "value", "mean_probability", "expected_loss"})


def _tier_range(tier: str, thresholds: list[float], text: Text) -> str:
    if tier not in TIERS[:4] or not thresholds:
        return text("tier.range.none")
    bounds = [math.inf, *thresholds, 0.0]
    i = TIERS.index(tier)
    hi, lo = bounds[i], bounds[i + 1]
    if math.isinf(hi):
        return text("tier.range.at_least", low=text.money(lo))
    if tier == "small":
        return text("tier.range.below", high=text.money(hi))
    return text("tier.range.between", low=text.money(lo), high=text.money(hi))


def previous_check_html(chapter: EarlyWarningChapter, text: Text) -> HTML:
    """How the previous run's list did against what happened."""
    c = chapter.previous_check
    if not c:
        return note(
            text("warning.no_previous" if chapter.is_built else "warning.no_previous_nolist")
        )
    sentence = text(
        "warning.previous_sentence",
        made=text.date(c["made_on"]),
        end=text.date(c["horizon_end"]),
        matched=text.int(c["matched"]),
        predicted=text.num(c["predicted"], 0),
        left=text.int(c["left"]),
        auc=text.num(c["auc"], 2),
        lift=text.num(c["top_decile_lift"], 1),
    )
    return HTML(f"<p>{escape(sentence)}</p>")


def files_note(
    chapter: EarlyWarningChapter, text: Text, masked: bool, workbook_rows: int | None = None
) -> HTML | None:
    """Where the full list is (and what the workbook holds when it holds less), and whether
    ids are masked."""
    if not chapter.is_built:
        return None
    listed = len(chapter.at_risk)
    files = (
        workbook_sentence(listed, workbook_rows, chapter.value_basis != "none", text)
        if workbook_rows is not None and listed > workbook_rows
        else text("warning.files")
    )
    return note(files + (" " + text("warning.masked") if masked else ""))


def workbook_sentence(listed: int, workbook_rows: int, valued: bool, text: Text) -> str:
    """What at_risk.xlsx holds when it holds only the top of the list (``workbook_rows`` of
    ``listed`` customers; the CSV holds all): the highest expected loss, or without revenue
    data (``valued`` false) the most likely to leave."""
    if listed <= workbook_rows:
        return text("warning.files")
    return text(
        "warning.files_top" if valued else "warning.files_top_novalue",
        listed=text.int(listed),
        shown=text.int(workbook_rows),
    )


def file_headers(rows: pd.DataFrame, text: Text) -> pd.DataFrame:
    """``rows`` with column headers in the report language (for the shared files)."""
    labels = {
        "rank": text("col.rank"),
        "customer_id": text("col.customer"),
        "probability": text("col.probability"),
        "value": text("col.annual_value"),
        "expected_loss": text("col.expected_loss"),
        "tier": text("col.tier"),
        "reasons": text("col.reasons"),
        "action": text("col.recommended_action"),
    }
    return rows.rename(columns=lambda c: labels.get(c, dimension_label(c, text)))
