"""The one mapping from botocore's errors: whatever shape SageMaker's error body takes."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from chalicelib import errors

ODD_RESPONSES: list[tuple[str, dict[str, Any], int]] = [
    ("message null", {"Error": {"Code": "ValidationError", "Message": None}}, 503),
    ("message a number", {"Error": {"Code": "ValidationError", "Message": 42}}, 503),
    ("message missing", {"Error": {"Code": "ThrottlingException"}}, 429),
    ("code null", {"Error": {"Code": None, "Message": "x"}}, 502),
    ("code a list", {"Error": {"Code": ["ModelError"], "Message": "x"}}, 502),
    ("no Error at all", {}, 502),
    (
        "original status as text",
        {"Error": {"Code": "ModelError"}, "OriginalStatusCode": "415"},
        422,
    ),
    ("original status null", {"Error": {"Code": "ModelError"}, "OriginalStatusCode": None}, 502),
    (
        "original status nonsense",
        {"Error": {"Code": "ModelError"}, "OriginalStatusCode": "4x"},
        502,
    ),
]


@pytest.mark.parametrize(
    ("case", "response", "status"), ODD_RESPONSES, ids=[r[0] for r in ODD_RESPONSES]
)
def test_any_error_body_maps_to_a_documented_status(
    case: str, response: dict[str, Any], status: int
) -> None:
    mapped = errors.from_botocore(ClientError(response, "InvokeEndpoint"))  # type: ignore[arg-type]
    assert mapped.status == status
    assert mapped.upstream
    assert mapped.log_detail
