"""Where things are in this repository: one home for each path the commands, the local
stand-in, the benchmark and the tests use. Nothing deployed imports it."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
# The Lambda: Chalice's project, its stage configuration and the model signatures it ships.
CHALICE_DIR = REPO_ROOT / "chalice_app"
CHALICE_CONFIG_DIR = CHALICE_DIR / ".chalice"
LAMBDA_SIGNATURES = CHALICE_DIR / "chalicelib" / "signatures"
# The example model's signature, what a fresh clone serves.
IRIS_SIGNATURE = LAMBDA_SIGNATURES / "iris.json"
# The serving image: its Dockerfile and pinned requirements, and the code it copies.
CONTAINER_DIR = REPO_ROOT / "container"
SERVING_DIR = REPO_ROOT / "serving"
# What `make model` and scripts.import_model write (and nothing else writes but where told).
BUILD_DIR = REPO_ROOT / "build"
MODEL_ARTIFACT = BUILD_DIR / "model.tar.gz"
WEB_PAGE_DIR = REPO_ROOT / "examples" / "web"
