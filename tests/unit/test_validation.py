"""The run-time validator (pydantic-core alone) and the pydantic models (the contract, the
OpenAPI document) are the same thing: the same core schema, node for node, and the same answer
or the same errors for every body."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError as ModelValidationError
from pydantic_core import ValidationError

from chalicelib import validation
from chalicelib.schemas import request_model
from chalicelib.signature import Signature, load_signature
from foundation.paths import IRIS_SIGNATURE
from tests.signatures import CATEGORICAL_FEATURES, MIXED_RECORD, signature_for
from tests.unit.test_predict import BAD_INPUTS

IRIS = load_signature(IRIS_SIGNATURE)
# Every feature type, optional or not, bounded or not, and names no identifier could have.
MIXED = signature_for("binary:logistic")
CATEGORICAL = signature_for("reg:gamma", CATEGORICAL_FEATURES)
SETOSA = {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}
SETOSA_TEXT = json.dumps(SETOSA)


# What pydantic writes out and pydantic-core assumes when left out.
DEFAULTS: dict[str, Any] = {"custom_init": False, "root_model": False, "computed_fields": []}


def normalized(schema: Any) -> Any:
    """A core schema without what names Python objects (classes, functions, refs' ids) and
    without the defaults pydantic spells out."""
    if isinstance(schema, dict):
        skipped = {"cls", "metadata", "discriminator", "ref", "schema_ref", "serialization"}
        return {
            key: normalized(value)
            for key, value in schema.items()
            if key not in skipped and not (key in DEFAULTS and DEFAULTS[key] == value)
        }
    if isinstance(schema, list):
        return [normalized(item) for item in schema]
    return schema


def inline(schema: Any, definitions: dict[str, Any]) -> Any:
    """Definition references replaced by what they refer to."""
    if isinstance(schema, dict):
        if schema.get("type") == "definition-ref":
            return inline(definitions[schema["schema_ref"]], definitions)
        if schema.get("type") == "definitions":
            known = {d["ref"]: d for d in schema["definitions"]}
            return inline(schema["schema"], {**definitions, **known})
        return {key: inline(value, definitions) for key, value in schema.items()}
    if isinstance(schema, list):
        return [inline(item, definitions) for item in schema]
    return schema


@pytest.mark.parametrize(
    "signature", [IRIS, MIXED, CATEGORICAL], ids=["iris", "mixed", "categorical"]
)
@pytest.mark.parametrize("max_batch_size", [1, 100, 1000])
def test_the_core_schema_is_the_one_pydantic_makes_of_the_models(
    signature: Signature, max_batch_size: int
) -> None:
    from_models = request_model(signature, max_batch_size).__pydantic_core_schema__
    built = validation.request_schema(signature, max_batch_size)
    assert normalized(inline(built, {})) == normalized(inline(from_models, {}))


def outcome_of_models(body: str | bytes, signature: Signature = IRIS) -> Any:
    try:
        request = request_model(signature, 100).model_validate_json(body)
    except ModelValidationError as error:
        return validation.describe_problems(error), error.error_count()
    records = getattr(request.root, "instances", None) or [request.root]
    count = len(signature.features)
    return [[getattr(r, validation.field_name(i)) for i in range(count)] for r in records]


def outcome_of_validator(body: str | bytes, signature: Signature = IRIS) -> Any:
    try:
        return [list(row) for row in validation.BodyReader(signature, 100).rows(body)]
    except ValidationError as error:
        return validation.describe_problems(error), error.error_count()


def as_body(value: Any) -> str | bytes:
    return value if isinstance(value, (str, bytes)) else json.dumps(value)


@pytest.mark.parametrize(("case", "body", "field"), BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_every_bad_input_gets_the_same_errors(case: str, body: Any, field: str) -> None:
    assert outcome_of_validator(as_body(body)) == outcome_of_models(as_body(body))


values = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-5, 500),
    st.text(max_size=3),
    st.booleans(),
    st.none(),
    st.lists(st.integers(), max_size=2),
)
records = st.dictionaries(
    st.sampled_from([*SETOSA, "colour"]), values, max_size=5
) | st.fixed_dictionaries({k: st.floats(0.01, 99) for k in SETOSA})
bodies = st.one_of(records, st.fixed_dictionaries({"instances": st.lists(records, max_size=4)}))


@settings(max_examples=300, derandomize=True, deadline=None)
@given(bodies)
def test_generated_bodies_get_the_same_answer_or_errors(body: Any) -> None:
    text = json.dumps(body)
    assert outcome_of_validator(text) == outcome_of_models(text)


mixed_values = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(2**60), 2**60),
    st.sampled_from([3.0, 2.5, -1.0, 0, 10, 1e39, -1e39, 2.0**53, 2.0**53 + 2]),
    st.booleans(),
    st.none(),
    st.text(max_size=2),
)
mixed_records = st.dictionaries(
    st.sampled_from([*MIXED_RECORD, "instances", "f0", "colour"]), mixed_values, max_size=8
) | st.fixed_dictionaries({name: st.just(value) for name, value in MIXED_RECORD.items()})
mixed_bodies = st.one_of(
    mixed_records, st.fixed_dictionaries({"instances": st.lists(mixed_records, max_size=3)})
)


@settings(max_examples=300, derandomize=True, deadline=None)
@given(mixed_bodies)
def test_every_type_gets_the_same_answer_or_errors_from_both(body: Any) -> None:
    text = json.dumps(body)
    assert outcome_of_validator(text, MIXED) == outcome_of_models(text, MIXED)


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"age": 41.5}, "age", "Input should be a multiple of 1"),
        ({"age": "41"}, "age", "Input should be a valid number"),
        ({"member": 1}, "member", "Input should be a valid boolean"),
        ({"member": None}, "member", "Input should be a valid boolean"),
        (
            {"petal length (cm)": 1e39},
            "petal length (cm)",
            "less than or equal to 3402823466385288",
        ),
        ({"json": -0.5}, "json", "greater than or equal to 0"),
        ({"json": 10.0}, "json", "less than 10"),
        ({"age": 2**53}, "age", "less than or equal to 9007199254740991"),
        ({"visits": 101}, "visits", "less than or equal to 100"),
        ({"f0": 1}, "f0", "Extra inputs are not permitted"),
    ],
)
def test_each_type_refuses_what_it_does_not_hold(change: dict, field: str, reason: str) -> None:
    problems, _ = outcome_of_validator(json.dumps({**MIXED_RECORD, **change}), MIXED)
    assert [problem["field"] for problem in problems] == [field]
    assert reason in problems[0]["reason"]


def test_optional_features_may_be_null_or_left_out_and_whole_numbers_may_have_a_point() -> None:
    # Given a record with the optional features null or absent, and 41.0 for an integer
    record = {**MIXED_RECORD, "income": None, "age": 41.0}
    del record["visits"], record["opted in"]
    # Then the row has the features in the signature's order, None where one is missing
    assert outcome_of_validator(json.dumps(record), MIXED) == [
        [41.0, None, True, 2.5, 1.4, None, None]
    ]


@pytest.mark.parametrize(
    "body",
    [
        # A batch whose key is escaped: it does not look like one, and is one.
        f'{{"\\u0069nstances": [{json.dumps(SETOSA)}]}}',
        # Records that hold the word, as a value or as a key of their own: not batches.
        json.dumps({**SETOSA, "sepal_width": "instances"}),
        json.dumps({**SETOSA, "instances": 1}),
        # A batch with another key beside it, and one with a record in the wrong place.
        json.dumps({"instances": [SETOSA], "colour": "red"}),
        json.dumps({"instances": SETOSA}),
        f'{{"instances": [{SETOSA_TEXT}], "instances": [{SETOSA_TEXT}, {SETOSA_TEXT}]}}',
    ],
    ids=["escaped-key", "word-as-value", "word-as-key", "extra-key", "not-a-list", "twice"],
)
def test_a_body_that_looks_like_the_other_kind_gets_the_unions_answer(body: str) -> None:
    # The reader validates a body as the kind it looks like before the union: what it
    # looks like must never change the answer or the errors.
    assert outcome_of_validator(body) == outcome_of_models(body)
    assert outcome_of_validator(body.encode()) == outcome_of_models(body)
