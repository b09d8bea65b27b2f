"""The built-in XGBoost container's own serving code, started as its image starts it, outside the
image: ``serving_entrypoint`` sets OMP_NUM_THREADS=1, then ``ScoringService.start()`` runs gunicorn
with gevent workers, one per CPU, keep-alive 60 s (serving.py and algorithm_mode/serve.py at
v3.0-5). Run by a Python that has the container's serving libraries (see docs/benchmarks.md):

    python bench/builtin_container.py CONTAINER_SRC SAGEMAKER_CONTAINERS_SRC

with SM_MODEL_DIR and SAGEMAKER_BIND_TO_PORT set. Three shims stand in for what the image has and
this machine need not: ``collections.Mapping`` (sagemaker-containers predates Python 3.10),
``gethostname`` (a C extension of sagemaker-containers, for distributed training) and ``mlio``
(recordio and parquet readers, which CSV never reaches).
"""

import collections
import collections.abc
import os
import sys
import tempfile
import types

collections.Mapping = collections.abc.Mapping  # type: ignore[attr-defined]
collections.MutableMapping = collections.abc.MutableMapping  # type: ignore[attr-defined]
os.environ.setdefault("PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION", "python")
# serving.py, set_default_serving_env_if_unspecified
os.environ.setdefault("OMP_NUM_THREADS", "1")

stubs = tempfile.mkdtemp()
for name in ("mlio", "mlio.integ", "mlio.integ.numpy", "mlio.integ.scipy", "mlio.integ.arrow"):
    module = types.ModuleType(name)
    module.__path__ = []  # a package, so its submodules import
    for function in ("as_numpy", "to_coo_matrix", "as_arrow_file"):
        setattr(module, function, None)
    sys.modules[name] = module
gethostname = types.ModuleType("gethostname")
gethostname.call = lambda *args, **kwargs: os.uname().nodename  # type: ignore[attr-defined]
sys.modules["gethostname"] = gethostname

sys.path[:0] = [sys.argv[1], sys.argv[2]]
from sagemaker_xgboost_container.algorithm_mode import serve  # noqa: E402

serve.ScoringService.start()
