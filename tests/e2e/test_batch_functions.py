"""A stage's batch functions: switched on by `scripts.batch_triggers` (a process of its own
against moto_server), packaged into `make deploy`'s template with their own policy, and run by
Chalice's test client with its event helpers against moto in process: a Batch Transform job for
new CSV, once per object."""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from chalice.test import Client
from parliament import analyze_policy_string

from foundation.lambda_code import batch_triggers as triggers
from foundation.paths import CHALICE_DIR
from provisioning.api import package as api_package
from provisioning.aws import AwsClients
from tests.e2e.command_runs import (
    REGION,
    deploy_to_moto,
    run,
    started_moto_server,
    switch_off,
)
from tests.e2e.provisioning_runs import make_aws, moto_clients, run_deploy
from tests.e2e.sam_expansion import expand_template

ROWS = ["a1,5.1,3.5,1.4,0.2", "a2,7.0,3.2,4.7,1.4"]


def project_copy(folder: Path) -> Path:
    """The Chalice project, copied, for a stage of its own to be changed."""
    copy = folder / "chalice_app"
    shutil.copytree(
        CHALICE_DIR, copy, ignore=shutil.ignore_patterns("deployments", "__pycache__", ".venv*")
    )
    return copy


def load_app(project: Path, monkeypatch: pytest.MonkeyPatch, stage: str) -> ModuleType:
    """app.py imported afresh with the stage's variables set, as Chalice imports it."""
    config_path = project / ".chalice" / "config.json"
    config = json.loads(config_path.read_text())
    # The project copy's signature by its path: chalicelib is imported from the repository's
    # project, whose signatures/ does not hold it (the test client sets the stage's variables)
    stage_variables = config["stages"][stage].setdefault("environment_variables", {})
    signature = stage_variables.get("MODEL_SIGNATURE", "iris.json")
    stage_variables["MODEL_SIGNATURE"] = str(project / "chalicelib" / "signatures" / signature)
    config_path.write_text(json.dumps(config))
    variables = {**config["environment_variables"], **stage_variables}
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    from chalicelib import clients

    clients.reset()
    spec = importlib.util.spec_from_file_location(f"batch_app_{stage}", project / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- the functions, in process against moto ------------------------------------------------


@pytest.fixture
def deployed(
    tmp_path: Path, trained_model: Path, fake_credentials: None, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[AwsClients, Path]]:
    """An endpoint deployed for stage dev of a project copy, its bucket holding incoming/."""
    project = project_copy(tmp_path)
    model = trained_model / "model.tar.gz"
    for aws in make_aws(REGION, model):
        code, lines = run_deploy(aws, model, project / ".chalice", "--stage", "dev")
        assert code == 0, lines
        (project / ".chalice" / "model.json").write_text(json.dumps({"model": str(model)}))
        yield aws, project


def aws_queue(aws: AwsClients) -> str:
    import boto3

    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName="other-notifications")["QueueUrl"]
    return str(
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
    )


def trained_model_path(project: Path) -> Path:
    return Path(json.loads((project / ".chalice" / "model.json").read_text())["model"])


def switch_on(aws: AwsClients, project: Path, *flags: str) -> Any:
    from scripts import batch_triggers as command

    bucket = f"sagemaker-proxy-123456789012-{REGION}"
    args = ["--stage", "dev", "--input", f"s3://{bucket}/incoming/", "--output",
            f"s3://{bucket}/scored/", "--id-columns", "1", "--chalice-config-dir",
            str(project / ".chalice"), *flags]  # fmt: skip
    assert command.main(args) == 0
    return bucket


def arrival_event(client: Client, bucket: str, key: str) -> Any:
    return client.events.generate_cw_event(
        source="aws.s3",
        detail_type="Object Created",
        detail={"bucket": {"name": bucket}, "object": {"key": key, "size": 40}},
        resources=[f"arn:aws:s3:::{bucket}"],
    )


def jobs(aws: AwsClients) -> list[dict[str, Any]]:
    summaries = aws.sagemaker.list_transform_jobs()["TransformJobSummaries"]
    return [
        aws.sagemaker.describe_transform_job(TransformJobName=s["TransformJobName"])
        for s in summaries
    ]


def test_an_arriving_object_starts_one_job_on_the_stages_model(
    deployed: tuple[AwsClients, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.s3.models import s3_backends

    aws, project = deployed
    bucket = f"sagemaker-proxy-123456789012-{REGION}"
    # Given a bucket that already notifies a queue of something else
    queue = aws_queue(aws)
    aws.s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": queue, "Events": ["s3:ObjectRemoved:*"]}]
        },
    )
    switch_on(aws, project, "--on-arrival")
    # Then its events go to EventBridge too, and the queue keeps its own
    notifications = (
        s3_backends[DEFAULT_ACCOUNT_ID]["aws"].buckets[bucket].notification_configuration
    )
    assert notifications.event_bridge == {}
    assert [q.arn for q in notifications.queue] == [queue]
    app = load_app(project, monkeypatch, "dev").app
    aws.s3.put_object(Bucket=bucket, Key="incoming/day1.csv", Body="\n".join(ROWS) + "\n")
    with Client(app, stage_name="dev", project_dir=str(project)) as client:
        # When the object's arrival reaches the function
        answer = client.lambda_.invoke(
            triggers.ARRIVAL_FUNCTION, arrival_event(client, bucket, "incoming/day1.csv")
        ).payload
        # Then one job scores it with the stage's model, from a manifest naming it
        (job,) = jobs(aws)
        assert answer == {"started": job["TransformJobName"], "objects": ["incoming/day1.csv"]}
        served = aws.sagemaker.describe_endpoint_config(
            EndpointConfigName=aws.sagemaker.describe_endpoint(EndpointName="iris-test")[
                "EndpointConfigName"
            ]
        )["ProductionVariants"][0]["ModelName"]
        assert job["ModelName"] == served
        source = job["TransformInput"]["DataSource"]["S3DataSource"]
        assert source["S3DataType"] == "ManifestFile"
        manifest_key = source["S3Uri"].removeprefix(f"s3://{bucket}/")
        manifest = json.loads(aws.s3.get_object(Bucket=bucket, Key=manifest_key)["Body"].read())
        assert manifest == [{"prefix": f"s3://{bucket}/incoming/"}, "day1.csv"]
        assert job["DataProcessing"]["InputFilter"] == "$[1:]"
        assert job["TransformOutput"]["S3OutputPath"] == f"s3://{bucket}/scored/"
        # And the same event again (EventBridge delivers at least once) starts nothing
        again = client.lambda_.invoke(
            triggers.ARRIVAL_FUNCTION, arrival_event(client, bucket, "incoming/day1.csv")
        ).payload
        assert again == {"started": None, "reason": "nothing new to score"}
        assert len(jobs(aws)) == 1
    # And once the job has written its output (moto runs no container: written here as the
    # job's filters would, the id and the serving code's CSV answer), batch_score labels it
    from scripts import batch_score
    from serving.model import XGBoostModel, format_csv

    model = XGBoostModel.from_artifact(trained_model_path(project))
    answers = format_csv(model.predict_csv("\n".join(r.split(",", 1)[1] for r in ROWS).encode()))
    joined = "".join(f"{row.split(',')[0]},{line}\n" for row, line in
                     zip(ROWS, answers.decode().splitlines(), strict=True))  # fmt: skip
    aws.s3.put_object(Bucket=bucket, Key="scored/day1.csv.out", Body=joined)
    code = batch_score.main(["--label-job", job["TransformJobName"], "--id-column", "id",
                             "--stage", "dev", "--chalice-config-dir", str(project / ".chalice")])  # fmt: skip
    assert code == 0
    labelled = aws.s3.get_object(Bucket=bucket, Key="scored/day1.csv.scored.csv")["Body"].read()
    header, first, second = labelled.decode().splitlines()
    assert header.startswith("id,label,probability_setosa")
    assert first.startswith("a1,setosa,") and second.startswith("a2,versicolor,")


def test_input_the_model_cannot_take_starts_nothing_and_says_why(
    deployed: tuple[AwsClients, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    aws, project = deployed
    bucket = switch_on(aws, project, "--on-arrival")
    app = load_app(project, monkeypatch, "dev").app
    header = "id,sepal_length,sepal_width,petal_length,petal_width\n"
    aws.s3.put_object(Bucket=bucket, Key="incoming/with-header.csv", Body=header + ROWS[0])
    with Client(app, stage_name="dev", project_dir=str(project)) as client:
        answer = client.lambda_.invoke(
            triggers.ARRIVAL_FUNCTION, arrival_event(client, bucket, "incoming/with-header.csv")
        ).payload
    assert answer["started"] is None and "a header?" in answer["refused"]
    assert jobs(aws) == []


def test_the_schedule_sends_what_arrived_since_in_one_job(
    deployed: tuple[AwsClients, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    aws, project = deployed
    bucket = switch_on(aws, project, "--schedule", "rate(1 day)")
    app = load_app(project, monkeypatch, "dev").app
    assert not hasattr(load_app(project, monkeypatch, "dev"), "score_on_arrival")
    for name in ("a.csv", "b.csv"):
        aws.s3.put_object(Bucket=bucket, Key=f"incoming/{name}", Body="\n".join(ROWS) + "\n")
    with Client(app, stage_name="dev", project_dir=str(project)) as client:
        tick = client.events.generate_cw_event(
            source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
        )
        first = client.lambda_.invoke(triggers.SCHEDULE_FUNCTION, tick).payload
        assert sorted(first["objects"]) == ["incoming/a.csv", "incoming/b.csv"]
        aws.s3.put_object(Bucket=bucket, Key="incoming/c.csv", Body=ROWS[0] + "\n")
        second = client.lambda_.invoke(triggers.SCHEDULE_FUNCTION, tick).payload
        assert second["objects"] == ["incoming/c.csv"]
        third = client.lambda_.invoke(triggers.SCHEDULE_FUNCTION, tick).payload
        assert third["started"] is None
    assert len(jobs(aws)) == 2


def test_a_stage_without_batch_settings_has_no_batch_functions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = load_app(project_copy(tmp_path), monkeypatch, "dev").app
    assert not any(name.startswith("score_on") for name in app.handler_map)


# -- switched on by the command, against moto_server -----------------------------------------


@pytest.fixture(scope="module")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from started_moto_server(tmp_path_factory)


def test_the_command_writes_the_stage_grants_the_role_and_turns_on_bucket_events(
    moto_server: str, trained_model: Path, tmp_path: Path
) -> None:
    project = project_copy(tmp_path)
    config_dir = str(project / ".chalice")
    deploy_to_moto(moto_server, trained_model / "model.tar.gz", project / ".chalice", "iris-trig")
    bucket = f"sagemaker-proxy-123456789012-{REGION}"
    on = run(
        "scripts.batch_triggers", "--stage", "dev", "--input", f"s3://{bucket}/incoming/",
        "--output", f"s3://{bucket}/scored/", "--on-arrival", "--schedule", "rate(6 hours)",
        "--chalice-config-dir", config_dir, endpoint_url=moto_server,
    )  # fmt: skip
    assert on.returncode == 0, on.stdout + on.stderr
    assert "cost: 1 x ml.m5.large" in on.stdout and "make deploy STAGE=dev" in on.stdout
    stage = json.loads((project / ".chalice" / "config.json").read_text())["stages"]["dev"]
    assert stage["environment_variables"][triggers.SCHEDULE] == "rate(6 hours)"
    assert stage["lambda_functions"][triggers.ARRIVAL_FUNCTION]["iam_policy_file"] == (
        "policy-dev-batch.json"
    )
    policy_text = (project / ".chalice" / "policy-dev-batch.json").read_text()
    assert [finding.issue for finding in analyze_policy_string(policy_text).findings] == []
    for statement in json.loads(policy_text)["Statement"]:
        assert statement["Resource"] != "*"
    clients = moto_clients(moto_server, ("s3", "iam"))
    # moto's GetBucketNotificationConfiguration leaves EventBridge out: the in-process test
    # reads moto's own record of it
    assert f"events   s3://{bucket} now sends its events to EventBridge" in on.stdout
    grants = clients["iam"].get_role_policy(
        RoleName="sagemaker-proxy-iris-trig", PolicyName="sagemaker-proxy-batch-access"
    )["PolicyDocument"]
    grants = json.loads(grants) if isinstance(grants, str) else grants
    assert grants["Statement"][0]["Resource"] == [
        f"arn:aws:s3:::{bucket}/incoming/*", f"arn:aws:s3:::{bucket}/scored/manifests/*",
    ]  # fmt: skip
    # And --off takes the functions out of the stage again
    switch_off("scripts.batch_triggers", moto_server, project, "BATCH_", "policy-dev-batch.json")


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (("--input", "s3://bkt/in/", "--output", "s3://bkt/out/"), "say when"),
        (("--input", "s3://bkt/in/", "--on-arrival"), "both needed"),
        (("--input", "s3://bkt/in/", "--output", "s3://bkt/out/", "--schedule", "daily"), "rate("),
        (("--input", "s3://bkt/in/", "--output", "s3://bkt/in/x/", "--on-arrival"), "inside"),
        (
            (
                "--input",
                "s3://bkt/in/",
                "--output",
                "s3://bkt/o/",
                "--on-arrival",
                "--instance-count",
                "0",
            ),
            "1 to 100",
        ),
        (
            (
                "--input",
                "s3://bkt/in/",
                "--output",
                "s3://bkt/o/",
                "--on-arrival",
                "--kms-key",
                "alias/x",
            ),
            "KMS key ARN",
        ),
        # A mistyped stage, even to switch off: never written into config.json
        (("--stage", "nowhere", "--off"), "no stage 'nowhere'"),
    ],
)
def test_bad_arguments_are_refused_without_calling_aws(
    args: tuple[str, ...], reason: str, chalice_config: Path
) -> None:
    config_before = (chalice_config / "config.json").read_text()
    result = run("scripts.batch_triggers", "--stage", "dev", "--chalice-config-dir",
                 str(chalice_config), *args, endpoint_url="http://127.0.0.1:9")  # fmt: skip
    assert result.returncode == 2, result.stdout + result.stderr
    assert reason in result.stderr and result.stderr.count("\n") == 1
    assert (chalice_config / "config.json").read_text() == config_before


# -- in make deploy's template ----------------------------------------------------------------


def test_the_template_has_the_functions_their_rules_and_their_own_policy(
    tmp_path: Path,
) -> None:
    from batch.stage import BatchStage, functions_policy, write_stage
    from foundation.lambda_code import batch_jobs
    from provisioning.stage_config import StageFiles

    project = project_copy(tmp_path)
    files = StageFiles.read("dev", project / ".chalice")
    source = batch_jobs.S3Location("my-data", "incoming/")
    output = batch_jobs.S3Location("my-data", "scored/")
    wanted = BatchStage("dev", source, output, True, "rate(1 day)", 1,
                        batch_jobs.JobSpec(output, 1))  # fmt: skip
    policy = functions_policy("eu-west-1", "123456789012", "iris-xgboost", wanted)
    write_stage(files, "dev", wanted, policy)
    out = api_package.package("dev", tmp_path / "package", project_dir=project)
    template = json.loads((out / "sam.json").read_text())
    expanded = expand_template(template)["Resources"]
    rules = {name: r for name, r in expanded.items() if r["Type"] == "AWS::Events::Rule"}
    patterns = [r["Properties"].get("EventPattern") for r in rules.values()]
    assert wanted_pattern(source) in patterns
    assert [r["Properties"]["ScheduleExpression"] for r in rules.values()
                               if "ScheduleExpression" in r["Properties"]] == ["rate(1 day)"]  # fmt: skip
    for function in ("ScoreOnArrival", "ScoreOnSchedule"):
        role = expanded[f"{function}Role"]["Properties"]
        assert [p["PolicyDocument"] for p in role["Policies"]] == [policy]
        assert expanded[function]["Properties"]["ReservedConcurrentExecutions"] == 1
    # The API's own function keeps its own policy, and nothing grants CreateTransformJob to it
    api_role = json.dumps(expanded["ApiHandlerRole"]["Properties"]["Policies"])
    assert "CreateTransformJob" not in api_role
    (tmp_path / "expanded.json").write_text(json.dumps({**template, "Resources": expanded}))
    lint = run_cfn_lint(tmp_path / "expanded.json")
    assert lint.returncode == 0, lint.stdout + lint.stderr


def wanted_pattern(source: Any) -> dict[str, Any]:
    return triggers.BatchTriggers(source.url, True, None).arrival_pattern()


def run_cfn_lint(path: Path) -> Any:
    import subprocess

    cfn_lint = str(Path(sys.executable).with_name("cfn-lint"))
    return subprocess.run([cfn_lint, str(path), "--regions", "eu-west-1"],
                          capture_output=True, text=True, check=False)  # fmt: skip


def test_make_deploy_refuses_batch_functions_written_for_another_endpoint(tmp_path: Path) -> None:
    from batch.stage import BatchStage, functions_policy, write_stage
    from foundation.lambda_code import batch_jobs
    from provisioning.api.preflight import PreflightFailed, StageTarget, check_batch_policy
    from provisioning.stage_config import StageFiles

    project = project_copy(tmp_path)
    config_dir = project / ".chalice"
    output = batch_jobs.S3Location("my-data", "scored/")
    wanted = BatchStage("dev", batch_jobs.S3Location("my-data", "in/"), output, True, None, 0,
                        batch_jobs.JobSpec(output, 0))  # fmt: skip
    policy = functions_policy("eu-west-1", "123456789012", "iris-xgboost", wanted)
    write_stage(StageFiles.read("dev", config_dir), "dev", wanted, policy)
    target = StageTarget.load("dev", config_dir)
    assert target.batch_functions == (triggers.ARRIVAL_FUNCTION, triggers.SCHEDULE_FUNCTION)
    check_batch_policy(target, "eu-west-1", "123456789012")
    with pytest.raises(PreflightFailed, match="batch_triggers --stage dev"):
        check_batch_policy(target, "us-east-1", "123456789012")


def test_an_endpoint_that_is_gone_starts_nothing_and_says_so(
    deployed: tuple[AwsClients, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    aws, project = deployed
    bucket = switch_on(aws, project, "--on-arrival")
    app = load_app(project, monkeypatch, "dev").app
    aws.s3.put_object(Bucket=bucket, Key="incoming/day2.csv", Body="\n".join(ROWS) + "\n")
    aws.sagemaker.delete_endpoint(EndpointName="iris-test")
    with Client(app, stage_name="dev", project_dir=str(project)) as client:
        answer = client.lambda_.invoke(
            triggers.ARRIVAL_FUNCTION, arrival_event(client, bucket, "incoming/day2.csv")
        ).payload
    assert answer["started"] is None and "iris-test" in answer["refused"]
    assert jobs(aws) == []
    # Nothing entered the ledger: once the endpoint is back, the object is still new
    manifests = aws.s3.list_objects_v2(Bucket=bucket, Prefix="scored/manifests/")
    assert manifests.get("KeyCount", 0) == 0


def test_two_runs_that_see_the_same_new_object_send_it_once(
    deployed: tuple[AwsClients, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The arrival and the schedule (or an event delivered twice) running at once: each lists
    the object as new before either has started a job. The claim, a write S3 makes only when
    the claim does not exist yet, lets one of them have it."""
    from chalicelib.batch import starts as batch_starts

    aws, project = deployed
    bucket = switch_on(aws, project, "--on-arrival", "--schedule", "rate(1 hour)")
    app = load_app(project, monkeypatch, "dev").app
    for name in ("a.csv", "b.csv"):
        aws.s3.put_object(Bucket=bucket, Key=f"incoming/{name}", Body="\n".join(ROWS) + "\n")
    # Both runs listed the ledger before either claimed anything
    monkeypatch.setattr(batch_starts, "submitted", lambda s3, output: set())
    with Client(app, stage_name="dev", project_dir=str(project)) as client:
        arrival = client.lambda_.invoke(
            triggers.ARRIVAL_FUNCTION, arrival_event(client, bucket, "incoming/a.csv")
        ).payload
        tick = client.events.generate_cw_event(
            source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
        )
        schedule = client.lambda_.invoke(triggers.SCHEDULE_FUNCTION, tick).payload
        late = client.lambda_.invoke(triggers.SCHEDULE_FUNCTION, tick).payload
    assert arrival["objects"] == ["incoming/a.csv"]
    assert schedule["objects"] == ["incoming/b.csv"]
    assert late == {"started": None, "reason": "another run took them"}
    sent = [
        key
        for job in jobs(aws)
        for key in json.loads(
            aws.s3.get_object(
                Bucket=bucket,
                Key=job["TransformInput"]["DataSource"]["S3DataSource"]["S3Uri"].split("/", 3)[3],
            )["Body"].read()
        )[1:]
    ]
    assert sorted(sent) == ["a.csv", "b.csv"]
