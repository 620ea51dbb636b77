"""What drives churn: behaviour and experience factors, each with an effect size and interval.

Two models, one output shape:

- Dated data: a discrete-time proportional-hazards model on a customer-month panel (every
  customer at risk at a month start is a row; the outcome is churning in that month). A
  binomial GLM with the complementary log-log link makes ``exp(coefficient)`` a hazard ratio;
  month fixed effects absorb the baseline hazard (seasonality, one-off events), so drivers are
  compared within the same month. Experience signals are time-varying: "complained in the
  last 90 days" is true in the month of the complaint and the two after it.
- Snapshot data: a logistic regression on customers; ``exp(coefficient)`` is an odds ratio.

Numeric drivers are standardised (effects are per standard deviation), log-transformed first
when strongly skewed; of two numeric drivers correlated beyond |r| = 0.8 only the first is kept
and the grouping is reported. Categorical drivers are compared with their most common level.
"""

from __future__ import annotations

import datetime as dt
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import norm
from statsmodels.genmod import families
from statsmodels.genmod.generalized_linear_model import GLM

from churnreport.analysis.indicators import holm_adjusted, wilson_interval
from churnreport.analysis.results import DriverEffect, jsonable
from churnreport.analysis.segments import (
    OTHER,
    band_age,
    distinct_values,
    level_codes,
    level_key,
    most_counted,
)
from churnreport.data.taxonomy import normalise

EVENT_WINDOW_MONTHS = 3  # "in the last 90 days": the month of the event and the two after it
NEW_CUSTOMER_MONTHS = 3
MAX_LEVELS = 8
CORRELATION_LIMIT = 0.8
SKEW_LIMIT = 1.0
MIN_EVENTS_PER_FACTOR = 10
#: A customer column that separates churned from staying customers this well on its own
#: (AUC, either direction) records the outcome rather than a cause: left out of the models.
OUTCOME_LIKE_AUC = 0.97
#: Largest table (customer-months or customers) a driver model is fitted on. A larger one is
#: fitted on a random sample of whole customers: the estimates stay unbiased, the intervals
#: widen to what the sample supports, and the report says so (memory grows with rows x factors).
MAX_MODEL_ROWS = 1_000_000
DRIVER_COLUMNS = [
    "driver",
    "level",
    "reference",
    "unit",
    "exposure",
    "effect",
    "ci_low",
    "ci_high",
    "p_value",
    "p_adjusted",
    "kind",
    "direction",
    "raw_direction",
    "significant",
    "strength",
]
COMPLAINT_WORDS = ("complaint", "complain", "投诉")


@dataclass(frozen=True)
class DriverModel:
    """Fitted driver model.

    Attributes
    ----------
    drivers : DataFrame
        driver (name), level (for categorical drivers, else ""), reference (the level compared
        with), effect, ci_low, ci_high, p_value, kind (hazard_ratio | odds_ratio), direction
        (raises | lowers), significant (p < 0.05), unit (binary | per_sd | level), exposure
        (share of rows with the flag or level), p_adjusted (Holm, across the model's drivers),
        sorted by strength (|log effect|). ``significant`` is p_adjusted < 0.05.

    cohorts : dict
        driver -> DataFrame of bins (bin, rows, churned, churn_rate, ci_low, ci_high).
    kind : str
        hazard_ratio or odds_ratio.
    rows : int
        Observations in the model (customer-months or customers).
    events : int
        Churn events in the model.
    dropped : list of dict
        Drivers left out and why (constant, correlated with another, too few rows).
    sample : dict or None
        When the model was fitted on a random sample of customers (:data:`MAX_MODEL_ROWS`):
        customers, of_customers, rows, of_rows, seed. None when fitted on all rows.
    """

    drivers: pd.DataFrame
    cohorts: dict[str, pd.DataFrame]
    kind: str
    rows: int
    events: int
    dropped: list[dict] = field(default_factory=list)
    staff_turnover: dict | None = None
    sample: dict | None = None

    def effects(self) -> list[DriverEffect]:
        """The driver effects as typed rows, strongest first."""
        cols = [c for c in DRIVER_COLUMNS if c not in ("exposure", "strength")]
        return [DriverEffect.model_validate(r) for r in jsonable(self.drivers[cols])]

    def metrics(self) -> dict[str, object]:
        """Entries ``drivers``, ``drivers_model`` and ``staff_turnover`` of the chapter's
        :class:`~churnreport.analysis.results.CauseResult`."""
        return {
            "drivers": self.effects(),
            "drivers_model": {
                "kind": self.kind,
                "rows": self.rows,
                "events": self.events,
                "dropped": self.dropped,
                "sample": self.sample,
            },
            "staff_turnover": self.staff_turnover,
        }


def staff_turnover_effect(
    after_churned: int, after_months: int, other_churned: int, other_months: int
) -> dict | None:
    """Monthly churn of customers in the 90 days after their account manager left vs the rest.

    Parameters
    ----------
    after_churned, after_months : int
        Churn events and customer-months with the flag ``manager_left_90d``.
    other_churned, other_months : int
        The same without it.

    Returns
    -------
    dict or None
        after_rate, after_ci_low, after_ci_high, after_months (customer-months), other_rate,
        other_ci_low, other_ci_high, other_months, rate_ratio with a 95% interval (log-scale
        delta method); None without a customer-month after a departure.

    Examples
    --------
    30 churned in 1,000 customer-months after a departure, 200 in 20,000 otherwise: 3% vs 1%,
    ratio 3.0, se(log ratio) = sqrt(1/30 - 1/1000 + 1/200 - 1/20000) = 0.1931.

    >>> e = staff_turnover_effect(30, 1000, 200, 20000)
    >>> round(e["rate_ratio"], 2), round(e["ratio_ci_low"], 2)
    (3.0, 2.05)
    """
    if not after_months:
        return None
    k1, n1, k0, n0 = after_churned, after_months, other_churned, other_months
    (l1, h1), (l0, h0) = (wilson_interval(k, n) for k, n in ((k1, n1), (k0, n0)))
    out = {
        "after_rate": k1 / n1,
        "after_ci_low": float(l1),
        "after_ci_high": float(h1),
        "after_months": n1,
        "after_churned": k1,
        "other_rate": k0 / n0 if n0 else float("nan"),
        "other_ci_low": float(l0),
        "other_ci_high": float(h0),
        "other_months": n0,
        "other_churned": k0,
        "rate_ratio": float("nan"),
        "ratio_ci_low": float("nan"),
        "ratio_ci_high": float("nan"),
    }
    if k1 and k0:
        ratio = (k1 / n1) / (k0 / n0)
        se = np.sqrt(1 / k1 - 1 / n1 + 1 / k0 - 1 / n0)
        z = norm.ppf(0.975)
        out.update(
            rate_ratio=ratio,
            ratio_ci_low=float(ratio * np.exp(-z * se)),
            ratio_ci_high=float(ratio * np.exp(z * se)),
        )
    return out


def is_complaint(category: pd.Series) -> pd.Series:
    """True for ticket categories that name a complaint (complaint, complain, 投诉)."""
    codes, uniques = distinct_values(category)
    # each distinct category is read once (a ticket table repeats a few categories)
    words = uniques.astype("string").fillna("").map(normalise)
    named = np.append(words.map(lambda c: any(w in c for w in COMPLAINT_WORDS)), False)
    return pd.Series(named[codes].astype(bool), index=category.index)


def _month_index(dates: pd.Series) -> pd.Series:
    return dates.dt.year * 12 + dates.dt.month - 1


def experience_events(
    tickets: pd.DataFrame | None,
    staff: pd.DataFrame | None,
    customers: pd.DataFrame,
    slow_hours: float = 24.0,
) -> dict[str, pd.DataFrame]:
    """Dated events per customer that can drive churn: complaints, slow first responses, low
    satisfaction, the account manager leaving. Each value: customer_id, date."""
    events: dict[str, pd.DataFrame] = {}
    if tickets is not None and len(tickets):
        t = tickets.rename(columns={"opened_at": "date"})
        if "category" in t:
            complaint = is_complaint(t["category"])
            if complaint.any():
                events["complaint_90d"] = t.loc[complaint, ["customer_id", "date"]]
        if "first_response_hours" in t and t["first_response_hours"].notna().any():
            events["slow_response_90d"] = t.loc[
                t["first_response_hours"] > slow_hours, ["customer_id", "date"]
            ]
        if "satisfaction" in t and t["satisfaction"].notna().any():
            events["low_satisfaction_90d"] = t.loc[t["satisfaction"] <= 2, ["customer_id", "date"]]
    if staff is not None and len(staff) and "account_manager" in customers:
        left = staff.dropna(subset=["left_date"]).drop_duplicates("account_manager")
        m = customers[["customer_id", "account_manager"]].merge(left, on="account_manager")
        if len(m):
            events["manager_left_90d"] = m.rename(columns={"left_date": "date"})[
                ["customer_id", "date"]
            ]
    return events


@dataclass(frozen=True)
class HazardPanel:
    """The customer-month panel as the driver model reads it (:func:`hazard_panel`).

    Attributes
    ----------
    fit : DataFrame
        The customer-months the model is fitted on: customer_id, month, churned (0/1),
        new_customer (0/1), one 0/1 column per event type, the attribute columns. Every row,
        or every row of a random share of the customers when the panel is larger than the
        row cap (:func:`sample_customers`'s rule).
    cohorts : dict
        Column -> churn per level or decile over the whole panel (:func:`metric_cohorts`).
    staff_turnover : dict or None
        :func:`staff_turnover_effect` over the whole panel.
    sample : dict or None
        customers, of_customers, rows, of_rows, seed when ``fit`` is a sample.
    """

    fit: pd.DataFrame
    cohorts: dict[str, pd.DataFrame] = field(default_factory=dict)
    staff_turnover: dict | None = None
    sample: dict | None = None


def hazard_panel(
    spells: pd.DataFrame,
    customers: pd.DataFrame,
    as_of: dt.date,
    events: dict[str, pd.DataFrame],
    attributes: list[str],
    max_months: int = 24,
    first_day: dt.date | None = None,
    max_rows: int | None = None,
    backend: str = "duckdb",
) -> HazardPanel:
    """Customer-month panel of the last ``max_months`` complete months (none before
    ``first_day``, a purchase history's first observed day).

    Every customer at risk at a month's start (begun before it, not yet gone) is a row of
    that month; the engine (``backend``; data/engine.py) counts the churn by each event flag
    over all of them (from the customers and their events, without building the rows) and
    builds the rows of the customers the model is fitted on. The churn by each
    attribute's level is counted per customer, weighted by its months at risk, so pandas
    holds one row per customer and the model's customer-months: all, or a random share of
    the customers drawn to hold about ``max_rows``.

    Parameters
    ----------
    spells, customers : DataFrame
        Canonical spells (each customer's first spell is used) and customer table.
    as_of : date
        The report date: the last month studied is the last complete one by then.
    events : dict
        Event type -> customer_id, date (:func:`experience_events`).
    attributes : list of str
        Customer columns to carry into the panel.
    max_months : int
        Months studied, back from the last complete one.
    first_day : date, optional
        A purchase history's first observed day: no month before it.
    max_rows : int, optional
        Default :data:`MAX_MODEL_ROWS`.
    backend : {"duckdb", "spark"}
        :func:`churnreport.data.engine.session`.

    Returns
    -------
    HazardPanel
        ``fit`` is empty (with its columns) when nobody was at risk.
    """
    from churnreport.data import engine

    end_m = _month_index(pd.Series([pd.Timestamp(as_of) + pd.Timedelta(days=1)])).iloc[0] - 1
    first_m = max(end_m - max_months + 1, 0)
    if first_day is not None:  # the censored start of a purchase history: nobody can churn
        first_m = max(first_m, _month_index(pd.Series([pd.Timestamp(first_day)])).iloc[0])
    first = spells.sort_values("spell_start").drop_duplicates("customer_id")
    # the ids as the spells hold them (Arrow text in a run): an object per id was 0.3 GB at
    # 5,000,000 customers, and its index for the events as much again
    ids = pd.Index(first["customer_id"])
    start_m = _month_index(first["spell_start"]).to_numpy(dtype=float)
    end = first["spell_end"].to_numpy("datetime64[ns]")
    leave_m = _month_index(first["spell_end"]).to_numpy(dtype=float)
    # at risk in month m when begun before its first day and not gone by it
    lo = np.maximum(start_m + 1, first_m)
    hi = np.fmin(leave_m, end_m)
    months = np.nan_to_num(hi - lo + 1, nan=0).clip(0).astype(np.int64)
    at = np.flatnonzero(months > 0)
    churned = ~np.isnat(end) & (leave_m <= end_m)
    columns = ["customer_id", "month", "churned", "new_customer", *events, *attributes]
    if not len(at):  # nobody at the start of any month studied
        return HazardPanel(pd.DataFrame(columns=columns))
    attrs = customers.set_index("customer_id")[attributes].reindex(ids).reset_index(drop=True)

    # the model's customers: all, or a random share when the panel is over the row cap, drawn
    # in the order customers first appear in the panel (by first month, then spell start)
    order = at[np.lexsort((at, lo[at]))]
    keep, sample = _draw(months[order], max_rows or MAX_MODEL_ROWS)
    in_fit = np.zeros(len(ids), dtype=bool)
    in_fit[order[keep]] = True

    with engine.session(backend) as con:
        at_risk = _first_table(at, lo, hi, start_m, churned, in_fit)
        studied = pd.DataFrame({"m": np.arange(first_m, end_m + 1, dtype=np.int64)})
        happened = _event_table(events, ids, end, at)
        first_t = engine.frame_table(at_risk, list(at_risk.columns))
        events_t = None if happened is None else engine.frame_table(happened, ["c", "kind", "m"])
        windows = {"new_months": NEW_CUSTOMER_MONTHS, "event_months": EVENT_WINDOW_MONTHS}
        flags = ["new_customer", *events]
        # the whole panel's totals from the customers and their events: the panel itself is
        # built only for the model's customers (the whole of it was 3.5 GB at 5M customers)
        counts = engine.panel_counts(con, first_t, events_t, list(events), **windows)
        fit_events = None
        if happened is not None:
            fit_events = engine.frame_table(happened[in_fit[happened["c"]]], ["c", "kind", "m"])
        panel = engine.customer_months(
            first_t.filter(first_t.fit),
            engine.frame_table(studied, ["m"]),
            fit_events,
            list(events),
            **windows,
        )
        rows = panel.drop("fit").order_by(["month", "c"])
        got = con.to_pyarrow(rows).to_pandas()
    c = got.pop("c").to_numpy()
    fit_rows = pd.concat(
        [
            pd.DataFrame({"customer_id": ids.take(c)}),
            got.astype("int64"),
            attrs.iloc[c].reset_index(drop=True),
        ],
        axis=1,
    )[columns]

    # churn by level: attributes per customer weighted by its months, flags from the counts
    who = attrs.iloc[at].assign(_months=months[at], _churned=churned[at].astype(int))
    cohorts = {}
    for f in flags:
        on, lost = counts[f"{f}__rows"], counts[f"{f}__churned"]
        two = pd.DataFrame(
            {f: [0, 1], "_months": [counts["rows"] - on, on],
             "_churned": [counts["churned"] - lost, lost]}
        )  # fmt: skip
        cohorts |= metric_cohorts(two[two["_months"] > 0], "_churned", [f], weights="_months")
    cohorts |= metric_cohorts(who, "_churned", attributes, weights="_months")
    staff = None
    if "manager_left_90d" in events:
        on, lost = counts["manager_left_90d__rows"], counts["manager_left_90d__churned"]
        staff = staff_turnover_effect(lost, on, counts["churned"] - lost, counts["rows"] - on)
    return HazardPanel(fit_rows, cohorts, staff, sample)


def _first_table(at, lo, hi, start_m, churns, in_fit) -> pd.DataFrame:
    """The customers at risk as :func:`engine.customer_months` reads them (``first``)."""
    return pd.DataFrame(
        {
            "c": at.astype(np.int64),
            "lo": lo[at].astype(np.int64),  # a customer at risk has all its months
            "hi": hi[at].astype(np.int64),
            "start_m": start_m[at].astype(np.int64),
            "churns": churns[at],
            "fit": in_fit[at],
        }
    )


def _event_table(
    events: dict[str, pd.DataFrame], known: pd.Index, end: np.ndarray, at
) -> pd.DataFrame | None:
    """The months with an event of each kind, of customers at risk (``known``: the ids, in
    the order of ``end``), before they left."""
    risk = np.zeros(len(known), dtype=bool)
    risk[at] = True
    parts = []
    for kind, ev in events.items():
        e = ev.dropna(subset=["date"])
        c = known.get_indexer(e["customer_id"])
        ok = c >= 0
        ok[ok] = risk[c[ok]]
        day = e["date"].to_numpy("datetime64[ns]")
        ok[ok] &= np.isnat(end[c[ok]]) | (day[ok] < end[c[ok]])
        m = _month_index(e["date"]).to_numpy()
        parts.append(pd.DataFrame({"c": c[ok], "kind": kind, "m": m[ok]}))
    if not parts:
        return None
    return pd.concat(parts, ignore_index=True).astype({"c": "int64", "m": "int64"})


#: Why a driver (or the whole model) was left out: code -> English reason (the report words
#: it through its catalogue, ``drv.left.<code>``, in the report language).
LEFT_OUT = {
    "constant": "constant",
    "few_values": "constant or too few values",
    "pooled": "levels {levels} pooled as (other)",
    "few_rows": "fewer than {rows} rows",
    "correlated": "correlated with {twin}",
    "few_events": "too few churn events ({events}) for {factors} factors: at least {need} needed",
    "not_estimable": "not estimable: customers with it (almost) never or always churned",
    "nobody_at_risk": "no customer was active at the start of any of the months studied",
    "no_factors": "no factor to compare: the data hold no customer attribute or experience signal "
    "the model could use",
    "definitional": "forced by the churn definition: nobody counts as lost before a full "
    "inactivity window has passed",
    "outcome_like": "separates churned from staying customers almost perfectly (AUC {auc}): "
    "it likely records the outcome, so it is no driver",
}


def left_out(driver: str, code: str, **params) -> dict:
    """A driver left out of the model, with why: ``{driver, code, params, reason}``.

    Parameters
    ----------
    driver : str
        The driver (``(model)`` for the whole model).
    code : str
        A key of :data:`LEFT_OUT`.
    **params
        The numbers and names the reason cites.

    Returns
    -------
    dict
        JSON-ready; ``reason`` is the English sentence (metrics.json readers).
    """
    return {"driver": driver, "code": code, "params": params,
            "reason": LEFT_OUT[code].format(**params)}  # fmt: skip


def outcome_like_columns(customers: pd.DataFrame, attributes: list[str]) -> dict[str, float]:
    """Customer columns that give the churn flag away: their AUC on their own.

    A column on which churned and staying customers (almost) never overlap, a second churn
    flag, a status set after leaving, a cancellation date, is no driver: a model using it
    reaches a backtest AUC near 1 and says nothing about causes. Each column is scored alone:
    numbers by their values (missing values as a level of their own, by the better of values
    and missingness), other columns by each level's churn rate (levels under 30 customers
    pooled). The AUC is taken in either direction (``max(auc, 1 - auc)``).

    Parameters
    ----------
    customers : DataFrame
        With a ``churned`` flag.
    attributes : list of str
        The candidate columns.

    Returns
    -------
    dict
        Column -> AUC, for the columns at or above :data:`OUTCOME_LIKE_AUC`, strongest first;
        empty when fewer than 10 customers are on either side.
    """
    from sklearn.metrics import roc_auc_score

    if "churned" not in customers.columns or not attributes:
        return {}
    y = customers["churned"].astype(bool).to_numpy()
    if min(y.sum(), (~y).sum()) < 10:
        return {}
    found: dict[str, float] = {}
    for a in attributes:
        if a not in customers.columns or a in ("customer_id", "churned"):
            continue
        x = customers[a]
        best = 0.0
        if pd.api.types.is_numeric_dtype(x) and not pd.api.types.is_bool_dtype(x):
            values = x.astype(float)
            scores = []
            if values.notna().any():
                scores.append(values.fillna(values.median()).to_numpy())
            if values.isna().any():
                scores.append(values.isna().to_numpy(dtype=float))
            for score in scores:
                if score.min() < score.max():
                    auc = float(roc_auc_score(y, score))
                    best = max(best, auc, 1 - auc)
        else:
            best = _level_rate_auc(x, y)
        if best >= OUTCOME_LIKE_AUC:
            found[a] = round(best, 3)
    return dict(sorted(found.items(), key=lambda kv: -kv[1]))


def _level_rate_auc(values: pd.Series, y: np.ndarray, pooled_below: int = 30) -> float:
    """The AUC, either way, of each row scored by its level's churn rate (levels under
    ``pooled_below`` rows pooled as (other), missing a level of its own), from the levels'
    counts: the same AUC as scoring every row (sklearn's, with the counts as weights), the
    text of millions of rows hashed once instead of converted, counted and looked up."""
    from sklearn.metrics import roc_auc_score

    codes, names = level_codes(values)
    counts = np.bincount(codes, minlength=len(names))
    shown = [n if c >= pooled_below else OTHER for n, c in zip(names, counts, strict=True)]
    pooled, _ = pd.factorize(pd.Index(shown))
    level = pooled[codes]
    n = np.bincount(level)
    churned = np.bincount(level, weights=y.astype(float))
    rate = churned / np.maximum(n, 1)
    seen = n > 0
    if np.unique(rate[seen]).size < 2:
        return 0.0
    weight = np.r_[churned, n - churned]
    truth = np.r_[np.ones(len(n)), np.zeros(len(n))]
    keep = weight > 0
    auc = float(roc_auc_score(truth[keep], np.r_[rate, rate][keep], sample_weight=weight[keep]))
    return max(auc, 1 - auc)


def prepare_features(
    frame: pd.DataFrame, binary: list[str], numeric: list[str], categorical: list[str]
) -> tuple[pd.DataFrame, list[dict], list[dict]]:
    """Design matrix: binaries as they are, numerics standardised (log when skewed; correlated
    ones dropped), categoricals as dummies against their most common level.

    Returns
    -------
    (X, columns, dropped)
        X without intercept; columns describes each column (driver, level, reference, unit,
        exposure, scale); dropped lists the drivers left out with the reason.
    """
    cols: dict[str, pd.Series] = {}
    meta: list[dict] = []
    dropped: list[dict] = []
    for b in binary:
        x = frame[b].astype(float)
        if x.nunique() < 2:
            dropped.append(left_out(b, "constant"))
            continue
        # a 0/1 column as one byte a row (eight as a float): the model reads the same numbers
        cols[b] = x.astype(np.uint8) if x.isin((0.0, 1.0)).all() else x
        meta.append(
            {
                "driver": b,
                "level": "",
                "reference": "",
                "unit": "binary",
                "exposure": float(x.mean()),
            }
        )
    for n in numeric:
        x = pd.to_numeric(frame[n], errors="coerce").astype(float)
        if x.notna().sum() < 30 or x.nunique() < 3:
            dropped.append(left_out(n, "few_values"))
            continue
        transform = ""
        if x.min() >= 0 and abs(x.skew()) > SKEW_LIMIT:
            x, transform = np.log1p(x), "log"
        x = x.fillna(x.median())
        cols[n] = (x - x.mean()) / float(x.std())

        meta.append(
            {
                "driver": n,
                "level": "",
                "reference": "",
                "unit": "per_sd",
                "exposure": 1.0,
                "transform": transform,
            }
        )
    for c in categorical:
        # each row's level as a code (levels in order of first appearance, as value_counts)
        codes, text = pd.factorize(frame[c].astype("string").fillna("(missing)"))
        text = text.to_numpy(dtype=object)
        top = pd.Series(np.bincount(codes, minlength=len(text)), index=text)
        keep = set(most_counted(top, MAX_LEVELS))
        label = np.array([t if t in keep else "(other)" for t in text], dtype=object)
        counts = _level_counts(codes, label)
        small = counts[counts < 30].index
        if len(small):  # too few rows to estimate: pooled, and said so
            pooled = set(small)
            label = np.array(["(other)" if t in pooled else t for t in label], dtype=object)
            dropped.append(left_out(c, "pooled", levels=", ".join(map(str, small))))
            counts = _level_counts(codes, label)
        if len(counts) < 2:
            dropped.append(left_out(c, "constant"))
            continue
        level_codes, levels = pd.factorize(label)
        row_level = level_codes[codes]
        position = {v: i for i, v in enumerate(levels)}
        ref = counts.index[0]
        for level in counts.index[1:]:
            if counts[level] < 30:
                dropped.append(left_out(f"{c}={level}", "few_rows", rows=30))
                continue
            name = f"{c}={level}"
            on = row_level == position[level]
            cols[name] = pd.Series(on.astype(np.uint8), index=frame.index)
            meta.append(
                {
                    "driver": c,
                    "level": str(level),
                    "reference": str(ref),
                    "unit": "level",
                    "exposure": float(on.mean()),
                }
            )
    X = pd.DataFrame(cols, index=frame.index)
    # a column (nearly) identical to an earlier one carries no separate information, e.g.
    # "Tech Support = no internet service" and "Internet Service = No": keep the first
    keep_cols, keep_meta = [], []
    for name, m in zip(X.columns, meta, strict=True):
        x = X[name].to_numpy()
        twin = next((k for k in keep_cols if _corr(X[k].to_numpy(), x) > CORRELATION_LIMIT), None)
        if twin is not None:
            dropped.append(left_out(name, "correlated", twin=str(twin)))
            continue
        keep_cols.append(name)
        keep_meta.append(m)
    return X[keep_cols], keep_meta, dropped


def _level_counts(codes: np.ndarray, label: np.ndarray) -> pd.Series:
    """Rows per level, where ``label`` names the level of each code: most first, ties as
    ``value_counts`` orders them (it is ``value_counts`` of the rows' labels, without a
    string per row: the labels in order of first appearance, then the same sort)."""
    level_codes, levels = pd.factorize(label)
    rows = np.bincount(level_codes[codes], minlength=len(levels))
    return pd.Series(rows, index=levels).sort_values(ascending=False)


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    if a.std() == 0 or b.std() == 0:
        return 0.0
    return abs(float(np.corrcoef(a, b)[0, 1]))


def _estimate(
    y: pd.Series,
    design: pd.DataFrame,
    meta: list[dict],
    link,
    kind: str,
    dropped: list[dict],
    fixed: pd.Series | None = None,
) -> pd.DataFrame:
    """Fit and tabulate, or say why not: a multivariable model needs about ten events (and
    ten non-events) per factor, or its estimates are noise. ``fixed``: a label per row (the
    month) that enters the model as fixed effects (:func:`_fit`)."""
    events = int(y.sum())
    if not meta:  # nothing left to compare (no attribute, or every one left out)
        dropped.append(left_out("(model)", "no_factors"))
        return pd.DataFrame(columns=DRIVER_COLUMNS)
    need = MIN_EVENTS_PER_FACTOR * len(meta)
    if min(events, len(y) - events) < need:
        dropped.append(
            left_out("(model)", "few_events", events=events, factors=len(meta), need=need)
        )
        return pd.DataFrame(columns=DRIVER_COLUMNS)
    params, bse, pvals = _fit(y, design, link, fixed)
    out = _effects(design.columns, meta, params, bse, pvals, kind, dropped)
    if not out.empty:
        out["raw_direction"] = [_raw_direction(y, design, meta, r) for r in out.to_dict("records")]
    return out


def _raw_direction(y: pd.Series, X: pd.DataFrame, meta: list[dict], effect: dict) -> str | None:
    """Whether a factor goes with more or less churn on its own, before the model holds the
    others fixed: a flag's or level's churn rate against its reference rows, the sign of a
    number's correlation. A model effect against it (Simpson's paradox) is no headline."""
    y = y.to_numpy(dtype=float)
    if effect["unit"] == "per_sd":
        x = X[effect["driver"]].to_numpy(dtype=float)
        if np.std(x) == 0:
            return None
        r = float(np.corrcoef(x, y)[0, 1])
        return None if not np.isfinite(r) or r == 0 else ("raises" if r > 0 else "lowers")
    if effect["unit"] == "binary":
        on = X[effect["driver"]].to_numpy() == 1
        ref = ~on
    else:
        on = X[f"{effect['driver']}={effect['level']}"].to_numpy() == 1
        siblings = [f"{m['driver']}={m['level']}" for m in meta if m["driver"] == effect["driver"]]
        ref = (X[[c for c in siblings if c in X.columns]].to_numpy() == 0).all(axis=1)
    if not on.any() or not ref.any():
        return None
    a, b = y[on].mean(), y[ref].mean()
    return None if a == b else ("raises" if a > b else "lowers")


#: A log-effect standard error above this means the factor separates churn from staying (e.g.
#: nobody with it churned): its effect is not estimable, whatever number the fit returns.
MAX_LOG_SE = 10.0


def _same_rows(keys: list[pd.Series]) -> np.ndarray:
    """Which rows hold the same values in every one of ``keys``: a group number per row, in
    order of first appearance, missing values a value like any other (``groupby(keys,
    sort=False, dropna=False).ngroup()``).

    The keys are combined one at a time, each step renumbering the rows' groups so far, so
    no more than a few integers per row are held at once: a groupby over the thirty columns
    of a million-row design made one array of codes per column before it combined them.
    """
    group = np.zeros(len(keys[0]) if keys else 0, dtype=np.int64)
    for key in keys:
        codes, values = pd.factorize(key, use_na_sentinel=False)
        # both factors are below the row count: the product fits 64 bits up to 3e9 rows
        group = pd.factorize(group * len(values) + codes)[0]
    return group


def _fit(
    y: pd.Series, X: pd.DataFrame, link, fixed: pd.Series | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Binomial GLM of ``y`` on ``X`` (and on ``fixed``'s labels, taken as plain values, as
    fixed effects): coefficients, standard errors, p-values, ``X``'s columns first.

    Rows with the same factors are fitted as one (churned of rows): the likelihood, and so
    every estimate, is that of the rows one by one, and a panel of a million customer-months
    over flags, levels and months holds some ten thousand distinct rows. The fixed effects
    (one indicator per label but the first, after ``X``'s columns) are made for those
    distinct rows only: a column per month over a million rows was most of the driver
    model's memory.
    """
    keys = [X[c] for c in X.columns] + ([] if fixed is None else [fixed])
    group = _same_rows(keys)
    rows = np.bincount(group)
    churned = np.bincount(group, weights=y.to_numpy(dtype=float))
    first = np.unique(group, return_index=True)[1]
    distinct = X.iloc[first]
    if fixed is not None:
        labels = fixed.iloc[first].to_numpy()
        effects = pd.get_dummies(labels, prefix="_m", drop_first=True, dtype=float)
        distinct = pd.concat([distinct.reset_index(drop=True), effects], axis=1)
    endog = np.column_stack([churned, rows - churned])
    model = GLM(endog, distinct, family=families.Binomial(link=link))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = model.fit(maxiter=100)
    return np.asarray(res.params), np.asarray(res.bse), np.asarray(res.pvalues)


def _effects(
    columns: pd.Index, meta: list[dict], params, bse, pvals, kind: str, dropped: list[dict]
) -> pd.DataFrame:
    # the factors' coefficients come first, in the design's order (the fixed effects after
    # them), whatever a factor is called: a driver named ``_mobile`` is a factor too
    idx = [i for i, c in enumerate(columns) if c != "const"]
    z = norm.ppf(0.975)
    rows = []
    for m, i in zip(meta, idx, strict=True):
        b, se, p = params[i], bse[i], pvals[i]
        if not (np.isfinite(b) and np.isfinite(se) and se <= MAX_LOG_SE):
            name = m["driver"] + (f" = {m['level']}" if m.get("level") else "")
            dropped.append(left_out(name, "not_estimable"))
            continue
        rows.append(
            {
                **m,
                "effect": float(np.exp(b)),
                "ci_low": float(np.exp(b - z * se)),
                "ci_high": float(np.exp(b + z * se)),
                "p_value": float(p),
                "kind": kind,
                "direction": "raises" if b > 0 else "lowers",
                "strength": abs(float(b)),
            }
        )
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    # Holm correction across the drivers of the model: "significant" holds family-wise at 5%
    p = out["p_value"].fillna(1.0).to_numpy()
    out["p_adjusted"] = holm_adjusted(p)
    out["significant"] = out["p_adjusted"] < 0.05
    return out.sort_values("strength", ascending=False).reset_index(drop=True)


def metric_cohorts(
    frame: pd.DataFrame, y: str, drivers: list[str], bins: int = 10, weights: str | None = None
) -> dict[str, pd.DataFrame]:
    """Churn rate (with Wilson interval) per decile of each numeric driver, per level of each
    categorical or binary one.

    Deciles are in order and labelled by their range (``0–2``, ``3–6`` for whole numbers);
    beyond :data:`MAX_LEVELS` levels the rarer ones are pooled as ``(other)``, shown last with
    ``(missing)``, so a column of 1,000 cities is 8 bars and one more.

    Parameters
    ----------
    frame : DataFrame
    y : str
        The churn column (0/1, or churn events when ``weights`` is given).
    drivers : list of str
    bins : int
    weights : str, optional
        A column of how many rows each row stands for (a customer's months at risk): rows,
        deciles and level ranks are those of the frame with each row repeated that often.

    Returns
    -------
    dict
        Driver -> bin, rows, churned, churn_rate, ci_low, ci_high.
    """
    n = frame[weights].to_numpy(np.int64) if weights else np.ones(len(frame), dtype=np.int64)
    out = {}
    for d in drivers:
        x = frame[d]
        if pd.api.types.is_numeric_dtype(x) and x.nunique() > bins:
            key = _decile_labels(x, bins, n)
        else:
            key = _level_key(x, n)
        g = (
            pd.DataFrame({"rows": n, "churned": frame[y].to_numpy(np.int64)}, index=frame.index)
            .groupby(key, observed=True, sort=True)
            .sum()
        )
        lo, hi = wilson_interval(g["churned"].to_numpy(), g["rows"].to_numpy())
        out[d] = pd.DataFrame(
            {
                "bin": g.index.astype(str),
                "rows": g["rows"].to_numpy(),
                "churned": g["churned"].to_numpy(),
                "churn_rate": (g["churned"] / g["rows"]).to_numpy(),
                "ci_low": lo,
                "ci_high": hi,
            }
        )
    return out


def _level_key(x: pd.Series, weights: np.ndarray | None = None) -> pd.Categorical:
    """Each row's level as shown in a cohort chart: its text, ``(missing)``, or ``(other)``
    beyond the :data:`MAX_LEVELS` most common (rows counted with their ``weights``; ties by
    text); in :func:`level_key` order, then ``(other)`` and ``(missing)``.

    The distinct values are read once and the rows keep integer codes (a panel of millions
    of customer-months holds few levels).
    """
    codes, uniques = distinct_values(x)
    # the text of each distinct value in order of first appearance; code -1 (missing) last
    text = uniques.astype("string").fillna("(missing)")
    text = np.append(text.to_numpy(dtype=object), "(missing)")
    rows = np.bincount(codes + 1, weights=weights, minlength=len(text))  # [missing, each value]
    per_code = np.append(rows[1:], rows[0]).round().astype(np.int64)
    seen = per_code > 0
    named = pd.Series(per_code[seen], index=text[seen])
    named = named[named.index != "(missing)"]
    counts = named.groupby(level=0).sum().sort_values(ascending=False, kind="stable")
    label = text.copy()
    if len(counts) > MAX_LEVELS:
        kept = set(counts.index[:MAX_LEVELS]) | {"(missing)"}
        label = np.array([t if t in kept else "(other)" for t in text], dtype=object)
    present = set(label[seen])
    last = [v for v in ("(other)", "(missing)") if v in present]
    order = sorted(present - set(last), key=level_key) + last
    position = {v: i for i, v in enumerate(order)}
    to_category = np.array([position.get(v, -1) for v in label], dtype=np.int64)
    return pd.Categorical.from_codes(to_category[codes], categories=order, ordered=True)


def _decile_labels(x: pd.Series, bins: int, weights: np.ndarray | None = None) -> pd.Categorical:
    """Deciles of a number as ordered ranges: ``0–2``, ``3–6`` for whole numbers (the left
    edge is exclusive), ``0.25–1.5`` otherwise; missing values as ``(missing)``, last. With
    ``weights``, the deciles of the values repeated that often (:func:`pandas.qcut` of them).
    """
    if weights is None:
        cut = pd.qcut(x, bins, duplicates="drop")
    else:
        edges = _repeated_quantiles(x, weights, np.linspace(0, 1, bins + 1))
        cut = pd.cut(x, edges, include_lowest=True, duplicates="drop")
    whole = bool((x.dropna() == x.dropna().round()).all())
    labels = []
    for iv in cut.cat.categories:
        left = np.floor(iv.left) + 1 if whole else iv.left
        left, right = max(left, x.min()), np.floor(iv.right) if whole else iv.right
        labels.append(f"{_short(left)}–{_short(right)}" if left < right else _short(right))
    if len(set(labels)) < len(labels):  # edges too close for short labels: the exact ones
        labels = [f"{iv.left:g}–{iv.right:g}" for iv in cut.cat.categories]
    out = cut.cat.rename_categories(labels)
    if x.isna().any():
        out = out.cat.add_categories("(missing)").fillna("(missing)")
    return out


def _repeated_quantiles(x: pd.Series, weights: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Quantiles ``q`` of the values of ``x`` each repeated ``weights`` times (missing values
    left out), without repeating them: numpy's linear method on the positions they would
    hold (``Series.quantile`` of the repeated values)."""
    ok = x.notna().to_numpy()
    v = x.to_numpy(dtype=float)[ok]
    order = np.argsort(v, kind="stable")
    v, ends = v[order], np.cumsum(weights[ok][order])
    n = ends[-1]
    q = np.true_divide(q * 100.0, 100)  # as pandas hands numpy percentiles
    virtual = n * q + (1 + q * -1) - 1
    below = np.floor(virtual)
    gamma = virtual - below
    below = below.clip(0, n - 1).astype(np.int64)
    above = (below + 1).clip(0, n - 1)
    a = v[np.searchsorted(ends, below, side="right")]
    b = v[np.searchsorted(ends, above, side="right")]
    diff = b - a
    return np.where(gamma >= 0.5, b - diff * (1 - gamma), a + diff * gamma)


def _short(v: float) -> str:
    """A band edge without noise: ``110,139``, ``45.6``, ``0.25``."""
    a = abs(v)
    if a >= 100 or float(v).is_integer():
        return f"{v:,.0f}"
    return f"{v:.1f}" if a >= 10 else f"{v:.2f}".rstrip("0").rstrip(".")


def hazard_drivers(
    panel: HazardPanel, binary: list[str], numeric: list[str], categorical: list[str]
) -> DriverModel:
    """Fit the discrete-time hazard model (cloglog GLM with month fixed effects).

    Parameters
    ----------
    panel : HazardPanel
        :func:`hazard_panel` output: the model is fitted on its ``fit`` rows (a sample of
        whole customers when the panel is over the row cap); the churn rates by driver level
        (cohorts) cover the whole panel.
    binary, numeric, categorical : list of str
        Driver columns by kind.

    Returns
    -------
    DriverModel
        Effects are hazard ratios.
    """
    fit = panel.fit
    design, meta, dropped = prepare_features(fit, binary, numeric, categorical)
    design.insert(0, "const", 1.0)
    effects = _estimate(
        fit["churned"],
        design,
        meta,
        families.links.CLogLog(),
        "hazard_ratio",
        dropped,
        fixed=fit["month"],  # month fixed effects: the baseline hazard of each month
    )
    drivers = binary + numeric + categorical
    return DriverModel(
        effects,
        {d: panel.cohorts[d] for d in drivers if d in panel.cohorts},
        "hazard_ratio",
        len(fit),
        int(fit["churned"].sum()),
        dropped,
        panel.staff_turnover,
        panel.sample,
    )


def sample_customers(
    frame: pd.DataFrame, max_rows: int = MAX_MODEL_ROWS, seed: int = 0
) -> tuple[pd.DataFrame, dict | None]:
    """All rows of a random share of the customers, when ``frame`` has more than ``max_rows``.

    Parameters
    ----------
    frame : DataFrame
        With ``customer_id`` (a panel holds several rows per customer: all are kept or dropped
        together, so each sampled customer's history stays whole).
    max_rows : int
        Rows the sample aims at (each customer is kept with probability max_rows / rows).
    seed : int
        Random seed: the same data give the same sample.

    Returns
    -------
    (DataFrame, dict or None)
        The rows to fit on, and customers, of_customers, rows, of_rows, seed (None when
        ``frame`` is small enough to use whole).
    """
    codes, ids = pd.factorize(frame["customer_id"], use_na_sentinel=False)
    keep, info = _draw(np.bincount(codes, minlength=len(ids)), max_rows, seed)
    if info is None:
        return frame, None
    return frame[keep[codes]], info


def _draw(rows: np.ndarray, max_rows: int, seed: int = 0) -> tuple[np.ndarray, dict | None]:
    """Which customers (with ``rows`` rows each, in order of first appearance) a sample of
    about ``max_rows`` rows keeps: all when they hold no more, else each with probability
    max_rows / rows (seeded); and the sample's description (None when all are kept)."""
    total = int(rows.sum())
    if total <= max_rows:
        return np.ones(len(rows), dtype=bool), None
    keep = np.random.default_rng(seed).random(len(rows)) < max_rows / total
    info = {
        "customers": int(keep.sum()),
        "of_customers": int(len(rows)),
        "rows": int(rows[keep].sum()),
        "of_rows": total,
        "seed": seed,
    }
    return keep, info


def snapshot_drivers(
    customers: pd.DataFrame,
    binary: list[str],
    numeric: list[str],
    categorical: list[str],
    max_rows: int | None = None,
) -> DriverModel:
    """Fit a logistic regression of the churn flag on customer attributes (snapshot data).

    More than ``max_rows`` customers: fitted on a random sample of them (cohorts use all).

    Returns
    -------
    DriverModel
        Effects are odds ratios.
    """
    frame = customers.reset_index(drop=True)
    fit, sample = sample_customers(frame, max_rows or MAX_MODEL_ROWS)
    y = fit["churned"].astype(int)
    X, meta, dropped = prepare_features(fit, binary, numeric, categorical)
    X.insert(0, "const", 1.0)
    effects = _estimate(y, X, meta, families.links.Logit(), "odds_ratio", dropped)

    y_all = frame["churned"].astype(int)
    cohorts = metric_cohorts(frame.assign(_y=y_all), "_y", binary + numeric + categorical)
    return DriverModel(
        effects, cohorts, "odds_ratio", len(fit), int(y.sum()), dropped, sample=sample
    )


def churn_drivers(
    spells: pd.DataFrame,
    customers: pd.DataFrame,
    as_of: dt.date,
    definition: str,
    tickets: pd.DataFrame | None = None,
    staff: pd.DataFrame | None = None,
    attributes: list[str] | None = None,
    slow_hours: float = 24.0,
    first_day: dt.date | None = None,
    backend: str = "duckdb",
) -> DriverModel | None:
    """The driver model suited to the data.

    Parameters
    ----------
    spells, customers : DataFrame
        Canonical spells and customer table.
    as_of : date
    definition : str
        snapshot -> logistic on customers; otherwise the hazard model on customer-months.
    tickets, staff : DataFrame, optional
        Experience signals and account-manager departures.
    attributes : list of str, optional
        Customer columns to consider (numeric ones per SD, others by level); ``age`` is banded
        (codes <30, 30-54, 55+) and ``tenure_months`` is numeric.
    slow_hours : float
        A first response slower than this is "slow".
    first_day : date, optional
        A purchase history's first observed day: no panel month before it.
    backend : {"duckdb", "spark"}
        Where the customer-month panel is built (:func:`hazard_panel`).

    Returns
    -------
    DriverModel or None
        None when there is no candidate driver.
    """
    attributes = [a for a in (attributes or []) if a in customers.columns]
    leaks = outcome_like_columns(customers, attributes)
    attributes = [a for a in attributes if a not in leaks]
    left = [left_out(a, "outcome_like", auc=auc) for a, auc in leaks.items()]
    # the caller's table is not changed: a column set below replaces the frame's own
    frame = customers.copy(deep=False)
    if "age" in attributes:
        frame["age_band"] = band_age(frame["age"])  # as the segment chapter bands it
        attributes = [a if a != "age" else "age_band" for a in attributes]
    numeric = [
        a
        for a in attributes
        if pd.api.types.is_numeric_dtype(frame[a]) and not pd.api.types.is_bool_dtype(frame[a])
    ]
    # 0/1 columns (a complaint flag, an active-member flag) are yes/no, not amounts
    flags = [a for a in numeric if set(frame[a].dropna().unique()) <= {0, 1}]
    for a in flags:
        frame[a] = frame[a].fillna(0).astype(int)
    # any other two-valued number (a plan coded 1/2, a status 1/3) is a factor of two levels,
    pairs = [a for a in numeric if a not in flags and frame[a].dropna().nunique() == 2]
    # a whole number with few values (products held 1-4, a score 1-5, a tier 1-3) is compared
    # level by level: its effect need not be a straight line (4 products churn most, 2 least)
    pairs += [a for a in numeric if a not in flags and a not in pairs and _few_counts(frame[a])]
    for a in pairs:
        frame[a] = _level_strings(frame[a])
    numeric = [a for a in numeric if a not in flags and a not in pairs]
    categorical = [a for a in attributes if a not in numeric and a not in flags]

    if definition == "snapshot":
        if "tenure_months" in frame and "tenure_months" not in numeric:
            numeric = ["tenure_months", *numeric]
        if not (numeric or categorical or flags):
            return None
        model = snapshot_drivers(frame, flags, numeric, categorical)
        model.dropped[:0] = left
        return model
    events = experience_events(tickets, staff, frame, slow_hours)
    panel = hazard_panel(
        spells, frame, as_of, events, flags + numeric + categorical, first_day=first_day,
        backend=backend,
    )  # fmt: skip
    binary = [*events, *flags]
    if definition == "inactivity":  # a new customer cannot have been inactive long enough
        left.append(left_out("new_customer", "definitional"))
    else:
        binary.insert(0, "new_customer")
    if panel.fit.empty:
        return DriverModel(
            pd.DataFrame(columns=DRIVER_COLUMNS),
            {},
            "hazard_ratio",
            0,
            0,
            [*left, left_out("(model)", "nobody_at_risk")],
        )
    model = hazard_drivers(panel, binary, numeric, categorical)
    model.dropped[:0] = left
    return model


def _few_counts(values: pd.Series, most: int = 5) -> bool:
    """A whole number with at most ``most`` distinct values (a count or a score)."""
    v = values.dropna()
    return 2 < v.nunique() <= most and bool((v == v.round()).all())


def _level_strings(values: pd.Series) -> pd.Series:
    """A two-valued number as level names: ``1`` and ``2``, not ``1.0`` and ``2.0``."""
    whole = values.dropna()
    if (whole == whole.round()).all():
        return values.astype("Int64").astype("string")
    return values.astype("string")
