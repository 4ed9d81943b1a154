"""The `receivers` fixture (real webhook receivers on 127.0.0.1) for the publication tests,
and a check that no earlier test left an event loop running on the main thread."""

import asyncio

import pytest

from ._receivers import receivers  # noqa: F401 - a fixture, found by name


@pytest.fixture(autouse=True)
def _no_event_loop_left_running() -> None:
    """These tests `asyncio.run` on the main thread, which fails while another loop runs
    there: name the leak (e.g. a Playwright sync API left open by another package) instead
    of failing inside asyncio."""
    leaked = asyncio._get_running_loop()
    if leaked is not None:
        pytest.fail(f"an earlier test left an event loop running on the main thread: {leaked!r}")
