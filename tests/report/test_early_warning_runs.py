"""Chapter 4 through the report context: files of a run, the next run's forecast check, PII."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from openpyxl import load_workbook

from churnreport.config import dump_config, load_config
from churnreport.report.context import open_report
from tests.conftest import SAMPLE


def _run(config_path, out, as_of):
    run_dir = out / f"{as_of}_sample"
    ctx = open_report(str(config_path), as_of=as_of, output_dir=str(run_dir))
    return ctx, ctx.early_warning_chapter(), run_dir


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    cfg = load_config(SAMPLE / "report.yml", output_dir=str(out))
    path = dump_config(cfg, out / "config.yml")
    first = _run(path, out, "2024-11-30")
    second = _run(path, out, "2024-12-31")
    return first, second


def test_run_writes_list_files_and_predictions(two_runs):
    (ctx, ch, run_dir), _ = two_runs
    rows = pd.read_csv(run_dir / "at_risk.csv", encoding="utf-8-sig")
    assert len(rows) == len(ch.at_risk) and rows.columns[1] == ctx.text("col.customer")
    assert rows[ctx.text("col.customer")].tolist()[:5] == ch.at_risk["customer_id"].tolist()[:5]
    ws = load_workbook(run_dir / "at_risk.xlsx").active
    assert ws.max_row == len(rows) + 1
    pred = pd.read_parquet(run_dir / "predictions.parquet")
    assert len(pred) == len(ch.at_risk)
    assert str(pred["horizon_end"].iloc[0].date()) == "2024-12-31"
    risk = json.loads((run_dir / "metrics" / "early_warning.json").read_text())["risk"]
    assert risk["previous_run_check"] is None


def test_next_run_scores_the_previous_list(two_runs):
    (_, first, _), (_, second, run_dir) = two_runs
    check = second.previous_check
    assert check is not None
    assert str(check["made_on"]) == "2024-11-30" and str(check["horizon_end"]) == "2024-12-31"
    assert check["scored"] == len(first.at_risk)
    assert check["matched"] == check["scored"]
    assert 0.5 < check["auc"] < 1 and check["left"] > 0
    risk = json.loads((run_dir / "metrics" / "early_warning.json").read_text())["risk"]
    assert risk["previous_run_check"]["left"] == check["left"]


def test_files_note_says_what_a_capped_workbook_holds(two_runs):
    from churnreport.report.warning_view import files_note

    (ctx, ch, _), _ = two_runs
    listed = len(ch.at_risk)
    full = files_note(ch, ctx.text, masked=False, workbook_rows=listed).data
    assert ctx.text("warning.files") in full
    capped = files_note(ch, ctx.text, masked=False, workbook_rows=100).data
    assert f"{listed:,} customers" in capped and "holds the 100 with the highest" in capped


def test_a_capped_workbook_without_revenue_holds_the_most_likely_to_leave():
    from churnreport.report.text import Text
    from churnreport.report.warning_view import workbook_sentence

    for lang, said, not_said in (
        ("en", "most likely to leave", "expected loss"),
        ("zh", "流失概率最高", "预期损失"),
    ):
        s = workbook_sentence(250_000, 100_000, False, Text(lang))
        assert said in s and not_said not in s and "100,000" in s
    assert "expected loss" in workbook_sentence(250_000, 100_000, True, Text("en"))


def test_pii_mask_hashes_ids_and_drops_names(tmp_path, monkeypatch):
    # also a capped workbook: the top 50 rows and a notes sheet
    monkeypatch.setenv("CHURN_PII_KEY", "test-key")
    cfg = load_config(SAMPLE / "report.yml", output_dir=str(tmp_path), pii="mask")
    cfg.early_warning.workbook_rows = 50
    path = dump_config(cfg, tmp_path / "config.yml")
    ctx, ch, run_dir = _run(path, tmp_path, "2024-12-31")
    wb = load_workbook(run_dir / "at_risk.xlsx", read_only=True)
    assert wb.sheetnames == [ctx.text("warning.list"), ctx.text("warning.workbook_sheet")]
    assert wb.worksheets[0].max_row == 51 and len(ch.at_risk) > 50
    ctx.data.customers["contact_name"] = "Ms Example"
    rows = ctx.at_risk_rows(ch)
    assert "contact_name" not in rows.columns
    assert not rows["customer_id"].isin(ctx.data.customers["customer_id"]).any()
    shared = pd.read_csv(run_dir / "at_risk.csv", encoding="utf-8-sig")
    assert not shared.iloc[:, 1].astype(str).str.startswith("C0").any()
    pred = pd.read_parquet(run_dir / "predictions.parquet")
    assert set(pred["customer_id"]) == set(rows["customer_id"])


def test_reasons_are_joined_per_customer_strongest_first_whatever_the_row_order():
    # a customer's reason rows need not be next to each other; each customer gets its own
    # phrases in the order listed, joined by the language's separator
    from types import SimpleNamespace

    from churnreport.report.text import Text
    from churnreport.report.warning_view import reasons_by_customer

    reasons = pd.DataFrame(
        {
            "customer_id": ["b", "a", "b", "a", "c"],
            "feature": [
                "complaints_window",
                "complaints_window",
                "tenure_months",
                "complaints_window",
                "complaints_window",
            ],  # fmt: skip
            "value": [2.0, 1.0, 0.5, 3.0, 1.0],
            "typical": [0.0, 0.0, 30.0, 0.0, 0.0],
        }
    )
    got = reasons_by_customer(SimpleNamespace(reasons=reasons), Text("en"), 90)
    assert got.to_dict() == {
        "a": "1 complaint in the last 90 days; 3 complaints in the last 90 days",
        "b": "2 complaints in the last 90 days; customer for less than a month",
        "c": "1 complaint in the last 90 days",
    }
    assert list(got.index) == ["a", "b", "c"]


def test_the_at_risk_lists_extra_columns_keep_numbers_and_missing_and_word_known_levels():
    # text levels in the report's own words (customer types, pooled levels); numbers, flags,
    # dates and missing values stay as they are
    from types import SimpleNamespace

    from churnreport.report.text import Text, level_label
    from churnreport.report.warning_view import at_risk_rows

    at_risk = pd.DataFrame(
        {
            "rank": [1, 2, 3],
            "customer_id": ["a", "b", "c"],
            "probability": [0.9, 0.5, 0.1],
            "value": [10.0, 20.0, 30.0],
            "expected_loss": [9.0, 10.0, 3.0],
            "tier": ["", "", ""],
            "cause": ["", "", ""],
        }
    )
    chapter = SimpleNamespace(is_built=True, at_risk=at_risk, reasons=pd.DataFrame())
    customers = pd.DataFrame(
        {
            "customer_id": ["c", "b", "a"],
            "customer_type": pd.array(["final", None, "intermediate"], dtype="string[pyarrow]"),
            "region": ["East", "(other)", "East"],
            "age": [70, 41, 33],
            "member": [True, False, True],
            "joined": pd.to_datetime(["2021-03-01", "2022-05-06", "2023-07-08"]),
            "code": pd.Series([1.0, "final", 1], dtype=object),  # numbers among text
        }
    )
    text = Text("zh")
    extra = ["customer_type", "region", "age", "member", "joined", "code"]
    rows = at_risk_rows(chapter, customers, text, extra_columns=extra)
    assert rows["customer_type"].tolist()[0] == level_label("customer_type", "intermediate", text)
    assert rows["customer_type"].tolist()[2] == level_label("customer_type", "final", text)
    assert pd.isna(rows["customer_type"].iloc[1])
    assert rows["region"].tolist() == ["East", level_label("region", "(other)", text), "East"]
    assert rows["age"].tolist() == [33, 41, 70] and rows["age"].dtype == "int64"
    assert rows["member"].tolist() == [True, False, True]
    assert rows["joined"].dt.strftime("%Y-%m-%d").tolist() == ["2023-07-08", "2022-05-06",
                                                                "2021-03-01"]  # fmt: skip
    # a number among text stays the number it was (1 and 1.0 are equal, not one another)
    code = rows["code"].tolist()
    assert code[0] == 1 and type(code[0]) is int and type(code[2]) is float
    assert code[1] == level_label("code", "final", text)
