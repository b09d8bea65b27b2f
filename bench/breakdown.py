"""Where the warm request's extra time goes: the proxy taken apart, layer by layer.

``python -m bench.breakdown [ROWS]``: each variant serves the same request (one record, or a
batch of ROWS) against the instant fake runtime, alternating in blocks; ratios are paired
medians against the bare Lambda.
"""

from __future__ import annotations

import contextlib
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from bench.events import LambdaContext, predict_event
from bench.harness import HANDLER_PATH, BenchModel, fake_runtime, stage_environment

Handler = Callable[[dict, Any], Any]


def variants(model: BenchModel, rows: int) -> dict[str, Handler]:
    import bare_lambda
    from app import app
    from chalice import Chalice
    from pydantic_core import to_json

    from chalicelib import clients, service
    from chalicelib.exchange import Exchange

    event = predict_event(rows, model.signature)
    app(event, LambdaContext())  # makes the client
    predictor = clients.get_predictor()
    reader = clients.get_body_reader()
    row = reader.rows(event["body"])
    log_line = {"request_id": "bench", "route": "POST /predict", "status": 200, "latency_ms": 1.0}
    log_line.update((f"field{index}", index) for index in range(16))

    def floor(event: dict, context: Any) -> dict:
        """The same work with no Chalice and no boundary: validate, CSV, call (under its
        deadline), label, the JSON answer, a log line of about the same size."""
        result = predictor.predict(reader.rows(event["body"]))
        answer = {"predictions": result.predictions, "variant": result.variant, "request_id": "b"}
        sys.stdout.write(to_json(log_line).decode() + "\n")
        sys.stdout.flush()
        return {"statusCode": 200, "body": to_json(answer).decode()}

    minimal = Chalice(app_name="minimal")

    @minimal.route("/predict", methods=["POST"], content_types=["application/json"])
    def minimal_predict() -> dict:
        predictor.predict(row)
        return {}

    return {
        "bare Lambda": bare_lambda.handler,
        "our client call only (botocore, standard retries)": lambda e, c: predictor.predict(row),
        "our service: validate, CSV, call, label": lambda e, c: service.predict(
            e["body"], "application/json", Exchange("bench")
        ),
        "the floor: the same work, no Chalice, no boundary": floor,
        "bare Chalice route + our client call": minimal,
        "the proxy: Chalice, middleware, service, log line": app,
    }


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    rounds, calls = (60, 50) if rows == 1 else (60, 10)
    model = BenchModel.of()
    with fake_runtime(model) as url:
        os.environ.update(stage_environment(url, model))
        sys.path[:0] = HANDLER_PATH
        handlers = variants(model, rows)
        event, context = predict_event(rows, model.signature), LambdaContext()
        times: dict[str, list[float]] = {name: [] for name in handlers}
        # A new order each round: whichever runs right after another reads slower here.
        shuffled = random.Random(0)
        with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
            for _ in range(rounds):
                order = list(handlers.items())
                shuffled.shuffle(order)
                for name, handler in order:
                    started = time.perf_counter()
                    for _ in range(calls):
                        handler(event, context)
                    times[name].append((time.perf_counter() - started) / calls * 1000)
    bare = times["bare Lambda"]
    print("| variant | ms per request (median) | / bare Lambda (paired median) |")
    print("| --- | --- | --- |")
    for name, values in times.items():
        ratio = statistics.median(v / b for v, b in zip(values, bare, strict=True))
        print(f"| {name} | {statistics.median(values):.3f} | {ratio:.3f} |")


if __name__ == "__main__":
    main()
