"""One feature of a model's signature: its name, its type, whether it may be missing, its bounds
or, for a categorical feature, its categories in the order the model codes them. Read and written
with the signature file (``signature``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic_core import core_schema as cs

# The key of a batch (``{"instances": [...]}``): no feature may be called so.
BATCH_KEY = "instances"
# Feature types: which JSON values a record may give (a boolean is sent to the model as 1 or 0, a
# category by its name, sent as its code: its index in the feature's categories).
NUMBER, INTEGER, BOOLEAN, CATEGORICAL = "number", "integer", "boolean", "categorical"
FEATURE_TYPES = (NUMBER, INTEGER, BOOLEAN, CATEGORICAL)
# XGBoost reads every input as a 32-bit float: anything larger is infinite to the model, which
# refuses it ("Input data contains `inf` or a value too large"). Whole numbers stay exact in the
# JSON clients' own numbers (JavaScript's Number.MAX_SAFE_INTEGER).
FLOAT32_MAX = 3.4028234663852886e38
SAFE_INTEGER = 2**53 - 1
# XGBoost's own limit on a category's code is far above this; a list longer than this is no
# hand-made list of names (and every error and document lists them).
MAX_CATEGORIES = 10_000
_BOUNDS = ("minimum", "maximum", "exclusive_minimum", "exclusive_maximum")


@dataclass(frozen=True)
class Feature:
    name: str
    type: str = NUMBER
    # May be left out or null: sent as an empty CSV cell, which XGBoost reads as missing.
    optional: bool = False
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: float | None = None
    exclusive_maximum: float | None = None
    description: str | None = None
    # A categorical feature's names, in code order: the model reads the name's index.
    categories: tuple[str, ...] | None = None


def feature_problem(feature: Feature) -> str | None:
    """What makes the feature impossible to serve, or None."""
    if not feature.name or feature.name == BATCH_KEY:
        return f"a feature cannot be called {feature.name!r} (the batch key is {BATCH_KEY!r})"
    if feature.type not in FEATURE_TYPES:
        return f"type must be one of {', '.join(FEATURE_TYPES)}"
    lower = [b for b in (feature.minimum, feature.exclusive_minimum) if b is not None]
    upper = [b for b in (feature.maximum, feature.exclusive_maximum) if b is not None]
    if feature.type in (BOOLEAN, CATEGORICAL) and (lower or upper):
        return f"a {feature.type} feature takes no bounds"
    if feature.type == CATEGORICAL:
        return categories_problem(feature.categories or ())
    if feature.categories is not None:
        return f"categories are for a categorical feature, not a {feature.type} one"
    if len(lower) > 1 or len(upper) > 1:
        return "give at most one lower bound (minimum or exclusive_minimum) and one upper"
    if lower and upper and lower[0] > upper[0]:
        return "its lower bound is above its upper bound"
    return None


def categories_problem(categories: tuple[str, ...]) -> str | None:
    """What is wrong with a categorical feature's names, or None."""
    if not categories:
        return "a categorical feature needs its categories, in the order the model codes them"
    if len(categories) > MAX_CATEGORIES:
        return f"{len(categories)} categories, more than {MAX_CATEGORIES}"
    if not all(categories):
        return "a category's name cannot be empty"
    if len(set(categories)) != len(categories):
        twice = next(name for name in categories if categories.count(name) > 1)
        return f"the category {twice[:40]!r} is named twice"
    return None


def feature_json(feature: Feature) -> dict[str, Any]:
    document: dict[str, Any] = {"name": feature.name, "type": feature.type}
    if feature.optional:
        document["optional"] = True
    for key in (*_BOUNDS, "description"):
        value = getattr(feature, key)
        if value is not None:
            document[key] = value
    if feature.categories is not None:
        document["categories"] = list(feature.categories)
    return document


def feature_from_json(raw: dict[str, Any]) -> Feature:
    """A feature of the file as validated by ``FEATURE_SCHEMA``."""
    categories = raw.get("categories")
    return Feature(**{**raw, "categories": None if categories is None else tuple(categories)})


def _bound() -> cs.TypedDictField:
    return cs.typed_dict_field(cs.float_schema(allow_inf_nan=False, strict=True), required=False)


FEATURE_SCHEMA = cs.typed_dict_schema(
    {
        "name": cs.typed_dict_field(cs.str_schema()),
        "type": cs.typed_dict_field(cs.literal_schema(list(FEATURE_TYPES)), required=False),
        "optional": cs.typed_dict_field(cs.bool_schema(), required=False),
        **{bound: _bound() for bound in _BOUNDS},
        "description": cs.typed_dict_field(cs.str_schema(), required=False),
        "categories": cs.typed_dict_field(cs.list_schema(cs.str_schema()), required=False),
    },
    extra_behavior="forbid",
)
