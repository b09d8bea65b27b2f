"""How the provisioning tests run the deploy against moto, and watch what it calls."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from moto import mock_aws

from provisioning.aws import AwsClients
from provisioning.endpoint.deploy import deploy_endpoint
from provisioning.plan import Deployment
from scripts import deploy_endpoint as deploy_command
from tests.support import moto_model_answer

READ_ONLY_PREFIXES = ("Describe", "Get", "List", "Head")


class Recorder:
    """Every operation the scripts call, in order."""

    def __init__(self, aws: AwsClients) -> None:
        self.calls: list[str] = []
        for client in (aws.s3, aws.iam, aws.sts, aws.sagemaker, aws.runtime, aws.autoscaling):
            client.meta.events.register("before-call.*.*", self._record)

    def _record(self, model: object, **_: object) -> None:
        self.calls.append(model.name)  # type: ignore[attr-defined]

    @property
    def mutating(self) -> list[str]:
        return [call for call in self.calls if not call.startswith(READ_ONLY_PREFIXES)]

    def clear(self) -> None:
        self.calls.clear()


def make_aws(region: str, model_tar: Path | None = None) -> Iterator[AwsClients]:
    with mock_aws():
        if model_tar is not None:
            moto_model_answer(model_tar, region)
        yield AwsClients.create(region)


def run_deploy(
    aws: AwsClients, model: Path, config_dir: Path, *extra: str
) -> tuple[int, list[str]]:
    lines: list[str] = []
    args = deploy_command.parser().parse_args(
        [
            "--endpoint-name",
            "iris-test",
            "--model",
            str(model),
            "--chalice-config-dir",
            str(config_dir),
            *extra,
        ]
    )
    run = Deployment(aws, dry_run=args.dry_run, out=lines.append, sleep=lambda _: None)
    return deploy_endpoint(deploy_command.request_from(args), aws, run), lines
