"""Checking a bearer token (a JWT): the signature by the issuer's key with the algorithm
pinned to RS256, then issuer, audience, expiry and not-before, then scope.

PyJWT does the checking. Its JWS layer knows only the verifier registered here (chalicelib/
rs256.py), so ``alg: none``, HMAC with the public key as secret and every other algorithm are
refused before any key is used.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from jwt import PyJWS, PyJWT
from jwt.exceptions import (
    ExpiredSignatureError,
    ImmatureSignatureError,
    InvalidIssuerError,
    MissingRequiredClaimError,
)

from chalicelib.signin.rs256 import RS256Verifier
from chalicelib.signin.signing_keys import KeySet, KeysUnavailable

ALGORITHM = "RS256"
# A verified token is trusted again without checking its signature for this long at most (API
# Gateway keeps its authorizers' answers 300 s by default), and never past its own expiry.
REMEMBER_SECONDS = 300.0
REMEMBERED_TOKENS = 256
# Longer than any JWT an issuer sends (Cognito's are under 2 KB); a header near API Gateway's
# 10 KB limit is not a token.
MAX_TOKEN_CHARS = 8192

_signatures = PyJWS(algorithms=[])
_signatures.register_algorithm(ALGORITHM, RS256Verifier())
_claims = PyJWT()


class Refusal(StrEnum):
    """Why a request was refused, by class: the ``RefusalReason`` of the ``AuthRefusals``
    metric (chalicelib/metrics.py). The exact reason goes to the log line only."""

    MISSING = "Missing"  # no bearer token at all
    EXPIRED = "Expired"  # past exp, or before nbf or iat (leeway included)
    # Forged, malformed, or signed by no key the issuer publishes now (a retired key too),
    # and tokens without a claim the check needs (exp)
    BAD_SIGNATURE = "BadSignature"
    WRONG_AUDIENCE = "WrongAudienceOrIssuer"  # for another API, or from another issuer
    SCOPE = "Scope"  # a good token without the scope asked for: the 403


class TokenRejected(Exception):
    """Not a token this API accepts: its class, and the reason for the log (never the
    caller)."""

    def __init__(self, refusal: Refusal, reason: str) -> None:
        super().__init__(reason)
        self.refusal = refusal


class ScopeMissing(Exception):
    """A good token that grants none of the scopes this API asks for."""


@dataclass(frozen=True)
class TokenRules:
    issuer: str
    # The API's client ids or audiences: the token's ``aud`` must name one (Cognito's access
    # tokens carry ``client_id`` instead of ``aud``, which is checked then).
    audiences: tuple[str, ...]
    # Any one of these suffices, as with API Gateway's authorization scopes; none: no check.
    scopes: tuple[str, ...] = ()
    # Seconds of clock difference allowed between the issuer and this function.
    leeway: float = 60.0


def verify(
    token: str, rules: TokenRules, keys: KeySet, deadline: float | None = None
) -> dict[str, Any]:
    """The token's claims. TokenRejected, ScopeMissing, or KeysUnavailable when the issuer's
    keys cannot be read (then nobody can be checked: not the caller's fault). ``deadline``:
    the ``time.monotonic()`` a key fetch must end by."""
    if len(token) > MAX_TOKEN_CHARS:
        raise TokenRejected(Refusal.BAD_SIGNATURE, "longer than any token")
    try:
        header = _signatures.get_unverified_header(token)
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise TokenRejected(Refusal.BAD_SIGNATURE, "kid is not a string")
        key = keys.key_for(kid, deadline)
        if key is None:
            raise TokenRejected(Refusal.BAD_SIGNATURE, "signed by no key of the issuer's")
        # PyJWT's types name cryptography's keys; its registered verifier takes ours.
        _signatures.decode_complete(token, key=key, algorithms=[ALGORITHM])  # type: ignore[arg-type]
    except (TokenRejected, KeysUnavailable):
        raise
    except Exception as error:  # PyJWT's errors, and anything a crafted token provokes
        raise TokenRejected(Refusal.BAD_SIGNATURE, type(error).__name__) from None
    try:
        # The signature is good: now the claims, by PyJWT's own rules.
        claims: dict[str, Any] = _claims.decode(
            token,
            options={
                "verify_signature": False,  # checked just above, with the pinned algorithm
                "verify_exp": True,
                "verify_nbf": True,
                "verify_iat": True,
                "verify_iss": True,
                "verify_aud": False,  # checked below: Cognito's access tokens have no aud
                "require": ["exp", "iss"],
            },
            issuer=rules.issuer,
            leeway=rules.leeway,
        )
    except Exception as error:
        raise TokenRejected(_claims_refusal(error), type(error).__name__) from None
    if not set(_audiences(claims)) & set(rules.audiences):
        raise TokenRejected(Refusal.WRONG_AUDIENCE, "for another audience")
    if rules.scopes and not set(granted_scopes(claims)) & set(rules.scopes):
        raise ScopeMissing()
    return claims


def _claims_refusal(error: Exception) -> Refusal:
    """The class of a signed token's claims that PyJWT refused."""
    if isinstance(error, (ExpiredSignatureError, ImmatureSignatureError)):
        return Refusal.EXPIRED
    if isinstance(error, InvalidIssuerError) or (
        isinstance(error, MissingRequiredClaimError) and error.claim == "iss"
    ):
        return Refusal.WRONG_AUDIENCE
    return Refusal.BAD_SIGNATURE


def _audiences(claims: dict[str, Any]) -> list[str]:
    aud = claims.get("aud")
    if isinstance(aud, str):
        return [aud]
    if isinstance(aud, list):
        return [entry for entry in aud if isinstance(entry, str)]
    client_id = claims.get("client_id")
    return [client_id] if aud is None and isinstance(client_id, str) else []


def granted_scopes(claims: dict[str, Any]) -> list[str]:
    """``scope`` (space-separated, RFC 8693 and Cognito) or ``scp`` (a list: Okta, Entra ID)."""
    for name in ("scope", "scp"):
        value = claims.get(name)
        if isinstance(value, str):
            return value.split()
        if isinstance(value, list):
            return [entry for entry in value if isinstance(entry, str)]
    return []


class VerifiedTokens:
    """Tokens verified lately, by their exact text. A client sends the same token on every call
    until it expires, and checking an RSA signature in pure Python costs ~280 µs here (the
    whole check ~530 µs), a quarter of a warm request. A token is remembered only after it
    passed every check, and only for the key set it was checked with (a ``KeySet.generation``):
    once a fetch brings other keys, it is checked again, so a removed key's tokens fail then. A
    changed byte is another token."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._until: OrderedDict[str, tuple[float, int]] = OrderedDict()
        # `chalice local` serves each request on a thread of its own.
        self._lock = threading.Lock()

    def remembers(self, token: str, generation: int) -> bool:
        """Whether ``token`` passed lately, with keys of this ``generation``."""
        until, checked_with = self._until.get(token, (0.0, -1))
        if checked_with != generation or self._clock() >= until:
            with self._lock:
                self._until.pop(token, None)
            return False
        return True

    def add(self, token: str, claims: dict[str, Any], leeway: float, generation: int) -> None:
        expiry = claims["exp"] + leeway  # PyJWT refuses a token once now >= exp + leeway
        until = min(expiry, self._clock() + REMEMBER_SECONDS)
        with self._lock:
            self._until.pop(token, None)
            self._until[token] = (until, generation)  # the newest last: the oldest go first
            while len(self._until) > REMEMBERED_TOKENS:
                self._until.popitem(last=False)
