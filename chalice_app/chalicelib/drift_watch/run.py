"""One scheduled drift run (app.py's watch_drift): the stage's endpoint's capture of the last
window, read against the baseline shipped beside the stage's signature, its figures published as
CloudWatch metrics in the function's log (chalicelib/drift_watch/metrics.py) and summed up in one line.

The stage's model is the one its signature describes; capture files name the model that answered
them (chalicelib/drift/capture_store.py), so the lines of another model in the window (the one a
deploy replaced) are counted and named, never read as this one's. A run that cannot judge (no
capture, no baseline, no bucket) says so in one line and returns: a raised error makes Lambda
run the event again, which would only say it again. An AWS fault (throttled, denied) is raised,
so that the function's Errors metric, and its alarm, show a watch that is not watching.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import math
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError

from chalicelib import clients, drift
from chalicelib.drift_watch import metrics as drift_metrics
from chalicelib.drift_watch.schedule import THRESHOLDS, DriftSchedule
from chalicelib.errors import ApiError
from chalicelib.settings import get_settings

BASELINE_SUFFIX = ".baseline.json"
# How a stage gets its model's baseline (watch/baseline_files.py's MAKE_BASELINE, then the deploy
# that copies it beside the stage's signature: provisioning/stage_config.py).
MAKE_BASELINE = (
    "make one with python -m scripts.make_baseline --model ARTIFACT --data DATA.csv (it is written "
    "beside the artifact), then python -m scripts.deploy_endpoint --stage STAGE ... and make deploy "
    "STAGE=STAGE ship it with the stage"
)


class RunRefused(ValueError):
    """The run cannot judge: one line says why."""


def baseline_path(signature_path: Path) -> Path:
    """The stage's baseline, beside its signature: dev.json -> dev.baseline.json."""
    return signature_path.with_name(signature_path.name.removesuffix(".json") + BASELINE_SUFFIX)


def thresholds_from(environ: Mapping[str, str]) -> drift.Thresholds:
    """The report's thresholds with the stage's own (scripts.drift_schedule wrote them)."""
    chosen: dict[str, Any] = {}
    for variable, field in THRESHOLDS.items():
        text = environ.get(variable)
        if not text:
            continue
        try:
            chosen[field] = int(text) if field == "min_rows" else float(text)
        except ValueError:
            raise RunRefused(f"{variable} {text!r} is not a number") from None
    thresholds = dataclasses.replace(drift.Thresholds(), **chosen)
    rates = (thresholds.psi_warn, thresholds.psi_alert, thresholds.missing_warn,
             thresholds.missing_alert)  # fmt: skip
    if (
        not all(math.isfinite(rate) and rate > 0 for rate in rates)
        or thresholds.psi_warn > thresholds.psi_alert
        or thresholds.missing_warn > thresholds.missing_alert
        or thresholds.min_rows < 1
    ):
        raise RunRefused("the stage's drift thresholds disagree: rerun scripts.drift_schedule")
    return thresholds


def window_of(event_time: str, seconds: int) -> tuple[datetime.datetime, datetime.datetime]:
    """The window that ends when the schedule fired (the event's time: a retried event reads the
    same window again), else now; on a whole minute, so that a run a few seconds late still
    starts where the one before ended."""
    try:
        end = datetime.datetime.fromisoformat(event_time)
        end = end if end.tzinfo else end.replace(tzinfo=datetime.UTC)
    except (TypeError, ValueError):
        end = datetime.datetime.now(datetime.UTC)
    end = end.replace(second=0, microsecond=0)
    return end - datetime.timedelta(seconds=seconds), end


def watch(
    event_time: str,
    environ: Mapping[str, str] = os.environ,
    s3: Any = None,
    out: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Read the window that ends at ``event_time``, publish its figures; what happened, as the
    function's answer and its last log line."""

    def said(outcome: dict[str, Any], metrics: dict[str, Any] | None = None) -> dict[str, Any]:
        out(json.dumps({**(metrics or {}), "drift": outcome}, separators=(",", ":")))
        return outcome

    try:
        settings = get_settings()
        schedule = DriftSchedule.from_environ(environ)
        if schedule.bucket is None or schedule.schedule is None:
            raise RunRefused("the stage has no drift schedule: run scripts.drift_schedule")
        start, end = window_of(event_time, schedule.window_seconds)
        thresholds = thresholds_from(environ)
        signature = clients.get_signature()
        sha = signature.artifact_sha256
        path = baseline_path(settings.signature_path)
        if not path.is_file():
            raise RunRefused(f"no baseline for model {sha[:12]} ({path.name}): {MAKE_BASELINE}")
        baseline = drift.bound_baseline(drift.read_baseline(path), signature)
    except drift.BaselineError as error:
        return said({"published": False, "refused": f"{error}: {MAKE_BASELINE}"})
    except (RunRefused, ValueError) as error:
        return said({"published": False, "refused": str(error)})
    except ApiError as error:  # the stage's own settings or signature: the log says which
        return said({"published": False, "refused": error.log_detail or error.message})
    where = {
        "endpoint": settings.endpoint_name,
        "model": sha,
        "from": start.isoformat(),
        "to": end.isoformat(),
    }
    s3 = s3 or boto3.client("s3", region_name=settings.region)
    try:
        reading = drift.read_capture(
            drift.S3Store(s3, schedule.bucket),
            f"capture/{settings.endpoint_name}",
            {sha: (baseline, signature)},
            thresholds,
            start,
            end,
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "NoSuchBucket":
            raise
        return said({**where, "published": False, "refused": f"no bucket {schedule.bucket}"})
    notes = _notes(reading, sha)
    report = reading.reports.get(sha)
    if report is None:
        reason = "nothing captured" + ("" if reading.nothing_captured else " of the stage's model")
        return said({**where, "published": False, "reason": reason, **notes})
    timestamp_ms = int(end.timestamp() * 1000)
    namespace, function = settings.metrics_namespace, settings.function_name
    for document in drift_metrics.feature_documents(report, function, namespace, timestamp_ms):
        out(json.dumps(document, separators=(",", ":")))
    summary = drift_metrics.summary_document(report, function, namespace, timestamp_ms)
    outcome = {
        **where,
        "published": bool(summary),
        "level": report.level,
        "records": report.records,
        "rows": report.rows,
        "crossed": [
            {"name": d.name, "level": d.level, "reasons": list(d.reasons)}
            for d in (*report.features, *report.predictions)
            if d.level in (drift.WARN, drift.ALERT)
        ],
        **({"malformed": report.malformed} if report.malformed else {}),
        **({"wrong_width": report.wrong_width} if report.wrong_width else {}),
        **({"unread_answers": report.unread_answers} if report.unread_answers else {}),
        **notes,
    }
    return said(outcome, summary)


def _notes(reading: drift.CaptureReading, sha: str) -> dict[str, Any]:
    """What the window held beyond the stage's model: other models' lines, by model, and lines
    under paths that name none (capture configured before it named its model)."""
    notes: dict[str, Any] = {}
    others = {
        other[:12]: lines for other, lines in reading.without_baseline.items() if other != sha
    }
    if others:
        notes["other_models"] = others
    if reading.unattributed:
        notes["unattributed"] = reading.unattributed
    return notes
