"""Whether a stage watches its model's drift, from its environment variables (scripts.drift_schedule
writes them). Read when app.py is imported, as chalicelib/batch/triggers.py is: a stage without
them deploys no drift function at all. Kept light: the API's cold start imports it too.

The schedule is an EventBridge rate expression, and its interval is also the window each run
reads (the hour before an hourly run): every captured invocation is read once, and the alarm on
the figures has that period (provisioning/monitoring.py, drift_watches).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

SCHEDULE = "DRIFT_SCHEDULE"  # rate(N unit): how often, and the window each run reads
BUCKET = "DRIFT_CAPTURE_BUCKET"  # the bucket the stage's endpoint captures into
# Thresholds (chalicelib.drift.Thresholds), each optional: unset, the report's defaults.
PSI_WARN = "DRIFT_PSI_WARN"
PSI_ALERT = "DRIFT_PSI_ALERT"
MISSING_WARN = "DRIFT_MISSING_WARN"
MISSING_ALERT = "DRIFT_MISSING_ALERT"
MIN_ROWS = "DRIFT_MIN_ROWS"
THRESHOLDS = {
    PSI_WARN: "psi_warn",
    PSI_ALERT: "psi_alert",
    MISSING_WARN: "missing_warn",
    MISSING_ALERT: "missing_alert",
    MIN_ROWS: "min_rows",
}
VARIABLES = (SCHEDULE, BUCKET, *THRESHOLDS)
# The function's name (Chalice's function is <app>-<stage>-<name>).
FUNCTION = "watch_drift"

# EventBridge's rate(): a positive whole value, the unit singular for 1 and plural otherwise
# ("rate(1 hours)" is refused: EventBridge User Guide, "Schedule expressions for rules").
RATE = re.compile(r"rate\(([1-9][0-9]*) (minute|hour|day)(s?)\)")
UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
# A run reads at least ten minutes of capture, at most a week: CloudWatch alarms look back at
# most seven days (Period x EvaluationPeriods, PutMetricAlarm API reference).
MIN_INTERVAL_SECONDS = 600
MAX_INTERVAL_SECONDS = 7 * 86400


def interval_seconds(schedule: str) -> int:
    """The seconds between two runs of ``schedule``; ValueError (one line) for anything but a
    rate expression EventBridge takes, from ten minutes to seven days."""
    match = RATE.fullmatch(schedule.strip())
    if match is None:
        raise ValueError(
            f"schedule {schedule!r} is not rate(N unit): e.g. rate(1 hour), rate(6 hours), "
            "rate(1 day)"
        )
    value, unit, plural = int(match.group(1)), match.group(2), match.group(3)
    if (value == 1) == bool(plural):
        wanted = unit if value == 1 else unit + "s"
        raise ValueError(f"schedule {schedule!r}: EventBridge wants rate({value} {wanted})")
    seconds = value * UNIT_SECONDS[unit]
    if not MIN_INTERVAL_SECONDS <= seconds <= MAX_INTERVAL_SECONDS:
        raise ValueError(f"schedule {schedule!r}: runs must be 10 minutes to 7 days apart")
    return seconds


@dataclass(frozen=True)
class DriftSchedule:
    schedule: str | None
    bucket: str | None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] = os.environ) -> DriftSchedule:
        bucket = environ.get(BUCKET) or None
        return cls(schedule=(environ.get(SCHEDULE) or None) if bucket else None, bucket=bucket)

    @property
    def window_seconds(self) -> int:
        assert self.schedule is not None
        return interval_seconds(self.schedule)
