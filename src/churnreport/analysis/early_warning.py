"""Chapter 4 in one call: backtest, scores, reason codes, at-risk list and win-back tiers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from churnreport.analysis.drivers import outcome_like_columns, sample_customers
from churnreport.analysis.features import active_on, snapshot_features
from churnreport.analysis.results import EarlyWarningResult, call_first_rows, jsonable
from churnreport.analysis.risk import (
    FEATURE_CAUSE,
    MIN_CHURNERS,
    Backtest,
    feature_evidence,
    fit_final,
    forecast_check,
    reason_codes,
    run_backtest,
    snapshot_dates,
    training_panel,
)
from churnreport.analysis.winback import (
    assign_tiers,
    customer_value,
    lost_in_period,
    tier_grid,
    tier_thresholds,
)
from churnreport.data.keys import is_among
from churnreport.periods import to_period

#: Largest training table (customers x past period ends) the risk models learn from; a larger
#: one is built for a random sample of whole customers (stated in the report). The list still
#: scores every customer active on the report date.
MAX_TRAINING_ROWS = 500_000


@dataclass(frozen=True)
class EarlyWarningChapter:
    """Everything chapter 4 shows.

    Attributes
    ----------
    why_not : str
        Empty when the model was built; else why not: ``no_history`` (no period end with a
        known outcome), ``nobody_active`` (no customer to score on the report date),
        ``too_few_churners`` or ``too_few_stayers`` (a model needs both outcomes).
    backtest : Backtest or None
    features : list of str
        Raw features the chosen model uses.
    at_risk : DataFrame
        Today's customers ranked by expected loss: customer_id, probability, value,
        expected_loss, tier, cause (of the strongest reason), rank.
    reasons : DataFrame
        Reason codes (risk.reason_codes) of the scored customers.
    value_basis : str
        mrr, monthly_revenue, transactions or none.
    thresholds : list of float
        Lowest annual value of the important, major and ordinary tiers.
    tiers_at_risk, tiers_lost : DataFrame
        Tier grids of today's customers (with expected loss) and of those lost in the period.
    horizon_end : date
        End of the period the probabilities refer to.
    previous_check : dict or None
        How the previous run's scores did (risk.forecast_check).
    training_sample : dict or None
        When the models learned from a random sample of customers (:data:`MAX_TRAINING_ROWS`):
        customers, of_customers, rows, of_rows, seed.
    """

    why_not: str
    backtest: Backtest | None
    features: list[str]
    at_risk: pd.DataFrame
    reasons: pd.DataFrame
    value_basis: str
    thresholds: list[float]
    tiers_at_risk: pd.DataFrame
    tiers_lost: pd.DataFrame
    horizon_end: dt.date
    previous_check: dict | None
    training_sample: dict | None = None

    @property
    def is_built(self) -> bool:
        """The risk model was built (``why_not`` is empty)."""
        return not self.why_not

    @property
    def is_snapshot(self) -> bool:
        """Built on one snapshot (cross-validated; probabilities of having left by it)."""
        return self.backtest is not None and self.backtest.why_no_time_split == "snapshot"

    @property
    def has_tiers(self) -> bool:
        """Today's scored customers by value tier."""
        return self.is_built and not self.tiers_at_risk.empty

    @property
    def has_lost_tiers(self) -> bool:
        """The customers lost in the period by value tier."""
        return self.is_built and not self.tiers_lost.empty

    @property
    def backtest_scores(self) -> pd.DataFrame:
        """Each model's scores on the test rows (one row per model, ``chosen`` marks the one
        that scores today's customers); empty when no model was built."""
        if self.backtest is None:
            return pd.DataFrame()
        scores = pd.DataFrame.from_dict(
            {
                kind: {k: v for k, v in result.items() if k != "calibration"}
                for kind, result in self.backtest.results.items()
            },
            orient="index",
        )
        return scores.assign(chosen=scores.index == self.backtest.chosen).rename_axis("model")

    def predictions(self, as_of: dt.date) -> pd.DataFrame:
        """The scores to store for the next run's forecast check, with the at-risk list's
        rank, value, expected loss, tier and top cause (codes, not words)."""
        a = self.at_risk
        return pd.DataFrame(
            {
                "customer_id": a["customer_id"].astype(str),
                "probability": a["probability"].astype(float),
                "as_of": pd.Timestamp(as_of),
                "horizon_end": pd.Timestamp(self.horizon_end),
                "model": self.backtest.chosen if self.backtest else "",
                "rank": a["rank"].astype("int64"),
                "value": a["value"].astype(float),
                "expected_loss": a["expected_loss"].astype(float),
                "tier": a["tier"].map(lambda t: t or None),
                "cause": a["cause"].map(lambda c: c or None),
            }
        )

    def priority_customers(self) -> int:
        """Important and major customers in the top tenth of the list (call them first)."""
        top = self.at_risk.head(call_first_rows(len(self.at_risk)))
        return int(top["tier"].isin(["important", "major"]).sum())

    def result(self) -> EarlyWarningResult:
        """The typed result of this chapter (metrics.json ``early_warning``)."""
        return EarlyWarningResult.model_validate(jsonable(self._risk()))

    def _risk(self) -> dict[str, object]:
        bt = self.backtest
        risk: dict[str, object] = {"available": not self.why_not, "why_not": self.why_not or None}
        if bt is not None:
            best = bt.results[bt.chosen]
            risk.update(
                {
                    "model": bt.chosen,
                    "choice_reason": bt.choice_reason,
                    "features": self.features,
                    "backtest": {
                        "method": bt.method,
                        "why_no_time_split": bt.why_no_time_split or None,
                        "auc": best["auc"],
                        "pr_auc": best["pr_auc"],
                        "top_decile_lift": best["top_decile_lift"],
                        "brier": best["brier"],
                        "calibration_ratio": best["calibration_ratio"],
                        "train_until": bt.train_until,
                        "test_from": bt.test_from,
                        "train_rows": bt.train_rows,
                        "test_rows": bt.test_rows,
                        "models": {
                            k: {m: v for m, v in r.items() if m != "calibration"}
                            for k, r in bt.results.items()
                        },
                    },
                    "horizon_end": self.horizon_end,
                    "scored_customers": len(self.at_risk),
                    "expected_leavers": float(self.at_risk["probability"].sum()),
                    "priority_customers": self.priority_customers(),
                    "expected_loss_total": float(self.at_risk["expected_loss"].sum()),
                    "value_basis": self.value_basis,
                    "tier_thresholds": self.thresholds,
                    "tiers": self.tiers_at_risk,
                    "lost_tiers": self.tiers_lost,
                }
            )
        risk["training_sample"] = self.training_sample
        risk["previous_run_check"] = (
            {k: v for k, v in self.previous_check.items() if k != "calibration"}
            if self.previous_check
            else None
        )
        return {"risk": risk}


def early_warning_chapter(
    spells: pd.DataFrame,
    customers: pd.DataFrame,
    *,
    period: str,
    as_of: dt.date,
    definition: str,
    tables: dict[str, pd.DataFrame] | None = None,
    attributes: list[str] | None = None,
    window_days: int = 90,
    slow_hours: float = 24.0,
    train_snapshots: int = 12,
    test_snapshots: int = 3,
    tier_shares: tuple[float, float, float] = (0.05, 0.20, 0.60),
    previous: pd.DataFrame | None = None,
    bad_standing: str | None = None,
    first_day: dt.date | None = None,
    backend: str = "duckdb",
) -> EarlyWarningChapter:
    """Compute chapter 4.

    Parameters
    ----------
    spells, customers : DataFrame
        Canonical tables.
    period : str
        Report period (the forecast horizon is one period).
    as_of : date
    definition : str
        ``snapshot`` data are cross-validated; dated data are backtested in time.
    tables : dict, optional
        transactions, tickets, staff, revenue.
    attributes : list of str, optional
        Customer attributes used as features.
    window_days, slow_hours : see :func:`features.snapshot_features`.
    train_snapshots, test_snapshots : int
        Period-end snapshots used for training and held out for the backtest.
    tier_shares : tuple
        Win-back tier boundaries (cumulative customer shares by value).
    previous : DataFrame, optional
        The previous run's predictions (customer_id, probability, as_of, horizon_end).
    bad_standing : str, optional
        Customer yes/no column whose true rows are tier ``never``.
    first_day : date, optional
        The first observed day of a purchase history: no training snapshot before it.
    backend : {"duckdb", "spark"}
        Where the dated tables are aggregated (:func:`churnreport.data.engine.session`).

    Returns
    -------
    EarlyWarningChapter
    """
    tables = tables or {}
    attributes = [a for a in (attributes or []) if a in customers.columns]
    # a column that gives the outcome away is no warning sign (chapter 2 names it)
    leaks = outcome_like_columns(customers, attributes)
    attributes = [a for a in attributes if a not in leaks]
    snapshot = definition == "snapshot"
    current = to_period(as_of, period)
    horizon_end = (current + 1).end_time.date()
    period_start = current.start_time.date()
    feature_args = {
        "tables": tables,
        "attributes": attributes,
        "window_days": window_days,
        "slow_hours": slow_hours,
        "backend": backend,
    }
    if snapshot:
        frame = customers.set_index("customer_id")
        cols = [c for c in ["tenure_months", *attributes] if c in frame.columns]
        everyone = frame[cols].assign(_date=pd.Timestamp(as_of), _y=frame["churned"].astype(int))
        scoring = everyone.loc[everyone["_y"] == 0, cols]
        panel, sample = sample_customers(everyone.reset_index(), MAX_TRAINING_ROWS)
        panel = panel.set_index("customer_id")
        horizon_end = as_of
    else:
        first = first_day or spells["spell_start"].min().date()
        dates = snapshot_dates(as_of, period, first, train_snapshots + test_snapshots)
        # one row per customer active at each training date; sample whole customers when large
        # (the ids stay the spells' own text: millions of rows at 500k customers)
        rows = pd.DataFrame(
            {
                "customer_id": pd.concat(
                    [active_on(spells, d)["customer_id"] for d, _ in dates], ignore_index=True
                )
                if dates
                else []
            }
        )
        kept, sample = sample_customers(rows, MAX_TRAINING_ROWS)
        train_spells = (
            spells
            if sample is None
            else spells[is_among(spells["customer_id"], kept["customer_id"])]
        )
        del rows, kept  # not held while the features and the models are made
        panel = training_panel(train_spells, customers, dates, **feature_args)
        del train_spells
        scoring = snapshot_features(spells, customers, as_of, **feature_args)

    check = None
    if previous is not None and len(previous) and not snapshot:
        made_on = pd.Timestamp(previous["as_of"].iloc[0]).date()
        h_end = pd.Timestamp(previous["horizon_end"].iloc[0]).date()
        if h_end <= as_of:
            check = forecast_check(previous, spells, made_on, h_end)

    empty = pd.DataFrame(
        columns=["rank", "customer_id", "probability", "value", "tier", "expected_loss", "cause"]
    )
    why = ""
    if panel.empty:
        why = "no_history"
    elif scoring.empty:
        why = "nobody_active"
    elif panel["_y"].sum() < 2 * MIN_CHURNERS:
        why = "too_few_churners"
    elif (panel["_y"] == 0).sum() < 2 * MIN_CHURNERS:
        why = "too_few_stayers"
    if why:
        return EarlyWarningChapter(
            why, None, [], empty, pd.DataFrame(), "none", [], pd.DataFrame(),
            pd.DataFrame(), horizon_end, check,
        )  # fmt: skip

    backtest = run_backtest(panel, test_snapshots, snapshot)
    model = fit_final(panel, backtest.chosen)
    prob = pd.Series(model.predict(scoring), index=scoring.index)
    value, basis = customer_value(scoring.index, as_of, customers, tables, backend)
    thresholds = tier_thresholds(value, tier_shares)
    bad = (
        customers.set_index("customer_id")[bad_standing].astype("boolean").fillna(False)
        if bad_standing and bad_standing in customers.columns
        else None
    )
    tiers = (
        assign_tiers(value, thresholds, bad)
        if basis != "none"
        else pd.Series("", index=value.index)
    )
    reasons = reason_codes(model, scoring, evidence=feature_evidence(panel), scores=prob.to_numpy())
    top_cause = reasons[reasons["rank"] == 1].set_index("customer_id")["feature"].map(FEATURE_CAUSE)
    at_risk = pd.DataFrame(
        {
            "customer_id": scoring.index,
            "probability": prob.to_numpy(),
            "value": value.to_numpy(),
            "tier": tiers.to_numpy(),
        }
    )
    weight = at_risk["value"] if basis != "none" else 1.0
    at_risk["expected_loss"] = at_risk["probability"] * weight
    at_risk["cause"] = at_risk["customer_id"].map(top_cause).fillna("")
    at_risk = at_risk.sort_values(
        ["expected_loss", "probability"], ascending=False, kind="stable"
    ).reset_index(drop=True)
    at_risk.insert(0, "rank", np.arange(1, len(at_risk) + 1))

    if basis != "none":
        lost = lost_in_period(spells, period_start, as_of)
        lost_value, _ = customer_value(
            lost.index, lost - pd.Timedelta(days=1), customers, tables, backend
        )
        grid = tier_grid(at_risk, "probability")
        lost_frame = pd.DataFrame(
            {"value": lost_value, "tier": assign_tiers(lost_value, thresholds)}
        )
        lost_grid = tier_grid(lost_frame)
    else:
        grid = lost_grid = pd.DataFrame()
    return EarlyWarningChapter(
        "",
        backtest,
        model.design.features,
        at_risk,
        reasons,
        basis,
        thresholds,
        grid,
        lost_grid,
        horizon_end,
        check,
        sample,
    )
