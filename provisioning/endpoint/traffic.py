"""How an update shifts traffic to the new fleet: all at once, a canary, or linear steps, each
watched by alarms that roll it back (UpdateEndpoint's DeploymentConfig, botocore's sagemaker
model: BlueGreenUpdatePolicy, TrafficRoutingConfig, AutoRollbackConfig)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

# TrafficRoutingConfig.WaitIntervalInSeconds: 0 to 3600 (SageMaker API reference).
MAX_WAIT_SECONDS = 3600
# How long the old fleet lives on after the shift (BlueGreenUpdatePolicy, 0 to 3600).
TERMINATION_WAIT_SECONDS = 120
_SPEC = re.compile(r"(all-at-once)|(canary|linear):(\d+):(\d+)")


class TrafficSpecError(ValueError):
    pass


@dataclass(frozen=True)
class TrafficPolicy:
    """``kind``: ALL_AT_ONCE, CANARY or LINEAR; ``percent`` of capacity a canary or a step
    takes; ``wait_seconds`` a canary bakes, or each linear step lasts."""

    kind: str = "CANARY"
    percent: int = 10
    wait_seconds: int = 300

    @classmethod
    def parse(cls, spec: str) -> TrafficPolicy:
        """``all-at-once``, ``canary:PERCENT:WAIT_SECONDS`` or ``linear:PERCENT:INTERVAL_SECONDS``."""
        match = _SPEC.fullmatch(spec)
        if match is None:
            raise TrafficSpecError(
                f"--traffic {spec!r}: use all-at-once, canary:PERCENT:WAIT_SECONDS or "
                "linear:PERCENT:INTERVAL_SECONDS"
            )
        if match.group(1):
            return cls("ALL_AT_ONCE", 100, 0)
        kind, percent, wait = match.group(2).upper(), int(match.group(3)), int(match.group(4))
        if not 1 <= percent <= 99:
            raise TrafficSpecError(f"--traffic {spec!r}: PERCENT must be 1 to 99")
        if not 0 <= wait <= MAX_WAIT_SECONDS:
            raise TrafficSpecError(f"--traffic {spec!r}: seconds must be 0 to {MAX_WAIT_SECONDS}")
        return cls(kind, percent, wait)

    def describe(self) -> str:
        if self.kind == "ALL_AT_ONCE":
            return "all at once"
        if self.kind == "CANARY":
            return f"canary of {self.percent}%, baking {self.wait_seconds} s"
        return f"linear steps of {self.percent}%, every {self.wait_seconds} s"

    def longest_shift_seconds(self) -> int:
        """How long the shift itself takes at most, before the old fleet's termination wait."""
        if self.kind == "LINEAR":
            steps = -(-100 // self.percent)
            return steps * self.wait_seconds
        return self.wait_seconds


def deployment_config(
    policy: TrafficPolicy, alarm_names: list[str], wait_minutes: int
) -> dict[str, Any]:
    """UpdateEndpoint's DeploymentConfig: blue/green with ``policy``, rolled back by the alarms."""
    routing: dict[str, Any] = {"Type": policy.kind, "WaitIntervalInSeconds": policy.wait_seconds}
    capacity = {"Type": "CAPACITY_PERCENT", "Value": policy.percent}
    if policy.kind == "CANARY":
        routing["CanarySize"] = capacity
    elif policy.kind == "LINEAR":
        routing["LinearStepSize"] = capacity
    config: dict[str, Any] = {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": routing,
            "TerminationWaitInSeconds": TERMINATION_WAIT_SECONDS,
            # SageMaker gives up and rolls back past this (600 to 28800 s).
            "MaximumExecutionTimeoutInSeconds": min(
                28_800,
                max(600, wait_minutes * 60, policy.longest_shift_seconds() + 600),
            ),
        }
    }
    if alarm_names:
        config["AutoRollbackConfiguration"] = {
            "Alarms": [{"AlarmName": name} for name in alarm_names]
        }
    return config
