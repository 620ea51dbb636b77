"""Infer a report config from raw exports (``churn-report init``).

A user's export is read the way the loader will read it (encoding, delimiter, sheet, header
row, description rows under it, or no header at all), each column is profiled (kind, levels,
uniqueness, range), and the canonical roles are decided from names *and* values: which table
each file is, the customer id (or none: rows numbered), the churn flag and which of its values
means churned, the tenure and its unit, the churn definition, a purchase log's amount (derived
from quantity and unit price) and the rows it must leave out (cancellations, guest checkouts),
the usual attributes, segment and driver candidates. Every decision keeps the evidence it was
made on, and what cannot be decided is listed as a question; nothing is guessed silently.

The result is a plain ``ReportConfig``-compatible dict (:class:`Inference`), rendered as YAML
with the evidence as comments by :func:`render_config`.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from churnreport.data.contract import CONTRACT, MISSING_TOKENS
from churnreport.data.sources import (
    CSV_SUFFIXES,
    EXCEL_SUFFIXES,
    PARQUET_SUFFIXES,
    arrow_frame,
    detect_encoding,
    open_workbook,
    parquet_columns,
)
from churnreport.errors import ConfigError, InputError

#: Rows read from each file to infer its config (the loader later reads every row).
MAX_ROWS = 200_000
#: A column whose values alone separate churned from staying customers this well (AUC, either
#: direction) records the outcome: never a driver (the same rule as the driver model's).
OUTCOME_LIKE_AUC = 0.97
#: Segment candidates have this many levels (inclusive); the config lists at most MAX_SEGMENTS.
SEGMENT_LEVELS = (2, 12)
MAX_SEGMENTS = 5
#: A segment beyond the usual ones (plan, region, gender, channel) is listed when its levels'
#: churn rates differ by at least this much (levels of 30+ customers).
MIN_SPREAD = 0.05
#: Text or yes/no columns with at most this many levels are driver candidates.
DRIVER_TEXT_LEVELS = 20
#: A tenure without a unit in its name, in whole numbers up to this, is read as years.
YEARS_MAX = 15
#: Inactivity windows offered (days): the smallest covering 90% of repeat-purchase gaps and
#: twice the median gap (one missed purchase of a regular buyer is no churn yet).
WINDOWS = (30, 60, 90, 180, 365)
_DELIMITERS = ",;\t|"
_SAMPLE_BYTES = 1 << 16
_HEADER_SCAN = 30


@dataclass(frozen=True)
class Decision:
    """One inferred setting and why.

    Attributes
    ----------
    role : str
        What was decided: a canonical column (``customer_id``, ``churned`` ...), ``definition``,
        ``tenure_unit``, ``segment``, ``driver``, ``outcome_like``, ``file`` ...
    column : str or None
        The source column (or file) it rests on.
    evidence : str
        One line a reader can check, e.g. ``churned: Churn Label — 'Yes' read as churned
        (26.5% of rows)``.
    key : tuple of str
        Where it lands in the config (``("sources", "customers", "columns", "churned")``);
        the rendered YAML carries the evidence as a comment there. Empty: not in the config.
    """

    role: str
    column: str | None
    evidence: str
    key: tuple[str, ...] = ()


@dataclass
class Inference:
    """What ``init`` inferred from a set of files.

    Attributes
    ----------
    config : dict
        ``ReportConfig``-compatible (``ReportConfig.model_validate(config)`` accepts it); source
        paths are absolute (:func:`render_config` writes them relative to the config file).
    decisions : list of Decision
        Every setting decided, with its evidence, in config order.
    questions : list of str
        What could not be decided (or was set to a stand-in value) and needs the user.
    files : list of Path
        The files read.
    """

    config: dict
    decisions: list[Decision] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)


@dataclass
class InferenceTable:
    """A raw file read for inference, with how it must be read.

    Attributes
    ----------
    path : Path
        The file.
    frame : pandas.DataFrame
        Up to :data:`MAX_ROWS` rows below the header; CSV values as text, XLSX and Parquet values
        as stored. Column names stripped, as the loader names them.
    sheet : str or None
        XLSX: the sheet holding the table.
    header_row : int
        0-based row of the header (rows above it are skipped); with ``names``, the rows above
        the first data row.
    skip_rows : int
        Rows right under the header that are not data (a description or units row).
    names : list of str or None
        The file has no header row: the names given to its columns, in file order.
    encoding : str or None
        CSV text encoding.
    delimiter : str or None
        CSV field separator, or ``whitespace`` (runs of spaces or tabs).
    truncated : bool
        More rows exist than were read.
    notes : list of str
        How the file was read (sheet chosen and why, encoding, delimiter, header row).
    questions : list of str
        What reading could not settle.
    evidence : dict
        Reading option (``skip_rows``, ``names``, ``delimiter``) -> why it is set, for the
        config's comments.
    """

    path: Path
    frame: pd.DataFrame
    sheet: str | None = None
    header_row: int = 0
    skip_rows: int = 0
    names: list[str] | None = None
    encoding: str | None = None
    delimiter: str | None = None
    truncated: bool = False
    notes: list[str] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)
    evidence: dict[str, str] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------
# reading


def read_for_inference(
    path: str | Path, *, sheet: str | int | None = None, max_rows: int = MAX_ROWS
) -> InferenceTable:
    """Read a raw export as the loader will, finding how it must be read.

    CSV/TXT: the encoding by the loader's own detection (UTF-8 with or without BOM, then
    GB18030; cp1252 / latin-1 as a last resort, flagged as a question), the delimiter by
    :class:`csv.Sniffer` over the first 64 KiB (checked: the sampled lines below any title
    lines must split into the same number of fields; else the first of ``, ; TAB |`` that
    does; failing all, runs of spaces or tabs when they split every line alike, ``whitespace``).
    XLSX: the named sheet, or the sheet holding the largest table (a data dictionary or pivot
    sheet before it is skipped, and said so). In both, the header is the first row whose cells
    are mostly filled, distinct and text, with data rows below it; a first row that reads like
    the rows below it (numbers where they hold numbers, values they repeat) is data, and the
    file has no header: its columns are named (:func:`_column_names`). Rows right under the
    header holding text where the columns hold numbers or dates (a description or units row)
    are skipped (``skip_rows``). Parquet: the file's own columns.

    Parameters
    ----------
    path : str or Path
        A ``.csv``, ``.txt``, ``.tsv``, ``.xlsx``, ``.xlsm`` or ``.parquet`` file.
    sheet : str or int, optional
        XLSX sheet name or index; by default the one holding the largest table.
    max_rows : int
        Rows read below the header.

    Returns
    -------
    InferenceTable

    Raises
    ------
    InputError
        Missing, empty or unreadable file, unknown type, no data rows.

    Examples
    --------
    >>> t = read_for_inference("Churn_Modelling.csv")  # doctest: +SKIP
    >>> t.delimiter, t.header_row, t.frame.shape  # doctest: +SKIP
    (',', 0, (10000, 14))
    >>> t = read_for_inference("churn.txt")  # doctest: +SKIP
    >>> t.delimiter, t.names  # doctest: +SKIP
    ('whitespace', ['customer_id', 'col2', 'col3', 'col4', 'gender', 'churned'])
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found")
    if path.stat().st_size == 0:
        raise InputError(path, "the file is empty")
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        table = _read_text(path, max_rows)
    elif suffix in EXCEL_SUFFIXES:
        table = _read_workbook(path, sheet, max_rows)
    elif suffix in PARQUET_SUFFIXES:
        table = _read_parquet(path, max_rows)
    else:
        raise InputError(
            path, f"unknown file type '{suffix}'", hint="use .csv, .txt, .xlsx or .parquet"
        )
    frame = table.frame
    frame.columns = [str(c).strip() for c in frame.columns]
    empty = [c for c in frame.columns if c.startswith("Unnamed:") and _missing(frame[c]).all()]
    table.frame = frame.drop(columns=empty)
    if table.frame.empty:
        raise InputError(path, "the file has a header but no data rows")
    if table.truncated:
        table.notes.append(f"inferred from the first {len(table.frame):,} rows")
    return table


def _read_text(path: Path, max_rows: int) -> InferenceTable:
    questions = []
    try:
        encoding = detect_encoding(path)
        why = {"utf-8-sig": "UTF-8", "gb18030": "GB18030 (Chinese Windows export)"}[encoding]
    except InputError:
        encoding = next(e for e in ("cp1252", "latin-1") if _decodes(path, e))
        why = f"{encoding}: neither UTF-8 nor GB18030"
        questions.append(
            f"encoding of {path.name}: neither UTF-8 nor GB18030; read as {encoding} — check "
            "accented text, or set sources.<table>.encoding to the export's encoding"
        )
    with open(path, "rb") as f:
        head = f.read(_SAMPLE_BYTES)
    if head.startswith(codecs.BOM_UTF8):
        why += " with a byte-order mark"
    text = head.decode(encoding, errors="replace")
    lines = text.splitlines()
    if len(head) == _SAMPLE_BYTES and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut
    delimiter, how = _sniff_delimiter(lines, path.suffix.lower())
    rows = _split(lines[:200], delimiter)
    header_row, headerless = _find_header(rows)
    skip = 0 if headerless else _description_rows(rows, header_row)
    frame = pd.read_csv(
        path,
        sep=r"\s+" if delimiter == WHITESPACE else delimiter,
        encoding=encoding,
        skiprows=header_row,
        dtype=str,
        keep_default_na=False,
        nrows=max_rows + 1 + skip,
        **({"header": None} if headerless else {}),
    )
    frame = frame.iloc[skip:].reset_index(drop=True)
    truncated = len(frame) > max_rows
    shown = {"\t": "TAB"}.get(delimiter, delimiter)
    notes = [f"encoding {why}", f"delimiter '{shown}' ({how})"]
    evidence = {}
    if delimiter == WHITESPACE:
        evidence["delimiter"] = f"delimiter: whitespace — {how}"
    if header_row:
        where = "data" if headerless else "header"
        notes.append(f"{where} from line {header_row + 1} (the lines above it are not the table)")
    table = InferenceTable(
        path,
        frame.iloc[:max_rows],
        header_row=header_row,
        encoding=encoding,
        delimiter=delimiter,
        truncated=truncated,
        notes=notes,
        questions=questions,
        evidence=evidence,
    )
    if skip:
        _note_skipped(table, rows[header_row + 1 : header_row + 1 + skip], rows[header_row], "line")
    if headerless:
        _name_columns(table)
    return table


#: The ``delimiter`` of a file whose fields are separated by runs of spaces or tabs.
WHITESPACE = "whitespace"


def _split(lines: list[str], delimiter: str) -> list[list[str]]:
    if delimiter == WHITESPACE:
        return [ln.split() for ln in lines]
    return list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter))


def _decodes(path: Path, encoding: str) -> bool:
    try:
        path.read_bytes().decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _sniff_delimiter(lines: list[str], suffix: str) -> tuple[str, str]:
    """The field separator of sampled lines and how it was found."""
    sample = [ln for ln in lines[:200] if ln.strip()]
    if not sample:
        return ",", "default"

    def consistent(sep: str) -> bool:
        """One field count (> 1) on every sampled line, a few title lines above aside."""
        counts = [len(r) for r in csv.reader(io.StringIO("\n".join(sample)), delimiter=sep)]
        body = counts[min(_HEADER_SCAN, len(counts) // 2) :] or counts
        width = max(set(body), key=body.count)
        return (
            width > 1
            and all(c == width for c in body)
            and counts.count(width) >= 0.9 * len(counts) - _HEADER_SCAN
        )

    try:
        sniffed = csv.Sniffer().sniff("\n".join(sample), delimiters=_DELIMITERS).delimiter
    except csv.Error:
        sniffed = None
    if sniffed and consistent(sniffed):
        return sniffed, "csv.Sniffer, same field count on the sampled lines"
    default = "\t" if suffix == ".tsv" else ","
    for sep in dict.fromkeys(default + _DELIMITERS):
        if consistent(sep):
            return sep, "the separator that splits the sampled lines alike"
    counts = [len(ln.split()) for ln in sample]
    body = counts[min(_HEADER_SCAN, len(counts) // 2) :] or counts
    width = max(set(body), key=body.count)
    if width > 1 and all(c == width for c in body):
        return WHITESPACE, (
            f"no one character separates the fields; runs of spaces or tabs split every sampled "
            f"line into {width} fields"
        )
    return default, "default: no separator splits the sampled lines alike"


def _read_workbook(path: Path, sheet: str | int | None, max_rows: int) -> InferenceTable:
    book = open_workbook(path)
    names = book.sheet_names
    if isinstance(sheet, int):
        if not 0 <= sheet < len(names):
            raise InputError(path, f"sheet index {sheet} does not exist; sheets are {names}")
        sheet = names[sheet]
    if sheet is not None and sheet not in names:
        raise InputError(path, f"sheet '{sheet}' does not exist; sheets are {names}")
    found = {}  # sheet -> (header row, data rows, columns, raw grid)
    for name in [sheet] if sheet is not None else names:
        grid = pd.read_excel(book, sheet_name=name, header=None, dtype=object, nrows=max_rows + 1)
        if grid.dropna(how="all").empty:
            continue
        rows = grid.head(_HEADER_SCAN + 200).to_numpy(dtype=object).tolist()
        h, headerless = _find_header(rows)
        skip = 0 if headerless else _description_rows(rows, h)
        body = grid.iloc[h + (0 if headerless else 1 + skip) :].dropna(how="all")
        width = int((~_missing_frame(grid.iloc[[h]])).to_numpy().sum())
        found[name] = (h, len(body), width, grid, headerless, skip, rows)
    if not found:
        raise InputError(path, "every sheet is empty")
    chosen = sheet if sheet is not None else max(found, key=lambda s: found[s][1] * found[s][2])
    h, n, width, _, headerless, skip, rows = found[chosen]
    notes = [f"sheet '{chosen}' ({n:,} data rows x {width} columns)"]
    if sheet is None and len(names) > 1:
        header = _header_names(found[chosen][3], h)
        skipped = [
            f"'{s}' ({_sheet_kind(found[s][3], header, found[s][1])})" for s in found if s != chosen
        ]
        skipped += [f"'{s}' (empty)" for s in names if s not in found]
        notes[0] += "; skipped " + ", ".join(skipped)
    if h:
        where = "data from" if headerless else "header on"
        notes.append(f"{where} spreadsheet row {h + 1} (header_row {h})")
    frame = pd.read_excel(book, sheet_name=chosen, header=None if headerless else h,
                          skiprows=h if headerless else None, dtype=object,
                          nrows=max_rows + 1 + skip)  # fmt: skip
    frame = frame.iloc[skip:].reset_index(drop=True)
    table = InferenceTable(
        path, frame.iloc[:max_rows], sheet=chosen, header_row=h,
        truncated=len(frame) > max_rows, notes=notes,
    )  # fmt: skip
    if skip:
        _note_skipped(table, rows[h + 1 : h + 1 + skip], rows[h], "spreadsheet row")
    if headerless:
        _name_columns(table)
    return table


def _header_names(grid: pd.DataFrame, h: int) -> set[str]:
    return {str(v).strip() for v in grid.iloc[h] if not _is_blank(v)}


def _sheet_kind(grid: pd.DataFrame, header: set[str], rows: int) -> str:
    """How a skipped sheet reads: a data dictionary, a pivot table, or a smaller table."""
    cells = {str(v).strip() for v in grid.to_numpy().ravel() if not _is_blank(v)}
    if len(header & cells) >= max(2, len(header) // 2):
        return f"a data dictionary: it names {len(header & cells)} of the table's columns"
    if cells & {"Row Labels", "Grand Total", "Column Labels", "行标签", "总计", "列标签"}:
        return "a pivot table"
    return f"a smaller table, {rows:,} rows"


def _read_parquet(path: Path, max_rows: int) -> InferenceTable:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
        columns = parquet_columns(pf.schema_arrow.names)
        batches = pf.iter_batches(batch_size=max_rows + 1, columns=columns)
        batch = next(batches, None)
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise InputError(path, f"not a readable Parquet file ({exc.__class__.__name__})") from None
    if batch is None:
        raise InputError(path, "the file has a header but no data rows")
    frame = arrow_frame(batch, columns)  # as the run reads it
    truncated = len(frame) > max_rows or pf.metadata.num_rows > len(frame)
    return InferenceTable(path, frame.iloc[:max_rows], truncated=truncated,
                          notes=[f"Parquet, {pf.metadata.num_rows:,} rows"])  # fmt: skip


def _is_blank(v: object) -> bool:
    if v is None:
        return True
    if isinstance(v, str):
        return not v.strip()
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _missing_frame(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.map(_is_blank)


def _missing(s: pd.Series) -> pd.Series:
    """Empty cells and placeholder tokens (``?``, ``NA`` ...), as the loader reads them."""
    return s.map(lambda v: _is_blank(v) or (isinstance(v, str) and v.strip() in MISSING_TOKENS))


_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|\.\d+)([eE][+-]?\d+)?%?$")


def _header_row(rows: list[list]) -> int | None:
    """The first row whose cells are mostly filled, distinct text, with data rows below it
    (and not reading like them: :func:`_looks_like_data`); None: no such row."""
    filled = [[v for v in r if not _is_blank(v)] for r in rows]
    for i, cells in enumerate(filled[:_HEADER_SCAN]):
        below = [c for c in filled[i + 1 : i + 21] if c]
        if not cells or not below:
            continue
        width = max(len(cells), *(len(c) for c in below))
        text = [v for v in cells if isinstance(v, str) and not _NUMBER.match(v.strip())]
        names = [str(v).strip() for v in cells]
        if (
            len(cells) >= 0.6 * width
            and len(text) >= 0.8 * len(cells)
            and len(set(names)) == len(names)
            and len(below[0]) >= 0.5 * len(cells)
            and not _looks_like_data(rows[i], rows[i + 1 : i + 201])
        ):
            return i
    return None


def _find_header(rows: list[list]) -> tuple[int, bool]:
    """(row, no header): the header row (:func:`_header_row`); failing one, the first full-width
    row that reads like the rows below it starts the data of a file without a header."""
    h = _header_row(rows)
    if h is not None:
        return h, False
    widths = [sum(not _is_blank(v) for v in r) for r in rows]
    full = max(set(w for w in widths if w), key=widths.count, default=0)
    for i, r in enumerate(rows[:_HEADER_SCAN]):
        if full > 1 and widths[i] >= 0.6 * full and _looks_like_data(r, rows[i + 1 : i + 201]):
            return i, True
    return 0, False


def _cell_kind(v: object) -> str | None:
    """'number', 'date' or 'text' for one raw cell; None when blank or a missing token."""
    if _is_blank(v):
        return None
    if isinstance(v, (bool, np.bool_)):
        return "text"
    if isinstance(v, (int, float, np.integer, np.floating)):
        return "number"
    if isinstance(v, (dt.date, np.datetime64)):
        return "date"
    text = str(v).strip()
    if text in MISSING_TOKENS:
        return None
    if _NUMBER.match(text):
        return "number"
    return "date" if _DATE_TEXT.match(text) else "text"


def _column_kinds(rows: list[list]) -> dict[int, str]:
    """Column index -> 'number' or 'date' where 90%+ of the rows' filled cells are one."""
    cells: dict[int, list[str]] = {}
    for r in rows:
        for j, v in enumerate(r):
            k = _cell_kind(v)
            if k is not None:
                cells.setdefault(j, []).append(k)
    kinds = {}
    for j, ks in cells.items():
        for kind in ("number", "date"):
            if len(ks) >= 3 and ks.count(kind) >= 0.9 * len(ks):
                kinds[j] = kind
    return kinds


def _looks_like_data(row: list, below: list[list]) -> bool:
    """The row reads like the rows below it: a number or date where their column holds
    numbers or dates (a header has a name there); without such columns, its values recur in
    their columns below (a header's names do not)."""
    below = [r for r in below if any(not _is_blank(v) for v in r)]
    if not below:
        return False
    data = header = 0
    for j, kind in _column_kinds(below).items():
        cell = _cell_kind(row[j]) if j < len(row) else None
        data += cell == kind
        header += cell == "text"
    if data or header:
        return data > header
    seen = checked = 0
    for j, v in enumerate(row):
        column = [str(r[j]).strip() for r in below if j < len(r) and not _is_blank(r[j])]
        if _is_blank(v) or len(set(column)) == len(column):
            continue
        checked += 1
        seen += str(v).strip() in column
    return checked > 0 and seen >= checked / 2


def _description_rows(rows: list[list], h: int) -> int:
    """Rows right under the header ``h`` that are no data: text where the rows below hold
    numbers or dates, in two columns or more, and no number or date of theirs (a description
    or units row: 'unique id', 'years', '(EUR)', '1 = left')."""
    skip = 0
    while skip < 3 and h + 1 + skip < len(rows):
        row = rows[h + 1 + skip]
        body = rows[h + 2 + skip : h + 202 + skip]
        words, fits = set(), 0
        for j, kind in _column_kinds(body).items():
            cell = _cell_kind(row[j]) if j < len(row) else None
            if cell == "text" and _WORDISH.search(str(row[j])):  # not a '-' placeholder
                words.add(str(row[j]).strip())
            fits += cell == kind
        if len(words) < 2 or fits * 3 >= len(words):
            break
        skip += 1
    return skip


_WORDISH = re.compile(r"[^\W\d_]")  # a letter of any script


def _note_skipped(table: InferenceTable, skipped: list[list], header: list, unit: str) -> None:
    """Record the description rows skipped under the header, with what they hold."""
    table.skip_rows = len(skipped)
    first = table.header_row + 2
    where = (
        f"{unit} {first}" if len(skipped) == 1 else f"{unit}s {first}-{first + len(skipped) - 1}"
    )
    below = table.frame.head(200).to_numpy(dtype=object).tolist()
    kinds = _column_kinds(below)
    shown = [
        f"'{str(r[j]).strip()}' under {str(header[j]).strip()}"
        for r in skipped[:1]
        for j in kinds
        if j < len(r) and j < len(header) and _cell_kind(r[j]) == "text"
    ]
    table.notes.append(f"{where} under the header skipped: no data")
    table.evidence["skip_rows"] = (
        f"skip_rows: {len(skipped)} — {where}, right under the header, is no data: "
        f"{', '.join(shown[:3])}{' ...' if len(shown) > 3 else ''} where the columns hold "
        "numbers or dates (a description or units row)"
    )


#: Values that make a column of a file without a header a gender.
_GENDER_VALUES = {"m", "f", "male", "female", "男", "女", "man", "woman", "w"}


def _column_names(frame: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Names for the columns of a file without a header, and how each role was recognised.

    ``col1`` .. ``colN`` in file order, except where the values make the role obvious: a
    column of distinct codes is ``customer_id``, a two-level column whose values say churn
    ('Churned' / 'Active', '流失' / '在网') ``churned``, one of M / F, Male / Female, 男 / 女
    ``gender``.

    Examples
    --------
    >>> frame = pd.DataFrame([["C01", 3, "Left", "M"], ["C02", 5, "Stayed", "F"],
    ...                       ["C03", 3, "Stayed", "M"]])
    >>> _column_names(frame)[0]
    ['customer_id', 'col2', 'churned', 'gender']
    """
    names, why = [], []
    for i, j in enumerate(frame.columns):
        col = _profile(frame[j].rename(f"col{i + 1}"))
        name = col.name
        levels = {str(k).strip().lower() for k in col.levels.index}
        flag = _flag_values(col)
        if "customer_id" not in names and _code_like(col):
            name = "customer_id"
            why.append(f"customer_id: column {i + 1} holds a distinct code on every row "
                       f"({', '.join(map(str, col.keys.head(2)))} ...)")  # fmt: skip
        elif "churned" not in names and flag is not None and flag[2]:
            name = "churned"
            why.append(f"churned: column {i + 1} holds {' / '.join(map(str, col.levels.index))}")
        elif "gender" not in names and 2 <= len(levels) <= 3 and levels <= _GENDER_VALUES:
            name = "gender"
            why.append(f"gender: column {i + 1} holds {' / '.join(map(str, col.levels.index))}")
        names.append(name)
    return names, why


def _name_columns(table: InferenceTable) -> None:
    """Name the columns of a file without a header row (``names``) and say what is left to do."""
    frame = table.frame
    names, why = _column_names(frame)
    table.names = names
    table.frame = frame.set_axis(names, axis=1)
    first = ", ".join(f"'{_key(v)}'" for v in frame.iloc[0].tolist()[:3])
    table.notes.append(f"no header row: {len(names)} columns named in file order")
    table.evidence["names"] = (
        f"names: the file has no header row (its first row, {first} ..., reads like the rows "
        f"below it); columns named col1 .. col{len(names)} in file order"
        + (f", except {'; '.join(why)}" if why else "")
    )
    hints = []
    for n in names:
        c = _profile(table.frame[n])
        if n.startswith("col") and c.distinct == 2:
            hints.append(f"{n} holds {' / '.join(map(str, c.levels.index))}")
    table.questions.append(
        f"column names of {table.path.name}: the file has no header row; columns not recognised "
        "by their values are named col1, col2 ...: rename them under names (the churn flag "
        "churned, the tenure tenure_months ...)" + (f"; {', '.join(hints)}" if hints else "")
    )


# --------------------------------------------------------------------------------------------
# profiling


_DATE_TEXT = re.compile(
    r"^(\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4})([ T].*)?$"
)
#: Non-ISO date formats tried in order (the loader reads one ``date_format`` per table).
_DATE_FORMATS = ("%d/%m/%Y", "%m/%d/%Y", "%Y/%m/%d", "%d.%m.%Y", "%d-%m-%Y", "%m-%d-%Y")
#: Times of day after a non-ISO date (12/1/2010 8:26), tried in order.
_TIME_FORMATS = ("%H:%M", "%H:%M:%S", "%H:%M:%S.%f", "%I:%M %p", "%I:%M:%S %p")


@dataclass
class _Col:
    """One column as inference sees it."""

    name: str
    kind: str  # number | date | text | empty
    values: pd.Series  # float (number), datetime64 (date) or the raw values
    keys: pd.Series  # text keys as the loader's value mapping compares them (missing: NA)
    present: int
    distinct: int
    unique: bool  # present on every row and never repeated
    integer: bool = False
    date_format: str | None = None  # None: ISO 8601 (or typed cells)
    ambiguous_dates: bool = False
    mixed_times: bool = False  # some dates carry a time of day, others not (non-ISO)
    factors: tuple | None = None  # a derived amount: (quantity, unit price) columns

    @property
    def levels(self) -> pd.Series:
        return self.keys.dropna().value_counts()


def _key(v: object) -> object:
    """The text the loader's value mapping compares a cell by (``data.contract._key``)."""
    if _is_blank(v):
        return pd.NA
    if isinstance(v, (bool, np.bool_)):
        return "Yes" if v else "No"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    s = str(v).strip()
    return pd.NA if s in MISSING_TOKENS else s


def _profile(s: pd.Series) -> _Col:
    keys = s.map(_key).astype(object)
    present = keys.notna()
    n_present = int(present.sum())
    distinct = int(keys[present].nunique())
    unique = n_present == len(s) and distinct == len(s)
    col = _Col(str(s.name), "empty", s, keys, n_present, distinct, unique)
    if not n_present:
        return col
    raw = s[present]
    if (
        pd.api.types.is_datetime64_any_dtype(s)
        or raw.map(lambda v: isinstance(v, (dt.date, np.datetime64))).all()
    ):
        col.kind, col.values = "date", pd.to_datetime(s.where(present), errors="coerce")
        return col
    if pd.api.types.is_bool_dtype(s) or raw.map(lambda v: isinstance(v, (bool, np.bool_))).all():
        col.kind = "text"
        return col
    num = pd.to_numeric(keys.where(present), errors="coerce")
    if num[present].notna().all() and np.isfinite(num[present].astype(float)).all():
        col.kind, col.values = "number", num.astype(float)
        col.integer = bool((col.values.dropna() % 1 == 0).all())
        return col
    text = keys[present].astype(str)
    if text.str.match(_DATE_TEXT).all():
        parsed, fmt, ambiguous = _parse_date_text(keys.where(present))
        if parsed is not None:
            col.kind, col.values, col.date_format = "date", parsed, fmt
            col.ambiguous_dates = ambiguous
            col.mixed_times = fmt is not None and fmt.endswith("?")
            col.date_format = fmt.rstrip("?") if fmt else fmt
            return col
    col.kind = "text"
    return col


def _parse_date_text(s: pd.Series) -> tuple[pd.Series | None, str | None, bool]:
    """Dates written as text: (dates, format or None for ISO, day/month order ambiguous).

    A non-ISO format carries the time of day when every value has one in one format
    (``%m/%d/%Y %H:%M``: the loader parses the whole text); it ends in ``?`` when only some
    values carry a time (no one format reads them all).

    Examples
    --------
    >>> _parse_date_text(pd.Series(["12/1/2010 8:26", "1/13/2011 14:05"]))[1]
    '%m/%d/%Y %H:%M'
    """
    raw = s.dropna().astype(str).str.strip()
    iso = pd.to_datetime(raw, format="ISO8601", errors="coerce")
    if iso.notna().all():
        return pd.to_datetime(s, format="ISO8601", errors="coerce"), None, False
    parts = raw.str.split(r"[ T]", n=1)
    day, time = parts.str[0], parts.str[1]
    fits = []
    for fmt in _DATE_FORMATS:
        parsed = pd.to_datetime(day, format=fmt, errors="coerce")
        if parsed.notna().all():
            fits.append(fmt)
    if not fits:
        return None, None, False
    fmt = fits[0]
    swapped = fmt.replace("%d", "%D").replace("%m", "%d").replace("%D", "%m")
    ambiguous = swapped != fmt and swapped in fits
    full = fmt
    if time.notna().all():
        sep = " " if raw.str.contains(" ").all() else "T" if raw.str.contains("T").all() else None
        clock = next((f for f in _TIME_FORMATS
                      if pd.to_datetime(time, format=f, errors="coerce").notna().all()), None)  # fmt: skip
        full = f"{fmt}{sep}{clock}" if sep and clock else f"{fmt}?"
    elif time.notna().any():
        full = f"{fmt}?"
    days = pd.to_datetime(s.str.strip().str.split(r"[ T]").str[0], format=fmt, errors="coerce")
    return days, full, ambiguous


# --------------------------------------------------------------------------------------------
# names


_WORDS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+|[\u3400-\u9fff]+")


def _tokens(name: str) -> set[str]:
    """Lower-case words of a column name: camelCase, snake_case and spaces split."""
    return {w.lower() for w in _WORDS.findall(name)}


def _named(name: str, words: set[str] | frozenset[str] = frozenset(), zh: tuple = ()) -> bool:
    return bool(_tokens(name) & set(words)) or any(z in name for z in zh)


_ID_WORDS = {"id", "ids", "key", "code", "no", "num", "number", "nr", "uuid", "guid"}
_ID_ZH = ("编号", "号码", "账号", "帐号", "代码")
_ENTITY_WORDS = {"customer", "customers", "cust", "client", "account", "user", "member",
                 "subscriber", "buyer", "shopper", "patron"}  # fmt: skip
_ENTITY_ZH = ("客户", "用户", "会员", "顾客", "账户", "帐户", "买家")
_PERSON_WORDS = {"name", "surname", "firstname", "lastname", "email", "mail", "address",
                 "street", "zip", "zipcode", "postcode", "postal", "lat", "latitude",
                 "longitude", "lon", "lng", "ip", "phone", "telephone", "tel", "mobile"}  # fmt: skip
_PERSON_ZH = ("姓名", "名字", "名称", "电话", "手机", "地址", "邮编", "邮箱", "经度", "纬度",
              "身份证")  # fmt: skip
_CHURN_WORDS = {"churn", "churned", "churning", "exited", "exit", "attrition", "attrited",
                "left", "lapsed", "cancelled", "canceled", "cancel", "cancellation",
                "defected", "lost", "terminated"}  # fmt: skip
_CHURN_ZH = ("流失", "离网", "退订", "销户", "注销", "解约", "退网")
_COPY_WORDS = {"value", "score", "prob", "probability", "num", "code", "count", "index",
               "pct", "rate"}  # fmt: skip
_CHURNED_VALUES = {"churned", "churn", "attrited", "exited", "exit", "left", "lost", "cancelled",
                   "canceled", "lapsed", "terminated", "closed", "gone", "defected"}  # fmt: skip
_CHURNED_ZH = ("流失", "离网", "退订", "销户", "注销", "解约", "退网")
_GENERIC_YES = {"yes", "y", "true", "t", "1", "是"}
_STAYED_VALUES = {"no", "n", "false", "f", "0", "stayed", "stay", "retained", "existing", "active",
                  "current", "renewed", "joined", "new", "否"}  # fmt: skip
_STAYED_ZH = ("在网", "未流失", "留存", "正常", "在用", "活跃", "新增")
_OUTCOME_WORDS = {"cltv", "clv", "ltv", "propensity", "predicted", "prediction"}
_TENURE_WORDS = {"tenure", "seniority"}
_TENURE_ZH = ("在网时长", "网龄", "在网月", "入网时长", "在网年", "客户年限", "合作年限", "会员时长",
              "时长", "年限", "月数")  # fmt: skip
#: With a month or year word, these make a tenure (Months_on_book, years_as_customer).
_TENURE_CONTEXT = {"customer", "client", "active", "member", "membership", "subscribed", "with",
                   "since", "book", "relationship", "account", "loyalty"}  # fmt: skip
_MONTH_WORDS = {"month", "months", "mo", "mos", "mon"}
_YEAR_WORDS = {"year", "years", "yr", "yrs"}
_REASON_WORDS = {"reason", "reasons", "cause", "causes", "why"}
_REASON_ZH = ("原因", "理由")
_MONEY_WORDS = {"charge", "charges", "fee", "fees", "revenue", "spend", "bill", "billing",
                "amount", "payment", "price", "arpu", "mrr", "income", "sales"}  # fmt: skip
_AMOUNT_WORDS = {"amount", "amt", "total", "price", "revenue", "sales", "value", "spend", "paid",
                 "sum", "money", "net", "gross"}  # fmt: skip
_AMOUNT_ZH = ("金额", "消费", "销售额", "实付", "付款", "价格", "总价", "收入", "营业额")
#: A transactions table without an amount column: quantity x unit price per row (``derive``).
_QUANTITY_WORDS = {"quantity", "qty", "quantities", "units", "pieces", "pcs"}
_QUANTITY_ZH = ("数量", "件数", "销量", "购买量")
_PRICE_WORDS = {"price", "unitprice"}
_PRICE_ZH = ("单价", "价格", "售价")
#: Amount words that make a price column a line amount after all (Total Price, 总价).
_LINE_WORDS = {"amount", "amt", "total", "revenue", "sales", "sum", "paid", "net", "gross",
               "line", "subtotal"}  # fmt: skip
_LINE_ZH = ("金额", "总价", "销售额", "实付", "收入", "营业额", "合计", "小计")
#: Values of a status or type column marking rows that are no purchase (``leave_out``).
_CANCEL_VALUES = {"cancel", "cancelled", "canceled", "cancellation", "cancellations", "refund",
                  "refunded", "refunds", "return", "returned", "returns", "void", "voided",
                  "reversed", "reversal", "chargeback", "storno", "annulled"}  # fmt: skip
_CANCEL_ZH = ("退货", "退款", "取消", "作废", "撤销", "冲销", "退单", "冲红", "撤单")
_NEGATION = {"not", "no", "non", "never", "without"}
_STATUS_WORDS = {"status", "state", "type", "kind", "category", "event", "action", "flag",
                 "transaction", "txn"}  # fmt: skip
_STATUS_ZH = ("状态", "类型", "类别", "种类")
#: Rows without a customer id in a purchase log are guest checkouts (``leave_out``) from this
#: share of rows on; fewer are data errors, excluded and counted as such by the loader.
GUEST_SHARE = 0.01
_START_WORDS = {"start", "started", "signup", "joined", "join", "begin", "created", "opened",
                "since", "activation", "activated", "onboarded", "subscribed"}  # fmt: skip
_START_ZH = ("开始", "注册", "入网", "开通", "开户", "签约", "加入", "激活")
_END_WORDS = {"end", "ended", "cancel", "cancelled", "canceled", "cancellation", "churn",
              "terminated", "termination", "closed", "close", "stop", "stopped",
              "expiry", "expired", "left"}  # fmt: skip
_END_ZH = ("结束", "注销", "离网", "流失", "解约", "终止", "到期", "退订", "销户")
_TICKET_WORDS = {"ticket", "tickets", "complaint", "complaints", "support", "case", "cases",
                 "incident", "issue", "issues"}  # fmt: skip
_TICKET_ZH = ("工单", "投诉", "客诉", "报修")
#: Canonical attribute -> (name words, Chinese name parts, kind).
_ATTRIBUTES = {
    "gender": ({"gender", "sex"}, ("性别",), "text"),
    "age": ({"age"}, ("年龄",), "number"),
    "region": (
        {
            "region",
            "geography",
            "area",
            "territory",
            "province",
            "state",
            "country",
            "city",
            "district",
            "location",
            "market",
        },
        ("地区", "区域", "大区", "省", "城市", "国家", "地域", "片区"),
        "text",
    ),  # fmt: skip
    "plan": (
        {"plan", "contract", "tier", "package", "subscription", "membership", "edition"},
        ("套餐", "合约", "合同", "会员等级", "产品类型", "资费"),
        "text",
    ),
    "channel": ({"channel", "acquisition", "referral"}, ("渠道", "来源"), "text"),
}
#: Canonical attributes the driver model always considers (ReportConfig.driver_attributes).
_USUAL = ("customer_type", "age", "gender", "region", "channel", "plan")
#: Segment dimensions the analysis always adds when the column exists (age as age bands).
_AUTOMATIC = ("age", "customer_type", "account_manager")
#: Preference among region words when several columns qualify (the coarsest first).
_REGION_ORDER = ("region", "geography", "territory", "area", "market", "country", "province",
                 "state", "district", "city", "location")  # fmt: skip


_COMPACT_ID = re.compile(
    r"^(customer|cust|client|account|acct|user|member|subscriber)(id|no|num|number|nr|code|key)$"
)


def _id_score(name: str) -> int:
    """How much a column name says "customer id": an id word 2, an entity word 1 (both for a
    name written as one word, CUSTOMERID, CLIENTNUM)."""
    if _named(name, _PERSON_WORDS - {"phone", "mobile"}, _PERSON_ZH):
        return 0
    if _COMPACT_ID.match(re.sub(r"[^a-z]", "", name.lower())):
        return 3
    return 2 * _named(name, _ID_WORDS, _ID_ZH) + _named(name, _ENTITY_WORDS, _ENTITY_ZH)


def _value_role(key: str) -> str | None:
    """'churned', 'stayed' or None for one flag value; 'yes' for a generic yes."""
    low = key.strip().lower().rstrip(".")  # 'True.', 'False.' (C4.5-style exports)
    words = _tokens(low) | {low}
    if words & _CHURNED_VALUES or any(z in key for z in _CHURNED_ZH if not key.startswith("未")):
        return "churned"
    if words & _STAYED_VALUES or any(z in key for z in _STAYED_ZH):
        return "stayed"
    if low in _GENERIC_YES:
        return "yes"
    return None


# --------------------------------------------------------------------------------------------
# deciding


@dataclass
class _Table:
    """A file with its profiles and the roles decided for it."""

    read: InferenceTable
    cols: dict[str, _Col]
    role: str | None = None
    id_col: str | None = None
    columns: dict[str, str] = field(default_factory=dict)  # canonical -> source
    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    row_ids: bool = False  # customers without an id column: each row one customer
    derive: dict[str, str] = field(default_factory=dict)  # new column -> expression
    leave_out: list[dict] = field(default_factory=list)  # rules as written in the config
    left_out: pd.Series | None = None  # rows any leave_out rule matches

    @property
    def rows(self) -> int:
        return len(self.read.frame)

    @property
    def name(self) -> str:
        return self.read.path.name

    def free(self, kinds: tuple[str, ...] = ()) -> list[_Col]:
        """Columns not yet mapped, optionally of some kinds, in file order."""
        used = set(self.columns.values())
        return [c for n, c in self.cols.items() if n not in used and (not kinds or c.kind in kinds)]


class _Inferrer:
    def __init__(self, tables: list[_Table], name: str | None):
        self.tables = tables
        self.name = name
        self.decisions: list[Decision] = []
        self.questions: list[str] = []
        self.churned: pd.Series | None = None  # customers: bool per row (known flag or dates)
        self.tenure_unit: str | None = None

    def decide(self, role: str, column: str | None, evidence: str, *key: str) -> None:
        self.decisions.append(Decision(role, column, evidence, tuple(key)))

    # -- tables and ids ----------------------------------------------------------------------

    def assign_tables(self) -> _Table | None:
        unique = {id(t): _own_ids(t) for t in self.tables}
        owners = [t for t in self.tables if unique[id(t)]]

        def referenced(t: _Table) -> int:
            ids = set(max(unique[id(t)], key=lambda c: _id_score(c.name)).keys)
            return sum(
                any(c.keys.dropna().isin(ids).mean() >= 0.5 for c in o.cols.values())
                for o in self.tables
                if o is not t
            )

        customers = max(owners, key=lambda t: (referenced(t), t.rows), default=None)
        if customers is not None:
            cands = sorted(unique[id(customers)], key=lambda c: -_id_score(c.name))
            best = cands[0]
            customers.role, customers.id_col = "customers", best.name
            customers.columns["customer_id"] = best.name
            others = f"; also unique: {', '.join(c.name for c in cands[1:3])}" if cands[1:] else ""
            self.decide(
                "customer_id",
                best.name,
                f"customer_id: {best.name} — named like an id, one distinct value on each of "
                f"the {customers.rows:,} rows{others}",
                "sources", "customers", "columns", "customer_id",
            )  # fmt: skip
        elif len(self.tables) == 1 and self.tables[0].cols:
            self._id_without_name(self.tables[0])
            if self.tables[0].role == "customers":
                customers = self.tables[0]
        ids = set(customers.cols[customers.id_col].keys) if customers and customers.id_col else None
        for t in self.tables:
            if t is customers:
                continue
            self._link(t, ids)
        return customers

    def _id_without_name(self, t: _Table) -> None:
        """A single file with no unique id-named column: a log (repeated ids), an id by its
        values (distinct codes), or no id at all (``row_ids``: each row one customer)."""
        named = [c for c in t.cols.values() if _id_score(c.name) > 0 and c.kind != "date"]
        if named and any(not c.unique for c in named):
            return  # repeated ids: a log; _link decides
        fallback = [c for c in t.cols.values() if _code_like(c)]
        if not fallback:
            self._row_ids(t, named)
            return
        c = fallback[0]
        t.role, t.id_col = "customers", c.name
        t.columns["customer_id"] = c.name
        self.decide("customer_id", c.name,
                    f"customer_id: {c.name} — no column is named like an id; it is the first "
                    "column with a distinct code on every row: check it",
                    "sources", "customers", "columns", "customer_id")  # fmt: skip
        self.questions.append(
            f"customer id: no column of {t.name} is named like an id (id, customer, account, "
            f"客户, 编号 ...); {c.name} was taken as it holds a distinct code on every row — check it"
        )

    def _row_ids(self, t: _Table, named: list[_Col]) -> None:
        t.role, t.row_ids = "customers", True
        repeats = int(t.read.frame.duplicated().sum())
        counters = [c.name for c in named if _counter(c)]
        why = "no column is named like an id (id, customer, account, 客户, 编号 ...)"
        if counters:
            why = f"no column is named like a customer's id ({', '.join(counters)} counts rows)"
        dup = (f"; {repeats:,} rows repeat another row exactly: the loader leaves them out and "
               "counts them" if repeats else "; no row repeats another")  # fmt: skip
        self.decide("row_ids", None,
                    f"row_ids: true — {why} and none holds distinct codes on every row: each of "
                    f"the {t.rows:,} rows is one customer, its id its row number in the file{dup}",
                    "sources", "customers", "row_ids")  # fmt: skip
        self.questions.append(
            f"customer id: {t.name} has none, so each row counts as one customer (row_ids); "
            "the report cannot follow these customers into a later export or another table: "
            "export the customer id too if the system has one"
        )

    def _link(self, t: _Table, ids: set | None) -> None:
        """The id column of a table other than the customers table."""
        cands = [c for c in t.cols.values() if c.kind in ("text", "number")]
        if ids is not None:
            share = {c.name: c.keys.dropna().isin(ids).mean() if c.present else 0 for c in cands}
            best = max(cands, key=lambda c: (share[c.name], _id_score(c.name)), default=None)
            if best is None or share[best.name] < 0.5:
                self.questions.append(
                    f"{t.name}: no column holds the customers' ids (fewer than half of any "
                    "column's values are customer ids); the file is left out"
                )
                return
            why = f"{share[best.name]:.0%} of its values are customer ids"
        else:
            named = [c for c in cands if _id_score(c.name) > 0 and not c.unique]
            best = max(named, key=lambda c: _id_score(c.name), default=None)
            if best is None:
                return
            why = f"named like an id, {best.distinct:,} ids on {t.rows:,} rows"
        t.id_col = best.name
        t.columns["customer_id"] = best.name
        t.read.notes.append(f"customer id {best.name} ({why})")

    # -- what each table is --------------------------------------------------------------------

    def classify(self, customers: _Table | None) -> None:
        for t in self.tables:
            if t.id_col is None or t is customers:
                continue
            dates = t.free(("date",))
            start = _pick(dates, _START_WORDS, _START_ZH)
            end = _pick([d for d in dates if d is not start], _END_WORDS, _END_ZH)
            churn_date = next((d for d in dates if _named(d.name, _CHURN_WORDS, _CHURN_ZH)), None)
            amount = self._amount(t)
            if start is not None and end is not None:
                self._subscriptions(t, start, end)
            elif churn_date is not None and start is None:
                self._set_role(t, "churn_events")
                t.columns["churn_date"] = churn_date.name
                reason = _pick(t.free(("text",)), _REASON_WORDS, _REASON_ZH)
                if reason is not None:
                    t.columns["churn_reason"] = reason.name
            elif dates and self._tickets_named(t):
                self._set_role(t, "tickets")
                opened = _pick(dates, {"opened", "created", "submitted", "date", "open", "raised"},
                               ("创建", "提交", "日期", "时间")) or dates[0]  # fmt: skip
                t.columns["opened_at"] = opened.name
                self._ticket_columns(t)
            elif dates and amount is not None:
                self._set_role(t, "transactions")
                if t.role is None:
                    continue
                day = (
                    _pick(
                        dates,
                        {
                            "date",
                            "day",
                            "time",
                            "order",
                            "purchase",
                            "transaction",
                            "invoice",
                            "paid",
                        },
                        ("日期", "时间", "交易", "订单"),
                    )
                    or dates[0]
                )
                t.columns["date"] = day.name
                t.columns["amount"] = amount.name
                if amount.factors:
                    self._derive(t, amount)
                self._leave_out(t, amount.factors[0] if amount.factors else amount)
            elif start is not None:
                self._subscriptions(t, start, None)
            else:
                ids = t.cols[t.id_col]
                repeats = (
                    f"its ids ({t.id_col}) repeat, {t.rows:,} rows for {ids.distinct:,} ids, so it "
                    "is no customer table (one row per customer); "
                    if ids.distinct < t.rows
                    else ""
                )
                self.questions.append(
                    f"{t.name}: could not tell what it holds ({repeats}no start/end dates of "
                    "subscriptions, no dated amounts of purchases, no dated tickets or churn "
                    "events); the file is left out"
                )
            if t.role:
                mapped = ", ".join(f"{k} = {t.derive.get(v, v)}" for k, v in t.columns.items())
                self.decide("table", t.name,
                            f"{t.role}: {t.name} — {self._table_why(t)}; {mapped}",
                            "sources", t.role)  # fmt: skip

    def _subscriptions(self, t: _Table, start: _Col, end: _Col | None) -> None:
        self._set_role(t, "subscriptions")
        t.columns["start_date"] = start.name
        if end is not None:
            t.columns["end_date"] = end.name
        money = [c for c in t.free(("number",)) if _named(c.name, {"mrr"} | _MONEY_WORDS)]
        mrr = _pick(money, {"mrr", "monthly", "month"}, ("月",))
        if mrr is not None:
            t.columns["mrr"] = mrr.name

    def _set_role(self, t: _Table, role: str) -> None:
        if any(o.role == role for o in self.tables if o is not t):
            self.questions.append(
                f"{t.name}: looks like a second '{role}' table; one file per table is read, so "
                "it is left out (combine the files first)"
            )
            t.id_col = None
            return
        t.role = role

    def _table_why(self, t: _Table) -> str:
        per = t.rows / max(t.cols[t.id_col].distinct, 1)
        return (
            f"{t.rows:,} rows of {t.cols[t.id_col].distinct:,} customers ({per:.1f} per customer)"
        )

    def _amount(self, t: _Table) -> _Col | None:
        """The amount of each row: a column named like one; else quantity x unit price
        (``derive``); else a price column alone (the amount of a one-item order)."""
        nums = [c for c in t.free(("number",)) if not c.unique and _id_score(c.name) == 0]
        prices = [c for c in nums if _named(c.name, _PRICE_WORDS, _PRICE_ZH)
                  and not _named(c.name, _LINE_WORDS, _LINE_ZH)]  # fmt: skip
        amount = _pick([c for c in nums if c not in prices], _AMOUNT_WORDS, _AMOUNT_ZH)
        if amount is not None:
            return amount
        qty = _pick([c for c in nums if c not in prices], _QUANTITY_WORDS, _QUANTITY_ZH)
        if not prices or qty is None:
            return prices[0] if prices else None
        name = next(n for n in ("amount", "line_amount", "amount_derived") if n not in t.cols)
        derived = _profile((qty.values * prices[0].values).rename(name))
        derived.factors = (qty, prices[0])
        return derived

    def _derive(self, t: _Table, amount: _Col) -> None:
        """Write the derived amount (quantity x unit price) into the table's config."""
        qty, price = amount.factors
        expr = f"{_ref(qty.name)} * {_ref(price.name)}"
        t.derive[amount.name] = expr
        v = amount.values.dropna()
        negative = f"; {(v < 0).mean():.1%} negative" if (v < 0).any() else ""
        self.decide(
            "derive", amount.name,
            f"derive: {amount.name} = {expr} — no amount column; a quantity ({qty.name}) and a "
            f"unit price ({price.name}) on each row: line amounts {v.min():g} to {v.max():g}, "
            f"median {v.median():g}{negative}",
            "sources", "transactions", "derive", amount.name,
        )  # fmt: skip

    def _leave_out(self, t: _Table, measure_col: _Col) -> None:
        """Rows of a purchase log that are no purchase, or no customer's, left out on purpose
        (``leave_out``): cancellations numbered apart (an invoice prefix whose rows have
        negative quantities or amounts), cancelled or refunded rows by a status or type
        column, and rows without a customer id (guest checkouts)."""
        rows = t.rows
        rules: list[tuple[dict, pd.Series, str]] = []
        used = set(t.columns.values())
        if (measure_col.values.dropna() < 0).any():
            negative = measure_col.values < 0
            for c in t.cols.values():
                if c.name in used or c.kind != "text" or c.distinct < 20:
                    continue
                keys = c.keys.dropna().astype(str)
                if keys.str.match(r"^[A-Za-z]{0,3}\d").mean() < 0.9:
                    continue  # not an invoice or order number
                prefix = keys.str.extract(r"^([A-Za-z]+)\d", expand=False)
                for p, n in prefix.value_counts().items():
                    hit = c.keys.astype("string").str.startswith(p).fillna(False).astype(bool)
                    if n < 5 or hit.sum() > 0.3 * rows:
                        continue
                    neg = negative[hit].mean()
                    if neg >= 0.9 and negative[~hit].mean() < 0.5:
                        rule = {"column": c.name, "startswith": p, "reason": "cancellations"}
                        rules.append((rule, hit,
                                      f"{measure_col.name} is negative on {neg:.0%} of them"))  # fmt: skip
        for c in t.cols.values():
            if c.name in used or c.kind != "text" or not 2 <= c.distinct <= DRIVER_TEXT_LEVELS:
                continue
            named = _named(c.name, _STATUS_WORDS, _STATUS_ZH)
            bad = [k for k in c.levels.index if _cancel_value(str(k), whole=not named)]
            hit = c.keys.isin(bad).fillna(False).astype(bool)
            if bad and hit.sum() < 0.5 * rows:
                rule = {"column": c.name, "equals": bad[0] if len(bad) == 1 else list(bad),
                        "reason": "cancelled or refunded"}  # fmt: skip
                rules.append((rule, hit, f"values {', '.join(map(repr, bad))}"))
        ids = t.cols[t.id_col]
        guests = ids.keys.isna()
        if guests.mean() >= GUEST_SHARE:
            rule = {"column": ids.name, "missing": True, "reason": "guest checkouts"}
            rules.append((rule, guests, "rows without a customer id, left out on purpose: they "
                                        "do not count against max_excluded_share"))  # fmt: skip
        t.left_out = pd.Series(False, index=t.read.frame.index)
        for i, (rule, hit, why) in enumerate(rules):
            t.leave_out.append(rule)
            t.left_out |= hit.to_numpy()
            self.decide(
                "leave_out", rule["column"],
                f"leave_out: {_describe(rule)} — {rule['reason']}, {hit.mean():.1%} of rows "
                f"({int(hit.sum()):,}; {why})",
                "sources", "transactions", "leave_out", f"[{i}]",
            )  # fmt: skip

    def _tickets_named(self, t: _Table) -> bool:
        return _named(t.read.path.stem, _TICKET_WORDS, _TICKET_ZH) or any(
            _named(c, _TICKET_WORDS | {"satisfaction", "csat", "priority"}, _TICKET_ZH + ("满意",))
            for c in t.cols
        )

    def _ticket_columns(self, t: _Table) -> None:
        cat = _pick(
            [c for c in t.free(("text",)) if 2 <= c.distinct <= 30],
            {"category", "type", "topic", "kind", "reason"},
            ("类别", "类型", "分类", "原因"),
        )
        if cat is not None:
            t.columns["category"] = cat.name
        sat = _pick(t.free(("number",)), {"satisfaction", "csat", "rating"}, ("满意",))
        if sat is not None:
            t.columns["satisfaction"] = sat.name
        resp = _pick(t.free(("number",)), {"response"}, ("响应",))
        if resp is not None and _named(resp.name, {"hours", "hour", "hrs", "h"}, ("小时",)):
            t.columns["first_response_hours"] = resp.name
        elif resp is not None:
            self.questions.append(
                f"{t.name}: {resp.name} is a response time not in hours; tickets take "
                "first_response_hours: convert it to add it"
            )

    # -- the customers table ---------------------------------------------------------------------

    def churn_flag(self, t: _Table) -> None:
        cands = []
        for c in _own(t, "churned", t.free(("text", "number"))):
            polarity = _flag_values(c)
            if polarity is None:
                continue
            churned_keys, stayed_keys, specific = polarity
            named = _named(c.name, _CHURN_WORDS, _CHURN_ZH) or c.name == "churned"
            if not (named or specific):
                continue
            label = c.kind == "text" and not set(c.levels.index) <= {"0", "1"}
            strong = _named(c.name, {"churn", "churned", "attrition", "attrited"}, ("流失",))
            score = 4 * named + strong + 3 * specific + 2 * label - 2 * _named(c.name, _COPY_WORDS)
            cands.append((score, c, churned_keys, stayed_keys))
        if not cands:  # a question only where the definition needs a flag (definition())
            return
        cands.sort(key=lambda x: -x[0])  # stable: the leftmost of equals
        _, c, churned_keys, stayed_keys = cands[0]
        t.columns["churned"] = c.name
        flag = c.keys.isin(churned_keys).where(c.keys.notna())
        self.churned = flag.astype("boolean")
        t.values["churned"] = {**{k: True for k in churned_keys},
                               **{k: False for k in stayed_keys}}  # fmt: skip
        share = flag.dropna().mean()
        said = " / ".join(f"'{k}'" for k in churned_keys)
        stay = " / ".join(f"'{k}'" for k in stayed_keys)
        copies = []
        for _, o, ck, _sk in cands[1:]:
            agree = (o.keys.isin(ck) == c.keys.isin(churned_keys))[c.keys.notna() & o.keys.notna()]
            copies.append(f"{o.name} ({agree.mean():.0%} agreement)")
        self.decide(
            "churned", c.name,
            f"churned: {c.name} — {said} read as churned ({share:.1%} of rows), {stay} as stayed"
            + (f"; preferred to {', '.join(copies)}" if copies else ""),
            "sources", "customers", "columns", "churned",
        )  # fmt: skip

    def tenure(self, t: _Table) -> None:
        nums = [c for c in t.free(("number",)) if (c.values.dropna() >= 0).all()]
        col = _pick(_own(t, "tenure_months", nums), _TENURE_WORDS | {"tenure_months"}, _TENURE_ZH)
        if col is None:
            col = next((c for c in nums if _tokens(c.name) & (_MONTH_WORDS | _YEAR_WORDS)
                        and _tokens(c.name) & _TENURE_CONTEXT), None)  # fmt: skip
        if col is None:
            return
        t.columns["tenure_months"] = col.name
        v = col.values.dropna()
        missing = f"; {t.rows - col.present:,} rows without it" if col.present < t.rows else ""
        self.decide("tenure_months", col.name,
                    f"tenure_months: {col.name} — named like a tenure, {v.min():g} to {v.max():g}"
                    f"{', whole numbers' if col.integer else ''}{missing}",
                    "sources", "customers", "columns", "tenure_months")  # fmt: skip
        words = _tokens(col.name)
        if words & _MONTH_WORDS or "月" in col.name:
            unit, why = "months", "the name says months"
        elif words & _YEAR_WORDS or "年" in col.name:
            unit, why = "years", "the name says years"
        elif words & {"day", "days", "week", "weeks"} or any(z in col.name for z in "天日周"):
            self.questions.append(
                f"tenure unit: {col.name} counts days or weeks; churnreport reads a tenure in "
                "months or years: convert the column"
            )
            return
        elif col.integer and v.max() <= YEARS_MAX:
            unit = "years"
            why = (f"no unit in the name; whole numbers {v.min():g} to {v.max():g}: a tenure in "
                   f"months would rarely stop at {v.max():g}")  # fmt: skip
        else:
            unit = "months"
            why = f"no unit in the name; values up to {v.max():g} read as months"
        self.tenure_unit = unit
        self.decide("tenure_unit", col.name, f"tenure_unit: {unit} — {why}", "churn", "tenure_unit")

    def dates(self, t: _Table) -> None:
        dates = t.free(("date",))
        start = _pick(_own(t, "start_date", dates), _START_WORDS, _START_ZH)
        end = _pick(_own(t, "end_date", [d for d in dates if d is not start]), _END_WORDS, _END_ZH)
        if start is None or end is None:
            return
        t.columns["start_date"] = start.name
        t.columns["end_date"] = end.name
        ended = end.values.notna()
        self.decide("start_date", start.name,
                    f"start_date: {start.name} — a date named like a start "
                    f"({start.values.min():%Y-%m-%d} to {start.values.max():%Y-%m-%d})",
                    "sources", "customers", "columns", "start_date")  # fmt: skip
        self.decide("end_date", end.name,
                    f"end_date: {end.name} — a date named like an end, set on {ended.mean():.1%} "
                    "of rows (empty = active)",
                    "sources", "customers", "columns", "end_date")  # fmt: skip
        if self.churned is None:
            self.churned = ended.astype("boolean")

    def reason(self, t: _Table) -> None:
        col = _pick(_own(t, "churn_reason", t.free(("text",))), _REASON_WORDS, _REASON_ZH)
        if col is None:
            return
        churned = self.churned
        if churned is not None and churned.fillna(False).any():
            among = col.keys[churned.fillna(False).astype(bool)].dropna()
            others = col.keys[~churned.fillna(True).astype(bool)]
            n = int(churned.fillna(False).sum())
            if among.nunique() > max(50, 0.2 * n):
                self.questions.append(
                    f"churn reason: {col.name} holds {among.nunique():,} different texts among "
                    f"{n:,} churned rows, free-text notes rather than reasons; not mapped"
                )
                return
            why = (f"{among.nunique()} distinct texts among the {n:,} churned rows; empty for "
                   f"{others.isna().mean():.0%} of the others")  # fmt: skip
        else:
            why = f"{col.distinct} distinct texts"
        t.columns["churn_reason"] = col.name
        self.decide("churn_reason", col.name, f"churn_reason: {col.name} — {why}",
                    "sources", "customers", "columns", "churn_reason")  # fmt: skip

    def revenue(self, t: _Table) -> None:
        nums = [
            c
            for c in t.free(("number",))
            if _named(c.name, _MONEY_WORDS, ("费", "消费", "收入", "资费"))
        ]
        monthly = _own(
            t, "monthly_revenue",
            [c for c in nums if _named(c.name, {"monthly", "month", "mrr", "arpu"}, ("月",))],
        )  # fmt: skip
        if not monthly:
            return
        col = monthly[0]
        v = col.values.dropna()
        t.columns["monthly_revenue"] = col.name
        self.decide("monthly_revenue", col.name,
                    f"monthly_revenue: {col.name} — named like a monthly charge; {v.min():g} to "
                    f"{v.max():g}, median {v.median():g}",
                    "sources", "customers", "columns", "monthly_revenue")  # fmt: skip

    def attributes(self, t: _Table) -> None:
        for canon, (words, zh, kind) in _ATTRIBUTES.items():
            cands = [c for c in t.free((kind,)) if _named(c.name, words | {canon}, zh)
                     and c.distinct > 1
                     and not (_id_score(c.name) and c.distinct > 0.5 * c.present)]  # fmt: skip
            cands = _own(t, canon, cands)
            if canon == "region":
                cands.sort(
                    key=lambda c: min(
                        [_REGION_ORDER.index(w) for w in _tokens(c.name) if w in _REGION_ORDER]
                        or [len(_REGION_ORDER)]
                    )
                )
            if canon == "age":
                cands = [c for c in cands if 0 <= c.values.min() and c.values.max() <= 120]
            if canon in ("gender", "plan", "channel"):
                cands = [c for c in cands if c.distinct <= 20]
            if not cands:
                continue
            c = cands[0]
            t.columns[canon] = c.name
            if c.kind == "number":
                v = c.values.dropna()
                what = f"{v.min():g} to {v.max():g}"
            else:
                top = ", ".join(str(k) for k in c.levels.index[:4])
                what = f"{c.distinct:,} levels ({top}{', ...' if c.distinct > 4 else ''})"
            self.decide(canon, c.name, f"{canon}: {c.name} — named like {canon}; {what}",
                        "sources", "customers", "columns", canon)  # fmt: skip

    # -- segments, drivers, outcome-like columns ----------------------------------------------

    def candidates(self, t: _Table) -> tuple[list[str], list[str], list[str]]:
        """(segments, drivers, excluded outcome-like columns), by config name."""
        y = self.churned
        known = y is not None and y.notna().sum() >= 20
        canon_of = {src: canon for canon, src in t.columns.items()}
        canon_of.update({c: c for c in t.cols if c in CONTRACT["customers"] and c not in canon_of})
        skip = {"customer_id", "churned", "tenure_months", "churn_reason", "start_date",
                "end_date", "churn_type"}  # fmt: skip
        outcome, segments, drivers = [], [], []
        for col in t.cols.values():
            canon = canon_of.get(col.name)
            if canon in skip or col.kind in ("date", "empty"):
                continue
            label = canon or col.name
            why = _not_a_factor(col, t.rows)
            if why:
                continue
            by_name = _outcome_name(col.name) if canon is None else None
            auc = _outcome_auc(col, y) if known else None
            if by_name or (auc is not None and auc >= OUTCOME_LIKE_AUC):
                reason = by_name or (f"separates churned from staying customers almost "
                                     f"perfectly on its own (AUC {auc:.3f})")  # fmt: skip
                outcome.append(label)
                self.decide("outcome_like", col.name, f"not a driver: {col.name} — {reason}",
                            "drivers", "exclude", label)  # fmt: skip
                continue
            levels = col.distinct
            if SEGMENT_LEVELS[0] <= levels <= SEGMENT_LEVELS[1] and canon not in _AUTOMATIC:
                segments.append((label, col))
            numeric = col.kind == "number"
            if label not in _USUAL and (numeric or levels <= DRIVER_TEXT_LEVELS):
                drivers.append((label, col))
        chosen = self._segments(segments, y if known else None)
        for label, col in drivers:
            kind = (f"numeric, {col.distinct:,} values" if col.kind == "number" and col.distinct > 2
                    else f"{col.distinct} levels")  # fmt: skip
            named = f" (as {label})" if label != col.name else ""
            self.decide("driver", col.name, f"driver: {col.name}{named} — {kind}",
                        "drivers", "include", label)  # fmt: skip
        return chosen, [label for label, _ in drivers], outcome

    def _segments(self, segments: list[tuple[str, _Col]], y: pd.Series | None) -> list[str]:
        usual = ["plan", "region", "gender", "channel"]
        spread = {}
        for label, col in segments:
            spread[label] = _rate_spread(col, y) if y is not None else None
        ranked = sorted(
            segments,
            key=lambda s: (
                s[0] not in usual,
                usual.index(s[0]) if s[0] in usual else 0,
                -(spread[s[0]][0] if spread[s[0]] else 0),
            ),
        )
        ranked = [
            (label, col) for label, col in ranked
            if label in usual or spread[label] is None or spread[label][0] >= MIN_SPREAD
        ]  # fmt: skip
        chosen = []
        for label, col in ranked:
            if len(chosen) < MAX_SEGMENTS and not any(_nested(col, c) for _, c in chosen):
                chosen.append((label, col))
        for label, col in chosen:
            s = spread[label]
            rates = f"; churn {s[1]:.1%} ({s[2]}) to {s[3]:.1%} ({s[4]})" if s else ""
            named = f" (as {label})" if label != col.name else ""
            why = "a usual segment" if label in usual else "among the widest churn differences"
            self.decide("segment", col.name,
                        f"segment: {col.name}{named} — {col.distinct} levels{rates}; {why}",
                        "segments", label)  # fmt: skip
        rest = [lab for lab, c in ranked if all(c is not ch for _, ch in chosen)]
        if rest:
            self.decide("segment_candidates", None,
                        f"more segment candidates (2-12 levels): {', '.join(rest)}",
                        "segments")  # fmt: skip
        return [label for label, _ in chosen]

    # -- the whole config --------------------------------------------------------------------

    def run(self) -> dict:
        for t in self.tables:
            self.questions.extend(t.read.questions)
        customers = self.assign_tables()
        log_only = customers is None and len(self.tables) == 1 and self.tables[0].id_col
        self.classify(customers if not log_only else None)
        segments, drivers, outcome = [], [], []
        if customers is not None:
            self.churn_flag(customers)
            self.tenure(customers)
            self.dates(customers)
            self.reason(customers)
            self.revenue(customers)
            self.attributes(customers)
            if self.churned is None:
                self.churned = self._churned_from_subscriptions(customers)
            segments, drivers, outcome = self.candidates(customers)
        for t in self.tables:  # how each file is read (and linked: _link's note)
            self.decide("file", str(t.read.path), f"file: {t.name} — " + "; ".join(t.read.notes))
        roles = {t.role: t for t in self.tables if t.role}
        definition = self.definition(roles)
        return self.assemble(roles, definition, segments, drivers, outcome)

    def _churned_from_subscriptions(self, customers: _Table) -> pd.Series | None:
        subs = next((t for t in self.tables if t.role == "subscriptions"), None)
        if subs is None or "end_date" not in subs.columns:
            return None
        frame = pd.DataFrame(
            {
                "id": subs.cols[subs.id_col].keys,
                "open": subs.cols[subs.columns["end_date"]].values.isna(),
            }
        )
        open_ids = set(frame.loc[frame["open"], "id"])
        known = set(frame["id"])
        ids = customers.cols[customers.id_col].keys
        return ids.map(lambda i: pd.NA if i not in known else i not in open_ids).astype("boolean")

    def definition(self, roles: dict[str, _Table]) -> str | None:
        customers = roles.get("customers")
        cols = customers.columns if customers else {}
        if "subscriptions" in roles:
            t = roles["subscriptions"]
            why = (
                f"subscriptions with start and end dates in {t.name}"
                if "end_date" in t.columns
                else f"subscriptions with start dates in {t.name}"
            )
            return self._definition("contract", why)
        if "start_date" in cols and "end_date" in cols:
            return self._definition(
                "contract", f"start and end dates ({cols['start_date']}, {cols['end_date']})"
            )
        if "transactions" in roles:
            t = roles["transactions"]
            return self._definition(
                "inactivity",
                f"a purchase log: {t.name} has a date ({t.columns['date']}) and an amount "
                f"({t.derive.get(t.columns['amount'], t.columns['amount'])}) per row and "
                f"{self._table_why(t)}",
            )
        if "churned" in cols and "tenure_months" in cols:
            return self._definition(
                "snapshot",
                f"one row per customer with a churn flag ({cols['churned']}) and a tenure "
                f"({cols['tenure_months']}), no start or end dates",
            )
        start = next((c for c in customers.free(("date",))
                       if _named(c.name, _START_WORDS, _START_ZH)), None) if customers else None  # fmt: skip
        if start is not None and "churned" in cols and "tenure_months" not in cols:
            self.questions.append(
                f"churn definition: {start.name} is a start date, but there is no end date and "
                "no tenure: a snapshot needs the tenure in months (from the start to the export "
                "date, or to the leaving date of churned customers); add it to the export, or "
                "the end date of churned customers for definition contract"
            )
            return "snapshot"
        missing = [w for w, k in (
            ("a churn flag (no yes/no column named like churn, exited, attrition, 流失 ... or "
             "holding churn values such as Churned, Attrited, 流失)", "churned"),
            ("a tenure (no number column named like tenure, 在网时长 ...)", "tenure_months"),
        ) if k not in cols]  # fmt: skip
        self.questions.append(
            "churn definition: no subscription or start/end dates, no purchase log; a snapshot "
            f"needs {' and '.join(missing)}: map them under sources.customers.columns "
            "(README 'Using your own data')"
        )
        return "snapshot" if customers is not None else None

    def _definition(self, definition: str, why: str) -> str:
        self.decide("definition", None, f"definition: {definition} — {why}",
                    "churn", "definition")  # fmt: skip
        return definition

    def assemble(self, roles, definition, segments, drivers, outcome) -> dict:
        first = self.tables[0].read.path
        name = self.name or _slug(first.stem)
        config: dict[str, Any] = {"name": name}
        if not self.name:
            self.decide("name", None, f"name: {name} — from the file name", "name")
        company = re.sub(r"[_-]+", " ", first.stem).strip() or name
        config["company"] = company
        self.decide("company", None, f"company: {company} — the file's name stands in for it",
                    "company")  # fmt: skip
        self.questions.append(
            f"company: '{company}' is shown on the cover and page headers: set your company name"
        )
        zh = sum(bool(re.search(r"[\u3400-\u9fff]", c)) for t in self.tables for c in t.cols)
        total = sum(len(t.cols) for t in self.tables)
        if total and zh >= total / 2:
            config["language"] = "zh"
            self.decide(
                "language",
                None,
                f"language: zh — {zh} of {total} column names are Chinese",
                "language",
            )
        if definition == "snapshot":
            files = [t.read.path for t in roles.values()] or [first]
            stamp = min(dt.date.fromtimestamp(max(p.stat().st_mtime for p in files)),
                        dt.date.today())  # fmt: skip
            config["as_of"] = stamp
            self.decide("as_of", None,
                        f"as_of: {stamp} — the export date is not in the data; the file's "
                        "last-modified date stands in for it", "as_of")  # fmt: skip
            self.questions.append(
                f"as_of: the snapshot's export date is not in the data; set to the file's "
                f"last-modified date {stamp}: replace it with the date the export was taken"
            )
        churn: dict[str, Any] = {}
        if definition:
            churn["definition"] = definition
        if definition == "snapshot" and self.tenure_unit:
            churn["tenure_unit"] = self.tenure_unit
        if definition == "inactivity":
            churn["inactivity_days"] = self._window(roles["transactions"])
        config["period"] = "month"
        config["churn"] = churn
        sources: dict[str, dict] = {}
        for role in ("customers", "subscriptions", "transactions", "tickets", "churn_events"):
            t = roles.get(role)
            if t is None:
                continue
            src: dict[str, Any] = {"path": str(t.read.path.resolve())}
            if t.read.sheet is not None:
                src["sheet"] = t.read.sheet
            if t.read.header_row:
                src["header_row"] = t.read.header_row
            if t.read.skip_rows:
                src["skip_rows"] = t.read.skip_rows
            if t.read.names:
                src["names"] = list(t.read.names)
            suffix_sep = "\t" if t.read.path.suffix.lower() == ".tsv" else ","
            if t.read.delimiter and t.read.delimiter != suffix_sep:
                src["delimiter"] = t.read.delimiter
            if t.read.encoding in ("cp1252", "latin-1"):
                src["encoding"] = t.read.encoding
            for option, evidence in t.read.evidence.items():
                if option in src:
                    self.decide(option, t.name, evidence, "sources", role, option)
            fmt = self._date_format(t)
            if fmt:
                src["date_format"] = fmt
            if t.row_ids:
                src["row_ids"] = True
            if t.derive:
                src["derive"] = dict(t.derive)
            if t.leave_out:
                src["leave_out"] = [dict(r) for r in t.leave_out]
            src["columns"] = dict(t.columns)
            if t.values:
                src["values"] = {k: dict(v) for k, v in t.values.items()}
            sources[role] = src
        config["sources"] = sources
        if segments:
            config["segments"] = segments
        if drivers or outcome:
            config["drivers"] = {"include": drivers, **({"exclude": outcome} if outcome else {})}
        money = {"monthly_revenue", "amount", "mrr"} & {
            k for s in sources.values() for k in s["columns"]
        }
        if money:
            self.questions.append(
                "currency: not in the data; the default (CNY) is used: set 'currency' to the "
                "currency of " + ", ".join(sorted(money))
            )
        if not sources:
            self.questions.append(
                "sources: no file could be used as customers, subscriptions or transactions"
            )
        return config

    def _window(self, t: _Table) -> int:
        frame = pd.DataFrame({"id": t.cols[t.id_col].keys,
                              "day": t.cols[t.columns["date"]].values})  # fmt: skip
        if t.left_out is not None:  # cancellations and guests are no purchases of a customer
            frame = frame[~t.left_out.to_numpy()]
        frame = frame.dropna()
        frame = frame.drop_duplicates().sort_values(["id", "day"])
        gaps = frame.groupby("id")["day"].diff().dt.days.dropna()
        gaps = gaps[gaps > 0]
        if len(gaps) < 20:
            self.decide("inactivity_days", None,
                        "inactivity_days: 90 — too few repeat purchases to measure the buying "
                        "cycle; the usual default", "churn", "inactivity_days")  # fmt: skip
            self.questions.append(
                "inactivity window: too few repeat purchases to measure; 90 days set: "
                "choose the days without a purchase after which a customer counts as lost"
            )
            return 90
        p90, median = float(gaps.quantile(0.9)), float(gaps.median())
        window = next((w for w in WINDOWS if w >= max(p90, 2 * median)), WINDOWS[-1])
        self.decide(
            "inactivity_days",
            None,
            f"inactivity_days: {window} — 90% of the gaps between a customer's "
            f"purchases are at most {p90:.0f} days, the median gap {median:.0f}: the "
            "window covers both and twice the median",
            "churn",
            "inactivity_days",
        )
        return window

    def _date_format(self, t: _Table) -> str | None:
        cols = [t.cols[s] for s in t.columns.values() if s in t.cols and t.cols[s].kind == "date"]
        formats = {c.date_format for c in cols if c.values.notna().any()}
        mixed = [c.name for c in cols if c.mixed_times]
        if mixed:
            self.questions.append(
                f"dates of {t.name}: {', '.join(mixed)} carry a time of day on some rows only (or "
                "in more than one format); one date_format reads a table: re-export them alike"
            )
        if any(c.ambiguous_dates for c in cols):
            c = next(c for c in cols if c.ambiguous_dates)
            self.questions.append(
                f"dates of {t.name}: {c.name} reads both day-first and month-first; "
                f"{c.date_format} was taken: check a date after the 12th of a month"
            )
        if len(formats) > 1:
            self.questions.append(
                f"dates of {t.name}: columns written in different formats ({sorted(map(str, formats))}); "
                "one date_format per table: re-export them alike"
            )
        fmt = next(iter(formats), None) if len(formats) == 1 else None
        if fmt:
            self.decide("date_format", None, f"date_format: {fmt} — the dates are not ISO 8601",
                        "sources", t.role, "date_format")  # fmt: skip
        return fmt


def _ref(name: str) -> str:
    """A column in a ``derive`` expression: bare when a plain name, else in backticks."""
    return name if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) else f"`{name}`"


def _describe(rule: dict) -> str:
    """A ``leave_out`` rule in words: ``InvoiceNo starts with 'C'``."""
    if "startswith" in rule:
        return f"{rule['column']} starts with {rule['startswith']!r}"
    if "below" in rule or "above" in rule:
        side = "below" if "below" in rule else "above"
        return f"{rule['column']} {side} {rule[side]:g}"
    if rule.get("missing"):
        return f"{rule['column']} empty"
    return f"{rule['column']} equal to {rule['equals']!r}"


def _cancel_value(value: str, whole: bool = False) -> bool:
    """The value marks a cancelled, refunded or returned row ('Cancelled', 'Refund', '退货');
    never a negated one ('Not returned', '未退货'). ``whole``: the value must be one such word
    (for a column not named like a status or type).

    Examples
    --------
    >>> [_cancel_value(v) for v in ("Cancelled", "已取消", "退货", "Not returned", "未退款")]
    [True, True, True, False, False]
    """
    low = value.strip().lower()
    words = _tokens(low)
    if words & _NEGATION or low[:1] in ("未", "无", "非", "不", "没"):
        return False
    if whole:
        return low in _CANCEL_VALUES or value.strip() in _CANCEL_ZH + ("已取消", "已退货", "已退款")
    return bool(words & _CANCEL_VALUES) or any(z in value for z in _CANCEL_ZH)


def _own(t: _Table, canon: str, pool: list[_Col]) -> list[_Col]:
    """A column already named as the canonical column maps itself (the loader maps it even
    when the config does not): the only candidate then, so no other column can clash with it."""
    own = t.cols.get(canon)
    if own is not None and own.name not in t.columns.values():
        return [own]
    return pool


def _own_ids(t: _Table) -> list[_Col]:
    """Columns that can be this table's own customer id: named like an id, unique per row, not
    a row counter (1, 2, 3 ... under a name without customer, account, 客户 ...). A unique
    order or ticket number beside a repeated customer id makes the table a log of those
    customers, not theirs."""
    unique = [
        c for c in t.cols.values()
        if c.unique and _id_score(c.name) > 0 and not (_counter(c) and not _entity(c.name))
    ]  # fmt: skip
    repeated_entity = any(
        not c.unique and _id_score(c.name) == 3 and c.kind != "date" for c in t.cols.values()
    )
    if repeated_entity:
        unique = [c for c in unique if _entity(c.name)]
    return unique


def _entity(name: str) -> bool:
    """The name says whose id it is (customer, account, 客户 ...; CUSTOMERID, CLIENTNUM)."""
    return _named(name, _ENTITY_WORDS, _ENTITY_ZH) or _id_score(name) == 3


def _pick(cols: list[_Col], words, zh=()) -> _Col | None:
    return next((c for c in cols if _named(c.name, words, zh)), None)


def _flag_values(c: _Col) -> tuple[list[str], list[str], bool] | None:
    """(churned keys, stayed keys, the values themselves say churn) of a flag-like column."""
    levels = list(c.levels.index)
    if not 2 <= len(levels) <= 4 or (len(levels) > 2 and c.kind == "number"):
        return None
    roles = {k: _value_role(str(k)) for k in levels}
    churned = [k for k, r in roles.items() if r == "churned"]
    if len(levels) == 2 and not churned:
        yes = [k for k, r in roles.items() if r == "yes"]
        others = [k for k in levels if k not in yes]
        if len(yes) == 1 and roles[others[0]] == "stayed":
            return yes, others, False
        return None
    stayed = [k for k in levels if k not in churned]
    if len(churned) != 1 or any(roles[k] not in ("stayed", None) for k in stayed):
        return None
    if len(levels) > 2 and not all(roles[k] == "stayed" for k in stayed):
        return None
    return churned, stayed, True


def _nested(a: _Col, b: _Col) -> bool:
    """A level of ``a`` holds exactly the rows of a level of ``b`` (5%+ of rows): the two
    segments repeat each other there (Online Security's "No internet service" is Internet
    Service's "No")."""
    rows = len(a.keys)

    def groups(c: _Col) -> set[frozenset]:
        present = c.keys.dropna()
        return {frozenset(ix) for ix in present.groupby(present).groups.values()
                if len(ix) >= 0.05 * rows}  # fmt: skip

    return bool(groups(a) & groups(b))


def _counter(c: _Col) -> bool:
    """A row number: whole numbers, each once, one step apart."""
    if c.kind != "number" or not c.integer or not c.unique:
        return False
    v = np.sort(c.values.to_numpy())
    return bool(len(v) > 1 and (np.diff(v) == 1).all())


_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-./#:]*$")


def _code_like(c: _Col) -> bool:
    """Distinct codes on every row, as ids are written: text without spaces holding digits
    (C2023001, 7590-VHVEG), or whole numbers of one width, 4 digits or more (15634602), never a
    row counter. A measurement that happens to be unique (a balance, a salary) is neither."""
    if not c.unique:
        return False
    text = c.keys.astype(str)
    if c.kind == "text":
        return bool(text.str.match(_CODE).all() and text.str.contains(r"\d").all())
    if c.kind == "number":
        widths = text.str.len()
        return (c.integer and not _counter(c) and widths.nunique() == 1
                and int(widths.iloc[0]) >= 4 and text.str.isdigit().all())  # fmt: skip
    return False


def driver_candidates(
    customers: pd.DataFrame, taken: list[str] = ()
) -> tuple[list[str], dict[str, str]]:
    """The customer columns ``init`` would offer the driver model, for a config that names
    none (``drivers.include`` empty).

    Parameters
    ----------
    customers : DataFrame
        The conformed customers table (canonical columns, ``churned``, and the export's other
        columns).
    taken : list of str
        Columns already considered (the usual attributes, the segments): not repeated.

    Returns
    -------
    candidates : list of str
        Numbers and categories of at most :data:`DRIVER_TEXT_LEVELS` levels that are no id,
        date, name, free text, nor the outcome.
    left_out : dict
        Column -> why it is no candidate because it records the outcome (a second churn
        flag, a churn score, a lifetime value, or AUC >= :data:`OUTCOME_LIKE_AUC` on its own).

    Examples
    --------
    >>> frame = pd.DataFrame({"customer_id": [f"c{i}" for i in range(200)],
    ...     "churned": [i % 4 == 0 for i in range(200)], "plan": ["a", "b"] * 100,
    ...     "Churn Score": [90 if i % 4 == 0 else 10 for i in range(200)],
    ...     "Visits": [i % 7 for i in range(200)], "Note": [f"n{i}" for i in range(200)]})
    >>> driver_candidates(frame, taken=["plan"])
    (['Visits'], {'Churn Score': 'its name speaks of churn: a second flag, a score or a reason recorded on leaving'})
    """
    skip = set(CONTRACT["customers"]) | set(taken) | {"spells"}  # spells: the loader's count
    y = customers["churned"] if "churned" in customers else None
    known = y is not None and y.notna().sum() >= 20
    out, left_out = [], {}
    for name in customers.columns:
        if name in skip:
            continue
        col = _profile(customers[name])
        if col.kind in ("date", "empty") or _not_a_factor(col, len(customers)):
            continue
        auc = _outcome_auc(col, y) if known else None
        why = _outcome_name(name) or (
            f"separates churned from staying customers almost perfectly on its own (AUC {auc:.3f})"
            if auc is not None and auc >= OUTCOME_LIKE_AUC
            else None
        )
        if why:
            left_out[name] = why
        elif col.kind == "number" or col.distinct <= DRIVER_TEXT_LEVELS:
            out.append(name)
    return out, left_out


def _not_a_factor(c: _Col, rows: int) -> str | None:
    """Why a column is no segment or driver (None: it may be one)."""
    if c.distinct < 2:
        return "constant"
    if c.present < 0.5 * rows:
        return "mostly empty"
    if _id_score(c.name) and c.distinct > 0.5 * c.present:
        return "an id"
    if c.unique and (c.kind == "text" or c.integer):
        return "one value per row (an id or row number)"
    if _named(c.name, _PERSON_WORDS - {"phone", "mobile"}, _PERSON_ZH):
        return "a name, address, post code or coordinate"
    if c.kind == "text" and c.distinct > DRIVER_TEXT_LEVELS:
        return "free text or a high-cardinality code"
    return None


def _outcome_name(name: str) -> str | None:
    if _named(name, _CHURN_WORDS, _CHURN_ZH):
        return "its name speaks of churn: a second flag, a score or a reason recorded on leaving"
    if _named(name, _OUTCOME_WORDS) or {"lifetime", "value"} <= _tokens(name):
        return "a lifetime-value or model output, computed with the outcome"
    return None


def _outcome_auc(c: _Col, y: pd.Series) -> float | None:
    """AUC of a column on its own for the churn flag, either direction (drivers' rule)."""
    from sklearn.metrics import roc_auc_score

    known = y.notna().to_numpy()
    target = y[known].astype(bool).to_numpy()
    if min(target.sum(), (~target).sum()) < 10:
        return None
    scores = []
    if c.kind == "number":
        v = c.values[known].astype(float)
        if v.notna().any():
            scores.append(v.fillna(v.median()).to_numpy())
        if v.isna().any():
            scores.append(v.isna().to_numpy(dtype=float))
    else:
        level = c.keys[known].astype("string").fillna("(missing)")
        counts = level.value_counts()
        level = level.where(level.isin(counts[counts >= 30].index), "(other)")
        rate = pd.Series(target, index=level.index).groupby(level).mean()
        scores.append(level.map(rate).to_numpy(dtype=float))
    best = None
    for s in scores:
        if np.unique(s).size > 1:
            auc = float(roc_auc_score(target, s))
            best = max(best or 0.0, auc, 1 - auc)
    return best


def _rate_spread(c: _Col, y: pd.Series) -> tuple[float, float, str, float, str] | None:
    """(spread, highest rate, its level, lowest rate, its level) over levels of 30+ rows."""
    frame = pd.DataFrame({"level": c.keys, "y": y.astype("Float64")}).dropna()
    stats = frame.groupby("level")["y"].agg(["mean", "size"])
    stats = stats[stats["size"] >= max(30, 0.02 * len(frame))]
    if len(stats) < 2:
        return None
    hi, lo = stats["mean"].idxmax(), stats["mean"].idxmin()
    return (float(stats["mean"].max() - stats["mean"].min()), float(stats.at[hi, "mean"]),
            str(hi), float(stats.at[lo, "mean"]), str(lo))  # fmt: skip


#: ReportConfig.name's pattern (a run id part: reports/<as_of>_<name>/).
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def _slug(stem: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", stem).strip("_.-").lower()
    return slug or "report"


def infer_config(paths: list[str | Path] | str | Path, name: str | None = None) -> Inference:
    """Infer a report config from a user's raw exports.

    Each file is read as the loader will read it (:func:`read_for_inference`) and profiled.
    The customers table is the file with a column named like an id (id, customer, account,
    user, 编号, 客户 ...) that is unique per row; other files are linked through the column
    holding those ids and classified as subscriptions (start/end dates), churn events (a churn
    date), transactions (a date and an amount per row, several rows per customer) or tickets.
    The churn definition follows: ``contract`` with subscription or start/end dates,
    ``inactivity`` for a purchase log, ``snapshot`` for one row per customer with a churn flag
    and a tenure. On the customers table the churn flag (the value meaning churned read from
    the values: yes/true/1/churned/attrited/exited/是/流失 ...; a text label preferred to a
    0/1 or score copy), the tenure and its unit, churn reason, monthly revenue, gender,
    region, age, plan and channel are mapped; segment candidates (2-12 levels) ranked; driver
    candidates listed, leaving out ids, dates, free text, names, post codes, coordinates and
    outcome-like columns (named like churn or a lifetime value, or separating churned from
    staying customers with an AUC of at least :data:`OUTCOME_LIKE_AUC` on their own).

    The shape of an export is written into its source: ``skip_rows`` for description rows
    under the header, ``names`` (and ``delimiter: whitespace``) for a file without a header,
    ``row_ids`` for a single customer file in which no column can be the id (none named like
    one, none holding distinct codes); for a purchase log, ``derive`` of the amount as quantity
    x unit price when no column holds it, and ``leave_out`` rules for cancellations (an invoice
    number prefix whose rows have negative quantities, or cancelled / refunded / 退货 values of
    a status column) and for rows without a customer id (guest checkouts, from
    :data:`GUEST_SHARE` of rows), each with the share of rows it removes.

    Parameters
    ----------
    paths : path or list of paths
        CSV/TXT, XLSX or Parquet exports.
    name : str, optional
        The report name (default: from the first file's name).

    Returns
    -------
    Inference
        The config dict, the decisions with their evidence and the open questions.

    Raises
    ------
    InputError
        A file is missing, empty or unreadable.
    ConfigError
        ``name`` is not a valid report name.

    Examples
    --------
    >>> inf = infer_config(["Churn_Modelling.csv"])  # doctest: +SKIP
    >>> inf.config["churn"]  # doctest: +SKIP
    {'definition': 'snapshot', 'tenure_unit': 'years'}
    >>> [d.evidence for d in inf.decisions if d.role == "churned"]  # doctest: +SKIP
    ["churned: Exited — '1' read as churned (20.4% of rows), '0' as stayed"]
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    if not paths:
        raise ValueError("give at least one file")
    if name is not None and not _NAME.fullmatch(name):
        raise ConfigError(
            f"name '{name}': use letters, digits, '_', '.' and '-', starting with a letter or digit"
        )
    tables = []
    for p in paths:
        read = read_for_inference(p)
        cols = {c: _profile(read.frame[c]) for c in read.frame.columns}
        tables.append(_Table(read, cols))
    inferrer = _Inferrer(tables, name)
    config = inferrer.run()
    order = _key_order(config)
    decisions = sorted(inferrer.decisions, key=lambda d: order.get(d.key, (len(order),)))
    return Inference(config, decisions, list(dict.fromkeys(inferrer.questions)),
                     [t.read.path for t in tables])  # fmt: skip


def _key_order(config: dict) -> dict[tuple, tuple]:
    """Position of every key path of the config, for ordering decisions as rendered."""
    order: dict[tuple, tuple] = {(): (-1,)}

    def walk(obj, path):
        if isinstance(obj, dict):
            for k, v in obj.items():
                order.setdefault(path + (k,), (len(order),))
                walk(v, path + (k,))
        elif isinstance(obj, list):
            for i, item in enumerate(obj):
                if isinstance(item, str):
                    order.setdefault(path + (item,), (len(order),))
                elif isinstance(item, dict):  # a leave_out rule
                    order.setdefault(path + (f"[{i}]",), (len(order),))

    walk(config, ())
    return order


# --------------------------------------------------------------------------------------------
# rendering


def render_config(inference: Inference, out: str | Path | None = None) -> str:
    """The inferred config as YAML, each decision's evidence in a comment above its setting.

    Parameters
    ----------
    inference : Inference
        From :func:`infer_config`.
    out : str or Path, optional
        Where the config will be written: source paths are written relative to its folder
        (the loader resolves them against it). Default: absolute paths.

    Returns
    -------
    str
        YAML text; its header comment lists what could not be decided.

    Examples
    --------
    >>> text = render_config(infer_config(["export.csv"]), out="report.yml")  # doctest: +SKIP
    >>> print(text.splitlines()[0])  # doctest: +SKIP
    # Config inferred by `churn-report init` from export.csv on 2024-07-01.
    """
    config = _relative(inference.config, Path(out).resolve().parent if out else None)
    notes: dict[tuple, list[str]] = {}
    for d in inference.decisions:
        if d.key:
            notes.setdefault(d.key, []).append(d.evidence)
    files = ", ".join(p.name for p in inference.files)
    lines = [
        f"# Config inferred by `churn-report init` from {files} on {dt.date.today()}.",
        "# Each setting carries the evidence it was decided on in the comment above it: check "
        "them.",
    ]
    for d in inference.decisions:
        if d.role == "file":
            lines.append(f"# {_one_line(d.evidence)}")
    if inference.questions:
        lines.append("# Could not decide (edit these before relying on the report):")
        lines += [f"#   - {_one_line(q)}" for q in inference.questions]
    else:
        lines.append("# Could not decide: nothing.")
    _emit(config, (), 0, lines, notes)
    return "\n".join(lines) + "\n"


def _relative(config: dict, base: Path | None) -> dict:
    out = {**config, "sources": {t: dict(s) for t, s in config.get("sources", {}).items()}}
    if base is None:
        return out
    for src in out["sources"].values():
        if src.get("path"):
            src["path"] = Path(os.path.relpath(src["path"], base)).as_posix()
    return out


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _scalar(value: object) -> str:
    text = yaml.safe_dump(
        value, allow_unicode=True, default_flow_style=True, width=1 << 30, sort_keys=False
    )
    return text.strip().removesuffix("...").strip()


def _emit(obj: dict, path: tuple, indent: int, lines: list[str], notes: dict) -> None:
    pad = " " * indent
    for k, v in obj.items():
        here = path + (k,)
        lines += [f"{pad}# {_one_line(n)}" for n in notes.get(here, [])]
        if isinstance(v, dict) and v:
            lines.append(f"{pad}{_scalar(k)}:")
            _emit(v, here, indent + 2, lines, notes)
        elif isinstance(v, list) and v:
            keys = [here + (item,) if isinstance(item, str) else here + (f"[{i}]",)
                    for i, item in enumerate(v)]  # fmt: skip
            flow = f"{pad}{_scalar(k)}: {_scalar(v)}"
            if not any(key in notes for key in keys) and len(flow) <= 100:
                lines.append(flow)  # names: [col1, col2, ...]
                continue
            lines.append(f"{pad}{_scalar(k)}:")
            for key, item in zip(keys, v, strict=True):
                lines += [f"{pad}  # {_one_line(n)}" for n in notes.get(key, [])]
                lines.append(f"{pad}  - {_scalar(item)}")
        else:
            lines.append(f"{pad}{_scalar(k)}: {_scalar(v)}")
