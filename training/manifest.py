"""What the channels cannot say and the model's signature needs: the features' names and kinds,
the classes in code order, the seed and the example rows. Written beside the channels (and
uploaded with them), so a job followed later with --attach is imported exactly as one followed
from start to end."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from artifacts.example_input import FALSE, KEPT_EXAMPLES, TRUE
from foundation.lambda_code import signature as sig
from training.dataset import Dataset

MANIFEST_NAME = "manifest.json"


@dataclass(frozen=True)
class Manifest:
    source: str
    label: str
    features: tuple[str, ...]
    kinds: tuple[str, ...]
    optional: tuple[bool, ...]
    classes: tuple[str, ...]
    seed: int | None  # None when the validation rows came from a file of their own
    rows: dict[str, int]
    # Validation rows as CSV cells (the signature's examples): every feature has a value in one.
    examples: tuple[tuple[str, ...], ...]

    def text(self) -> str:
        return json.dumps(asdict(self), indent=1, sort_keys=True) + "\n"

    @classmethod
    def parsed(cls, text: str) -> Manifest:
        data: dict[str, Any] = json.loads(text)
        data["rows"] = {str(k): int(v) for k, v in data["rows"].items()}
        for key in ("features", "kinds", "optional", "classes"):
            data[key] = tuple(data[key])
        data["examples"] = tuple(tuple(row) for row in data["examples"])
        return cls(**data)


def cell(value: float, kind: str) -> str:
    """A value as the example CSV writes it (the signature's records are read back from it)."""
    if math.isnan(value):
        return ""
    if kind == sig.BOOLEAN:
        return TRUE if value else FALSE
    if kind == sig.INTEGER:
        return str(int(value))
    return repr(float(value))


def example_rows(dataset: Dataset, rows: np.ndarray) -> tuple[tuple[str, ...], ...]:
    """The first rows of ``rows``, plus the first one that has a value for any feature they all
    leave empty (the signature types a feature from its examples' values)."""
    chosen = list(rows[:KEPT_EXAMPLES])
    for column in range(len(dataset.features)):
        if all(math.isnan(dataset.x[row, column]) for row in chosen):
            present = np.flatnonzero(~np.isnan(dataset.x[rows, column]))
            if present.size:
                chosen.append(rows[present[0]])
    return tuple(
        tuple(cell(float(dataset.x[row, c]), kind) for c, kind in enumerate(dataset.kinds))
        for row in chosen
    )


def manifest_for(
    dataset: Dataset,
    validation_rows: Dataset,
    rows: np.ndarray,
    seed: int | None,
    counts: dict[str, int],
) -> Manifest:
    return Manifest(
        source=dataset.source,
        label=dataset.label,
        features=dataset.features,
        kinds=dataset.kinds,
        optional=tuple(
            a or b for a, b in zip(dataset.optional, validation_rows.optional, strict=True)
        ),
        classes=dataset.classes,
        seed=seed,
        rows=counts,
        examples=example_rows(validation_rows, rows),
    )
