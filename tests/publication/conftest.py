"""The `receivers` fixture (real webhook receivers on 127.0.0.1) for the publication tests."""

from ._receivers import receivers  # noqa: F401 - a fixture, found by name
