"""CloudWatch metrics in the request's log line (embedded metric format): no API calls.

CloudWatch Logs turns the ``_aws`` block of a JSON log line into metrics. Written here rather
than with Powertools' Metrics: that package would add 2.1 MB to a 2.8 MB deployment package
(docs/benchmarks.md has the 3 MB goal), for a few lines of JSON.

Namespace ``METRICS_NAMESPACE`` (default ``SageMakerProxy``); dimension ``FunctionName`` (the
Lambda's name, ``local`` elsewhere):

- ``Requests`` (Count): every request.
- ``ValidationRejections`` (Count): 1 when the client's input was refused (400, 413, 415).
- ``UpstreamLatency`` (Milliseconds): the InvokeEndpoint call, when one was made.
- ``UpstreamErrors`` (Count), also by ``ErrorType`` (the error code the client got): SageMaker
  failed, throttled, timed out or was unavailable.
- ``AuthRefusals`` (Count), also by ``RefusalReason`` (``chalicelib.signin.tokens.Refusal``: Missing,
  Expired, BadSignature, WrongAudienceOrIssuer, Scope): a 401 or 403 of the proxy's sign-in
  check. Written only when one happens, as ``UpstreamErrors`` is.
"""

from __future__ import annotations

import time
from functools import cache
from typing import Any

DEFAULT_NAMESPACE = "SageMakerProxy"
VALIDATION_STATUSES = frozenset({400, 413, 415})


def add_metric_fields(
    line: dict[str, Any],
    status: int,
    upstream_ms: float | None,
    upstream_error: str | None,
    namespace: str = DEFAULT_NAMESPACE,
    function_name: str = "local",
    refusal: str | None = None,
) -> None:
    """Add to the log line the ``_aws`` directive, the dimensions and the values.
    ``namespace`` and ``function_name`` come from the stage's Settings; ``refusal`` is the
    class of a sign-in refusal (chalicelib/signin/auth.py)."""
    line["FunctionName"] = function_name
    line["Requests"] = 1
    line["ValidationRejections"] = int(status in VALIDATION_STATUSES and upstream_error is None)
    if upstream_ms is not None:
        line["UpstreamLatency"] = upstream_ms
    if upstream_error is not None:
        line["UpstreamErrors"] = 1
        line["ErrorType"] = upstream_error
    if refusal is not None:
        line["AuthRefusals"] = 1
        line["RefusalReason"] = refusal
    line["_aws"] = {
        "Timestamp": int(time.time() * 1000),
        "CloudWatchMetrics": _directives(
            namespace, upstream_ms is not None, upstream_error is not None, refusal is not None
        ),
    }


@cache
def _directives(
    namespace: str, upstream_called: bool, upstream_failed: bool, refused: bool
) -> list[Any]:
    """Which fields are metrics, by dimension set: the same few lists for every request (made
    once each, and only ever read)."""
    metrics = [
        {"Name": "Requests", "Unit": "Count"},
        {"Name": "ValidationRejections", "Unit": "Count"},
    ]
    if upstream_called:
        metrics.append({"Name": "UpstreamLatency", "Unit": "Milliseconds"})
    directives: list[dict[str, Any]] = [{"Dimensions": [["FunctionName"]], "Metrics": metrics}]
    if upstream_failed:
        metrics.append({"Name": "UpstreamErrors", "Unit": "Count"})
        directives.append(
            {
                "Dimensions": [["FunctionName", "ErrorType"]],
                "Metrics": [{"Name": "UpstreamErrors", "Unit": "Count"}],
            }
        )
    if refused:
        metrics.append({"Name": "AuthRefusals", "Unit": "Count"})
        directives.append(
            {
                "Dimensions": [["FunctionName", "RefusalReason"]],
                "Metrics": [{"Name": "AuthRefusals", "Unit": "Count"}],
            }
        )
    for directive in directives:
        directive["Namespace"] = namespace
    return directives
