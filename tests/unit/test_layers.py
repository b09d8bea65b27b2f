"""The layering a newcomer sees in the tree, enforced: import-linter's contracts in pyproject.toml
(layers point down; the Lambda's code and the serving image import no laptop code; nothing
imports the tests), and no module of the project over 300 lines."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from foundation.paths import REPO_ROOT

PACKAGES = (
    "scripts", "bench", "local_sagemaker", "training", "batch", "watch", "provisioning",
    "local_identity", "artifacts", "foundation", "serving", "tests",
)  # fmt: skip
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
LONGEST_MODULE = 300


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=root, capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "PYTHONPATH": f"{root}:{root / 'chalice_app'}"},
    )  # fmt: skip


def test_every_contract_is_kept() -> None:
    linted = lint_imports(REPO_ROOT)
    assert linted.returncode == 0, linted.stdout + linted.stderr
    assert "0 broken" in linted.stdout


def test_an_import_that_points_up_breaks_the_layers(tmp_path: Path) -> None:
    # Given a copy of the tree where the foundation imports a command
    for package in PACKAGES:
        shutil.copytree(REPO_ROOT / package, tmp_path / package,
                        ignore=shutil.ignore_patterns("__pycache__", "*.json", "*.csv"))  # fmt: skip
    shutil.copytree(REPO_ROOT / "chalice_app" / "chalicelib", tmp_path / "chalice_app" / "chalicelib",
                    ignore=shutil.ignore_patterns("__pycache__", "signatures"))  # fmt: skip
    shutil.copy(REPO_ROOT / "pyproject.toml", tmp_path)
    (tmp_path / "foundation" / "upward.py").write_text("from scripts import run_local\n")
    # When the contracts are checked
    linted = lint_imports(tmp_path)
    # Then the layers contract is broken, naming the import
    assert linted.returncode == 1, linted.stdout + linted.stderr
    assert "Layers point down BROKEN" in linted.stdout
    assert "foundation.upward -> scripts.run_local" in linted.stdout


def test_no_module_is_longer_than_300_lines() -> None:
    longer = {
        str(path.relative_to(REPO_ROOT)): lines
        for package in [*PACKAGES[:-1], "chalice_app"]
        for path in (REPO_ROOT / package).rglob("*.py")
        if (lines := len(path.read_text().splitlines())) > LONGEST_MODULE
    }
    assert longer == {}
