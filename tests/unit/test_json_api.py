"""JsonChalice answers every request as Chalice itself does when an API has no binary types:
the same routing, 405s, 415s, middleware, view errors and 500s, the same answer dicts."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from chalice import Chalice, ConflictError, Response
from chalice.app import ChaliceUnhandledError, RestAPIEventHandler

from chalicelib.json_api import JsonChalice


def build(app: Chalice, content_types: list[str] | None = None) -> Chalice:
    """The same small API on either class: routes that take JSON only (Chalice's default) or
    ``content_types``, views that fail each way, and a middleware that marks every answer."""
    types = {"content_types": content_types} if content_types else {}
    app.api.binary_types = []
    app.log.setLevel(logging.CRITICAL)  # the 500s log their traceback; not wanted here

    def mark(event: Any, get_response: Callable[[Any], Response]) -> Response:
        if event.path == "/middleware-fails":
            raise RuntimeError("secret detail")
        try:
            response = get_response(event)
        except ChaliceUnhandledError as error:  # let through by Chalice, for the middleware
            response = Response(body={"Handled": str(error)}, status_code=418)
        response.headers["X-Seen"] = event.method
        return response

    app.register_middleware(mark, "http")

    @app.route("/things", methods=["GET", "POST"], **types)
    def things() -> dict:
        request = app.current_request
        assert request is not None
        return {"method": request.method, "body": request.raw_body.decode()}

    @app.route("/things/{name}", methods=["PUT"], content_types=["*/*"])
    def thing(name: str) -> Response:
        return Response(body=f"<{name}>", headers={"Content-Type": "text/plain"})

    @app.route("/refused", methods=["GET"], **types)
    def refused() -> None:
        raise ConflictError("no")

    @app.route("/for-the-middleware", methods=["GET"], **types)
    def for_the_middleware() -> None:
        raise ChaliceUnhandledError("rendered by the middleware")

    @app.route("/broken", methods=["GET"], **types)
    def broken() -> None:
        raise RuntimeError("secret detail")

    @app.route("/bad-header", methods=["GET"], **types)
    def bad_header() -> Response:
        return Response(body="x", headers={"X-Evil": "a\nb"})

    @app.route("/middleware-fails", methods=["GET"], **types)
    def middleware_fails() -> dict:
        return {}

    @app.route("/binary", methods=["GET"], **types)
    def binary() -> Response:
        return Response(body=b"\x00\x01", headers={"Content-Type": "application/octet-stream"})

    return app


def event(method: str, resource: str, content_type: str | None = "application/json") -> dict:
    headers = {"Content-Type": content_type} if content_type else {}
    return {
        "resource": resource,
        "path": resource.replace("{name}", "x"),
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {key: [value] for key, value in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": {"name": "x"} if "{name}" in resource else None,
        "stageVariables": None,
        "requestContext": {"resourcePath": resource, "httpMethod": method, "requestId": "r"},
        "body": '{"a": 1}' if method in ("POST", "PUT") else None,
        "isBase64Encoded": False,
    }


EVENTS = {
    "get": event("GET", "/things"),
    "post": event("POST", "/things"),
    "method not allowed": event("DELETE", "/things"),
    "unsupported media type": event("POST", "/things", "text/plain"),
    "no content type": event("POST", "/things", None),
    "any content type, path parameter": event("PUT", "/things/{name}", "image/png"),
    "view error": event("GET", "/refused"),
    "an error for the middleware": event("GET", "/for-the-middleware"),
    "unhandled exception": event("GET", "/broken"),
    "newline in a header": event("GET", "/bad-header"),
    "a binary answer with no binary types": event("GET", "/binary"),
    "the middleware fails": event("GET", "/middleware-fails"),
}


# Routes that take JSON only go Chalice's own way; routes that take any type, JsonChalice's.
@pytest.mark.parametrize("content_types", [None, ["*/*"]], ids=["json-only", "any-type"])
@pytest.mark.parametrize("name", list(EVENTS))
def test_every_answer_is_chalices_own(name: str, content_types: list[str] | None) -> None:
    ours = build(JsonChalice(app_name="same"), content_types)(EVENTS[name], None)
    chalices = build(Chalice(app_name="same"), content_types)(EVENTS[name], None)
    assert ours == chalices
    if name != "the middleware fails":  # it never got to mark the answer
        assert ours["headers"]["X-Seen"] == EVENTS[name]["httpMethod"]


def test_an_api_given_binary_types_is_served_by_chalice_unchanged() -> None:
    app = build(JsonChalice(app_name="binary"))
    app.api.binary_types = ["application/octet-stream"]
    binary = {**event("GET", "/binary"), "headers": {"Accept": "application/octet-stream"}}
    answer = app(binary, None)
    assert answer["isBase64Encoded"] is True
    assert answer["body"] == "AAE="
    # And without asking for it, Chalice's own refusal.
    assert app(event("GET", "/binary"), None)["statusCode"] == 400


def test_routes_that_take_any_type_never_reach_chalices_handler(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The comparison above covers JsonChalice's own path only if it is taken.
    def refuse(*args: Any) -> None:
        raise AssertionError("Chalice's handler was used")

    monkeypatch.setattr(RestAPIEventHandler, "__call__", refuse)
    app = build(JsonChalice(app_name="fast"), ["*/*"])
    for name in ("get", "post", "view error", "unhandled exception", "the middleware fails"):
        assert app(EVENTS[name], None)["statusCode"] in (200, 409, 500), name
