"""Stated reasons on the taxonomy."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from churnreport.analysis.reasons import (
    classify_reasons,
    reason_analysis,
    reasons_by_segment,
    reasons_over_time,
)
from churnreport.config import load_config
from churnreport.data import load_dataset
from churnreport.data.sample import INVOLUNTARY_REASON, REASONS
from churnreport.data.taxonomy import load_reason_mapping, normalise
from churnreport.errors import ConfigError
from tests.conftest import EXAMPLES

MAPPING = load_reason_mapping()


def test_normalise_folds_case_space_and_width():
    assert normalise("  Price TOO   high ") == "price too high"
    assert normalise("ＰＲＩＣＥ") == "price"  # full-width letters


@pytest.mark.parametrize(
    ("reason", "category", "how"),
    [
        ("Price too high", "price", "exact"),
        ("price   TOO high", "price", "exact"),
        ("价格太高", "price", "exact"),
        ("竞争对手更便宜", "price", "exact"),  # DOMAIN.md: "competitor cheaper" is a price cause
        ("转用竞争对手", "competitor", "exact"),
        ("对手给的条件更好", "competitor", "keyword"),
        ("投诉了三次都没人处理", "service", "keyword"),
        ("熟悉的客户经理离职了", "employee", "exact"),
        ("Competitor offered more data", "competitor", "keyword"),
        ("Extra data charges", "price", "keyword"),
        ("付款失败", "involuntary", "exact"),
        ("Deceased", "customer", "exact"),
        ("xyzzy", "unmapped", ""),
    ],
)
def test_classification(reason, category, how):
    c = classify_reasons(pd.Series([reason]), MAPPING).iloc[0]
    assert (c["category"], c["matched_by"]) == (category, how)


def test_missing_and_blank_reasons_are_not_stated():
    c = classify_reasons(pd.Series([None, "  ", "Moved"]), MAPPING)
    assert c["category"].tolist() == ["not_stated", "not_stated", "customer"]


def test_every_sample_reason_maps_to_its_planted_category():
    for category, pairs in REASONS.items():
        for zh, en in pairs:
            got = classify_reasons(pd.Series([zh, en]), MAPPING)["category"].tolist()
            assert got == [category, category], (zh, en, got)
    got = classify_reasons(pd.Series(list(INVOLUNTARY_REASON)), MAPPING)["category"]
    assert set(got) == {"involuntary"}


def test_analysis_counts_add_up_and_controllable_share():
    customers = pd.DataFrame(
        {
            "customer_id": list("abcdefg"),
            "churned": [True, True, True, True, True, True, False],
            "end_date": pd.to_datetime(
                [
                    "2024-03-01",
                    "2024-03-05",
                    "2024-04-01",
                    "2024-04-02",
                    "2024-04-03",
                    "2023-01-01",
                    None,
                ]
            ),
            "churn_reason": [
                "价格太高",
                "Moved",
                "xyzzy",
                None,
                "Payment failed",
                "Price too high",
                None,
            ],
            "plan": ["p1", "p1", "p2", "p2", "p2", "p1", "p1"],
        }
    )
    ra = reason_analysis(customers, MAPPING, dt.date(2024, 1, 1), dt.date(2024, 12, 31))
    # f churned before the window, g never churned: 5 churners counted
    assert ra.categories["churned"].sum() == 5
    cats = dict(zip(ra.categories["category"], ra.categories["churned"], strict=True))
    assert cats == {"price": 1, "customer": 1, "unmapped": 1, "not_stated": 1, "involuntary": 1}
    assert ra.unmapped.to_dict("records") == [{"reason": "xyzzy", "churned": 1}]
    # subjective {a: price} / (subjective + objective {b: moved}) = 1/2
    assert ra.controllable_share == pytest.approx(0.5)
    assert ra.categories["cumulative_share"].iloc[-1] == pytest.approx(1.0)
    seg = reasons_by_segment(ra, "plan")
    assert seg.loc["p2", "churned"] == 3 and seg.loc["p2", "unmapped"] == pytest.approx(1 / 3)
    time = reasons_over_time(ra, "month")
    assert time.loc["2024-04"].sum() == 3


def test_no_reason_column_gives_none():
    customers = pd.DataFrame(
        {"customer_id": ["a"], "churned": [True], "end_date": pd.to_datetime(["2024-01-01"])}
    )
    assert reason_analysis(customers, MAPPING, dt.date(2024, 1, 1), dt.date(2024, 12, 31)) is None


def test_bad_mapping_file_is_a_config_error(tmp_path):
    p = tmp_path / "m.yml"
    p.write_text("categories: {x: {group: odd}}\nrules: [{category: y}]\n")
    with pytest.raises(ConfigError, match="undefined categories"):
        load_reason_mapping(p)


def test_telco_every_churner_lands_in_a_category_or_unmapped(shared_data, example_dataset):
    ds = example_dataset("telco_ibm")
    ra = reason_analysis(ds.customers, MAPPING, ds.as_of, ds.as_of)
    assert ra.categories["churned"].sum() == 1869
    assert set(ra.categories["category"]) <= set(MAPPING.categories) | {"unmapped", "not_stated"}
    # every telco reason is known to the shipped mapping, and the four competitor reasons are one
    assert ra.unmapped.empty
    said = ra.reasons["stated_as"].map(lambda s: any(x.startswith("Competitor") for x in s))
    comp = ra.reasons[said]
    assert set(comp["category"]) == {"competitor"}
    assert comp["churned"].sum() == 189 + 162 + 140 + 130


def test_cumulative_incidence_hand_computed():
    from churnreport.analysis.reasons import cumulative_incidence

    # ages 1..6 months; price at 1 and 4, service at 2 and 6, 3 and 5 still customers:
    # S before 4 = 5/6 * 4/5 = 4/6; CIF_price(4) = 1/6 + 4/6 * 1/3 = 0.3889
    life = pd.DataFrame(
        {
            "customer_id": list("abcdef"),
            "duration_months": [1.0, 2, 3, 4, 5, 6],
            "churned": [True, True, False, True, False, True],
        }
    )
    cats = pd.Series({"a": "price", "b": "service", "d": "price", "f": "service"})
    cif = cumulative_incidence(life, cats).set_index("months")
    assert cif.loc[1.0, "price"] == pytest.approx(1 / 6, abs=1e-3)
    assert cif.loc[4.0, "price"] == pytest.approx(0.3889, abs=1e-3)
    assert cif.loc[3.0, "service"] == pytest.approx(0.8333 * 0.2, abs=1e-3)


def test_sub_categories_have_chinese_labels():
    c = classify_reasons(pd.Series(["Price too high", "Moved"]), MAPPING)
    assert c["sub_zh"].tolist() == ["价格太高", "搬迁"]
    assert all(r.sub_zh for r in MAPPING.rules)


def test_ravenstack_reason_codes_all_map_and_events_reach_the_quality_record(shared_data):
    cfg = load_config(EXAMPLES / "saas_ravenstack.yml")
    events = pd.read_csv(cfg.source_path("churn_events"))
    cls = classify_reasons(events["reason_code"], MAPPING)
    assert not (cls["category"] == "unmapped").any()
    by_code = cls.assign(code=events["reason_code"]).groupby("code")["category"].first()
    assert by_code["pricing"] == "price" and by_code["competitor"] == "competitor"
    assert by_code["support"] == "service" and by_code["features"] == "product"
    # the synthetic subscriptions leave every account with an event active on the report date:
    # the events are counted, not silently used against the dates
    ds = load_dataset(cfg)
    notes = {i.reason: i.count for i in ds.quality.issues}
    assert notes["event_for_active_customer"] == events["account_id"].nunique()


def test_spellings_of_one_sub_reason_are_one_row_and_cumulative_skips_not_stated():
    # 3 stated none, 2 + 1 gave one reason in two languages, 1 an unknown text
    customers = pd.DataFrame(
        {
            "customer_id": list("abcdefg"),
            "churned": True,
            "end_date": pd.Timestamp("2024-03-31"),
            "churn_reason": [
                None,
                None,
                None,
                "Price too high",
                "价格太高",
                "Price too high",
                "zzz",
            ],
        }
    )
    ra = reason_analysis(customers, MAPPING, dt.date(2024, 1, 1), dt.date(2024, 12, 31))
    first = ra.reasons.iloc[0]
    assert first["churned"] == 3 and first["category"] == "price"
    assert first["reason"] == first["sub"] and first["stated_as"] == ["Price too high", "价格太高"]
    assert ra.reasons["cumulative_share"].tolist() == pytest.approx([3 / 7, 4 / 7])
    assert ra.reasons.iloc[1]["reason"] == "zzz" and ra.reasons.iloc[1]["stated_as"] == ["zzz"]
