"""What the routes do: validate, predict, answer. One function per route.

Answers are plain dicts typed to mirror the models in ``responses`` (the OpenAPI source);
mypy, a test and the schemathesis run hold them to it.
"""

from __future__ import annotations

import time
from typing import Any

from pydantic_core import ValidationError

from chalicelib import errors, request_log
from chalicelib.bodies import HealthBody, PredictResponseBody
from chalicelib.clients import (
    get_body_reader,
    get_control_client,
    get_predictor,
    get_signature,
)
from chalicelib.exchange import Exchange
from chalicelib.media_type import is_json
from chalicelib.predictor import endpoint_status
from chalicelib.settings import get_settings
from chalicelib.signin.auth import get_auth_settings
from chalicelib.validation import describe_problems

# DescribeEndpoint's EndpointStatus values during which the endpoint serves traffic: blue/green
# updates and every autoscaling change are Updating, and the old fleet serves while it rolls
# back or after a rollback failed (botocore's sagemaker service model, shape EndpointStatus;
# DESIGN.md). Creating, Failed, OutOfService and Deleting serve nothing.
SERVING_STATUSES = frozenset(
    {"InService", "Updating", "SystemUpdating", "RollingBack", "UpdateRollbackFailed"}
)
# Seconds the proxy keeps for itself after the call: its answer and the log line.
ANSWER_RESERVE_SECONDS = 0.5


def predict(
    raw_body: bytes | str,
    content_type: str | None,
    exchange: Exchange,
    time_left: float | None = None,
) -> PredictResponseBody:
    """Validate the raw body once, forward its rows to the endpoint, label the answer.

    ``time_left``: seconds until the caller gives up (under Lambda, the invocation's remaining
    time), so the proxy answers 504 itself rather than the Lambda timing out."""
    # Counted from now: making the client on a cold start spends some of it.
    deadline = None if time_left is None else time.monotonic() + time_left - ANSWER_RESERVE_SECONDS
    if not is_json(content_type):
        raise errors.UnsupportedMediaType(log_detail=f"content type {content_type!r}"[:200])
    settings = get_settings()
    if len(raw_body) > settings.max_body_bytes:
        raise errors.BodyTooLarge(settings.max_body_bytes)
    reader = get_body_reader()
    try:
        rows = reader.rows(raw_body)
    except ValidationError as error:
        problems = describe_problems(error)
        count = error.error_count()
        request_log.add(invalid_fields=[problem["field"] for problem in problems])
        message = None
        if count > len(problems):
            message = (
                f"The request body is invalid: {count} problems, the first {len(problems)} listed."
            )
        raise errors.InvalidRequest(message, problems=problems, problem_count=count) from None
    request_log.add(batch_size=len(rows), endpoint=settings.endpoint_name)
    result = get_predictor().predict(rows, deadline)
    exchange.upstream_ms = result.upstream_ms
    request_log.add(variant=result.variant, upstream_request_id=result.upstream_request_id)
    return {
        "predictions": result.predictions,
        "variant": result.variant,
        "request_id": exchange.request_id,
    }


def health(deep: str | None) -> HealthBody:
    """Liveness; with ``deep=true`` also DescribeEndpoint, 503 unless the endpoint serves."""
    if deep not in (None, "true", "false"):
        raise errors.InvalidRequest(
            "The query parameter deep must be true or false.",
            problems=[{"field": "deep", "reason": "Input should be 'true' or 'false'"}],
        )
    if deep != "true":
        return {"status": "ok"}
    settings = get_settings()
    status = endpoint_status(
        get_control_client(), settings.endpoint_name, settings.worst_case_seconds()
    )
    request_log.add(endpoint=settings.endpoint_name, endpoint_status=status)
    if status not in SERVING_STATUSES:
        raise errors.EndpointUnavailable(log_detail=f"endpoint status {status}", retry_after=30)
    return {"status": "ok", "endpoint_status": status}


def openapi() -> dict[str, Any]:
    # Imported here, not at the top: no prediction needs it, and cold starts pay for imports.
    from chalicelib.openapi import openapi_document

    settings = get_settings()
    signed_in = get_auth_settings().checks_tokens
    return openapi_document(
        get_signature(), settings.max_batch_size, settings.max_body_bytes, signed_in
    )
