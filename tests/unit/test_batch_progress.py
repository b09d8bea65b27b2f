"""batch_score's progress line: on a terminal, rows, rows/s, how far through the file and the
time left; nothing at all when the output is a file or a pipe."""

from __future__ import annotations

import io

from batch.progress import Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_sees_rows_rate_share_and_time_left() -> None:
    screen = Terminal()
    progress = Progress(total_bytes=1000, stream=screen)
    progress.update(0, 100, force=True)
    progress.update(5_000, 550, force=True)
    progress.close()
    last = screen.getvalue().split("\r")[-1]
    assert last.startswith("5,000 rows  ") and "rows/s" in last
    assert " 55%  ETA " in last and "--:--" not in last
    assert screen.getvalue().endswith("\n")


def test_a_pipe_sees_nothing() -> None:
    pipe = io.StringIO()
    progress = Progress(total_bytes=1000, stream=pipe)
    progress.update(10, 500, force=True)
    progress.close()
    assert pipe.getvalue() == ""
