"""The answer to the subject: packages built, links emailed (lifecycle action `answer`).

`service.perform(…, "answer", …)` commits the status change, then calls `answer`: it
builds the access package (when access, or a review of automated decisions, was asked)
and the portability package (when portability was asked) from what fulfilment exported,
records each on the request, removes the plain export files, and emails the subject the
`answer` template: what each system did, and the links (which ask for their email again).
A request asking neither (erasure only…) gets the same email without links.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from dsar import audit
from dsar.answers import art15, package, portability
from dsar.extensions import db
from dsar.models import Request, Task
from dsar.models.answer import Notice, Package
from dsar.permissions import Principal
from dsar.public.i18n import language_of

# The rights answered with an access package: access itself, and a review of automated
# decisions (Art. 22(3)), whose answer is the Art. 15(1)(h) information and the data used.
ACCESS_RIGHTS = ("access", "automated_decision")


@dataclass
class Answered:
    packages: list[Package] = field(default_factory=list)
    urls: dict[str, str] = field(default_factory=dict)  # kind → link (holds the token: never log it)
    message: object | None = None  # the Message sent, or None when the request names no usable email


def answer(request: Request, principal: Principal, now: datetime) -> Answered:
    """Build `request`'s packages, commit them, and email the subject. Call after the
    `answer` status change is committed."""
    done = Answered()
    exports = package.read_exports(request)
    tokens = {}
    if any(right in request.rights for right in ACCESS_RIGHTS):
        built, tokens["access"] = package.build(
            request, "access", exports, {"report.html": art15.render(request, exports, now)}, now)
        done.packages.append(built)
    if "portability" in request.rights:
        chosen = portability.select_exports(request, exports)
        built, tokens["portability"] = package.build(
            request, "portability", chosen, {"schema.json": portability.schema(chosen)}, now)
        done.packages.append(built)
    if done.packages:
        db.session.flush()
        locked = package.lock_request(request.id)
        for built in done.packages:
            audit.record(locked, actor=principal.actor, kind="package_created", at=now, data={
                "package": built.id, "kind": built.kind, "size": built.size, "sha256": built.sha256,
                "expires_at": built.expires_at.isoformat()})
    db.session.commit()
    package.discard_exports(request)  # committed into the packages: no plain copy stays
    done.urls = {kind: link(token, language_of(request)) for kind, token in tokens.items()}
    done.message = _email(request, done)
    return done


def link(token: str, language: str) -> str:
    """The download page's public address (PUBLIC_BASE_URL, never the Host header)."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return f"{base}/privacy/package/{token}?lang={language}"


def _email(request: Request, done: Answered):
    from dsar.mail.outbox import UnsafeAddress, send_to_subject

    email = request.subject_email
    if email is None:
        return None
    tasks = db.session.scalars(select(Task).where(Task.request_id == request.id).order_by(Task.id))
    notified = db.session.scalars(select(Notice.recipient).where(Notice.request_id == request.id)
                                  .order_by(Notice.id))
    expires = min((p.expires_at for p in done.packages), default=None)
    try:
        return send_to_subject(
            request, "answer", to=email,
            package_url=done.urls.get("access"), portability_url=done.urls.get("portability"),
            expires_on=expires.date() if expires else None,
            summary=[{"system": t.system.name, "outcome": t.outcome} for t in tasks],
            recipients=list(dict.fromkeys(notified)))
    except UnsafeAddress:
        return None
