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
