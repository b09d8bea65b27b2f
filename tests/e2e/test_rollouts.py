"""Updates of a live endpoint that shift traffic and roll themselves back: a canary, linear
steps, a rollback an alarm causes. SageMaker on botocore's Stubber (moto has no UpdateEndpoint),
which checks every request against botocore's model; S3, IAM and CloudWatch on moto."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from botocore.stub import Stubber

from provisioning.aws import AwsClients
from provisioning.endpoint.traffic import TrafficPolicy
from tests.e2e.provisioning_runs import run_deploy
from tests.e2e.test_provisioning_failures import (  # the fixtures too: one account, stubbed
    ALARMS,
    aws,
    endpoint,
    expect_clean_up,
    expect_rollback,
    expect_update,
    names_for,
    sagemaker,
)

__all__ = ["aws", "sagemaker"]


def shifting(status: str, weight: float) -> dict[str, Any]:
    """The endpoint mid-update: the new fleet's phase in PendingDeploymentSummary."""
    described = endpoint("Updating", "iris-test-old")
    described["PendingDeploymentSummary"] = {
        "EndpointConfigName": "new",
        "ProductionVariants": [
            {
                "VariantName": "AllTraffic",
                "CurrentWeight": weight,
                "VariantStatus": [{"Status": status, "StartTime": "2026-01-01T00:00:00Z"}],
            }
        ],
    }
    return described


def test_a_canary_bakes_then_completes(
    aws: AwsClients, sagemaker: Stubber, trained_model: Path, chalice_config: Path
) -> None:
    names = names_for(trained_model / "model.tar.gz")
    expect_update(
        sagemaker,
        names,
        settled=endpoint("InService", names.endpoint_config),
        meanwhile=[shifting("ActivatingTraffic", 0.1), shifting("Baking", 0.1)],
    )
    expect_clean_up(sagemaker)
    code, lines = run_deploy(aws, trained_model / "model.tar.gz", chalice_config)
    assert code == 0, lines
    assert any("shifting traffic (0.1 of the weight)" in line for line in lines)
    assert any("Updating: baking" in line for line in lines)
    # Its rollback alarms exist, on the endpoint's variant
    alarms = aws.cloudwatch.describe_alarms(AlarmNames=ALARMS)["MetricAlarms"]
    assert sorted(a["AlarmName"] for a in alarms) == sorted(ALARMS)


def test_linear_steps_are_sent_as_such(
    aws: AwsClients, sagemaker: Stubber, trained_model: Path, chalice_config: Path
) -> None:
    names = names_for(trained_model / "model.tar.gz")
    linear = TrafficPolicy.parse("linear:20:60")
    expect_update(
        sagemaker,
        names,
        settled=endpoint("InService", names.endpoint_config),
        traffic=linear,
        meanwhile=[shifting("ActivatingTraffic", 0.2), shifting("ActivatingTraffic", 0.4)],
    )
    expect_clean_up(sagemaker)
    code, lines = run_deploy(
        aws, trained_model / "model.tar.gz", chalice_config, "--traffic", "linear:20:60"
    )
    assert code == 0, lines
    assert any("(0.4 of the weight)" in line for line in lines)


def test_a_rollback_an_alarm_causes_fails_and_names_the_alarm(
    aws: AwsClients, sagemaker: Stubber, trained_model: Path, chalice_config: Path
) -> None:
    names = names_for(trained_model / "model.tar.gz")
    rolling_back = endpoint("RollingBack", "iris-test-old")
    expect_update(
        sagemaker,
        names,
        settled=endpoint("InService", "iris-test-old", "Alarm triggered a rollback"),
        meanwhile=[shifting("Baking", 0.1), rolling_back],
    )
    expect_rollback(sagemaker, names, endpoint_too=False)

    # The 5XX alarm fires while the canary bakes (as CloudWatch would set it)
    def fire(parsed: dict[str, Any], **_: Any) -> None:
        if parsed.get("EndpointStatus") == "RollingBack":
            aws.cloudwatch.set_alarm_state(
                AlarmName=ALARMS[0], StateValue="ALARM", StateReason="5XX errors"
            )

    aws.sagemaker.meta.events.register("after-call.sagemaker.DescribeEndpoint", fire)
    code, lines = run_deploy(aws, trained_model / "model.tar.gz", chalice_config)
    assert code == 1
    assert any("rolling back" in line for line in lines)
    failure = next(line for line in lines if line.startswith("FAILED"))
    assert "SageMaker rolled back to iris-test-old" in failure
    assert f"(alarm {ALARMS[0]})" in failure
