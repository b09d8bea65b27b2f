"""The alarms, the optional mail topic and the dashboard in `make deploy`'s template, read after
SAM's own expansion, as CloudWatch would get them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from provisioning.monitoring import EndpointThresholds, api_watches, endpoint_watches
from tests.e2e.sam_expansion import expand


def of_type(resources: dict[str, Any], kind: str) -> dict[str, Any]:
    return {name: r["Properties"] for name, r in resources.items() if r["Type"] == kind}


@pytest.fixture(scope="module")
def dev(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return expand("dev", tmp_path_factory.mktemp("dev"))["Resources"]


def test_each_api_alarm_watches_this_stacks_api_function_and_metrics(dev: dict[str, Any]) -> None:
    alarms = of_type(dev, "AWS::CloudWatch::Alarm")
    function = dev["APIHandler"]["Properties"]["FunctionName"]
    api_name = dev["RestAPI"]["Properties"]["Name"]
    (stage,) = of_type(dev, "AWS::ApiGateway::Stage").values()
    expected = {watch.key: watch for watch in api_watches(lambda_timeout_seconds=25)}
    assert len(alarms) == len(expected)
    by_name = {alarm["AlarmName"]: alarm for alarm in alarms.values()}
    for key, watch in expected.items():
        alarm = by_name[f"sagemaker-proxy-dev-{key}"]
        assert (alarm["Namespace"], alarm["MetricName"]) == (watch.namespace, watch.metric)
        assert alarm["Threshold"] == watch.threshold
        values = {d["Name"]: d["Value"] for d in alarm["Dimensions"]}
        assert set(values) == set(watch.dimensions)
        if "FunctionName" in values:
            assert values["FunctionName"] == function
        if "ApiName" in values:
            assert (values["ApiName"], values["Stage"]) == (api_name, stage["StageName"])
        assert "AlarmActions" not in alarm  # no ALARM_EMAIL: no topic
    # Duration is alarmed against the stage's own timeout (25 s), at 80 %
    assert by_name["sagemaker-proxy-dev-lambda-duration-p99"]["Threshold"] == 20_000
    assert by_name["sagemaker-proxy-dev-upstream-errors"]["Namespace"] == "SageMakerProxy"
    # A burst of sign-in refusals (chalicelib/metrics.py's AuthRefusals): over 100 in 5 minutes
    refusals = by_name["sagemaker-proxy-dev-auth-refusals"]
    assert (refusals["Namespace"], refusals["MetricName"]) == ("SageMakerProxy", "AuthRefusals")
    assert (refusals["Statistic"], refusals["Period"], refusals["Threshold"]) == ("Sum", 300, 100)
    assert refusals["Dimensions"] == [{"Name": "FunctionName", "Value": function}]


def test_the_dashboard_graphs_what_the_alarms_watch_and_the_endpoint(dev: dict[str, Any]) -> None:
    (dashboard,) = of_type(dev, "AWS::CloudWatch::Dashboard").values()
    body = json.loads(dashboard["DashboardBody"]["Fn::Sub"].replace("${AWS::Region}", "eu-west-1"))
    graphed = set()
    for widget in body["widgets"]:
        for metric in widget.get("properties", {}).get("metrics", []):
            if isinstance(metric[0], str):
                graphed.add((metric[0], metric[1]))
    alarmed = {
        (a["Namespace"], a["MetricName"]) for a in of_type(dev, "AWS::CloudWatch::Alarm").values()
    }
    endpoint = {(w.namespace, w.metric) for w in endpoint_watches(EndpointThresholds())}
    endpoint |= {("AWS/SageMaker", "Invocations")}  # the 4XX rate's denominator
    assert graphed == alarmed | endpoint
    # Sign-in refusals are also graphed by class, whichever classes the function has written
    function = dev["APIHandler"]["Properties"]["FunctionName"]
    (refusals,) = [
        w for w in body["widgets"] if "refusals" in w.get("properties", {}).get("title", "").lower()
    ]
    (search,) = [
        m[0]["expression"] for m in refusals["properties"]["metrics"] if isinstance(m[0], dict)
    ]
    assert search == (
        """SEARCH('{"SageMakerProxy","FunctionName","RefusalReason"} MetricName="AuthRefusals" """
        f"""FunctionName="{function}"', 'Sum', 300)"""
    )


def test_alarm_email_adds_an_encrypted_topic_every_alarm_notifies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALARM_EMAIL", "oncall@example.com")
    expansion = expand("prod", tmp_path)
    resources = expansion["Resources"]
    (topic,) = of_type(resources, "AWS::SNS::Topic").values()
    assert topic["Subscription"] == [{"Protocol": "email", "Endpoint": "oncall@example.com"}]
    assert topic["KmsMasterKeyId"] == "alias/aws/sns"
    for alarm in of_type(resources, "AWS::CloudWatch::Alarm").values():
        assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]
    template = tmp_path / "expanded.json"
    template.write_text(json.dumps(expansion))
    cfn_lint = str(Path(sys.executable).with_name("cfn-lint"))
    linted = subprocess.run(
        [cfn_lint, str(template), "--regions", "eu-west-1"], capture_output=True, text=True
    )
    assert linted.returncode == 0, linted.stdout + linted.stderr


def test_an_alarm_email_that_is_no_address_is_refused() -> None:
    from provisioning.api.gateway import GatewayConfigError, GatewaySettings

    with pytest.raises(
        GatewayConfigError, match="stage dev: ALARM_EMAIL 'oncall' is not an address"
    ):
        GatewaySettings.load("dev", alarm_email="oncall")
