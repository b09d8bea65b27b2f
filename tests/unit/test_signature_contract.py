"""The contract between model versions (#33): the signature's hash, stable and blind to what is not
the API; every difference a deploy would make to a stage's API, as a table and as the difference of
/openapi.json's schemas; refused unless accepted."""

from __future__ import annotations

import dataclasses
import hashlib
import json

import pytest

from chalicelib.signature import CATEGORICAL, INTEGER, NUMBER, Feature, Signature, read_signature
from foundation.paths import IRIS_SIGNATURE
from provisioning.signature_contract import (
    ACCEPT_FLAG,
    SHOWN_CHANGES,
    Change,
    ContractRefused,
    change_table,
    contract_json,
    contract_sha256,
    differences,
    openapi_diff,
    review_contract,
)
from tests.signatures import CATEGORICAL_FEATURES, COLORS, signature_for

IRIS = read_signature(IRIS_SIGNATURE)
SHOP = signature_for("reg:squarederror", CATEGORICAL_FEATURES)


def with_feature(signature: Signature, index: int, **changes: object) -> Signature:
    features = list(signature.features)
    features[index] = dataclasses.replace(features[index], **changes)  # type: ignore[arg-type]
    return dataclasses.replace(signature, features=tuple(features))


def test_the_hash_is_the_sha256_of_the_canonical_json_and_does_not_move() -> None:
    # Pinned: model_versions list shows it, so a change of canonical form would make every
    # registered version look like another API
    canonical = json.dumps(contract_json(IRIS), sort_keys=True, separators=(",", ":"))
    assert contract_sha256(IRIS) == hashlib.sha256(canonical.encode()).hexdigest()
    assert contract_sha256(IRIS) == (
        "559e2f25b026ab66d6ba6cfb9e3f408963ae0560ecc6b4b4e005ff64453818a6"
    )


def test_what_is_not_the_api_leaves_the_hash_alone() -> None:
    # Given Iris retrained: another artifact, XGBoost, examples, training report and prose
    other = dataclasses.replace(
        with_feature(IRIS, 0, description="another description", maximum=100),  # an int bound
        artifact_sha256="f" * 64,
        xgboost_version="2.1.4",
        examples=(),
        training={"seed": 7},
    )
    # Then its clients see the same API: the same hash, no difference
    assert contract_sha256(other) == contract_sha256(IRIS)
    assert differences(IRIS, other) == []


LABELS = "setosa, versicolour, virginica"
REORDERED = "petal_length, petal_width, sepal_length, sepal_width"
CHANGED = {
    "feature added": (
        dataclasses.replace(IRIS, features=(*IRIS.features, Feature("stem_length"))),
        [Change("feature stem_length", "added", "-", "number")],
    ),
    "feature removed": (
        dataclasses.replace(IRIS, features=IRIS.features[:3]),
        [Change("feature petal_width", "removed", "number, maximum 100, exclusive_minimum 0", "-")],
    ),
    "feature renamed": (
        with_feature(IRIS, 1, name="sepal_breadth"),
        [Change("feature sepal_width", "renamed", "sepal_width", "sepal_breadth")],
    ),
    "feature retyped": (
        with_feature(IRIS, 2, type=INTEGER),
        [Change("feature petal_length", "type", "number", "integer")],
    ),
    "bound changed": (
        with_feature(IRIS, 0, maximum=50.0),
        [Change("feature sepal_length", "maximum", "100", "50")],
    ),
    "made optional": (
        with_feature(IRIS, 3, optional=True),
        [Change("feature petal_width", "optional", "-", "yes")],
    ),
    "labels changed": (
        dataclasses.replace(IRIS, labels=("setosa", "versicolour", "virginica")),
        [Change("labels", "changed", "setosa, versicolor, virginica", LABELS)],
    ),
    "objective changed": (
        dataclasses.replace(IRIS, objective="multi:softmax"),
        [Change("objective", "changed", "multi:softprob", "multi:softmax")],
    ),
    "features reordered": (
        dataclasses.replace(IRIS, features=(*IRIS.features[2:], *IRIS.features[:2])),
        [Change("features", "order", ", ".join(IRIS.feature_names), REORDERED)],
    ),
}


@pytest.mark.parametrize("case", CHANGED, ids=list(CHANGED))
def test_each_kind_of_change_is_one_row_and_moves_the_hash(case: str) -> None:
    new, rows = CHANGED[case]
    assert differences(IRIS, new) == rows
    assert contract_sha256(new) != contract_sha256(IRIS)


def test_categories_changed_are_shown_and_a_retype_to_categorical_too() -> None:
    # Given a category added to one feature, and a number made categorical
    more_colors = with_feature(SHOP, 1, categories=(*COLORS, "purple"))
    coded = with_feature(SHOP, 0, type=CATEGORICAL, categories=("cold", "warm"))
    # Then each says what it was and what it becomes
    assert differences(SHOP, more_colors) == [
        Change("feature color", "categories", "red, green, blue", "red, green, blue, purple")
    ]
    assert differences(SHOP, coded) == [
        Change("feature temperature", "categories", "-", "cold, warm"),
        Change("feature temperature", "type", "number", "categorical"),
    ]


def test_a_different_model_is_features_removed_and_added_not_renamed() -> None:
    # Given the shop's model where Iris was: no feature of it is Iris's but for its place
    changes = differences(IRIS, SHOP)
    kinds = {(change.what, change.change) for change in changes}
    assert ("feature sepal_length", "removed") in kinds
    assert ("feature color", "added") in kinds
    assert not any(change.change == "renamed" for change in changes)
    assert ("objective", "changed") in kinds and ("labels", "changed") in kinds


def test_the_table_has_a_header_and_aligned_rows_cut_short() -> None:
    changes = [Change(f"feature f{n}", "added", "-", NUMBER) for n in range(SHOWN_CHANGES + 5)]
    lines = change_table(changes)
    assert lines[0].split() == ["what", "change", "served", "now", "new", "model"]
    assert lines[1] == "feature f0   added   -           number"
    assert len(lines) == 1 + SHOWN_CHANGES + 1
    assert lines[-1] == "... (5 more changes)"


def test_the_openapi_diff_is_of_the_documents_the_proxy_serves() -> None:
    # Given a category added
    new = with_feature(SHOP, 1, categories=(*COLORS, "purple"))
    # Then the difference of the two documents' schemas shows the enum's new name
    lines = openapi_diff(SHOP, new, 100, 65536)
    assert lines[:2] == ["--- served /openapi.json", "+++ new /openapi.json"]
    assert '+          "purple"' in lines
    # And an objective of the same answer changes no schema, and says so
    gamma = dataclasses.replace(SHOP, objective="reg:gamma")
    assert openapi_diff(SHOP, gamma, 100, 65536) == [
        "(the request and response schemas are the same)"
    ]


def test_a_change_is_refused_unless_accepted_and_shown_either_way() -> None:
    new = with_feature(IRIS, 0, maximum=50.0)
    # Refused: one line that says what to do, then the table and the document's difference
    with pytest.raises(ContractRefused) as refused:
        review_contract("prod", IRIS, new, accepted=False)
    lines = str(refused.value).splitlines()
    assert lines[0].startswith("REFUSED: the model's signature changes stage prod's API (1 change")
    assert ACCEPT_FLAG in lines[0] and lines[0].endswith("(nothing made)")
    assert lines[1:3] == change_table(differences(IRIS, new))
    assert "--- served /openapi.json" in lines
    # Accepted: the same shown, and the review says there is a change
    review = review_contract("prod", IRIS, new, accepted=True)
    assert review.changed and review.report[1:3] == tuple(lines[1:3])
    # The same contract, or a stage that serves none yet: nothing to accept
    assert not review_contract("prod", IRIS, IRIS, accepted=False).changed
    first = review_contract("prod", None, IRIS, accepted=False)
    assert not first.changed and "serves no signature yet" in first.report[0]
