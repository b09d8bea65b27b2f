"""Batch Transform jobs on the model a stage's endpoint serves: their parameters, and the check
of their input by the signature before one starts. Shared by ``scripts.batch_score`` and the
stage's batch functions (app.py), which start jobs for new data in S3.

The built-in container reads header-less CSV only (it refuses JSON with 415, and would read a
header as a row), so a job's input is CSV without a header: the id columns first, then the
features in the model's order. ``InputFilter`` drops the ids before the model sees a line,
``JoinSource: Input`` joins each answer to its line, and ``OutputFilter`` keeps the ids and the
answer: each output line is ``id,...,score[,score...]``.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Any

from pydantic_core import ValidationError

from chalicelib import validation
from chalicelib.signature import BOOLEAN, CATEGORICAL, Answer, Feature, Signature

# The container's own limit on a request (MAX_CONTENT_LENGTH, 6 MiB by default, serve.py:35 at
# v3.0-5), which it reports as MaxPayloadInMB in /execution-parameters (serve.py:152).
MAX_PAYLOAD_MB = 6
# Bytes of an input object read to check its first lines before a job starts.
SAMPLE_BYTES = 256 * 1024
# SageMaker's limit on a job's name.
JOB_NAME_LIMIT = 63
# How much of the endpoint's name starts a job's: room for "-batch-YYYYmmdd-HHMMSS-fff".
JOB_STEM_LENGTH = JOB_NAME_LIMIT - 26
_S3_URL = re.compile(r"s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/(.*)")


class JobRefused(ValueError):
    """A job cannot start as asked: one line, nothing started."""


@dataclass(frozen=True)
class S3Location:
    bucket: str
    key: str

    @classmethod
    def parse(cls, url: str, what: str) -> S3Location:
        match = _S3_URL.fullmatch(url)
        if not match:
            raise JobRefused(f"{what} {url!r} is not s3://bucket/key-or-prefix")
        return cls(match.group(1), match.group(2))

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    @property
    def arn(self) -> str:
        return f"arn:aws:s3:::{self.bucket}/{self.key}"


def job_stem(endpoint: str) -> str:
    """The start of every job name made for ``endpoint`` (its functions' grants name it)."""
    return f"{endpoint[:JOB_STEM_LENGTH]}-batch-"


def job_name(endpoint: str, now: datetime.datetime | None = None) -> str:
    moment = now or datetime.datetime.now(datetime.UTC)
    return (
        job_stem(endpoint) + moment.strftime("%Y%m%d-%H%M%S-") + f"{moment.microsecond // 1000:03d}"
    )


def data_processing(id_count: int, feature_count: int) -> dict[str, str]:
    """Drop the ids for the model, join its answer to the line, keep the ids and the answer.
    For CSV, SageMaker appends the answer's columns to the input row, and the filters are
    JSONPath over the row's cells (SageMaker Developer Guide, "Associate Prediction Results with
    Input Records"; API_DataProcessing, whose example InputFilter is "$[1:]")."""
    if id_count == 0:
        return {"JoinSource": "None"}
    ids = ",".join(str(index) for index in range(id_count))
    return {
        "InputFilter": f"$[{id_count}:]",
        "JoinSource": "Input",
        "OutputFilter": f"$[{ids},{id_count + feature_count}:]",
    }


def answer_width(signature: Signature) -> int:
    """Columns of the container's CSV answer for a row: a probability per class, or one."""
    return len(signature.labels) if signature.answer is Answer.PROBABILITIES else 1


@dataclass(frozen=True)
class JobSpec:
    """What a job runs on and how; everything but its input."""

    output: S3Location
    id_count: int
    instance_type: str = "ml.m5.large"
    instance_count: int = 1
    max_payload_mb: int = MAX_PAYLOAD_MB
    kms_key: str | None = None


def transform_job(
    name: str,
    model_name: str,
    data_source: dict[str, str],
    spec: JobSpec,
    signature: Signature,
    tags: list[dict[str, str]],
) -> dict[str, Any]:
    """CreateTransformJob's parameters. ``data_source``: the S3DataSource (a prefix or key, or
    a manifest of objects)."""
    resources: dict[str, Any] = {
        "InstanceType": spec.instance_type,
        "InstanceCount": spec.instance_count,
    }
    output: dict[str, Any] = {
        "S3OutputPath": spec.output.url,
        "Accept": "text/csv",
        "AssembleWith": "Line",
    }
    if spec.kms_key:
        resources["VolumeKmsKeyId"] = spec.kms_key
        output["KmsKeyId"] = spec.kms_key
    return {
        "TransformJobName": name,
        "ModelName": model_name,
        "BatchStrategy": "MultiRecord",
        "MaxPayloadInMB": spec.max_payload_mb,
        "TransformInput": {
            "DataSource": {"S3DataSource": data_source},
            "ContentType": "text/csv",
            "SplitType": "Line",
            "CompressionType": "None",
        },
        "TransformOutput": output,
        "TransformResources": resources,
        "DataProcessing": data_processing(spec.id_count, len(signature.features)),
        "Tags": tags,
    }


def served_model(sagemaker: Any, endpoint: str) -> dict[str, Any]:
    """DescribeModel of the model the endpoint's first variant serves."""
    described = sagemaker.describe_endpoint(EndpointName=endpoint)
    config = sagemaker.describe_endpoint_config(EndpointConfigName=described["EndpointConfigName"])
    return dict(sagemaker.describe_model(ModelName=config["ProductionVariants"][0]["ModelName"]))


def sample_problem(
    text: str, signature: Signature, id_count: int, where: str, complete: bool
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
        header = " (a header? the container would read it as a row)" if number == 1 else ""
        if '"' in line:
            return f"{where} line {number}: quoted cells (Batch Transform splits on every comma)"
        cells = line.split(",")
        if len(cells) != width:
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
            return f"{where} line {number}: {problem['field']}: {problem['reason']}{header}"
    return None


def check_objects(
    s3: Any, bucket: str, objects: list[dict[str, Any]], signature: Signature, id_count: int
) -> None:
    """JobRefused at the first line of the objects (ListObjectsV2's items) the model could not
    take; each object's first SAMPLE_BYTES are read."""
    categorical = [f.name for f in signature.features if f.type == CATEGORICAL]
    if categorical and objects:
        raise JobRefused(
            f"the model has categorical features ({', '.join(categorical[:3])}): a Batch "
            "Transform job hands the file's cells to the container, which reads numbers, not "
            "category names; score a local copy of the file instead (scripts.batch_score with a local --input)"
        )
    for item in objects:
        body = s3.get_object(Bucket=bucket, Key=item["Key"], Range=f"bytes=0-{SAMPLE_BYTES - 1}")
        problem = sample_problem(
            body["Body"].read().decode("utf-8", errors="replace"),
            signature,
            id_count,
            f"s3://{bucket}/{item['Key']}",
            complete=item["Size"] <= SAMPLE_BYTES,
        )
        if problem:
            raise JobRefused(problem)


def _cell(cell: str, feature: Feature) -> Any:
    if feature.type == BOOLEAN:
        # The model reads 1 and 0; a word would be refused by the container.
        return {"1": True, "0": False}.get(cell.strip(), cell)
    try:  # as the container's numpy reads a cell (it reads "1_000" as 1000 too)
        return float(cell)
    except ValueError:
        return cell
