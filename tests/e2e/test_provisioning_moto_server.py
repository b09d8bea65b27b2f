"""The provisioning commands as a user runs them, against moto_server through AWS_ENDPOINT_URL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from foundation import processes
from tests.e2e.command_runs import run, started_moto_server
from tests.support import REPO_ROOT, moto_model_answer


@pytest.fixture(scope="module")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from started_moto_server(tmp_path_factory)


def test_deploy_rerun_delete_and_delete_again(
    moto_server: str, trained_model: Path, chalice_config: Path
) -> None:
    deploy = [
        "--endpoint-name",
        "iris-e2e",
        "--model",
        str(trained_model / "model.tar.gz"),
        "--chalice-config-dir",
        str(chalice_config),
        "--stage",
        "dev",
    ]
    moto_model_answer(trained_model / "model.tar.gz", "eu-west-1", moto_server)
    first = run("scripts.deploy_endpoint", *deploy, endpoint_url=moto_server)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "created  endpoint iris-e2e" in first.stdout
    assert "answer   5.1,3.5,1.4,0.2 ->" in first.stdout
    stage = json.loads((chalice_config / "config.json").read_text())["stages"]["dev"]
    assert stage["environment_variables"]["SAGEMAKER_ENDPOINT_NAME"] == "iris-e2e"
    assert stage["environment_variables"]["SAGEMAKER_REGION"] == "eu-west-1"
    policy = json.loads((chalice_config / "policy-dev.json").read_text())
    assert policy["Statement"][0]["Resource"] == (
        "arn:aws:sagemaker:eu-west-1:123456789012:endpoint/iris-e2e"
    )
    # The log statement names the function's own log group (its streams are the only wildcard)
    assert policy["Statement"][1]["Resource"] == [
        "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/sagemaker-proxy-dev",
        "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/sagemaker-proxy-dev:*",
    ]

    again = run("scripts.deploy_endpoint", *deploy, endpoint_url=moto_server)
    assert again.returncode == 0 and "created" not in again.stdout

    gone = run("scripts.delete_endpoint", "--endpoint-name", "iris-e2e", endpoint_url=moto_server)
    assert gone.returncode == 0, gone.stdout + gone.stderr
    assert "deleted  endpoint iris-e2e" in gone.stdout

    twice = run("scripts.delete_endpoint", "--endpoint-name", "iris-e2e", endpoint_url=moto_server)
    assert twice.returncode == 0 and "deleted" not in twice.stdout and "absent" in twice.stdout


@pytest.mark.parametrize("module", ["scripts.deploy_endpoint", "scripts.delete_endpoint"])
def test_help_explains_every_flag(module: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", module, "--help"], cwd=REPO_ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0
    for flag in ("--endpoint-name", "--dry-run", "--region"):
        assert flag in result.stdout


def test_an_answer_the_proxy_cannot_read_fails_the_smoke_test_and_rolls_back(
    moto_server: str, trained_model: Path, chalice_config: Path
) -> None:
    # Given moto's canned answer ("body"), which is not the model's JSON
    requests.post(f"{moto_server}/moto-api/reset", timeout=10).raise_for_status()
    result = run(
        "scripts.deploy_endpoint",
        "--endpoint-name", "iris-canned",
        "--model", str(trained_model / "model.tar.gz"),
        "--chalice-config-dir", str(chalice_config),
        endpoint_url=moto_server,
    )  # fmt: skip
    assert result.returncode == 1
    assert "FAILED at smoke test" in result.stdout
    assert "removed  endpoint iris-canned" in result.stdout
    assert "iris-canned" not in (chalice_config / "config.json").read_text()
    assert "Traceback" not in result.stdout + result.stderr


BAD_ARGUMENTS = [
    (["--endpoint-name", "bad_name!"], "--endpoint-name"),
    (["--endpoint-name", "x" * 64], "--endpoint-name"),
    (["--instance-count", "-1"], "--instance-count"),
    (["--instance-count", "0"], "--instance-count"),
    (["--target-invocations", "nan"], "--target-invocations"),
    (["--target-invocations", "inf"], "--target-invocations"),
    (["--autoscale-min", "3", "--autoscale-max", "2"], "--autoscale-max"),
    (["--serverless-memory", "2048", "--autoscale-max", "2"], "serverless"),
    (["--model", "tests"], "not a file"),  # a folder that every checkout has
    (["--model", "README.md"], "gzipped tar"),
    (["--image", "notanimage"], "--image"),
    (["--image", "123.dkr.ecr.x.amazonaws.com/r:t"], "--image"),
    (["--xgboost-version", "1.2-1"], "answers rows as text"),
    (["--xgboost-version", "1.7-1"], "older than the artifact"),
    (["--xgboost-version", "9.9-9"], "not a known"),
    (["--region", "bogus-region-9"], "--region"),
    (["--role-arn", "admin"], "--role-arn"),
    (["--bucket", "Not_A_Bucket"], "--bucket"),
    (["--stage", "../etc"], "--stage"),
    (["--traffic", "blue"], "--traffic 'blue'"),
    (["--traffic", "canary:0:300"], "PERCENT must be 1 to 99"),
    (["--traffic", "linear:20:9999"], "seconds must be 0 to 3600"),
    (["--capture-percent", "101"], "--capture-percent"),
    (["--alarm-5xx", "-1"], "--alarm-5xx"),
    (["--alarm-model-latency-ms", "nan"], "--alarm-model-latency-ms"),
    # A signature that cannot be read (one of another artifact: the test below)
    (["--signature", "README.md"], "not a JSON file"),
    (["--signature", "no-such.json"], "no-such.json not found"),
]


@pytest.mark.parametrize(
    ("arguments", "said"), BAD_ARGUMENTS, ids=[" ".join(a) for a, _ in BAD_ARGUMENTS]
)
def test_bad_arguments_exit_2_before_any_aws_call(
    trained_model: Path, chalice_config: Path, arguments: list[str], said: str
) -> None:
    # Nothing listens at this AWS_ENDPOINT_URL: any AWS call would fail with exit 1, not 2.
    nowhere = f"http://127.0.0.1:{processes.free_port()}"
    base = ["--endpoint-name", "iris-args", "--model", str(trained_model / "model.tar.gz")]
    result = run(
        "scripts.deploy_endpoint",
        *base, "--chalice-config-dir", str(chalice_config), *arguments,
        endpoint_url=nowhere,
    )  # fmt: skip
    assert result.returncode == 2, result.stdout + result.stderr
    assert said in result.stderr
    assert "Traceback" not in result.stderr
    assert "iris-args" not in (chalice_config / "config.json").read_text()


@pytest.mark.parametrize(
    ("environment", "said"),
    [
        ({"AWS_ENDPOINT_URL": ""}, "no AWS credentials"),
        ({"AWS_ENDPOINT_URL": "http://127.0.0.1:9"}, "could not reach AWS"),
    ],
    ids=["no credentials", "unreachable"],
)
def test_aws_failures_end_in_one_line_and_exit_1(
    trained_model: Path,
    chalice_config: Path,
    environment: dict[str, str],
    said: str,
    tmp_path: Path,
) -> None:
    env = {
        **os.environ,
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_EC2_METADATA_DISABLED": "true",
        **environment,
    }
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        env.pop(name, None)
    if environment["AWS_ENDPOINT_URL"]:
        env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
    else:
        env.pop("AWS_ENDPOINT_URL")
    for command in (["--dry-run"], []):
        result = subprocess.run(
            [sys.executable, "-m", "scripts.deploy_endpoint", "--endpoint-name", "iris-x",
             "--model", str(trained_model / "model.tar.gz"),
             "--chalice-config-dir", str(chalice_config), *command],
            cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert result.returncode == 1, result.stdout + result.stderr
        assert said in result.stdout
        assert "Traceback" not in result.stdout + result.stderr
        assert len((result.stdout + result.stderr).strip().splitlines()) <= 3


def test_a_signature_of_another_artifact_exits_2_before_any_aws_call(
    trained_model: Path, chalice_config: Path, tmp_path: Path
) -> None:
    # Given the artifact with the signature of another model beside it (trained with another seed)
    from scripts import train_model

    other = train_model.write_artifacts(tmp_path / "other.tar.gz", seed=3, rounds=5)
    (tmp_path / "model.tar.gz").write_bytes((trained_model / "model.tar.gz").read_bytes())
    (tmp_path / "model.signature.json").write_text(json.dumps(other.to_json()))
    # When it is deployed
    nowhere = f"http://127.0.0.1:{processes.free_port()}"
    result = run(
        "scripts.deploy_endpoint", "--endpoint-name", "iris-args",
        "--model", str(tmp_path / "model.tar.gz"), "--chalice-config-dir", str(chalice_config),
        endpoint_url=nowhere,
    )  # fmt: skip
    # Then nothing is called and it says which
    assert result.returncode == 2, result.stdout + result.stderr
    assert "was made for another artifact" in result.stderr
