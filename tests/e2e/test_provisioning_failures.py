"""Paths moto cannot show: updates, Failed endpoints, failures half way and their rollback.

moto has no UpdateEndpoint and makes every endpoint InService at once, so in these tests
the SageMaker control-plane client is a botocore Stubber with the exact calls expected,
in order; S3, IAM, STS and the runtime stay on moto.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.stub import ANY, Stubber

from foundation.images import xgboost_image_uri
from provisioning.aws import AwsClients
from provisioning.endpoint.alarms import endpoint_alarm_names
from provisioning.endpoint.traffic import TrafficPolicy, deployment_config
from provisioning.monitoring import EndpointThresholds
from provisioning.naming import Names, Variant
from tests.e2e.provisioning_runs import make_aws, run_deploy

NOW = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
ACCOUNT = "123456789012"
REGION = "us-east-1"
ENDPOINT_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/iris-test"
MISSING = "ValidationException"


@pytest.fixture
def aws(fake_credentials: None, trained_model: Path) -> Iterator[AwsClients]:
    yield from make_aws(REGION, trained_model / "model.tar.gz")


@pytest.fixture
def sagemaker(aws: AwsClients) -> Iterator[Stubber]:
    with Stubber(aws.sagemaker) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def names_for(model: Path) -> Names:
    sha = hashlib.sha256(model.read_bytes()).hexdigest()
    image = xgboost_image_uri(REGION)
    return Names.derive("iris-test", sha, ACCOUNT, REGION, None, Variant(), image)


def endpoint(status: str, config: str, failure: str | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "EndpointName": "iris-test",
        "EndpointArn": ENDPOINT_ARN,
        "EndpointConfigName": config,
        "EndpointStatus": status,
        "CreationTime": NOW,
        "LastModifiedTime": NOW,
    }
    if failure:
        answer["FailureReason"] = failure
    return answer


def expect_model_and_config(stubber: Stubber, names: Names, fail_at: str | None = None) -> None:
    stubber.add_client_error(
        "describe_model",
        MISSING,
        "Could not find model",
        400,
        expected_params={"ModelName": names.model},
    )
    if fail_at == "create_model":
        stubber.add_client_error("create_model", "ResourceLimitExceeded", "too many models", 400)
        return
    stubber.add_response(
        "create_model",
        {"ModelArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model/{names.model}"},
        {"ModelName": names.model, "PrimaryContainer": ANY, "ExecutionRoleArn": ANY, "Tags": ANY},
    )
    stubber.add_client_error(
        "describe_endpoint_config",
        MISSING,
        "Could not find endpoint configuration",
        400,
        expected_params={"EndpointConfigName": names.endpoint_config},
    )
    if fail_at == "create_endpoint_config":
        stubber.add_client_error(
            "create_endpoint_config", "ResourceLimitExceeded", "too many configs", 400
        )
        return
    stubber.add_response(
        "create_endpoint_config",
        {"EndpointConfigArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint-config/x"},
        {"EndpointConfigName": names.endpoint_config, "ProductionVariants": ANY, "Tags": ANY},
    )


def expect_rollback(
    stubber: Stubber, names: Names, endpoint_too: bool, config_too: bool = True
) -> None:
    if endpoint_too:
        stubber.add_response("delete_endpoint", {}, {"EndpointName": "iris-test"})
    if config_too:
        stubber.add_response(
            "delete_endpoint_config", {}, {"EndpointConfigName": names.endpoint_config}
        )
    stubber.add_response("delete_model", {}, {"ModelName": names.model})


ALARMS = endpoint_alarm_names("iris-test", EndpointThresholds())


def expect_update(
    stubber: Stubber,
    names: Names,
    settled: dict[str, Any],
    traffic: TrafficPolicy | None = None,
    meanwhile: list[dict[str, Any]] | None = None,
) -> None:
    """New model and config, a blue/green update of an endpoint we made with ``traffic`` (the
    default canary), the endpoint as ``meanwhile`` describes it, then ``settled``."""
    expect_model_and_config(stubber, names)
    stubber.add_response(
        "describe_endpoint", endpoint("InService", "iris-test-old"), {"EndpointName": "iris-test"}
    )
    stubber.add_response(
        "list_tags",
        {"Tags": [{"Key": "project", "Value": "sagemaker-proxy"}]},
        {"ResourceArn": ENDPOINT_ARN},
    )
    stubber.add_response(
        "update_endpoint",
        {"EndpointArn": ENDPOINT_ARN},
        {
            "EndpointName": "iris-test",
            "EndpointConfigName": names.endpoint_config,
            "DeploymentConfig": deployment_config(traffic or TrafficPolicy(), ALARMS, 30),
        },
    )
    for described in meanwhile or [endpoint("Updating", "iris-test-old")]:
        stubber.add_response("describe_endpoint", described, {"EndpointName": "iris-test"})
    stubber.add_response("describe_endpoint", settled, {"EndpointName": "iris-test"})


def expect_clean_up(stubber: Stubber) -> None:
    """After a deploy that serves, the endpoint's earlier configs are listed (to keep the last
    few): none here."""
    stubber.add_response(
        "list_endpoint_configs", {"EndpointConfigs": []}, {"NameContains": "iris-test"}
    )


def artifact_left(aws: AwsClients, names: Names) -> bool:
    return (
        bool(aws.s3.list_objects_v2(Bucket=names.bucket).get("KeyCount", 0))
        if bucket_exists(aws, names)
        else False
    )


def bucket_exists(aws: AwsClients, names: Names) -> bool:
    return any(b["Name"] == names.bucket for b in aws.s3.list_buckets()["Buckets"])


def test_existing_endpoint_is_updated_blue_green(
    aws: AwsClients, sagemaker: Stubber, trained_model: Path, chalice_config: Path
) -> None:
    names = names_for(trained_model / "model.tar.gz")
    expect_update(sagemaker, names, settled=endpoint("InService", names.endpoint_config))
    expect_clean_up(sagemaker)
    code, lines = run_deploy(aws, trained_model / "model.tar.gz", chalice_config)
    assert code == 0, lines
    assert any("iris-test-old -> " in line and "blue/green" in line for line in lines)
    assert any("Updating after" in line for line in lines)


def test_update_rolled_back_by_sagemaker_fails_and_removes_the_new_config(
    aws: AwsClients, sagemaker: Stubber, trained_model: Path, chalice_config: Path
) -> None:
    names = names_for(trained_model / "model.tar.gz")
    expect_update(
        sagemaker,
        names,
        settled=endpoint(
            "InService", "iris-test-old", "The primary container failed health checks"
        ),
    )
    # The endpoint existed before: it is left alone; the new config and model go.
    expect_rollback(sagemaker, names, endpoint_too=False)
    code, lines = run_deploy(aws, trained_model / "model.tar.gz", chalice_config)
    assert code == 1
    assert any("FAILED at wait" in line and "failed health checks" in line for line in lines)
    # The shared bucket and the content-addressed artifact are kept, and said to be
    assert artifact_left(aws, names) and bucket_exists(aws, names)
    assert any(line.startswith("  kept     s3://") for line in lines)


def test_update_in_service_with_a_failure_reason_is_a_failure(
    aws: AwsClients, sagemaker: Stubber, trained_model: Path, chalice_config: Path
) -> None:
    names = names_for(trained_model / "model.tar.gz")
    expect_update(
        sagemaker,
        names,
        settled=endpoint("InService", names.endpoint_config, "Instance capacity reduced"),
    )
    expect_rollback(sagemaker, names, endpoint_too=False)
    code, lines = run_deploy(aws, trained_model / "model.tar.gz", chalice_config)
    assert code == 1
    assert any("InService but reports: Instance capacity reduced" in line for line in lines)


def test_new_endpoint_that_fails_is_removed_with_everything_this_run_made(
    aws: AwsClients, sagemaker: Stubber, trained_model: Path, chalice_config: Path
) -> None:
    names = names_for(trained_model / "model.tar.gz")
    expect_model_and_config(sagemaker, names)
    sagemaker.add_client_error("describe_endpoint", MISSING, "Could not find endpoint", 400)
    sagemaker.add_response(
        "create_endpoint",
        {"EndpointArn": ENDPOINT_ARN},
        {"EndpointName": "iris-test", "EndpointConfigName": names.endpoint_config, "Tags": ANY},
    )
    sagemaker.add_response(
        "describe_endpoint",
        endpoint("Creating", names.endpoint_config),
        {"EndpointName": "iris-test"},
    )
    sagemaker.add_response(
        "describe_endpoint",
        endpoint("Failed", names.endpoint_config, "Image not found"),
        {"EndpointName": "iris-test"},
    )
    expect_rollback(sagemaker, names, endpoint_too=True)
    before = (chalice_config / "config.json").read_text()
    code, lines = run_deploy(aws, trained_model / "model.tar.gz", chalice_config)
    assert code == 1
    assert any(line == "FAILED at wait: endpoint is Failed: Image not found" for line in lines)
    assert bucket_exists(aws, names)  # shared by every deploy of the account: kept
    assert aws.iam.list_roles()["Roles"] == []
    assert (chalice_config / "config.json").read_text() == before


@pytest.mark.parametrize("fail_at", ["create_model", "create_endpoint_config"])
def test_failure_half_way_removes_only_what_this_run_created(
    aws: AwsClients, sagemaker: Stubber, trained_model: Path, chalice_config: Path, fail_at: str
) -> None:
    names = names_for(trained_model / "model.tar.gz")
    # Given the bucket existed before this run
    aws.s3.create_bucket(Bucket=names.bucket)
    expect_model_and_config(sagemaker, names, fail_at=fail_at)
    if fail_at == "create_endpoint_config":
        expect_rollback(sagemaker, names, endpoint_too=False, config_too=False)
    code, lines = run_deploy(aws, trained_model / "model.tar.gz", chalice_config)
    assert code == 1
    assert any(line.startswith("FAILED at model") for line in lines)
    # The bucket that existed stays, the artifact too (another endpoint's model may read it, and
    # the rollback says it kept it); the role this run made is gone, and so is its lock.
    assert bucket_exists(aws, names)
    assert [o["Key"] for o in aws.s3.list_objects_v2(Bucket=names.bucket)["Contents"]] == [
        names.key
    ]
    assert any(line.startswith("  kept     s3://") and names.key in line for line in lines)
    assert aws.iam.list_roles()["Roles"] == []
