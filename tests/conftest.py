"""Fixtures for every test: a trained model, a copy of the stage configuration, credentials."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from foundation.paths import CHALICE_CONFIG_DIR
from foundation.processes import PORT_RANGE_VARIABLE
from scripts import train_model

# Each pytest-xdist worker's own ports (foundation.processes.free_port), below the kernel's
# ephemeral range (32768 and up here): gw0 20000-22999, gw1 23000-25999, ...
FIRST_WORKER_PORT, WORKER_PORTS = 20000, 3000


def pytest_configure(config: pytest.Config) -> None:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if worker.startswith("gw"):
        first = FIRST_WORKER_PORT + int(worker[2:]) * WORKER_PORTS
        os.environ[PORT_RANGE_VARIABLE] = f"{first}-{first + WORKER_PORTS - 1}"


@pytest.fixture(scope="session")
def trained_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding ``model.tar.gz`` and its signature, trained afresh with the default seed."""
    output_dir = tmp_path_factory.mktemp("build")
    train_model.write_artifacts(output_dir / "model.tar.gz", seed=42, rounds=50)
    return output_dir


@pytest.fixture
def chalice_config(tmp_path: Path) -> Path:
    target = tmp_path / ".chalice"
    shutil.copytree(CHALICE_CONFIG_DIR, target, ignore=shutil.ignore_patterns("deploy*"))
    return target


@pytest.fixture
def fake_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
