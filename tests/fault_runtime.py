"""A fake SageMaker runtime on loopback that answers with the fault it is told to.

Real HTTP, so botocore's real parsing, retries and timeouts run against it (the
Stubber bypasses all three).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Fault:
    """What to answer every invocation with."""

    status: int = 200
    error_code: str | None = None
    body: bytes = b""
    delay_seconds: float = 0.0
    drop_connection: bool = False


@dataclass
class FaultyRuntime:
    url: str
    fault: Fault = field(default_factory=Fault)
    attempts: int = 0


def _handler(state: FaultyRuntime) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            state.attempts += 1
            fault = state.fault
            if fault.delay_seconds:
                time.sleep(fault.delay_seconds)
            if fault.drop_connection:
                self.close_connection = True
                return
            self.send_response(fault.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(fault.body)))
            self.send_header("x-amzn-RequestId", f"fake-{state.attempts}")
            self.send_header("x-Amzn-Invoked-Production-Variant", "AllTraffic")
            if fault.error_code:
                self.send_header("x-amzn-ErrorType", fault.error_code)
            self.end_headers()
            self.wfile.write(fault.body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@contextmanager
def faulty_runtime() -> Iterator[FaultyRuntime]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(FaultyRuntime(url="")))
    server.daemon_threads = True
    state = FaultyRuntime(url=f"http://127.0.0.1:{server.server_address[1]}")
    server.RequestHandlerClass = _handler(state)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def aws_error(code: str, status: int, message: str, **fields: object) -> Fault:
    return Fault(
        status=status, error_code=code, body=json.dumps({"message": message, **fields}).encode()
    )


def answer(body: bytes) -> Fault:
    return Fault(status=200, body=body)
