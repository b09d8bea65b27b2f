"""One invocation, as a model container handles it: read the payload by its content type,
predict, answer in the format the caller accepts. Shared by the local endpoint and the
container, so both serve the model the same way."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from typing import Any

import numpy as np
import xgboost as xgb
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map
from werkzeug.wrappers import Request, Response

from serving.model import ModelInputError, XGBoostModel, format_batch, format_csv, json_bytes

CSV = "text/csv"
JSON = "application/json"


class RoutedApp:
    """A WSGI app whose ``url_map`` endpoints name its methods; HTTP errors answer in JSON."""

    url_map: Map

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        try:
            rule, args = self.url_map.bind_to_environ(environ).match()
            response = getattr(self, rule)(request, **args)
        except HTTPException as error:  # 404, 405
            response = json_response(error.code or 500, {"message": error.description})
        self.finish(response)
        return response(environ, start_response)

    def finish(self, response: Response) -> None:
        """Last touches on every answer."""


def json_response(status: int, body: dict[str, Any]) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


def text_response(status: int, text: str) -> Response:
    """An error as the built-in container's Flask ``Response(response=str(e), status=...)``
    sends it (serve.py:207-235 at v3.0-5)."""
    return Response(text, status=status, content_type="text/html; charset=utf-8")


def media_type(header: str | None) -> str:
    """The part before the first ``;``, lower-cased: what ``cgi.parse_header`` gives the
    container (data_utils.py:100-103 and serve.py:172 at v3.0-5)."""
    return (header or "").split(";")[0].strip().lower()


def _parameters(header: str | None) -> dict[str, str]:
    """``name=value`` parameters after the media type, as ``cgi.parse_header`` reads them."""
    parameters = {}
    for part in (header or "").lower().split(";")[1:]:
        name, _, value = part.partition("=")
        parameters[name.strip()] = value.strip().strip('"')
    return parameters


# serve.py:31 at v3.0-5. This stand-in writes JSON and CSV; it answers 406 to the other two.
SUPPORTED_ACCEPTS = (
    "application/json",
    "application/jsonlines",
    "application/x-recordio-protobuf",
    "text/csv",
)
WRITTEN_ACCEPTS = ("application/json", "text/csv")


def parse_accept(header: str | None) -> str:
    """serve.py:163-179: matched exactly after parsing, so ``application/json, text/csv`` is
    406; none or ``*/*`` means SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT, else text/csv."""
    accept = media_type(header)
    if not accept or accept == "*/*":
        return os.environ.get("SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT", "text/csv")
    if accept not in WRITTEN_ACCEPTS:
        raise ModelInputError(
            f"Accept type {header} is not supported. Please use supported accept types: "
            f"{list(SUPPORTED_ACCEPTS)}.",
            406,
        )
    return accept


def invoke(model: XGBoostModel, request: Request, inputs: frozenset[str]) -> Response:
    """One invocation, in the order the built-in container's ``invocations()`` takes its steps
    (serve.py:207-249 at v3.0-5). Raises ModelInputError with the status it answers.

    ``inputs``: the content types read besides CSV's aliases (JSON rows in this project's image)."""
    payload = request.get_data()
    if not payload:
        return Response(status=204)  # serve.py:209-211
    content_type = media_type(request.content_type)
    data: np.ndarray | xgb.DMatrix
    if content_type in (CSV, "csv") and CSV in inputs:
        label_size = _parameters(request.content_type).get("label_size", "1")
        if label_size != "1":  # data_utils.py:106-113
            raise ModelInputError(
                f"{request.content_type} is not an accepted csv ContentType. "
                "Optional parameter label_size must be equal to 1",
                415,
            )
        data = model.parse_csv(payload)
    elif content_type == JSON and JSON in inputs:
        data = model.parse_json(payload)
    else:
        # The container reads a missing Content-Type as libsvm and also takes recordio-protobuf
        # (data_utils.py:97-121); this stand-in reads CSV only and refuses the rest, as the
        # container refuses types it does not know (serve.py:213-217).
        raise ModelInputError(f"Content type {content_type or 'none'} is not supported", 415)
    probabilities = model.predict(data)
    accept = parse_accept(request.headers.get("Accept"))
    # serve.py:30 reads it once, any non-empty value; read per call here, so one process can
    # serve both forms (SageMaker sets it only in a transform job's container).
    if os.environ.get("SAGEMAKER_BATCH"):
        return Response(format_batch(probabilities), content_type=accept)
    if accept == "application/json":
        return Response(json_bytes(probabilities), content_type="application/json")
    # Flask's mimetype="text/csv" (serve.py:249) adds the charset.
    return Response(format_csv(probabilities), content_type="text/csv; charset=utf-8")
