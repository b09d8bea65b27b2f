"""Answer models: what the API returns. They are the source of the OpenAPI document."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field


class Prediction(BaseModel):
    label: str = Field(description="The most probable class.")
    probabilities: dict[str, Annotated[float, Field(ge=0.0, le=1.0)]] = Field(
        description="Probability of every class, by class label."
    )


class PredictResponse(BaseModel):
    predictions: list[Prediction] = Field(description="One prediction per record, in order.")
    variant: str | None = Field(description="The production variant that answered.")
    request_id: str = Field(description="Also in the X-Request-Id header; quote it in reports.")


class Problem(BaseModel):
    field: str = Field(
        description='Path of the offending field, such as "instances[0].sepal_width".'
    )
    reason: str


class ErrorBody(BaseModel):
    """Every error, Chalice's own included: ``Code`` and ``Message`` as Chalice writes them."""

    Code: str
    Message: str
    RequestId: str
    Errors: list[Problem] | None = Field(
        default=None,
        description="For validation errors: the first problems found, at most 20.",
        max_length=20,
    )
    ErrorCount: int | None = Field(
        default=None, ge=1, description="With Errors: how many problems there are in all."
    )


class HealthResponse(BaseModel):
    status: str
    endpoint_status: str | None = Field(default=None, description="Only with ?deep=true.")
