"""``make run``: the local endpoint, ``chalice local --stage local`` and the demo page, until Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path
from types import FrameType

from scripts import processes, train_model

REPO_ROOT = Path(__file__).resolve().parent.parent
CHALICE_DIR = REPO_ROOT / "chalice_app"
# The local stage in chalice_app/.chalice/config.json points boto3 at this port.
LOCAL_ENDPOINT_PORT = 8080
# The local stage's CORS_ALLOW_ORIGIN is http://127.0.0.1:8001: the page's calls are real
# cross-origin requests, preflight included.
WEB_PAGE_PORT = 8001
WEB_PAGE_DIR = REPO_ROOT / "examples" / "web"
EXAMPLE_RECORD = (
    '{"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}'
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--port", type=int, default=8000, help="port for chalice local (default: 8000)"
    )
    parser.add_argument(
        "--model",
        type=Path,
        default=REPO_ROOT / "build" / train_model.ARTIFACT_NAME,
        help="model artifact; trained first if missing (default: build/model.tar.gz)",
    )
    args = parser.parse_args(argv)

    if not args.model.exists():
        print(f"{args.model} not found: training it")
        train_model.main(["--output-dir", str(args.model.parent)])

    for port in (LOCAL_ENDPOINT_PORT, args.port, WEB_PAGE_PORT):
        if not processes.port_is_free(port):
            print(f"port {port} is already in use: stop what listens there first", file=sys.stderr)
            return 1

    def stop_on_signal(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop_on_signal)
    started = []
    try:
        endpoint = processes.start(
            processes.python_command(
                "-m", "serving", "--model", str(args.model), "--port", str(LOCAL_ENDPOINT_PORT)
            ),
            cwd=REPO_ROOT,
        )
        started.append(endpoint)
        processes.wait_for_http(f"http://127.0.0.1:{LOCAL_ENDPOINT_PORT}/ping", endpoint)
        chalice = processes.start(
            [processes.chalice_executable(), "local", "--stage", "local", "--port", str(args.port)],
            cwd=CHALICE_DIR,
        )
        started.append(chalice)
        processes.wait_for_http(f"http://127.0.0.1:{args.port}/health", chalice)
        page = processes.start(
            processes.python_command(
                "-m",
                "http.server",
                str(WEB_PAGE_PORT),
                "--bind",
                "127.0.0.1",
                "--directory",
                str(WEB_PAGE_DIR),
            ),
            cwd=REPO_ROOT,
        )
        started.append(page)
        processes.wait_for_http(f"http://127.0.0.1:{WEB_PAGE_PORT}/", page)
        print(
            "\nThe proxy is ready. Try:\n\n"
            f"  curl -X POST http://127.0.0.1:{args.port}/predict "
            f"-H 'Content-Type: application/json' -d '{EXAMPLE_RECORD}'\n\n"
            f"or open the demo page: http://127.0.0.1:{WEB_PAGE_PORT}/\n\n"
            "Ctrl-C stops everything.\n",
            flush=True,
        )
        while all(process.poll() is None for process in started):
            time.sleep(0.5)
        print("a process exited; stopping the rest", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        for process in reversed(started):
            processes.stop(process)


if __name__ == "__main__":
    sys.exit(main())
