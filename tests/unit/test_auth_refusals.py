"""Every 401 and 403 of the sign-in check is counted (#39): ``AuthRefusals`` by ``FunctionName``
and by ``RefusalReason``, in the request's EMF log line, for each kind of bad token the proxy
refuses (tests/unit/test_auth.py's list); nothing else is counted as a refusal."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from chalice.test import Client
from cryptography.hazmat.primitives.asymmetric import rsa

from chalicelib.signin.auth import AuthSettings, use_auth_settings
from chalicelib.signin.signing_keys import KeySet
from tests.support import StubbedSageMaker
from tests.unit.requests_to_predict import expect_invoke
from tests.unit.test_auth import AUDIENCE, ISSUER, REFUSED, SCOPE, jwk, send, token
from tests.unit.test_metrics import log_line, metrics_of

FUNCTION = ("FunctionName=local",)

# The class each of test_auth.py's refused tokens is counted under.
CLASS_OF = {
    "expired": "Expired",
    "not yet valid": "Expired",
    "wrong audience": "WrongAudienceOrIssuer",
    "no audience": "WrongAudienceOrIssuer",
    "wrong issuer": "WrongAudienceOrIssuer",
    "no expiry": "BadSignature",
    "alg none": "BadSignature",
    "HS256 keyed with the public key": "BadSignature",
    "signed by another key under the issuer's kid": "BadSignature",
    "a kid the issuer does not have": "BadSignature",
    "tampered payload": "BadSignature",
    "signature cut off": "BadSignature",
    "not a JWT": "BadSignature",
    "longer than any token": "BadSignature",
}


@pytest.fixture
def signed_in(issuer_key: rsa.RSAPrivateKey) -> Iterator[None]:
    settings = AuthSettings(mode="jwt", issuer=ISSUER, audiences=(AUDIENCE,), scopes=(SCOPE,))
    document = json.dumps({"keys": [jwk(issuer_key)]}).encode()
    use_auth_settings(settings, KeySet(settings.key_set_url, fetch=lambda url: document))
    yield
    use_auth_settings(None)


def refusals(capsys: pytest.CaptureFixture[str]) -> dict[tuple[str, ...], float] | None:
    return metrics_of(log_line(capsys)).get("AuthRefusals")


def test_every_refused_token_of_the_list_has_a_class() -> None:
    assert set(CLASS_OF) == set(REFUSED)


@pytest.mark.parametrize("case", REFUSED)
def test_each_refused_token_is_counted_by_its_class(
    case: str,
    api: Client,
    signed_in: None,
    issuer_key: Any,
    other_key: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert send(api, REFUSED[case](issuer_key, other_key)).status_code == 401
    assert refusals(capsys) == {FUNCTION: 1, (*FUNCTION, f"RefusalReason={CLASS_OF[case]}"): 1}


@pytest.mark.parametrize(
    ("authorization", "status", "reason"),
    [
        (None, 401, "Missing"),
        ("Basic dXNlcjpwYXNz", 401, "Missing"),
        ("scope", 403, "Scope"),
    ],
)
def test_no_token_and_a_missing_scope_are_counted(
    authorization: str | None,
    status: int,
    reason: str,
    api: Client,
    signed_in: None,
    issuer_key: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if authorization == "scope":
        authorization = f"Bearer {token(issuer_key, scope='openid profile')}"
    assert send(api, authorization).status_code == status
    assert refusals(capsys) == {FUNCTION: 1, (*FUNCTION, f"RefusalReason={reason}"): 1}


def test_a_good_token_and_other_errors_count_no_refusal(
    api: Client,
    sagemaker: StubbedSageMaker,
    signed_in: None,
    issuer_key: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    expect_invoke(sagemaker, b"5.1,3.5,1.4,0.2", [0.97, 0.02, 0.01])
    assert send(api, f"Bearer {token(issuer_key)}").status_code == 200
    assert refusals(capsys) is None
    # a signed-in request refused for its body: a validation rejection, not a sign-in refusal
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token(issuer_key)}"}
    assert api.http.post("/predict", headers=headers, body="{").status_code == 400
    line = metrics_of(log_line(capsys))
    assert "AuthRefusals" not in line and line["ValidationRejections"] == {FUNCTION: 1}


def test_keys_the_issuer_cannot_give_are_no_refusal(
    api: Client, issuer_key: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    def down(url: str) -> bytes:
        raise OSError("connection refused")

    settings = AuthSettings(mode="jwt", issuer=ISSUER, audiences=(AUDIENCE,))
    use_auth_settings(settings, KeySet(settings.key_set_url, fetch=down))
    try:
        assert send(api, f"Bearer {token(issuer_key)}").status_code == 503
    finally:
        use_auth_settings(None)
    assert refusals(capsys) is None
