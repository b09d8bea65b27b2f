"""The hyperparameters of a built-in XGBoost training job, checked as its container (v3.0-5)
checks them, before any AWS call. Citations are to the container at v3.0-5: "toolkit" is
src/sagemaker_algorithm_toolkit/hyperparameter_validation.py, "table" is algorithm_mode/
hyperparameter_validation.py (our own data for it: ``training.hyperparameter_table``)."""

from __future__ import annotations

import math
import re
from typing import Any

from training import hyperparameter_table as hpt
from training.hyperparameter_table import TABLE, Interval, Spec, number

CUSTOM_METRICS: frozenset[str] = frozenset(hpt.CUSTOM)
MAXIMIZE: frozenset[str] = frozenset(hpt.MAXIMIZE_METRICS)  # callback.py:113 stops early on these
MINIMIZE: frozenset[str] = frozenset(hpt.MINIMIZE_METRICS)
DEFAULT_OBJECTIVE = "reg:squarederror"  # xgboost's, when none is given
TUNABLE = tuple(sorted(name for name, spec in TABLE.items() if spec.tunable))
TUNING_METRICS = TABLE["_tuning_objective_metric"].allowed  # metrics.py:21-42


class HyperparameterError(ValueError):
    """One line a user can act on, e.g. "hyperparameter max_depth: -1 is below its minimum 0"."""


def _bad(name: str, problem: str) -> HyperparameterError:
    return HyperparameterError(f"hyperparameter {name}: {problem}")


# A comma starts the next pair only where `name=` follows it.
_NEXT_PAIR = re.compile(r",(?=\s*[A-Za-z_][A-Za-z0-9_]*\s*=)")


def parse_pairs(text: str) -> dict[str, str]:
    """'k=v,k=v' as the command line gives it -> {k: v}, spaces around names and values dropped.
    ``eval_metric=auc,logloss,max_depth=3`` gives eval_metric 'auc,logloss'; (1,-1) and
    [[1,2],[3]] keep their commas."""
    pairs: dict[str, str] = {}
    if not text.strip():
        return pairs
    for chunk in _NEXT_PAIR.split(text):
        name, equals, value = chunk.partition("=")
        name = name.strip()
        if not equals or not name:
            raise HyperparameterError(f"expected name=value, got {chunk.strip()!r}")
        if name in pairs:
            raise HyperparameterError(f"hyperparameter {name} is given twice")
        pairs[name] = value.strip()
    return pairs


_UNREADABLE = (ValueError, TypeError, SyntaxError, MemoryError, RecursionError)


def validate(values: dict[str, str]) -> dict[str, Any]:
    """The container's validation of the strings SageMaker passes: what the toolkit's
    ``Hyperparameters.validate`` returns to train.py:144 (ints, floats, eval_metric and updater
    as lists). train.py then joins updater with commas (:145-146) and pops use_dask_gpu_training
    (:183) before train_job; that is left to the caller, as xgboost.train's own config."""
    # toolkit :251-258, 262. Quirk kept: an alias given with its name (learning_rate and eta)
    # is no error; whichever comes later in ``values`` wins.
    given: dict[str, str] = {}
    for name, text in values.items():
        given[hpt.ALIASES.get(name, name)] = text
    for name, spec in TABLE.items():  # toolkit :264-270, before any unknown name is seen
        if spec.required and name not in given:
            raise HyperparameterError(f"hyperparameter {name} is required")
    config: dict[str, Any] = {}
    for name, text in given.items():  # toolkit :272-282
        if name not in TABLE:
            raise HyperparameterError(f"unknown hyperparameter {name!r}")
        spec = TABLE[name]
        try:
            config[name] = hpt.READ[spec.kind](text)
        except _UNREADABLE:
            raise _bad(name, f"{text!r} is not {hpt.READ_AS[spec.kind]}") from None
    for name, value in config.items():  # toolkit :284-293
        _check_range(TABLE[name], value)
    _check_dependencies(config)  # toolkit :295-308
    return config


def _check_range(spec: Spec, value: Any) -> None:
    name, allowed = spec.name, spec.allowed
    if isinstance(allowed, Interval) and spec.kind != "nested":
        if value not in allowed:  # toolkit :50-52, 365-371: NaN passes every interval
            raise _bad(name, f"{number(value)} {allowed.refusal()}")
    elif name == "eval_metric":  # toolkit :176-178 with table :92-111
        for metric in value:
            _check_metric_name(metric)
    elif isinstance(allowed, tuple) and spec.kind != "tuple":  # toolkit :50-52, :176-178
        for item in [value] if spec.kind == "choice" else value:
            if item not in allowed:
                raise _bad(name, f"{item!r} is not one of {', '.join(map(str, allowed))}")
    else:  # toolkit :217-219 (tuple) and :197-199 (nested); the container fails on a TypeError
        try:
            items = value if spec.kind == "tuple" else [item for group in value for item in group]
            wrong = [item for item in items if item not in allowed]
        except TypeError:
            raise _bad(name, f"{value!r} is not {hpt.READ_AS[spec.kind]}") from None
        if wrong and spec.kind == "tuple":
            raise _bad(name, f"{wrong[0]!r} is not one of -1, 0, 1")
        if wrong:  # table :268: feature indices from 1, so feature 0 is refused
            raise _bad(name, f"feature index {wrong[0]!r} is below its minimum 1")


def _check_metric_name(metric: str) -> None:
    if "<function" in metric:  # table :94-95
        raise _bad("eval_metric", f"user defined metric {metric!r} is not supported")
    if "@" in metric:  # table :97-109: whatever follows a second "@" is never looked at
        base, threshold = metric.split("@")[0].strip(), metric.split("@")[1].strip()
        if base not in hpt.THRESHOLD_METRICS:
            raise _bad("eval_metric", f"{metric!r}: only error, ndcg and map take @threshold")
        try:
            float(threshold)
        except ValueError:
            raise _bad("eval_metric", f"{metric!r}: the threshold after @ is no number") from None
    elif metric not in TABLE["eval_metric"].allowed:  # table :111
        raise _bad("eval_metric", f"{metric!r} is not a metric the container accepts")


def _check_dependencies(config: dict[str, Any]) -> None:
    if "updater" in config:
        _check_updaters(config["updater"], config.get("booster"), config.get("process_type"))
    objective = config.get("objective")
    if objective in ("multi:softmax", "multi:softprob") and "num_class" not in config:
        raise HyperparameterError(f"hyperparameter num_class is required for {objective}")  # :82-86
    # table :87-90 would refuse num_class without a multi: objective, but only when the
    # objective's value is None, which never happens: num_class is accepted with any objective.
    if "eval_metric" in config:  # table :113-121
        if objective is None:  # :115 reads dependencies["objective"]: a KeyError, the job fails
            raise _bad("eval_metric", "needs an objective (the container fails without one)")
        for metric, fits, where in (
            ("auc", objective.startswith(("binary:", "rank:")), "binary: and rank: objectives"),
            ("aft-nloglik", objective == "survival:aft", "survival:aft only"),
        ):
            if metric in config["eval_metric"] and not fits:
                problem = f"eval_metric {metric} applies to {where}, not {objective}"
                raise HyperparameterError(problem)
    tree_method = config.get("tree_method") or "not given"
    for name, methods in [
        ("monotone_constraints", ("exact", "hist")),  # table :123-130
        ("interaction_constraints", ("exact", "hist", "approx")),  # table :132-139
    ]:
        if name in config and tree_method not in methods:
            raise _bad(
                name, f"needs tree_method {' or '.join(methods)} (tree_method is {tree_method})"
            )


def _check_updaters(updaters: list[str], booster: str | None, process_type: str | None) -> None:
    # table :26-76; booster dart is checked as gbtree is.
    if booster == "gblinear":
        if len(updaters) != 1 or updaters[0] not in hpt.LINEAR_UPDATERS:  # :48-55
            raise _bad("updater", "booster gblinear takes exactly one of shotgun, coord_descent")
    elif process_type == "update":  # :56-58
        if any(item not in hpt.PROCESS_UPDATE_UPDATERS for item in updaters):
            raise _bad("updater", "process_type update takes only refresh and prune")
    else:
        wrong = [item for item in updaters if item not in hpt.TREE_UPDATERS]  # :59-65
        if wrong:
            trees = ", ".join(hpt.TREE_UPDATERS)
            raise _bad("updater", f"{wrong[0]} is not a tree updater ({trees})")
        growers = [item for item in updaters if item in hpt.TREE_GROW_UPDATERS]  # :66-76
        if len(growers) > 1:
            raise _bad("updater", f"one tree grow plugin only, not {' and '.join(growers)}")


def emitted_metrics(objective: str) -> frozenset[str]:
    """The metric names ``objective`` can emit as 'validation:<name>' / 'train:<name>' (a metric
    with @threshold goes by its name before the @). See hyperparameter_table.EMITTED."""
    if objective not in hpt.EMITTED:
        raise HyperparameterError(f"objective {objective!r} is not one the container accepts")
    return frozenset(hpt.EMITTED[objective])


def _no_such(objective: str) -> HyperparameterError:
    return HyperparameterError(f"objective {objective}: the container accepts it, xgboost does not")


def default_metric(objective: str) -> str:
    """What xgboost (3.0.5) logs for ``objective`` when eval_metric is not given."""
    if not emitted_metrics(objective):
        raise _no_such(objective)
    return hpt.DEFAULT_METRIC[objective]


def _where(metric: str) -> str:
    """'applies to binary: and rank: objectives': a family by its prefix when all of it emits
    ``metric``, else the objectives one by one."""
    users = [objective for objective, metrics in hpt.EMITTED.items() if metric in metrics]
    if not users:
        return "is emitted by no objective the container can run"
    named: list[str] = []
    for prefix in dict.fromkeys(objective.split(":")[0] + ":" for objective in users):
        family = [objective for objective in hpt.EMITTED if objective.startswith(prefix)]
        ours = [objective for objective in users if objective.startswith(prefix)]
        named.extend([prefix] if ours == family else ours)
    listed = ", ".join(named[:-1]) + " and " + named[-1] if len(named) > 1 else named[0]
    return f"applies to {listed} objectives"


def check_metrics(config: dict[str, Any]) -> None:
    """HyperparameterError when the validated ``config``'s eval_metric (or the metric of its
    _tuning_objective_metric, which train_utils.py:61-76 adds to eval_metric) is one its
    objective (xgboost's default reg:squarederror if none) cannot emit."""
    objective = config.get("objective", DEFAULT_OBJECTIVE)
    emitted = emitted_metrics(objective)
    if not emitted:
        raise _no_such(objective)
    asked = [("eval_metric", metric) for metric in config.get("eval_metric") or []]
    if config.get("_tuning_objective_metric"):
        tuning = str(config["_tuning_objective_metric"])
        asked.append(("_tuning_objective_metric", tuning.partition(":")[2]))
    for source, metric in asked:
        base = metric.split("@")[0].strip()
        if base not in emitted:
            raise HyperparameterError(f"{source} {metric} {_where(base)}, not {objective}")


def check_objective_metric(name: str, objective: str) -> tuple[str, str]:
    """'validation:mlogloss' -> ('validation:mlogloss', 'Minimize'), as the container defines
    its tuning metrics (algorithm_mode/metrics.py:21-42: validation:<metric> only)."""
    metric = name.partition(":")[2]
    if name not in TUNING_METRICS:
        known = metric in MAXIMIZE | MINIMIZE
        hint = f"only validation:{metric}" if known else "validation:<metric> names only"
        raise HyperparameterError(f"objective metric {name!r}: the container defines {hint}")
    emitted = emitted_metrics(objective)
    if metric not in emitted:
        shown = ", ".join(f"validation:{m}" for m in sorted(emitted)) or "nothing"
        problem = f"{_where(metric)}, not {objective} (it emits {shown})"
        raise HyperparameterError(f"objective metric {name} {problem}")
    return name, "Maximize" if metric in MAXIMIZE else "Minimize"  # metrics.py:23-39


def _range_end(spec: Spec, text: str) -> int | float:
    try:
        value = int(text) if spec.kind == "int" else float(text)
    except ValueError:
        raise _bad(spec.name, f"{text.strip()!r} is not {hpt.READ_AS[spec.kind]}") from None
    assert isinstance(spec.allowed, Interval)  # every tunable one is an int or a float
    if not math.isfinite(value) or value not in spec.allowed:
        raise _bad(spec.name, f"{number(value)} is outside its valid range {spec.allowed}")
    return value


def tuning_ranges(text: str, fixed: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    """'eta=0.01:0.3,max_depth=3:10' (or 'max_depth=3|5|8') -> the ParameterRanges of
    CreateHyperParameterTuningJob, values as strings, names with aliases resolved. Only the
    container's tunable hyperparameters (table: tunable=True), ends inside their valid range."""
    kinds = ("ContinuousParameterRanges", "IntegerParameterRanges", "CategoricalParameterRanges")
    ranges: dict[str, list[dict[str, Any]]] = {kind: [] for kind in kinds}
    fixed_as = {hpt.ALIASES.get(name, name): name for name in fixed}
    tuned: dict[str, str] = {}
    for given, value in parse_pairs(text).items():
        name = hpt.ALIASES.get(given, given)
        if name not in TABLE:
            raise HyperparameterError(f"unknown hyperparameter {given!r}")
        spec = TABLE[name]
        if not spec.tunable:
            raise _bad(name, f"not tunable in the container (tunable: {', '.join(TUNABLE)})")
        if name in tuned:
            raise _bad(name, f"tuned twice ({tuned[name]} and {given})")
        if name in fixed_as:
            raise _bad(name, f"both tuned and fixed ({fixed_as[name]}={fixed[fixed_as[name]]})")
        tuned[name] = given
        if "|" in value:
            values = [repr(_range_end(spec, choice)) for choice in value.split("|")]
            ranges["CategoricalParameterRanges"].append({"Name": name, "Values": values})
            continue
        low_text, colon, high_text = value.partition(":")
        if not colon or ":" in high_text:
            raise _bad(name, f"{value!r} is not a range min:max")
        low, high = _range_end(spec, low_text), _range_end(spec, high_text)
        if low >= high:
            raise _bad(name, f"min {number(low)} is not below max {number(high)}")
        kind = kinds[1] if spec.kind == "int" else kinds[0]
        entry = {"Name": name, "MinValue": repr(low), "MaxValue": repr(high), "ScalingType": "Auto"}
        ranges[kind].append(entry)
    if not tuned:
        raise HyperparameterError("no hyperparameter to tune")
    return ranges


def inferred_objective(label_kind: str, classes: int) -> dict[str, str]:
    """What to add when no objective is given: label_kind is 'classes' (how many) or 'values'."""
    if label_kind == "values":
        return {"objective": DEFAULT_OBJECTIVE}
    if label_kind != "classes":
        raise HyperparameterError(f"label kind {label_kind!r} is neither 'classes' nor 'values'")
    if classes < 2:
        raise HyperparameterError(f"a label with {classes} class cannot train a classifier")
    if classes == 2:
        return {"objective": "binary:logistic"}
    return {"objective": "multi:softprob", "num_class": str(classes)}
