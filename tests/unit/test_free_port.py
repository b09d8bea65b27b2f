"""foundation.processes.free_port within a range of ports (what each pytest-xdist worker is
given): every port it hands out is free, inside the range, and not handed out twice before it is
bound."""

from __future__ import annotations

import socket

import pytest

from foundation import processes


def free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def test_ports_in_a_range_are_free_distinct_and_skip_a_taken_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a range of four free ports, the second of them then listened on
    first = next(base for base in range(19000, 20000, 4) if all(free(base + i) for i in range(4)))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", first + 1))
        taken.listen()
        monkeypatch.setenv(processes.PORT_RANGE_VARIABLE, f"{first}-{first + 3}")
        monkeypatch.setattr(processes, "_next_in_range", {})
        # When three ports are asked for, none of them bound in between
        given = [processes.free_port() for _ in range(3)]
        # Then they are the range's other three, each once
        assert sorted(given) == sorted({first, first + 2, first + 3})
        # And with every port in use the range says so
        with socket.socket() as a, socket.socket() as b, socket.socket() as c:
            for sock, number in zip((a, b, c), given, strict=True):
                sock.bind(("127.0.0.1", number))
            with pytest.raises(OSError, match="no free port"):
                processes.free_port()


def test_without_a_range_the_kernel_picks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(processes.PORT_RANGE_VARIABLE, raising=False)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", processes.free_port()))
