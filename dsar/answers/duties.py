"""Imports every module that registers a background duty (see `dsar.answers.dispatch`)."""
from dsar.answers import notices, package, report_delivery, webhooks  # noqa: F401
