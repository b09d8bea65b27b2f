"""Routes of the SageMaker proxy. Everything else lives in chalicelib/."""

from chalice import Chalice, Response
from chalice.app import Request

from chalicelib import exchange, service
from chalicelib.bodies import HealthBody, PredictResponseBody
from chalicelib.boundary import http_boundary
from chalicelib.cors import preflight

app = Chalice(app_name="sagemaker-proxy")
# Never on: it would send tracebacks to clients.
app.debug = False
app.register_middleware(http_boundary, "http")


# Every content type reaches the view: Chalice's own match is too lenient
# (chalicelib/media_type.py), so the service checks it and answers 415 itself.
@app.route("/predict", methods=["POST"], content_types=["*/*"])
def predict() -> PredictResponseBody:
    request = _request()
    return service.predict(
        request.raw_body or b"",
        request.headers.get("content-type"),
        exchange.current(),
        _time_left(),
    )


@app.route("/health", methods=["GET"])
def health() -> HealthBody:
    query = _request().query_params
    return service.health(deep=query.get("deep") if query else None)


@app.route("/openapi.json", methods=["GET"])
def openapi() -> dict:
    return service.openapi()


@app.route("/predict", methods=["OPTIONS"])
def predict_preflight() -> Response:
    return preflight("POST,OPTIONS")


@app.route("/health", methods=["OPTIONS"])
def health_preflight() -> Response:
    return preflight("GET,OPTIONS")


def _time_left() -> float | None:
    """Seconds this invocation has left before Lambda (or `chalice local`) stops it."""
    context = app.lambda_context
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    return remaining() / 1000 if remaining else None


def _request() -> Request:
    request = app.current_request
    assert request is not None  # Chalice sets it before calling a view
    return request
