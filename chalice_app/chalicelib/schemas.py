"""Request and answer models. Record fields come from the model metadata, not from code."""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    RootModel,
    Tag,
    ValidationError,
    create_model,
)

from chalicelib.metadata import ModelMetadata

# pydantic's defaults accept NaN, inf, numeric strings and unknown keys: forbid them all.
STRICT = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)
# Longest field path echoed back to a client (unknown keys are client-chosen text).
MAX_FIELD_PATH_CHARS = 120
# Problems listed in one answer: a 64 KB body of unknown keys has thousands, and listing them
# all made a 389 KB answer. The answer gives the total beside the first ones.
MAX_PROBLEMS_LISTED = 20


def record_model(metadata: ModelMetadata) -> type[BaseModel]:
    """One flower: every feature named, in cm, finite and within plausible bounds."""
    fields: dict[str, Any] = {
        feature.name: (
            float,
            Field(
                gt=feature.exclusive_minimum,
                le=feature.maximum,
                description=f"{feature.name.replace('_', ' ')} in {feature.unit}",
            ),
        )
        for feature in metadata.features
    }
    return create_model("Record", __config__=STRICT, **fields)


def _request_kind(value: Any) -> str | None:
    if isinstance(value, dict):
        return "batch" if "instances" in value else "record"
    return None


@cache
def request_model(metadata: ModelMetadata, max_batch_size: int) -> type[RootModel[Any]]:
    """``PredictRequest``: one record, or ``{"instances": [record, ...]}`` of 1..max_batch_size."""
    record = record_model(metadata)
    batch = create_model(
        "PredictBatch",
        __config__=STRICT,
        instances=(list[record], Field(min_length=1, max_length=max_batch_size)),  # type: ignore[valid-type]
    )
    body = Annotated[
        Annotated[record, Tag("record")] | Annotated[batch, Tag("batch")],  # type: ignore[valid-type]
        Discriminator(
            _request_kind,
            custom_error_type="invalid_body",
            custom_error_message='Body must be a JSON object: one record or {"instances": [...]}',
        ),
    ]
    return create_model("PredictRequest", __base__=RootModel[body])  # type: ignore[valid-type]


def feature_rows(request: RootModel[Any], feature_names: tuple[str, ...]) -> list[list[float]]:
    """The request's records as rows in training feature order."""
    records = getattr(request.root, "instances", None) or [request.root]
    return [[float(getattr(record, name)) for name in feature_names] for record in records]


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


class ModelScores(BaseModel):
    model_config = ConfigDict(strict=True, allow_inf_nan=False)
    score: list[Annotated[float, Field(ge=0.0, le=1.0)]]


class ModelOutput(BaseModel):
    """SageMaker's answer: the built-in XGBoost container's JSON for ``multi:softprob``
    (serve_utils.py:533-545 at v3.0-5). Not the API's response (``responses``)."""

    model_config = ConfigDict(strict=True, allow_inf_nan=False)
    predictions: list[ModelScores]
