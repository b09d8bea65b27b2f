"""How the unit tests call POST /predict and what they expect SageMaker to be asked."""

from __future__ import annotations

import json
from typing import Any

from chalice.test import Client

from tests.support import ENDPOINT_NAME, StubbedSageMaker, model_answer

JSON = {"Content-Type": "application/json"}
SETOSA = {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}
VIRGINICA = {"sepal_length": 6.7, "sepal_width": 3.0, "petal_length": 5.2, "petal_width": 2.3}


def post(api: Client, body: Any, headers: dict[str, str] | None = None) -> Any:
    raw = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return api.http.post("/predict", headers=headers or JSON, body=raw)


def expect_invoke(sagemaker: StubbedSageMaker, csv: bytes, *scores: list[float]) -> None:
    sagemaker.runtime.add_response(
        "invoke_endpoint",
        model_answer(*scores),
        expected_params={
            "EndpointName": ENDPOINT_NAME,
            "Body": csv,
            "ContentType": "text/csv",
            "Accept": "application/json",
        },
    )
