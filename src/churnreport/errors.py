"""Errors that stop a run with a clear message and a documented exit code."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


class ChurnReportError(Exception):
    """Base class; ``exit_code`` is what the CLI returns."""

    exit_code = 2


class ConfigError(ChurnReportError):
    """The configuration is missing or invalid (exit 2)."""


class InputError(ChurnReportError):
    """The input data cannot be used (exit 2).

    The message names the file, the column and up to five example rows, so the user can find
    and fix the problem without a debugger.

    Parameters
    ----------
    path : Path or str
        The source file.
    problem : str
        What is wrong, in one sentence.
    column : str, optional
        The source column concerned.
    rows : sequence of (row number, value), optional
        Examples; row numbers are 1-based as a spreadsheet shows them (header included).
    hint : str, optional
        How to fix it.
    """

    def __init__(
        self,
        path: Path | str,
        problem: str,
        column: str | None = None,
        rows: Sequence[tuple[int, object]] = (),
        hint: str | None = None,
    ):
        self.path = str(path)
        self.problem = problem
        self.column = column
        self.rows = list(rows)[:5]
        self.hint = hint
        super().__init__(self._format())

    def __reduce__(self):
        # rebuilt from its parts when it crosses processes (a run loads in a process of its
        # own): the default would call __init__ with the formatted message alone
        return (type(self), (self.path, self.problem, self.column, self.rows, self.hint))

    def _format(self) -> str:
        where = f"{self.path}"
        if self.column is not None:
            where += f", column '{self.column}'"
        lines = [f"{where}: {self.problem}"]
        for row, value in self.rows:
            lines.append(f"  row {row}: {value!r}")
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        return "\n".join(lines)


class NotebookFailed(ChurnReportError):
    """A notebook raised while executing (exit 1); ``kept`` is the folder holding the
    executed notebooks (``<output>/_failed/<run id>/``)."""

    exit_code = 1

    def __init__(self, message: str, kept: Path | None = None):
        super().__init__(message)
        self.kept = kept


class RunLocked(ChurnReportError):
    """Another run is writing to the same output directory (exit 3)."""

    exit_code = 3


class AlertsRaised(ChurnReportError):
    """The run succeeded and raised alerts, and ``--fail-on-alert`` was given (exit 4)."""

    exit_code = 4


class DatabaseWriteFailed(ChurnReportError):
    """The report is published but writing its results to the ``publish`` database failed
    (exit 7); ``result`` is the published run (a ``RunResult``)."""

    exit_code = 7

    def __init__(self, message: str, result: object = None):
        super().__init__(message)
        self.result = result
