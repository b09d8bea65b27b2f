"""Categorical features in the signature: read and written with the file, checked, validated by
name into their code, refused with the names allowed (bounded, never the name sent), and in
/openapi.json as a string enum."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic_core import ValidationError

from chalicelib import validation
from chalicelib.openapi import openapi_document
from chalicelib.signature import CATEGORICAL, Feature, Signature, SignatureError
from tests.signatures import CATEGORICAL_FEATURES, signature_for

SHOP = signature_for("reg:gamma", CATEGORICAL_FEATURES)


def test_categories_are_written_and_read_back() -> None:
    document = json.loads(json.dumps(SHOP.to_json()))
    assert document["features"][1] == {
        "name": "color",
        "type": "categorical",
        "categories": ["red", "green", "blue"],
    }
    assert Signature.from_json(document) == SHOP


@pytest.mark.parametrize(
    ("feature", "said"),
    [
        ({"name": "c", "type": "categorical"}, "needs its categories"),
        ({"name": "c", "type": "categorical", "categories": []}, "needs its categories"),
        ({"name": "c", "type": "categorical", "categories": ["a", "a"]}, "'a' is named twice"),
        ({"name": "c", "type": "categorical", "categories": ["a", ""]}, "cannot be empty"),
        ({"name": "c", "type": "number", "categories": ["a"]}, "not a number one"),
        ({"name": "c", "type": "categorical", "categories": ["a"], "minimum": 0.0}, "no bounds"),
        (
            {"name": "c", "type": "categorical", "categories": [1, 2]},
            "Input should be a valid string",
        ),
    ],
)
def test_impossible_categories_are_refused(feature: dict[str, Any], said: str) -> None:
    document = SHOP.to_json()
    document["features"] = [feature]
    with pytest.raises(SignatureError) as raised:
        Signature.from_json(document)
    assert said in str(raised.value)


def problems(signature: Signature, body: Any) -> list[dict[str, str]]:
    with pytest.raises(ValidationError) as raised:
        validation.BodyReader(signature, 100).rows(json.dumps(body))
    return validation.describe_problems(raised.value)


def test_names_are_validated_into_codes_and_unknown_ones_list_the_names() -> None:
    # Given records by category name
    rows = validation.BodyReader(SHOP, 100).rows(
        json.dumps({"instances": [{"temperature": 20.5, "color": "blue", "size": "XL"},
                                  {"temperature": 19, "color": "red", "size": None}]})
    )  # fmt: skip
    # Then each category is its index in the signature's list
    assert [list(row) for row in rows] == [[20.5, 2, 3], [19.0, 0, None]]
    # And a name that is not one, a code, or a number in its place is a 400 naming the allowed
    for wrong in ("purple", "Red", 0, 2.0, True):
        said = problems(SHOP, {"temperature": 1, "color": wrong})
        assert said == [
            {"field": "color", "reason": "Input should be one of 'red', 'green', 'blue'"}
        ]


def test_the_names_an_error_lists_are_bounded_and_the_name_sent_never_echoed() -> None:
    many = tuple(f"category number {n} " + "x" * 60 for n in range(500))
    signature = signature_for("reg:gamma", (Feature("c", CATEGORICAL, categories=many),))
    sent = "a secret the client typed"
    (problem,) = problems(signature, {"c": sent})
    assert sent not in problem["reason"]
    assert problem["reason"].endswith(" and 480 more")
    assert len(problem["reason"]) < 1200


def test_the_document_has_the_enum() -> None:
    document = openapi_document(SHOP, 100, 65536)
    record = document["components"]["schemas"]["Record"]["properties"]
    assert record["color"]["enum"] == ["red", "green", "blue"]
    assert record["color"]["type"] == "string"
    assert {"enum": ["S", "M", "L", "XL"], "type": "string"} in record["size"]["anyOf"]


def test_the_deploys_smoke_test_sends_codes_as_the_proxy_does() -> None:
    # A category's name in the CSV would be a 415 from the real container (it reads numbers).
    from dataclasses import replace

    from provisioning.endpoint.rollout import smoke_row

    example = {"record": {"temperature": 21.5, "color": "blue", "size": None}, "score": 0.5}
    with_example = replace(SHOP, examples=(example,))
    assert smoke_row(with_example) == b"21.5,2,"
