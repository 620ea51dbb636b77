"""HTML blocks of the report: headings, KPI cards, formatted tables, notes.

Every data value is HTML-escaped here, so names and reasons from the data cannot inject markup.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

import pandas as pd
from IPython.display import HTML

from churnreport.data.quality import DataQuality
from churnreport.report.text import N_, Text, table_label

#: Data-quality reasons with a sentence in the catalogue (others show the record's detail).
DQ_REASONS = {
    "missing_token": N_("dq.missing_token"),
    "blank_value": N_("dq.blank_value"),
    "missing_required_value": N_("dq.missing_required_value"),
    "empty_column_dropped": N_("dq.empty_column_dropped"),
    "columns_not_used": N_("dq.columns_not_used"),
    "starts_after_as_of": N_("dq.starts_after_as_of"),
    "ends_after_as_of": N_("dq.ends_after_as_of"),
    "no_activity": N_("dq.no_activity"),
    "activity_without_customer_row": N_("dq.activity_without_customer_row"),
    "stated_churn_disagrees_with_dates": N_("dq.stated_churn_disagrees_with_dates"),
    "stated_churn_differs_from_inactivity": N_("dq.stated_churn_differs_from_inactivity"),
    "similar_levels": N_("dq.similar_levels"),
    "repeated_rows_kept": N_("dq.repeated_rows_kept"),
    "far_future_date": N_("dq.far_future_date"),
    "placeholder_date": N_("dq.placeholder_date"),
    "id_written_as_decimal": N_("dq.id_written_as_decimal"),
    "id_matched_by_number": N_("dq.id_matched_by_number"),
    "unknown_customer": N_("dq.unknown_customer"),
    "non_positive_revenue": N_("dq.non_positive_revenue"),
    "event_after_report_date": N_("dq.event_after_report_date"),
    "event_for_active_customer": N_("dq.event_for_active_customer"),
    "overlapping_subscriptions": N_("dq.overlapping_subscriptions"),
    "returns_netted": N_("dq.returns_netted"),
    "return_only_day": N_("dq.return_only_day"),
    "returns_only_customer": N_("dq.returns_only_customer"),
    "duplicate_row": N_("dq.duplicate_row"),
}
#: What happened to the rows of a data-quality record.
DQ_ACTIONS = {
    "excluded": N_("action.excluded"),
    "repaired": N_("action.repaired"),
    "note": N_("action.note"),
}


def heading(title: str, why: str | None = None, level: int = 2) -> HTML:
    """A section heading with its one sentence of purpose; level 1 starts a chapter (new page)."""
    cls = ' class="chapter"' if level == 1 else ""
    body = f"<h{level}{cls}>{escape(title)}</h{level}>"
    if why:
        body += f'<p class="why">{escape(why)}</p>'
    return HTML(body)


def note(message: str) -> HTML:
    """A highlighted one-paragraph note."""
    return HTML(f'<p class="note">{escape(message)}</p>')


def table(
    frame: pd.DataFrame,
    columns: dict[str, tuple[str, Callable[[object], str]]],
    numeric: set[str] = frozenset(),
    compact: bool = False,
    wide: set[str] = frozenset(),
) -> HTML:
    """A formatted, escaped HTML table.


    Parameters
    ----------
    frame : DataFrame
        The data.
    columns : dict
        Column -> (header, formatter); only these columns are shown, in this order.
    numeric : set of str
        Columns to right-align.
    compact : bool
        Smaller type, for wide tables.
    wide : set of str
        Text columns given room (a minimum width) before the others.
    """

    def css(c: str) -> str:
        return " ".join(k for k, on in (("num", c in numeric), ("wide", c in wide)) if on)

    head = "".join(f'<th class="{css(c)}">{escape(h)}</th>' for c, (h, _) in columns.items())
    rows = []
    for _, r in frame.iterrows():
        cells = "".join(
            f'<td class="{css(c)}">{escape(fmt(r[c]))}</td>' for c, (_, fmt) in columns.items()
        )
        rows.append(f"<tr>{cells}</tr>")
    return HTML(
        f'<table class="report-table{" compact" if compact else ""}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


#: A leave_out rule's line: rows it left out, or none matched.
LEAVE_OUT_REASONS = {
    "left_out": N_("dq.left_out"),
    "leave_out_unmatched": N_("dq.leave_out_unmatched"),
}
#: A leave_out rule's test in words (LeaveOut.parts).
LEAVE_OUT_TESTS = {
    "startswith": N_("dq.rule.startswith"),
    "below": N_("dq.rule.below"),
    "above": N_("dq.rule.above"),
    "missing": N_("dq.rule.missing"),
    "equals": N_("dq.rule.equals"),
}


def _detail(reason: str, detail: str, evidence: dict, text: Text) -> str:
    """An issue's sentence in the report language; a leave_out rule with the user's reason."""
    if reason in ("left_out", "leave_out_unmatched") and evidence.get("test") in LEAVE_OUT_TESTS:
        rule = text(LEAVE_OUT_TESTS[evidence["test"]], column=evidence["column"],
                    value=evidence["value"])  # fmt: skip
        return text(LEAVE_OUT_REASONS[reason], reason=evidence["reason"], rule=rule)
    return text(DQ_REASONS[reason]) if reason in DQ_REASONS else detail


def quality_tables_html(quality: DataQuality, text: Text) -> HTML:
    """Row accounting per table, then every issue with counts and examples."""
    tables = pd.DataFrame(
        [
            {
                "table": t.table,
                "file": t.path.rsplit("/", 1)[-1],
                "rows_read": t.rows_read,
                "rows_kept": t.rows_kept,
                "rows_excluded": t.rows_excluded,
            }
            for t in quality.tables.values()
        ]
    )
    out = table(
        tables,
        {
            "table": (text("col.table"), lambda v: table_label(v, text)),
            "file": (text("col.file"), str),
            "rows_read": (text("col.rows_read"), text.int),
            "rows_kept": (text("col.rows_kept"), text.int),
            "rows_excluded": (text("col.rows_excluded"), text.int),
        },
        numeric={"rows_read", "rows_kept", "rows_excluded"},
    ).data
    if not quality.issues:
        return HTML(out + note(text("appendix.quality.none")).data)
    issues = pd.DataFrame([vars(i) for i in quality.issues])
    issues["detail"] = [
        _detail(r, d, e, text)
        for r, d, e in zip(issues["reason"], issues["detail"], issues["evidence"], strict=True)
    ]
    blank = text("dq.blank")
    out += heading(text("appendix.issues"), level=3).data
    out += table(
        issues,
        {
            "table": (text("col.table"), lambda v: table_label(v, text)),
            "column": (text("col.column"), lambda v: "" if v is None else str(v)),
            "action": (text("col.action"), lambda v: text(DQ_ACTIONS[v])),
            "detail": (text("col.reason"), str),
            "count": (text("col.count"), text.int),
            **(
                {"share": (text("col.share_of_table"), lambda v: "" if pd.isna(v) else text.pct(v))}
                if issues["share"].notna().any()
                else {}
            ),
            "examples": (
                text("col.examples"),
                lambda ex: "; ".join(f"{r}: {v if v != '' else blank}" for r, v in ex[:3]),
            ),
        },
        numeric={"count", "share"},
    ).data
    return HTML(out)


def key_value_html(pairs: list[tuple[str, str]], text: Text) -> HTML:
    """A two-column parameter table."""
    frame = pd.DataFrame(pairs, columns=["parameter", "value"])
    return table(
        frame, {"parameter": (text("col.parameter"), str), "value": (text("col.value"), str)}
    )


def title_block(company: str, period: str, as_of, text: Text) -> HTML:
    """Report title with company, report period and data date."""
    return HTML(
        f'<h1 class="report-title">{escape(company)} · {escape(text("report.title"))}</h1>'
        f'<p class="meta">{escape(text("report.period", period=text.period(period), as_of=text.date(as_of)))}</p>'
    )
