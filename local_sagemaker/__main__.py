"""Run the local SageMaker stand-in: ``python -m local_sagemaker --model build/model.tar.gz``."""

from __future__ import annotations

if __name__ == "__main__":
    # Before anything imports XGBoost: foundation.lean_start says why.
    from foundation.lean_start import skip_scikit_learn

    skip_scikit_learn()

import argparse
import signal
import sys
from pathlib import Path
from types import FrameType

from werkzeug.serving import make_server

from artifacts.binding import BindingError, bound_signature
from foundation.paths import MODEL_ARTIFACT
from local_sagemaker.capture import CaptureWriter
from local_sagemaker.runtime_api import DEFAULT_REGION, RuntimeApi
from local_sagemaker.stack import local_stage_variables
from provisioning.naming import VARIANT_NAME
from serving.model import XGBoostModel


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m local_sagemaker",
        description="Serve a SageMaker XGBoost artifact over the SageMaker runtime API on loopback.",
    )
    parser.add_argument(
        "--model",
        type=Path,
        default=MODEL_ARTIFACT,
        help="the model.tar.gz to serve (default: build/model.tar.gz)",
    )
    parser.add_argument(
        "--signature",
        type=Path,
        help="its signature, which must be made for it (default: beside it, <name>.signature.json)",
    )
    parser.add_argument(
        "--endpoint-name",
        action="append",
        dest="endpoint_names",
        help="endpoint name to answer for; repeat for more (default: the local stage's "
        "SAGEMAKER_ENDPOINT_NAME in chalice_app/.chalice/config.json)",
    )
    parser.add_argument(
        "--variant",
        action="append",
        dest="variant_names",
        help=f"production variant every endpoint has; repeat for more, the first answers calls "
        f"without TargetVariant (default: {VARIANT_NAME})",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port to bind (default: 8080)")
    parser.add_argument(
        "--capture-dir",
        type=Path,
        help="capture every answered invocation into this folder, as data capture writes to S3 "
        "(DIR/capture/<endpoint>/<artifact sha256>/<endpoint>/<variant>/yyyy/mm/dd/hh/*.jsonl): "
        "read it with python -m scripts.drift_report --capture DIR",
    )
    parser.add_argument(
        "--region",
        default=DEFAULT_REGION,
        help="region used in ARNs and messages (default: us-east-1)",
    )
    args = parser.parse_args(argv)

    # As SageMaker would load any artifact, but this stand-in serves what the proxy will ask of
    # it: a signature made for another model answers 200 with wrong labels, so it is refused.
    try:
        signature = bound_signature(args.model, args.signature)
    except BindingError as error:
        print(f"local endpoint: refused: {error}", file=sys.stderr)
        return 2
    model = XGBoostModel.from_artifact(args.model)
    names = args.endpoint_names or [local_stage_variables()["SAGEMAKER_ENDPOINT_NAME"]]
    capture = (
        CaptureWriter(args.capture_dir, signature.artifact_sha256) if args.capture_dir else None
    )
    app = RuntimeApi(
        model,
        names,
        region=args.region,
        variant_names=args.variant_names or [VARIANT_NAME],
        capture=capture,
    )
    server = make_server(args.host, args.port, app, threaded=True)

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    print(
        f"local endpoint ready on http://{args.host}:{server.server_port} "
        f"serving {', '.join(sorted(names))}",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
