"""One invocation, as a model container handles it: read the payload by its content type,
predict, answer in the format the caller accepts. Shared by the local endpoint and the
container, so both serve the model the same way."""

from __future__ import annotations

import json

from werkzeug.wrappers import Request, Response

from serving.model import ModelInputError, XGBoostModel, format_csv, format_json

# SageMaker's InvokeEndpoint payload limit; a container never sees more.
MAX_PAYLOAD_BYTES = 6 * 1024 * 1024


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
