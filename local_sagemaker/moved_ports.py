"""`make run` on other ports than the local stage names (``make run PORT=… ENDPOINT_PORT=…
DEMO_PORT=…``), without editing the tracked ``.chalice/config.json``.

`chalice local` applies a stage's variables over the process's own, so the stand-in's URL and the
allowed origins cannot be moved by the environment. The stack then runs a shadow project under
``build/``: every file of the live ``app.py`` and ``chalicelib/`` linked in, one link a file (the
reloader of `chalice local` walks directories without following links, but sees a linked file's
edits), and a copy of the stage file whose local stage points at the moved ports."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from foundation.paths import BUILD_DIR, CHALICE_DIR

SHADOW_PROJECT = BUILD_DIR / "run-local" / "chalice_app"
# What Chalice reads of a project besides its stage file.
_LINKED = ("app.py", "chalicelib", "requirements.txt", "vendor")


def with_port(url: str, port: int) -> str:
    """``url`` on another port, the rest kept."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{parts.hostname}:{port}"))


def moved_config(config: dict, endpoint_port: int, web_port: int) -> dict:  # type: ignore[type-arg]
    """The stage file with the local stage's endpoint on ``endpoint_port`` and its first allowed
    origin (the demo page's) on ``web_port``; the other origins stay as they are."""
    moved = json.loads(json.dumps(config))
    local = moved["stages"]["local"]["environment_variables"]
    for name in ("AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME", "AWS_ENDPOINT_URL_SAGEMAKER"):
        local[name] = with_port(local[name], endpoint_port)
    origins = local["CORS_ALLOW_ORIGINS"].split(",")
    local["CORS_ALLOW_ORIGINS"] = ",".join([with_port(origins[0], web_port), *origins[1:]])
    return moved


def _link(source: str, destination: str) -> None:
    os.symlink(os.path.abspath(source), destination)


def shadow_project(endpoint_port: int, web_port: int, target: Path = SHADOW_PROJECT) -> Path:
    """(Re)make the shadow project for these ports and return its directory."""
    if target.exists():
        shutil.rmtree(target)
    (target / ".chalice").mkdir(parents=True)
    for name in _LINKED:
        source = CHALICE_DIR / name
        if source.is_dir():
            shutil.copytree(
                source, target / name, copy_function=_link,
                ignore=shutil.ignore_patterns("__pycache__"),
            )  # fmt: skip
        elif source.exists():
            _link(str(source), str(target / name))
    for path in (CHALICE_DIR / ".chalice").iterdir():
        if path.name != "config.json" and path.is_file():
            shutil.copy2(path, target / ".chalice" / path.name)
    config = json.loads((CHALICE_DIR / ".chalice" / "config.json").read_text())
    (target / ".chalice" / "config.json").write_text(
        json.dumps(moved_config(config, endpoint_port, web_port), indent=2)
    )
    return target
