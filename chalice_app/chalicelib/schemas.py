"""The request models: the contract's one definition, which the OpenAPI document is made from.
Record fields come from the model metadata, not from code. At run time the proxy validates with
the same core schema built without pydantic's model layer (``validation``); a test holds the two
to each other."""

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
    create_model,
)

from chalicelib.metadata import ModelMetadata
from chalicelib.validation import INVALID_BODY, INVALID_BODY_MESSAGE, request_kind

# pydantic's defaults accept NaN, inf, numeric strings and unknown keys: forbid them all.
STRICT = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


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
            request_kind,
            custom_error_type=INVALID_BODY,
            custom_error_message=INVALID_BODY_MESSAGE,
        ),
    ]
    return create_model("PredictRequest", __base__=RootModel[body])  # type: ignore[valid-type]
