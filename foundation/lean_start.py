"""A command that never uses scikit-learn starts without it.

XGBoost imports scikit-learn wherever it is installed, for estimator classes and fold
splitters these commands never use: SciPy and all, 0.55 s of CPU at every start, measured with
``python -X importtime -m scripts.deploy_endpoint --help``. The end-to-end tests start these
commands some two hundred times. Marked absent, XGBoost's import of it fails at once and XGBoost
goes on without its scikit-learn classes, as it does where scikit-learn is not installed.
"""

from __future__ import annotations

import sys


def skip_scikit_learn() -> None:
    """Called first in a command's ``if __name__ == "__main__"`` block, above its other imports,
    never on import: a test that imports the command's module may well use scikit-learn."""
    sys.modules.setdefault("sklearn", None)  # type: ignore[arg-type]  # None: import fails
