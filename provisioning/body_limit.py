"""The body limit a stage needs for its model: a full batch (MAX_BATCH_SIZE of the model's example
records, as a browser's JSON.stringify sends them) must fit in MAX_BODY_BYTES, which a deploy
raises when it does not, up to what the path to the model carries."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from foundation.lambda_code import predictor, settings
from foundation.lambda_code import signature as sig

# API Gateway REST APIs take payloads of at most 10 MB (Amazon API Gateway quotas, "API Gateway
# quotas for configuring and running a REST API": payload size 10 MB).
API_GATEWAY_PAYLOAD_BYTES = 10 * 1024 * 1024
# InvokeEndpoint's Body: at most 6,291,456 bytes (botocore's sagemaker-runtime service model,
# the proxy's own check), 4 MB on serverless endpoints (DESIGN.md, "Facts to design around").
INVOKE_PAYLOAD_BYTES = predictor.MAX_INVOKE_PAYLOAD_BYTES
SERVERLESS_INVOKE_PAYLOAD_BYTES = 4 * 1024 * 1024


def batch_body_bytes(signature: sig.Signature, records: int) -> int | None:
    """The bytes of a batch of ``records`` of the signature's examples (repeated in turn), sent
    compact; None when the signature has no examples."""
    examples = [example["record"] for example in signature.examples]
    if not examples:
        return None
    batch = [examples[index % len(examples)] for index in range(records)]
    return len(json.dumps({sig.BATCH_KEY: batch}, separators=(",", ":")).encode())


def stage_number(variables: Mapping[str, str], name: str, default: int) -> int:
    """A whole-number stage variable, or its default when unset; ValueError in one line."""
    raw = variables.get(name)
    if raw is None or raw == "":
        return default
    if not raw.strip().isdigit() or int(raw) <= 0:
        raise ValueError(f"{name}={raw!r} is not a positive whole number")
    return int(raw)


@dataclass(frozen=True)
class BodyLimit:
    """The stage's MAX_BODY_BYTES before the deploy and after, and why."""

    current: int
    value: int
    # What a full batch needs (None: no examples to measure), and how many records that is.
    needed: int | None
    batch_size: int
    ceiling: int
    ceiling_reason: str
    # How many records fit in the ceiling, when a full batch does not.
    fits: int | None = None

    @property
    def raised(self) -> bool:
        return self.value > self.current

    def note(self) -> str | None:
        """What the deploy does to MAX_BODY_BYTES, in one line; None when the limit holds."""
        if self.needed is None or self.needed <= self.current:
            return None
        said = (
            f"{settings.MAX_BODY_BYTES} {self.current} -> {self.value}"
            if self.raised
            else f"{settings.MAX_BODY_BYTES} stays {self.current}"
        )
        said += f": a full batch of {self.batch_size} records needs {self.needed} bytes"
        if self.fits is not None:
            said += (
                f", more than {self.ceiling_reason} ({self.ceiling} bytes): batches of at most "
                f"{self.fits} records fit; set {settings.MAX_BATCH_SIZE} to {self.fits}"
            )
        return said


def body_limit(
    signature: sig.Signature, variables: Mapping[str, str], serverless: bool
) -> BodyLimit:
    """The stage's limit for this model: raised to what a full batch needs, never above the
    smaller of API Gateway's payload limit and the endpoint's invoke limit, never lowered."""
    defaults = settings.Settings(endpoint_name="")
    current = stage_number(variables, settings.MAX_BODY_BYTES, defaults.max_body_bytes)
    batch_size = stage_number(variables, settings.MAX_BATCH_SIZE, defaults.max_batch_size)
    invoke, invoke_reason = (
        (SERVERLESS_INVOKE_PAYLOAD_BYTES, "a serverless endpoint's invoke limit")
        if serverless
        else (INVOKE_PAYLOAD_BYTES, "the endpoint's invoke limit")
    )
    ceiling, reason = min(
        (invoke, invoke_reason), (API_GATEWAY_PAYLOAD_BYTES, "API Gateway's payload limit")
    )
    needed = batch_body_bytes(signature, batch_size)
    if needed is None or needed <= current:
        return BodyLimit(current, current, needed, batch_size, ceiling, reason)
    fits = most_records_within(signature, ceiling, batch_size) if needed > ceiling else None
    return BodyLimit(
        current, max(current, min(needed, ceiling)), needed, batch_size, ceiling, reason, fits
    )


def most_records_within(signature: sig.Signature, limit: int, below: int) -> int:
    """The largest batch, fewer than ``below`` records, whose body fits in ``limit`` (a batch's
    bytes grow with its records: a binary search)."""
    low, high = 0, below - 1
    while low < high:
        middle = (low + high + 1) // 2
        if (batch_body_bytes(signature, middle) or 0) <= limit:
            low = middle
        else:
            high = middle - 1
    return low
