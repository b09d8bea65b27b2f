"""A saved XGBoost model as the user hands it over: ``Booster.save_model``'s JSON or UBJSON, or a
SageMaker ``model.tar.gz`` holding ``xgboost-model``; and the XGBoost version that saved it.

XGBoost loads a model whatever version it claims (3.0.5 loads one marked 9.9.9 without a word),
so the version is read from the file itself: its top-level ``"version": [major, minor, patch]``.
For UBJSON this walks the top-level object, skipping values by their markers (a typed array of a
million floats is skipped in one step), rather than decoding the whole model with a UBJSON
library: only one key is needed, and the model can be hundreds of megabytes.
"""

from __future__ import annotations

import json
import struct
import tarfile
from dataclasses import dataclass
from pathlib import Path

from foundation.images import MODEL_MEMBER

JSON, UBJSON = "json", "ubj"


class ModelFileError(ValueError):
    """The file is not a model this project can serve; the message says why, in one line."""


@dataclass(frozen=True)
class ModelFile:
    content: bytes
    format: str
    # The XGBoost version that saved it, as (major, minor, patch).
    version: tuple[int, int, int]

    @property
    def version_text(self) -> str:
        return ".".join(str(part) for part in self.version)


def read_model_file(path: Path) -> ModelFile:
    """The model in ``path`` (JSON, UBJSON, or a model.tar.gz holding exactly xgboost-model)."""
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        raise ModelFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ModelFileError(f"{path} is a folder: pass the model file itself") from None
    except OSError as error:
        raise ModelFileError(f"{path}: cannot be read ({error.strerror})") from None
    if content[:2] == b"\x1f\x8b":
        content = _tar_member(path)
    return model_from_bytes(content, path)


def model_from_bytes(content: bytes, origin: Path | str) -> ModelFile:
    """A model's own bytes (what save_model wrote); ``origin`` names it in messages."""
    return ModelFile(content, *_format_and_version(content, origin))


def _tar_member(path: Path) -> bytes:
    """The one model file of a SageMaker model.tar.gz."""
    try:
        with tarfile.open(path, "r:gz") as tar:
            files = [member for member in tar.getmembers() if member.isfile()]
            names = [member.name for member in files]
            if names != [MODEL_MEMBER]:
                raise ModelFileError(
                    f"{path} must hold exactly one file, {MODEL_MEMBER} (what the built-in "
                    f"container loads); it holds {names or 'none'}"
                )
            extracted = tar.extractfile(files[0])
            assert extracted is not None  # a regular file always extracts
            return extracted.read()
    except (tarfile.TarError, OSError, EOFError) as error:
        raise ModelFileError(f"{path} is not a readable tar.gz ({error})") from None


def _format_and_version(content: bytes, path: Path | str) -> tuple[str, tuple[int, int, int]]:
    first = content.lstrip()[:1]
    if first == b"{" and content.lstrip()[1:2] in (b'"', b" ", b"\n", b"\r", b"\t", b"}"):
        try:
            document = json.loads(content)
        except (ValueError, RecursionError) as error:
            raise ModelFileError(f"{path}: not a JSON model ({error})") from None
        version = document.get("version") if isinstance(document, dict) else None
        return JSON, _version(version, path)
    if first == b"{":
        try:
            return UBJSON, _version(ubjson_version(content), path)
        except (struct.error, IndexError, ValueError, UnicodeDecodeError):
            raise ModelFileError(f"{path}: not a UBJSON model (unreadable)") from None
    raise ModelFileError(
        f"{path} is not a model saved by Booster.save_model as JSON or UBJSON (a pickle or "
        "the old binary format cannot be checked; load it and save_model('model.ubj'))"
    )


def _version(value: object, path: Path | str) -> tuple[int, int, int]:
    if (
        isinstance(value, list)
        and len(value) == 3
        and all(isinstance(part, int) and not isinstance(part, bool) for part in value)
    ):
        return (value[0], value[1], value[2])
    raise ModelFileError(f"{path}: no XGBoost version in the model (not saved by save_model?)")


# UBJSON markers XGBoost writes (xgboost src/common/json.cc, UBJWriter): sizes of the fixed ones.
_SIZES = {b"i": 1, b"U": 1, b"I": 2, b"l": 4, b"L": 8, b"d": 4, b"D": 8, b"C": 1}
_INTEGERS = {b"i": ">b", b"U": ">B", b"I": ">h", b"l": ">i", b"L": ">q"}


def ubjson_version(content: bytes) -> object:
    """The top-level object's ``version`` value, or None when it has none."""
    if content[:1] != b"{":
        raise ValueError("not an object")
    position = 1
    while content[position : position + 1] != b"}":
        key, position = _string(content, position)
        if key == "version":
            return _value(content, position)[0]
        position = _skip(content, position)
    return None


def _integer(content: bytes, position: int) -> tuple[int, int]:
    """An integer with its marker."""
    return _number(content[position : position + 1], content, position + 1)


def _number(marker: bytes, content: bytes, position: int) -> tuple[int, int]:
    """An integer whose marker is already read (or given by a typed container)."""
    value = struct.unpack_from(_INTEGERS[marker], content, position)[0]
    return int(value), position + _SIZES[marker]


def _string(content: bytes, position: int) -> tuple[str, int]:
    """A key, or a string value after its ``S``: a length, then UTF-8 bytes."""
    length, position = _integer(content, position)
    return content[position : position + length].decode("utf-8"), position + length


def _container_header(content: bytes, position: int) -> tuple[bytes | None, int | None, int]:
    """After ``[`` or ``{``: the optional ``$type`` and ``#count``."""
    kind = None
    count = None
    if content[position : position + 1] == b"$":
        kind = content[position + 1 : position + 2]
        position += 2
    if content[position : position + 1] == b"#":
        count, position = _integer(content, position + 1)
    return kind, count, position


def _value(content: bytes, position: int, marker: bytes | None = None) -> tuple[object, int]:
    """Decode one value (small ones only: the version)."""
    if marker is None:
        marker, position = content[position : position + 1], position + 1
    if marker in _INTEGERS:
        return _number(marker, content, position)
    if marker == b"[":
        kind, count, position = _container_header(content, position)
        items: list[object] = []
        if count is None:
            while content[position : position + 1] != b"]":
                item, position = _value(content, position)
                items.append(item)
            return items, position + 1
        for _ in range(count):
            item, position = _value(content, position, kind)
            items.append(item)
        return items, position
    return None, _skip(content, position, marker)


def _skip(content: bytes, position: int, marker: bytes | None = None) -> int:
    """The position after the value at ``position`` (or after ``marker`` when it is known)."""
    if marker is None:
        marker, position = content[position : position + 1], position + 1
    if marker in _SIZES:
        return position + _SIZES[marker]
    if marker in (b"T", b"F", b"Z", b"N"):
        return position
    if marker in (b"S", b"H"):
        return _string(content, position)[1]
    if marker in (b"[", b"{"):
        is_object = marker == b"{"
        kind, count, position = _container_header(content, position)
        if count is None:
            end = b"}" if is_object else b"]"
            while content[position : position + 1] != end:
                if is_object:
                    position = _string(content, position)[1]
                position = _skip(content, position)
            return position + 1
        if kind in _SIZES and not is_object:
            return position + count * _SIZES[kind]
        for _ in range(count):
            if is_object:
                position = _string(content, position)[1]
            position = _skip(content, position, kind)
        return position
    raise ValueError(f"unknown UBJSON marker {marker!r} at {position - 1}")
