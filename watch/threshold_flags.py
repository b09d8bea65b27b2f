"""The drift thresholds as command flags, for the report on the laptop (scripts.drift_report) and
the stage's scheduled function (scripts.drift_schedule): each flag's name, help and default
(chalicelib.drift's Thresholds), and the order a warn and an alert level must keep."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable

from foundation.lambda_code import drift

HELP = {
    "psi_warn": "PSI that warns",
    "psi_alert": "PSI that alerts",
    "missing_warn": "rise of the missing rate over the baseline's that warns",
    "missing_alert": "rise of the missing rate that alerts",
    "violations_warn": "share of values the signature would refuse that warns",
    "violations_alert": "share of such values that alerts",
}


def level_names(kinds: Iterable[str]) -> list[str]:
    """Thresholds' fields of ``kinds`` ("psi", "missing", "violations"): each warn, then alert."""
    return [f"{kind}_{level}" for kind in kinds for level in ("warn", "alert")]


def add_threshold_flags(
    group: argparse._ArgumentGroup, kinds: Iterable[str], value_type: Callable[[str], float]
) -> None:
    """A flag for each level of ``kinds`` (psi -> --psi-warn, --psi-alert), its default the
    report's own, read by ``value_type``."""
    defaults = drift.Thresholds()
    for name in level_names(kinds):
        group.add_argument(
            "--" + name.replace("_", "-"),
            type=value_type,
            default=getattr(defaults, name),
            help=f"{HELP[name]} (default: {getattr(defaults, name)})",
        )


def order_problem(
    levels: argparse.Namespace | drift.Thresholds, kinds: Iterable[str]
) -> str | None:
    """A warn level above its alert level (``kinds``: "psi", "missing", "violations"), or fewer
    than one row to judge by, in the flags' words; ``levels``: the parsed flags, or the
    Thresholds made of them."""
    for kind in kinds:
        if getattr(levels, f"{kind}_warn") > getattr(levels, f"{kind}_alert"):
            return f"--{kind}-warn is above --{kind}-alert"
    if levels.min_rows < 1:
        return "--min-rows must be at least 1"
    return None
