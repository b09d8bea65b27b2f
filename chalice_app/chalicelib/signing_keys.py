"""The token issuer's public keys: its JWKS document, fetched on first use and again when a
token names a key not seen yet (issuers rotate keys), at most once per ``REFETCH_SECONDS`` so
that tokens naming made-up keys cannot make the proxy call the issuer on every request."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Callable

from jwt.exceptions import InvalidKeyError

from chalicelib.rs256 import RsaPublicKey, key_from_jwk

FETCH_TIMEOUT_SECONDS = 3.0
REFETCH_SECONDS = 60.0
# After a failed fetch: soon enough to recover quickly, rarely enough not to stall every request.
RETRY_SECONDS = 5.0
# Cognito's JWKS holds two keys, a few KB; anything much larger is not a key set.
MAX_DOCUMENT_BYTES = 256 * 1024


class KeysUnavailable(Exception):
    """The key set could not be fetched or read: the issuer's fault, not the caller's."""


def fetch_document(url: str) -> bytes:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_SECONDS) as answer:
        body: bytes = answer.read(MAX_DOCUMENT_BYTES + 1)
    if len(body) > MAX_DOCUMENT_BYTES:
        raise KeysUnavailable(f"{url} answered more than {MAX_DOCUMENT_BYTES} bytes")
    return body


def parse_key_set(document: bytes) -> dict[str | None, RsaPublicKey]:
    """The RS256 signing keys of a JWKS document, by ``kid``; others (EC keys, encryption
    keys, keys for other algorithms) are skipped, as RFC 7517 section 5 allows."""
    try:
        keys = json.loads(document)["keys"]
    except (ValueError, KeyError, TypeError, RecursionError):
        keys = None
    if not isinstance(keys, list):
        raise KeysUnavailable("not a JWKS document")
    found: dict[str | None, RsaPublicKey] = {}
    for jwk in keys:
        if not isinstance(jwk, dict) or jwk.get("use", "sig") != "sig":
            continue
        if jwk.get("alg", "RS256") != "RS256":
            continue
        try:
            found[jwk.get("kid")] = key_from_jwk(jwk)
        except InvalidKeyError:
            continue
    return found


class KeySet:
    def __init__(
        self,
        url: str,
        fetch: Callable[[str], bytes] = fetch_document,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self._fetch = fetch
        self._clock = clock
        self._keys: dict[str | None, RsaPublicKey] | None = None
        self._next_fetch = float("-inf")
        self._lock = threading.Lock()

    def key_for(self, kid: str | None) -> RsaPublicKey | None:
        """The key a token names; None when the issuer has no such key. A token without a
        ``kid`` may use the only key of a set that has one. KeysUnavailable while the set has
        never been fetched (a failed fetch is tried again after ``RETRY_SECONDS``)."""
        key = self._lookup(kid)
        if key is None and self._clock() >= self._next_fetch:
            with self._lock:
                if self._clock() >= self._next_fetch:
                    self._refresh()
            key = self._lookup(kid)
        if key is None and self._keys is None:
            raise KeysUnavailable(f"{self.url} has not been fetched yet")
        return key

    def _lookup(self, kid: str | None) -> RsaPublicKey | None:
        keys = self._keys or {}
        if kid is None and len(keys) == 1:
            return next(iter(keys.values()))
        return keys.get(kid) if kid is not None else None

    def _refresh(self) -> None:
        try:
            keys = parse_key_set(self._fetch(self.url))
        except Exception as error:  # urllib's URLError, timeouts, HTTP errors, bad TLS, bad JSON
            self._next_fetch = self._clock() + RETRY_SECONDS
            if isinstance(error, KeysUnavailable):
                raise
            raise KeysUnavailable(f"{self.url}: {type(error).__name__}: {error}") from None
        self._keys = keys
        self._next_fetch = self._clock() + REFETCH_SECONDS
