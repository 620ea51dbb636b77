"""Churn-risk model: metrics by hand, the backtest design, reason codes, planted effects."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from churnreport.analysis.early_warning import early_warning_chapter
from churnreport.analysis.risk import (
    choose_model,
    evaluate,
    fit_design,
    fit_final,
    forecast_check,
    reason_codes,
    run_backtest,
    snapshot_dates,
)
from churnreport.config import load_config
from tests.conftest import EXAMPLES, SAMPLE, spells


def test_evaluate_hand_computed():
    y = np.array([1, 0, 1, 0, 0, 0, 0, 0, 0, 0])
    p = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05])
    r = evaluate(y, p)
    # positives ranked 1st and 3rd: of 2 x 8 pairs, only (0.7 < 0.8) is misordered -> 15/16
    assert r["auc"] == pytest.approx(15 / 16)
    # average precision: precision at each positive = 1/1 and 2/3 -> (1 + 2/3) / 2
    assert r["pr_auc"] == pytest.approx((1 + 2 / 3) / 2)
    # riskiest 10% = one customer, who left: rate 1 / base 0.2 = 5
    assert r["top_decile_lift"] == pytest.approx(5.0)
    assert r["brier"] == pytest.approx(np.mean((p - y) ** 2))
    assert r["calibration_ratio"] == pytest.approx(p.mean() / 0.2)
    assert sum(b["n"] for b in r["calibration"]) == 10


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.floats(0, 1)), min_size=2, max_size=200))
def test_evaluate_invariants(rows):
    y = np.array([int(a) for a, _ in rows])
    p = np.array([b for _, b in rows])
    r = evaluate(y, p)
    assert 0 <= r["brier"] <= 1
    if r["auc"] is not None:
        assert 0 <= r["auc"] <= 1 and 0 <= r["pr_auc"] <= 1
    if r["top_decile_lift"] is not None:
        assert 0 <= r["top_decile_lift"] <= 1 / r["base_rate"] + 1e-9
    assert sum(b["n"] for b in r["calibration"]) == len(y)


def test_design_is_fitted_on_training_rows_only():
    train = pd.DataFrame({"x": [1.0, 2.0, np.nan, 3.0], "plan": ["a", "a", "b", None]})
    d = fit_design(train)
    assert d.medians["x"] == 2.0 and d.levels["plan"][0] == "a"
    later = pd.DataFrame({"x": [np.nan], "plan": ["brand new plan"]})
    X = d.transform(later)
    # missing -> training median; an unseen level is no known level (all dummies 0)
    assert X[0, 0] == pytest.approx((2.0 - d.centre["x"]) / d.scale["x"])
    assert X[0, 1:].tolist() == [0.0] * (len(d.levels["plan"]) - 1)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.floats(0, 1e4)),
            st.sampled_from(["a", "b", "c", None]),
            st.booleans(),
        ),
        min_size=4,
        max_size=60,
    ),
    st.integers(0, 2**32 - 1),
)
def test_design_of_picked_rows_is_the_design_of_a_copy_of_them(rows, seed):
    panel = pd.DataFrame(
        {
            "spend": [a for a, _, _ in rows],
            "plan": pd.Series([b for _, b, _ in rows], dtype="string"),
            "_y": [int(c) for _, _, c in rows],
            "_date": pd.Timestamp("2024-01-31"),
        },
        index=[f"c{i}" for i in range(len(rows))],
    )
    rng = np.random.default_rng(seed)
    mask = rng.random(len(panel)) < 0.7
    positions = np.flatnonzero(~mask)
    for picked in (mask, positions):
        copy = panel.drop(columns=["_y", "_date"]).iloc[picked]
        # the label and the date are no features; the picked rows alone fit the design
        assert fit_design(panel, picked) == fit_design(copy)
        d = fit_design(panel.drop(columns=["_y", "_date"]))
        np.testing.assert_array_equal(d.transform(panel, picked), d.transform(copy))
        assert d.transform(panel, picked).shape == (len(copy), d.columns_count())


def test_model_choice_auc_unless_poorly_calibrated():
    def r(auc, ratio):
        return {"auc": auc, "calibration_ratio": ratio}

    assert choose_model({"logistic": r(0.70, 1.0), "gradient_boosting": r(0.72, 1.1)}) == (
        "gradient_boosting",
        "auc",
    )
    assert choose_model({"logistic": r(0.70, 1.0), "gradient_boosting": r(0.72, 2.0)}) == (
        "logistic",
        "calibration",
    )


def test_snapshot_dates_have_a_complete_horizon():
    pairs = snapshot_dates(dt.date(2024, 12, 31), "month", dt.date(2024, 1, 1), 3)
    assert pairs == [
        (dt.date(2024, 9, 30), dt.date(2024, 10, 31)),
        (dt.date(2024, 10, 31), dt.date(2024, 11, 30)),
        (dt.date(2024, 11, 30), dt.date(2024, 12, 31)),
    ]


def _planted(n=6000, seed=0, dates=6):
    """A panel where complaints multiply the odds of leaving by 5 and tenure is null."""
    rng = np.random.default_rng(seed)
    parts = []
    for k in range(dates):
        complaints = rng.poisson(0.3, n)
        tenure = rng.uniform(0, 60, n)
        plan = rng.choice(["basic", "premium"], n)
        logit = -3.2 + np.log(5) * (complaints > 0) + 0.0 * tenure
        y = rng.random(n) < 1 / (1 + np.exp(-logit))
        parts.append(
            pd.DataFrame(
                {
                    "complaints_window": complaints,
                    "tenure_months": tenure,
                    "plan": plan,
                    "_date": pd.Timestamp("2024-01-31") + pd.offsets.MonthEnd(k),
                    "_y": y.astype(int),
                },
                index=pd.Index([f"c{k}_{i}" for i in range(n)], name="customer_id"),
            )
        )
    return pd.concat(parts)


def test_backtest_is_a_time_split_and_finds_the_planted_signal():
    panel = _planted()
    bt = run_backtest(panel, test_snapshots=2, snapshot=False)
    assert bt.method == "time_split"
    assert bt.train_until < bt.test_from
    assert bt.test_rows == 2 * 6000 and bt.train_rows == 4 * 6000
    for r in bt.results.values():
        assert r["auc"] > 0.65 and r["top_decile_lift"] > 2
        assert 0.67 < r["calibration_ratio"] < 1.5


def test_reason_codes_name_the_planted_factor():
    panel = _planted(dates=2)
    model = fit_final(panel, "logistic")
    rows = pd.DataFrame(
        {"complaints_window": [3, 0], "tenure_months": [30.0, 30.0], "plan": ["basic", "basic"]},
        index=pd.Index(["angry", "calm"], name="customer_id"),
    )
    codes = reason_codes(model, rows)
    top = codes[codes["rank"] == 1].set_index("customer_id")
    assert top.loc["angry", "feature"] == "complaints_window"
    assert top.loc["angry", "value"] == 3 and top.loc["angry", "typical"] == 0
    assert "calm" not in top.index or top.loc["calm", "contribution"] < 0.01


@pytest.mark.parametrize("kind", ["logistic", "gradient_boosting"])
def test_reason_codes_are_the_fall_when_one_feature_alone_is_set_to_typical(kind):
    """The contributions equal the definition computed the slow way: each feature of the raw
    rows set to its typical value (missing values and unseen levels included), rescored."""
    panel = _planted(dates=2)
    panel["region"] = np.random.default_rng(3).choice(["n", "s", "e", None], len(panel))
    model = fit_final(panel, kind)
    rows = panel.drop(columns=["_y", "_date"]).iloc[:400].copy()
    rows.iloc[:5, rows.columns.get_loc("tenure_months")] = np.nan  # missing = the median
    rows.iloc[5:10, rows.columns.get_loc("region")] = "west"  # an unseen level
    codes = reason_codes(model, rows, top=10)
    base, typical = model.predict(rows), model.design.typical()
    for f in model.design.features:
        alt = rows.copy()
        alt[f] = typical[f]
        expected = pd.Series(base - model.predict(alt), index=rows.index)
        expected = expected[expected > 0.001]
        got = codes[codes["feature"] == f].set_index("customer_id")["contribution"]
        assert sorted(got.index) == sorted(expected.index), f
        np.testing.assert_allclose(got.reindex(expected.index), expected, rtol=1e-9, atol=1e-12)
    # the scores the chapter already has are the base: the same codes
    pd.testing.assert_frame_equal(reason_codes(model, rows, top=10, scores=base), codes)


def test_reason_codes_name_only_significant_raising_factors_and_never_value():
    """Planted: complaints raise churn; tenure, plan and mrr are noise. With the training
    evidence a reason is only a factor the data support in its raising direction."""
    from churnreport.analysis.risk import feature_evidence

    panel = _planted(dates=2)
    rng = np.random.default_rng(9)
    panel["mrr"] = rng.gamma(2.0, 50.0, len(panel)) * (1 + 0.5 * panel["_y"])  # payers leave
    evidence = feature_evidence(panel)
    assert evidence["complaints_window"]["significant"] and evidence["complaints_window"]["rho"] > 0
    assert not evidence["plan"]["significant"] and not evidence["tenure_months"]["significant"]
    assert set(evidence["plan"]["rates"]) == {"basic", "premium"}
    model = fit_final(panel, "logistic")
    rows = pd.DataFrame(
        {"complaints_window": [3, 0, 0], "tenure_months": [30.0, 1.0, 59.0],
         "plan": ["premium", "premium", "basic"], "mrr": [900.0, 900.0, 10.0]},
        index=pd.Index(["angry", "rich", "calm"], name="customer_id"),
    )  # fmt: skip
    codes = reason_codes(model, rows, evidence=evidence)
    assert set(codes["feature"]) <= {"complaints_window"}  # never mrr, noise or a lower value
    assert codes.set_index("customer_id").loc["angry", "feature"] == "complaints_window"
    unchecked = reason_codes(model, rows)
    assert "mrr" not in set(unchecked["feature"])  # value is never a reason, evidence or not


_ODD_VALUES = st.sampled_from(
    [0, 1, 1.0, 2.5, -3.0, float("nan"), None, pd.NA, True, "7", "x", "basic", "premium"]
    + ["(missing)", "True"]
)


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(_ODD_VALUES, max_size=12),
    typical=_ODD_VALUES,
    rho=st.sampled_from([-0.4, 0.0, 0.3]),
    significant=st.booleans(),
)
def test_the_backed_mask_is_the_evidence_rule_row_by_row(values, typical, rho, significant):
    # reason codes predict only the rows a reason could come from: the mask must be the
    # per-row rule (_raises) exactly, for numbers and for levels, whatever the cell holds
    from churnreport.analysis.risk import _backed, _raises

    cells = np.array(values, dtype=object)
    numeric = {"significant": significant, "rho": rho}
    levels = {
        "significant": significant,
        "rates": {"basic": 0.1, "premium": 0.3, "(missing)": 0.2, "7": 0.05, "True": 0.4, "1": 0.0},
    }
    columns = [pd.Series(cells, dtype=object)]
    # the columns a feature frame holds: numbers, Arrow text, flags
    for kind, dtype in ((float, "float64"), (str, "string[pyarrow]"), (bool, "bool")):
        if values and all(type(v) is kind for v in values):
            columns.append(pd.Series(values, dtype=dtype))
    for evidence in (numeric, levels, None):
        expected = [_raises(evidence, v, typical) for v in cells]
        for column in columns:
            assert _backed(evidence, column, typical).tolist() == expected, column.dtype


def test_forecast_check_scores_an_earlier_list():
    sp = spells(
        ("a", "2024-01-01", "2024-07-10"),
        ("b", "2024-01-01", None),
        ("c", "2024-01-01", "2024-08-20"),
        ("d", "2024-01-01", None),
    )
    prev = pd.DataFrame(
        {"customer_id": ["a", "b", "c", "d", "gone"], "probability": [0.9, 0.1, 0.2, 0.3, 0.5]}
    )
    c = forecast_check(prev, sp, dt.date(2024, 6, 30), dt.date(2024, 7, 31))
    assert (c["scored"], c["matched"], c["left"]) == (5, 4, 1)
    assert c["predicted"] == pytest.approx(1.5)
    assert c["auc"] == 1.0


@pytest.fixture(scope="module")
def sample_chapter(sample_dataset):
    cfg = load_config(SAMPLE / "report.yml")
    ds = sample_dataset
    ch = early_warning_chapter(
        ds.spells,
        ds.customers,
        period=cfg.period,
        as_of=ds.as_of,
        definition=ds.definition,
        tables=ds.tables,
        attributes=cfg.driver_attributes(),
    )
    return ds, ch


def test_sample_backtest_is_reported(sample_chapter):
    _, ch = sample_chapter
    bt = ch.backtest
    assert bt.method == "time_split" and bt.test_from == dt.date(2024, 9, 30)
    best = bt.results[bt.chosen]
    assert best["auc"] > 0.58 and best["top_decile_lift"] > 1.7
    m = ch.result().risk.model_dump(mode="json")
    assert m["backtest"]["auc"] == best["auc"] and m["scored_customers"] == len(ch.at_risk)
    assert m["expected_loss_total"] == pytest.approx(
        (ch.at_risk["probability"] * ch.at_risk["value"]).sum()
    )


def test_sample_planted_high_risk_groups_dominate_the_top_of_the_list(sample_chapter):
    ds, ch = sample_chapter
    from churnreport.analysis.features import snapshot_features

    f = snapshot_features(
        ds.spells, ds.customers, ds.as_of, tables=ds.tables, attributes=["customer_type", "age"]
    )
    planted = (
        (f["complaints_window"] > 0)
        | (f["slow_responses_window"] > 0)
        | (f["tenure_months"] < 3)
        | (f["age"] < 30)
    ) & (f["customer_type"] != "intermediate")
    by_risk = ch.at_risk.sort_values("probability", ascending=False)["customer_id"]
    top = by_risk.head(len(by_risk) // 10)
    share_top = planted.reindex(top).mean()
    assert share_top > 0.8 and share_top > 2 * planted.mean()
    # expected loss = probability x value, and the list is ordered by it
    assert ch.at_risk["expected_loss"].is_monotonic_decreasing


def test_sample_tiers_follow_the_configured_shares(sample_chapter):
    _, ch = sample_chapter
    grid = ch.tiers_at_risk.set_index("tier")
    n = grid["customers"].sum()
    assert n == len(ch.at_risk)
    assert grid.loc["important", "customers"] == pytest.approx(0.05 * n, abs=30)

    assert grid["expected_loss"].sum() == pytest.approx(ch.at_risk["expected_loss"].sum())


def test_snapshot_data_fall_back_to_cross_validation_and_still_list(shared_data, example_dataset):
    cfg = load_config(EXAMPLES / "telco_ibm.yml")
    ds = example_dataset("telco_ibm")
    ch = early_warning_chapter(
        ds.spells, ds.customers, period=cfg.period, as_of=ds.as_of, definition="snapshot",
        attributes=cfg.driver_attributes(), tables=ds.tables,
    )  # fmt: skip
    assert ch.backtest.method == "cross_validation"
    assert ch.backtest.why_no_time_split == "snapshot"
    assert ch.result().risk.model_dump(mode="json")["backtest"]["train_until"] is None
    assert len(ch.at_risk) == (~ds.customers["churned"]).sum() == 7043 - 1869
    assert ch.backtest.results[ch.backtest.chosen]["auc"] > 0.75


def test_a_large_training_table_is_a_sample_of_whole_customers_and_everyone_is_scored(
    monkeypatch, sample_chapter
):
    import churnreport.analysis.early_warning as ew
    from churnreport.report.text import Text
    from churnreport.report.warning_view import backtest_html

    ds, full = sample_chapter
    full_rows = full.backtest.train_rows + full.backtest.test_rows
    assert full.training_sample is None
    monkeypatch.setattr(ew, "MAX_TRAINING_ROWS", full_rows // 3)
    cfg = load_config(SAMPLE / "report.yml")
    ch = ew.early_warning_chapter(
        ds.spells, ds.customers, period=cfg.period, as_of=ds.as_of, definition=ds.definition,
        tables=ds.tables, attributes=cfg.driver_attributes(),
    )  # fmt: skip
    s = ch.training_sample
    assert s["of_rows"] == full_rows and 0.25 < s["rows"] / full_rows < 0.42
    assert ch.backtest.train_rows + ch.backtest.test_rows == s["rows"]
    # every active customer is still scored, and the model still finds the risk
    assert set(ch.at_risk["customer_id"]) == set(full.at_risk["customer_id"])
    assert ch.backtest.results[ch.backtest.chosen]["auc"] > 0.58
    assert ch.result().risk.model_dump(mode="json")["training_sample"] == s
    html = backtest_html(ch, Text("en")).data
    assert f"({s['customers']:,} of {s['of_customers']:,}," in html


def _why_not(rows: list[tuple[str, str, str | None]]) -> str:
    sp = spells(*rows)
    customers = pd.DataFrame({"customer_id": sorted(set(sp["customer_id"]))})
    customers["start_date"] = customers["customer_id"].map(
        sp.groupby("customer_id")["spell_start"].min()
    )
    return early_warning_chapter(
        sp, customers, period="month", as_of=dt.date(2024, 12, 31), definition="contract"
    ).why_not


def test_no_model_without_both_outcomes_or_without_anyone_to_score():
    # 60 customers staying three weeks each, over 15 months: plenty of leavers in the history
    short = [
        (f"s{i}", str(dt.date(2023, 9, 20) + dt.timedelta(days=7 * i)),
         str(dt.date(2023, 10, 11) + dt.timedelta(days=7 * i)))
        for i in range(60)
    ]  # fmt: skip
    assert _why_not(short) == "nobody_active"  # all gone by the report date
    # two long-lived customers: someone to score, but too few stayers to learn from
    assert _why_not([*short, ("a", "2022-01-01", None), ("b", "2022-01-01", None)]) == (
        "too_few_stayers"
    )
    stayers = [(f"k{i}", "2022-01-01", None) for i in range(10)]
    assert _why_not(stayers) == "too_few_churners"


def test_levels_read_once_per_distinct_value_equal_the_text_of_every_row():
    """A missing value not among the trained levels is "(other)"; unseen levels, numbers,
    booleans, days and equal values written differently keep their text."""
    from churnreport.analysis.risk import _levels

    def by_text(values, known=None):
        x = values.astype("string").fillna("(missing)")
        return x.where(x.isin(known), "(other)") if known is not None else x

    many = pd.Series([f"l{i % 20}" if i % 7 else None for i in range(200)])
    cases = [
        (pd.Series(["a", None, "b"]), ["a", "(other)"]),
        (pd.Series(["a", None, "b"]), ["a", "(missing)"]),
        (many, [f"l{i}" for i in range(12)] + ["(other)"]),
        (pd.Series([1, "1", 1.0, True, None], dtype=object), None),
        (pd.Series(pd.to_datetime(["2024-01-01", None, "2024-02-01"])), None),
        (pd.Series([1.0, np.nan, 2.0]), ["1.0"]),
        (pd.Series([True, False, None], dtype=object), ["True"]),
    ]
    for values, known in cases:
        assert _levels(values, known).tolist() == by_text(values, known).tolist()
