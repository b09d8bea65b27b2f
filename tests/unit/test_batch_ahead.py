"""Reading ahead on another thread changes nothing of what the caller sees: the items in order,
each with its own result, and a failure where it happened, after the items before it."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from batch.ahead import ahead


def test_each_item_comes_with_its_result_in_order_worked_on_another_thread() -> None:
    threads: set[str] = set()

    def square(item: int) -> int:
        threads.add(threading.current_thread().name)
        return item * item

    assert list(ahead(range(6), square)) == [(n, n * n) for n in range(6)]
    assert threads and threading.current_thread().name not in threads


@pytest.mark.parametrize("failing", ["work", "items"])
def test_a_failure_comes_after_the_items_before_it(failing: str) -> None:
    def items() -> Iterator[int]:
        yield from (1, 2, 3)
        if failing == "items":
            raise ValueError("the reading failed")
        yield 4

    def work(item: int) -> int:
        if failing == "work" and item == 4:
            raise ValueError("the work failed")
        return item

    seen: list[int] = []
    with pytest.raises(ValueError, match="failed"):
        for item, _ in ahead(items(), work):
            seen.append(item)
    assert seen == [1, 2, 3]
