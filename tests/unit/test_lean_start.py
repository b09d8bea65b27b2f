"""Every command that imports XGBoost but never scikit-learn starts without it
(foundation.lean_start), before anything imports XGBoost; a command that uses scikit-learn keeps
it. Read off the import graph (grimp, as import-linter reads it), so a new command is held to the
rule too."""

from __future__ import annotations

import ast
import sys
from functools import cache
from pathlib import Path

import grimp
import pytest

from foundation.paths import REPO_ROOT

# The laptop side's packages a command may reach XGBoost or scikit-learn through.
PACKAGES = (
    "scripts", "local_sagemaker", "training", "batch", "watch", "provisioning", "local_identity",
    "artifacts", "foundation", "serving",
)  # fmt: skip
COMMANDS = sorted(
    path
    for folder in ("scripts", "local_sagemaker")
    for path in (REPO_ROOT / folder).glob("*.py")
    if 'if __name__ == "__main__":' in path.read_text()
)


@cache
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(*PACKAGES, include_external_packages=True, cache_dir=None)


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(REPO_ROOT).with_suffix("").parts)


def reaches(module: str, package: str) -> bool:
    return graph().find_shortest_chain(importer=module, imported=package) is not None


def skips_before_any_import(path: Path) -> bool:
    """Whether the module's main block calls skip_scikit_learn before it imports anything
    but the standard library."""
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.If) and "skip_scikit_learn()" in ast.unparse(node):
            return True
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = (
                [node.module] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
            )
            if any((name or "").split(".")[0] not in sys.stdlib_module_names for name in names):
                return False
    return False


def test_the_commands_are_found() -> None:
    assert {"scripts.deploy_endpoint", "local_sagemaker.__main__"} <= {
        module_name(path) for path in COMMANDS
    }


@pytest.mark.parametrize("path", COMMANDS, ids=module_name)
def test_a_command_skips_scikit_learn_exactly_when_it_never_uses_it(path: Path) -> None:
    module = module_name(path)
    uses_xgboost = reaches(module, "xgboost")
    uses_scikit_learn = reaches(module, "sklearn")
    assert skips_before_any_import(path) == (uses_xgboost and not uses_scikit_learn)
