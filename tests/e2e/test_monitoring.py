"""The endpoint's alarms and data capture on moto, and reading the capture back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from foundation.lambda_code import signature as sig
from foundation.paths import IRIS_SIGNATURE
from provisioning import stage_config
from provisioning.aws import AwsClients
from provisioning.endpoint.alarms import endpoint_alarm_names
from provisioning.endpoint.teardown import delete
from provisioning.monitoring import EndpointThresholds
from scripts import captured
from tests.e2e.provisioning_runs import run_deploy
from tests.signatures import signature_for


def test_the_endpoints_alarms_watch_its_variant_and_go_with_it(
    aws: AwsClients, trained_model: Path, chalice_config: Path
) -> None:
    code, lines = run_deploy(
        aws, trained_model / "model.tar.gz", chalice_config, "--alarm-model-latency-ms", "250"
    )
    assert code == 0, lines
    alarms = {
        alarm["AlarmName"]: alarm
        for alarm in aws.cloudwatch.describe_alarms(AlarmNamePrefix="sagemaker-proxy-iris-test-")[
            "MetricAlarms"
        ]
    }
    assert set(alarms) == set(endpoint_alarm_names("iris-test", EndpointThresholds()))
    dimensions = [
        {"Name": "EndpointName", "Value": "iris-test"},
        {"Name": "VariantName", "Value": "AllTraffic"},
    ]
    latency = alarms["sagemaker-proxy-iris-test-model-latency-p99"]
    assert (latency["Namespace"], latency["MetricName"]) == ("AWS/SageMaker", "ModelLatency")
    assert latency["Dimensions"] == dimensions
    assert latency["ExtendedStatistic"] == "p99"
    assert latency["Threshold"] == 250_000  # ModelLatency is in microseconds
    errors = alarms["sagemaker-proxy-iris-test-5xx"]
    assert (errors["MetricName"], errors["Statistic"], errors["Threshold"]) == (
        "Invocation5XXErrors",
        "Sum",
        0,
    )
    rate = alarms["sagemaker-proxy-iris-test-4xx-rate"]
    stats = {m["Id"]: m for m in rate["Metrics"]}
    assert stats["errors"]["MetricStat"]["Metric"]["MetricName"] == "Invocation4XXErrors"
    assert stats["total"]["MetricStat"]["Metric"]["MetricName"] == "Invocations"
    assert stats["rate"]["Expression"] == "errors / total" and rate["Threshold"] == 0.05
    # delete_endpoint removes them with the endpoint
    assert delete(aws, "iris-test", keep_model=False, dry_run=False, out=lambda _: None) == 0
    assert (
        aws.cloudwatch.describe_alarms(AlarmNamePrefix="sagemaker-proxy-iris-test-")["MetricAlarms"]
        == []
    )


def test_capture_writes_into_the_endpoints_prefix_only(
    aws: AwsClients, trained_model: Path, chalice_config: Path
) -> None:
    code, lines = run_deploy(
        aws, trained_model / "model.tar.gz", chalice_config, "--capture-percent", "20"
    )
    assert code == 0, lines
    (config,) = aws.sagemaker.list_endpoint_configs()["EndpointConfigs"]
    capture = aws.sagemaker.describe_endpoint_config(
        EndpointConfigName=config["EndpointConfigName"]
    )["DataCaptureConfig"]
    bucket = f"sagemaker-proxy-123456789012-{aws.region}"
    assert capture["InitialSamplingPercentage"] == 20
    # under the artifact's sha256: a capture record names no model, its key then does
    sha = sig.read_signature(trained_model / "model.signature.json").artifact_sha256
    assert capture["DestinationS3Uri"] == f"s3://{bucket}/capture/iris-test/{sha}"
    assert {o["CaptureMode"] for o in capture["CaptureOptions"]} == {"Input", "Output"}
    policy = aws.iam.get_role_policy(
        RoleName="sagemaker-proxy-iris-test", PolicyName="sagemaker-proxy-model-access"
    )["PolicyDocument"]
    policy = json.loads(policy) if isinstance(policy, str) else policy
    writes = [s for s in policy["Statement"] if s["Action"] == "s3:PutObject"]
    assert writes == [
        {
            "Effect": "Allow",
            "Action": "s3:PutObject",
            "Resource": f"arn:aws:s3:::{bucket}/capture/iris-test/*",
        }
    ]


def capture_line(event: str, time: str, csv: str, answer: str, encoding: str = "CSV") -> str:
    """One line as SageMaker writes it ("Capture data from real-time endpoint", Amazon SageMaker
    Developer Guide: captureData.endpointInput/endpointOutput, eventMetadata, eventVersion)."""
    import base64

    def part(mode: str, content_type: str, data: str, kind: str) -> dict[str, str]:
        if encoding == "BASE64":
            data, kind = base64.b64encode(data.encode()).decode(), "BASE64"
        return {"observedContentType": content_type, "mode": mode, "data": data, "encoding": kind}

    return json.dumps(
        {
            "captureData": {
                "endpointInput": part("INPUT", "text/csv", csv, "CSV"),
                "endpointOutput": part("OUTPUT", "application/json", answer, "JSON"),
            },
            "eventMetadata": {"eventId": event, "inferenceTime": time},
            "eventVersion": "0",
        }
    )


def test_captured_prints_requests_answers_and_class_counts(
    aws: AwsClients, capsys: pytest.CaptureFixture[str]
) -> None:
    bucket = f"sagemaker-proxy-123456789012-{aws.region}"
    kwargs = {"CreateBucketConfiguration": {"LocationConstraint": aws.region}}
    aws.s3.create_bucket(Bucket=bucket, **(kwargs if aws.region != "us-east-1" else {}))
    setosa = '{"predictions": [{"score": [0.98, 0.01, 0.01]}]}'
    both = '{"predictions": [{"score": [0.9, 0.05, 0.05]}, {"score": [0.02, 0.08, 0.9]}]}'
    old = capture_line("e-0", "2026-11-26T23:59:59Z", "5.1,3.5,1.4,0.2", setosa)
    first = capture_line("e-1", "2026-11-27T10:15:00Z", "5.1,3.5,1.4,0.2", setosa)
    second = capture_line(
        "e-2", "2026-11-27T10:16:00Z", "5.1,3.5,1.4,0.2\n6.7,3.0,5.2,2.3", both, "BASE64"
    )
    prefix = "capture/iris-test/AllTraffic"
    aws.s3.put_object(Bucket=bucket, Key=f"{prefix}/2026/11/26/23/a.jsonl", Body=old + "\n")
    aws.s3.put_object(
        Bucket=bucket, Key=f"{prefix}/2026/11/27/10/b.jsonl", Body=f"{first}\n{second}\n"
    )
    code = captured.main(
        ["--endpoint-name", "iris-test", "--since", "2026-11-27T00:00", "--region", aws.region,
         "--signature", str(IRIS_SIGNATURE)]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0, out
    assert "e-0" not in out  # before --since
    assert "e-1" in out and "e-2" in out
    assert "'5.1,3.5,1.4,0.2\\n6.7,3.0,5.2,2.3'" in out  # BASE64 decoded
    assert "-> setosa, virginica" in out
    assert out.strip().endswith("3 predictions: setosa 2, versicolor 0, virginica 1")


def test_captured_reads_a_regression_by_the_stages_signature(
    aws: AwsClients,
    capsys: pytest.CaptureFixture[str],
    chalice_config: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a stage that calls a regression model's endpoint, as deploy_endpoint records it
    signature = signature_for("reg:squarederror")
    stage_config.point_stage_at_endpoint(
        "dev", "diabetes", aws.region, "123456789012", signature, chalice_config
    )
    bucket = f"sagemaker-proxy-123456789012-{aws.region}"
    kwargs = {"CreateBucketConfiguration": {"LocationConstraint": aws.region}}
    aws.s3.create_bucket(Bucket=bucket, **(kwargs if aws.region != "us-east-1" else {}))
    two = '{"predictions": [{"score": 151.5}, {"score": 75.25}]}'
    line = capture_line("e-9", "2026-11-27T10:15:00Z", "0.03,1\n-0.01,0", two)
    aws.s3.put_object(
        Bucket=bucket, Key="capture/diabetes/AllTraffic/2026/11/27/10/c.jsonl", Body=line + "\n"
    )
    # When its capture is read (the stage's signature found by the endpoint's name)
    monkeypatch.setattr(captured, "CHALICE_CONFIG_DIR", chalice_config)
    code = captured.main(["--endpoint-name", "diabetes", "--region", aws.region])
    # Then each value is printed, and their count, mean and range
    out = capsys.readouterr().out
    assert code == 0, out
    assert "-> 151.5, 75.25" in out
    assert out.strip().endswith("2 predictions: mean 113.375, from 75.25 to 151.5")
