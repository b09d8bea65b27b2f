"""Calls InvokeEndpoint with CSV rows and turns SageMaker's answer (the model's output) into
the API's predictions (``answers``)."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any, NamedTuple

from botocore.exceptions import BotoCoreError, ClientError
from pydantic_core import to_json

from chalicelib import errors
from chalicelib.answers import AnswerReader, BadAnswer
from chalicelib.bodies import PredictionBody
from chalicelib.deadline import DeadlineExceeded, call_within
from chalicelib.signature import BOOLEAN, Signature
from chalicelib.validation import Cell

# SageMaker's InvokeEndpoint payload limit; botocore does not check it.
MAX_INVOKE_PAYLOAD_BYTES = 6_291_456


class PredictionResult(NamedTuple):
    """Immutable, and made as fast as a tuple (a frozen dataclass sets each field through
    object.__setattr__)."""

    # Plain dicts, typed to mirror ``responses.Prediction``: ready for JSON, no second validation.
    predictions: list[PredictionBody]
    variant: str | None
    upstream_request_id: str | None
    upstream_ms: float


def to_csv(rows: Sequence[Sequence[Cell]], missing: bool = False, booleans: bool = False) -> bytes:
    """Header-less CSV in the model's feature order, as the built-in XGBoost container reads it:
    a missing value (None) is an empty cell, a boolean 1 or 0. ``missing``/``booleans``: whether
    the rows may hold them (no number's text holds "null", "true" or "false").

    A model of one feature has one cell a line, and an empty cell would be an empty line, which
    the container cannot read (it strips the body and fails on a blank line between rows,
    serve_utils.py:118-130): its missing value is "nan", which the container reads as missing as
    it reads an empty cell (numpy's float of the cell)."""
    # "[[5.1,3.5],[6.7,3.0]]" -> rows of CSV. pydantic-core writes floats three times faster than
    # json.dumps (which writes repr()'s text), and the same text but below 1e-4: "0.00001" and
    # "1e-9" for repr's "1e-05" and "1e-09". Such a body is written as it always was, so the
    # container reads what it always read: its csv_to_dmatrix guesses the delimiter from the
    # first line's characters with csv.Sniffer (encoder.py:50-52, v3.0-5).
    text = to_json(rows).decode()
    if "e-" in text or "0.0000" in text:
        text = json.dumps(rows, separators=(",", ":"))
    text = text[2:-2].replace("],[", "\n")
    if missing:
        text = text.replace("null", "nan" if rows and len(rows[0]) == 1 else "")
    if booleans:
        text = text.replace("true", "1").replace("false", "0")
    return text.encode()


class SageMakerPredictor:
    """Wraps one endpoint. Takes its boto3 ``sagemaker-runtime`` client, so tests can stub it."""

    def __init__(
        self,
        client: Any,
        endpoint_name: str,
        signature: Signature,
        target_variant: str | None = None,
        budget_seconds: float = 21.0,
    ) -> None:
        self._client = client
        self._endpoint_name = endpoint_name
        self._answers = AnswerReader(signature)
        self._missing = any(feature.optional for feature in signature.features)
        self._booleans = any(feature.type == BOOLEAN for feature in signature.features)
        self._target_variant = target_variant
        # The whole call, retries and the answer's body included (Settings.worst_case_seconds).
        self._budget_seconds = budget_seconds

    def predict(
        self, rows: Sequence[Sequence[Cell]], deadline: float | None = None
    ) -> PredictionResult:
        """``deadline``: the ``time.monotonic()`` by which the caller must have its answer (under
        Lambda, from what the invocation has left); the call gets the smaller of the time until
        then and the stage's budget."""
        body = to_csv(rows, self._missing, self._booleans)
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
        """Check SageMaker's answer before trusting it: the objective's shape, row for row."""
        try:
            return self._answers.predictions(payload, expected_rows)
        except BadAnswer as error:
            raise errors.UpstreamFailure(
                log_detail=str(error), upstream=True, upstream_ms=upstream_ms
            ) from None


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
