"""CORS for the origins a stage allows.

Decided per request from the stage's ``CORS_ALLOW_ORIGINS`` rather than with Chalice's
``CORSConfig``, which takes one origin and is fixed when app.py is imported: that way
`chalice local`, the deployed Lambda and the test client all read the same stage variable,
a stage can allow its production site, its staging site and developers' machines, and error
answers carry the headers too. The answer names the request's own origin when it is listed
(with ``Vary: Origin``, so caches keep one answer per origin), and grants nothing otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from chalice import Response

ALLOWED_HEADERS = "Content-Type,Authorization,X-Api-Key,X-Amz-Date,X-Amz-Security-Token"
EXPOSED_HEADERS = "X-Request-Id,Retry-After,WWW-Authenticate"
PREFLIGHT_MAX_AGE_SECONDS = "600"
# An origin as a browser serializes it (RFC 6454, section 6.2): scheme, host, and a port only
# when it is not the scheme's default; lower case, no path, no trailing slash, no wildcard.
_ORIGIN = re.compile(r"https?://(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.?)+(?::[0-9]{1,5})?")


# The stage variable, and the one-origin form of earlier versions, read when it is unset.
ORIGINS_VARIABLE = "CORS_ALLOW_ORIGINS"
OLD_ORIGIN_VARIABLE = "CORS_ALLOW_ORIGIN"


def allowed_origins(environ: Mapping[str, str]) -> tuple[str, ...]:
    """A stage's origins; ValueError names the variable and the entry that is not an origin."""
    name = ORIGINS_VARIABLE if environ.get(ORIGINS_VARIABLE) else OLD_ORIGIN_VARIABLE
    try:
        return parse_origins(environ.get(name, ""))
    except ValueError as error:
        raise ValueError(f"{name}: {error}") from None


def parse_origins(raw: str) -> tuple[str, ...]:
    """The origins in a comma-separated list; ValueError names the first that is not one."""
    origins = tuple(entry.strip() for entry in raw.split(",") if entry.strip())
    for origin in origins:
        if not _ORIGIN.fullmatch(origin) or origin.endswith("."):
            raise ValueError(
                f"{origin!r} is not an origin: scheme://host[:port] as a browser sends it, "
                "lower case, no path or trailing slash, never *"
            )
    return origins


def add_cors_headers(
    response: Response, request_headers: Mapping[str, str], allowed_origins: tuple[str, ...]
) -> None:
    """``request_headers``: read only when the stage allows some origin."""
    response.headers["Vary"] = "Origin"
    if not allowed_origins:
        return
    request_origin = request_headers.get("origin")
    if request_origin and request_origin in allowed_origins:
        response.headers["Access-Control-Allow-Origin"] = request_origin
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
