"""The issuer's keys age out (#39): a key the issuer removes is refused within the stage's maximum
age though no token names an unseen key; while the issuer cannot be reached the keys in hand
serve up to the hard limit, then every token gets 503. Ages are driven by a clock the test holds;
the requests go through the app as a client sends them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from chalice.test import Client
from cryptography.hazmat.primitives.asymmetric import rsa

from chalicelib.signin.auth import AuthSettings, use_auth_settings
from chalicelib.signin.signing_keys import RETRY_SECONDS, KeySet
from tests.unit.test_auth import AUDIENCE, ISSUER, jwk, token

MAX_AGE, HARD_LIMIT = 600.0, 3600.0


class Issuer:
    """The JWKS an issuer publishes now (or None: unreachable), each fetch counted, and the
    time on the proxy's clock."""

    def __init__(self, *keys: tuple[rsa.RSAPrivateKey, str]) -> None:
        self.keys: list[tuple[rsa.RSAPrivateKey, str]] | None = list(keys)
        self.fetches = 0
        self.now = 0.0

    def fetch(self, url: str) -> bytes:
        self.fetches += 1
        if self.keys is None:
            raise OSError("connection refused")
        return json.dumps({"keys": [jwk(key, kid) for key, kid in self.keys]}).encode()

    def clock(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def old_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def issuer(old_key: Any, new_key: Any) -> Iterator[Issuer]:
    """The stage checks tokens of ISSUER with its keys cached as the defaults say."""
    published = Issuer((old_key, "old"), (new_key, "new"))
    settings = AuthSettings(mode="jwt", issuer=ISSUER, audiences=(AUDIENCE,))
    keys = KeySet(
        settings.key_set_url,
        fetch=published.fetch,
        clock=published.clock,
        max_age=MAX_AGE,
        hard_limit=HARD_LIMIT,
    )
    use_auth_settings(settings, keys)
    yield published
    use_auth_settings(None)


def status(api: Client, bearer: str) -> Any:
    return api.http.get("/health", headers={"Authorization": f"Bearer {bearer}"})


def test_a_removed_key_is_refused_within_the_maximum_age_with_no_unseen_kid(
    api: Client, issuer: Issuer, old_key: Any, new_key: Any
) -> None:
    # Given tokens of both keys accepted (one of them remembered since), at t = 0
    remembered = token(old_key, kid="old")
    assert status(api, remembered).status_code == 200
    assert status(api, token(new_key, kid="new")).status_code == 200
    # When the issuer retires the old key, and only kids seen before come after
    issuer.keys = [(new_key, "new")]
    issuer.now = MAX_AGE - 1
    assert status(api, remembered).status_code == 200  # not yet: the cached set has it
    assert issuer.fetches == 1
    # Then once the set is MAX_AGE old, the next request fetches it again: the old key's tokens
    # fail, the one remembered too; the new key's pass
    issuer.now = MAX_AGE
    refused = status(api, remembered)
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"].endswith('error="invalid_token"')
    assert status(api, token(old_key, kid="old")).status_code == 401
    assert status(api, token(new_key, kid="new")).status_code == 200
    assert issuer.fetches == 2


def test_an_unreachable_issuer_leaves_the_keys_in_hand_until_the_hard_limit(
    api: Client, issuer: Issuer, new_key: Any
) -> None:
    good = token(new_key, kid="new")
    assert status(api, good).status_code == 200
    # The issuer goes down: past the maximum age, the keys in hand still check
    issuer.keys = None
    issuer.now = MAX_AGE
    assert status(api, good).status_code == 200
    assert issuer.fetches == 2
    # tried again only every RETRY_SECONDS, not on every request
    assert status(api, good).status_code == 200
    assert issuer.fetches == 2
    issuer.now = MAX_AGE + RETRY_SECONDS
    assert status(api, good).status_code == 200
    assert issuer.fetches == 3
    # At the hard limit nothing is checked with them: 503, fail closed, even for a token
    # checked before
    issuer.now = HARD_LIMIT
    down = status(api, good)
    assert down.status_code == 503
    assert down.headers["Retry-After"] == "5"
    assert down.json_body["Code"] == "ServiceUnavailableError"
    assert "key" not in down.json_body["Message"].lower()
    # And back as soon as the issuer answers again
    issuer.keys = [(new_key, "new")]
    issuer.now = HARD_LIMIT + RETRY_SECONDS
    assert status(api, good).status_code == 200


def test_a_stage_takes_its_key_ages_from_its_variables(api: Client, monkeypatch: Any) -> None:
    from chalicelib.signin import auth

    variables = {
        "AUTH_MODE": "jwt",
        "AUTH_ISSUER": "http://127.0.0.1:9",  # nothing listens: the fetch fails at once
        "AUTH_AUDIENCE": AUDIENCE,
        "AUTH_KEYS_MAX_AGE_SECONDS": "120",
        "AUTH_KEYS_HARD_LIMIT_SECONDS": "900",
    }
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    use_auth_settings(None)
    try:
        assert status(api, "a.b.c").status_code == 503
        (keys,) = auth._key_sets.values()
        assert isinstance(keys, KeySet)
        assert (keys.max_age, keys.hard_limit) == (120.0, 900.0)
    finally:
        use_auth_settings(None)


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({}, None),
        ({"AUTH_KEYS_MAX_AGE_SECONDS": "0"}, "AUTH_KEYS_MAX_AGE_SECONDS must be a positive"),
        ({"AUTH_KEYS_MAX_AGE_SECONDS": "nan"}, "AUTH_KEYS_MAX_AGE_SECONDS must be a positive"),
        ({"AUTH_KEYS_HARD_LIMIT_SECONDS": "inf"}, "AUTH_KEYS_HARD_LIMIT_SECONDS must be a po"),
        ({"AUTH_KEYS_MAX_AGE_SECONDS": "ten"}, "is not a number"),
        ({"AUTH_KEYS_HARD_LIMIT_SECONDS": "60"}, "HARD_LIMIT_SECONDS must be at least"),
    ],
)
def test_key_ages_are_positive_finite_and_the_hard_limit_not_below_the_age(
    variables: dict[str, str], message: str | None
) -> None:
    from chalicelib.settings import ConfigurationError

    environ = {"AUTH_MODE": "jwt", "AUTH_ISSUER": ISSUER, "AUTH_AUDIENCE": "a", **variables}
    if message is None:
        settings = AuthSettings.from_environ(environ)
        assert (settings.keys_max_age, settings.keys_hard_limit) == (600.0, 3600.0)
        return
    with pytest.raises(ConfigurationError, match=message):
        AuthSettings.from_environ(environ)


def test_a_stage_without_sign_in_ignores_the_key_ages() -> None:
    assert AuthSettings.from_environ({"AUTH_KEYS_MAX_AGE_SECONDS": "0"}).mode == "none"
