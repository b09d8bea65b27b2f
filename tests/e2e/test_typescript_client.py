"""The typed TypeScript client (examples/typescript): its types are the served document's, and it
works against `chalice local`, run from Node's own test runner."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from chalicelib.openapi import openapi_document
from foundation.paths import REPO_ROOT
from local_identity import keys
from local_sagemaker.stack import Stack
from provisioning.clients.typescript import write_types
from tests.signatures import CATEGORICAL_FEATURES, signature_for
from tests.support import ENDPOINT_NAME

EXAMPLE = REPO_ROOT / "examples" / "typescript"
BIN = REPO_ROOT / "node_modules" / ".bin"
pytestmark = pytest.mark.skipif(
    not (BIN / "tsc").exists(), reason="Node tools not installed: `make test` runs npm ci"
)


def run(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=120, **kwargs)  # type: ignore[call-overload, no-any-return]


def test_the_committed_types_are_the_served_documents(stack: Stack, tmp_path: Path) -> None:
    document = tmp_path / "openapi.json"
    document.write_text(requests.get(f"{stack.proxy_url}/openapi.json", timeout=10).text)
    generated = tmp_path / "api.d.ts"
    result = run([str(BIN / "openapi-typescript"), str(document), "-o", str(generated)])
    assert result.returncode == 0, result.stderr
    assert generated.read_text() == (EXAMPLE / "api.d.ts").read_text(), (
        "examples/typescript/api.d.ts is stale: regenerate it (see examples/typescript/README.md)"
    )


@pytest.fixture
def endpoint_not_serving(stack: Stack) -> Iterator[None]:
    """The stand-in reports the endpoint OutOfService: deep health is 503 with Retry-After."""
    url = f"{stack.endpoint_url}/_local/endpoints/{ENDPOINT_NAME}/status"
    assert requests.put(url, data="OutOfService", timeout=5).status_code == 204
    try:
        yield
    finally:
        requests.put(url, data="InService", timeout=5)


def test_the_client_against_chalice_local(
    stack: Stack, signed_in_stack: Stack, endpoint_not_serving: None, tmp_path: Path
) -> None:
    compiled = run([str(BIN / "tsc"), "-p", str(EXAMPLE), "--outDir", str(tmp_path)], cwd=REPO_ROOT)
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    tested = run(
        ["node", "--test", str(tmp_path / "client.test.js")],
        env={
            **os.environ,
            "PROXY_URL": stack.proxy_url,
            "SIGNED_IN_PROXY_URL": signed_in_stack.proxy_url,
            "PROXY_TOKEN": keys.sign(keys.load_or_create_key(), str(signed_in_stack.issuer_url)),
        },
    )
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "# pass 6" in tested.stdout and "# fail 0" in tested.stdout


# A client of a categorical model: the names it may send, and two it may not.
CATEGORICAL_CLIENT = """import type { components } from "./api";

type Shopper = components["schemas"]["Record"];
export const ok: Shopper = { temperature: 20.5, color: "blue", size: null };
// @ts-expect-error a name the model does not know
export const unknown: Shopper = { temperature: 20.5, color: "purple", size: "M" };
// @ts-expect-error a category's code in its name's place
export const code: Shopper = { temperature: 20.5, color: 2, size: "M" };
"""


def test_a_categorical_feature_is_a_union_of_its_names_that_tsc_holds_clients_to(
    tmp_path: Path,
) -> None:
    # Given the types the deploy writes for a model of categorical features (#33)
    document = openapi_document(signature_for("reg:gamma", CATEGORICAL_FEATURES), 100, 65536)
    types = write_types(document, tmp_path / "api.d.ts").read_text()
    # Then each categorical feature is a union of its names
    assert 'color: "red" | "green" | "blue";' in types
    # (an optional one too; its document's default of null makes it a key to give, as null)
    assert 'size: ("S" | "M" | "L" | "XL") | null;' in types
    # And tsc accepts a name and refuses an unknown name and a code (each @ts-expect-error
    # is itself an error when nothing is refused there)
    (tmp_path / "client.ts").write_text(CATEGORICAL_CLIENT)
    compiled = run([str(BIN / "tsc"), "--noEmit", "--strict", str(tmp_path / "client.ts")])
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    (tmp_path / "client.ts").write_text(CATEGORICAL_CLIENT.replace('"purple"', '"green"'))
    refused = run([str(BIN / "tsc"), "--noEmit", "--strict", str(tmp_path / "client.ts")])
    assert "Unused '@ts-expect-error' directive" in refused.stdout
