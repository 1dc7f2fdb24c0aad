"""The queue: the caller's requests, most urgent first, filtered, keyset-paginated.

`queue_page` is the one query behind the staff queue page and `GET /api/v1/requests`.
It sorts on (urgency_on, id), which the indexes on (…, urgency_on, id) serve, and pages with a cursor (never OFFSET), so a page
costs the same on the millionth row as on the first.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import or_, select, tuple_
from sqlalchemy.orm import selectinload

from dsar import permissions
from dsar.api.cursors import decode_cursor, encode_cursor
from dsar.extensions import db
from dsar.identities import normalize
from dsar.models import Request, SubjectIdentity
from dsar.models.request import NO_DUE_DATE
from dsar.models.rights import Right
from dsar.requests.references import is_reference
from dsar.timeutil import now

FLAGS = ("duplicate", "chased", "any")


def identity_of(text: str) -> tuple[str, str]:
    """(kind, normalized) for a search box's text: an email, a phone number, or a customer id."""
    text = text.strip()
    if "@" in text:
        return "email", normalize("email", text)
    digits = sum(ch.isdigit() for ch in text)
    if digits >= 6 and all(ch.isdigit() or ch in "+ .-()/" for ch in text):
        return "phone", normalize("phone", text)
    return "customer_id", normalize("customer_id", text)


def _search(statement, text: str):
    text = text.strip()
    if is_reference(text.upper()):
        return statement.where(Request.reference == text.upper())
    kind, normalized = identity_of(text)
    return statement.where(Request.id.in_(
        select(SubjectIdentity.request_id).where(SubjectIdentity.kind == kind,
                                                 SubjectIdentity.normalized == normalized)))


def filtered(principal: permissions.Principal, filters: dict):
    """The SELECT of the caller's requests matching `filters` (unordered, unpaginated).

    Keys (all optional): status (list), right, controller, assignee, channel, flagged
    ("duplicate", "chased" or "any"), due_before (date), overdue (bool), search (a
    reference, email, phone or customer id).
    """
    statement = permissions.scope(principal, select(Request))
    if filters.get("status"):
        statement = statement.where(Request.status.in_(list(filters["status"])))
    if filters.get("controller"):
        statement = statement.where(Request.controller_id == filters["controller"])
    if filters.get("right"):
        statement = statement.where(Request.rights_mask.op("&")(Right(filters["right"]).bit) != 0)
    if filters.get("due_before"):
        statement = statement.where(Request.statutory_due < filters["due_before"])
    if filters.get("overdue") is not None:
        today = now().date()
        statement = statement.where(Request.urgency_on < today if filters["overdue"] else Request.urgency_on >= today)
    if filters.get("assignee"):
        statement = statement.where(Request.assignee == filters["assignee"])
    if filters.get("channel"):
        statement = statement.where(Request.channel == filters["channel"])
    flagged = filters.get("flagged")
    if flagged == "duplicate":
        statement = statement.where(Request.suspected_duplicate_of_id.is_not(None))
    elif flagged == "chased":
        statement = statement.where(Request.chased_at.is_not(None))
    elif flagged == "any":
        statement = statement.where(or_(Request.suspected_duplicate_of_id.is_not(None), Request.chased_at.is_not(None)))
    if filters.get("search"):
        statement = _search(statement, filters["search"])
    return statement


def queue_page(principal: permissions.Principal, filters: dict, cursor: str | None = None,
               limit: int = 50) -> tuple[list[Request], str | None]:
    """One page of the caller's queue, most urgent first, and the cursor of the next page.

    Rows come with their identities, pauses, controller, parent and suspected original
    loaded in batches (no query per row). A cursor this code did not hand out raises
    dsar.api.errors.ApiError (400).
    """
    statement = filtered(principal, filters).options(
        selectinload(Request.identities), selectinload(Request.pauses), selectinload(Request.controller),
        selectinload(Request.parent), selectinload(Request.suspected_duplicate_of))
    after = decode_cursor(cursor, date.fromisoformat, int) if cursor else None
    # Two ranges, read in order: requests with a running clock by due date, then those
    # with none (NO_DUE_DATE: closed, answered…) by id. As one ORDER BY, a filter on a
    # closed state made PostgreSQL walk the urgency index past every open request of
    # every tenant (bench/queue.py: 120-300 ms at a million rows; split, under 1 ms).
    rows: list[Request] = []
    if after is None or after[0] < NO_DUE_DATE:
        running = statement.where(Request.urgency_on < NO_DUE_DATE)
        if after is not None:
            running = running.where(tuple_(Request.urgency_on, Request.id) > after)
        rows = list(db.session.scalars(running.order_by(Request.urgency_on, Request.id).limit(limit + 1)))
    if len(rows) <= limit:
        stopped = statement.where(Request.urgency_on == NO_DUE_DATE)
        if after is not None and after[0] == NO_DUE_DATE:
            stopped = stopped.where(Request.id > after[1])
        rows += db.session.scalars(stopped.order_by(Request.id).limit(limit + 1 - len(rows)))
    page = list(rows[:limit])
    next_cursor = encode_cursor(page[-1].urgency_on.isoformat(), page[-1].id) if len(rows) > limit else None
    return page, next_cursor


def filters_from_query(args, principal: permissions.Principal) -> dict:
    """The queue filters of the staff page's query string; unknown values are dropped."""
    from dsar.lifecycle import Status
    from dsar.models.rights import RIGHT_NAMES

    filters: dict = {}
    status = args.get("status", "")
    if status in {s.value for s in Status}:
        filters["status"] = [status]
    if args.get("right") in RIGHT_NAMES:
        filters["right"] = args["right"]
    if args.get("flagged") in FLAGS:
        filters["flagged"] = args["flagged"]
    for key, limit in (("assignee", 120), ("channel", 12), ("search", 320)):
        if args.get(key, "").strip():
            filters[key] = args[key].strip()[:limit]
    if principal.is_operator and args.get("controller", "").strip():
        filters["controller"] = args["controller"].strip()[:64]
    return filters
