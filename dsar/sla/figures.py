"""The SLA figures of a principal's requests: what is open, what falls due, and how a
period went (the figures a DPO reports yearly).

Every function takes a `Principal` and counts only what `permissions.scope` lets it
see: operators every tenant, a controller's staff and bots their own controller.

Counts are aggregated in SQL (GROUP BY, SUM(CASE …)). Two period figures need the
controllers' calendars: the statutory deadline met (an answer counts on the controller's
*local* date) and the processor SLA met (its due date is not stored: it is computed from
the local instruction day with the controller's working days and holidays, once per
controller and day). On PostgreSQL the local dates are grouped in SQL (AT TIME ZONE), so
Python sees a few hundred groups; on SQLite (the demo) a stream of narrow rows is folded
into the same groups, never whole requests and never all at once. The median days to
answer comes from a histogram of whole days.

Clocks used: "open", "due" and "overdue" use the statutory clock's denormalised due date
(`Request.statutory_due`, extension and pauses included, kept current by the request
service); `any_clock_overdue` uses `Request.urgency_on`, the nearest due date of any
clock still ticking (statutory, processor SLA, forwarding). "Today" is the UTC date.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from dateutil.relativedelta import relativedelta
from sqlalchemy import Date, Time, and_, case, cast, func, select

from dsar import permissions
from dsar.clocks.calendar import Calendar
from dsar.clocks.periods import instruction_start_date, working_days_after
from dsar.extensions import db
from dsar.lifecycle import ANSWERED_STATES, FINAL, Status
from dsar.models import Controller, Request
from dsar.models.rights import Right
from dsar.permissions import Principal

# Still owes the subject an answer: neither finished nor answered (nor refused).
OPEN_STATES = tuple(sorted(s.value for s in set(Status) - FINAL - ANSWERED_STATES))
UNROUTED = "(unroutable)"
_BATCH = 2000


@dataclass(frozen=True)
class Period:
    """Whole UTC days, `start` to `end` inclusive."""

    start: date
    end: date

    @classmethod
    def last_12_months(cls, today: date) -> Period:
        return cls(today - relativedelta(months=12) + timedelta(days=1), today)

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        """[start, end + 1 day) as UTC instants."""
        return (datetime.combine(self.start, time(), timezone.utc),
                datetime.combine(self.end + timedelta(days=1), time(), timezone.utc))


def _count(condition) -> object:
    return func.sum(case((condition, 1), else_=0))


def _open():
    return Request.status.in_(OPEN_STATES)


def _scoped(principal: Principal, *columns):
    return permissions.scope(principal, select(*columns).select_from(Request))


def open_requests(principal: Principal) -> dict:
    """Open requests by state and by controller (one GROUP BY)."""
    rows = db.session.execute(
        _scoped(principal, Request.controller_id, Request.status, func.count())
        .where(_open()).group_by(Request.controller_id, Request.status)
    ).all()
    by_state: Counter = Counter()
    by_controller: Counter = Counter()
    for controller_id, status, n in rows:
        by_state[status] += n
        by_controller[controller_id or UNROUTED] += n
    return {"total": sum(by_state.values()), "by_state": dict(sorted(by_state.items())),
            "by_controller": dict(sorted(by_controller.items()))}


def due(principal: Principal, today: date) -> dict:
    """Open requests overdue and due within 7 and 30 days (statutory clock), and
    overdue on any clock (`urgency_on`), in one aggregate query."""
    due_on = Request.statutory_due
    row = db.session.execute(
        _scoped(principal,
                _count(due_on < today).label("overdue"),
                _count(and_(due_on >= today, due_on <= today + timedelta(days=7))).label("next_7"),
                _count(and_(due_on >= today, due_on <= today + timedelta(days=30))).label("next_30"),
                _count(Request.urgency_on < today).label("any_overdue"))
        .where(_open())
    ).one()
    return {"clock": "statutory", "overdue": row.overdue or 0, "due_next_7_days": row.next_7 or 0,
            "due_next_30_days": row.next_30 or 0, "any_clock_overdue": row.any_overdue or 0}


def due_per_day(principal: Principal, today: date, days: int = 30) -> list[dict]:
    """Open requests by statutory due date, for each of the next `days` days (zeros kept)."""
    last = today + timedelta(days=days - 1)
    rows = db.session.execute(
        _scoped(principal, Request.statutory_due, func.count())
        .where(_open(), Request.statutory_due >= today, Request.statutory_due <= last)
        .group_by(Request.statutory_due)
    ).all()
    counts = {day: n for day, n in rows}
    return [{"date": (today + timedelta(days=i)).isoformat(), "count": counts.get(today + timedelta(days=i), 0)}
            for i in range(days)]


def _per_right_counts(principal: Principal, period: Period) -> tuple[dict, dict]:
    """({controller: {received, answered, rejected}}, {right: {…}}) in one GROUP BY."""
    start, end = period.bounds
    received = and_(Request.received_at >= start, Request.received_at < end)
    decided = and_(Request.answered_at >= start, Request.answered_at < end)
    answered = and_(decided, Request.rejection_reason.is_(None))
    rejected = and_(decided, Request.rejection_reason.is_not(None))
    columns = [_count(received).label("received"), _count(answered).label("answered"),
               _count(rejected).label("rejected")]
    for right in Right:
        has = Request.rights_mask.op("&")(right.bit) != 0
        columns += [_count(and_(has, received)).label(f"{right.value}__received"),
                    _count(and_(has, answered)).label(f"{right.value}__answered"),
                    _count(and_(has, rejected)).label(f"{right.value}__rejected")]
    rows = db.session.execute(
        _scoped(principal, Request.controller_id, *columns)
        .where(received | decided).group_by(Request.controller_id)
    ).mappings().all()
    by_controller: dict = {}
    by_right = {r.value: Counter() for r in Right}
    for row in rows:
        by_controller[row["controller_id"] or UNROUTED] = {
            k: row[k] or 0 for k in ("received", "answered", "rejected")}
        for right in Right:
            for k in ("received", "answered", "rejected"):
                by_right[right.value][k] += row[f"{right.value}__{k}"] or 0
    return by_controller, {r: {k: c[k] for k in ("received", "answered", "rejected")} for r, c in by_right.items()}


@dataclass(frozen=True)
class _Tenant:
    """What the period figures need of a controller, built once per call (not per row)."""

    name: str
    calendar: Calendar
    sla_days: int
    cutoff: time | None


def _tenants() -> dict:
    """Every controller by id (a few rows); None: the operator's (for unrouted requests)."""
    found = {c.id: _Tenant(c.name, c.calendar, c.processor_sla_working_days,
                           time.fromisoformat(c.processor_sla_cutoff) if c.processor_sla_cutoff else None)
             for c in db.session.scalars(select(Controller))}
    operator_id = db.session.scalar(select(Controller.id).where(Controller.is_operator.is_(True)))
    found[None] = found.get(operator_id)
    return found


def _in_sql() -> bool:
    """PostgreSQL converts to the controllers' time zones itself (AT TIME ZONE), so the
    local-date figures are grouped there; SQLite (the demo) streams rows to Python."""
    return db.engine.dialect.name == "postgresql"


def _local_date(column, controllers: dict):
    """SQL: the local date of `column` in its request's controller's time zone (the
    operator's for unrouted requests). Needs Controller outer-joined."""
    operator_zone = controllers[None].calendar.timezone if controllers[None] else "UTC"
    return cast(func.timezone(func.coalesce(Controller.timezone, operator_zone), column), Date)


def _statutory(principal: Principal, period: Period, controllers: dict) -> dict:
    """Per controller: answers in the period, those by the statutory due date (local
    date ≤ `statutory_due`, extension and pauses included), and a histogram of days from
    receipt to answer (local dates)."""
    start, end = period.bounds
    in_period = (Request.answered_at >= start, Request.answered_at < end)
    if _in_sql():
        answered_on = _local_date(Request.answered_at, controllers)
        days = (answered_on - _local_date(Request.received_at, controllers)).label("days")
        met = func.sum(case((answered_on <= Request.statutory_due, 1), else_=0))
        groups = db.session.execute(
            _scoped(principal, Request.controller_id, days, met, func.count())
            .outerjoin(Controller, Controller.id == Request.controller_id)
            .where(*in_period).group_by(Request.controller_id, days))
    else:
        groups = _statutory_rows(principal, in_period, controllers)
    result: dict = defaultdict(lambda: {"met": 0, "total": 0, "days": Counter()})
    for controller_id, days_taken, met_count, n in groups:
        entry = result[controller_id or UNROUTED]
        entry["total"] += n
        entry["met"] += met_count or 0
        entry["days"][days_taken] += n
    return result


def _statutory_rows(principal: Principal, in_period, controllers: dict):
    """The same groups, one per answered request, computed in Python from a stream."""
    rows = db.session.execute(
        _scoped(principal, Request.controller_id, Request.received_at, Request.answered_at, Request.statutory_due)
        .where(*in_period).execution_options(yield_per=_BATCH))
    for controller_id, received_at, answered_at, statutory_due in rows:
        calendar = (controllers.get(controller_id) or controllers[None]).calendar
        answered_on = calendar.local_date(answered_at)
        met = statutory_due is not None and answered_on <= statutory_due
        yield controller_id, (answered_on - calendar.local_date(received_at)).days, int(met), 1


def _processor_sla(principal: Principal, period: Period, controllers: dict) -> dict:
    """Per controller: requests instructed to us and fulfilled in the period, and those
    fulfilled by the processor SLA due date. That due date is not stored: it is computed
    here (as `request_clocks` does), once per controller and local instruction day."""
    start, end = period.bounds
    where = (Controller.is_operator.is_(False), Request.instructed_at.is_not(None),
             Request.fulfilled_at >= start, Request.fulfilled_at < end)
    if _in_sql():
        local = func.timezone(Controller.timezone, Request.instructed_at)
        after_cutoff = case((Controller.processor_sla_cutoff.is_(None), False),
                            else_=cast(local, Time) >= cast(Controller.processor_sla_cutoff, Time)).label("late")
        instructed_on = cast(local, Date).label("instructed_on")
        fulfilled_on = _local_date(Request.fulfilled_at, controllers).label("fulfilled_on")
        groups = db.session.execute(
            _scoped(principal, Request.controller_id, instructed_on, after_cutoff, fulfilled_on, func.count())
            .join(Controller, Controller.id == Request.controller_id)
            .where(*where).group_by(Request.controller_id, instructed_on, after_cutoff, fulfilled_on))
    else:
        groups = _processor_sla_rows(principal, where, controllers)
    result: dict = defaultdict(lambda: {"met": 0, "total": 0})
    due_after: dict[tuple, date] = {}  # (controller, instruction day, after cut-off) -> due day
    for controller_id, instructed_on, late, fulfilled_on, n in groups:
        key = (controller_id, instructed_on, late)
        if key not in due_after:
            tenant = controllers[controller_id]
            # The local instant stands for its day, before or after the contract's cut-off.
            moment = datetime.combine(instructed_on, time.max if late else time.min, tenant.calendar.zone)
            due_after[key] = working_days_after(instruction_start_date(moment, tenant.calendar, tenant.cutoff),
                                                tenant.sla_days, tenant.calendar)
        entry = result[controller_id]
        entry["total"] += n
        entry["met"] += n if fulfilled_on <= due_after[key] else 0
    return result


def _processor_sla_rows(principal: Principal, where, controllers: dict):
    """The same groups, one per fulfilled request, computed in Python from a stream."""
    rows = db.session.execute(
        _scoped(principal, Request.controller_id, Request.instructed_at, Request.fulfilled_at)
        .join(Controller, Controller.id == Request.controller_id)
        .where(*where).execution_options(yield_per=_BATCH))
    for controller_id, instructed_at, fulfilled_at in rows:
        tenant = controllers[controller_id]
        local = tenant.calendar.local_datetime(instructed_at)
        late = tenant.cutoff is not None and local.time() >= tenant.cutoff
        yield controller_id, local.date(), late, tenant.calendar.local_date(fulfilled_at), 1


def _pct(met: int, total: int) -> float | None:
    return round(100.0 * met / total, 1) if total else None


def _median(days: Counter) -> float | None:
    """Median of a histogram {value: count}."""
    total = sum(days.values())
    if not total:
        return None
    ordered = sorted(days.items())

    def nth(n: int) -> int:  # the n-th smallest value, 0-based
        seen = 0
        for value, count in ordered:
            seen += count
            if n < seen:
                return value
        raise AssertionError("unreachable")

    return (nth((total - 1) // 2) + nth(total // 2)) / 2


def period_figures(principal: Principal, period: Period) -> dict:
    """The period's figures, per controller, per right and in total."""
    controllers = _tenants()
    counts, by_right = _per_right_counts(principal, period)
    statutory = _statutory(principal, period, controllers)
    sla = _processor_sla(principal, period, controllers)
    names = {cid: c.name for cid, c in controllers.items() if cid is not None}
    rows = []
    all_days: Counter = Counter()
    totals = Counter()
    for cid in sorted(set(counts) | set(statutory) | set(sla)):
        c = counts.get(cid, {"received": 0, "answered": 0, "rejected": 0})
        s = statutory.get(cid, {"met": 0, "total": 0, "days": Counter()})
        p = sla.get(cid, {"met": 0, "total": 0})
        all_days += s["days"]
        totals.update({**c, "statutory_met": s["met"], "statutory_total": s["total"],
                       "processor_sla_met": p["met"], "processor_sla_total": p["total"]})
        rows.append({"controller": cid, "name": names.get(cid, cid), **c,
                     "statutory_met": s["met"], "statutory_total": s["total"],
                     "statutory_met_pct": _pct(s["met"], s["total"]),
                     "processor_sla_met": p["met"], "processor_sla_total": p["total"],
                     "processor_sla_met_pct": _pct(p["met"], p["total"]),
                     "median_days_to_answer": _median(s["days"])})
    keys = ("received", "answered", "rejected", "statutory_met", "statutory_total",
            "processor_sla_met", "processor_sla_total")
    total = {k: totals[k] for k in keys}
    total.update(statutory_met_pct=_pct(total["statutory_met"], total["statutory_total"]),
                 processor_sla_met_pct=_pct(total["processor_sla_met"], total["processor_sla_total"]),
                 median_days_to_answer=_median(all_days))
    return {"from": period.start.isoformat(), "to": period.end.isoformat(), "total": total,
            "by_controller": rows,
            "by_right": [{"right": r, "article": Right(r).article, **v} for r, v in by_right.items()]}


def dashboard(principal: Principal, today: date, period: Period | None = None) -> dict:
    """Every figure of the dashboard, JSON-ready."""
    period = period or Period.last_12_months(today)
    return {"as_of": today.isoformat(), "open": open_requests(principal), "due": due(principal, today),
            "due_per_day": due_per_day(principal, today), "period": period_figures(principal, period)}
