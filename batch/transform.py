"""A Batch Transform run as ``scripts.batch_score`` asks for one: its arguments checked before
any AWS call, and its price. The job's parameters and the input's check are the Lambda's own
(``chalicelib.batch.jobs``), so the stage's batch functions start the same jobs."""

from __future__ import annotations

import re
from dataclasses import dataclass

from foundation.lambda_code import batch_jobs

MAX_PAYLOAD_MB = batch_jobs.MAX_PAYLOAD_MB
S3Location = batch_jobs.S3Location
JobSpec = batch_jobs.JobSpec

# On-demand list prices of Batch Transform instances in us-east-1, USD an hour (AWS's SageMaker
# pricing page, 2026); other regions and savings plans differ: an estimate, said to be one.
HOURLY_PRICE = {
    "ml.m5.large": 0.115,
    "ml.m5.xlarge": 0.23,
    "ml.m5.2xlarge": 0.461,
    "ml.m5.4xlarge": 0.922,
    "ml.c5.xlarge": 0.204,
    "ml.c5.2xlarge": 0.408,
    "ml.c5.4xlarge": 0.816,
}
# What a job bills before its first record: instances start and load the model.
STARTUP_MINUTES = 6
INSTANCE_TYPE = re.compile(r"ml\.[a-z0-9]+\.[0-9]*x?large")

TransformRefused = batch_jobs.JobRefused


@dataclass(frozen=True)
class TransformRequest:
    input: S3Location
    output: S3Location
    id_columns: tuple[str, ...]
    instance_type: str = "ml.m5.large"
    instance_count: int = 1
    max_payload_mb: int = MAX_PAYLOAD_MB
    kms_key: str | None = None

    @property
    def spec(self) -> JobSpec:
        return JobSpec(
            output=self.output,
            id_count=len(self.id_columns),
            instance_type=self.instance_type,
            instance_count=self.instance_count,
            max_payload_mb=self.max_payload_mb,
            kms_key=self.kms_key,
        )

    def problem(self) -> str | None:
        return spec_problem(self.instance_type, self.instance_count, self.max_payload_mb) or (
            location_problem(self.input, self.output)
        )


def spec_problem(instance_type: str, instance_count: int, max_payload_mb: int) -> str | None:
    if not INSTANCE_TYPE.fullmatch(instance_type):
        return f"--instance-type {instance_type!r} is not a SageMaker instance type"
    if not 1 <= instance_count <= 100:
        return "--instance-count must be from 1 to 100"
    if not 1 <= max_payload_mb <= MAX_PAYLOAD_MB:
        return f"--max-payload-mb must be from 1 to {MAX_PAYLOAD_MB} (the container's limit)"
    return None


def location_problem(source: S3Location, output: S3Location) -> str | None:
    if not source.key or source.key.endswith((".jsonl", ".ndjson", ".json")):
        return "--input must name CSV objects (a key or a prefix): the container reads CSV"
    if output.key and not output.key.endswith("/"):
        return "--output must be a prefix, ending in / (one .out object per input object)"
    if source.bucket == output.bucket and output.key.startswith(source.key):
        return "--output must not be inside --input (the job would read its own output)"
    return None


def price_line(instance_type: str, instance_count: int) -> str:
    """What a run may cost, said as an estimate with what it assumes."""
    hourly = HOURLY_PRICE.get(instance_type)
    what = f"{instance_count} x {instance_type}"
    if hourly is None:
        return f"cost: {what}, billed by the second from start-up (see AWS's SageMaker pricing)"
    per_hour = hourly * instance_count
    least = per_hour * STARTUP_MINUTES / 60
    return (
        f"cost: {what} at about ${per_hour:.3f} an hour (us-east-1 on-demand list price), "
        f"billed by the second from start-up: at least ${least:.3f} for the "
        f"~{STARTUP_MINUTES} min it takes to start"
    )
