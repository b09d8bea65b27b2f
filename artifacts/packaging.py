"""The artifact SageMaker's built-in container loads, and its signature beside it: their names,
their bytes, and writing them so that no reader ever sees half a file."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from pathlib import Path

from foundation.files import write_atomically
from foundation.images import MODEL_MEMBER
from foundation.lambda_code import signature as sig
from foundation.paths import MODEL_ARTIFACT

ARTIFACT = MODEL_ARTIFACT
SIGNATURE_SUFFIX = ".signature.json"


def signature_path_for(artifact: Path) -> Path:
    """Where an artifact's signature lives: ``model.tar.gz`` -> ``model.signature.json``."""
    name = artifact.name
    stem = name[: -len(".tar.gz")] if name.endswith(".tar.gz") else artifact.stem
    return artifact.with_name(stem + SIGNATURE_SUFFIX)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def deterministic_tar_gz(payload: bytes, member_name: str = MODEL_MEMBER) -> bytes:
    """A tar.gz with one member and no timestamps or owners, so equal payloads hash equal."""
    tar_buffer = io.BytesIO()
    with tarfile.open(fileobj=tar_buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo(member_name)
        info.size = len(payload)
        info.mode = 0o644
        tar.addfile(info, io.BytesIO(payload))
    gz_buffer = io.BytesIO()
    with gzip.GzipFile(filename="", fileobj=gz_buffer, mode="wb", mtime=0) as gz:
        gz.write(tar_buffer.getvalue())
    return gz_buffer.getvalue()


def signature_text(signature: sig.Signature) -> str:
    return json.dumps(signature.to_json(), indent=2, ensure_ascii=False) + "\n"


def write_signature(signature: sig.Signature, path: Path) -> None:
    write_atomically(path, signature_text(signature).encode("utf-8"))
