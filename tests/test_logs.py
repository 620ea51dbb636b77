"""The command line's logger: Rich on a terminal, plain grep-able lines elsewhere, run.log."""

from __future__ import annotations

import io
import re

from rich.console import Console
from rich.logging import RichHandler

from churnreport.logs import logger, run_log, setup_logging, start_run_log

LOG_LINE = re.compile(
    r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d churnreport (INFO|WARNING|ERROR) "
)


def test_a_terminal_gets_rich_and_a_pipe_plain_lines_also_kept_for_run_log(tmp_path, capsys):
    setup_logging(Console(file=io.StringIO(), force_terminal=True))
    assert any(isinstance(h, RichHandler) for h in logger.handlers)
    setup_logging(Console(stderr=True))  # pytest's captured stderr is no terminal
    assert not any(isinstance(h, RichHandler) for h in logger.handlers)
    start_run_log()
    logger.info("data loaded and valid")
    logger.debug("for run.log only")
    logger.warning("two lines\n  the second indented")
    stderr = capsys.readouterr().err
    first, second, third = stderr.splitlines()
    assert LOG_LINE.match(first) and first.endswith(" churnreport INFO data loaded and valid")
    assert " churnreport WARNING two lines" in second and third == "  the second indented"
    path = run_log().write(tmp_path / "run", ["  trace"])
    kept = path.read_text(encoding="utf-8").splitlines()
    assert [line for line in kept if "DEBUG" not in line] == [*stderr.splitlines(), "  trace"]
    assert kept[1].endswith(" churnreport DEBUG for run.log only")
    start_run_log()  # the next run keeps only its own lines
    assert run_log().buffer == []
