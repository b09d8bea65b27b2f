"""What is watched, in one list: each metric's alarm and its dashboard graph come from the same
``Watch``, so the two never disagree.

- The endpoint's (``endpoint_watches``): alarms deploy_endpoint creates and UpdateEndpoint's
  auto-rollback names, so a canary or linear shift that breaks them is rolled back.
- The API's (``api_watches``): alarms in `make deploy`'s template, on API Gateway, the Lambda
  and the proxy's own metrics (its EMF log line, chalicelib/metrics.py).
- The model's drift (``drift_watches``), for a stage that watches it: the scheduled drift
  function's metrics (chalicelib/drift_watch/metrics.py) and its errors.

Metric names, units and dimensions: "Monitor Amazon SageMaker AI with Amazon CloudWatch"
(AWS/SageMaker: Invocation5XXErrors, Invocation4XXErrors and Invocations are counts;
ModelLatency and OverheadLatency are microseconds), "Amazon API Gateway dimensions and metrics"
(AWS/ApiGateway by ApiName and Stage: the Average of 4XXError and 5XXError is the error rate;
Latency is milliseconds), and "Using CloudWatch metrics with Lambda" (AWS/Lambda by
FunctionName: Errors, Throttles; Duration in milliseconds).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from provisioning.naming import PROJECT, VARIANT_NAME


@dataclass(frozen=True)
class Watch:
    key: str
    title: str
    namespace: str
    metric: str
    # Dimension names, in order; their values come with the resource watched.
    dimensions: tuple[str, ...]
    statistic: str
    threshold: float
    # A rate: ``metric`` over this metric (same namespace and dimensions), alarmed as a ratio.
    per: str | None = None
    period_seconds: int = 60
    # Alarm when this many of the last ``evaluation_periods`` periods breach.
    datapoints: int = 2
    evaluation_periods: int = 3
    section: str = ""
    # A dimension the metric is also written by (chalicelib/metrics.py): the dashboard graphs
    # each of its values beside the total, found by SEARCH, so no list of values is kept here.
    split_by: str | None = None


@dataclass(frozen=True)
class EndpointThresholds:
    """Defaults defended in the README ("Alarms and dashboard")."""

    errors_5xx: float = 0  # more than this many 5XX a minute, in two of three minutes
    rate_4xx: float = 0.05  # 5 % of invocations refused by the model
    model_latency_ms: float = 500
    overhead_latency_ms: float = 100


def endpoint_watches(thresholds: EndpointThresholds) -> list[Watch]:
    dims = ("EndpointName", "VariantName")
    section = "SageMaker endpoint"
    return [
        Watch("5xx", "Invocation 5XX errors", "AWS/SageMaker", "Invocation5XXErrors", dims,
              "Sum", thresholds.errors_5xx, section=section),
        Watch("4xx-rate", "Invocation 4XX rate", "AWS/SageMaker", "Invocation4XXErrors", dims,
              "Sum", thresholds.rate_4xx, per="Invocations", section=section),
        Watch("model-latency-p99", "Model latency p99 (µs)", "AWS/SageMaker", "ModelLatency",
              dims, "p99", thresholds.model_latency_ms * 1000, section=section),
        Watch("overhead-latency-p99", "Overhead latency p99 (µs)", "AWS/SageMaker",
              "OverheadLatency", dims, "p99", thresholds.overhead_latency_ms * 1000,
              section=section),
    ]  # fmt: skip


def api_watches(lambda_timeout_seconds: int, namespace: str = "SageMakerProxy") -> list[Watch]:
    api, function = ("ApiName", "Stage"), ("FunctionName",)
    return [
        Watch("api-5xx-rate", "API 5XX rate", "AWS/ApiGateway", "5XXError", api, "Average",
              0.01, section="API Gateway"),
        Watch("api-4xx-rate", "API 4XX rate", "AWS/ApiGateway", "4XXError", api, "Average",
              0.10, datapoints=3, evaluation_periods=5, section="API Gateway"),
        Watch("api-latency-p99", "API latency p99 (ms)", "AWS/ApiGateway", "Latency", api,
              "p99", 5000, section="API Gateway"),
        Watch("lambda-errors", "Lambda errors", "AWS/Lambda", "Errors", function, "Sum", 0,
              section="Lambda"),
        Watch("lambda-throttles", "Lambda throttles", "AWS/Lambda", "Throttles", function,
              "Sum", 0, section="Lambda"),
        # 80 % of the timeout: the proxy's deadline keeps it under, so this means trouble
        Watch("lambda-duration-p99", "Lambda duration p99 (ms)", "AWS/Lambda", "Duration",
              function, "p99", lambda_timeout_seconds * 1000 * 0.8, section="Lambda"),
        Watch("upstream-errors", "Upstream errors (proxy)", namespace, "UpstreamErrors",
              function, "Sum", 5, period_seconds=300, datapoints=1, evaluation_periods=1,
              section="Proxy"),
        Watch("validation-rejections", "Validation rejections (proxy)", namespace,
              "ValidationRejections", function, "Sum", 500, period_seconds=300, datapoints=1,
              evaluation_periods=1, section="Proxy"),
        # 401 and 403 of the proxy's own sign-in check, graphed by class. A client whose token
        # expired is refused once and signs in again; 100 in 5 minutes is a scan, a leaked-key
        # rotation or a client release that sends bad tokens (README, "Who may call").
        Watch("auth-refusals", "Sign-in refusals (proxy)", namespace, "AuthRefusals",
              function, "Sum", 100, period_seconds=300, datapoints=1, evaluation_periods=1,
              section="Proxy", split_by="RefusalReason"),
    ]  # fmt: skip


def drift_watches(
    period_seconds: int, psi_alert: float, missing_alert: float, namespace: str = "SageMakerProxy"
) -> list[Watch]:
    """The drift function's (chalicelib/drift_watch/metrics.py), for a stage that watches drift: one
    value a run, so each alarm reads one period, the schedule's interval, and fires on a run
    whose worst figure is over the stage's alert threshold (the report's own). A run that judged
    nothing sends nothing, which is no breach. Graphed by feature (or output) beside the worst."""

    def once(
        key: str,
        title: str,
        space: str,
        metric: str,
        statistic: str,
        threshold: float,
        split_by: str | None = None,
    ) -> Watch:
        return Watch(
            key,
            title,
            space,
            metric,
            ("FunctionName",),
            statistic,
            threshold,
            period_seconds=period_seconds,
            datapoints=1,
            evaluation_periods=1,
            section="Model drift",
            split_by=split_by,
        )

    return [
        once("drift-psi", "Input drift: PSI, worst feature", namespace, "PSI", "Maximum",
             psi_alert, "Feature"),
        once("drift-missing", "Missing-rate rise, worst feature", namespace, "MissingRateRise",
             "Maximum", missing_alert, "Feature"),
        once("prediction-shift", "Prediction shift: PSI", namespace, "PredictionPSI", "Maximum",
             psi_alert, "Output"),
        # A run that failed (denied, throttled): the watch is not watching.
        once("drift-errors", "Drift function errors", "AWS/Lambda", "Errors", "Sum", 0),
    ]  # fmt: skip


def endpoint_dimensions(endpoint_name: str) -> dict[str, str]:
    return {"EndpointName": endpoint_name, "VariantName": VARIANT_NAME}


def alarm_name(scope: str, watch: Watch) -> str:
    return f"{PROJECT}-{scope}-{watch.key}"


def alarm_properties(
    watch: Watch, scope: str, dimensions: dict[str, Any], actions: list[Any] | None = None
) -> dict[str, Any]:
    """PutMetricAlarm's parameters, which are also AWS::CloudWatch::Alarm's properties."""
    listed = [{"Name": name, "Value": dimensions[name]} for name in watch.dimensions]
    properties: dict[str, Any] = {
        "AlarmName": alarm_name(scope, watch),
        "AlarmDescription": f"{watch.title} over {watch.threshold:g}",
        "ComparisonOperator": "GreaterThanThreshold",
        "Threshold": watch.threshold,
        "EvaluationPeriods": watch.evaluation_periods,
        "DatapointsToAlarm": watch.datapoints,
        # No traffic is no evidence of a fault.
        "TreatMissingData": "notBreaching",
    }
    if actions:
        properties["AlarmActions"] = actions
    if watch.per is None:
        properties.update(
            Namespace=watch.namespace,
            MetricName=watch.metric,
            Dimensions=listed,
            Period=watch.period_seconds,
        )
        statistic = "ExtendedStatistic" if watch.statistic.startswith("p") else "Statistic"
        properties[statistic] = watch.statistic
        return properties

    def stat(identifier: str, metric: str) -> dict[str, Any]:
        return {
            "Id": identifier,
            "ReturnData": False,
            "MetricStat": {
                "Metric": {
                    "Namespace": watch.namespace,
                    "MetricName": metric,
                    "Dimensions": listed,
                },
                "Period": watch.period_seconds,
                "Stat": watch.statistic,
            },
        }

    properties["Metrics"] = [
        stat("errors", watch.metric),
        stat("total", watch.per),
        {"Id": "rate", "Expression": "errors / total", "Label": watch.title, "ReturnData": True},
    ]
    return properties


def _search_by(watch: Watch, dimensions: dict[str, str]) -> dict[str, Any]:
    """A line per value of ``watch.split_by``, by CloudWatch's SEARCH: the schema in braces
    (names quoted, as a namespace of other characters needs), the exact values quoted
    ("CloudWatch search expression syntax"). The label is left to each line's value."""
    schema = ",".join(f'"{name}"' for name in (watch.namespace, *watch.dimensions, watch.split_by))
    filters = " ".join(f'{name}="{dimensions[name]}"' for name in watch.dimensions)
    query = f'{{{schema}}} MetricName="{watch.metric}" {filters}'
    return {
        "expression": f"SEARCH('{query}', '{watch.statistic}', {watch.period_seconds})",
        "id": "by",
        "label": "",
    }


def dashboard_body(
    sections: list[tuple[list[Watch], dict[str, str]]], region: str, title: str
) -> str:
    """A CloudWatch dashboard: one row per section (API, Lambda, proxy, endpoint), a graph per
    watch with its alarm threshold drawn on it."""
    widgets: list[dict[str, Any]] = [
        {"type": "text", "x": 0, "y": 0, "width": 24, "height": 1,
         "properties": {"markdown": f"# {title}"}},
    ]  # fmt: skip
    y = 1
    rows: dict[str, list[tuple[Watch, dict[str, str]]]] = {}
    for watches, dimensions in sections:
        for watch in watches:
            rows.setdefault(watch.section, []).append((watch, dimensions))
    for row in rows.values():
        width = max(4, 24 // len(row))
        for x, (watch, dimensions) in enumerate(row):
            values = [item for name in watch.dimensions for item in (name, dimensions[name])]
            options = {"stat": watch.statistic, "period": watch.period_seconds}
            if watch.per is None:
                metrics: list[Any] = [[watch.namespace, watch.metric, *values, options]]
                if watch.split_by:
                    metrics.insert(0, [_search_by(watch, dimensions)])
            else:
                metrics = [
                    [{"expression": "m1 / m2", "label": watch.title, "id": "e1"}],
                    [watch.namespace, watch.metric, *values, {**options, "id": "m1", "visible": False}],
                    [watch.namespace, watch.per, *values, {**options, "id": "m2", "visible": False}],
                ]  # fmt: skip
            widgets.append(
                {
                    "type": "metric", "x": x * width, "y": y, "width": width, "height": 6,
                    "properties": {
                        "title": watch.title, "region": region, "metrics": metrics,
                        "annotations": {"horizontal": [
                            {"label": "alarm", "value": watch.threshold}
                        ]},
                    },
                }
            )  # fmt: skip
        y += 6
    return json.dumps({"widgets": widgets}, separators=(",", ":"))
