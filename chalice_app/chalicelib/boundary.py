"""The HTTP boundary: request id, error rendering, CORS and the log line, for every route."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from chalice import Response
from chalice.app import Request

from chalicelib import exchange, request_log
from chalicelib.cors import add_cors_headers
from chalicelib.errors import ApiError
from chalicelib.metrics import add_metric_fields
from chalicelib.settings import Settings, get_settings
from chalicelib.signin import auth


def http_boundary(event: Request, get_response: Callable[[Request], Response]) -> Response:
    """Chalice ``http`` middleware; it wraps Chalice's own 405 and 415 answers as well."""
    started = time.perf_counter()
    call = exchange.begin(_request_id(event))
    request_log.start(request_id=call.request_id, route=f"{event.method} {event.path}")
    upstream_error = refusal = None
    try:
        # Preflights carry no credentials (browsers send them bare): they stay open.
        if event.method != "OPTIONS":
            auth.authenticate(event.headers, event.lambda_context)
        response = get_response(event)
    except ApiError as error:
        response = error_response(error, call.request_id)
        request_log.add(error=error.code, detail=error.log_detail)
        call.upstream_ms = error.upstream_ms
        upstream_error = error.code if error.upstream else None
        refusal = auth.refusal_of(error)
    if isinstance(response.body, dict) and "Code" in response.body:
        response.body.setdefault("RequestId", call.request_id)
    response.headers["X-Request-Id"] = call.request_id
    settings = _settings()
    add_cors_headers(response, event.headers, settings.cors_allow_origins)
    upstream_ms = None if call.upstream_ms is None else round(call.upstream_ms, 2)
    last = {
        "status": response.status_code,
        "latency_ms": round((time.perf_counter() - started) * 1000, 2),
        "upstream_ms": upstream_ms,
    }
    add_metric_fields(
        last,
        response.status_code,
        upstream_ms,
        upstream_error,
        settings.metrics_namespace,
        settings.function_name,
        refusal,
    )
    request_log.emit(last)
    return response


def error_response(error: ApiError, request_id: str) -> Response:
    body: dict[str, Any] = {"Code": error.code, "Message": error.message, "RequestId": request_id}
    if error.problems is not None:
        body["Errors"] = error.problems
        body["ErrorCount"] = error.problem_count
    headers: dict[str, str | list[str]] = {}
    if error.retry_after is not None:
        headers["Retry-After"] = str(error.retry_after)
    if error.challenge is not None:
        headers["WWW-Authenticate"] = error.challenge
    return Response(body=body, status_code=error.status, headers=headers)


def _request_id(event: Request) -> str:
    """API Gateway's request id (what it logs and returns), else the Lambda's, else a new one."""
    request_id = (event.context or {}).get("requestId")
    if not request_id and event.lambda_context is not None:
        request_id = getattr(event.lambda_context, "aws_request_id", None)
    return str(request_id or uuid.uuid4())


def _settings() -> Settings:
    """The stage's settings, or the defaults when they cannot be read (the answer is then
    already a 503 that says so in the log): no CORS grant, the default metrics names."""
    try:
        return get_settings()
    except ApiError:
        return Settings(endpoint_name="")
