"""``make run``: the local SageMaker stand-in, ``chalice local --stage local`` and the demo page,
on the ports the local stage names, until Ctrl-C. Serves build/model.tar.gz (the Iris example,
trained first when it is missing) or the artifact ``--model`` names, by its signature."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from pathlib import Path
from types import FrameType
from urllib.parse import urlencode

from artifacts.binding import BindingError, bound_signature
from foundation import processes
from foundation.command_help import ends_with_example
from foundation.paths import MODEL_ARTIFACT
from local_identity import keys as local_keys
from local_sagemaker.stack import Layout, running_stack
from scripts import train_model

# What the demo page asks the local issuer for.
SCOPES = f"openid {local_keys.SCOPE}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        **ends_with_example(
            "python -m scripts.run_local --port 18000 --endpoint-port 18080 --demo-port 18001"
        ),
        description=__doc__,
    )
    parser.add_argument(
        "--port", type=_port, default=8000, help="port for chalice local (default: 8000)"
    )
    parser.add_argument(
        "--endpoint-port",
        type=_port,
        help="port for the SageMaker stand-in (default: the local stage's, 8080)",
    )
    parser.add_argument(
        "--demo-port",
        type=_port,
        help="port for the demo page, the origin the proxy allows first (default: the local "
        "stage's, 8001)",
    )
    parser.add_argument(
        "--issuer-port",
        type=_port,
        help=f"port for the local issuer with --sign-in (default: {local_keys.DEFAULT_PORT})",
    )
    parser.add_argument(
        "--model",
        type=Path,
        help="the artifact to serve, made by scripts.import_model (default: build/model.tar.gz, "
        "the Iris example, trained when missing; a path you name is never trained over)",
    )
    parser.add_argument(
        "--signature",
        type=Path,
        help="its signature (default: beside it, <name>.signature.json)",
    )
    parser.add_argument(
        "--capture-dir",
        type=Path,
        metavar="DIR",
        help="capture every answered invocation into DIR as an endpoint's data capture writes "
        "to S3; then `python -m scripts.drift_report --stage local --capture DIR` compares it "
        "with the model's baseline",
    )
    parser.add_argument(
        "--sign-in",
        action="store_true",
        help="also run the local token issuer, and have the proxy accept only its tokens: the "
        "demo page signs in, and `python -m scripts.local_token` prints a token for curl",
    )
    args = parser.parse_args(argv)

    model = args.model or MODEL_ARTIFACT
    if not model.exists():
        if args.model is not None:
            print(f"run_local: {model} not found (nothing trained in its place)", file=sys.stderr)
            return 2
        print(f"{model} not found: training the Iris example")
        try:
            train_model.write_artifacts(model, seed=42, rounds=50)
        except FileExistsError as error:
            print(f"run_local: {error}", file=sys.stderr)
            return 2
    try:
        signature = bound_signature(model, args.signature)
    except BindingError as error:
        print(f"run_local: refused: {error}", file=sys.stderr)
        return 2

    ports = {
        "--port": args.port,
        "--endpoint-port": args.endpoint_port,
        "--demo-port": args.demo_port,
    }
    if args.sign_in:
        ports["--issuer-port"] = args.issuer_port
    refused = _taken_or_repeated(ports)
    if refused:
        print(f"run_local: {refused}", file=sys.stderr)
        return 1
    layout = Layout.as_configured(args.port, args.endpoint_port, args.demo_port, args.issuer_port)

    def stop_on_signal(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop_on_signal)
    example = json.dumps(signature.examples[0]["record"]) if signature.examples else "{...}"
    try:
        with running_stack(
            model, layout, args.signature, sign_in=args.sign_in, capture_dir=args.capture_dir
        ) as stack:
            print(
                f"\nThe proxy serves {model} ({signature.objective}, "
                f"{len(signature.features)} features). Try:\n\n"
                f"  curl -X POST {stack.proxy_url}/predict "
                f"-H 'Content-Type: application/json' -d '{example}'"
                + (_signed_in_help(stack.issuer_url) if stack.issuer_url else "")
                + f"\n\nor open the demo page: {stack.web_origin}/"
                + demo_page_query(stack.proxy_url, stack.issuer_url)
                + f"\nand the API's live reference: {stack.web_origin}/api.html?"
                + urlencode({"api": stack.proxy_url})
                + (_capture_help(args.capture_dir) if args.capture_dir else "")
                + "\n\nCtrl-C stops everything.\n",
                flush=True,
            )
            while all(process.poll() is None for process in stack.children):
                time.sleep(0.5)
            print("a process exited; stopping the rest", file=sys.stderr)
            return 1
    except KeyboardInterrupt:
        return 0


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"not a port number: {port} (1 to 65535)")
    return port


def _taken_or_repeated(chosen: dict[str, int | None]) -> str | None:
    """Why the stack cannot start on these ports (the local stage's where none is chosen), or
    None: a port named twice, or one something already listens on."""
    configured = Layout.as_configured(8000)
    defaults = {
        "--port": 8000,
        "--endpoint-port": configured.endpoint_port,
        "--demo-port": configured.web_port,
        "--issuer-port": configured.issuer_port,
    }
    wanted = {flag: port or defaults[flag] for flag, port in chosen.items()}
    seen: dict[int, str] = {}
    for flag, port in wanted.items():
        if port in seen:
            return f"{seen[port]} and {flag} are both port {port}: give each its own"
        seen[port] = flag
        if not processes.port_is_free(port):
            holder = processes.port_holder(port)
            return (
                f"port {port} ({flag}) is already in use"
                + (f" by {holder}" if holder else "")
                + f": stop it, or choose another port with {flag}"
            )
    return None


def _capture_help(capture_dir: Path) -> str:
    return (
        f"\n\nEvery answered invocation is captured into {capture_dir}; compare it with the "
        "model's baseline:\n  .venv/bin/python -m scripts.drift_report --stage local "
        f"--capture {capture_dir}"
    )


def _signed_in_help(issuer_url: str) -> str:
    return (
        ' \\\n    -H "Authorization: Bearer $(.venv/bin/python -m scripts.local_token)"\n\n'
        f"(the proxy accepts only tokens of the local issuer at {issuer_url}; without one it "
        "answers 401)"
    )


def demo_page_query(proxy_url: str, issuer_url: str | None = None) -> str:
    """The demo page's settings, in its address: the proxy it calls, and the local issuer it
    signs in at when the stack signs in."""
    query = {"api": proxy_url}
    if issuer_url:
        query.update({"issuer": issuer_url, "client_id": local_keys.CLIENT_ID, "scope": SCOPES})
    return f"?{urlencode(query)}"


if __name__ == "__main__":
    sys.exit(main())
