"""A fixed corpus of requests to the proxy, with what SageMaker answers each, for checking that a
change to how fast the proxy is changes none of its answers: status, headers that matter, and
the body byte for byte (the request id aside), and the CSV sent to SageMaker.

    python -m tests.answer_corpus OUTPUT.json   # what this checkout answers, as JSON
"""

from __future__ import annotations

import io
import json
import random
import sys
import tempfile
from pathlib import Path
from typing import Any

import boto3
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber
from chalice.test import Client

from chalicelib import clients
from chalicelib.predictor import SageMakerPredictor
from chalicelib.settings import Settings, use_settings
from chalicelib.signature import Signature, read_signature
from foundation.paths import CHALICE_DIR, IRIS_SIGNATURE
from tests.signatures import MIXED_RECORD, signature_for

ENDPOINT = "corpus"


def _score(signature: Signature, rng: random.Random) -> Any:
    labels = len(signature.labels)
    kind = signature.answer.value
    if kind == "probabilities":
        raw = [rng.random() for _ in range(labels)]
        return [value / sum(raw) for value in raw]
    if kind == "positive_probability":
        return rng.choice([0.5, rng.random()])
    if kind == "class_index":
        return float(rng.randrange(labels))
    return rng.uniform(-1e3, 1e3) * rng.choice([1, 1e-9, 1e9])


def _record(signature: Signature, rng: random.Random) -> dict[str, Any]:
    if signature.feature_names == tuple(MIXED_RECORD):
        record = dict(MIXED_RECORD)
        record["age"] = rng.randrange(1, 99)
        if rng.random() < 0.5:
            record["income"] = None
        return record
    return {
        name: round(rng.uniform(0.1, 9.9), rng.randrange(1, 6)) for name in signature.feature_names
    }


def cases() -> list[tuple[Signature, str, str, list[Any] | None]]:
    """(signature, body, content type, the container's scores, or None when nothing is sent)."""
    rng = random.Random(20261201)
    signatures = [read_signature(IRIS_SIGNATURE)] + [
        signature_for(objective)
        for objective in ("binary:logistic", "binary:logitraw", "multi:softmax", "reg:squarederror")
    ]
    found = []
    for signature in signatures:
        for rows in (1, 2, 37, 100):
            records = [_record(signature, rng) for _ in range(rows)]
            body = json.dumps(records[0] if rows == 1 else {"instances": records})
            found.append(
                (signature, body, "application/json", [_score(signature, rng) for _ in range(rows)])
            )
        bad = json.dumps({"instances": [{**_record(signature, rng), "extra": 1}, {}]})
        found.append((signature, bad, "application/json", None))
        found.append((signature, "not json", "application/json", None))
        found.append((signature, json.dumps(_record(signature, rng)), "text/plain", None))
    return found


def answers() -> list[dict[str, Any]]:
    from app import app

    produced = []
    with (
        tempfile.TemporaryDirectory() as tmp,
        Client(app, stage_name="local", project_dir=str(CHALICE_DIR)) as api,
    ):
        for number, (signature, body, content_type, scores) in enumerate(cases()):
            path = Path(tmp) / f"{number}.json"
            path.write_text(json.dumps(signature.to_json()))
            use_settings(Settings(endpoint_name=ENDPOINT, signature=str(path)))
            runtime = boto3.client(
                "sagemaker-runtime", region_name="us-east-1",
                aws_access_key_id="corpus", aws_secret_access_key="corpus",
            )  # fmt: skip
            sent: list[bytes] = []
            runtime.meta.events.register(
                "provide-client-params.sagemaker-runtime.InvokeEndpoint",
                lambda params, sent=sent, **_: sent.append(params["Body"]),
            )
            with Stubber(runtime) as stubber:
                if scores is not None:
                    payload = json.dumps({"predictions": [{"score": s} for s in scores]}).encode()
                    stubber.add_response(
                        "invoke_endpoint",
                        {"Body": StreamingBody(io.BytesIO(payload), len(payload)),
                         "ContentType": "application/json", "InvokedProductionVariant": "AllTraffic"},
                        {"EndpointName": ENDPOINT, "Body": ANY, "ContentType": "text/csv",
                         "Accept": "application/json"},
                    )  # fmt: skip
                clients.use(predictor=SageMakerPredictor(runtime, ENDPOINT, read_signature(path)))
                response = api.http.post(
                    "/predict", headers={"Content-Type": content_type}, body=body
                )
            request_id = response.headers["X-Request-Id"]
            produced.append(
                {
                    "sent": b"".join(sent).decode(),
                    "status": response.status_code,
                    "content_type": response.headers.get("Content-Type"),
                    "body": response.body.decode().replace(request_id, "<request id>"),
                }
            )
    clients.reset()
    return produced


if __name__ == "__main__":
    Path(sys.argv[1]).write_text(json.dumps(answers(), indent=1, ensure_ascii=False) + "\n")
