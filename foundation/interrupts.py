"""Ctrl-C and SIGTERM as one exception the commands catch: they roll back what the run made and
say so in one line, instead of dying in a traceback (SIGINT) or without a word (SIGTERM)."""

from __future__ import annotations

import functools
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any, Protocol

SIGNALS = (signal.SIGINT, signal.SIGTERM)
# The handlers one_line_while_starting replaced, given back as the command's main takes over.
_BEFORE_START: dict[signal.Signals, Any] = {}


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


def _handles_signals() -> bool:
    """Only the main thread may set signal handlers (and only it receives signals)."""
    return threading.current_thread() is threading.main_thread()


@contextmanager
def interruptible() -> Iterator[None]:
    """While inside: SIGINT and SIGTERM raise Interrupted wherever the run is."""
    if not _handles_signals():
        yield
        return
    previous = {signum: signal.signal(signum, _raise) for signum in SIGNALS}
    # The start is over: after this, the command's own handlers, not the start's.
    previous.update(_BEFORE_START)
    _BEFORE_START.clear()
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def one_line_while_starting(prog: str) -> None:
    """Ctrl-C or SIGTERM while a command's modules import (half a second and more, before its
    ``main`` takes the signals over) ends it in one line and 128 + the signal, as later, not in
    Python's traceback: nothing was done yet. Called first in the command's main block."""

    def stop(signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        print(f"{prog}: {name}: stopped as it started; nothing was done", file=sys.stderr)
        raise SystemExit(128 + signum)

    if _handles_signals():
        _BEFORE_START.update({signum: signal.signal(signum, stop) for signum in SIGNALS})


@contextmanager
def shielded() -> Iterator[list[int]]:
    """While cleaning up: a signal is noted, not raised, so a second Ctrl-C cannot cut a rollback
    in half (kill -9 still can; a rerun then finishes the job)."""
    received: list[int] = []
    if not _handles_signals():
        yield received
        return
    previous = {
        signum: signal.signal(signum, lambda number, frame: received.append(number))
        for signum in SIGNALS
    }
    try:
        yield received
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


class Main(Protocol):
    """A command's ``main``: its arguments (sys.argv's when None) to its exit code."""

    def __call__(self, argv: list[str] | None = None) -> int: ...


def stops_in_one_line(
    said: Callable[[Interrupted], str], to_stderr: bool = False
) -> Callable[[Main], Main]:
    """A command's ``main`` with Ctrl-C and SIGTERM covered from its first line to its last: a
    signal that the command's own handling (a rollback, a stopped job) does not catch first ends
    it in one line, ``said(signal)``, and 128 + the signal, never a traceback (Python's SIGINT)
    or a silent death (SIGTERM's default)."""

    def wrap(main: Main) -> Main:
        @functools.wraps(main)
        def run(argv: list[str] | None = None) -> int:
            try:
                with interruptible():
                    return main(argv)
            except Interrupted as stop:
                with shielded():
                    print(said(stop), file=sys.stderr if to_stderr else sys.stdout)
                return stop.exit_code

        return run

    return wrap


def run_again_on_signal(prog: str) -> Callable[[Main], Main]:
    """``stops_in_one_line`` for commands whose every step is whole or not done (the same
    command does it again): nothing to roll back."""
    return stops_in_one_line(
        lambda stop: f"{prog}: {stop.name}: stopped; run the same command again", to_stderr=True
    )


def one_line_on_signal(main: Main, prog: str) -> Main:
    """``main`` wrapped by ``run_again_on_signal(prog)``."""
    return run_again_on_signal(prog)(main)
