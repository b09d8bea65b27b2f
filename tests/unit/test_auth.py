"""Sign-in: every token the proxy must refuse gets 401 (403 for a missing scope) in the error
shape, with WWW-Authenticate and CORS, before anything reaches SageMaker; a good token gets the
prediction. Tokens are signed here with real RSA keys (cryptography), checked by the Lambda's
own code (PyJWT with chalicelib/signin/rs256.py)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from chalice.app import CognitoUserPoolAuthorizer, IAMAuthorizer
from chalice.test import Client
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from chalicelib.settings import ConfigurationError
from chalicelib.signin import auth
from chalicelib.signin.auth import AuthSettings, gateway_authorizer, use_auth_settings
from chalicelib.signin.rs256 import RsaPublicKey, verify_pkcs1v15_sha256
from chalicelib.signin.signing_keys import KeySet, KeysUnavailable, parse_key_set
from tests.support import LOCAL_STAGE_ORIGIN, StubbedSageMaker
from tests.unit.requests_to_predict import SETOSA, expect_invoke, post

ISSUER = "https://issuer.example.com"
AUDIENCE = "api://sagemaker-proxy"
SCOPE = "predict"
KID = "key-1"


def _b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwk(key: rsa.RSAPrivateKey, kid: str = KID) -> dict[str, str]:
    numbers = key.public_key().public_numbers()
    return {
        "kty": "RSA",
        "use": "sig",
        "alg": "RS256",
        "kid": kid,
        "n": _b64(numbers.n),
        "e": _b64(numbers.e),
    }


def claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "user-1",
        "scope": SCOPE,
        "iat": now,
        "exp": now + 300,
    }
    base.update(changes)
    return {name: value for name, value in base.items() if value is not None}


def token(key: Any, algorithm: str = "RS256", kid: str | None = KID, **changes: Any) -> str:
    headers = {"kid": kid} if kid else {}
    return jwt.encode(claims(**changes), key, algorithm=algorithm, headers=headers)


@pytest.fixture
def fetches() -> list[str]:
    return []


@pytest.fixture
def signed_in(issuer_key: rsa.RSAPrivateKey, fetches: list[str]) -> Iterator[AuthSettings]:
    """The stage checks tokens of ISSUER for AUDIENCE with scope SCOPE; its JWKS is served
    from memory, each fetch counted."""
    settings = AuthSettings(mode="jwt", issuer=ISSUER, audiences=(AUDIENCE,), scopes=(SCOPE,))
    document = json.dumps({"keys": [jwk(issuer_key)]}).encode()

    def fetch(url: str) -> bytes:
        fetches.append(url)
        return document

    use_auth_settings(settings, KeySet(settings.key_set_url, fetch=fetch))
    yield settings
    use_auth_settings(None)


def send(api: Client, authorization: str | None) -> Any:
    headers = {"Content-Type": "application/json", "Origin": LOCAL_STAGE_ORIGIN}
    if authorization is not None:
        headers["Authorization"] = authorization
    return post(api, SETOSA, headers)


def test_a_good_token_gets_the_prediction(
    api: Client, sagemaker: StubbedSageMaker, signed_in: AuthSettings, issuer_key: Any
) -> None:
    expect_invoke(sagemaker, b"5.1,3.5,1.4,0.2", [0.97, 0.02, 0.01])
    response = send(api, f"Bearer {token(issuer_key)}")
    assert response.status_code == 200, response.body
    assert response.json_body["predictions"][0]["label"] == "setosa"


def _tampered(key: Any) -> str:
    header, _, signature = token(key).split(".")
    forged = base64.urlsafe_b64encode(json.dumps(claims(sub="admin")).encode()).rstrip(b"=")
    return f"{header}.{forged.decode()}.{signature}"


def _segment(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _hs256_with_public_key(key: rsa.RSAPrivateKey) -> str:
    """The algorithm-confusion forgery: HMAC keyed with the issuer's public key, which anyone
    has (PyJWT will not make one, so it is made by hand)."""
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signing_input = ".".join(
        _segment(json.dumps(part).encode())
        for part in ({"alg": "HS256", "typ": "JWT", "kid": KID}, claims())
    )
    mac = hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_segment(mac)}"


# Each builds an Authorization header from the issuer's key and another key.
REFUSED: dict[str, Any] = {
    "expired": lambda key, other: f"Bearer {token(key, exp=int(time.time()) - 120)}",
    "not yet valid": lambda key, other: f"Bearer {token(key, nbf=int(time.time()) + 600)}",
    "wrong audience": lambda key, other: f"Bearer {token(key, aud='someone-else')}",
    "no audience": lambda key, other: f"Bearer {token(key, aud=None)}",
    "wrong issuer": lambda key, other: f"Bearer {token(key, iss='https://evil.example.com')}",
    "no expiry": lambda key, other: f"Bearer {token(key, exp=None)}",
    "alg none": lambda key, other: f"Bearer {token(None, algorithm='none')}",
    "HS256 keyed with the public key": lambda key, other: f"Bearer {_hs256_with_public_key(key)}",
    "signed by another key under the issuer's kid": lambda key, other: f"Bearer {token(other)}",
    "a kid the issuer does not have": lambda key, other: f"Bearer {token(key, kid='key-9')}",
    "tampered payload": lambda key, other: f"Bearer {_tampered(key)}",
    "signature cut off": lambda key, other: "Bearer " + token(key).rsplit(".", 1)[0] + ".",
    "not a JWT": lambda key, other: "Bearer not-a-token",
    "longer than any token": lambda key, other: "Bearer " + "a" * 9000,
}


@pytest.mark.parametrize("case", REFUSED)
def test_a_bad_token_is_refused_with_401_before_sagemaker(
    case: str,
    api: Client,
    sagemaker: StubbedSageMaker,
    signed_in: AuthSettings,
    issuer_key: Any,
    other_key: Any,
) -> None:
    header = REFUSED[case](issuer_key, other_key)
    response = send(api, header)
    assert response.status_code == 401, (case, response.body)
    assert (
        response.headers["WWW-Authenticate"]
        == 'Bearer realm="sagemaker-proxy", error="invalid_token"'
    )
    assert response.json_body["Code"] == "UnauthorizedError"
    assert set(response.json_body) == {"Code", "Message", "RequestId"}
    # Nothing about the token goes back: not its claims, not why it failed.
    for word in ("expired", "audience", "issuer", "signature", "kid", "user-1", AUDIENCE):
        assert word not in response.body.decode().lower().replace("requestid", ""), word
    assert response.headers["Access-Control-Allow-Origin"] == LOCAL_STAGE_ORIGIN
    assert "WWW-Authenticate" in response.headers["Access-Control-Expose-Headers"]
    assert sagemaker.calls == []


@pytest.mark.parametrize("header", [None, "", "Basic dXNlcjpwYXNz", "Bearer", "Bearer   "])
def test_no_token_is_401_with_a_bare_challenge(
    header: str | None, api: Client, sagemaker: StubbedSageMaker, signed_in: AuthSettings
) -> None:
    response = send(api, header)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="sagemaker-proxy"'
    assert sagemaker.calls == []


def test_a_token_without_the_scope_is_403(
    api: Client, sagemaker: StubbedSageMaker, signed_in: AuthSettings, issuer_key: Any
) -> None:
    response = send(api, f"Bearer {token(issuer_key, scope='openid profile')}")
    assert response.status_code == 403
    assert response.json_body["Code"] == "ForbiddenError"
    assert response.headers["WWW-Authenticate"] == (
        'Bearer realm="sagemaker-proxy", error="insufficient_scope", scope="predict"'
    )
    assert sagemaker.calls == []


@pytest.mark.parametrize(
    "granted",
    [{"scope": "openid predict"}, {"scp": ["predict"]}, {"scope": None, "scp": "predict"}],
)
def test_scopes_are_read_as_cognito_okta_and_entra_write_them(
    granted: dict[str, Any],
    api: Client,
    sagemaker: StubbedSageMaker,
    signed_in: AuthSettings,
    issuer_key: Any,
) -> None:
    expect_invoke(sagemaker, b"5.1,3.5,1.4,0.2", [0.97, 0.02, 0.01])
    assert send(api, f"Bearer {token(issuer_key, **granted)}").status_code == 200


def test_a_cognito_access_token_is_matched_by_client_id(
    api: Client, sagemaker: StubbedSageMaker, signed_in: AuthSettings, issuer_key: Any
) -> None:
    # Cognito's access tokens carry client_id and no aud (Cognito developer guide).
    expect_invoke(sagemaker, b"5.1,3.5,1.4,0.2", [0.97, 0.02, 0.01])
    good = token(issuer_key, aud=None, client_id=AUDIENCE, token_use="access")
    assert send(api, f"Bearer {good}").status_code == 200
    other = token(issuer_key, aud=None, client_id="another-app")
    assert send(api, f"Bearer {other}").status_code == 401


def test_every_route_but_the_preflights_asks_for_the_token(
    api: Client, sagemaker: StubbedSageMaker, signed_in: AuthSettings
) -> None:
    for path in ("/health", "/health?deep=true", "/openapi.json"):
        assert api.http.get(path).status_code == 401, path
    for path in ("/predict", "/health", "/openapi.json"):
        preflight = api.http.options(
            path,
            headers={"Origin": LOCAL_STAGE_ORIGIN, "Access-Control-Request-Method": "GET"},
        )
        assert preflight.status_code == 204, path
        assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]


def test_a_signed_in_stage_documents_the_token_in_its_openapi(
    api: Client, signed_in: AuthSettings, issuer_key: Any
) -> None:
    document = api.http.get(
        "/openapi.json", headers={"Authorization": f"Bearer {token(issuer_key)}"}
    )
    assert document.json_body["security"] == [{"bearer": []}]


def test_unknown_kids_do_not_make_the_proxy_call_the_issuer_each_time(
    api: Client, signed_in: AuthSettings, issuer_key: Any, fetches: list[str]
) -> None:
    for n in range(5):
        assert send(api, f"Bearer {token(issuer_key, kid=f'made-up-{n}')}").status_code == 401
    assert len(fetches) == 1


def test_keys_the_issuer_cannot_give_are_503_with_retry_after(
    api: Client, sagemaker: StubbedSageMaker, issuer_key: Any
) -> None:
    def down(url: str) -> bytes:
        raise OSError("connection refused")

    settings = AuthSettings(mode="jwt", issuer=ISSUER, audiences=(AUDIENCE,))
    use_auth_settings(settings, KeySet(settings.key_set_url, fetch=down))
    try:
        response = send(api, f"Bearer {token(issuer_key)}")
    finally:
        use_auth_settings(None)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert "refused" not in response.body.decode()


@pytest.mark.parametrize(
    "variables, reason",
    [
        ({"AUTH_MODE": "jwt"}, "AUTH_ISSUER"),
        ({"AUTH_MODE": "jwt", "AUTH_ISSUER": ISSUER}, "AUTH_AUDIENCE"),
        (
            {"AUTH_MODE": "jwt", "AUTH_ISSUER": "http://issuer.example.com", "AUTH_AUDIENCE": "a"},
            "https",
        ),
        ({"AUTH_MODE": "cognito", "AUTH_AUDIENCE": "a"}, "AUTH_COGNITO_USER_POOL_ARN"),
        ({"AUTH_MODE": "oauth"}, "one of"),
    ],
)
def test_a_stage_that_asks_for_sign_in_never_runs_without_it(
    variables: dict[str, str],
    reason: str,
    api: Client,
    sagemaker: StubbedSageMaker,
    monkeypatch: Any,
) -> None:
    with pytest.raises(ConfigurationError, match=reason):
        AuthSettings.from_environ(variables)
    # And served anyway, it refuses every request (503: the deployment's fault), no 200.
    use_auth_settings(None)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    try:
        response = send(api, None)
    finally:
        use_auth_settings(None)
    assert response.status_code == 503
    assert sagemaker.calls == []


def test_a_cognito_pool_gives_its_issuer_and_the_gateway_authorizer() -> None:
    variables = {
        "AUTH_MODE": "cognito",
        "AUTH_COGNITO_USER_POOL_ARN": "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_AbC123",
        "AUTH_AUDIENCE": "client-1",
        "AUTH_SCOPES": "https://api.example.com/predict",
    }
    settings = AuthSettings.from_environ(variables)
    assert settings.issuer == "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123"
    assert settings.key_set_url == f"{settings.issuer}/.well-known/jwks.json"
    authorizer = gateway_authorizer(variables)
    assert isinstance(authorizer, CognitoUserPoolAuthorizer)
    assert authorizer.scopes == ["https://api.example.com/predict"]
    assert authorizer.to_swagger()["x-amazon-apigateway-authorizer"]["providerARNs"] == [
        variables["AUTH_COGNITO_USER_POOL_ARN"]
    ]
    assert isinstance(gateway_authorizer({"AUTH_MODE": "iam"}), IAMAuthorizer)
    assert (
        gateway_authorizer({"AUTH_MODE": "jwt", "AUTH_ISSUER": ISSUER, "AUTH_AUDIENCE": "a"})
        is None
    )
    assert gateway_authorizer({}) is None


def test_the_verifier_refuses_signatures_of_the_wrong_size_or_out_of_range(issuer_key: Any) -> None:
    numbers = issuer_key.public_key().public_numbers()
    key = RsaPublicKey(numbers.n, numbers.e)
    good = jwt.encode(claims(), issuer_key, algorithm="RS256")
    signing_input, _, signature = good.rpartition(".")
    raw = base64.urlsafe_b64decode(signature + "==")
    assert verify_pkcs1v15_sha256(signing_input.encode(), raw, key)
    assert not verify_pkcs1v15_sha256(signing_input.encode() + b"x", raw, key)
    assert not verify_pkcs1v15_sha256(signing_input.encode(), raw[1:], key)
    assert not verify_pkcs1v15_sha256(signing_input.encode(), b"\x00" + raw, key)
    too_big = (numbers.n + 1).to_bytes(len(raw), "big")
    assert not verify_pkcs1v15_sha256(signing_input.encode(), too_big, key)


def test_a_key_set_keeps_only_rs256_signing_keys_of_2048_bits_or_more(issuer_key: Any) -> None:
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    document = {
        "keys": [
            jwk(issuer_key),
            jwk(small, "small"),
            {**jwk(issuer_key, "enc"), "use": "enc"},
            {**jwk(issuer_key, "ps"), "alg": "PS256"},
            {"kty": "EC", "kid": "ec", "crv": "P-256", "x": "AA", "y": "AA"},
            "not a key",
        ]
    }
    assert set(parse_key_set(json.dumps(document).encode())) == {KID}
    with pytest.raises(KeysUnavailable):
        parse_key_set(b"<html>")


def test_a_rotated_key_is_fetched_once_the_refetch_interval_passes(
    issuer_key: Any, other_key: Any
) -> None:
    now = [0.0]
    served = [{"keys": [jwk(issuer_key)]}]
    keys = KeySet(
        "https://x/jwks", fetch=lambda url: json.dumps(served[0]).encode(), clock=lambda: now[0]
    )
    assert keys.key_for(KID) is not None
    served[0] = {"keys": [jwk(issuer_key), jwk(other_key, "key-2")]}
    now[0] = 10.0
    assert keys.key_for("key-2") is None  # too soon to ask again
    now[0] = 61.0
    assert keys.key_for("key-2") is not None


def test_the_issuer_is_compared_as_written_and_its_keys_found_beside_it() -> None:
    # Auth0's issuer ends in a slash: a token's iss must match it exactly, slash and all.
    auth0 = AuthSettings.from_environ(
        {"AUTH_MODE": "jwt", "AUTH_ISSUER": "https://t.auth0.com/", "AUTH_AUDIENCE": "api"}
    )
    assert auth0.issuer == "https://t.auth0.com/"
    assert auth0.key_set_url == "https://t.auth0.com/.well-known/jwks.json"


def test_a_token_verified_once_is_not_verified_again_on_every_call(
    api: Client,
    sagemaker: StubbedSageMaker,
    signed_in: AuthSettings,
    issuer_key: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from chalicelib.signin import tokens

    checked: list[str] = []
    real_verify = tokens.verify

    def counting(token: str, *args: Any) -> dict[str, Any]:
        checked.append(token)
        return real_verify(token, *args)

    monkeypatch.setattr(tokens, "verify", counting)
    good, tampered = token(issuer_key), _tampered(issuer_key)
    for _ in range(3):
        expect_invoke(sagemaker, b"5.1,3.5,1.4,0.2", [0.97, 0.02, 0.01])
        assert send(api, f"Bearer {good}").status_code == 200
    # A changed byte is another token: checked, and refused every time.
    assert send(api, f"Bearer {tampered}").status_code == 401
    assert send(api, f"Bearer {tampered}").status_code == 401
    assert checked == [good, tampered, tampered]


def test_a_remembered_token_is_forgotten_at_its_expiry_after_300_s_or_with_other_keys() -> None:
    from chalicelib.signin.tokens import REMEMBERED_TOKENS, VerifiedTokens

    now = [1000.0]
    remembered = VerifiedTokens(clock=lambda: now[0])
    remembered.add("short", {"exp": 1100}, leeway=60, generation=1)
    remembered.add("long", {"exp": 99999}, leeway=60, generation=1)
    now[0] = 1159.0
    assert remembered.remembers("short", 1) and remembered.remembers("long", 1)
    now[0] = 1160.0  # exp + leeway: PyJWT would refuse it now
    assert not remembered.remembers("short", 1)
    # Checked with keys that have changed since: checked again
    assert not remembered.remembers("long", 2)
    remembered.add("long", {"exp": 99999}, leeway=60, generation=2)
    now[0] = 1460.0
    assert not remembered.remembers("long", 2)
    for n in range(REMEMBERED_TOKENS + 10):
        remembered.add(f"t{n}", {"exp": 99999}, leeway=0, generation=2)
    assert not remembered.remembers("t0", 2)
    assert remembered.remembers(f"t{REMEMBERED_TOKENS + 9}", 2)


def test_bearer_tokens_are_read_from_the_header_as_sent() -> None:
    assert auth.bearer_token("Bearer a.b.c") == "a.b.c"
    assert auth.bearer_token("bearer  a.b.c ") == "a.b.c"
    assert auth.bearer_token("a.b.c") == "a.b.c"  # Cognito authorizer style, no scheme
    assert auth.bearer_token("Basic a.b.c") is None
    assert auth.bearer_token("abc") is None
