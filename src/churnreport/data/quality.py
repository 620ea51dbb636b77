"""The DataQuality record: every row kept or excluded, with the reason."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from churnreport.errors import InputError

MASKED = "(masked)"


@dataclass
class Issue:
    """One kind of problem found in one table.

    Attributes
    ----------
    table : str
        Canonical table name (customers, transactions, ...).
    column : str or None
        Canonical column concerned (None for whole-row problems).
    action : str
        ``excluded`` (rows removed), ``repaired`` (value set to missing or fixed) or ``note``.
    reason : str
        Short machine-stable code, e.g. ``missing_value``, ``missing_token``.
    count : int
        Number of rows affected.
    examples : list
        Up to five (row number, raw value) pairs.
    detail : str
        One human sentence.
    share : float or None
        The count as a share of the table's rows, where that is the figure to judge
        (``unknown_customer``: rows whose customer id is not in the customers table).
    evidence : dict
        The figures a data check cites (e.g. how many customers each table calls churned).
    """

    table: str
    column: str | None
    action: str
    reason: str
    count: int
    examples: list = field(default_factory=list)
    detail: str = ""
    share: float | None = None
    evidence: dict = field(default_factory=dict)


@dataclass
class TableQuality:
    """Row accounting of one table: ``rows_read = rows_kept + rows_excluded``."""

    table: str
    path: str
    rows_read: int = 0
    rows_kept: int = 0
    encoding: str | None = None

    @property
    def rows_excluded(self) -> int:
        """Rows removed from the analysis."""
        return self.rows_read - self.rows_kept


@dataclass
class DataQuality:
    """Everything the data layer kept, excluded, repaired or noticed."""

    tables: dict[str, TableQuality] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)

    def add(self, issue: Issue) -> None:
        """Record an issue (ignored when it affects no row)."""
        if issue.count > 0:
            self.issues.append(issue)

    def absorb(self, block: DataQuality) -> None:
        """Add the record of one block of a table read block by block.

        Rows read and kept are summed per table; issues of the same table, column, action and
        reason are merged (counts summed, the first five examples kept).

        Parameters
        ----------
        block : DataQuality
            The record of one block.
        """
        for name, tq in block.tables.items():
            if name in self.tables:
                self.tables[name].rows_read += tq.rows_read
                self.tables[name].rows_kept += tq.rows_kept
            else:
                self.tables[name] = TableQuality(**asdict(tq))
        for issue in block.issues:
            key = _merge_key(issue)
            if issue.reason == "leave_out_unmatched" and any(
                _merge_key(i)[1:] == ("left_out", *key[2:]) for i in self.issues
            ):  # the rule matched rows in another block
                continue
            if issue.reason == "left_out":  # ... or matches here after missing in earlier ones
                self.issues = [
                    i for i in self.issues if _merge_key(i)[1:] != ("leave_out_unmatched", *key[2:])
                ]
            same = next((i for i in self.issues if _merge_key(i) == key), None)
            if same is None:
                self.add(
                    Issue(
                        **{
                            **asdict(issue),
                            "examples": list(issue.examples),
                            "evidence": dict(issue.evidence),
                        }
                    )
                )
            else:
                same.count += issue.count
                same.examples = (same.examples + list(issue.examples))[:5]

    def mask_examples(self) -> None:
        """Hide example values (ids, names, raw cells), keeping row numbers (``pii: mask``)."""
        for issue in self.issues:
            issue.examples = [(row, MASKED) for row, _ in issue.examples]

    def excluded(self, table: str) -> int:
        """Rows excluded from ``table``."""
        return sum(i.count for i in self.issues if i.table == table and i.action == "excluded")

    def to_dict(self) -> dict:
        """JSON-ready form (data_quality.json)."""
        return {
            "tables": [
                {**asdict(t), "rows_excluded": t.rows_excluded} for t in self.tables.values()
            ],
            "issues": [
                {**asdict(i), "examples": [[int(r), _jsonable(v)] for r, v in i.examples]}
                for i in self.issues
            ],
        }

    @classmethod
    def from_dict(cls, d: dict) -> DataQuality:
        """Inverse of :meth:`to_dict`."""
        dq = cls()
        for t in d.get("tables", []):
            t = {k: v for k, v in t.items() if k != "rows_excluded"}
            dq.tables[t["table"]] = TableQuality(**t)
        for i in d.get("issues", []):
            dq.issues.append(Issue(**{**i, "examples": [tuple(e) for e in i["examples"]]}))
        return dq


def masked_error(exc: InputError) -> InputError:
    """The same error with its example values hidden, row numbers kept (``pii: mask``).

    Parameters
    ----------
    exc : InputError

    Returns
    -------
    InputError
    """
    return InputError(
        exc.path, exc.problem, exc.column, [(row, MASKED) for row, _ in exc.rows], exc.hint
    )


def _jsonable(v: object) -> object:
    if v is None or isinstance(v, (str, int, float, bool)):
        return v
    return str(v)


def _merge_key(issue: Issue) -> tuple:
    """Issues of blocks that are one issue of the table: same table, action and reason, and
    the same column (and, for leave_out rules, the same rule: two rules on one column are two
    lines)."""
    rule = (
        issue.evidence.get("rule") if issue.reason in ("left_out", "leave_out_unmatched") else None
    )
    return (issue.action, issue.reason, issue.table, issue.column, rule)
