"""The local issuer's HTTP side: OpenID Connect discovery, its JWKS, and the authorization code
flow with PKCE (RFC 7636) that browser apps use with Cognito's hosted UI, Auth0 or Okta. The
sign-in page asks only for a name: there are no passwords on a developer's laptop."""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from cryptography.hazmat.primitives.asymmetric import rsa
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from local_identity import keys

CODE_LIFETIME_SECONDS = 60
# Codes waiting to be exchanged: a page that starts sign-ins and never finishes them cannot grow
# the issuer past this; the oldest is dropped first (its sign-in then fails with invalid_grant).
MAX_PENDING_CODES = 1000
SCOPES_SUPPORTED = ("openid", "profile", keys.SCOPE)


@dataclass(frozen=True)
class _Grant:
    client_id: str
    redirect_uri: str
    code_challenge: str
    scope: str
    subject: str
    nonce: str | None
    expires: float


class LocalIssuer:
    def __init__(
        self,
        key: rsa.RSAPrivateKey,
        issuer: str,
        allowed_origins: tuple[str, ...],
        client_id: str = keys.CLIENT_ID,
        audience: str = keys.AUDIENCE,
    ) -> None:
        self.key, self.issuer, self.client_id, self.audience = key, issuer, client_id, audience
        # Pages that may sign in here: redirect_uri must be on one, and only they read tokens.
        self.allowed_origins = allowed_origins
        self._grants: dict[str, _Grant] = {}
        self._lock = threading.Lock()
        self._routes = Map(
            [
                Rule("/.well-known/openid-configuration", endpoint="discovery", methods=["GET"]),
                Rule("/.well-known/jwks.json", endpoint="jwks", methods=["GET"]),
                Rule("/authorize", endpoint="authorize", methods=["GET", "POST"]),
                Rule("/token", endpoint="token", methods=["POST", "OPTIONS"]),
            ]
        )

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        try:
            endpoint, _ = self._routes.bind_to_environ(environ).match()
            response = getattr(self, f"_{endpoint}")(request)
        except (NotFound, MethodNotAllowed) as error:
            response = error.get_response()
        except HTTPException as error:
            response = error.get_response()
        origin = request.headers.get("Origin")
        if origin in self.allowed_origins:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Vary"] = "Origin"
        return response(environ, start_response)

    def _discovery(self, request: Request) -> Response:
        return _json(
            {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "jwks_uri": f"{self.issuer}/.well-known/jwks.json",
                "response_types_supported": ["code"],
                "grant_types_supported": ["authorization_code"],
                "code_challenge_methods_supported": ["S256"],
                "scopes_supported": list(SCOPES_SUPPORTED),
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["none"],
            }
        )

    def _jwks(self, request: Request) -> Response:
        return _json(keys.jwks(self.key))

    def _authorize(self, request: Request) -> Response:
        values = request.values
        redirect_uri = values.get("redirect_uri", "")
        # Never redirect before the client and its redirect_uri check out (RFC 6749, 4.1.2.1).
        if values.get("client_id") != self.client_id:
            return _page("Unknown client_id.", status=400)
        if not self._allowed_redirect(redirect_uri):
            return _page("redirect_uri is not on a page this issuer serves.", status=400)
        state = values.get("state", "")
        if values.get("response_type") != "code" or values.get("code_challenge_method") != "S256":
            return _redirect(redirect_uri, error="unsupported_response_type", state=state)
        if not values.get("code_challenge"):
            return _redirect(redirect_uri, error="invalid_request", state=state)
        if request.method == "GET":
            return _sign_in_form(dict(values))
        subject = values.get("username", "").strip() or "developer"
        scope = " ".join(s for s in values.get("scope", "openid").split() if s in SCOPES_SUPPORTED)
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._forget_stale()
            self._grants[code] = _Grant(
                client_id=self.client_id,
                redirect_uri=redirect_uri,
                code_challenge=values["code_challenge"],
                scope=scope,
                subject=subject[:64],
                nonce=values.get("nonce"),
                expires=time.monotonic() + CODE_LIFETIME_SECONDS,
            )
        return _redirect(redirect_uri, code=code, state=state)

    def _forget_stale(self) -> None:
        """Drop expired codes, then the oldest while too many wait (dicts keep their order)."""
        now = time.monotonic()
        for code in [code for code, grant in self._grants.items() if grant.expires < now]:
            del self._grants[code]
        while len(self._grants) >= MAX_PENDING_CODES:
            del self._grants[next(iter(self._grants))]

    def _token(self, request: Request) -> Response:
        if request.method == "OPTIONS":
            response = Response(status=204)
            response.headers["Access-Control-Allow-Methods"] = "POST"
            response.headers["Access-Control-Allow-Headers"] = "Content-Type"
            return response
        form = request.form
        with self._lock:
            grant = self._grants.pop(form.get("code", ""), None)  # a code works once
        if form.get("grant_type") != "authorization_code":
            return _json({"error": "unsupported_grant_type"}, status=400)
        if (
            grant is None
            or grant.expires < time.monotonic()
            or form.get("client_id") != grant.client_id
            or form.get("redirect_uri") != grant.redirect_uri
            or not _pkce_matches(form.get("code_verifier", ""), grant.code_challenge)
        ):
            return _json({"error": "invalid_grant"}, status=400)
        lifetime = 3600

        def signed(audience: str, **claims: Any) -> str:
            return keys.sign(
                self.key,
                self.issuer,
                subject=grant.subject,
                audience=audience,
                scope=grant.scope,
                lifetime_seconds=lifetime,
                client_id=grant.client_id,
                **claims,
            )

        # The access token is for the API; the ID token, for the page, names the user.
        access = signed(self.audience, token_use="access")
        nonce = {"nonce": grant.nonce} if grant.nonce else {}
        identity = signed(grant.client_id, token_use="id", name=grant.subject, **nonce)
        return _json(
            {
                "access_token": access,
                "id_token": identity,
                "token_type": "Bearer",
                "expires_in": lifetime,
                "scope": grant.scope,
            },
            headers={"Cache-Control": "no-store"},
        )

    def _allowed_redirect(self, redirect_uri: str) -> bool:
        parts = urlsplit(redirect_uri)
        return (
            f"{parts.scheme}://{parts.netloc}" in self.allowed_origins
            and not parts.fragment
            and parts.path.startswith("/")
        )


def _pkce_matches(verifier: str, challenge: str) -> bool:
    if not 43 <= len(verifier) <= 128:
        return False
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    return hmac.compare_digest(computed, challenge)


def _json(
    body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    import json

    return Response(json.dumps(body), status=status, headers=headers, mimetype="application/json")


def _redirect(redirect_uri: str, **params: str) -> Response:
    separator = "&" if "?" in redirect_uri else "?"
    query = urlencode({name: value for name, value in params.items() if value})
    return Response(status=302, headers={"Location": f"{redirect_uri}{separator}{query}"})


def _page(message: str, status: int = 200) -> Response:
    body = f"<!doctype html><title>Local sign-in</title><p>{html.escape(message)}</p>"
    return Response(body, status=status, mimetype="text/html")


def _sign_in_form(values: dict[str, str]) -> Response:
    hidden = "".join(
        f'<input type="hidden" name="{html.escape(name)}" value="{html.escape(value)}">'
        for name, value in values.items()
        if name != "username"
    )
    body = (
        "<!doctype html><html lang=en><meta charset=utf-8><title>Local sign-in</title>"
        "<main style='font-family: system-ui; max-width: 28rem; margin: 3rem auto'>"
        "<h1>Sign in to the local API</h1>"
        "<p>The local issuer of <code>make run SIGN_IN=1</code>: it asks for a name only.</p>"
        f"<form method=post action=/authorize>{hidden}"
        "<label for=username>Name</label> "
        "<input id=username name=username value=developer autocomplete=username> "
        "<button type=submit>Sign in</button></form></main></html>"
    )
    return Response(body, mimetype="text/html")
