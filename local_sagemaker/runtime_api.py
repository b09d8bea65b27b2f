"""A stand-in for SageMaker on loopback: the runtime API in front of a model container.

As SageMaker does, it passes each invocation to a container, here the serving image's own
app (``serving.container``) in-process, reading CSV as the built-in XGBoost container does,
and reports the container's 4xx answers as ``ModelError``.

Routes:
- ``POST /endpoints/{name}/invocations``: InvokeEndpoint (rest-json errors with ``x-amzn-ErrorType``),
  with ``X-Amzn-SageMaker-Target-Variant`` routed to one of the endpoint's variants.
- ``POST /`` with ``X-Amz-Target: SageMaker.DescribeEndpoint``: the control plane's json protocol.
- ``PUT /_local/endpoints/{name}/status``: not AWS; sets the EndpointStatus DescribeEndpoint
  reports (body: the status), so deep health checks can be tried against every value.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterable
from typing import Any

from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from local_sagemaker.capture import CaptureWriter
from provisioning.naming import VARIANT_NAME
from serving.container import BUILT_IN_INPUTS, ContainerApp
from serving.invocations import RoutedApp
from serving.model import XGBoostModel

# Error messages mimic AWS, account id included, so the proxy's scrubbing is exercised.
FAKE_ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"
# DescribeEndpoint's EndpointStatus (botocore's sagemaker service model, shape EndpointStatus).
ENDPOINT_STATUSES = frozenset(
    {
        "OutOfService",
        "Creating",
        "Updating",
        "SystemUpdating",
        "RollingBack",
        "InService",
        "Deleting",
        "Failed",
        "UpdateRollbackFailed",
    }
)


class RuntimeApi(RoutedApp):
    """Serves one model under one or more endpoint names, each with the same variants."""

    def __init__(
        self,
        model: XGBoostModel,
        endpoint_names: Iterable[str],
        region: str = DEFAULT_REGION,
        variant_names: Iterable[str] = (VARIANT_NAME,),
        capture: CaptureWriter | None = None,
    ):
        self.container = ContainerApp.serving(model, BUILT_IN_INPUTS)
        # Data capture, when asked for: every answered invocation, as SageMaker writes it.
        self.capture = capture
        self.statuses = dict.fromkeys(endpoint_names, "InService")
        self.variant_names = tuple(variant_names) or (VARIANT_NAME,)
        self.region = region
        self.started = time.time()
        self.url_map = Map(
            [
                Rule("/endpoints/<name>/invocations", endpoint="invoke_endpoint", methods=["POST"]),
                Rule("/", endpoint="control_plane", methods=["POST"]),
                Rule("/_local/endpoints/<name>/status", endpoint="set_status", methods=["PUT"]),
            ]
        )

    @property
    def endpoint_names(self) -> frozenset[str]:
        return frozenset(self.statuses)

    def finish(self, response: Response) -> None:
        response.headers.setdefault("x-amzn-RequestId", str(uuid.uuid4()))

    # -- runtime API --------------------------------------------------------
    def invoke_endpoint(self, request: Request, name: str) -> Response:
        if name not in self.endpoint_names:
            # The message as AWS sends it (aws/amazon-sagemaker-examples#293).
            return aws_error(
                "ValidationError",
                400,
                f"Endpoint {name} of account {FAKE_ACCOUNT_ID} not found.",
            )
        variant = request.headers.get("X-Amzn-SageMaker-Target-Variant") or self.variant_names[0]
        if variant not in self.variant_names:
            # An unknown TargetVariant is an invalid request parameter, which InvokeEndpoint
            # answers as ValidationError 400 (botocore's sagemaker-runtime model: "Inspect your
            # request and try again"). No public source shows AWS's exact wording: this one is
            # ours, and the proxy does not depend on it.
            return aws_error(
                "ValidationError",
                400,
                f"Variant {variant} is not a production variant of endpoint {name} "
                f"of account {FAKE_ACCOUNT_ID}.",
            )
        response = self.container.invocations(request)
        if response.status_code >= 400:
            message = response.get_data(as_text=True)
            # As AWS words it: "Received client error (400) from primary with message ..."
            # (aws-samples/amazon-sagemaker-custom-recommender-system#2), with the CloudWatch
            # link and the account (aws/amazon-sagemaker-examples#407); status 424 and the
            # modelled fields are botocore's sagemaker-runtime model's.
            return aws_error(
                "ModelError",
                424,
                f"Received client error ({response.status_code}) from primary with message "
                f'"{message}". See https://{self.region}.console.aws.amazon.com/cloudwatch/ '
                f"in account {FAKE_ACCOUNT_ID} for more information.",
                OriginalStatusCode=response.status_code,
                OriginalMessage=message,
                LogStreamArn=(
                    f"arn:aws:logs:{self.region}:{FAKE_ACCOUNT_ID}:log-group:"
                    f"/aws/sagemaker/Endpoints/{name}"
                ),
            )
        response.headers["x-Amzn-Invoked-Production-Variant"] = variant
        if self.capture is not None:
            self.capture.capture(
                name, variant, request.get_data(), request.content_type or "",
                response.get_data(), response.content_type or "",
                request.headers.get("X-Amzn-SageMaker-Inference-Id"),
            )  # fmt: skip
        return response

    # -- control plane (json 1.1 protocol) -----------------------------------
    def control_plane(self, request: Request) -> Response:
        target = request.headers.get("X-Amz-Target", "")
        if target != "SageMaker.DescribeEndpoint":
            return json_error(
                "UnknownOperationException", f"{target or 'operation'} is not supported"
            )
        name = (request.get_json(force=True, silent=True) or {}).get("EndpointName", "")
        if name not in self.endpoint_names:
            # The code is the control plane's for an unknown resource; this wording is ours (no
            # public source shows AWS's), and the proxy maps any ValidationException alike.
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
            "EndpointStatus": self.statuses[name],
            "CreationTime": self.started,
            "LastModifiedTime": self.started,
            "ProductionVariants": [{"VariantName": variant} for variant in self.variant_names],
        }
        return Response(json.dumps(body), content_type="application/x-amz-json-1.1")

    # -- the stand-in's own control (not AWS) --------------------------------
    def set_status(self, request: Request, name: str) -> Response:
        status = request.get_data(as_text=True).strip()
        if name not in self.statuses or status not in ENDPOINT_STATUSES:
            return Response(f"unknown endpoint or status: {sorted(ENDPOINT_STATUSES)}", status=400)
        self.statuses[name] = status
        return Response(status=204)


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
