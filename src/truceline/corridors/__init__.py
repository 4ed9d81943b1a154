"""Corridor risk: a forecast an insurer can price, from the log alone."""
