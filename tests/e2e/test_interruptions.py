"""The deploy path under interruption and concurrency: `scripts.deploy_endpoint` and
`scripts.delete_endpoint` as real processes against moto_server, through a gate that holds a
named AWS call so the test can press Ctrl-C, send SIGTERM or kill -9 exactly there, or start a
second run. A fault is survived when the message is one clear line, nothing else is damaged, a
plain rerun reaches the right state, and delete removes what it says."""

from __future__ import annotations

import json
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.aws_gate import AwsGate, Hold, aws_gate
from tests.e2e.command_runs import REGION, deploy_args, run, start, started_moto_server
from tests.e2e.provisioning_runs import fresh_account, moto_clients

ACCOUNT = "123456789012"  # moto's
BUCKET = f"sagemaker-proxy-{ACCOUNT}-{REGION}"


@pytest.fixture(scope="module")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from started_moto_server(tmp_path_factory)


@pytest.fixture
def gate(moto: str, trained_model: Path) -> Iterator[AwsGate]:
    """A fresh account (moto reset), answering the smoke test as the model would, behind a gate."""
    with aws_gate(fresh_account(moto, trained_model / "model.tar.gz", 4)) as opened:
        yield opened


@pytest.fixture
def aws(moto: str) -> dict[str, Any]:
    """Clients straight to moto, to look at what the commands left."""
    return moto_clients(moto)


def deploy_held_at(
    gate: AwsGate, operation: str, endpoint: str, model: Path, config: Path, after: bool = False
) -> tuple[Hold, subprocess.Popen[str]]:
    """A deploy started as a process of its own, and held at its first call of ``operation``."""
    held = gate.hold(operation, after=after)
    process = start("scripts.deploy_endpoint", *deploy_args(endpoint, model, config),
                    endpoint_url=gate.url)  # fmt: skip
    assert held.reached.wait(60), gate.calls
    return held, process


def what_exists(aws: dict[str, Any]) -> dict[str, list[str]]:
    sm = aws["sagemaker"]
    buckets = [b["Name"] for b in aws["s3"].list_buckets()["Buckets"]]
    objects = []
    for bucket in buckets:
        objects += [o["Key"] for o in aws["s3"].list_objects_v2(Bucket=bucket).get("Contents", [])]
    return {
        "endpoints": sorted(e["EndpointName"] for e in sm.list_endpoints()["Endpoints"]),
        "configs": sorted(c["EndpointConfigName"] for c in sm.list_endpoint_configs()["EndpointConfigs"]),
        "models": sorted(m["ModelName"] for m in sm.list_models()["Models"]),
        "roles": sorted(r["RoleName"] for r in aws["iam"].list_roles()["Roles"]),
        "alarms": sorted(a["AlarmName"] for a in aws["cloudwatch"].describe_alarms()["MetricAlarms"]),
        "buckets": buckets,
        "objects": sorted(objects),
    }  # fmt: skip


def finished(process: subprocess.Popen[str], timeout: float = 60) -> tuple[int, str]:
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out + err


def bucket_is_private_and_encrypted(aws: dict[str, Any]) -> bool:
    s3 = aws["s3"]
    blocked = s3.get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"]
    rules = s3.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]["Rules"]
    tags = s3.get_bucket_tagging(Bucket=BUCKET)["TagSet"]
    return (
        all(blocked.values())
        and bool(rules)
        and {"Key": "project", "Value": "sagemaker-proxy"} in tags
    )


# (signal, the call held, held after moto answered it, what this run had made by then)
INTERRUPTIONS = [
    ("SIGINT", "PutPublicAccessBlock", False, "the bucket, bare"),
    ("SIGTERM", "PutObject", False, "the bucket"),
    ("SIGINT", "PutRolePolicy", False, "the role, with no policy"),
    ("SIGTERM", "CreateEndpointConfig", False, "the model"),
    ("SIGINT", "CreateEndpoint", True, "the endpoint, whose answer it never saw"),
    ("SIGTERM", "InvokeEndpoint", False, "everything, and it is smoke-testing"),
]


@pytest.mark.parametrize(
    ("signame", "operation", "after", "made"), INTERRUPTIONS, ids=[f"{i[0]}-{i[1]}" for i in INTERRUPTIONS]
)  # fmt: skip
def test_a_signal_at_any_step_rolls_back_this_run_in_one_line_and_a_rerun_completes(
    gate: AwsGate, aws: dict[str, Any], trained_model: Path, chalice_config: Path,
    signame: str, operation: str, after: bool, made: str,
) -> None:  # fmt: skip
    model = trained_model / "model.tar.gz"
    config_before = (chalice_config / "config.json").read_bytes()
    # Given a deploy held at this call
    held = gate.hold(operation, after=after)
    process = start("scripts.deploy_endpoint", *deploy_args("iris-int", model, chalice_config),
                    endpoint_url=gate.url)  # fmt: skip
    assert held.reached.wait(60), gate.calls
    # When the user presses Ctrl-C (or the machine sends SIGTERM) there
    process.send_signal(getattr(signal, signame))
    gate.release(held)  # the held call never completes
    code, output = finished(process)
    # Then it says so in one line and rolls back what this run made, with no traceback
    assert code == 128 + getattr(signal, signame), output
    assert "Traceback" not in output
    summary = [line for line in output.splitlines() if line.startswith("INTERRUPTED")]
    assert len(summary) == 1, output
    assert f"({signame})" in summary[0] and "rolled back what this run made" in summary[0]
    left = what_exists(aws)
    assert left["endpoints"] == left["configs"] == left["models"] == left["roles"] == [], left
    assert left["alarms"] == [], left
    # (the shared bucket and the content-addressed artifact stay; the run's lock is gone)
    assert not [key for key in left["objects"] if key.startswith("locks/")], left
    assert (chalice_config / "config.json").read_bytes() == config_before
    # And a plain rerun reaches the right state: a private, encrypted bucket, the endpoint, the stage
    rerun = run("scripts.deploy_endpoint", *deploy_args("iris-int", model, chalice_config),
                endpoint_url=gate.url)  # fmt: skip
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert what_exists(aws)["endpoints"] == ["iris-int"]
    assert bucket_is_private_and_encrypted(aws)
    stage = json.loads((chalice_config / "config.json").read_text())["stages"]["dev"]
    assert stage["environment_variables"]["SAGEMAKER_ENDPOINT_NAME"] == "iris-int"


@pytest.mark.parametrize("operation", ["PutPublicAccessBlock", "CreateEndpointConfig"])
def test_after_kill_9_a_plain_rerun_repairs_and_completes(
    gate: AwsGate, aws: dict[str, Any], trained_model: Path, chalice_config: Path, operation: str
) -> None:
    model = trained_model / "model.tar.gz"
    # Given a deploy killed outright (no chance to clean up) at this call
    held = gate.hold(operation)
    process = start("scripts.deploy_endpoint", *deploy_args("iris-kill", model, chalice_config),
                    endpoint_url=gate.url)  # fmt: skip
    assert held.reached.wait(60), gate.calls
    process.kill()
    gate.release(held)
    process.wait(30)
    # When it is run again, plainly, on the same machine
    rerun = run("scripts.deploy_endpoint", *deploy_args("iris-kill", model, chalice_config),
                endpoint_url=gate.url)  # fmt: skip
    # Then it takes over from the dead run (its lock, what it made) and completes
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert bucket_is_private_and_encrypted(aws)
    left = what_exists(aws)
    assert left["endpoints"] == ["iris-kill"] and len(left["models"]) == 1, left
    assert not [key for key in left["objects"] if key.startswith("locks/")], left


def test_two_deploys_of_one_endpoint_never_interleave(
    gate: AwsGate, aws: dict[str, Any], trained_model: Path, chalice_config: Path
) -> None:
    model = trained_model / "model.tar.gz"
    # Given a deploy under way (held as it creates the model)
    held, first = deploy_held_at(gate, "CreateModel", "iris-two", model, chalice_config)
    calls_before = len(gate.calls)
    # When a second deploy of the same endpoint starts
    second = run("scripts.deploy_endpoint", *deploy_args("iris-two", model, chalice_config),
                 endpoint_url=gate.url)  # fmt: skip
    # Then it stops at once, says who holds the endpoint, and changed nothing
    assert second.returncode == 1, second.stdout + second.stderr
    said = second.stdout + second.stderr
    assert "another run" in said and f"pid {first.pid}" in said and "Traceback" not in said
    writes = [
        c
        for c in gate.calls[calls_before:]
        if not c.startswith(("Describe", "Get", "Head", "List"))
    ]
    assert writes == ["PutObject"], writes  # its attempt at the lock, refused by S3
    # And the first completes, its artifact and endpoint intact
    gate.release(held, forward=True)
    code, output = finished(first)
    assert code == 0, output
    left = what_exists(aws)
    assert left["endpoints"] == ["iris-two"] and any(
        k.startswith("models/") for k in left["objects"]
    )


def test_a_failed_deploy_of_one_endpoint_leaves_the_artifact_another_uses(
    gate: AwsGate, aws: dict[str, Any], trained_model: Path, chalice_config: Path, tmp_path: Path
) -> None:
    model = trained_model / "model.tar.gz"
    other_config = tmp_path / "other" / ".chalice"
    other_config.mkdir(parents=True)
    for path in chalice_config.iterdir():
        (other_config / path.name).write_bytes(path.read_bytes())
    # Given a deploy of one endpoint that uploaded the artifact and is now making its model
    held, failing = deploy_held_at(gate, "CreateModel", "iris-a", model, chalice_config)
    # And a deploy of another endpoint of the same artifact, which finds it there and completes
    other = run("scripts.deploy_endpoint", *deploy_args("iris-b", model, other_config),
                endpoint_url=gate.url)  # fmt: skip
    assert other.returncode == 0, other.stdout + other.stderr
    # When the first is stopped and rolls back what it made
    failing.send_signal(signal.SIGTERM)
    gate.release(held)
    code, output = finished(failing)
    assert code == 128 + signal.SIGTERM, output
    assert "kept     s3://" in output
    # Then the artifact the second endpoint's model reads is still there
    left = what_exists(aws)
    assert left["endpoints"] == ["iris-b"]
    assert any(key.startswith("models/") for key in left["objects"]), left


def test_delete_waits_for_no_deploy_and_touches_nothing_while_one_runs(
    gate: AwsGate, aws: dict[str, Any], trained_model: Path, chalice_config: Path
) -> None:
    model = trained_model / "model.tar.gz"
    held, deploying = deploy_held_at(gate, "CreateEndpoint", "iris-race", model, chalice_config)
    before = what_exists(aws)
    deleting = run("scripts.delete_endpoint", "--endpoint-name", "iris-race", endpoint_url=gate.url)
    assert deleting.returncode == 1, deleting.stdout + deleting.stderr
    assert "another run" in deleting.stdout + deleting.stderr
    assert what_exists(aws) == before
    gate.release(held, forward=True)
    code, output = finished(deploying)
    assert code == 0, output
    assert what_exists(aws)["endpoints"] == ["iris-race"]


def test_delete_acts_on_what_it_saw_and_never_reports_success_over_a_live_endpoint(
    gate: AwsGate, aws: dict[str, Any], trained_model: Path, chalice_config: Path
) -> None:
    model = trained_model / "model.tar.gz"
    # Given a delete that found no endpoint (no bucket either, so no lock to take), held as it
    # lists the endpoint's configs
    held = gate.hold("ListEndpointConfigs")
    deleting = start(
        "scripts.delete_endpoint", "--endpoint-name", "iris-late", endpoint_url=gate.url
    )
    assert held.reached.wait(60), gate.calls
    # When a deploy makes the endpoint meanwhile
    made = run("scripts.deploy_endpoint", *deploy_args("iris-late", model, chalice_config),
               endpoint_url=gate.url)  # fmt: skip
    assert made.returncode == 0, made.stdout + made.stderr
    before = what_exists(aws)
    gate.release(held, forward=True)
    code, output = finished(deleting)
    # Then the delete leaves the live endpoint's config and model alone and says so: not exit 0
    assert code == 1, output
    assert "is live" in output
    assert what_exists(aws) == before


def test_delete_matches_its_endpoint_exactly_not_by_prefix(
    gate: AwsGate, aws: dict[str, Any], trained_model: Path, chalice_config: Path, tmp_path: Path
) -> None:
    model = trained_model / "model.tar.gz"
    other_config = tmp_path / "other" / ".chalice"
    other_config.mkdir(parents=True)
    for path in chalice_config.iterdir():
        (other_config / path.name).write_bytes(path.read_bytes())
    for name, config in (("iris", chalice_config), ("iris-sre", other_config)):
        made = run(
            "scripts.deploy_endpoint", *deploy_args(name, model, config), endpoint_url=gate.url
        )
        assert made.returncode == 0, made.stdout + made.stderr
    gone = run("scripts.delete_endpoint", "--endpoint-name", "iris", endpoint_url=gate.url)
    assert gone.returncode == 0, gone.stdout + gone.stderr
    left = what_exists(aws)
    assert left["endpoints"] == ["iris-sre"]
    assert len(left["configs"]) == 1 and left["configs"][0].startswith("iris-sre-")
    assert len(left["models"]) == 1 and left["models"][0].startswith("iris-sre-")


@pytest.mark.parametrize(
    ("damage", "said"),
    [
        ("config.json", "config.json is not valid JSON"),
        ("policy-dev.json", "policy-dev.json is not valid JSON"),
        ("policy-dir", "policy-dev.json is not a file"),
    ],
)
@pytest.mark.parametrize("dry_run", [False, True], ids=["deploy", "dry run"])
def test_broken_stage_files_are_refused_before_any_aws_call(
    gate: AwsGate, trained_model: Path, chalice_config: Path, damage: str, said: str, dry_run: bool
) -> None:
    if damage == "policy-dir":
        (chalice_config / "policy-dev.json").unlink()
        (chalice_config / "policy-dev.json").mkdir()
    else:
        (chalice_config / damage).write_text('{"stages": ')
    result = run(
        "scripts.deploy_endpoint",
        *deploy_args("iris-files", trained_model / "model.tar.gz", chalice_config),
        *(["--dry-run"] if dry_run else []),
        endpoint_url=gate.url,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert said in result.stderr and "Traceback" not in result.stderr
    assert gate.calls == []
