"""GET /openapi.json: generated from the pydantic models, true to the routes and the errors."""

from __future__ import annotations

from types import UnionType
from typing import Annotated, Any, get_args, get_origin, get_type_hints

import jsonschema
import pytest
from app import app
from chalice.test import Client
from openapi_spec_validator import validate
from pydantic import BaseModel, ValidationError

from chalicelib import bodies, errors, responses
from chalicelib.metadata import load_metadata
from chalicelib.schemas import request_model

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


def test_every_error_the_proxy_raises_is_documented_for_predict(document: dict[str, Any]) -> None:
    raised = {str(kind.status) for kind in errors.ApiError.__subclasses__()}
    documented = set(document["paths"]["/predict"]["post"]["responses"])
    assert raised | {"200", "415"} == documented


def test_record_fields_and_bounds_come_from_the_model_metadata(document: dict[str, Any]) -> None:
    record = document["components"]["schemas"]["Record"]
    features = load_metadata().features
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
        request_model(load_metadata(), 100).model_validate(body)
        validator_ok = True
    except ValidationError:
        validator_ok = False
    assert documented_ok == validator_ok


def _plain(annotation: Any) -> Any:
    """An annotation without its pydantic constraints (``Annotated[float, Field(...)]``), with
    nested models as the dicts that mirror them."""
    if annotation is responses.Prediction:
        return bodies.PredictionBody
    if get_origin(annotation) is Annotated:
        return _plain(get_args(annotation)[0])
    arguments = get_args(annotation)
    if not arguments:
        return annotation
    origin = get_origin(annotation)
    plain = tuple(_plain(argument) for argument in arguments)
    return plain[0] | plain[1] if origin is UnionType else origin[plain]  # type: ignore[index]


@pytest.mark.parametrize(
    ("body", "model"),
    [
        (bodies.PredictionBody, responses.Prediction),
        (bodies.PredictResponseBody, responses.PredictResponse),
        (bodies.HealthBody, responses.HealthResponse),
    ],
)
def test_the_answer_dicts_mirror_the_models_the_document_is_made_from(
    body: type, model: type[BaseModel]
) -> None:
    # The proxy builds answers as these typed dicts (fast); OpenAPI comes from the models.
    hints = get_type_hints(body)
    assert set(hints) == set(model.model_fields)
    for name, field in model.model_fields.items():
        if name in body.__required_keys__:  # type: ignore[attr-defined]
            assert field.is_required(), name
            assert _plain(field.annotation) == _plain(hints[name]), name
        else:  # NotRequired[T] in the dict is T | None with a default in the model
            assert not field.is_required(), name
            assert _plain(field.annotation) == _plain(hints[name]) | None, name
