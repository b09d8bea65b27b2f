"""The token issuer's public keys: its JWKS document, cached for a bounded time.

- Fetched on first use, and again on the first request after the set is ``max_age`` old, so a
  key the issuer removes (the answer to a leaked key) is refused at most ``max_age`` after it
  went, whether or not a token with an unseen key id ever arrives.
- Also fetched when a token names a key not seen yet (issuers publish the next key before they
  sign with it), at most once per ``REFETCH_SECONDS``, so that tokens naming made-up keys
  cannot make the proxy call the issuer on every request.
- While the issuer cannot be reached, the set in hand still checks tokens (tried again every
  ``RETRY_SECONDS``), but only until it is ``hard_limit`` old: then nothing is checked with it
  and every token gets KeysUnavailable (503) until a fetch succeeds.
- A fetch is bounded as a whole, not per socket read: ``FETCH_SECONDS`` and the request's own
  deadline, whichever comes first (chalicelib/deadline.py), so an issuer that trickles its
  document a byte at a time cannot hold a request.

The refetch runs inside the request that finds the set old, not on a background thread: Lambda
freezes the process between invocations, so a background fetch would stall and resume at
random; this way one request in ``max_age`` pays the fetch (a few KB, tens of ms).
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Callable

from jwt.exceptions import InvalidKeyError

from chalicelib.deadline import DeadlineExceeded, call_within
from chalicelib.signin.rs256 import RsaPublicKey, key_from_jwk

# The whole fetch: connecting, the headers and every read of the body.
FETCH_SECONDS = 3.0
REFETCH_SECONDS = 60.0
# After a failed fetch: soon enough to recover quickly, rarely enough not to stall every request.
RETRY_SECONDS = 5.0
# The stage's defaults (chalicelib/signin/auth.py reads its settings; README, "Who may call").
DEFAULT_MAX_AGE_SECONDS = 600.0
DEFAULT_HARD_LIMIT_SECONDS = 3600.0
# Cognito's JWKS holds two keys, a few KB; anything much larger is not a key set.
MAX_DOCUMENT_BYTES = 256 * 1024
_READ_BYTES = 16 * 1024

Keys = dict[str | None, RsaPublicKey]


class KeysUnavailable(Exception):
    """The key set could not be fetched or read: the issuer's fault, not the caller's."""


def fetch_document(url: str, seconds: float = FETCH_SECONDS) -> bytes:
    """The document at ``url``. Each socket read waits at most ``seconds``, and reading stops
    once ``seconds`` have passed in all: the caller's deadline answers the request on time, and
    this ends a fetch it left behind on a worker thread (chalicelib/deadline.py)."""
    until = time.monotonic() + seconds
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    body = bytearray()
    with urllib.request.urlopen(request, timeout=seconds) as answer:
        while chunk := answer.read1(_READ_BYTES):
            body += chunk
            if len(body) > MAX_DOCUMENT_BYTES:
                raise KeysUnavailable(f"{url} answered more than {MAX_DOCUMENT_BYTES} bytes")
            if time.monotonic() >= until:
                raise KeysUnavailable(f"{url} did not send its keys within {seconds:g} s")
    return bytes(body)


def parse_key_set(document: bytes) -> Keys:
    """The RS256 signing keys of a JWKS document, by ``kid``; others (EC keys, encryption
    keys, keys for other algorithms) are skipped, as RFC 7517 section 5 allows."""
    try:
        keys = json.loads(document)["keys"]
    except (ValueError, KeyError, TypeError, RecursionError):
        keys = None
    if not isinstance(keys, list):
        raise KeysUnavailable("not a JWKS document")
    found: Keys = {}
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
    """One issuer's keys. ``clock`` measures ages and intervals (tests drive it); deadlines
    are ``time.monotonic()`` values, as the request's own is."""

    def __init__(
        self,
        url: str,
        fetch: Callable[[str], bytes] = fetch_document,
        clock: Callable[[], float] = time.monotonic,
        max_age: float = DEFAULT_MAX_AGE_SECONDS,
        hard_limit: float = DEFAULT_HARD_LIMIT_SECONDS,
        fetch_seconds: float = FETCH_SECONDS,
    ) -> None:
        self.url = url
        self.max_age, self.hard_limit, self.fetch_seconds = max_age, hard_limit, fetch_seconds
        self._fetch = fetch
        self._clock = clock
        self._keys: Keys | None = None
        self._fetched_at = float("-inf")
        self._retry_at = float("-inf")
        # Changes whenever a fetch brings other keys: what was verified before may not pass now.
        self.generation = 0
        # Why the last fetch failed, for the log; None once one succeeds.
        self.last_error: str | None = None
        # Held while fetching, never while waiting past the fetch's own deadline.
        self._lock = threading.Lock()

    def refresh_if_stale(self, deadline: float | None = None) -> None:
        """Fetch the set when it never was or is ``max_age`` old; keep the old one if that
        fails and it is not yet ``hard_limit`` old. KeysUnavailable when there is no set that
        may check tokens."""
        self._fetch_when(self._stale, deadline, keep_old=True)
        self._usable()

    def key_for(self, kid: str | None, deadline: float | None = None) -> RsaPublicKey | None:
        """The key a token names; None when the issuer has no such key. A token without a
        ``kid`` may use the only key of a set that has one. KeysUnavailable when no set may
        check tokens, or when fetching for an unseen kid fails."""
        self.refresh_if_stale(deadline)
        key = _lookup(self._usable(), kid)
        if key is None:
            self._fetch_when(self._unseen_due, deadline, keep_old=False)
            key = _lookup(self._usable(), kid)
        return key

    def _stale(self, now: float) -> bool:
        return now >= self._retry_at and now - self._fetched_at >= self.max_age

    def _unseen_due(self, now: float) -> bool:
        return now >= self._retry_at and now - self._fetched_at >= REFETCH_SECONDS

    def _usable(self) -> Keys:
        if self._keys is None:
            raise KeysUnavailable(self.last_error or f"{self.url} has not been fetched yet")
        age = self._clock() - self._fetched_at
        if age >= self.hard_limit:
            raise KeysUnavailable(
                f"{self.url}: keys fetched {age:.0f} s ago, past the {self.hard_limit:g} s "
                f"limit; last fetch: {self.last_error}"
            )
        return self._keys

    def _fetch_when(
        self, due: Callable[[float], bool], deadline: float | None, keep_old: bool
    ) -> None:
        if not due(self._clock()):
            return
        # Another request fetching now: wait for it no longer than this one could fetch.
        if not self._lock.acquire(timeout=max(self._budget(deadline), 0.0)):
            return
        try:
            if due(self._clock()):
                self._refresh(deadline)
        except KeysUnavailable:
            if not keep_old or self._keys is None:
                raise
        finally:
            self._lock.release()

    def _budget(self, deadline: float | None) -> float:
        if deadline is None:
            return self.fetch_seconds
        return min(self.fetch_seconds, deadline - time.monotonic())

    def _refresh(self, deadline: float | None) -> None:
        budget = self._budget(deadline)
        try:
            keys = parse_key_set(call_within(budget, lambda: self._fetch(self.url)))
        except DeadlineExceeded:
            error: Exception = KeysUnavailable(f"{self.url}: no complete answer in {budget:.1f} s")
        except KeysUnavailable as unavailable:
            error = unavailable
        except Exception as failure:  # urllib's URLError, HTTP errors, bad TLS, bad JSON
            error = KeysUnavailable(f"{self.url}: {type(failure).__name__}: {failure}")
        else:
            if keys != self._keys:
                self.generation += 1
            self._keys, self._fetched_at, self.last_error = keys, self._clock(), None
            return
        self._retry_at = self._clock() + RETRY_SECONDS
        self.last_error = str(error)
        raise error


def _lookup(keys: Keys, kid: str | None) -> RsaPublicKey | None:
    if kid is None and len(keys) == 1:
        return next(iter(keys.values()))
    return keys.get(kid) if kid is not None else None
