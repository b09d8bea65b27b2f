"""A hyperparameter tuning job of the built-in XGBoost algorithm: its request, its start (or the
reuse of one that ran), and following it to its best training job. Stopped by Ctrl-C or
SIGTERM, it stops the tuning job, and SageMaker stops its training jobs."""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from botocore.exceptions import ClientError

from foundation.interrupts import Interrupted, shielded
from provisioning.aws import is_missing
from provisioning.checks import AWS_ERRORS, one_line
from training.aws_job import create_when_role_is_ready, next_attempt, training_job_request
from training.job_progress import FINISHED, MARGIN_SECONDS, TrainingFailed, first_line, signal_words

TUNING_NAME = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}")  # the service model's pattern
WHAT = "tuning job"
# What a tuning job's TrainingJobDefinition takes of a training job's request.
DEFINITION_KEYS = ("AlgorithmSpecification", "RoleArn", "InputDataConfig", "OutputDataConfig",
                   "ResourceConfig", "StoppingCondition", "EnableManagedSpotTraining")  # fmt: skip


def tuning_job_request(
    name: str, ranges: dict[str, list[dict[str, Any]]], objective_metric: tuple[str, str],
    max_jobs: int, max_parallel: int, static_hyperparameters: dict[str, str], *, image: str,
    role_arn: str, channels_s3: dict[str, str], output_s3: str, instance_type: str,
    instance_count: int, max_runtime: int, spot_max_wait: int | None, checkpoint_s3: str | None,
    kms_key: str | None, tags: list[dict[str, str]],
) -> dict[str, Any]:  # fmt: skip
    """CreateHyperParameterTuningJob's arguments: Bayesian search of ``ranges`` (the
    ParameterRanges of hyperparameters.tuning_ranges) for the best ``objective_metric``
    (name, Minimize or Maximize), each training job defined as training_job_request defines one.

    No MetricDefinitions: the built-in algorithm's metrics "are already defined for you"
    (Developer Guide, "Define metrics and environment variables", automatic-model-tuning-define-
    metrics-variables.html). No CheckpointConfig either, even for spot: nothing shows that
    SageMaker gives each of a tuning job's training jobs a prefix of its own, and the container
    loads whatever checkpoint it finds there (checkpointing.py:139-167 at v3.0-5), so a job
    could go on from another's model (v3.0-5 resumes from none anyway: training_job_request)."""
    if not _valid(name):
        raise ValueError(f"tuning job name {name!r} must be 1 to 32 letters, digits and hyphens")
    del checkpoint_s3  # see above
    training = training_job_request(
        name, image, role_arn, channels_s3, output_s3, static_hyperparameters, instance_type,
        instance_count, max_runtime, spot_max_wait, None, kms_key, tags,
    )  # fmt: skip
    metric, direction = objective_metric
    definition = {key: training[key] for key in DEFINITION_KEYS if key in training}
    return {
        "HyperParameterTuningJobName": name,
        "HyperParameterTuningJobConfig": {
            "Strategy": "Bayesian",
            "HyperParameterTuningJobObjective": {"Type": direction, "MetricName": metric},
            "ResourceLimits": {
                "MaxNumberOfTrainingJobs": max_jobs,
                "MaxParallelTrainingJobs": max_parallel,
            },
            "ParameterRanges": ranges,
        },
        "TrainingJobDefinition": {
            "StaticHyperParameters": training["HyperParameters"],
            **definition,
        },
        "Tags": training["Tags"],
    }


def _valid(name: str) -> bool:
    return TUNING_NAME.fullmatch(name) is not None


def start_or_reuse_tuning(
    sagemaker: Any, request: dict[str, Any], sleep: Callable[[float], None] = time.sleep
) -> tuple[str, str]:
    """As aws_job.start_or_reuse, for a tuning job: a Completed one is reused, one under way
    followed, and after a Failed or Stopped one the next attempt starts. (name, what happened)."""
    name = request["HyperParameterTuningJobName"]
    before = ""
    for _ in range(99):
        try:
            described = sagemaker.describe_hyper_parameter_tuning_job(
                HyperParameterTuningJobName=name
            )
        except ClientError as error:
            if not is_missing(error):
                raise
            create = partial(
                sagemaker.create_hyper_parameter_tuning_job,
                **{**request, "HyperParameterTuningJobName": name},
            )
            create_when_role_is_ready(create, sleep)
            return name, f"created  {WHAT} {name}{before}"
        status = described["HyperParameterTuningJobStatus"]
        if status == "Completed":
            return name, f"exists   {WHAT} {name} (Completed: its best job is used, no new one)"
        if status not in FINISHED:
            return name, f"attach   {WHAT} {name} ({status}: followed, no new one)"
        reason = first_line(described.get("FailureReason")) if status == "Failed" else status
        before = f" (attempt {name} {status}: {reason})"
        name = next_attempt(name)
        if not _valid(name):
            break
    raise TrainingFailed(name, "has failed too many attempts: look at their FailureReason", WHAT)


def _limit(described: dict[str, Any]) -> float:
    """Seconds after which the tuning job must have ended: its rounds of parallel jobs, each
    within its own limits, and a margin per round."""
    config = described["HyperParameterTuningJobConfig"]["ResourceLimits"]
    stopping = described.get("TrainingJobDefinition", {}).get("StoppingCondition", {})
    longest = max(stopping.get("MaxWaitTimeInSeconds", 0), stopping.get("MaxRuntimeInSeconds", 0))
    rounds = math.ceil(config["MaxNumberOfTrainingJobs"] / config["MaxParallelTrainingJobs"])
    return float(rounds * (longest + MARGIN_SECONDS))


def _jobs(sagemaker: Any, name: str) -> list[dict[str, Any]]:
    pages = sagemaker.get_paginator("list_training_jobs_for_hyper_parameter_tuning_job").paginate(
        HyperParameterTuningJobName=name, SortBy="CreationTime", SortOrder="Ascending"
    )
    return [job for page in pages for job in page["TrainingJobSummaries"]]


def _stop(sagemaker: Any, name: str, stop: Interrupted, out: Callable[[str], None]) -> None:
    with shielded():  # a second Ctrl-C must not keep the stop from being sent
        try:
            sagemaker.stop_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
            sent = "StopHyperParameterTuningJob sent (its training jobs stop with it)"
        except AWS_ERRORS as error:
            sent = f"StopHyperParameterTuningJob failed ({one_line(error)})"
    out(f"stopping {WHAT} {name} ({signal_words(stop)}): {sent}")


class Board:
    """Each finished training job, once, with its objective value and the best so far."""

    def __init__(self, objective: dict[str, str], out: Callable[[str], None]) -> None:
        self.metric, self.maximize = objective["MetricName"], objective["Type"] == "Maximize"
        self.out = out
        self.shown: set[str] = set()
        self.best: tuple[float, str] | None = None

    def show(self, job: dict[str, Any]) -> None:
        name, status = job["TrainingJobName"], job["TrainingJobStatus"]
        if status not in FINISHED or name in self.shown:
            return
        self.shown.add(name)
        value = job.get("FinalHyperParameterTuningJobObjectiveMetric", {}).get("Value")
        if status == "Completed" and value is not None:
            if self.best is None or (
                value > self.best[0] if self.maximize else value < self.best[0]
            ):
                self.best = (float(value), name)
            result = f"{self.metric}={value:g}"
        elif status == "Failed":
            result = f"Failed: {first_line(job.get('FailureReason'))}"
        else:
            result = f"{status}, no {self.metric}"
        best = f"{self.best[1]} ({self.best[0]:g})" if self.best else "none yet"
        self.out(f"  {name}  {result}  best so far: {best}")


def follow_tuning(
    sagemaker: Any, name: str, out: Callable[[str], None] = print, poll: float = 30.0
) -> str:
    """Follow the tuning job to its end; the name of its best training job. TrainingFailed when
    it failed, was stopped or has no best job; on Interrupted it stops it and re-raises."""
    shown_status = ""
    board: Board | None = None
    deadline: float | None = None
    try:
        while True:
            described = sagemaker.describe_hyper_parameter_tuning_job(
                HyperParameterTuningJobName=name
            )
            status = described["HyperParameterTuningJobStatus"]
            if board is None or deadline is None:
                config = described["HyperParameterTuningJobConfig"]
                board = Board(config["HyperParameterTuningJobObjective"], out)
                deadline = time.monotonic() + _limit(described)
            if status != shown_status:
                out(f"tuning:    {name} {status}")
                shown_status = status
            for job in _jobs(sagemaker, name):
                board.show(job)
            if status in FINISHED:
                break
            if time.monotonic() > deadline:
                raise TrainingFailed(name, f"is still {status} past its limits", WHAT)
            time.sleep(poll)
    except Interrupted as stop:
        _stop(sagemaker, name, stop, out)
        raise
    if status == "Failed":
        raise TrainingFailed(name, f"failed: {first_line(described.get('FailureReason'))}", WHAT)
    if status == "Stopped":
        raise TrainingFailed(name, "was stopped: no best training job to import", WHAT)
    best = described.get("BestTrainingJob")
    if not best:
        raise TrainingFailed(name, f"completed with no job that reported {board.metric}", WHAT)
    value = best.get("FinalHyperParameterTuningJobObjectiveMetric", {}).get("Value")
    shown = f" ({board.metric}={value:g})" if value is not None else ""
    out(f"best:      {best['TrainingJobName']}{shown}")
    return str(best["TrainingJobName"])
