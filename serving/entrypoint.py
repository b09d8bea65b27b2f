"""The container's entry point: SageMaker runs the image with the argument ``serve``.

``python -m serving.entrypoint serve`` replaces itself with gunicorn (so gunicorn is the
process that receives SIGTERM and drains its workers). Settings, from the environment:

- ``SAGEMAKER_BIND_TO_PORT``: port (default 8080, what SageMaker calls)
- ``SAGEMAKER_MODEL_SERVER_WORKERS``: worker processes (default: one per CPU)
- ``SAGEMAKER_MODEL_SERVER_TIMEOUT``: seconds a request may take (default 60, SageMaker's own limit)
- ``SAGEMAKER_GRACEFUL_TIMEOUT``: seconds in-flight requests get after SIGTERM (default 20)
- ``SERVING_ACCESS_LOG``: ``true`` for a line per request on stdout (default: none)
- ``OMP_NUM_THREADS``: 1 unless set, as the built-in container sets it (serving.py,
  ``set_default_serving_env_if_unspecified`` at v3.0-5): each worker predicts on one thread;
  left unset, every worker's OpenMP threads spin against the others' (seen: 4 per worker on 2
  cores, a third of the throughput).

Workers are gunicorn's threaded ones, which keep a client's connection open between requests
(SageMaker's front end and the built-in container's gevent workers keep them alive; a sync
worker closes each after one answer). One thread each: a worker answers one request at a time,
as a built-in container's worker does.
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


def access_log(environ: Mapping[str, str]) -> list[str]:
    """A line per request on stdout with ``SERVING_ACCESS_LOG=true``; none by default, as the
    built-in container writes none (writing it cost a fifth of a one-row request's time)."""
    raw = environ.get("SERVING_ACCESS_LOG", "").lower()
    if raw not in ("", "true", "false"):
        raise SettingError(f"SERVING_ACCESS_LOG={raw!r} must be true or false")
    return ["--access-logfile=-"] if raw == "true" else []


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
        "--worker-class=gthread",
        "--threads=1",
        # As the built-in container's workers (serve.py: "keepalive": 60).
        "--keep-alive=60",
        *access_log(environ),
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
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.execv(command[0], command)
    return 0  # not reached: execv replaces this process


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
