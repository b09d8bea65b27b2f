"""One line of an endpoint's data capture, read: the request the model got, its answer, when.

SageMaker writes JSON Lines, one line per captured invocation: ``captureData.endpointInput`` and
``.endpointOutput``, each with ``observedContentType``, ``mode``, ``data`` and ``encoding`` (CSV or
JSON: the data kept as text; BASE64 for any other content type), and ``eventMetadata`` with
``eventId``, ``inferenceTime`` and, when the caller gave one, ``inferenceId``; no field names the
model that answered ("Capture data from real-time endpoint" and "Ingest Ground Truth labels and
merge them with predictions", Amazon SageMaker Developer Guide:
docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-data-capture-endpoint.html,
docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-model-quality-merge.html).
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json
from dataclasses import dataclass
from typing import Any

# Why a line is not read, as reports count them.
NOT_JSON = "not JSON"
NOT_A_RECORD = "not a capture record"
NO_REQUEST = "no request captured"
BAD_BASE64 = "data not base64"
BAD_TIME = "no inference time"


class BadRecord(ValueError):
    """A line that is no capture record; its message is one of the reasons above."""


@dataclass(frozen=True)
class Exchange:
    """One captured invocation, its data decoded to text."""

    event_id: str
    time: str
    request: str
    request_type: str
    answer: str
    answer_type: str
    inference_id: str | None = None

    @property
    def moment(self) -> datetime.datetime:
        return parse_time(self.time)


def parse_time(text: str) -> datetime.datetime:
    """An inferenceTime ("2022-02-14T17:25:49Z", with or without milliseconds), in UTC."""
    moment = datetime.datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)


def decoded(part: dict[str, Any]) -> str:
    """A capture part's data as text: as it is for CSV and JSON, decoded for BASE64."""
    data = part.get("data", "")
    if not isinstance(data, str):  # not SageMaker's: JSON data is written as text
        data = json.dumps(data)
    if part.get("encoding") == "BASE64":
        try:
            return base64.b64decode(data, validate=True).decode("utf-8", errors="replace")
        except (binascii.Error, ValueError):
            raise BadRecord(BAD_BASE64) from None
    return data


def media_type(part: dict[str, Any]) -> str:
    """The part's content type without parameters ("text/csv; charset=utf-8" -> "text/csv")."""
    return str(part.get("observedContentType", "")).split(";")[0].strip().lower()


def parse_line(line: str | bytes) -> Exchange:
    """The captured invocation on ``line``; BadRecord (with the reason) when it is not one."""
    try:
        record = json.loads(line)
    except (ValueError, RecursionError):
        raise BadRecord(NOT_JSON) from None
    try:
        data = record["captureData"]
        metadata = record["eventMetadata"]
        request = data.get("endpointInput")
        answer = data.get("endpointOutput") or {}
        time = metadata["inferenceTime"]
    except (KeyError, TypeError, AttributeError):
        raise BadRecord(NOT_A_RECORD) from None
    if not isinstance(request, dict):
        raise BadRecord(NO_REQUEST)
    if not isinstance(answer, dict):
        raise BadRecord(NOT_A_RECORD)
    if not isinstance(time, str):
        raise BadRecord(BAD_TIME)
    inference_id = metadata.get("inferenceId")
    return Exchange(
        event_id=str(metadata.get("eventId", "")),
        time=time,
        request=decoded(request),
        request_type=media_type(request),
        answer=decoded(answer),
        answer_type=media_type(answer),
        inference_id=inference_id if isinstance(inference_id, str) else None,
    )
