"""What the scripts check before they call AWS, and how they word a failure that AWS returns.

Name patterns come from the SageMaker API reference (CreateEndpoint, CreateModel: pattern
``[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}``) and ECR's image URI format
(``<account>.dkr.ecr.<region>.amazonaws.com/<repository>[:tag|@digest]``).
"""

from __future__ import annotations

import math
import os
import re
import tarfile
from pathlib import Path

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    TokenRetrievalError,
    UnauthorizedSSOTokenError,
)
from botocore.parsers import ResponseParserError

from foundation.images import MODEL_MEMBER

# Everything a boto3 call can raise about AWS (ResponseParserError is not a BotoCoreError:
# it is what a non-AWS answer, a captive portal or a wrong AWS_ENDPOINT_URL, gives; botocore's
# query-protocol parser can even raise a bare KeyError on one, hence Exception at the end).
AWS_ERRORS = (ClientError, BotoCoreError, ResponseParserError, Exception)

SAGEMAKER_NAME = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")
IMAGE_URI = re.compile(
    r"(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(\.cn)?/"
    r"(?P<repository>[a-z0-9]+(?:[._/-][a-z0-9]+)*)(:[\w][\w.-]{0,127}|@sha256:[0-9a-f]{64})"
)
ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}")
BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
STAGE = re.compile(r"[a-z][a-z0-9_-]{0,31}")


def sagemaker_name(value: str, what: str = "name") -> str | None:
    """A problem with a SageMaker resource name, or None."""
    if not SAGEMAKER_NAME.fullmatch(value):
        return (
            f"{what} {value!r} must be 1 to 63 letters, digits and hyphens, "
            "starting and ending with a letter or digit"
        )
    return None


def positive(value: float, what: str) -> str | None:
    if not math.isfinite(value) or value <= 0:
        return f"{what} must be a finite number above 0, not {value}"
    return None


def artifact(path: Path) -> str | None:
    """A problem with a model.tar.gz, or None: a file holding exactly the one model file."""
    if not path.exists():
        return f"{path} not found: run `make model` first"
    if not path.is_file():
        return f"{path} is not a file: pass the model.tar.gz itself"
    try:
        with tarfile.open(path, "r:gz") as tar:
            names = [member.name for member in tar.getmembers() if member.isfile()]
    except (tarfile.TarError, OSError, EOFError) as error:
        return f"{path} is not a gzipped tar file ({error})"
    if names != [MODEL_MEMBER]:
        return f"{path} must hold exactly one file, {MODEL_MEMBER}; it holds {names or 'none'}"
    return None


def image_uri(value: str) -> str | None:
    if not IMAGE_URI.fullmatch(value):
        return (
            f"--image {value!r} is not an ECR image URI "
            "(<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>)"
        )
    return None


def one_line(error: BaseException) -> str:
    """What failed and what to do, in one line, for the errors a first run meets."""
    if isinstance(error, (NoCredentialsError, PartialCredentialsError)):
        return "no AWS credentials: set AWS_PROFILE, run `aws configure` or `aws sso login`"
    if isinstance(error, (TokenRetrievalError, UnauthorizedSSOTokenError)):
        return f"AWS SSO session expired ({error}): run `aws sso login`"
    if isinstance(error, NoRegionError):
        return "no region: pass --region or set AWS_REGION"
    if isinstance(error, EndpointConnectionError):
        return f"could not reach AWS ({error}): check the network and AWS_ENDPOINT_URL"
    if isinstance(error, ResponseParserError):
        return "the answer was not AWS's: check AWS_ENDPOINT_URL and any proxy in between"
    if isinstance(error, ClientError):
        code = str(error.response.get("Error", {}).get("Code") or "error")
        message = " ".join(str(error.response.get("Error", {}).get("Message") or "").split())
        operation = error.operation_name
        if message.startswith("<"):
            if code.startswith("5") and os.environ.get("AWS_ENDPOINT_URL"):
                # moto_server answers a call it lacks (UpdateEndpoint) with Flask's 500 page.
                return (
                    f"{operation}: the service at AWS_ENDPOINT_URL failed on it (HTTP {code}, a "
                    f"web page): a stand-in for AWS such as moto may not implement {operation}"
                )
            return (
                f"{operation}: the answer was not AWS's (HTTP {code}, a web page): "
                "check AWS_ENDPOINT_URL and any proxy in between"
            )
        message = message[:300]
        if code in ("ExpiredToken", "ExpiredTokenException", "InvalidClientTokenId"):
            return f"{operation}: the AWS credentials are expired or invalid ({code}): renew them"
        if code in ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation"):
            return f"{operation}: access denied ({message}): the caller needs that permission"
        return f"{operation}: {code}: {message}".strip()
    return (
        f"unexpected {type(error).__name__}: {error}".splitlines()[0][:300]
        + " (if AWS_ENDPOINT_URL is set, check that it points at AWS)"
    )
