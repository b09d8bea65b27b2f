"""A SageMaker training job as train_job runs one, on moto in process (eu-west-1): its role, its
channels, its request, its start or reuse, following it with its log, and a tuning job.

moto 5.2.5 makes a job Completed at once (canned metrics, a model path), and lacks
StopTrainingJob, ListTrainingJobsForHyperParameterTuningJob and StopHyperParameterTuningJob:
those steps, and the exact requests, run on botocore's Stubber. A Failed or InProgress job is
moto's own job with its status set in moto's backend (say so where it is done)."""

from __future__ import annotations

import contextlib
import json
import signal
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import numpy as np
import pytest
from botocore.stub import Stubber
from moto import mock_aws
from parliament import analyze_policy_string

from foundation.images import xgboost_image_uri
from foundation.interrupts import Interrupted, interruptible
from provisioning.aws import AwsClients
from provisioning.plan import Deployment
from training import aws_job, job_progress, tuning_job
from training.dataset import write_channels
from training.local import train_channels

REGION = "eu-west-1"
ACCOUNT = "123456789012"  # moto's
IMAGE = xgboost_image_uri(REGION, "3.0-5")
BUCKET = "sagemaker-proxy-123456789012-eu-west-1"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/sagemaker-proxy-training"
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
DIGEST = "ab" * 32
HYPERPARAMETERS = {"num_round": "5", "objective": "multi:softprob", "num_class": "3",
                   "eval_metric": "mlogloss"}  # fmt: skip
CHANNELS_S3 = {
    "validation": f"s3://{BUCKET}/training-data/{DIGEST[:16]}/validation/",
    "train": f"s3://{BUCKET}/training-data/{DIGEST[:16]}/train/",
}
NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def aws(fake_credentials: None) -> Iterator[AwsClients]:
    with mock_aws():
        clients = AwsClients.create(REGION)
        clients.s3.create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        yield clients


@pytest.fixture(scope="module")
def channels(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Three classes, told apart by the first feature, as prepare writes channels."""
    rng = np.random.default_rng(7)
    y = np.arange(90) % 3
    x = np.column_stack([y + rng.normal(0, 0.3, 90), rng.normal(0, 1, 90)])
    made = write_channels(tmp_path_factory.mktemp("channels"), (x[:60], y[:60]), (x[60:], y[60:]))
    assert made.validation is not None
    return {"train": made.train, "validation": made.validation}


def request(**changes: Any) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "name": aws_job.job_name("flowers", DIGEST, HYPERPARAMETERS, 1), "image": IMAGE,
        "role_arn": ROLE_ARN, "channels_s3": CHANNELS_S3,
        "output_s3": f"s3://{BUCKET}/training-output/", "hyperparameters": HYPERPARAMETERS,
        "instance_type": "ml.m5.large", "instance_count": 1, "max_runtime": 3600,
        "spot_max_wait": None, "checkpoint_s3": None, "kms_key": None,
        "tags": [{"Key": "project", "Value": "sagemaker-proxy"}],
    }  # fmt: skip
    return aws_job.training_job_request(**{**settings, **changes})


def calls(client: Any, *operations: str) -> list[str]:
    """The operations of ``operations`` the client makes from now on."""
    made: list[str] = []
    client.meta.events.register(
        "before-call.*.*",
        lambda model, **_: made.append(model.name) if model.name in operations else None,
    )
    return made


def job_in_moto(name: str, **attributes: Any) -> None:
    """moto makes jobs Completed at once: set another state on its job (moto's backend)."""
    from moto.sagemaker.models import sagemaker_backends

    job = sagemaker_backends[ACCOUNT][REGION].training_jobs[name]
    for attribute, value in attributes.items():
        setattr(job, attribute, value)


# -- the request -------------------------------------------------------------------------

ON_DEMAND = {
    "TrainingJobName": "flowers-abababab-6012b388",
    "AlgorithmSpecification": {"TrainingImage": IMAGE, "TrainingInputMode": "File"},
    "RoleArn": ROLE_ARN,
    "InputDataConfig": [
        {
            "ChannelName": channel,
            "DataSource": {
                "S3DataSource": {
                    "S3DataType": "S3Prefix",
                    "S3Uri": f"s3://{BUCKET}/training-data/abababababababab/{channel}/",
                    "S3DataDistributionType": "FullyReplicated",
                }
            },
            "ContentType": "text/csv",
        }
        for channel in ("train", "validation")
    ],
    "OutputDataConfig": {"S3OutputPath": f"s3://{BUCKET}/training-output/"},
    "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 30},
    "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
    "HyperParameters": HYPERPARAMETERS,
    "Tags": [{"Key": "project", "Value": "sagemaker-proxy"}],
}
SPOT = {
    **ON_DEMAND,
    "OutputDataConfig": {"S3OutputPath": f"s3://{BUCKET}/training-output/", "KmsKeyId": KEY_ARN},
    "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 30,
                       "VolumeKmsKeyId": KEY_ARN},
    "StoppingCondition": {"MaxRuntimeInSeconds": 3600, "MaxWaitTimeInSeconds": 7200},
    "EnableManagedSpotTraining": True,
    "CheckpointConfig": {
        "S3Uri": f"s3://{BUCKET}/training-output/checkpoints/flowers-abababab-6012b388/",
        "LocalPath": "/opt/ml/checkpoints",
    },
}  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, ON_DEMAND),
        (
            {"spot_max_wait": 7200, "kms_key": KEY_ARN,
             "checkpoint_s3": f"s3://{BUCKET}/training-output/checkpoints"},
            SPOT,
        ),
    ],
    ids=["on-demand", "spot-with-key"],
)  # fmt: skip
def test_the_job_is_created_with_exactly_this_request(
    changes: dict[str, Any], expected: dict[str, Any], fake_credentials: None
) -> None:
    sagemaker = boto3.client("sagemaker", region_name=REGION)
    with Stubber(sagemaker) as stub:
        name = expected["TrainingJobName"]
        stub.add_client_error(
            "describe_training_job",
            "ValidationException",
            f"Could not find training job 'arn:aws:sagemaker:{REGION}:{ACCOUNT}:training-job/{name}'.",
            expected_params={"TrainingJobName": name},
        )
        stub.add_response(
            "create_training_job", {"TrainingJobArn": "arn"}, expected_params=expected
        )
        assert aws_job.start_or_reuse(sagemaker, request(**changes)) == (
            name,
            f"created  training job {name}",
        )
        stub.assert_no_pending_responses()


def test_every_attempt_of_a_job_keeps_its_checkpoints_in_one_place() -> None:
    name = aws_job.job_name("flowers", DIGEST, HYPERPARAMETERS, 1)
    where = f"s3://{BUCKET}/training-output/checkpoints/"
    for attempt in (name, aws_job.next_attempt(name)):
        spot = request(name=attempt, spot_max_wait=7200, checkpoint_s3=where)
        assert spot["CheckpointConfig"]["S3Uri"] == f"{where}{name}/"


def test_the_create_waits_while_the_new_role_cannot_be_assumed(fake_credentials: None) -> None:
    # The message SageMaker gives for a role it cannot assume yet (CreateTransformJob's, in
    # awslabs/predictive-maintenance-using-machine-learning issue #3; the same check guards
    # CreateTrainingJob).
    sagemaker = boto3.client("sagemaker", region_name=REGION)
    slept: list[float] = []
    with Stubber(sagemaker) as stub:
        stub.add_client_error("describe_training_job", "ValidationException", "Could not find")
        stub.add_client_error(
            "create_training_job",
            "ValidationException",
            f"Could not assume role {ROLE_ARN}. Please ensure that the role exists and allows "
            "principal 'sagemaker.amazonaws.com' to assume the role.",
        )
        stub.add_response("create_training_job", {"TrainingJobArn": "arn"})
        _, happened = aws_job.start_or_reuse(sagemaker, request(), sleep=slept.append)
        stub.assert_no_pending_responses()
    assert happened.startswith("created") and slept == [10]


# -- settings and names ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        (("ml.m5.large", 1, 3600, None), None),
        (("ml.m5.large", 2, 3600, 7200), None),
        (("ml.m5.lrge", 1, 3600, None), "did you mean ml.m5.large"),
        (("ml.t2.medium", 1, 3600, None), "not a SageMaker training instance type"),
        (("ml.m5.large", 0, 3600, None), "--instance-count must be at least 1"),
        (("ml.m5.large", 1, 0, None), "--max-runtime must be 1 to 2419200"),
        (("ml.m5.large", 1, 28 * 24 * 3600 + 1, None), "--max-runtime must be 1 to 2419200"),
        (("ml.m5.large", 1, 3600, 3599), "--max-wait (3599 s) must be at least"),
    ],
)
def test_job_settings_are_checked_before_any_call(
    settings: tuple[str, int, int, int | None], problem: str | None
) -> None:
    found = aws_job.check_job_settings(*settings)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found


@pytest.mark.parametrize("base", ["flowers", "a group/with:odd_chars, and a long name", "--"])
def test_names_come_from_content_and_fit_both_limits(base: str) -> None:
    name = aws_job.job_name(base, DIGEST, HYPERPARAMETERS, 1)
    assert name == aws_job.job_name(base, DIGEST, dict(reversed(HYPERPARAMETERS.items())), 1)
    assert name != aws_job.job_name(base, DIGEST, {**HYPERPARAMETERS, "num_round": "6"}, 1)
    assert name != aws_job.job_name(base, "cd" * 32, HYPERPARAMETERS, 1)
    for attempt in (1, 2, 99):
        named = aws_job.job_name(base, DIGEST, HYPERPARAMETERS, attempt)
        # A tuning job's name (32 at most) is also a training job's (63 at most).
        assert tuning_job.TUNING_NAME.fullmatch(named), named
        assert aws_job.job_stem(named) == name
    assert aws_job.next_attempt(name) == aws_job.job_name(base, DIGEST, HYPERPARAMETERS, 2)
    assert aws_job.next_attempt(f"{name}-2") == f"{name}-3"


# -- the role ----------------------------------------------------------------------------


def actions(policy: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    for statement in policy["Statement"]:
        listed = statement["Action"]
        found.update([listed] if isinstance(listed, str) else listed)
    return found


def test_the_role_policy_is_least_privilege_and_passes_parliament() -> None:
    policy = aws_job.training_role_policy(
        REGION, ACCOUNT, BUCKET, "training-data/abababababababab/", "training-output/", IMAGE,
        KEY_ARN,
    )  # fmt: skip
    assert [finding.issue for finding in analyze_policy_string(json.dumps(policy)).findings] == []
    # What the developer guide lists for CreateTrainingJob's role, and the key's use.
    assert actions(policy) == {
        "s3:GetObject", "s3:ListBucket", "s3:PutObject", "logs:CreateLogGroup",
        "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams",
        "cloudwatch:PutMetricData", "ecr:GetAuthorizationToken", "ecr:BatchGetImage",
        "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability", "kms:Decrypt",
        "kms:GenerateDataKey",
    }  # fmt: skip
    # Sids end in a hash of their statement (merged grants keep them unique): name by the rest.
    by_sid = {statement["Sid"][:-8]: statement for statement in policy["Statement"]}
    for sid, statement in by_sid.items():
        if statement["Resource"] == "*":  # only what takes no resource, and metrics narrowed
            assert sid in ("SignInToEcr", "PublishTheMetrics"), sid
    assert by_sid["PublishTheMetrics"]["Condition"] == {
        "StringEquals": {"cloudwatch:namespace": "/aws/sagemaker/TrainingJobs"}
    }
    assert by_sid["ReadTheData"]["Resource"] == [
        f"arn:aws:s3:::{BUCKET}/training-data/abababababababab/*",
        f"arn:aws:s3:::{BUCKET}/training-output/checkpoints/*",
    ]
    assert by_sid["ListTheData"]["Condition"] == {
        "StringLike": {"s3:prefix": ["training-data/abababababababab/*", "training-output/checkpoints/*"]}
    }  # fmt: skip
    assert by_sid["WriteTheModelAndCheckpoints"]["Resource"] == (
        f"arn:aws:s3:::{BUCKET}/training-output/*"
    )
    assert by_sid["WriteTheLogs"]["Resource"] == [
        f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/sagemaker/TrainingJobs",
        f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/sagemaker/TrainingJobs:*",
    ]
    # The image's repository, in the account that publishes it
    assert by_sid["PullTheImage"]["Resource"] == (
        "arn:aws:ecr:eu-west-1:141502667606:repository/sagemaker-xgboost"
    )
    assert by_sid["UseTheKey"]["Resource"] == KEY_ARN


@pytest.mark.parametrize(
    ("key", "resource", "condition"),
    [
        ("1234abcd-12ab", f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab", None),
        ("alias/training", f"arn:aws:kms:{REGION}:{ACCOUNT}:key/*",
         {"ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/training"}}),
        (None, None, None),
    ],
)  # fmt: skip
def test_the_key_is_named_by_arn_or_matched_by_alias(
    key: str | None, resource: str | None, condition: dict[str, Any] | None
) -> None:
    policy = aws_job.training_role_policy(REGION, ACCOUNT, BUCKET, "d/", "o/", IMAGE, key)
    used = [s for s in policy["Statement"] if s["Sid"].startswith("UseTheKey")]
    assert [(s["Resource"], s.get("Condition")) for s in used] == (
        [(resource, condition)] if key else []
    )


def test_the_role_is_made_once_and_grants_are_added_not_replaced(aws: AwsClients) -> None:
    first = aws_job.training_role_policy(
        REGION, ACCOUNT, BUCKET, "training-data/one/", "training-output/", IMAGE
    )
    second = aws_job.training_role_policy(
        REGION, ACCOUNT, BUCKET, "training-data/two/", "training-output/", IMAGE
    )
    lines: list[str] = []
    run = Deployment(aws, out=lines.append)
    arn = aws_job.ensure_training_role(run, "sagemaker-proxy-training", first, ACCOUNT)
    assert arn == ROLE_ARN
    trust = aws.iam.get_role(RoleName="sagemaker-proxy-training")["Role"][
        "AssumeRolePolicyDocument"
    ]
    assert trust["Statement"][0]["Principal"] == {"Service": "sagemaker.amazonaws.com"}
    assert trust["Statement"][0]["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    writes = calls(aws.iam, "CreateRole", "PutRolePolicy")
    assert aws_job.ensure_training_role(run, "sagemaker-proxy-training", first, ACCOUNT) == arn
    assert writes == []  # the same run again changes nothing
    assert aws_job.ensure_training_role(run, "sagemaker-proxy-training", second, ACCOUNT) == arn
    document = aws.iam.get_role_policy(
        RoleName="sagemaker-proxy-training", PolicyName=aws_job.TRAINING_POLICY_NAME
    )["PolicyDocument"]
    sids = [statement["Sid"] for statement in document["Statement"]]
    # Two new statements (the second data prefix, read and listed), every Sid once, as IAM wants
    assert len(sids) == len(set(sids)) == len(first["Statement"]) + 2
    resources = json.dumps([s["Resource"] for s in document["Statement"]])
    assert "training-data/one/" in resources and "training-data/two/" in resources
    assert writes == ["PutRolePolicy"]
    assert lines[0] == "  created  IAM role sagemaker-proxy-training"
    assert lines[2] == "  exists   IAM role sagemaker-proxy-training"
    run.roll_back()  # newest first: the added grants, then the role this run made
    assert lines[-2:] == [
        "  removed  grants added to sagemaker-proxy-training (restored as they were)",
        "  removed  IAM role sagemaker-proxy-training",
    ]
    assert aws.iam.list_roles()["Roles"] == []


# -- the channels ------------------------------------------------------------------------


def test_channels_are_uploaded_once_encrypted(aws: AwsClients, channels: dict[str, Path]) -> None:
    lines: list[str] = []
    run = Deployment(aws, out=lines.append)
    puts = calls(aws.s3, "PutObject", "CreateMultipartUpload")
    uris = aws_job.upload_channels(run, BUCKET, DIGEST, channels)
    assert uris == {
        "train": f"s3://{BUCKET}/training-data/abababababababab/train/",
        "validation": f"s3://{BUCKET}/training-data/abababababababab/validation/",
    }
    assert len(puts) == 2
    head = aws.s3.head_object(Bucket=BUCKET, Key="training-data/abababababababab/train/train.csv")
    assert head["ServerSideEncryption"] == "AES256"
    assert head["ContentLength"] == (channels["train"] / "train.csv").stat().st_size
    puts.clear()
    assert aws_job.upload_channels(run, BUCKET, DIGEST, channels) == uris
    assert puts == []  # a rerun on the same data uploads nothing
    assert lines[-2:] == [f"  exists   {uris['train']}train.csv",
                          f"  exists   {uris['validation']}validation.csv"]  # fmt: skip


# -- start, reuse, follow ----------------------------------------------------------------


def test_a_completed_job_is_reused_and_its_model_read(aws: AwsClients) -> None:
    creates = calls(aws.sagemaker, "CreateTrainingJob")
    name, happened = aws_job.start_or_reuse(aws.sagemaker, request())
    assert happened == f"created  training job {name}" and creates == ["CreateTrainingJob"]
    again, happened = aws_job.start_or_reuse(aws.sagemaker, request())
    assert again == name and happened.startswith(f"exists   training job {name} (Completed")
    assert creates == ["CreateTrainingJob"]
    description = aws.sagemaker.describe_training_job(TrainingJobName=name)
    aws.s3.put_object(Bucket=BUCKET, Key=f"training-output/{name}/output/model.tar.gz", Body=b"tgz")
    assert aws_job.model_artifact(aws.s3, description) == b"tgz"


def test_a_job_under_way_is_followed_not_started_again(aws: AwsClients) -> None:
    name, _ = aws_job.start_or_reuse(aws.sagemaker, request())
    job_in_moto(name, training_job_status="InProgress")
    assert aws_job.start_or_reuse(aws.sagemaker, request()) == (
        name,
        f"attach   training job {name} (InProgress: followed, no new job)",
    )


def test_a_failed_job_says_why_in_one_line_and_the_rerun_starts_a_new_attempt(
    aws: AwsClients,
) -> None:
    name, _ = aws_job.start_or_reuse(aws.sagemaker, request())
    reason = "AlgorithmError: framework error: \nTraceback (most recent call last):\n  File x"
    job_in_moto(
        name, training_job_status="Failed", secondary_status="Failed", failure_reason=reason
    )
    lines: list[str] = []
    with pytest.raises(job_progress.TrainingFailed) as failed:
        job_progress.follow(aws.sagemaker, aws.logs, name, out=lines.append, poll=0)
    assert str(failed.value) == f"training job {name} failed: AlgorithmError: framework error:"
    retried, happened = aws_job.start_or_reuse(aws.sagemaker, request())
    assert retried == f"{name}-2"
    assert happened == (
        f"created  training job {name}-2 (attempt {name} Failed: AlgorithmError: framework error:)"
    )


def test_a_stopped_job_is_no_model(aws: AwsClients) -> None:
    name, _ = aws_job.start_or_reuse(aws.sagemaker, request())
    job_in_moto(name, training_job_status="Stopped", secondary_status="MaxRuntimeExceeded")
    with pytest.raises(job_progress.TrainingFailed, match=r"was stopped \(MaxRuntimeExceeded\)"):
        job_progress.follow(aws.sagemaker, aws.logs, name, out=lambda line: None, poll=0)


def put_log(aws: AwsClients, stream: str, lines: list[str]) -> None:
    """Log lines as SageMaker writes them into the job's stream (timestamps: now, as CloudWatch
    refuses events much older than the stream)."""
    with contextlib.suppress(aws.logs.exceptions.ResourceAlreadyExistsException):
        aws.logs.create_log_group(logGroupName=job_progress.LOG_GROUP)
    with contextlib.suppress(aws.logs.exceptions.ResourceAlreadyExistsException):
        aws.logs.create_log_stream(logGroupName=job_progress.LOG_GROUP, logStreamName=stream)
    now = int(time.time() * 1000)
    events = [{"timestamp": now + i, "message": line} for i, line in enumerate(lines)]
    aws.logs.put_log_events(
        logGroupName=job_progress.LOG_GROUP, logStreamName=stream, logEvents=events
    )


def test_follow_streams_the_log_as_it_comes_and_ends_with_the_metrics(
    aws: AwsClients, channels: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The round lines of a real training of these channels, as the job's log shows them.
    trained = train_channels(
        channels["train"], channels["validation"], HYPERPARAMETERS, out=lambda line: None
    )
    assert trained.log_lines[0].startswith("[0]#011train-mlogloss:")
    name, _ = aws_job.start_or_reuse(aws.sagemaker, request())
    stream = f"{name}/algo-1-1700000000"
    job_in_moto(name, training_job_status="InProgress", secondary_status="Training")
    put_log(aws, stream, ["Arguments: train", *trained.log_lines[:2]])
    polls: list[float] = []

    def next_poll(seconds: float) -> None:  # the job goes on while follow sleeps
        polls.append(seconds)
        put_log(aws, stream, trained.log_lines[2:])
        final = [{"MetricName": metric, "Value": value, "Timestamp": NOW}
                 for metric, value in trained.final_metrics.items()]  # fmt: skip
        job_in_moto(name, training_job_status="Completed", final_metric_data_list=final)

    monkeypatch.setattr(job_progress.time, "sleep", next_poll)
    lines: list[str] = []
    described = job_progress.follow(aws.sagemaker, aws.logs, name, out=lines.append, poll=5)
    assert described["TrainingJobStatus"] == "Completed" and polls == [5]
    rounds = [line.replace("#011", "\t") for line in trained.log_lines]
    assert (
        lines
        == [
            f"job:       {name} InProgress",
            "job:       Starting: Preparing the instances for training",  # moto's one transition
            "  Arguments: train",
            f"  {rounds[0]}",
            f"  {rounds[1]}",
            f"job:       {name} Completed",
            *(f"  {line}" for line in rounds[2:]),
            "metrics:   " + ", ".join(f"{k}={v:g}" for k, v in trained.final_metrics.items()),
        ]
    )
    assert "\t" in rounds[-1] and "validation-mlogloss" in rounds[-1]


def test_attach_follows_a_job_by_name(aws: AwsClients) -> None:
    name, _ = aws_job.start_or_reuse(aws.sagemaker, request())
    lines: list[str] = []
    described = job_progress.attach(aws.sagemaker, aws.logs, name, out=lines.append, poll=0)
    assert described["TrainingJobName"] == name
    assert lines[0] == f"attach:    training job {name}"
    assert lines[-1] == "metrics:   train:progress=100"  # moto's canned metric


def test_a_log_the_caller_may_not_read_is_said_once_and_the_job_followed(aws: AwsClients) -> None:
    name, _ = aws_job.start_or_reuse(aws.sagemaker, request())
    logs = boto3.client("logs", region_name=REGION)
    lines: list[str] = []
    with Stubber(logs) as stub:
        stub.add_client_error("describe_log_streams", "AccessDeniedException", "not authorized")
        job_progress.follow(aws.sagemaker, logs, name, out=lines.append, poll=0)
        stub.assert_no_pending_responses()
    assert lines[2] == (
        "log:       not readable (DescribeLogStreams: access denied (not authorized): the caller "
        "needs that permission); the job goes on"
    )
    assert lines[-1].startswith("metrics:")


def described_job(name: str, status: str) -> dict[str, Any]:
    return {
        "TrainingJobName": name, "TrainingJobArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:training-job/{name}",
        "ModelArtifacts": {"S3ModelArtifacts": ""}, "TrainingJobStatus": status,
        "SecondaryStatus": "Training", "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        "CreationTime": NOW,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("signum", "said"), [(signal.SIGINT, "Ctrl-C"), (signal.SIGTERM, "SIGTERM")]
)
def test_a_signal_while_following_stops_the_job(
    signum: int, said: str, fake_credentials: None
) -> None:  # fmt: skip
    # moto has no StopTrainingJob: the Stubber answers, and checks the call.
    sagemaker = boto3.client("sagemaker", region_name=REGION)
    logs = boto3.client("logs", region_name=REGION)
    name = "flowers-abababab-6012b388"
    sagemaker.meta.events.register(
        "after-call.sagemaker.DescribeTrainingJob", lambda **_: signal.raise_signal(signum)
    )
    lines: list[str] = []
    with Stubber(sagemaker) as stub, Stubber(logs):
        stub.add_response(
            "describe_training_job", described_job(name, "InProgress"), {"TrainingJobName": name}
        )
        stub.add_response("stop_training_job", {}, {"TrainingJobName": name})
        with pytest.raises(Interrupted), interruptible():
            job_progress.follow(sagemaker, logs, name, out=lines.append, poll=0)
        stub.assert_no_pending_responses()  # fmt: skip
    assert lines[-1] == (
        f"stopping training job {name} ({said}): StopTrainingJob sent; "
        f"python -m scripts.train_job --attach {name} follows it"
    )


# -- tuning ------------------------------------------------------------------------------

RANGES = {
    "ContinuousParameterRanges": [
        {"Name": "eta", "MinValue": "0.01", "MaxValue": "0.3", "ScalingType": "Auto"}
    ],
    "IntegerParameterRanges": [
        {"Name": "max_depth", "MinValue": "3", "MaxValue": "10", "ScalingType": "Auto"}
    ],
    "CategoricalParameterRanges": [],
}


def tuning_request(**changes: Any) -> dict[str, Any]:
    definition: dict[str, Any] = {
        "image": IMAGE, "role_arn": ROLE_ARN, "channels_s3": CHANNELS_S3,
        "output_s3": f"s3://{BUCKET}/training-output/", "instance_type": "ml.m5.large",
        "instance_count": 1, "max_runtime": 3600, "spot_max_wait": None,
        "checkpoint_s3": None, "kms_key": None,
        "tags": [{"Key": "project", "Value": "sagemaker-proxy"}], **changes,
    }  # fmt: skip
    return tuning_job.tuning_job_request(
        "flowers-abababab-0123abcd", RANGES, ("validation:mlogloss", "Minimize"), 6, 2,
        HYPERPARAMETERS, **definition,
    )  # fmt: skip


def test_the_tuning_job_is_created_with_exactly_this_request(fake_credentials: None) -> None:
    expected = {
        "HyperParameterTuningJobName": "flowers-abababab-0123abcd",
        "HyperParameterTuningJobConfig": {
            "Strategy": "Bayesian",
            "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "validation:mlogloss"},
            "ResourceLimits": {"MaxNumberOfTrainingJobs": 6, "MaxParallelTrainingJobs": 2},
            "ParameterRanges": RANGES,
        },
        "TrainingJobDefinition": {
            "StaticHyperParameters": HYPERPARAMETERS,
            # a built-in algorithm: no MetricDefinitions
            "AlgorithmSpecification": {"TrainingImage": IMAGE, "TrainingInputMode": "File"},
            "RoleArn": ROLE_ARN,
            "InputDataConfig": ON_DEMAND["InputDataConfig"],
            "OutputDataConfig": {"S3OutputPath": f"s3://{BUCKET}/training-output/"},
            "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 30},
            "StoppingCondition": {"MaxRuntimeInSeconds": 3600, "MaxWaitTimeInSeconds": 7200},
            "EnableManagedSpotTraining": True,  # and no CheckpointConfig: see tuning_job_request
        },
        "Tags": [{"Key": "project", "Value": "sagemaker-proxy"}],
    }  # fmt: skip
    sagemaker = boto3.client("sagemaker", region_name=REGION)
    wanted = tuning_request(spot_max_wait=7200, checkpoint_s3=f"s3://{BUCKET}/checkpoints/")
    with Stubber(sagemaker) as stub:
        stub.add_client_error(
            "describe_hyper_parameter_tuning_job", "ResourceNotFound", "Could not find"
        )
        stub.add_response(
            "create_hyper_parameter_tuning_job", {"HyperParameterTuningJobArn": "arn"}, expected
        )
        assert tuning_job.start_or_reuse_tuning(sagemaker, wanted)[1].startswith("created")
        stub.assert_no_pending_responses()  # fmt: skip


def test_moto_takes_the_tuning_request_and_a_rerun_reuses_the_job(aws: AwsClients) -> None:
    name, happened = tuning_job.start_or_reuse_tuning(aws.sagemaker, tuning_request())
    assert happened == f"created  tuning job {name}"
    assert tuning_job.start_or_reuse_tuning(aws.sagemaker, tuning_request())[1].startswith(
        f"exists   tuning job {name} (Completed"
    )


def described_tuning(status: str, best: str | None = None) -> dict[str, Any]:
    described: dict[str, Any] = {
        "HyperParameterTuningJobName": "tune", "HyperParameterTuningJobArn": "arn:tune",
        "HyperParameterTuningJobConfig": {
            "Strategy": "Bayesian",
            "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "validation:mlogloss"},
            "ResourceLimits": {"MaxNumberOfTrainingJobs": 3, "MaxParallelTrainingJobs": 2},
        },
        "HyperParameterTuningJobStatus": status, "CreationTime": NOW,
        "TrainingJobStatusCounters": {}, "ObjectiveStatusCounters": {},
    }  # fmt: skip
    if best:
        described["BestTrainingJob"] = summary(best, "Completed", 0.2)
    return described


def summary(name: str, status: str, value: float | None = None) -> dict[str, Any]:
    job: dict[str, Any] = {
        "TrainingJobName": name, "TrainingJobArn": f"arn:{name}", "CreationTime": NOW,
        "TrainingJobStatus": status, "TunedHyperParameters": {"eta": "0.1"},
    }  # fmt: skip
    if value is not None:
        job["FinalHyperParameterTuningJobObjectiveMetric"] = {
            "Type": "Minimize", "MetricName": "validation:mlogloss", "Value": value}  # fmt: skip
    if status == "Failed":
        job["FailureReason"] = "AlgorithmError: out of memory\nmore"
    return job


LISTED = {"HyperParameterTuningJobName": "tune", "SortBy": "CreationTime", "SortOrder": "Ascending"}


def test_follow_tuning_shows_each_finished_job_and_the_best_so_far(fake_credentials: None) -> None:
    # moto has no ListTrainingJobsForHyperParameterTuningJob: the Stubber answers it.
    sagemaker = boto3.client("sagemaker", region_name=REGION)
    lines: list[str] = []
    with Stubber(sagemaker) as stub:
        stub.add_response("describe_hyper_parameter_tuning_job", described_tuning("InProgress"))
        stub.add_response(
            "list_training_jobs_for_hyper_parameter_tuning_job",
            {
                "TrainingJobSummaries": [
                    summary("tune-001", "Completed", 0.3),
                    summary("tune-002", "InProgress"),
                ]
            },
            LISTED,
        )
        stub.add_response(
            "describe_hyper_parameter_tuning_job", described_tuning("Completed", "tune-003")
        )
        stub.add_response(
            "list_training_jobs_for_hyper_parameter_tuning_job",
            {
                "TrainingJobSummaries": [
                    summary("tune-001", "Completed", 0.3),
                    summary("tune-002", "Failed"),
                    summary("tune-003", "Completed", 0.2),
                ]
            },
            LISTED,
        )
        best = tuning_job.follow_tuning(sagemaker, "tune", out=lines.append, poll=0)
        stub.assert_no_pending_responses()  # fmt: skip
    assert best == "tune-003"
    assert lines == [
        "tuning:    tune InProgress",
        "  tune-001  validation:mlogloss=0.3  best so far: tune-001 (0.3)",
        "tuning:    tune Completed",
        "  tune-002  Failed: AlgorithmError: out of memory  best so far: tune-001 (0.3)",
        "  tune-003  validation:mlogloss=0.2  best so far: tune-003 (0.2)",
        "best:      tune-003 (validation:mlogloss=0.2)",
    ]


def test_a_signal_while_tuning_stops_the_tuning_job(fake_credentials: None) -> None:
    # moto has no StopHyperParameterTuningJob: the Stubber answers, and checks the call.
    sagemaker = boto3.client("sagemaker", region_name=REGION)
    sagemaker.meta.events.register(
        "after-call.sagemaker.DescribeHyperParameterTuningJob",
        lambda **_: signal.raise_signal(signal.SIGINT),
    )
    lines: list[str] = []
    with Stubber(sagemaker) as stub:
        stub.add_response("describe_hyper_parameter_tuning_job", described_tuning("InProgress"))
        stub.add_response(
            "stop_hyper_parameter_tuning_job", {}, {"HyperParameterTuningJobName": "tune"}
        )
        with pytest.raises(Interrupted), interruptible():
            tuning_job.follow_tuning(sagemaker, "tune", out=lines.append, poll=0)
        stub.assert_no_pending_responses()  # fmt: skip
    assert lines == [
        "stopping tuning job tune (Ctrl-C): StopHyperParameterTuningJob sent "
        "(its training jobs stop with it)"
    ]


def test_a_tuning_job_without_a_best_job_is_a_failure(fake_credentials: None) -> None:
    sagemaker = boto3.client("sagemaker", region_name=REGION)
    with Stubber(sagemaker) as stub:
        stub.add_response("describe_hyper_parameter_tuning_job", described_tuning("Completed"))
        stub.add_response(
            "list_training_jobs_for_hyper_parameter_tuning_job",
            {"TrainingJobSummaries": [summary("tune-001", "Failed")]},
            LISTED,
        )
        with pytest.raises(
            job_progress.TrainingFailed, match="tuning job tune completed with no job"
        ):
            tuning_job.follow_tuning(sagemaker, "tune", out=lambda line: None, poll=0)  # fmt: skip
