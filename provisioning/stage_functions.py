"""A stage's own functions beside the proxy (its drift function, its batch functions), switched on
or off in its files: their variables and entries in config.json, and their own policy file."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from foundation.files import update_json
from provisioning.stage_config import StageFiles


def write_stage_functions(
    files: StageFiles,
    stage_name: str,
    owned_variables: Iterable[str],
    functions: Mapping[str, Mapping[str, Any]],
    policy_name: str,
    variables: Mapping[str, str] | None,
    policy: dict[str, Any] | None,
) -> list[Path]:
    """Take the stage's ``owned_variables``, its ``functions`` and their policy file
    ``policy_name`` out, then, with ``variables`` and ``policy`` both given, put them back as
    those say, each function with its own settings (None: switched off); each file atomically,
    in its own formatting. Every other variable and function stays as it is."""
    config = json.loads(files.config_text)
    stage = config.setdefault("stages", {}).setdefault(stage_name, {})
    stage_variables = stage.setdefault("environment_variables", {})
    for name in owned_variables:
        stage_variables.pop(name, None)
    stage_functions = stage.setdefault("lambda_functions", {})
    for name in functions:
        stage_functions.pop(name, None)
    policy_path = files.config_path.with_name(policy_name)
    written = []
    if variables is not None and policy is not None:
        stage_variables.update(variables)
        for name, settings in functions.items():
            stage_functions[name] = {"iam_policy_file": policy_path.name, **settings}
        original = policy_path.read_text() if policy_path.is_file() else None
        if update_json(policy_path, policy, original):
            written.append(policy_path)
    elif policy_path.is_file():
        policy_path.unlink()
        written.append(policy_path)
    if not stage_functions:
        stage.pop("lambda_functions")
    if update_json(files.config_path, config, files.config_text):
        written.append(files.config_path)
    return written
