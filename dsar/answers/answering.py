"""The answer to the subject: packages built, links emailed (lifecycle action `answer`).

`service.perform(…, "answer", …)` calls `prepare` inside the transaction that records
the answer: it builds the access package (when access, or a review of automated
decisions, was asked) and the portability package (when portability was asked) from
what fulfilment exported, and records each on the request; so the request is answered
with its packages, or (a package cannot be built: a bad PACKAGE_KEY, a full disk) not at
all, and the caller is told why. Once committed, `deliver` removes the plain export
files and emails the subject the `answer` template: what each system did, and the links
(which ask for their email again). A request asking neither (erasure only…) gets the
same email without links.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from dsar import audit
from dsar.answers import art15, package, portability
from dsar.extensions import db
from dsar.models import Request, Task
from dsar.models.answer import Notice, Package
from dsar.permissions import Principal
from dsar.public.i18n import language_of
from dsar.public.links import public_url

# The rights answered with an access package: access itself, and a review of automated
# decisions (Art. 22(3)), whose answer is the Art. 15(1)(h) information and the data used.
ACCESS_RIGHTS = ("access", "automated_decision")


@dataclass
class Answered:
    packages: list[Package] = field(default_factory=list)
    finished_as: str = "fulfilled"  # the status answered from: fulfilled | partially_fulfilled
    tokens: dict[str, str] = field(default_factory=dict)  # kind → the link's token: never log it
    urls: dict[str, str] = field(default_factory=dict)  # kind → link (holds the token)
    message: object | None = None  # the Message sent, or None when the request names no usable email


class PackageFailed(Exception):
    """A package could not be built or stored; nothing of the answer was recorded."""


def prepare(request: Request, principal: Principal, now: datetime, finished_as: str) -> Answered:
    """Build `request`'s packages and record them, in the caller's transaction (the
    request row is locked by the caller); `finished_as` is the status it is answered
    from. Raises PackageFailed, having removed any file it wrote."""
    done = Answered(finished_as=finished_as)
    try:
        exports = package.read_exports(request)
        if any(right in request.rights for right in ACCESS_RIGHTS):
            built, done.tokens["access"] = package.build(
                request, "access", exports, {"report.html": art15.render(request, exports, now)}, now)
            done.packages.append(built)
        if "portability" in request.rights:
            chosen = portability.select_exports(request, exports)
            built, done.tokens["portability"] = package.build(
                request, "portability", chosen, {"schema.json": portability.schema(chosen)}, now)
            done.packages.append(built)
    except (OSError, ValueError) as exc:  # a full disk, an unreadable export, a bad PACKAGE_KEY
        for built in done.packages:
            package.file_of(built).unlink(missing_ok=True)
        raise PackageFailed(f"the package could not be built ({type(exc).__name__}: {exc})") from exc
    if done.packages:
        db.session.flush()
        for built in done.packages:
            audit.record(request, actor=principal.actor, kind="package_created", at=now, data={
                "package": built.id, "kind": built.kind, "size": built.size, "sha256": built.sha256,
                "expires_at": built.expires_at.isoformat()})
    return done


def deliver(request: Request, done: Answered) -> Answered:
    """After the answer is committed: drop the plain exports, email the subject."""
    package.discard_exports(request)  # committed into the packages: no plain copy stays
    done.urls = {kind: link(token, language_of(request)) for kind, token in done.tokens.items()}
    done.message = _email(request, done)
    return done


def link(token: str, language: str) -> str:
    """The download page's public address (PUBLIC_BASE_URL, never the Host header)."""
    return public_url("packages.page", token=token, lang=language)


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
            summary=[{"system": t.system.name, "outcome": _outcome(t, done.finished_as)} for t in tasks],
            recipients=list(dict.fromkeys(notified)))
    except UnsafeAddress:
        return None


def _outcome(task: Task, finished_as: str) -> str:
    """What the subject is told a system did: the task's outcome; for a task that did not
    finish, that staff did it by hand (they marked the request fulfilled, saying how) or,
    on a partially fulfilled request, that it could not be done."""
    if task.outcome:
        return task.outcome
    return "by_hand" if finished_as == "fulfilled" else "not_completed"
