"""Reading what an endpoint's data capture wrote to S3.

SageMaker writes JSON Lines under ``<DestinationS3Uri>/<endpoint>/<variant>/yyyy/mm/dd/hh/``, one
line per captured invocation: ``captureData.endpointInput`` and ``.endpointOutput``, each with
``observedContentType``, ``mode``, ``data`` and ``encoding`` (CSV, JSON or BASE64), and
``eventMetadata`` with ``eventId`` and ``inferenceTime`` ("Capture data from real-time
endpoint", Amazon SageMaker Developer Guide).
"""

from __future__ import annotations

import base64
import datetime
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from lambda_code import answers
from lambda_code import signature as sig


@dataclass(frozen=True)
class Capture:
    event_id: str
    time: str
    request: str
    answer: str


def decoded(part: dict[str, Any]) -> str:
    data = str(part.get("data", ""))
    if part.get("encoding") == "BASE64":
        return base64.b64decode(data).decode("utf-8", errors="replace")
    return data


def captures(
    s3: Any, bucket: str, prefix: str, since: datetime.datetime | None = None
) -> Iterator[Capture]:
    """Every captured invocation under ``prefix``, oldest object first; with ``since``, only
    those from then on (the hour folders are read from the key, the time from each line)."""
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{prefix}/"):
        keys += [item["Key"] for item in page.get("Contents", []) if item["Key"].endswith(".jsonl")]
    for key in sorted(keys):
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")
        for line in body.splitlines():
            if not line.strip():
                continue
            record = json.loads(line)
            time = record["eventMetadata"]["inferenceTime"]
            if since and datetime.datetime.fromisoformat(time.replace("Z", "+00:00")) < since:
                continue
            data = record["captureData"]
            yield Capture(
                event_id=record["eventMetadata"].get("eventId", ""),
                time=time,
                request=decoded(data.get("endpointInput", {})),
                answer=decoded(data.get("endpointOutput", {})),
            )


def predictions_of(answer: str, reader: answers.AnswerReader) -> list[dict[str, Any]]:
    """The proxy's prediction for each row of a captured answer: the built-in container's JSON
    (``{"predictions": [{"score": ...}]}``, what the proxy asks for) or CSV (a line per row)."""
    try:
        scores = [row["score"] for row in json.loads(answer)["predictions"]]
    except (ValueError, KeyError, TypeError):
        lines = [line for line in answer.splitlines() if line]
        rows = [[float(value) for value in line.split(",")] for line in lines]
        probabilities = reader.answer is sig.Answer.PROBABILITIES
        scores = [row if probabilities else row[0] for row in rows]
    return [dict(prediction) for prediction in reader.label(scores)]
