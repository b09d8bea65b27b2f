"""The stand-in's data capture: each invocation it answers written as SageMaker's data capture
writes it, into a folder that stands for the project's bucket, under the keys an endpoint
deployed by ``deploy_endpoint --capture-percent`` gets, so ``scripts.drift_report --capture DIR``
reads the laptop's capture as it reads S3's.

The line: ``captureData.endpointInput`` and ``.endpointOutput`` (``observedContentType``,
``mode``, ``data``, ``encoding``: CSV and JSON kept as text, any other content type base64) and
``eventMetadata`` (``eventId``, ``inferenceId`` when the caller gave one, ``inferenceTime``), then
``eventVersion`` ("Capture data from real-time endpoint", Amazon SageMaker Developer Guide). The
key: ``<DestinationS3Uri>/<endpoint>/<variant>/yyyy/mm/dd/hh/<mm-ss-mmm>-<uuid>.jsonl`` (the
guide's path; the file name as captured files are named in public examples). SageMaker captures
successful invocations here; whether it captures failed ones no public source says, and the
stand-in does not.
"""

from __future__ import annotations

import base64
import datetime
import json
import threading
import uuid
from collections.abc import Callable
from pathlib import Path

from provisioning.naming import capture_model_prefix

# CaptureContentTypeHeader as deploy_endpoint sets it (provisioning/endpoint/model_resources.py).
CSV_TYPES = ("text/csv",)
JSON_TYPES = ("application/json",)


def capture_line(
    request: bytes,
    request_type: str,
    answer: bytes,
    answer_type: str,
    event_id: str,
    time: datetime.datetime,
    inference_id: str | None = None,
    csv_types: tuple[str, ...] = CSV_TYPES,
    json_types: tuple[str, ...] = JSON_TYPES,
) -> str:
    """The line SageMaker writes for one invocation, for an endpoint config whose
    CaptureContentTypeHeader lists ``csv_types`` and ``json_types``. A content type is matched
    without its parameters, as the guide's own sample shows ("text/csv; charset=utf-8" captured
    as CSV)."""

    def part(mode: str, body: bytes, content_type: str) -> dict[str, str]:
        kind = content_type.split(";")[0].strip().lower()
        encoding = "CSV" if kind in csv_types else "JSON" if kind in json_types else "BASE64"
        if encoding == "BASE64":
            data = base64.b64encode(body).decode("ascii")
        else:
            data = body.decode("utf-8", errors="replace")
        return {
            "observedContentType": content_type,
            "mode": mode,
            "data": data,
            "encoding": encoding,
        }

    metadata = {"eventId": event_id}
    if inference_id:
        metadata["inferenceId"] = inference_id
    metadata["inferenceTime"] = (
        time.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    )
    record = {
        "captureData": {
            "endpointInput": part("INPUT", request, request_type),
            "endpointOutput": part("OUTPUT", answer, answer_type),
        },
        "eventMetadata": metadata,
        "eventVersion": "0",
    }
    return json.dumps(record, separators=(",", ":"))


class CaptureWriter:
    """Appends each captured invocation to the hour's file of its endpoint and variant under
    ``root`` (the bucket's stand-in): one file per hour, endpoint and variant."""

    def __init__(
        self,
        root: Path,
        artifact_sha256: str,
        clock: Callable[[], datetime.datetime] = lambda: datetime.datetime.now(datetime.UTC),
    ) -> None:
        self.root = root
        self.artifact_sha256 = artifact_sha256
        self.clock = clock
        self._files: dict[tuple[str, str, str], Path] = {}
        self._lock = threading.Lock()

    def path_for(self, endpoint: str, variant: str, moment: datetime.datetime) -> Path:
        hour = moment.strftime("%Y/%m/%d/%H")
        key = (endpoint, variant, hour)
        if key not in self._files:
            name = f"{moment.strftime('%M-%S')}-{moment.microsecond // 1000:03d}-{uuid.uuid4()}"
            folder = self.root / capture_model_prefix(endpoint, self.artifact_sha256)
            self._files[key] = folder / endpoint / variant / hour / f"{name}.jsonl"
        return self._files[key]

    def capture(
        self,
        endpoint: str,
        variant: str,
        request: bytes,
        request_type: str,
        answer: bytes,
        answer_type: str,
        inference_id: str | None = None,
    ) -> Path:
        """Write one invocation's line; the file it went to."""
        moment = self.clock().astimezone(datetime.UTC)
        line = capture_line(
            request, request_type, answer, answer_type, str(uuid.uuid4()), moment, inference_id
        )
        with self._lock:
            path = self.path_for(endpoint, variant, moment)
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as file:
                file.write(line + "\n")
        return path
