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
