"""The daily report: `truceline report` (HTML or PDF, en/uk/ru) and its record on the log."""
