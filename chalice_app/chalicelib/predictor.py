"""Calls InvokeEndpoint with CSV rows and turns SageMaker's answer (the model's output) into
labelled predictions, the API's response."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pydantic_core import ValidationError

from chalicelib import errors
from chalicelib.bodies import PredictionBody
from chalicelib.deadline import DeadlineExceeded, call_within
from chalicelib.validation import model_scores

# SageMaker's InvokeEndpoint payload limit; botocore does not check it.
MAX_INVOKE_PAYLOAD_BYTES = 6_291_456


@dataclass(frozen=True)
class PredictionResult:
    # Plain dicts, typed to mirror ``responses.Prediction``: ready for JSON, no second validation.
    predictions: list[PredictionBody]
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
        budget_seconds: float = 21.0,
    ) -> None:
        self._client = client
        self._endpoint_name = endpoint_name
        self._class_labels = class_labels
        self._target_variant = target_variant
        # The whole call, retries and the answer's body included (Settings.worst_case_seconds).
        self._budget_seconds = budget_seconds

    def predict(self, rows: list[list[float]], deadline: float | None = None) -> PredictionResult:
        """``deadline``: the ``time.monotonic()`` by which the caller must have its answer (under
        Lambda, from what the invocation has left); the call gets the smaller of the time until
        then and the stage's budget."""
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
        budget = self._budget_seconds
        if deadline is not None:
            budget = min(budget, deadline - time.monotonic())

        def invoke() -> tuple[dict[str, Any], bytes]:
            response = self._client.invoke_endpoint(**request)
            return response, response["Body"].read()

        started = time.perf_counter()
        try:
            response, payload = call_within(budget, invoke)
        except DeadlineExceeded:
            raise errors.UpstreamTimeout(
                log_detail=f"no complete answer within {budget:.1f} s",
                upstream=True,
                upstream_ms=(time.perf_counter() - started) * 1000,
            ) from None
        except (ClientError, BotoCoreError) as error:
            upstream_ms = (time.perf_counter() - started) * 1000
            raise errors.from_botocore(error, upstream_ms) from error
        upstream_ms = (time.perf_counter() - started) * 1000
        return PredictionResult(
            predictions=self._label(payload, expected_rows=len(rows), upstream_ms=upstream_ms),
            variant=response.get("InvokedProductionVariant"),
            upstream_request_id=response.get("ResponseMetadata", {}).get("RequestId"),
            upstream_ms=upstream_ms,
        )

    def _label(
        self, payload: bytes, expected_rows: int, upstream_ms: float
    ) -> list[PredictionBody]:
        """Validate SageMaker's answer before trusting it: shape, count, finite probabilities."""

        def bad_output(detail: str) -> errors.ApiError:
            return errors.UpstreamFailure(log_detail=detail, upstream=True, upstream_ms=upstream_ms)

        try:
            rows = model_scores(payload)
        except ValidationError as error:
            raise bad_output(
                f'model answer is not {{"predictions": [{{"score": [...]}}]}}: '
                f"{error.error_count()} problems, got {answer_shape(payload)}"
            ) from None
        if len(rows) != expected_rows:
            raise bad_output(f"model answered {len(rows)} rows for {expected_rows}")
        labels = self._class_labels
        predictions: list[PredictionBody] = []
        for scores in rows:
            if len(scores) != len(labels):
                raise bad_output(f"model answered {len(scores)} scores for {len(labels)} classes")
            predictions.append(
                {
                    "label": labels[scores.index(max(scores))],
                    "probabilities": dict(zip(labels, scores, strict=True)),
                }
            )
        return predictions


def answer_shape(payload: bytes) -> str:
    """What a rejected answer looks like, for the log: its JSON structure without its numbers
    (old containers answer ``[p, p],[p, p]`` as text; ``SAGEMAKER_INFERENCE_OUTPUT`` renames
    the keys), or its first bytes when it is not JSON."""
    try:
        document = json.loads(payload)
    except (ValueError, RecursionError):
        return f"not JSON, {len(payload)} bytes starting {payload[:40]!r}"
    return _shape(document, depth=0)


def _shape(value: Any, depth: int) -> str:
    if depth > 5:
        return "..."
    if isinstance(value, dict):
        keys = sorted(value)[:8]
        inner = ", ".join(f"{key!r}: {_shape(value[key], depth + 1)}" for key in keys)
        return "{" + inner + (", ..." if len(value) > len(keys) else "") + "}"
    if isinstance(value, list):
        return f"[{_shape(value[0], depth + 1)} x{len(value)}]" if value else "[]"
    return type(value).__name__


def endpoint_status(client: Any, endpoint_name: str, budget_seconds: float) -> str:
    """DescribeEndpoint's status for the deep health check, under the same whole-call deadline
    as an invocation (a trickled answer would otherwise hold it as long as it likes)."""
    try:
        described = call_within(
            budget_seconds, lambda: client.describe_endpoint(EndpointName=endpoint_name)
        )
    except DeadlineExceeded:
        raise errors.UpstreamTimeout(
            log_detail=f"DescribeEndpoint: no complete answer within {budget_seconds:.1f} s",
            upstream=True,
        ) from None
    except (ClientError, BotoCoreError) as error:
        raise errors.from_botocore(error) from error
    return str(described["EndpointStatus"])
