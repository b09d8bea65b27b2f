"""CORS for the one origin a stage allows.

Decided per request from the stage's ``CORS_ALLOW_ORIGIN`` rather than with Chalice's
``CORSConfig``, which is fixed when app.py is imported: that way `chalice local`,
the deployed Lambda and the test client all read the same stage variable, and error
answers carry the headers too.
"""

from __future__ import annotations

from chalice import Response

ALLOWED_HEADERS = "Content-Type,Authorization,X-Api-Key,X-Amz-Date,X-Amz-Security-Token"
EXPOSED_HEADERS = "X-Request-Id,Retry-After"
PREFLIGHT_MAX_AGE_SECONDS = "600"


def add_cors_headers(
    response: Response, request_origin: str | None, allowed_origin: str | None
) -> None:
    response.headers["Vary"] = "Origin"
    if allowed_origin and request_origin == allowed_origin:
        response.headers["Access-Control-Allow-Origin"] = allowed_origin
        response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS


def preflight(methods: str) -> Response:
    """Answer an OPTIONS preflight; the origin header is added (or not) by the boundary."""
    return Response(
        body="",
        status_code=204,
        headers={
            "Access-Control-Allow-Methods": methods,
            "Access-Control-Allow-Headers": ALLOWED_HEADERS,
            "Access-Control-Max-Age": PREFLIGHT_MAX_AGE_SECONDS,
        },
    )
