"""Ctrl-C and SIGTERM as one exception the commands catch: they roll back what the run made and
say so in one line, instead of dying in a traceback (SIGINT) or without a word (SIGTERM)."""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(BaseException):
    """A signal asked the run to stop. A BaseException, like KeyboardInterrupt: botocore's retries
    and the commands' ``except Exception`` must not take it for a failed call."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        self.name = signal.Signals(signum).name
        super().__init__(self.name)

    @property
    def exit_code(self) -> int:
        """What a shell reports for a process ended by this signal: 130 for Ctrl-C, 143 for TERM."""
        return 128 + self.signum


def _raise(signum: int, frame: FrameType | None) -> None:
    raise Interrupted(signum)


@contextmanager
def interruptible() -> Iterator[None]:
    """While inside: SIGINT and SIGTERM raise Interrupted wherever the run is."""
    previous = {signum: signal.signal(signum, _raise) for signum in SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@contextmanager
def shielded() -> Iterator[list[int]]:
    """While cleaning up: a signal is noted, not raised, so a second Ctrl-C cannot cut a rollback
    in half (kill -9 still can; a rerun then finishes the job)."""
    received: list[int] = []
    previous = {
        signum: signal.signal(signum, lambda number, frame: received.append(number))
        for signum in SIGNALS
    }
    try:
        yield received
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def one_line_on_signal(main: Callable[[list[str] | None], int], prog: str) -> Callable[..., int]:
    """``main`` with Ctrl-C and SIGTERM said in one line, for commands whose every step is whole
    or not done (the same command does it again): nothing to roll back."""

    def run(argv: list[str] | None = None) -> int:
        try:
            with interruptible():
                return main(argv)
        except Interrupted as stop:
            print(f"{prog}: {stop.name}: stopped; run the same command again", file=sys.stderr)
            return stop.exit_code

    return run
