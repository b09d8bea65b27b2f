"""What a booster says of itself: its objective, classes, outputs and features, read as the
built-in container reads them (``save_config()``'s learner, serve.py:88-98 and 190-196 at
v3.0-5) and from ``num_features()`` and ``feature_names``."""

from __future__ import annotations

import json
from dataclasses import dataclass

import xgboost as xgb

from artifacts.model_file import ModelFile, ModelFileError


@dataclass(frozen=True)
class BoosterFacts:
    objective: str
    # learner_model_param's num_class: 0 for every objective but multi:*.
    num_class: int
    # Numbers the model answers per row (several quantiles, or multi-target regression).
    num_target: int
    num_features: int
    # The names the booster was trained with, if any (pandas columns, or DMatrix feature_names).
    feature_names: tuple[str, ...] | None
    # The types it records for them, if any ("float", "int", "i", "q", "c": categorical).
    feature_types: tuple[str, ...] | None = None
    # reg:quantileerror's quantile_alpha, in the model's order: one level per output.
    quantile_alphas: tuple[float, ...] = ()

    @property
    def classes(self) -> int:
        """How many classes a classifier tells apart (binary: 2)."""
        return self.num_class if self.objective.startswith("multi:") else 2


def load_booster(model: ModelFile) -> xgb.Booster:
    """The booster, loaded from memory as the local stand-in and the serving image load it."""
    booster = xgb.Booster()
    try:
        booster.load_model(bytearray(model.content))
    except xgb.core.XGBoostError as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else "no reason"
        raise ModelFileError(f"XGBoost cannot load the model: {first}") from None
    booster.set_param({"nthread": 1})
    return booster


def booster_facts(booster: xgb.Booster) -> BoosterFacts:
    learner = json.loads(booster.save_config())["learner"]
    parameters = learner["learner_model_param"]
    # Written as "[1E-1,5E-1,9E-1]" (XGBoost's ParamArray of 32-bit floats, shortest form).
    alphas = learner["objective"].get("quantile_loss_param", {}).get("quantile_alpha", "")
    return BoosterFacts(
        objective=str(learner["objective"]["name"]),
        num_class=int(parameters.get("num_class", "0") or 0),
        num_target=int(parameters.get("num_target", "1") or 1),
        num_features=booster.num_features(),
        feature_names=tuple(booster.feature_names) if booster.feature_names else None,
        feature_types=tuple(booster.feature_types) if booster.feature_types else None,
        quantile_alphas=tuple(float(a) for a in str(alphas).strip("[] ").split(",") if a.strip()),
    )
