"""A fake SageMaker runtime on loopback: by default it answers every invocation at once with
one row of scores per CSV line; told a ``Fault``, it answers with that instead (an AWS error,
a slow, trickled, stalled or dropped answer).

Real HTTP, so botocore's real parsing, retries and timeouts run against it (the Stubber
bypasses all three). The tests run it on a thread (``faulty_runtime``); the benchmark as a
process of its own (``python -m local_sagemaker.fake_runtime --port N``), so that its work does
not share the measured process's CPU or GIL.
"""

from __future__ import annotations

import argparse
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from provisioning.naming import VARIANT_NAME

# The instant answer's score for each row: multi:softprob's (the Iris example's), unless told.
ROW = {"score": [0.97, 0.02, 0.01]}


@dataclass
class Fault:
    """What to answer every invocation with, and how slowly; ``body`` None: the instant
    answer, one row of ``ROW`` per CSV line."""

    status: int = 200
    error_code: str | None = None
    body: bytes | None = None
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
    # What the instant answer gives each row.
    row: dict = field(default_factory=lambda: dict(ROW))
    attempts: int = 0
    # Set when the fake stops, so slow answers end with it.
    stopping: threading.Event = field(default_factory=threading.Event)


def _handler(state: FaultyRuntime) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body in one packet: otherwise the client's delayed ACK adds ~40 ms.
        disable_nagle_algorithm = True

        def do_POST(self) -> None:
            csv = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            state.attempts += 1
            fault = state.fault
            body = fault.body
            if body is None:
                body = json.dumps({"predictions": [state.row] * (csv.count(b"\n") + 1)}).encode()
            if fault.delay_seconds and state.stopping.wait(fault.delay_seconds):
                return
            if fault.drop_connection:
                self.close_connection = True
                return
            headers = [
                f"HTTP/1.1 {fault.status} {self.responses.get(fault.status, ('',))[0]}",
                "Content-Type: application/json",
                f"Content-Length: {len(body)}",
                f"x-amzn-RequestId: fake-{state.attempts}",
                f"x-Amzn-Invoked-Production-Variant: {VARIANT_NAME}",
            ]
            if fault.error_code:
                headers.append(f"x-amzn-ErrorType: {fault.error_code}")
            head = ("\r\n".join(headers) + "\r\n\r\n").encode()
            if fault.trickle_seconds:
                for byte in head + body:
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
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@contextmanager
def faulty_runtime(port: int = 0, score: object = None) -> Iterator[FaultyRuntime]:
    """The fake on a thread; set ``.fault`` to change what it answers. ``score``: each row's
    in the instant answer (a number, or a list of class probabilities)."""
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler(FaultyRuntime(url="")))
    server.daemon_threads = True
    state = FaultyRuntime(url=f"http://127.0.0.1:{server.server_address[1]}")
    if score is not None:
        state.row = {"score": score}
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument(
        "--score",
        type=json.loads,
        help="each row's score in the answer, as JSON: a number, or a list of class "
        "probabilities (default: three classes, the first at 0.97)",
    )
    args = parser.parse_args()
    with faulty_runtime(args.port, args.score):
        threading.Event().wait()


if __name__ == "__main__":
    main()
