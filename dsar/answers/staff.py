"""What the staff request page shows of a request's answer: its Art. 19 notices, the
processor report's deliveries to the controller, and the subject's packages."""
from __future__ import annotations

from sqlalchemy import select

from dsar.answers import report_delivery
from dsar.extensions import db
from dsar.models import Message, Notice, Package, Request


def answer_section(request: Request) -> dict:
    """{"notices": [...], "reports": [...], "packages": [...]}, oldest first, as rows to show."""
    notices = db.session.scalars(select(Notice).where(Notice.request_id == request.id).order_by(Notice.id)).all()
    messages = {m.id: m for m in db.session.scalars(
        select(Message).where(Message.id.in_([n.message_id for n in notices if n.message_id])))}
    packages = db.session.scalars(select(Package).where(Package.request_id == request.id).order_by(Package.id)).all()
    return {
        "notices": [{"notice": n, "message": messages.get(n.message_id)} for n in notices],
        "reports": sorted(report_delivery.deliveries(request), key=lambda d: d["at"]),
        "packages": packages,
    }
