"""Who churns: churn by segment, whether differences are real, and what changed.

Population: for a snapshot, every customer (churn = the churn flag). For dated data, the
customers active at the start of the last year of periods; churn = leaving within that year
(one year gives every segment enough customers to judge; the report period alone is a month).
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy.stats import chi2_contingency, fisher_exact

from churnreport.analysis.indicators import holm_adjusted, period_table, wilson_interval
from churnreport.analysis.revenue import mrr_at, revenue_at_churn
from churnreport.analysis.trends import two_proportion_p
from churnreport.data.contract import COMPACT_STRING
from churnreport.data.keys import is_among

SMALL = 30
MAX_LEVELS = 12
TENURE_BANDS = (0, 3, 12, 24)  # months: codes <3, 3-11, 12-23, 24+
MISSING = "(missing)"
OTHER = "(other)"


#: Age band codes: under 30, 30-54, 55+ (DOMAIN.md: older customers churn less).
AGE_BANDS = ("<30", "30-54", "55+")


def band_codes(edges: tuple[int, ...]) -> list[str]:
    """Codes of the bands between ``edges`` (the report words them, e.g. ``3-11 months``).

    Examples
    --------
    >>> band_codes((0, 3, 12, 24))
    ['<3', '3-11', '12-23', '24+']
    """
    codes = [f"<{edges[1]}"]
    codes += [f"{a}-{b - 1}" for a, b in itertools.pairwise(edges[1:])]
    return [*codes, f"{edges[-1]}+"]


def band_tenure(months: pd.Series, edges: tuple[int, ...] = TENURE_BANDS) -> pd.Series:
    """Tenure bands in months: ``<3``, ``3-11``, ``12-23``, ``24+``."""
    labels = band_codes(tuple(edges))
    bands = pd.cut(months, [*edges[:1], *edges[1:], np.inf], right=False, labels=labels)
    return bands.astype(COMPACT_STRING).fillna(MISSING)


def band_age(age: pd.Series) -> pd.Series:
    """Age bands :data:`AGE_BANDS`: ``<30``, ``30-54``, ``55+``."""
    bands = pd.cut(age, [-np.inf, 30, 55, np.inf], right=False, labels=list(AGE_BANDS))
    return bands.astype(COMPACT_STRING).fillna(MISSING)


def level_key(level: object) -> tuple:
    """Sort key of a level: those starting with a number (bands ``<3``, ``3-11``, ``12+``;
    ranges ``0 – 2``; codes ``1``, ``2``) in numeric order, before the others alphabetically.

    Parameters
    ----------
    level : object
        A segment level (its text is read).

    Returns
    -------
    tuple
        (0, number, text) for a level starting with a number, (1, 0.0, text) otherwise.

    Examples
    --------
    >>> sorted(["55+", "30-54", "<30", "b", "a", "10", "2"], key=level_key)
    ['2', '10', '<30', '30-54', '55+', 'a', 'b']
    """
    text = str(level)
    m = re.match(r"\s*([<>]?)\s*(-?\d[\d,]*(?:\.\d+)?)", text)
    if m is None:
        return (1, 0.0, text)
    shift = {"<": -0.5, ">": 0.5}.get(m[1], 0.0)
    return (0, float(m[2].replace(",", "")) + shift, text)


def is_banded(levels: list) -> bool:
    """Whether the levels (missing and other aside) are numeric bands or ranges (``<3``,
    ``3-11``, ``12+``; ``0 – 2``), not codes (``0``/``1``, tiers ``1``/``2``/``3``).

    Parameters
    ----------
    levels : list
        The levels of one dimension.

    Returns
    -------
    bool
    """
    real = [str(lv) for lv in levels if lv not in (MISSING, OTHER)]
    numeric = bool(real) and all(level_key(lv)[0] == 0 for lv in real)
    return numeric and any(re.search(r"[<>+–-]|\d\s+\S", lv[1:]) or lv[0] in "<>" for lv in real)


def segment_values(values: pd.Series, max_levels: int = MAX_LEVELS) -> pd.Series:
    """Turn a column into segment levels: numbers with many values into quintile ranges,
    missing values into their own level, rare levels beyond ``max_levels`` into (other)."""
    if (
        pd.api.types.is_numeric_dtype(values)
        and not pd.api.types.is_bool_dtype(values)
        and values.nunique() > 8
    ):
        q = pd.qcut(values, 5, duplicates="drop")
        out = q.map(lambda iv: f"{iv.left:,.4g} – {iv.right:,.4g}").astype(COMPACT_STRING)
    else:
        out = values.astype(COMPACT_STRING)
    out = out.fillna(MISSING)
    if out.nunique() > max_levels:
        top = most_common(out, max_levels - 1)
        out = out.where(out.isin(top) | (out == MISSING), OTHER)
    return out


def most_common(values: pd.Series, n: int) -> list:
    """The ``n`` most frequent values, most first, equal counts in the order of their text: the
    same data in another row order, or with its text stored otherwise, gives the same levels.

    Parameters
    ----------
    values : Series
    n : int

    Returns
    -------
    list

    Examples
    --------
    >>> most_common(pd.Series(["b", "c", "a", "c", "b", "a", "d"]), 2)
    ['a', 'b']
    """
    return most_counted(values.value_counts(sort=False), n)


def distinct_values(values: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """Integer codes of a column's rows and its distinct values (code -1: missing), so that
    work per level is done once per distinct value, not once per row.

    Values that are equal but written differently in an object column (``1``, ``1.0``,
    ``True``) stay apart as their text does.

    Returns
    -------
    (codes, uniques)
    """
    if values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) != "string":
        values = values.astype("string")
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return codes, pd.Series(uniques)


def level_codes(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Each row's level as a code into the levels' text: missing values (and text reading
    ``(missing)``) the level :data:`MISSING`, values of the same text one level
    (:func:`distinct_values`), each text made once per level, not once per row.

    Returns
    -------
    (codes, names)
        ``names[codes]`` is each row's level; a name may have no row.

    Examples
    --------
    >>> codes, names = level_codes(pd.Series(["b", None, "b", "(missing)"]))
    >>> list(names[codes])
    ['b', '(missing)', 'b', '(missing)']
    """
    codes, uniques = distinct_values(values)  # missing: -1, the last text below
    same, names = pd.factorize(pd.Index([str(u) for u in uniques] + [MISSING]))
    return same[codes], names


def most_counted(counts: pd.Series, n: int) -> list:
    """The ``n`` values with the largest counts (``counts``: value -> count), most first,
    equal counts in the order of their text (:func:`most_common` of the values counted).

    Parameters
    ----------
    counts : Series
    n : int

    Returns
    -------
    list
    """
    table = pd.DataFrame({"value": counts.index.astype(str), "n": counts.to_numpy()})
    order = table.sort_values(["n", "value"], ascending=[False, True], kind="stable").index
    return list(counts.index[order[:n]])


@dataclass(frozen=True)
class SegmentTable:
    """Churn by the levels of one dimension.

    Attributes
    ----------
    dimension : str
    table : DataFrame
        segment, customers (at risk), churned, churn_rate, ci_low, ci_high, share_of_churn,
        revenue_lost, lift (rate / overall rate), small (fewer than 30 customers), sorted by
        rate, highest first.
    test : str
        ``chi-square`` or ``fisher``.
    p_value : float
    pairs : DataFrame
        a, b, p_value, p_adjusted (Holm), significant: pairwise comparisons of the levels that
        are not small.
    """

    dimension: str
    table: pd.DataFrame
    test: str
    p_value: float
    pairs: pd.DataFrame

    def to_dict(self) -> dict:
        """JSON-ready form (metrics.json ``segments.segments[dimension]``)."""
        return {
            "levels": self.table,
            "test": self.test,
            "p_value": self.p_value,
            "significant_pairs": self.pairs.loc[
                self.pairs["significant"].astype(bool), ["a", "b", "p_adjusted"]
            ],
        }


def segment_table(frame: pd.DataFrame, dimension: str) -> SegmentTable:
    """Churn per level of ``dimension`` with intervals, a test across levels and Holm-corrected
    pairwise comparisons.

    Parameters
    ----------
    frame : DataFrame
        One row per customer at risk: the dimension column (levels), churned (bool),
        revenue_lost.
    dimension : str

    Returns
    -------
    SegmentTable
    """
    level = frame[dimension]
    g = frame.groupby(level, sort=False).agg(
        customers=("churned", "size"),
        churned=("churned", "sum"),
        revenue_lost=("revenue_lost", "sum"),
    )
    g.index.name = "segment"
    g = g.reset_index()
    g["churned"] = g["churned"].astype(int)
    g["churn_rate"] = g["churned"] / g["customers"]
    lo, hi = wilson_interval(g["churned"].to_numpy(), g["customers"].to_numpy())
    g["ci_low"], g["ci_high"] = lo, hi
    total_churned = g["churned"].sum()
    overall = total_churned / g["customers"].sum()
    g["share_of_churn"] = g["churned"] / total_churned if total_churned else np.nan
    g["lift"] = g["churn_rate"] / overall if overall else np.nan
    g["small"] = g["customers"] < SMALL
    if is_banded(list(g["segment"])):  # bands read in their own order
        g = g.iloc[sorted(range(len(g)), key=lambda i: level_key(g["segment"].iloc[i]))]
        g = g.reset_index(drop=True)
    else:
        g = g.sort_values(
            ["churn_rate", "customers"], ascending=[False, False], kind="stable"
        ).reset_index(drop=True)
    test, p = _across_levels(g)
    return SegmentTable(dimension, g, test, p, _pairwise(g))


def _across_levels(g: pd.DataFrame) -> tuple[str, float]:
    table = np.column_stack([g["churned"], g["customers"] - g["churned"]])
    table = table[table.sum(axis=1) > 0]
    if len(table) < 2 or (table.sum(axis=0) == 0).any():
        return "none", float("nan")
    if table.shape[0] == 2:
        expected = table.sum(axis=1)[:, None] * table.sum(axis=0)[None, :] / table.sum()
        if (expected < 5).any():
            return "fisher", float(fisher_exact(table)[1])
    return "chi-square", float(chi2_contingency(table)[1])


def _pairwise(g: pd.DataFrame) -> pd.DataFrame:
    big = g[~g["small"]]
    rows = []
    for (_, a), (_, b) in itertools.combinations(big.iterrows(), 2):
        p = two_proportion_p(
            int(a["churned"]), int(a["customers"]), int(b["churned"]), int(b["customers"])
        )
        rows.append({"a": a["segment"], "b": b["segment"], "p_value": p})
    out = pd.DataFrame(rows, columns=["a", "b", "p_value"])
    if out.empty:
        return out.assign(p_adjusted=pd.Series(dtype=float), significant=pd.Series(dtype=bool))
    out["p_adjusted"] = holm_adjusted(out["p_value"].fillna(1.0))
    out["significant"] = out["p_adjusted"] < 0.05
    return out


def churn_population(
    spells: pd.DataFrame,
    customers: pd.DataFrame,
    as_of: dt.date,
    definition: str,
    revenue: pd.DataFrame | None = None,
    tables: Mapping[str, pd.DataFrame] | None = None,
    first_day: dt.date | None = None,
    backend: str = "duckdb",
) -> tuple[pd.DataFrame, dt.date]:
    """Customers at risk with their churn outcome, tenure at the window start and revenue lost.

    The window is the year up to ``as_of``, or from ``first_day`` (the first observed day of
    a purchase history) when that is later; customers first seen before ``first_day`` have an
    unknown tenure (they may have bought long before the data begin).

    Returns
    -------
    (frame, window_start)
        frame: the customer columns plus churned (bool, in the window), tenure_at_start
        (months), revenue_lost (12 x monthly revenue before churning), annual_value (12 x
        recurring revenue at the window start, when revenue is known) and rfm_group (when
        ``tables`` hold transactions; aggregated on ``backend``).

    """
    c = customers.copy()
    if definition == "snapshot":
        start = pd.Timestamp(as_of)
        at_risk = c
        churned = c["churned"].astype(bool).to_numpy()
        tenure = (
            c["tenure_months"]
            if "tenure_months" in c
            else ((start - c["start_date"]).dt.days / 30.4375)
        )
    else:
        start = pd.Timestamp(as_of) - pd.DateOffset(years=1) + pd.Timedelta(days=1)
        if first_day is not None and pd.Timestamp(first_day) > start:
            start = pd.Timestamp(first_day)
        first = spells.sort_values("spell_start")
        active = (first["spell_start"] < start) & (
            first["spell_end"].isna() | (first["spell_end"] >= start)
        )
        ids = first.loc[active, "customer_id"].unique()
        at_risk = c[is_among(c["customer_id"], ids)]
        ends = first.loc[active].groupby("customer_id")["spell_end"].max()
        end = at_risk["customer_id"].map(ends)
        churned = (end.notna() & (end <= pd.Timestamp(as_of))).to_numpy()
        tenure = (start - at_risk["start_date"]).dt.days / 30.4375
        if first_day is not None:  # first seen before the history shows everyone: unknown
            tenure = tenure.where(at_risk["start_date"] >= pd.Timestamp(first_day))
    out = at_risk.assign(churned=churned, tenure_at_start=np.asarray(tenure, dtype=float))
    if revenue is not None:  # value at the window start, per year
        ids, m = mrr_at(revenue, np.array([np.datetime64(start, "ns")]))
        out["annual_value"] = out["customer_id"].map(pd.Series(m[:, 0] * 12, index=ids))
    elif "monthly_revenue" in out:
        out["annual_value"] = out["monthly_revenue"] * 12
    rfm = rfm_scores(tables or {}, out["customer_id"], start, backend)
    if rfm is not None:
        out["rfm_group"] = rfm["rfm_group"].to_numpy()

    lost = out[out["churned"]]
    out["revenue_lost"] = 0.0
    if revenue is not None and len(lost):
        out.loc[lost.index, "revenue_lost"] = revenue_at_churn(lost, revenue) * 12
    return out.reset_index(drop=True), start.date()


def segment_dimensions(
    frame: pd.DataFrame,
    segments: list[str],
    tenure_bands: tuple[int, ...] = TENURE_BANDS,
    abc_shares: tuple[float, float] | None = None,
) -> pd.DataFrame:
    """Add the segment level columns: tenure band, age band, value class (ABC) and RFM group
    when the frame carries them, the configured segments, customer type and account manager.
    Returns a frame with one string column per dimension (named as the dimension)."""
    dims = pd.DataFrame(index=frame.index)
    if frame["tenure_at_start"].notna().any():  # a purchase history's first buyers: unknown
        dims["tenure_band"] = band_tenure(frame["tenure_at_start"], tuple(tenure_bands))
    if "age" in frame:
        dims["age_band"] = band_age(frame["age"])
    if "annual_value" in frame and frame["annual_value"].fillna(0).gt(0).any():
        dims["value_class"] = abc_classes(
            frame["annual_value"], tuple(abc_shares or ABC_CUSTOMER_SHARES)
        )
    if "rfm_group" in frame:
        dims["rfm_group"] = frame["rfm_group"].astype("string").fillna(MISSING)
    for col in ["customer_type", *segments, "account_manager"]:
        if col in frame and col not in dims and col not in ("age",):
            dims[col] = segment_values(frame[col])
    return dims


#: Default ABC boundaries as cumulative shares of customers ranked by value: A = the top 15%,
#: B = the next 25%, C = the remaining 60% (DOMAIN.md section 4).
ABC_CUSTOMER_SHARES = (0.15, 0.40)


def abc_classes(value: pd.Series, bounds: tuple[float, float] = ABC_CUSTOMER_SHARES) -> pd.Series:
    """ABC (Pareto) value classes: customers ranked by value, A up to the first bound of the
    customer share, B up to the second, C the rest; missing value is its own level.

    Examples
    --------
    >>> abc_classes(pd.Series([100.0, 50, 10, 5, 1, 1, 1, 1, 1, 1])).tolist()
    ['A', 'B', 'B', 'B', 'C', 'C', 'C', 'C', 'C', 'C']
    """
    known = value.notna()
    rank = value.rank(ascending=False, method="first") / max(int(known.sum()), 1)
    out = pd.Series(
        np.where(rank <= bounds[0] + 1e-12, "A", np.where(rank <= bounds[1] + 1e-12, "B", "C")),
        index=value.index,
    )
    return out.where(known, MISSING).astype("string")


def rfm_scores(
    tables: Mapping[str, pd.DataFrame],
    customer_ids: pd.Series,
    on: pd.Timestamp,
    backend: str = "duckdb",
) -> pd.DataFrame | None:
    """RFM scores 1-5 as of a date and the named group of each customer.

    Recency = days since the last purchase before ``on`` (more recent scores higher);
    frequency = purchases and monetary = amount in the 365 days before ``on``. Scores are
    quintiles of the customers' ranks (ties broken by order), so each score holds a fifth.
    Groups, first match: champions R>=4 F>=4 M>=4; cannot_lose R<=2 F>=4 M>=4; loyal F>=4 R>=3;
    at_risk R<=2 F>=3; lost R=1 F=1; hibernating R<=2 F<=2; new_or_promising R>=4 F<=2;
    need_attention otherwise. The purchases are aggregated by the engine
    (:func:`churnreport.data.engine.window_activity`, the year up to the day before ``on``);
    on DuckDB a run's cached transactions never enter pandas (``engine.read``).

    Parameters
    ----------
    tables : mapping
        ``transactions``: canonical rows or the prepared customer-days (with purchases).
    customer_ids : Series
    on : Timestamp
    backend : {"duckdb", "spark"}
        Where the purchases are aggregated (:func:`churnreport.data.engine.session`).

    Returns
    -------
    DataFrame or None
        customer_id, recency_days, frequency, monetary, r, f, m, rfm_group; None without
        transactions.
    """
    from churnreport.data import engine

    on = pd.Timestamp(on)
    keys = pd.DataFrame({"customer_id": customer_ids.to_numpy()})
    with engine.session(backend) as con:
        tx = engine.read(con, tables, "transactions")
        if tx is None:
            return None
        day_before = keys.assign(snapshot=on - pd.Timedelta(days=1))
        act = con.to_pyarrow(engine.window_activity(tx, engine.keys(day_before), 365))
    act = act.to_pandas().set_index("row").reindex(keys.index)
    out = keys
    out["recency_days"] = (on - pd.Timestamp(0)).days - act["last"]
    out["frequency"] = act["purchases"].fillna(0)
    out["monetary"] = act["spend"].fillna(0.0) if "spend" in act else 0.0

    def score(x: pd.Series) -> pd.Series:
        pct = x.rank(method="first") / len(x)
        return np.ceil(pct * 5).clip(1, 5).astype(int)

    out["r"] = score(-out["recency_days"].fillna(10**9))
    out["f"] = score(out["frequency"])
    out["m"] = score(out["monetary"])
    r, f, m = out["r"], out["f"], out["m"]
    conditions = [
        (r >= 4) & (f >= 4) & (m >= 4),
        (r <= 2) & (f >= 4) & (m >= 4),
        (f >= 4) & (r >= 3),
        (r <= 2) & (f >= 3),
        (r == 1) & (f == 1),
        (r <= 2) & (f <= 2),
        (r >= 4) & (f <= 2),
    ]
    names = [
        "champions",
        "cannot_lose",
        "loyal",
        "at_risk",
        "lost",
        "hibernating",
        "new_or_promising",
    ]
    out["rfm_group"] = np.select(conditions, names, default="need_attention")
    return out


def decompose_change(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Split the change in overall churn rate between two periods into mix and rate effects.

    Parameters
    ----------
    before, after : DataFrame
        segment, customers (at risk), churned, for the earlier and the later period.

    Returns
    -------
    DataFrame
        segment, share_before, share_after, rate_before, rate_after, mix_effect, rate_effect
        (symmetric: mix = (w1 - w0) * (r0 + r1) / 2, rate = (r1 - r0) * (w0 + w1) / 2), so
        that mix + rate summed over segments equals the change of the overall rate exactly.
        Segments missing in one period count as 0 customers there.

    Examples
    --------
    Two segments at 10% and 2% churn, 50/50 before and 80/20 after, rates unchanged: overall
    6.0% -> 8.4%, all of the +2.4 points is mix.
    """
    b = before.set_index("segment")[["customers", "churned"]]
    a = after.set_index("segment")[["customers", "churned"]]
    idx = b.index.union(a.index)
    b, a = b.reindex(idx, fill_value=0), a.reindex(idx, fill_value=0)
    w0, w1 = b["customers"] / b["customers"].sum(), a["customers"] / a["customers"].sum()
    r0 = b["churned"] / b["customers"].where(b["customers"] > 0)
    r1 = a["churned"] / a["customers"].where(a["customers"] > 0)
    # a segment absent in one period has no rate there: use its other rate (no rate effect)
    r0f, r1f = r0.fillna(r1).fillna(0), r1.fillna(r0).fillna(0)
    out = pd.DataFrame(
        {
            "segment": idx,
            "share_before": w0.to_numpy(),
            "share_after": w1.to_numpy(),
            "rate_before": r0.to_numpy(),
            "rate_after": r1.to_numpy(),
            "mix_effect": ((w1 - w0) * (r0f + r1f) / 2).to_numpy(),
            "rate_effect": ((r1f - r0f) * (w0 + w1) / 2).to_numpy(),
        }
    )
    return out


def segment_period_tables(
    spells: pd.DataFrame,
    levels: ArrayLike,
    period: str,
    as_of: dt.date,
    first_day: dt.date | None = None,
) -> dict[str, pd.DataFrame]:
    """The period table of each segment level.

    Parameters
    ----------
    spells : DataFrame
        Canonical spells.
    levels : array-like
        Each spell's customer's level, aligned with ``spells``' rows (missing: a level of its
        own).
    period : {"month", "quarter", "year"}
    as_of : date
    first_day : date, optional
        Where the tables start (default: the first spell start).

    Returns
    -------
    dict
        Level -> its :func:`~churnreport.analysis.indicators.period_table`.
    """
    s = spells.assign(level=_aligned(levels, spells.index).fillna(MISSING))
    first = first_day or s["spell_start"].min().date()
    return {
        lvl: period_table(grp, period, as_of, first_day=first)
        for lvl, grp in s.groupby("level", sort=True)
    }


def _aligned(levels, index: pd.Index) -> pd.Series:
    """``levels`` as a Series on ``index``, by position. A Series must be on ``index``
    already: one indexed by customer id (the old form) would be read in the wrong order."""
    if isinstance(levels, pd.Series):
        if not levels.index.equals(index):
            raise ValueError("levels go with the rows by position: a Series needs their index")
        return levels
    return pd.Series(levels, index=index)


@dataclass(frozen=True)
class SegmentSurvival:
    """Kaplan-Meier retention per level of one dimension.

    Attributes
    ----------
    dimension : str
    curves : dict
        level -> Survival.
    summary : DataFrame
        segment, customers, churned, median_lifetime_months, rmst_months.
    logrank_p : float
        p-value of the multivariate logrank test (all curves equal).
    """

    dimension: str
    curves: dict
    summary: pd.DataFrame
    logrank_p: float


def survival_by_segment(
    life: pd.DataFrame, levels: ArrayLike, dimension: str, max_levels: int = 6
) -> SegmentSurvival | None:
    """Kaplan-Meier per level (the largest ``max_levels`` - 1 levels, the rest pooled as
    (other)), logrank test, median and restricted mean lifetime on a common horizon.

    Parameters
    ----------
    life : DataFrame
        :func:`churnreport.analysis.survival.lifetimes`.
    levels : array-like
        Each row's level, aligned with ``life``'s rows (as lifelines' ``groups``); missing
        is a level of its own.
    dimension : str
        The dimension's name, kept in the result.
    max_levels : int
        Most curves drawn, (other) included.

    Returns
    -------
    SegmentSurvival or None
        None when fewer than two levels have two customers or more (nothing to compare), or
        when a level's longest lifetime is under a month (no common horizon for the means).
    """
    from lifelines.statistics import multivariate_logrank_test

    from churnreport.analysis.survival import retention_curve

    # the levels as codes, one per row: their text is looked at once per level, not per row
    codes, text = level_codes(_aligned(levels, life.index))
    counts = pd.Series(np.bincount(codes, minlength=len(text)), index=text)
    counts = counts[counts > 0]
    keep = set(most_counted(counts, max_levels - 1) if len(counts) > max_levels else counts.index)
    shown = {t: t if t in keep else OTHER for t in counts.index}
    names = sorted(set(shown.values()))
    lvl = np.array([names.index(shown[t]) if t in shown else -1 for t in text])[codes]
    curves, rows = {}, []
    groups = [(names[n], p) for n, p in life.groupby(lvl) if len(p) >= 2]
    if len(groups) < 2:
        return None
    # one horizon inside every level's observed range, so restricted means compare
    horizon = float(min(min(np.floor(p["duration_months"].max()) for _, p in groups), 60))
    if horizon < 1:
        return None
    for name, part in groups:
        s = retention_curve(part, horizon=horizon)

        curves[name] = s
        rows.append(
            {
                "segment": name,
                "customers": s.customers,
                "churned": s.churned,
                "median_lifetime_months": s.median_lifetime_months,
                "rmst_months": s.rmst_months,
                "horizon_months": s.horizon_months,
            }
        )
    test = multivariate_logrank_test(life["duration_months"], lvl, life["churned"])
    summary = pd.DataFrame(rows).sort_values("rmst_months").reset_index(drop=True)
    return SegmentSurvival(dimension, curves, summary, float(test.p_value))


def change_decomposition(tables: dict[str, pd.DataFrame], lag: int) -> pd.DataFrame | None:
    """Mix and rate effects of each level between the report period and ``lag`` periods earlier.

    Parameters
    ----------
    tables : dict
        level -> period table (:func:`segment_period_tables`).
    lag : int
        1 for the previous period, periods-per-year for the same period a year earlier.

    Returns
    -------
    DataFrame or None
        :func:`decompose_change` output with period_before / period_after; None when there are
        not enough periods or either period has no customers at its start (no rate).
    """
    any_table = next(iter(tables.values()))
    if len(any_table) <= lag:
        return None
    at_start = [
        sum(int(t["start_customers"].iloc[i]) for t in tables.values()) for i in (-1 - lag, -1)
    ]
    if min(at_start) == 0:  # no rate in one of the two periods: no change to split
        return None
    before = pd.DataFrame(
        [
            {
                "segment": k,
                "customers": t["start_customers"].iloc[-1 - lag],
                "churned": t["churned"].iloc[-1 - lag],
            }
            for k, t in tables.items()
        ]
    )
    after = pd.DataFrame(
        [
            {
                "segment": k,
                "customers": t["start_customers"].iloc[-1],
                "churned": t["churned"].iloc[-1],
            }
            for k, t in tables.items()
        ]
    )
    out = decompose_change(before, after)
    out.insert(0, "period_before", any_table["period"].iloc[-1 - lag])
    out.insert(1, "period_after", any_table["period"].iloc[-1])
    return out
