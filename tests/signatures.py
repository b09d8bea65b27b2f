"""Signatures for tests: one of each kind of answer, and one whose features are of every type,
optional or not, with names no Python identifier could have."""

from __future__ import annotations

from chalicelib.signature import (
    BOOLEAN,
    CATEGORICAL,
    INTEGER,
    NUMBER,
    OBJECTIVES,
    Feature,
    Signature,
)

# Not any artifact's: these signatures are for the proxy alone, which never sees the artifact.
NO_ARTIFACT = "0" * 64

MIXED_FEATURES = (
    Feature("age", INTEGER),
    Feature("income", NUMBER, optional=True),
    Feature("member", BOOLEAN),
    Feature("json", NUMBER, optional=True, minimum=0.0, exclusive_maximum=10.0),
    Feature("petal length (cm)", NUMBER),
    Feature("visits", INTEGER, optional=True, maximum=100.0),
    Feature("opted in", BOOLEAN, optional=True),
)
MIXED_RECORD = {
    "age": 41,
    "income": 52000.5,
    "member": True,
    "json": 2.5,
    "petal length (cm)": 1.4,
    "visits": 3,
    "opted in": False,
}


def labels_for(objective: str, classes: int = 3) -> tuple[str, ...]:
    """Class names an objective takes: none for a value, two for binary ones."""
    if OBJECTIVES[objective].value == "value":
        return ()
    count = classes if objective.startswith("multi:") else 2
    return ("cat", "dog", "bird", "fish")[:count]


def signature_for(
    objective: str, features: tuple[Feature, ...] = MIXED_FEATURES, classes: int = 3
) -> Signature:
    return Signature(
        features=features,
        objective=objective,
        labels=labels_for(objective, classes),
        artifact_sha256=NO_ARTIFACT,
        xgboost_version="3.0.5",
    )


# One objective of each kind of answer.
ONE_OF_EACH = ("multi:softprob", "binary:logistic", "binary:logitraw", "multi:softmax", "reg:gamma")

# A categorical feature beside a number: names in, codes (their index) to the model.
COLORS = ("red", "green", "blue")
CATEGORICAL_FEATURES = (
    Feature("temperature", NUMBER),
    Feature("color", CATEGORICAL, categories=COLORS),
    Feature("size", CATEGORICAL, optional=True, categories=("S", "M", "L", "XL")),
)
