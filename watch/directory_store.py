"""A folder read as a bucket: a key is a file's path under it, "/"-separated. What
``run_local --capture-dir DIR`` writes (``local_sagemaker.capture``), read by the same listing
as S3 (``chalicelib.drift.capture_store``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path


class DirectoryStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def folders(self, prefix: str) -> list[str]:
        folder = self.root / prefix
        if not folder.is_dir():
            return []
        return sorted(entry.name for entry in folder.iterdir() if entry.is_dir())

    def keys(self, prefix: str, start_after: str = "") -> Iterator[str]:
        """In key order, as S3 lists them (a sort of the whole keys, not a walk)."""
        folder = self.root / prefix
        if not folder.is_dir():
            return
        keys = sorted(
            path.relative_to(self.root).as_posix() for path in folder.rglob("*") if path.is_file()
        )
        yield from (key for key in keys if key > start_after)

    def lines(self, key: str) -> Iterator[bytes]:
        with (self.root / key).open("rb") as file:
            yield from file
