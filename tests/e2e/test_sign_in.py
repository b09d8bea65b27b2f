"""Sign-in end to end: `chalice local` checking tokens of the local issuer (both real processes
on loopback, as `make run SIGN_IN=1` runs them), over HTTP; and the demo page signing in through
the issuer's authorization code flow in headless Chromium, then predicting."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from foundation.paths import REPO_ROOT
from local_identity import keys
from local_sagemaker.stack import Stack
from tests.e2e.test_web_page import CHROMIUM, CHROMIUM_ARGS

SETOSA = {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}


@pytest.fixture
def signed_in(signed_in_stack: Stack) -> Stack:
    return signed_in_stack


def predict(stack: Stack, authorization: str | None) -> requests.Response:
    headers = {"Content-Type": "application/json", "Origin": stack.web_origin}
    if authorization is not None:
        headers["Authorization"] = authorization
    return requests.post(f"{stack.proxy_url}/predict", json=SETOSA, headers=headers, timeout=10)


def local_token(stack: Stack, **changes: Any) -> str:
    assert stack.issuer_url is not None
    return keys.sign(keys.load_or_create_key(), stack.issuer_url, **changes)


def _tampered(stack: Stack) -> str:
    header, _, signature = local_token(stack).split(".")
    payload = json.loads(base64.urlsafe_b64decode(local_token(stack).split(".")[1] + "=="))
    payload["sub"] = "admin"
    forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def _signed_by_another_key(stack: Stack) -> str:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    local = keys.load_or_create_key()
    claims = jwt.decode(local_token(stack), options={"verify_signature": False})
    return jwt.encode(claims, other, algorithm="RS256", headers={"kid": keys.key_id(local)})


BAD_TOKENS: dict[str, Any] = {
    "expired": lambda stack: local_token(stack, lifetime_seconds=-300),
    "wrong audience": lambda stack: local_token(stack, audience="another-api"),
    "wrong issuer": lambda stack: keys.sign(keys.load_or_create_key(), "http://127.0.0.1:1"),
    "alg none": lambda stack: jwt.encode(
        jwt.decode(local_token(stack), options={"verify_signature": False}), None, algorithm="none"
    ),
    "wrong key": _signed_by_another_key,
    "tampered payload": _tampered,
}


@pytest.mark.parametrize("case", BAD_TOKENS)
def test_a_bad_token_is_401_with_the_challenge_and_cors(signed_in: Stack, case: str) -> None:
    response = predict(signed_in, f"Bearer {BAD_TOKENS[case](signed_in)}")
    assert response.status_code == 401, response.text
    assert response.headers["WWW-Authenticate"] == (
        'Bearer realm="sagemaker-proxy", error="invalid_token"'
    )
    assert response.headers["Access-Control-Allow-Origin"] == signed_in.web_origin
    body = response.json()
    assert body["Code"] == "UnauthorizedError" and body["RequestId"]
    assert "developer" not in response.text


def test_no_token_is_401_and_a_token_without_the_scope_is_403(signed_in: Stack) -> None:
    missing = predict(signed_in, None)
    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"] == 'Bearer realm="sagemaker-proxy"'
    unscoped = predict(signed_in, f"Bearer {local_token(signed_in, scope='openid')}")
    assert unscoped.status_code == 403
    assert 'error="insufficient_scope"' in unscoped.headers["WWW-Authenticate"]
    assert unscoped.json()["Code"] == "ForbiddenError"


def test_the_local_token_command_gives_a_token_the_proxy_accepts(signed_in: Stack) -> None:
    assert signed_in.issuer_url is not None
    port = signed_in.issuer_url.rsplit(":", 1)[1]
    printed = subprocess.run(
        [sys.executable, "-m", "scripts.local_token", "--issuer-port", port],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.strip()
    response = predict(signed_in, f"Bearer {printed}")
    assert response.status_code == 200, response.text
    assert response.json()["predictions"][0]["label"] == "setosa"
    # Refused what it cannot mean.
    refused = subprocess.run(
        [sys.executable, "-m", "scripts.local_token", "--expires-in", "0"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 2 and "--expires-in" in refused.stderr


def test_the_issuer_gives_no_code_to_a_page_it_does_not_serve(signed_in: Stack) -> None:
    query = {
        "response_type": "code",
        "client_id": keys.CLIENT_ID,
        "redirect_uri": "https://evil.example.com/",
        "code_challenge": "x" * 43,
        "code_challenge_method": "S256",
        "username": "developer",
    }
    answer = requests.post(
        f"{signed_in.issuer_url}/authorize", data=query, allow_redirects=False, timeout=10
    )
    assert answer.status_code == 400 and "Location" not in answer.headers


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (.ci/run installs it)")
def test_the_demo_page_signs_in_and_predicts(signed_in: Stack, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    from scripts.run_local import demo_page_query

    assert signed_in.issuer_url is not None
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context().new_page()
        sent: list[str | None] = []
        page.on(
            "request",
            lambda r: (
                sent.append(r.headers.get("authorization"))
                if r.method == "POST" and "/predict" in r.url
                else None
            ),
        )
        # Given the page at the address `make run SIGN_IN=1` prints, pointed at the proxy
        page.goto(
            f"{signed_in.web_origin}/{demo_page_query(signed_in.proxy_url, signed_in.issuer_url)}"
        )
        page.fill("#api-url", signed_in.proxy_url)
        page.dispatch_event("#api-url", "change")
        # Then the API asks for sign-in before it describes itself
        page.wait_for_function("document.querySelector('#status').textContent.startsWith('401')")
        assert page.is_disabled("#predict")
        # When the user signs in at the issuer's page
        page.click("#sign-in-button")
        page.wait_for_url(f"{signed_in.issuer_url}/authorize*")
        page.fill("#username", "ada")
        page.click("button[type=submit]")
        # Then the page is back, signed in, with the form built and no code in its address
        page.wait_for_function("!document.querySelector('#predict').disabled")
        assert "code=" not in page.url
        assert page.inner_text("#signed-in-as").startswith("Signed in until")
        page.click("#predict")
        page.locator("#results .prediction h2").wait_for()
        assert page.inner_text("#results .prediction h2") == "setosa"
        page.screenshot(path=str(tmp_path / "signed-in.png"), full_page=True)
        # The prediction carried the token the issuer gave, for the user who signed in
        (authorization,) = sent
        assert authorization is not None and authorization.startswith("Bearer ")
        claims = jwt.decode(authorization.split()[1], options={"verify_signature": False})
        assert claims["sub"] == "ada" and "predict" in claims["scope"].split()
        # And after signing out, the API refuses the page again
        page.click("#sign-out-button")
        page.wait_for_function("document.querySelector('#status').textContent.startsWith('401')")
        browser.close()
