"""Calls InvokeEndpoint with CSV rows and turns the model's answer into labelled predictions."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import ValidationError

from chalicelib import errors
from chalicelib.schemas import ModelAnswer

# SageMaker's InvokeEndpoint payload limit; botocore does not check it.
MAX_INVOKE_PAYLOAD_BYTES = 6_291_456


@dataclass(frozen=True)
class PredictionResult:
    # Plain dicts shaped like ``responses.Prediction``: ready for JSON, no second validation.
    predictions: list[dict[str, Any]]
    variant: str | None
    upstream_request_id: str | None
    upstream_ms: float


def to_csv(rows: list[list[float]]) -> bytes:
    """Header-less CSV in training feature order, as the built-in XGBoost container reads it."""
    # json.dumps writes each float as repr() does, in C: "[[5.1,3.5],[6.7,3.0]]" -> rows of CSV.
    return json.dumps(rows, separators=(",", ":"))[2:-2].replace("],[", "\n").encode()


class SageMakerPredictor:
    """Wraps one endpoint. Takes its boto3 ``sagemaker-runtime`` client, so tests can stub it."""

    def __init__(
        self,
        client: Any,
        endpoint_name: str,
        class_labels: tuple[str, ...],
        target_variant: str | None = None,
    ) -> None:
        self._client = client
        self._endpoint_name = endpoint_name
        self._class_labels = class_labels
        self._target_variant = target_variant

    def predict(self, rows: list[list[float]]) -> PredictionResult:
        body = to_csv(rows)
        if len(body) > MAX_INVOKE_PAYLOAD_BYTES:
            raise errors.PayloadTooLarge(
                "The batch is larger than the model accepts; send fewer records."
            )
        request: dict[str, Any] = {
            "EndpointName": self._endpoint_name,
            "Body": body,
            "ContentType": "text/csv",
            "Accept": "application/json",
        }
        if self._target_variant:
            request["TargetVariant"] = self._target_variant
        started = time.perf_counter()
        try:
            response = self._client.invoke_endpoint(**request)
            payload = response["Body"].read()
        except (ClientError, BotoCoreError) as error:
            mapped = errors.from_botocore(error)
            mapped.upstream_ms = (time.perf_counter() - started) * 1000
            raise mapped from error
        upstream_ms = (time.perf_counter() - started) * 1000
        return PredictionResult(
            predictions=self._label(payload, expected_rows=len(rows)),
            variant=response.get("InvokedProductionVariant"),
            upstream_request_id=response.get("ResponseMetadata", {}).get("RequestId"),
            upstream_ms=upstream_ms,
        )

    def _label(self, payload: bytes, expected_rows: int) -> list[dict[str, Any]]:
        """Validate the model's answer before trusting it: shape, count, finite probabilities."""
        try:
            answer = ModelAnswer.model_validate_json(payload)
        except ValidationError as error:
            raise errors.UpstreamFailure(
                log_detail=f"model answer is not the expected JSON: {error.error_count()} problems"
            ) from None
        if len(answer.predictions) != expected_rows:
            raise errors.UpstreamFailure(
                log_detail=f"model answered {len(answer.predictions)} rows for {expected_rows}"
            )
        labels = self._class_labels
        predictions = []
        for row in answer.predictions:
            scores = row.score
            if len(scores) != len(labels):
                raise errors.UpstreamFailure(
                    log_detail=f"model answered {len(scores)} scores for {len(labels)} classes"
                )
            predictions.append(
                {
                    "label": labels[scores.index(max(scores))],
                    "probabilities": dict(zip(labels, scores, strict=True)),
                }
            )
        return predictions


def endpoint_status(client: Any, endpoint_name: str) -> str:
    """DescribeEndpoint's status for the deep health check."""
    try:
        return str(client.describe_endpoint(EndpointName=endpoint_name)["EndpointStatus"])
    except (ClientError, BotoCoreError) as error:
        raise errors.from_botocore(error) from error
