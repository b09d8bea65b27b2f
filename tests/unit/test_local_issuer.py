"""The local issuer keeps a bounded number of unexchanged authorization codes (#39): a page that
starts sign-ins and never finishes them cannot grow it, and an expired code is dropped."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from werkzeug.test import Client

from local_identity import issuer as issuer_module
from local_identity.issuer import LocalIssuer

PAGE = "http://127.0.0.1:8001"


def sign_in(client: Client) -> None:
    answer = client.post(
        "/authorize",
        data={"client_id": "demo-page", "redirect_uri": f"{PAGE}/", "response_type": "code",
              "code_challenge_method": "S256", "code_challenge": "x" * 43, "username": "dev"},
    )  # fmt: skip
    assert answer.status_code == 302 and "code=" in answer.headers["Location"]


@pytest.fixture
def issuer() -> LocalIssuer:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return LocalIssuer(key, "http://127.0.0.1:8090", (PAGE,))


def test_pending_codes_are_bounded_oldest_first(
    issuer: LocalIssuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(issuer_module, "MAX_PENDING_CODES", 5)
    client = Client(issuer)
    sign_in(client)
    first = next(iter(issuer._grants))
    for _ in range(20):
        sign_in(client)
    assert len(issuer._grants) == 5
    assert first not in issuer._grants


def test_expired_codes_are_dropped_at_the_next_sign_in(
    issuer: LocalIssuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = Client(issuer)
    sign_in(client)
    now: Any = issuer_module.time.monotonic()
    monkeypatch.setattr(
        issuer_module.time, "monotonic", lambda: now + issuer_module.CODE_LIFETIME_SECONDS + 1
    )
    sign_in(client)
    assert len(issuer._grants) == 1
