"""The model container's WSGI app: SageMaker's contract for a container of your own.

``GET /ping`` answers 200 when the model is loaded and 503 when it could not be, and
``POST /invocations`` takes ``text/csv`` or ``application/json`` (SageMaker's runtime refuses
bodies over its 6 MB limit before a container sees them).
gunicorn serves it (see ``serving.entrypoint``). Each worker loads the model before it
takes its first connection: SageMaker sends traffic after the first 200 from /ping, and a
worker still loading in the background would then answer 503 to real requests (seen with
two workers). Until a worker is ready, pings wait and time out, so health still fails.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import sys
from pathlib import Path

from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from serving.invocations import CSV, JSON, RoutedApp, invoke, json_response, text_response
from serving.model import ModelInputError, XGBoostModel

# SageMaker unpacks model.tar.gz here; SM_MODEL_DIR overrides it (as in SageMaker's toolkits).
DEFAULT_MODEL_DIR = "/opt/ml/model"
logger = logging.getLogger(__name__)


# What this image reads: CSV, as the built-in XGBoost container does, and JSON rows. The local
# stand-in for SageMaker hosts the same app with CSV alone, as the built-in container serves.
OWN_IMAGE_INPUTS = frozenset({CSV, JSON})
BUILT_IN_INPUTS = frozenset({CSV})


class ContainerApp(RoutedApp):
    def __init__(self, model_dir: Path | None, inputs: frozenset[str] = OWN_IMAGE_INPUTS) -> None:
        self.model_dir = model_dir
        self.inputs = inputs
        self.model: XGBoostModel | None = None
        self.load_error: str | None = None
        self.url_map = Map(
            [
                Rule("/ping", endpoint="ping", methods=["GET"]),
                Rule("/invocations", endpoint="invocations", methods=["POST"]),
            ]
        )

    @classmethod
    def serving(cls, model: XGBoostModel, inputs: frozenset[str]) -> ContainerApp:
        """An app around a model already loaded (the local stand-in's)."""
        app = cls(None, inputs)
        app.model = model
        return app

    def load(self) -> None:
        assert self.model_dir is not None
        try:
            self.model = XGBoostModel.from_artifact(self.model_dir)
            logger.warning("model loaded from %s", self.model_dir)
        except Exception as error:  # any failure must show in /ping, not kill the worker
            self.load_error = f"{type(error).__name__}: {error}"
            logger.error("model not loaded from %s: %s", self.model_dir, self.load_error)

    def ping(self, request: Request) -> Response:
        if self.model is not None:
            return Response(status=200)
        # The reason is in the container's log, not in an answer anyone may read.
        return json_response(503, {"status": "failed"})

    def invocations(self, request: Request) -> Response:
        if self.model is None:
            return text_response(503, "The model is not loaded.")
        try:
            return invoke(self.model, request, self.inputs)
        except ModelInputError as error:
            return text_response(error.status, str(error))


def mark_pandas_absent() -> None:
    """XGBoost tries ``import pandas`` twice on every prediction, to see whether its input is a
    DataFrame. Where pandas is not installed (this image), each try walks sys.path anew (seen:
    250 µs of a 590 µs one-row prediction). Marked absent once, the import fails at once, as it
    would anyway. For the image's workers only: a process with other libraries (scikit-learn
    reads ``sys.modules["pandas"]`` itself) is left as it is."""
    if importlib.util.find_spec("pandas") is None:
        sys.modules.setdefault("pandas", None)  # type: ignore[arg-type]


def create_app() -> ContainerApp:
    """gunicorn's app factory: ``serving.container:create_app()``, called in each worker."""
    mark_pandas_absent()
    app = ContainerApp(Path(os.environ.get("SM_MODEL_DIR", DEFAULT_MODEL_DIR)))
    # In the worker, after the fork: no OpenMP state is shared across processes.
    app.load()
    return app
