"""``train_job`` in SageMaker: the channels uploaded by their content, a least-privilege training
role, the job (or a tuning job) with the built-in XGBoost image of the run's region, followed to
its end, and its model imported as a local training's is."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Callable
from typing import Any

from botocore.exceptions import NoRegionError

from foundation.images import DEFAULT_XGBOOST_VERSION, MODEL_MEMBER, xgboost_image_uri
from foundation.interrupts import Interrupted, interruptible
from provisioning import checks
from provisioning.aws import AwsClients, project_tags
from provisioning.checks import AWS_ERRORS
from provisioning.endpoint.model_resources import ensure_bucket
from provisioning.naming import PROJECT, project_bucket
from provisioning.plan import Deployment, fail, interrupted
from training import aws_job, job_progress, tuning_job
from training import hyperparameters as hp
from training.aws_job import DATA_PREFIX
from training.data_source import local_copies
from training.manifest import MANIFEST_NAME, Manifest
from training.options import Options
from training.prepare import CHANNELS_FOLDER, Prepared, prepare
from training.publish import Published, publish
from training.reported import Reported

OUTPUT_PREFIX = "training-output"


def clients(options: Options) -> AwsClients:
    try:
        return AwsClients.create(options.region)
    except NoRegionError:
        raise Reported(
            fail_early("no AWS region: pass --region or set AWS_DEFAULT_REGION")
        ) from None


def fail_early(reason: str) -> int:
    print(f"FAILED: {reason}")
    return 1


def model_bytes(artifact: bytes) -> bytes:
    """xgboost-model out of the job's model.tar.gz (SageMaker tars /opt/ml/model)."""
    with tarfile.open(fileobj=io.BytesIO(artifact), mode="r:gz") as tar:
        member = tar.extractfile(MODEL_MEMBER)
        if member is None:
            raise ValueError(f"the job's model.tar.gz holds no {MODEL_MEMBER}")
        return member.read()


def final_metrics(description: dict[str, Any]) -> dict[str, float]:
    return {m["MetricName"]: float(m["Value"]) for m in description.get("FinalMetricDataList", [])}


def data_prefix(digest: str) -> str:
    return f"{DATA_PREFIX}/{digest[:16]}/"


def upload(run: Deployment, bucket: str, prepared: Prepared, kms_key: str | None) -> dict[str, str]:
    channels = {"train": prepared.channels.train}
    if prepared.channels.validation is not None:
        channels["validation"] = prepared.channels.validation
    uploaded = aws_job.upload_channels(run, bucket, prepared.channels.digest, channels)
    key = data_prefix(prepared.channels.digest) + MANIFEST_NAME
    run.aws.s3.put_object(
        Bucket=bucket,
        Key=key,
        Body=prepared.manifest.text().encode(),
        ServerSideEncryption="AES256",
    )
    return uploaded


def job_definition(
    options: Options,
    prepared: Prepared,
    image: str,
    role: str,
    channels: dict[str, str],
    bucket: str,
) -> dict[str, Any]:
    return {
        "image": image,
        "role_arn": role,
        "channels_s3": channels,
        "output_s3": f"s3://{bucket}/{OUTPUT_PREFIX}/",
        "instance_type": options.instance_type,
        "instance_count": options.instance_count,
        "max_runtime": options.max_runtime,
        "spot_max_wait": options.max_wait if options.spot else None,
        "checkpoint_s3": (
            f"s3://{bucket}/{OUTPUT_PREFIX}/checkpoints/{prepared.channels.digest[:16]}/"
            if options.spot
            else None
        ),
        "kms_key": options.kms_key,
        "tags": project_tags(),
    }


def run_in_sagemaker(options: Options, out: Callable[[str], None] = print) -> Published:
    aws = clients(options)
    image = xgboost_image_uri(aws.region, DEFAULT_XGBOOST_VERSION)
    if options.attach:
        return attach(aws, options, out)
    data, validation = local_copies(aws, options)
    assert options.label is not None
    prepared = prepare(
        data, options.label, options.hyperparameters, validation, options.fraction, options.seed,
        options.output.parent / CHANNELS_FOLDER,
        source=options.data,
    )  # fmt: skip
    if options.tune:
        assert options.objective_metric
        hp.check_objective_metric(options.objective_metric, prepared.hyperparameters["objective"])
    for note in prepared.notes:
        out(f"note:      {note}")
    run = Deployment(aws)
    step = "account"
    try:
        with interruptible():
            account = str(aws.sts.get_caller_identity()["Account"])
            bucket = options.bucket or project_bucket(account, aws.region)
            step = "bucket"
            ensure_bucket(run, bucket, project_tags(), project_bucket=options.bucket is None)
            step = "upload"
            channels = upload(run, bucket, prepared, options.kms_key)
            step = "role"
            # The whole data prefix, not this data's: a grant per data set would outgrow IAM's
            # 10,240-character inline policy after about 18 of them.
            policy = aws_job.training_role_policy(
                aws.region, account, bucket, f"{DATA_PREFIX}/", f"{OUTPUT_PREFIX}/", image,
                options.kms_key,
            )  # fmt: skip
            role = aws_job.ensure_training_role(run, f"{PROJECT}-training", policy, account)
            step = "training job"
            definition = job_definition(options, prepared, image, role, channels, bucket)
            run.undo.clear()  # the bucket, data and role serve the next run too
            description = train(aws, options, prepared, definition, out)
            artifact = aws_job.model_artifact(aws.s3, description)
    except Interrupted as stop:
        if step == "training job":  # follow() stopped the job and said so
            raise Reported(stop.exit_code) from None
        raise Reported(interrupted(run, step, stop, "the same command goes on")) from None
    except job_progress.TrainingFailed as failure:
        raise Reported(fail(run, step, str(failure))) from None
    except AWS_ERRORS as error:
        raise Reported(fail(run, step, checks.one_line(error))) from None
    return publish(
        options, prepared.manifest, model_bytes(artifact), final_metrics(description),
        prepared.hyperparameters, f"by SageMaker training job {description['TrainingJobArn']}", out,
        train_channel=prepared.channels.train,
    )  # fmt: skip


def train(
    aws: AwsClients,
    options: Options,
    prepared: Prepared,
    definition: dict[str, Any],
    out: Callable[[str], None],
) -> dict[str, Any]:
    """The finished job's description: one job, or the best of a tuning job."""
    base = options.group or "xgboost"
    if options.tune:
        assert options.objective_metric
        metric = hp.check_objective_metric(
            options.objective_metric, prepared.hyperparameters["objective"]
        )
        ranges = hp.tuning_ranges(options.tune, options.hyperparameters)
        name = aws_job.job_name(
            base, prepared.channels.digest, {**prepared.hyperparameters, "tune": options.tune}, 1
        )[:32]
        request = tuning_job.tuning_job_request(
            name, ranges, metric, options.max_jobs, options.max_parallel,
            prepared.hyperparameters, **definition,
        )  # fmt: skip
        name, happened = tuning_job.start_or_reuse_tuning(aws.sagemaker, request)
        out(f"  {happened}")
        best = tuning_job.follow_tuning(aws.sagemaker, name, out)
        return dict(aws.sagemaker.describe_training_job(TrainingJobName=best))
    name = aws_job.job_name(base, prepared.channels.digest, prepared.hyperparameters, 1)
    request = aws_job.training_job_request(
        name=name, hyperparameters=prepared.hyperparameters, **definition
    )
    name, happened = aws_job.start_or_reuse(aws.sagemaker, request)
    out(f"  {happened}")
    return job_progress.follow(aws.sagemaker, aws.logs, name, out)


def attach(aws: AwsClients, options: Options, out: Callable[[str], None]) -> Published:
    """Follow a job started earlier, then import it with the manifest its channels carry."""
    assert options.attach is not None
    try:
        with interruptible():
            description = job_progress.follow(aws.sagemaker, aws.logs, options.attach, out)
            train_uri = next(
                c["DataSource"]["S3DataSource"]["S3Uri"]
                for c in description["InputDataConfig"]
                if c["ChannelName"] == "train"
            )
            bucket, _, key = train_uri.removeprefix("s3://").partition("/")
            manifest_key = key.rstrip("/").rsplit("/", 1)[0] + "/" + MANIFEST_NAME
            text = aws.s3.get_object(Bucket=bucket, Key=manifest_key)["Body"].read().decode()
            artifact = aws_job.model_artifact(aws.s3, description)
    except Interrupted as stop:
        raise Reported(stop.exit_code) from None
    except job_progress.TrainingFailed as failure:
        raise Reported(fail_early(str(failure))) from None
    except AWS_ERRORS as error:
        raise Reported(fail_early(checks.one_line(error))) from None
    values = {k: v for k, v in description.get("HyperParameters", {}).items()}
    return publish(
        options, Manifest.parsed(text), model_bytes(artifact), final_metrics(description), values,
        f"by SageMaker training job {description['TrainingJobArn']}", out,
    )  # fmt: skip
