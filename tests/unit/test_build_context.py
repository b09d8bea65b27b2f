"""The serving image's build context (container/Dockerfile, built from the repository root) is
exactly what the Dockerfile copies and the image's tag hashes, as docker-py's own .dockerignore
matcher reads it: none of the checkout's environments or build output, and no bytecode."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from docker.utils.build import exclude_paths

from foundation.paths import REPO_ROOT
from provisioning.registry import DOCKERFILE, IMAGE_INPUTS


def context_files(root: Path) -> set[str]:
    """The files `docker build` sends from ``root``, .dockerignore applied."""
    lines = (root / ".dockerignore").read_text().splitlines()
    patterns = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    return {path for path in exclude_paths(str(root), patterns) if (root / path).is_file()}


def checkout_with_leftovers(root: Path) -> None:
    """The image's inputs as in the repository, beside what a working checkout also holds."""
    shutil.copy(REPO_ROOT / ".dockerignore", root)
    for entry in IMAGE_INPUTS:
        target = root / entry.relative_to(REPO_ROOT)
        if entry.is_dir():
            shutil.copytree(entry, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(entry, target)
    for leftover in (
        ".venv/lib/python3.11/site-packages/xgboost/core.py",
        "node_modules/newman/index.js",
        "build/model.tar.gz",
        "serving/__pycache__/model.cpython-311.pyc",
        "chalice_app/app.py",
        "tests/unit/test_build_context.py",
    ):
        (root / leftover).parent.mkdir(parents=True, exist_ok=True)
        (root / leftover).write_bytes(b"x")


def test_the_context_is_what_the_dockerfile_copies_and_the_tag_hashes(tmp_path: Path) -> None:
    # Given a checkout with environments, build output and bytecode beside the image's inputs
    checkout_with_leftovers(tmp_path)
    # When docker reads the build context
    sent = context_files(tmp_path) - {".dockerignore"}
    # Then it holds what the Dockerfile copies, and exactly the files the tag hashes
    copied = re.findall(r"^COPY\s+(\S+)\s", DOCKERFILE.read_text(), re.MULTILINE)
    assert copied and all(any(path.startswith(source) for path in sent) for source in copied)
    hashed = {
        path.relative_to(tmp_path).as_posix()
        for entry in IMAGE_INPUTS
        if entry != DOCKERFILE  # read through --file, not copied
        for path in (
            (tmp_path / entry.relative_to(REPO_ROOT)).rglob("*.py")
            if entry.is_dir()
            else [tmp_path / entry.relative_to(REPO_ROOT)]
        )
    }
    assert sent == hashed
