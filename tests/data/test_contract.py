"""Reading, mapping and validating sources: repairs are counted, ambiguity stops the run."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from churnreport.config import SourceConfig
from churnreport.data.contract import _integral_ids, _parse_dates, conform, required_columns
from churnreport.data.quality import DataQuality
from churnreport.data.sources import read_source
from churnreport.errors import InputError


def _conform(
    path: Path, table="customers", definition="snapshot", max_excluded_share=0.2, **source
):
    q = DataQuality()
    src = SourceConfig(path=path, **source)
    raw = read_source(path, sheet=src.sheet, header_row=src.header_row, encoding=src.encoding)
    out = conform(
        raw,
        table,
        src,
        required_columns(table, definition, {table}),
        q,
        max_excluded_share=max_excluded_share,
    )
    return out, q


def _csv(tmp_path: Path, text: str, name="c.csv", encoding="utf-8") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


SNAP = {"columns": {"customer_id": "id", "tenure_months": "tenure", "churned": "left"}}


def test_placeholder_tokens_are_missing_and_counted_and_rows_without_required_value_excluded(
    tmp_path,
):
    p = _csv(tmp_path, "id,tenure,left,city\n1,3,Yes,?\n2,?,No,Paris\n3,5,No,\n4,7,yes,Rome\n")
    out, q = _conform(p, max_excluded_share=0.3, **SNAP)
    assert out["customer_id"].tolist() == ["1", "3", "4"]
    assert out["churned"].tolist() == [True, False, True]
    assert out["city"].isna().tolist() == [True, True, False]
    kinds = {(i.column, i.action, i.reason): i.count for i in q.issues}
    assert kinds[("tenure_months", "excluded", "missing_required_value")] == 1
    assert ("tenure_months", "repaired", "missing_token") not in kinds  # the exclusion says it
    assert kinds[("city", "repaired", "missing_token")] == 1
    assert kinds[("city", "note", "blank_value")] == 1
    t = q.tables["customers"]
    assert (t.rows_read, t.rows_kept, t.rows_excluded) == (4, 3, 1)


def test_utf8_bom_and_gbk_text_are_decoded(tmp_path):
    p = _csv(tmp_path, "\ufeffid,tenure,left,原因\n1,3,是,价格太高\n", name="bom.csv")
    out, q = _conform(p, **SNAP)
    assert out["原因"].tolist() == ["价格太高"] and q.tables["customers"].encoding == "utf-8-sig"
    p = _csv(tmp_path, "id,tenure,left,原因\n1,3,否,服务态度差\n", name="gbk.csv", encoding="gbk")
    out, q = _conform(p, **SNAP)
    assert out["原因"].tolist() == ["服务态度差"] and out["churned"].tolist() == [False]
    assert q.tables["customers"].encoding == "gb18030"


def test_header_on_second_row_of_csv(tmp_path):
    p = _csv(tmp_path, "exported 2024-06-30,,\nid,tenure,left\n1,3,No\n")
    out, _ = _conform(p, header_row=1, **SNAP)
    assert out["customer_id"].tolist() == ["1"]
    assert out.index.tolist() == [3]  # spreadsheet row number of the first data row


def test_header_on_second_row_of_xlsx_with_empty_first_column(tmp_path):
    p = tmp_path / "book.xlsx"
    with pd.ExcelWriter(p) as w:
        pd.DataFrame({"x": [1]}).to_excel(w, sheet_name="Notes", index=False)
        pd.DataFrame([[None, "id", "tenure", "left"], [None, 10, 4, 1], [None, 11, 0, 0]]).to_excel(
            w, sheet_name="Data", index=False, header=False, startrow=1
        )
    out, q = _conform(p, sheet="Data", header_row=1, **SNAP)
    assert out["customer_id"].tolist() == ["10", "11"]
    assert out["churned"].tolist() == [True, False]
    assert any(i.reason == "empty_column_dropped" for i in q.issues)


def test_value_mapping_translates_before_typing(tmp_path):
    p = _csv(tmp_path, "id,tenure,status\n1,3,Left\n2,4,Stayed\n")
    out, _ = _conform(
        p,
        columns={"customer_id": "id", "tenure_months": "tenure", "churned": "status"},
        values={"churned": {"Left": True, "Stayed": False}},
    )
    assert out["churned"].tolist() == [True, False]


def test_value_mapping_merges_spellings_of_other_columns(tmp_path):
    p = _csv(tmp_path, "id,tenure,status,pay\n1,3,Left,CC\n2,4,Stayed,Credit Card\n3,1,Left,UPI\n")
    out, _ = _conform(
        p,
        columns={"customer_id": "id", "tenure_months": "tenure", "churned": "status"},
        values={"churned": {"Left": True, "Stayed": False}, "pay": {"CC": "Credit Card"}},
    )
    assert out["pay"].tolist() == ["Credit Card", "Credit Card", "UPI"]
    with pytest.raises(InputError, match=r"unknown column\(s\) \['status'\]"):
        _conform(  # a mapped column is named by its canonical name
            p,
            columns={"customer_id": "id", "tenure_months": "tenure", "churned": "status"},
            values={"status": {"Left": True}},
        )


def test_similar_spellings_noted_with_every_pair():
    from churnreport.data.quality import DataQuality
    from churnreport.data.spellings import note_similar_levels

    customers = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d", "e"],
            "pay": ["CC", "Credit Card", "COD", "Cash on Delivery", "UPI"],
            "internet": ["No", "No internet service", "DSL", "Fiber optic", "DSL"],
        },
        index=[10, 11, 12, 13, 14],
    )
    q = DataQuality()
    note_similar_levels(customers, q)
    (issue,) = q.issues
    assert (issue.column, issue.reason, issue.count) == ("pay", "similar_levels", 4)
    assert issue.examples == [(10, "CC ~ Credit Card"), (12, "COD ~ Cash on Delivery")]
    assert issue.evidence == {"column": "pay", "first": "CC", "second": "Credit Card", "pairs": 2}


@pytest.mark.parametrize(
    ("text", "source", "expected"),
    [
        ("id,tenure\n1,3\n", SNAP, "mapped column(s) not found: ['left']"),
        ("id,tenure,left\n1,3,maybe\n2,3,no\n", SNAP, "neither yes nor no"),
        ("id,tenure,left\n1,3,No\n1,4,Yes\n", SNAP, "appear more than once"),
        ("id,tenure,left\n1,abc,No\n", SNAP, "not numbers"),
        ("id,tenure,left\n1,-2,No\n", SNAP, "negative tenure"),
        ("id,tenure,left\n1,,No\n2,,No\n3,1,No\n", SNAP, "more than max_excluded_share"),
        (
            "id,start\n1,2024-13-45\n",
            {"columns": {"customer_id": "id", "start_date": "start"}},
            "not dates",
        ),
        (
            "id,start,end\n1,2024-05-01,2024-04-01\n",
            {"columns": {"customer_id": "id", "start_date": "start", "end_date": "end"}},
            "end before they start",
        ),
    ],
)
def test_bad_input_stops_with_file_column_and_rows(tmp_path, text, source, expected):
    p = _csv(tmp_path, text)
    definition = "contract" if "start_date" in source["columns"] else "snapshot"
    with pytest.raises(InputError) as err:
        _conform(p, definition=definition, **source)
    msg = str(err.value)
    assert expected in msg
    assert str(p) in msg


def test_error_names_column_and_example_rows(tmp_path):
    p = _csv(tmp_path, "id,start\n1,2024-01-01\n2,31/01/2024\n3,2024-02-01\n")
    with pytest.raises(InputError) as err:
        _conform(p, definition="contract", columns={"customer_id": "id", "start_date": "start"})
    assert err.value.column == "start"
    assert err.value.rows == [(3, "31/01/2024")]
    assert "row 3: '31/01/2024'" in str(err.value)


def test_date_format_option_parses_day_first_dates(tmp_path):
    p = _csv(tmp_path, "id,start\n1,31/01/2024\n")
    out, _ = _conform(
        p,
        definition="contract",
        date_format="%d/%m/%Y",
        columns={"customer_id": "id", "start_date": "start"},
    )
    assert out["start_date"].tolist() == [pd.Timestamp("2024-01-31")]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "the file is empty"),
        (b"id,tenure,left\n", "no data rows"),
        (b"id,tenure,left\n1,2,\xff\xfe\xfa\xfb\n", "cannot be decoded"),
    ],
)
def test_empty_and_undecodable_files(tmp_path, content, expected):
    p = tmp_path / "x.csv"
    p.write_bytes(content)
    with pytest.raises(InputError, match=expected):
        _conform(p, **SNAP)


def test_missing_file_and_missing_sheet(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        read_source(tmp_path / "nope.csv")
    p = tmp_path / "b.xlsx"
    pd.DataFrame({"a": [1]}).to_excel(p, index=False)
    with pytest.raises(InputError, match="sheet 'Data' does not exist"):
        read_source(p, sheet="Data")


def test_required_columns_follow_definition():
    assert required_columns("customers", "snapshot", {"customers"}) == [
        "customer_id",
        "tenure_months",
        "churned",
    ]
    assert required_columns("customers", "contract", {"customers"}) == ["customer_id", "start_date"]
    assert required_columns("customers", "contract", {"customers", "subscriptions"}) == [
        "customer_id"
    ]


def test_whitespace_is_what_python_strips():
    import sys

    from churnreport.data.contract import WHITESPACE

    assert set(WHITESPACE) == {c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace()}


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.sampled_from(["NA", " n/a ", "null", "?"]),
            st.text(alphabet=st.sampled_from(["a", "中", "?", " ", "\t", "\n", "\u3000", "\xa0",
                                              "\x1c", "\u2028", "\x85", "é", "\x00", "N", "A"])),
        ),
        min_size=1,
        max_size=20,
    )
)  # fmt: skip
def test_text_cells_found_by_arrow_equal_python_cell_by_cell(values):
    from churnreport.data.contract import MISSING_TOKENS, _text_cells

    s = pd.Series(values, index=range(3, 3 + len(values)), dtype=object)
    stripped, token, blank = _text_cells(s)
    expected = s.str.strip()
    pd.testing.assert_series_equal(stripped, expected)
    assert token.tolist() == [v in MISSING_TOKENS for v in expected]
    assert blank.tolist() == [v == "" for v in expected]


def test_text_cells_fall_back_for_text_arrow_cannot_hold():
    from churnreport.data.contract import _text_cells

    s = pd.Series([" a\ud800 ", "b ", " NA", "  "], dtype=object)  # a lone surrogate: not UTF-8
    stripped, token, blank = _text_cells(s)
    assert stripped.tolist() == ["a\ud800", "b", "NA", ""]
    assert token.tolist() == [False, False, True, False]
    assert blank.tolist() == [False, False, False, True]


def test_text_among_numbers_is_cleaned_and_the_numbers_kept():
    from churnreport.data.contract import _clean_text

    q = DataQuality()
    s = pd.Series([" x ", 3, "NA", "", None, 2.5, " "], dtype=object)
    out = _clean_text(s, "customers", "plan", q)
    assert out.tolist()[:2] == ["x", 3] and out.tolist()[5] == 2.5
    assert out.iloc[[2, 3, 4, 6]].isna().all()
    counted = {i.reason: i.count for i in q.issues}
    assert counted["missing_token"] == 1
    assert counted["blank_value"] == 3  # "", None and " "


@pytest.mark.parametrize("suffix", [".xlsx", ".parquet"])
def test_far_future_and_placeholder_date_cells_are_read_as_missing_and_counted(tmp_path, suffix):
    # cells typed as dates by the file (Excel datetimes, Parquet date32), not text
    frame = pd.DataFrame(
        {
            "id": ["a", "b", "c", "d"],
            "start": [dt.date(2023, 1, 2), dt.date(1899, 12, 30), dt.date(2023, 3, 1),
                      dt.date(1, 1, 1)],
            "end": [dt.date(9999, 12, 31), None, dt.date(2024, 1, 5), None],
        }
    )  # fmt: skip
    path = tmp_path / f"c{suffix}"
    frame.to_excel(path, index=False) if suffix == ".xlsx" else frame.to_parquet(path)
    columns = {"customer_id": "id", "start_date": "start", "end_date": "end"}
    out, q = _conform(path, definition="contract", max_excluded_share=0.5, columns=columns)
    assert out["customer_id"].tolist() == ["a", "c"]  # b and d: placeholder starts, excluded
    assert out["end_date"].isna().tolist() == [True, False]  # 9999-12-31: open
    kinds = {(i.column, i.reason): i.count for i in q.issues}
    assert kinds["end_date", "far_future_date"] == 1
    assert kinds["start_date", "placeholder_date"] == 2
    assert kinds["start_date", "missing_required_value"] == 2


def test_a_parquet_files_pandas_index_is_a_column_and_its_dates_datetime64(tmp_path):
    """A Parquet file written by pandas from a frame indexed by customer id holds the ids
    as its index: they are a column like any other, as its header lists them (not replaced
    by row numbers), whether read whole or in blocks; an unnamed index pandas wrote is its
    bookkeeping and no column. Dates, mapped or not, are datetime64 both ways."""
    from churnreport.data.infer import read_for_inference  # init reads it as the run does
    from churnreport.data.sources import SourceFile

    frame = pd.DataFrame(
        {
            "id": ["a", "b", "c"],
            "start": [dt.date(2023, 1, 2), dt.date(2023, 2, 3), dt.date(2023, 3, 4)],
            "signed": [dt.date(2022, 12, 1), None, dt.date(2023, 3, 1)],
            "visits": pd.array([4, None, 6], dtype="Int64"),  # pandas' own dtype, kept
        }
    )
    frame.set_index("id").to_parquet(tmp_path / "named.parquet")
    frame.iloc[[2, 0, 1]].to_parquet(tmp_path / "unnamed.parquet")  # index 2, 0, 1 written
    columns = {"customer_id": "id", "start_date": "start"}
    for name in ("named", "unnamed"):
        source = SourceFile(tmp_path / f"{name}.parquet")
        assert sorted(source.header) == ["id", "signed", "start", "visits"]  # the index last
        whole = read_source(tmp_path / f"{name}.parquet").frame
        blocks = pd.concat(b.frame for b in source.blocks(source.header, 2))
        pd.testing.assert_frame_equal(whole, blocks)
        assert sorted(whole["id"]) == ["a", "b", "c"] and whole["visits"].dtype == "Int64"
        inferred = read_for_inference(tmp_path / f"{name}.parquet").frame
        assert list(inferred.columns) == source.header
        out, _ = _conform(tmp_path / f"{name}.parquet", definition="contract", columns=columns)
        assert sorted(out["customer_id"]) == ["a", "b", "c"]
        assert out["start_date"].dtype == "datetime64[ns]"
        assert pd.api.types.is_datetime64_any_dtype(out["signed"])  # an extra date column


def test_time_zone_aware_cells_count_on_their_own_calendar_day(tmp_path):
    utc = pd.Timestamp("2024-03-31 23:30", tz="UTC")
    frame = pd.DataFrame(
        {
            "id": ["a", "b"],
            "berlin": [utc.tz_convert("Europe/Berlin"), utc.tz_convert("Europe/Berlin")],
            "utc": [utc, utc],
        }
    )
    frame.to_parquet(tmp_path / "c.parquet")
    for column, day in (("berlin", "2024-04-01"), ("utc", "2024-03-31")):
        columns = {"customer_id": "id", "start_date": column}
        out, _ = _conform(tmp_path / "c.parquet", definition="contract", columns=columns)
        assert (out["start_date"] == pd.Timestamp(day)).all(), (column, out["start_date"])
        assert out["start_date"].dtype == "datetime64[ns]"
    # an object column of timestamps in different zones (as a spreadsheet reader may give)
    mixed = pd.Series([utc, utc.tz_convert("Asia/Shanghai"), pd.Timestamp("2024-01-02")])
    days, _, _ = _parse_dates(mixed.astype(object), "p", "c", None)
    assert days.astype(str).tolist() == ["2024-03-31", "2024-04-01", "2024-01-02"]


def test_python_dates_as_a_database_driver_returns_them_are_read_in_one_pass():
    s = pd.Series([dt.date(2024, 1, 5), None, dt.date(9999, 12, 31), dt.date(1, 1, 1)])
    days, future, placeholder = _parse_dates(s, "p", "c", None)
    assert days.iloc[0] == pd.Timestamp("2024-01-05") and days.iloc[1:].isna().all()
    assert future.tolist() == [False, False, True, False]
    assert placeholder.tolist() == [False, False, False, True]


def test_text_far_future_markers_in_any_format_and_2099_stays_a_date():
    s = pd.Series(["9999-12-31", "9999-12-31 00:00:00", "9999-12-31T23:59:59", "2099-12-31"])
    days, future, placeholder = _parse_dates(s, "p", "c", None)
    assert future.tolist() == [True, True, True, False]
    assert days.iloc[3] == pd.Timestamp("2099-12-31") and not placeholder.any()
    days, future, _ = _parse_dates(pd.Series(["31/12/9999", "05/01/2024"]), "p", "c", "%d/%m/%Y")
    assert future.tolist() == [True, False] and days.iloc[1] == pd.Timestamp("2024-01-05")
    with pytest.raises(InputError, match="not dates"):  # still not a date
        _parse_dates(pd.Series(["9999-13-31"]), "p", "c", None)


def test_decimal_ids_are_whole_numbers_only_when_the_whole_column_is():
    ids = pd.Series(["17.0", "18", None, "019.00"], dtype="string")
    fixed, changed = _integral_ids(ids)
    assert fixed.tolist()[:2] == ["17", "18"] and fixed.iloc[3] == "019"
    assert changed.tolist() == [True, False, False, True]
    mixed = pd.Series(["17.0", "v1.5", "C3"], dtype="string")  # text ids: left as written
    assert _integral_ids(mixed)[0].tolist() == ["17.0", "v1.5", "C3"]


def test_zero_or_negative_monthly_revenue_is_noted_and_kept(tmp_path):
    p = _csv(tmp_path, "id,tenure,left,fee\n1,3,Yes,0\n2,4,No,-5\n3,5,No,20\n")
    source = {"columns": {**SNAP["columns"], "monthly_revenue": "fee"}}
    out, q = _conform(p, **source)
    assert out["monthly_revenue"].tolist() == [0, -5, 20]
    (issue,) = [i for i in q.issues if i.reason == "non_positive_revenue"]
    assert (issue.count, issue.examples) == (2, [(2, "0"), (3, "-5")])


def test_yes_no_values_are_read_once_per_distinct_value_with_the_same_answers():
    # 1, 1.0 and True hash alike (one distinct value): each still reads as yes; missing
    # values of every kind stay missing; a bad value is counted on every row it is on
    import numpy as np

    from churnreport.data.contract import parse_bool

    got = parse_bool(
        pd.Series([True, 1, 1.0, "yes", "是", None, np.nan, pd.NA, "0", 0, False, "N"]), "f", "c"
    )
    assert got.dtype == "boolean"
    assert got.tolist() == [True] * 5 + [pd.NA] * 3 + [False] * 4
    with pytest.raises(InputError, match="2 values are neither yes nor no"):
        parse_bool(pd.Series(["yes", "maybe", None, "maybe"]), "f.csv", "c")
    # 1 and Decimal("1.00") hash alike; only the first is a yes (a SQL NUMERIC column)
    from decimal import Decimal

    with pytest.raises(InputError, match="1 values are neither") as bad:
        parse_bool(pd.Series([1, Decimal("1.00")]), "f.csv", "c")
    assert "1.00" in str(bad.value)


def test_extra_column_is_numeric_only_when_every_value_is_a_number():
    from churnreport.data.contract import _extra

    numbers = [str(i) for i in range(1500)]
    assert _extra(pd.Series([*numbers, None], dtype=object)).dtype.kind in "if"
    # text after the first thousand values: still text
    assert _extra(pd.Series([*numbers, "x"], dtype=object)).dtype == "string"
    assert _extra(pd.Series(["x", *numbers], dtype=object)).dtype == "string"
