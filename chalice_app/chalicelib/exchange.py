"""One request as the proxy handles it: its id, and the upstream call's latency and error.

The boundary begins one per request, the view hands it to the service, and the service records
the call on it; the boundary reads it for the answer's headers and the metrics. The log line
only records what is here, and never carries data between layers.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

_current: ContextVar[Exchange] = ContextVar("exchange")


@dataclass
class Exchange:
    request_id: str
    # The InvokeEndpoint call, when one was made: how long it took (also when it failed).
    upstream_ms: float | None = None


def begin(request_id: str) -> Exchange:
    exchange = Exchange(request_id)
    _current.set(exchange)
    return exchange


def current() -> Exchange:
    """This request's exchange (for the view, which Chalice calls without arguments)."""
    return _current.get()
