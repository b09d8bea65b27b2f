"""`make run` on ports of the user's choosing: every process moves, the allowed origin follows the
demo page, and a taken port is one line naming it and its holder."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import requests

from foundation import processes
from foundation.paths import REPO_ROOT

# What the local stage names: 8000 (chalice local), 8001 (the demo page), 8080 (the stand-in).
DEFAULT_PORTS = (8000, 8001, 8080)


@contextmanager
def listening(*ports: int) -> Iterator[list[int]]:
    """Hold each port that is free with a listening socket of this process (one that is not is
    taken already, which is what the test wants); yields the ports held."""
    held = []
    with ExitStack() as sockets:
        for port in ports:
            sock = sockets.enter_context(socket.socket())
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            sock.listen()
            held.append(port)
        yield held


def run_local(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scripts.run_local", *args],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def wait_for_banner(process: subprocess.Popen[bytes], output: Path, timeout: float = 90) -> str:
    deadline = time.monotonic() + timeout
    while "Ctrl-C stops everything" not in (seen := output.read_text()):
        assert time.monotonic() < deadline, seen
        assert process.poll() is None, seen
        time.sleep(0.2)
    return seen


def test_every_port_moves_while_the_configured_ones_are_taken(
    trained_model: Path, tmp_path: Path
) -> None:
    # Given 8000, 8001 and 8080 taken by something else
    proxy, endpoint, demo = (processes.free_port() for _ in range(3))
    with listening(*DEFAULT_PORTS):
        # When make run's launcher is told other ports
        output = tmp_path / "run_local.out"
        process = subprocess.Popen(
            [sys.executable, "-m", "scripts.run_local", "--model",
             str(trained_model / "model.tar.gz"), "--port", str(proxy),
             "--endpoint-port", str(endpoint), "--demo-port", str(demo)],
            cwd=REPO_ROOT, stdout=output.open("wb"), stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        try:
            banner = wait_for_banner(process, output)
            demo_origin = f"http://127.0.0.1:{demo}"
            answer = requests.post(
                f"http://127.0.0.1:{proxy}/predict",
                json={"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4,
                      "petal_width": 0.2},
                headers={"Origin": demo_origin},
                timeout=30,
            )  # fmt: skip
            page = requests.get(f"{demo_origin}/", timeout=10)
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
    # Then the proxy answers there, and allows the moved page; the answer came through the
    # stand-in on its moved port (8080 is held by a socket here that never answers)
    assert f"http://127.0.0.1:{proxy}/predict" in banner
    assert f"{demo_origin}/" in banner
    assert answer.status_code == 200, answer.text
    assert answer.json()["predictions"][0]["label"] == "setosa"
    assert answer.headers["Access-Control-Allow-Origin"] == demo_origin
    assert page.status_code == 200 and "<html" in page.text.lower()
    assert process.returncode == 0


def test_a_taken_port_is_one_line_naming_it_and_its_holder(trained_model: Path) -> None:
    port = processes.free_port()
    with listening(port):
        started = run_local(
            "--model", str(trained_model / "model.tar.gz"), "--port", str(processes.free_port()),
            "--demo-port", str(port),
        )  # fmt: skip
    assert started.returncode == 1
    assert started.stderr.count("\n") == 1, started.stderr
    assert f"port {port} (--demo-port) is already in use by python" in started.stderr
    assert f"(pid {os.getpid()})" in started.stderr
    assert "Traceback" not in started.stderr


def test_one_port_named_twice_is_refused(trained_model: Path) -> None:
    port = str(processes.free_port())
    started = run_local(
        "--model", str(trained_model / "model.tar.gz"), "--port", port, "--endpoint-port", port
    )
    assert started.returncode == 1
    assert started.stderr.strip() == (
        f"run_local: --port and --endpoint-port are both port {port}: give each its own"
    )


def test_a_port_that_is_not_one_is_a_usage_error() -> None:
    started = run_local("--demo-port", "70000")
    assert started.returncode == 2
    assert "not a port number: 70000 (1 to 65535)" in started.stderr
