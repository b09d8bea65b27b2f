"""Answer models: what the API returns. They are the source of the OpenAPI document; what a
prediction holds depends on the model's objective (``answers``)."""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any, Literal, cast

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, create_model

from chalicelib.signature import Answer, Signature

Probability = Annotated[float, Field(ge=0.0, le=1.0)]
CLOSED = ConfigDict(extra="forbid")


def _probabilities(labels: tuple[str, ...]) -> Any:
    """Class label to probability, every class present: an object with exactly those keys (so
    typed clients get a field per class)."""
    schema = {
        "type": "object",
        "properties": {label: {"type": "number", "minimum": 0, "maximum": 1} for label in labels},
        "required": list(labels),
        "additionalProperties": False,
        "description": "Probability of every class, by class label.",
    }
    return Annotated[dict[str, Probability], WithJsonSchema(schema)]


def _named_numbers(names: tuple[str, ...], description: str) -> Any:
    """A model's several outputs by name, every one present (a field each for typed clients)."""
    schema = {
        "type": "object",
        "properties": {name: {"type": "number"} for name in names},
        "required": list(names),
        "additionalProperties": False,
        "description": description,
    }
    return Annotated[dict[str, float], WithJsonSchema(schema)]


@cache
def prediction_model(signature: Signature) -> type[BaseModel]:
    """``Prediction``: ``label`` for a classifier (with ``probabilities`` when the model gives
    them, ``score`` for ``binary:logitraw``'s margin), ``quantiles`` or ``values`` by name for a
    model of several outputs, ``value`` for every other objective."""
    answer = signature.answer
    fields: dict[str, Any] = {}
    if answer is Answer.VALUE:
        fields["value"] = (float, Field(description="The model's prediction."))
    elif answer is Answer.QUANTILES:
        fields["quantiles"] = (
            _named_numbers(signature.outputs, "The model's prediction at each quantile, by level."),
            ...,
        )
    elif answer is Answer.VALUES:
        fields["values"] = (
            _named_numbers(signature.outputs, "The model's prediction of each target, by name."),
            ...,
        )
    else:
        # Literal of the labels (a tuple subscript is a Literal of its items): an enum in JSON.
        label = cast(Any, Literal)[signature.labels]
        fields["label"] = (label, Field(description="The predicted class."))
    if answer in (Answer.PROBABILITIES, Answer.POSITIVE_PROBABILITY):
        fields["probabilities"] = (_probabilities(signature.labels), ...)
    if answer is Answer.MARGIN:
        fields["score"] = (
            float,
            Field(description="The raw margin: the positive class above 0, the negative below."),
        )
    # Closed: a prediction holds exactly its objective's keys.
    return create_model("Prediction", __config__=CLOSED, **fields)


@cache
def predict_response_model(signature: Signature) -> type[BaseModel]:
    return create_model(
        "PredictResponse",
        __config__=CLOSED,
        predictions=(
            cast(Any, list)[prediction_model(signature)],
            Field(description="One prediction per record, in order."),
        ),
        variant=(str | None, Field(description="The production variant that answered.")),
        request_id=(
            str,
            Field(description="Also in the X-Request-Id header; quote it in reports."),
        ),
    )


class Problem(BaseModel):
    field: str = Field(
        description='Path of the offending field, such as "instances[0].sepal_width".'
    )
    reason: str


class ErrorBody(BaseModel):
    """Every error, Chalice's own included: ``Code`` and ``Message`` as Chalice writes them."""

    Code: str
    Message: str
    RequestId: str
    Errors: list[Problem] | None = Field(
        default=None,
        description="For validation errors: the first problems found, at most 20.",
        max_length=20,
    )
    ErrorCount: int | None = Field(
        default=None, ge=1, description="With Errors: how many problems there are in all."
    )


class HealthResponse(BaseModel):
    status: str
    endpoint_status: str | None = Field(default=None, description="Only with ?deep=true.")
