"""Chalice for an API that takes and gives JSON only: the same routing, middleware and answers,
with less work per request.

Chalice's REST handler is general: for every request it matches the answer's Content-Type
against the API's binary types twice (each a regular expression split, whatever the list
holds), builds the middleware chain anew, and checks the request's Content-Type even for a
route that takes any. With no binary types, a route that takes any content type and has no CORS
configuration of Chalice's, none of that can change an answer, and it was a fifth of the proxy's
own time on a warm 1-record request (docs/benchmarks.md). Such routes (POST /predict and the
preflights) are served here; every other request (405s, the 415s of routes that take JSON only,
routes with Chalice's CORS, an API given binary types) takes Chalice's own path. A test holds
both to the same answers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalice import Chalice, ChaliceViewError, Response
from chalice.app import (
    ChaliceError,
    ChaliceUnhandledError,
    MiddlewareHandler,
    Request,
    RestAPIEventHandler,
    RouteEntry,
)


class JsonChalice(Chalice):
    def __init__(self, app_name: str) -> None:
        super().__init__(app_name=app_name)
        # No binary media types: Chalice matches every response's Content-Type against them.
        self.api.binary_types = []
        self._chain: Callable[[Request], Response] | None = None
        self._chain_length = -1

    def __call__(self, event: Any, context: Any) -> dict[str, Any]:
        where = event.get("requestContext") or {}
        entry = self._plain_route(where.get("resourcePath"), where.get("httpMethod"))
        if entry is None:
            return super().__call__(event, context)
        # What Chalice.__call__ and RestAPIEventHandler do for such a route, in one place.
        self.lambda_context = context
        request = self.current_request = Request(event, context)
        try:
            response = self._middleware_chain()(request)
        except Exception:
            response = self._unhandled(request)
        return response.to_dict()

    def _plain_route(self, path: str | None, method: str | None) -> RouteEntry | None:
        """The route, when nothing but its view and the middleware can shape its answer."""
        entry = self.routes.get(path or "", {}).get(method or "")
        if entry is None or self.api.binary_types or entry.cors is not None:
            return None
        # Chalice lower-cases the route's types before looking for "*/*", which has no case.
        if "*/*" not in entry.content_types:
            return None
        return entry

    def _middleware_chain(self) -> Callable[[Request], Response]:
        """The HTTP middleware around the view, made once (again if middleware is added)."""
        if self._chain is None or self._chain_length != len(self.middleware_handlers):
            chain: Callable[[Request], Response] = self._view_response
            for middleware in reversed(list(self._get_middleware_handlers("http"))):
                chain = MiddlewareHandler(handler=middleware, next_handler=chain)
            self._chain, self._chain_length = chain, len(self.middleware_handlers)
        return self._chain

    def _view_response(self, request: Request) -> Response:
        """RestAPIEventHandler._get_view_function_response, for the request's route."""
        entry = self.routes[request.path][request.method]
        arguments = {name: (request.uri_params or {})[name] for name in entry.view_args}
        try:
            response = entry.view_function(**arguments)
            if not isinstance(response, Response):
                response = Response(body=response)
            for header, value in response.headers.items():
                if "\n" in value:
                    raise ChaliceError(f"Bad value for header '{header}': {value!r}")
        except ChaliceUnhandledError:
            raise  # for the middleware
        except ChaliceViewError as error:
            response = Response(
                body={"Code": error.__class__.__name__, "Message": str(error)},
                status_code=error.STATUS_CODE,
            )
        except Exception:
            response = self._unhandled(request)
        return response

    def _unhandled(self, request: Request) -> Response:
        """Chalice's own 500, logged as Chalice logs it (called while handling the exception)."""
        handler = RestAPIEventHandler(self.routes, self.api, self.log, self.debug)
        handler.current_request = request
        return handler._unhandled_exception_to_response()
