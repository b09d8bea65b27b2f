"""One invocation, as a model container handles it: read the payload by its content type,
predict, answer in the format the caller accepts. Shared by the local endpoint and the
container, so both serve the model the same way."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map
from werkzeug.wrappers import Request, Response

from serving.model import ModelInputError, XGBoostModel, format_csv, format_json

# SageMaker's InvokeEndpoint payload limit; a container never sees more.
MAX_PAYLOAD_BYTES = 6 * 1024 * 1024


class RoutedApp:
    """A WSGI app whose ``url_map`` endpoints name its methods; HTTP errors answer in JSON."""

    url_map: Map

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        request.max_content_length = MAX_PAYLOAD_BYTES
        try:
            rule, args = self.url_map.bind_to_environ(environ).match()
            response = getattr(self, rule)(request, **args)
        except HTTPException as error:  # 404, 405, 413
            response = json_response(error.code or 500, {"message": error.description})
        self.finish(response)
        return response(environ, start_response)

    def finish(self, response: Response) -> None:
        """Last touches on every answer."""


def json_response(status: int, body: dict[str, Any]) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


def media_type(header: str | None) -> str:
    return (header or "").split(";")[0].strip().lower()


def invoke(model: XGBoostModel, request: Request, accept_json_input: bool) -> Response:
    """Raises ModelInputError (with the status a container answers) for unreadable input.

    ``accept_json_input`` is False for the local endpoint, which behaves like the built-in
    XGBoost container (text/csv, libsvm and recordio-protobuf only)."""
    content_type = media_type(request.content_type)
    payload = request.get_data()  # raises RequestEntityTooLarge past max_content_length
    if content_type == "text/csv":
        rows = model.parse_csv(payload)
    elif content_type == "application/json" and accept_json_input:
        rows = model.parse_json(payload)
    else:
        raise ModelInputError(f"Content type {content_type or 'none'} is not supported", 415)
    probabilities = model.predict_rows(rows)
    accept = request.headers.get("Accept") or ""
    if "application/json" in accept:
        return Response(json.dumps(format_json(probabilities)), content_type="application/json")
    if accept and not any(kind in accept for kind in ("text/csv", "*/*")):
        raise ModelInputError(
            f"Accept {accept} is not supported: use text/csv or application/json", 406
        )
    return Response(format_csv(probabilities), content_type="text/csv")
