"""Write a Postman collection (v2.1) and a local environment for the model a signature describes:
a prediction and a batch from its examples (each checked against the model's own answer), both
health checks, the OpenAPI document and the main errors, each with tests of status and body.

    python -m scripts.postman_collection [--signature build/model.signature.json] [--output DIR]

The collection in examples/postman is this command's output for the Iris example (a test keeps
it current); make yours for your own model, import both files in Postman, and run them.
scripts.deploy_endpoint writes them too when a deploy changes a stage's API
(provisioning/clients/postman.py builds them).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from artifacts.packaging import ARTIFACT, signature_path_for
from foundation.command_help import ends_with_example
from foundation.lambda_code import signature as sig
from foundation.paths import BUILD_DIR
from provisioning.clients.postman import COLLECTION, ENVIRONMENT, collection, environment, write

__all__ = ["COLLECTION", "ENVIRONMENT", "collection", "environment", "main", "write"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        **ends_with_example("python -m scripts.postman_collection --output build/postman"),
        prog="python -m scripts.postman_collection",
        description=__doc__.split("\n\n")[0],
    )
    parser.add_argument(
        "--signature",
        type=Path,
        default=signature_path_for(ARTIFACT),
        help="the model's signature (default: build/model.signature.json)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=BUILD_DIR / "postman",
        help="the folder to write the two files to (default: build/postman)",
    )
    parser.add_argument("--title", default="SageMaker proxy", help="the collection's name")
    args = parser.parse_args(argv)
    try:
        signature = sig.read_signature(args.signature)
        written = write(signature, args.output, args.title)
    except (sig.SignatureError, ValueError, OSError) as error:
        print(f"postman_collection: {error}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
