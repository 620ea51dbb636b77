"""Data checks: what in a run's typed results says the data may not support the report.

Each check is a typed fact (:class:`~churnreport.analysis.results.DataCheck`) with the figures
that triggered it; the executive summary shows them in a "check the data" box before anything
else, and metrics.json keeps them (``summary.data_checks``).
"""

from __future__ import annotations

from churnreport.analysis.results import DataCheck, Metrics

#: A customer lifetime beyond this many years is no planning figure.
MAX_LIFETIME_YEARS = 20.0
#: A period without churn is a data question only when this many were expected to leave.
MIN_EXPECTED_CHURNERS = 3.0
#: A backtest this good means a column gives the outcome away.
LEAK_AUC = 0.97
#: Two sources disagree on churn for at least this share of the customers both describe...
DISAGREE_SHARE = 0.05
#: ... and at least this many customers (a few reactivations are normal).
DISAGREE_MIN = 5
#: Churn events of customers active per their dates: a data question from this share on.
EVENTS_ACTIVE_SHARE = 0.25
#: Active customers holding several subscriptions at once: a data question from this share on.
OVERLAP_SHARE = 0.10
#: Rows repeated exactly: a data question from this share of a table on (and DISAGREE_MIN rows).
DUPLICATE_SHARE = 0.01
#: Subscriptions held at once per overlapping customer from which summing them is a warning
#: (fewer: add-ons, an info).
STACKED_SUBSCRIPTIONS = 3.0
#: The order of the box: what questions every figure first, then single figures, then notes.
CHECK_ORDER = (
    "tables_disagree", "events_disagree", "duplicate_rows", "outcome_column", "outcome_leak",
    "no_churn_in_period", "overlapping_subscriptions", "long_lifetime", "similar_levels",
    "censored_start",
)  # fmt: skip


def data_checks(m: Metrics) -> list[DataCheck]:
    """The checks a run's results trigger, most serious first.

    - ``no_churn_in_period``: customers at the period start but none lost while the earlier
      periods' churn expected at least :data:`MIN_EXPECTED_CHURNERS` (a snapshot: none of 30
      or more customers): a churn flag or end dates may not be mapped;
    - ``long_lifetime``: expected lifetime beyond :data:`MAX_LIFETIME_YEARS` years (too few
      churn events for a lifetime value; the lifetime value shown is not supported);
    - ``censored_start`` (info): a purchase history's first periods, which cannot show who
      was a customer, are left out (``IndicatorResult.history``);
    - ``outcome_column``: a customer column the driver model left out because it separates
      churned from staying customers on its own (``drivers.outcome_like_columns``), by name;
    - ``outcome_leak``: the risk model's backtest AUC at or above :data:`LEAK_AUC` (near-
      perfect prediction is rare: a column may record the outcome, e.g. a second churn flag);
    - ``tables_disagree``: the customers' churn flag and the subscription dates disagree for
      :data:`DISAGREE_SHARE` of the customers or more (the dates are used);
    - ``events_disagree``: :data:`EVENTS_ACTIVE_SHARE` or more of the customers with a churn
      event are active per their dates (their events are not used);
    - ``overlapping_subscriptions``: :data:`OVERLAP_SHARE` or more of the active customers hold
      several subscriptions at once, whose revenue is summed;
    - ``duplicate_rows``: :data:`DUPLICATE_SHARE` or more of a table's rows repeat another row
      exactly (the copies are left out);
    - ``similar_levels`` (info): values of a customer column that may be one thing written two
      ways ("CC" and "Credit Card"), counted apart; one check for all such columns, naming the
      first pair (:mod:`churnreport.data.spellings`).

    Parameters
    ----------
    m : Metrics
        The chapters' results.

    Returns
    -------
    list of DataCheck
        Tested in tests/analysis/test_results.py on hand-made results.
    """
    out: list[DataCheck] = _table_checks(m)
    ind = m.indicators
    if ind is not None and ind.history is not None and ind.history.periods_left_out:
        h = ind.history
        out.append(
            DataCheck(
                code="censored_start",
                severity="info",
                evidence={
                    "first_activity": h.first_activity.isoformat(),
                    "first_period": h.first_period,
                    "periods_left_out": h.periods_left_out,
                },
            )
        )
    if ind is not None:
        o = ind.overall
        if o.customers and not o.churned:
            last_year = ind.periods[:-1][-ind.year_lag :]
            earlier = [p.churn_rate for p in last_year if p.churn_rate is not None]
            expected = o.customers * sum(earlier) / len(earlier) if earlier else None
            if (expected is None and o.customers >= 30) or (
                expected is not None and expected >= MIN_EXPECTED_CHURNERS
            ):
                out.append(
                    DataCheck(
                        code="no_churn_in_period",
                        evidence={"period": o.period, "customers": o.customers},
                    )
                )
        v = ind.value
        if v is not None and v.expected_lifetime_years is not None:
            if v.expected_lifetime_years > MAX_LIFETIME_YEARS:
                out.append(
                    DataCheck(
                        code="long_lifetime",
                        evidence={
                            "years": v.expected_lifetime_years,
                            "annual_churn_rate": v.annual_churn_rate,
                            "clv": v.clv_arpa_method,
                        },
                    )
                )
    model = m.causes.drivers_model if m.causes is not None else None
    named = [d for d in (model.dropped if model is not None else []) if d.code == "outcome_like"]
    out += [
        DataCheck(code="outcome_column", evidence={"column": d.driver, "auc": d.params["auc"]})
        for d in named
    ]
    ew = m.early_warning
    bt = ew.risk.backtest if ew is not None else None
    if bt is not None and bt.auc is not None and bt.auc >= LEAK_AUC:
        evidence = {"auc": bt.auc, "definition": m.definition}
        out.append(DataCheck(code="outcome_leak", evidence=evidence))
    return sorted(out, key=lambda c: (c.severity != "warning", CHECK_ORDER.index(c.code)))


def _table_checks(m: Metrics) -> list[DataCheck]:
    """The checks read from the data layer's notes: sources that disagree."""
    out: list[DataCheck] = []
    issues = m.data_quality.issues if m.data_quality is not None else []
    similar = [i for i in issues if i.reason == "similar_levels" and i.evidence.get("pairs")]
    if similar:
        e = similar[0].evidence
        evidence = {
            "column": e["column"],
            "first": e["first"],
            "second": e["second"],
            "columns": len(similar),
            "pairs": sum(int(i.evidence["pairs"]) for i in similar),
        }
        out.append(DataCheck(code="similar_levels", severity="info", evidence=evidence))
    for issue in issues:
        e = issue.evidence
        if issue.reason == "duplicate_row" and e.get("rows"):
            if issue.count >= DISAGREE_MIN and issue.count / e["rows"] >= DUPLICATE_SHARE:
                evidence = {"table": issue.table, "count": issue.count, "rows": e["rows"]}
                out.append(DataCheck(code="duplicate_rows", evidence=evidence))
            continue
        if m.definition != "contract":  # a flag vs "90 days without a purchase" differ by design
            continue
        if issue.reason == "stated_churn_disagrees_with_dates" and e.get("customers"):
            if issue.count >= DISAGREE_MIN and issue.count / e["customers"] >= DISAGREE_SHARE:
                out.append(DataCheck(code="tables_disagree", evidence=e | {"differ": issue.count}))
        elif issue.reason == "event_for_active_customer" and e.get("customers_with_event"):
            if e["active"] >= DISAGREE_MIN and (
                e["active"] / e["customers_with_event"] >= EVENTS_ACTIVE_SHARE
            ):
                out.append(DataCheck(code="events_disagree", evidence=e))
        elif issue.reason == "overlapping_subscriptions" and e.get("active"):
            if issue.count / e["active"] >= OVERLAP_SHARE:
                # a base plan and an add-on are normal; three or more at once on average are not
                stacked = e["subscriptions"] / issue.count >= STACKED_SUBSCRIPTIONS
                out.append(
                    DataCheck(
                        code="overlapping_subscriptions",
                        severity="warning" if stacked else "info",
                        evidence=e | {"customers": issue.count},
                    )
                )
    return out
