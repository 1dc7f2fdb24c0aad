"""Requests: creating them, acting on them, and reading their clocks."""
