"""A gate on loopback in front of moto_server: every AWS call passes through it, and the first
call of a named operation can be held there, before it reaches moto or after moto answered but
before the caller has the answer, until the test has signalled the caller (Ctrl-C, SIGTERM,
kill -9) or started a second run. So a test interrupts a real process at a named step.

Operations are named as botocore names them, read off the request: ``X-Amz-Target`` (json
protocol: SageMaker, application autoscaling), the ``Action`` of a form body (query protocol:
IAM, STS, CloudWatch), the runtime's invocation path, or S3's method, path and sub-resource
(rest-xml).
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

# S3 sub-resources (the query string's key) by the operation a PUT, GET or DELETE of them is.
S3_SUBRESOURCES = {
    ("PUT", "publicAccessBlock"): "PutPublicAccessBlock",
    ("GET", "publicAccessBlock"): "GetPublicAccessBlock",
    ("PUT", "encryption"): "PutBucketEncryption",
    ("GET", "encryption"): "GetBucketEncryption",
    ("PUT", "tagging"): "PutBucketTagging",
    ("GET", "tagging"): "GetBucketTagging",
}


def operation_of(method: str, path: str, headers: dict[str, str], body: bytes) -> str:
    target = headers.get("x-amz-target")
    if target:
        return target.rsplit(".", 1)[-1]
    if body and headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        action = parse_qs(body.decode(errors="replace")).get("Action")
        if action:
            return action[0]
    if "/operation/" in path:  # smithy-rpc-v2-cbor: /service/<name>/operation/<Operation>
        return path.rsplit("/operation/", 1)[-1]
    parts = urlsplit(path)
    if method == "POST" and parts.path.startswith("/endpoints/"):  # sagemaker-runtime, rest-json
        return "InvokeEndpoint"
    segments = [segment for segment in parts.path.split("/") if segment]
    for key in parse_qs(parts.query, keep_blank_values=True):
        if (method, key) in S3_SUBRESOURCES:
            return S3_SUBRESOURCES[(method, key)]
    object_level = len(segments) > 1
    names = {
        ("PUT", False): "CreateBucket", ("HEAD", False): "HeadBucket",
        ("DELETE", False): "DeleteBucket", ("GET", False): "ListObjectsV2",
        ("PUT", True): "PutObject", ("HEAD", True): "HeadObject",
        ("GET", True): "GetObject", ("DELETE", True): "DeleteObject",
    }  # fmt: skip
    return names.get((method, object_level), f"{method} {parts.path}")


@dataclass
class Hold:
    operation: str
    # Forward first and hold the answer: the call happened, the caller never heard.
    after: bool
    # Set once the call is held: before moto, or (after) once moto has answered it.
    reached: threading.Event = field(default_factory=threading.Event)
    taken: bool = False
    released: threading.Event = field(default_factory=threading.Event)
    # On release: pass the held call on (or its answer back), else drop the connection.
    forward: bool = False


@dataclass
class AwsGate:
    upstream: str
    url: str = ""
    calls: list[str] = field(default_factory=list)
    holds: list[Hold] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def hold(self, operation: str, after: bool = False) -> Hold:
        """Hold the next call of ``operation``; wait for ``.reached``, then ``release``."""
        held = Hold(operation, after)
        with self.lock:
            self.holds.append(held)
        return held

    def release(self, held: Hold, forward: bool = False) -> None:
        held.forward = forward
        held.released.set()

    def _take(self, operation: str) -> Hold | None:
        with self.lock:
            self.calls.append(operation)
            for held in self.holds:
                if held.operation == operation and not held.taken:
                    held.taken = True
                    return held
        return None


def _handler(gate: AwsGate) -> type[BaseHTTPRequestHandler]:
    upstream = urlsplit(gate.upstream)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _relay(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {key.lower(): value for key, value in self.headers.items()}
            held = gate._take(operation_of(self.command, self.path, headers, body))
            if held is not None and not held.after:
                held.reached.set()
                held.released.wait(120)
                if not held.forward:
                    self.close_connection = True
                    return
            connection = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=60)
            connection.request(self.command, self.path, body=body, headers=dict(self.headers))
            answer = connection.getresponse()
            payload = answer.read()
            if held is not None and held.after:
                # Only now: a signal sent on reached must find the call already made in moto.
                held.reached.set()
                held.released.wait(120)
                if not held.forward:
                    self.close_connection = True
                    return
            self.send_response(answer.status, answer.reason)
            for key, value in answer.getheaders():
                if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _relay

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@contextmanager
def aws_gate(upstream: str) -> Iterator[AwsGate]:
    gate = AwsGate(upstream)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(gate))
    server.daemon_threads = True
    gate.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield gate
    finally:
        for held in gate.holds:
            held.released.set()
        server.shutdown()
        server.server_close()
