"""API Gateway proxy events and a Lambda context, as Lambda hands them to a handler."""

from __future__ import annotations

import json
import uuid
from typing import Any

FEATURES = ("sepal_length", "sepal_width", "petal_length", "petal_width")


def records(count: int) -> list[dict[str, float]]:
    """Distinct, valid Iris-like records."""
    return [
        {
            name: round(0.5 + (index * 7 + offset) % 70 / 10, 1)
            for offset, name in enumerate(FEATURES)
        }
        for index in range(count)
    ]


def predict_event(rows: int) -> dict[str, Any]:
    body = records(1)[0] if rows == 1 else {"instances": records(rows)}
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
