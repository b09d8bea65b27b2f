"""What a cold start of the proxy imports that the bare Lambda does not, with import times.

``python -m bench.imports``: runs ``python -X importtime`` on each handler (plus, for ours,
making the botocore client the first request makes) and sums the self time of the modules
only the proxy imports, by top-level package.
"""

from __future__ import annotations

import collections
import os
import re
import subprocess
import sys
import tempfile

from bench.harness import HANDLER_PATH

LINE = re.compile(r"import time:\s+(\d+) \|\s+\d+ \|\s*(\S+)")
OURS = (
    "import app, botocore.session; "
    "botocore.session.Session().create_client('sagemaker-runtime', region_name='us-east-1')"
)
BARE = "import bare_lambda"


def self_times(code: str, pycache: str) -> dict[str, int]:
    env = {
        **{key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"},
        "PYTHONPYCACHEPREFIX": pycache,
        "PYTHONPATH": os.pathsep.join(HANDLER_PATH),
        "SAGEMAKER_ENDPOINT_NAME": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    subprocess.run([sys.executable, "-c", code], env=env, check=True)  # compile bytecode once
    finished = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return {
        match.group(2): int(match.group(1))
        for match in map(LINE.match, finished.stderr.splitlines())
        if match
    }


def main() -> None:
    with tempfile.TemporaryDirectory() as pycache:
        ours, bare = self_times(OURS, pycache), self_times(BARE, pycache)
    only_ours = {name: us for name, us in ours.items() if name not in bare}
    by_package: collections.Counter[str] = collections.Counter()
    for name, microseconds in only_ours.items():
        by_package[name.split(".")[0]] += microseconds
    print(
        f"all imports: ours {sum(ours.values()) / 1000:.0f} ms, bare {sum(bare.values()) / 1000:.0f} ms"
    )
    print(f"imported only by ours: {sum(only_ours.values()) / 1000:.0f} ms\n")
    print("| package | self time (ms) |\n| --- | --- |")
    for package, microseconds in by_package.most_common(8):
        print(f"| {package} | {microseconds / 1000:.1f} |")


if __name__ == "__main__":
    main()
