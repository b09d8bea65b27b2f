"""One structured JSON log line per request, filled in as the request goes. It only records:
nothing reads a field back (what the answer and the metrics need is in ``exchange``)."""

from __future__ import annotations

import json
import sys
from contextvars import ContextVar
from typing import Any

_current: ContextVar[dict[str, Any]] = ContextVar("request_log")


def start(**fields: Any) -> None:
    _current.set(dict(fields))


def add(**fields: Any) -> None:
    """Add fields to this request's log line (a no-op outside a request)."""
    record = _current.get(None)
    if record is not None:
        record.update(fields)


def emit(**fields: Any) -> None:
    record = {
        key: value for key, value in {**_current.get({}), **fields}.items() if value is not None
    }
    # stdout is CloudWatch Logs under Lambda and the terminal under `chalice local`.
    sys.stdout.write(json.dumps(record, default=str) + "\n")
    sys.stdout.flush()
