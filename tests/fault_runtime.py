"""A fake SageMaker runtime on loopback that answers with the fault it is told to.

Real HTTP, so botocore's real parsing, retries and timeouts run against it (the
Stubber bypasses all three).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Fault:
    """What to answer every invocation with, and how slowly."""

    status: int = 200
    error_code: str | None = None
    body: bytes = b""
    # Before anything is sent: slow headers.
    delay_seconds: float = 0.0
    # Close the connection without answering.
    drop_connection: bool = False
    # Send the whole answer, headers included, one byte every this many seconds.
    trickle_seconds: float = 0.0
    # Send the headers, then nothing more (the connection stays open).
    stall_after_headers: bool = False
    # Send the headers and half the body, then close: the endpoint died mid-answer.
    drop_mid_body: bool = False


@dataclass
class FaultyRuntime:
    url: str
    fault: Fault = field(default_factory=Fault)
    attempts: int = 0
    # Set when the fake stops, so slow answers end with it.
    stopping: threading.Event = field(default_factory=threading.Event)


def _handler(state: FaultyRuntime) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            state.attempts += 1
            fault = state.fault
            if fault.delay_seconds and state.stopping.wait(fault.delay_seconds):
                return
            if fault.drop_connection:
                self.close_connection = True
                return
            headers = [
                f"HTTP/1.1 {fault.status} {self.responses.get(fault.status, ('',))[0]}",
                "Content-Type: application/json",
                f"Content-Length: {len(fault.body)}",
                f"x-amzn-RequestId: fake-{state.attempts}",
                "x-Amzn-Invoked-Production-Variant: AllTraffic",
            ]
            if fault.error_code:
                headers.append(f"x-amzn-ErrorType: {fault.error_code}")
            head = ("\r\n".join(headers) + "\r\n\r\n").encode()
            if fault.trickle_seconds:
                for byte in head + fault.body:
                    if state.stopping.wait(fault.trickle_seconds):
                        return
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                return
            self.wfile.write(head)
            self.wfile.flush()
            if fault.stall_after_headers:
                state.stopping.wait(60)
                return
            if fault.drop_mid_body:
                self.wfile.write(fault.body[: len(fault.body) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
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
        state.stopping.set()
        server.shutdown()
        server.server_close()


def aws_error(code: str, status: int, message: str, **fields: object) -> Fault:
    return Fault(
        status=status, error_code=code, body=json.dumps({"message": message, **fields}).encode()
    )


def answer(body: bytes) -> Fault:
    return Fault(status=200, body=body)
