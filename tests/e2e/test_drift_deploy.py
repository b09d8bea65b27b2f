"""A stage's drift function switched on by `scripts.drift_schedule` (a process of its own against
moto_server; bad input refused in one line before any AWS call), and `make deploy`'s template for
it, expanded by SAM's own translator: the function with its own policy and nothing more, its
alarms and its dashboard row, cfn-lint clean; and the deploy's preflight refusing a function
written for another endpoint or a stage without its model's baseline."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from parliament import analyze_policy_string

from batch.stage import BatchStage, functions_policy
from batch.stage import write_stage as write_batch_stage
from foundation.lambda_code import batch_jobs, drift, drift_schedule
from provisioning.api import package as api_package
from provisioning.drift_stage import DriftStage, drift_policy, write_stage
from provisioning.stage_config import StageFiles
from tests.e2e.command_runs import (
    REGION,
    deploy_to_moto,
    run,
    started_moto_server,
    switch_off,
)
from tests.e2e.sam_expansion import expand_template
from tests.e2e.test_batch_functions import project_copy, run_cfn_lint

ACCOUNT = "123456789012"
FUNCTION = "sagemaker-proxy-dev-watch_drift"


def with_baseline(project: Path, trained_model: Path) -> None:
    """The stage validates by the Iris model's signature, its baseline beside it (what
    deploy_endpoint writes)."""
    signatures = project / "chalicelib" / "signatures"
    shutil.copy(trained_model / "model.signature.json", signatures / "dev.json")
    shutil.copy(trained_model / "model.baseline.json", signatures / "dev.baseline.json")
    config_path = project / ".chalice" / "config.json"
    config = json.loads(config_path.read_text())
    variables = config["stages"]["dev"]["environment_variables"]
    variables.update(MODEL_SIGNATURE="dev.json", SAGEMAKER_REGION="eu-west-1")
    config_path.write_text(json.dumps(config, indent=2))


def switched_on(project: Path, schedule: str = "rate(1 hour)") -> dict[str, Any]:
    files = StageFiles.read("dev", project / ".chalice")
    wanted = DriftStage("dev", "my-capture", schedule, drift.Thresholds(psi_alert=0.3))
    policy = drift_policy("eu-west-1", ACCOUNT, "dev", "iris-xgboost", "my-capture")
    write_stage(files, "dev", wanted, policy)
    return policy


# -- in make deploy's template ----------------------------------------------------------------


def of_type(resources: dict[str, Any], kind: str) -> dict[str, Any]:
    return {name: r["Properties"] for name, r in resources.items() if r["Type"] == kind}


@pytest.fixture(scope="module")
def expanded(
    tmp_path_factory: pytest.TempPathFactory, trained_model: Path
) -> Iterator[tuple[dict[str, Any], dict[str, Any], Path]]:
    """Stage dev with its drift function (hourly, PSI alerting from 0.3) and a batch schedule,
    packaged and expanded."""
    folder = tmp_path_factory.mktemp("drift-template")
    project = project_copy(folder)
    with_baseline(project, trained_model)
    policy = switched_on(project)
    output = batch_jobs.S3Location("my-data", "scored/")
    batch = BatchStage("dev", batch_jobs.S3Location("my-data", "in/"), output, False,
                       "rate(1 day)", 0, batch_jobs.JobSpec(output, 0))  # fmt: skip
    write_batch_stage(StageFiles.read("dev", project / ".chalice"), "dev", batch,
                      functions_policy("eu-west-1", ACCOUNT, "iris-xgboost", batch))  # fmt: skip
    out = api_package.package("dev", folder / "package", project_dir=project)
    template = json.loads((out / "sam.json").read_text())
    resources = expand_template(template)["Resources"]
    (folder / "expanded.json").write_text(json.dumps({**template, "Resources": resources}))
    # What deploy_api sends CloudFormation inline: the SAM template, its code in S3
    sent = api_package.with_code_in_s3(template, "sagemaker-proxy-bucket", "lambda/k.zip")
    (folder / "sent.json").write_text(json.dumps(sent))
    yield resources, policy, folder / "expanded.json"


def test_the_function_runs_hourly_one_at_a_time_with_its_own_policy_only(
    expanded: tuple[dict[str, Any], dict[str, Any], Path],
) -> None:
    resources, policy, _ = expanded
    function = resources["WatchDrift"]["Properties"]
    # Named as its policy's log grant and its alarms name it
    assert function["FunctionName"] == FUNCTION
    assert function["ReservedConcurrentExecutions"] == 1
    assert (function["Timeout"], function["MemorySize"]) == (600, 1024)
    assert function["Handler"] == "app.watch_drift"
    role = resources["WatchDriftRole"]["Properties"]
    assert [p["PolicyDocument"] for p in role["Policies"]] == [policy]
    schedules = sorted(r["ScheduleExpression"] for r in of_type(resources, "AWS::Events::Rule")
                       .values() if "ScheduleExpression" in r)  # fmt: skip
    assert schedules == ["rate(1 day)", "rate(1 hour)"]
    # The batch function is named too, so its log grant is its log group
    assert resources["ScoreOnSchedule"]["Properties"]["FunctionName"] == (
        "sagemaker-proxy-dev-score_on_schedule"
    )
    # The API's function and the batch one grant nothing on the capture
    for other in ("ApiHandlerRole", "ScoreOnScheduleRole"):
        assert "capture/" not in json.dumps(resources[other]["Properties"]["Policies"])
    # Its policy: no finding of parliament's, no wildcard resource
    text = json.dumps(policy)
    assert [finding.issue for finding in analyze_policy_string(text).findings] == []
    assert all(statement["Resource"] != "*" for statement in policy["Statement"])
    assert policy["Statement"][1]["Resource"] == "arn:aws:s3:::my-capture/capture/iris-xgboost/*"


def test_the_alarms_read_the_functions_metrics_over_one_run_at_the_stages_thresholds(
    expanded: tuple[dict[str, Any], dict[str, Any], Path],
) -> None:
    resources, _, path = expanded
    alarms = {a["AlarmName"]: a for a in of_type(resources, "AWS::CloudWatch::Alarm").values()}
    drifting = {name: a for name, a in alarms.items() if a["Dimensions"] == [
        {"Name": "FunctionName", "Value": FUNCTION}]}  # fmt: skip
    assert sorted(drifting) == [
        "sagemaker-proxy-dev-drift-errors", "sagemaker-proxy-dev-drift-missing",
        "sagemaker-proxy-dev-drift-psi", "sagemaker-proxy-dev-prediction-shift",
    ]  # fmt: skip
    psi = drifting["sagemaker-proxy-dev-drift-psi"]
    assert (psi["Namespace"], psi["MetricName"], psi["Statistic"]) == (
        "SageMakerProxy", "PSI", "Maximum",
    )  # fmt: skip
    # One run's value decides: the period is the schedule's, the threshold the stage's alert
    assert (psi["Period"], psi["EvaluationPeriods"], psi["DatapointsToAlarm"]) == (3600, 1, 1)
    assert psi["Threshold"] == 0.3 and psi["ComparisonOperator"] == "GreaterThanThreshold"
    assert psi["TreatMissingData"] == "notBreaching"  # a quiet hour publishes nothing
    shift = drifting["sagemaker-proxy-dev-prediction-shift"]
    assert (shift["MetricName"], shift["Threshold"]) == ("PredictionPSI", 0.3)
    assert drifting["sagemaker-proxy-dev-drift-missing"]["Threshold"] == 0.2
    errors = drifting["sagemaker-proxy-dev-drift-errors"]
    assert (errors["Namespace"], errors["MetricName"]) == ("AWS/Lambda", "Errors")
    # The dashboard has the row, each feature graphed beside the worst
    (dashboard,) = of_type(resources, "AWS::CloudWatch::Dashboard").values()
    body = json.loads(dashboard["DashboardBody"]["Fn::Sub"].replace("${AWS::Region}", "eu-west-1"))
    (widget,) = [w for w in body["widgets"] if w["properties"].get("title", "").startswith("Input")]
    assert widget["properties"]["metrics"][0][0]["expression"] == (
        """SEARCH('{"SageMakerProxy","FunctionName","Feature"} MetricName="PSI" """
        f"""FunctionName="{FUNCTION}"', 'Maximum', 3600)"""
    )
    assert widget["properties"]["annotations"]["horizontal"][0]["value"] == 0.3
    lint = run_cfn_lint(path)
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_the_template_stays_within_cloudformations_inline_limit(
    expanded: tuple[dict[str, Any], dict[str, Any], Path],
) -> None:
    from scripts.deploy_api import TEMPLATE_BODY_LIMIT

    _, _, path = expanded
    sent = path.with_name("sent.json").read_text()
    assert "WatchDrift" in sent and len(sent) < TEMPLATE_BODY_LIMIT


# -- make deploy's preflight -------------------------------------------------------------------


def test_preflight_refuses_a_function_for_another_endpoint_or_without_the_baseline(
    tmp_path: Path, trained_model: Path
) -> None:
    from provisioning.api.preflight import PreflightFailed, StageTarget, check_drift

    project = project_copy(tmp_path)
    with_baseline(project, trained_model)
    switched_on(project)
    config_dir = project / ".chalice"
    target = StageTarget.load("dev", config_dir)
    # The drift function is not a batch function (their policy checks stay theirs)
    assert target.batch_functions == () and target.batch_policy is None
    check_drift(target, "eu-west-1", ACCOUNT)
    with pytest.raises(PreflightFailed, match="drift_schedule --stage dev"):
        check_drift(target, "us-east-1", ACCOUNT)
    (project / "chalicelib" / "signatures" / "dev.baseline.json").unlink()
    with pytest.raises(PreflightFailed, match=r"no baseline of its model.*scripts\.make_baseline"):
        check_drift(StageTarget.load("dev", config_dir), "eu-west-1", ACCOUNT)


# -- switched on and off by the command, against moto_server -----------------------------------


@pytest.fixture(scope="module")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from started_moto_server(tmp_path_factory)


def test_the_command_writes_the_stage_from_the_endpoints_capture_and_off_removes_it(
    moto_server: str, trained_model: Path, tmp_path: Path
) -> None:
    project = project_copy(tmp_path)
    config_dir = str(project / ".chalice")
    deploy_to_moto(moto_server, trained_model / "model.tar.gz", project / ".chalice",
                   "iris-drift", "--capture-percent", "20")  # fmt: skip
    on = run("scripts.drift_schedule", "--stage", "dev", "--schedule", "rate(6 hours)",
             "--psi-alert", "0.3", "--chalice-config-dir", config_dir, endpoint_url=moto_server)  # fmt: skip
    assert on.returncode == 0, on.stdout + on.stderr
    bucket = f"sagemaker-proxy-123456789012-{REGION}"
    assert f"reads    s3://{bucket}/capture/iris-drift/ every 6 hours" in on.stdout
    assert "cost:    11 custom metrics (USD 3.30 a month), 4 alarms" in on.stdout
    assert "make deploy STAGE=dev" in on.stdout and "note:" not in on.stdout
    stage = json.loads((project / ".chalice" / "config.json").read_text())["stages"]["dev"]
    variables = stage["environment_variables"]
    assert variables[drift_schedule.SCHEDULE] == "rate(6 hours)"
    assert variables[drift_schedule.BUCKET] == bucket
    assert variables[drift_schedule.PSI_ALERT] == "0.3"
    assert stage["lambda_functions"][drift_schedule.FUNCTION]["iam_policy_file"] == (
        "policy-dev-drift.json"
    )
    written = json.loads((project / ".chalice" / "policy-dev-drift.json").read_text())
    assert written == drift_policy(REGION, ACCOUNT, "dev", "iris-drift", bucket)
    switch_off("scripts.drift_schedule", moto_server, project, "DRIFT_", "policy-dev-drift.json")


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        ((), "say how often"),
        (("--schedule", "daily"), "is not rate(N unit)"),
        (("--schedule", "cron(0 3 * * ? *)"), "is not rate(N unit)"),
        (("--schedule", "rate(1 hours)"), "EventBridge wants rate(1 hour)"),
        (("--schedule", "rate(2 hour)"), "EventBridge wants rate(2 hours)"),
        (("--schedule", "rate(5 minutes)"), "10 minutes to 7 days"),
        (("--schedule", "rate(8 days)"), "10 minutes to 7 days"),
        (("--schedule", "rate(1 hour)", "--psi-warn", "0.3", "--psi-alert", "0.2"), "above"),
        (("--schedule", "rate(1 hour)", "--psi-alert", "nan"), "--psi-alert must be a number"),
        (("--schedule", "rate(1 hour)", "--missing-warn", "-1"), "--missing-warn must be"),
        (("--schedule", "rate(1 hour)", "--min-rows", "0"), "--min-rows must be at least 1"),
        (("--schedule", "rate(1 hour)", "--bucket", "Not_A_Bucket"), "not an S3 bucket name"),
        (("--schedule", "rate(1 hour)", "--stage", "nowhere"), "no stage 'nowhere'"),
        (("--off", "--stage", "nowhere"), "no stage 'nowhere'"),
    ],
)
def test_bad_input_is_refused_in_one_line_without_calling_aws(
    args: tuple[str, ...], reason: str, tmp_path: Path, trained_model: Path
) -> None:
    project = project_copy(tmp_path)
    with_baseline(project, trained_model)
    result = run("scripts.drift_schedule", "--stage", "dev", "--chalice-config-dir",
                 str(project / ".chalice"), *args, endpoint_url="http://127.0.0.1:9")  # fmt: skip
    assert result.returncode == 2, result.stdout + result.stderr
    assert reason in result.stderr and result.stderr.count("\n") == 1
    assert result.stdout == ""
    assert not (project / ".chalice" / "policy-dev-drift.json").exists()


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("no-baseline", "no baseline of its model"),
        ("another-baseline", "does not fit the model"),
        ("no-endpoint", "calls no endpoint yet"),
    ],
)
def test_a_stage_that_cannot_be_watched_is_refused_in_one_line(
    change: str, reason: str, tmp_path: Path, trained_model: Path
) -> None:
    project = project_copy(tmp_path)
    with_baseline(project, trained_model)
    baseline = project / "chalicelib" / "signatures" / "dev.baseline.json"
    if change == "no-baseline":
        baseline.unlink()
    elif change == "another-baseline":
        text = baseline.read_text()
        sha = json.loads(text)["artifact_sha256"]
        baseline.write_text(text.replace(sha, "0" * 64))
    else:
        config_path = project / ".chalice" / "config.json"
        config = json.loads(config_path.read_text())
        del config["stages"]["dev"]["environment_variables"]["SAGEMAKER_REGION"]
        config_path.write_text(json.dumps(config))
    result = run("scripts.drift_schedule", "--stage", "dev", "--schedule", "rate(1 hour)",
                 "--chalice-config-dir", str(project / ".chalice"),
                 endpoint_url="http://127.0.0.1:9")  # fmt: skip
    assert result.returncode == 2, result.stdout + result.stderr
    assert reason in result.stderr and result.stderr.count("\n") == 1
