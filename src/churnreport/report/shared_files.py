"""Files users share outside the report: at_risk.csv / .xlsx and the stored predictions.

- Spreadsheet injection: a text cell beginning with ``=``, ``+``, ``-``, ``@``, tab or carriage
  return is prefixed with an apostrophe, so Excel and LibreOffice show it as text instead of
  running it as a formula (OWASP "CSV injection").
- Control characters (BEL, ESC ... anything below U+0020 but tab, line feed and carriage
  return) cannot be stored in an .xlsx file (XML 1.0 forbids them): there each is shown as its
  Unicode control picture (U+0007 -> U+2407 "␇"); the CSV keeps them as they are.
- ``pii: mask``: customer ids become a stable keyed hash (HMAC-SHA256, first 16 hex digits) and
  name-like columns (name, e-mail, phone, address, contact; also in Chinese) are left out. The
  key comes from the environment variable ``CHURN_PII_KEY``, else from a key file created once
  in the output directory (``.pii_key``, readable by its owner only), so the same customer has
  the same hash in every run and the forecast check still matches runs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import pickle
import re
import secrets
import shutil
from pathlib import Path

import pandas as pd
import xlsxwriter
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
NAME_LIKE = re.compile(
    r"name|e-?mail|phone|mobile|\btel\b|contact|address|姓名|名称|名字|电话|手机|邮箱|地址|联系",
    re.IGNORECASE,
)
PII_KEY_ENV = "CHURN_PII_KEY"


def neutralise(value: object) -> object:
    """``value`` with a leading apostrophe when it is text a spreadsheet would run."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Every text cell (and header) of ``frame`` neutralised."""
    out = frame.copy()
    for c in out.columns:
        if out[c].dtype == object or pd.api.types.is_string_dtype(out[c]):
            out[c] = out[c].map(neutralise)
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


def xml_safe(value: object) -> object:
    """``value`` with every character XML 1.0 forbids replaced by its control picture.

    Examples
    --------
    >>> xml_safe("Ann\x07")
    'Ann␇'
    """
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub(lambda m: chr(0x2400 + ord(m.group())), value)
    return value


def name_like_columns(columns: list[str]) -> list[str]:
    """Columns whose name suggests personal data (dropped under ``pii: mask``)."""
    return [c for c in columns if NAME_LIKE.search(str(c))]


def pii_key(output_root: Path) -> bytes:
    """The masking key: ``$CHURN_PII_KEY``, else ``<output_root>/.pii_key`` (created once)."""
    env = os.environ.get(PII_KEY_ENV)
    if env:
        return env.encode("utf-8")
    path = output_root / ".pii_key"
    if not path.exists():
        output_root.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return path.read_text().strip().encode("utf-8")


def mask_ids(ids: pd.Series, key: bytes) -> pd.Series:
    """Stable keyed hash of each id (16 hex digits)."""
    return ids.astype(str).map(
        lambda i: hmac.new(key, i.encode("utf-8"), hashlib.sha256).hexdigest()[:16]
    )


#: Where :func:`hand_over_table_files` leaves tables for :func:`write_handed_over` (in the run
#: directory; gone once they are written).
HANDED_OVER = ".table_files"


def hand_over_table_files(frame: pd.DataFrame, directory: Path, stem: str, sheet: str, **options):
    """Leave :func:`write_table_files` of ``frame`` to the command that runs the report: it
    writes them beside its export (:func:`write_handed_over`), so the workbook of a long list
    (seconds per 100,000 rows) is not on the notebook's clock.

    Parameters
    ----------
    frame, directory, stem, sheet, **options
        As for :func:`write_table_files` (``workbook_rows``, ``workbook_note``).

    Returns
    -------
    Path
        The hand-over folder.
    """
    folder = directory / HANDED_OVER / stem
    folder.mkdir(parents=True, exist_ok=True)
    # a pickle, not Parquet: the frame comes back exactly as it left (any column of objects),
    # between two processes of the same run and installation
    frame.to_pickle(folder / "frame.pkl")
    (folder / "arguments.pkl").write_bytes(pickle.dumps({"stem": stem, "sheet": sheet, **options}))
    return folder


def has_handed_over(directory: Path) -> bool:
    """Whether :func:`hand_over_table_files` left tables in ``directory``."""
    return (directory / HANDED_OVER).is_dir()


def write_handed_over(directory: Path) -> list[Path]:
    """Write the tables :func:`hand_over_table_files` left in ``directory`` and remove the
    hand-over.

    Parameters
    ----------
    directory : Path
        The run directory.

    Returns
    -------
    list of Path
        The files written.
    """
    written: list[Path] = []
    root = directory / HANDED_OVER
    for folder in sorted(root.iterdir()) if root.is_dir() else []:
        arguments = pickle.loads((folder / "arguments.pkl").read_bytes())
        stem, sheet = arguments.pop("stem"), arguments.pop("sheet")
        frame = pd.read_pickle(folder / "frame.pkl")
        written += write_table_files(frame, directory, stem, sheet, **arguments)
    shutil.rmtree(root, ignore_errors=True)
    return written


#: Rows of an Excel worksheet, its header included.
XLSX_MAX_ROWS = 1_048_576
#: Rows prepared for the workbook at a time (bounds the memory of millions of rows).
_XLSX_CHUNK = 50_000


def write_table_files(
    frame: pd.DataFrame,
    directory: Path,
    stem: str,
    sheet: str,
    max_rows: int = XLSX_MAX_ROWS,
    *,
    workbook_rows: int | None = None,
    workbook_note: tuple[str, str] | None = None,
) -> list[Path]:
    """Write ``frame`` as ``<stem>.csv`` (UTF-8 with BOM, so Excel reads Chinese) and
    ``<stem>.xlsx``, text cells neutralised; in the .xlsx, control characters are shown as
    their control pictures (:func:`xml_safe`).

    Parameters
    ----------
    frame : DataFrame
        The table, in the order to write it.
    directory : Path
    stem : str
        File name without extension.
    sheet : str
        Worksheet name. Rows beyond a worksheet's ``max_rows`` (Excel's limit, the header
        included) continue on the next sheet (``<sheet> (2)``, ...).
    max_rows : int
    workbook_rows : int, optional
        The workbook holds only the first ``workbook_rows`` rows (the CSV holds all).
    workbook_note : tuple of str, optional
        (sheet name, sentence): written as a last sheet of the workbook when it holds fewer
        rows than the CSV, saying so.

    Returns
    -------
    list of Path
        The two files.
    """
    safe = neutralise_frame(frame)
    csv_path = directory / f"{stem}.csv"
    safe.to_csv(csv_path, index=False, encoding="utf-8-sig")
    shown = safe if workbook_rows is None else safe.iloc[:workbook_rows]
    xlsx_path = directory / f"{stem}.xlsx"
    # XlsxWriter streams rows to disk (constant memory) and never turns text into a formula,
    # a number or a link, whatever it starts with
    options = {
        "constant_memory": True,
        "strings_to_formulas": False,
        "strings_to_numbers": False,
        "strings_to_urls": False,
        "nan_inf_to_errors": True,  # an infinite number shows as #DIV/0!, never a failed run
    }
    if max_rows < 2:
        raise ValueError(f"a worksheet holds a header and at least one row, not {max_rows}")
    per_sheet = max_rows - 1
    widths = [
        min(max(max([len(str(c))] + [len(str(v)) for v in safe[c].head(200)]) + 2, 8), 60)
        for c in safe.columns
    ]
    with xlsxwriter.Workbook(str(xlsx_path), options) as wb:
        day = wb.add_format({"num_format": "yyyy-mm-dd"})
        bold = wb.add_format({"bold": True})
        for k, at in enumerate(range(0, max(len(shown), 1), per_sheet), start=1):
            suffix = f" ({k})" if k > 1 else ""
            ws = wb.add_worksheet(xml_safe(sheet)[: 31 - len(suffix)] + suffix)
            ws.freeze_panes(1, 0)
            for i, width in enumerate(widths):
                ws.set_column(i, i, width)
            ws.write_row(0, 0, [xml_safe(c) for c in shown.columns], bold)
            write = {
                "string": ws.write_string,
                "number": ws.write_number,
                "date": lambda r, c, v, ws=ws: ws.write_datetime(r, c, v, day),
                "other": ws.write,
            }
            end = min(at + per_sheet, len(shown))
            for start in range(at, end, _XLSX_CHUNK):  # rows streamed a chunk at a time
                chunk = shown.iloc[start : min(start + _XLSX_CHUNK, end)]
                columns = [_cells(chunk[c]) for c in chunk.columns]
                for i in range(len(chunk)):
                    r = start - at + 1 + i
                    for c, (kinds, values) in enumerate(columns):
                        v = values[i]
                        if v is not None:
                            write[kinds if isinstance(kinds, str) else kinds[i]](r, c, v)
        if workbook_note is not None and len(shown) < len(frame):
            name, sentence = workbook_note
            wb.add_worksheet(xml_safe(name)[:31]).write_string(0, 0, xml_safe(sentence))
    return [csv_path, xlsx_path]


def _cells(column: pd.Series) -> tuple[str | list[str], list]:
    """What :func:`write_table_files` writes for each cell of ``column``: a kind (one for the
    column, or one per cell) and the value (None: a missing cell, left empty). Decided once
    per column: a number column is written as numbers without a look at each cell."""
    if pd.api.types.is_bool_dtype(column) or not (
        pd.api.types.is_numeric_dtype(column) or pd.api.types.is_datetime64_any_dtype(column)
    ):
        values = [None if _missing(v) else xml_safe(_plain(v)) for v in column.tolist()]
        return [_kind(v) for v in values], values
    missing = column.isna().to_numpy()
    if pd.api.types.is_datetime64_any_dtype(column):
        items = column.astype(object).tolist()
        return "date", [None if m else v for v, m in zip(items, missing, strict=True)]
    return "number", [None if m else v for v, m in zip(column.tolist(), missing, strict=True)]


def _missing(v: object) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _plain(v: object) -> object:
    if hasattr(v, "item"):
        return v.item()
    return v


def _kind(v: object) -> str:
    if isinstance(v, str):
        return "string"
    if isinstance(v, (dt.date, dt.datetime)):
        return "date"
    return "other"


def find_previous_predictions(output_root: Path, name: str, as_of) -> pd.DataFrame | None:
    """The latest earlier run's predictions for the same config whose horizon has passed.

    Parameters
    ----------
    output_root : Path
        The reports directory (runs are ``<as_of>_<name>/``).
    name : str
        Config name.
    as_of : date
        This run's report date.

    Returns
    -------
    DataFrame or None
    """
    best = None
    for path in sorted(output_root.glob(f"*_{name}/predictions.parquet")):
        if path.parent.name.startswith((".", "_")):
            continue
        try:
            frame = pd.read_parquet(path)
        except (OSError, ValueError):
            continue
        if frame.empty:
            continue
        made = pd.Timestamp(frame["as_of"].iloc[0]).date()
        ends = pd.Timestamp(frame["horizon_end"].iloc[0]).date()
        if made < as_of and ends <= as_of and (best is None or made > best[0]):
            best = (made, frame)
    return best[1] if best else None
