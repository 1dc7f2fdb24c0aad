"""Routing rules, tried in order; the first that names a controller decides.

1. the controller that calls the API (its token is scoped to it);
2. a controller given explicitly by an operator-side caller;
3. the address the request was sent to (a client's alias; the operator's own shared
   DPO address does not decide, since prospects and clients' users both write there);
4. the public form used;
5. controllers named in the request's text;
6. discovery: the systems are asked who holds data for the subject's identities.
Several controllers from rules 5–6 split the request; none leaves it unroutable.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from dsar.models import Controller
from dsar.routing import discovery


@dataclass(frozen=True)
class RoutingInput:
    caller_controller_id: str | None = None
    named_controller_id: str | None = None
    recipients: Sequence[str] = ()
    form: str | None = None
    text: str = ""
    identities: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class RoutingDecision:
    controller_ids: tuple[str, ...]
    rule: str      # caller | explicit | alias | form | named | discovery | none
    reason: str

    def as_dict(self) -> dict:
        return {"controllers": list(self.controller_ids), "rule": self.rule, "reason": self.reason}


def _mentions(text: str, name: str) -> bool:
    return re.search(r"(?<!\w)" + re.escape(name) + r"(?!\w)", text, re.IGNORECASE) is not None


def decide(data: RoutingInput, controllers: Sequence[Controller]) -> RoutingDecision:
    by_id = {c.id: c for c in controllers}
    if data.caller_controller_id:
        return RoutingDecision((data.caller_controller_id,), "caller",
                               f"sent by {by_id[data.caller_controller_id].name} through the API")
    if data.named_controller_id:
        return RoutingDecision((data.named_controller_id,), "explicit",
                               f"controller {data.named_controller_id} given by the operator")
    recipients = {r.strip().lower() for r in data.recipients}
    for c in controllers:
        if not c.is_operator and recipients & {a.lower() for a in c.aliases}:
            return RoutingDecision((c.id,), "alias", f"sent to {c.name}'s address")
    if data.form:
        for c in controllers:
            if data.form in c.forms:
                return RoutingDecision((c.id,), "form", f"made on {c.name}'s form '{data.form}'")
    if data.text:
        named = [c.id for c in controllers if any(_mentions(data.text, n) for n in c.names)]
        # The operator named alongside clients is usually just the addressee: prefer clients.
        clients = [cid for cid in named if not by_id[cid].is_operator]
        named = clients or named
        if named:
            return RoutingDecision(tuple(named), "named",
                                   "the request names " + ", ".join(by_id[c].name for c in named))
    found, errors = discovery.discover(data.identities)
    found = [cid for cid in found if cid in by_id]
    note = f" (discovery errors: {'; '.join(errors)})" if errors else ""
    if found:
        return RoutingDecision(tuple(found), "discovery",
                               "data for this subject found at " + ", ".join(by_id[c].name for c in found) + note)
    return RoutingDecision((), "none", "no rule matched and no system holds data for this subject" + note)
