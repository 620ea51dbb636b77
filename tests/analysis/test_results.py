"""Typed chapter results: the shipped schema, findings that cannot hold a missing number."""

from __future__ import annotations

import datetime as dt
import json
from importlib.resources import files

import pydantic
import pytest

from churnreport.analysis.results import (
    CostFinding,
    DriverEffect,
    DriverFinding,
    IndicatorResult,
    metrics_schema,
)


def test_shipped_schema_is_the_models_schema():
    """src/churnreport/metrics.schema.json is regenerated when a model changes:
    python -c "import json; from churnreport.analysis.results import metrics_schema;
    print(json.dumps(metrics_schema(), indent=1, ensure_ascii=False))" >
    src/churnreport/metrics.schema.json"""
    shipped = json.loads(files("churnreport").joinpath("metrics.schema.json").read_text("utf-8"))
    assert shipped == metrics_schema()
    assert shipped["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_a_finding_without_its_number_cannot_be_made():
    with pytest.raises(pydantic.ValidationError):
        CostFinding(period="2024-12", lost=3, revenue=float("nan"), profit=1.0)
    with pytest.raises(pydantic.ValidationError):
        CostFinding(period="2024-12", lost=3, revenue=None, profit=1.0)
    effect = DriverEffect(
        driver="plan", level="basic", reference="premium", unit="level", effect=1.5,
        ci_low=float("nan"), ci_high=2.0, p_value=0.01, p_adjusted=0.02,
        kind="odds_ratio", direction="raises", significant=True,
    )  # fmt: skip
    assert effect.ci_low is None  # a row of a table may lack its interval ...
    with pytest.raises(pydantic.ValidationError):
        DriverFinding(effect=effect)  # ... a finding may not


def _period(label: str, start: int, churned: int, **kw) -> dict:
    rate = churned / start if start else None
    return {
        "period": label,
        "period_start": dt.date(2024, int(label[-2:]), 1),
        "period_end": dt.date(2024, int(label[-2:]), 28),
        "start_customers": start,
        "new": 10,
        "reactivated": 0,
        "new_and_lost": 0,
        "churned": churned,
        "end_customers": start - churned + 10,
        "churn_rate": rate,
        "ci_low": None,
        "ci_high": None,
        "retention_rate": None if rate is None else 1 - rate,
        "annualised_churn_rate": None,
        **kw,
    }


def _result(periods: list[dict], definition: str = "contract") -> IndicatorResult:
    last = periods[-1]
    return IndicatorResult(
        period_kind="month",
        definition=definition,
        overall={
            "period": last["period"],
            "customers": last["start_customers"],
            "churned": last["churned"],
            "churn_rate": last["churn_rate"],
            "ci_low": 0.01,
            "ci_high": 0.2,
            "retention_rate": last["retention_rate"],
            "basis": "start_set",
        },
        periods=periods,
        survival={
            "median_lifetime_months": None,
            "rmst_months": 3.0,
            "horizon_months": 4.0,
            "customers": 100,
            "churned": 10,
        },  # fmt: skip
    )


def test_kpis_and_flags_from_a_hand_computed_history():
    # 100 at the start of Sep, 5 lost; 110 in Oct, 11 lost (10%): +5 points, tested significant
    p = [
        _period("2024-08", 90, 3),
        _period("2024-09", 100, 5),
        _period("2024-10", 110, 11, change_vs_previous=0.05, significant_vs_previous=True),
    ]
    r = _result(p)
    assert r.has_trend and not r.is_snapshot and not r.has_revenue and r.year_lag == 12
    kpis = {k.name: k for k in r.kpis()}
    assert list(kpis) == ["churn_rate", "retention_rate", "churned", "customers"]
    assert kpis["churn_rate"].value == pytest.approx(0.1)
    change = kpis["churn_rate"].changes["previous"]
    assert (change.period, change.change, change.significant) == ("2024-09", 0.05, True)
    assert kpis["retention_rate"].changes["previous"].change == pytest.approx(-0.05)
    assert kpis["churned"].changes["previous"].change == pytest.approx(11 / 5 - 1)
    assert "year_ago" not in kpis["churn_rate"].changes  # no period a year earlier
    assert [f.kind for f in r.findings()] == ["lost"]
    assert not _result(p[-2:]).has_trend  # two periods are no trend


def test_nobody_at_the_start_gives_no_rate_card_and_says_so():
    r = _result([_period("2024-10", 0, 0)])
    assert [k.name for k in r.kpis()] == ["churned", "customers"]
    assert [f.kind for f in r.findings()] == ["no_start"]


def test_gross_revenue_retention_from_a_hand_computed_bridge():
    # start 1,000 of MRR; 100 churned and 50 contracted: gross revenue churn 15%, GRR 85%;
    # the month before: 50 churned of 800, GRR 93.75%, so -8.75 points
    rev = {"expansion": 0.0, "new_revenue": 0.0, "reactivation_revenue": 0.0}
    p = [
        _period("2024-09", 100, 5, start_revenue=800.0, churned_revenue=50.0,
                contraction=0.0, gross_revenue_churn=50 / 800, **rev),
        _period("2024-10", 110, 11, start_revenue=1000.0, churned_revenue=100.0,
                contraction=50.0, gross_revenue_churn=0.15, **rev),
    ]  # fmt: skip
    r = _result(p)
    assert r.last.grr == pytest.approx(0.85)
    grr = next(k for k in r.kpis() if k.name == "grr")
    assert grr.value == pytest.approx(0.85) and grr.on_chapter and grr.on_summary
    assert grr.changes["previous"].change == pytest.approx(0.85 - 0.9375)
    dumped = json.loads(r.model_dump_json())
    assert dumped["periods"][-1]["grr"] == pytest.approx(0.85)  # written to metrics.json
    assert IndicatorResult.model_validate(dumped) == r  # and recomputed when read back
    snapshot = _result([p[-1]], definition="snapshot")  # a snapshot's revenue has no period
    assert "grr" not in [k.name for k in snapshot.kpis()]


def test_the_biggest_cause_is_a_finding_without_a_controllable_share():
    from churnreport.analysis.results import CauseResult

    r = CauseResult(
        definition="contract",
        reason_categories=[
            {
                "category": "involuntary",
                "group": "involuntary",
                "churned": 9,
                "share": 0.9,
                "cumulative_share": 0.9,
            },
            {
                "category": "not_stated",
                "group": "not_stated",
                "churned": 1,
                "share": 0.1,
                "cumulative_share": 1.0,
            },
        ],  # fmt: skip
        controllable_share=float("nan"),  # every stated reason involuntary: no share
    )
    (f,) = r.findings()
    assert (f.kind, f.category, f.share, f.controllable) == ("cause", "involuntary", 0.9, None)


def test_infinity_is_no_number_in_a_result():
    from churnreport.analysis.results import StaffTurnover

    s = StaffTurnover(
        after_rate=0.04, after_ci_low=0.03, after_ci_high=0.05, after_months=10,
        after_churned=1, other_rate=float("nan"), other_ci_low=None, other_ci_high=None,
        other_months=0, other_churned=0, rate_ratio=float("inf"), ratio_ci_low=None,
        ratio_ci_high=None,
    )  # fmt: skip
    assert s.other_rate is None and s.rate_ratio is None


def _effect(driver: str, effect: float, direction: str, **kw) -> dict:
    return {
        "driver": driver, "unit": kw.get("unit", "binary"), "level": kw.get("level", ""),
        "reference": kw.get("reference", ""), "effect": effect, "ci_low": effect * 0.9,
        "ci_high": effect * 1.1, "p_value": 0.001, "p_adjusted": 0.002, "kind": "odds_ratio",
        "direction": direction, "significant": kw.get("significant", True),
    }  # fmt: skip


def test_the_driver_finding_is_the_strongest_in_either_direction_never_an_artefact():
    from churnreport.analysis.results import CauseResult

    drivers = [
        _effect("new_customer", 0.02, "lowers"),  # forced by a 90-day inactivity window
        _effect("monthly_revenue", 1.5, "raises", unit="per_sd"),  # what they pay: no cause
        _effect("plan", 0.27, "lowers", unit="level", level="Two year", reference="Monthly"),
        _effect("complaint_90d", 2.2, "raises"),
        _effect("region", 3.0, "raises", significant=False),
    ]
    dated = CauseResult(definition="inactivity", drivers=drivers)
    assert dated.top_driver().driver == "plan"  # protective, and the strongest citable
    assert [a.cause for a in dated.action_causes()] == ["service"]  # drivers that raise churn
    assert dated.action_causes()[0].driver.driver == "complaint_90d"  # named with its figure
    contract = CauseResult(definition="contract", drivers=drivers)
    assert contract.top_driver().driver == "new_customer"  # not forced by a contract end


def test_snapshot_findings_name_no_period_and_a_miscalibrated_model_says_so():
    from churnreport.analysis.results import LostFinding, RiskFinding
    from churnreport.report.blocks import finding_sentence
    from churnreport.report.text import Text

    en = Text("en")
    lost = LostFinding(period="2024-06", lost=1869, customers=7043, rate=0.2654, snapshot=True)
    assert finding_sentence(lost, en, {}) == (
        "1,869 of the 7,043 customers in the export had churned (churn rate 26.5%)."
    )
    risk = RiskFinding(
        expected=275.0, scored=13459, horizon_end=dt.date(2025, 1, 31), calibration_ratio=1.24
    )
    sentence = finding_sentence(risk, en, {})
    assert "by 31 Jan 2025" in sentence
    assert sentence.endswith(
        "predicted 1.24 times the churn that happened: about 222 if that holds."
    )
    now = RiskFinding(expected=896.0, scored=5174, horizon_end=dt.date(2024, 6, 30), snapshot=True)
    assert "2024" not in finding_sentence(now, en, {})  # current risk: no horizon date
    zh = finding_sentence(lost, Text("zh"), {})
    assert "2024" not in zh and "7,043" in zh


def test_data_checks_of_a_period_without_churn_and_an_implausible_lifetime():
    from churnreport.analysis.checks import data_checks
    from churnreport.analysis.results import Metrics
    from churnreport.report.blocks import check_sentence
    from churnreport.report.text import Text

    # 8 of 400 left in Nov (2%): about 9.5 of 475 were expected to leave in Dec, none did
    p = [_period("2024-11", 400, 8), _period("2024-12", 475, 0)]
    value = {
        "period": "2024-12", "customers": 475, "churned": 0, "churn_rate": 0.0, "arpa": 2000.0,
        "revenue_lost": 0.0, "revenue_lost_per_customer": None, "profit_lost": 0.0, "margin": 0.1,
        "annual_churn_rate": 0.0094, "expected_lifetime_years": 106.0, "clv_arpa_method": 2.5e6,
    }  # fmt: skip
    ind = IndicatorResult.model_validate(_result(p).model_dump() | {"value": value})
    m = Metrics(run_id="r", as_of="2024-12-31", period="month", definition="contract",
                language="en", indicators=ind)  # fmt: skip
    checks = data_checks(m)
    assert [c.code for c in checks] == ["no_churn_in_period", "long_lifetime"]
    text = [check_sentence(c, Text("en")) for c in checks]
    assert text[0].startswith("475 customers were active at the start of Dec 2024 and none")
    assert "106 years" in text[1]
    quiet = _result([_period("2024-11", 40, 1), _period("2024-12", 45, 0)])  # 1.1 expected
    assert data_checks(m.model_copy(update={"indicators": quiet})) == []
    clean = _result([_period("2024-11", 400, 2), _period("2024-12", 475, 5)])
    assert data_checks(m.model_copy(update={"indicators": clean})) == []


def test_data_checks_of_sources_that_disagree():
    from churnreport.analysis.checks import data_checks
    from churnreport.analysis.results import Metrics
    from churnreport.report.blocks import check_sentence
    from churnreport.report.text import Text

    def issue(reason, count, **evidence):
        return {"table": "customers", "action": "note", "reason": reason, "count": count,
                "evidence": evidence}  # fmt: skip

    issues = [
        issue("stated_churn_disagrees_with_dates", 110, column="churn_flag", customers=500,
              flag_churned=110, dates_churned=0),
        issue("event_for_active_customer", 352, customers_with_event=352, active=352),
        issue("overlapping_subscriptions", 500, active=500, subscriptions=4514, most=18,
              mrr=10159608.0),
    ]  # fmt: skip
    m = Metrics(run_id="r", as_of="2024-12-31", period="month", definition="contract",
                language="en", data_quality={"tables": [], "issues": issues})  # fmt: skip
    checks = data_checks(m)
    assert [c.code for c in checks] == [
        "tables_disagree", "events_disagree", "overlapping_subscriptions"
    ]  # fmt: skip
    en = [check_sentence(c, Text("en", currency="USD")) for c in checks]
    assert en[0].startswith(
        "The customers table's churn_flag marks 110 of 500 customers as churned; by their "
        "subscription dates 0 have churned, so the two disagree for 110 customers."
    )
    assert en[1].startswith("All 352 customers with a churn event are active")
    assert (
        "500 of the 500 active customers hold several subscriptions at once (up to 18), "
        "summed to a monthly recurring revenue of USD 10.16M" in en[2]
    )
    zh = [check_sentence(c, Text("zh", currency="USD")) for c in checks]
    assert all("{" not in t for t in zh)
    # a few reactivations, a few add-ons: no question
    few = [
        issue("stated_churn_disagrees_with_dates", 4, column="churned", customers=500,
              flag_churned=30, dates_churned=26),
        issue("event_for_active_customer", 5, customers_with_event=100, active=5),
        issue("overlapping_subscriptions", 20, active=500, subscriptions=40, most=2),
    ]  # fmt: skip
    m = Metrics.model_validate(m.model_dump() | {"data_quality": {"tables": [], "issues": few}})
    assert data_checks(m) == []
    # add-ons (two at once on average) are a note; a flag under inactivity is no disagreement
    addons = issue("overlapping_subscriptions", 200, active=500, subscriptions=400, most=2)
    m = Metrics.model_validate(
        m.model_dump() | {"data_quality": {"tables": [], "issues": [addons]}}
    )
    assert [(c.code, c.severity) for c in data_checks(m)] == [("overlapping_subscriptions", "info")]
    lapsed = Metrics.model_validate(
        m.model_dump()
        | {"definition": "inactivity", "data_quality": {"tables": [], "issues": issues}}
    )
    assert data_checks(lapsed) == []
    doubled = {"table": "subscriptions", "action": "excluded", "reason": "duplicate_row",
               "count": 40, "evidence": {"rows": 2000}}  # fmt: skip
    m = Metrics.model_validate(
        m.model_dump() | {"data_quality": {"tables": [], "issues": [doubled]}}
    )
    (check,) = data_checks(m)
    assert check_sentence(check, Text("en")).startswith(
        "40 of the 2,000 rows of the subscriptions table repeat another row exactly"
    )


def test_a_column_that_records_the_outcome_is_named_on_the_summary():
    from churnreport.analysis.checks import data_checks
    from churnreport.analysis.results import CauseResult, Metrics
    from churnreport.report.blocks import check_sentence
    from churnreport.report.text import Text

    left = {"driver": "status", "code": "outcome_like", "params": {"auc": 0.995}, "reason": ""}
    causes = CauseResult(
        definition="snapshot",
        drivers_model={"kind": "odds_ratio", "rows": 4000, "events": 600, "dropped": [left]},
    )
    m = Metrics(run_id="r", as_of="2024-06-30", period="month", definition="snapshot",
                language="en", causes=causes)  # fmt: skip
    (check,) = data_checks(m)
    assert check.code == "outcome_column"
    assert check_sentence(check, Text("en")).startswith(
        "status separates the churned from the staying customers almost perfectly on its own "
        "(AUC 0.995)"
    )


def test_a_reversed_effect_is_no_headline_and_an_uncovered_factor_gets_an_action():
    from churnreport.analysis.results import CauseResult, DriverEffect, Metrics
    from churnreport.report.summary_view import action_sentence, recommended_actions
    from churnreport.report.text import Text

    base = dict(unit="level", reference="Laptop", kind="odds_ratio", p_value=1e-9,
                p_adjusted=1e-8, significant=True, direction="raises")  # fmt: skip
    reversed_ = DriverEffect(driver="OrderCat", level="Others", effect=15.1, ci_low=7.4,
                             ci_high=30.5, raw_direction="lowers", **base)  # fmt: skip
    complain = DriverEffect(driver="Complain", unit="binary", kind="odds_ratio", effect=5.77,
                            ci_low=4.8, ci_high=6.9, p_value=1e-9, p_adjusted=1e-8,
                            significant=True, direction="raises", raw_direction="raises")  # fmt: skip
    causes = CauseResult(definition="snapshot", drivers=[reversed_, complain])
    assert causes.citable_drivers() == [complain]
    m = Metrics(run_id="r", as_of="2024-06-30", period="month", definition="snapshot",
                language="en", causes=causes)  # fmt: skip
    (action,) = recommended_actions(m)
    assert action.kind == "target" and action.driver == complain
    assert action_sentence(action, Text("en")).endswith("Behind it: Complain, odds ratio 5.77.")


def test_the_call_list_action_names_the_file_that_holds_the_whole_top_tenth():
    # at_risk.xlsx holds the first early_warning.workbook_rows of the list; a top tenth of
    # 3,000,000 scored customers (300,000) is longer than 100,000: only the CSV holds it
    from churnreport.analysis.results import EarlyWarningResult, Metrics, Risk
    from churnreport.report.summary_view import build_summary
    from churnreport.report.text import Text

    def said(scored, rows, language="en"):
        risk = Risk(available=True, scored_customers=scored, priority_customers=4_321)
        m = Metrics(run_id="r", as_of="2024-12-31", period="month", definition="contract",
                    language=language, early_warning=EarlyWarningResult(risk=risk))  # fmt: skip
        (sentence,) = build_summary(m, Text(language), {}, workbook_rows=rows).action_text
        return sentence

    assert said(3_000_000, 100_000) == (
        "Call first the 4,321 important and major customers in the top tenth of the at-risk "
        "list (at_risk.csv)."
    )
    assert said(1_000_000, 100_000).endswith("(at_risk.xlsx).")  # exactly the top tenth
    assert said(3_000_000, None).endswith("(at_risk.xlsx).")
    assert "（at_risk.csv）" in said(3_000_000, 100_000, "zh")


def test_a_money_column_under_its_own_name_is_never_cited():
    from churnreport.analysis.results import CauseResult, DriverEffect

    e = dict(kind="odds_ratio", p_value=1e-9, p_adjusted=1e-8, significant=True,
             direction="raises", raw_direction="raises", ci_low=1.1, ci_high=1.3, effect=1.2)  # fmt: skip
    balance = DriverEffect(driver="Balance", unit="per_sd", **e)
    method = DriverEffect(driver="Payment Method", unit="level", level="Electronic check",
                          reference="Mailed check", **e)  # fmt: skip
    causes = CauseResult(definition="snapshot", drivers=[balance, method])
    assert causes.citable_drivers() == [method]  # a method is a choice, a balance is money


def test_no_contact_action_for_a_snapshot_or_a_year():
    from churnreport.analysis.results import Metrics
    from churnreport.report.summary_view import recommended_actions

    def actions(result):
        m = Metrics(run_id="r", as_of="2024-12-31", period="month", definition="contract",
                    language="en", indicators=result)  # fmt: skip
        return [a.kind for a in recommended_actions(m)]

    p = [_period("2024-11", 400, 8), _period("2024-12", 475, 5)]
    assert actions(_result(p)) == ["contact_lost"]
    assert actions(_result(p[-1:], definition="snapshot")) == []
    yearly = IndicatorResult.model_validate(_result(p).model_dump() | {"period_kind": "year"})
    assert actions(yearly) == []


def test_similar_spellings_are_one_info_check():
    from churnreport.analysis.checks import data_checks
    from churnreport.analysis.results import Metrics
    from churnreport.report.blocks import check_sentence
    from churnreport.report.text import Text

    def issue(column, first, second, pairs):
        return {"table": "customers", "column": column, "action": "note",
                "reason": "similar_levels", "count": 10,
                "evidence": {"column": column, "first": first, "second": second,
                             "pairs": pairs}}  # fmt: skip

    issues = [issue("Pay", "CC", "Credit Card", 2), issue("Device", "Phone", "Mobile Phone", 1)]
    m = Metrics(run_id="r", as_of="2024-12-31", period="month", definition="snapshot",
                language="en", data_quality={"tables": [], "issues": issues})  # fmt: skip
    (check,) = data_checks(m)
    assert check.code == "similar_levels" and check.severity == "info"
    assert check.evidence == {"column": "Pay", "first": "CC", "second": "Credit Card",
                              "columns": 2, "pairs": 3}  # fmt: skip
    en = check_sentence(check, Text("en"))
    assert en.startswith('Some values may be one thing written two ways, such as Pay "CC" and '
                         '"Credit Card" (and 2 more, listed under data quality)')  # fmt: skip
    one = m.model_copy(update={"data_quality": m.data_quality.model_copy(
        update={"issues": m.data_quality.issues[1:]})})  # fmt: skip
    assert check_sentence(data_checks(one)[0], Text("en")).startswith(
        'Device has two values that may be one thing written two ways, "Phone" and "Mobile Phone"'
    )
    assert "{" not in check_sentence(check, Text("zh"))
