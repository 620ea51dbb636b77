"""What a source's config adds to or takes from its rows before the contract reads them.

Real exports come in shapes the contract cannot read as they are: a customer file without a
customer id, an amount that is quantity x unit price, cancellations and guest checkouts mixed
into a purchase log. The source's config says what to do (``row_ids``, ``derive``,
``leave_out``); this module does it on each frame (a whole table or a block of a long one),
counting every row it leaves out with its reason.

Derived columns are arithmetic over the row's own columns, parsed into a small expression tree
(never ``eval``): names, numbers, ``+ - * /`` and brackets.
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable

import numpy as np
import pandas as pd

from churnreport.config import LeaveOut, SourceConfig
from churnreport.data.prepare import drop_duplicate_rows
from churnreport.data.quality import DataQuality, Issue
from churnreport.errors import ConfigError, InputError

#: Rows left out on purpose: counted, never against ``max_excluded_share``.
LEFT_OUT = "left_out"
#: The operators a derived column may use.
_OPERATORS: dict[type, Callable] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}
_QUOTED = re.compile(r"`([^`]+)`")


def expression_columns(expression: str) -> list[str]:
    """The file columns a derived column's expression reads.

    Parameters
    ----------
    expression : str
        E.g. ``"Quantity * UnitPrice"`` or ``"`Unit Price` * Qty - Discount"``.

    Returns
    -------
    list of str
        In order of first use.

    Raises
    ------
    ConfigError
        Anything but names, numbers, ``+ - * /`` and brackets.

    Examples
    --------
    >>> expression_columns("`Unit Price` * Quantity - 0.5")
    ['Unit Price', 'Quantity']
    """
    names: list[str] = []
    _walk(_parse(expression)[0], names.append, expression)
    return list(dict.fromkeys(names))


def _parse(expression: str) -> tuple[ast.expr, dict[str, str]]:
    quoted: dict[str, str] = {}
    stem = "_churnreport_quoted"
    while stem in expression:  # a placeholder no column of the expression is named
        stem += "_"

    def placeholder(m: re.Match) -> str:
        key = f"{stem}{len(quoted)}"
        quoted[key] = m.group(1)
        return key

    text = _QUOTED.sub(placeholder, expression)
    try:
        tree = ast.parse(text.strip(), mode="eval").body
        tree = _renamed(tree, quoted, expression)
        _walk(tree, lambda name: None, expression)  # only the allowed nodes, before any use
    except (SyntaxError, RecursionError):
        raise ConfigError(
            f"derive: cannot read the expression {expression[:80]!r}: use column names, "
            "numbers, + - * / and brackets (a name with spaces in backticks)"
        ) from None
    return tree, quoted


def _renamed(node: ast.expr, quoted: dict[str, str], expression: str) -> ast.expr:
    for n in ast.walk(node):
        if isinstance(n, ast.Name) and n.id in quoted:
            n.id = quoted[n.id]
    return node


def _walk(node: ast.expr, on_name: Callable[[str], object], expression: str) -> None:
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        _walk(node.left, on_name, expression)
        _walk(node.right, on_name, expression)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        _walk(node.operand, on_name, expression)
    elif isinstance(node, ast.Name):
        on_name(node.id)
    elif isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        pass
    else:
        raise ConfigError(
            f"derive: {expression!r} uses {ast.unparse(node)!r}; only column names, numbers, "
            "+ - * / and brackets are allowed"
        )


def _evaluate(node: ast.expr, values: dict[str, pd.Series]) -> pd.Series | float:
    if isinstance(node, ast.BinOp):
        return _OPERATORS[type(node.op)](
            _evaluate(node.left, values), _evaluate(node.right, values)
        )
    if isinstance(node, ast.UnaryOp):
        v = _evaluate(node.operand, values)
        return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.Name):
        return values[node.id]
    return float(node.value)


def needed_columns(source: SourceConfig) -> set[str]:
    """The file columns the source's derived columns and leave_out rules read.

    Parameters
    ----------
    source : SourceConfig
        The source's ``derive`` and ``leave_out`` are read.

    Returns
    -------
    set of str
        Column names (a rule on a derived column names that column).
    """
    cols = {rule.column for rule in source.leave_out}
    for expression in source.derive.values():
        cols.update(expression_columns(expression))
    return cols


def shaped_header(header: list[str], source: SourceConfig) -> list[str]:
    """The columns the contract will see: the file's, the derived ones, and ``customer_id``
    when rows are numbered (``row_ids``).

    Parameters
    ----------
    header : list of str
        The file's columns.
    source : SourceConfig
        Its ``derive`` and ``row_ids``.

    Returns
    -------
    list of str
        ``header`` and then the added columns.
    """
    added = [*source.derive, *(["customer_id"] if source.row_ids else [])]
    return [*header, *(c for c in added if c not in header)]


def shape(
    frame: pd.DataFrame, source: SourceConfig, table: str, path, quality: DataQuality
) -> pd.DataFrame:
    """Apply a source's ``leave_out``, ``derive`` and ``row_ids`` to one frame, in that order.

    Parameters
    ----------
    frame : DataFrame
        The rows as read (text cells; the index holds the file's row numbers).
    source : SourceConfig
    table : str
        The canonical table (``row_ids`` only for customers).
    path : Path or str
        The source, for messages.
    quality : DataQuality
        Receives each rule's left-out rows (reason ``left_out``, the rule's reason in the
        detail) and, with ``row_ids``, rows repeated exactly (reason ``duplicate_row``).

    Returns
    -------
    DataFrame

    Raises
    ------
    InputError
        A rule or an expression names a column the file does not have; a derived column's
        input holds text that is not a number.
    ConfigError
        ``row_ids`` on another table than customers, or with customer_id mapped too.
    """
    if not (source.leave_out or source.derive or source.row_ids):
        return frame
    missing = sorted(needed_columns(source) - set(frame.columns) - set(source.derive))
    if missing:
        raise InputError(
            path,
            f"derive or leave_out names column(s) {missing} the file does not have",
            column=missing[0],
            hint=f"the file's columns are {list(frame.columns)}",
        )
    derived_rules = [r for r in source.leave_out if r.column in source.derive]
    for rule in source.leave_out:  # on the file's columns first: the rows derive never sees
        if rule not in derived_rules:
            frame = _leave_out(frame, rule, table, quality)
    for name, expression in source.derive.items():
        frame = frame.assign(**{name: _derived(frame, expression, path)})
    for rule in derived_rules:  # e.g. amount below 0, once amount exists
        frame = _leave_out(frame, rule, table, quality)
    if source.row_ids:
        frame = _numbered(frame, source, table, quality)
    return frame


#: How a yes/no written in the config (YAML reads Yes/No as booleans) appears in a file.
_TRUTHS = {True: {"yes", "true", "y", "t", "1"}, False: {"no", "false", "n", "f", "0"}}


def _matches(values: pd.Series, rule: LeaveOut) -> pd.Series:
    """Rows a rule matches: text compared case-folded and trimmed, numbers as numbers (an
    Excel 1.0 equals 1), a yes/no as any of its usual spellings."""
    text = values.astype("string").str.strip()
    empty = text.isna() | (text == "")
    if rule.missing:
        return empty
    if rule.startswith is not None:
        return text.str.startswith(rule.startswith).fillna(False).astype(bool)
    number = pd.to_numeric(text, errors="coerce")
    if rule.below is not None or rule.above is not None:
        hit = number < rule.below if rule.below is not None else number > rule.above
        return hit.fillna(False).astype(bool)
    wanted = rule.equals if isinstance(rule.equals, list) else [rule.equals]
    folded = text.str.casefold()
    hit = pd.Series(False, index=values.index)
    for w in wanted:
        if isinstance(w, bool):
            hit |= folded.isin(_TRUTHS[w]).fillna(False).astype(bool)
        elif isinstance(w, int | float):
            hit |= (number == w).fillna(False).astype(bool)
        else:
            hit |= (folded == str(w).strip().casefold()).fillna(False).astype(bool)
    return hit


def _leave_out(frame: pd.DataFrame, rule: LeaveOut, table: str, quality: DataQuality):
    hit = _matches(frame[rule.column], rule)
    evidence = {"reason": rule.reason, "rule": rule.describe(), **rule.parts()}
    quality.add(  # a rule that matches nothing is said too: a typo must not pass unseen
        Issue(
            table,
            rule.column,
            "excluded" if hit.any() else "note",
            LEFT_OUT if hit.any() else "leave_out_unmatched",
            int(hit.sum()),
            [(int(r), v) for r, v in frame.loc[hit, rule.column].head(5).items()],
            f"{rule.reason} ({rule.describe()}): "
            + ("left out as configured" if hit.any() else "the rule matched no row"),
            evidence=evidence,
        )
    )
    return frame[~hit]


def _derived(frame: pd.DataFrame, expression: str, path) -> pd.Series:
    tree, _ = _parse(expression)
    values = {}
    for name in expression_columns(expression):
        text = frame[name].astype("string").str.strip().replace("", pd.NA)
        number = pd.to_numeric(text, errors="coerce")
        bad = number.isna() & text.notna()
        if bad.any():
            raise InputError(
                path,
                f"derive {expression!r}: {int(bad.sum())} values of {name} are not numbers",
                column=name,
                rows=[(int(r), v) for r, v in text[bad].head(5).items()],
            )
        values[name] = number.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = _evaluate(tree, values)
    if not isinstance(out, pd.Series):  # a constant expression
        out = pd.Series(out, index=frame.index, dtype=float)
    return out.replace([np.inf, -np.inf], np.nan)


def _numbered(frame: pd.DataFrame, source: SourceConfig, table: str, quality: DataQuality):
    if table != "customers":
        raise ConfigError(f"sources.{table}.row_ids: only a customers file numbers its rows")
    if "customer_id" in source.columns or "customer_id" in frame.columns:
        raise ConfigError(
            f"sources.{table}: row_ids numbers the rows as customer ids; "
            "do not map a customer_id column too"
        )
    copies = frame.duplicated(keep="first")
    if copies.any():  # without an id, a row exported twice would be two customers
        if _copies_not_chance(frame):  # the same road as subscriptions' exact copies
            frame = drop_duplicate_rows(frame, table, quality)
        else:  # few columns of few values: different customers can look the same
            first = frame.columns[0]
            examples = [(int(r), str(v)) for r, v in frame.loc[copies, first].head(5).items()]
            quality.add(
                Issue(
                    table,
                    None,
                    "note",
                    "repeated_rows_kept",
                    int(copies.sum()),
                    examples,
                    "rows equal to another row in every column, kept: with these few columns "
                    "different customers can look the same",
                    share=float(copies.mean()),
                )
            )
    return frame.assign(customer_id=[str(r) for r in frame.index])


#: Equal rows are export copies when their pairs outnumber this many times the pairs chance
#: would give (plus :data:`CHANCE_SLACK`).
CHANCE_FACTOR = 5.0
CHANCE_SLACK = 2.0


def _copies_not_chance(frame: pd.DataFrame) -> bool:
    """Whether equal rows must be copies rather than customers who look alike.

    Pairs of equal rows are compared with the pairs expected by chance if the columns were
    independent: (n choose 2) x the product over columns of the chance two rows share a value
    (the sum of squared value shares). A file of a few two-valued columns has many equal rows
    by chance; one with a tenure, a plan and a charge has almost none.
    """
    n = len(frame)
    same_value = 1.0
    for c in frame.columns:
        shares = frame[c].value_counts(normalize=True, dropna=False)
        same_value *= float((shares**2).sum())
    expected = n * (n - 1) / 2 * same_value
    sizes = frame.groupby(list(frame.columns), dropna=False).size()
    observed = float((sizes * (sizes - 1) / 2).sum())
    return observed > CHANCE_FACTOR * expected + CHANCE_SLACK
