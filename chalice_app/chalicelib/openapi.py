"""The OpenAPI 3.1 document, generated from the request and answer models."""

from __future__ import annotations

from functools import cache
from typing import Literal

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from chalicelib.responses import ErrorBody, HealthResponse, predict_response_model
from chalicelib.schemas import request_model
from chalicelib.signature import Signature

REF = "#/components/schemas/{model}"
Mode = Literal["validation", "serialization"]
ERROR_STATUSES = {
    "400": "The body is not valid JSON or does not match PredictRequest; see Errors.",
    "413": "The body, or the CSV it makes, is larger than the limit.",
    "415": "Content-Type is not application/json.",
    "422": "The model rejected the input.",
    "429": "The endpoint is throttling; retry after Retry-After seconds.",
    "502": "The model failed or answered something unexpected.",
    "503": "The endpoint is missing, not ready, or unavailable.",
    "504": "The model did not answer in time.",
}
# On stages that check sign-in tokens (chalicelib/signin/auth.py), every operation may also answer these.
SIGN_IN_STATUSES = {
    "401": "No token, or not a valid one; see WWW-Authenticate.",
    "403": "The token is valid but grants none of the scopes this API asks for.",
}
HEALTH_ERRORS = ("400", "429", "502", "503", "504")
WWW_AUTHENTICATE = {"WWW-Authenticate": {"schema": {"type": "string"}}}
BEARER = {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
RETRY_AFTER = {"Retry-After": {"schema": {"type": "string"}, "description": "Seconds to wait."}}
REQUEST_ID = {"X-Request-Id": {"schema": {"type": "string"}}}


@cache
def openapi_document(
    signature: Signature, max_batch_size: int, max_body_bytes: int, signed_in: bool = False
) -> dict:
    """The document for a stage: its model's record and prediction, its limits, and, when
    ``signed_in``, the bearer token every operation takes and the 401 and 403 it may answer."""
    request = request_model(signature, max_batch_size)
    predict_response = predict_response_model(signature)
    models: list[tuple[type[BaseModel], Mode]] = [
        (request, "validation"),
        (predict_response, "serialization"),
        (ErrorBody, "serialization"),
        (HealthResponse, "serialization"),
    ]
    refs, definitions = models_json_schema(models, ref_template=REF)
    schemas = definitions.get("$defs", {})

    def ref(model: type[BaseModel], mode: Mode) -> dict:
        return refs[(model, mode)]

    def answer(description: str, schema: dict, headers: dict | None = None) -> dict:
        return {
            "description": description,
            "headers": {**REQUEST_ID, **(headers or {})},
            "content": {"application/json": {"schema": schema}},
        }

    def errors(statuses: tuple[str, ...]) -> dict:
        error = ref(ErrorBody, "serialization")
        documented = {
            status: answer(
                ERROR_STATUSES[status], error, RETRY_AFTER if status in ("429", "503") else None
            )
            for status in statuses
        }
        if signed_in:
            documented.update(
                {
                    status: answer(description, error, WWW_AUTHENTICATE)
                    for status, description in SIGN_IN_STATUSES.items()
                }
            )
        return documented

    return {
        "openapi": "3.1.0",
        "info": {
            "title": "SageMaker proxy",
            "version": "1",
            "description": f"Request bodies are at most {max_body_bytes} bytes.",
        },
        "paths": {
            "/predict": {
                "post": {
                    "operationId": "predict",
                    "summary": "Predict for one record or a batch.",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": ref(request, "validation"),
                                **_examples(signature),
                            }
                        },
                    },
                    "responses": {
                        "200": answer("Predictions", ref(predict_response, "serialization")),
                        **errors(tuple(ERROR_STATUSES)),
                    },
                }
            },
            "/health": {
                "get": {
                    "operationId": "health",
                    "summary": "The proxy is up; with deep=true, the endpoint is InService.",
                    "parameters": [
                        {
                            "name": "deep",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string", "enum": ["true", "false"]},
                        }
                    ],
                    "responses": {
                        "200": answer("Healthy", ref(HealthResponse, "serialization")),
                        **errors(HEALTH_ERRORS),
                    },
                }
            },
            "/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document.",
                    "responses": {
                        "200": {
                            "description": "OpenAPI 3.1",
                            "headers": REQUEST_ID,
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        },
                        **errors(()),
                    },
                }
            },
        },
        "components": {
            "schemas": schemas,
            **({"securitySchemes": {"bearer": BEARER}} if signed_in else {}),
        },
        **({"security": [{"bearer": []}]} if signed_in else {}),
    }


def _examples(signature: Signature) -> dict:
    """The signature's example records (the example input it was made from), as a record and
    as a batch."""
    records = [example["record"] for example in signature.examples]
    if not records:
        return {}
    return {
        "examples": {
            "record": {"summary": "One record", "value": records[0]},
            "batch": {"summary": "A batch", "value": {"instances": records}},
        }
    }
