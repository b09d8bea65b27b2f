"""Print a token from the local issuer of `make run SIGN_IN=1`, for curl, Postman or the
TypeScript client: ``curl -H "Authorization: Bearer $(python -m scripts.local_token)" ...``.
Signed with build/local-identity/signing-key.pem; only a proxy that trusts that issuer
accepts it (never a deployed stage)."""

from __future__ import annotations

import argparse
import sys

from foundation.command_help import ends_with_example
from local_identity import keys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        **ends_with_example(
            'curl -H "Authorization: Bearer $(python -m scripts.local_token)" http://127.0.0.1:8000/openapi.json'
        ),
        prog="python -m scripts.local_token",
        description=__doc__,
    )
    parser.add_argument("--subject", default="developer", help="who the token names (sub)")
    parser.add_argument(
        "--scope",
        default=keys.SCOPE,
        help=f"space-separated scopes (default: {keys.SCOPE}, what the local proxy asks for)",
    )
    parser.add_argument(
        "--expires-in", type=int, default=3600, help="seconds the token is good for (default 3600)"
    )
    parser.add_argument(
        "--issuer-port",
        type=int,
        default=keys.DEFAULT_PORT,
        help=f"the local issuer's port, part of the token's issuer (default {keys.DEFAULT_PORT})",
    )
    args = parser.parse_args(argv)
    if not 0 < args.expires_in <= 24 * 3600:
        parser.error("--expires-in: between 1 and 86400 seconds")
    token = keys.sign(
        keys.load_or_create_key(),
        keys.issuer_url(args.issuer_port),
        subject=args.subject,
        scope=args.scope,
        lifetime_seconds=args.expires_in,
    )
    print(token)
    return 0


if __name__ == "__main__":
    sys.exit(main())
