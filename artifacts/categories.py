"""A categorical model's categories: the names of each categorical feature, in the order the
model codes them (code = index), as the user gives them (``--categories`` or a JSON file), checked
against the booster's own categorical features and the codes its splits use.

XGBoost keeps only codes: a model trained on a pandas ``category`` column recorded the column's
categories nowhere (pandas' order, ``Series.cat.categories``, made the codes), so the names can
only come from the user."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import xgboost as xgb

from foundation.lambda_code import features
from foundation.lambda_code import signature as sig

# What XGBoost writes as a feature's type (``Booster.feature_types``): "c" is categorical.
CATEGORICAL_TYPE = "c"


class CategoriesError(ValueError):
    """The categories given cannot describe the model; one line says why."""


def parse_flag(text: str) -> tuple[str, tuple[str, ...]]:
    """``--categories color=red,green,blue``: the feature and its names (a name cannot hold a
    comma here; the file can)."""
    name, sep, names = text.partition("=")
    if not sep or not name or not names:
        raise CategoriesError(
            f"--categories {text[:60]!r} is not FEATURE=NAME,NAME,... (one feature a flag)"
        )
    return name, tuple(names.split(","))


def read_file(path: Path) -> dict[str, tuple[str, ...]]:
    """``--categories-file``: a JSON object, each categorical feature's name to its list of
    category names in code order, e.g. ``{"color": ["red", "green", "blue"]}``."""
    try:
        document: Any = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CategoriesError(f"--categories-file {path}: no such file") from None
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise CategoriesError(f"--categories-file {path}: not a JSON file ({error})") from None
    if not isinstance(document, dict) or not all(
        isinstance(names, list) and all(isinstance(name, str) for name in names)
        for names in document.values()
    ):
        raise CategoriesError(
            f"--categories-file {path}: must be a JSON object of lists of strings, "
            '{"feature": ["first", "second", ...]}'
        )
    return {name: tuple(names) for name, names in document.items()}


def given_categories(flags: list[str], file: Path | None) -> dict[str, tuple[str, ...]]:
    """Every feature's categories from the flags and the file; a feature given twice is refused."""
    given = read_file(file) if file else {}
    for text in flags:
        name, names = parse_flag(text)
        if name in given:
            raise CategoriesError(f"the categories of {name!r} are given twice")
        given[name] = names
    return given


def categorical_features(feature_types: tuple[str, ...] | None, order: list[str]) -> list[str]:
    """The names of the booster's categorical features, in the model's order."""
    if not feature_types:
        return []
    return [
        name for name, kind in zip(order, feature_types, strict=True) if kind == CATEGORICAL_TYPE
    ]


def highest_codes(booster: xgb.Booster) -> dict[int, int]:
    """The highest category code each feature's categorical splits name (by feature index):
    a lower bound of how many categories the model was trained with."""
    trees = json.loads(booster.save_raw("json"))["learner"]["gradient_booster"]["model"]
    highest: dict[int, int] = {}
    for tree in trees.get("trees", []):
        codes = tree.get("categories", [])
        for node, start, size in zip(
            tree.get("categories_nodes", []),
            tree.get("categories_segments", []),
            tree.get("categories_sizes", []),
            strict=True,
        ):
            if size:
                feature = tree["split_indices"][node]
                top = max(codes[start : start + size])
                highest[feature] = max(highest.get(feature, -1), top)
    return highest


def checked_categories(
    given: dict[str, tuple[str, ...]],
    order: list[str],
    feature_types: tuple[str, ...] | None,
    highest: dict[int, int],
) -> dict[str, tuple[str, ...]]:
    """Each categorical feature's names: every one given, none for another feature, each list
    long enough for the codes the model's splits use."""
    categorical = categorical_features(feature_types, order)
    other = [name for name in given if name not in categorical]
    if other:
        kinds = "it has none" if not categorical else f"they are {', '.join(categorical[:5])}"
        raise CategoriesError(
            f"categories are given for {other[0]!r}, which is not a categorical feature of the "
            f"model ({kinds})"
        )
    lacking = [name for name in categorical if name not in given]
    if lacking:
        raise CategoriesError(
            f"the model's feature(s) {', '.join(repr(n) for n in lacking[:5])} are categorical: "
            "name their categories in the order the model codes them (pandas' "
            "Series.cat.categories), with --categories FEATURE=A,B,C or --categories-file"
        )
    for name in categorical:
        problem = features.categories_problem(given[name])
        if problem:
            raise CategoriesError(f"the categories of {name!r}: {problem}")
        top = highest.get(order.index(name), -1)
        if top >= len(given[name]):
            raise CategoriesError(
                f"the categories of {name!r}: {len(given[name])} given, and the model's splits "
                f"use code {top}: it was trained with at least {top + 1}"
            )
    return {name: given[name] for name in categorical}


def category_feature(feature: sig.Feature, categories: tuple[str, ...]) -> sig.Feature:
    """``feature`` as a categorical one, optional or not as the example says."""
    return sig.Feature(feature.name, sig.CATEGORICAL, feature.optional, categories=categories)
