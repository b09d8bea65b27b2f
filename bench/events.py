"""API Gateway proxy events and a Lambda context, as Lambda hands them to a handler."""

from __future__ import annotations

import json
import uuid
from typing import Any

from foundation.lambda_code import signature as sig


def records(count: int, signature: sig.Signature) -> list[dict[str, Any]]:
    """Valid records of the signature's model: its examples, in turn."""
    examples = [example["record"] for example in signature.examples]
    return [examples[index % len(examples)] for index in range(count)]


def predict_event(rows: int, signature: sig.Signature) -> dict[str, Any]:
    body = records(1, signature)[0] if rows == 1 else {"instances": records(rows, signature)}
    return {
        "resource": "/predict",
        "path": "/predict",
        "httpMethod": "POST",
        "headers": {"Content-Type": "application/json", "Host": "example.execute-api"},
        "multiValueHeaders": {"Content-Type": ["application/json"]},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/predict",
            "httpMethod": "POST",
            "path": "/api/predict",
            "stage": "api",
            "requestId": str(uuid.uuid4()),
            "identity": {"sourceIp": "127.0.0.1"},
        },
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }


class LambdaContext:
    function_name = "bench"
    memory_limit_in_mb = 128
    invoked_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:bench"

    def __init__(self) -> None:
        self.aws_request_id = str(uuid.uuid4())

    def get_remaining_time_in_millis(self) -> int:
        return 25_000
