"""Triage of inbound email from the staff inbox: open a request, attach, or dismiss.

The decisions are the intake pipeline's (dsar.intake.pipeline); this turns a submitted
form into one call and every refusal into an Outcome shown on the page.
"""
from __future__ import annotations

from dsar import permissions
from dsar.extensions import db
from dsar.intake import pipeline
from dsar.models.rights import RIGHT_NAMES
from dsar.permissions import Principal
from dsar.requests import service
from dsar.triage.actions import Outcome, refusal

MESSAGE_ACTIONS = {"open": "Open a request", "attach": "Attach to a request", "dismiss": "Dismiss"}


def triage_message(message_id: int, action: str, principal: Principal, form) -> Outcome:
    """Do `action` on message `message_id`; the Outcome names the requests it opened or joined.

    Raises service.NotFound for a message the caller cannot see (the page's 404).
    """
    if action not in MESSAGE_ACTIONS:
        raise service.NotFound(f"no action {action}")
    pipeline.get_message(message_id, principal)  # NotFound: not the caller's to see
    try:
        if action == "dismiss":
            pipeline.dismiss_message(message_id, principal, form.get("reason", "").strip()[:500] or "not a request")
            return Outcome(True, "Dismissed.")
        if action == "attach":
            _, request = pipeline.attach_message(message_id, principal, form.get("reference", "").strip().upper()[:20])
            return Outcome(True, f"Attached to {request.reference}.", references=(request.reference,))
        rights = [r for r in form.getlist("rights") if r in RIGHT_NAMES]
        if not rights:
            raise service.Invalid("tick at least one right", "rights")
        email = form.get("email", "").strip()[:254]
        _, requests = pipeline.open_message(message_id, principal, rights=rights,
                                            identities=[("email", email)] if email else None,
                                            controller_id=form.get("controller") or None)
        references = tuple(r.reference for r in requests)
        return Outcome(True, f"Opened {', '.join(references)}.", references=references)
    except (permissions.Forbidden, service.Invalid) as exc:
        db.session.rollback()
        return refusal(exc)
    except service.NotFound as exc:  # the request named to attach to
        db.session.rollback()
        return Outcome(False, str(exc), 422)
    except pipeline.NotTriable as exc:
        db.session.rollback()
        return Outcome(False, str(exc), 409)
