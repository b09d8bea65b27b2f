"""Work done a step ahead on another thread: while the caller scores one chunk, the next is read
and parsed (Arrow, numpy and the file's reads let go of the GIL, so two cores share the work)."""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")
_END = object()


def ahead(
    items: Iterable[Item], work: Callable[[Item], Result]
) -> Generator[tuple[Item, Result], None, None]:
    """Each item with its work's result, in order; the next item is taken and worked on while
    the caller handles this one. An exception in either is raised here, in order. Leaving early
    (an exception, a signal) waits for the step under way, which touches nothing of the caller's."""
    source = iter(items)

    def step() -> tuple[object, object]:
        item = next(source, _END)
        return (item, None) if item is _END else (item, work(item))  # type: ignore[arg-type]

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="batch-read") as pool:
        pending = pool.submit(step)
        while True:
            item, result = pending.result()
            if item is _END:
                return
            pending = pool.submit(step)
            yield item, result  # type: ignore[misc]
