"""A model's several outputs at import: a quantile regression's levels (from the booster), or a
multi-target regression's targets (named by the user, else ``target_0``, ``target_1``...). The
built-in container answers both as a list per row, xgboost's predict row (serve.py:240-245 at
v3.0-5); the signature names each number so the API can answer them by name."""

from __future__ import annotations

from artifacts.booster import BoosterFacts
from foundation.lambda_code import signature as sig


class OutputsError(ValueError):
    """The outputs asked for are not the model's: one line says why."""


def default_targets(count: int) -> tuple[str, ...]:
    return tuple(f"target_{index}" for index in range(count))


def multi_label_problem(facts: BoosterFacts) -> None:
    """A classifier of several targets (multi-label) is refused: the API labels one class a row."""
    if facts.num_target != 1 and sig.OBJECTIVES[facts.objective] is not sig.Answer.VALUE:
        raise OutputsError(
            f"{facts.objective} of {facts.num_target} targets (a multi-label classifier) is not "
            "served: the proxy labels one class per row"
        )


def checked_outputs(
    facts: BoosterFacts, targets: tuple[str, ...] | None
) -> tuple[tuple[float, ...], tuple[str, ...]]:
    """The signature's (quantiles, targets): one of them for a model of several outputs, neither
    for a model of one (a quantile regression of a single alpha answers a plain value)."""
    multi_label_problem(facts)
    if facts.num_target == 1:
        if targets:
            raise OutputsError(
                "--targets names the outputs of a model of several targets; this one predicts "
                "one value: leave it out"
            )
        return (), ()
    if facts.objective == sig.QUANTILE_OBJECTIVE:
        levels = facts.quantile_alphas
        if targets:
            raise OutputsError(
                "--targets names a multi-target model's outputs; this one answers the quantiles "
                f"{', '.join(map(sig.quantile_name, levels))}: leave it out"
            )
        if len(levels) != facts.num_target:
            raise OutputsError(
                f"the model answers {facts.num_target} numbers per row for {len(levels)} "
                "quantile_alpha: it cannot be read"
            )
        return levels, ()
    names = targets or default_targets(facts.num_target)
    if len(names) != facts.num_target:
        raise OutputsError(
            f"--targets names {len(names)} target{'s' * (len(names) != 1)}; the model has "
            f"{facts.num_target}"
        )
    if len(set(names)) != len(names) or not all(names):
        raise OutputsError("--targets must be distinct and not empty")
    spaced = next((name for name in names if name != name.strip()), None)
    if spaced is not None:
        raise OutputsError(f"--targets: {spaced!r} has spaces around it (names are kept exactly)")
    return (), names
