"""Start, wait for and stop the local processes (used by ``make run`` and the end-to-end tests)."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path

import psutil

# "FIRST-LAST": free ports come from this range only. Parallel test workers get disjoint ranges
# below the kernel's ephemeral ones (tests/conftest.py): two bind(0) calls in two workers can
# pick the same port between picking and binding, and a stack then polled another's server.
PORT_RANGE_VARIABLE = "SAGEMAKER_PROXY_PORT_RANGE"
_next_in_range: dict[str, int] = {}


def free_port() -> int:
    ports = os.environ.get(PORT_RANGE_VARIABLE)
    if not ports:
        return _bound_port(0)
    first, last = (int(end) for end in ports.split("-"))
    size = last - first + 1
    # In turn, so that one process never hands out a port twice before it is bound; from a
    # random start, as the processes a worker starts share its range.
    offset = _next_in_range.get(ports, random.randrange(size))
    for step in range(size):
        port = first + (offset + step) % size
        try:
            bound = _bound_port(port)
        except OSError:
            continue
        _next_in_range[ports] = (offset + step + 1) % size
        return bound
    raise OSError(f"no free port in {ports}")


def _bound_port(port: int) -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))
        return int(sock.getsockname()[1])


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        return sock.connect_ex((host, port)) != 0


def port_holder(port: int) -> str | None:
    """The process listening on ``port`` (``name (pid N)``), where the system tells: psutil
    reads every process's sockets on Linux, and may be refused them elsewhere."""
    try:
        listeners = psutil.net_connections(kind="inet")
    except (psutil.AccessDenied, OSError):
        return None
    for connection in listeners:
        if connection.status == psutil.CONN_LISTEN and connection.laddr.port == port:
            if connection.pid is None:
                return None
            try:
                return f"{psutil.Process(connection.pid).name()} (pid {connection.pid})"
            except psutil.Error:
                return f"pid {connection.pid}"
    return None


def start(
    command: Sequence[str], cwd: Path, env: Mapping[str, str] | None = None, log: Path | None = None
) -> subprocess.Popen[bytes]:
    """Start a command in its own process group, so stopping it stops its children too."""
    output = open(log, "wb") if log else None  # noqa: SIM115 - closed below, once the child has it
    try:
        return subprocess.Popen(
            list(command),
            cwd=cwd,
            env={**os.environ, **(env or {})},
            stdout=output,
            stderr=subprocess.STDOUT if output else None,
            start_new_session=True,
        )
    finally:
        if output is not None:
            output.close()


def wait_for_http(url: str, process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    """Poll ``url`` until it answers (any status), or fail if the process exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"{process.args!r} exited with {process.returncode} before serving {url}"
            )
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")


def stop(process: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    """SIGTERM the process group, then SIGKILL what is left after ``timeout``."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass


def python_command(*args: str) -> list[str]:
    return [sys.executable, *args]


def chalice_executable() -> str:
    """The ``chalice`` command installed beside this interpreter."""
    return str(Path(sys.executable).with_name("chalice"))
