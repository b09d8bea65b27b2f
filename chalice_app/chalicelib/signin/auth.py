"""Who may call: the stage's sign-in settings, and the check every route but the preflights
makes before anything else.

``AUTH_MODE`` per stage in ``.chalice/config.json``:

- ``none`` (unset): no check here; on AWS the API key (gateway.json) is then the only gate,
  which `make deploy` refuses for a production stage unless told.
- ``cognito``: API Gateway's Cognito user pool authorizer on every route (app.py), and the
  same token checked here too, against the pool's keys, so that `chalice local` (which does
  not enforce Cognito authorizers) refuses what AWS would.
- ``jwt``: any OpenID Connect issuer: the token is checked here against the issuer's JWKS.
- ``iam``: SigV4 signatures, checked by API Gateway (``IAMAuthorizer``); not by `chalice local`.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from chalice.app import Authorizer, CognitoUserPoolAuthorizer, IAMAuthorizer

from chalicelib import request_log
from chalicelib.errors import ApiError, EndpointUnavailable, Forbidden, Unauthenticated
from chalicelib.settings import (
    DEFAULT_KEYS_HARD_LIMIT_SECONDS,
    DEFAULT_KEYS_MAX_AGE_SECONDS,
    ConfigurationError,
    key_cache_ages,
)

MODE = "AUTH_MODE"
ISSUER = "AUTH_ISSUER"
AUDIENCE = "AUTH_AUDIENCE"
JWKS_URL = "AUTH_JWKS_URL"
SCOPES = "AUTH_SCOPES"
COGNITO_USER_POOL_ARN = "AUTH_COGNITO_USER_POOL_ARN"
MODES = ("none", "jwt", "cognito", "iam")
REALM = "sagemaker-proxy"
# The authorizer's name in the template's securityDefinitions.
COGNITO_AUTHORIZER_NAME = "CognitoUserPool"
_COGNITO_POOL_ARN = re.compile(
    r"arn:aws:cognito-idp:(?P<region>[a-z]{2}(?:-[a-z]+)+-\d):\d{12}:userpool/"
    r"(?P<pool>[a-z]{2}(?:-[a-z]+)+-\d_[0-9A-Za-z]+)"
)
_LOOPBACK = ("127.0.0.1", "localhost", "::1")
RETRY_KEYS_UNAVAILABLE = 5
# Seconds kept after a key fetch for the answer and its log line (service.ANSWER_RESERVE_SECONDS).
ANSWER_RESERVE_SECONDS = 0.5


@dataclass(frozen=True)
class AuthSettings:
    mode: str = "none"
    issuer: str = ""
    audiences: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ()
    jwks_url: str = ""
    cognito_user_pool_arn: str = ""
    # The issuer's keys are fetched again once this old; they check tokens while the issuer
    # cannot be reached until the hard limit, then every token is refused (chalicelib/settings.py).
    keys_max_age: float = DEFAULT_KEYS_MAX_AGE_SECONDS
    keys_hard_limit: float = DEFAULT_KEYS_HARD_LIMIT_SECONDS

    @property
    def checks_tokens(self) -> bool:
        return self.mode in ("jwt", "cognito")

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> AuthSettings:
        """ConfigurationError for a mode it does not know or one missing what it needs: a
        stage that asks for sign-in never runs without it."""
        environ = os.environ if environ is None else environ
        mode = (environ.get(MODE) or "none").strip().lower()
        if mode not in MODES:
            raise ConfigurationError(f"{MODE}={mode!r}: one of {', '.join(MODES)}")
        settings = cls(
            mode=mode,
            # Compared with the token's iss as it is: Auth0's ends in a slash, Cognito's does not.
            issuer=(environ.get(ISSUER) or "").strip(),
            audiences=_words(environ.get(AUDIENCE)),
            scopes=_words(environ.get(SCOPES)),
            jwks_url=(environ.get(JWKS_URL) or "").strip(),
            cognito_user_pool_arn=(environ.get(COGNITO_USER_POOL_ARN) or "").strip(),
        )
        if mode == "cognito":
            match = _COGNITO_POOL_ARN.fullmatch(settings.cognito_user_pool_arn)
            if not match:
                raise ConfigurationError(
                    f"{COGNITO_USER_POOL_ARN}: a user pool ARN, "
                    "arn:aws:cognito-idp:<region>:<account>:userpool/<pool id>"
                )
            # Cognito's issuer (Cognito developer guide, "Verifying a JSON Web Token").
            issuer = f"https://cognito-idp.{match['region']}.amazonaws.com/{match['pool']}"
            if settings.issuer and settings.issuer != issuer:
                raise ConfigurationError(f"{ISSUER}: the pool's issuer is {issuer}")
            settings = cls(**{**settings.__dict__, "issuer": issuer})
        if settings.checks_tokens:
            max_age, hard_limit = key_cache_ages(environ)
            settings = replace(settings, keys_max_age=max_age, keys_hard_limit=hard_limit)
            if not settings.issuer:
                raise ConfigurationError(f"{ISSUER} is not set")
            if not settings.audiences:
                raise ConfigurationError(f"{AUDIENCE}: name the client ids or audiences")
            _check_url(ISSUER, settings.issuer)
            if settings.jwks_url:
                _check_url(JWKS_URL, settings.jwks_url)
        return settings

    @property
    def key_set_url(self) -> str:
        """Where the issuer publishes its keys: Cognito's place (and Auth0's) unless named."""
        return self.jwks_url or f"{self.issuer.rstrip('/')}/.well-known/jwks.json"


def _words(raw: str | None) -> tuple[str, ...]:
    return tuple(word for word in re.split(r"[\s,]+", raw or "") if word)


def _check_url(name: str, url: str) -> None:
    """https, or http on this machine (the local issuer of `make run`)."""
    parts = urlsplit(url)
    if not parts.hostname or not (
        parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in _LOOPBACK)
    ):
        raise ConfigurationError(f"{name}={url!r}: an https URL (http only on loopback)")


def gateway_authorizer(environ: Mapping[str, str] | None = None) -> Authorizer | None:
    """What API Gateway checks before the function runs, for app.py's routes: read when app.py
    is imported (`chalice package` imports it with the stage's variables). A stage whose
    settings are wrong gets none here, and every request a 503 from ``authenticate``."""
    try:
        settings = AuthSettings.from_environ(environ)
    except ConfigurationError:
        return None
    if settings.mode == "iam":
        return IAMAuthorizer()
    if settings.mode == "cognito":
        return CognitoUserPoolAuthorizer(
            COGNITO_AUTHORIZER_NAME,
            provider_arns=[settings.cognito_user_pool_arn],
            scopes=list(settings.scopes),
        )
    return None


def challenge(error: str | None = None, scopes: tuple[str, ...] = ()) -> str:
    """The WWW-Authenticate value (RFC 6750, section 3): no error code when no token came."""
    value = f'Bearer realm="{REALM}"'
    if error:
        value += f', error="{error}"'
    if scopes:
        value += f', scope="{" ".join(scopes)}"'
    return value


def bearer_token(authorization: str | None) -> str | None:
    """The token of ``Authorization: Bearer <token>``, or a bare JWT (what API Gateway's
    Cognito authorizer is documented with); None for no header or another scheme."""
    if not authorization:
        return None
    scheme, _, rest = authorization.strip().partition(" ")
    if scheme.lower() == "bearer" and rest.strip():
        return rest.strip()
    if not rest and authorization.count(".") == 2:
        return authorization.strip()
    return None


_settings: AuthSettings | None = None
_key_sets: dict[str, object] = {}
# chalicelib.signin.tokens.VerifiedTokens, made on first use (stages without sign-in never import it).
_verified: Any = None


def get_auth_settings() -> AuthSettings:
    """The stage's sign-in settings, read once per process; wrong ones answer 503 (fail closed)."""
    global _settings
    if _settings is None:
        try:
            _settings = AuthSettings.from_environ()
        except ConfigurationError as error:
            raise EndpointUnavailable(log_detail=f"configuration: {error}") from None
    return _settings


def use_auth_settings(settings: AuthSettings | None, keys: object | None = None) -> None:
    """Use these settings (and this KeySet for their issuer) from now on; None: read the
    environment again on next use."""
    global _settings, _verified
    _settings = settings
    _verified = None
    _key_sets.clear()
    if settings is not None and keys is not None:
        _key_sets[settings.key_set_url] = keys


class TokenRefused(Unauthenticated):
    """No token, or one that is not good: 401, counted by its class (``tokens.Refusal``)."""

    def __init__(self, refusal: str, **details: Any) -> None:
        super().__init__(**details)
        self.refusal = refusal


class ScopeRefused(Forbidden):
    """A good token without the scope: 403, counted as a refusal too."""

    def __init__(self, refusal: str, **details: Any) -> None:
        super().__init__(**details)
        self.refusal = refusal


def refusal_of(error: ApiError) -> str | None:
    """The class of a sign-in refusal, for the AuthRefusals metric; None for other errors."""
    return error.refusal if isinstance(error, (TokenRefused, ScopeRefused)) else None


def authenticate(headers: Mapping[str, str], lambda_context: Any = None) -> None:
    """Raise the 401, 403 or 503 a request gets when the stage checks tokens and this one does
    not pass; nothing about the token goes back to the caller. ``headers``: the request's,
    read only when the stage checks tokens (a missing header costs Chalice's mapping an
    exception). ``lambda_context``: the invocation's, whose remaining time bounds a key fetch."""
    settings = get_auth_settings()
    if not settings.checks_tokens:
        return
    authorization = headers.get("authorization")
    # Imported here: stages without sign-in never load PyJWT (cold start).
    from chalicelib.signin import signing_keys, tokens

    global _verified
    token = bearer_token(authorization)
    if token is None:
        raise TokenRefused(
            tokens.Refusal.MISSING, challenge=challenge(), log_detail="no bearer token"
        )
    deadline = _deadline(lambda_context)
    url = settings.key_set_url
    keys = _key_sets.get(url)
    if not isinstance(keys, signing_keys.KeySet):
        keys = _key_sets[url] = signing_keys.KeySet(
            url, max_age=settings.keys_max_age, hard_limit=settings.keys_hard_limit
        )
    if _verified is None:
        _verified = tokens.VerifiedTokens()
    rules = tokens.TokenRules(settings.issuer, settings.audiences, settings.scopes)
    try:
        # Before the remembered tokens: keys past their age are fetched again, and a token
        # remembered under other keys is checked again (a removed key's tokens then fail).
        keys.refresh_if_stale(deadline)
        if keys.last_error:  # the issuer is unreachable: the keys in hand still check
            request_log.add(signing_keys=keys.last_error)
        if _verified.remembers(token, keys.generation):
            return
        claims = tokens.verify(token, rules, keys, deadline)
        _verified.add(token, claims, rules.leeway, keys.generation)
    except tokens.TokenRejected as rejected:
        raise TokenRefused(
            rejected.refusal,
            challenge=challenge("invalid_token"),
            log_detail=f"token rejected: {rejected}",
        ) from None
    except tokens.ScopeMissing:
        raise ScopeRefused(
            tokens.Refusal.SCOPE,
            challenge=challenge("insufficient_scope", settings.scopes),
            log_detail="token lacks the scope",
        ) from None
    except signing_keys.KeysUnavailable as error:
        raise EndpointUnavailable(
            "Sign-in cannot be checked right now; retry later.",
            log_detail=f"signing keys: {error}",
            retry_after=RETRY_KEYS_UNAVAILABLE,
        ) from None


def _deadline(lambda_context: Any) -> float | None:
    """The ``time.monotonic()`` by which a key fetch must end: the invocation's remaining time
    (Lambda's, or `chalice local`'s), less what answering takes; None without a context."""
    remaining = getattr(lambda_context, "get_remaining_time_in_millis", None)
    if remaining is None:
        return None
    return time.monotonic() + remaining() / 1000 - ANSWER_RESERVE_SECONDS
