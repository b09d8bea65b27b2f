"""How the provisioning tests run the deploy against moto, and watch what it calls; and the
account in moto_server that the commands run against as processes (tests.e2e.command_runs): made
fresh, and looked at."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import requests
from moto import mock_aws

from provisioning.aws import AwsClients
from provisioning.endpoint.deploy import deploy_endpoint
from provisioning.plan import Deployment
from scripts import deploy_endpoint as deploy_command
from tests.e2e.command_runs import REGION
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


def fresh_account(moto_url: str, model_tar: Path, answers: int) -> str:
    """moto_server reset to a fresh account, ``answers`` of the deploy's smoke tests queued as
    the model would answer them (one for each endpoint a test deploys)."""
    requests.post(f"{moto_url}/moto-api/reset", timeout=10).raise_for_status()
    for _ in range(answers):
        moto_model_answer(model_tar, REGION, moto_url)
    return moto_url


def moto_clients(
    moto_url: str, services: tuple[str, ...] = ("s3", "sagemaker", "iam", "cloudwatch")
) -> dict[str, Any]:
    """boto3 clients straight to moto_server, to look at what the commands left."""
    return {
        name: boto3.client(name, region_name=REGION, endpoint_url=moto_url,
                           aws_access_key_id="testing", aws_secret_access_key="testing")
        for name in services
    }  # fmt: skip


def serving_is_whole(aws: dict[str, Any], endpoint: str) -> bool:
    """The endpoint is InService on a config that exists, whose model exists."""
    sm = aws["sagemaker"]
    described = sm.describe_endpoint(EndpointName=endpoint)
    config = sm.describe_endpoint_config(EndpointConfigName=described["EndpointConfigName"])
    models = {m["ModelName"] for m in sm.list_models()["Models"]}
    return described["EndpointStatus"] == "InService" and all(
        variant["ModelName"] in models for variant in config["ProductionVariants"]
    )
