"""The deploy's rollback and its lock, under AWS-like latency and a cut network: the run that is
stopped undoes what it made while it still holds the endpoint's lock (so a second run of the same
command, the winner, never loses what it made to the loser's rollback), and a run the network
leaves says the error that ended it first, then what it could not clean up (the lock's release
among it). The commands run as processes of their own against moto_server, with botocore hooks
inside them (``tests.e2e.command_runs.Faults``) that signal at a call, hold or slow calls, or
cut every call after one."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.aws_gate import aws_gate
from tests.e2e.command_runs import Faults, deploy_args, run, start, started_moto_server
from tests.e2e.provisioning_runs import fresh_account, moto_clients, serving_is_whole
from tests.e2e.test_interruptions import finished, what_exists

READ_ONLY = ("Describe", "Get", "Head", "List")


@pytest.fixture(scope="module")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from started_moto_server(tmp_path_factory)


@pytest.fixture
def fresh(moto: str, trained_model: Path) -> str:
    """A fresh account (moto reset) that answers the smoke tests as the model would."""
    return fresh_account(moto, trained_model / "model.tar.gz", 3)


@pytest.fixture
def aws(moto: str) -> dict[str, Any]:
    return moto_clients(moto)


def wait_for(path: Path, process: Any, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert process.poll() is None, finished(process)
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def test_a_stopped_run_rolls_back_under_its_lock_and_the_same_command_beside_it_keeps_its_own(
    fresh: str, aws: dict[str, Any], trained_model: Path, chalice_config: Path, tmp_path: Path
) -> None:
    model = trained_model / "model.tar.gz"
    args = deploy_args("iris-race", model, chalice_config)
    # Given run A, stopped by Ctrl-C right after CreateEndpoint, whose rollback is slow: every
    # Delete* call takes half a second, and its first (DeleteEndpoint) is held until the test
    # has run B (a botocore hook that sleeps until told)
    held = tmp_path / "held"
    held.mkdir()
    slowed = Faults(signal_at_call=("SIGINT", "after", "CreateEndpoint"),
                    hold={"DeleteEndpoint": str(held)}, slow={"Delete": 0.5})  # fmt: skip
    first = start("scripts.deploy_endpoint", *args, endpoint_url=fresh, faults=slowed)
    wait_for(held / "reached", first)
    # When run B, the same command, runs to its end meanwhile (its calls watched by a gate)
    with aws_gate(fresh) as gate:
        second = run("scripts.deploy_endpoint", *args, endpoint_url=gate.url)
    (held / "go").touch()
    code, output = finished(first)
    # Then A rolled back in one line, and B found the endpoint's lock still held by A: it said
    # who holds it and wrote nothing but its refused attempt at the lock
    assert code == 130 and "Traceback" not in output, output
    assert [line for line in output.splitlines() if line.startswith("INTERRUPTED")], output
    said = second.stdout + second.stderr
    assert second.returncode == 1 and "another run holds iris-race" in said, said
    assert [call for call in gate.calls if not call.startswith(READ_ONLY)] == ["PutObject"]
    # And A's rollback left nothing of its own, nor its lock
    left = what_exists(aws)
    assert left["endpoints"] == left["configs"] == left["models"] == left["roles"] == [], left
    assert left["alarms"] == [] and not [k for k in left["objects"] if k.startswith("locks/")]
    # And B again, plainly, serves: its endpoint on a config whose model exists
    again = run("scripts.deploy_endpoint", *args, endpoint_url=fresh)
    assert again.returncode == 0, again.stdout + again.stderr
    assert serving_is_whole(aws, "iris-race")


def test_a_cut_network_is_said_by_the_call_that_failed_then_what_could_not_be_cleaned_up(
    fresh: str, aws: dict[str, Any], trained_model: Path, chalice_config: Path
) -> None:
    model = trained_model / "model.tar.gz"
    args = deploy_args("iris-cut", model, chalice_config)
    # Given a deploy whose network is cut right after CreateEndpoint: every later call, the
    # rollback's and the lock's release among them, fails to connect
    cut = run("scripts.deploy_endpoint", *args, endpoint_url=fresh,
              faults=Faults(cut_after="CreateEndpoint"))  # fmt: skip
    lines = (cut.stdout + cut.stderr).splitlines()
    # Then it fails in one line naming the step whose call failed, not the lock's URL
    assert cut.returncode == 1 and "Traceback" not in cut.stdout + cut.stderr, lines
    failed = [index for index, line in enumerate(lines) if line.startswith("FAILED")]
    assert len(failed) == 1, lines
    assert lines[failed[0]].startswith("FAILED at wait: ") and "locks/" not in lines[failed[0]]
    # And after it, what it could not clean up: the endpoint, ..., and last the lock
    after = lines[failed[0] + 1 :]
    assert any(line.startswith("  could not remove endpoint iris-cut") for line in after), lines
    assert (
        after[-1].startswith("  could not give back the lock s3://")
        and "locks/iris-cut" in after[-1]
    )
    # And once the network is back, a plain rerun takes over the lock and completes
    again = run("scripts.deploy_endpoint", *args, endpoint_url=fresh)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "took over the lock of deploy_endpoint" in again.stdout
    assert serving_is_whole(aws, "iris-cut")
