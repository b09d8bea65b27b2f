"""What `make deploy` ships: ``chalice package`` with the API Gateway template merged in."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import zipfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from foundation.paths import CHALICE_CONFIG_DIR, CHALICE_DIR
from foundation.processes import chalice_executable
from provisioning.api.gateway import GatewaySettings, chalice_app_importable, merge_template


class DeployFailed(Exception):
    pass


def app_routes(
    environment: Mapping[str, str], project_dir: Path = CHALICE_DIR
) -> dict[str, dict[str, dict[str, list[str]] | None]]:
    """Paths and methods of app.py, each with the security requirement its authorizer puts in
    Chalice's template ({name: scopes}), or None. app.py is loaded afresh with the stage's
    variables, as `chalice package` loads it: which authorizer a route has depends on them.
    (Loading it makes no AWS call.)"""
    with chalice_app_importable(), _variables(environment):
        spec = importlib.util.spec_from_file_location("_app_of_stage", project_dir / "app.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    app = module.app
    return {
        path: {
            method: {entry.authorizer.name: list(entry.authorizer.scopes)}
            if entry.authorizer
            else None
            for method, entry in sorted(methods.items())
        }
        for path, methods in app.routes.items()
    }


@contextmanager
def _variables(environment: Mapping[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.update(environment)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def package(
    stage: str, output: Path, config_dir: Path = CHALICE_CONFIG_DIR, project_dir: Path = CHALICE_DIR
) -> Path:
    """``chalice package`` with the gateway template merged in; returns the folder it wrote.
    ``project_dir``: another copy of the Chalice project (its own .chalice/ then)."""
    if project_dir != CHALICE_DIR:
        config_dir = project_dir / ".chalice"
    settings = GatewaySettings.load(stage, config_dir)
    output.mkdir(parents=True, exist_ok=True)
    merge = output / "gateway-merge.json"
    merge.write_text(
        json.dumps(
            merge_template(settings, app_routes(settings.environment, project_dir)), indent=2
        )
    )
    target = output / "package"
    finished = subprocess.run(
        [
            chalice_executable(),
            "package",
            "--stage",
            stage,
            "--merge-template",
            str(merge),
            str(target),
        ],
        cwd=project_dir,
        # Packaging makes no AWS call; the region only fills ARNs in the template.
        env={**os.environ, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1")},
        capture_output=True,
        text=True,
    )
    if finished.returncode != 0:
        raise DeployFailed(
            f"chalice package failed: {finished.stderr.strip() or finished.stdout.strip()}"
        )
    drop_bytecode(target / "deployment.zip")
    return target


def drop_bytecode(archive: Path) -> None:
    """The package without ``__pycache__``: Chalice zips all of ``chalicelib/``, and wherever
    Python writes bytecode (its default; loading app.py above does it) that ships this laptop's
    compiled files, the paths of its checkout inside them, and changes the package's hash with
    every local run. Lambda compiles what it imports itself."""
    with zipfile.ZipFile(archive) as source:
        kept = [
            (info, source.read(info))
            for info in source.infolist()
            if "__pycache__/" not in info.filename and not info.filename.endswith(".pyc")
        ]
        if len(kept) == len(source.infolist()):
            return
    written = archive.with_name(archive.name + ".tmp")
    with zipfile.ZipFile(written, "w", zipfile.ZIP_DEFLATED) as target:
        for info, content in kept:
            target.writestr(info, content)
    written.replace(archive)


def with_code_in_s3(template: dict[str, Any], bucket: str, key: str) -> dict[str, Any]:
    """The template with every function's code read from S3 (what `aws cloudformation package`
    does): the API's and, for a stage that has them, the batch functions' (one package)."""
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = {"Bucket": bucket, "Key": key}
    return template
