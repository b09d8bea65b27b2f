"""The model's signature: which features a record holds and what the model's answer means.

``scripts.import_model`` (and ``scripts.train_model`` for Iris) writes it beside the artifact,
bound to it by the artifact's sha256; the proxy reads its stage's copy (``MODEL_SIGNATURE``).
It is plain JSON, read here with the standard library and pydantic-core (a cold start pays for
every import, and pydantic's model layer costs 100+ ms).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

from pydantic_core import SchemaValidator, ValidationError
from pydantic_core import core_schema as cs

from chalicelib.features import (
    BATCH_KEY,
    BOOLEAN,
    CATEGORICAL,
    FEATURE_SCHEMA,
    FEATURE_TYPES,
    FLOAT32_MAX,
    INTEGER,
    NUMBER,
    SAFE_INTEGER,
    Feature,
    feature_from_json,
    feature_json,
    feature_problem,
)
from chalicelib.outputs import QUANTILE_OBJECTIVE, outputs_problem, quantile_name

FORMAT = 1
# What the signature's users import from here too.
__all__ = [
    "BATCH_KEY",
    "BOOLEAN",
    "CATEGORICAL",
    "FEATURE_TYPES",
    "FLOAT32_MAX",
    "INTEGER",
    "NUMBER",
    "QUANTILE_OBJECTIVE",
    "SAFE_INTEGER",
    "Answer",
    "Feature",
    "Signature",
    "SignatureError",
]


class Answer(StrEnum):
    """What the built-in container answers for one row (``{"score": ...}``), by objective."""

    PROBABILITIES = "probabilities"  # a list: one probability per class
    POSITIVE_PROBABILITY = "positive_probability"  # the probability of the positive class
    MARGIN = "margin"  # the raw margin: the positive class above 0
    CLASS_INDEX = "class_index"  # the class's index, as a number
    VALUE = "value"  # one number: a regression, a count, a hazard, a rank score
    # Several numbers per row, a list each, named by the signature (chalicelib.outputs).
    QUANTILES = "quantiles"  # one per quantile level: reg:quantileerror of several alphas
    VALUES = "values"  # one per target: a multi-target regression


# Every objective XGBoost 3.0 has, by what its prediction is (XGBoost's "Learning Task
# Parameters"). The built-in container v3.0-5 answers each with one number per row but
# multi:softprob (serve.py:240-246, serve_utils.py:533-545); its own table of objectives is
# VALID_OBJECTIVES (serve_utils.py:77-88), which this one contains.
OBJECTIVES: dict[str, Answer] = {
    "multi:softprob": Answer.PROBABILITIES,
    "binary:logistic": Answer.POSITIVE_PROBABILITY,
    "binary:logitraw": Answer.MARGIN,
    "binary:hinge": Answer.CLASS_INDEX,
    "multi:softmax": Answer.CLASS_INDEX,
    **dict.fromkeys(
        (
            "reg:squarederror",
            "reg:squaredlogerror",
            "reg:logistic",
            "reg:pseudohubererror",
            "reg:absoluteerror",
            "reg:quantileerror",
            "reg:gamma",
            "reg:tweedie",
            "count:poisson",
            "survival:cox",
            "survival:aft",
            "rank:ndcg",
            "rank:map",
            "rank:pairwise",
        ),
        Answer.VALUE,
    ),
}


class SignatureError(ValueError):
    """The signature file cannot be read, or says something impossible."""


@dataclass(frozen=True)
class Signature:
    features: tuple[Feature, ...]
    objective: str
    # Class names in index order (binary: negative, positive); none for other objectives.
    labels: tuple[str, ...]
    artifact_sha256: str
    # The XGBoost that saved the model.
    xgboost_version: str
    # A model of several outputs per row: a quantile regression's levels, in the model's order...
    quantiles: tuple[float, ...] = ()
    # ...or a multi-target regression's target names, in the model's order. Neither: one output.
    targets: tuple[str, ...] = ()
    # Records of the example input, each with the model's own score for it ({"record",
    # "score"}): the document's example and the deploy's smoke test. Not part of equality.
    examples: tuple[dict[str, Any], ...] = field(default=(), compare=False, hash=False)
    # Whatever the training reported (accuracy, seed): carried along, never read.
    training: dict[str, Any] | None = field(default=None, compare=False, hash=False)

    @property
    def answer(self) -> Answer:
        if self.quantiles:
            return Answer.QUANTILES
        if self.targets:
            return Answer.VALUES
        return OBJECTIVES[self.objective]

    @property
    def outputs(self) -> tuple[str, ...]:
        """The names of a row's several numbers, in the model's order (each quantile's level,
        or each target's name); none for a model of one number or of class probabilities."""
        return tuple(map(quantile_name, self.quantiles)) or self.targets

    @property
    def feature_names(self) -> tuple[str, ...]:
        return tuple(feature.name for feature in self.features)

    @property
    def is_classifier(self) -> bool:
        return OBJECTIVES[self.objective] is not Answer.VALUE

    def to_json(self) -> dict[str, Any]:
        """The file's content; ``from_json`` reads it back."""
        document: dict[str, Any] = {
            "format": FORMAT,
            "artifact_sha256": self.artifact_sha256,
            "xgboost_version": self.xgboost_version,
            "objective": self.objective,
        }
        if self.labels:
            document["labels"] = list(self.labels)
        if self.quantiles:
            document["quantiles"] = list(self.quantiles)
        if self.targets:
            document["targets"] = list(self.targets)
        document["features"] = [feature_json(feature) for feature in self.features]
        document["examples"] = list(self.examples)
        if self.training is not None:
            document["training"] = self.training
        return document

    @classmethod
    def from_json(cls, document: Any) -> Signature:
        try:
            raw = _file_validator().validate_python(document)
        except ValidationError as error:
            first = error.errors(include_url=False, include_input=False)[0]
            where = ".".join(str(part) for part in first["loc"]) or "the file"
            raise SignatureError(f"{where}: {first['msg']}") from None
        signature = cls(
            features=tuple(feature_from_json(feature) for feature in raw["features"]),
            objective=raw["objective"],
            labels=tuple(raw.get("labels", ())),
            quantiles=tuple(raw.get("quantiles", ())),
            targets=tuple(raw.get("targets", ())),
            artifact_sha256=raw["artifact_sha256"],
            xgboost_version=raw["xgboost_version"],
            examples=tuple(raw.get("examples", ())),
            training=raw.get("training"),
        )
        problem = signature.problem()
        if problem:
            raise SignatureError(problem)
        return signature

    def problem(self) -> str | None:
        """What makes this signature impossible to serve, or None."""
        if self.objective not in OBJECTIVES:
            return (
                f"objective {self.objective} is not one the built-in container answers "
                f"(known: {', '.join(sorted(OBJECTIVES))})"
            )
        expected = _label_count_problem(OBJECTIVES[self.objective], len(self.labels))
        if expected:
            return f"{self.objective}: {expected}"
        if len(set(self.labels)) != len(self.labels) or not all(self.labels):
            return "labels must be distinct and not empty"
        outputs = outputs_problem(self.objective, self.is_classifier, self.quantiles, self.targets)
        if outputs:
            return f"{self.objective}: {outputs}"
        if not self.features:
            return "features: the model needs at least one"
        names = self.feature_names
        if len(set(names)) != len(names):
            return "features: every name must be distinct"
        for feature in self.features:
            problem = feature_problem(feature)
            if problem:
                return f"feature {feature.name!r}: {problem}"
        return None


def label_count_problem(objective: str, count: int) -> str | None:
    """What is wrong with ``count`` class labels for ``objective``, or None."""
    return _label_count_problem(OBJECTIVES[objective], count)


def _label_count_problem(answer: Answer, count: int) -> str | None:
    if answer is Answer.VALUE:
        return "a model that predicts a value takes no labels" if count else None
    if count < 2:
        return f"a classifier needs a label for each class, {count} given"
    if answer in (Answer.POSITIVE_PROBABILITY, Answer.MARGIN) and count != 2:
        return f"a binary classifier takes two labels (negative, positive), {count} given"
    return None


@cache
def _file_validator() -> SchemaValidator:
    """The file, strictly: a misspelt key ("maximun") is an error, not a bound silently dropped.
    Made on first use: a cold start pays for what it builds at import."""
    return SchemaValidator(_FILE_SCHEMA)


_FILE_SCHEMA = cs.typed_dict_schema(
    {
        "format": cs.typed_dict_field(cs.literal_schema([FORMAT])),
        "artifact_sha256": cs.typed_dict_field(cs.str_schema(pattern="^[0-9a-f]{64}$")),
        "xgboost_version": cs.typed_dict_field(cs.str_schema(pattern=r"^\d+\.\d+")),
        "objective": cs.typed_dict_field(cs.str_schema()),
        "labels": cs.typed_dict_field(cs.list_schema(cs.str_schema()), required=False),
        "quantiles": cs.typed_dict_field(
            cs.list_schema(cs.float_schema(allow_inf_nan=False)), required=False
        ),
        "targets": cs.typed_dict_field(cs.list_schema(cs.str_schema()), required=False),
        "features": cs.typed_dict_field(cs.list_schema(FEATURE_SCHEMA)),
        "examples": cs.typed_dict_field(
            cs.list_schema(
                cs.typed_dict_schema(
                    {
                        "record": cs.typed_dict_field(cs.dict_schema(cs.str_schema())),
                        "score": cs.typed_dict_field(cs.any_schema()),
                    },
                    extra_behavior="forbid",
                )
            ),
            required=False,
        ),
        "training": cs.typed_dict_field(cs.dict_schema(cs.str_schema()), required=False),
    },
    extra_behavior="forbid",
    config=cs.CoreConfig(strict=True),
)


def read_signature(path: Path) -> Signature:
    """The signature in ``path``; SignatureError (with the path) when it cannot be served."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SignatureError(f"{path}: not found") from None
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise SignatureError(f"{path}: not a JSON file ({error})") from None
    try:
        return Signature.from_json(document)
    except SignatureError as error:
        raise SignatureError(f"{path}: {error}") from None


@cache
def load_signature(path: Path) -> Signature:
    """``read_signature``, once per path and process."""
    return read_signature(path)
