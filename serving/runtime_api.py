"""A WSGI app that speaks SageMaker's runtime API and the container contract.

Routes:
- ``POST /endpoints/{name}/invocations``: InvokeEndpoint (rest-json errors with ``x-amzn-ErrorType``).
- ``POST /`` with ``X-Amz-Target: SageMaker.DescribeEndpoint``: the control plane's json protocol.
- ``GET /ping`` and ``POST /invocations``: the container contract SageMaker itself calls.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterable
from typing import Any

from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from serving.invocations import RoutedApp, invoke
from serving.model import ModelInputError, XGBoostModel

# Error messages mimic AWS, account id included, so the proxy's scrubbing is exercised.
FAKE_ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"
VARIANT_NAME = "AllTraffic"


class RuntimeApi(RoutedApp):
    """Serves one model under one or more endpoint names."""

    def __init__(
        self, model: XGBoostModel, endpoint_names: Iterable[str], region: str = DEFAULT_REGION
    ):
        self.model = model
        self.endpoint_names = frozenset(endpoint_names)
        self.region = region
        self.started = time.time()
        self.url_map = Map(
            [
                Rule("/endpoints/<name>/invocations", endpoint="invoke_endpoint", methods=["POST"]),
                Rule("/invocations", endpoint="invocations", methods=["POST"]),
                Rule("/ping", endpoint="ping", methods=["GET"]),
                Rule("/", endpoint="control_plane", methods=["POST"]),
            ]
        )

    def finish(self, response: Response) -> None:
        response.headers.setdefault("x-amzn-RequestId", str(uuid.uuid4()))

    # -- container contract -------------------------------------------------
    def ping(self, request: Request) -> Response:
        return Response(status=200)

    def invocations(self, request: Request) -> Response:
        """The container's own route: plain HTTP errors, as the real container sends them."""
        try:
            return self._predict(request)
        except ModelInputError as error:
            return Response(str(error), status=error.status, content_type="text/plain")

    # -- runtime API --------------------------------------------------------
    def invoke_endpoint(self, request: Request, name: str) -> Response:
        if name not in self.endpoint_names:
            return aws_error(
                "ValidationError",
                400,
                f"Endpoint {name} of account {FAKE_ACCOUNT_ID} not found.",
            )
        try:
            response = self._predict(request)
        except ModelInputError as error:
            return aws_error(
                "ModelError",
                424,
                f"Received client error ({error.status}) from primary with message "
                f'"{error}". See https://{self.region}.console.aws.amazon.com/cloudwatch/ '
                f"in account {FAKE_ACCOUNT_ID} for more information.",
                OriginalStatusCode=error.status,
                OriginalMessage=str(error),
                LogStreamArn=(
                    f"arn:aws:logs:{self.region}:{FAKE_ACCOUNT_ID}:log-group:"
                    f"/aws/sagemaker/Endpoints/{name}"
                ),
            )
        response.headers["x-Amzn-Invoked-Production-Variant"] = VARIANT_NAME
        return response

    def _predict(self, request: Request) -> Response:
        return invoke(self.model, request, accept_json_input=False)

    # -- control plane (json 1.1 protocol) -----------------------------------
    def control_plane(self, request: Request) -> Response:
        target = request.headers.get("X-Amz-Target", "")
        if target != "SageMaker.DescribeEndpoint":
            return json_error(
                "UnknownOperationException", f"{target or 'operation'} is not supported"
            )
        name = (request.get_json(force=True, silent=True) or {}).get("EndpointName", "")
        if name not in self.endpoint_names:
            return json_error(
                "ValidationException",
                f'Could not find endpoint "arn:aws:sagemaker:{self.region}:{FAKE_ACCOUNT_ID}:'
                f'endpoint/{name.lower()}".',
            )
        arn = f"arn:aws:sagemaker:{self.region}:{FAKE_ACCOUNT_ID}:endpoint/{name.lower()}"
        body = {
            "EndpointName": name,
            "EndpointArn": arn,
            "EndpointConfigName": f"{name}-local",
            "EndpointStatus": "InService",
            "CreationTime": self.started,
            "LastModifiedTime": self.started,
            "ProductionVariants": [{"VariantName": VARIANT_NAME}],
        }
        return Response(json.dumps(body), content_type="application/x-amz-json-1.1")


def aws_error(code: str, status: int, message: str, **fields: Any) -> Response:
    """An error in the rest-json protocol: botocore reads the code from the header."""
    response = Response(
        json.dumps({"message": message, **fields}), status=status, content_type="application/json"
    )
    response.headers["x-amzn-ErrorType"] = code
    return response


def json_error(code: str, message: str) -> Response:
    """An error in the json 1.1 protocol used by the SageMaker control plane."""
    return Response(
        json.dumps({"__type": code, "message": message}),
        status=400,
        content_type="application/x-amz-json-1.1",
    )
