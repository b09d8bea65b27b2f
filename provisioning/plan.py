"""A run of a provisioning command: describe before create, print the plan, undo on failure.

Every step checks whether its resource exists; a dry run prints what it would create; what a
run creates is undone, newest first, when a later step fails, and what existed before is left
alone.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from provisioning import checks
from provisioning.aws import AwsClients, is_missing
from provisioning.checks import AWS_ERRORS


class StepFailed(Exception):
    def __init__(self, step: str, reason: str) -> None:
        super().__init__(f"{step}: {reason}")
        self.step = step
        self.reason = reason


@dataclass
class Deployment:
    """One run of the deploy: the plan it prints and the undo steps for what it created."""

    aws: AwsClients
    dry_run: bool = False
    out: Callable[[str], None] = print
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    undo: list[tuple[str, Callable[[], Any]]] = field(default_factory=list)

    def ensure(
        self,
        what: str,
        exists: Callable[[], bool],
        create: Callable[[], Any],
        remove: Callable[[], Any] | None,
    ) -> bool:
        """Create ``what`` unless it exists; return True when this run created it (or would)."""
        if exists():
            self.out(f"  exists   {what}")
            return False
        if self.dry_run:
            self.out(f"  create   {what}  (dry run: not created)")
            return True
        create()
        self.out(f"  created  {what}")
        if remove is not None:
            self.undo.append((what, remove))
        return True

    def roll_back(self) -> None:
        for what, remove in reversed(self.undo):
            try:
                remove()
                self.out(f"  removed  {what}")
            except AWS_ERRORS as error:
                self.out(f"  could not remove {what}: {checks.one_line(error)}")
        self.undo.clear()


def exists(call: Callable[[], Any]) -> bool:
    try:
        call()
        return True
    except ClientError as error:
        if is_missing(error):
            return False
        raise


def fail(run: Deployment, step: str, reason: str) -> int:
    run.out(f"FAILED at {step}: {reason}")
    if run.undo:
        run.out("rolling back what this run created:")
        run.roll_back()
    return 1
