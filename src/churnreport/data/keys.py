"""Customer ids across tables: compared as the same text, matched, the unmatched counted.

Every table's ``customer_id`` is text (data.contract: ``58``, ``000058`` and ``C58`` are three
ids; whole numbers written as decimals, ``17.0``, are read as ``17``). A table whose ids are
not in the customers table is reported here, row by row:

- ids of digits only that differ from the customers table only by leading zeros (``58`` for
  ``000058``, a spreadsheet dropping them, or adding them) are matched by their number, but
  only when that is one-to-one: the number is one customer in the customers table and is
  written one way in the table itself. Each such id is counted in the data-quality record with
  examples (``row 12: 58 -> 000058``); any other difference is never guessed.
- the rows still not matched are counted with their share of the table; they are kept where
  they make customers of their own (transactions under the inactivity definition,
  subscriptions) and excluded elsewhere (tickets, churn events, transactions feeding only the
  early-warning features), where ``max_excluded_share`` applies;
- a table of which fewer than :data:`MIN_MATCHED_SHARE` of the rows match stops the run: the
  ids are written differently, and every figure drawn from it would be silently wrong.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from churnreport.data.contract import check_excluded_share
from churnreport.data.quality import DataQuality, Issue
from churnreport.errors import InputError

#: A table of which a smaller share of rows has a known customer id stops the run.
MIN_MATCHED_SHARE = 0.5
_DIGITS = r"[0-9]+"  # ASCII digits only (\\d also matches other scripts' digits)


@dataclass(frozen=True)
class IdMatch:
    """How the ids of one table meet the customers table's.

    Attributes
    ----------
    by_number : dict
        Table id -> customers' id, for ids of digits matched by their number (leading zeros).
    unknown : frozenset
        Table ids (as written) not in the customers table, even by number.
    """

    by_number: dict[str, str]
    unknown: frozenset[str]


def is_among(ids: pd.Series, known) -> np.ndarray:
    """Whether each of ``ids`` is one of the ids ``known``: one hash lookup per id.

    ``Series.isin`` first makes a Python object of every value in ``known`` when the ids are
    pandas' Arrow-backed text, as the notebooks read them (``load.read_table``): 1.6 s for
    300,000 known ids, 0.25 s here.

    Parameters
    ----------
    ids : Series
        Customer ids (a missing id is among ``known`` when ``known`` has one, as for isin).
    known : array-like
        Ids, in any order, repeats allowed.

    Returns
    -------
    ndarray of bool
        True where the id is one of ``known``.
    """
    return pd.Index(known).unique().get_indexer(ids) >= 0


def match_ids(ids: pd.Series, customer_ids: pd.Series) -> IdMatch:
    """Match a table's ids to the customers table's: as written, else by number when that is
    one-to-one.

    Parameters
    ----------
    ids : Series of str
        The table's ids (repeats allowed).
    customer_ids : Series of str
        The customers table's ids (unique).

    Returns
    -------
    IdMatch

    Examples
    --------
    >>> m = match_ids(pd.Series(["58", "7", "X"]), pd.Series(["000058", "000059", "7"]))
    >>> m.by_number, sorted(m.unknown)
    ({'58': '000058'}, ['X'])
    """
    table_ids = pd.Series(pd.unique(ids.dropna().to_numpy()), dtype="string")
    known = pd.Index(customer_ids.dropna().astype("string").unique())
    rest = table_ids[~table_ids.isin(known)]
    by_number: dict[str, str] = {}
    if len(rest):
        cust = pd.Series(known, dtype="string")
        cust = cust[cust.str.fullmatch(_DIGITS).fillna(False).astype(bool)]
        candidates = rest[rest.str.fullmatch(_DIGITS).fillna(False).astype(bool)]
        if len(cust) and len(candidates):
            keys = _number(cust)
            one_customer = ~keys.duplicated(keep=False)  # the number is one customer
            lookup = pd.Series(cust[one_customer].to_numpy(), index=keys[one_customer].to_numpy())
            digits = table_ids[table_ids.str.fullmatch(_DIGITS).fillna(False).astype(bool)]
            spellings = _number(digits)
            written_once = set(spellings[~spellings.duplicated(keep=False)])
            number = _number(candidates)
            target = number.map(lookup)
            ok = target.notna() & number.isin(written_once)
            by_number = dict(zip(candidates[ok], target[ok], strict=True))
    unknown = frozenset(rest[~rest.isin(by_number)])
    return IdMatch(by_number, unknown)


def _number(ids: pd.Series) -> pd.Series:
    """Digit ids without their leading zeros (the number they write, as text: no overflow)."""
    return ids.str.lstrip("0").replace("", "0")


def join_customers(
    frame: pd.DataFrame,
    table: str,
    customer_ids: pd.Series,
    quality: DataQuality,
    *,
    label: str,
    column: str,
    keep_unknown: bool,
    max_excluded_share: float,
    weights: pd.Series | None = None,
    first_rows: dict[str, int] | None = None,
    mask: bool = False,
) -> pd.DataFrame:
    """Relate a table's rows to the customers table: match, count and check its ids.

    Parameters
    ----------
    frame : DataFrame
        The conformed table (``customer_id``); its index holds the source row numbers unless
        ``first_rows`` gives them.
    table : str
        Canonical table name.
    customer_ids : Series of str
        The ids of the customers table.
    quality : DataQuality
        Receives the ids matched by number and the unknown ones (with their share).
    label : str
        The source, for messages.
    column : str
        The source's id column, for messages.
    keep_unknown : bool
        Rows of unknown customers stay (they make customers of their own) or are excluded.
    max_excluded_share : float
        Stop when more than this share of the table's rows is excluded (all reasons).
    weights : Series, optional
        Source rows each row stands for (``purchases`` of customer-days); 1 by default.
    first_rows : dict, optional
        Id -> the first source row holding it, for examples when the index is not a row number.
    mask : bool
        Leave ids out of messages other than the example rows (``pii: mask``).

    Returns
    -------
    DataFrame
        ``frame`` with ids matched by number rewritten as the customers table writes them and,
        unless ``keep_unknown``, without the rows of unknown customers.

    Raises
    ------
    InputError
        Fewer than :data:`MIN_MATCHED_SHARE` of the rows match a customer, or the excluded
        rows exceed ``max_excluded_share``.
    """
    ids = frame["customer_id"]
    weights = pd.Series(1, index=frame.index) if weights is None else weights
    rows = int(weights.sum())
    if not rows:
        return frame
    match = match_ids(ids, customer_ids)

    def examples(hit: pd.Series, show) -> list[tuple[int, object]]:
        """The first five distinct ids of ``hit`` in file order, with their first row."""
        first = ids[hit].drop_duplicates()
        if first_rows is not None:  # customer-days: rows noted while the file was read
            rows = pd.Series(first.to_numpy(), index=first.map(first_rows).to_numpy())
            first = rows[rows.index.notna()].sort_index()
        return [(int(r), show(v)) for r, v in first.head(5).items()]

    if match.by_number:
        renamed = ids.isin(list(match.by_number))
        quality.add(
            Issue(
                table,
                "customer_id",
                "repaired",
                "id_matched_by_number",
                int(weights[renamed].sum()),
                examples(renamed, lambda v: f"{v} -> {match.by_number[v]}"),
                "ids written with other leading zeros than in the customers table (58 for "
                "000058) matched by their number: each such number is one customer there and "
                "is written one way in this table",
            )
        )
        ids = ids.where(~renamed, ids.map(match.by_number)).astype("string")
        frame = frame.assign(customer_id=ids)
    unknown = ids.isin(list(match.unknown))
    missing = int(weights[unknown].sum())
    share = missing / rows
    shown = examples(unknown, lambda v: v)
    if 1 - share < MIN_MATCHED_SHARE:
        sample = [] if mask else list(customer_ids.head(3))
        raise InputError(
            label,
            f"only {rows - missing:,} of {rows:,} rows ({1 - share:.1%}) have a customer id "
            "found in the customers table: the ids are written differently",
            column=column,
            rows=shown,
            hint="write the ids the same way in every table (text, same prefix and leading "
            "zeros)" + (f"; the customers table's ids look like {sample}" if sample else ""),
        )
    fate = "kept as customers without attributes" if keep_unknown else "excluded"
    quality.add(
        Issue(
            table,
            "customer_id",
            "note" if keep_unknown else "excluded",
            "unknown_customer",
            missing,
            shown,
            f"rows whose customer id is not in the customers table ({share:.1%} of the "
            f"table's rows): {fate}",
            share=round(share, 4),
        )
    )
    if keep_unknown or not missing:
        return frame
    quality.tables[table].rows_kept -= missing
    check_excluded_share(
        quality,
        table,
        quality.tables[table].rows_read,
        label,
        {"customer_id": column},
        max_excluded_share,
    )
    return frame[~unknown]


def check_customers_active(
    customers: pd.DataFrame,
    active_ids: pd.Series,
    quality: DataQuality,
    *,
    label: str,
    column: str,
    activity: str,
    max_excluded_share: float,
) -> None:
    """Stop when too many customers have no activity at all in the data.

    A customer without any subscription or purchase (at any date) is excluded from the report;
    together with the rows excluded for other reasons they must not exceed
    ``max_excluded_share`` of the customers table (customers starting after the report date
    are not counted here: they are active, only later).

    Parameters
    ----------
    customers : DataFrame
        The conformed customers table.
    active_ids : Series of str
        Ids with at least one spell (before the report date cuts them).
    quality : DataQuality
        Holds the customers table's rows read and other exclusions.
    label, column : str
        The customers source and its id column, for messages.
    activity : str
        What activity is missing (``purchase``, ``subscription``), for messages.
    max_excluded_share : float

    Raises
    ------
    InputError
        Naming the customers source, its id column and example customers.
    """
    never = ~customers["customer_id"].isin(active_ids)
    rows = quality.tables["customers"].rows_read
    excluded = quality.excluded("customers") + int(never.sum())
    if not rows or excluded / rows <= max_excluded_share:
        return
    raise InputError(
        label,
        f"{int(never.sum()):,} of {rows:,} customers have no {activity} in the data "
        f"({excluded / rows:.0%} of the customers excluded with the other exclusions; more "
        f"than max_excluded_share={max_excluded_share:.0%})",
        column=column,
        rows=[(int(r), v) for r, v in customers.loc[never, "customer_id"].head(5).items()],
        hint=f"check that the {activity} table covers these customers and writes their ids "
        "the same way, or raise max_excluded_share",
    )
