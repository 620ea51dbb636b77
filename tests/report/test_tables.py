"""HTML blocks escape data values."""

from __future__ import annotations

from churnreport.data.quality import DataQuality, Issue, TableQuality
from churnreport.report.tables import heading, quality_tables_html
from churnreport.report.text import Text


def test_data_values_are_escaped():
    q = DataQuality()
    q.tables["customers"] = TableQuality("customers", "/x/<b>.csv", 2, 1)
    q.add(
        Issue(
            "customers",
            "plan",
            "excluded",
            "x",
            1,
            [(2, "<script>alert(1)</script>")],
            "<img src=x onerror=alert(1)>",
        )
    )
    html = quality_tables_html(q, Text("en")).data
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;" in html
    assert "<b>" not in heading("<b>x</b>").data


def test_the_appendix_shows_the_share_of_a_table_whose_ids_do_not_match():
    dq = DataQuality()
    dq.tables["tickets"] = TableQuality("tickets", "/x/tickets.csv", 200, 150)
    # 50 of 200 ticket rows name customers the customers table does not hold: 25.0%
    dq.issues.append(
        Issue("tickets", "customer_id", "excluded", "unknown_customer", 50, [(2, "58")], "", 0.25)
    )
    dq.issues.append(Issue("customers", "plan", "repaired", "blank", 3, [(4, "")], ""))
    for language, header in (("en", "Share of the table"), ("zh", "占该表行数")):
        html = quality_tables_html(dq, Text(language, "CNY")).data
        assert header in html and "25.0%" in html
        assert "nan" not in html.lower()


def test_reasons_a_driver_was_left_out_are_in_the_report_language():
    from churnreport.analysis.drivers import LEFT_OUT, left_out
    from churnreport.report.causes_view import left_out_reason

    params = {"levels": "x, y", "rows": 30, "twin": "plan=a", "events": 3, "factors": 4,
              "need": 40, "auc": 0.99}  # fmt: skip
    for code, english in LEFT_OUT.items():
        used = {k: v for k, v in params.items() if "{" + k + "}" in english}
        item = left_out("plan", code, **used)
        assert left_out_reason(item, Text("en", "CNY")) == item["reason"]
        zh = left_out_reason(item, Text("zh", "CNY"))
        assert zh != item["reason"] and not any(w in zh for w in ("churn", "rows", "level"))
    assert left_out_reason({"driver": "x", "reason": "old run"}, Text("zh", "CNY")) == "old run"


def test_reason_phrases_count_in_words():
    import pandas as pd

    from churnreport.report.warning_view import reason_phrase

    en, zh = Text("en", "USD"), Text("zh", "USD")

    def say(feature, value, text=en):
        return reason_phrase(pd.Series({"feature": feature, "value": value, "typical": 3.0}), text)

    assert say("complaints_window", 1) == "1 complaint in the last 90 days"
    assert say("complaints_window", 2) == "2 complaints in the last 90 days"
    assert say("tenure_months", 1.2) == "customer for only 1 month"
    assert say("tenure_months", 0.3) == "customer for less than a month"
    assert say("tenure_months", 38.0) == "customer for only 38 months"
    assert say("purchases_window", 1) == "1 purchase in the last 90 days (typical 3)"
    assert say("tenure_months", 0.3, zh) == "成为客户不足 1 个月"
