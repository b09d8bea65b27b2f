"""One Batch Transform run on a stage's model: find the model the stage's endpoint serves, check
the input by the signature, grant the model's role this input and output, start the job, wait
with progress, and label its output. Stopped while it waits (Ctrl-C, SIGTERM), it stops the job:
a job left running bills its instances."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from batch.transform import TransformRefused, TransformRequest, price_line
from batch.transform_output import label_object
from foundation.interrupts import Interrupted, shielded
from foundation.lambda_code import batch_jobs
from foundation.lambda_code import signature as sig
from provisioning.aws import ARTIFACT_TAG_KEY, AwsClients, project_tags
from provisioning.iam_documents import with_grants

# The model role's inline policy for batch jobs, beside the endpoint's own.
BATCH_POLICY_NAME = "sagemaker-proxy-batch-access"
# Input objects whose first bytes are checked before the job starts.
SAMPLED_OBJECTS = 5
FINISHED = {"Completed", "Failed", "Stopped"}


class TransformFailed(Exception):
    """The job ran and did not complete: its FailureReason."""


def stage_model(sagemaker: Any, endpoint: str, signature: sig.Signature) -> dict[str, Any]:
    """DescribeModel of the model the endpoint serves, when it is the signature's artifact."""
    model = batch_jobs.served_model(sagemaker, endpoint)
    tags = sagemaker.list_tags(ResourceArn=model["ModelArn"]).get("Tags", [])
    sha = next((tag["Value"] for tag in tags if tag["Key"] == ARTIFACT_TAG_KEY), None)
    if sha != signature.artifact_sha256:
        raise TransformRefused(
            f"endpoint {endpoint} serves model {model['ModelName']} (artifact "
            f"{(sha or 'untagged')[:12]}), not the stage's signature's "
            f"({signature.artifact_sha256[:12]}): deploy the stage's model with deploy_endpoint"
        )
    return model


def input_objects(s3: Any, location: batch_jobs.S3Location) -> list[dict[str, Any]]:
    """The objects the job will read (every non-empty object under the key or prefix)."""
    pages = s3.get_paginator("list_objects_v2").paginate(
        Bucket=location.bucket, Prefix=location.key
    )
    objects = [item for page in pages for item in page.get("Contents", []) if item["Size"] > 0]
    if not objects:
        raise TransformRefused(f"{location.url}: no objects to score")
    return objects


def output_key(request: TransformRequest, input_key: str) -> str:
    """Where SageMaker writes an input object's answers: its path under the input's folder,
    under the output prefix, with ``.out`` (SageMaker Developer Guide, "Batch transform": the
    output object has the input's name with .out appended)."""
    folder = request.input.key.rsplit("/", 1)[0] + "/" if "/" in request.input.key else ""
    return request.output.key + input_key[len(folder) :] + ".out"


def batch_grants_document(
    source: batch_jobs.S3Location,
    output: batch_jobs.S3Location,
    region: str,
    account: str,
    kms_key: str | None,
    manifests: bool = False,
) -> dict[str, Any]:
    """What the model's role needs for jobs: read the input (and the manifests that list it,
    for the stage's batch functions), write the output and the jobs' logs, and use the KMS key
    when one is named."""
    reads = [source.arn + "*"]
    if manifests:
        reads.append(f"arn:aws:s3:::{output.bucket}/{output.key}manifests/*")
    statements: list[dict[str, Any]] = [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": reads},
        {
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": f"arn:aws:s3:::{source.bucket}",
            "Condition": {"StringLike": {"s3:prefix": source.key + "*"}},
        },
        {"Effect": "Allow", "Action": "s3:PutObject", "Resource": output.arn + "*"},
        {
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": f"arn:aws:logs:{region}:{account}:log-group:/aws/sagemaker/TransformJobs:*",
        },
    ]
    if kms_key:
        statements.append(
            {
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:GenerateDataKey", "kms:CreateGrant"],
                "Resource": kms_key,
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


def add_batch_grants(iam: Any, role: str, wanted: dict[str, Any]) -> None:
    """Add ``wanted``'s statements to the role's batch policy, keeping those it has (another
    job, or the stage's batch functions, may still read and write where they say)."""
    try:
        document = iam.get_role_policy(RoleName=role, PolicyName=BATCH_POLICY_NAME)[
            "PolicyDocument"
        ]
        existing = json.loads(document) if isinstance(document, str) else document
    except iam.exceptions.NoSuchEntityException:
        existing = None
    iam.put_role_policy(
        RoleName=role,
        PolicyName=BATCH_POLICY_NAME,
        PolicyDocument=json.dumps(with_grants(existing, wanted)),
    )


def grant_role(aws: AwsClients, role_arn: str, request: TransformRequest, account: str) -> str:
    role = role_arn.rsplit("/", 1)[-1]
    wanted = batch_grants_document(
        request.input, request.output, aws.region, account, request.kms_key
    )
    add_batch_grants(aws.iam, role, wanted)
    return role


def run_transform(
    aws: AwsClients,
    request: TransformRequest,
    endpoint: str,
    signature: sig.Signature,
    out: Callable[[str], None] = print,
    poll_seconds: float = 30,
    wait_minutes: float = 24 * 60,
) -> list[str]:
    """Start the job, wait for it and label its output; the labelled objects' URLs."""
    account = aws.sts.get_caller_identity()["Account"]
    model = stage_model(aws.sagemaker, endpoint, signature)
    objects = input_objects(aws.s3, request.input)
    batch_jobs.check_objects(
        aws.s3, request.input.bucket, objects[:SAMPLED_OBJECTS], signature, len(request.id_columns)
    )
    total = sum(item["Size"] for item in objects)
    name = batch_jobs.job_name(endpoint)
    out(f"model:  {model['ModelName']} (the model endpoint {endpoint} serves)")
    out(f"input:  {len(objects)} object(s), {total:,} bytes under {request.input.url}, checked")
    out(price_line(request.instance_type, request.instance_count))
    role = grant_role(aws, model["ExecutionRoleArn"], request, account)
    out(f"grant:  {BATCH_POLICY_NAME} of {role}: read the input, write the output")
    source = {"S3DataType": "S3Prefix", "S3Uri": request.input.url}
    tags = project_tags(signature.artifact_sha256, endpoint)
    aws.sagemaker.create_transform_job(
        **batch_jobs.transform_job(name, model["ModelName"], source, request.spec, signature, tags)
    )
    out(f"job:    {name} started")
    try:
        _wait(aws, name, request, objects, out, poll_seconds, wait_minutes)
    except Interrupted:
        with shielded():
            aws.sagemaker.stop_transform_job(TransformJobName=name)
        out(f"job:    {name} stopped (it bills while it runs)")
        raise
    labelled = []
    for item in objects:
        key = output_key(request, item["Key"])
        scored = label_object(
            aws.s3, request.output.bucket, key, signature, list(request.id_columns)
        )
        labelled.append(f"s3://{request.output.bucket}/{scored}")
    return labelled


def _wait(
    aws: AwsClients,
    name: str,
    request: TransformRequest,
    objects: list[dict[str, Any]],
    out: Callable[[str], None],
    poll_seconds: float,
    wait_minutes: float,
) -> None:
    started = time.monotonic()
    last = ""
    while True:
        described = aws.sagemaker.describe_transform_job(TransformJobName=name)
        status = described["TransformJobStatus"]
        done = _outputs_written(aws.s3, request, objects)
        line = f"{status}, {done}/{len(objects)} object(s) answered"
        if line != last:
            elapsed = time.monotonic() - started
            out(f"job:    {line} after {elapsed / 60:.0f} min")
            last = line
        if status in FINISHED:
            if status != "Completed":
                reason = described.get("FailureReason") or "no reason given"
                raise TransformFailed(f"{name} {status}: {reason}")
            return
        if time.monotonic() - started > wait_minutes * 60:
            raise TransformFailed(f"{name} still {status} after {wait_minutes:g} min")
        time.sleep(poll_seconds)


def _outputs_written(s3: Any, request: TransformRequest, objects: list[dict[str, Any]]) -> int:
    pages = s3.get_paginator("list_objects_v2").paginate(
        Bucket=request.output.bucket, Prefix=request.output.key
    )
    written = {item["Key"] for page in pages for item in page.get("Contents", [])}
    return sum(output_key(request, item["Key"]) in written for item in objects)


def label_job(
    aws: AwsClients, name: str, signature: sig.Signature, id_columns: list[str]
) -> list[str]:
    """Label a completed job's output (one the stage's batch functions started, or any this
    project made): each input object's ``.out`` into its ``.scored.csv``."""
    job = aws.sagemaker.describe_transform_job(TransformJobName=name)
    if job["TransformJobStatus"] != "Completed":
        reason = job.get("FailureReason")
        raise TransformFailed(
            f"{name} is {job['TransformJobStatus']}" + (f": {reason}" if reason else "")
        )
    source = job["TransformInput"]["DataSource"]["S3DataSource"]
    output = batch_jobs.S3Location.parse(job["TransformOutput"]["S3OutputPath"], "output")
    if not output.key.endswith("/") and output.key:
        output = batch_jobs.S3Location(output.bucket, output.key + "/")
    at = batch_jobs.S3Location.parse(source["S3Uri"], "input")
    if source["S3DataType"] == "ManifestFile":
        manifest = json.loads(aws.s3.get_object(Bucket=at.bucket, Key=at.key)["Body"].read())
        relative = [str(entry) for entry in manifest[1:]]
    else:
        folder = at.key.rsplit("/", 1)[0] + "/" if "/" in at.key else ""
        relative = [item["Key"][len(folder) :] for item in input_objects(aws.s3, at)]
    labelled = []
    for path in relative:
        scored = label_object(
            aws.s3, output.bucket, output.key + path + ".out", signature, id_columns
        )
        labelled.append(f"s3://{output.bucket}/{scored}")
    return labelled
