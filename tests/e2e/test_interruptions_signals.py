"""Ctrl-C and SIGTERM anywhere in a command's run, from its first line to its last: as its
modules import, before its first AWS call, as it prints its first progress line (before anything exists), and as it prints
its last. Every command ends in one line naming the signal and exits 128 + the signal (130 for
Ctrl-C, 143 for SIGTERM: ``foundation.interrupts``), never with a traceback or silently
killed. The commands run as processes of their own against moto_server, the signal sent from
inside them by a fault hook (``tests.e2e.command_runs.Faults``) at exactly that point."""

from __future__ import annotations

import csv
import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.e2e.command_runs import REGION, Faults, deploy_args, run, started_moto_server
from tests.e2e.test_batch_transform import ROWS, put_input, write_job_output
from tests.e2e.test_interruptions import BUCKET
from tests.support import moto_model_answer

IRIS = ("sepal_length", "sepal_width", "petal_length", "petal_width")


@pytest.fixture(scope="module")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from started_moto_server(tmp_path_factory)


@dataclass(frozen=True)
class Setting:
    """What a command needs to get as far as it goes: a fresh account and local files."""

    url: str
    model: Path
    config: Path
    folder: Path


@pytest.fixture
def setting(moto: str, trained_model: Path, chalice_config: Path, tmp_path: Path) -> Setting:
    requests.post(f"{moto}/moto-api/reset", timeout=10).raise_for_status()
    moto_model_answer(trained_model / "model.tar.gz", REGION, moto)
    return Setting(moto, trained_model / "model.tar.gz", chalice_config, tmp_path)


def deploy(s: Setting) -> list[str]:
    return deploy_args("iris-sig", s.model, s.config)


def delete(s: Setting) -> list[str]:
    return ["--endpoint-name", "iris-sig"]


def register(s: Setting) -> list[str]:
    return ["--group", "iris-sig", "--model", str(s.model)]


def score_here(s: Setting) -> list[str]:
    with (s.folder / "flowers.csv").open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["id", *IRIS])
        writer.writerows(ROWS)
    return ["--model", str(s.model), "--input", str(s.folder / "flowers.csv"),
            "--output", str(s.folder / "scored.csv"), "--id-column", "id"]  # fmt: skip


def transform(s: Setting) -> list[str]:
    """A Batch Transform of the stage's endpoint: deployed first, its job's output written as
    SageMaker writes it (moto runs no container: tests.e2e.test_batch_transform)."""
    (s.config.parent / "chalicelib" / "signatures").mkdir(parents=True, exist_ok=True)
    made = run("scripts.deploy_endpoint", *deploy(s), endpoint_url=s.url)
    assert made.returncode == 0, made.stdout + made.stderr
    put_input(s.url, "incoming/flowers.csv", [",".join(map(str, row)) for row in ROWS])
    with pytest.MonkeyPatch.context() as patch:
        write_job_output(s.url, s.model, "scored/flowers.csv.out", patch)
    return ["--input", f"s3://{BUCKET}/incoming/flowers.csv", "--output", f"s3://{BUCKET}/scored/",
            "--id-column", "id", "--stage", "dev", "--chalice-config-dir", str(s.config)]  # fmt: skip


def train_here(s: Setting) -> list[str]:
    with (s.folder / "train.csv").open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow([*IRIS, "species"])
        for index in range(60):
            kind = index % 3
            writer.writerow([5 + kind + index / 100, 3.0, 1.5 + 2 * kind, 0.2 + kind, f"s{kind}"])
    return ["--data", str(s.folder / "train.csv"), "--label", "species", "--local",
            "--hyperparameters", "num_round=5", "--output", str(s.folder / "out" / "model.tar.gz"),
            "--group", "iris-sig"]  # fmt: skip


def api(s: Setting) -> list[str]:
    made = run("scripts.deploy_endpoint", *deploy(s), endpoint_url=s.url)
    assert made.returncode == 0, made.stdout + made.stderr
    return ["--stage", "dev", "--chalice-config-dir", str(s.config), "--region", REGION,
            "--build-dir", str(s.folder / "build")]  # fmt: skip


FIRST_CALL = ("before", "*")
# (command, its arguments, the signal, where: a call (when, operation) or a line's text)
CASES: list[tuple[str, Callable[[Setting], list[str]], str, tuple[str, str] | str]] = [
    ("scripts.deploy_endpoint", deploy, "SIGINT", FIRST_CALL),
    ("scripts.deploy_endpoint", deploy, "SIGINT", "deploy: "),
    ("scripts.deploy_endpoint", deploy, "SIGTERM", "next: make deploy"),
    ("scripts.deploy_api", api, "SIGTERM", FIRST_CALL),
    ("scripts.delete_endpoint", delete, "SIGTERM", "delete: "),
    ("scripts.delete_endpoint", delete, "SIGINT", FIRST_CALL),
    ("scripts.delete_endpoint", delete, "SIGTERM", "absent   endpoint"),
    ("scripts.register_model", register, "SIGINT", "version: "),
    ("scripts.register_model", register, "SIGTERM", "then: "),
    ("scripts.batch_score", score_here, "SIGINT", "scored "),
    ("scripts.batch_score", transform, "SIGINT", "scored: s3://"),
    ("scripts.batch_score", transform, "SIGTERM", FIRST_CALL),
    ("scripts.train_job", train_here, "SIGINT", "next:"),
    ("scripts.train_job", train_here, "SIGTERM", "version: "),
]


@pytest.mark.parametrize(
    ("command", "arguments", "signame", "where"),
    CASES,
    ids=[f"{c[0].split('.')[1]}-{c[1].__name__}-{c[2]}-{c[3]}" for c in CASES],
)
def test_a_signal_anywhere_in_a_command_is_one_line_and_its_exit_code(
    setting: Setting,
    command: str,
    arguments: Callable[[Setting], list[str]],
    signame: str,
    where: tuple[str, str] | str,
) -> None:
    # Given a command that will be sent the signal at this point of its run
    faults = (
        Faults(signal_at_line=(signame, where))
        if isinstance(where, str)
        else Faults(signal_at_call=(signame, *where))
    )
    # When it runs
    done = run(command, *arguments(setting), endpoint_url=setting.url, faults=faults)
    said = done.stdout + done.stderr
    # Then it ends in one line naming the signal, with the shell's code for it, no traceback
    assert done.returncode == 128 + getattr(signal, signame), said
    assert "Traceback" not in said and "KeyboardInterrupt" not in said, said
    naming = [line for line in said.splitlines() if signame in line]
    assert len(naming) == 1, said


# Every command above, signalled as it imports its AWS modules: before its main has begun.
STARTS = [
    ("scripts.deploy_endpoint", "SIGINT"), ("scripts.deploy_api", "SIGTERM"),
    ("scripts.delete_endpoint", "SIGINT"), ("scripts.register_model", "SIGTERM"),
    ("scripts.model_versions", "SIGINT"), ("scripts.batch_score", "SIGTERM"),
    ("scripts.batch_triggers", "SIGINT"), ("scripts.drift_schedule", "SIGTERM"),
    ("scripts.train_job", "SIGINT"),
]  # fmt: skip


@pytest.mark.parametrize(("command", "signame"), STARTS, ids=[f"{c}-{s}" for c, s in STARTS])
def test_a_signal_as_a_command_starts_is_one_line_and_its_exit_code(
    moto: str, command: str, signame: str
) -> None:
    # Given a command that will be sent the signal as it first imports provisioning.aws
    faults = Faults(signal_at_import=(signame, "provisioning.aws"))
    # When it runs (--help: had the signal not stopped it, it would print its help and exit 0)
    done = run(command, "--help", endpoint_url=moto, faults=faults)
    said = done.stdout + done.stderr
    # Then it ends in one line naming the signal, with the shell's code for it, no traceback
    assert done.returncode == 128 + getattr(signal, signame), said
    assert said.splitlines() == [
        f"{command.split('.')[1]}: {signame}: stopped as it started; nothing was done"
    ]
