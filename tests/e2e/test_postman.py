"""The Postman collection: generated from the model's signature (examples/postman is the Iris
example's, kept current), and run by newman against `chalice local`, for Iris and for the
regression example."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from chalicelib.signature import read_signature
from foundation.paths import IRIS_SIGNATURE, REPO_ROOT
from local_identity import keys
from local_sagemaker.stack import Stack
from scripts import postman_collection

POSTMAN_DIR = REPO_ROOT / "examples" / "postman"
NEWMAN = REPO_ROOT / "node_modules" / ".bin" / "newman"


def test_the_committed_collection_is_what_the_iris_signature_makes(tmp_path: Path) -> None:
    postman_collection.write(read_signature(IRIS_SIGNATURE), tmp_path, "SageMaker proxy")
    for name in (postman_collection.COLLECTION, postman_collection.ENVIRONMENT):
        assert (tmp_path / name).read_text() == (POSTMAN_DIR / name).read_text(), (
            f"run `python -m scripts.postman_collection --signature {IRIS_SIGNATURE} "
            "--output examples/postman` and commit it"
        )


def run_newman(folder: Path, base_url: str, report: Path, *env_vars: str) -> dict:
    assert NEWMAN.exists(), "newman is missing: `make test` installs it with `npm ci`"
    finished = subprocess.run(
        [
            str(NEWMAN), "run", str(folder / postman_collection.COLLECTION),
            "--environment", str(folder / postman_collection.ENVIRONMENT),
            "--env-var", f"baseUrl={base_url}",
            *[argument for env_var in env_vars for argument in ("--env-var", env_var)],
            "--reporters", "cli,json", "--reporter-json-export", str(report),
            "--disable-unicode", "--color", "off",
        ],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert finished.returncode == 0, finished.stdout[-4000:] + finished.stderr[-2000:]
    return json.loads(report.read_text())["run"]["stats"]


@pytest.mark.parametrize("model", ["iris", "diabetes", "shop"])
def test_every_request_and_assertion_in_the_collection_passes(
    model: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    # Given the collection for the model a stage serves (Iris's is the committed one; the shop's
    # has categorical features, sent by name)
    if model == "iris":
        folder, served = POSTMAN_DIR, request.getfixturevalue("stack")
    else:
        fixture = request.getfixturevalue(f"{model}_stack")
        served = fixture[1] if model == "shop" else fixture
        folder = tmp_path / "postman"
        postman_collection.write(read_signature(served.signature), folder, model)
    # When newman runs it against that stage
    stats = run_newman(folder, served.proxy_url, tmp_path / "newman.json")
    # Then every request ran and every assertion held
    collection = json.loads((folder / postman_collection.COLLECTION).read_text())
    assert stats["requests"]["total"] == len(collection["item"])
    assert stats["assertions"]["failed"] == 0
    assert stats["assertions"]["total"] >= 3 * len(collection["item"])
    if model == "shop":
        # with a valid name in every example, and an unknown one refused listing the names
        names = [item["name"] for item in collection["item"]]
        assert "Error: an unknown category" in names


def test_the_collection_passes_against_a_stage_that_signs_in_given_a_token(
    signed_in_stack: Stack, tmp_path: Path
) -> None:
    token = keys.sign(keys.load_or_create_key(), str(signed_in_stack.issuer_url))
    stats = run_newman(
        POSTMAN_DIR, signed_in_stack.proxy_url, tmp_path / "newman.json", f"token={token}"
    )
    assert stats["requests"]["failed"] == 0
    assert stats["assertions"]["failed"] == 0
