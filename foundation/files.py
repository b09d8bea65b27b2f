"""Writing the repository's own files so that a kill never leaves half a file, and a JSON file a
person keeps by hand keeps their formatting."""

from __future__ import annotations

import fcntl
import json
import os
import re
import secrets
from pathlib import Path
from typing import Any

# A temporary file beside ``<name>``: ``.<name>.<12 hex digits>.tmp``, held under an exclusive
# flock while it is written, so that a later write can tell one a killed writer left (no lock:
# its process is gone) from one being written this moment (locked), and remove only the first.
_TEMPORARY_SUFFIX = ".tmp"


def _temporary_pattern(path: Path) -> re.Pattern[str]:
    return re.compile(rf"\.{re.escape(path.name)}\.[0-9a-f]{{12}}{re.escape(_TEMPORARY_SUFFIX)}")


def remove_stale_temporaries(path: Path) -> list[Path]:
    """Remove the temporary files a killed write of ``path`` left beside it (ours by their name,
    stale by their lock: no live writer holds it); returns those removed."""
    pattern = _temporary_pattern(path)
    removed = []
    try:
        candidates = [entry for entry in path.parent.iterdir() if pattern.fullmatch(entry.name)]
    except OSError:
        return []
    for candidate in candidates:
        try:
            descriptor = os.open(candidate, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:  # gone meanwhile (its writer renamed it), or not a plain file
            continue
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            # Still the file we locked (not renamed into place and replaced meanwhile).
            if os.stat(candidate, follow_symlinks=False).st_ino == os.fstat(descriptor).st_ino:
                candidate.unlink()
                removed.append(candidate)
        except OSError:  # locked: a live writer's; or gone meanwhile
            pass
        finally:
            os.close(descriptor)
    return removed


def _locked_temporary(path: Path) -> tuple[int, Path]:
    """A new temporary file beside ``path``, open for writing and locked."""
    while True:
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}{_TEMPORARY_SUFFIX}")
        try:
            descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        if os.fstat(descriptor).st_nlink:  # not removed as stale between the open and the lock
            return descriptor, temporary
        os.close(descriptor)


def write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file beside ``path``, flush it to disk, then rename it over ``path``:
    a reader, a crash or a kill sees the old file or the new one, never a part. A symbolic link
    is written through: its target gets the new content and the link stays (a stage file kept
    in another repository and linked here is that repository's file). Temporary files that
    killed writes of ``path`` left are removed first."""
    if path.is_symlink():
        path = path.resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path)
    descriptor, temporary = _locked_temporary(path)
    try:
        # The lock is held until the rename is done: the file is never stale before it.
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
            mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
            os.chmod(temporary, mode)
            os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
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
    changes (what a killed write left is removed either way); True when it wrote."""
    text = json_like(document, original)
    if text == original:
        remove_stale_temporaries(path)
        return False
    write_atomically(path, text.encode("utf-8"))
    return True
