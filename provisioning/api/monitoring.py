"""The alarms and the dashboard `make deploy` adds to a stage's stack: the API, the Lambda and the
proxy's own metrics alarmed, an optional SNS topic that mails them, and one dashboard with the
API, the Lambda and the endpoint side by side, all from provisioning.monitoring's lists."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from foundation.lambda_code import drift, drift_schedule
from provisioning.api.functions import function_name
from provisioning.api.functions import logical_id as function_id
from provisioning.monitoring import (
    EndpointThresholds,
    Watch,
    alarm_properties,
    api_watches,
    dashboard_body,
    drift_watches,
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
    drift_section = drift_alarms(settings)
    if drift_section is not None:
        drifting, drift_dimensions = drift_section
        for watch in drifting:
            resources[logical_id(watch.key)] = {
                "Type": "AWS::CloudWatch::Alarm",
                "DependsOn": [function_id(drift_schedule.FUNCTION)],
                "Properties": alarm_properties(watch, settings.stage, drift_dimensions, actions),
            }
        sections.append(drift_section)
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


def drift_alarms(settings: GatewaySettings) -> tuple[list[Watch], dict[str, str]] | None:
    """The drift function's watches and their dimensions, for a stage that has one
    (scripts.drift_schedule): its period is the schedule's, its thresholds the stage's."""
    environment = settings.environment
    if not drift_schedule.DriftSchedule.from_environ(environment).schedule:
        return None
    defaults = drift.Thresholds()
    watches = drift_watches(
        drift_schedule.interval_seconds(environment[drift_schedule.SCHEDULE]),
        float(environment.get(drift_schedule.PSI_ALERT) or defaults.psi_alert),
        float(environment.get(drift_schedule.MISSING_ALERT) or defaults.missing_alert),
        settings.metrics_namespace,
    )
    return watches, {"FunctionName": function_name(settings.stage, drift_schedule.FUNCTION)}
