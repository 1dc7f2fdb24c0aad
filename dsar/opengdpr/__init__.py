"""The OpenGDPR 1.0 processor API (not built yet)."""
from flask import Flask


def init_app(app: Flask) -> None:
    pass
