"""The proxy's error types, and the one mapping from botocore's errors to them.

Messages sent to clients are fixed, generic text. What SageMaker said (which can carry
account ids, ARNs and the model's own message) goes only to ``log_detail``.
"""

from __future__ import annotations

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from chalice.app import ChaliceUnhandledError

THROTTLING_CODES = frozenset({"ThrottlingException", "Throttling", "TooManyRequestsException"})


class ApiError(ChaliceUnhandledError):
    """An error answered to the client. Subclasses ChaliceUnhandledError so that Chalice
    lets it through to the HTTP middleware, the one place that renders errors."""

    status = 500
    code = "InternalServerError"
    message = "An internal server error occurred."

    def __init__(
        self,
        message: str | None = None,
        *,
        log_detail: str | None = None,
        retry_after: int | None = None,
        problems: list[dict[str, str]] | None = None,
    ) -> None:
        super().__init__(message or self.message)
        self.message = message or self.message
        self.log_detail = log_detail
        self.retry_after = retry_after
        self.problems = problems
        # True when SageMaker (not the client or the configuration) failed: set by from_botocore.
        self.upstream = False
        # How long the failed call took, for the UpstreamLatency metric.
        self.upstream_ms: float | None = None


class InvalidRequest(ApiError):
    status, code, message = 400, "BadRequestError", "The request body is invalid."


class PayloadTooLarge(ApiError):
    status, code, message = 413, "PayloadTooLargeError", "The request body is too large."


class Throttled(ApiError):
    status, code, message = 429, "TooManyRequestsError", "The model is busy; retry later."


class ModelRejectedInput(ApiError):
    status, code, message = 422, "ModelRejectedInputError", "The model rejected the input."


class UpstreamFailure(ApiError):
    status, code, message = 502, "BadGatewayError", "The model failed to answer."


class EndpointUnavailable(ApiError):
    status, code, message = 503, "ServiceUnavailableError", "The model is not available."


class UpstreamTimeout(ApiError):
    status, code, message = 504, "GatewayTimeoutError", "The model did not answer in time."


def from_botocore(error: BotoCoreError | ClientError) -> ApiError:
    """Map an InvokeEndpoint or DescribeEndpoint failure to the status in the design's table."""
    mapped = _from_client_error(error) if isinstance(error, ClientError) else _from_botocore(error)
    mapped.upstream = True
    return mapped


def _from_botocore(error: BotoCoreError) -> ApiError:
    detail = f"{type(error).__name__}: {error}"
    if isinstance(error, (ReadTimeoutError, ConnectTimeoutError)):
        return UpstreamTimeout(log_detail=detail)
    if isinstance(error, EndpointConnectionError):
        return EndpointUnavailable(log_detail=detail, retry_after=5)
    return UpstreamFailure(log_detail=detail)


def _from_client_error(error: ClientError) -> ApiError:
    code = error.response.get("Error", {}).get("Code", "")
    message = error.response.get("Error", {}).get("Message", "")
    request_id = error.response.get("ResponseMetadata", {}).get("RequestId")
    detail = f"{code}: {message} (sagemaker request id {request_id})"
    if code == "ValidationError" and "not found" in message.lower():
        return EndpointUnavailable(log_detail=detail)
    if code == "ValidationException" and "could not find endpoint" in message.lower():
        return EndpointUnavailable(log_detail=detail)
    if code == "ModelError":
        original = error.response.get("OriginalStatusCode")
        if isinstance(original, int) and 400 <= original < 500:
            return ModelRejectedInput(log_detail=detail)
        return UpstreamFailure(log_detail=detail)
    if code == "ModelNotReadyException":
        return EndpointUnavailable(log_detail=detail, retry_after=5)
    if code in THROTTLING_CODES:
        return Throttled(log_detail=detail, retry_after=1)
    if code == "ServiceUnavailable":
        return EndpointUnavailable(log_detail=detail, retry_after=2)
    # InternalFailure, InternalDependencyException, access denied and any other upstream 4xx.
    return UpstreamFailure(log_detail=detail)
