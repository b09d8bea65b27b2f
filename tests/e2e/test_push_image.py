"""scripts.push_image: the ECR calls on moto, Docker behind its one seam (no daemon here)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from foundation.paths import REPO_ROOT
from provisioning import registry
from scripts import push_image

REGION = "eu-west-1"
READ_ONLY_PREFIXES = ("Describe", "List", "Get")


class FakeDockerCli:
    """Stands in for subprocess.run of the docker CLI: records every command and its stdin."""

    def __init__(self, fail_on: str | None = None) -> None:
        self.commands: list[list[str]] = []
        self.stdin: list[str | None] = []
        self.fail_on = fail_on

    def __call__(self, command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        self.commands.append(command)
        self.stdin.append(kwargs.get("input"))
        failed = command[1] == self.fail_on
        return subprocess.CompletedProcess(
            command, 1 if failed else 0, "", "denied: not authorized" if failed else ""
        )

    @property
    def verbs(self) -> list[str]:
        return [command[1] for command in self.commands]


@pytest.fixture
def ecr(fake_credentials: None) -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("ecr", region_name=REGION)
        calls: list[str] = []
        client.meta.events.register("before-call.*.*", lambda model, **_: calls.append(model.name))
        client.calls = calls  # type: ignore[attr-defined]
        yield client


def run(ecr: Any, cli: FakeDockerCli, *, dry_run: bool = False, tag: str = "sha-test") -> str:
    return registry.push(
        ecr, registry.Docker(run=cli), "proxy-model", tag, dry_run, out=lambda line: None
    )


def test_first_push_creates_a_locked_down_repository_then_logs_in_builds_and_pushes(
    ecr: Any,
) -> None:
    cli = FakeDockerCli()
    image = run(ecr, cli)

    repository = ecr.describe_repositories(repositoryNames=["proxy-model"])["repositories"][0]
    assert repository["imageTagMutability"] == "IMMUTABLE"
    assert repository["imageScanningConfiguration"] == {"scanOnPush": True}
    assert repository["encryptionConfiguration"]["encryptionType"] == "AES256"
    tags = ecr.list_tags_for_resource(resourceArn=repository["repositoryArn"])["tags"]
    assert {"Key": "project", "Value": "sagemaker-proxy"} in tags

    assert image == f"{repository['repositoryUri']}:sha-test"
    assert cli.verbs == ["login", "build", "push"]
    login = cli.commands[0]
    registry_host = repository["repositoryUri"].split("/")[0]
    assert login[-1] == registry_host and "--password-stdin" in login
    assert "--username" in login and login[login.index("--username") + 1] == "AWS"
    assert cli.stdin[0]  # the password from ECR's token, on stdin only
    assert all(cli.stdin[0] not in part for command in cli.commands for part in command)
    build = cli.commands[1]
    assert build[build.index("--file") + 1] == str(registry.DOCKERFILE)
    assert build[build.index("--tag") + 1] == image
    assert build[build.index("--platform") + 1] == "linux/amd64"
    assert build[-1] == str(REPO_ROOT)
    assert cli.commands[2] == ["docker", "push", image]


def test_an_image_already_pushed_is_not_built_again(ecr: Any) -> None:
    run(ecr, FakeDockerCli())
    # Given the registry now holds that tag (the fake CLI pushed nothing, so put it there)
    manifest = (
        '{"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json"}'
    )
    ecr.put_image(repositoryName="proxy-model", imageManifest=manifest, imageTag="sha-test")
    cli = FakeDockerCli()
    image = run(ecr, cli)
    assert cli.commands == []
    assert image.endswith("/proxy-model:sha-test")


def test_dry_run_only_describes_and_never_calls_docker(ecr: Any) -> None:
    cli = FakeDockerCli()
    image = run(ecr, cli, dry_run=True)
    assert cli.commands == []
    assert [c for c in ecr.calls if not c.startswith(READ_ONLY_PREFIXES)] == []
    assert image == "proxy-model:sha-test"
    with pytest.raises(ecr.exceptions.RepositoryNotFoundException):
        ecr.describe_repositories(repositoryNames=["proxy-model"])


def test_a_docker_failure_is_reported_with_its_step(ecr: Any) -> None:
    with pytest.raises(registry.DockerError, match="docker login failed: denied"):
        run(ecr, FakeDockerCli(fail_on="login"))


def test_main_prints_the_image_and_the_deploy_command(
    ecr: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    code = push_image.main(
        ["--repository", "proxy-model", "--region", REGION],
        docker=registry.Docker(run=FakeDockerCli()),
    )
    out = capsys.readouterr().out
    assert code == 0
    image = out.split("Image: ")[1].split()[0]
    assert image.endswith(f"/proxy-model:{registry.content_tag()}")
    assert f"python -m scripts.deploy_endpoint --image {image}" in out


def test_main_exits_1_when_docker_fails(ecr: Any, capsys: pytest.CaptureFixture[str]) -> None:
    code = push_image.main(
        ["--repository", "proxy-model", "--region", REGION],
        docker=registry.Docker(run=FakeDockerCli(fail_on="build")),
    )
    assert code == 1
    assert "push_image failed: docker build failed" in capsys.readouterr().err


def test_the_default_tag_changes_exactly_when_the_image_would(tmp_path: Path) -> None:
    for source in registry.IMAGE_INPUTS:
        entry = source.relative_to(REPO_ROOT)
        if source.is_dir():
            shutil.copytree(source, tmp_path / entry, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            (tmp_path / entry).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, tmp_path / entry)
    original = registry.content_tag(tmp_path)
    assert original == registry.content_tag(REPO_ROOT)
    (tmp_path / "README.md").write_text("not in the image")
    assert registry.content_tag(tmp_path) == original
    with (tmp_path / "serving" / "model.py").open("a") as handle:
        handle.write("\n# a change\n")
    assert registry.content_tag(tmp_path) != original


def test_the_tag_hashes_exactly_what_the_dockerfile_copies() -> None:
    # The image holds serving/ alone (never the local stand-in) and its requirements
    copied = set()
    for line in registry.DOCKERFILE.read_text().splitlines():
        if line.startswith("COPY "):
            copied.add(line.split()[1].rstrip("/"))
    hashed = {str(path.relative_to(REPO_ROOT)) for path in registry.IMAGE_INPUTS}
    assert copied == {"container/requirements.txt", "serving"}
    assert hashed == copied | {"container/Dockerfile"}
    assert not any((REPO_ROOT / "serving").glob("*runtime_api*"))
