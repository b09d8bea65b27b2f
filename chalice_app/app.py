"""Routes of the SageMaker proxy. Everything else lives in chalicelib/."""

from chalice import Chalice, Response
from chalice.app import Request

from chalicelib import service
from chalicelib.boundary import http_boundary
from chalicelib.cors import preflight

app = Chalice(app_name="sagemaker-proxy")
# Never on: it would send tracebacks to clients.
app.debug = False
app.register_middleware(http_boundary, "http")


@app.route("/predict", methods=["POST"], content_types=["application/json"])
def predict() -> dict:
    return service.predict(_request().raw_body or b"")


@app.route("/health", methods=["GET"])
def health() -> dict:
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


def _request() -> Request:
    request = app.current_request
    assert request is not None  # Chalice sets it before calling a view
    return request
