"""Typed chapter results: what each chapter found, as frozen pydantic models.

One model per chapter (:class:`IndicatorResult`, :class:`CauseResult`, :class:`SegmentResult`,
:class:`EarlyWarningResult`, :class:`DataQualityResult`) carries the facts the report prints:
typed rows (period row, alert, driver effect, segment level, backtest ...), the flags views
ask for (``has_trend``, ``has_revenue``, ``is_snapshot``) as properties, and the KPIs and
candidate findings it offers the executive summary. metrics.json is :class:`Metrics`, these
results serialised; its JSON Schema is generated from the models (:func:`metrics_schema`).

A finding is a fact with its numbers as required fields: a finding whose number is missing
cannot be constructed, so a placeholder never reaches a page.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Annotated, Literal

import numpy as np
import pandas as pd
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    computed_field,
    field_validator,
    model_validator,
)

from churnreport.periods import MIN_TREND_PERIODS, PERIODS_PER_YEAR

#: Version of the metrics.json shape; bump the major part when a field is renamed or removed.
SCHEMA_VERSION = "2.1"

#: A backtest whose mean prediction is off by more than this share of the observed rate
#: gets its correction stated next to every expected count.
CALIBRATION_TOLERANCE = 0.15

#: Segment levels smaller than this are not named in the summary.
MIN_SEGMENT_CUSTOMERS = 100

PeriodKind = Literal["month", "quarter", "year"]
Definition = Literal["contract", "inactivity", "snapshot"]
Num = float | None


class Fact(BaseModel):
    """A finding: frozen, every number required and finite (NaN or infinity cannot be
    constructed, so no placeholder can be printed)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    @model_validator(mode="after")
    def _numbers_exist(self) -> Fact:
        for name, value in self:
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError(f"{type(self).__name__}.{name} is {value}: no finding")
        return self


class Model(BaseModel):
    """Frozen, strict about unknown fields (a renamed field fails loudly), NaN and infinity
    read as null;
    computed fields are written to metrics.json and recomputed, not read, when it is loaded."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _computed_fields_are_outputs(cls, data: object) -> object:
        if isinstance(data, dict) and cls.model_computed_fields:
            return {k: v for k, v in data.items() if k not in cls.model_computed_fields}
        return data

    @field_validator("*", mode="before")
    @classmethod
    def _nan_is_missing(cls, v: object) -> object:
        if isinstance(v, float) and not math.isfinite(v):  # NaN, and infinity (not JSON)
            return None
        return v


# ---------------------------------------------------------------- chapter 1: indicators


class Overall(Model):
    """Headline churn of the report period (start-set method, or the snapshot's share)."""

    period: str
    customers: int
    churned: int
    churn_rate: Num
    ci_low: Num
    ci_high: Num
    retention_rate: Num
    basis: Literal["start_set", "snapshot"]


class PeriodRow(Model):
    """One row of the period table (counts, rate, interval, tested changes, revenue)."""

    period: str
    period_start: dt.date
    period_end: dt.date
    start_customers: int
    new: int
    reactivated: int
    new_and_lost: int
    churned: int
    end_customers: int
    churn_rate: Num
    ci_low: Num
    ci_high: Num
    retention_rate: Num
    annualised_churn_rate: Num
    rolling_churn_rate: Num = None
    change_vs_previous: Num = None
    p_vs_previous: Num = None
    significant_vs_previous: bool = False
    change_vs_year_ago: Num = None
    p_vs_year_ago: Num = None
    significant_vs_year_ago: bool = False
    churned_voluntary: int | None = None
    churned_involuntary: int | None = None
    churned_type_unknown: int | None = None
    voluntary_churn_rate: Num = None
    involuntary_churn_rate: Num = None
    new_referred: int | None = None
    referral_rate: Num = None
    start_revenue: Num = None
    new_revenue: Num = None
    expansion: Num = None
    contraction: Num = None
    churned_revenue: Num = None
    reactivation_revenue: Num = None
    end_revenue: Num = None
    paying_customers: int | None = None
    arpa: Num = None
    gross_revenue_churn: Num = None
    net_revenue_churn: Num = None
    nrr: Num = None
    quick_ratio: Num = None

    @computed_field
    @property
    def grr(self) -> Num:
        """Gross revenue retention: starting revenue kept, expansion not counted,
        1 - (churned + contraction) / start = 1 - gross revenue churn."""
        return None if self.gross_revenue_churn is None else 1 - self.gross_revenue_churn


class AlertRow(Model):
    """A configured threshold crossed (or a significant rise) in the report period."""

    metric: Literal["churn_rate", "annualised_churn_rate", "nrr", "churn_rate_change"]
    value: float
    threshold: Num
    rule: Literal["above", "below", "significant_increase"]
    period: str


class SurvivalSummary(Model):
    """Kaplan-Meier lifetime of every customer."""

    median_lifetime_months: Num
    rmst_months: float
    horizon_months: float
    customers: int
    churned: int


class ConventionRow(Model):
    """The report period's rate under another tool's convention."""

    convention: str
    churned: int
    denominator: float
    churn_rate: Num


class CohortMatrix(Model):
    """Share of each joining cohort still active k periods later."""

    cohorts: list[str] = []
    size: list[int] = []
    retention: list[list[Num]] = []


class Scenario(Model):
    """What ``points`` less annual churn would keep in a year."""

    points: int
    annual_churn_rate: float
    customers_saved: float
    revenue: float
    profit: float


class ValueResult(Model):
    """Revenue and profit lost in the report period, lifetime value, scenarios."""

    period: str
    customers: int
    churned: int
    churn_rate: Num
    arpa: Num
    revenue_lost: float
    revenue_lost_per_customer: Num
    profit_lost: float
    margin: float
    annual_churn_rate: Num = None
    expected_lifetime_years: Num = None
    monthly_churn_rate: Num = None
    clv_arpa_method: Num = None
    clv_spend_method: Num = None
    scenarios: list[Scenario] = []


class Change(Model):
    """A KPI's change against an earlier period: points for rates, relative for amounts."""

    period: str
    change: float
    significant: bool | None = None


KpiName = Literal[
    "churn_rate",
    "retention_rate",
    "annualised_churn_rate",
    "churned",
    "customers",
    "revenue_lost",
    "profit_lost",
    "nrr",
    "grr",
    "clv",
]
#: KPIs printed as a percentage (their changes in points).
RATE_KPIS = ("churn_rate", "retention_rate", "annualised_churn_rate", "nrr", "grr")


class Kpi(Model):
    """One headline card: value, interval, changes, and where it shows."""

    name: KpiName
    value: float
    changes: dict[Literal["previous", "year_ago"], Change] = {}
    ci_low: Num = None
    ci_high: Num = None
    margin: Num = None
    period: str | None = None
    basis: str | None = None
    higher_is_better: bool = False
    on_chapter: bool = True
    on_summary: bool = True


class History(Model):
    """A purchase history whose first periods cannot show churn (censored start)."""

    first_activity: dt.date
    observed_from: dt.date
    first_period: str
    periods_left_out: int


class IndicatorResult(Model):
    """Chapter 1: churn indicators and trends."""

    period_kind: PeriodKind
    definition: Definition
    overall: Overall
    periods: list[PeriodRow]
    alerts: list[AlertRow] = []
    survival: SurvivalSummary
    definitions: list[ConventionRow] = []
    cohorts: CohortMatrix = CohortMatrix()
    value: ValueResult | None = None
    history: History | None = None

    @property
    def is_snapshot(self) -> bool:
        """Snapshot data: one period, no history."""
        return self.definition == "snapshot"

    @property
    def has_trend(self) -> bool:
        """Enough dated periods for a trend."""
        return not self.is_snapshot and len(self.periods) >= MIN_TREND_PERIODS

    @property
    def has_revenue(self) -> bool:
        """Recurring revenue is known (a revenue bridge exists)."""
        return self.last.start_revenue is not None

    @property
    def has_cohorts(self) -> bool:
        """At least two joining cohorts."""
        return len(self.cohorts.cohorts) >= 2

    @property
    def has_value(self) -> bool:
        """Revenue is known, so churn has a cost."""
        return self.value is not None

    @property
    def year_lag(self) -> int:
        """Periods in a year."""
        return PERIODS_PER_YEAR[self.period_kind]

    @property
    def last(self) -> PeriodRow:
        """The report period's row."""
        return self.periods[-1]

    def earlier(self) -> dict[Literal["previous", "year_ago"], PeriodRow]:
        """The previous period and the period a year earlier, where the table has them."""
        out: dict = {}
        if len(self.periods) > 1:
            out["previous"] = self.periods[-2]
        if len(self.periods) > self.year_lag:
            out["year_ago"] = self.periods[-1 - self.year_lag]
        return out

    def _rate_changes(self, sign: int = 1) -> dict:
        out = {}
        for which, row in self.earlier().items():
            change = getattr(self.last, f"change_vs_{which}")
            if change is None:
                continue
            significant = getattr(self.last, f"significant_vs_{which}")
            out[which] = Change(period=row.period, change=sign * change, significant=significant)
        return out

    def _relative_changes(self, field: str) -> dict:
        out = {}
        for which, row in self.earlier().items():
            a, b = getattr(self.last, field), getattr(row, field)
            if a is not None and b:
                out[which] = Change(period=row.period, change=a / b - 1)
        return out

    def _point_changes(self, field: str) -> dict:
        out = {}
        for which, row in self.earlier().items():
            a, b = getattr(self.last, field), getattr(row, field)
            if a is not None and b is not None:
                out[which] = Change(period=row.period, change=a - b)
        return out

    def kpis(self) -> list[Kpi]:
        """The headline cards of chapter 1 and the summary, in order (what the data lacks is
        left out, never printed as a dash)."""
        o, last, v = self.overall, self.last, self.value
        out: list[Kpi] = []
        if o.churn_rate is not None:  # none without customers at the period start
            out.append(
                Kpi(
                    name="churn_rate",
                    value=o.churn_rate,
                    changes=self._rate_changes(),
                    ci_low=o.ci_low,
                    ci_high=o.ci_high,
                )
            )
            out.append(
                Kpi(
                    name="retention_rate",
                    value=o.retention_rate,
                    changes=self._rate_changes(-1),
                    higher_is_better=True,
                )
            )
        if last.annualised_churn_rate is not None:
            out.append(
                Kpi(
                    name="annualised_churn_rate",
                    value=last.annualised_churn_rate,
                    on_summary=False,
                    period=last.period,
                )
            )
        out.append(Kpi(name="churned", value=o.churned, changes=self._relative_changes("churned")))
        out.append(
            Kpi(
                name="customers",
                value=o.customers,
                period=o.period,
                basis=o.basis,
                on_summary=False,
            )
        )
        if v is not None:
            out.append(
                Kpi(
                    name="revenue_lost",
                    value=v.revenue_lost,
                    changes=self._relative_changes("churned_revenue"),
                )
            )
            out.append(
                Kpi(name="profit_lost", value=v.profit_lost, margin=v.margin, on_chapter=False)
            )
        if not self.is_snapshot and last.nrr is not None:
            out.append(
                Kpi(
                    name="nrr",
                    value=last.nrr,
                    changes=self._point_changes("nrr"),
                    higher_is_better=True,
                )
            )
        if not self.is_snapshot and last.grr is not None:
            out.append(
                Kpi(
                    name="grr",
                    value=last.grr,
                    changes=self._point_changes("grr"),
                    higher_is_better=True,
                )
            )
        if v is not None and v.clv_arpa_method is not None:
            out.append(Kpi(name="clv", value=v.clv_arpa_method, on_chapter=False))
        return out

    def findings(self) -> list[Finding]:
        """Alerts and what churn cost in the report period."""
        out: list[Finding] = [AlertFinding(alert=a) for a in self.alerts]
        o, v = self.overall, self.value
        if not o.customers:
            out.append(NoStartFinding(period=o.period))
        elif not o.churned:
            out.append(NoChurnFinding(period=o.period, customers=o.customers))
        elif v is None:
            out.append(
                LostFinding(
                    period=o.period,
                    lost=o.churned,
                    customers=o.customers,
                    rate=o.churn_rate,
                    snapshot=self.is_snapshot,
                )
            )
        else:
            saved = v.scenarios[0].revenue if v.scenarios else None
            out.append(
                CostFinding(
                    period=o.period,
                    lost=o.churned,
                    revenue=v.revenue_lost,
                    profit=v.profit_lost,
                    saved_one_point=saved,
                    snapshot=self.is_snapshot,
                )
            )
        return out


# ---------------------------------------------------------------- chapter 2: causes


class ReasonCategory(Model):
    """Churners of one cause category (Pareto order)."""

    category: str
    group: str
    churned: int
    revenue_lost: Num = None
    share: float
    cumulative_share: float


class ReasonRow(Model):
    """Churners of one stated reason: a sub-reason of the taxonomy (its spellings together)
    or a text no rule matched."""

    category: str
    reason: str
    stated_as: list[str] = Field(default_factory=list, description="spellings, most frequent first")
    churned: int
    share: float
    revenue_lost: Num = None


class UnmappedReason(Model):
    """A stated reason no mapping rule matched."""

    reason: str
    churned: int


class DriverEffect(Model):
    """One driver's effect on churn (hazard or odds ratio) with its interval and test.

    ``unit``: binary (a flag), per_sd (per standard deviation of a number), level (a category
    level against ``reference``).
    """

    driver: str
    level: str = ""
    reference: str = ""
    unit: Literal["binary", "per_sd", "level"]
    effect: Num
    ci_low: Num
    ci_high: Num
    p_value: Num
    p_adjusted: Num
    kind: Literal["hazard_ratio", "odds_ratio"]
    direction: Literal["raises", "lowers"]
    raw_direction: Literal["raises", "lowers"] | None = None
    significant: bool

    @property
    def agrees_with_raw(self) -> bool:
        """The model's direction is the one the raw churn rates show (or the raw direction is
        unknown): an effect that reverses once other factors are held fixed is no headline."""
        return self.raw_direction is None or self.raw_direction == self.direction

    @property
    def is_estimated(self) -> bool:
        """The effect and both ends of its interval are finite numbers."""
        return None not in (self.effect, self.ci_low, self.ci_high)

    @property
    def assured_strength(self) -> float:
        """|log| of the interval end nearer 1: the effect the data assure (0 when the interval
        holds 1). Ranks a precise effect above a larger but noisy one (a small level).

        Examples
        --------
        >>> e = dict(driver="x", unit="binary", p_value=0.01, p_adjusted=0.01,
        ...          kind="odds_ratio", direction="raises", significant=True)
        >>> round(DriverEffect(effect=15.1, ci_low=7.4, ci_high=30.5, **e).assured_strength, 2)
        2.0
        >>> DriverEffect(effect=1.2, ci_low=0.9, ci_high=1.6, **e).assured_strength
        0.0
        """
        if not self.is_estimated or self.ci_low <= 1 <= self.ci_high or self.ci_low <= 0:
            return 0.0
        return min(abs(math.log(self.ci_low)), abs(math.log(self.ci_high)))


class LeftOut(Model):
    """A column the driver model left out: reason code, its parameters, the English reason."""

    driver: str
    code: str
    params: dict[str, str | int | float] = {}
    reason: str


class DriverModelInfo(Model):
    """Size and kind of the driver model."""

    kind: Literal["hazard_ratio", "odds_ratio"]
    rows: int
    events: int
    dropped: list[LeftOut] = []
    sample: dict[str, float | int | None] | None = None


class StaffTurnover(Model):
    """Monthly churn after the account manager left vs the rest."""

    after_rate: Num
    after_ci_low: Num
    after_ci_high: Num
    after_months: Num
    after_churned: Num
    other_rate: Num
    other_ci_low: Num
    other_ci_high: Num
    other_months: Num
    other_churned: Num
    rate_ratio: Num
    ratio_ci_low: Num
    ratio_ci_high: Num


#: Stated-cause categories that name a controllable cause the summary can act on.
ACTIONABLE = ("service", "price", "product", "employee", "brand", "competitor", "involuntary")
#: A stated cause named by fewer of the customers who left calls for no action of its own.
MIN_ACTION_SHARE = 0.10
#: Drivers a churn definition forces: under inactivity a customer cannot leave within its
#: first window, so "new customers leave less" is the definition, not a finding.
DEFINITIONAL = {"inactivity": ("new_customer",)}
#: Value columns: what a customer pays is not a reason to leave the summary can cite.
VALUE_DRIVERS = ("monthly_revenue", "mrr", "mrr_change", "amount", "spend_window", "spend_trend")
#: Words that name a money column under the export's own name when they end it (Balance,
#: EstimatedSalary, Total Charges, CashbackAmount, 月收入 ...): what a customer pays or holds,
#: never a cause to cite. A word inside a name (HourSpendOnApp, PriceSensitivity,
#: OrderAmountHikeFromlastYear) is behaviour, not money.
VALUE_WORDS = (
    "revenue", "mrr", "arr", "spend", "spending", "amount", "balance", "salary", "income",
    "charge", "price", "cashback", "ltv", "clv", "value", "收入", "金额", "余额", "薪资", "工资",
)  # fmt: skip


def is_value_column(name: str) -> bool:
    """Whether a numeric driver or feature is a money figure: a canonical value column, or a
    name whose last word is a money word (a category such as a payment method or a price plan
    is a choice, not an amount).

    Parameters
    ----------
    name : str
        A column of the data or a canonical feature.

    Returns
    -------
    bool

    Examples
    --------
    >>> [is_value_column(c) for c in ("Balance", "EstimatedSalary", "Total Charges", "月收入")]
    [True, True, True, True]
    >>> [is_value_column(c) for c in ("HourSpendOnApp", "PriceSensitivity", "Married", "Tenure")]
    [False, False, False, False]
    """
    if name in VALUE_DRIVERS:
        return True
    text = str(name)
    if any(text.endswith(w) for w in VALUE_WORDS if not w.isascii()):
        return True
    words = re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+", text)
    last = words[-1].lower() if words else ""
    return last in VALUE_WORDS or last.rstrip("s") in VALUE_WORDS


#: Drivers that point to a cause category (DOMAIN.md section 6).
DRIVER_CAUSE = {
    "complaint_90d": "service",
    "slow_response_90d": "service",
    "low_satisfaction_90d": "service",
    "manager_left_90d": "employee",
    "new_customer": "onboarding",
}


class CauseResult(Model):
    """Chapter 2: stated reasons and behaviour drivers."""

    definition: Definition
    reason_categories: list[ReasonCategory] | None = None
    reasons: list[ReasonRow] | None = None
    reasons_unmapped: list[UnmappedReason] | None = None
    controllable_share: Num = None
    drivers: list[DriverEffect] | None = None
    drivers_model: DriverModelInfo | None = None
    staff_turnover: StaffTurnover | None = None

    @property
    def has_reasons(self) -> bool:
        """Stated reasons were mapped."""
        return self.reason_categories is not None

    def top_cause(self) -> ReasonCategory | None:
        """The stated cause category with most churners (not stated / unmapped aside)."""
        cats = [
            c for c in self.reason_categories or [] if c.category not in ("not_stated", "unmapped")
        ]
        return max(cats, key=lambda c: c.churned) if cats else None

    def citable_drivers(self) -> list[DriverEffect]:
        """Significant, estimated drivers the summary may cite, strongest first, in either
        direction; never one the churn definition forces (:data:`DEFINITIONAL`), nor a value
        column (:func:`is_value_column`: what a customer pays is a consequence, not a cause), nor
        one whose raw churn rates point the other way (``agrees_with_raw``)."""
        forced = DEFINITIONAL.get(self.definition, ())
        found = [
            d
            for d in self.drivers or []
            if d.significant
            and d.is_estimated
            and d.agrees_with_raw
            and d.driver not in forced
            and d.driver not in VALUE_DRIVERS
            and not (d.unit == "per_sd" and is_value_column(d.driver))
        ]
        return sorted(found, key=lambda d: -d.assured_strength)

    def top_driver(self) -> DriverEffect | None:
        """The strongest citable driver, raising or lowering churn."""
        found = self.citable_drivers()
        return found[0] if found else None

    def findings(self) -> list[Finding]:
        """The biggest stated cause and the strongest driver."""
        out: list[Finding] = []
        cause = self.top_cause()
        if cause is not None:
            out.append(
                CauseFinding(
                    category=cause.category,
                    share=cause.share,
                    controllable=self.controllable_share,
                )
            )
        driver = self.top_driver()
        if driver is not None and driver.is_estimated:
            out.append(DriverFinding(effect=driver))
        return out

    def action_causes(self, limit: int = 3) -> list[Action]:
        """Cause categories to act on, each with the figure it answers: the causes of the
        strongest drivers that raise churn (their effect), then the stated causes named by at
        least :data:`MIN_ACTION_SHARE` of the customers who left (their share); the most
        stated cause always keeps a place.

        Parameters
        ----------
        limit : int
            Actions at most.

        Returns
        -------
        list of Action
        """
        stated = [
            Action(kind="cause", cause=c.category, share=c.share)
            for c in sorted(self.reason_categories or [], key=lambda c: -c.churned)
            if c.category in ACTIONABLE and c.share >= MIN_ACTION_SHARE
        ]
        driven = {}
        for d in self.citable_drivers():
            if d.direction == "raises" and d.driver in DRIVER_CAUSE:
                cause = DRIVER_CAUSE[d.driver]
                driven.setdefault(cause, Action(kind="cause", cause=cause, driver=d))
        # the most stated cause keeps a place next to the drivers (it is a finding too)
        picked: list[Action] = []
        for a in list(driven.values())[: limit - 1 if stated else limit] + stated:
            if a.cause not in {p.cause for p in picked}:
                picked.append(a)
        return picked[:limit]


# ---------------------------------------------------------------- chapter 3: segments


class SegmentLevel(Model):
    """Churn of one level of a segment dimension over the window."""

    segment: str
    customers: int
    churned: int
    revenue_lost: Num = None
    churn_rate: Num
    ci_low: Num
    ci_high: Num
    share_of_churn: Num
    lift: Num
    small: bool


class SignificantPair(Model):
    """Two levels whose churn differs (Holm-adjusted)."""

    a: str
    b: str
    p_adjusted: float


class SegmentTableResult(Model):
    """Churn by level of one dimension, with the test across levels."""

    levels: list[SegmentLevel]
    test: str | None = None
    p_value: Num = None
    significant_pairs: list[SignificantPair] = []


class SurvivalLevel(Model):
    """Kaplan-Meier lifetime of one segment level."""

    segment: str
    customers: int
    churned: int
    median_lifetime_months: Num
    rmst_months: Num
    horizon_months: Num


class SegmentSurvivalResult(Model):
    """Lifetimes by level with the log-rank test."""

    logrank_p: Num
    levels: list[SurvivalLevel]


class DecompositionRow(Model):
    """Mix and rate effect of one level on the change of the churn rate."""

    period_before: str
    period_after: str
    segment: str
    share_before: Num
    share_after: Num
    rate_before: Num
    rate_after: Num
    mix_effect: Num
    rate_effect: Num


class Decomposition(Model):
    """The change against the previous period and a year earlier, by level."""

    previous: list[DecompositionRow] | None = None
    year_ago: list[DecompositionRow] | None = None


class LifecycleRow(Model):
    """Customers per lifecycle state in one period."""

    period: str
    new: int
    returning: int
    resurrecting: int
    dormant: int
    active: int


class Lifecycle(Model):
    """Lifecycle states per period and the transitions between the last two periods."""

    states: list[LifecycleRow]
    transitions: dict[str, dict[str, int]] = {}


class ValueClasses(Model):
    """ABC and RFM tables (the same as their segment dimensions)."""

    abc: SegmentTableResult | None = None
    rfm: SegmentTableResult | None = None


class SegmentResult(Model):
    """Chapter 3: churn by segment."""

    snapshot: bool
    customers: int
    window_start: dt.date
    window_end: dt.date
    segments: dict[str, SegmentTableResult]
    segments_survival: dict[str, SegmentSurvivalResult] = {}
    change_decomposition: dict[str, Decomposition] = {}
    lifecycle: Lifecycle | None = None
    value_classes: ValueClasses = ValueClasses()

    @property
    def is_snapshot(self) -> bool:
        """Snapshot data: no change over time."""
        return self.snapshot

    def riskiest_level(self) -> tuple[str, SegmentLevel] | None:
        """The level with the highest lift among dimensions whose levels differ (p < 0.05),
        leaving out small levels."""
        best = None
        for dim, seg in self.segments.items():
            if seg.p_value is None or seg.p_value >= 0.05:
                continue
            for level in seg.levels:
                if level.small or level.customers < MIN_SEGMENT_CUSTOMERS or level.lift is None:
                    continue
                if best is None or level.lift > best[1].lift:
                    best = (dim, level)
        return best

    def findings(self) -> list[Finding]:
        """The riskiest segment level."""
        worst = self.riskiest_level()
        if worst is None:
            return []
        dim, level = worst
        if level.churn_rate is None or level.share_of_churn is None:
            return []  # cannot be: a level with a lift has customers
        return [SegmentFinding(dimension=dim, level=level)]


# ---------------------------------------------------------------- chapter 4: early warning


class ModelScore(Model):
    """Backtest scores of one candidate model."""

    n: int
    churners: int
    base_rate: Num
    auc: Num
    pr_auc: Num
    top_decile_lift: Num
    brier: Num
    calibration_ratio: Num


class BacktestScores(Model):
    """How the chosen risk model did on later data it never saw."""

    method: Literal["time_split", "cross_validation"]
    why_no_time_split: str | None = None
    auc: Num
    pr_auc: Num
    top_decile_lift: Num
    brier: Num
    calibration_ratio: Num
    train_until: dt.date | None = None
    test_from: dt.date | None = None
    train_rows: int | None = None
    test_rows: int | None = None
    models: dict[str, ModelScore] = {}


class Tier(Model):
    """Customers, value and expected loss of one win-back value tier."""

    tier: str
    customers: int
    value: float
    mean_probability: Num = None
    expected_loss: Num = None


class PreviousCheck(Model):
    """The previous run's predictions scored against what happened."""

    made_on: dt.date
    horizon_end: dt.date
    scored: int
    matched: int
    predicted: float
    left: int
    n: int | None = None
    churners: int | None = None
    base_rate: Num = None
    auc: Num = None
    pr_auc: Num = None
    top_decile_lift: Num = None
    brier: Num = None
    calibration_ratio: Num = None


def call_first_rows(listed: int) -> int:
    """The top of an at-risk list of ``listed`` customers whose important and major customers
    are called first (:attr:`Risk.priority_customers`): its first tenth, rounded up.

    Examples
    --------
    >>> call_first_rows(335_575), call_first_rows(9)
    (33558, 1)
    """
    return math.ceil(0.1 * listed)


class Risk(Model):
    """The risk model, its backtest and the scored list."""

    available: bool
    why_not: str | None = None
    model: str | None = None
    choice_reason: str | None = None
    features: list[str] = []
    backtest: BacktestScores | None = None
    horizon_end: dt.date | None = None
    scored_customers: int | None = None
    expected_leavers: Num = None
    priority_customers: int | None = None
    expected_loss_total: Num = None
    value_basis: str | None = None
    tier_thresholds: list[Num] = []
    tiers: list[Tier] = []
    lost_tiers: list[Tier] = []
    training_sample: dict[str, float | int | None] | None = None
    previous_run_check: PreviousCheck | None = None


class EarlyWarningResult(Model):
    """Chapter 4: early warning and win-back."""

    risk: Risk

    @property
    def is_built(self) -> bool:
        """A risk model was fitted and the list scored."""
        return self.risk.available

    def findings(self) -> list[Finding]:
        """How many of the scored customers the model expects to leave."""
        r = self.risk
        if not r.available or r.expected_leavers is None or r.horizon_end is None:
            return []
        ratio = r.backtest.calibration_ratio if r.backtest is not None else None
        off = ratio is not None and ratio > 0 and abs(ratio - 1) > CALIBRATION_TOLERANCE
        snapshot = r.backtest is not None and r.backtest.why_no_time_split == "snapshot"
        return [
            RiskFinding(
                expected=r.expected_leavers,
                scored=r.scored_customers or 0,
                horizon_end=r.horizon_end,
                snapshot=snapshot,
                calibration_ratio=ratio if off else None,
                by_value=r.value_basis not in (None, "none"),
            )
        ]


# ---------------------------------------------------------------- data quality


class TableRows(Model):
    """Row accounting of one input table."""

    table: str
    path: str
    rows_read: int
    rows_kept: int
    rows_excluded: int
    encoding: str | None = None


class QualityIssue(Model):
    """Rows excluded or repaired for one reason."""

    table: str
    column: str | None = None
    action: str
    reason: str
    detail: str = ""
    count: int
    share: Num = None
    examples: list[tuple[int, str | int | float | bool | None]] = []
    evidence: dict[str, float | int | str | None] = {}


class DataQualityResult(Model):
    """What was read, kept, excluded and repaired."""

    tables: list[TableRows]
    issues: list[QualityIssue] = []


# ---------------------------------------------------------------- findings


class AlertFinding(Fact):
    """An alert raised in the report period."""

    kind: Literal["alert"] = "alert"
    alert: AlertRow


class NoStartFinding(Fact):
    """Nobody was a customer at the period start: no churn rate."""

    kind: Literal["no_start"] = "no_start"
    period: str


class NoChurnFinding(Fact):
    """No customer was lost in the report period."""

    kind: Literal["no_churn"] = "no_churn"
    period: str
    customers: int


class LostFinding(Fact):
    """Customers lost, without revenue data."""

    kind: Literal["lost"] = "lost"
    period: str
    lost: int
    customers: int
    rate: float
    snapshot: bool = False  # churned as of the export: no period to name


class CostFinding(Fact):
    """What the customers lost in the report period cost (and what one point less would
    keep, when a scenario exists)."""

    kind: Literal["cost"] = "cost"
    period: str
    lost: int
    revenue: float
    profit: float
    saved_one_point: Num = None
    snapshot: bool = False  # churned as of the export: no period to name


class CauseFinding(Fact):
    """The biggest stated cause."""

    kind: Literal["cause"] = "cause"
    category: str
    share: float
    controllable: float | None = None  # None: no stated reason was subjective or objective


class DriverFinding(Fact):
    """The strongest significant driver."""

    kind: Literal["driver"] = "driver"
    effect: DriverEffect

    @model_validator(mode="after")
    def _interval_exists(self) -> DriverFinding:
        e = self.effect
        if e.effect is None or e.ci_low is None or e.ci_high is None:
            raise ValueError("a driver finding needs the effect and its interval")
        return self


class SegmentFinding(Fact):
    """The riskiest segment level."""

    kind: Literal["segment"] = "segment"
    dimension: str
    level: SegmentLevel

    @model_validator(mode="after")
    def _rates_exist(self) -> SegmentFinding:
        lv = self.level
        if lv.churn_rate is None or lv.lift is None or lv.share_of_churn is None:
            raise ValueError("a segment finding needs the level's rate, lift and share")
        return self


class RiskFinding(Fact):
    """Customers the risk model expects to leave."""

    kind: Literal["risk"] = "risk"
    expected: float
    scored: int
    horizon_end: dt.date
    snapshot: bool = False  # current risk of a snapshot: no horizon date
    calibration_ratio: float | None = None  # set when the backtest was off by more than 15%
    by_value: bool = True  # the list is ranked by expected loss (False: by probability)

    @property
    def corrected(self) -> float | None:
        """The expected count divided by the backtest's over- (or under-) prediction."""
        return None if self.calibration_ratio is None else self.expected / self.calibration_ratio


Finding = Annotated[
    AlertFinding
    | NoStartFinding
    | NoChurnFinding
    | LostFinding
    | CostFinding
    | CauseFinding
    | DriverFinding
    | SegmentFinding
    | RiskFinding,
    Field(discriminator="kind"),
]


# ---------------------------------------------------------------- summary and metrics.json


class Action(Fact):
    """A recommended action: contact this period's lost customers, act on a cause category,
    reach the customers with the strongest churn-raising factor no cause category covers
    (``target``), call the most valuable customers at the top of the at-risk list, or (with
    nothing else to act on and data questions open) settle the data questions first."""

    kind: Literal["contact_lost", "cause", "target", "call_list", "check_data"]
    cause: str | None = None
    customers: int | None = None
    period: str | None = None
    share: float | None = None  # of the customers who left, who named the cause
    driver: DriverEffect | None = None  # the driver that points to the cause
    hours: float | None = None  # the slow-response threshold (drivers.slow_response_hours)


class DataCheck(Fact):
    """Something in the results that says the data may not support the report, with the
    figures that show it (see :func:`churnreport.analysis.checks.data_checks`)."""

    code: Literal[
        "tables_disagree",
        "events_disagree",
        "overlapping_subscriptions",
        "duplicate_rows",
        "outcome_column",
        "censored_start",
        "no_churn_in_period",
        "long_lifetime",
        "outcome_leak",
        "similar_levels",
    ]
    severity: Literal["warning", "info"] = "warning"
    evidence: dict[str, float | int | str | None] = {}


class SummaryResult(Model):
    """The executive summary: KPIs, findings and actions as typed facts, and as printed."""

    kpis: list[Kpi]
    findings: list[Finding]
    finding_text: list[str]
    actions: list[Action]
    action_text: list[str]
    data_checks: list[DataCheck] = []
    check_text: list[str] = []


class DataProfile(Model):
    """What kind of data the run had (:func:`churnreport.data.profile.data_profile`)."""

    shape: Literal["dated", "purchases", "snapshot"]
    customers: int
    churned: int
    first_activity: dt.date | None = None
    as_of: dt.date | None = None
    history_months: Num = None
    observed_from: dt.date | None = None
    revenue: Literal["subscriptions", "monthly_revenue", "transactions", "none"]
    stated_reasons: int = 0
    subscriptions: int | None = None
    transactions: int | None = None
    tickets: int | None = None
    staff: int | None = None


class Metrics(Model):
    """metrics.json: the run and every chapter's result."""

    schema_version: Literal["2.1"] = SCHEMA_VERSION
    run_id: str
    as_of: dt.date
    period: PeriodKind
    definition: Definition
    language: Literal["en", "zh"]
    company: str = ""
    currency: str = ""
    indicators: IndicatorResult | None = None
    causes: CauseResult | None = None
    segments: SegmentResult | None = None
    early_warning: EarlyWarningResult | None = None
    profile: DataProfile | None = None
    data_quality: DataQualityResult | None = None
    summary: SummaryResult | None = None


#: The metrics fragment each chapter records, and its model.
CHAPTER_RESULTS: dict[str, type[Model]] = {
    "indicators": IndicatorResult,
    "causes": CauseResult,
    "segments": SegmentResult,
    "early_warning": EarlyWarningResult,
    "data_quality": DataQualityResult,
    "summary": SummaryResult,
}


def metrics_schema() -> dict:
    """JSON Schema (draft 2020-12) of metrics.json, generated from :class:`Metrics`.

    Returns
    -------
    dict
    """
    schema = Metrics.model_json_schema(mode="serialization")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://churnreport.example/metrics-{SCHEMA_VERSION}.schema.json",
        **schema,
    }


def jsonable(value: object) -> object:
    """Analysis values as JSON values: NaN -> null, dates -> ISO text, frames -> records.

    Parameters
    ----------
    value : object
        A dict, list, DataFrame, numpy scalar, date, or an object with ``to_dict``.

    Returns
    -------
    object

    Examples
    --------
    >>> jsonable({"a": float("nan"), "b": np.int64(3), "c": dt.date(2024, 6, 30)})
    {'a': None, 'b': 3, 'c': '2024-06-30'}
    """
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if hasattr(value, "to_dict") and not isinstance(value, (pd.DataFrame, pd.Series, dict)):
        value = value.to_dict()
    if isinstance(value, pd.DataFrame):
        value = value.to_dict(orient="records")
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else float(value)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, (dt.date, pd.Timestamp)):
        return None if pd.isna(value) else value.isoformat()[:10]
    if value is pd.NaT or value is pd.NA:
        return None
    return value
