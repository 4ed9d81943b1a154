"""Truceline: a ceasefire verification engine.

sensor feeds and adapters -> signed envelopes -> ingest -> ledger -> fusion
-> adjudication -> enforcement -> publication. Every decision is a pure function
of logged evidence and the agreement version.
"""

__version__ = "0.1.0"
