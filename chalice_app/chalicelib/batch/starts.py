"""Starting a Batch Transform job for new objects under the stage's input prefix: from the batch
functions in app.py (an object arrived; or the schedule came round).

An object is sent once. Before a job takes it, the function claims it: an empty object
``<output>manifests/claims/<input key>`` written only if it does not exist yet (S3's conditional
write, ``If-None-Match: *``). Of two functions that see the same new object at once (the arrival
and the schedule, or an event EventBridge delivered twice) one claim succeeds and the other is
refused with 412, so only one job takes it. Each job reads its objects from a manifest beside
the claims. A refusal (input the model cannot take, a stage whose endpoint is gone) is logged
and answered, never raised: a raised error makes Lambda retry the event."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

import boto3
from botocore.exceptions import ClientError

from chalicelib import clients
from chalicelib.batch import jobs as batch_jobs
from chalicelib.batch import triggers as batch_triggers
from chalicelib.batch.jobs import JobRefused, JobSpec, S3Location
from chalicelib.errors import ApiError
from chalicelib.settings import get_settings

MANIFESTS = "manifests/"
CLAIMS = MANIFESTS + "claims/"
# Objects whose first bytes are checked before a job starts.
SAMPLED_OBJECTS = 5
# The most objects one job takes; the rest wait for the next run.
MAX_OBJECTS_PER_JOB = 1000
# The project's tags (provisioning.aws.project_tags): teardown and cost reports find jobs by them.
PROJECT = "sagemaker-proxy"


def job_tags(artifact_sha256: str, endpoint: str) -> list[dict[str, str]]:
    return [
        {"Key": "project", "Value": PROJECT},
        {"Key": "artifact-sha256", "Value": artifact_sha256},
        {"Key": "endpoint", "Value": endpoint},
    ]


def spec_from(environ: Mapping[str, str]) -> JobSpec:
    return JobSpec(
        output=S3Location.parse(environ[batch_triggers.OUTPUT], batch_triggers.OUTPUT),
        id_count=int(environ.get(batch_triggers.ID_COLUMNS) or 0),
        instance_type=environ.get(batch_triggers.INSTANCE_TYPE) or "ml.m5.large",
        instance_count=int(environ.get(batch_triggers.INSTANCE_COUNT) or 1),
        kms_key=environ.get(batch_triggers.KMS_KEY) or None,
    )


def submitted(s3: Any, output: S3Location) -> set[str]:
    """Every input key a job was already started for (or is being started for): the claims."""
    prefix = output.key + CLAIMS
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=output.bucket, Prefix=prefix)
    return {item["Key"][len(prefix) :] for page in pages for item in page.get("Contents", [])}


def claim(s3: Any, output: S3Location, key: str) -> bool:
    """Take the object for this run; False when another run has it."""
    try:
        s3.put_object(
            Bucket=output.bucket, Key=output.key + CLAIMS + key, Body=b"", IfNoneMatch="*"
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("PreconditionFailed", "412"):
            return False
        raise
    return True


def release(s3: Any, output: S3Location, keys: list[str]) -> None:
    for key in keys:
        s3.delete_object(Bucket=output.bucket, Key=output.key + CLAIMS + key)


def waiting(s3: Any, source: S3Location) -> list[dict[str, Any]]:
    """The objects under the input prefix, oldest first (ListObjectsV2's items)."""
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=source.bucket, Prefix=source.key)
    found = [item for page in pages for item in page.get("Contents", []) if item["Size"] > 0]
    return sorted(found, key=lambda item: (item["LastModified"], item["Key"]))


def start_job(
    arrived: list[str] | None,
    environ: Mapping[str, str] = os.environ,
    s3: Any = None,
    sagemaker: Any = None,
) -> dict[str, Any]:
    """Start one job for the new objects (``arrived``: the keys an event named; None: every
    object under the input prefix). What happened, as the function's answer and log line."""
    try:
        settings = get_settings()
        endpoint = settings.endpoint_name
        s3 = s3 or boto3.client("s3", region_name=settings.region)
        sagemaker = sagemaker or clients.get_control_client()
        source = S3Location.parse(environ[batch_triggers.INPUT], batch_triggers.INPUT)
        spec = spec_from(environ)
        done = submitted(s3, spec.output)
        objects = [
            item
            for item in waiting(s3, source)
            if item["Key"] not in done and (arrived is None or item["Key"] in arrived)
        ][:MAX_OBJECTS_PER_JOB]
        if not objects:
            return _said({"started": None, "reason": "nothing new to score"})
        signature = clients.get_signature()
        batch_jobs.check_objects(
            s3, source.bucket, objects[:SAMPLED_OBJECTS], signature, spec.id_count
        )
        model = batch_jobs.served_model(sagemaker, endpoint)
        tags = sagemaker.list_tags(ResourceArn=model["ModelArn"]).get("Tags", [])
        sha = next((tag["Value"] for tag in tags if tag["Key"] == "artifact-sha256"), None)
        if sha != signature.artifact_sha256:
            raise JobRefused(
                f"endpoint {endpoint} serves another model than the stage's signature's"
            )
    except (JobRefused, ValueError, KeyError) as error:
        return _said({"started": None, "refused": str(error)})
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ValidationException":
            raise  # throttled, or AWS failed: Lambda retries the event
        # The endpoint, its config or model is not there (being replaced, or deleted).
        return _said({"started": None, "refused": str(error)})
    except ApiError as error:  # the stage's own settings or signature: the log says which
        return _said({"started": None, "refused": error.log_detail or error.message})
    claimed = [item["Key"] for item in objects if claim(s3, spec.output, item["Key"])]
    if not claimed:
        return _said({"started": None, "reason": "another run took them"})
    name = batch_jobs.job_name(endpoint)
    manifest_key = f"{spec.output.key}{MANIFESTS}{name}.json"
    # A manifest: [{"prefix": "s3://bucket/prefix/"}, "relative/key", ...]
    # (API_TransformS3DataSource, S3Uri).
    manifest = [{"prefix": source.url}, *(key[len(source.key) :] for key in claimed)]
    try:
        s3.put_object(
            Bucket=spec.output.bucket, Key=manifest_key, Body=json.dumps(manifest).encode()
        )
        data_source = {
            "S3DataType": "ManifestFile",
            "S3Uri": f"s3://{spec.output.bucket}/{manifest_key}",
        }
        sagemaker.create_transform_job(
            **batch_jobs.transform_job(
                name, model["ModelName"], data_source, spec, signature,
                job_tags(signature.artifact_sha256, endpoint),
            )
        )  # fmt: skip
    except Exception:
        # Not started: the claims go, so that Lambda's retry (or the next run) starts them.
        release(s3, spec.output, claimed)
        s3.delete_object(Bucket=spec.output.bucket, Key=manifest_key)
        raise
    return _said({"started": name, "objects": claimed})


def _said(outcome: dict[str, Any]) -> dict[str, Any]:
    print(json.dumps({"batch": outcome}))
    return outcome
