"""Reports for the real public datasets in ../shared/data, and their messy copies."""

from __future__ import annotations

import json

import jsonschema
import pytest

from churnreport.analysis.results import metrics_schema
from churnreport.config import load_config
from churnreport.data import load_dataset
from churnreport.errors import InputError
from churnreport.report.pipeline import run_report
from tests.conftest import EXAMPLES
from tests.report_lint import lint

# Published figures (each dataset's SOURCE.txt): churned customers / all customers.
SCHEMA = metrics_schema()

PUBLISHED = {
    "telco_ibm": (1869, 7043),
    "bank_churn": (2037, 10000),
}


@pytest.mark.parametrize("name", ["telco_ibm", "bank_churn", "ecommerce", "saas_ravenstack"])
def test_real_dataset_report_is_produced(shared_data, tmp_path, name):
    cfg = load_config(EXAMPLES / f"{name}.yml", output_dir=str(tmp_path))
    result = run_report(cfg)
    assert (result.run_dir / "report.pdf").stat().st_size > 10_000
    overall = result.metrics.model_dump(mode="json")["indicators"]["overall"]
    if name in PUBLISHED:
        churned, customers = PUBLISHED[name]
        assert (overall["churned"], overall["customers"]) == (churned, customers)
        assert overall["churn_rate"] == pytest.approx(churned / customers)
    m = json.loads((result.run_dir / "metrics.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(SCHEMA).validate(m)
    assert lint(result.run_dir / "report.html") == []
    checks = {c["code"] for c in m["summary"]["data_checks"]}
    if name == "saas_ravenstack":  # 106-year lifetimes: the value figures are not supported
        assert "long_lifetime" in checks
        # churn_flag says 110 left, the subscriptions none; 352 churn events of active accounts;
        # every account holds several subscriptions at once (MRR summed)
        assert {"tables_disagree", "events_disagree", "overlapping_subscriptions"} <= checks
        assert any("churn_flag marks 110 of 500" in t for t in m["summary"]["check_text"])
        assert [a["kind"] for a in m["summary"]["actions"]] == ["check_data"]
    else:
        assert not checks & {"tables_disagree", "events_disagree", "overlapping_subscriptions"}
        assert "clv" not in [k["name"] for k in m["summary"]["kpis"]]
    if cfg.churn.definition == "snapshot":  # no period or horizon date for a snapshot
        summary = " ".join(m["summary"]["finding_text"] + m["summary"]["action_text"])
        assert " lost in " not in summary and " by 30 Jun" not in summary
        assert "this period" not in summary
    if cfg.churn.definition == "snapshot":  # no history: no trend, cohorts or lifetime value
        assert m["indicators"]["cohorts"]["cohorts"] == [] and len(m["indicators"]["periods"]) == 1
        assert m["indicators"]["periods"][0]["annualised_churn_rate"] is None
        html = (result.run_dir / "report.html").read_text(encoding="utf-8")
        assert "no history to trend" in html
        # chapter 4: no time split possible, a labelled cross-validated estimate, still a list
        assert "a backtest in time is impossible" in html
        assert m["early_warning"]["risk"]["backtest"]["method"] == "cross_validation"
        assert (result.run_dir / "at_risk.xlsx").exists()
    if name in ("telco_ibm", "saas_ravenstack"):  # revenue is mapped
        assert (
            m["indicators"]["value"]["revenue_lost"] >= 0
            and "nrr" in m["indicators"]["periods"][-1]
        )
    assert (
        m["indicators"]["survival"]["customers"] == overall["customers"]
        or cfg.churn.definition != "snapshot"
    )
    quality = json.loads((result.run_dir / "data_quality.json").read_text())
    rows = {t["table"]: t for t in quality["tables"]}

    assert (
        rows["customers"]["rows_read"]
        == rows["customers"]["rows_kept"] + rows["customers"]["rows_excluded"]
    )


def test_ecommerce_excludes_rows_without_tenure_and_says_so(shared_data):
    ds = load_dataset(load_config(EXAMPLES / "ecommerce.yml"))
    # SOURCE.txt: Tenure is missing for 264 of 5630 rows; Churn=1 for 948 in all
    issue = next(i for i in ds.quality.issues if i.reason == "missing_required_value")
    assert (issue.column, issue.count) == ("tenure_months", 264)
    assert len(ds.customers) == 5630 - 264
    assert ds.quality.tables["customers"].rows_excluded == 264


def test_saas_overlapping_subscriptions_and_disagreeing_flags_are_reported(shared_data):
    ds = load_dataset(load_config(EXAMPLES / "saas_ravenstack.yml"))
    assert len(ds.customers) == 500
    assert ds.spells.groupby("customer_id").size().max() >= 1
    notes = {i.reason: i for i in ds.quality.issues}
    flag = notes["stated_churn_disagrees_with_dates"]
    assert flag.evidence == {
        "column": "churn_flag", "customers": 500, "flag_churned": 110, "dates_churned": 0
    }  # fmt: skip
    assert notes["overlapping_subscriptions"].evidence["active"] == 500


@pytest.mark.parametrize("name", ["messy_telco_missing", "messy_bank_missing", "messy_telco_bom"])
def test_messy_copies_are_reported_not_crashed(shared_data, tmp_path, name):
    cfg = load_config(EXAMPLES / f"{name}.yml", output_dir=str(tmp_path))
    try:
        result = run_report(cfg, pdf=False)
    except InputError as exc:  # a clear stop is acceptable; it must name the file
        assert cfg.sources["customers"].path.name in str(exc)
        return
    quality = json.loads((result.run_dir / "data_quality.json").read_text())
    if name != "messy_telco_bom":
        assert quality["issues"], "the injected problems must be visible in data quality"
    html = (result.run_dir / "report.html").read_text(encoding="utf-8")
    assert "Data quality" in html
    assert lint(result.run_dir / "report.html") == []


def test_messy_bank_counts_question_marks_and_exclusions(shared_data):
    ds = load_dataset(load_config(EXAMPLES / "messy_bank_missing.yml"))
    issues = {(i.column, i.action): i.count for i in ds.quality.issues}
    assert issues[("region", "repaired")] >= 1
    assert ds.quality.tables["customers"].rows_read == 10_000
    assert len(ds.customers) == 10_000 - ds.quality.excluded("customers")


def test_data_profiles_say_what_kind_of_data_each_export_is(shared_data):
    from churnreport.data.profile import data_profile
    from churnreport.report.appendix import profile_html
    from churnreport.report.text import Text

    telco = data_profile(load_dataset(load_config(EXAMPLES / "telco_ibm.yml")))
    assert (telco["shape"], telco["customers"], telco["churned"]) == ("snapshot", 7043, 1869)
    assert telco["first_activity"] is None and telco["revenue"] == "monthly_revenue"
    assert telco["stated_reasons"] == 1869 and telco["tickets"] is None
    saas = data_profile(load_dataset(load_config(EXAMPLES / "saas_ravenstack.yml")))
    assert (saas["shape"], saas["revenue"], saas["subscriptions"]) == (
        "dated",
        "subscriptions",
        5000,
    )
    assert saas["first_activity"].isoformat() == "2023-01-09" and saas["observed_from"] is None
    html = profile_html(telco, Text("en")).data
    assert "One snapshot export" in html and "7,043, of whom 1,869 churned" in html


def test_a_tenure_in_whole_years_gets_year_bands(shared_data, tmp_path):
    cfg = load_config(EXAMPLES / "bank_churn.yml")  # Tenure 0-10 years
    assert cfg.churn.tenure_unit == "years"
    assert cfg.segment_options.tenure_edges("years") == (0, 12, 24, 60)
    assert cfg.segment_options.tenure_edges("months") == (0, 3, 12, 24)
    # the notebooks read the config the runner writes: the default must survive it
    from churnreport.config import dump_config

    again = load_config(dump_config(cfg, tmp_path / "config.yml"))
    assert again.segment_options.tenure_edges(again.churn.tenure_unit) == (0, 12, 24, 60)


RAW = {
    "telco_ibm": ["telco_ibm_reasons/Telco_customer_churn.xlsx"],
    "bank_churn": ["bank_churn/Churn_Modelling.csv"],
    "ecommerce": ["ecommerce_complaints/E Commerce Dataset.xlsx"],
    "saas_ravenstack": [f"saas_ravenstack/ravenstack_{t}.csv" for t in (
        "accounts", "subscriptions", "churn_events", "support_tickets", "feature_usage")],
}  # fmt: skip


@pytest.mark.parametrize("name", list(RAW))
def test_init_then_run_gives_the_hand_written_headline(shared_data, tmp_path, name):
    """A new user's two commands on a raw export: `init`, then `run` (issue 17)."""
    from typer.testing import CliRunner

    from churnreport.cli import app
    from churnreport.report.context import open_report

    out = tmp_path / "report.yml"
    files = [str(shared_data / f) for f in RAW[name]]
    res = CliRunner().invoke(app, ["init", *files, "--out", str(out)])
    assert res.exit_code == 0, res.output
    result = run_report(load_config(out, output_dir=str(tmp_path / "reports")), pdf=False)
    got = result.metrics.model_dump(mode="json")["indicators"]["overall"]
    # the hand-written config's headline, computed in process (no notebooks)
    want = open_report(str(EXAMPLES / f"{name}.yml")).indicator_chapter().result().overall
    assert (got["churned"], got["customers"]) == (want.churned, want.customers)
    if result.metrics.definition != "snapshot":  # a snapshot's date is the user's to set
        assert got["period"] == want.period
    if name in PUBLISHED:
        assert (got["churned"], got["customers"]) == PUBLISHED[name]
    assert lint(result.run_dir / "report.html") == []
