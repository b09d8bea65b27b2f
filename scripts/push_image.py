"""Build the serving image (container/Dockerfile) and push it to an ECR repository.

    python -m scripts.push_image --repository sagemaker-proxy-model [--tag T] [--dry-run]

Creates the repository if missing (scan on push, immutable tags, encrypted, tagged with the
project), logs Docker in with ECR's authorization token, builds and pushes. The default tag
is a hash of everything that goes into the image, so a rerun with nothing changed pushes
nothing, and immutable tags never have to be overwritten. Prints the image URI for
``python -m scripts.deploy_endpoint --image``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import boto3

from foundation.command_help import ends_with_example
from provisioning import checks
from provisioning.checks import AWS_ERRORS
from provisioning.registry import Docker, DockerError, content_tag, push


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        **ends_with_example(
            "python -m scripts.push_image --repository sagemaker-proxy-model --dry-run"
        ),
        prog="python -m scripts.push_image",
        description=__doc__,
    )
    parser.add_argument("--repository", required=True, help="ECR repository name")
    parser.add_argument(
        "--tag",
        help="image tag (default: sha- and a hash of container/ and serving/, so it changes "
        "exactly when the image would)",
    )
    parser.add_argument("--region", help="AWS region (default: from the AWS configuration)")
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="only describe: print what would be created and pushed",
    )
    return parser


def main(argv: Sequence[str] | None = None, docker: Docker | None = None) -> int:
    args = parser().parse_args(argv)
    session = boto3.Session(region_name=args.region)
    if not session.region_name:
        print("no region: pass --region or set AWS_REGION / AWS_DEFAULT_REGION", file=sys.stderr)
        return 2
    tag = args.tag or content_tag()
    try:
        image = push(session.client("ecr"), docker or Docker(), args.repository, tag, args.dry_run)
    except DockerError as error:
        print(f"push_image failed: {error}", file=sys.stderr)
        return 1
    except AWS_ERRORS as error:
        print(f"push_image failed: {checks.one_line(error)}", file=sys.stderr)
        return 1
    if not args.dry_run:
        print(f"\nImage: {image}\nDeploy it: python -m scripts.deploy_endpoint --image {image}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
