"""Read one source file (CSV, XLSX, Parquet) into a raw table, as unambiguously as possible.

CSV text is decoded as UTF-8 (a BOM is removed) and, failing that, as GB18030 (a superset of
GBK/GB2312, what Chinese Excel exports); any other encoding must be named in the config. Values
are kept as text (CSV) or as the cell values (XLSX, Parquet); typing is the contract's job.
"""

from __future__ import annotations

import contextlib
import io
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pandas as pd

from churnreport.errors import InputError

CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
FALLBACK_ENCODINGS = ("utf-8-sig", "gb18030")


@dataclass
class RawTable:
    """A source table as read, before mapping.

    Attributes
    ----------
    frame : pandas.DataFrame
        The values, one column per source column. Its index holds the 1-based row number as a
        spreadsheet shows it (header row included), for error messages.
    path : Path or str
        The file read (or, for a database, its connection and query).
    encoding : str or None
        The text encoding used (CSV only).
    dropped_empty_columns : list of str
        Columns that were entirely empty and unnamed, removed on reading.
    """

    frame: pd.DataFrame
    path: Path | str
    encoding: str | None = None
    dropped_empty_columns: list[str] | None = None


def read_source(
    path: Path,
    *,
    sheet: int | str = 0,
    header_row: int = 0,
    encoding: str | None = None,
) -> RawTable:
    """Read a CSV, XLSX or Parquet file.

    Parameters
    ----------
    path : Path
        The file; its suffix selects the reader.
    sheet : int or str
        XLSX sheet index or name.
    header_row : int
        0-based row holding the header; rows above it are skipped.
    encoding : str, optional
        CSV text encoding; detected when not given (UTF-8 with or without BOM, then GB18030).

    Returns
    -------
    RawTable

    Raises
    ------
    InputError
        File missing, empty, undecodable, unknown format or sheet.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found")
    if path.stat().st_size == 0:
        raise InputError(path, "the file is empty")
    suffix = path.suffix.lower()
    used_encoding = None
    if suffix in CSV_SUFFIXES:
        frame, used_encoding = _read_csv(path, header_row, encoding)
    elif suffix in EXCEL_SUFFIXES:
        frame = _read_excel(path, sheet, header_row)
    elif suffix in PARQUET_SUFFIXES:
        frame = pd.read_parquet(path)
    else:
        raise InputError(path, f"unknown file type '{suffix}'", hint="use .csv, .xlsx or .parquet")
    frame.columns = [str(c).strip() for c in frame.columns]
    dropped = [c for c in frame.columns if c.startswith("Unnamed:") and _all_empty(frame[c])]
    frame = frame.drop(columns=dropped)
    if frame.empty:
        raise InputError(path, "the file has a header but no data rows")
    dupes = frame.columns[frame.columns.duplicated()].tolist()
    if dupes:
        raise InputError(path, f"duplicate column names in the header: {dupes}")
    first_data_row = header_row + 2 if suffix not in PARQUET_SUFFIXES else 1
    frame.index = pd.RangeIndex(first_data_row, first_data_row + len(frame), name="row")
    return RawTable(frame, path, used_encoding, dropped)


def _all_empty(values: pd.Series) -> bool:
    return bool(values.map(lambda v: pd.isna(v) or (isinstance(v, str) and not v.strip())).all())


def _read_csv(path: Path, header_row: int, encoding: str | None) -> tuple[pd.DataFrame, str]:
    data = path.read_bytes()
    candidates = (encoding,) if encoding else FALLBACK_ENCODINGS
    text = None
    for enc in candidates:
        try:
            text = data.decode(enc)
            used = enc
            break
        except (UnicodeDecodeError, LookupError) as exc:
            last = exc
    if text is None:
        bad = getattr(last, "start", None)
        line = data[:bad].count(b"\n") + 1 if bad is not None else None
        raise InputError(
            path,
            f"text cannot be decoded as {' or '.join(candidates)}"
            + (f" (first bad byte on line {line})" if line else ""),
            hint="set sources.<table>.encoding to the file's encoding (e.g. latin-1, big5)",
        )
    if used != "utf-8-sig" and encoding is None:
        _refuse_mixed_encoding(path, data)
    if used == "utf-8-sig" and text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise InputError(path, "the file is empty")
    sep = "\t" if path.suffix.lower() == ".tsv" else ","
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            skiprows=header_row,
            dtype=str,
            keep_default_na=False,
            skipinitialspace=False,
        )
    except pd.errors.EmptyDataError:
        raise InputError(path, "the file is empty") from None
    except pd.errors.ParserError as exc:
        raise InputError(path, f"not a well-formed CSV table: {exc}") from None
    # pandas renames a repeated header ("region", "region.1"); the file's own header decides
    header = pd.read_csv(
        io.StringIO(text), sep=sep, skiprows=header_row, header=None, nrows=1, dtype=str
    ).iloc[0]
    names = [str(h).strip() for h in header if isinstance(h, str) and h.strip()]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise InputError(path, f"duplicate column names in the header: {repeated}")
    return frame, used


def _refuse_mixed_encoding(path: Path, data: bytes) -> None:
    """Stop when some lines are UTF-8 text and others are not: decoding the whole file as
    GB18030 would silently garble the UTF-8 lines."""
    utf8, other = [], []
    for no, line in enumerate(data.split(b"\n"), start=1):
        if not line or max(line) < 128:
            continue
        try:
            line.decode("utf-8")
            utf8.append(no)
        except UnicodeDecodeError:
            other.append(no)
    if utf8 and other:
        raise InputError(
            path,
            f"mixed text encodings: {len(utf8)} lines are UTF-8, {len(other)} are not",
            rows=[(n, "UTF-8") for n in utf8[:2]] + [(n, "not UTF-8") for n in other[:3]],
            hint="re-export the file in one encoding (UTF-8 preferred)",
        )


def _read_excel(path: Path, sheet: int | str, header_row: int) -> pd.DataFrame:
    try:
        book = pd.ExcelFile(path, engine="openpyxl")
    except Exception as exc:  # openpyxl raises many types for a damaged workbook
        raise InputError(
            path, f"not a readable .xlsx workbook ({exc.__class__.__name__})"
        ) from None
    names = book.sheet_names
    if isinstance(sheet, int) and not 0 <= sheet < len(names):
        raise InputError(path, f"sheet index {sheet} does not exist; sheets are {names}")
    if isinstance(sheet, str) and sheet not in names:
        raise InputError(path, f"sheet '{sheet}' does not exist; sheets are {names}")
    return pd.read_excel(book, sheet_name=sheet, header=header_row, dtype=object)


_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")


def read_database(connection: str, sql: str, password: str | None = None) -> RawTable:
    """Read a table or the result of a query from a database through Ibis.

    Parameters
    ----------
    connection : str
        ``postgresql://user@host:port/db`` or ``duckdb:///path/file.duckdb`` (no password).
    sql : str
        A table name (``customers``, ``crm.customers``) or a SELECT query.
    password : str, optional
        The password (from the environment; never part of messages or outputs).

    Returns
    -------
    RawTable
        Values as the database types them; rows numbered from 1 in result order; ``path`` is
        the connection and query, for messages.

    Raises
    ------
    InputError
        The database cannot be reached or the query fails.
    """
    import ibis

    label = f"{connection} [{sql}]"
    url = connection.replace("postgresql://", "postgres://", 1)
    if password and url.startswith("postgres://"):
        scheme, rest = url.split("://", 1)
        if "@" in rest:
            user, host = rest.split("@", 1)
            url = f"{scheme}://{user}:{quote(password, safe='')}@{host}"
    con = None
    try:
        con = ibis.connect(url)
        if url.startswith("duckdb://"):  # its progress bar would print into the run's log
            with contextlib.suppress(Exception):  # refused inside Jupyter (engine.connect)
                con.raw_sql("SET enable_progress_bar = false")
        expr = con.table(sql) if _IDENTIFIER.match(sql.strip()) and "." not in sql else None
        if expr is None:
            query = f"SELECT * FROM {sql}" if _IDENTIFIER.match(sql.strip()) else sql
            expr = con.sql(query)
        frame = expr.to_pandas()
    except Exception as exc:  # drivers raise their own types; the message must not carry the URL
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if password:
            message = message.replace(password, "***")
        raise InputError(label, f"cannot read from the database: {message}") from None
    finally:
        if con is not None:
            with contextlib.suppress(Exception):
                con.disconnect()
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.empty:
        raise InputError(label, "the query returned no rows")
    frame.index = pd.RangeIndex(1, len(frame) + 1, name="row")
    return RawTable(frame, label, None, [])
