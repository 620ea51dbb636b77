"""Read one source file (CSV, XLSX, Parquet) into a raw table, as unambiguously as possible.

CSV text is decoded as UTF-8 (a BOM is removed) and, failing that, as GB18030 (a superset of
GBK/GB2312, what Chinese Excel exports); any other encoding must be named in the config. Values
are kept as text (CSV) or as the cell values (XLSX, Parquet); typing is the contract's job.
"""

from __future__ import annotations

import codecs
import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pandas as pd

from churnreport.config import redact_connection
from churnreport.errors import InputError

CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
FALLBACK_ENCODINGS = ("utf-8-sig", "gb18030")
#: Rows per block when a large table is read block by block.
BLOCK_ROWS = 500_000
READ_CHUNK = 1 << 24  # bytes decoded at a time when checking the encoding


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
    delimiter: str | None = None,
    skip_rows: int = 0,
    names: list[str] | None = None,
) -> RawTable:
    """Read a CSV, XLSX or Parquet file whole.

    Parameters
    ----------
    path, sheet, header_row, encoding, delimiter, skip_rows, names
        As for :class:`SourceFile`.

    Returns
    -------
    RawTable
        Entirely empty unnamed columns (a trailing comma) are dropped and listed.

    Raises
    ------
    InputError
        File missing, empty, undecodable, unknown format or sheet.
    """
    source = SourceFile(
        path,
        sheet=sheet,
        header_row=header_row,
        encoding=encoding,
        delimiter=delimiter,
        skip_rows=skip_rows,
        names=names,
    )
    frame = source.read_whole()
    dropped = [c for c in frame.columns if c.startswith("Unnamed:") and _all_empty(frame[c])]
    frame = frame.drop(columns=dropped)
    if frame.empty:
        raise InputError(source.path, "the file has a header but no data rows")
    frame.index = pd.RangeIndex(source.first_row, source.first_row + len(frame), name="row")
    return RawTable(frame, source.path, source.encoding, dropped)


class SourceFile:
    """A source file opened for reading, whole or in blocks of rows.

    Opening checks what can be checked without reading the rows: the file exists and is not
    empty, its type, its text encoding (CSV: the whole file is decoded once, a chunk at a time),
    the sheet (XLSX) and the header (no repeated names).

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
    delimiter : str, optional
        CSV field separator, or ``whitespace``; by default ``,`` (``\t`` for ``.tsv``).
    skip_rows : int
        Rows right under the header that are not data (a description row), skipped.
    names : list of str, optional
        The file has no header: these are its columns; ``header_row`` rows are skipped
        above the first data row.

    Attributes
    ----------
    header : list of str
        The column names (stripped), in file order.
    encoding : str or None
        The CSV text encoding used.
    first_row : int
        The row number of the first data row as a spreadsheet shows it.

    Raises
    ------
    InputError
        File missing, empty, undecodable, unknown format or sheet, repeated column names.
    """

    def __init__(
        self,
        path: Path,
        *,
        sheet: int | str = 0,
        header_row: int = 0,
        encoding: str | None = None,
        delimiter: str | None = None,
        skip_rows: int = 0,
        names: list[str] | None = None,
    ):
        self.path = Path(path)
        if not self.path.is_file():
            raise InputError(self.path, "file not found")
        if self.path.stat().st_size == 0:
            raise InputError(self.path, "the file is empty")
        self.suffix = self.path.suffix.lower()
        self.header_row = header_row
        self.skip_rows = skip_rows
        self.given_names = list(names) if names else None
        self.encoding = None
        self._frame = None
        if self.given_names and skip_rows:
            raise InputError(
                self.path,
                "skip_rows counts rows under a header; with names there is none",
                hint="count the rows above the first data row in header_row instead",
            )
        if self.suffix in CSV_SUFFIXES:
            self.encoding = _detect_encoding(self.path, encoding)
            self.sep = delimiter or ("\t" if self.suffix == ".tsv" else ",")
            if self.sep == "whitespace":
                self.sep = r"\s+"
            names = self.given_names or self._csv_header()
        elif self.suffix in EXCEL_SUFFIXES:
            self._frame = _read_excel(self.path, sheet, header_row, skip_rows, self.given_names)
            names = list(self._frame.columns)
        elif self.suffix in PARQUET_SUFFIXES:
            if skip_rows or self.given_names:
                raise InputError(
                    self.path, "a Parquet file names its columns: skip_rows and names do not apply"
                )
            import pyarrow.parquet as pq

            try:
                names = parquet_columns(pq.ParquetFile(self.path).schema_arrow.names)
            except Exception as exc:  # pyarrow raises several types for a damaged file
                raise InputError(
                    self.path, f"not a readable Parquet file ({exc.__class__.__name__})"
                ) from None
            header_row = -1  # no header line: the first row is row 1
        else:
            raise InputError(
                self.path, f"unknown file type '{self.suffix}'", hint="use .csv, .xlsx or .parquet"
            )
        self._names = [str(c) for c in names]
        self.header = [n.strip() for n in self._names]
        present = [n for n in self.header if n]
        repeated = sorted({n for n in present if present.count(n) > 1})
        if repeated:
            raise InputError(self.path, f"duplicate column names in the header: {repeated}")
        self.first_row = header_row + 1 if self.given_names else header_row + 2 + skip_rows
        if self.given_names and self.suffix in CSV_SUFFIXES:
            self._check_width()

    def _check_width(self) -> None:
        """Given names must match the file's fields, or every column would shift."""
        with self._csv_errors():
            first = pd.read_csv(
                self.path, sep=self.sep, encoding=self.encoding, skiprows=self.header_row,
                header=None, dtype=str, nrows=5, keep_default_na=False,
            )  # fmt: skip
        if first.shape[1] != len(self.given_names):
            raise InputError(
                self.path,
                f"names gives {len(self.given_names)} columns but the rows have "
                f"{first.shape[1]} fields",
                rows=[(self.first_row, " | ".join(map(str, first.iloc[0].tolist())))],
                hint="give one name per field, in file order (check the delimiter too)",
            )

    def _csv_header(self) -> list[str]:
        with self._csv_errors():
            header = self._read_csv(header=None, nrows=1)
        if header.empty:
            raise InputError(self.path, "the file is empty")
        return ["" if pd.isna(h) else str(h) for h in header.iloc[0]]

    def _read_csv(self, **options):
        skip: int | list[int] = self.header_row
        if self.given_names and "header" not in options:  # no header line: name the fields
            options.update(header=None, names=self.given_names)
        elif self.skip_rows and "header" not in options:  # description rows under the header
            below = self.header_row + 1
            skip = [*range(self.header_row), *range(below, below + self.skip_rows)]
        return pd.read_csv(
            self.path,
            sep=self.sep,
            encoding=self.encoding,
            skiprows=skip,
            dtype=str,
            keep_default_na=False,
            **options,
        )

    @contextlib.contextmanager
    def _csv_errors(self):
        try:
            yield
        except pd.errors.EmptyDataError:
            raise InputError(self.path, "the file is empty") from None
        except pd.errors.ParserError as exc:
            raise InputError(self.path, f"not a well-formed CSV table: {exc}") from None

    def read_whole(self) -> pd.DataFrame:
        """All rows and columns (names stripped), the index not yet numbered."""
        frame = next(self._frames(None, None), None)
        if frame is None:
            frame = pd.DataFrame(columns=self.header)
        return frame

    def blocks(self, columns: list[str], block_rows: int | None = None) -> Iterator[RawTable]:
        """The rows in blocks of at most ``block_rows``, only the named columns.

        Parameters
        ----------
        columns : list of str
            Column names (as in :attr:`header`) to read; the others are never parsed.
        block_rows : int, optional
            Rows per block (default :data:`BLOCK_ROWS`).

        Yields
        ------
        RawTable
            One block; its index holds the rows' numbers in the file.

        Raises
        ------
        InputError
            The file has no data rows, or is not a well-formed table.
        """
        row = self.first_row
        for frame in self._frames(columns, block_rows or BLOCK_ROWS):
            frame.index = pd.RangeIndex(row, row + len(frame), name="row")
            row += len(frame)
            yield RawTable(frame, self.path, self.encoding, [])
        if row == self.first_row:
            raise InputError(self.path, "the file has a header but no data rows")

    def _frames(self, columns: list[str] | None, block_rows: int | None) -> Iterator[pd.DataFrame]:
        wanted = None if columns is None else set(columns)
        if self._frame is not None:  # XLSX: one sheet of at most 1,048,576 rows, read once
            frame = self._named(self._frame)
            if wanted is not None:
                frame = frame[[c for c in frame.columns if c in wanted]]
            step = block_rows or max(len(frame), 1)
            for start in range(0, len(frame), step):
                yield frame.iloc[start : start + step]
        elif self.suffix in PARQUET_SUFFIXES:
            import pyarrow.parquet as pq

            if block_rows is None:
                table = pq.read_table(self.path, columns=self._names)
                yield self._named(arrow_frame(table, self._names))
                return
            keep = [n for n, h in zip(self._names, self.header, strict=True) if h in wanted]
            for batch in pq.ParquetFile(self.path).iter_batches(block_rows, columns=keep):
                yield self._named(arrow_frame(batch, keep))
        else:
            with self._csv_errors():
                reader = self._read_csv(
                    skipinitialspace=False,
                    usecols=None if wanted is None else (lambda c: str(c).strip() in wanted),
                    chunksize=block_rows,
                )
                if block_rows is None:
                    yield self._named(reader)
                    return
                with reader:
                    for frame in reader:
                        yield self._named(frame)

    @staticmethod
    def _named(frame: pd.DataFrame) -> pd.DataFrame:
        frame.columns = [str(c).strip() for c in frame.columns]
        return frame


#: The column pandas writes into a Parquet file for an unnamed index (``__index_level_0__``):
#: its bookkeeping of row labels, not the export's data.
PANDAS_INDEX_COLUMN = re.compile(r"__index_level_\d+__")


def parquet_columns(names: list[str]) -> list[str]:
    """The columns of a Parquet file that hold its data: all but pandas' unnamed index."""
    return [n for n in names if not PANDAS_INDEX_COLUMN.fullmatch(n)]


def arrow_frame(data, columns: list[str]) -> pd.DataFrame:
    """An Arrow table or record batch of a Parquet file as pandas, with the file's ``columns``.

    A named pandas index written into the file (``frame.set_index("customer_id")``) is one
    of its columns, as its header lists it, not pandas' index (which the reader replaces by
    row numbers); pandas' own dtypes (nullable integers, flags) are kept. Dates come as
    datetime64 (milliseconds hold any year), not as a Python object per cell (turning
    millions of those into days took 15 s at 5,000,000 customers).

    Parameters
    ----------
    data : pyarrow.Table or pyarrow.RecordBatch
        Read with ``columns`` (:func:`parquet_columns` of the file, or some of them).
    columns : list of str

    Returns
    -------
    DataFrame
        ``columns`` in their order.
    """
    frame = data.to_pandas(date_as_object=False)
    named = [n for n in frame.index.names if n in columns]
    if named:  # a copy, only for such a file
        frame = frame.reset_index(level=named)[columns]
    return frame


def _all_empty(values: pd.Series) -> bool:
    return bool(values.map(lambda v: pd.isna(v) or (isinstance(v, str) and not v.strip())).all())


def detect_encoding(path: Path, encoding: str | None = None) -> str:
    """The text encoding a whole CSV file decodes with, as the loader chooses it.

    Parameters
    ----------
    path : Path
        The file.
    encoding : str, optional
        The configured encoding: checked, not guessed.

    Returns
    -------
    str
        ``encoding`` when given, else ``utf-8-sig`` (UTF-8 with or without BOM) or
        ``gb18030``.

    Raises
    ------
    InputError
        The file does not decode as any candidate, or mixes UTF-8 and other lines.
    """
    return _detect_encoding(path, encoding)


def _detect_encoding(path: Path, encoding: str | None) -> str:
    """The encoding the whole file decodes with, read a chunk at a time."""
    candidates = (encoding,) if encoding else FALLBACK_ENCODINGS
    line = None
    for enc in candidates:
        try:
            line = _first_undecodable_line(path, enc)
        except LookupError:
            line = 0
        if line is None:
            used = enc
            break
    else:
        raise InputError(
            path,
            f"text cannot be decoded as {' or '.join(candidates)}"
            + (f" (first bad byte on line {line})" if line else ""),
            hint="set sources.<table>.encoding to the file's encoding (e.g. latin-1, big5)",
        )
    if used != "utf-8-sig" and encoding is None:
        _refuse_mixed_encoding(path)
    return used


def _first_undecodable_line(path: Path, encoding: str) -> int | None:
    """None when the file decodes as ``encoding``, else the line of the first bad byte."""
    decoder = codecs.getincrementaldecoder(encoding)()
    lines = 0
    with open(path, "rb") as f:
        while True:
            chunk = f.read(READ_CHUNK)
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                return (
                    lines + chunk[: max(exc.start - len(decoder.getstate()[0]), 0)].count(b"\n") + 1
                )
            if not chunk:
                return None
            lines += chunk.count(b"\n")


def _refuse_mixed_encoding(path: Path) -> None:
    """Stop when some lines are UTF-8 text and others are not: decoding the whole file as
    GB18030 would silently garble the UTF-8 lines."""
    utf8, other = [], []
    with open(path, "rb") as f:
        for no, line in enumerate(f, start=1):
            if line.isascii():
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


def open_workbook(path: Path) -> pd.ExcelFile:
    """An .xlsx workbook opened for reading its sheets.

    Parameters
    ----------
    path : Path

    Returns
    -------
    pandas.ExcelFile

    Raises
    ------
    InputError
        The file is no readable workbook.
    """
    try:
        # calamine (Rust) reads a workbook about 15 times as fast as openpyxl, to the same
        # values and types
        return pd.ExcelFile(path, engine="calamine")
    except Exception as exc:  # a damaged workbook raises many types
        raise InputError(
            path, f"not a readable .xlsx workbook ({exc.__class__.__name__})"
        ) from None


def _read_excel(
    path: Path,
    sheet: int | str,
    header_row: int,
    skip_rows: int = 0,
    columns: list[str] | None = None,
) -> pd.DataFrame:
    book = open_workbook(path)
    names = book.sheet_names
    if isinstance(sheet, int) and not 0 <= sheet < len(names):
        raise InputError(path, f"sheet index {sheet} does not exist; sheets are {names}")
    if isinstance(sheet, str) and sheet not in names:
        raise InputError(path, f"sheet '{sheet}' does not exist; sheets are {names}")
    if columns:  # no header row: the config names the columns
        frame = pd.read_excel(
            book, sheet_name=sheet, header=None, skiprows=header_row, dtype=object
        )
        if frame.shape[1] != len(columns):
            raise InputError(
                path, f"names gives {len(columns)} columns but the sheet has {frame.shape[1]}"
            )
        frame.columns = columns
        return frame
    frame = pd.read_excel(book, sheet_name=sheet, header=header_row, dtype=object)
    return frame.iloc[skip_rows:] if skip_rows else frame


_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")


def read_database(connection: str, sql: str, password: str | None = None) -> RawTable:
    """Read a table or the result of a query from a database through Ibis, whole.

    Parameters
    ----------
    connection, sql, password
        As for :func:`open_database`.

    Returns
    -------
    RawTable
        Values as the database types them; rows numbered from 1 in result order; ``path`` is
        the connection and query, for messages.

    Raises
    ------
    InputError
        The database cannot be reached, the query fails or returns no rows.
    """
    with open_database(connection, sql, password) as db:
        frame = db.execute(db.expr).to_pandas()
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.empty:
        raise InputError(db.label, "the query returned no rows")
    frame.index = pd.RangeIndex(1, len(frame) + 1, name="row")
    return RawTable(frame, db.label, None, [])


@dataclass
class DatabaseTable:
    """A table or query of an open database connection.

    Attributes
    ----------
    con : ibis.BaseBackend
        The connection (expressions built on :attr:`expr` run in the database).
    expr : ibis.Table
        The table or query.
    label : str
        The connection and query, for messages (never the password).
    password : str or None
        Removed from any error message.
    """

    con: object
    expr: object
    label: str
    password: str | None = None

    def execute(self, expr):
        """Run ``expr`` in the database and return its result as a pyarrow Table.

        Raises
        ------
        InputError
            The database refused or failed the query (message without the password).
        """
        try:
            return self.con.to_pyarrow(expr)
        except Exception as exc:  # drivers raise their own types
            raise InputError(self.label, _database_problem(exc, self.password)) from None

    def blocks(self, columns: list[str], block_rows: int | None = None) -> Iterator[RawTable]:
        """The rows of the named columns in blocks (as :meth:`SourceFile.blocks`).

        Rows are numbered from 1 in the order the database returns them.
        """
        row = 1
        try:
            batches = self.con.to_pyarrow_batches(
                self.expr.select(columns), chunk_size=block_rows or BLOCK_ROWS
            )
            for batch in batches:
                frame = batch.to_pandas()
                frame.columns = [str(c).strip() for c in frame.columns]
                frame.index = pd.RangeIndex(row, row + len(frame), name="row")
                row += len(frame)
                yield RawTable(frame, self.label, None, [])
        except InputError:
            raise
        except Exception as exc:  # drivers raise their own types
            raise InputError(self.label, _database_problem(exc, self.password)) from None
        if row == 1:
            raise InputError(self.label, "the query returned no rows")


@contextlib.contextmanager
def open_database(connection: str, sql: str, password: str | None = None):
    """Connect to a database and open a table or query there; disconnect on leaving.

    Parameters
    ----------
    connection : str
        ``postgresql://user@host:port/db`` or ``duckdb:///path/file.duckdb`` (no password).
    sql : str
        A table name (``customers``, ``crm.customers``) or a SELECT query.
    password : str, optional
        The password (from the environment; never part of messages or outputs).

    Yields
    ------
    DatabaseTable

    Raises
    ------
    InputError
        The database cannot be reached or the query is refused.
    """
    label = f"{redact_connection(connection)} [{sql}]"
    con = None
    try:
        con = connect_database(connection, password)
        if _IDENTIFIER.match(sql.strip()) and "." not in sql:
            expr = con.table(sql.strip())
        else:
            query = f"SELECT * FROM {sql}" if _IDENTIFIER.match(sql.strip()) else sql
            expr = _query_table(con, query) if con.name == "postgres" else con.sql(query)
    except Exception as exc:  # drivers raise their own types; the message must not carry the URL
        if con is not None:
            with contextlib.suppress(Exception):
                con.disconnect()
        raise InputError(label, _database_problem(exc, password)) from None
    try:
        yield DatabaseTable(con, expr, label, password)
    finally:
        with contextlib.suppress(Exception):
            con.disconnect()


def connect_database(connection: str, password: str | None = None):
    """Open an Ibis connection from a URL without password and the password kept apart.

    The one way the project connects to a database: sources read through it and
    ``publish: database`` writes through it.

    Parameters
    ----------
    connection : str
        ``postgresql://user@host:port/db`` or ``duckdb:///path/file.duckdb`` (no password;
        a relative DuckDB path already resolved).
    password : str, optional
        The password (from the environment); joined to a PostgreSQL URL's user, never shown.

    Returns
    -------
    ibis.BaseBackend

    Raises
    ------
    Exception
        Whatever the driver raises (callers word it with :func:`database_problem`).
    """
    import ibis

    url = connection.replace("postgresql://", "postgres://", 1)
    if password and url.startswith("postgres://"):
        scheme, rest = url.split("://", 1)
        if "@" in rest:
            user, host = rest.split("@", 1)
            url = f"{scheme}://{user}:{quote(password, safe='')}@{host}"
    con = ibis.connect(url)
    if url.startswith("duckdb://"):  # its progress bar would print into the run's log
        with contextlib.suppress(Exception):  # refused inside Jupyter (engine.connect)
            con.raw_sql("SET enable_progress_bar = false")
    return con


def _query_table(con, query: str):
    """A PostgreSQL query as an Ibis table, through a temporary view of this session.

    ``con.sql`` asks PostgreSQL for the query's columns through a view of its own, which Ibis
    12 with sqlglot >= 30.20 drops with ``DROP VIEW IF EXISTS`` and no name (a syntax error):
    naming the view here sidesteps it. The view lives as long as the connection.
    """
    import uuid

    name = f"churnreport_query_{uuid.uuid4().hex[:12]}"
    cursor = con.raw_sql(f"CREATE TEMPORARY VIEW {name} AS {query.strip().rstrip(';')}")
    with contextlib.suppress(Exception):
        cursor.close()
    return con.table(name)


def _database_problem(exc: Exception, password: str | None) -> str:
    return database_problem(exc, password, "cannot read from the database")


def database_problem(exc: Exception, password: str | None, what: str) -> str:
    """A driver's error in one line, the password masked: ``<what>: <first line>``."""
    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if password:
        message = message.replace(password, "***")
        quoted = quote(password, safe="")
        if quoted != password:
            message = message.replace(quoted, "***")
    return f"{what}: {message}"
