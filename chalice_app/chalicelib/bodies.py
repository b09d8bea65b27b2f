"""The API's answers as plain dicts, typed: built at the speed of dicts (validating our own answer
again doubled the proxy's time on large batches, docs/benchmarks.md), with no pydantic import
(a cold start pays for every import). mypy holds the code that builds them to these, and a test
holds these to the models in ``responses``, which the OpenAPI document is made from."""

from __future__ import annotations

from typing import TypedDict


class PredictionBody(TypedDict, total=False):
    # Which keys a prediction has depends on the model's objective (chalicelib.answers).
    label: str
    probabilities: dict[str, float]
    score: float
    value: float
    # A model of several outputs: each by its quantile level, or by its target's name.
    quantiles: dict[str, float]
    values: dict[str, float]


class PredictResponseBody(TypedDict):
    predictions: list[PredictionBody]
    variant: str | None
    request_id: str


class _HealthStatus(TypedDict):
    status: str


class HealthBody(_HealthStatus, total=False):
    # total=False rather than NotRequired: with postponed annotations Python 3.11 would miss it.
    endpoint_status: str
