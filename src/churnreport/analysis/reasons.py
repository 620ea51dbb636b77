"""Stated churn reasons on the cause taxonomy: Pareto, controllable share, segments, time.

Every churned customer in the window is counted once: under its category, under "unmapped"
(a reason no rule matches, listed with its text) or under "not stated" (no reason recorded).
"""

from __future__ import annotations

import datetime as dt
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from churnreport.analysis.revenue import revenue_at_churn
from churnreport.analysis.segments import most_common
from churnreport.data.taxonomy import ReasonMapping
from churnreport.periods import FREQ

UNMAPPED = "unmapped"
NOT_STATED = "not_stated"


def classify_reasons(reasons: pd.Series, mapping: ReasonMapping) -> pd.DataFrame:
    """Category, sub-category and match kind of each reason.

    Parameters
    ----------
    reasons : Series
        Raw reason text (missing = not stated).
    mapping : ReasonMapping

    Returns
    -------
    DataFrame
        Same index; columns reason, category (a taxonomy name, ``unmapped`` or
        ``not_stated``), sub, group (subjective / objective / involuntary, or the category
        itself for unmapped / not stated), matched_by (exact / keyword / "").
    """
    text = reasons.astype("string").str.strip()
    text = text.where(text.str.len() > 0)
    # each distinct text matched once; code -1 (missing) takes the last row: not stated
    codes, distinct = pd.factorize(text)
    rows = []
    for raw in distinct:
        rule, how = mapping.match(raw)
        if rule is None:
            rows.append((UNMAPPED, "", "", UNMAPPED, ""))
        else:
            rows.append(
                (
                    rule.category,
                    rule.sub,
                    rule.sub_zh or rule.sub,
                    mapping.categories[rule.category].group,
                    how,
                )
            )
    rows.append((NOT_STATED, "", "", NOT_STATED, ""))
    table = np.array(rows, dtype=object)
    columns = ["category", "sub", "sub_zh", "group", "matched_by"]
    out = pd.DataFrame(
        {c: table[codes, j] for j, c in enumerate(columns)}, index=reasons.index, columns=columns
    )
    out.insert(0, "reason", text)
    return out


def _pareto(frame: pd.DataFrame, keys: list[str], total: int) -> pd.DataFrame:
    g = (
        frame.groupby(keys, dropna=False)
        .agg(churned=("customer_id", "size"), revenue_lost=("revenue_lost", "sum"))
        .reset_index()
        .sort_values(["churned", keys[0]], ascending=[False, True], kind="stable")
        .reset_index(drop=True)
    )
    g["share"] = g["churned"] / total if total else np.nan
    g["cumulative_share"] = g["share"].cumsum()
    return g


def _reason_rows(churners: pd.DataFrame, total: int) -> pd.DataFrame:
    """Stated reasons in Pareto order, one row per sub-reason a rule matched (its spellings,
    e.g. a Chinese and an English one, together) and one per unmatched text; the
    cumulative share runs over these rows only (not over the customers who stated none)."""
    stated = churners[churners["category"] != NOT_STATED]
    stated = stated.assign(reason=stated["sub"].where(stated["sub"] != "", stated["reason"]))
    spellings = (
        churners.loc[stated.index]
        .groupby(["category", stated["reason"].rename("key")])["reason"]
        .agg(lambda s: list(s.value_counts(sort=True).index))
    )
    rows = _pareto(stated, ["reason", "category", "sub", "sub_zh"], total)
    rows["stated_as"] = [
        spellings.get((c, r), [r]) for c, r in zip(rows["category"], rows["reason"], strict=True)
    ]
    return rows


@dataclass(frozen=True)
class ReasonAnalysis:
    """Stated reasons of the customers lost in a window.

    Attributes
    ----------
    churners : DataFrame
        customer_id, end_date, reason, category, sub, group, matched_by, revenue_lost, plus the
        customers' segment columns.
    categories : DataFrame
        category, group, churned, share, cumulative_share, revenue_lost (Pareto order).
    reasons : DataFrame
        reason (the sub-reason a rule matched, else the stated text), category, sub, sub_zh,
        stated_as (the spellings, most frequent first), churned, share, cumulative_share,
        revenue_lost.
    unmapped : DataFrame
        reason, churned: the reasons no rule matched.
    controllable_share : float
        Subjective churners / churners with a subjective or objective category (involuntary,
        unmapped and not stated are left out of both sides).
    window_start, window_end : date
        Churn dates counted (inclusive).
    """

    churners: pd.DataFrame
    categories: pd.DataFrame
    reasons: pd.DataFrame
    unmapped: pd.DataFrame
    controllable_share: float
    window_start: dt.date
    window_end: dt.date

    def metrics(self) -> dict[str, object]:
        """Entries ``reasons``, ``reasons_unmapped``, ``reason_categories`` and ``controllable_share`` of metrics.json ``causes``."""
        cols = ["category", "reason", "stated_as", "churned", "share", "revenue_lost"]
        return {
            "reasons": self.reasons[cols],
            "reasons_unmapped": self.unmapped[["reason", "churned"]],
            "reason_categories": self.categories,
            "controllable_share": self.controllable_share,
        }


def reason_analysis(
    customers: pd.DataFrame,
    mapping: ReasonMapping,
    window_start: dt.date,
    window_end: dt.date,
    revenue: pd.DataFrame | None = None,
) -> ReasonAnalysis | None:
    """Classify and count the stated reasons of customers who churned in a window.

    Parameters
    ----------
    customers : DataFrame
        The customer table (churned, end_date, churn_reason, segment columns).
    mapping : ReasonMapping
    window_start, window_end : date
        Churn dates counted, inclusive. Snapshot data: every churned customer (pass the
        snapshot date for both ends; all snapshot churners end on it).
    revenue : DataFrame, optional
        Recurring revenue intervals: revenue lost = 12 x the customer's MRR just before its
        churn date.

    Returns
    -------
    ReasonAnalysis or None
        None when the data carry no churn_reason column, or an empty one although customers
        churned (a mapped reason source without churners still has its empty analysis).
    """
    if "churn_reason" not in customers:
        return None
    churned = customers["churned"].astype(bool)
    if customers["churn_reason"].isna().all() and churned.any():  # an empty column
        return None
    lo, hi = pd.Timestamp(window_start), pd.Timestamp(window_end)
    lost = customers[customers["churned"].astype(bool) & customers["end_date"].between(lo, hi)]
    lost = lost.reset_index(drop=True)
    classified = classify_reasons(lost["churn_reason"], mapping)
    lost_attrs = lost.drop(columns=[c for c in classified.columns if c in lost.columns])
    churners = pd.concat([lost_attrs, classified], axis=1)

    churners["revenue_lost"] = revenue_at_churn(lost, revenue) * 12
    total = len(churners)
    categories = _pareto(churners, ["category", "group"], total)
    reasons = _reason_rows(churners, total)
    unmapped = reasons.loc[reasons["category"] == UNMAPPED, ["reason", "churned"]]
    grouped = churners["group"].value_counts()
    known = grouped.get("subjective", 0) + grouped.get("objective", 0)
    share = grouped.get("subjective", 0) / known if known else float("nan")
    return ReasonAnalysis(
        churners,
        categories,
        reasons,
        unmapped.reset_index(drop=True),
        float(share),
        lo.date(),
        hi.date(),
    )


def reasons_by_segment(analysis: ReasonAnalysis, dimension: str, top: int = 8) -> pd.DataFrame:
    """Category shares within each level of a segment dimension (with counts).

    Returns
    -------
    DataFrame
        Index: segment level (missing values as "(missing)", at most ``top`` levels by
        churners, the rest as "(other)"); columns: the categories (shares of the level's
        churners) and ``churned`` (the level's count).
    """
    c = analysis.churners
    level = c[dimension].astype("string").fillna("(missing)")
    keep = most_common(level, top)
    level = level.where(level.isin(keep), "(other)")
    counts = pd.crosstab(level, c["category"])
    out = counts.div(counts.sum(axis=1), axis=0)
    out["churned"] = counts.sum(axis=1)
    return out.sort_values("churned", ascending=False)


def reasons_over_time(analysis: ReasonAnalysis, period: str) -> pd.DataFrame:
    """Churners per period and category (index: period label)."""
    c = analysis.churners

    labels = c["end_date"].dt.to_period(FREQ[period]).astype(str)
    return pd.crosstab(labels, c["category"]).sort_index()


def cumulative_incidence(
    life: pd.DataFrame, categories: pd.Series, top: int = 5, horizon_months: float = 36.0
) -> pd.DataFrame:
    """Cumulative incidence of churn by reason category over customer lifetime
    (Aalen-Johansen, competing risks: leaving for one reason removes the chance of leaving
    for another).

    Parameters
    ----------
    life : DataFrame
        customer_id, duration_months, churned (see :func:`~churnreport.analysis.lifetimes`).
    categories : Series
        Reason category per customer_id (for churned customers).
    top : int
        Categories shown; the rest are pooled as ``other_causes``.
    horizon_months : float
        Curves are read at whole months up to this age.

    Returns
    -------
    DataFrame
        months (0, 1, ...), then one column per category: the share of customers who have left
        for that reason by that age.
    """
    from lifelines import AalenJohansenFitter

    cat = life["customer_id"].map(categories).where(life["churned"])
    ranked = cat.dropna().value_counts().index.tolist()
    shown = ranked[:top]
    cat = cat.where(cat.isna() | cat.isin(shown), "other_causes")
    names = [*shown, *(["other_causes"] if len(ranked) > top else [])]
    codes = cat.map({n: i + 1 for i, n in enumerate(names)}).fillna(0).astype(int)
    grid = np.arange(0, int(min(horizon_months, life["duration_months"].max())) + 1, dtype=float)
    out = pd.DataFrame({"months": grid})
    for i, name in enumerate(names, start=1):
        aj = AalenJohansenFitter(calculate_variance=False, seed=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # lifelines warns about tied times it jitters
            aj.fit(life["duration_months"], codes, event_of_interest=i)
        cif = aj.cumulative_density_.iloc[:, 0]
        out[name] = cif.reindex(cif.index.union(grid)).ffill().fillna(0.0).loc[grid].to_numpy()
    return out
