"""The issuer's key set is fetched under one bound for the whole fetch (#39), against a real HTTP
server on loopback that sends a valid JWKS a byte at a time, each byte well inside the per-read
timeout: read to its end it would take half a minute. The fetch is cut at the bound instead (the
server sees the connection go before its last byte), and the request gets 503 with Retry-After."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from chalice.test import Client
from cryptography.hazmat.primitives.asymmetric import rsa

from chalicelib import service
from chalicelib.errors import EndpointUnavailable
from chalicelib.signin import auth
from chalicelib.signin.auth import AuthSettings, use_auth_settings
from chalicelib.signin.signing_keys import KeySet, KeysUnavailable, fetch_document
from tests.unit.test_auth import AUDIENCE, ISSUER, KID, jwk, token

BYTE_EVERY_SECONDS = 0.05


class Trickler:
    """Serves ``document`` ``chunk`` bytes at a time, one chunk every ``interval`` seconds;
    records how much went out."""

    def __init__(self, document: bytes) -> None:
        self.document = document
        self.chunk, self.interval = 1, BYTE_EVERY_SECONDS
        self.sent = 0
        self.finished = threading.Event()
        trickler = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(trickler.document)))
                self.end_headers()
                document, chunk = trickler.document, trickler.chunk
                try:
                    for start in range(0, len(document), chunk):
                        self.wfile.write(document[start : start + chunk])
                        self.wfile.flush()
                        trickler.sent = min(start + chunk, len(document))
                        time.sleep(trickler.interval)
                except OSError:  # the client hung up: what the bound is for
                    pass
                finally:
                    trickler.finished.set()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/.well-known/jwks.json"

    def cut_short(self) -> bool:
        """Whether the client left before the last byte (waits for the server to notice)."""
        assert self.finished.wait(timeout=30), "the server is still sending"
        return self.sent < len(self.document)


@pytest.fixture
def trickler() -> Iterator[Trickler]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    served = Trickler(json.dumps({"keys": [jwk(key)]}).encode())
    # Read to the end, it would take this long: far past any bound below.
    assert len(served.document) * BYTE_EVERY_SECONDS > 20
    thread = threading.Thread(target=served.server.serve_forever, daemon=True)
    thread.start()
    yield served
    served.server.shutdown()
    served.server.server_close()


def test_a_trickled_key_set_is_cut_at_the_whole_fetch_bound_with_503(
    api: Client, trickler: Trickler, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a stage whose issuer trickles its keys, and a fetch bound of 0.5 s (each byte
    # comes well inside the 3 s per-read timeout)
    issuer_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    settings = AuthSettings(mode="jwt", issuer=ISSUER, audiences=(AUDIENCE,), jwks_url=trickler.url)
    use_auth_settings(settings, KeySet(settings.key_set_url, fetch_seconds=0.5))
    try:
        # When a cold request needs the keys
        response = api.http.get(
            "/health", headers={"Authorization": f"Bearer {token(issuer_key, kid=KID)}"}
        )
    finally:
        use_auth_settings(None)
    # Then it is answered 503 with Retry-After, and the fetch was abandoned mid-document
    assert response.status_code == 503, response.body
    assert response.headers["Retry-After"] == "5"
    assert response.json_body["Code"] == "ServiceUnavailableError"
    assert trickler.cut_short()
    # cut by the whole-fetch bound, not by a per-read timeout; said in the log, not the answer
    (line,) = [json.loads(out) for out in capsys.readouterr().out.splitlines()]
    assert line["detail"] == f"signing keys: {trickler.url}: no complete answer in 0.5 s"
    assert trickler.url not in response.body.decode()


def test_the_invocations_remaining_time_bounds_the_fetch_when_it_comes_first(
    trickler: Trickler,
) -> None:
    # Given an invocation with 0.8 s left, 0.5 s of which are kept for the answer
    class Invocation:
        def get_remaining_time_in_millis(self) -> int:
            return 800

    assert auth.ANSWER_RESERVE_SECONDS == service.ANSWER_RESERVE_SECONDS
    use_auth_settings(
        AuthSettings(mode="jwt", issuer=ISSUER, audiences=(AUDIENCE,), jwks_url=trickler.url)
    )
    try:
        # When a cold request needs the keys, the stage's 3 s fetch bound is not what cuts it
        with pytest.raises(EndpointUnavailable) as raised:
            auth.authenticate({"authorization": "Bearer a.b.c"}, Invocation())
    finally:
        use_auth_settings(None)
    assert raised.value.retry_after == 5
    # cut at what the invocation had left (0.3 s, less the few ms spent before the fetch)
    cut = re.fullmatch(
        rf"signing keys: {re.escape(trickler.url)}: no complete answer in (0\.[0-3]) s",
        str(raised.value.log_detail),
    )
    assert cut is not None, raised.value.log_detail
    assert trickler.cut_short()


def test_off_the_main_thread_the_fetch_is_cut_too(trickler: Trickler) -> None:
    # `chalice local` serves each request on a thread of its own: no alarm there. The request
    # stops waiting at its bound (0.5 s); the fetch it leaves on a worker stops reading at its
    # own (1 s here, FETCH_SECONDS by default) instead of reading on for as long as it trickles.
    outcome: list[BaseException] = []
    keys = KeySet(
        trickler.url, fetch=lambda url: fetch_document(url, seconds=1.0), fetch_seconds=0.5
    )

    def request() -> None:
        try:
            keys.key_for(KID)
        except BaseException as error:
            outcome.append(error)

    thread = threading.Thread(target=request)
    thread.start()
    thread.join(timeout=30)
    assert [str(error) for error in outcome] == [f"{trickler.url}: no complete answer in 0.5 s"]
    assert trickler.cut_short()


def test_a_fetch_left_behind_stops_reading_at_its_own_bound(trickler: Trickler) -> None:
    with pytest.raises(KeysUnavailable, match=r"did not send its keys within 0\.4 s"):
        fetch_document(trickler.url, seconds=0.4)
    assert trickler.cut_short()


def test_a_document_larger_than_any_key_set_is_refused(trickler: Trickler) -> None:
    # served quickly: only its size is at stake here
    trickler.document, trickler.chunk, trickler.interval = b" " * 300_000, 65536, 0.0
    with pytest.raises(KeysUnavailable, match="more than 262144 bytes"):
        fetch_document(trickler.url, seconds=10)
