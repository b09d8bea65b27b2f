"""Routes of the SageMaker proxy. Everything else lives in chalicelib/."""

from typing import Any
from urllib.parse import unquote_plus

from chalice import Response
from chalice.app import CloudWatchEvent, Request
from pydantic_core import to_json

from chalicelib import exchange, service
from chalicelib.batch.triggers import ARRIVAL_FUNCTION, SCHEDULE_FUNCTION, BatchTriggers
from chalicelib.bodies import HealthBody, PredictResponseBody
from chalicelib.boundary import http_boundary
from chalicelib.cors import preflight
from chalicelib.drift_watch.schedule import FUNCTION as DRIFT_FUNCTION
from chalicelib.drift_watch.schedule import DriftSchedule
from chalicelib.json_api import JsonChalice
from chalicelib.signin.auth import gateway_authorizer

# Chalice, for an API of JSON only: no binary media types (chalicelib/json_api.py).
app = JsonChalice(app_name="sagemaker-proxy")
# Never on: it would send tracebacks to clients.
app.debug = False
app.register_middleware(http_boundary, "http")
# API Gateway's own check for stages that sign in with Cognito or IAM (chalicelib/signin/auth.py);
# the boundary checks tokens as well. Preflights stay open: browsers send them bare.
_authorizer = gateway_authorizer()


# Every content type reaches the view: Chalice's own match is too lenient
# (chalicelib/media_type.py), so the service checks it and answers 415 itself.
@app.route("/predict", methods=["POST"], content_types=["*/*"], authorizer=_authorizer)
def predict() -> Response:
    request = _request()
    answer: PredictResponseBody = service.predict(
        request.raw_body or b"",
        request.headers.get("content-type"),
        exchange.current(),
        _time_left(),
    )
    return json_response(answer)


@app.route("/health", methods=["GET"], authorizer=_authorizer)
def health() -> HealthBody:
    query = _request().query_params
    return service.health(deep=query.get("deep") if query else None)


@app.route("/openapi.json", methods=["GET"], authorizer=_authorizer)
def openapi() -> dict:
    return service.openapi()


@app.route("/predict", methods=["OPTIONS"])
def predict_preflight() -> Response:
    return preflight("POST,OPTIONS")


@app.route("/health", methods=["OPTIONS"])
def health_preflight() -> Response:
    return preflight("GET,OPTIONS")


# The demo page builds its form from the document; with an API key the browser asks first.
@app.route("/openapi.json", methods=["OPTIONS"])
def openapi_preflight() -> Response:
    return preflight("GET,OPTIONS")


# Batch scoring, for stages that ask for it (scripts.batch_triggers): a Batch Transform job for
# new CSV under the stage's input prefix, as it arrives and/or on a schedule. Each is a Lambda of
# its own, with its own policy (.chalice/policy-<stage>-batch.json); a stage without them has none.
_batch = BatchTriggers.from_environ()
if _batch.on_arrival:

    @app.on_cw_event(_batch.arrival_pattern(), name=ARRIVAL_FUNCTION)
    def score_on_arrival(event: CloudWatchEvent) -> dict[str, Any]:
        from chalicelib.batch import starts as batch_starts

        key = event.detail["object"]["key"]
        # S3 may send the key URL-encoded ("a+b.csv" for "a b.csv"): either form may be it.
        return batch_starts.start_job(arrived=[key, unquote_plus(key)])


if _batch.schedule:

    @app.schedule(_batch.schedule, name=SCHEDULE_FUNCTION)
    def score_on_schedule(event: CloudWatchEvent) -> dict[str, Any]:
        from chalicelib.batch import starts as batch_starts

        return batch_starts.start_job(arrived=None)


# Drift of the model's input and output, for stages that ask for it (scripts.drift_schedule):
# the last window of the endpoint's capture against the model's baseline, published as metrics.
# A Lambda of its own, with its own policy (.chalice/policy-<stage>-drift.json).
_drift = DriftSchedule.from_environ()
if _drift.schedule:

    @app.schedule(_drift.schedule, name=DRIFT_FUNCTION)
    def watch_drift(event: CloudWatchEvent) -> dict[str, Any]:
        from chalicelib.drift_watch import run as drift_watch

        return drift_watch.watch(event.time)


def json_response(body: PredictResponseBody) -> Response:
    """The answer as JSON, written by pydantic-core: a 100-row answer took json.dumps (what
    Chalice uses for a dict) 259 µs and pydantic-core 60 µs here, the same text but for numbers
    under 1e-4 (``1e-7`` for ``1e-07``), which JSON reads alike."""
    return Response(
        body=to_json(body).decode(), status_code=200, headers={"Content-Type": "application/json"}
    )


def _time_left() -> float | None:
    """Seconds this invocation has left before Lambda (or `chalice local`) stops it."""
    context = app.lambda_context
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    return remaining() / 1000 if remaining else None


def _request() -> Request:
    request = app.current_request
    assert request is not None  # Chalice sets it before calling a view
    return request
