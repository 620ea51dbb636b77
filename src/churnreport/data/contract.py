"""The canonical data contract: column specs, mapping, typing and validation.

A source table is mapped (renamed, values translated) onto a canonical table, then each column
is typed by its spec. Unambiguous repairs (placeholder tokens such as ``?`` read as missing) are
counted; rows missing a required value are excluded and counted; anything ambiguous (a date that
does not parse, a duplicate id, a value that is neither yes nor no) stops the run with an
:class:`~churnreport.errors.InputError` naming file, column and example rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from churnreport.config import SourceConfig
from churnreport.data.quality import DataQuality, Issue, TableQuality
from churnreport.data.shape import LEFT_OUT, shape
from churnreport.data.sources import RawTable
from churnreport.errors import InputError

#: Text columns as the saved tables hold them in a notebook, and the long text columns analysis
#: steps make (segment levels): pandas' string type with its values in one Arrow buffer, not a
#: Python object per value. Same values and missing values; at 500,000 customers the customer
#: table takes 0.08 GB instead of 0.31 GB (a region or a plan code, 8 bytes of text, cost 60
#: bytes as a Python object). Some results differ in type, not value: a comparison gives
#: ``bool[pyarrow]``, ``value_counts`` ``int64[pyarrow]``, ``astype("string")`` makes Python
#: objects again, and ``str.contains`` takes no look-around regular expression.
COMPACT_STRING = pd.StringDtype("pyarrow")

#: Text read as a missing value (besides empty cells). Case-sensitive, after stripping spaces.
MISSING_TOKENS = frozenset({"?", "NA", "N/A", "n/a", "#N/A", "null", "NULL", "NaN", "nan"})
TRUE_TOKENS = frozenset({"true", "yes", "y", "t", "1", "1.0", "是", "流失", "已流失"})
FALSE_TOKENS = frozenset({"false", "no", "n", "f", "0", "0.0", "否", "未流失", "在网"})


#: Recurring-revenue columns whose zero or negative values are noted (kept as given).
REVENUE_COLUMNS = frozenset({"monthly_revenue", "mrr"})
#: Dates that systems write for "no date": Excel's day zero (1899-12-30, shown as 1899-12-31 or
#: 1900-01-00), the spreadsheet / SQL Server default 1900-01-01 and the Unix epoch 1970-01-01.
#: Read as missing and counted, like any date before :data:`EARLIEST_DATE` (0001-01-01 ...).
PLACEHOLDER_DATES = frozenset(
    pd.Timestamp(d) for d in ("1899-12-30", "1899-12-31", "1900-01-01", "1970-01-01")
)
#: Dates outside this range cannot be held as timestamps (pandas' nanosecond range, 1677-2262):
#: earlier ones are placeholders, later ones (9999-12-31, 3000-01-01) open-end markers.
EARLIEST_DATE = dt.date(1678, 1, 1)
LATEST_DATE = dt.date(2262, 1, 1)


@dataclass(frozen=True)
class Column:
    """Spec of one canonical column.

    Attributes
    ----------
    name : str
        Canonical name (DESIGN.md data contract).
    kind : str
        ``id``, ``text``, ``date``, ``number`` or ``bool``.
    blank_is_normal : bool
        Empty cells carry meaning (an empty end_date is an active customer, an empty reason a
        customer who stayed), so they are not reported as a data-quality note.
    """

    name: str
    kind: str
    blank_is_normal: bool = False


CONTRACT: dict[str, dict[str, Column]] = {
    table: {c.name: c for c in cols}
    for table, cols in {
        "customers": [
            Column("customer_id", "id"),
            Column("start_date", "date"),
            Column("end_date", "date", blank_is_normal=True),
            Column("tenure_months", "number"),
            Column("churned", "bool"),
            Column("churn_reason", "text", blank_is_normal=True),
            Column("churn_type", "text", blank_is_normal=True),
            Column("customer_type", "text"),
            Column("age", "number"),
            Column("gender", "text"),
            Column("region", "text"),
            Column("channel", "text"),
            Column("plan", "text"),
            Column("account_manager", "text"),
            Column("referred_by", "text", blank_is_normal=True),
            Column("monthly_revenue", "number"),
        ],
        "subscriptions": [
            Column("customer_id", "id"),
            Column("start_date", "date"),
            Column("end_date", "date", blank_is_normal=True),
            Column("mrr", "number"),
        ],
        "transactions": [
            Column("customer_id", "id"),
            Column("date", "date"),
            Column("amount", "number"),
        ],
        "tickets": [
            Column("customer_id", "id"),
            Column("opened_at", "date"),
            Column("category", "text"),
            Column("first_response_hours", "number", blank_is_normal=True),
            Column("resolved", "bool", blank_is_normal=True),
            Column("satisfaction", "number", blank_is_normal=True),
        ],
        "staff": [
            Column("account_manager", "text"),
            Column("left_date", "date"),
        ],
        "churn_events": [
            Column("customer_id", "id"),
            Column("churn_date", "date"),
            Column("churn_reason", "text", blank_is_normal=True),
            Column("churn_type", "text", blank_is_normal=True),
        ],
    }.items()
}


def required_columns(table: str, definition: str, tables: set[str]) -> list[str]:
    """Canonical columns that must be present in ``table`` for a churn definition.

    Parameters
    ----------
    table : str
        Canonical table name.
    definition : str
        ``contract``, ``inactivity`` or ``snapshot``.
    tables : set of str
        The tables configured (spells come from ``subscriptions`` when it is given).

    Returns
    -------
    list of str
    """
    if table == "customers":
        if definition == "snapshot":
            return ["customer_id", "tenure_months", "churned"]
        if definition == "contract" and "subscriptions" not in tables:
            return ["customer_id", "start_date"]
        return ["customer_id"]
    return {
        "subscriptions": ["customer_id", "start_date"],
        "transactions": ["customer_id", "date"],
        "tickets": ["customer_id", "opened_at"],
        "staff": ["account_manager", "left_date"],
        "churn_events": ["customer_id", "churn_date"],
    }[table]


def conform(
    raw: RawTable,
    table: str,
    source: SourceConfig,
    required: list[str],
    quality: DataQuality,
    *,
    max_excluded_share: float = 0.2,
) -> pd.DataFrame:
    """Map a raw source table onto its canonical table, type it and validate it.

    Parameters
    ----------
    raw : RawTable
        The table as read.
    table : str
        Canonical table name (a key of :data:`CONTRACT`).
    source : SourceConfig
        Column and value mapping.
    required : list of str
        Canonical columns that must exist and be non-missing (rows missing one are excluded).
    quality : DataQuality
        Receives the row accounting and every repair or exclusion.
    max_excluded_share : float
        Stop when more than this share of rows would be excluded.

    Returns
    -------
    pandas.DataFrame
        Canonical columns first (those present), then the source's other columns as extra
        attributes. The index keeps the source row numbers.

    Raises
    ------
    InputError
        Missing mapped column, unparsable value, duplicate ids, end before start, too many
        excluded rows.
    """
    spec = CONTRACT[table]
    frame = raw.frame
    path = raw.path
    tq = TableQuality(table, str(path), rows_read=len(frame), encoding=raw.encoding)
    quality.tables[table] = tq
    if raw.dropped_empty_columns:
        quality.add(
            Issue(
                table,
                None,
                "note",
                "empty_column_dropped",
                len(raw.dropped_empty_columns),
                detail=f"entirely empty unnamed columns ignored: {raw.dropped_empty_columns}",
            )
        )

    frame = shape(frame, source, table, path, quality)  # row ids, derived, left-out rows
    mapping = resolve_mapping(list(frame.columns), table, source, required, path)

    out = pd.DataFrame(index=frame.index)
    for canon, src in mapping.items():
        col = spec[canon]
        # in a required column a missing value excludes the row; that exclusion is the record
        values = _clean_text(
            frame[src],
            table,
            canon,
            quality,
            count=canon not in required,
            count_blanks=not col.blank_is_normal,
        )
        if canon in source.values:
            values = _map_values(values, source.values[canon])
        if col.kind == "date":
            out[canon], far_future, placeholder = _parse_dates(
                values, path, src, source.date_format
            )
            _note_dates(quality, table, canon, frame[src], far_future, placeholder)
        else:
            out[canon] = _typed(values, col.kind, path, src, source.date_format)
        if col.kind == "id":
            out[canon], decimal = _integral_ids(out[canon])
            quality.add(
                Issue(
                    table,
                    canon,
                    "repaired",
                    "id_written_as_decimal",
                    int(decimal.sum()),
                    _examples(frame.loc[decimal, src]),
                    "ids written as decimal numbers (17.0, as a spreadsheet or pandas writes "
                    "whole numbers) read as whole numbers (17)",
                )
            )
        if canon in REVENUE_COLUMNS:
            free = out[canon] <= 0
            quality.add(
                Issue(
                    table,
                    canon,
                    "note",
                    "non_positive_revenue",
                    int(free.sum()),
                    _examples(frame.loc[free, src]),
                    "zero or negative monthly revenue (free, credited or placeholder "
                    "accounts): kept as given",
                )
            )

    extras = [c for c in frame.columns if c not in mapping.values()]
    clash = [c for c in extras if c in out.columns]
    if clash:
        raise InputError(
            path,
            f"column(s) {clash} would clash with canonical columns mapped from others",
            column=clash[0],
            hint="rename them in the file or map them explicitly",
        )
    for c in extras:
        cleaned = _clean_text(frame[c], table, c, quality)
        if c in source.values:  # other columns' spellings merged ("CC" -> "Credit Card")
            cleaned = _map_values(cleaned, source.values[c])
        out[c] = _extra(cleaned)

    keep = pd.Series(True, index=out.index)
    for canon in required:
        miss = out[canon].isna() & keep
        if miss.any():
            quality.add(
                missing_required(
                    table,
                    canon,
                    mapping[canon],
                    int(miss.sum()),
                    _examples(frame.loc[miss, mapping[canon]]),
                )
            )
            keep &= ~miss
    check_excluded_share(quality, table, tq.rows_read, path, mapping, max_excluded_share)
    out = out[keep]

    if "customer_id" in out.columns and table == "customers":
        dup = out["customer_id"].duplicated(keep=False)
        if dup.any():
            raise InputError(
                path,
                f"{int(out['customer_id'][dup].nunique())} customer ids appear more than once "
                "(one row per customer expected)",
                column=mapping["customer_id"],
                rows=_examples(frame.loc[dup[dup].index, mapping["customer_id"]]),
                hint="several rows per customer (subscriptions) belong in a 'subscriptions' source",
            )
    if "start_date" in out.columns and "end_date" in out.columns:
        bad = (
            out["end_date"].notna()
            & out["start_date"].notna()
            & (out["end_date"] < out["start_date"])
        )
        if bad.any():
            ex = [
                (r, f"start {out.at[r, 'start_date'].date()} end {out.at[r, 'end_date'].date()}")
                for r in bad[bad].index[:5]
            ]
            raise InputError(
                path,
                f"{int(bad.sum())} rows end before they start",
                column=mapping["end_date"],
                rows=ex,
            )
    if "tenure_months" in out.columns:
        neg = out["tenure_months"] < 0
        if neg.any():
            raise InputError(
                path,
                f"{int(neg.sum())} rows have a negative tenure",
                column=mapping["tenure_months"],
                rows=_examples(frame.loc[neg[neg].index, mapping["tenure_months"]]),
            )
    tq.rows_kept = len(out)
    return out


def resolve_mapping(
    columns: list[str], table: str, source: SourceConfig, required: list[str], path
) -> dict[str, str]:
    """Canonical column -> source column, checked against the source's header.

    Parameters
    ----------
    columns : list of str
        The source's column names.
    table : str
        Canonical table name.
    source : SourceConfig
        Column and value mapping of the table.
    required : list of str
        Canonical columns that must be mapped.
    path : Path or str
        The source, for messages.

    Returns
    -------
    dict
        Every mapped canonical column (a source column already named canonically maps to
        itself).

    Raises
    ------
    InputError
        A mapped column is not in the source, a required column is not mapped, or the config
        names an unknown canonical column.
    """
    spec = CONTRACT[table]
    unknown = sorted(set(source.columns) - set(spec))
    if unknown:
        raise InputError(
            path,
            f"config maps unknown canonical column(s) {unknown} for table '{table}'",
            hint=f"canonical columns are {list(spec)}; other columns are kept as they are",
        )
    mapping = dict(source.columns)
    for name in spec:  # a source column already named canonically maps to itself
        if name not in mapping and name in columns and name not in mapping.values():
            mapping[name] = name
    missing_cols = [src for src in mapping.values() if src not in columns]
    if missing_cols:
        raise InputError(
            path,
            f"mapped column(s) not found: {missing_cols}",
            column=missing_cols[0],
            hint=f"the file's columns are {list(columns)}",
        )
    absent = [c for c in required if c not in mapping]
    if absent:
        raise InputError(
            path,
            f"required column(s) {absent} for table '{table}' are not mapped",
            column=absent[0],
            hint=f"add them under sources.{table}.columns; the file's columns are {list(columns)}",
        )
    others = set(columns) - set(mapping.values())  # columns kept as they are
    unknown_values = sorted(set(source.values) - set(mapping) - others)
    if unknown_values:
        raise InputError(
            path,
            f"value mapping given for unknown column(s) {unknown_values}",
            column=unknown_values[0],
            hint="values: takes a canonical column (e.g. churned), or a column of the file "
            "that is not mapped to one",
        )
    return mapping


def check_excluded_share(
    quality: DataQuality,
    table: str,
    rows: int,
    path,
    mapping: dict[str, str],
    max_excluded_share: float,
) -> None:
    """Stop when more than ``max_excluded_share`` of a table's rows were excluded (rows left
    out on purpose by a ``leave_out`` rule do not count).

    Parameters
    ----------
    quality : DataQuality
        Holds the table's exclusions.
    table : str
        Canonical table name.
    rows : int
        Rows read.
    path : Path or str
        The source, for messages.
    mapping : dict
        Canonical -> source column (the message names the source column).
    max_excluded_share : float

    Raises
    ------
    InputError
        Naming the column and example rows of the last exclusion recorded.
    """
    dropped = [
        i
        for i in quality.issues
        if i.table == table and i.action == "excluded" and i.reason != LEFT_OUT  # deliberate
    ]
    excluded = sum(i.count for i in dropped)
    deliberate = sum(i.count for i in quality.issues if i.table == table and i.reason == LEFT_OUT)
    rows -= deliberate  # the share is of the rows meant to be read
    if rows <= 0 or excluded / rows <= max_excluded_share:
        return
    first = dropped[-1]
    if all(i.reason == "missing_required_value" for i in dropped):
        why = "lack a required value"
    else:
        why = (
            "are excluded ("
            + ", ".join(f"{i.count} {i.reason.replace('_', ' ')}" for i in dropped)
            + ")"
        )
    raise InputError(
        path,
        f"{excluded} of {rows} rows ({excluded / rows:.0%}) {why}; "
        f"more than max_excluded_share={max_excluded_share:.0%}",
        column=mapping.get(first.column or "", first.column),
        rows=first.examples,
        hint="fix the source or map the right column",
    )


def missing_required(table: str, column: str, source_column: str, count: int, examples) -> Issue:
    """The record of rows excluded for a missing required value (the contract's wording).

    Parameters
    ----------
    table, column : str
        Canonical table and column.
    source_column : str
        The column's name in the source, for the reader.
    count : int
        Rows excluded.
    examples : list
        Up to five (row number, raw value) pairs.

    Returns
    -------
    Issue
    """
    return Issue(
        table,
        column,
        "excluded",
        "missing_required_value",
        count,
        examples,
        f"rows without {column} ({source_column}) cannot be analysed",
    )


def blank_values(table: str, column: str, count: int, examples) -> Issue:
    """The record of empty cells kept as missing values (the contract's wording).

    Parameters
    ----------
    table, column : str
        Canonical table and column.
    count : int
        Empty cells.
    examples : list
        Up to five (row number, raw value) pairs.

    Returns
    -------
    Issue
    """
    return Issue(table, column, "note", "blank_value", count, examples,
                 "empty cells, kept as missing values")  # fmt: skip


def not_numbers(path, column: str, count: int, examples) -> InputError:
    """The error for values of a number column that are not finite numbers.

    Parameters
    ----------
    path : Path or str
        The source.
    column : str
        The source column.
    count : int
        Values that are not numbers.
    examples : list
        Up to five (row number, raw value) pairs.

    Returns
    -------
    InputError
    """
    return InputError(
        path,
        f"{count} values are not numbers",
        column=column,
        rows=examples,
        hint="use a plain number with '.' as decimal point",
    )


def _clean_text(
    s: pd.Series,
    table: str,
    column: str,
    quality: DataQuality,
    count: bool = True,
    count_blanks: bool = True,
) -> pd.Series:
    """Strip text, turn blanks and placeholder tokens into missing values (counted)."""
    count_blanks = count and count_blanks
    if pd.api.types.is_string_dtype(s.dtype) and s.dtype != object:
        s = s.astype(object)  # pandas 3 reads text as "str"; the text road below takes objects
    if s.dtype != object:
        return s
    kind = pd.api.types.infer_dtype(s, skipna=True)
    if kind in ("string", "empty"):
        stripped, token, blank = _text_cells(s)
    else:
        stripped = s
        token = pd.Series(False, index=s.index)
        blank = pd.Series(False, index=s.index)
        if kind in ("mixed", "mixed-integer", "unknown-array"):  # strings among other values
            is_str = s.map(lambda v: isinstance(v, str))
            if is_str.any():
                text, text_token, text_blank = _text_cells(s[is_str])
                stripped = s.copy()
                stripped[is_str] = text
                token[is_str] = text_token.to_numpy()
                blank[is_str] = text_blank.to_numpy()
    if count and token.any():
        quality.add(
            Issue(
                table,
                column,
                "repaired",
                "missing_token",
                int(token.sum()),
                _examples(s[token]),
                "placeholder text read as a missing value",
            )
        )
    empty = blank | s.isna()  # blank text, or cells a spreadsheet reader returned as empty
    if count_blanks and empty.any():
        quality.add(blank_values(table, column, int(empty.sum()), _examples(s[empty])))
    return stripped.mask(token | blank)


#: The characters Python's ``str.strip()`` removes (``str.isspace``), for Arrow's trim.
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def _text_cells(s: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """A column of text (missing values allowed) stripped as ``str.strip`` does, with its
    placeholder-token and blank cells.

    Arrow finds the cells to change in one pass over the column each (5,000,000 ids in a
    fraction of a second); Python strips only the cells with whitespace at an edge (most
    exports have none). Text Arrow cannot hold (a lone surrogate) goes cell by cell.

    Returns
    -------
    (stripped, token, blank)
        ``s`` stripped (``s`` itself when no cell needs it); whether each stripped cell is a
        :data:`MISSING_TOKENS` token; whether it is empty.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        text = pa.array(s.to_numpy(dtype=object), type=pa.string(), from_pandas=True)
    except (pa.ArrowException, UnicodeError):
        stripped = s.str.strip()
        return stripped, stripped.isin(MISSING_TOKENS), stripped == ""

    def flags(found) -> np.ndarray:
        return found.fill_null(False).to_numpy(zero_copy_only=False)

    trimmed = pc.utf8_trim(text, WHITESPACE)  # the same characters as str.strip
    edge = flags(pc.not_equal(pc.binary_length(trimmed), pc.binary_length(text)))
    token = flags(pc.is_in(text, value_set=pa.array(sorted(MISSING_TOKENS))))
    blank = flags(pc.equal(text, ""))
    stripped = s
    if edge.any():
        stripped = s.copy()
        stripped[edge] = cells = s[edge].str.strip()
        token[edge] = cells.isin(MISSING_TOKENS).to_numpy()
        blank[edge] = (cells == "").to_numpy()
    return stripped, pd.Series(token, index=s.index), pd.Series(blank, index=s.index)


def _map_values(s: pd.Series, mapping: dict) -> pd.Series:
    keys = s.map(lambda v: _key(v) if v is not None and not _isna(v) else None)
    mapped = keys.map(lambda k: mapping.get(k, _UNMAPPED) if k is not None else _UNMAPPED)
    return s.where(mapped.map(lambda v: v is _UNMAPPED), mapped).astype(object)


_UNMAPPED = object()


def _key(v: object) -> str:
    if isinstance(v, bool):
        return "Yes" if v else "No"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def _isna(v: object) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _all_text(s: pd.Series) -> bool:
    """Every present value is a ``str`` (the common case, checked without a Python loop)."""
    return s.dtype == object and pd.api.types.infer_dtype(s, skipna=True) in ("string", "empty")


def _typed(s: pd.Series, kind: str, path, src: str, date_format: str | None) -> pd.Series:
    if kind in ("id", "text") and _all_text(s):
        return s.astype("string")  # already stripped (_clean_text); _key/str change nothing
    if kind == "id":
        return s.map(lambda v: None if _isna(v) else _key(v)).astype("string")
    if kind == "text":
        return s.map(lambda v: None if _isna(v) else str(v)).astype("string")
    if kind == "number":
        num = pd.to_numeric(s, errors="coerce")
        bad = (num.isna() & s.notna()) | np.isinf(num.astype(float))
        if bad.any():
            raise not_numbers(path, src, int(bad.sum()), _examples(s[bad]))
        return num.astype(float)
    if kind == "date":
        return _parse_dates(s, path, src, date_format)[0]
    if kind == "bool":
        return parse_bool(s, path, src)
    raise ValueError(kind)


def _parse_dates(
    s: pd.Series, path, src: str, date_format: str | None
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Dates of a column as naive days, and the far-future and placeholder cells read as missing.

    Time-zone-aware values (a ``datetime64[ns, Europe/Berlin]`` Parquet column, ISO text with an
    offset) count on the calendar day of the zone they are stored or written in (the wall
    clock), as text with an offset does; the time of day is dropped.

    Returns
    -------
    (dates, far_future, placeholder)
        ``datetime64[ns]`` days (missing where the cell is empty, a placeholder or far in the
        future) and the two boolean masks.

    Raises
    ------
    InputError
        Text that is not a date in ``date_format`` (ISO 8601 by default).
    """
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    future = pd.Series(False, index=s.index)
    past = pd.Series(False, index=s.index)
    present = s.notna()
    kind = pd.api.types.infer_dtype(s, skipna=True)
    if pd.api.types.is_datetime64_any_dtype(s):
        is_dt = present
        days = s.dt.tz_localize(None) if s.dt.tz is not None else s  # the stored zone's clock
        days = days.dt.floor("D")
        future, past = days > pd.Timestamp(LATEST_DATE), days < pd.Timestamp(EARLIEST_DATE)
        out[:] = days.where(~(future | past)).astype("datetime64[ns]")
    else:
        if kind in ("date", "datetime", "datetime64"):
            is_dt = present
        elif kind in ("string", "empty"):
            is_dt = pd.Series(False, index=s.index)
        else:
            is_dt = s.map(lambda v: isinstance(v, (dt.date, dt.time, np.datetime64)))
        days_only = kind == "date" and bool(s[present].map(type).eq(dt.date).all())
        if days_only:  # calendar days only (a Parquet date column): read in one pass
            days = s[present].to_numpy().astype("datetime64[D]")
            late, early = days > np.datetime64(LATEST_DATE), days < np.datetime64(EARLIEST_DATE)
            future[present] = late
            past[present] = early
            usable = present.copy()
            usable[present] = ~(late | early)
            out[usable] = days[~(late | early)].astype("datetime64[ns]")
        elif is_dt.any():
            days = s[is_dt].map(_calendar_day)
            future[days.index] = (days > LATEST_DATE).astype(bool)
            past[days.index] = (days < EARLIEST_DATE).astype(bool)
            usable = days[~(future[is_dt] | past[is_dt])]
            out[usable.index] = pd.to_datetime(usable.astype(str))
    text = present & ~is_dt
    if text.any():
        fmt = date_format or "ISO8601"
        raw = s[text].astype(str)
        if date_format is None:  # a time-zone suffix: the date as written (wall clock) counts
            raw = raw.str.replace(r"(?<=\d)(Z|[+-]\d\d:?\d\d)$", "", regex=True)
        parsed = pd.to_datetime(raw, format=fmt, errors="coerce")
        bad = parsed.isna()
        if bad.any():  # a real date out of the timestamp range (9999-12-31, 0001-01-01)?
            days = raw[bad].map(lambda v: _python_date(v, date_format))
            future[days.index] = days.map(lambda d: d is not None and d > LATEST_DATE).astype(bool)
            past[days.index] = days.map(lambda d: d is not None and d < EARLIEST_DATE).astype(bool)
            bad &= ~(future | past)[bad.index]
        if bad.any():
            raise InputError(
                path,
                f"{int(bad.sum())} values are not dates in format {fmt}",
                column=src,
                rows=_examples(s[text][bad]),
                hint="set sources.<table>.date_format (e.g. '%d/%m/%Y') for non-ISO dates",
            )
        if getattr(parsed.dt, "tz", None) is not None:
            parsed = parsed.dt.tz_localize(None)
        out[text] = parsed.dt.normalize()
    placeholder = past | out.isin(PLACEHOLDER_DATES)
    return out.mask(placeholder | future), future, placeholder


def _calendar_day(v: object) -> dt.date:
    """The calendar day of a date or timestamp cell (a zone-aware one on its own clock).

    A time-of-day cell is Excel's day zero with a time (a date cell holding only a time, or a
    date before 1900 Excel cannot store): 1899-12-30, a placeholder.
    """
    if isinstance(v, dt.time):
        return dt.date(1899, 12, 30)
    if isinstance(v, np.datetime64):
        return v.astype("datetime64[D]").item()
    if isinstance(v, dt.datetime):
        return v.date()
    return v


def _python_date(text: str, date_format: str | None) -> dt.date | None:
    """``text`` as a date by Python's own parser (any year 1-9999), None when it is not one."""
    try:
        if date_format is None:
            return dt.datetime.fromisoformat(text.strip()).date()
        return dt.datetime.strptime(text.strip(), date_format).date()
    except ValueError:
        return None


def _note_dates(
    quality: DataQuality,
    table: str,
    column: str,
    raw: pd.Series,
    far_future: pd.Series,
    placeholder: pd.Series,
) -> None:
    """Count the far-future and placeholder dates of a column (read as missing)."""
    quality.add(
        Issue(
            table,
            column,
            "repaired",
            "far_future_date",
            int(far_future.sum()),
            _examples(raw[far_future]),
            "far-future dates (such as 9999-12-31, an open-end marker) read as no date: an "
            "end date is open (the customer is active)",
        )
    )
    quality.add(
        Issue(
            table,
            column,
            "repaired",
            "placeholder_date",
            int(placeholder.sum()),
            _examples(raw[placeholder]),
            "placeholder dates (1900-01-01, Excel's 1899-12-30/31, 1970-01-01 or before 1678) "
            "read as missing: a row needing the date is excluded, an end date is open",
        )
    )


def _integral_ids(ids: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Ids written as decimal whole numbers (``17.0``) as whole numbers (``17``).

    Only when every id of the column is a whole number written with or without a zero
    fraction (a numeric column a spreadsheet or pandas wrote as floats); otherwise the ids are
    text and stay as written.

    Returns
    -------
    (ids, changed)
    """
    unchanged = pd.Series(False, index=ids.index)
    decimal = ids.str.contains(".", regex=False).fillna(False).astype(bool)
    if not decimal.any():
        return ids, unchanged
    present = ids.dropna()
    if not present.str.fullmatch(r"[+-]?\d+(?:\.0+)?").all():
        return ids, unchanged
    return ids.str.replace(r"\.0+$", "", regex=True), decimal


def parse_bool(s: pd.Series, path, src: str) -> pd.Series:
    """Yes/no values (true/false, 1/0, 是/否 ...) as a nullable boolean; InputError otherwise."""

    def conv(v):
        if _isna(v):
            return pd.NA
        if isinstance(v, (bool, np.bool_)):
            return bool(v)
        k = _key(v).lower()
        if k in TRUE_TOKENS:
            return True
        if k in FALSE_TOKENS:
            return False
        return _UNMAPPED

    if s.dtype == object and not _all_text(s):
        # mixed cells (1 and Decimal("1.00") hash alike but read differently): one by one
        res = s.map(conv)
        bad = res.map(lambda v: v is _UNMAPPED)
    else:  # text, or one typed column: each distinct value read once (-1, missing: last)
        codes, distinct = pd.factorize(s)
        read = np.array([*(conv(v) for v in distinct), pd.NA], dtype=object)
        res = pd.Series(read[codes], index=s.index, dtype=object)
        bad = pd.Series(np.array([v is _UNMAPPED for v in read], dtype=bool)[codes], index=s.index)
    if bad.any():
        raise InputError(
            path,
            f"{int(bad.sum())} values are neither yes nor no",
            column=src,
            rows=_examples(s[bad]),
            hint="map them under sources.<table>.values, e.g. {churned: {'Left': true}}",
        )
    return res.astype("boolean")


def _extra(s: pd.Series) -> pd.Series:
    """Type an extra (unmapped) column: numeric when every present value is a number."""
    if s.dtype != object:
        return s
    present = s.dropna()
    if present.empty:
        return s
    if pd.api.types.infer_dtype(present, skipna=True) == "boolean":  # bool / numpy bool only
        return s.astype("boolean")
    # a text column shows itself in its first values: millions of them are not parsed
    if pd.to_numeric(present.head(1000), errors="coerce").notna().all():
        num = pd.to_numeric(present, errors="coerce")
        if num.notna().all():
            return pd.to_numeric(s, errors="coerce")
    if _all_text(s):
        return s.astype("string")
    return s.map(lambda v: None if _isna(v) else str(v)).astype("string")


def _examples(s: pd.Series) -> list[tuple[int, object]]:
    """Up to five (row number, raw value) pairs; empty cells shown as ``""``, a day read as a
    timestamp (a date column read in blocks) as its date."""
    return [(int(r), "" if _isna(v) else _day(v)) for r, v in s.head(5).items()]


def _day(v: object) -> object:
    if isinstance(v, pd.Timestamp) and v.tz is None and v == v.normalize():
        return v.date()
    return v
