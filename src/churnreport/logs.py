"""The ``churnreport`` logger of the command line: where its lines go, and a run's run.log.

On a terminal the lines go through Rich (:class:`rich.logging.RichHandler`); otherwise (a
scheduler, a pipe, a file) each is one plain, grep-able line on stderr::

    2026-12-03T07:45:00+01:00 churnreport INFO data loaded and valid, as of 2024-12-31

A run's own lines, always in that plain form, are kept by a :class:`RunLog` handler and written
as the run's ``run.log`` once the run knows its folder (published or failed).
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
from collections.abc import Iterable
from logging.handlers import BufferingHandler
from pathlib import Path

from rich.console import Console
from rich.logging import RichHandler

#: The logger of the command line (library modules log to children of it).
logger = logging.getLogger("churnreport")


class PlainFormatter(logging.Formatter):
    """``<local ISO time> churnreport <LEVEL> <message>``; never a traceback (a run's
    traceback goes to its run.log, written by the caller).

    Examples
    --------
    >>> record = logging.makeLogRecord({"levelname": "INFO", "msg": "done", "created": 0})
    >>> PlainFormatter().format(record).split(" ", 1)[1]
    'churnreport INFO done'
    """

    def __init__(self) -> None:
        super().__init__("{asctime} churnreport {levelname} {message}", style="{")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return dt.datetime.fromtimestamp(record.created).astimezone().isoformat(timespec="seconds")

    def formatException(self, ei) -> str:
        return ""

    def formatStack(self, stack_info: str) -> str:
        return ""


class _StderrHandler(logging.StreamHandler):
    """A stream handler on whatever ``sys.stderr`` is when a line is written (pytest and
    Click's test runner swap it after the handler is made)."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)

    @property
    def stream(self):  # looked up at each write
        return sys.stderr


class RunLog(BufferingHandler):
    """The lines one run logged, in the plain form, for its ``run.log``."""

    def __init__(self) -> None:
        super().__init__(capacity=0)
        self.setFormatter(PlainFormatter())

    def shouldFlush(self, record: logging.LogRecord) -> bool:
        return False  # kept until :meth:`write`; a run logs tens of lines

    def write(self, directory: Path, extra: Iterable[str] = ()) -> Path | None:
        """Write the lines so far (and ``extra``, e.g. a traceback) as ``directory/run.log``.

        Parameters
        ----------
        directory : Path
            The run's folder (created when missing).
        extra : iterable of str
            Lines to add after the logged ones.

        Returns
        -------
        Path or None
            The file written; None when it could not be (the log must never turn a result
            into another failure).
        """
        lines = [self.format(r) for r in self.buffer]
        try:
            directory.mkdir(parents=True, exist_ok=True)
            path = directory / "run.log"
            path.write_text("\n".join([*lines, *extra]) + "\n", encoding="utf-8")
            return path
        except OSError:
            return None


def setup_logging(console: Console) -> None:
    """Send the ``churnreport`` logger's INFO and above to stderr: through Rich when
    ``console`` is a terminal, else as plain lines; DEBUG lines (e.g. what a kernel process
    wrote) are kept for run.log only. Called again, it replaces its handlers.

    Parameters
    ----------
    console : rich.console.Console
        The stderr console (the one a progress bar draws on, so lines print above it).
    """
    for h in [h for h in logger.handlers if not isinstance(h, RunLog)]:
        logger.removeHandler(h)
    if console.is_terminal:
        handler: logging.Handler = RichHandler(
            console=console, show_path=False, markup=False, log_time_format="[%X]"
        )
    else:
        handler = _StderrHandler()
        handler.setFormatter(PlainFormatter())
    handler.setLevel(logging.INFO)
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)  # DEBUG lines go to run.log only
    logger.propagate = False  # the command line owns the process's log lines


def start_run_log() -> RunLog:
    """Start keeping this run's lines (a previous run's handler in the process is dropped).

    Returns
    -------
    RunLog
    """
    for h in [h for h in logger.handlers if isinstance(h, RunLog)]:
        logger.removeHandler(h)
    handler = RunLog()
    logger.addHandler(handler)
    return handler


def run_log() -> RunLog | None:
    """The run log of the run under way, if a run started in this process."""
    return next((h for h in logger.handlers if isinstance(h, RunLog)), None)
