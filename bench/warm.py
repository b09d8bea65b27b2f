"""The warm request, timed: the proxy's handler against the bare tutorial Lambda's, in this
process, on the same events (used by ``python -m bench`` and its per-objective and signed-in
runs)."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable
from typing import Any

from bench.events import LambdaContext, predict_event
from bench.harness import HANDLER_PATH, BenchModel
from bench.report import Figure


def per_request_ms(handler: Callable[[dict, Any], dict], event: dict, calls: int) -> float:
    context = LambdaContext()
    started = time.perf_counter()
    for _ in range(calls):
        response = handler(event, context)
    elapsed = time.perf_counter() - started
    assert response["statusCode"] == 200, response
    return elapsed / calls * 1000


def warm_requests(
    environment: dict[str, str], rounds: int, model: BenchModel, sizes: set[int] | None = None
) -> list[Figure]:
    """``sizes``: the batch sizes to time (default 1, 100 and the stage's maximum)."""
    os.environ.update(environment)
    sys.path[:0] = HANDLER_PATH
    import bare_lambda
    from app import app

    from chalicelib.settings import Settings

    max_batch = Settings.from_environ().max_batch_size
    figures = []
    with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
        for rows in sorted(sizes or {1, 100, max_batch}):
            event = predict_event(rows, model.signature)
            calls = max(5, 100 // rows)
            for handler in (app, bare_lambda.handler):  # warm up clients and caches
                per_request_ms(handler, event, calls)
            ours: list[float] = []
            bare: list[float] = []
            for round_ in range(rounds):
                pair = [(app, ours), (bare_lambda.handler, bare)]
                for handler, into in pair if round_ % 2 == 0 else reversed(pair):
                    into.append(per_request_ms(handler, event, calls))
            if rows == 1:
                figures.append(
                    Figure(
                        "Warm request, 1 record",
                        "ms",
                        ours,
                        bare,
                        "<= 1.10x bare",
                        lambda f: f.ratio is not None and f.ratio <= 1.10,
                    )
                )
            figures.append(
                Figure(
                    f"Batch of {rows}{' (the maximum)' if rows == max_batch else ''}",
                    "rows/s",
                    [rows / ms * 1000 for ms in ours],
                    [rows / ms * 1000 for ms in bare],
                    ">= 0.88x bare",
                    lambda f: f.ratio is not None and f.ratio >= 0.88,
                )
            )
    return figures
