"""The built-in XGBoost container's hyperparameters and metrics (tag v3.0-5), as data.

Our own table of what ``algorithm_mode/hyperparameter_validation.py`` declares (the file and line
of each rule are cited beside it), read by ``training.hyperparameters``."""

from __future__ import annotations

import ast
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

# How the toolkit parses a hyperparameter's string (sagemaker_algorithm_toolkit/
# hyperparameter_validation.py, v3.0-5): int() 93-94, float() 149-150, as given 47-48 (Categorical),
# split(",") 173-174 (CommaSeparatedList), eval() 208-212 (Tuple), ast.literal_eval 187-191 (Nested).
Kind = Literal["int", "float", "choice", "list", "tuple", "nested"]


@dataclass(frozen=True)
class Interval:
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False

    def __contains__(self, value: Any) -> bool:
        # toolkit hyperparameter_validation.py:365-371: "not below and not above", so NaN is
        # inside every interval. A TypeError (a string against a number) is the caller's.
        return not (
            (self.low is not None and (value <= self.low if self.low_open else value < self.low))
            or (
                self.high is not None
                and (value >= self.high if self.high_open else value > self.high)
            )
        )

    def __str__(self) -> str:  # toolkit hyperparameter_validation.py:347-363
        low = "(-inf" if self.low is None else f"{'(' if self.low_open else '['}{number(self.low)}"
        high = (
            "+inf)" if self.high is None else f"{number(self.high)}{')' if self.high_open else ']'}"
        )
        return f"{low}, {high}"

    def refusal(self) -> str:
        """How a value outside reads: "is not in [0, 1]", "is below its minimum 0"."""
        if self.high is not None or self.low is None:
            return f"is not in {self}"
        if self.low_open:
            return f"must be greater than {number(self.low)}"
        return f"is below its minimum {number(self.low)}"


def number(value: float) -> str:
    """1.0 as 1, 0.5 as 0.5: how a bound or a value reads in a message."""
    if isinstance(value, int):
        return str(value)
    return str(int(value)) if math.isfinite(value) and value.is_integer() else str(value)


@dataclass(frozen=True)
class Spec:
    name: str
    kind: Kind
    allowed: Interval | tuple[Any, ...]
    tunable: bool = False
    required: bool = False


def iv(low: float | None = None, high: float | None = None, *, open_: str = "") -> Interval:
    """``open_`` names the open ends: "low", "high" or "both"."""
    return Interval(low, high, open_ in ("low", "both"), open_ in ("high", "both"))


# The readers of Kind, as the toolkit's. Tuple's is eval() there (toolkit :208-212): we never
# eval, so literal_eval reads the same literals ((1,-1), [1,0], 1,-1) and refuses what only eval
# could read ((1,0)*2), on which the container would run code.
READ: dict[str, Callable[[str], Any]] = {
    "int": int,
    "float": float,
    "choice": str,
    "list": lambda text: text.split(","),
    "tuple": ast.literal_eval,
    "nested": ast.literal_eval,
}
READ_AS = {
    "int": "an integer",
    "float": "a number",
    "tuple": "a tuple such as (1,-1,0)",
    "nested": "a list of lists such as [[1,2],[3,4]]",
}

# constants/xgb_constants.py:14-31 and 33-51. interval-regression-accuracy is an accuracy, yet
# the container lists it among the metrics to minimize.
MAXIMIZE_METRICS = (
    "accuracy", "auc", "aucpr", "balanced_accuracy", "f1", "f1_binary", "f1_macro", "map",
    "ndcg", "precision", "r2", "recall", "precision_macro", "precision_micro", "recall_macro",
    "recall_micro",
)  # fmt: skip
MINIMIZE_METRICS = (
    "aft-nloglik", "cox-nloglik", "error", "gamma-deviance", "gamma-nloglik",
    "interval-regression-accuracy", "logloss", "mae", "mape", "merror", "mlogloss", "mphe", "mse",
    "poisson-nloglik", "rmse", "rmsle", "tweedie-nloglik",
)  # fmt: skip
# metrics/custom_metrics.py:232-248: computed by the container (scikit-learn, on raw margins),
# rmse and mae included, instead of by xgboost (custom_metrics.py:251-257, train_utils.py:68-74).
CUSTOM = (
    "accuracy", "balanced_accuracy", "f1", "f1_binary", "f1_macro", "mse", "rmse", "mae",
    "precision", "precision_macro", "precision_micro", "r2", "recall", "recall_macro",
    "recall_micro",
)  # fmt: skip
# hyperparameter_validation.py:100: the only metrics that take "@threshold" (92-111).
THRESHOLD_METRICS = ("error", "ndcg", "map")

# hyperparameter_validation.py:285-306. "aft_loss_distribution" is a hyperparameter's name that
# the container also accepts as an objective; xgboost has no such objective.
OBJECTIVES = (
    "aft_loss_distribution", "binary:logistic", "binary:logitraw", "binary:hinge",
    "count:poisson", "multi:softmax", "multi:softprob", "rank:pairwise", "rank:ndcg", "rank:map",
    "reg:linear", "reg:squarederror", "reg:logistic", "reg:gamma", "reg:pseudohubererror",
    "reg:squaredlogerror", "reg:absoluteerror", "reg:tweedie", "survival:aft", "survival:cox",
)  # fmt: skip
# hyperparameter_validation.py:236-252, duplicates dropped: grow_quantile_histmaker is missing
# here although the updater validator (29-37) lists it, so the range check refuses it first.
UPDATERS = (
    "grow_colmaker", "distcol", "grow_histmaker", "grow_skmaker", "sync", "refresh", "prune",
    "shotgun", "coord_descent",
)  # fmt: skip
TREE_UPDATERS = (*UPDATERS[:7], "grow_quantile_histmaker")  # :28-37
TREE_GROW_UPDATERS = (
    "grow_colmaker",
    "distcol",
    "grow_histmaker",
    "grow_quantile_histmaker",
)  # :38-44
LINEAR_UPDATERS = ("shotgun", "coord_descent")  # :45
PROCESS_UPDATE_UPDATERS = ("refresh", "prune")  # :46
TRUE_FALSE = ("true", "false")

# hyperparameter_validation.py:141-339, in its order (num_round the only required one).
TABLE: dict[str, Spec] = {
    spec.name: spec
    for spec in (
        Spec("num_round", "int", iv(1), tunable=True, required=True),  # :142-148
        Spec("csv_weights", "int", iv(0, 1)),  # :149
        Spec("early_stopping_rounds", "int", iv(1)),  # :150
        Spec("booster", "choice", ("gbtree", "gblinear", "dart")),  # :151
        Spec("verbosity", "int", iv(0, 3)),  # :152
        Spec("nthread", "int", iv(1)),  # :153
        Spec("eta", "float", iv(0, 1), tunable=True),  # :154-160
        Spec("gamma", "float", iv(0), tunable=True),  # :161-167
        Spec("max_depth", "int", iv(0), tunable=True),  # :168-174
        Spec("min_child_weight", "float", iv(0), tunable=True),  # :175-181
        Spec("max_delta_step", "float", iv(0), tunable=True),  # :182-188
        Spec("subsample", "float", iv(0, 1, open_="low"), tunable=True),  # :189-195
        Spec("colsample_bytree", "float", iv(0, 1, open_="low"), tunable=True),  # :196-202
        Spec("colsample_bylevel", "float", iv(0, 1, open_="low"), tunable=True),  # :203-209
        Spec("colsample_bynode", "float", iv(0, 1, open_="low"), tunable=True),  # :210-216
        Spec("lambda", "float", iv(0), tunable=True),  # :217-223
        Spec("alpha", "float", iv(0), tunable=True),  # :224-230
        Spec(
            "tree_method", "choice", ("auto", "exact", "approx", "hist", "gpu_hist")
        ),  # :22-24, 231
        Spec("sketch_eps", "float", iv(0, 1, open_="both")),  # :232
        Spec("scale_pos_weight", "float", iv(0, open_="low")),  # :233
        Spec("updater", "list", UPDATERS),  # :234-255
        Spec("dsplit", "choice", ("row", "col")),  # :256
        Spec("refresh_leaf", "int", iv(0, 1)),  # :257
        Spec("process_type", "choice", ("default", "update")),  # :258
        Spec("grow_policy", "choice", ("depthwise", "lossguide")),  # :259
        Spec("max_leaves", "int", iv(0)),  # :260
        Spec("max_bin", "int", iv(0)),  # :261
        Spec("predictor", "choice", ("auto", "cpu_predictor", "gpu_predictor")),  # :78-80, 262
        Spec("monotone_constraints", "tuple", (-1, 0, 1)),  # :263-265
        Spec("interaction_constraints", "nested", iv(1)),  # :266-271
        Spec("sample_type", "choice", ("uniform", "weighted")),  # :272
        Spec("normalize_type", "choice", ("tree", "forest")),  # :273
        Spec("rate_drop", "float", iv(0, 1)),  # :274
        Spec("one_drop", "int", iv(0, 1)),  # :275
        Spec("skip_drop", "float", iv(0, 1)),  # :276
        Spec("lambda_bias", "float", iv(0, 1)),  # :277-279
        Spec("tweedie_variance_power", "float", iv(1, 2, open_="both")),  # :280-282
        Spec("objective", "choice", OBJECTIVES),  # :283-309
        Spec("num_class", "int", iv(2)),  # :310
        Spec("base_score", "float", iv(0)),  # :311
        Spec("_kfold", "int", iv(2)),  # :312
        Spec("_num_cv_round", "int", iv(1)),  # :313-315
        # :316, algorithm_mode/metrics.py:21-42: validation:<metric> only, no train:<metric>.
        Spec(
            "_tuning_objective_metric",
            "choice",
            tuple(f"validation:{m}" for m in MAXIMIZE_METRICS + MINIMIZE_METRICS),
        ),
        Spec("eval_metric", "list", MAXIMIZE_METRICS + MINIMIZE_METRICS),  # :317-322, 92-111
        Spec("seed", "int", iv(-(2**31), 2**31 - 1, open_="both")),  # :323-325
        Spec("num_parallel_tree", "int", iv(1)),  # :326
        Spec("save_model_on_termination", "choice", TRUE_FALSE),  # :327
        Spec("aft_loss_distribution", "choice", ("normal", "logistic", "extreme")),  # :328-330
        Spec("aft_loss_distribution_scale", "float", iv(0)),  # :331-333
        Spec("deterministic_histogram", "choice", TRUE_FALSE),  # :334
        Spec("sampling_method", "choice", ("uniform", "gradient_based")),  # :335
        Spec("prob_buffer_row", "int", iv(1.0, open_="low")),  # :336
        Spec("use_dask_gpu_training", "choice", TRUE_FALSE),  # :337-338
    )
}
ALIASES = {  # hyperparameter_validation.py:341-344
    "learning_rate": "eta",
    "min_split_loss": "gamma",
    "reg_lambda": "lambda",
    "reg_alpha": "alpha",
}

# Which metrics each objective emits: xgboost's eval_metric documentation and the container's
# custom metrics, checked against xgboost 3.0.5 (the container's) by training two rounds of each
# objective with each metric on labels that objective takes. Kept to metrics that mean something
# for the task: a metric that runs but measures nothing (r2 of a classifier's log-odds, error of a
# regression) is left out.
_CLASSES = ("accuracy", "balanced_accuracy", "f1", "f1_macro", "precision_macro",
            "precision_micro", "recall_macro", "recall_micro")  # fmt: skip
_BINARY = (*_CLASSES, "f1_binary", "precision", "recall", "error", "logloss", "auc", "aucpr",
           "map", "ndcg", "rmse", "mae", "mse")  # fmt: skip
_MULTI = (*_CLASSES, "merror", "mlogloss", "aucpr")  # auc refused by the container (:116-118)
_REGRESSION = ("rmse", "mae", "mse", "r2", "mape", "mphe", "rmsle")
_RANKING = ("ndcg", "map", "auc", "aucpr")
# tweedie-nloglik is never among them: xgboost wants tweedie-nloglik@rho, which the container
# refuses (only error, ndcg and map take "@"), and its default metric is tweedie-nloglik@1.5.
EMITTED: dict[str, tuple[str, ...]] = {
    "aft_loss_distribution": (),
    "binary:logistic": _BINARY,
    "binary:logitraw": _BINARY,
    "binary:hinge": _BINARY,
    "count:poisson": (*_REGRESSION, "poisson-nloglik"),
    "multi:softmax": _MULTI,
    "multi:softprob": _MULTI,
    "rank:pairwise": _RANKING,
    "rank:ndcg": _RANKING,
    "rank:map": _RANKING,
    "reg:linear": _REGRESSION,
    "reg:squarederror": _REGRESSION,
    "reg:logistic": (*_REGRESSION, "logloss", "error"),
    "reg:gamma": (*_REGRESSION, "gamma-nloglik", "gamma-deviance"),
    "reg:pseudohubererror": _REGRESSION,
    "reg:squaredlogerror": _REGRESSION,
    "reg:absoluteerror": _REGRESSION,
    "reg:tweedie": (*_REGRESSION, "poisson-nloglik"),
    "survival:aft": ("aft-nloglik", "interval-regression-accuracy"),
    "survival:cox": ("cox-nloglik",),
}
# What xgboost 3.0.5 logs when eval_metric is not given (its DefaultEvalMetric, as run).
DEFAULT_METRIC = {
    "binary:logistic": "logloss",
    "binary:logitraw": "logloss",
    "binary:hinge": "error",
    "count:poisson": "poisson-nloglik",
    "multi:softmax": "mlogloss",
    "multi:softprob": "mlogloss",
    "rank:pairwise": "ndcg@32",
    "rank:ndcg": "ndcg@32",
    "rank:map": "map@32",
    "reg:linear": "rmse",
    "reg:squarederror": "rmse",
    "reg:logistic": "rmse",
    "reg:gamma": "gamma-deviance",
    "reg:pseudohubererror": "mphe",
    "reg:squaredlogerror": "rmsle",
    "reg:absoluteerror": "mae",
    "reg:tweedie": "tweedie-nloglik@1.5",  # @ the tweedie_variance_power, 1.5 by default
    "survival:aft": "aft-nloglik",
    "survival:cox": "cox-nloglik",
}
