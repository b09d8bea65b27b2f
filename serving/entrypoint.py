"""The container's entry point: SageMaker runs the image with the argument ``serve``.

``python -m serving.entrypoint serve`` replaces itself with gunicorn (so gunicorn is the
process that receives SIGTERM and drains its workers). Settings, from the environment:

- ``SAGEMAKER_BIND_TO_PORT``: port (default 8080, what SageMaker calls)
- ``SAGEMAKER_MODEL_SERVER_WORKERS``: worker processes (default: one per CPU)
- ``SAGEMAKER_MODEL_SERVER_TIMEOUT``: seconds a request may take (default 60, SageMaker's own limit)
- ``SAGEMAKER_GRACEFUL_TIMEOUT``: seconds in-flight requests get after SIGTERM (default 20)
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping


class SettingError(ValueError):
    pass


def _positive_int(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name, "")
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingError(f"{name}={raw!r} is not a whole number") from None
    if value <= 0:
        raise SettingError(f"{name} must be positive")
    return value


def gunicorn_command(environ: Mapping[str, str]) -> list[str]:
    port = _positive_int(environ, "SAGEMAKER_BIND_TO_PORT", 8080)
    workers = _positive_int(environ, "SAGEMAKER_MODEL_SERVER_WORKERS", os.cpu_count() or 1)
    timeout = _positive_int(environ, "SAGEMAKER_MODEL_SERVER_TIMEOUT", 60)
    graceful = _positive_int(environ, "SAGEMAKER_GRACEFUL_TIMEOUT", 20)
    return [
        sys.executable,
        "-m",
        "gunicorn",
        f"--bind=0.0.0.0:{port}",
        f"--workers={workers}",
        f"--timeout={timeout}",
        f"--graceful-timeout={graceful}",
        "--access-logfile=-",
        "--error-logfile=-",
        # gunicorn 27's control socket lives under $HOME, which the image's user has none of and
        # a read-only root filesystem could not hold; nothing here uses it.
        "--no-control-socket",
        "serving.container:create_app()",
    ]


def main(argv: list[str]) -> int:
    if argv != ["serve"]:
        print(
            "usage: serve  (SageMaker starts serving containers with this argument; "
            "this image does not train)",
            file=sys.stderr,
        )
        return 2
    try:
        command = gunicorn_command(os.environ)
    except SettingError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2
    os.execv(command[0], command)
    return 0  # not reached: execv replaces this process


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
