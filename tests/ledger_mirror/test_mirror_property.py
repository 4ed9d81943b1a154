"""Hypothesis: however a log's growth is split into mirror runs, the mirror ends the same."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from truceline.home import Home
from truceline.ledger.api import router
from truceline.ledger.fetch import TileFetcher
from truceline.ledger.home import open_reader
from truceline.ledger.mirror import mirror
from truceline.ledger.pinning import pin
from witness.live import serve

from .conftest import Operator, entries, snapshot

# Growth steps crossing tile boundaries often: many small steps, some across 256 and 512.
steps = st.lists(st.integers(min_value=0, max_value=300), min_size=1, max_size=6)


def _mirror(url: str, home: Home) -> None:
    fetcher = TileFetcher(url)
    try:
        pin(home, fetcher)
        mirror(home, fetcher, window=3)  # a small window: fetches overlap verification
    finally:
        fetcher.close()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """One server for all examples: each example makes a new log at the same place."""
    root = tmp_path / "example"
    app = FastAPI()
    app.include_router(router(Home(root / "operator")))
    with serve(app) as base:
        yield root, f"{base}/log"


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(growth=steps, mirror_after=st.lists(st.booleans(), min_size=6, max_size=6))
def test_any_split_gives_the_same_mirror(
    site: tuple[Path, str], growth: list[int], mirror_after: list[bool]
) -> None:
    root, url = site
    if root.exists():
        shutil.rmtree(root)
    root.mkdir()
    operator = Operator.create(root)
    stepwise, oneshot = Home(root / "stepwise"), Home(root / "oneshot")
    size = 0
    for n, run in zip(growth, mirror_after, strict=False):
        operator.append(entries(size, size + n))
        size += n
        if run:
            _mirror(url, stepwise)
    _mirror(url, stepwise)
    _mirror(url, oneshot)

    final, once = snapshot(stepwise.log_dir), snapshot(oneshot.log_dir)
    # Every file of the one-shot copy, byte for byte; anything more is an older partial tile
    # of a size the log published, which is a prefix of the tile at the final size.
    for path, data in once.items():
        assert final[path] == data, path
    for path in final.keys() - once.keys():
        full, _, width = path.partition(".p/")
        assert width, path
        wider = once.get(full) or next(v for k, v in once.items() if k.startswith(full + ".p/"))
        if "/entries/" not in path:
            assert wider.startswith(final[path]), path
    ro = open_reader(stepwise)
    assert ro.size == size
    assert ro.read(0, size) == entries(0, size)
    assert ro.checkpoint() == operator.checkpoint()
