"""What a deploy does to a stage before it makes anything (#33): the signature the stage serves now,
found as the proxy finds it; the body limit raised to what the model's full batch needs (the
figure the import prints), bounded by what reaches the endpoint, and written into the stage."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest

from chalicelib.signature import Feature, Signature, read_signature
from foundation.paths import CHALICE_CONFIG_DIR, IRIS_SIGNATURE
from provisioning import stage_config
from provisioning.body_limit import (
    INVOKE_PAYLOAD_BYTES,
    SERVERLESS_INVOKE_PAYLOAD_BYTES,
    batch_body_bytes,
    body_limit,
)
from provisioning.signature_contract import ContractRefused
from provisioning.stage_review import review_stage, stage_numbers_problem
from scripts import import_model
from tests.signatures import signature_for

IRIS = read_signature(IRIS_SIGNATURE)


def wide(features: int, name_chars: int) -> Signature:
    """A regression of many long-named features, with two example records."""
    names = [f"{'measurement_' * (name_chars // 12)}{n}" for n in range(features)]
    records = [{name: 1234.5678 + row for name in names} for row in range(2)]
    return dataclasses.replace(
        signature_for("reg:squarederror", tuple(Feature(name) for name in names)),
        examples=tuple({"record": record, "score": 1.0} for record in records),
    )


WIDE = wide(30, 36)  # a full batch is a few times the default 64 KB
HUGE = wide(220, 300)  # a full batch is over the endpoint's 6 MB


def test_a_narrow_model_keeps_the_stages_limit() -> None:
    limit = body_limit(IRIS, {}, serverless=False)
    assert limit.needed is not None and limit.needed < limit.current == 65536
    assert (limit.value, limit.raised, limit.note()) == (65536, False, None)


def test_a_wide_model_raises_it_to_the_figure_the_import_prints() -> None:
    # Given the figure scripts.import_model prints for this signature
    note = import_model.batch_note(WIDE)
    assert note is not None
    printed = int(note.rsplit("at least ", 1)[1].split()[0])
    # When the deploy works out the stage's limit
    limit = body_limit(WIDE, {"MAX_BODY_BYTES": "65536", "MAX_BATCH_SIZE": "100"}, False)
    # Then it is raised to that figure, and says so
    assert limit.value == limit.needed == printed > 65536
    assert limit.note() == (
        f"MAX_BODY_BYTES 65536 -> {printed}: a full batch of 100 records needs {printed} bytes"
    )


def test_the_stages_batch_size_decides_what_a_full_batch_is() -> None:
    limit = body_limit(WIDE, {"MAX_BATCH_SIZE": "10"}, serverless=False)
    assert limit.needed == batch_body_bytes(WIDE, 10) and not limit.raised


@pytest.mark.parametrize(
    ("serverless", "ceiling", "why"),
    [
        (False, INVOKE_PAYLOAD_BYTES, "the endpoint's invoke limit"),
        (True, SERVERLESS_INVOKE_PAYLOAD_BYTES, "a serverless endpoint's invoke limit"),
    ],
)
def test_the_limit_stops_at_what_the_endpoint_takes(
    serverless: bool, ceiling: int, why: str
) -> None:
    limit = body_limit(HUGE, {}, serverless)
    assert limit.needed is not None and limit.needed > ceiling
    assert limit.value == ceiling
    # and the batch that does fit is the largest that does
    assert limit.fits is not None
    assert (batch_body_bytes(HUGE, limit.fits) or 0) <= ceiling
    assert (batch_body_bytes(HUGE, limit.fits + 1) or 0) > ceiling
    note = limit.note() or ""
    assert f"more than {why} ({ceiling} bytes)" in note
    assert note.endswith(
        f"batches of at most {limit.fits} records fit; set MAX_BATCH_SIZE to {limit.fits}"
    )


def test_a_higher_limit_set_by_hand_is_never_lowered() -> None:
    limit = body_limit(WIDE, {"MAX_BODY_BYTES": "5000000"}, serverless=False)
    assert (limit.value, limit.raised, limit.note()) == (5_000_000, False, None)


def test_a_model_without_examples_leaves_the_limit_alone() -> None:
    bare = dataclasses.replace(WIDE, examples=())
    limit = body_limit(bare, {}, serverless=False)
    assert (limit.needed, limit.raised, limit.note()) == (None, False, None)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A Chalice project as deployed: .chalice/ and chalicelib/signatures/ with Iris's."""
    shutil.copytree(CHALICE_CONFIG_DIR, tmp_path / ".chalice")
    signatures = tmp_path / "chalicelib" / "signatures"
    signatures.mkdir(parents=True)
    shutil.copy(IRIS_SIGNATURE, signatures / "iris.json")
    return tmp_path / ".chalice"


def set_variables(config_dir: Path, stage: str, **variables: str) -> None:
    path = config_dir / "config.json"
    config = json.loads(path.read_text())
    config["stages"][stage]["environment_variables"].update(variables)
    path.write_text(json.dumps(config, indent=2))


def test_the_served_signature_is_the_one_the_stage_names_or_the_proxys_default(
    project: Path,
) -> None:
    config = json.loads((project / "config.json").read_text())
    signatures = project.parent / "chalicelib" / "signatures"
    assert stage_config.served_signature(project, "dev", config) == signatures / "iris.json"
    # `local` names none: the proxy's default (settings.DEFAULT_SIGNATURE)
    assert stage_config.served_signature(project, "local", config) == signatures / "iris.json"
    set_variables(project, "dev", MODEL_SIGNATURE="/elsewhere/shop.json")
    config = json.loads((project / "config.json").read_text())
    assert stage_config.served_signature(project, "dev", config) == Path("/elsewhere/shop.json")


def test_the_review_compares_with_what_the_stage_serves(project: Path) -> None:
    # The same API: nothing to accept
    same = review_stage("dev", project, IRIS, accepted=False, serverless=False)
    assert not same.contract.changed and same.max_body_bytes is None
    # Another: refused, unless accepted
    with pytest.raises(ContractRefused):
        review_stage("dev", project, WIDE, accepted=False, serverless=False)
    accepted = review_stage("dev", project, WIDE, accepted=True, serverless=False)
    assert accepted.contract.changed and accepted.max_body_bytes == accepted.limit.needed
    assert accepted.lines()[-1].startswith("body limit: MAX_BODY_BYTES 65536 -> ")
    # A stage whose file is gone serves nothing yet: nothing to compare
    (project.parent / "chalicelib" / "signatures" / "iris.json").unlink()
    first = review_stage("dev", project, WIDE, accepted=False, serverless=False)
    assert not first.contract.changed


def test_a_signature_the_stage_cannot_read_is_an_unknown_change(project: Path) -> None:
    (project.parent / "chalicelib" / "signatures" / "iris.json").write_text("{")
    with pytest.raises(ContractRefused, match="cannot be read"):
        review_stage("dev", project, IRIS, accepted=False, serverless=False)
    # accepted, it is a change (the clients' files are made anew), said as such
    accepted = review_stage("dev", project, IRIS, accepted=True, serverless=False)
    assert accepted.contract.changed
    assert accepted.lines()[0].startswith("contract: stage dev's signature cannot be read")


@pytest.mark.parametrize("value", ["lots", "0", "-5", "1.5"])
def test_a_stage_limit_that_is_no_number_is_one_line(project: Path, value: str) -> None:
    set_variables(project, "dev", MAX_BODY_BYTES=value)
    assert stage_numbers_problem("dev", project) == (
        f"stage dev: MAX_BODY_BYTES={value!r} is not a positive whole number"
    )


def test_pointing_the_stage_writes_the_raised_limit(project: Path) -> None:
    stage_config.point_stage_at_endpoint(
        "dev", "wide", "eu-west-1", "123456789012", WIDE, project, max_body_bytes=250_000
    )
    variables = json.loads((project / "config.json").read_text())["stages"]["dev"][
        "environment_variables"
    ]
    assert variables["MAX_BODY_BYTES"] == "250000"
    # and without one, the stage's own stays as it was
    set_variables(project, "prod", MAX_BODY_BYTES="70000")
    stage_config.point_stage_at_endpoint("prod", "iris", "eu-west-1", "123456789012", IRIS, project)
    prod = json.loads((project / "config.json").read_text())["stages"]["prod"]
    assert prod["environment_variables"]["MAX_BODY_BYTES"] == "70000"
