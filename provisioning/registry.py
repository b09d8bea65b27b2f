"""The serving image in ECR: its repository, a tag that hashes what goes into it, and the one
seam to the Docker CLI (build, login, push)."""

from __future__ import annotations

import base64
import hashlib
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from foundation.paths import CONTAINER_DIR, REPO_ROOT, SERVING_DIR
from provisioning.aws import PROJECT_TAG_KEY
from provisioning.naming import PROJECT

DOCKERFILE = CONTAINER_DIR / "Dockerfile"
# Exactly what the Dockerfile copies or reads: the tag changes exactly when the image would.
IMAGE_INPUTS = (DOCKERFILE, CONTAINER_DIR / "requirements.txt", SERVING_DIR)


def content_tag(root: Path = REPO_ROOT) -> str:
    digest = hashlib.sha256()
    for entry in IMAGE_INPUTS:
        path = root / entry.relative_to(REPO_ROOT)
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
