"""`scripts.batch_score` with an s3:// input: a Batch Transform job on the stage's model, started
by the command in a process of its own against moto_server. moto records the job and completes
it at once but runs no container, so the test writes the job's output itself, as SageMaker would
with the job's filters (the ids joined to the serving code's CSV answer), before the command
labels it. moto cannot fail a job: the FailureReason test answers DescribeTransformJob itself."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from werkzeug.test import EnvironBuilder

from serving.invocations import CSV, invoke
from serving.model import XGBoostModel
from tests.e2e.command_runs import REGION, run, started_moto_server
from tests.support import moto_model_answer

ACCOUNT = "123456789012"
BUCKET = f"sagemaker-proxy-{ACCOUNT}-{REGION}"
ROWS = [
    ("a1", 5.1, 3.5, 1.4, 0.2),
    ("a2", 7.0, 3.2, 4.7, 1.4),
    ("a3", 6.3, 3.3, 6.0, 2.5),
    ("a4", 5.9, 3.0, 5.1, 1.8),
]


@pytest.fixture(scope="module")
def deployed(
    tmp_path_factory: pytest.TempPathFactory, trained_model: Path
) -> Iterator[tuple[str, Path, Path]]:
    """moto_server with the Iris endpoint deployed for stage dev, and that stage's files."""
    import shutil

    from foundation.paths import CHALICE_CONFIG_DIR

    config = tmp_path_factory.mktemp("chalice") / ".chalice"
    shutil.copytree(CHALICE_CONFIG_DIR, config, ignore=shutil.ignore_patterns("deploy*"))
    (config.parent / "chalicelib" / "signatures").mkdir(parents=True)
    for url in started_moto_server(tmp_path_factory):
        model = trained_model / "model.tar.gz"
        moto_model_answer(model, REGION, url)
        deploy = run(
            "scripts.deploy_endpoint", "--endpoint-name", "iris-batch", "--model", str(model),
            "--chalice-config-dir", str(config), "--stage", "dev", endpoint_url=url,
        )  # fmt: skip
        assert deploy.returncode == 0, deploy.stdout + deploy.stderr
        yield url, config, model


def client(service: str, url: str) -> Any:
    return boto3.client(
        service, endpoint_url=url, region_name=REGION,
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )  # fmt: skip


def put_input(url: str, key: str, lines: list[str]) -> None:
    client("s3", url).put_object(Bucket=BUCKET, Key=key, Body="".join(f"{x}\n" for x in lines))


def transform_answers(model: XGBoostModel, features: bytes, monkeypatch: pytest.MonkeyPatch) -> str:
    """The container's answer to a transform job's request: the stand-in's own serving code,
    with SAGEMAKER_BATCH set as SageMaker sets it in a transform job's container."""
    request = EnvironBuilder(
        method="POST", data=features, content_type="text/csv", headers={"Accept": "text/csv"}
    ).get_request()
    with monkeypatch.context() as patched:
        patched.setenv("SAGEMAKER_BATCH", "true")
        return invoke(model, request, frozenset({CSV})).get_data(as_text=True)


def write_job_output(url: str, model: Path, key: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the job writes for ROWS: each input line (its id: the OutputFilter keeps it) joined
    with the container's answer to it, as JoinSource Input joins them."""
    features = "\n".join(",".join(map(str, row[1:])) for row in ROWS).encode()
    answers = transform_answers(XGBoostModel.from_artifact(model), features, monkeypatch)
    joined = "".join(
        f"{row[0]},{answer}\n" for row, answer in zip(ROWS, answers.splitlines(), strict=True)
    )
    client("s3", url).put_object(Bucket=BUCKET, Key=key, Body=joined)


def batch(url: str, config: Path, *args: str) -> Any:
    return run(
        "scripts.batch_score", *args, "--stage", "dev", "--chalice-config-dir", str(config),
        endpoint_url=url,
    )  # fmt: skip


def test_a_transform_job_scores_the_stages_model_and_its_output_is_labelled(
    deployed: tuple[str, Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, config, model = deployed
    # Given header-less CSV in S3, the id first, and the job's output as SageMaker writes it
    put_input(url, "incoming/flowers.csv", [",".join(map(str, row)) for row in ROWS])
    write_job_output(url, model, "scored/flowers.csv.out", monkeypatch)
    # When batch_score is pointed at it
    result = batch(
        url, config, "--input", f"s3://{BUCKET}/incoming/flowers.csv",
        "--output", f"s3://{BUCKET}/scored/", "--id-column", "id", "--instance-count", "2",
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    # Then the price is said before the job starts
    assert result.stdout.index("cost: 2 x ml.m5.large") < result.stdout.index("started")
    # And the job runs the endpoint's model with the parameters the container needs
    sagemaker = client("sagemaker", url)
    name = sagemaker.list_transform_jobs()["TransformJobSummaries"][0]["TransformJobName"]
    job = sagemaker.describe_transform_job(TransformJobName=name)
    served = sagemaker.describe_endpoint_config(
        EndpointConfigName=sagemaker.describe_endpoint(EndpointName="iris-batch")[
            "EndpointConfigName"
        ]
    )["ProductionVariants"][0]["ModelName"]
    assert job["ModelName"] == served
    assert job["BatchStrategy"] == "MultiRecord" and job["MaxPayloadInMB"] == 6
    assert job["TransformInput"]["SplitType"] == "Line"
    assert job["TransformInput"]["ContentType"] == "text/csv"
    assert job["TransformOutput"]["Accept"] == "text/csv"
    assert job["DataProcessing"] == {
        "InputFilter": "$[1:]", "JoinSource": "Input", "OutputFilter": "$[0,5:]",
    }  # fmt: skip
    assert job["TransformResources"] == {"InstanceType": "ml.m5.large", "InstanceCount": 2}
    tags = {
        t["Key"]: t["Value"]
        for t in sagemaker.list_tags(ResourceArn=job["TransformJobArn"])["Tags"]
    }
    assert tags["endpoint"] == "iris-batch" and tags["project"] == "sagemaker-proxy"
    # And the model's role may read this input and write this output, nothing wider
    role = sagemaker.describe_model(ModelName=served)["ExecutionRoleArn"].rsplit("/", 1)[-1]
    policy = client("iam", url).get_role_policy(
        RoleName=role, PolicyName="sagemaker-proxy-batch-access"
    )["PolicyDocument"]
    policy = json.loads(policy) if isinstance(policy, str) else policy
    resources = {json.dumps(s["Resource"]) for s in policy["Statement"]}
    assert json.dumps([f"arn:aws:s3:::{BUCKET}/incoming/flowers.csv*"]) in resources
    assert json.dumps(f"arn:aws:s3:::{BUCKET}/scored/*") in resources
    # And the labelled output is what scoring the same records locally gives
    labelled = client("s3", url).get_object(Bucket=BUCKET, Key="scored/flowers.csv.scored.csv")
    local_input = tmp_path / "flowers.csv"
    with local_input.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["id", "sepal_length", "sepal_width", "petal_length", "petal_width"])
        writer.writerows(ROWS)
    local = run(
        "scripts.batch_score", "--input", str(local_input), "--output", str(tmp_path / "o.csv"),
        "--id-column", "id", "--model", str(model), endpoint_url=url,
    )  # fmt: skip
    assert local.returncode == 0, local.stderr
    assert labelled["Body"].read() == (tmp_path / "o.csv").read_bytes()
    assert f"scored: s3://{BUCKET}/scored/flowers.csv.scored.csv" in result.stdout


@pytest.mark.parametrize(
    ("lines", "reason"),
    [
        (["id,sepal_length,sepal_width,petal_length,petal_width", "a,1,1,1,1"], "a header?"),
        (["a,1,1,1"], "4 cells, not 1 id(s) and 4 features"),
        (["a,1,1,1,1", "b,1,x,1,1"], "line 2: sepal_width: Input should be a valid number"),
        (['a,1,1,"1",1'], "quoted cells"),
    ],
)
def test_input_the_model_cannot_take_is_refused_before_any_job_starts(
    deployed: tuple[str, Path, Path], lines: list[str], reason: str
) -> None:
    url, config, _ = deployed
    sagemaker = client("sagemaker", url)
    before = len(sagemaker.list_transform_jobs()["TransformJobSummaries"])
    put_input(url, "bad/records.csv", lines)
    result = batch(
        url, config, "--input", f"s3://{BUCKET}/bad/records.csv",
        "--output", f"s3://{BUCKET}/bad-out/", "--id-column", "id",
    )  # fmt: skip
    assert result.returncode == 2, result.stdout + result.stderr
    assert reason in result.stderr and result.stderr.count("\n") == 1
    assert len(sagemaker.list_transform_jobs()["TransformJobSummaries"]) == before


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (("--input", "s3://bkt/x.csv", "--output", "s3://bkt/out"), "must be a prefix"),
        (("--input", "s3://bkt/x.jsonl", "--output", "s3://bkt/out/"), "CSV"),
        (("--input", "s3://bkt/in/", "--output", "s3://bkt/in/out/"), "inside --input"),
        (("--input", "s3://B/x.csv", "--output", "s3://bkt/out/"), "not s3://"),
        (
            ("--input", "s3://bkt/x.csv", "--output", "s3://bkt/o/", "--instance-count", "0"),
            "1 to 100",
        ),
        (
            ("--input", "s3://bkt/x.csv", "--output", "s3://bkt/o/", "--max-payload-mb", "7"),
            "limit",
        ),
        (("--input", "s3://bkt/x.csv", "--output", "s3://bkt/o/", "--instance-type", "m5"), "type"),
        (("--input", "s3://bkt/x.csv", "--output", "s3://bkt/o/", "--restart"), "local files"),
        (("--input", "s3://bkt/x.csv", "--output", "s3://bkt/o/", "--id-column", "label"), "label"),
    ],
)
def test_bad_arguments_are_refused_without_calling_aws(
    args: tuple[str, ...], reason: str, chalice_config: Path
) -> None:
    import shutil

    from foundation.paths import LAMBDA_SIGNATURES

    shutil.copytree(LAMBDA_SIGNATURES, chalice_config.parent / "chalicelib" / "signatures")
    # A dead port: any AWS call would fail with exit 1, not 2
    result = batch("http://127.0.0.1:9", chalice_config, *args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert reason in result.stderr and result.stderr.count("\n") == 1


def test_a_failed_job_says_why(deployed: tuple[str, Path, Path], monkeypatch: Any) -> None:
    """In process against the same moto_server; DescribeTransformJob answered by the test
    (moto's jobs always complete), so the FailureReason is the one given here."""
    from batch.transform import S3Location, TransformRequest
    from batch.transform_run import TransformFailed, run_transform
    from foundation.lambda_code import signature as sig
    from provisioning.aws import AwsClients

    url, config, _ = deployed
    for name, value in {"AWS_ENDPOINT_URL": url, "AWS_ACCESS_KEY_ID": "testing",
                        "AWS_SECRET_ACCESS_KEY": "testing"}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    aws = AwsClients.create(REGION)
    failed = {"TransformJobStatus": "Failed", "FailureReason": "ClientError: no such key"}
    aws.sagemaker.meta.events.register(
        "before-call.sagemaker.DescribeTransformJob",
        # botocore skips the call when a before-call handler answers it
        lambda **_: (AWSResponse(url, 200, {}, None), failed),
    )
    put_input(url, "fail/flowers.csv", [",".join(map(str, row)) for row in ROWS])
    request = TransformRequest(
        S3Location(BUCKET, "fail/flowers.csv"), S3Location(BUCKET, "fail-out/"), ("id",)
    )
    signature = sig.read_signature(config.parent / "chalicelib" / "signatures" / "dev.json")
    with pytest.raises(TransformFailed, match="Failed: ClientError: no such key"):
        run_transform(aws, request, "iris-batch", signature, out=lambda line: None)


def test_ctrl_c_while_waiting_stops_the_job(
    deployed: tuple[str, Path, Path], monkeypatch: Any
) -> None:
    """A job left running bills its instances: stopped while waiting, the command stops it.
    moto lacks StopTransformJob, so the test answers it (and records the call)."""
    import signal

    from batch.transform import S3Location, TransformRequest
    from batch.transform_run import run_transform
    from foundation.interrupts import Interrupted
    from foundation.lambda_code import signature as sig
    from provisioning.aws import AwsClients

    url, config, _ = deployed
    for name, value in {"AWS_ENDPOINT_URL": url, "AWS_ACCESS_KEY_ID": "testing",
                        "AWS_SECRET_ACCESS_KEY": "testing"}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    aws = AwsClients.create(REGION)
    stopped: list[str] = []

    def ctrl_c(**_: Any) -> None:
        raise Interrupted(signal.SIGINT)

    def stop(params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        stopped.append(json.loads(params["body"])["TransformJobName"])
        return AWSResponse(url, 200, {}, None), {}

    aws.sagemaker.meta.events.register("before-call.sagemaker.DescribeTransformJob", ctrl_c)
    aws.sagemaker.meta.events.register("before-call.sagemaker.StopTransformJob", stop)
    put_input(url, "stop/flowers.csv", [",".join(map(str, row)) for row in ROWS])
    request = TransformRequest(
        S3Location(BUCKET, "stop/flowers.csv"), S3Location(BUCKET, "stop-out/"), ("id",)
    )
    signature = sig.read_signature(config.parent / "chalicelib" / "signatures" / "dev.json")
    lines: list[str] = []
    with pytest.raises(Interrupted):
        run_transform(aws, request, "iris-batch", signature, out=lines.append)
    started = next(line for line in lines if line.endswith(" started")).split()[1]
    assert stopped == [started]
    assert lines[-1] == f"job:    {started} stopped (it bills while it runs)"
