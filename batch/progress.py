"""A one-line progress report on a terminal: rows, rows/s and the time left, estimated from the
input's bytes read (the number of rows is unknown until the end). Nothing when not a terminal."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    # At most this often: a redraw per chunk of a fast model would flood a slow terminal.
    INTERVAL = 0.25

    def __init__(self, total_bytes: int, stream: TextIO = sys.stderr) -> None:
        self._total = max(total_bytes, 1)
        self._stream = stream
        self._shown = stream.isatty()
        self._started = time.monotonic()
        self._last = 0.0
        self._first_offset: int | None = None
        self._rows = 0

    def update(self, rows: int, offset: int, force: bool = False) -> None:
        """``rows`` scored in this run so far; ``offset``: the input's bytes read."""
        if self._first_offset is None:
            self._first_offset = offset
        self._rows = rows
        now = time.monotonic()
        if not self._shown or (now - self._last < self.INTERVAL and not force):
            return
        self._last = now
        elapsed = max(now - self._started, 1e-9)
        done = offset - self._first_offset
        left = self._total - offset
        eta = elapsed * left / done if done > 0 else None
        self._stream.write(
            f"\r{rows:,} rows  {rows / elapsed:,.0f} rows/s  "
            f"{100 * offset / self._total:.0f}%  ETA {_clock(eta)}   "
        )
        self._stream.flush()

    def close(self) -> None:
        if self._shown:
            self._stream.write("\n")
            self._stream.flush()

    def rate(self) -> float:
        return self._rows / max(time.monotonic() - self._started, 1e-9)


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    minutes, second = divmod(int(seconds), 60)
    hours, minute = divmod(minutes, 60)
    return f"{hours}:{minute:02d}:{second:02d}" if hours else f"{minute}:{second:02d}"
