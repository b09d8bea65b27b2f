"""Run an upstream call under a deadline for the whole call, retries and body included.

botocore's ``read_timeout`` bounds each socket read, not a call: an upstream that sends its
answer one byte at a time, each inside the read timeout, holds a call for as long as it likes
(seen: a 200 after 73 s at one byte every 0.2 s). Two ways to bound it, by thread:

- On the main thread (where Lambda runs a handler): a real-time alarm (``setitimer``) whose
  handler raises DeadlineExceeded in the call, wherever it waits; urllib3 closes a connection
  left mid-answer. The handler is installed once, and raises only while a call is armed (an
  alarm of someone else's goes to the handler that was there before); a request pays the two
  ``setitimer`` calls. Another alarm already set (a test runner's timeout) is put back
  afterwards, and one due sooner than the deadline is left alone (the worker is used instead).
- Elsewhere (`chalice local` serves each request on a thread of its own): the call runs on a
  worker thread and the request thread waits at most until the deadline; a call left behind
  runs on until botocore's own timeouts or the upstream end it, and its answer is dropped.
  The hand-off costs about 0.26 ms a call here, which the alarm does not.

Workers are daemon threads, reused when idle (a new thread per call cost 110 µs here, a reused
one 30 µs in isolation), and a new one starts whenever none is idle, so calls left behind never
make the next ones wait. ``concurrent.futures`` is not used because its threads are joined at
exit: a stuck call would keep `chalice local` from stopping.
"""

from __future__ import annotations

import _signal
import queue
import signal
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Any, TypeVar

Result = TypeVar("Result")
_Job = tuple[Callable[[], Any], "queue.SimpleQueue[tuple[bool, Any]]"]
_idle: queue.SimpleQueue[queue.SimpleQueue[_Job]] = queue.SimpleQueue()


class DeadlineExceeded(BaseException):
    """The call did not finish in time (on a worker, it may still be running). A BaseException,
    like KeyboardInterrupt: raised by the alarm from inside botocore, it must not be caught by
    the ``except Exception`` that botocore's retries wrap each attempt in (seen: the deadline
    taken for a failed attempt, and the call retried to its end)."""


def call_within(seconds: float, call: Callable[[], Result]) -> Result:
    """``call()``'s result (or its exception), or DeadlineExceeded after ``seconds``."""
    if seconds <= 0:
        raise DeadlineExceeded
    if threading.current_thread() is threading.main_thread():
        return _with_alarm(seconds, call)
    return _on_worker(seconds, call)


# Whether a call on the main thread is under its alarm now, and the SIGALRM handler there was
# before ours (an alarm that is not ours goes to it).
_armed = False
_before: Any = signal.SIG_DFL


def _expire(signum: int, frame: FrameType | None) -> None:
    if _armed:
        raise DeadlineExceeded
    if callable(_before):
        _before(signum, frame)
    elif _before == signal.SIG_DFL:  # what SIGALRM does by default: end the process
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        signal.raise_signal(signal.SIGALRM)


def _with_alarm(seconds: float, call: Callable[[], Result]) -> Result:
    global _armed, _before
    started = time.monotonic()
    # Once (and again if someone replaced it). The C function, not signal.getsignal: that one
    # turns the handler into an enum when it can, which costs 4 µs (a ValueError) every call.
    if _signal.getsignal(signal.SIGALRM) is not _expire:
        _before = signal.signal(signal.SIGALRM, _expire)
    previous_delay, previous_interval = signal.setitimer(signal.ITIMER_REAL, seconds)
    if previous_delay and previous_delay <= seconds:
        # Another alarm is due first: it is put back as it was, and a worker bounds the call.
        signal.setitimer(signal.ITIMER_REAL, previous_delay, previous_interval)
        return _on_worker(seconds, call)
    _armed = True
    try:
        return call()
    finally:
        _armed = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        if previous_delay:
            left = max(previous_delay - (time.monotonic() - started), 0.001)
            signal.setitimer(signal.ITIMER_REAL, left, previous_interval)


def _on_worker(seconds: float, call: Callable[[], Result]) -> Result:
    outcome: queue.SimpleQueue[tuple[bool, Any]] = queue.SimpleQueue()
    _worker().put((call, outcome))
    try:
        succeeded, value = outcome.get(timeout=seconds)
    except queue.Empty:
        raise DeadlineExceeded from None
    if succeeded:
        return value  # type: ignore[no-any-return]
    raise value


def _worker() -> queue.SimpleQueue[_Job]:
    try:
        return _idle.get_nowait()
    except queue.Empty:
        inbox: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        threading.Thread(target=_serve, args=(inbox,), name="upstream", daemon=True).start()
        return inbox


def _serve(inbox: queue.SimpleQueue[_Job]) -> None:
    while True:
        call, outcome = inbox.get()
        try:
            outcome.put((True, call()))
        except BaseException as error:  # handed to the waiting request thread
            outcome.put((False, error))
        del call, outcome  # hold nothing of a finished request while idle
        _idle.put(inbox)
