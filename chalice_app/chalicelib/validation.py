"""Validating request bodies with pydantic-core alone, by the model's signature.

The pydantic models in ``schemas`` stay the contract's one definition (the OpenAPI document, the
docs, the tests). At run time the proxy validates with the same core schema built here directly:
importing pydantic's model layer and creating the models cost a cold start 117-194 ms where this
costs 32-36 ms (docs/benchmarks.md). A test holds the two to each other: the schema built here
equals the one pydantic derives from the models, node for node, and both give the same answers
and the same errors for the same bodies.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache, cached_property
from operator import itemgetter
from typing import Any

from pydantic_core import SchemaValidator, ValidationError
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

# One value of a row as validated: None is a missing value (an optional feature left out), an
# int a category's code.
Cell = float | bool | int | None

# Longest field path echoed back to a client (unknown keys are client-chosen text).
MAX_FIELD_PATH_CHARS = 120
# Of a categorical feature's names, how many (and how much of each) an error lists.
CATEGORIES_LISTED = 20
CATEGORY_NAME_CHARS = 40
# Problems listed in one answer: a 64 KB body of unknown keys has thousands, and listing them
# all made a 389 KB answer. The answer gives the total beside the first ones.
MAX_PROBLEMS_LISTED = 20
INVALID_BODY = "invalid_body"
INVALID_BODY_MESSAGE = 'Body must be a JSON object: one record or {"instances": [...]}'


class Record:
    """A validated record: its features as attributes (in ``__dict__``)."""


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


def field_name(index: int) -> str:
    """A record's field for the feature at ``index``: the feature's name is its alias, so any
    name a CSV header holds is a feature name (none clashes with Python or pydantic)."""
    return f"f{index}"


@cache
def row_getter(count: int) -> Callable[[dict[str, Any]], list[Cell]]:
    """A record's values in the model's order: C's itemgetter where there are several (its
    tuple is a row to json.dumps), a list of the one otherwise."""
    if count == 1:
        return lambda fields: [fields["f0"]]
    return itemgetter(*(field_name(index) for index in range(count)))  # type: ignore[return-value]


def feature_schema(feature: Feature) -> cs.CoreSchema:
    """One feature's value: a finite number (within its bounds, or what a 32-bit float holds),
    a whole number, or a boolean; null or left out when the feature is optional."""
    value: cs.CoreSchema
    if feature.type == BOOLEAN:
        value = cs.bool_schema()
    elif feature.type == CATEGORICAL:
        value = category_schema(feature.categories or ())
    else:
        # A whole number is a number that is a multiple of 1, as JSON Schema's "integer" is:
        # 3.0 is 3 (JSON does not tell them apart, and Python's json writes 3.0).
        integer = feature.type == INTEGER
        limit = SAFE_INTEGER if integer else FLOAT32_MAX
        bounds: dict[str, Any] = {
            "multiple_of": 1.0 if integer else None,
            "gt": feature.exclusive_minimum,
            "ge": feature.minimum,
            "lt": feature.exclusive_maximum,
            "le": feature.maximum,
        }
        if feature.exclusive_minimum is None and feature.minimum is None:
            bounds["ge"] = -limit
        if feature.exclusive_maximum is None and feature.maximum is None:
            bounds["le"] = limit
        value = cs.float_schema(
            **{key: bound for key, bound in bounds.items() if bound is not None}
        )
    if feature.optional:
        return cs.with_default_schema(cs.nullable_schema(value), default=None)
    return value


@cache
def category_codes(categories: tuple[str, ...]) -> Callable[[str], int]:
    """A category's name to its code, the index the model reads (one function per list, so the
    pydantic model's schema and this one are equal)."""
    return {name: code for code, name in enumerate(categories)}.__getitem__


def categories_message(categories: tuple[str, ...]) -> str:
    """The reason an unknown category gets: the names allowed, the first CATEGORIES_LISTED of
    them cut to CATEGORY_NAME_CHARS each, never the name that was sent."""
    shown = [
        repr(name if len(name) <= CATEGORY_NAME_CHARS else name[:CATEGORY_NAME_CHARS] + "...")
        for name in categories[:CATEGORIES_LISTED]
    ]
    more = len(categories) - len(shown)
    return "Input should be one of " + ", ".join(shown) + (f" and {more} more" if more else "")


def category_schema(categories: tuple[str, ...]) -> cs.CoreSchema:
    """A category by its name, a JSON string of the list, validated into its code."""
    return cs.no_info_after_validator_function(
        category_codes(categories),
        cs.custom_error_schema(
            cs.literal_schema(list(categories)),
            custom_error_type="unknown_category",
            custom_error_message=categories_message(categories),
        ),
    )


def request_schema(signature: Signature, max_batch_size: int) -> cs.CoreSchema:
    """The core schema pydantic makes of ``schemas.request_model`` (one record, or
    ``{"instances": [record, ...]}`` of 1..max_batch_size), built without pydantic."""
    fields = {
        field_name(index): cs.model_field(
            feature_schema(feature), validation_alias=feature.name, serialization_alias=feature.name
        )
        for index, feature in enumerate(signature.features)
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
def request_validator(signature: Signature, max_batch_size: int) -> SchemaValidator:
    return SchemaValidator(request_schema(signature, max_batch_size))


@cache
def record_validator(signature: Signature) -> SchemaValidator:
    """One record alone, as a line of a batch file is: the API's rules and errors for a record
    (a key named "instances" is an unknown feature here, not a batch)."""
    return _kind_validator(signature, "Record", 1)


@cache
def batch_validator(signature: Signature, max_batch_size: int) -> SchemaValidator:
    """``{"instances": [record, ...]}`` alone."""
    return _kind_validator(signature, "PredictBatch", max_batch_size)


def _kind_validator(signature: Signature, kind: str, max_batch_size: int) -> SchemaValidator:
    definitions = request_schema(signature, max_batch_size)
    assert definitions["type"] == "definitions"
    return SchemaValidator(
        cs.definitions_schema(cs.definition_reference_schema(kind), definitions["definitions"])
    )


class BodyReader:
    """One signature's request bodies made into rows, by validators made once (looking them up
    per request hashed the signature: 2 µs for 4 features, more for wide models)."""

    def __init__(self, signature: Signature, max_batch_size: int) -> None:
        self.signature = signature
        self.max_batch_size = max_batch_size
        self._row = row_getter(len(signature.features))

    # Each made on first use: a cold start that serves one record needs one of the three.
    @cached_property
    def _either(self) -> SchemaValidator:
        return request_validator(self.signature, self.max_batch_size)

    @cached_property
    def _batch(self) -> SchemaValidator:
        return batch_validator(self.signature, self.max_batch_size)

    @cached_property
    def _record(self) -> SchemaValidator:
        return record_validator(self.signature)

    def rows(self, raw_body: bytes | str) -> list[Sequence[Cell]]:
        """The body's records as rows in the model's feature order; ValidationError when
        invalid. A cell is a float (the schema hands integers back as floats), a bool, or None
        (missing).

        The union of the two bodies picks its branch by a Python function, which pydantic-core
        can only call with the whole body made into Python objects: that took 40 of a
        100-record batch's 160 µs. So the body is first validated as the kind it looks like,
        alone, in Rust throughout. A body valid as a batch has "instances" and one valid as a
        record has not (no feature is so called), so the union would have taken the same branch
        to the same result; any other body goes through the union, for the union's errors."""
        marker = '"instances"' if isinstance(raw_body, str) else b'"instances"'
        kind = self._batch if marker in raw_body else self._record  # type: ignore[operator]
        root: Record | PredictBatch
        try:
            root = kind.validate_json(raw_body)
        except ValidationError:
            root = self._either.validate_json(raw_body).root
        records = root.instances if isinstance(root, PredictBatch) else [root]
        row = self._row
        return [row(record.__dict__) for record in records]


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
