"""GET /openapi.json: generated from the pydantic models, true to the routes and the errors."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any, get_type_hints

import jsonschema
import pytest
from app import app
from chalice.test import Client
from openapi_spec_validator import validate
from pydantic import ValidationError

from chalicelib import bodies, errors, responses
from chalicelib.answers import AnswerReader
from chalicelib.openapi import openapi_document
from chalicelib.responses import predict_response_model, prediction_model
from chalicelib.schemas import request_model
from chalicelib.signature import OBJECTIVES, Answer, Signature, load_signature
from foundation.paths import IRIS_SIGNATURE
from tests.signatures import signature_for

SETOSA = {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}


@pytest.fixture
def document(api: Client) -> dict[str, Any]:
    response = api.http.get("/openapi.json")
    assert response.status_code == 200
    return response.json_body


def test_document_is_valid_openapi(document: dict[str, Any]) -> None:
    validate(document)  # raises on any violation of the OpenAPI 3.1 schema
    assert document["openapi"] == "3.1.0"


def test_document_lists_exactly_the_routes_the_app_serves(document: dict[str, Any]) -> None:
    documented = {
        (path, method.upper()) for path, item in document["paths"].items() for method in item
    }
    served = {
        (path, method)
        for path, methods in app.routes.items()
        for method in methods
        if method != "OPTIONS"  # CORS preflights are for browsers, not API clients
    }
    assert documented == served


def test_every_error_the_proxy_raises_is_documented_for_predict() -> None:
    raised = {str(kind.status) for kind in errors.ApiError.__subclasses__()}
    signed_in = openapi_document(load_signature(IRIS_SIGNATURE), 100, 65536, signed_in=True)
    documented = set(signed_in["paths"]["/predict"]["post"]["responses"])
    assert raised | {"200", "415"} == documented


def test_a_signed_in_stage_documents_its_bearer_token_and_stays_valid() -> None:
    document = openapi_document(load_signature(IRIS_SIGNATURE), 100, 65536, signed_in=True)
    validate(document)
    assert document["security"] == [{"bearer": []}]
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    for item in document["paths"].values():
        for operation in item.values():
            assert {"401", "403"} <= set(operation["responses"])
            assert "WWW-Authenticate" in operation["responses"]["401"]["headers"]


def test_a_stage_without_sign_in_documents_no_token(document: dict[str, Any]) -> None:
    assert "security" not in document
    assert "401" not in document["paths"]["/predict"]["post"]["responses"]


def test_record_fields_and_bounds_come_from_the_signature(document: dict[str, Any]) -> None:
    record = document["components"]["schemas"]["Record"]
    features = load_signature(IRIS_SIGNATURE).features
    assert record["required"] == [feature.name for feature in features]
    assert record["additionalProperties"] is False
    for feature in features:
        assert record["properties"][feature.name]["exclusiveMinimum"] == feature.exclusive_minimum
        assert record["properties"][feature.name]["maximum"] == feature.maximum
    batch = document["components"]["schemas"]["PredictBatch"]["properties"]["instances"]
    assert (batch["minItems"], batch["maxItems"]) == (1, 100)


@pytest.mark.parametrize(
    "body",
    [
        SETOSA,
        {"instances": [SETOSA] * 100},
        {"instances": [SETOSA] * 101},
        {"instances": []},
        {**SETOSA, "colour": "blue"},
        {**SETOSA, "sepal_length": "5.1"},
        {**SETOSA, "sepal_length": True},
        {**SETOSA, "sepal_length": 0},
        {**SETOSA, "sepal_length": 100},
        {**SETOSA, "sepal_length": 100.5},
        {"instances": SETOSA},
        [SETOSA],
        {},
    ],
)
def test_document_and_validator_agree(document: dict[str, Any], body: Any) -> None:
    schema = {"$ref": "#/components/schemas/PredictRequest", **document}
    documented_ok = jsonschema.Draft202012Validator(schema).is_valid(body)
    try:
        request_model(load_signature(IRIS_SIGNATURE), 100).model_validate(body)
        validator_ok = True
    except ValidationError:
        validator_ok = False
    assert documented_ok == validator_ok


# Models of several outputs (#33): a quantile regression's levels, a multi-target's names.
SEVERAL = {
    "quantiles": replace(signature_for("reg:quantileerror"), quantiles=(0.1, 0.5, 0.9)),
    "targets": replace(signature_for("count:poisson"), targets=("visits", "orders")),
}


def signature_of(kind: str) -> Signature:
    return SEVERAL[kind] if kind in SEVERAL else signature_for(kind)


@pytest.mark.parametrize("objective", [*sorted(OBJECTIVES), *SEVERAL])
def test_each_objectives_answers_are_what_its_document_says(objective: str) -> None:
    # Given a signature for this objective and the container's answer for three rows
    signature = signature_of(objective)
    reader = AnswerReader(signature)
    scores = container_scores(signature, rows=3)
    payload = json.dumps({"predictions": [{"score": score} for score in scores]}).encode()
    # When the proxy reads it
    predictions = reader.predictions(payload, expected_rows=3)
    # Then every prediction validates against the document's PredictResponse, and nothing else
    # (a key of another objective, a label the model lacks) would
    document = openapi_document(signature, 100, 65536)
    schema = {"$ref": "#/components/schemas/PredictResponse", **document}
    answer = {"predictions": predictions, "variant": "AllTraffic", "request_id": "r"}
    validator = jsonschema.Draft202012Validator(schema)
    assert validator.is_valid(answer), list(validator.iter_errors(answer))
    assert predict_response_model(signature).model_validate(answer)
    other = {"value": 1.0} if signature.is_classifier else {"label": "cat"}
    assert not validator.is_valid({**answer, "predictions": [{**predictions[0], **other}]})
    if signature.outputs:
        # Every output by its name, and no other: one dropped or one more is not the model's
        (key,) = predictions[0]
        named = dict(predictions[0][key])
        fewer = {key: dict(list(named.items())[1:])}
        more = {key: {**named, "another": 1.0}}
        for wrong in (fewer, more, {"value": 1.0}):
            assert not validator.is_valid({**answer, "predictions": [wrong]})
    if signature.is_classifier:
        wrong = {**predictions[0], "label": "not a class"}
        assert not validator.is_valid({**answer, "predictions": [wrong]})


def container_scores(signature: Signature, rows: int) -> list[Any]:
    """What the built-in container answers per row for the signature's objective."""
    answer = signature.answer
    if answer is Answer.PROBABILITIES:
        return [[0.7, 0.2, 0.1], [0.1, 0.1, 0.8], [0.3, 0.4, 0.3]][:rows]
    if answer in (Answer.QUANTILES, Answer.VALUES):
        return [
            [-1.5 + row + output for output in range(len(signature.outputs))] for row in range(rows)
        ]
    if answer is Answer.CLASS_INDEX:
        return [float(i % len(signature.labels)) for i in range(rows)]
    if answer is Answer.POSITIVE_PROBABILITY:
        return [0.2, 0.9, 0.5][:rows]
    return [-1.5, 0.25, 3.0][:rows]


def test_the_health_dict_mirrors_its_model() -> None:
    # The proxy builds answers as typed dicts (fast); OpenAPI comes from the models.
    hints = get_type_hints(bodies.HealthBody)
    fields = responses.HealthResponse.model_fields
    assert set(hints) == set(fields)
    assert fields["status"].is_required() and hints["status"] is str
    assert not fields["endpoint_status"].is_required()
    assert fields["endpoint_status"].annotation == hints["endpoint_status"] | None


def test_prediction_dict_has_every_key_any_objective_answers() -> None:
    keys = set()
    for objective in [*OBJECTIVES, *SEVERAL]:
        keys |= set(prediction_model(signature_of(objective)).model_fields)
    assert keys == set(get_type_hints(bodies.PredictionBody))
