"""Sensor families, one module each: how each instrument or team sees the true events."""
