"""Configuration from environment variables, set per stage in ``.chalice/config.json``."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from chalicelib.cors import allowed_origins
from chalicelib.errors import EndpointUnavailable

Number = TypeVar("Number", int, float)

ENDPOINT_NAME = "SAGEMAKER_ENDPOINT_NAME"
TARGET_VARIANT = "SAGEMAKER_TARGET_VARIANT"
# The endpoint's region, written by scripts.deploy_endpoint; unset, the Lambda's own region.
REGION = "SAGEMAKER_REGION"
CONNECT_TIMEOUT = "SAGEMAKER_CONNECT_TIMEOUT_SECONDS"
READ_TIMEOUT = "SAGEMAKER_READ_TIMEOUT_SECONDS"
MAX_ATTEMPTS = "SAGEMAKER_MAX_ATTEMPTS"
MAX_BATCH_SIZE = "MAX_BATCH_SIZE"
MAX_BODY_BYTES = "MAX_BODY_BYTES"
METRICS_NAMESPACE = "METRICS_NAMESPACE"
# The model's signature: a file in chalicelib/signatures/ (what the Lambda ships), or a path.
MODEL_SIGNATURE = "MODEL_SIGNATURE"
SIGNATURES_DIR = Path(__file__).with_name("signatures")
# The example model's: what a fresh clone serves.
DEFAULT_SIGNATURE = "iris.json"
# Set by Lambda itself; `chalice local` and the tests leave it unset.
FUNCTION_NAME = "AWS_LAMBDA_FUNCTION_NAME"
# Stages that sign in (chalicelib/signin/auth.py): how old the issuer's keys may be before they are
# fetched again, and how old they may still check tokens while the issuer cannot be reached.
KEYS_MAX_AGE = "AUTH_KEYS_MAX_AGE_SECONDS"
KEYS_HARD_LIMIT = "AUTH_KEYS_HARD_LIMIT_SECONDS"
# 10 minutes, the default of jose's createRemoteJWKSet (cacheMaxAge) for the same job: a removed
# key is refused within 10 minutes, for one key fetch per warm Lambda every 10 minutes. One hour
# (a Cognito token's default lifetime) rides out an issuer's outage before failing closed.
DEFAULT_KEYS_MAX_AGE_SECONDS = 600.0
DEFAULT_KEYS_HARD_LIMIT_SECONDS = 3600.0

# API Gateway REST APIs answer 504 after this; the proxy must answer first.
API_GATEWAY_TIMEOUT_SECONDS = 29.0
# botocore's standard retry mode sleeps up to min(20, 2 ** (attempt - 1)) s between attempts.
MAX_BACKOFF_SECONDS = 20.0


class ConfigurationError(Exception):
    """A stage variable is missing or malformed: the deployment, not the client, is at fault."""


@dataclass(frozen=True)
class Settings:
    endpoint_name: str
    target_variant: str | None = None
    region: str | None = None
    connect_timeout: float = 2.0
    read_timeout: float = 8.0
    max_attempts: int = 2
    max_batch_size: int = 100
    max_body_bytes: int = 64 * 1024
    # Origins browsers may call from; none: no CORS headers at all.
    cors_allow_origins: tuple[str, ...] = ()
    metrics_namespace: str = "SageMakerProxy"
    function_name: str = "local"
    signature: str = DEFAULT_SIGNATURE

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read the stage's variables; unset ones take the defaults above."""
        # Looked up at call time: Chalice's test client swaps os.environ for each request.
        environ = os.environ if environ is None else environ
        defaults = cls(endpoint_name="")
        settings = cls(
            endpoint_name=environ.get(ENDPOINT_NAME, ""),
            target_variant=environ.get(TARGET_VARIANT) or None,
            region=environ.get(REGION) or None,
            connect_timeout=_number(environ, CONNECT_TIMEOUT, defaults.connect_timeout, float),
            read_timeout=_number(environ, READ_TIMEOUT, defaults.read_timeout, float),
            max_attempts=_number(environ, MAX_ATTEMPTS, defaults.max_attempts, int),
            max_batch_size=_number(environ, MAX_BATCH_SIZE, defaults.max_batch_size, int),
            max_body_bytes=_number(environ, MAX_BODY_BYTES, defaults.max_body_bytes, int),
            cors_allow_origins=_origins(environ),
            metrics_namespace=environ.get(METRICS_NAMESPACE) or defaults.metrics_namespace,
            function_name=environ.get(FUNCTION_NAME) or defaults.function_name,
            signature=environ.get(MODEL_SIGNATURE) or defaults.signature,
        )
        if settings.worst_case_seconds() >= API_GATEWAY_TIMEOUT_SECONDS:
            raise ConfigurationError(
                f"worst case upstream time {settings.worst_case_seconds():.0f} s is not "
                f"inside API Gateway's {API_GATEWAY_TIMEOUT_SECONDS:.0f} s"
            )
        if not settings.endpoint_name:
            raise ConfigurationError(f"{ENDPOINT_NAME} is not set")
        return settings

    @property
    def signature_path(self) -> Path:
        """``MODEL_SIGNATURE`` as a path: relative ones are in chalicelib/signatures/."""
        return SIGNATURES_DIR / self.signature

    def worst_case_seconds(self) -> float:
        """Longest one InvokeEndpoint call can take, every attempt timing out, backoff included."""
        per_attempt = self.connect_timeout + self.read_timeout
        backoff = sum(min(MAX_BACKOFF_SECONDS, 2.0 ** (n - 1)) for n in range(1, self.max_attempts))
        return self.max_attempts * per_attempt + backoff


def key_cache_ages(environ: Mapping[str, str]) -> tuple[float, float]:
    """``AUTH_KEYS_MAX_AGE_SECONDS`` and ``AUTH_KEYS_HARD_LIMIT_SECONDS``; ConfigurationError
    unless both are positive and the hard limit is at least the maximum age."""
    max_age = _number(environ, KEYS_MAX_AGE, DEFAULT_KEYS_MAX_AGE_SECONDS, float)
    hard_limit = _number(environ, KEYS_HARD_LIMIT, DEFAULT_KEYS_HARD_LIMIT_SECONDS, float)
    if hard_limit < max_age:
        raise ConfigurationError(f"{KEYS_HARD_LIMIT} must be at least {KEYS_MAX_AGE}")
    return max_age, hard_limit


def _origins(environ: Mapping[str, str]) -> tuple[str, ...]:
    try:
        return allowed_origins(environ)
    except ValueError as error:
        raise ConfigurationError(str(error)) from None


def _number(
    environ: Mapping[str, str], name: str, default: Number, kind: Callable[[str], Number]
) -> Number:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise ConfigurationError(f"{name}={raw!r} is not a number of the expected kind") from None
    # NaN compares false with everything, and "inf" parses: neither bounds anything.
    if not (math.isfinite(value) and value > 0):
        raise ConfigurationError(f"{name} must be a positive finite number")
    return value


_current: Settings | None = None


def get_settings() -> Settings:
    """The stage's settings, read once per process. A stage that cannot be read is a deployment
    fault: 503 with the reason in the log, never a 500."""
    global _current
    if _current is None:
        try:
            _current = Settings.from_environ()
        except ConfigurationError as error:
            raise EndpointUnavailable(log_detail=f"configuration: {error}") from None
    return _current


def use_settings(settings: Settings | None) -> None:
    """Use these settings from now on (None: read the environment again on next use)."""
    global _current
    _current = settings
