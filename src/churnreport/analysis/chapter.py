"""Chapters in one call each: chapter 1 (indicators) and chapter 2 (causes)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

import pandas as pd

from churnreport.analysis.cohorts import cohort_retention
from churnreport.analysis.definitions import churn_conventions
from churnreport.analysis.drivers import DriverModel, churn_drivers
from churnreport.analysis.indicators import (
    Indicators,
    churn_indicators,
    churn_type_split,
    period_table,
    referral_rates,
)
from churnreport.analysis.lifecycle import lifecycle_states, state_transitions
from churnreport.analysis.reasons import (
    ReasonAnalysis,
    classify_reasons,
    cumulative_incidence,
    reason_analysis,
    reasons_by_segment,
    reasons_over_time,
)
from churnreport.analysis.results import (
    CauseResult,
    IndicatorResult,
    SegmentResult,
    jsonable,
)
from churnreport.analysis.revenue import mrr_bridge
from churnreport.analysis.segments import (
    ABC_CUSTOMER_SHARES,
    TENURE_BANDS,
    SegmentSurvival,
    SegmentTable,
    change_decomposition,
    churn_population,
    segment_dimensions,
    segment_period_tables,
    segment_table,
    survival_by_segment,
)
from churnreport.analysis.survival import Survival, lifetimes, retention_curve
from churnreport.analysis.trends import Alert, evaluate_alerts, period_changes
from churnreport.analysis.value import ChurnValue, churn_value
from churnreport.data.contract import COMPACT_STRING
from churnreport.data.taxonomy import ReasonMapping
from churnreport.periods import MIN_TREND_PERIODS, PERIODS_PER_YEAR, complete_periods


@dataclass(frozen=True)
class IndicatorChapter:
    """Everything chapter 1 shows.

    Attributes
    ----------
    indicators : Indicators
        Period table and headline.
    changes : DataFrame
        :func:`~churnreport.analysis.trends.period_changes`.
    bridge : DataFrame or None
        MRR bridge, None without recurring revenue.
    value : ChurnValue or None
        Cost of churn, None without revenue.
    cohorts : DataFrame
        Cohort retention matrix (empty for snapshot data, which has no joining history).
    survival : Survival
        Kaplan-Meier lifetime.
    conventions : DataFrame
        The report period's rate under other conventions.
    alerts : list of Alert
    churn_types : DataFrame or None
        Voluntary / involuntary churn per period (None without churn_type).
    referrals : DataFrame or None
        Referral rate of new customers per period (None without referred_by).
    history : dict or None
        A purchase history whose first periods are censored: first_activity, observed_from
        and periods_left_out (None when every period is observed).
    """

    indicators: Indicators
    changes: pd.DataFrame
    bridge: pd.DataFrame | None
    value: ChurnValue | None
    cohorts: pd.DataFrame
    survival: Survival
    conventions: pd.DataFrame
    alerts: list[Alert] = field(default_factory=list)
    churn_types: pd.DataFrame | None = None
    referrals: pd.DataFrame | None = None
    period_kind: str = "month"
    definition: str = "contract"
    history: dict | None = None

    @property
    def periods(self) -> pd.DataFrame:
        """The period table, with its changes and (when known) revenue columns."""
        out = self.indicators.periods.merge(
            self.changes.drop(columns=["churn_rate"]), on="period", how="left"
        )
        for extra in (self.churn_types, self.referrals, self.bridge):
            if extra is not None:
                out = out.merge(extra, on="period", how="left")
        return out

    @property
    def is_snapshot(self) -> bool:
        """The data are one snapshot: no history of periods."""
        return self.result().is_snapshot

    @property
    def has_trend(self) -> bool:
        """Enough periods (:data:`~churnreport.periods.MIN_TREND_PERIODS`) to show a trend."""
        return self.result().has_trend

    @property
    def has_cohorts(self) -> bool:
        """Two cohorts or more to compare."""
        return self.result().has_cohorts

    @property
    def has_value(self) -> bool:
        """Revenue is known, so churn has a cost."""
        return self.result().has_value

    @property
    def has_revenue(self) -> bool:
        """Recurring revenue is known (an MRR bridge exists)."""
        return self.result().has_revenue

    def result(self) -> IndicatorResult:
        """The typed result of this chapter (metrics.json ``indicators``), built once."""
        return self._result

    @cached_property
    def _result(self) -> IndicatorResult:
        return IndicatorResult.model_validate(
            jsonable(
                {
                    "period_kind": self.period_kind,
                    "definition": self.definition,
                    "overall": self.indicators.overall,
                    "periods": self.periods,
                    "alerts": self.alerts,
                    "survival": self.survival,
                    "definitions": self.conventions,
                    "cohorts": _cohort_records(self.cohorts),
                    "value": self.value,
                    "history": self.history,
                }
            )
        )


def _cohort_records(cohorts: pd.DataFrame) -> dict:
    if cohorts.empty:
        return {"cohorts": [], "size": [], "retention": []}
    shares = cohorts.drop(columns="size")
    return {
        "cohorts": cohorts.index.tolist(),
        "size": cohorts["size"].astype(int).tolist(),
        "retention": [[None if pd.isna(v) else float(v) for v in row] for row in shares.to_numpy()],
    }


def indicator_chapter(
    spells: pd.DataFrame,
    customers: pd.DataFrame,
    revenue: pd.DataFrame | None,
    *,
    period: str,
    as_of: dt.date,
    definition: str,
    margin: float,
    alerts: dict | None = None,
    first_day: dt.date | None = None,
) -> IndicatorChapter:
    """Compute chapter 1.

    Parameters
    ----------
    spells, customers : DataFrame
        Canonical spells and customer table.
    revenue : DataFrame or None
        Recurring revenue intervals (customer_id, start, end, mrr).
    period : {"month", "quarter", "year"}
    as_of : date
    definition : {"contract", "inactivity", "snapshot"}
    margin : float
        Profit margin.
    alerts : dict, optional
        Thresholds for :func:`~churnreport.analysis.trends.evaluate_alerts`.
    first_day : date, optional
        The first observed day of a purchase history (``Dataset.observed_from``): the periods
        and cohorts before it are left out, and counted.

    Returns
    -------
    IndicatorChapter
    """
    snapshot = definition == "snapshot"
    ind = churn_indicators(spells, customers, period, as_of, definition, first_day=first_day)
    if snapshot:  # a snapshot's churn covers an unknown span: no annual equivalent
        ind.periods["annualised_churn_rate"] = float("nan")

    changes = period_changes(ind.periods, period)
    bridge = mrr_bridge(revenue, ind.periods) if revenue is not None and len(revenue) else None
    value = (
        churn_value(ind.periods, bridge, period, margin, snapshot=snapshot)
        if bridge is not None
        else None
    )
    nrr = float(bridge["nrr"].iloc[-1]) if bridge is not None and not snapshot else None

    found = evaluate_alerts(ind.periods.iloc[-1], changes.iloc[-1], nrr=nrr, **(alerts or {}))
    cohorts = (
        pd.DataFrame() if snapshot else cohort_retention(spells, period, as_of, first_day=first_day)
    )
    history = None
    if first_day is not None and not snapshot:
        first = pd.Timestamp(spells["spell_start"].min()).date()
        history = {
            "first_activity": first,
            "observed_from": first_day,
            "first_period": str(ind.periods["period"].iloc[0]),
            "periods_left_out": len(complete_periods(first, as_of, period)) - len(ind.periods),
        }
    survival = retention_curve(lifetimes(spells, as_of))
    conventions = churn_conventions(ind.periods.iloc[-1], spells, as_of, daily=not snapshot)
    return IndicatorChapter(
        ind,
        changes,
        bridge,
        value,
        cohorts,
        survival,
        conventions,
        found,
        churn_type_split(spells, customers, ind.periods),
        referral_rates(spells, customers, ind.periods),
        period,
        definition,
        history,
    )


@dataclass(frozen=True)
class CauseChapter:
    """Everything chapter 2 (causes) shows.

    Attributes
    ----------
    reasons : ReasonAnalysis or None
        Stated reasons of the customers lost in the window (None without churn_reason).
    by_segment : dict
        segment dimension -> category shares per level.
    over_time : DataFrame or None
        Churners per period and category.
    incidence : DataFrame or None
        Cumulative incidence by category over lifetime (dated data with reasons).
    drivers : DriverModel or None
        Behaviour and experience drivers.
    mapping : ReasonMapping
        The taxonomy used (labels, groups).
    """

    reasons: ReasonAnalysis | None
    by_segment: dict[str, pd.DataFrame]
    over_time: pd.DataFrame | None
    incidence: pd.DataFrame | None
    drivers: DriverModel | None
    mapping: ReasonMapping
    definition: str = "contract"

    @property
    def has_reasons(self) -> bool:
        """The data hold stated reasons."""
        return self.reasons is not None

    @property
    def has_reasons_by_segment(self) -> bool:
        """Reasons can be split by at least one segment dimension."""
        return self.has_reasons and bool(self.by_segment)

    @property
    def has_reasons_over_time(self) -> bool:
        """Reasons of two periods or more."""
        return self.has_reasons and self.over_time is not None and len(self.over_time) >= 2

    @property
    def has_incidence(self) -> bool:
        """Cumulative incidence by reason at two ages or more."""
        return self.has_reasons and self.incidence is not None and len(self.incidence) >= 2

    @property
    def has_drivers(self) -> bool:
        """The driver model was fitted and has drivers to show."""
        return self.drivers is not None and not self.drivers.drivers.empty

    def result(self) -> CauseResult:
        """The typed result of this chapter (metrics.json ``causes``)."""
        m: dict[str, object] = {"definition": self.definition}
        if self.reasons is not None:
            m.update(self.reasons.metrics())
        if self.drivers is not None:
            m.update(self.drivers.metrics())
        return CauseResult.model_validate(jsonable(m))


def cause_chapter(
    spells: pd.DataFrame,
    customers: pd.DataFrame,
    *,
    mapping: ReasonMapping,
    period: str,
    as_of: dt.date,
    definition: str,
    revenue: pd.DataFrame | None = None,
    tickets: pd.DataFrame | None = None,
    staff: pd.DataFrame | None = None,
    segments: list[str] | None = None,
    attributes: list[str] | None = None,
    slow_hours: float = 24.0,
    first_day: dt.date | None = None,
    backend: str = "duckdb",
) -> CauseChapter:
    """Compute chapter 2: stated reasons over the last year (every churner of a snapshot),
    reasons by segment and over time, competing risks, and the driver model (its months from
    ``first_day``, a purchase history's first observed day, when given; its customer-month
    panel built on ``backend``, :func:`churnreport.data.engine.session`).

    Returns
    -------
    CauseChapter
    """
    snapshot = definition == "snapshot"
    start = (
        as_of
        if snapshot
        else (pd.Timestamp(as_of) - pd.DateOffset(years=1) + pd.Timedelta(days=1)).date()
    )
    ra = reason_analysis(customers, mapping, start, as_of, revenue)
    by_segment: dict[str, pd.DataFrame] = {}
    over_time = incidence = None
    if ra is not None and len(ra.churners):
        for dim in (segments or [])[:3]:
            if dim in ra.churners:
                by_segment[dim] = reasons_by_segment(ra, dim)
        if not snapshot:
            over_time = reasons_over_time(ra, period)
            all_reasons = classify_reasons(customers["churn_reason"], mapping)
            cats = pd.Series(all_reasons["category"].to_numpy(), index=customers["customer_id"])
            incidence = cumulative_incidence(lifetimes(spells, as_of), cats)
    drivers = churn_drivers(
        spells, customers, as_of, definition, tickets, staff, attributes, slow_hours, first_day,
        backend,
    )  # fmt: skip
    return CauseChapter(ra, by_segment, over_time, incidence, drivers, mapping, definition)


@dataclass(frozen=True)
class SegmentChapter:
    """Everything chapter 3 (segments) shows.

    Attributes
    ----------
    tables : dict
        dimension -> SegmentTable (churn per level over the window).
    survival : dict
        dimension -> SegmentSurvival (the first three dimensions).
    decomposition : dict
        dimension -> {"previous": DataFrame, "year_ago": DataFrame or None} (dated data).
    heatmaps : dict
        dimension -> churn rate per level (rows) and period (columns), last year of periods.
    customers : int
        Customers at risk in the window.
    window_start, window_end : date
    snapshot : bool
    """

    tables: dict[str, SegmentTable]
    survival: dict[str, SegmentSurvival]
    decomposition: dict[str, dict]
    heatmaps: dict[str, pd.DataFrame]
    customers: int
    window_start: dt.date
    window_end: dt.date
    snapshot: bool
    lifecycle: pd.DataFrame | None = None
    transitions: pd.DataFrame | None = None

    @property
    def key_heatmaps(self) -> dict[str, pd.DataFrame]:
        """The heatmaps to show: of the first three dimensions, those with two periods or more
        and a rate in at least one cell."""
        return {
            d: h
            for d, h in list(self.heatmaps.items())[:3]
            if h is not None and h.shape[1] >= 2 and h.notna().to_numpy().any()
        }

    @property
    def has_heatmaps(self) -> bool:
        """At least one segment x period heatmap to show."""
        return bool(self.key_heatmaps)

    @property
    def has_lifecycle(self) -> bool:
        """Enough periods for the lifecycle chart, or a transition matrix to show."""
        life, tr = self.lifecycle, self.transitions
        if life is None:
            return False
        return len(life) >= MIN_TREND_PERIODS or (
            tr is not None and not tr.empty and len(life) >= 2
        )

    @property
    def has_survival(self) -> bool:
        """Lifetime curves of at least one segment dimension."""
        return bool(self.survival)

    @property
    def rates(self) -> pd.DataFrame:
        """The churn tables of every dimension in one frame, ``dimension`` first (empty without
        a customer at risk)."""
        if not self.tables:
            return pd.DataFrame()
        frame = pd.concat(
            [t.table.assign(dimension=d) for d, t in self.tables.items()], ignore_index=True
        )
        return frame[["dimension", *frame.columns.drop("dimension")]]

    def result(self) -> SegmentResult:
        """The typed result of this chapter (metrics.json ``segments``), built once."""
        return self._result

    @cached_property
    def _result(self) -> SegmentResult:
        lifecycle = None
        if self.lifecycle is not None:
            tr = self.transitions
            lifecycle = {
                "states": self.lifecycle,
                "transitions": {}
                if tr is None
                else {f: {t: int(n) for t, n in row.items()} for f, row in tr.iterrows()},
            }
        return SegmentResult.model_validate(
            jsonable(
                {
                    "snapshot": self.snapshot,
                    "customers": self.customers,
                    "window_start": self.window_start,
                    "window_end": self.window_end,
                    "segments": {d: t.to_dict() for d, t in self.tables.items()},
                    "segments_survival": {
                        d: {"logrank_p": s.logrank_p, "levels": s.summary}
                        for d, s in self.survival.items()
                    },
                    "change_decomposition": self.decomposition,
                    "lifecycle": lifecycle,
                    "value_classes": {
                        name: self.tables[dim].to_dict()
                        for name, dim in (("abc", "value_class"), ("rfm", "rfm_group"))
                        if dim in self.tables
                    },
                }
            )
        )


def segment_chapter(
    spells: pd.DataFrame,
    customers: pd.DataFrame,
    *,
    period: str,
    as_of: dt.date,
    definition: str,
    segments: list[str],
    revenue: pd.DataFrame | None = None,
    tables: Mapping[str, pd.DataFrame] | None = None,
    tenure_bands: tuple[int, ...] = TENURE_BANDS,
    abc_shares: tuple[float, float] = ABC_CUSTOMER_SHARES,
    first_day: dt.date | None = None,
    backend: str = "duckdb",
) -> SegmentChapter:
    """Compute chapter 3: churn by every segment dimension, survival for the first three,
    and (dated data) what changed against the previous period and a year earlier; the period
    tables start at ``first_day`` when given (a purchase history's censored start left out);
    RFM from the transactions aggregated on ``backend``.

    Returns
    -------
    SegmentChapter
    """
    snapshot = definition == "snapshot"
    pop, window_start = churn_population(
        spells, customers, as_of, definition, revenue, tables, first_day, backend
    )

    dims = segment_dimensions(pop, segments, tenure_bands, abc_shares)
    tables = {
        d: segment_table(pd.concat([pop[["churned", "revenue_lost"]], dims[[d]]], axis=1), d)
        for d in dims.columns
    }
    at_risk = len(pop)
    del pop, dims  # a row per customer at risk each: not held through the steps below
    life = lifetimes(spells, as_of)
    # levels of every customer from the static attributes (the tenure band moves with time: it
    # is a table dimension, not a survival or decomposition one); one index of the ids for
    # all, the levels kept as compact text (an object per id and level was 0.4 GB at 500k)
    every = segment_dimensions(customers.assign(tenure_at_start=float("nan")), segments)
    every = every.drop(columns="tenure_band", errors="ignore")
    # each lifetime's and spell's customer found once among the ids (text lookups of millions
    # of rows), each dimension's levels then taken by position (-1, no such customer: missing)
    ids = pd.Index(customers["customer_id"])
    levels = {d: every[d].astype(COMPACT_STRING).array for d in every.columns}  # NA to fill
    del every
    key_dims = [d for d in levels if d != "account_manager"][:3]
    at = ids.get_indexer(life["customer_id"])
    survival = {
        d: s
        for d in key_dims
        if (s := survival_by_segment(life, levels[d].take(at, allow_fill=True), d)) is not None
    }
    decomposition: dict[str, dict] = {}
    heatmaps: dict[str, pd.DataFrame] = {}
    if not snapshot:
        lag_year = PERIODS_PER_YEAR[period]
        at = ids.get_indexer(spells["customer_id"])
        for d, lv in levels.items():
            per = segment_period_tables(
                spells, lv.take(at, allow_fill=True), period, as_of, first_day
            )

            decomposition[d] = {
                "previous": change_decomposition(per, 1),
                "year_ago": change_decomposition(per, lag_year),
            }
            heatmaps[d] = pd.DataFrame(
                {lvl: t.set_index("period")["churn_rate"].tail(lag_year) for lvl, t in per.items()}
            ).T
    lifecycle = transitions = None
    if not snapshot:
        periods = period_table(spells, period, as_of, first_day=first_day)
        lifecycle = lifecycle_states(spells, periods)
        transitions = state_transitions(spells, periods)
    return SegmentChapter(
        tables,
        survival,
        decomposition,
        heatmaps,
        at_risk,
        window_start,
        as_of,
        snapshot,
        lifecycle,
        transitions,
    )
