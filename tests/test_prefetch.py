"""prefetched: the iterator's items in order, its errors in place, early stops freed."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from truceline.prefetch import prefetched


def test_items_in_order() -> None:
    assert list(prefetched(iter(range(1000)), depth=3)) == list(range(1000))


def test_error_raised_at_its_item() -> None:
    def failing() -> Iterator[int]:
        yield 1
        yield 2
        raise ValueError("row 3 is bad")

    got = []
    with pytest.raises(ValueError, match="row 3 is bad"):
        for item in prefetched(failing()):
            got.append(item)
    assert got == [1, 2]


def test_early_stop_frees_the_producer() -> None:
    def endless() -> Iterator[int]:
        n = 0
        while True:
            yield n
            n += 1

    it = prefetched(endless(), depth=1)
    assert next(it) == 0
    it.close()  # runs the generator's finally: the producer sees the stop and ends
    for thread in threading.enumerate():
        if thread.name == "prefetch":
            thread.join(timeout=5)
            assert not thread.is_alive()
