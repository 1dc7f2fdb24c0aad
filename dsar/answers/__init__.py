"""Answers (DESIGN §9): what dsar hands back once a request is fulfilled.

- `processor_report`: per system what was done, and whether the processor SLA held;
  `report_delivery` sends it to the controller by email and signed webhook.
- `package`, `art15`, `portability`, `downloads`: the access package and portability
  export, encrypted at rest, reached through an expiring link.
- `notices`: Art. 19 notices to the recipients of the data.
- `signing`, `webhooks`: signed POSTs we owe (controller webhooks, OpenGDPR callbacks).
- `dispatch`: the background duties that send what is owed.
"""
from flask import Flask


def init_app(app: Flask) -> None:
    from dsar.answers import api, downloads
    # The duties' modules also hold the status-change listeners (Art. 19 notices, the
    # processor report's delivery): they must listen from the start, not from the first sweep.
    from dsar.answers import duties  # noqa: F401

    api.init_app(app)
    downloads.init_app(app)
