"""The discovery hook: ask the systems which controllers hold data for an identity.

Connectors with a `discover` capability register a function here (fulfilment fills
this in); routing calls every registered function when its rules do not decide.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

# identities as {kind: [normalized values]} -> controller ids holding data for them
Discoverer = Callable[[dict[str, list[str]]], Iterable[str]]

_discoverers: list[Discoverer] = []


def register_discoverer(discoverer: Discoverer) -> Discoverer:
    if discoverer not in _discoverers:
        _discoverers.append(discoverer)
    return discoverer


def unregister_discoverer(discoverer: Discoverer) -> None:
    if discoverer in _discoverers:
        _discoverers.remove(discoverer)


def discover(identities: dict[str, list[str]]) -> tuple[list[str], list[str]]:
    """Controller ids found by every discoverer, in first-found order, and any errors.

    A discoverer that fails does not stop routing: its error is reported so the
    decision can say that discovery was incomplete.
    """
    found: list[str] = []
    errors: list[str] = []
    for discoverer in list(_discoverers):
        try:
            for controller_id in discoverer(identities):
                if controller_id not in found:
                    found.append(controller_id)
        except Exception as exc:  # a connector's outage must not lose the request
            errors.append(f"{getattr(discoverer, '__name__', discoverer)}: {exc}")
    return found, errors
