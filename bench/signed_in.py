"""What sign-in costs a warm request: the proxy on a stage that checks tokens (AUTH_MODE=jwt), the
same token on every call as a client sends it, against the bare Lambda, which checks nothing. The
issuer's keys are handed in (no issuer runs); the token is signed by the local issuer's code."""

from __future__ import annotations

import contextlib
import json
import os
from typing import Any

from bench.events import LambdaContext, predict_event
from bench.harness import BenchModel
from bench.report import Figure

ISSUER = "https://issuer.bench.example"


def signed_in_figure(rounds: int, model: BenchModel) -> Figure:
    """To run after ``warm_requests`` in the same process (its app and stage)."""
    import bare_lambda
    from app import app
    from cryptography.hazmat.primitives.asymmetric import rsa

    from bench.warm import per_request_ms
    from chalicelib.signin.auth import AuthSettings, use_auth_settings
    from chalicelib.signin.signing_keys import KeySet
    from local_identity import keys

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    document = json.dumps(keys.jwks(key)).encode()
    settings = AuthSettings(mode="jwt", issuer=ISSUER, audiences=(keys.AUDIENCE,))
    use_auth_settings(settings, KeySet(settings.key_set_url, fetch=lambda url: document))
    event: dict[str, Any] = predict_event(1, model.signature)
    event["headers"] = {**event["headers"], "Authorization": f"Bearer {keys.sign(key, ISSUER)}"}
    calls = 100
    ours: list[float] = []
    bare: list[float] = []
    try:
        with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
            per_request_ms(app, event, calls)  # the first call checks the token
            for round_ in range(rounds):
                pair = [(app, ours), (bare_lambda.handler, bare)]
                for handler, into in pair if round_ % 2 == 0 else reversed(pair):
                    into.append(per_request_ms(handler, event, calls))
            assert app(event, LambdaContext())["statusCode"] == 200
    finally:
        use_auth_settings(None)
    return Figure("Warm request, 1 record, signed in", "ms", ours, bare, "report")
