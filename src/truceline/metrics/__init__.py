"""Mission metrics as a pure function of the log: `truceline metrics`, `GET /metrics`."""
