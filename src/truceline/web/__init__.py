"""The dashboard: a live map of the mission at `/` that checks what it shows against the log."""
