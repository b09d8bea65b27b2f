"""The contract between versions, as a user meets it (#33): `scripts.deploy_endpoint` run as a
process of its own, every AWS call through a gate in front of moto_server that records it. A model
whose signature changes the stage's API is refused before any AWS call, with the change as a table
and as the difference of /openapi.json; accepted, it deploys, and the stage's clients' files (the
document, the Postman collection, the TypeScript types) are made for the new API. A wide model
raises the stage's MAX_BODY_BYTES to what its full batch needs."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.own_models import run_import_model, train_own_model
from foundation.paths import CHALICE_CONFIG_DIR, IRIS_SIGNATURE
from provisioning.clients.typescript import OPENAPI_TYPESCRIPT
from tests.e2e.aws_gate import AwsGate, aws_gate
from tests.e2e.command_runs import REGION, run, started_moto_server
from tests.e2e.conftest import DIABETES
from tests.support import moto_model_answer


@pytest.fixture(scope="module")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from started_moto_server(tmp_path_factory)


@pytest.fixture
def gate(moto_server: str) -> Iterator[AwsGate]:
    with aws_gate(moto_server) as opened:
        yield opened


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The Chalice project as a clone has it: stage dev serves Iris (chalicelib/signatures)."""
    shutil.copytree(CHALICE_CONFIG_DIR, tmp_path / "app" / ".chalice")
    signatures = tmp_path / "app" / "chalicelib" / "signatures"
    signatures.mkdir(parents=True)
    shutil.copy(IRIS_SIGNATURE, signatures / "iris.json")
    return tmp_path / "app" / ".chalice"


@pytest.fixture(scope="module")
def diabetes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    output = tmp_path_factory.mktemp("diabetes") / "model.tar.gz"
    imported = run_import_model(
        DIABETES / "model.ubj", DIABETES / "example.csv", output, extra=("--integer", "age,sex")
    )
    assert imported.returncode == 0, imported.stderr
    return output


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def deploy(
    gate: AwsGate, model: Path, project: Path, *extra: str, endpoint: str = "diabetes"
) -> tuple[int, str]:
    ran = run(
        "scripts.deploy_endpoint", "--endpoint-name", endpoint, "--model", str(model),
        "--chalice-config-dir", str(project), "--stage", "dev", *extra, endpoint_url=gate.url,
    )  # fmt: skip
    assert "Traceback" not in ran.stdout + ran.stderr
    return ran.returncode, ran.stdout


def test_a_change_of_api_is_refused_before_any_aws_call_with_the_table_and_the_diff(
    gate: AwsGate, diabetes: Path, project: Path, tmp_path: Path
) -> None:
    # Given stage dev serving Iris, and the diabetes regression to deploy in its place
    before = snapshot(tmp_path)
    # When it is deployed there without accepting a change of API
    code, out = deploy(gate, diabetes, project)
    # Then it is refused in one line that says what to do, exit 2
    assert code == 2, out
    lines = out.splitlines()
    assert lines[0].startswith("REFUSED: the model's signature changes stage dev's API (16 changes")
    assert "--accept-signature-change" in lines[0]
    # with the table of what changes
    rows = {tuple(line.split()[:3]) for line in lines[1:18]}
    assert ("feature", "sepal_length", "removed") in rows
    assert ("feature", "s4", "added") in rows
    assert ("objective", "changed", "multi:softprob") in rows
    # and the difference of the two documents' schemas
    assert "--- served /openapi.json" in lines and '-      "probabilities": {' in lines
    # And no AWS call was made, and nothing was written
    assert gate.calls == []
    assert snapshot(tmp_path) == before


def test_accepted_it_deploys_and_the_clients_files_follow_the_new_api(
    gate: AwsGate, moto_server: str, diabetes: Path, project: Path, tmp_path: Path
) -> None:
    moto_model_answer(diabetes, REGION, moto_server)
    clients = tmp_path / "clients"
    # A dry run of the accepted change shows it and what it would write, and writes nothing
    before = snapshot(tmp_path)
    code, out = deploy(gate, diabetes, project, "--accept-signature-change", "--dry-run",
                       "--clients-dir", str(clients))  # fmt: skip
    assert code == 0, out
    assert "contract: stage dev's API changes (16 changes, accepted" in out
    assert f"  write    {clients}: openapi.json, the Postman collection, api.d.ts  (dry run)" in out
    assert snapshot(tmp_path) == before
    assert all(call.startswith(("Get", "Head", "List", "Describe")) for call in gate.calls)
    # When the change is accepted
    code, out = deploy(gate, diabetes, project, "--accept-signature-change", "--clients-dir",
                       str(clients))  # fmt: skip
    # Then it is shown, the endpoint made and the stage validates by the new signature
    assert code == 0, out
    assert "contract: stage dev's API changes (16 changes, accepted" in out
    assert "CreateEndpoint" in gate.calls
    served = project.parent / "chalicelib" / "signatures" / "dev.json"
    assert served.read_bytes() == diabetes.with_name("model.signature.json").read_bytes()
    # And the clients' files are this model's: the document, Postman, and the TypeScript types
    document = json.loads((clients / "openapi.json").read_text())
    assert list(document["components"]["schemas"]["Record"]["properties"])[:2] == ["age", "sex"]
    collection = json.loads(
        (clients / "postman" / "sagemaker-proxy.postman_collection.json").read_text()
    )
    assert collection["info"]["name"] == "SageMaker proxy (dev)"
    assert f"wrote    {clients / 'openapi.json'}" in out
    if OPENAPI_TYPESCRIPT.exists():
        assert "            age: number;" in (clients / "api.d.ts").read_text()
    else:
        assert "skipped  TypeScript types: openapi-typescript is not installed" in out
    # And a rerun is the same API: nothing to accept, no client file rewritten
    written = snapshot(clients)
    code, out = deploy(gate, diabetes, project)
    assert code == 0, out
    assert "contract: the same as stage dev serves" in out
    assert snapshot(clients) == written


def test_a_wide_model_raises_the_stages_body_limit_and_says_so(
    gate: AwsGate, moto_server: str, project: Path, tmp_path: Path
) -> None:
    # Given a model of 30 long-named features, whose full batch is over the default 64 KB
    own = train_own_model("binary:logistic", tmp_path / "theirs")
    model = tmp_path / "build" / "model.tar.gz"
    imported = run_import_model(own.model, own.example, model, own.labels)
    assert imported.returncode == 0, imported.stderr
    (figure,) = [
        int(line.rsplit("at least ", 1)[1].split()[0])
        for line in imported.stdout.splitlines()
        if line.startswith("batches:")
    ]
    moto_model_answer(model, REGION, moto_server)
    # When it is deployed to the stage (a new API there: accepted)
    code, out = deploy(gate, model, project, "--accept-signature-change", "--clients-dir",
                       str(tmp_path / "clients"), endpoint="wide")  # fmt: skip
    # Then the stage's limit is the figure the import printed, said, and written
    assert code == 0, out
    assert f"body limit: MAX_BODY_BYTES 65536 -> {figure}: a full batch of 100 records" in out
    stage = json.loads((project / "config.json").read_text())["stages"]["dev"]
    assert stage["environment_variables"]["MAX_BODY_BYTES"] == str(figure)
    # and the stage's document, made for the clients, states it
    document = json.loads((tmp_path / "clients" / "openapi.json").read_text())
    assert document["info"]["description"] == f"Request bodies are at most {figure} bytes."
