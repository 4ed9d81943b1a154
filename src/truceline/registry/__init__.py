"""The sensor registry: sensors, their keys and status, as events in the ledger."""
