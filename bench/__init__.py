"""`make bench`: the proxy against the hand-written Lambda it replaces (see docs/benchmarks.md)."""
