"""GET /health, and with ?deep=true the DescribeEndpoint check."""

from __future__ import annotations

import datetime

import botocore.session
import pytest
from chalice.test import Client

from tests.support import ENDPOINT_NAME, StubbedSageMaker


def describe_answer(status: str) -> dict[str, object]:
    now = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    return {
        "EndpointName": ENDPOINT_NAME,
        "EndpointArn": f"arn:aws:sagemaker:us-east-1:123456789012:endpoint/{ENDPOINT_NAME}",
        "EndpointStatus": status,
        "CreationTime": now,
        "LastModifiedTime": now,
    }


def test_shallow_health_calls_nothing(api: Client, sagemaker: StubbedSageMaker) -> None:
    response = api.http.get("/health")
    assert response.status_code == 200
    assert response.json_body == {"status": "ok"}
    assert sagemaker.calls == []


def test_deep_health_is_ok_when_in_service(api: Client, sagemaker: StubbedSageMaker) -> None:
    sagemaker.control.add_response(
        "describe_endpoint", describe_answer("InService"), {"EndpointName": ENDPOINT_NAME}
    )
    response = api.http.get("/health?deep=true")
    assert response.status_code == 200
    assert response.json_body["endpoint_status"] == "InService"
    assert "arn:" not in response.body.decode()


def endpoint_statuses() -> list[str]:
    """Every EndpointStatus in botocore's sagemaker service model: a new one fails the test
    below until it is sorted into serving or not."""
    model = botocore.session.get_session().get_service_model("sagemaker")
    return list(model.shape_for("EndpointStatus").enum)


# While these, SageMaker routes traffic to a fleet (DESIGN.md, EndpointStatus).
SERVING = {"InService", "Updating", "SystemUpdating", "RollingBack", "UpdateRollbackFailed"}
NOT_SERVING = {"Creating", "Failed", "OutOfService", "Deleting"}


def test_every_status_is_sorted_into_serving_or_not() -> None:
    assert set(endpoint_statuses()) == SERVING | NOT_SERVING


@pytest.mark.parametrize("status", endpoint_statuses())
def test_deep_health_is_200_exactly_while_the_endpoint_serves(
    api: Client, sagemaker: StubbedSageMaker, status: str
) -> None:
    sagemaker.control.add_response(
        "describe_endpoint", describe_answer(status), {"EndpointName": ENDPOINT_NAME}
    )
    response = api.http.get("/health?deep=true")
    if status in SERVING:
        assert response.status_code == 200
        assert response.json_body == {"status": "ok", "endpoint_status": status}
    else:
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "30"


def test_deep_health_for_a_missing_endpoint_is_503_without_the_arn(
    api: Client, sagemaker: StubbedSageMaker
) -> None:
    sagemaker.control.add_client_error(
        "describe_endpoint",
        service_error_code="ValidationException",
        service_message='Could not find endpoint "arn:aws:sagemaker:us-east-1:123456789012:endpoint/x".',
        http_status_code=400,
    )
    response = api.http.get("/health?deep=true")
    assert response.status_code == 503
    assert "123456789012" not in response.body.decode()


@pytest.mark.parametrize("flag", ["yes", "1", "TRUE", ""])
def test_deep_flag_other_than_true_or_false_is_400(
    api: Client, sagemaker: StubbedSageMaker, flag: str
) -> None:
    response = api.http.get(f"/health?deep={flag}")
    assert response.status_code == 400
    assert response.json_body["Errors"] == [
        {"field": "deep", "reason": "Input should be 'true' or 'false'"}
    ]
    assert sagemaker.calls == []
