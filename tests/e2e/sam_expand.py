"""Expand a SAM template as CloudFormation's transform does: stdin to stdout, with SAM's own
translator. Run by the tests with .venv-tools' Python (aws-sam-translator pins pydantic 2.13;
the Lambda ships 2.14), so it imports nothing of this project."""

import json
import os
import sys

from samtranslator.translator.transform import transform


class NoManagedPolicies:
    """The templates name no managed policy, so none needs looking up in IAM."""

    def load(self) -> dict[str, str]:
        return {}


if __name__ == "__main__":
    os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-1")  # fills ${AWS::Region}
    json.dump(transform(json.load(sys.stdin), {}, NoManagedPolicies()), sys.stdout)
