"""The names of a stage's Lambda functions beside the API's: its batch functions and its drift
function, each named ``<app>-<stage>-<function>`` as ``chalice deploy`` names them.

``chalice package`` leaves these functions unnamed, and CloudFormation would then name each
``<stack>-<LogicalId>-<random>``: its log group would not be the one its policy lets it write, nor
its metrics' FunctionName the one its alarms watch. So `make deploy`'s merge template names them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from foundation.lambda_code import batch_triggers, drift_schedule
from provisioning.naming import stack_name


def function_name(stage: str, function: str) -> str:
    """A stage's function as Lambda knows it: its log group is /aws/lambda/<this>."""
    return f"{stack_name(stage)}-{function}"


def logical_id(function: str) -> str:
    """Chalice's logical id for a function: score_on_arrival -> ScoreOnArrival."""
    return "".join(part.capitalize() for part in function.split("_"))


def stage_functions(environment: Mapping[str, str]) -> list[str]:
    """The functions app.py defines beside the API for a stage with these variables (the same
    reading app.py makes of them)."""
    batch = batch_triggers.BatchTriggers.from_environ(environment)
    found = []
    if batch.on_arrival:
        found.append(batch_triggers.ARRIVAL_FUNCTION)
    if batch.schedule:
        found.append(batch_triggers.SCHEDULE_FUNCTION)
    if drift_schedule.DriftSchedule.from_environ(environment).schedule:
        found.append(drift_schedule.FUNCTION)
    return found


def named_functions(stage: str, environment: Mapping[str, str]) -> dict[str, Any]:
    """The merge template's part that names each of the stage's functions."""
    return {
        logical_id(function): {"Properties": {"FunctionName": function_name(stage, function)}}
        for function in stage_functions(environment)
    }
