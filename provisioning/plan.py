"""A run of a provisioning command: describe before create, print the plan, undo on failure.

Every step checks whether its resource exists; a dry run prints what it would create; what a
run creates is undone, newest first, when a later step fails or a signal stops the run, and
what existed before is left alone. An undo is registered before the call that creates its
resource: a run stopped while the call is under way (the call may have reached AWS, its answer
never came back) removes what it may have made, and an undo finds it absent when it was not.
The run holds the endpoint's lock meanwhile (``run_lock``), so what this run found missing and
then finds there is its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from foundation.interrupts import Interrupted, shielded
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
    # What this run made and a rollback keeps, with why (shared by other runs).
    kept: list[str] = field(default_factory=list)

    def ensure(
        self,
        what: str,
        exists: Callable[[], bool],
        create: Callable[[], Any],
        remove: Callable[[], Any] | None,
        kept_because: str | None = None,
    ) -> bool:
        """Create ``what`` unless it exists; return True when this run created it (or would).
        ``remove`` undoes it on failure; with none, ``kept_because`` says why it stays."""
        if exists():
            self.out(f"  exists   {what}")
            return False
        if self.dry_run:
            self.out(f"  create   {what}  (dry run: not created)")
            return True
        entry = (what, remove) if remove is not None else None
        if entry is not None:
            self.undo.append(entry)
        try:
            create()
        except ClientError:
            if entry is not None:  # AWS answered, and refused: nothing was made
                self.undo.remove(entry)
            raise
        self.out(f"  created  {what}")
        if remove is None and kept_because:
            self.kept.append(f"{what}: {kept_because}")
        return True

    def roll_back(self) -> None:
        """Undo what this run made, newest first; a second signal cannot cut it short."""
        with shielded():
            for what, remove in reversed(self.undo):
                try:
                    remove()
                    self.out(f"  removed  {what}")
                except ClientError as error:
                    if is_missing(error):  # the run stopped before its call made it
                        continue
                    self.out(f"  could not remove {what}: {checks.one_line(error)}")
                except AWS_ERRORS as error:
                    self.out(f"  could not remove {what}: {checks.one_line(error)}")
            for what in self.kept:
                self.out(f"  kept     {what}")
        self.undo.clear()
        self.kept.clear()


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


def interrupted(run: Deployment, step: str, signal: Interrupted, again: str) -> int:
    """A signal stopped the run: roll back, then say so in one line (``again``: what to run)."""
    run.roll_back()
    run.out(f"INTERRUPTED ({signal.name}) at {step}: rolled back what this run made; {again}")
    return signal.exit_code
