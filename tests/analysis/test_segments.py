"""Segment tables, tests, decomposition and survival by segment."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from churnreport.analysis.segments import (
    MISSING,
    OTHER,
    band_age,
    band_tenure,
    change_decomposition,
    churn_population,
    decompose_change,
    most_common,
    most_counted,
    segment_dimensions,
    segment_table,
    segment_values,
    survival_by_segment,
)
from churnreport.config import load_config
from churnreport.data import load_dataset
from tests.conftest import EXAMPLES


def _frame(groups):
    rows = []
    for level, (n, k) in groups.items():
        rows += [
            {"dim": level, "churned": i < k, "revenue_lost": 120.0 if i < k else 0.0}
            for i in range(n)
        ]
    return pd.DataFrame(rows)


def test_segment_table_hand_computed():
    t = segment_table(_frame({"a": (100, 30), "b": (300, 30), "c": (20, 2)}), "dim")
    tab = t.table.set_index("segment")
    # overall 62 / 420 = 0.147619; a: 0.30, lift 0.30 / 0.147619 = 2.0323
    assert tab.loc["a", "churn_rate"] == pytest.approx(0.30)
    assert tab.loc["a", "lift"] == pytest.approx(0.30 / (62 / 420))
    assert tab.loc["a", "share_of_churn"] == pytest.approx(30 / 62)
    assert tab.loc["a", "revenue_lost"] == pytest.approx(30 * 120)
    assert list(t.table["segment"]) == ["a", "b", "c"]  # by rate: 0.30, 0.10, 0.10 (b larger)
    assert tab.loc["c", "small"] and not tab.loc["b", "small"]
    # chi-square on [[30, 70], [30, 270], [2, 18]]: expected 14.762, 85.238, 44.286, 255.714,
    # 2.952, 17.048; statistic 15.729 + 2.724 + 4.608 + 0.798 + 0.307 + 0.053 = 24.22 on 2 df,
    # p = exp(-24.22 / 2) = 5.5e-6
    assert t.test == "chi-square" and t.p_value == pytest.approx(5.50e-6, rel=0.01)

    # pairwise: only levels with at least 30 customers; a vs b differ clearly
    assert t.pairs[["a", "b"]].values.tolist() == [["a", "b"]]
    assert t.pairs["significant"].all()


def test_fisher_for_small_two_level_tables():
    t = segment_table(_frame({"x": (8, 1), "y": (9, 6)}), "dim")
    assert t.test == "fisher"


def test_bands_and_levels():
    # codes (the report words them: "<3 months", "under 30")
    assert band_tenure(pd.Series([0, 2.9, 3, 11.99, 12, 24, 100, np.nan])).tolist() == [
        "<3",
        "<3",
        "3-11",
        "3-11",
        "12-23",
        "24+",
        "24+",
        "(missing)",
    ]
    assert band_age(pd.Series([18, 29.9, 30, 54, 55, None])).tolist() == [
        "<30",
        "<30",
        "30-54",
        "30-54",
        "55+",
        "(missing)",
    ]
    many = segment_values(pd.Series([f"c{i % 20}" for i in range(200)]), max_levels=5)
    assert many.nunique() == 5 and "(other)" in set(many)
    numeric = segment_values(pd.Series(np.arange(100.0)))
    assert numeric.nunique() == 5


def test_planted_mix_shift_goes_to_the_mix_term():
    # 10% and 2% churn; 50/50 before, 80/20 after, rates unchanged: 6.0% -> 8.4%
    before = pd.DataFrame({"segment": ["hi", "lo"], "customers": [500, 500], "churned": [50, 10]})
    after = pd.DataFrame({"segment": ["hi", "lo"], "customers": [800, 200], "churned": [80, 4]})
    d = decompose_change(before, after)
    assert d["mix_effect"].sum() == pytest.approx(0.024)
    assert d["rate_effect"].sum() == pytest.approx(0.0, abs=1e-12)


def test_planted_rate_change_goes_to_the_rate_term_and_effects_sum_to_the_change():
    before = pd.DataFrame({"segment": ["a", "b"], "customers": [600, 400], "churned": [30, 8]})
    after = pd.DataFrame({"segment": ["a", "b"], "customers": [600, 400], "churned": [60, 8]})
    d = decompose_change(before, after)
    assert d["mix_effect"].sum() == pytest.approx(0.0, abs=1e-12)
    assert d.set_index("segment").loc["a", "rate_effect"] == pytest.approx(0.03)
    before2 = pd.DataFrame({"segment": ["a", "b"], "customers": [700, 300], "churned": [21, 30]})
    after2 = pd.DataFrame({"segment": ["a", "b"], "customers": [400, 600], "churned": [20, 30]})
    d2 = decompose_change(before2, after2)
    assert d2["mix_effect"].sum() + d2["rate_effect"].sum() == pytest.approx(50 / 1000 - 51 / 1000)


def test_change_decomposition_reads_the_last_periods():
    t = pd.DataFrame(
        {"period": ["p1", "p2", "p3"], "start_customers": [100, 100, 100], "churned": [5, 5, 10]}
    )
    u = t.assign(churned=[1, 1, 1])
    d = change_decomposition({"x": t, "y": u}, lag=1)
    assert (d["period_before"].iloc[0], d["period_after"].iloc[0]) == ("p2", "p3")
    assert d["rate_effect"].sum() == pytest.approx(0.025)
    assert change_decomposition({"x": t}, lag=3) is None


def test_survival_by_segment_separates_levels():
    rng = np.random.default_rng(0)
    life = pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(400)],
            "duration_months": np.r_[rng.exponential(6, 200), rng.exponential(30, 200)],
            "churned": True,
        }
    )
    s = survival_by_segment(life, ["fast"] * 200 + ["slow"] * 200, "speed")
    assert s.logrank_p < 1e-6
    summary = s.summary.set_index("segment")
    assert summary.loc["fast", "rmst_months"] < summary.loc["slow", "rmst_months"]


def test_telco_contract_rates_match_the_published_figures(shared_data, example_dataset):
    cfg = load_config(EXAMPLES / "telco_ibm.yml")
    ds = example_dataset("telco_ibm")
    pop, _ = churn_population(ds.spells, ds.customers, ds.as_of, ds.definition)
    dims = segment_dimensions(pop, cfg.segments)
    t = segment_table(pd.concat([pop[["churned", "revenue_lost"]], dims[["plan"]]], axis=1), "plan")
    rates = t.table.set_index("segment")["churn_rate"].round(4).to_dict()
    assert rates == {"Month-to-month": 0.4271, "One year": 0.1127, "Two year": 0.0283}
    assert t.p_value < 0.001


def test_bank_and_ecommerce_segments(shared_data):
    for name, dim, top in (("bank_churn", "region", "Germany"), ("ecommerce", "Complain", "1")):
        cfg = load_config(EXAMPLES / f"{name}.yml")
        ds = load_dataset(cfg)
        pop, _ = churn_population(ds.spells, ds.customers, ds.as_of, ds.definition)
        dims = segment_dimensions(pop, cfg.segments)
        t = segment_table(pd.concat([pop[["churned", "revenue_lost"]], dims[[dim]]], axis=1), dim)
        assert t.table["customers"].sum() == len(pop)
        assert t.table["segment"].iloc[0] == top


def test_dimension_with_one_big_level_has_no_pairs():
    t = segment_table(_frame({"big": (100, 10), "tiny": (5, 1)}), "dim")
    assert t.pairs.empty
    d = t.to_dict()
    assert len(d["significant_pairs"]) == 0


def test_abc_classes_by_customer_share():
    from churnreport.analysis.segments import abc_classes

    v = pd.Series([float(x) for x in range(100, 0, -1)] + [None])
    c = abc_classes(v)
    # 100 valued customers: top 15 are A, next 25 B, the other 60 C; no value: its own level
    assert (c == "A").sum() == 15 and (c == "B").sum() == 25 and (c == "C").sum() == 60
    assert c.iloc[0] == "A" and c.iloc[99] == "C" and c.iloc[100] == "(missing)"


def test_rfm_scores_and_groups():
    from churnreport.analysis.segments import rfm_scores

    on = pd.Timestamp("2024-01-01")
    rows = []
    # five customers, ever more recent, frequent and big: e is a champion, a is lost
    for i, cid in enumerate("abcde"):
        for k in range(i + 1):
            rows.append(
                {
                    "customer_id": cid,
                    "date": on - pd.Timedelta(days=300 - 60 * i + k),
                    "amount": 10.0 * (i + 1),
                }
            )
    tx = pd.DataFrame(rows)
    r = rfm_scores({"transactions": tx}, pd.Series(list("abcde")), on).set_index("customer_id")
    assert r.loc["e", ["r", "f", "m"]].tolist() == [5, 5, 5]
    assert r.loc["a", ["r", "f", "m"]].tolist() == [1, 1, 1]
    assert r.loc["e", "rfm_group"] == "champions" and r.loc["a", "rfm_group"] == "lost"
    assert r.loc["a", "frequency"] == 1 and r.loc["e", "monetary"] == 5 * 50.0


def test_bands_and_abc_boundaries_are_configurable():
    from churnreport.analysis.segments import abc_classes

    assert band_tenure(pd.Series([1, 7, 40]), (0, 6, 36)).tolist() == ["<6", "6-35", "36+"]
    c = abc_classes(pd.Series([float(x) for x in range(10, 0, -1)]), (0.2, 0.5))
    assert c.tolist() == ["A", "A", "B", "B", "B", "C", "C", "C", "C", "C"]


def test_segment_options_validate(tmp_path):
    from churnreport.errors import ConfigError

    (tmp_path / "c.csv").write_text("id,start\nA,2024-01-01\n")
    base = "name: x\nsources: {customers: {path: c.csv, columns: {customer_id: id, start_date: start}}}\n"
    (tmp_path / "ok.yml").write_text(base + "segment_options: {tenure_bands: [0, 6, 36]}\n")
    assert load_config(tmp_path / "ok.yml").segment_options.tenure_bands == [0, 6, 36]
    (tmp_path / "bad.yml").write_text(base + "segment_options: {abc_customer_shares: [0.5, 0.2]}\n")
    with pytest.raises(ConfigError, match="abc_customer_shares"):
        load_config(tmp_path / "bad.yml")


def test_change_decomposition_needs_customers_in_both_periods():
    # nobody at the start of p2: no rate there, so no change against it to split
    t = pd.DataFrame(
        {"period": ["p1", "p2", "p3"], "start_customers": [100, 0, 100], "churned": [5, 0, 10]}
    )
    assert change_decomposition({"x": t}, lag=1) is None
    assert change_decomposition({"x": t}, lag=2) is not None


def test_survival_by_segment_pools_rare_levels_and_keeps_missing_as_a_level():
    """Nine levels, missing values (some written out as "(missing)"), a level written as
    "(other)" and a tie at the cut: the five largest kept (equal counts in the order of their
    text), the rest pooled as (other); curves in the order of their names; the logrank test
    over the levels as shown."""
    from lifelines.statistics import multivariate_logrank_test

    rng = np.random.default_rng(1)
    sizes = {"a": 50, "b": 40, "c": 30, "d": 30, "g": 26, None: 20, MISSING: 6, OTHER: 8,
             "e": 5, "f": 5}  # fmt: skip
    levels = [lv for lv, n in sizes.items() for _ in range(n)]
    n = len(levels)
    life = pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(n)],
            "duration_months": rng.exponential(12, n),
            "churned": rng.random(n) < 0.7,
        }
    )
    s = survival_by_segment(life, pd.array(levels, dtype="string"), "d")
    # (missing) 20 + 6 ties with g at 26 and comes first by its text: g is pooled
    assert list(s.curves) == ["(missing)", "(other)", "a", "b", "c", "d"]
    assert dict(zip(s.summary["segment"], s.summary["customers"], strict=True)) == {
        "a": 50, "b": 40, "c": 30, "d": 30, "(missing)": 26, "(other)": 26 + 8 + 5 + 5,
    }  # fmt: skip
    shown = [MISSING if lv in (None, MISSING) else lv if lv in "abcd" else OTHER for lv in levels]
    expected = multivariate_logrank_test(life["duration_months"], shown, life["churned"])
    assert s.logrank_p == pytest.approx(expected.p_value, rel=1e-12)
    # numbers in an object column stay apart as their text does (1, 1.0 and True)
    mixed = pd.Series([1, 1.0, True, "x"] * 25, dtype=object)
    four = survival_by_segment(life.iloc[:100], mixed, "d")
    assert list(four.curves) == ["1", "1.0", "True", "x"]
    # a Series goes with the rows by position: indexed otherwise (by customer id), refused
    by_id = pd.Series(levels, index=life["customer_id"])
    with pytest.raises(ValueError, match="by position"):
        survival_by_segment(life, by_id, "d")


def test_segment_period_tables_take_each_spells_level_by_position():
    from churnreport.analysis.segments import segment_period_tables
    from tests.conftest import spells

    s = spells(
        ("a", "2024-01-05", None),
        ("b", "2024-01-10", "2024-02-15"),  # leaves in February
        ("z", "2024-01-20", None),  # no such customer: its level is missing
    )
    tables = segment_period_tables(s, ["x", "y", None], "month", dt.date(2024, 3, 31))
    assert list(tables) == [MISSING, "x", "y"]
    feb = {lvl: t.set_index("period").loc["2024-02"] for lvl, t in tables.items()}
    assert feb["y"]["churned"] == 1 and feb["x"]["churned"] == 0
    assert feb[MISSING]["start_customers"] == 1


def test_survival_by_segment_needs_two_levels_and_a_month_of_history():
    life = pd.DataFrame(
        {"customer_id": list("abcd"), "duration_months": [3.0, 5.0, 8.0, 9.0], "churned": True}
    )
    one_level = ["x"] * 4
    assert survival_by_segment(life, one_level, "d") is None
    two_levels = ["x", "x", "y", "y"]
    assert survival_by_segment(life, two_levels, "d") is not None
    days_old = life.assign(duration_months=[0.2, 0.5, 0.4, 0.3])  # no common month to compare
    assert survival_by_segment(days_old, two_levels, "d") is None


def test_bands_are_listed_in_their_order_and_codes_by_rate():
    bands = segment_table(_frame({"12+": (100, 5), "<3": (100, 40), "3-11": (100, 20)}), "dim")
    assert bands.table["segment"].tolist() == ["<3", "3-11", "12+"]
    codes = segment_table(_frame({"1": (100, 5), "2": (100, 40), "3": (100, 20)}), "dim")
    assert codes.table["segment"].tolist() == ["2", "3", "1"]


def test_rfm_counts_the_year_before_the_day_and_not_the_day_itself():
    """Window edges: a purchase on the day itself is not counted; one the day before is
    (recency 1); 365 days before is inside the year, 366 days before only sets recency."""
    from churnreport.analysis.segments import rfm_scores

    on = pd.Timestamp("2024-07-01")
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", "c", "d"],
            "date": [on, on - pd.Timedelta(days=1), on - pd.Timedelta(days=365),
                     on - pd.Timedelta(days=366), on],
            "amount": [100.0, 7.0, 5.0, 3.0, 9.0],
        }
    )  # fmt: skip
    r = rfm_scores({"transactions": tx}, pd.Series(list("abcde")), on).set_index("customer_id")
    assert r["recency_days"].tolist()[:3] == [1, 365, 366]
    assert r["frequency"].tolist() == [1, 1, 0, 0, 0]
    assert r["monetary"].tolist() == [7.0, 5.0, 0.0, 0.0, 0.0]
    assert r[["recency_days"]].loc[["d", "e"]].isna().all().all()  # nothing before the day


def test_levels_tied_at_the_cut_do_not_depend_on_row_order_or_text_storage():
    # 12 levels over the cap of 11 (10 kept + (other)): L10, L11 and L12 tie with 2 rows for
    # the last place; the first by text, L10, is kept whatever the row order or storage
    rows = [f"L{i:02d}" for i in range(1, 10) for _ in range(5)] + ["L10", "L11", "L12"] * 2
    values = pd.Series(rows)
    kept = set(segment_values(values, max_levels=11)) - {"(other)"}
    assert kept == {f"L{i:02d}" for i in range(1, 11)}
    for seed in range(3):
        shuffled = values.sample(frac=1, random_state=seed)
        for storage in ("python", "pyarrow"):
            again = segment_values(shuffled.astype(pd.StringDtype(storage)), max_levels=11)
            assert set(again) - {"(other)"} == kept
    assert most_common(pd.Series(["b", "a", "b", "a", "c"]), 2) == ["a", "b"]
    # the driver model's level cap counts codes, not rows of text: the same rule
    assert most_counted(pd.Series([2, 5, 2, 2], index=["z", "y", "b", "m"]), 2) == ["y", "b"]
