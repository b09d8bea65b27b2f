"""The deadline on an upstream call, both ways: the alarm on the main thread (where Lambda runs a
handler), the worker elsewhere (`chalice local`'s request threads)."""

from __future__ import annotations

import signal
import socket
import threading
import time

import pytest

from chalicelib.deadline import DeadlineExceeded, call_within


def blocked_read() -> bytes:
    """A read that never gets an answer: a socket whose peer never writes."""
    left, right = socket.socketpair()
    with left, right:
        return left.recv(1)


def test_on_the_main_thread_the_alarm_interrupts_a_blocked_read() -> None:
    started = time.monotonic()
    with pytest.raises(DeadlineExceeded):
        call_within(0.3, blocked_read)
    assert 0.25 < time.monotonic() - started < 1.0
    assert (
        signal.getitimer(signal.ITIMER_REAL)[0] == 0
        or 0 < signal.getitimer(signal.ITIMER_REAL)[0] <= 300
    )


def test_another_alarm_is_put_back_afterwards() -> None:
    fired = []
    previous = signal.signal(signal.SIGALRM, lambda *_: fired.append(True))
    signal.setitimer(signal.ITIMER_REAL, 30)
    try:
        assert call_within(1, lambda: "answer") == "answer"
        left, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 25 < left <= 30
        assert not fired
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_an_alarm_of_someone_elses_after_a_call_still_reaches_them() -> None:
    # Given a handler of someone else's, and a call made under the deadline (which installs
    # its own handler once, and keeps it)
    fired = []
    previous = signal.signal(signal.SIGALRM, lambda *_: fired.append(True))
    try:
        assert call_within(1, lambda: "answer") == "answer"
        # When their alarm goes off later
        signal.setitimer(signal.ITIMER_REAL, 0.01)
        time.sleep(0.1)
        # Then it reaches their handler, and no DeadlineExceeded is raised
        assert fired == [True]
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_off_the_main_thread_the_worker_gives_up_waiting() -> None:
    outcome: list[object] = []

    def request() -> None:
        started = time.monotonic()
        try:
            call_within(0.3, lambda: time.sleep(2))
        except DeadlineExceeded:
            outcome.append(time.monotonic() - started)

    thread = threading.Thread(target=request)
    thread.start()
    thread.join(timeout=5)
    assert len(outcome) == 1 and 0.25 < outcome[0] < 1.0  # type: ignore[operator]


def test_answers_and_errors_pass_through_both_ways() -> None:
    def fails() -> None:
        raise ValueError("upstream")

    assert call_within(1, lambda: 42) == 42
    with pytest.raises(ValueError, match="upstream"):
        call_within(1, fails)
    results: list[object] = []
    thread = threading.Thread(target=lambda: results.append(call_within(1, lambda: 43)))
    thread.start()
    thread.join(timeout=5)
    assert results == [43]
