"""Alert digests: `dsar tick` emails each controller's team the requests whose clocks
crossed a threshold, and the operator the same across tenants.

Thresholds (settings `ALERT_DUE_SOON_DAYS`, default 7,3,1, and `ALERT_OVERDUE_DAYS`,
default 0,7) apply to the statutory clock and the processor SLA clock: "due in 3" is
crossed when the due date is 3 days away or nearer; "overdue 0" on the first day past
the due date, "overdue 7" seven days past it. Days are the controller's local days.

Never twice: an `AlertSent` row per (request, threshold, recipient). For each recipient
the tick inserts the rows of the thresholds newly crossed (ON CONFLICT DO NOTHING, so a
concurrent tick that got there first wins), then stores the one digest listing what was
inserted, and commits both together (`outbox.send_to_staff`) before SMTP is tried: a mail
outage leaves the digest "failed" in the outbox, to be sent again, not re-alerted.

Only candidate requests are read: open ones whose nearest running due date
(`urgency_on`) is within the longest due-soon threshold, streamed in batches; the
exact clocks are computed from each row (`request_clocks`), and what was already sent
is read per batch, never per request.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import selectinload

from dsar.extensions import db
from dsar.mail.outbox import UnsafeAddress, is_single_address, send_to_staff
from dsar.models import AlertSent, Controller, Request, Role
from dsar.models.user import User
from dsar.requests.clocks import request_clocks
from dsar.sla.figures import OPEN_STATES, UNROUTED
from dsar.timeutil import now as current_time

CLOCKS = {"statutory": "statutory deadline (Art. 12(3))", "processor_sla": "processor SLA"}
CONTROLLER_ROLES = (Role.CONTROLLER_ADMIN.value, Role.CONTROLLER_AGENT.value)
OPERATOR_ROLES = (Role.OPERATOR_ADMIN.value, Role.OPERATOR_AGENT.value)
_BATCH = 500


class BadThresholds(ValueError):
    """A threshold setting is not a list of whole days."""


@dataclass(frozen=True)
class Thresholds:
    due_soon: tuple[int, ...]  # largest first: 7, 3, 1
    overdue: tuple[int, ...]  # smallest first: 0, 7

    @classmethod
    def from_config(cls, config) -> Thresholds:
        return cls(tuple(sorted(_days(config["ALERT_DUE_SOON_DAYS"], "ALERT_DUE_SOON_DAYS"), reverse=True)),
                   tuple(sorted(_days(config["ALERT_OVERDUE_DAYS"], "ALERT_OVERDUE_DAYS"))))

    def crossed(self, clock: str, days_left: int | None) -> list[tuple[str, str]]:
        """[(threshold, kind)] crossed by a clock `days_left` from its due date, least
        severe first. An overdue clock crosses only the overdue thresholds."""
        if days_left is None:
            return []
        if days_left >= 0:
            return [(f"{clock}:due_in_{d}", "digest") for d in self.due_soon if days_left <= d]
        late = -days_left
        return [(f"{clock}:overdue_{d}", "escalation") for d in self.overdue if late >= max(d, 1)]


def _days(value, name: str) -> list[int]:
    items = value.split(",") if isinstance(value, str) else list(value)
    try:
        days = sorted({int(str(item).strip()) for item in items if str(item).strip()})
    except ValueError as exc:
        raise BadThresholds(f"{name} must be whole days separated by commas, not {value!r}") from exc
    if any(d < 0 for d in days):
        raise BadThresholds(f"{name} takes days of 0 or more, not {value!r}")
    return days


@dataclass(frozen=True)
class Alert:
    """One clock of one request past one threshold (what a digest line says)."""

    request_id: int
    reference: str
    controller_id: str | None
    controller: str
    rights: tuple[str, ...]
    status: str
    clock: str
    threshold: str
    kind: str
    due: date
    days_left: int

    @property
    def clock_label(self) -> str:
        return CLOCKS[self.clock]


@dataclass
class Outcome:
    """What one tick sent (or, dry, would send): per recipient, the alerts of its digest."""

    now: datetime
    dry_run: bool
    digests: dict[str, list[Alert]]
    skipped: list[str]


def _recipients() -> tuple[dict[str | None, list[str]], list[str]]:
    """({controller id: its team's addresses}, the operator's addresses): contact emails
    and active staff users, lower-cased, deduplicated, plain addresses only."""
    controllers = db.session.scalars(select(Controller)).all()
    teams: dict[str | None, list[str]] = {c.id: [c.contact_email] for c in controllers}
    operator = [c.contact_email for c in controllers if c.is_operator]
    users = db.session.execute(select(User.email, User.role, User.controller_id)
                               .where(User.active.is_(True))).all()
    for email, role, controller_id in users:
        if role in CONTROLLER_ROLES and controller_id in teams:
            teams[controller_id].append(email)
        elif role in OPERATOR_ROLES and controller_id is None:
            operator.append(email)

    def clean(addresses):
        return list(dict.fromkeys(a.strip().lower() for a in addresses if a and is_single_address(a.strip())))

    return {cid: clean(a) for cid, a in teams.items()}, clean(operator)


def _candidates(now: datetime, thresholds: Thresholds):
    """Open requests with a running clock due within the longest due-soon threshold (a
    day of slack for time zones), in batches of ORM rows with what the clocks need."""
    horizon = now.date() + timedelta(days=max(thresholds.due_soon, default=0) + 1)
    statement = (select(Request).where(Request.status.in_(OPEN_STATES), Request.urgency_on <= horizon)
                 .options(selectinload(Request.pauses), selectinload(Request.controller))
                 .order_by(Request.id).execution_options(yield_per=_BATCH))
    yield from db.session.scalars(statement).partitions()


def _alerts_of(request: Request, operator: Controller, now: datetime, thresholds: Thresholds) -> list[tuple[Alert, list[str]]]:
    """[(the alert of the most severe threshold, every threshold crossed)] per clock."""
    found = []
    for name, clock in request_clocks(request, operator, now).items():
        if name not in CLOCKS:
            continue
        crossed = thresholds.crossed(name, clock.days_left)
        if not crossed:
            continue
        threshold, kind = crossed[-1]
        alert = Alert(request.id, request.reference, request.controller_id,
                      request.controller.name if request.controller else UNROUTED, tuple(request.rights),
                      request.status, name, threshold, kind, clock.due, clock.days_left)
        found.append((alert, [t for t, _ in crossed]))
    return found


def _insert_ignoring_conflicts(rows: list[dict]) -> set[tuple[int, str]]:
    """Insert AlertSent rows; return the (request_id, threshold) actually inserted."""
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    statement = (dialect.insert(AlertSent).values(rows)
                 .on_conflict_do_nothing(index_elements=["request_id", "threshold", "recipient"])
                 .returning(AlertSent.request_id, AlertSent.threshold))
    return {(r.request_id, r.threshold) for r in db.session.execute(statement)}


def tick(now: datetime, *, config, dry_run: bool = False) -> Outcome:
    """Send (or, dry, list) every digest due at `now`; return what went to whom."""
    thresholds = Thresholds.from_config(config)
    teams, operator_team = _recipients()
    operator = db.session.scalars(select(Controller).where(Controller.is_operator.is_(True))).one()
    # recipient -> [(alert, thresholds it stands for)]
    pending: dict[str, list[tuple[Alert, list[str]]]] = defaultdict(list)
    for batch in _candidates(now, thresholds):
        found = [item for request in batch for item in _alerts_of(request, operator, now, thresholds)]
        if not found:
            continue
        ids = {alert.request_id for alert, _ in found}
        sent = {tuple(row) for row in db.session.execute(
            select(AlertSent.request_id, AlertSent.threshold, AlertSent.recipient)
            .where(AlertSent.request_id.in_(ids)))}
        for alert, crossed in found:
            for recipient in dict.fromkeys([*teams.get(alert.controller_id, []), *operator_team]):
                new = [t for t in crossed if (alert.request_id, t, recipient) not in sent]
                if new:
                    pending[recipient].append((alert, new))
    db.session.rollback()  # end the read transaction; each digest commits its own
    outcome = Outcome(now, dry_run, {}, [])
    for recipient in sorted(pending):
        items = pending[recipient]
        if dry_run:
            outcome.digests[recipient] = [alert for alert, _ in items]
            continue
        inserted = _insert_ignoring_conflicts([
            {"request_id": alert.request_id, "threshold": t, "kind": alert.kind, "recipient": recipient,
             "sent_at": current_time()} for alert, new in items for t in new])
        alerts = [alert for alert, new in items if any((alert.request_id, t) in inserted for t in new)]
        if not alerts:  # a concurrent tick sent them all
            db.session.rollback()
            continue
        try:
            send_to_staff(recipient, "alert_digest", **digest_context(alerts, now))
        except UnsafeAddress:
            db.session.rollback()
            outcome.skipped.append(recipient)
            continue
        outcome.digests[recipient] = alerts
    return outcome


def digest_context(alerts: list[Alert], now: datetime) -> dict:
    """What the digest template shows: escalations first, then due soon, soonest first."""
    ordered = sorted(alerts, key=lambda a: (a.days_left, a.reference, a.clock))
    return {
        "now": now,
        "overdue": [a for a in ordered if a.kind == "escalation"],
        "due_soon": [a for a in ordered if a.kind == "digest"],
        "controllers": sorted({a.controller for a in alerts}),
    }
