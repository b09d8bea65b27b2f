"""The TypeScript types of a stage's API: openapi-typescript (package.json pins it; `npm ci`
installs it) run on the stage's OpenAPI document, as examples/typescript/README.md does by hand.
A categorical feature's enum becomes a union of its names."""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from foundation.files import write_atomically
from foundation.paths import REPO_ROOT

OPENAPI_TYPESCRIPT = REPO_ROOT / "node_modules" / ".bin" / "openapi-typescript"
TYPES_FILE = "api.d.ts"


class TypesFailed(Exception):
    """openapi-typescript is missing or refused the document: one line."""


def write_types(document: dict[str, Any], output: Path, tool: Path = OPENAPI_TYPESCRIPT) -> Path:
    """Generate the types of ``document`` into ``output`` (written whole or not at all)."""
    if not tool.exists():
        raise TypesFailed(f"{tool.name} is not installed: run `npm ci` (make test does)")
    with tempfile.TemporaryDirectory(prefix="openapi-typescript-") as folder:
        source, generated = Path(folder) / "openapi.json", Path(folder) / TYPES_FILE
        source.write_text(json.dumps(document), encoding="utf-8")
        try:
            finished = subprocess.run(
                [str(tool), str(source), "-o", str(generated)],
                capture_output=True, text=True, timeout=120, check=False,
            )  # fmt: skip
        except (OSError, subprocess.TimeoutExpired) as error:
            raise TypesFailed(f"{tool.name} did not run: {error}") from None
        if finished.returncode != 0 or not generated.is_file():
            last = (finished.stderr or finished.stdout).strip().splitlines()[-1:] or ["no output"]
            raise TypesFailed(f"{tool.name} failed: {last[0][:200]}")
        write_atomically(output, generated.read_bytes())
    return output
