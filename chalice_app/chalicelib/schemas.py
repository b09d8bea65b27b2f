"""The request models: the contract's one definition, which the OpenAPI document is made from.
Record fields come from the model's signature, not from code. At run time the proxy validates with
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
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    RootModel,
    Tag,
    create_model,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema as cs

from chalicelib.signature import (
    BOOLEAN,
    CATEGORICAL,
    FLOAT32_MAX,
    INTEGER,
    SAFE_INTEGER,
    Feature,
    Signature,
)
from chalicelib.validation import (
    INVALID_BODY,
    INVALID_BODY_MESSAGE,
    category_schema,
    field_name,
    request_kind,
)

# pydantic's defaults accept NaN, inf, numeric strings and unknown keys: forbid them all.
STRICT = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class Category:
    """A categorical feature's value: one of its names (a string enum in the document),
    validated into its code by the run-time validator's own schema, bounded error and all."""

    def __init__(self, categories: tuple[str, ...]) -> None:
        self.categories = categories

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> cs.CoreSchema:
        return category_schema(self.categories)

    def __get_pydantic_json_schema__(
        self, schema: cs.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"type": "string", "enum": list(self.categories)}


def feature_type(feature: Feature) -> Any:
    """The annotation of one feature: its JSON type, bounds (a 32-bit float's range, or a
    whole number's, unless the signature sets tighter ones) and whether it may be null."""
    if feature.type == BOOLEAN:
        value: Any = bool
    elif feature.type == CATEGORICAL:
        value = Annotated[str, Category(feature.categories or ())]
    else:
        integer = feature.type == INTEGER
        limit = SAFE_INTEGER if integer else FLOAT32_MAX
        no_lower = feature.minimum is None and feature.exclusive_minimum is None
        no_upper = feature.maximum is None and feature.exclusive_maximum is None
        constraints = Field(
            gt=feature.exclusive_minimum,
            ge=-limit if no_lower else feature.minimum,
            lt=feature.exclusive_maximum,
            le=limit if no_upper else feature.maximum,
            # JSON Schema's "integer" is any multiple of 1, 3.0 included, as validated here.
            multiple_of=1.0 if integer else None,
            json_schema_extra={"type": "integer"} if integer else None,
        )
        value = Annotated[float, constraints]
    return value | None if feature.optional else value


def record_model(signature: Signature) -> type[BaseModel]:
    """One record: every feature by name; the optional ones may be null or left out. Fields
    are ``f0``, ``f1``... in the model's order, each with its feature's name as alias: a name
    can be anything a CSV header holds ("petal length (cm)", "json", "model_config")."""
    fields: dict[str, Any] = {
        field_name(index): (
            feature_type(feature),
            Field(
                default=None if feature.optional else ...,
                alias=feature.name,
                description=feature.description
                or feature.type + (", optional" if feature.optional else ""),
            ),
        )
        for index, feature in enumerate(signature.features)
    }
    return create_model("Record", __config__=STRICT, **fields)


@cache
def request_model(signature: Signature, max_batch_size: int) -> type[RootModel[Any]]:
    """``PredictRequest``: one record, or ``{"instances": [record, ...]}`` of 1..max_batch_size."""
    record = record_model(signature)
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
