"""What a deploy does to a stage, decided before it makes anything: whether the stage's API changes
(the signature contract: refused unless accepted) and the body limit the new model needs; and,
after a deploy that changed the API, the files its clients are given, made again."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from foundation.files import write_atomically
from foundation.lambda_code import auth, settings
from foundation.lambda_code import signature as sig
from provisioning.body_limit import BodyLimit, body_limit, stage_number
from provisioning.clients import postman
from provisioning.clients.typescript import TYPES_FILE, TypesFailed, write_types
from provisioning.signature_contract import (
    ACCEPT_FLAG,
    Change,
    ContractRefused,
    ContractReview,
    review_contract,
)
from provisioning.stage_config import StageFiles, served_signature, stage_variables


@dataclass(frozen=True)
class StageReview:
    stage: str
    signature: sig.Signature
    contract: ContractReview
    limit: BodyLimit
    # The stage checks sign-in tokens: its document has the bearer scheme and the 401 and 403.
    signed_in: bool

    def lines(self) -> list[str]:
        note = self.limit.note()
        return [*self.contract.report, *([f"body limit: {note}"] if note else [])]

    @property
    def max_body_bytes(self) -> int | None:
        """The MAX_BODY_BYTES to write into the stage, when the deploy raises it."""
        return self.limit.value if self.limit.raised else None


def review_stage(
    stage: str, config_dir: Path, signature: sig.Signature, accepted: bool, serverless: bool
) -> StageReview:
    """The review; ContractRefused when the API changes unaccepted. The stage's files and
    numbers were checked already (``StageFiles.read``, ``stage_numbers_problem``)."""
    config = StageFiles.read(stage, config_dir).config
    variables = stage_variables(config, stage)
    limit = body_limit(signature, variables, serverless)
    path = served_signature(config_dir, stage, config)
    try:
        served = sig.read_signature(path) if path.exists() else None
    except sig.SignatureError as error:
        unknown = f"stage {stage}'s signature cannot be read ({error})"
        if not accepted:
            raise ContractRefused(
                [
                    f"REFUSED: {unknown}, so what this deploy does to its API is unknown: rerun "
                    f"with {ACCEPT_FLAG} to deploy it (nothing made)"
                ]
            ) from None
        # Accepted: an API of unknown change, so its clients' files are made anew.
        change = Change("signature", "unreadable", path.name, "the new model's")
        contract = ContractReview((change,), (f"contract: {unknown}; accepted",))
    else:
        contract = review_contract(
            stage, served, signature, accepted, (limit.batch_size, limit.value)
        )
    try:
        signed_in = auth.AuthSettings.from_environ(variables).checks_tokens
    except settings.ConfigurationError:
        signed_in = False  # make deploy refuses the stage and says why
    return StageReview(stage, signature, contract, limit, signed_in)


def stage_numbers_problem(stage: str, config_dir: Path) -> str | None:
    """What is wrong with the stage's MAX_BATCH_SIZE or MAX_BODY_BYTES, or None."""
    variables = stage_variables(StageFiles.read(stage, config_dir).config, stage)
    defaults = settings.Settings(endpoint_name="")
    try:
        stage_number(variables, settings.MAX_BATCH_SIZE, defaults.max_batch_size)
        stage_number(variables, settings.MAX_BODY_BYTES, defaults.max_body_bytes)
    except ValueError as error:
        return f"stage {stage}: {error}"
    return None


def write_clients(review: StageReview, folder: Path, out: Callable[[str], None] = print) -> int:
    """The stage's OpenAPI document, Postman collection and TypeScript types for its new
    signature, into ``folder``. 1 when one cannot be written (the endpoint serves anyway)."""
    from chalicelib.openapi import openapi_document  # pydantic: only after a change

    document = openapi_document(
        review.signature, review.limit.batch_size, review.limit.value, review.signed_in
    )
    try:
        openapi = folder / "openapi.json"
        write_atomically(openapi, (json.dumps(document, indent=2) + "\n").encode())
        written = [openapi]
        if review.signature.examples:
            title = f"SageMaker proxy ({review.stage})"
            written += postman.write(review.signature, folder / "postman", title)
        else:
            out("  skipped  Postman collection: the signature has no examples to send")
        try:
            written.append(write_types(document, folder / TYPES_FILE))
        except TypesFailed as error:
            out(f"  skipped  TypeScript types: {error}")
    except OSError as error:
        out(f"FAILED at client files: {error}. The endpoint serves; fix that and rerun")
        return 1
    for path in written:
        out(f"  wrote    {path}")
    return 0
