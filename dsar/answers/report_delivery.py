"""Not built yet (issue 7)."""
