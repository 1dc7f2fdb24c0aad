"""Filing what the public form received: one create_request, then the acknowledgement.

The form files as an operator-side intake bot: it may name any controller (the page's,
or the one the subject picked), and routing decides the rest. The requests stay
`received` and unverified until the subject confirms their address (verification.py).
"""
from __future__ import annotations

from sqlalchemy import select

from dsar.extensions import db
from dsar.models import Controller, Request, Role
from dsar.permissions import Principal
from dsar.public.acknowledge import acknowledge
from dsar.public.forms import RequestForm
from dsar.requests.service import NewRequest, create_request

FORM_PRINCIPAL = Principal(Role.BOT, None, "public-form")


def controllers() -> list[Controller]:
    return list(db.session.scalars(select(Controller).order_by(Controller.name)))


def controller_for_page(slug: str) -> Controller | None:
    """The controller whose form page `slug` is: one of its form slugs, or its id."""
    rows = controllers()
    return (next((c for c in rows if slug in c.forms), None)
            or next((c for c in rows if c.id == slug), None))


def _routing(controller: Controller | None, slug: str | None) -> dict:
    """NewRequest fields that send the request to `controller`: a form of its (so the
    routing decision reads "made on X's form"), or the controller itself if it has none.
    None: routing decides (names in the text, discovery, or unroutable)."""
    if controller is None:
        return {}
    if slug in controller.forms:
        return {"form": slug}
    if controller.forms:
        return {"form": controller.forms[0]}
    return {"controller_id": controller.id}


def file_request(form: RequestForm, language: str, *, controller: Controller | None,
                 slug: str | None = None) -> list[Request]:
    """Create the request(s) from a validated form and send the acknowledgement."""
    created = create_request(
        NewRequest(
            channel="form", language=language, rights=form.rights.data, identities=form.identities(),
            details=form.details.data or "", corrections=form.corrections_data(),
            **_routing(controller, slug),
        ),
        FORM_PRINCIPAL,
    )
    acknowledge(created)
    return created
