"""The readable report of an access package: what GDPR Art. 15(1) and (2) entitle the subject to know.

Everything comes from the register of the request's controller (its processing
activities and the systems serving them): the purposes with their legal basis (a), the
categories of data (b), the recipients by name and the sub-processors with their country
(c), the retention period or its criteria (d), the rights to rectification, erasure,
restriction and objection (e), the right to complain to the supervisory authority of the
controller's country (f, from `authorities`), the source of data not collected from the
subject (g), automated decision-making (h), and the safeguards of transfers outside the
EEA (Art. 15(2)). It also says what each system held, from the request's tasks.

Rendered in the request's language (`language_of`): labels and sentences are translated,
country names come from CLDR (babel); what the register says in its own words (purposes,
retention…) is shown as written.
"""
from __future__ import annotations

from datetime import datetime

from babel import Locale
from flask import render_template
from flask_babel import force_locale
from sqlalchemy import select

from dsar.answers.authorities import authority_for
from dsar.extensions import db
from dsar.models import Request, Task
from dsar.public.i18n import language_of
from dsar.register.schemas import LEGAL_BASES
from dsar.requests import service


def render(request: Request, exports: dict[str, dict], now: datetime) -> str:
    """report.html for `request`, in its subject's language."""
    language = language_of(request)
    with force_locale(language):
        return render_template("answers/report.html", **context(request, exports, now, language))


def context(request: Request, exports: dict[str, dict], now: datetime, language: str) -> dict:
    controller = request.controller or service.operator_controller()
    territories = Locale.parse(language).territories

    def country(code: str | None) -> str | None:
        return territories.get(code.upper(), code) if code else None

    activities = sorted(controller.activities, key=lambda a: a.slug)
    systems = sorted({s.id: s for a in activities for s in a.systems}.values(), key=lambda s: s.id)
    recipients = list({(r["name"], r.get("country")): {"name": r["name"], "country": country(r.get("country"))}
                       for a in activities for r in a.recipients}.values())
    tasks = db.session.scalars(select(Task).where(Task.request_id == request.id).order_by(Task.id))
    return {
        "request": request, "controller": controller, "now": now, "language": language,
        "activities": [{"activity": a, "article": LEGAL_BASES.get(a.legal_basis, "")} for a in activities],
        "categories": list(dict.fromkeys(c for a in activities for c in a.data_categories)),
        "recipients": recipients,
        "processors": [{"system": s, "country": country(s.location)} for s in systems],
        "transfers": [{"system": s, "country": country(s.location)} for s in systems if not s.in_eea],
        "authority": authority_for(controller.country, controller.subdivision),
        "controller_country": country(controller.country),
        "found": [_found(task, exports.get(task.system_id)) for task in tasks],
    }


def _found(task: Task, export: dict | None) -> dict:
    """One line of "what each system held": the system, what was done, how many records."""
    counts = (task.result or {}).get("counts") or {}
    records = len(export["records"]) if export and task.action == "export" else sum(counts.values())
    return {"system": task.system, "action": task.action, "status": task.status, "outcome": task.outcome,
            "records": records, "in_package": export is not None and task.action == "export"}
