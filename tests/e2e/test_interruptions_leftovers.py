"""What a killed run leaves, found and removed by the next: a model no config names (a delete
killed between DeleteEndpointConfig and DeleteModel, a deploy killed right after CreateModel),
found by its tags; a stage file's temporary file (a deploy killed as it renames it into place),
removed by the next write of that file and by no other. And names that stay apart: two long
endpoint names that start alike get a role, a model and a config of their own, within IAM's and
SageMaker's limits, while a short name keeps the name it always had. The commands run as
processes of their own against moto_server, killed from inside by a fault hook
(``tests.e2e.command_runs.Faults``)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from foundation.files import write_atomically
from tests.e2e.command_runs import Faults, deploy_args, run, started_moto_server
from tests.e2e.provisioning_runs import fresh_account, moto_clients, serving_is_whole
from tests.e2e.test_interruptions import what_exists
from tests.support import REPO_ROOT


@pytest.fixture(scope="module")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from started_moto_server(tmp_path_factory)


@pytest.fixture
def fresh(moto: str, trained_model: Path) -> str:
    """A fresh account (moto reset) that answers the smoke tests as the model would."""
    return fresh_account(moto, trained_model / "model.tar.gz", 6)


@pytest.fixture
def aws(moto: str) -> dict[str, Any]:
    return moto_clients(moto)


def killed_at(call: str) -> Faults:
    """kill -9 right after AWS answered ``call``: the call happened, the run never went on."""
    return Faults(signal_at_call=("SIGKILL", "after", call))


def deploy(url: str, endpoint: str, model: Path, config: Path, faults: Faults | None = None) -> Any:
    args = deploy_args(endpoint, model, config)
    return run("scripts.deploy_endpoint", *args, endpoint_url=url, faults=faults)


def delete(url: str, endpoint: str, faults: Faults | None = None) -> Any:
    return run("scripts.delete_endpoint", "--endpoint-name", endpoint, endpoint_url=url,
               faults=faults)  # fmt: skip


def test_a_delete_killed_between_config_and_model_is_finished_by_the_next_delete(
    fresh: str, aws: dict[str, Any], trained_model: Path, chalice_config: Path
) -> None:
    model = trained_model / "model.tar.gz"
    made = deploy(fresh, "iris-orphan", model, chalice_config)
    assert made.returncode == 0, made.stdout + made.stderr
    # Given a delete killed right after DeleteEndpointConfig: the endpoint and its config are
    # gone, the model no config names any more is left
    killed = delete(fresh, "iris-orphan", killed_at("DeleteEndpointConfig"))
    assert killed.returncode == -9, killed.stdout + killed.stderr
    left = what_exists(aws)
    assert left["endpoints"] == left["configs"] == [] and len(left["models"]) == 1, left
    # When the delete is run again
    again = delete(fresh, "iris-orphan")
    # Then it finds the model by its tags, removes it and says so; a third run finds nothing
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"deleted  model {left['models'][0]} (no config uses it)" in again.stdout
    assert what_exists(aws)["models"] == []
    third = delete(fresh, "iris-orphan")
    assert third.returncode == 0 and "deleted" not in third.stdout, third.stdout


def test_a_deploy_killed_after_create_model_leaves_a_model_its_delete_removes_and_no_other(
    fresh: str, aws: dict[str, Any], trained_model: Path, chalice_config: Path
) -> None:
    model = trained_model / "model.tar.gz"
    # Given deploys of "iris" and of "iris-sre" (whose name starts alike), each killed right
    # after CreateModel: two models, no config, no endpoint
    for endpoint in ("iris", "iris-sre"):
        killed = deploy(fresh, endpoint, model, chalice_config, killed_at("CreateModel"))
        assert killed.returncode == -9, killed.stdout + killed.stderr
    left = what_exists(aws)
    assert len(left["models"]) == 2 and left["configs"] == left["endpoints"] == [], left
    # When "iris" is deleted
    gone = delete(fresh, "iris")
    # Then its model is removed, and only its own
    assert gone.returncode == 0, gone.stdout + gone.stderr
    models = what_exists(aws)["models"]
    assert len(models) == 1 and models[0].startswith("iris-sre-"), models
    # And deleting "iris-sre" removes the other
    assert delete(fresh, "iris-sre").returncode == 0
    assert what_exists(aws)["models"] == []


def test_a_kill_as_the_stage_file_is_renamed_leaves_a_temporary_file_the_next_run_removes(
    fresh: str, aws: dict[str, Any], trained_model: Path, chalice_config: Path
) -> None:
    model = trained_model / "model.tar.gz"
    # Given a deploy killed as it renames the stage's new config.json into place
    killed = deploy(
        fresh, "iris-file", model, chalice_config, Faults(kill_at_replace="config.json")
    )
    assert killed.returncode == -9, killed.stdout + killed.stderr
    assert list(chalice_config.glob(".config.json.*")), "the kill left no temporary file"
    # When the same command runs again
    again = deploy(fresh, "iris-file", model, chalice_config)
    # Then it writes the stage, and the temporary file the killed run left is gone
    assert again.returncode == 0, again.stdout + again.stderr
    assert list(chalice_config.glob(".config.json.*")) == []
    assert '"SAGEMAKER_ENDPOINT_NAME": "iris-file"' in (chalice_config / "config.json").read_text()


# A writer of ``target`` in a process of its own, stopped as it renames its temporary file into
# place until ``go`` exists: a write under way, for as long as the test needs.
WRITER = """
import os, sys, time
from pathlib import Path
from foundation.files import write_atomically
target, go = Path(sys.argv[1]), Path(sys.argv[2])
replace = os.replace
def held(source, destination):
    Path(str(go) + ".reached").touch()
    while not go.exists():
        time.sleep(0.05)
    replace(source, destination)
os.replace = held
write_atomically(target, b'{"writer": 1}\\n')
"""


def test_only_temporary_files_no_writer_holds_are_removed(tmp_path: Path) -> None:
    target, go = tmp_path / "config.json", tmp_path / "go"
    target.write_text("{}\n")
    # Given a stale temporary file of target's (its writer is gone), a file of the user's that
    # looks alike, and a write of target under way in another process
    stale = tmp_path / ".config.json.0123456789ab.tmp"
    stale.write_text("{}")
    users = tmp_path / ".config.json.original"
    users.write_text("{}")
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(target), str(go)], cwd=REPO_ROOT)
    deadline = time.monotonic() + 60
    while not Path(f"{go}.reached").exists():
        assert writer.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    under_way = [path for path in tmp_path.glob(".config.json.*.tmp") if path != stale]
    assert len(under_way) == 1
    # When this process writes target
    write_atomically(target, b'{"here": 1}\n')
    # Then the stale file is gone, the user's file and the other writer's file are not
    assert not stale.exists() and users.exists() and under_way[0].exists()
    # And the other writer completes, its file in place and no temporary file left
    go.touch()
    assert writer.wait(60) == 0
    assert target.read_text() == '{"writer": 1}\n'
    assert sorted(path.name for path in tmp_path.glob(".config.json.*")) == [users.name]


# Two endpoint names of 52 characters whose first 48 are the same.
LONG = "iris-" + "0123456789" * 4 + "abc"
TWINS = (f"{LONG}-one", f"{LONG}-two")


def test_long_endpoint_names_that_start_alike_get_a_role_model_and_config_of_their_own(
    fresh: str, aws: dict[str, Any], trained_model: Path, chalice_config: Path
) -> None:
    model = trained_model / "model.tar.gz"
    # Given two endpoints whose names differ only past IAM's and SageMaker's name limits
    for endpoint in TWINS:
        made = deploy(fresh, endpoint, model, chalice_config)
        assert made.returncode == 0, made.stdout + made.stderr
    # Then each has its own role, model and config, every name within its limit
    left = what_exists(aws)
    assert len(left["roles"]) == len(left["models"]) == len(left["configs"]) == 2, left
    assert all(len(role) <= 64 for role in left["roles"]), left["roles"]
    assert all(len(name) <= 63 for name in left["models"] + left["configs"]), left
    sm = aws["sagemaker"]
    roles = set()
    for endpoint in TWINS:
        config_name = sm.describe_endpoint(EndpointName=endpoint)["EndpointConfigName"]
        config = sm.describe_endpoint_config(EndpointConfigName=config_name)
        served = sm.describe_model(ModelName=config["ProductionVariants"][0]["ModelName"])
        roles.add(served["ExecutionRoleArn"])
    assert len(roles) == 2, roles
    # And a rerun of one finds its own role, and deleting the other leaves it whole
    again = deploy(fresh, TWINS[0], model, chalice_config)
    assert again.returncode == 0 and "created" not in again.stdout, again.stdout
    assert delete(fresh, TWINS[1]).returncode == 0
    assert serving_is_whole(aws, TWINS[0])


def test_a_short_endpoint_name_keeps_the_role_it_always_had(
    fresh: str, aws: dict[str, Any], trained_model: Path, chalice_config: Path
) -> None:
    model = trained_model / "model.tar.gz"
    made = deploy(fresh, "iris-short", model, chalice_config)
    assert made.returncode == 0, made.stdout + made.stderr
    assert what_exists(aws)["roles"] == ["sagemaker-proxy-iris-short"]
    again = deploy(fresh, "iris-short", model, chalice_config)
    assert "exists   IAM role sagemaker-proxy-iris-short" in again.stdout, again.stdout
