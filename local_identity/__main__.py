"""Run the local issuer: ``python -m local_identity --port 8090 --allow-origin http://127.0.0.1:8001``."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
from types import FrameType

from werkzeug.serving import make_server

from local_identity import keys
from local_identity.issuer import LocalIssuer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local_identity", description=__doc__)
    parser.add_argument("--port", type=int, default=keys.DEFAULT_PORT, help="default: 8090")
    parser.add_argument(
        "--allow-origin",
        action="append",
        default=[],
        help="a page origin that may sign in here (its redirect_uri, its token calls); repeat",
    )
    args = parser.parse_args(argv)
    issuer = LocalIssuer(
        keys.load_or_create_key(), keys.issuer_url(args.port), tuple(args.allow_origin)
    )
    server = make_server("127.0.0.1", args.port, issuer, threaded=True)

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C or SIGTERM: stop quietly
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
