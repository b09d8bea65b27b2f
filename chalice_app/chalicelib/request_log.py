"""One structured JSON log line per request, filled in by the views as the request goes."""

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


def field(name: str) -> Any:
    """A field of this request's log line, such as ``request_id``."""
    return _current.get({}).get(name)
