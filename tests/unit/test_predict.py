"""POST /predict through Chalice's test client: what reaches SageMaker, and what never does."""

from __future__ import annotations

import json
from typing import Any

import pytest
from chalice.test import Client

from chalicelib import clients
from chalicelib.settings import Settings, use_settings
from tests.support import ENDPOINT_NAME, LOCAL_STAGE_ORIGIN, StubbedSageMaker
from tests.unit.requests_to_predict import SETOSA, VIRGINICA, expect_invoke, post


def test_one_record_is_sent_as_csv_and_labelled(api: Client, sagemaker: StubbedSageMaker) -> None:
    # Given the endpoint answers setosa for the record sent as one CSV row
    expect_invoke(sagemaker, b"5.1,3.5,1.4,0.2", [0.97, 0.02, 0.01])
    # When a client posts one record
    response = post(api, SETOSA)
    # Then it gets the label and every class's probability, and a request id to trace it
    assert response.status_code == 200
    body = response.json_body
    assert body["predictions"] == [
        {
            "label": "setosa",
            "probabilities": {"setosa": 0.97, "versicolor": 0.02, "virginica": 0.01},
        }
    ]
    assert body["variant"] == "AllTraffic"
    assert body["request_id"] == response.headers["X-Request-Id"]


def test_batch_keeps_order_and_uses_training_feature_order(
    api: Client, sagemaker: StubbedSageMaker
) -> None:
    # Given keys in another order than training, and integers where floats are expected
    shuffled = {"petal_width": 2, "sepal_length": 7, "petal_length": 5, "sepal_width": 3}
    expect_invoke(
        sagemaker,
        b"5.1,3.5,1.4,0.2\n7.0,3.0,5.0,2.0\n6.7,3.0,5.2,2.3",
        [0.9, 0.05, 0.05],
        [0.1, 0.2, 0.7],
        [0.0, 0.4, 0.6],
    )
    response = post(api, {"instances": [SETOSA, shuffled, VIRGINICA]})
    assert response.status_code == 200
    labels = [prediction["label"] for prediction in response.json_body["predictions"]]
    assert labels == ["setosa", "virginica", "virginica"]


def test_missing_content_type_is_read_as_json(api: Client, sagemaker: StubbedSageMaker) -> None:
    # As Chalice (and API Gateway's proxy integration) do: no Content-Type means JSON.
    expect_invoke(sagemaker, b"5.1,3.5,1.4,0.2", [0.97, 0.02, 0.01])
    response = api.http.post("/predict", headers={}, body=json.dumps(SETOSA))
    assert response.status_code == 200
    assert response.json_body["predictions"][0]["label"] == "setosa"


def test_charset_in_content_type_is_still_json(api: Client, sagemaker: StubbedSageMaker) -> None:
    expect_invoke(sagemaker, b"5.1,3.5,1.4,0.2", [0.97, 0.02, 0.01])
    response = post(api, SETOSA, {"Content-Type": "application/json; charset=utf-8"})
    assert response.status_code == 200


def _with(**changes: Any) -> dict[str, Any]:
    return {**SETOSA, **changes}


def _without(name: str) -> dict[str, Any]:
    return {key: value for key, value in SETOSA.items() if key != name}


BAD_INPUTS = [
    # (case, raw body, expected field in the problems or None)
    ("not json", b"{not json", "body"),
    ("truncated json", json.dumps(SETOSA)[:-5], "body"),
    ("empty body", b"", "body"),
    ("top-level array", "[1, 2, 3]", "body"),
    ("top-level scalar", "42", "body"),
    ("number as string", _with(sepal_length="5.1"), "sepal_length"),
    ("boolean", _with(sepal_width=True), "sepal_width"),
    ("null", _with(petal_length=None), "petal_length"),
    ("NaN literal", json.dumps(SETOSA).replace("1.4", "NaN"), "petal_length"),
    ("Infinity literal", json.dumps(SETOSA).replace("0.2", "Infinity"), "petal_width"),
    ("huge number", json.dumps(SETOSA).replace("5.1", "1e400"), "sepal_length"),
    ("zero length", _with(sepal_length=0), "sepal_length"),
    ("negative", _with(sepal_width=-1.5), "sepal_width"),
    ("implausibly large", _with(petal_width=250), "petal_width"),
    ("missing feature", _without("petal_width"), "petal_width"),
    ("unknown field", _with(colour="blue"), "colour"),
    ("empty batch", {"instances": []}, "instances"),
    ("batch of non-objects", {"instances": [1]}, "instances[0]"),
    (
        "bad record in batch",
        {"instances": [SETOSA, _with(sepal_length="x")]},
        "instances[1].sepal_length",
    ),
    ("batch over the maximum", {"instances": [SETOSA] * 101}, "instances"),
    ("batch with extra key", {"instances": [SETOSA], "extra": 1}, "extra"),
    ("deep nesting inside the size limit", b"[" * 30_000 + b"]" * 30_000, "body"),
    ("deep nesting in a batch", b'{"instances": ' + b"[" * 20_000 + b"]" * 20_000 + b"}", "body"),
    ("invalid UTF-8", b'{"sepal_length": 5.1, "sepal_width": "\xff\xfe"}', "body"),
    ("bytes that are not text", b"\xff\xfe\xfd", "body"),
]


@pytest.mark.parametrize(("case", "body", "field"), BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_is_400_with_field_and_reason_and_nothing_goes_upstream(
    api: Client, sagemaker: StubbedSageMaker, case: str, body: Any, field: str
) -> None:
    response = post(api, body)
    assert response.status_code == 400, response.body
    error = response.json_body
    assert error["Code"] == "BadRequestError"
    assert error["RequestId"] == response.headers["X-Request-Id"]
    assert field in [problem["field"] for problem in error["Errors"]]
    assert all(problem["reason"] for problem in error["Errors"])
    # The rejected values are never echoed back (the request id is random, so left out).
    error_text = error["Message"] + json.dumps(error["Errors"])
    for rejected in ("blue", "250", "1e400", "-1.5"):
        assert rejected not in error_text
    assert sagemaker.calls == []


def test_body_over_the_limit_is_413_before_parsing(
    api: Client, sagemaker: StubbedSageMaker
) -> None:
    response = post(api, " " * (64 * 1024 + 1))
    assert response.status_code == 413
    assert response.json_body["Code"] == "PayloadTooLargeError"
    assert sagemaker.calls == []
    # The answer says the limit and the stage setting that raises it (#33)
    from chalicelib import errors, settings

    assert errors.BODY_LIMIT_SETTING == settings.MAX_BODY_BYTES
    assert response.json_body["Message"] == (
        "The request body is larger than 65536 bytes, this stage's limit; its MAX_BODY_BYTES "
        "setting raises it."
    )


HUNDRED_THOUSAND_LEVELS = b"[" * 100_000 + b"]" * 100_000


def test_100_000_levels_of_nesting_are_413_at_the_default_limit(
    api: Client, sagemaker: StubbedSageMaker
) -> None:
    response = post(api, HUNDRED_THOUSAND_LEVELS)
    assert response.status_code == 413
    assert sagemaker.calls == []


def test_100_000_levels_of_nesting_are_a_clean_400_when_the_limit_allows_them(
    api: Client, sagemaker: StubbedSageMaker
) -> None:
    # Given a stage whose body limit lets 200 KB through
    use_settings(Settings(endpoint_name=ENDPOINT_NAME, max_body_bytes=300_000))
    # When 100,000 nested arrays arrive (json.loads would raise RecursionError here)
    response = post(api, HUNDRED_THOUSAND_LEVELS)
    # Then the parser's depth limit answers, not a crash
    assert response.status_code == 400
    assert response.json_body["Errors"][0]["field"] == "body"
    assert sagemaker.calls == []


NOT_JSON = [
    "text/plain",
    "text/csv",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    # Chalice's own check lets these through (it splits on , and ; and accepts */*); a browser
    # sends text/plain cross-origin without a preflight.
    "text/plain;application/json",
    "text/plain, application/json",
    "application/json, text/plain",
    "*/*",
    "application/*",
    "text/plain; charset=application/json",
    # Near misses and malformed headers.
    "application/jsonp",
    "application/json-patch+json",
    "text/json",
    "application/ json",
    "application/json; charset",
    "application/json; charset=latin-1",
    "application/json; charset=utf-16",
    "",
    ";",
]


@pytest.mark.parametrize("content_type", NOT_JSON)
def test_anything_but_json_is_415_before_any_upstream_call(
    api: Client, sagemaker: StubbedSageMaker, content_type: str
) -> None:
    response = post(api, SETOSA, {"Content-Type": content_type, "Origin": LOCAL_STAGE_ORIGIN})
    assert response.status_code == 415
    assert response.json_body["Code"] == "UnsupportedMediaType"
    assert response.json_body["RequestId"] == response.headers["X-Request-Id"]
    assert response.headers["Access-Control-Allow-Origin"] == LOCAL_STAGE_ORIGIN
    assert sagemaker.calls == []


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "APPLICATION/JSON",
        "application/json;",
        "application/json; charset=UTF-8",
        'application/json ; charset="utf-8"',
        "application/json; version=1; charset=utf-8",
    ],
)
def test_json_with_any_parameters_is_accepted(
    api: Client, sagemaker: StubbedSageMaker, content_type: str
) -> None:
    expect_invoke(sagemaker, b"5.1,3.5,1.4,0.2", [0.97, 0.02, 0.01])
    assert post(api, SETOSA, {"Content-Type": content_type}).status_code == 200


def test_thousands_of_problems_list_the_first_20_and_the_total(
    api: Client, sagemaker: StubbedSageMaker
) -> None:
    # Given a 64 KB body of unknown keys (6,504 problems were once all listed: 389 KB)
    body = "{" + ",".join(f'"k{n}":1' for n in range(6_500)) + "}"
    assert len(body) <= 64 * 1024
    response = post(api, body)
    assert response.status_code == 400
    error = response.json_body
    assert len(error["Errors"]) == 20
    assert error["ErrorCount"] == 6_504  # the 6,500 unknown keys and the 4 missing features
    assert str(error["ErrorCount"]) in error["Message"]
    # Then the answer is never much larger than the request
    assert len(response.body) < len(body) and len(response.body) < 4_000
    assert sagemaker.calls == []


def test_duplicate_keys_take_the_last_value_like_browsers_do(
    api: Client, sagemaker: StubbedSageMaker
) -> None:
    # JSON.parse and pydantic agree: the last duplicate wins, so what is sent upstream is unambiguous.
    expect_invoke(sagemaker, b"6.0,3.5,1.4,0.2", [0.97, 0.02, 0.01])
    body = json.dumps(SETOSA)[:-1] + ', "sepal_length": 6.0}'
    assert post(api, body).status_code == 200


def test_batch_whose_csv_exceeds_sagemakers_6_mb_is_413_before_calling(
    sagemaker: StubbedSageMaker,
) -> None:
    from chalicelib.errors import PayloadTooLarge

    # Given a batch limit far above the default, each row 76 bytes of CSV: 6.8 MB
    rows = [[1.0 / 3, 2.0 / 3, 4.0 / 3, 5.0 / 3]] * 90_000
    with pytest.raises(PayloadTooLarge):
        clients.get_predictor().predict(rows)
    assert sagemaker.calls == []
