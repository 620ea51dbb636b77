"""Long tables read block by block: the same rows, row numbers, checks and counts as one read."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import churnreport.data.load as load_module
from churnreport.config import load_config
from churnreport.data import load_dataset
from churnreport.data import sources as sources_module
from churnreport.data.engine import daily_purchases, daily_purchases_in_blocks
from churnreport.data.quality import DataQuality, Issue, TableQuality
from churnreport.data.sources import SourceFile, read_source
from churnreport.errors import InputError


def _csv(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def test_blocks_number_rows_as_the_file_shows_them(tmp_path):
    body = "".join(f"C{i},2024-01-{1 + i % 28:02d},{i}\n" for i in range(10))
    path = _csv(tmp_path / "t.csv", "export of 2024\ncustomer_id,date,amount,note\n" + body)
    source = SourceFile(path, header_row=1)
    assert source.header == ["customer_id", "date", "amount", "note"]
    blocks = list(source.blocks(["customer_id", "amount"], block_rows=4))
    assert [len(b.frame) for b in blocks] == [4, 4, 2]
    assert list(blocks[0].frame.columns) == ["customer_id", "amount"]  # 'note' never parsed
    # the title is row 1, the header row 2: the first data row is row 3, as a spreadsheet shows
    assert list(blocks[1].frame.index) == [7, 8, 9, 10]
    whole = read_source(path, header_row=1).frame
    joined = pd.concat([b.frame for b in blocks])
    pd.testing.assert_frame_equal(joined, whole[["customer_id", "amount"]])


@pytest.mark.parametrize("suffix", [".parquet", ".xlsx"])
def test_parquet_and_xlsx_blocks(tmp_path, suffix):
    frame = pd.DataFrame({" customer_id": [f"C{i}" for i in range(7)], "amount": range(7)})
    path = tmp_path / f"t{suffix}"
    if suffix == ".parquet":
        frame.to_parquet(path)
    else:
        frame.to_excel(path, index=False)
    source = SourceFile(path)
    assert source.header == ["customer_id", "amount"]
    blocks = list(source.blocks(["customer_id"], block_rows=3))
    assert [len(b.frame) for b in blocks] == [3, 3, 1]
    first = 1 if suffix == ".parquet" else 2
    assert blocks[2].frame.index[0] == first + 6
    assert blocks[2].frame["customer_id"].iloc[0] == "C6"


def test_encoding_is_checked_over_the_whole_file_a_chunk_at_a_time(tmp_path, monkeypatch):
    monkeypatch.setattr(sources_module, "READ_CHUNK", 7)  # chunk ends split characters
    text = "customer_id,churn_reason\n" + "".join(f"C{i},价格太高\n" for i in range(5))
    assert SourceFile(_csv(tmp_path / "u.csv", text)).encoding == "utf-8-sig"
    assert SourceFile(_csv(tmp_path / "g.csv", text, "gbk")).encoding == "gb18030"
    mixed = text.encode() + "C9,服务差\n".encode("gbk")
    (tmp_path / "m.csv").write_bytes(mixed)
    with pytest.raises(InputError, match="mixed text encodings"):
        SourceFile(tmp_path / "m.csv")
    bad = text.encode() + b"C9,\xff\xfe\n"
    (tmp_path / "b.csv").write_bytes(bad)
    with pytest.raises(
        InputError, match=r"cannot be decoded as utf-8 \(first bad byte on line 7\)"
    ):
        SourceFile(tmp_path / "b.csv", encoding="utf-8")


def test_a_damaged_parquet_file_is_named(tmp_path):
    path = tmp_path / "t.parquet"
    path.write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(InputError, match="not a readable Parquet file"):
        SourceFile(path)


def test_header_only_file_read_in_blocks_stops(tmp_path):
    path = _csv(tmp_path / "t.csv", "customer_id,date\n")
    with pytest.raises(InputError, match="header but no data rows"):
        list(SourceFile(path).blocks(["customer_id"]))


def test_absorb_sums_rows_and_counts_and_keeps_five_examples():
    total = DataQuality()
    for start in (2, 5):
        block = DataQuality()
        block.tables["transactions"] = TableQuality("transactions", "t.csv", 3, 2)
        block.add(Issue("transactions", "date", "excluded", "missing_required_value", 1,
                        [(start, "")]))  # fmt: skip
        block.add(Issue("transactions", "amount", "repaired", "missing_token", 3,
                        [(start + k, "?") for k in range(3)]))  # fmt: skip
        total.absorb(block)
    assert (total.tables["transactions"].rows_read, total.tables["transactions"].rows_kept) == (
        6,
        4,
    )
    counts = {i.reason: i.count for i in total.issues}
    assert counts == {"missing_required_value": 2, "missing_token": 6}
    token = next(i for i in total.issues if i.reason == "missing_token")
    assert token.examples == [(2, "?"), (3, "?"), (4, "?"), (5, "?"), (6, "?")]
    assert total.excluded("transactions") == 2


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.sampled_from(["A", "B", "C"]), st.integers(0, 5), st.integers(-50, 50)),
        min_size=1,
        max_size=30,
    ),
    cuts=st.lists(st.integers(0, 30), max_size=4),
)
def test_blocks_reduce_to_the_same_customer_days_as_one_table(rows, cuts):
    tx = pd.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "date": [pd.Timestamp(2024, 1, 1) + pd.Timedelta(days=r[1]) for r in rows],
            "amount": [r[2] / 4 for r in rows],  # exact in binary: sums do not depend on order
        }
    )
    bounds = sorted({0, len(tx), *[c for c in cuts if c < len(tx)]})
    blocks = [tx.iloc[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]
    pd.testing.assert_frame_equal(daily_purchases_in_blocks(blocks), daily_purchases(tx))


def _inactivity_config(tmp_path, tx: pd.DataFrame, **extra) -> object:
    tx.to_csv(tmp_path / "transactions.csv", index=False)
    cfg = {
        "name": "blocks",
        "as_of": "2024-12-31",
        "churn": {"definition": "inactivity", "inactivity_days": 60},
        "sources": {"transactions": {"path": "transactions.csv"}},
        **extra,
    }
    (tmp_path / "report.yml").write_text(yaml.safe_dump(cfg), encoding="utf-8")
    return load_config(tmp_path / "report.yml")


def _transactions(n: int = 400, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    days = rng.integers(0, 700, n)
    tx = pd.DataFrame(
        {
            "order": [f"O{i}" for i in range(n)],
            "customer_id": [f"C{k:02d}" for k in rng.integers(0, 30, n)],
            "date": [(dt.date(2023, 1, 1) + dt.timedelta(days=int(d))).isoformat() for d in days],
            "amount": [f"{a / 4:.2f}" for a in rng.integers(1, 400, n)],
        }
    )
    tx.loc[[5, 150, 390], "customer_id"] = ""  # excluded: no id (in three different blocks)
    tx.loc[[7, 8, 260], "amount"] = "?"  # repaired: read as missing
    return tx


def test_a_file_read_in_blocks_gives_the_dataset_of_one_read(tmp_path, monkeypatch):
    cfg = _inactivity_config(tmp_path, _transactions())
    whole = load_dataset(cfg)
    sizes = []
    real = load_module.conform

    def spy(raw, *args, **kwargs):
        sizes.append(len(raw.frame))
        return real(raw, *args, **kwargs)

    monkeypatch.setattr(load_module, "conform", spy)
    monkeypatch.setattr(sources_module, "BLOCK_ROWS", 64)
    blocked = load_dataset(cfg)
    assert sizes == [64] * 6 + [16]
    pd.testing.assert_frame_equal(blocked.tables["transactions"], whole.tables["transactions"])
    pd.testing.assert_frame_equal(blocked.customers, whole.customers)
    assert blocked.quality.to_dict() == whole.quality.to_dict()
    issues = {(i.column, i.reason): i for i in blocked.quality.issues}
    assert issues["customer_id", "missing_required_value"].count == 3
    assert [r for r, _ in issues["customer_id", "missing_required_value"].examples] == [7, 152, 392]
    assert issues["amount", "missing_token"].count == 3
    assert issues["order", "columns_not_used"].count == 400  # rows whose column was not read
    tq = blocked.quality.tables["transactions"]
    assert (tq.rows_read, tq.rows_kept) == (400, 397)


@pytest.mark.parametrize("amounts", [True, False])
def test_the_customer_days_of_a_file_read_in_blocks_come_sorted(tmp_path, monkeypatch, amounts):
    tx = _transactions()
    cfg = _inactivity_config(tmp_path, tx if amounts else tx.drop(columns="amount"))
    monkeypatch.setattr(sources_module, "BLOCK_ROWS", 64)  # the blocks merged in the engine
    days = load_dataset(cfg).tables["transactions"]
    assert ("amount" in days) == amounts
    assert days.equals(days.sort_values(["customer_id", "date"], ignore_index=True))


def test_a_bad_value_in_a_late_block_names_its_row(tmp_path, monkeypatch):
    tx = _transactions()
    tx.loc[333, "date"] = "2024-02-30"
    monkeypatch.setattr(sources_module, "BLOCK_ROWS", 64)
    with pytest.raises(InputError, match="not dates") as err:
        load_dataset(_inactivity_config(tmp_path, tx))
    assert err.value.column == "date"
    assert err.value.rows == [(335, "2024-02-30")]
    # the count covers the block read when it stopped, and says so
    assert "1 values are not dates in format ISO8601 (counted in rows 322-385:" in str(err.value)
    assert "rows after these were not read" in str(err.value)


def test_the_customer_days_wait_in_one_file_removed_with_the_dataset_or_a_failed_load(
    tmp_path, monkeypatch
):
    import gc
    import tempfile

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    cfg = _inactivity_config(tmp_path, _transactions())
    ds = load_dataset(cfg)
    # only the final file is left: the netted days replaced the merged ones
    (folder,) = scratch.glob("churnreport-prepare-*")
    assert [p.name for p in folder.iterdir()] == ["purchase_days.parquet"]
    assert ds.tables.parquet_file("transactions") == folder / "purchase_days.parquet"
    del ds
    gc.collect()
    assert not list(scratch.glob("churnreport-prepare-*"))
    tx = _transactions()
    tx.loc[333, "date"] = "2024-02-30"
    with pytest.raises(InputError):
        load_dataset(_inactivity_config(tmp_path, tx))
    assert not list(scratch.glob("churnreport-prepare-*"))  # a failed load leaves nothing


def test_a_bad_value_in_a_single_block_table_has_no_block_note(tmp_path):
    tx = _transactions()
    tx.loc[333, "date"] = "2024-02-30"
    with pytest.raises(InputError, match="not dates") as err:
        load_dataset(_inactivity_config(tmp_path, tx))
    assert "counted in rows" not in str(err.value)


@pytest.mark.parametrize("blank, stops", [(30, False), (120, True)])
def test_excluded_share_is_judged_on_the_whole_file(tmp_path, monkeypatch, blank, stops):
    tx = _transactions()
    tx.loc[: blank - 1, "customer_id"] = ""  # all in the first blocks: > 20% of each of them
    monkeypatch.setattr(sources_module, "BLOCK_ROWS", 64)
    cfg = _inactivity_config(tmp_path, tx)
    if stops:
        with pytest.raises(InputError, match=r"max_excluded_share") as err:
            load_dataset(cfg)
        assert err.value.column == "customer_id" and err.value.rows[0][0] == 2
    else:
        ds = load_dataset(cfg)
        assert ds.quality.excluded("transactions") == blank + 2  # and rows 150, 390


def _parquet_whole_and_in_blocks(tmp_path, monkeypatch, tx: pd.DataFrame):
    """``tx`` written as a Parquet transactions file and loaded in one block, then in blocks
    of 64 rows (an inactivity report)."""
    tx = tx.assign(amount=pd.to_numeric(tx["amount"], errors="coerce"))
    tx.to_parquet(tmp_path / "transactions.parquet", index=False)
    cfg = {
        "name": "parquet",
        "as_of": "2024-12-31",
        "churn": {"definition": "inactivity", "inactivity_days": 60},
        "sources": {"transactions": {"path": "transactions.parquet"}},
    }
    (tmp_path / "report.yml").write_text(yaml.safe_dump(cfg), encoding="utf-8")
    whole = load_dataset(load_config(tmp_path / "report.yml"))
    monkeypatch.setattr(sources_module, "BLOCK_ROWS", 64)
    return whole, load_dataset(load_config(tmp_path / "report.yml"))


def test_time_zone_aware_parquet_read_in_blocks_gives_the_days_of_one_read(tmp_path, monkeypatch):
    tx = _transactions().drop(columns="order")
    tx = tx[tx["customer_id"] != ""].reset_index(drop=True)
    # 23:30 in Shanghai is 15:30 UTC: the stored zone's (Shanghai's) calendar day counts
    tx["date"] = (pd.to_datetime(tx["date"]) + pd.Timedelta(hours=23, minutes=30)).dt.tz_localize(
        "Asia/Shanghai"
    )
    whole, blocked = _parquet_whole_and_in_blocks(tmp_path, monkeypatch, tx)
    pd.testing.assert_frame_equal(blocked.tables["transactions"], whole.tables["transactions"])
    days = whole.tables["transactions"]["date"]
    assert set(days) == set(tx["date"].dt.tz_localize(None).dt.normalize())


def test_ids_of_a_table_read_in_blocks_match_by_number_with_rows_of_the_file(tmp_path, monkeypatch):
    tx = _transactions()
    tx = tx[tx["customer_id"] != ""].reset_index(drop=True)
    tx["customer_id"] = tx["customer_id"].str[1:].astype(int).astype(str)  # C07 -> 7
    tx.loc[300, "customer_id"] = "777"  # one unknown customer, in a late block
    ids = sorted({f"{int(i):04d}" for i in tx["customer_id"] if i != "777"})
    pd.DataFrame({"customer_id": ids}).to_csv(tmp_path / "customers.csv", index=False)
    monkeypatch.setattr(sources_module, "BLOCK_ROWS", 64)
    cfg = _inactivity_config(tmp_path, tx, **{})
    cfg.sources["customers"] = cfg.sources["transactions"].model_copy(
        update={"path": tmp_path / "customers.csv"}
    )
    ds = load_dataset(cfg)
    issues = {i.reason: i for i in ds.quality.issues if i.table == "transactions"}
    assert issues["id_matched_by_number"].count == len(tx) - 1
    row, text = issues["id_matched_by_number"].examples[0]
    assert row == 2 and text == f"{tx.loc[0, 'customer_id']} -> {int(tx.loc[0, 'customer_id']):04d}"
    assert issues["unknown_customer"].examples == [(302, "777")]  # its row in the file
    assert set(ds.customers["customer_id"]) == {*ids, "777"}


def test_a_parquet_date_column_read_in_blocks_gives_the_days_and_notes_of_one_read(
    tmp_path, monkeypatch
):
    """Blocks read a Parquet date column as datetime64 (no Python object per cell): the same
    days, and the same far-future and placeholder dates read as missing and noted."""
    import datetime as dt

    tx = _transactions().drop(columns="order")
    tx = tx[tx["customer_id"] != ""].reset_index(drop=True)
    tx["date"] = pd.to_datetime(tx["date"]).dt.date
    tx.loc[5, "date"] = dt.date(9999, 12, 31)  # "never": far in the future
    tx.loc[7, "date"] = dt.date(1900, 1, 1)  # a placeholder
    tx.loc[9, "date"] = None
    whole, blocked = _parquet_whole_and_in_blocks(tmp_path, monkeypatch, tx)  # a date32 column
    pd.testing.assert_frame_equal(blocked.tables["transactions"], whole.tables["transactions"])
    notes = lambda ds: sorted((i.reason, i.count, i.examples) for i in ds.quality.issues)  # noqa: E731
    assert notes(blocked) == notes(whole)
    examples = {r: e for r, _, e in notes(whole)}
    assert examples["far_future_date"] == [(6, dt.date(9999, 12, 31))]  # shown as a day
    assert examples["placeholder_date"] == [(8, dt.date(1900, 1, 1))]
