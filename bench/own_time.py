"""The proxy's own time per request, with the network taken out: both handlers call a client
whose ``invoke_endpoint`` answers at once in process, as the model would.

``python -m bench.own_time [ROWS]``: thread time, best of 40 blocks of 200 requests each,
alternating; prints the bare Lambda's, the proxy's and the difference (the proxy's own cost
over the bare Lambda's, with caches warm: `make bench` sees it 2-3 times larger, between calls
that go through the network).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import time
from typing import Any

from bench.events import LambdaContext, predict_event
from bench.harness import HANDLER_PATH, BenchModel, stage_environment


class InstantRuntime:
    """``invoke_endpoint`` answering every row with the model's score for its first example."""

    def __init__(self, answer: bytes) -> None:
        self._answer = answer

    def invoke_endpoint(self, **_: Any) -> dict[str, Any]:
        return {
            "Body": io.BytesIO(self._answer),
            "InvokedProductionVariant": "AllTraffic",
            "ResponseMetadata": {"RequestId": "instant"},
        }


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    model = BenchModel.of()
    # Nothing listens there: the client is replaced before the first call.
    os.environ.update(stage_environment("http://127.0.0.1:9", model))
    sys.path[:0] = HANDLER_PATH
    import bare_lambda
    from app import app

    from chalicelib import clients

    answer = json.dumps({"predictions": [{"score": json.loads(model.score)}] * rows}).encode()
    runtime = InstantRuntime(answer)
    bare_lambda.runtime = runtime
    clients.get_predictor()._client = runtime
    event, context = predict_event(rows, model.signature), LambdaContext()
    best = {"bare Lambda": float("inf"), "proxy": float("inf")}
    handlers = {"bare Lambda": bare_lambda.handler, "proxy": app}
    with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
        assert app(event, context)["statusCode"] == 200
        for _ in range(40):
            for name, handler in handlers.items():
                started = time.thread_time()
                for _ in range(200):
                    handler(event, context)
                best[name] = min(best[name], (time.thread_time() - started) / 200 * 1e6)
    own = best["proxy"] - best["bare Lambda"]
    print(
        f"{rows} record(s): bare Lambda {best['bare Lambda']:.1f} µs, "
        f"proxy {best['proxy']:.1f} µs, the proxy's own {own:.1f} µs"
    )


if __name__ == "__main__":
    main()
