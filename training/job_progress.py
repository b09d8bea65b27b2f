"""Follow a SageMaker training job to its end: a line per status change and per secondary status
(with its message), the job's log lines as they arrive, and its final metrics. Stopped by Ctrl-C
or SIGTERM, it stops the job: a job left running bills its instances."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterator
from typing import Any

from botocore.exceptions import ClientError

from foundation.interrupts import Interrupted, shielded
from provisioning.checks import AWS_ERRORS, one_line

LOG_GROUP = "/aws/sagemaker/TrainingJobs"  # also the namespace of the jobs' metrics
# CloudWatch Logs shows a tab as #011 (rsyslog's escape), as in the container's metric lines
# ("[12]#011train-mlogloss:0.0123#011validation-mlogloss:0.0456").
LOG_TAB = "#011"
FINISHED = frozenset({"Completed", "Failed", "Stopped"})
# What follow waits beyond the job's own limits (its StoppingCondition) before it gives up.
MARGIN_SECONDS = 3600
# Pages of one stream read per poll; the rest comes at the next.
MAX_PAGES = 100


class TrainingFailed(Exception):
    """The job ended without a model (Failed, Stopped), or cannot give one; one line."""

    def __init__(self, name: str, reason: str, what: str = "training job") -> None:
        super().__init__(f"{what} {name} {reason}")
        self.name = name
        self.reason = reason


def first_line(text: str | None) -> str:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines[0][:300] if lines else "no reason given"


def signal_words(stop: Interrupted) -> str:
    return "Ctrl-C" if stop.signum == signal.SIGINT else stop.name


def again(name: str) -> str:
    return f"python -m scripts.train_job --attach {name} follows it"


class JobLog:
    """The new lines of a job's log streams (``<job>/algo-<n>-<time>``, one per instance), read
    as the SageMaker Python SDK reads them for ``logs=True`` (sagemaker/session.py
    ``logs_for_job``, sagemaker/logs.py ``log_stream``/``multi_stream_iter``): every stream with
    the job's prefix, from its head, in time order across streams. Each stream's forward token
    marks what was read (GetLogEvents: the same token back means the end, for now)."""

    def __init__(self, logs: Any, name: str, out: Callable[[str], None]) -> None:
        self.logs, self.name, self.out = logs, name, out
        self.tokens: dict[str, str] = {}
        self.unreadable = False

    def read(self) -> None:
        if self.unreadable:
            return
        try:
            streams = self._streams()
            events = [(e["timestamp"], s, e["message"]) for s in streams for e in self._new(s)]
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                return  # no log group yet: the job has not written a line
            self.unreadable = True  # say it once, and follow the job without its log
            self.out(f"log:       not readable ({one_line(error)}); the job goes on")
            return
        for _, stream, message in sorted(events, key=lambda event: event[0]):
            text = message.rstrip("\n").replace(LOG_TAB, "\t")
            self.out(f"  {stream.split('/', 1)[-1]}: {text}" if len(streams) > 1 else f"  {text}")

    def _streams(self) -> list[str]:
        pages = self.logs.get_paginator("describe_log_streams").paginate(
            logGroupName=LOG_GROUP, logStreamNamePrefix=f"{self.name}/"
        )
        return [stream["logStreamName"] for page in pages for stream in page["logStreams"]]

    def _new(self, stream: str) -> Iterator[dict[str, Any]]:
        for _ in range(MAX_PAGES):
            token = self.tokens.get(stream)
            page = self.logs.get_log_events(
                logGroupName=LOG_GROUP,
                logStreamName=stream,
                startFromHead=True,
                **({"nextToken": token} if token else {}),
            )
            self.tokens[stream] = page["nextForwardToken"]
            yield from page["events"]
            if page["nextForwardToken"] == token or not page["events"]:
                return


def _limit(described: dict[str, Any]) -> float:
    """Seconds after which the job must have ended: its own limits, and a margin."""
    stopping = described.get("StoppingCondition", {})
    longest = max(stopping.get("MaxWaitTimeInSeconds", 0), stopping.get("MaxRuntimeInSeconds", 0))
    return float(longest + stopping.get("MaxPendingTimeInSeconds", 0) + MARGIN_SECONDS)


def _metrics(described: dict[str, Any]) -> str:
    values = [f"{m['MetricName']}={m['Value']:g}" for m in described.get("FinalMetricDataList", [])]
    return ", ".join(values) or "none reported"


def _stop(sagemaker: Any, name: str, stop: Interrupted, out: Callable[[str], None]) -> None:
    with shielded():  # a second Ctrl-C must not keep the stop from being sent
        try:
            sagemaker.stop_training_job(TrainingJobName=name)
            sent = "StopTrainingJob sent"
        except AWS_ERRORS as error:
            sent = f"StopTrainingJob failed ({one_line(error)})"
    out(f"stopping training job {name} ({signal_words(stop)}): {sent}; {again(name)}")


def follow(
    sagemaker: Any,
    logs: Any,
    name: str,
    out: Callable[[str], None] = print,
    poll: float = 30.0,
) -> dict[str, Any]:
    """Follow the job until it ends; its final DescribeTrainingJob. TrainingFailed when it
    failed or was stopped; on Interrupted it stops the job, says so, and re-raises."""
    log = JobLog(logs, name, out)
    shown_status = ""
    shown: set[tuple[str, str]] = set()
    deadline: float | None = None
    try:
        while True:
            described = dict(sagemaker.describe_training_job(TrainingJobName=name))
            status = described["TrainingJobStatus"]
            if deadline is None:
                deadline = time.monotonic() + _limit(described)
            if status != shown_status:
                out(f"job:       {name} {status}")
                shown_status = status
            for transition in described.get("SecondaryStatusTransitions", []):
                step = (transition["Status"], transition.get("StatusMessage", ""))
                if step not in shown:
                    shown.add(step)
                    out(f"job:       {step[0]}" + (f": {step[1]}" if step[1] else ""))
            log.read()
            if status in FINISHED:
                break
            if time.monotonic() > deadline:
                raise TrainingFailed(name, f"is still {status} past its limits; {again(name)}")
            time.sleep(poll)
    except Interrupted as stop:
        _stop(sagemaker, name, stop, out)
        raise
    if status == "Failed":
        raise TrainingFailed(name, f"failed: {first_line(described.get('FailureReason'))}")
    if status == "Stopped":
        why = described.get("SecondaryStatus", "Stopped")
        raise TrainingFailed(name, f"was stopped ({why}): it has no model to import")
    out(f"metrics:   {_metrics(described)}")
    return described


def attach(
    sagemaker: Any,
    logs: Any,
    name: str,
    out: Callable[[str], None] = print,
    poll: float = 30.0,
) -> dict[str, Any]:
    """Follow a job started earlier (by a terminal that is gone), from the start of its log."""
    out(f"attach:    training job {name}")
    return follow(sagemaker, logs, name, out, poll)
