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
import base64
import hashlib
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError

from scripts import checks
from scripts.aws import PROJECT, PROJECT_TAG_KEY
from scripts.checks import AWS_ERRORS

REPO_ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = REPO_ROOT / "container" / "Dockerfile"
# Everything the Dockerfile copies or reads: the tag changes exactly when the image would.
IMAGE_INPUTS = ("container/Dockerfile", "container/requirements.txt", "serving")


def content_tag(root: Path = REPO_ROOT) -> str:
    digest = hashlib.sha256()
    for entry in IMAGE_INPUTS:
        path = root / entry
        files = sorted(path.rglob("*.py")) if path.is_dir() else [path]
        for file in files:
            digest.update(file.relative_to(root).as_posix().encode() + b"\0")
            digest.update(file.read_bytes() + b"\0")
    return f"sha-{digest.hexdigest()[:12]}"


class DockerError(RuntimeError):
    pass


@dataclass
class Docker:
    """The one seam to the Docker CLI (tests replace it; no daemon runs here)."""

    run: Callable[..., subprocess.CompletedProcess[str]] = subprocess.run

    def _docker(self, *args: str, stdin: str | None = None) -> None:
        try:
            finished = self.run(
                ["docker", *args], input=stdin, text=True, capture_output=stdin is not None
            )
        except FileNotFoundError:
            raise DockerError("the docker command is not installed") from None
        if finished.returncode != 0:
            detail = (finished.stderr or "").strip().splitlines()[-1:] if stdin else []
            raise DockerError(f"docker {args[0]} failed{': ' + detail[0] if detail else ''}")

    def login(self, registry: str, username: str, password: str) -> None:
        # The password goes on stdin: never on a command line other users can read.
        self._docker("login", "--username", username, "--password-stdin", registry, stdin=password)

    def build(self, image: str) -> None:
        # SageMaker's instances are x86_64; build for them whatever the laptop is.
        self._docker(
            "build", "--platform", "linux/amd64", "--file", str(DOCKERFILE), "--tag", image,
            str(REPO_ROOT),
        )  # fmt: skip

    def push(self, image: str) -> None:
        self._docker("push", image)


def ensure_repository(ecr: Any, name: str, dry_run: bool, out: Callable[[str], None]) -> str | None:
    """The repository's URI, made if missing. None only in a dry run that would create it."""
    try:
        repository = ecr.describe_repositories(repositoryNames=[name])["repositories"][0]
    except ClientError as error:
        if error.response["Error"]["Code"] != "RepositoryNotFoundException":
            raise
    else:
        if repository.get("imageTagMutability") != "IMMUTABLE":
            out(f"note: repository {name} allows tags to be overwritten; left as it is")
        out(f"repository {name} exists: {repository['repositoryUri']}")
        return str(repository["repositoryUri"])
    if dry_run:
        out(f"would create repository {name} (scan on push, immutable tags, AES256)")
        return None
    repository = ecr.create_repository(
        repositoryName=name,
        imageScanningConfiguration={"scanOnPush": True},
        imageTagMutability="IMMUTABLE",
        encryptionConfiguration={"encryptionType": "AES256"},
        tags=[{"Key": PROJECT_TAG_KEY, "Value": PROJECT}],
    )["repository"]
    out(f"created repository {name}: {repository['repositoryUri']}")
    return str(repository["repositoryUri"])


def image_exists(ecr: Any, repository: str, tag: str) -> bool:
    try:
        ecr.describe_images(repositoryName=repository, imageIds=[{"imageTag": tag}])
    except ClientError as error:
        if error.response["Error"]["Code"] in (
            "ImageNotFoundException",
            "RepositoryNotFoundException",
        ):
            return False
        raise
    return True


def push(
    ecr: Any,
    docker: Docker,
    repository: str,
    tag: str,
    dry_run: bool,
    out: Callable[[str], None] = print,
) -> str:
    """Returns the image URI (what it is, or would be, in a dry run)."""
    uri = ensure_repository(ecr, repository, dry_run, out)
    if uri is not None and image_exists(ecr, repository, tag):
        out(f"{uri}:{tag} is already pushed: nothing to build")
        return f"{uri}:{tag}"
    if dry_run:
        out(
            f"would build {DOCKERFILE.relative_to(REPO_ROOT)} and push it as {uri or repository}:{tag}"
        )
        return f"{uri or repository}:{tag}"
    assert uri is not None
    token = ecr.get_authorization_token()["authorizationData"][0]
    username, _, password = base64.b64decode(token["authorizationToken"]).decode().partition(":")
    registry = token["proxyEndpoint"].removeprefix("https://")
    image = f"{uri}:{tag}"
    out(f"logging Docker in to {registry}")
    docker.login(registry, username, password)
    out(f"building {image}")
    docker.build(image)
    out(f"pushing {image}")
    docker.push(image)
    return image


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.push_image",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
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
