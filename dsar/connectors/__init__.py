"""The connector registry: every store type dsar can fulfil requests in.

Each connector module defines one `Connector` subclass and registers it with
`@register`; importing this package imports them all (Redash's query-runner pattern).
`build(system)` makes the connector for a register system, its settings checked;
`settings_problems(type, settings)` is what `dsar config check` reports.
"""
from __future__ import annotations

import importlib
import threading

from marshmallow import ValidationError

from dsar.connectors.base import Connector, ConnectorError, NotConfigured

CONNECTORS: dict[str, type[Connector]] = {}

# The built-in connectors, by module; each registers itself when imported.
BUILT_IN = ("sql", "hubspot", "zendesk", "pipedrive", "intercom", "postmark", "sentry", "s3",
            "manual", "webhook", "bot")


def register(cls: type[Connector]) -> type[Connector]:
    CONNECTORS[cls.type] = cls
    return cls


_loaded = False
_loading = threading.Lock()


def _load_built_in() -> None:
    """Import every built-in connector once (tasks run in threads: one thread imports,
    the others wait for the whole registry)."""
    global _loaded
    if _loaded:
        return
    with _loading:
        if _loaded:
            return
        for name in BUILT_IN:
            try:
                importlib.import_module(f"dsar.connectors.{name}")
            except ModuleNotFoundError as exc:
                if exc.name != f"dsar.connectors.{name}":
                    raise
        _loaded = True


def connector_class(type_name: str) -> type[Connector]:
    _load_built_in()  # also when one connector was imported early (its views import it)
    try:
        return CONNECTORS[type_name]
    except KeyError:
        raise NotConfigured(f"no connector of type {type_name!r}; known: {', '.join(sorted(CONNECTORS))}") from None


def settings_problems(type_name: str, settings: dict) -> dict | str | None:
    """The problems of a system's connector settings (marshmallow's error dict), or None."""
    try:
        cls = connector_class(type_name)
    except NotConfigured as exc:
        return str(exc)
    try:
        cls.check_settings(settings)
    except ValidationError as exc:
        return exc.messages
    return None


def build(system) -> Connector:
    """The connector for `system` (a `System` row), with its settings checked."""
    cls = connector_class(system.connector_type)
    try:
        settings = cls.check_settings(system.connector_settings or {})
    except ValidationError as exc:
        raise NotConfigured(f"settings of system {system.id!r} are invalid: {exc.messages}") from None
    return cls(system.id, settings)


__all__ = ["CONNECTORS", "Connector", "ConnectorError", "NotConfigured", "build", "connector_class",
           "register", "settings_problems"]
