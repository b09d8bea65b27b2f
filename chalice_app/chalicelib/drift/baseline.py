"""The baseline: what the model's input and output looked like on the data it was made with,
summed up as counts a window of captured traffic is compared with.

Made on the laptop (``artifacts.baseline_maker``) when a model is trained or imported, written beside
its signature as ``<name>.baseline.json`` and bound to the same artifact by its sha256. Per
feature: how many values were present and missing; for numbers the minimum, maximum, mean,
standard deviation, the 101 percentiles and the counts on fixed bins (interior ``edges``, open
at both ends: bin k holds edges[k-1] <= v < edges[k]); for booleans and categories the count of
each, in code order. The model's predictions on the same data are summed up the same way: class
counts for a classifier, value bins for the rest (each output's, for a model of several).
"""

from __future__ import annotations

import json
from itertools import pairwise
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from chalicelib.signature import BOOLEAN, CATEGORICAL, Signature

FORMAT: Literal[1] = 1
# A boolean's two values, as its counts are kept: false first (the model reads 0 and 1).
BOOLEAN_VALUES = ("false", "true")
# The percentiles kept of a number: 0 to 100.
PERCENTILES = 101
# The name the prediction's distribution goes by in reports and metrics; a model of several
# outputs (quantiles, targets) has one per output, "prediction[<output>]".
PREDICTION = "prediction"


class BaselineError(ValueError):
    """The baseline cannot be read, or does not describe this model: one line says why."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, frozen=True)


class Distribution(_Strict):
    """One feature (or the prediction) on the baseline's data."""

    name: str
    # A feature type of the signature's (chalicelib.features.FEATURE_TYPES).
    type: str = Field(pattern="^(number|integer|boolean|categorical)$")
    present: int = Field(ge=0)
    missing: int = Field(ge=0)
    # Numbers: the bins' interior edges (strictly increasing) and what the values were.
    edges: tuple[float, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    mean: float | None = None
    std_dev: float | None = None
    percentiles: tuple[float, ...] | None = None
    # Booleans and categories: the names, in code order.
    categories: tuple[str, ...] | None = None
    # Present values per bin (numbers: len(edges) + 1) or per category.
    counts: tuple[int, ...]

    @property
    def is_number(self) -> bool:
        return self.categories is None

    @property
    def rows(self) -> int:
        return self.present + self.missing

    @model_validator(mode="after")
    def _consistent(self) -> Distribution:
        if any(count < 0 for count in self.counts):
            raise ValueError("counts cannot be negative")
        if sum(self.counts) != self.present:
            raise ValueError(f"counts add up to {sum(self.counts)}, not present={self.present}")
        if self.type in (BOOLEAN, CATEGORICAL):
            if not self.categories or len(self.counts) != len(self.categories):
                raise ValueError("a boolean or categorical distribution counts each category")
            if self.edges is not None:
                raise ValueError("a boolean or categorical distribution has no edges")
            return self
        if self.categories is not None or self.edges is None:
            raise ValueError("a numeric distribution has edges and no categories")
        if any(b <= a for a, b in pairwise(self.edges)):
            raise ValueError("edges must be strictly increasing")
        if len(self.counts) != len(self.edges) + 1:
            raise ValueError(f"{len(self.edges)} edges make {len(self.edges) + 1} bins")
        if self.present:
            stats = (self.minimum, self.maximum, self.mean, self.std_dev, self.percentiles)
            if any(value is None for value in stats):
                raise ValueError("present values need minimum, maximum, mean, std_dev, percentiles")
            assert self.percentiles is not None
            if len(self.percentiles) != PERCENTILES:
                raise ValueError(f"percentiles holds {PERCENTILES} values, 0 to 100")
        return self


class Baseline(_Strict):
    format: Literal[1]
    artifact_sha256: str = Field(pattern="^[0-9a-f]{64}$")
    objective: str
    # What the baseline was made of, for people ("the training split of iris.csv").
    source: str
    rows: int = Field(ge=1)
    features: tuple[Distribution, ...]
    predictions: tuple[Distribution, ...]

    def problem_with(self, signature: Signature) -> str | None:
        """Why this baseline does not describe ``signature``'s model, or None."""
        if signature.artifact_sha256 != self.artifact_sha256:
            return (
                f"it was made for artifact {self.artifact_sha256[:12]}..., the signature's is "
                f"{signature.artifact_sha256[:12]}..."
            )
        if signature.objective != self.objective:
            return f"its objective is {self.objective}, the signature's {signature.objective}"
        ours = [(d.name, d.type, d.categories) for d in self.features]
        theirs = [
            (f.name, f.type, BOOLEAN_VALUES if f.type == BOOLEAN else f.categories)
            for f in signature.features
        ]
        if ours != theirs:
            return "its features are not the signature's (names, types, categories, order)"
        names = tuple(prediction.name for prediction in self.predictions)
        if names != prediction_names(signature):
            return f"its predictions are {', '.join(names)}, not the model's outputs"
        if signature.is_classifier and self.predictions[0].categories != signature.labels:
            return "its prediction classes are not the signature's labels"
        if not signature.is_classifier and not all(p.is_number for p in self.predictions):
            return "its predictions are classes; the model predicts values"
        return None


def prediction_names(signature: Signature) -> tuple[str, ...]:
    """The prediction's distributions' names: one, or one per output of a model of several."""
    return tuple(f"{PREDICTION}[{name}]" for name in signature.outputs) or (PREDICTION,)


def parse_baseline(text: str | bytes, where: str = "baseline") -> Baseline:
    """The baseline in ``text``; BaselineError naming the first problem."""
    try:
        return Baseline.model_validate_json(text)
    except ValidationError as error:
        first = error.errors(include_url=False, include_input=False)[0]
        at = ".".join(str(part) for part in first["loc"]) or "the file"
        raise BaselineError(f"{where}: {at}: {first['msg']}") from None


def read_baseline(path: Path) -> Baseline:
    try:
        text = path.read_bytes()
    except FileNotFoundError:
        raise BaselineError(f"{path}: not found") from None
    except OSError as error:
        raise BaselineError(f"{path}: cannot be read ({error.strerror})") from None
    return parse_baseline(text, str(path))


def baseline_text(baseline: Baseline) -> str:
    return json.dumps(baseline.model_dump(mode="json", exclude_none=True), indent=1) + "\n"


def bound_baseline(baseline: Baseline, signature: Signature) -> Baseline:
    """``baseline`` when it describes ``signature``'s model; BaselineError otherwise."""
    problem = baseline.problem_with(signature)
    if problem:
        raise BaselineError(f"the baseline does not fit the model: {problem}")
    return baseline
