"""Writing the repository's own files so that a kill never leaves half a file, and a JSON file a
person keeps by hand keeps their formatting."""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any


def write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file beside ``path``, flush it to disk, then rename it over ``path``:
    a reader, a crash or a kill sees the old file or the new one, never a part. A symbolic link
    is written through: its target gets the new content and the link stays (a stage file kept
    in another repository and linked here is that repository's file)."""
    if path.is_symlink():
        path = path.resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


_INDENT = re.compile(r'^([ \t]+)"', re.MULTILINE)


def json_like(document: Any, original: str | None) -> str:
    """``document`` as JSON written the way ``original`` is: its indentation (or none), its
    escaping of non-ASCII text and its final newline; keys stay in the order they have."""
    if original is None:
        return json.dumps(document, indent=2) + "\n"
    indent_match = _INDENT.search(original)
    indent = indent_match.group(1) if indent_match else None
    text = json.dumps(
        document,
        indent=indent,
        ensure_ascii="\\u" in original,
        separators=None if indent is not None else (", ", ": "),
    )
    return text + ("\n" if original.endswith("\n") else "")


def read_json(path: Path) -> tuple[Any, str]:
    """A JSON file's document and its text; ValueError saying what is wrong, in one line."""
    if path.exists() and not path.is_file():
        raise ValueError(f"{path} is not a file")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ValueError(f"{path} cannot be read ({error.strerror})") from None
    try:
        return json.loads(text), text
    except ValueError as error:
        raise ValueError(f"{path} is not valid JSON ({error})") from None


def update_json(path: Path, document: Any, original: str | None) -> bool:
    """Write ``document`` over ``path`` in ``original``'s formatting, atomically, unless nothing
    changes; True when it wrote."""
    text = json_like(document, original)
    if text == original:
        return False
    write_atomically(path, text.encode("utf-8"))
    return True
