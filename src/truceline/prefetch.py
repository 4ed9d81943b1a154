"""Run an iterator ahead in a thread, so a consumer in Python overlaps its producer.

Worth it when the producer spends its time in code that releases the GIL (numpy,
scipy's k-d tree): the batch adjudicator judges one block of rows while the next
block's candidate links are found on the other core. The items and their order are
the iterator's own, so the result never depends on timing.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import TypeVar

T = TypeVar("T")
_DONE = object()


def prefetched(items: Iterator[T], depth: int = 2) -> Iterator[T]:
    """Yield `items` in order, computing up to `depth` of them ahead in a daemon thread.
    An exception in the producer is raised in the consumer, at the item it failed on."""
    ahead: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        ahead.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            ahead.put(_DONE)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            ahead.put(exc)

    worker = threading.Thread(target=produce, name="prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item = ahead.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        stop.set()  # a consumer that stops early frees the producer
