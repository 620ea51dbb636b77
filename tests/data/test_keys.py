"""Customer ids across tables: matched as written, by number only when one-to-one, counted."""

from __future__ import annotations

import pandas as pd
import pytest

from churnreport.data.keys import is_among, join_customers, match_ids
from churnreport.data.quality import DataQuality, TableQuality
from churnreport.errors import InputError


def _ids(*values: str) -> pd.Series:
    return pd.Series(values, dtype="string")


def test_ids_differing_only_by_leading_zeros_match_by_number_both_ways():
    m = match_ids(_ids("58", "58", "000059", "X"), _ids("000058", "59", "C1"))
    assert m.by_number == {"58": "000058", "000059": "59"}
    assert m.unknown == {"X"}


def test_a_number_that_is_two_customers_is_never_matched():
    # the customers table has both 58 and 058: which one a table's 0058 means is unknown
    m = match_ids(_ids("0058", "7"), _ids("58", "058", "007"))
    assert m.by_number == {"7": "007"}
    assert m.unknown == {"0058"}


def test_a_number_the_table_writes_two_ways_is_never_matched():
    # 58 and 0058 in one table may be two customers: neither is guessed to be 000058
    m = match_ids(_ids("58", "0058", "000058", "9"), _ids("000058", "000009"))
    assert m.by_number == {"9": "000009"}
    assert m.unknown == {"58", "0058"}


def test_other_differences_are_never_guessed():
    m = match_ids(_ids("c001", " C001", "C1", "1"), _ids("C001"))
    assert m.by_number == {} and m.unknown == {"c001", " C001", "C1", "1"}


def _quality(table: str, rows: int) -> DataQuality:
    q = DataQuality()
    q.tables[table] = TableQuality(table, f"{table}.csv", rows_read=rows, rows_kept=rows)
    return q


def test_unknown_rows_are_counted_with_their_share_and_excluded_where_unusable():
    frame = pd.DataFrame(
        {"customer_id": _ids("1", "2", "3", "X", "Y", "1", "2", "3", "4", "5").array},
        index=range(2, 12),
    )
    q = _quality("tickets", 10)
    out = join_customers(
        frame, "tickets", _ids("001", "002", "003", "004", "005"), q, label="tickets.csv",
        column="id", keep_unknown=False, max_excluded_share=0.2,
    )  # fmt: skip
    assert out["customer_id"].tolist() == ["001", "002", "003", "001", "002", "003", "004", "005"]
    issues = {i.reason: i for i in q.issues}
    assert issues["id_matched_by_number"].count == 8
    assert issues["id_matched_by_number"].examples[0] == (2, "1 -> 001")
    unknown = issues["unknown_customer"]
    assert (unknown.action, unknown.count, unknown.share) == ("excluded", 2, 0.2)
    assert unknown.examples == [(5, "X"), (6, "Y")]
    assert q.tables["tickets"].rows_kept == 8


def test_unknown_rows_are_kept_where_they_make_customers():
    frame = pd.DataFrame({"customer_id": _ids("A", "A", "B", "Z")})
    q = _quality("transactions", 4)
    out = join_customers(
        frame, "transactions", _ids("A", "B"), q, label="t.csv", column="id",
        keep_unknown=True, max_excluded_share=0.2,
    )  # fmt: skip
    assert len(out) == 4 and q.tables["transactions"].rows_kept == 4
    (issue,) = q.issues
    assert (issue.action, issue.count, issue.share) == ("note", 1, 0.25)


def test_more_excluded_than_max_excluded_share_stops():
    frame = pd.DataFrame({"customer_id": _ids("A", "B", "C", "Z").array}, index=range(2, 6))
    with pytest.raises(InputError, match=r"1 of 4 rows \(25%\) are excluded") as err:
        join_customers(
            frame, "tickets", _ids("A", "B", "C"), _quality("tickets", 4), label="tickets.csv",
            column="cust", keep_unknown=False, max_excluded_share=0.2,
        )  # fmt: skip
    assert err.value.column == "cust" and err.value.rows == [(5, "Z")]


@pytest.mark.parametrize("mask", [False, True])
def test_a_table_that_barely_matches_stops_naming_both_spellings(mask):
    frame = pd.DataFrame(
        {"customer_id": _ids("K1", "K2", "K3", "C1"), "purchases": [5, 5, 5, 2]}, index=range(4)
    )
    with pytest.raises(InputError, match=r"only 2 of 17 rows \(11.8%\)") as err:
        join_customers(
            frame, "transactions", _ids("C1", "C2"), _quality("transactions", 17),
            label="t.csv", column="cust", keep_unknown=True, max_excluded_share=1.0,
            weights=frame["purchases"], first_rows={"K1": 7, "K3": 40}, mask=mask,
        )  # fmt: skip
    assert err.value.rows == [(7, "K1"), (40, "K3")]  # K2's row is not known: left out
    assert ("C1" in str(err.value.hint)) is not mask


@pytest.mark.parametrize("storage", ["python", "pyarrow"])
def test_is_among_is_isin_for_either_text_storage(storage):
    ids = pd.Series(["C1", "C2", "C3", "C2", "C10"], dtype=pd.StringDtype(storage))
    for known in (
        pd.Series(["C2", "C10", "C2"], dtype=pd.StringDtype(storage)),
        pd.Series(["C2", "C10"], dtype=object),
        pd.Index(["C3"]),
        pd.Series([], dtype=object),
    ):
        want = ids.isin(known).to_numpy(dtype=bool)
        got = is_among(ids, known)
        assert got.dtype == bool and got.tolist() == want.tolist()
