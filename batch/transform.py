"""SageMaker Batch Transform on a stage's model: the job's parameters, the check of its input by
the signature before it starts, and its price.

The built-in container reads header-less CSV only (it refuses JSON with 415, and would read a
header as a row), so a transform's input is CSV without a header: the id columns first, then the
features in the model's order. ``InputFilter`` drops the ids before the model sees a line,
``JoinSource: Input`` joins each answer to its line, and ``OutputFilter`` keeps the ids and the
answer: each output line is ``id,...,score[,score...]`` (``batch.transform_output`` labels it).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Any

from pydantic_core import ValidationError

from lambda_code import signature as sig
from lambda_code import validation
from provisioning.aws import project_tags
from provisioning.naming import stem

# The container's own limit on a request (MAX_CONTENT_LENGTH, 6 MiB by default, serve.py:35 at
# v3.0-5), which it reports as MaxPayloadInMB in /execution-parameters (serve.py:152).
MAX_PAYLOAD_MB = 6
# Bytes of each input object read to check its first lines before the job starts.
SAMPLE_BYTES = 256 * 1024
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


class TransformRefused(ValueError):
    """The job cannot start as asked: one line, nothing started."""


@dataclass(frozen=True)
class S3Location:
    bucket: str
    key: str

    @classmethod
    def parse(cls, url: str, what: str) -> S3Location:
        match = re.fullmatch(r"s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/(.*)", url)
        if not match:
            raise TransformRefused(f"{what} {url!r} is not s3://bucket/key-or-prefix")
        return cls(match.group(1), match.group(2))

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    @property
    def arn(self) -> str:
        return f"arn:aws:s3:::{self.bucket}/{self.key}"


@dataclass(frozen=True)
class TransformRequest:
    input: S3Location
    output: S3Location
    id_columns: tuple[str, ...]
    instance_type: str = "ml.m5.large"
    instance_count: int = 1
    max_payload_mb: int = MAX_PAYLOAD_MB
    kms_key: str | None = None

    def problem(self) -> str | None:
        if not INSTANCE_TYPE.fullmatch(self.instance_type):
            return f"--instance-type {self.instance_type!r} is not a SageMaker instance type"
        if not 1 <= self.instance_count <= 100:
            return "--instance-count must be from 1 to 100"
        if not 1 <= self.max_payload_mb <= MAX_PAYLOAD_MB:
            return f"--max-payload-mb must be from 1 to {MAX_PAYLOAD_MB} (the container's limit)"
        if not self.input.key or self.input.key.endswith(".jsonl"):
            return "--input must name CSV objects (a key or a prefix): the container reads CSV"
        if self.output.key and not self.output.key.endswith("/"):
            return "--output must be a prefix, ending in / (one .out object per input object)"
        if self.input.bucket == self.output.bucket and self.output.key.startswith(self.input.key):
            return "--output must not be inside --input (the job would read its own output)"
        return None


def job_name(endpoint: str, now: datetime.datetime | None = None) -> str:
    moment = (now or datetime.datetime.now(datetime.UTC)).strftime("%Y%m%d-%H%M%S")
    return f"{stem(endpoint)}-batch-{moment}"


def data_processing(id_count: int, feature_count: int, answer_width: int) -> dict[str, str]:
    """Drop the ids for the model, join its answer to the line, keep the ids and the answer."""
    if id_count == 0:
        return {"JoinSource": "None"}
    ids = ",".join(str(index) for index in range(id_count))
    return {
        "InputFilter": f"$[{id_count}:]",
        "JoinSource": "Input",
        "OutputFilter": f"$[{ids},{id_count + feature_count}:]",
    }


def answer_width(signature: sig.Signature) -> int:
    """Columns of the container's CSV answer for a row: a probability per class, or one."""
    return len(signature.labels) if signature.answer is sig.Answer.PROBABILITIES else 1


def transform_job(
    name: str,
    model_name: str,
    request: TransformRequest,
    signature: sig.Signature,
    endpoint: str,
) -> dict[str, Any]:
    """CreateTransformJob's parameters."""
    resources: dict[str, Any] = {
        "InstanceType": request.instance_type,
        "InstanceCount": request.instance_count,
    }
    output: dict[str, Any] = {
        "S3OutputPath": request.output.url,
        "Accept": "text/csv",
        "AssembleWith": "Line",
    }
    if request.kms_key:
        resources["VolumeKmsKeyId"] = request.kms_key
        output["KmsKeyId"] = request.kms_key
    return {
        "TransformJobName": name,
        "ModelName": model_name,
        "BatchStrategy": "MultiRecord",
        "MaxPayloadInMB": request.max_payload_mb,
        "TransformInput": {
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": request.input.url}},
            "ContentType": "text/csv",
            "SplitType": "Line",
            "CompressionType": "None",
        },
        "TransformOutput": output,
        "TransformResources": resources,
        "DataProcessing": data_processing(
            len(request.id_columns), len(signature.features), answer_width(signature)
        ),
        "Tags": project_tags(signature.artifact_sha256, endpoint),
    }


def price_line(request: TransformRequest) -> str:
    """What the run may cost, said as an estimate with what it assumes."""
    hourly = HOURLY_PRICE.get(request.instance_type)
    what = f"{request.instance_count} x {request.instance_type}"
    if hourly is None:
        return f"cost: {what}, billed by the second from start-up (see AWS's SageMaker pricing)"
    per_hour = hourly * request.instance_count
    least = per_hour * STARTUP_MINUTES / 60
    return (
        f"cost: {what} at about ${per_hour:.3f} an hour (us-east-1 on-demand list price), "
        f"billed by the second from start-up: at least ${least:.3f} for the "
        f"~{STARTUP_MINUTES} min it takes to start"
    )


def sample_problem(
    text: str, signature: sig.Signature, id_count: int, where: str, complete: bool
) -> str | None:
    """The first line of ``text`` (an object's first bytes) the model could not take, or None.
    The last line is checked only when ``complete`` (it may be cut short)."""
    lines = text.split("\n")
    if not complete:
        lines = lines[:-1]
    validator = validation.record_validator(signature)
    names = signature.feature_names
    width = id_count + len(names)
    for number, line in enumerate(lines, start=1):
        line = line.rstrip("\r")
        if not line:
            continue
        if '"' in line:
            return f"{where} line {number}: quoted cells (Batch Transform splits on every comma)"
        cells = line.split(",")
        if len(cells) != width:
            header = " (a header? the container would read it as a row)" if number == 1 else ""
            return (
                f"{where} line {number}: {len(cells)} cells, not {id_count} id(s) and "
                f"{len(names)} features{header}"
            )
        record = {
            name: _cell(cell, feature)
            for name, cell, feature in zip(names, cells[id_count:], signature.features, strict=True)
            if cell != ""
        }
        try:
            validator.validate_python(record)
        except ValidationError as error:
            problem = validation.describe_problems(error)[0]
            first = "" if number > 1 else " (a header? the container would read it as a row)"
            return f"{where} line {number}: {problem['field']}: {problem['reason']}{first}"
    return None


def _cell(cell: str, feature: sig.Feature) -> Any:
    if feature.type == sig.BOOLEAN:
        # The model reads 1 and 0; a word would be refused by the container.
        return {"1": True, "0": False}.get(cell.strip(), cell)
    try:
        return float(cell)
    except ValueError:
        return cell
