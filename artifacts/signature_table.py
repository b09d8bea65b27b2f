"""A signature's features as a table, for a person to read before the signature is written:
name, type, optional, categories, bounds."""

from __future__ import annotations

from collections.abc import Iterable

from foundation.lambda_code import signature as sig

# Category names shown per feature, each cut to so many characters.
SHOWN_CATEGORIES = 8
NAME_CHARS = 24


def _categories(feature: sig.Feature) -> str:
    names = feature.categories or ()
    shown = ",".join(name[:NAME_CHARS] for name in names[:SHOWN_CATEGORIES])
    more = len(names) - SHOWN_CATEGORIES
    return f"{len(names)}: {shown}" + (f",... (+{more})" if more > 0 else "") if names else ""


def _bounds(feature: sig.Feature) -> str:
    lower = (
        f"[{feature.minimum:g}"
        if feature.minimum is not None
        else f"({feature.exclusive_minimum:g}"
        if feature.exclusive_minimum is not None
        else ""
    )
    upper = (
        f"{feature.maximum:g}]"
        if feature.maximum is not None
        else f"{feature.exclusive_maximum:g})"
        if feature.exclusive_maximum is not None
        else ""
    )
    return f"{lower or '(-inf'}, {upper or 'inf)'}" if lower or upper else ""


def signature_table(features: Iterable[sig.Feature]) -> list[str]:
    """The lines of the table: a header, then one line per feature in the model's order."""
    rows = [("feature", "type", "optional", "categories", "bounds")]
    rows += [
        (
            feature.name,
            feature.type,
            "yes" if feature.optional else "no",
            _categories(feature),
            _bounds(feature),
        )
        for feature in features
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(5)]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
