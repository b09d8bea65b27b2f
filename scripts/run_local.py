"""``make run``: the local SageMaker stand-in, ``chalice local --stage local`` and the demo page,
on the ports the local stage names, until Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path
from types import FrameType

from local_sagemaker import processes
from local_sagemaker.stack import Layout, running_stack
from paths import MODEL_ARTIFACT
from scripts import train_model

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
        default=MODEL_ARTIFACT,
        help="model artifact; trained first if missing (default: build/model.tar.gz)",
    )
    args = parser.parse_args(argv)

    if not args.model.exists():
        print(f"{args.model} not found: training it")
        train_model.main(["--output-dir", str(args.model.parent)])

    layout = Layout.as_configured(args.port)
    for port in (layout.endpoint_port, args.port, layout.web_port):
        if not processes.port_is_free(port):
            print(f"port {port} is already in use: stop what listens there first", file=sys.stderr)
            return 1

    def stop_on_signal(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop_on_signal)
    try:
        with running_stack(args.model, layout) as stack:
            print(
                "\nThe proxy is ready. Try:\n\n"
                f"  curl -X POST {stack.proxy_url}/predict "
                f"-H 'Content-Type: application/json' -d '{EXAMPLE_RECORD}'\n\n"
                f"or open the demo page: {stack.web_origin}/\n\n"
                "Ctrl-C stops everything.\n",
                flush=True,
            )
            while all(process.poll() is None for process in stack.children):
                time.sleep(0.5)
            print("a process exited; stopping the rest", file=sys.stderr)
            return 1
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
