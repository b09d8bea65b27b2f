"""Real processes on loopback: the local stack, shared by every test that needs it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from local_sagemaker.stack import Layout, Stack, running_stack

# The stand-in serves two variants; the first answers calls that name none.
VARIANTS = ("AllTraffic", "Canary")
# Stages beside `local`, by what they change in it.
EXTRA_STAGES = {
    "missing": {"SAGEMAKER_ENDPOINT_NAME": "no-such-endpoint"},
    "canary": {"SAGEMAKER_TARGET_VARIANT": "Canary"},
    "wrong-variant": {"SAGEMAKER_TARGET_VARIANT": "NoSuchVariant"},
}


@pytest.fixture(scope="session")
def stack(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The local SageMaker stand-in, `chalice local` for each stage, and the demo page."""
    layout = Layout.isolated(tmp_path_factory.mktemp("stack"), EXTRA_STAGES, VARIANTS)
    with running_stack(trained_model / "model.tar.gz", layout) as running:
        yield running
