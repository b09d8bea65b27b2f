"""Fixtures of the suites that run real processes, real HTTP or AWS fakes: the local stack, the
packaged API, moto accounts and a stubbed CloudFormation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from bench.own_models import (
    CategoricalModel,
    categories_flags,
    run_import_model,
    train_categorical_model,
)
from foundation.paths import REPO_ROOT
from local_sagemaker.stack import Layout, Stack, running_stack
from provisioning.api import package as api_package
from provisioning.aws import AwsClients
from provisioning.naming import VARIANT_NAME
from tests.e2e.provisioning_runs import make_aws

# The second example model: a regression, in the files a user brings.
DIABETES = REPO_ROOT / "examples" / "models" / "diabetes"
# The categorical example's classes: whether a shopper stays or buys.
SHOP_LABELS = ("stay", "buy")
# The stand-in serves two variants; the first answers calls that name none.
VARIANTS = (VARIANT_NAME, "Canary")
# Stages beside `local`, by what they change in it.
EXTRA_STAGES = {
    "missing": {"SAGEMAKER_ENDPOINT_NAME": "no-such-endpoint"},
    "canary": {"SAGEMAKER_TARGET_VARIANT": "Canary"},
    "wrong-variant": {"SAGEMAKER_TARGET_VARIANT": "NoSuchVariant"},
}


@pytest.fixture(scope="session")
def stack(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The local SageMaker stand-in, `chalice local` for each stage, and the demo page."""
    layout = Layout.isolated(
        tmp_path_factory.mktemp("stack"), EXTRA_STAGES, VARIANTS, other_origins=2
    )
    with running_stack(trained_model / "model.tar.gz", layout) as running:
        yield running


@pytest.fixture(scope="session")
def signed_in_stack(
    trained_model: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """The stack as `make run SIGN_IN=1` runs it: the local issuer too, and `chalice local`
    accepting only its tokens."""
    layout = Layout.isolated(tmp_path_factory.mktemp("signed-in"))
    with running_stack(trained_model / "model.tar.gz", layout, sign_in=True) as running:
        yield running


@pytest.fixture(scope="session")
def diabetes_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The second example model, a regression, imported by the command as a user would, and
    served by the stand-in and `chalice local`."""
    folder = tmp_path_factory.mktemp("diabetes")
    # age and sex are whole numbers: said, as the booster (trained on numpy) does not say so
    imported = run_import_model(
        DIABETES / "model.ubj", DIABETES / "example.csv", folder / "model.tar.gz",
        extra=("--integer", "age,sex"),
    )  # fmt: skip
    assert imported.returncode == 0, imported.stderr
    with running_stack(folder / "model.tar.gz", Layout.isolated(folder)) as running:
        yield running


@pytest.fixture(scope="session")
def shop_stack(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[CategoricalModel, Stack]]:
    """A classifier of categorical features (pandas category columns), imported with its
    categories by the command as a user would, and served by the stand-in and `chalice local`:
    the clients' categories (#33)."""
    folder = tmp_path_factory.mktemp("shop")
    own = train_categorical_model(folder / "theirs", "binary:logistic")
    imported = run_import_model(
        own.model, own.example, folder / "model.tar.gz", SHOP_LABELS, tuple(categories_flags(own))
    )
    assert imported.returncode == 0, imported.stderr
    with running_stack(folder / "model.tar.gz", Layout.isolated(folder)) as running:
        yield own, running


@pytest.fixture
def cfn() -> Iterator[tuple[Any, Stubber]]:
    """A CloudFormation client on botocore's Stubber: moto cannot expand the SAM transform."""
    client = boto3.client(
        "cloudformation",
        region_name="eu-west-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


@pytest.fixture(params=["us-east-1", "eu-west-1"])
def aws(
    request: pytest.FixtureRequest, fake_credentials: None, trained_model: Path
) -> Iterator[AwsClients]:
    yield from make_aws(request.param, trained_model / "model.tar.gz")


DEPLOYED_STAGES = ["dev", "prod"]


@pytest.fixture(scope="module", params=DEPLOYED_STAGES)
def package(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, Path]:
    """What `scripts.deploy_api` deploys: `chalice package` with the gateway template merged."""
    stage = request.param
    output = api_package.package(stage, tmp_path_factory.mktemp(f"package-{stage}"))
    return stage, output
