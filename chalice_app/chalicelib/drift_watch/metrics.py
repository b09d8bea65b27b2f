"""A drift report as CloudWatch metrics: log lines in the embedded metric format (EMF), as the
proxy's own metrics are (chalicelib/metrics.py).

EMF rather than PutMetricData: CloudWatch Logs extracts the metrics from the function's log, so
the run makes no CloudWatch call and its policy needs no ``cloudwatch:PutMetricData`` (which
takes no resource, only a namespace condition); a throttled API call cannot fail a run; and every
figure is in the log beside the run's summary. The metrics cost what PutMetricData's would
(custom metrics, by the month); the log lines cost log ingestion, a few hundred bytes each.
EMF delivers at least once, so a value may come twice ("Specification: Embedded metric format",
CloudWatch User Guide): the alarms read the Maximum, which a duplicate leaves alone.

Namespace ``METRICS_NAMESPACE`` (default ``SageMakerProxy``); dimension ``FunctionName`` (the
drift function's own name), and:

- ``PSI`` (None): by ``Feature``, each feature's population stability index; without it, the
  largest of them (what the alarm reads).
- ``MissingRateRise`` (None): by ``Feature``, the window's missing rate minus the baseline's;
  without it, the largest rise.
- ``PredictionPSI`` (None): the largest PSI of the model's predictions; by ``Output`` each
  output's, for a model of several.

Only figures the report judges are published: a feature with fewer rows in the window than the
thresholds' ``min_rows`` is shown in the log, not measured (two small samples of one distribution
differ by a large PSI), so a quiet window sends no value and the alarm treats it as no breach.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from chalicelib.drift import FEW, Drift, DriftReport

UNIT = "None"  # PSI and rates have no unit CloudWatch knows


def _document(
    values: dict[str, float],
    dimensions: dict[str, str],
    namespace: str,
    timestamp_ms: int,
) -> dict[str, Any]:
    """One EMF document: the dimensions and values at the top level, the directive naming them."""
    return {
        **dimensions,
        **values,
        "_aws": {
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [
                {
                    "Namespace": namespace,
                    "Dimensions": [list(dimensions)],
                    "Metrics": [{"Name": name, "Unit": UNIT} for name in values],
                }
            ],
        },
    }


def _judged(drifts: tuple[Drift, ...]) -> list[Drift]:
    return [drift for drift in drifts if drift.level != FEW]


def missing_rise(drift: Drift) -> float:
    return drift.missing_rate - drift.baseline_missing_rate


def summary_values(report: DriftReport) -> dict[str, float]:
    """The largest figures over the judged features and predictions: what the alarms read."""
    features = _judged(report.features)
    predictions = _judged(report.predictions)
    values: dict[str, float] = {}
    if features:
        values["PSI"] = max(drift.psi for drift in features)
        values["MissingRateRise"] = max(missing_rise(drift) for drift in features)
    if predictions:
        values["PredictionPSI"] = max(drift.psi for drift in predictions)
    return values


def feature_documents(
    report: DriftReport, function_name: str, namespace: str, timestamp_ms: int
) -> Iterator[dict[str, Any]]:
    """A document per judged feature, and per output of a model of several."""
    for drift in _judged(report.features):
        yield _document(
            {"PSI": drift.psi, "MissingRateRise": missing_rise(drift)},
            {"FunctionName": function_name, "Feature": drift.name},
            namespace,
            timestamp_ms,
        )
    if len(report.predictions) > 1:
        for drift in _judged(report.predictions):
            yield _document(
                {"PredictionPSI": drift.psi},
                {"FunctionName": function_name, "Output": drift.name},
                namespace,
                timestamp_ms,
            )


def summary_document(
    report: DriftReport, function_name: str, namespace: str, timestamp_ms: int
) -> dict[str, Any]:
    """The largest figures by ``FunctionName`` alone (what the alarms read); an empty document
    when nothing was judged, so the run's summary line then carries no metric."""
    values = summary_values(report)
    if not values:
        return {}
    return _document(values, {"FunctionName": function_name}, namespace, timestamp_ms)


def metric_count(features: int, outputs: int) -> int:
    """How many metrics a model of ``features`` features and ``outputs`` outputs has published
    once every figure was judged (each is a custom metric, billed by the month)."""
    return 2 * features + (outputs if outputs > 1 else 0) + 3
