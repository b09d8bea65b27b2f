"""The endpoint's alarms: created before an update so that its auto-rollback can name them,
tagged with the project, and deleted with the endpoint."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from provisioning.aws import AwsClients
from provisioning.monitoring import (
    EndpointThresholds,
    alarm_name,
    alarm_properties,
    endpoint_dimensions,
    endpoint_watches,
)
from provisioning.plan import Deployment


def endpoint_alarm_names(endpoint: str, thresholds: EndpointThresholds) -> list[str]:
    return [alarm_name(endpoint, watch) for watch in endpoint_watches(thresholds)]


def ensure_endpoint_alarms(
    run: Deployment, endpoint: str, thresholds: EndpointThresholds, tags: list[dict[str, str]]
) -> list[str]:
    """Create or update the endpoint's alarms; returns their names. Alarms this run creates are
    undone on failure; updated ones keep their new thresholds (they cost the same)."""
    cloudwatch = run.aws.cloudwatch
    names = endpoint_alarm_names(endpoint, thresholds)
    existing = {
        alarm["AlarmName"]
        for page in cloudwatch.get_paginator("describe_alarms").paginate(AlarmNames=names)
        for alarm in page.get("MetricAlarms", [])
    }
    for watch in endpoint_watches(thresholds):
        properties = alarm_properties(watch, endpoint, endpoint_dimensions(endpoint))
        name = properties["AlarmName"]
        what = f"alarm {name} ({watch.title} > {watch.threshold:g})"
        if run.dry_run:
            run.out(f"  {'update' if name in existing else 'create'}   {what}  (dry run)")
            continue
        if name not in existing:  # before the call: it may make the alarm and never answer
            run.undo.append((what, _deleter(cloudwatch, name)))
        cloudwatch.put_metric_alarm(**properties, Tags=tags)
        run.out(f"  {'updated' if name in existing else 'created'}  {what}")
    return names


def firing(aws: AwsClients, names: list[str]) -> list[str]:
    """Which of ``names`` are in ALARM now (to say why SageMaker rolled back)."""
    answer = aws.cloudwatch.describe_alarms(AlarmNames=names, StateValue="ALARM")
    return [
        alarm["AlarmName"]
        for alarm in answer.get("MetricAlarms", [])
        if alarm.get("StateValue") == "ALARM"
    ]


def delete_endpoint_alarms(
    aws: AwsClients, endpoint: str, dry_run: bool, out: Callable[[str], None]
) -> None:
    names = endpoint_alarm_names(endpoint, EndpointThresholds())
    found = [
        alarm["AlarmName"]
        for alarm in aws.cloudwatch.describe_alarms(AlarmNames=names).get("MetricAlarms", [])
    ]
    if not found:
        return
    if dry_run:
        out(f"  delete   alarms {', '.join(found)}  (dry run)")
        return
    aws.cloudwatch.delete_alarms(AlarmNames=found)
    out(f"  deleted  alarms {', '.join(found)}")


def _deleter(cloudwatch: Any, name: str) -> Callable[[], Any]:
    return lambda: cloudwatch.delete_alarms(AlarmNames=[name])
