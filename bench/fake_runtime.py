"""A SageMaker runtime on loopback that answers at once: one row of scores per CSV line.

Run as its own process, so its work does not share the measured process's CPU or GIL.
"""

from __future__ import annotations

import argparse
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROW = {"score": [0.97, 0.02, 0.01]}


class InstantHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body in one packet: otherwise the client's delayed ACK adds ~40 ms.
    disable_nagle_algorithm = True

    def do_POST(self) -> None:
        csv = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = json.dumps({"predictions": [ROW] * (csv.count(b"\n") + 1)}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-Amzn-Invoked-Production-Variant", "AllTraffic")
        self.send_header("x-amzn-RequestId", "bench")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    port = parser.parse_args().port
    ThreadingHTTPServer(("127.0.0.1", port), InstantHandler).serve_forever()


if __name__ == "__main__":
    main()
