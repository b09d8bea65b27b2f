"""training.hyperparameters: the built-in XGBoost container's own checks (v3.0-5), before any AWS
call. Each refusal below is one rule of the container's; "toolkit" and "table" cite
sagemaker_algorithm_toolkit/ and algorithm_mode/hyperparameter_validation.py at v3.0-5."""

from __future__ import annotations

import math
from typing import Any

import pytest

from training import hyperparameters as hp
from training.hyperparameter_table import EMITTED, OBJECTIVES, TABLE

BASE = {"num_round": "10"}


def refusal(call: Any, *args: Any) -> str:
    with pytest.raises(hp.HyperparameterError) as caught:
        call(*args)
    message = str(caught.value)
    assert "\n" not in message and "Traceback" not in message
    return message


# --- parse_pairs -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "pairs"),
    [
        ("", {}),
        ("   ", {}),
        ("eta=0.1,max_depth=3", {"eta": "0.1", "max_depth": "3"}),
        (" eta = 0.1 , max_depth=3 ", {"eta": "0.1", "max_depth": "3"}),
        (
            "eval_metric=auc,logloss,max_depth=3",
            {"eval_metric": "auc,logloss", "max_depth": "3"},
        ),
        ("updater=grow_colmaker,prune", {"updater": "grow_colmaker,prune"}),
        (
            "monotone_constraints=(1,-1),tree_method=hist",
            {"monotone_constraints": "(1,-1)", "tree_method": "hist"},
        ),
        ("interaction_constraints=[[0,1],[2]]", {"interaction_constraints": "[[0,1],[2]]"}),
        ("eval_metric=error@0.7,ndcg@3", {"eval_metric": "error@0.7,ndcg@3"}),
        ("a=b=c", {"a": "b=c"}),
        ("eta=", {"eta": ""}),
    ],
)
def test_parse_pairs_splits_only_before_a_name_and_equals(text: str, pairs: dict[str, str]) -> None:
    assert hp.parse_pairs(text) == pairs


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("eta", "expected name=value, got 'eta'"),
        ("=3", "expected name=value, got '=3'"),
        (",eta=1", "expected name=value, got ''"),
        ("eta=0.1,eta=0.2", "hyperparameter eta is given twice"),
    ],
)
def test_parse_pairs_refuses(text: str, message: str) -> None:
    assert refusal(hp.parse_pairs, text) == message


# --- validate: what comes back -----------------------------------------------------------------


def test_validate_returns_the_config_as_the_toolkit_parses_it() -> None:
    # Given every kind of hyperparameter as SageMaker passes it: strings
    values = {
        "num_round": "50",
        "eta": "0.3",
        "max_depth": "6",
        "objective": "binary:logistic",
        "eval_metric": "auc,error@0.7",
        "updater": "grow_colmaker,prune",
        "tree_method": "exact",
        "monotone_constraints": "(1,-1,0)",
        "interaction_constraints": "[[1,2],[3]]",
        "_tuning_objective_metric": "validation:auc",
        "use_dask_gpu_training": "false",
    }
    # When validated
    config = hp.validate(values)
    # Then ints, floats, lists and a tuple, as train.py:144 gets them (updater still a list)
    assert config == {
        "num_round": 50,
        "eta": 0.3,
        "max_depth": 6,
        "objective": "binary:logistic",
        "eval_metric": ["auc", "error@0.7"],
        "updater": ["grow_colmaker", "prune"],
        "tree_method": "exact",
        "monotone_constraints": (1, -1, 0),
        "interaction_constraints": [[1, 2], [3]],
        "_tuning_objective_metric": "validation:auc",
        "use_dask_gpu_training": "false",
    }
    assert type(config["num_round"]) is int and type(config["eta"]) is float


@pytest.mark.parametrize(
    ("alias", "name"),
    [
        ("learning_rate", "eta"),
        ("min_split_loss", "gamma"),
        ("reg_lambda", "lambda"),
        ("reg_alpha", "alpha"),
    ],
)
def test_aliases_become_their_names(alias: str, name: str) -> None:
    # table :341-344
    assert hp.validate({**BASE, alias: "0.5"}) == {"num_round": 10, name: 0.5}


@pytest.mark.parametrize(
    ("values", "eta"),
    [
        ({"eta": "0.1", "learning_rate": "0.2"}, 0.2),
        ({"learning_rate": "0.2", "eta": "0.1"}, 0.1),
    ],
)
def test_an_alias_given_with_its_name_is_no_error_the_later_wins(
    values: dict[str, str], eta: float
) -> None:
    # Quirk of the toolkit (:251-258): the alias overwrites its name in dict order, silently.
    assert hp.validate({**BASE, **values})["eta"] == eta


@pytest.mark.parametrize(
    ("values", "name", "parsed"),
    [
        # int() and float() as the toolkit calls them (:93-94, :149-150): spaces, underscores
        ({"max_depth": " 3 "}, "max_depth", 3),
        ({"max_depth": "1_000"}, "max_depth", 1000),
        ({"gamma": "inf"}, "gamma", math.inf),
        ({"eta": "1e-3"}, "eta", 0.001),
        # Interval.__contains__ (:365-371) tests "below or above": NaN is neither, so it passes
        ({"eta": "nan"}, "eta", None),
        # table :87-90 never fires (the objective is never None): num_class with any objective
        ({"objective": "binary:logistic", "num_class": "3"}, "num_class", 3),
        ({"num_class": "3"}, "num_class", 3),
        # table :97-109 reads only what lies between the first and the second "@"
        (
            {"objective": "binary:logistic", "eval_metric": "error@0.5@x"},
            "eval_metric",
            ["error@0.5@x"],
        ),
        (
            {"objective": "rank:ndcg", "eval_metric": "ndcg@3,map@ 5"},
            "eval_metric",
            ["ndcg@3", "map@ 5"],
        ),
        # an objective the container accepts although xgboost has none of that name (:286)
        ({"objective": "aft_loss_distribution"}, "objective", "aft_loss_distribution"),
        ({"booster": "gblinear", "updater": "coord_descent"}, "updater", ["coord_descent"]),
        ({"process_type": "update", "updater": "refresh,prune"}, "updater", ["refresh", "prune"]),
        (
            {"booster": "dart", "updater": "grow_histmaker,prune"},
            "updater",
            ["grow_histmaker", "prune"],
        ),
        (
            {"tree_method": "hist", "monotone_constraints": "[1,-1]"},
            "monotone_constraints",
            [1, -1],
        ),
        ({"tree_method": "approx", "interaction_constraints": "[]"}, "interaction_constraints", []),
        ({"seed": "-2147483647"}, "seed", -2147483647),
        ({"subsample": "1"}, "subsample", 1.0),
        (
            {"_tuning_objective_metric": "validation:f1"},
            "_tuning_objective_metric",
            "validation:f1",
        ),
    ],
)
def test_validate_accepts_what_the_container_accepts(
    values: dict[str, str], name: str, parsed: Any
) -> None:
    config = hp.validate({**BASE, **values})
    if parsed is None:
        assert math.isnan(config[name])
    else:
        assert config[name] == parsed


# --- validate: every refusal of the container ---------------------------------------------------


@pytest.mark.parametrize(
    ("values", "message"),
    [
        # toolkit :264-270: num_round is required, and that is seen before an unknown name
        ({"eta": "0.1"}, "hyperparameter num_round is required"),
        ({"etaa": "0.1"}, "hyperparameter num_round is required"),
        # toolkit :272-278
        ({**BASE, "etaa": "0.1"}, "unknown hyperparameter 'etaa'"),
        ({**BASE, "device": "cuda"}, "unknown hyperparameter 'device'"),
        # toolkit :279-282 (and eval() / literal_eval failing, which the container does not catch)
        ({**BASE, "max_depth": "3.5"}, "hyperparameter max_depth: '3.5' is not an integer"),
        ({**BASE, "eta": "fast"}, "hyperparameter eta: 'fast' is not a number"),
        ({**BASE, "num_round": "ten"}, "hyperparameter num_round: 'ten' is not an integer"),
        (
            {**BASE, "monotone_constraints": "(1,"},
            "hyperparameter monotone_constraints: '(1,' is not a tuple such as (1,-1,0)",
        ),
        (
            {**BASE, "interaction_constraints": "[[1,2]"},
            "hyperparameter interaction_constraints: '[[1,2]' is not a list of lists such as [[1,2],[3,4]]",
        ),
        # toolkit :284-293 with the intervals of table :142-336
        ({"num_round": "0"}, "hyperparameter num_round: 0 is below its minimum 1"),
        ({**BASE, "max_depth": "-1"}, "hyperparameter max_depth: -1 is below its minimum 0"),
        ({**BASE, "eta": "1.5"}, "hyperparameter eta: 1.5 is not in [0, 1]"),
        ({**BASE, "learning_rate": "-0.1"}, "hyperparameter eta: -0.1 is not in [0, 1]"),
        ({**BASE, "subsample": "0"}, "hyperparameter subsample: 0 is not in (0, 1]"),
        (
            {**BASE, "colsample_bytree": "1.01"},
            "hyperparameter colsample_bytree: 1.01 is not in (0, 1]",
        ),
        (
            {**BASE, "scale_pos_weight": "0"},
            "hyperparameter scale_pos_weight: 0 must be greater than 0",
        ),
        ({**BASE, "sketch_eps": "1"}, "hyperparameter sketch_eps: 1 is not in (0, 1)"),
        (
            {**BASE, "tweedie_variance_power": "2"},
            "hyperparameter tweedie_variance_power: 2 is not in (1, 2)",
        ),
        ({**BASE, "verbosity": "4"}, "hyperparameter verbosity: 4 is not in [0, 3]"),
        ({**BASE, "csv_weights": "2"}, "hyperparameter csv_weights: 2 is not in [0, 1]"),
        ({**BASE, "num_class": "1"}, "hyperparameter num_class: 1 is below its minimum 2"),
        (
            {**BASE, "seed": "2147483647"},
            "hyperparameter seed: 2147483647 is not in (-2147483648, 2147483647)",
        ),
        (
            {**BASE, "prob_buffer_row": "1"},
            "hyperparameter prob_buffer_row: 1 must be greater than 1",
        ),
        ({**BASE, "_kfold": "1"}, "hyperparameter _kfold: 1 is below its minimum 2"),
        ({**BASE, "gamma": "-inf"}, "hyperparameter gamma: -inf is below its minimum 0"),
        # categorical ranges (toolkit :50-52)
        (
            {**BASE, "booster": "gbtre"},
            "hyperparameter booster: 'gbtre' is not one of gbtree, gblinear, dart",
        ),
        (
            {**BASE, "tree_method": "gpu"},
            "hyperparameter tree_method: 'gpu' is not one of auto, exact, approx, hist, gpu_hist",
        ),
        (
            {**BASE, "predictor": "cpu"},
            "hyperparameter predictor: 'cpu' is not one of auto, cpu_predictor, gpu_predictor",
        ),
        (
            {**BASE, "save_model_on_termination": "True"},
            "hyperparameter save_model_on_termination: 'True' is not one of true, false",
        ),
        (
            {**BASE, "objective": "reg:quantileerror"},
            "hyperparameter objective: 'reg:quantileerror' is not one of",
        ),
        (
            {**BASE, "_tuning_objective_metric": "train:rmse"},
            "hyperparameter _tuning_objective_metric: 'train:rmse' is not one of",
        ),
        # comma-separated lists (toolkit :176-178); grow_quantile_histmaker is missing from :236-252
        ({**BASE, "updater": "grow_colmaker,foo"}, "hyperparameter updater: 'foo' is not one of"),
        (
            {**BASE, "updater": "grow_quantile_histmaker"},
            "hyperparameter updater: 'grow_quantile_histmaker' is not one of",
        ),
        # eval_metric's own range (table :92-111); the toolkit never strips spaces
        (
            {**BASE, "objective": "binary:logistic", "eval_metric": "auc, logloss"},
            "hyperparameter eval_metric: ' logloss' is not a metric the container accepts",
        ),
        (
            {**BASE, "objective": "binary:logistic", "eval_metric": "pre"},
            "hyperparameter eval_metric: 'pre' is not a metric the container accepts",
        ),
        (
            {**BASE, "objective": "reg:squarederror", "eval_metric": "rmse@2"},
            "hyperparameter eval_metric: 'rmse@2': only error, ndcg and map take @threshold",
        ),
        (
            {**BASE, "objective": "binary:logistic", "eval_metric": "error@high"},
            "hyperparameter eval_metric: 'error@high': the threshold after @ is no number",
        ),
        (
            {**BASE, "objective": "binary:logistic", "eval_metric": "<function f>"},
            "hyperparameter eval_metric: user defined metric '<function f>' is not supported",
        ),
        # tuples and nested lists (toolkit :217-219, :197-199; table :264, :268)
        (
            {**BASE, "tree_method": "hist", "monotone_constraints": "(2,0)"},
            "hyperparameter monotone_constraints: 2 is not one of -1, 0, 1",
        ),
        (
            {**BASE, "tree_method": "hist", "monotone_constraints": "1"},
            "hyperparameter monotone_constraints: 1 is not a tuple such as (1,-1,0)",
        ),
        (
            {**BASE, "tree_method": "hist", "interaction_constraints": "[[0,1],[2]]"},
            "hyperparameter interaction_constraints: feature index 0 is below its minimum 1",
        ),
        (
            {**BASE, "tree_method": "hist", "interaction_constraints": "[1,2]"},
            "hyperparameter interaction_constraints: [1, 2] is not a list of lists such as [[1,2],[3,4]]",
        ),
        (
            {**BASE, "tree_method": "hist", "interaction_constraints": "[['a']]"},
            "hyperparameter interaction_constraints: [['a']] is not a list of lists such as [[1,2],[3,4]]",
        ),
        # dependency validators (toolkit :295-308)
        (
            {**BASE, "objective": "multi:softprob"},
            "hyperparameter num_class is required for multi:softprob",
        ),
        (
            {**BASE, "objective": "multi:softmax"},
            "hyperparameter num_class is required for multi:softmax",
        ),
        (
            {**BASE, "eval_metric": "rmse"},
            "hyperparameter eval_metric: needs an objective (the container fails without one)",
        ),
        (
            {**BASE, "objective": "reg:squarederror", "eval_metric": "auc"},
            "eval_metric auc applies to binary: and rank: objectives, not reg:squarederror",
        ),
        (
            {
                **BASE,
                "objective": "multi:softprob",
                "num_class": "3",
                "eval_metric": "mlogloss,auc",
            },
            "eval_metric auc applies to binary: and rank: objectives, not multi:softprob",
        ),
        (
            {**BASE, "objective": "survival:cox", "eval_metric": "aft-nloglik"},
            "eval_metric aft-nloglik applies to survival:aft only, not survival:cox",
        ),
        (
            {**BASE, "monotone_constraints": "(1,-1)"},
            "hyperparameter monotone_constraints: needs tree_method exact or hist (tree_method is not given)",
        ),
        (
            {**BASE, "tree_method": "approx", "monotone_constraints": "(1,-1)"},
            "hyperparameter monotone_constraints: needs tree_method exact or hist (tree_method is approx)",
        ),
        (
            {**BASE, "interaction_constraints": "[[1,2]]"},
            "hyperparameter interaction_constraints: needs tree_method exact or hist or approx (tree_method is not given)",
        ),
        (
            {**BASE, "tree_method": "auto", "interaction_constraints": "[[1,2]]"},
            "hyperparameter interaction_constraints: needs tree_method exact or hist or approx (tree_method is auto)",
        ),
        (
            {**BASE, "booster": "gblinear", "updater": "grow_colmaker"},
            "hyperparameter updater: booster gblinear takes exactly one of shotgun, coord_descent",
        ),
        (
            {**BASE, "booster": "gblinear", "updater": "shotgun,coord_descent"},
            "hyperparameter updater: booster gblinear takes exactly one of shotgun, coord_descent",
        ),
        (
            {**BASE, "process_type": "update", "updater": "grow_colmaker,prune"},
            "hyperparameter updater: process_type update takes only refresh and prune",
        ),
        ({**BASE, "updater": "shotgun"}, "hyperparameter updater: shotgun is not a tree updater"),
        (
            {**BASE, "booster": "dart", "updater": "coord_descent"},
            "hyperparameter updater: coord_descent is not a tree updater",
        ),
        (
            {**BASE, "updater": "grow_colmaker,grow_histmaker"},
            "hyperparameter updater: one tree grow plugin only, not grow_colmaker and grow_histmaker",
        ),
        (
            {**BASE, "updater": "distcol,distcol"},
            "hyperparameter updater: one tree grow plugin only, not distcol and distcol",
        ),
    ],
)
def test_validate_refuses_as_the_container_does(values: dict[str, str], message: str) -> None:
    assert refusal(hp.validate, values).startswith(message)


def test_every_refusal_names_the_rule_in_one_line() -> None:
    # The container's own message for a gblinear updater is a join over a generator's repr
    # (table :51-54); ours says what to do.
    message = refusal(hp.validate, {**BASE, "booster": "gblinear", "updater": "prune"})
    assert message == (
        "hyperparameter updater: booster gblinear takes exactly one of shotgun, coord_descent"
    )


def test_tuple_is_read_without_running_code() -> None:
    # The toolkit eval()s monotone_constraints (:208-212); we read literals only.
    message = refusal(
        hp.validate, {**BASE, "tree_method": "hist", "monotone_constraints": "__import__('os')"}
    )
    assert message.startswith("hyperparameter monotone_constraints: ")


# --- metrics -----------------------------------------------------------------------------------


def test_the_container_metric_lists() -> None:
    # custom_metrics.py:232-248, xgb_constants.py:14-31
    assert {"accuracy", "balanced_accuracy", "f1", "f1_binary", "f1_macro", "mse", "rmse"} < (
        hp.CUSTOM_METRICS
    )
    assert len(hp.CUSTOM_METRICS) == 15 and "logloss" not in hp.CUSTOM_METRICS
    assert {"auc", "aucpr", "ndcg", "map", "r2", "accuracy"} < hp.MAXIMIZE
    assert len(hp.MAXIMIZE) == 16 and "rmse" not in hp.MAXIMIZE


@pytest.mark.parametrize(
    ("objective", "metric"),
    [
        ("reg:squarederror", "rmse"),
        ("reg:linear", "rmse"),
        ("reg:logistic", "rmse"),
        ("reg:absoluteerror", "mae"),
        ("reg:pseudohubererror", "mphe"),
        ("reg:squaredlogerror", "rmsle"),
        ("reg:gamma", "gamma-deviance"),
        ("reg:tweedie", "tweedie-nloglik@1.5"),
        ("count:poisson", "poisson-nloglik"),
        ("binary:logistic", "logloss"),
        ("binary:logitraw", "logloss"),
        ("binary:hinge", "error"),
        # xgboost 3.0.5 logs mlogloss for softmax too, not merror
        ("multi:softmax", "mlogloss"),
        ("multi:softprob", "mlogloss"),
        ("rank:pairwise", "ndcg@32"),
        ("rank:ndcg", "ndcg@32"),
        ("rank:map", "map@32"),
        ("survival:aft", "aft-nloglik"),
        ("survival:cox", "cox-nloglik"),
    ],
)
def test_default_metric_is_what_xgboost_logs(objective: str, metric: str) -> None:
    assert hp.default_metric(objective) == metric


@pytest.mark.parametrize(
    ("objective", "message"),
    [
        ("aft_loss_distribution", "objective aft_loss_distribution: the container accepts it, xgboost does not"),
        ("reg:quantileerror", "objective 'reg:quantileerror' is not one the container accepts"),
    ],
)  # fmt: skip
def test_default_metric_of_an_objective_xgboost_cannot_run(objective: str, message: str) -> None:
    assert refusal(hp.default_metric, objective) == message


@pytest.mark.parametrize("objective", [o for o in OBJECTIVES if o != "aft_loss_distribution"])
def test_emitted_metrics_are_metrics_the_container_accepts(objective: str) -> None:
    emitted = hp.emitted_metrics(objective)
    assert emitted and emitted <= hp.MAXIMIZE | hp.MINIMIZE
    default = hp.default_metric(objective).split("@")[0]
    assert default in emitted or objective == "reg:tweedie"  # tweedie-nloglik@rho only


WORKS = [
    ("binary:logistic", m)
    for m in ["error", "logloss", "auc", "aucpr", "accuracy", "f1", "f1_binary", "precision", "recall", "balanced_accuracy", "rmse", "map"]
] + [
    ("multi:softprob", m)
    for m in ["merror", "mlogloss", "accuracy", "f1", "f1_macro", "precision_macro", "recall_micro", "aucpr"]
] + [
    (objective, m)
    for objective in ["reg:squarederror", "reg:linear", "reg:absoluteerror", "reg:gamma", "reg:tweedie", "count:poisson", "reg:logistic"]
    for m in ["rmse", "mae", "mape", "rmsle", "mphe", "r2", "mse"]
] + [
    ("reg:logistic", "logloss"),
    ("reg:gamma", "gamma-nloglik"),
    ("count:poisson", "poisson-nloglik"),
    ("rank:pairwise", "ndcg"),
    ("rank:map", "map"),
    ("rank:ndcg", "auc"),
    ("survival:cox", "cox-nloglik"),
    ("survival:aft", "interval-regression-accuracy"),
]  # fmt: skip


@pytest.mark.parametrize(("objective", "metric"), WORKS)
def test_combinations_that_work_are_emitted(objective: str, metric: str) -> None:
    assert metric in hp.emitted_metrics(objective)
    hp.check_metrics({"objective": objective, "eval_metric": [metric]})


@pytest.mark.parametrize(
    ("objective", "metric", "message"),
    [
        ("reg:squarederror", "mlogloss", "eval_metric mlogloss applies to multi: objectives, not reg:squarederror"),
        ("reg:squarederror", "accuracy", "eval_metric accuracy applies to binary: and multi: objectives, not reg:squarederror"),
        ("reg:squarederror", "logloss", "eval_metric logloss applies to binary: and reg:logistic objectives, not reg:squarederror"),
        ("multi:softprob", "rmse", "eval_metric rmse applies to binary:, count: and reg: objectives, not multi:softprob"),
        ("multi:softprob", "logloss", "eval_metric logloss applies to binary: and reg:logistic objectives, not multi:softprob"),
        ("multi:softprob", "f1_binary", "eval_metric f1_binary applies to binary: objectives, not multi:softprob"),
        ("binary:logistic", "merror", "eval_metric merror applies to multi: objectives, not binary:logistic"),
        ("binary:logistic", "r2", "eval_metric r2 applies to count: and reg: objectives, not binary:logistic"),
        ("reg:squarederror", "error@0.5", "eval_metric error@0.5 applies to binary: and reg:logistic objectives, not reg:squarederror"),
        ("survival:cox", "rmse", "eval_metric rmse applies to binary:, count: and reg: objectives, not survival:cox"),
        ("reg:tweedie", "tweedie-nloglik", "eval_metric tweedie-nloglik is emitted by no objective the container can run, not reg:tweedie"),
    ],
)  # fmt: skip
def test_check_metrics_refuses_what_the_objective_cannot_emit(
    objective: str, metric: str, message: str
) -> None:
    assert refusal(hp.check_metrics, {"objective": objective, "eval_metric": [metric]}) == message


def test_check_metrics_on_validated_configs() -> None:
    # Given validated configs, the objective left to xgboost's default in the first
    hp.check_metrics(hp.validate(BASE))
    hp.check_metrics(hp.validate({**BASE, "objective": "binary:logistic", "eval_metric": "error@0.7,auc"}))  # fmt: skip
    # Then a metric of another task is refused, the default objective being reg:squarederror
    assert refusal(hp.check_metrics, {"eval_metric": ["mlogloss"]}).endswith("not reg:squarederror")
    # and the tuning metric too, which train_utils.py:61-76 adds to eval_metric
    config = hp.validate({**BASE, "objective": "reg:squarederror", "_tuning_objective_metric": "validation:auc"})  # fmt: skip
    assert refusal(hp.check_metrics, config) == (
        "_tuning_objective_metric auc applies to binary: and rank: objectives, not reg:squarederror"
    )
    # and an objective the container accepts but xgboost has not
    config = hp.validate({**BASE, "objective": "aft_loss_distribution"})
    assert refusal(hp.check_metrics, config) == (
        "objective aft_loss_distribution: the container accepts it, xgboost does not"
    )


@pytest.mark.parametrize(
    ("name", "objective", "direction"),
    [
        ("validation:mlogloss", "multi:softprob", "Minimize"),
        ("validation:accuracy", "multi:softmax", "Maximize"),
        ("validation:auc", "binary:logistic", "Maximize"),
        ("validation:f1", "binary:logistic", "Maximize"),
        ("validation:rmse", "reg:squarederror", "Minimize"),
        ("validation:r2", "reg:squarederror", "Maximize"),
        ("validation:ndcg", "rank:ndcg", "Maximize"),
        # xgb_constants.py:39 lists this accuracy among the metrics to minimize
        ("validation:interval-regression-accuracy", "survival:aft", "Minimize"),
    ],
)
def test_check_objective_metric_gives_the_container_direction(
    name: str, objective: str, direction: str
) -> None:
    assert hp.check_objective_metric(name, objective) == (name, direction)


@pytest.mark.parametrize(
    ("name", "objective", "message"),
    [
        ("train:rmse", "reg:squarederror", "objective metric 'train:rmse': the container defines only validation:rmse"),
        ("validation:foo", "reg:squarederror", "objective metric 'validation:foo': the container defines validation:<metric> names only"),
        ("validation:error@0.5", "binary:logistic", "objective metric 'validation:error@0.5': the container defines validation:<metric> names only"),
        ("rmse", "reg:squarederror", "objective metric 'rmse': the container defines validation:<metric> names only"),
        ("validation:mlogloss", "reg:squarederror", "objective metric validation:mlogloss applies to multi: objectives, not reg:squarederror (it emits validation:mae, "),
        ("validation:tweedie-nloglik", "reg:tweedie", "objective metric validation:tweedie-nloglik is emitted by no objective"),
        ("validation:rmse", "aft_loss_distribution", "objective metric validation:rmse applies to binary:, count: and reg: objectives, not aft_loss_distribution (it emits nothing)"),
        ("validation:rmse", "reg:nope", "objective 'reg:nope' is not one the container accepts"),
    ],
)  # fmt: skip
def test_check_objective_metric_refuses(name: str, objective: str, message: str) -> None:
    assert refusal(hp.check_objective_metric, name, objective).startswith(message)


def test_every_tuning_metric_of_the_container_is_checked() -> None:
    # algorithm_mode/metrics.py:21-42: one validation:<m> per metric of xgb_constants.py
    names = TABLE["_tuning_objective_metric"].allowed
    assert isinstance(names, tuple) and len(names) == 33
    assert all(name.startswith("validation:") for name in names)
    # every one is emitted by some objective, but tweedie-nloglik (xgboost wants it with @rho)
    emitted_somewhere = {m for metrics in EMITTED.values() for m in metrics}
    assert {name.split(":")[1] for name in names} - emitted_somewhere == {"tweedie-nloglik"}


# --- tuning ranges -----------------------------------------------------------------------------


def test_tuning_ranges_as_the_api_wants_them() -> None:
    ranges = hp.tuning_ranges("learning_rate=0.01:0.3,max_depth=3:10,num_round=1:100000", {})
    assert ranges == {
        "ContinuousParameterRanges": [
            {"Name": "eta", "MinValue": "0.01", "MaxValue": "0.3", "ScalingType": "Auto"}
        ],
        "IntegerParameterRanges": [
            {"Name": "max_depth", "MinValue": "3", "MaxValue": "10", "ScalingType": "Auto"},
            {"Name": "num_round", "MinValue": "1", "MaxValue": "100000", "ScalingType": "Auto"},
        ],
        "CategoricalParameterRanges": [],
    }


@pytest.mark.parametrize(
    ("text", "kind", "entry"),
    [
        # closed ends of the valid range are inside it
        ("eta=0:1", "ContinuousParameterRanges", {"Name": "eta", "MinValue": "0.0", "MaxValue": "1.0", "ScalingType": "Auto"}),
        ("subsample=0.5:1", "ContinuousParameterRanges", {"Name": "subsample", "MinValue": "0.5", "MaxValue": "1.0", "ScalingType": "Auto"}),
        # beyond the recommended range (table :173, 0-10): that one is advice
        ("max_depth=0:30", "IntegerParameterRanges", {"Name": "max_depth", "MinValue": "0", "MaxValue": "30", "ScalingType": "Auto"}),
        ("reg_alpha=0:2000", "ContinuousParameterRanges", {"Name": "alpha", "MinValue": "0.0", "MaxValue": "2000.0", "ScalingType": "Auto"}),
        ("max_depth=3|5|8", "CategoricalParameterRanges", {"Name": "max_depth", "Values": ["3", "5", "8"]}),
    ],
)  # fmt: skip
def test_tuning_ranges_accepted(text: str, kind: str, entry: dict[str, Any]) -> None:
    ranges = hp.tuning_ranges(text, {"num_round": "10"})
    assert ranges[kind] == [entry]
    assert all(isinstance(v, str) for e in ranges[kind] for k, v in e.items() if k != "Values")


@pytest.mark.parametrize(
    ("text", "fixed", "message"),
    [
        ("", {}, "no hyperparameter to tune"),
        ("booster=gbtree|dart", {}, "hyperparameter booster: not tunable in the container (tunable: alpha, colsample_bylevel"),
        ("tree_method=exact|hist", {}, "hyperparameter tree_method: not tunable"),
        ("_kfold=2:5", {}, "hyperparameter _kfold: not tunable"),
        ("etaa=0:1", {}, "unknown hyperparameter 'etaa'"),
        ("subsample=0:1", {}, "hyperparameter subsample: 0 is outside its valid range (0, 1]"),
        ("eta=0.1:1.5", {}, "hyperparameter eta: 1.5 is outside its valid range [0, 1]"),
        ("max_depth=-1:5", {}, "hyperparameter max_depth: -1 is outside its valid range [0, +inf)"),
        ("num_round=0:10", {}, "hyperparameter num_round: 0 is outside its valid range [1, +inf)"),
        ("eta=0.1:inf", {}, "hyperparameter eta: inf is outside its valid range [0, 1]"),
        ("gamma=0:inf", {}, "hyperparameter gamma: inf is outside its valid range [0, +inf)"),
        ("eta=nan:0.3", {}, "hyperparameter eta: nan is outside its valid range [0, 1]"),
        ("eta=0.3:0.1", {}, "hyperparameter eta: min 0.3 is not below max 0.1"),
        ("max_depth=5:5", {}, "hyperparameter max_depth: min 5 is not below max 5"),
        ("max_depth=3.5:10", {}, "hyperparameter max_depth: '3.5' is not an integer"),
        ("max_depth=3:1e2", {}, "hyperparameter max_depth: '1e2' is not an integer"),
        ("max_depth=3|x", {}, "hyperparameter max_depth: 'x' is not an integer"),
        ("eta=0.1", {}, "hyperparameter eta: '0.1' is not a range min:max"),
        ("eta=0.1:0.2:0.3", {}, "hyperparameter eta: '0.1:0.2:0.3' is not a range min:max"),
        ("eta=a:b", {}, "hyperparameter eta: 'a' is not a number"),
        ("eta=0.1:0.3", {"eta": "0.2"}, "hyperparameter eta: both tuned and fixed (eta=0.2)"),
        ("eta=0.1:0.3", {"learning_rate": "0.2"}, "hyperparameter eta: both tuned and fixed (learning_rate=0.2)"),
        ("learning_rate=0.1:0.3", {"eta": "0.2"}, "hyperparameter eta: both tuned and fixed (eta=0.2)"),
        ("eta=0.1:0.3,learning_rate=0.1:0.2", {}, "hyperparameter eta: tuned twice (eta and learning_rate)"),
        ("eta=0.1:0.3,eta=0.1:0.2", {}, "hyperparameter eta is given twice"),
    ],
)  # fmt: skip
def test_tuning_ranges_refused(text: str, fixed: dict[str, str], message: str) -> None:
    assert refusal(hp.tuning_ranges, text, fixed).startswith(message)


def test_only_the_container_tunable_hyperparameters_are_tunable() -> None:
    # table :142-230: tunable=True on these twelve only
    assert hp.TUNABLE == (
        "alpha", "colsample_bylevel", "colsample_bynode", "colsample_bytree", "eta", "gamma",
        "lambda", "max_delta_step", "max_depth", "min_child_weight", "num_round", "subsample",
    )  # fmt: skip


# --- inferred objective ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "classes", "added"),
    [
        ("classes", 2, {"objective": "binary:logistic"}),
        ("classes", 3, {"objective": "multi:softprob", "num_class": "3"}),
        ("classes", 10, {"objective": "multi:softprob", "num_class": "10"}),
        ("values", 0, {"objective": "reg:squarederror"}),
    ],
)
def test_inferred_objective(kind: str, classes: int, added: dict[str, str]) -> None:
    assert hp.inferred_objective(kind, classes) == added
    hp.check_metrics(hp.validate({**BASE, **added}))  # and the container takes it


@pytest.mark.parametrize(
    ("kind", "classes", "message"),
    [
        ("classes", 1, "a label with 1 class cannot train a classifier"),
        ("auto", 2, "label kind 'auto' is neither 'classes' nor 'values'"),
    ],
)
def test_inferred_objective_refused(kind: str, classes: int, message: str) -> None:
    assert refusal(hp.inferred_objective, kind, classes) == message
