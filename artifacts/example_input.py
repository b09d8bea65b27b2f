"""A signature inferred from an example of real input, as MLflow infers one from an input
example: a CSV whose header names the features and whose rows are real records.

Per column: the type the booster records for the feature when it records one (``int``/``i``:
``integer``, ``float``/``q``: ``number``, ``c``: ``categorical``, whose names the user gives);
else ``boolean`` when every value is true or false, ``number`` otherwise (finite only), or
``integer`` when the user asks for it (an example of 20, 21 and 19 says nothing against a 20.5
tomorrow). A true/false column is ``boolean`` whatever the booster says of it. ``optional`` when a
cell is empty, which the model then reads as a missing value. No range is inferred: a bound is
the user's to add to the signature file.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from foundation.lambda_code import signature as sig

TRUE, FALSE = "true", "false"
# How many of the example's rows the signature keeps (the document's example, the smoke test).
KEPT_EXAMPLES = 5


class ExampleError(ValueError):
    """The example cannot describe the model's input; the message says why, in one line."""


@dataclass(frozen=True)
class Example:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    path: Path

    def column(self, name: str) -> list[str]:
        index = self.header.index(name)
        return [row[index].strip() for row in self.rows]


def read_example(path: Path) -> Example:
    """The example's header and rows (cells as text); ExampleError when it is not such a CSV."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as file:
            lines = [line for line in csv.reader(file) if line]
    except FileNotFoundError:
        raise ExampleError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ExampleError(f"{path} is a folder: pass the CSV file itself") from None
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise ExampleError(f"{path}: not a readable UTF-8 CSV file ({error})") from None
    if len(lines) < 2:
        raise ExampleError(f"{path}: needs a header naming the features and at least one row")
    header = tuple(name.strip() for name in lines[0])
    if not all(header):
        raise ExampleError(f"{path}: column {header.index('') + 1} of the header has no name")
    twice = sorted({name for name in header if header.count(name) > 1})
    if twice:
        raise ExampleError(f"{path}: the header names {', '.join(twice)} more than once")
    for number, row in enumerate(lines[1:], start=2):
        if len(row) != len(header):
            raise ExampleError(
                f"{path}, line {number}: {len(row)} cells for {len(header)} columns in the header"
            )
    return Example(header, tuple(tuple(row) for row in lines[1:]), path)


def model_order(example: Example, feature_names: tuple[str, ...] | None, count: int) -> list[str]:
    """The features in the model's order: the booster's own names (which the header must hold
    exactly, in any order), else the header's order."""
    if feature_names is None:
        if len(example.header) != count:
            raise ExampleError(
                f"{example.path}: the header names {len(example.header)} features; the model "
                f"takes {count} (a model without feature names takes them in the header's order)"
            )
        return list(example.header)
    missing = [name for name in feature_names if name not in example.header]
    extra = [name for name in example.header if name not in feature_names]
    if missing or extra:
        said = []
        if missing:
            said.append(f"lacks the model's {_few(missing)}")
        if extra:
            said.append(f"has {_few(extra)}, which the model does not know")
        raise ExampleError(f"{example.path}: the header {' and '.join(said)}")
    return list(feature_names)


def _few(names: list[str]) -> str:
    shown = ", ".join(repr(name) for name in names[:5])
    return shown + (f" and {len(names) - 5} more" if len(names) > 5 else "")


# What XGBoost records as a feature's type (``Booster.feature_types``), as the signature's.
BOOSTER_TYPES = {"int": sig.INTEGER, "i": sig.INTEGER, "float": sig.NUMBER, "q": sig.NUMBER}


def infer_feature(
    example: Example,
    name: str,
    booster_type: str | None = None,
    integer: bool = False,
    categories: tuple[str, ...] | None = None,
) -> sig.Feature:
    """The feature as the booster types it (``booster_type``), else as its column reads; a
    categorical one with ``categories``, which every value must name."""
    cells = example.column(name)
    values = [cell for cell in cells if cell != ""]
    if not values:
        raise ExampleError(f"{example.path}: column {name!r} has no value; give at least one")
    optional = len(values) < len(cells)
    if categories is not None:
        for number, value in enumerate(cells, start=2):
            if value and value not in categories:
                raise ExampleError(
                    f"{example.path}, line {number}: {name} is {value[:40]!r}, not one of its "
                    f"{len(categories)} categories (a cell holds the category's name)"
                )
        return sig.Feature(name, sig.CATEGORICAL, optional, categories=categories)
    if all(value.lower() in (TRUE, FALSE) for value in values):
        return sig.Feature(name, sig.BOOLEAN, optional)
    for number, value in enumerate(cells, start=2):
        if value and not _is_finite_number(value):
            raise ExampleError(
                f"{example.path}, line {number}: {name} is {value[:40]!r}, not a finite number "
                "or true/false (leave a cell empty for a missing value)"
            )
    kind = BOOSTER_TYPES.get(booster_type or "", sig.INTEGER if integer else sig.NUMBER)
    if kind == sig.INTEGER:
        for number, value in enumerate(cells, start=2):
            if value and not float(value).is_integer():
                said = (
                    f"the model types {name} as {booster_type}"
                    if booster_type
                    else (f"--integer names {name}")
                )
                raise ExampleError(
                    f"{example.path}, line {number}: {said}, and {value[:40]!r} is not a whole "
                    "number"
                )
    return sig.Feature(name, kind, optional)


def _is_finite_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def records(example: Example, features: tuple[sig.Feature, ...]) -> list[dict[str, Any]]:
    """The example's rows as the API takes them: typed values, empty cells left out."""
    typed = []
    for row in example.rows:
        record: dict[str, Any] = {}
        for feature in features:
            cell = row[example.header.index(feature.name)].strip()
            if cell == "":
                continue
            if feature.type == sig.BOOLEAN:
                record[feature.name] = cell.lower() == TRUE
            elif feature.type == sig.CATEGORICAL:
                record[feature.name] = cell
            elif feature.type == sig.INTEGER:
                record[feature.name] = int(float(cell))
            else:
                record[feature.name] = float(cell)
        typed.append(record)
    return typed
