"""Templates as CloudFormation runs them: SAM's transform expanded by SAM's own translator."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from foundation.paths import REPO_ROOT
from provisioning.api import package as api_package

# `make test` installs SAM's translator and checkov there: their pins clash with ours.
TOOLS_PYTHON = REPO_ROOT / ".venv-tools" / "bin" / "python"


def expand_template(sam_template: dict[str, Any]) -> dict[str, Any]:
    """The template as CloudFormation runs it: SAM's transform expanded by aws-sam-translator
    (tests/sam_expand.py), the Lambda's code in S3 as deploy_api uploads it."""
    if not TOOLS_PYTHON.exists():
        pytest.skip("SAM's translator is not installed: `make test` installs it in .venv-tools")
    template = api_package.with_code_in_s3(sam_template, "sagemaker-proxy-bucket", "lambda/k.zip")
    result = subprocess.run(
        [str(TOOLS_PYTHON), str(Path(__file__).with_name("sam_expand.py"))],
        input=json.dumps(template),
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "AWS_DEFAULT_REGION": "eu-west-1"},
    )
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


def expand(stage: str, output: Path) -> dict[str, Any]:
    """`make deploy`'s template for a stage, packaged into ``output`` and expanded."""
    built = api_package.package(stage, output)
    return expand_template(json.loads((built / "sam.json").read_text()))
