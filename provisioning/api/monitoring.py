"""The alarms and the dashboard `make deploy` adds to a stage's stack: the API, the Lambda and the
proxy's own metrics alarmed, an optional SNS topic that mails them, and one dashboard with the
API, the Lambda and the endpoint side by side, all from provisioning.monitoring's lists."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from provisioning.monitoring import (
    EndpointThresholds,
    alarm_properties,
    api_watches,
    dashboard_body,
    endpoint_dimensions,
    endpoint_watches,
)
from provisioning.naming import stack_name

if TYPE_CHECKING:
    from provisioning.api.gateway import GatewaySettings


def logical_id(key: str) -> str:
    return "Alarm" + "".join(part.capitalize() for part in key.replace("_", "-").split("-"))


def monitoring_resources(settings: GatewaySettings) -> tuple[dict[str, Any], dict[str, Any]]:
    """Resources and outputs to merge into the stage's template."""
    name = stack_name(settings.stage)
    dimensions = {"ApiName": name, "Stage": settings.api_stage, "FunctionName": name}
    resources: dict[str, Any] = {}
    outputs: dict[str, Any] = {}
    actions: list[Any] | None = None
    if settings.alarm_email:
        resources["AlarmTopic"] = {
            "Type": "AWS::SNS::Topic",
            "Properties": {
                "TopicName": f"{name}-alarms",
                # Encrypted with AWS's own key for SNS; CloudWatch may publish to it.
                "KmsMasterKeyId": "alias/aws/sns",
                "Subscription": [{"Protocol": "email", "Endpoint": settings.alarm_email}],
            },
        }
        actions = [{"Ref": "AlarmTopic"}]
        outputs["AlarmTopicArn"] = {"Value": {"Ref": "AlarmTopic"}}
    watches = api_watches(settings.lambda_timeout, settings.metrics_namespace)
    for watch in watches:
        resources[logical_id(watch.key)] = {
            "Type": "AWS::CloudWatch::Alarm",
            # The dimensions name the function and API this stack creates.
            "DependsOn": ["APIHandler", "RestAPI"],
            "Properties": alarm_properties(watch, settings.stage, dimensions, actions),
        }
    sections = [(watches, dimensions)]
    if settings.endpoint_name:
        sections.append(
            (endpoint_watches(EndpointThresholds()), endpoint_dimensions(settings.endpoint_name))
        )
    body = dashboard_body(sections, "${AWS::Region}", f"sagemaker-proxy {settings.stage}")
    resources["Dashboard"] = {
        "Type": "AWS::CloudWatch::Dashboard",
        "Properties": {"DashboardName": name, "DashboardBody": {"Fn::Sub": body}},
    }
    outputs["DashboardName"] = {"Value": {"Ref": "Dashboard"}}
    return resources, outputs
