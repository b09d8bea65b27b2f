"""The proxy's error types, and the one mapping from botocore's errors to them.

Messages sent to clients are fixed, generic text. What SageMaker said (which can carry
account ids, ARNs and the model's own message) goes only to ``log_detail``.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    IncompleteReadError,
    ReadTimeoutError,
    ResponseStreamingError,
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
        problem_count: int | None = None,
        upstream: bool = False,
        upstream_ms: float | None = None,
        challenge: str | None = None,
    ) -> None:
        super().__init__(message or self.message)
        self.message = message or self.message
        self.log_detail = log_detail
        self.retry_after = retry_after
        self.problems = problems
        # All the problems found; ``problems`` lists at most the first few.
        self.problem_count = len(problems) if problem_count is None and problems else problem_count
        # True when SageMaker (not the client) failed: for the UpstreamErrors metric.
        self.upstream = upstream
        # How long the failed call took, for the UpstreamLatency metric.
        self.upstream_ms = upstream_ms
        # WWW-Authenticate, for 401 and 403 (RFC 6750, section 3).
        self.challenge = challenge


class InvalidRequest(ApiError):
    status, code, message = 400, "BadRequestError", "The request body is invalid."


class UnsupportedMediaType(ApiError):
    # The code Chalice's own 415 carries, so clients see one code whoever answers.
    status, code, message = 415, "UnsupportedMediaType", "Content-Type must be application/json."


class Unauthenticated(ApiError):
    # The codes Chalice and API Gateway's own 401 and 403 carry.
    status, code = 401, "UnauthorizedError"
    message = "Sign in first: send a valid token as Authorization: Bearer <token>."


class Forbidden(ApiError):
    status, code, message = 403, "ForbiddenError", "The token does not grant access to this API."


class PayloadTooLarge(ApiError):
    status, code, message = 413, "PayloadTooLargeError", "The request body is too large."


# The stage variable that sets the body limit (settings.MAX_BODY_BYTES; settings imports this
# module, so the name is repeated here and a test holds the two equal).
BODY_LIMIT_SETTING = "MAX_BODY_BYTES"


class BodyTooLarge(PayloadTooLarge):
    """A body over the stage's limit: the answer says the limit and the setting that raises it
    (scripts.deploy_endpoint raises it to what the model's full batch needs)."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"The request body is larger than {limit} bytes, this stage's limit; its "
            f"{BODY_LIMIT_SETTING} setting raises it."
        )


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


# Seconds a client should wait before retrying, by cause.
RETRY_THROTTLED = 1
RETRY_SERVICE_UNAVAILABLE = 2
# The connection broke mid-request: the instance died or is being replaced. A prediction
# has no side effects, so a retry is safe, and with more than one instance it lands elsewhere.
RETRY_CONNECTION_LOST = 2
RETRY_MODEL_NOT_READY = 5
RETRY_UNREACHABLE = 5


def from_botocore(error: BotoCoreError | ClientError, upstream_ms: float | None = None) -> ApiError:
    """Map an InvokeEndpoint or DescribeEndpoint failure to the status in the design's table;
    ``upstream_ms``: how long the failed call took."""
    call = {"upstream": True, "upstream_ms": upstream_ms}
    if isinstance(error, ClientError):
        return _from_client_error(error, call)
    return _from_botocore(error, call)


def _from_botocore(error: BotoCoreError, call: dict[str, Any]) -> ApiError:
    detail = f"{type(error).__name__}: {error}"
    if isinstance(error, (ReadTimeoutError, ConnectTimeoutError)):
        return UpstreamTimeout(log_detail=detail, **call)
    if isinstance(error, EndpointConnectionError):
        return EndpointUnavailable(log_detail=detail, retry_after=RETRY_UNREACHABLE, **call)
    if isinstance(error, (ConnectionClosedError, ResponseStreamingError, IncompleteReadError)):
        return EndpointUnavailable(log_detail=detail, retry_after=RETRY_CONNECTION_LOST, **call)
    return UpstreamFailure(log_detail=detail, **call)


def _text(value: Any) -> str:
    """A field of an error body as text: AWS sends ``{"message": null}`` when throttling
    (opensearch-project/ml-commons#2429), and any field may be missing or of another type."""
    return value if isinstance(value, str) else ""


def _from_client_error(error: ClientError, call: dict[str, Any]) -> ApiError:
    response: Any = error.response if isinstance(error.response, dict) else {}
    fields = response.get("Error") if isinstance(response.get("Error"), dict) else {}
    metadata = response.get("ResponseMetadata")
    code = _text(fields.get("Code"))
    message = _text(fields.get("Message"))
    request_id = metadata.get("RequestId") if isinstance(metadata, dict) else None
    detail = f"{code or 'no code'}: {message or 'no message'} (sagemaker request id {request_id})"
    if code in ("ValidationError", "ValidationException"):
        # The proxy builds every part of the call but the stage's endpoint name and target
        # variant, so SageMaker refusing it ("Endpoint X of account N not found", an unknown
        # variant) is a deployment fault; retrying will not help.
        return EndpointUnavailable(log_detail=f"stage configuration refused: {detail}", **call)
    if code == "ModelError":
        original = response.get("OriginalStatusCode")
        if isinstance(original, str) and original.isdigit():
            original = int(original)
        if isinstance(original, int) and 400 <= original < 500:
            return ModelRejectedInput(log_detail=detail, **call)
        return UpstreamFailure(log_detail=detail, **call)
    if code == "ModelNotReadyException":
        return EndpointUnavailable(log_detail=detail, retry_after=RETRY_MODEL_NOT_READY, **call)
    if code in THROTTLING_CODES:
        return Throttled(log_detail=detail, retry_after=RETRY_THROTTLED, **call)
    if code == "ServiceUnavailable":
        return EndpointUnavailable(log_detail=detail, retry_after=RETRY_SERVICE_UNAVAILABLE, **call)
    # InternalFailure, InternalDependencyException, access denied and any other upstream 4xx.
    return UpstreamFailure(log_detail=detail, **call)
