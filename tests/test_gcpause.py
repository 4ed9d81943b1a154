"""gc_paused: the collector is off inside and exactly as it was outside, errors included."""

from __future__ import annotations

import gc

import pytest

from truceline.gcpause import gc_paused


def test_restores_the_state_it_found() -> None:
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # not switched on behind a caller that had it off
    finally:
        gc.enable()


def test_restores_on_error() -> None:
    with pytest.raises(RuntimeError), gc_paused():
        raise RuntimeError("batch failed")
    assert gc.isenabled()


def test_freeze_survivors_collects_first_then_freezes() -> None:
    from truceline.gcpause import freeze_survivors

    class Node:
        def __init__(self) -> None:
            self.other: Node | None = None

    kept = Node()
    cycle_a, cycle_b = Node(), Node()
    cycle_a.other, cycle_b.other = cycle_b, cycle_a
    import weakref

    gone = weakref.ref(cycle_a)
    del cycle_a, cycle_b  # garbage only the collector can free (a cycle)
    try:
        freeze_survivors()
        assert gone() is None  # collected before the freeze, not frozen with the survivors
        assert gc.get_freeze_count() > 0
        assert not any(o is kept for o in gc.get_objects())  # out of the collector's sight
    finally:
        gc.unfreeze()
    assert any(o is kept for o in gc.get_objects())
