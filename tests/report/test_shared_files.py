"""at_risk files: spreadsheet injection, PII masking, the previous run's predictions."""

from __future__ import annotations

import datetime as dt
import stat

import pandas as pd
from openpyxl import load_workbook

from churnreport.report.shared_files import (
    find_previous_predictions,
    hand_over_table_files,
    has_handed_over,
    mask_ids,
    name_like_columns,
    neutralise,
    pii_key,
    write_handed_over,
    write_table_files,
)


def test_formula_like_text_is_neutralised():
    assert neutralise('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    for s in ("+1", "-2+3", "@SUM(A1)", "\tx", "\rx"):
        assert neutralise(s).startswith("'")
    assert neutralise("price too high") == "price too high"
    assert neutralise(-5.0) == -5.0  # numbers stay numbers


def test_xlsx_and_csv_round_trip_with_neutralised_cells(tmp_path):
    frame = pd.DataFrame(
        {
            "customer_id": ["C1", "=cmd|' /C calc'!A0", "@x"],
            "reasons": ["投诉 2 次", "+danger", None],
            "probability": [0.5, 0.25, 0.125],
        }
    )
    csv, xlsx = write_table_files(frame, tmp_path, "at_risk", "客户")
    wb = load_workbook(xlsx)
    ws = wb["客户"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == ("customer_id", "reasons", "probability")
    assert rows[2][0] == "'=cmd|' /C calc'!A0" and rows[3][0] == "'@x"
    assert rows[1][1] == "投诉 2 次" and rows[2][1] == "'+danger" and rows[3][1] is None
    assert rows[1][2] == 0.5
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    back = pd.read_csv(csv, encoding="utf-8-sig")
    assert back["customer_id"].tolist()[1].startswith("'=")
    assert csv.read_bytes().startswith(b"\xef\xbb\xbf")


def test_masking_is_stable_keyed_and_drops_name_like_columns(tmp_path, monkeypatch):
    monkeypatch.delenv("CHURN_PII_KEY", raising=False)
    key = pii_key(tmp_path)
    assert stat.S_IMODE((tmp_path / ".pii_key").stat().st_mode) == 0o600
    assert pii_key(tmp_path) == key  # created once
    ids = pd.Series(["C1", "C2", "C1"])
    h = mask_ids(ids, key)
    assert h[0] == h[2] != h[1] and len(h[0]) == 16 and "C1" not in h[0]
    assert mask_ids(ids, b"other")[0] != h[0]
    monkeypatch.setenv("CHURN_PII_KEY", "from-env")
    assert pii_key(tmp_path) == b"from-env"
    cols = ["customer_id", "account_name", "Email", "phone_number", "客户姓名", "plan", "region"]
    assert name_like_columns(cols) == ["account_name", "Email", "phone_number", "客户姓名"]


def test_previous_predictions_are_the_latest_finished_earlier_run(tmp_path):
    def write(run, as_of, horizon):
        d = tmp_path / run
        d.mkdir()
        pd.DataFrame(
            {"customer_id": ["a"], "probability": [0.1], "as_of": [pd.Timestamp(as_of)],
             "horizon_end": [pd.Timestamp(horizon)], "model": ["logistic"]}
        ).to_parquet(d / "predictions.parquet")  # fmt: skip

    write("2024-10-31_s", "2024-10-31", "2024-11-30")
    write("2024-11-30_s", "2024-11-30", "2024-12-31")
    write("2024-12-31_s", "2024-12-31", "2025-01-31")  # this run itself
    write("2024-11-30_other", "2024-11-30", "2024-12-31")
    (tmp_path / "_failed").mkdir()
    prev = find_previous_predictions(tmp_path, "s", dt.date(2024, 12, 31))
    assert pd.Timestamp(prev["as_of"].iloc[0]).date() == dt.date(2024, 11, 30)
    assert find_previous_predictions(tmp_path, "s", dt.date(2024, 11, 30)) is not None
    assert find_previous_predictions(tmp_path, "s", dt.date(2024, 10, 31)) is None


def test_control_characters_become_pictures_in_xlsx_and_stay_in_csv(tmp_path):
    frame = pd.DataFrame(
        {
            "customer_id": ["C1", "C2"],
            "name\x1b": ["Ann\x07", "Bob\x00\x0b\x1f"],
            "note": ["two\nlines\tand a tab", None],
        }
    )
    csv, xlsx = write_table_files(frame, tmp_path, "at_risk", "list")
    rows = list(load_workbook(xlsx).active.iter_rows(values_only=True))
    assert rows[0] == ("customer_id", "name␛", "note")
    assert rows[1][1] == "Ann␇" and rows[2][1] == "Bob␀␋␟"
    assert rows[1][2] == "two\nlines\tand a tab"  # line feed and tab are allowed in XML
    raw = csv.read_text(encoding="utf-8-sig")  # the CSV is faithful, byte for byte
    assert raw.startswith("customer_id,name\x1b,note\n")
    assert "C1,Ann\x07," in raw and "C2,Bob\x00\x0b\x1f," in raw


def test_rows_beyond_a_worksheet_continue_on_the_next_sheet(tmp_path):
    # a worksheet of 3 rows (header + 2): 5 customers fill three sheets, none is left out
    frame = pd.DataFrame({"customer_id": [f"C{i}" for i in range(5)], "rank": range(1, 6)})
    _, xlsx = write_table_files(frame, tmp_path, "at_risk", "x" * 40, max_rows=3)
    wb = load_workbook(xlsx)
    assert wb.sheetnames == ["x" * 31, "x" * 27 + " (2)", "x" * 27 + " (3)"]
    rows = [list(ws.iter_rows(values_only=True)) for ws in wb.worksheets]
    assert all(r[0] == ("customer_id", "rank") for r in rows)  # each sheet has the header
    assert [v for r in rows for v in r[1:]] == [(f"C{i}", i + 1) for i in range(5)]
    # an empty table still gives its header
    _, xlsx = write_table_files(frame.iloc[:0], tmp_path, "empty", "x", max_rows=3)
    assert list(load_workbook(xlsx)["x"].iter_rows(values_only=True)) == [("customer_id", "rank")]


def test_each_kind_of_column_keeps_its_cell_types_in_the_workbook(tmp_path):
    # numbers stay numbers (missing ones empty, an infinite one an error cell), dates are
    # dates, a mixed text column keeps each cell's own kind
    frame = pd.DataFrame(
        {
            "ints": pd.array([1, None, 3], dtype="Int64"),
            "floats": [1.5, float("nan"), float("inf")],
            "days": pd.to_datetime(["2024-01-31", None, "2024-03-01"]),
            "mixed": ["=1+2", 7, dt.date(2024, 2, 29)],
            "flags": [True, False, True],
        }
    )
    _, xlsx = write_table_files(frame, tmp_path, "kinds", "k")
    ws = load_workbook(xlsx)["k"]
    cells = [[(c.value, c.data_type) for c in row] for row in ws.iter_rows(min_row=2)]
    assert cells[0][:2] == [(1, "n"), (1.5, "n")] and cells[1][0][0] is None
    assert cells[1][1][0] is None and cells[2][1] == ("=1/0", "f")  # Excel shows #DIV/0!
    assert cells[0][2][0] == dt.datetime(2024, 1, 31) and ws["C2"].number_format == "yyyy-mm-dd"
    assert cells[1][2][0] is None
    assert [c[3] for c in cells] == [("'=1+2", "s"), (7, "n"), (dt.datetime(2024, 2, 29), "d")]
    assert [c[4] for c in cells] == [(True, "b"), (False, "b"), (True, "b")]


def test_a_capped_workbook_holds_the_top_rows_and_says_so_the_csv_holds_all(tmp_path):
    frame = pd.DataFrame({"customer_id": [f"C{i}" for i in range(5)], "rank": range(1, 6)})
    note = ("Notes", "The full list of 5 customers is in at_risk.csv.")
    csv, xlsx = write_table_files(
        frame, tmp_path, "at_risk", "At risk", workbook_rows=2, workbook_note=note
    )
    wb = load_workbook(xlsx)
    assert wb.sheetnames == ["At risk", "Notes"]
    assert list(wb["At risk"].iter_rows(values_only=True)) == [
        ("customer_id", "rank"),
        ("C0", 1),
        ("C1", 2),
    ]
    assert wb["Notes"]["A1"].value == note[1]
    assert len(pd.read_csv(csv, encoding="utf-8-sig")) == 5
    # a list that fits: every row, no notes sheet
    _, xlsx = write_table_files(
        frame, tmp_path, "fits", "At risk", workbook_rows=5, workbook_note=note
    )
    assert load_workbook(xlsx).sheetnames == ["At risk"]


def test_tables_handed_over_are_written_as_the_notebook_would_have_and_the_hand_over_goes(
    tmp_path,
):
    # a run's notebook hands the at-risk list over; the command writes it beside its export:
    # the same files, byte for byte in the CSV and cell for cell in the workbook
    frame = pd.DataFrame(
        {
            "ints": pd.array([1, None, 3], dtype="Int64"),
            "days": pd.to_datetime(["2024-01-31", None, "2024-03-01"]),
            "mixed": ["=1+2", 7, dt.date(2024, 2, 29)],  # a column Parquet would refuse
            "客户": ["甲", "Ann\x07", None],
        }
    )
    note = ("Notes", "Only the top two.")
    direct, handed = tmp_path / "direct", tmp_path / "handed"
    direct.mkdir(), handed.mkdir()
    write_table_files(frame, direct, "at_risk", "At risk", workbook_rows=2, workbook_note=note)
    assert not has_handed_over(handed)
    hand_over_table_files(frame, handed, "at_risk", "At risk", workbook_rows=2, workbook_note=note)
    assert has_handed_over(handed) and not (handed / "at_risk.csv").exists()
    written = write_handed_over(handed)
    assert sorted(p.name for p in written) == ["at_risk.csv", "at_risk.xlsx"]
    assert sorted(p.name for p in handed.iterdir()) == ["at_risk.csv", "at_risk.xlsx"]
    assert (handed / "at_risk.csv").read_bytes() == (direct / "at_risk.csv").read_bytes()
    a, b = (load_workbook(d / "at_risk.xlsx") for d in (direct, handed))
    assert a.sheetnames == b.sheetnames == ["At risk", "Notes"]
    for name in a.sheetnames:
        assert list(a[name].iter_rows(values_only=True)) == list(
            b[name].iter_rows(values_only=True)
        )


def _fail(message):
    raise ValueError(message)


def test_work_beside_raises_its_error_on_leaving_the_block():
    import os

    import pytest

    from churnreport.report.runner import beside

    with beside(os.getpid) as pid:
        pass
    assert pid.result() != os.getpid()  # another process
    with pytest.raises(ValueError, match="disk full"), beside(_fail, "disk full"):
        pass
