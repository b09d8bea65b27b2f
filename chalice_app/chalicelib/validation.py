"""Validating request bodies and SageMaker's answers with pydantic-core alone.

The pydantic models in ``schemas`` stay the contract's one definition (the OpenAPI document, the
docs, the tests). At run time the proxy validates with the same core schema built here directly:
importing pydantic's model layer and creating the models cost a cold start 117-194 ms where this
costs 32-36 ms (docs/benchmarks.md). A test holds the two to each other: the schema built here
equals the one pydantic derives from the models, node for node, and both give the same answers
and the same errors for the same bodies.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic_core import SchemaValidator, ValidationError
from pydantic_core import core_schema as cs

from chalicelib.metadata import ModelMetadata

# Longest field path echoed back to a client (unknown keys are client-chosen text).
MAX_FIELD_PATH_CHARS = 120
# Problems listed in one answer: a 64 KB body of unknown keys has thousands, and listing them
# all made a 389 KB answer. The answer gives the total beside the first ones.
MAX_PROBLEMS_LISTED = 20
INVALID_BODY = "invalid_body"
INVALID_BODY_MESSAGE = 'Body must be a JSON object: one record or {"instances": [...]}'


class Record:
    """A validated record: its features as attributes (in ``__dict__``, in training order)."""


class PredictBatch:
    instances: list[Record]


class PredictRequest:
    root: Record | PredictBatch


def request_kind(value: Any) -> str | None:
    """Which of the two bodies a JSON value is: the union's discriminator."""
    if isinstance(value, dict):
        return "batch" if "instances" in value else "record"
    return None


def _strict(title: str) -> cs.CoreConfig:
    # pydantic's defaults accept NaN, inf, numeric strings and unknown keys: forbid them all.
    return cs.CoreConfig(
        extra_fields_behavior="forbid", strict=True, allow_inf_nan=False, title=title
    )


def request_schema(metadata: ModelMetadata, max_batch_size: int) -> cs.CoreSchema:
    """The core schema pydantic makes of ``schemas.request_model`` (one record, or
    ``{"instances": [record, ...]}`` of 1..max_batch_size), built without pydantic."""
    fields = {
        feature.name: cs.model_field(
            cs.float_schema(gt=feature.exclusive_minimum, le=feature.maximum)
        )
        for feature in metadata.features
    }
    record = cs.model_schema(
        Record,
        cs.model_fields_schema(fields, model_name="Record"),
        config=_strict("Record"),
        ref="Record",
    )
    instances = cs.list_schema(
        cs.definition_reference_schema("Record"), min_length=1, max_length=max_batch_size
    )
    batch = cs.model_schema(
        PredictBatch,
        cs.model_fields_schema({"instances": cs.model_field(instances)}, model_name="PredictBatch"),
        config=_strict("PredictBatch"),
        ref="PredictBatch",
    )
    body = cs.tagged_union_schema(
        {
            "record": cs.definition_reference_schema("Record"),
            "batch": cs.definition_reference_schema("PredictBatch"),
        },
        discriminator=request_kind,
        custom_error_type=INVALID_BODY,
        custom_error_message=INVALID_BODY_MESSAGE,
    )
    root = cs.model_schema(
        PredictRequest, body, root_model=True, config=cs.CoreConfig(title="PredictRequest")
    )
    return cs.definitions_schema(root, [record, batch])


@cache
def request_validator(metadata: ModelMetadata, max_batch_size: int) -> SchemaValidator:
    return SchemaValidator(request_schema(metadata, max_batch_size))


def feature_rows(
    raw_body: bytes | str, metadata: ModelMetadata, max_batch_size: int
) -> list[list[float]]:
    """The body's records as rows in training feature order; ValidationError when invalid."""
    request = request_validator(metadata, max_batch_size).validate_json(raw_body)
    root = request.root
    records = root.instances if isinstance(root, PredictBatch) else [root]
    names = metadata.feature_names
    # The float schema hands back floats, integers in the body included.
    return [[record.__dict__[name] for name in names] for record in records]


def describe_problems(error: ValidationError) -> list[dict[str, str]]:
    """Field path and reason of the first problems (at most MAX_PROBLEMS_LISTED); never the
    rejected value."""
    problems = []
    items = error.errors(include_url=False, include_input=False, include_context=False)
    for item in items[:MAX_PROBLEMS_LISTED]:
        # The first element of a location is the union tag ("record"/"batch"): not the client's.
        location = (
            item["loc"][1:]
            if item["loc"] and item["loc"][0] in ("record", "batch")
            else item["loc"]
        )
        path = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in location)
        problems.append(
            {"field": (path.lstrip(".") or "body")[:MAX_FIELD_PATH_CHARS], "reason": item["msg"]}
        )
    return problems


def _probability_list() -> cs.CoreSchema:
    return cs.list_schema(cs.float_schema(ge=0.0, le=1.0, strict=True, allow_inf_nan=False))


# SageMaker's answer: the built-in XGBoost container's JSON for ``multi:softprob``
# (serve_utils.py:533-545 at v3.0-5), {"predictions": [{"score": [p, ...]}, ...]}.
MODEL_OUTPUT = SchemaValidator(
    cs.typed_dict_schema(
        {
            "predictions": cs.typed_dict_field(
                cs.list_schema(
                    cs.typed_dict_schema({"score": cs.typed_dict_field(_probability_list())})
                )
            )
        },
        config=cs.CoreConfig(strict=True, allow_inf_nan=False),
    )
)


def model_scores(payload: bytes) -> list[list[float]]:
    """The rows of scores in SageMaker's answer; ValidationError when it is not that shape."""
    return [row["score"] for row in MODEL_OUTPUT.validate_json(payload)["predictions"]]
