"""The local issuer's signing key (build/local-identity/signing-key.pem, made on first use) and
the tokens it signs. For development only: anyone who can read build/ can sign as it."""

from __future__ import annotations

import base64
import os
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from foundation.paths import BUILD_DIR

KEY_PATH = BUILD_DIR / "local-identity" / "signing-key.pem"
DEFAULT_PORT = 8090
# What the local stage's proxy checks when signing in (scripts.run_local --sign-in).
AUDIENCE = "sagemaker-proxy"
SCOPE = "predict"
# The demo page's client id at the local issuer.
CLIENT_ID = "demo-page"


def issuer_url(port: int = DEFAULT_PORT) -> str:
    return f"http://127.0.0.1:{port}"


def load_or_create_key(path: Path = KEY_PATH) -> rsa.RSAPrivateKey:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        # Written whole, readable by its owner only. Linked, not renamed, into place: of two
        # first runs at once, one key wins and both use it.
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(pem)
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    assert isinstance(loaded, rsa.RSAPrivateKey), f"{path} is not an RSA key"
    return loaded


def key_id(key: rsa.RSAPrivateKey) -> str:
    """A kid that changes with the key, so a new key is fetched rather than mistaken."""
    numbers = key.public_key().public_numbers()
    return uuid.uuid5(uuid.NAMESPACE_URL, f"{numbers.n:x}").hex[:16]


def _b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwks(key: rsa.RSAPrivateKey) -> dict[str, Any]:
    numbers = key.public_key().public_numbers()
    return {
        "keys": [
            {
                "kty": "RSA",
                "use": "sig",
                "alg": "RS256",
                "kid": key_id(key),
                "n": _b64(numbers.n),
                "e": _b64(numbers.e),
            }
        ]
    }


def sign(
    key: rsa.RSAPrivateKey,
    issuer: str,
    subject: str = "developer",
    audience: str | None = AUDIENCE,
    scope: str = SCOPE,
    lifetime_seconds: int = 3600,
    client_id: str = CLIENT_ID,
    **claims: Any,
) -> str:
    """An access token shaped like Cognito's and Auth0's: iss, sub, aud, client_id, scope."""
    now = int(time.time())
    payload: dict[str, Any] = {
        "iss": issuer,
        "sub": subject,
        "client_id": client_id,
        "scope": scope,
        "iat": now,
        "exp": now + lifetime_seconds,
        "jti": uuid.uuid4().hex,
        **claims,
    }
    if audience is not None:
        payload["aud"] = audience
    return jwt.encode(payload, key, algorithm="RS256", headers={"kid": key_id(key)})
