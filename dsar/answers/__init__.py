"""Answers (DESIGN §9): what dsar hands back once a request is fulfilled.

So far: the processor's report to the controller (`processor_report`). The access
package, portability export, Art. 19 notices and the OpenGDPR API are still to come
(issue 7).
"""
from flask import Flask


def init_app(app: Flask) -> None:
    from dsar.answers import api

    api.init_app(app)
