"""`train_job` in SageMaker, the whole command on moto in process: the channels uploaded, the
role, the job, its log, its model imported and registered; refusals before anything is made.

moto runs no container: when it makes the training job, this test runs the job as the container
would, with the project's own copy of the container's training (``training.local``, checked
against the container's code at v3.0-5) on the channels the job names in moto's S3, and puts
what a job leaves where SageMaker puts it: the model.tar.gz under the job's output path, the
per-round lines in its log stream, and the final metrics SageMaker reads from that log with the
algorithm's metric definitions (``validation:<metric>``, algorithm_mode/metrics.py:21-42)."""

from __future__ import annotations

import contextlib
import io
import json
import re
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import numpy as np
import pytest
from moto import mock_aws

from scripts import train_job
from tests.e2e.test_train_job_local import CULTIVARS, LABEL, wine_csv
from training.job_progress import LOG_GROUP
from training.local import train_channels

REGION = "eu-west-1"
# The container's metric definitions: validation-<metric> on a round's line (metrics.py:27,36).
METRIC = re.compile(r".*\[[0-9]+\].*#011validation-(?P<name>[^:#]+):(?P<value>\S+)")


def run_like_the_container(backend: Any, job: Any, folder: Path) -> None:
    """What a finished training job leaves behind, made by the training code on its channels."""
    s3 = boto3.client("s3", region_name=REGION)
    local: dict[str, Path] = {}
    for channel in job.input_data_config:
        uri = channel["DataSource"]["S3DataSource"]["S3Uri"]
        bucket, _, prefix = uri.removeprefix("s3://").partition("/")
        target = folder / job.training_job_name / channel["ChannelName"]
        target.mkdir(parents=True)
        for item in s3.list_objects_v2(Bucket=bucket, Prefix=prefix)["Contents"]:
            s3.download_file(bucket, item["Key"], str(target / Path(item["Key"]).name))
        local[channel["ChannelName"]] = target
    trained = train_channels(
        local["train"], local.get("validation"), dict(job.hyper_parameters), out=lambda line: None
    )
    payload = io.BytesIO()
    with tarfile.open(fileobj=payload, mode="w:gz") as tar:
        info = tarfile.TarInfo("xgboost-model")
        info.size = len(trained.model_bytes)
        tar.addfile(info, io.BytesIO(trained.model_bytes))
    bucket, _, key = job.model_artifacts["S3ModelArtifacts"].removeprefix("s3://").partition("/")
    s3.put_object(Bucket=bucket, Key=key, Body=payload.getvalue())
    logs = boto3.client("logs", region_name=REGION)
    with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
        logs.create_log_group(logGroupName=LOG_GROUP)
    stream = f"{job.training_job_name}/algo-1-1767225600"
    logs.create_log_stream(logGroupName=LOG_GROUP, logStreamName=stream)
    now = int(time.time() * 1000)
    logs.put_log_events(
        logGroupName=LOG_GROUP, logStreamName=stream,
        logEvents=[{"timestamp": now + i, "message": line} for i, line in enumerate(trained.log_lines)],
    )  # fmt: skip
    final = {}
    for line in trained.log_lines:
        for cell in line.split("#011")[1:]:
            match = METRIC.fullmatch("[0]#011" + cell)
            if match:
                final[f"validation:{match['name']}"] = float(match["value"])
    job.final_metric_data_list = [
        {"MetricName": name, "Value": value, "Timestamp": job.creation_time}
        for name, value in final.items()
    ]


@pytest.fixture
def aws(
    fake_credentials: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[list[str]]:
    """moto in process; each training job it makes is run as the container would run it."""
    from moto.sagemaker.models import SageMakerModelBackend

    created: list[str] = []
    original = SageMakerModelBackend.create_training_job

    def create_training_job(self: Any, *args: Any, **kwargs: Any) -> Any:
        job = original(self, *args, **kwargs)
        created.append(job.training_job_name)
        run_like_the_container(self, job, tmp_path / "container")
        return job

    monkeypatch.setattr(SageMakerModelBackend, "create_training_job", create_training_job)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        yield created


def command(tmp_path: Path, *flags: str) -> list[str]:
    return [
        "--data", str(tmp_path / "wine.csv"), "--label", LABEL, "--group", "wine",
        "--output", str(tmp_path / "build" / "model.tar.gz"), *flags,
    ]  # fmt: skip


def test_a_csv_becomes_a_registered_version_trained_by_a_job(
    aws: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a CSV with text labels
    wine_csv(tmp_path / "wine.csv")
    hyperparameters = "num_round=30,max_depth=3,eval_metric=mlogloss,early_stopping_rounds=5"
    # When the command runs a training job on it
    code = train_job.main(command(tmp_path, "--hyperparameters", hyperparameters))
    out = capsys.readouterr().out
    # Then one job ran, its rounds were shown from its log, and its final metrics
    assert code == 0, out
    assert len(aws) == 1
    assert "validation-mlogloss" in out
    # and the model it made was imported with the data's classes and registered with them
    sagemaker = boto3.client("sagemaker", region_name=REGION)
    packages = sagemaker.list_model_packages(ModelPackageGroupName="wine")[
        "ModelPackageSummaryList"
    ]
    described = sagemaker.describe_model_package(ModelPackageName=packages[0]["ModelPackageArn"])
    assert described["ModelApprovalStatus"] == "PendingManualApproval"
    assert "metric:validation:mlogloss" in described["CustomerMetadataProperties"]
    assert aws[0] in described["ModelPackageDescription"]
    signature = (tmp_path / "build" / "model.signature.json").read_text()
    assert all(name in signature for name in CULTIVARS)
    # and the role reads the data prefix and writes the output prefix, nothing wider
    iam = boto3.client("iam")
    policies = iam.list_role_policies(RoleName="sagemaker-proxy-training")["PolicyNames"]
    document = str(iam.get_role_policy(RoleName="sagemaker-proxy-training", PolicyName=policies[0]))
    assert "training-data/*" in document and "training-output/*" in document


def test_a_rerun_uploads_nothing_and_starts_no_job(
    aws: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wine_csv(tmp_path / "wine.csv")
    flags = command(tmp_path, "--hyperparameters", "num_round=5")
    assert train_job.main(flags) == 0
    capsys.readouterr()
    # When the same command runs again
    assert train_job.main(flags) == 0
    out = capsys.readouterr().out
    # Then the finished job is reused (moto would take a second create of the same name)
    assert len(aws) == 1
    assert "uploaded" not in out.replace("uploaded s3://", "")  # the registry's upload line only


def made_anything() -> list[str]:
    made = [b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]]
    made += [r["RoleName"] for r in boto3.client("iam").list_roles()["Roles"]]
    made += [
        j["TrainingJobName"]
        for j in boto3.client("sagemaker").list_training_jobs()["TrainingJobSummaries"]
    ]
    return made


@pytest.mark.parametrize(
    ("flags", "said"),
    [
        (("--hyperparameters", "num_round=5,etaa=0.1"), "etaa"),
        (("--hyperparameters", "num_round=5,max_depth=-1"), "max_depth"),
        (("--hyperparameters", "eta=0.1"), "num_round"),
        (
            ("--hyperparameters", "num_round=5,eval_metric=rmse,objective=binary:logistic"),
            "2 classes",
        ),
        (("--hyperparameters", "num_round=5,eval_metric=auc"), "auc"),
        (("--hyperparameters", "num_round=5", "--instance-type", "ml.m5.huge"), "ml.m5.huge"),
        (("--hyperparameters", "num_round=5", "--spot", "--max-wait", "60"), "max"),
        (("--hyperparameters", "num_round=5", "--label", "no-such-column"), "no-such-column"),
    ],
    ids=[
        "unknown",
        "out of range",
        "no num_round",
        "binary on 3 classes",
        "a metric the objective cannot emit",
        "no such instance type",
        "max wait below runtime",
        "no label column",
    ],
)
def test_refusals_are_one_line_exit_2_and_make_nothing(
    aws: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    flags: tuple[str, ...],
    said: str,
) -> None:
    wine_csv(tmp_path / "wine.csv")
    code = train_job.main(command(tmp_path, *flags))
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.count("\n") == 1 and said in err, err
    assert made_anything() == []


def test_data_in_a_bucket_of_another_region_is_refused_before_anything_is_made(
    aws: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    elsewhere = boto3.client("s3", region_name="us-west-2")
    elsewhere.create_bucket(
        Bucket="their-data", CreateBucketConfiguration={"LocationConstraint": "us-west-2"}
    )
    wine_csv(tmp_path / "wine.csv")
    elsewhere.upload_file(str(tmp_path / "wine.csv"), "their-data", "wine.csv")
    flags = command(tmp_path, "--hyperparameters", "num_round=5")
    flags[1] = "s3://their-data/wine.csv"
    code = train_job.main(flags)
    err = capsys.readouterr().err
    assert code == 2 and "us-west-2" in err and err.count("\n") == 1, err
    assert made_anything() == ["their-data"]


def test_attach_imports_a_job_started_earlier(
    aws: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wine_csv(tmp_path / "wine.csv")
    assert train_job.main(command(tmp_path, "--hyperparameters", "num_round=5")) == 0
    capsys.readouterr()
    first = (tmp_path / "build" / "model.signature.json").read_text()
    (tmp_path / "build").rename(tmp_path / "before")
    # When another laptop follows the job by name
    code = train_job.main(
        ["--attach", aws[0], "--output", str(tmp_path / "build" / "model.tar.gz")]
    )
    assert code == 0, capsys.readouterr()
    # Then it imports the same model with the same signature (features, classes, examples)

    again = json.loads((tmp_path / "build" / "model.signature.json").read_text())
    before = json.loads(first)
    for key in ("features", "labels", "artifact_sha256", "examples"):
        assert again[key] == before[key], key
    assert np.isfinite(again["training"]["metrics"]["validation:mlogloss"])
