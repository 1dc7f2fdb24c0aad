"""Routing: deciding which controller(s) a request belongs to (DESIGN §6)."""
from dsar.routing.discovery import register_discoverer, unregister_discoverer
from dsar.routing.rules import RoutingDecision, RoutingInput, decide

__all__ = ["RoutingDecision", "RoutingInput", "decide", "register_discoverer", "unregister_discoverer"]
