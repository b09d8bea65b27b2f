"""A model's several outputs per row: a quantile regression's levels, or a multi-target
regression's targets. The built-in container answers them as it answers class probabilities,
a list per row equal to xgboost's predict (serve.py:240-245, serve_utils.py:533-545 at v3.0-5);
the signature names each number, and the API answers them by name."""

from __future__ import annotations

# The one objective whose several outputs are quantiles (XGBoost's quantile loss takes one target).
QUANTILE_OBJECTIVE = "reg:quantileerror"


def quantile_name(level: float) -> str:
    """A quantile level as the API names it: the shortest text that reads back as it, "0.1"."""
    return repr(float(level))


def outputs_problem(
    objective: str, classifier: bool, quantiles: tuple[float, ...], targets: tuple[str, ...]
) -> str | None:
    """What is wrong with a signature's quantiles or targets, or None."""
    names = tuple(map(quantile_name, quantiles)) or targets
    if quantiles and targets:
        return "a model answers quantiles or targets, not both"
    if quantiles and objective != QUANTILE_OBJECTIVE:
        return f"quantiles are the outputs of {QUANTILE_OBJECTIVE} alone"
    if targets and (classifier or objective == QUANTILE_OBJECTIVE):
        return "targets are the outputs of a regression of several targets"
    if len(names) == 1:
        return "several outputs are two or more (a model of one answers a value)"
    if len(set(names)) != len(names) or not all(names):
        return "quantiles and targets must be distinct and not empty"
    if not all(0.0 < level < 1.0 for level in quantiles):
        return "a quantile level is between 0 and 1"
    return None
