"""The trained model's facts (feature order, class labels), written by ``scripts.train_model``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

METADATA_PATH = Path(__file__).with_name("model_metadata.json")


@dataclass(frozen=True)
class Feature:
    name: str
    unit: str
    exclusive_minimum: float
    maximum: float


@dataclass(frozen=True)
class ModelMetadata:
    features: tuple[Feature, ...]
    class_labels: tuple[str, ...]

    @property
    def feature_names(self) -> tuple[str, ...]:
        return tuple(feature.name for feature in self.features)


@cache
def load_metadata(path: Path = METADATA_PATH) -> ModelMetadata:
    raw = json.loads(path.read_text())
    return ModelMetadata(
        features=tuple(Feature(**feature) for feature in raw["features"]),
        class_labels=tuple(raw["class_labels"]),
    )
