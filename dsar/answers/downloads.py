"""The subject's download page for an access package (not built yet)."""
from flask import Flask


def init_app(app: Flask) -> None:
    pass
