"""Hash-chained, append-only events per request.

An event's hash is SHA-256 over the previous hash and a canonical JSON of the event's
content (request reference, sequence number, time, actor, kind, statuses, data). The
first event of a request chains to GENESIS. Verification recomputes every chain and
names the first broken link, so an edit, an insertion or a deletion shows.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from dsar.extensions import db
from dsar.models import Event, Request

GENESIS = "0" * 64

# Called as listener(request, from_status, to_status, at) for every event that changes a
# request's status, inside the transaction that records it: what a listener adds to the
# session (a notice, a callback owed) commits, or rolls back, with the change itself.
# `request` may be a Request or only its id and reference (see `record`).
STATUS_LISTENERS: list = []


def on_status_change(listener):
    """Register `listener` (see STATUS_LISTENERS); returns it, so it can decorate."""
    if listener not in STATUS_LISTENERS:
        STATUS_LISTENERS.append(listener)
    return listener


def event_hash(prev_hash: str, reference: str, seq: int, at: datetime, actor: str, kind: str,
               from_status: str | None, to_status: str | None, data: dict) -> str:
    content = json.dumps(
        [reference, seq, at.isoformat(timespec="microseconds"), actor, kind, from_status, to_status, data],
        sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str,
    )
    return hashlib.sha256((prev_hash + content).encode()).hexdigest()


def record(request: Request, *, actor: str, kind: str, at: datetime, data: dict | None = None,
           from_status: str | None = None, to_status: str | None = None,
           chain_head: tuple[int, str] | None = None) -> Event:
    """Append one event to `request`'s chain (added to the session, not committed).

    `request` is a Request, or anything with the `id` and `reference` of an existing one.

    `chain_head` is (last seq, last hash) when the caller already knows it, e.g. several
    events recorded for a new request in one transaction; otherwise it is read. Callers
    lock the request row first so two writers cannot fork the chain.
    """
    if chain_head is None:  # only an existing request (with an id) has a chain to read
        last = db.session.execute(
            select(Event.seq, Event.hash).where(Event.request_id == request.id)
            .order_by(Event.seq.desc()).limit(1)
        ).first()
        chain_head = (last.seq, last.hash) if last else (0, GENESIS)
    seq, prev = chain_head[0] + 1, chain_head[1]
    data = data or {}
    event = Event(
        seq=seq, at=at, actor=actor, kind=kind, from_status=from_status,
        to_status=to_status, data=data, prev_hash=prev,
        hash=event_hash(prev, request.reference, seq, at, actor, kind, from_status, to_status, data),
    )
    if isinstance(request, Request):
        event.request = request
    else:  # the id and reference of a request whose row the caller locked without loading it
        event.request_id = request.id
    db.session.add(event)
    if to_status is not None and to_status != from_status:
        for listener in STATUS_LISTENERS:
            listener(request, from_status, to_status, at)
    return event


@dataclass(frozen=True)
class BrokenLink:
    reference: str
    seq: int
    event_id: int | None
    problem: str

    def __str__(self) -> str:
        where = f"event #{self.seq}" + (f" (id {self.event_id})" if self.event_id else "")
        return f"{self.reference}: {where}: {self.problem}"


def verify_chains() -> tuple[int, int, list[BrokenLink]]:
    """Check every request's chain. Returns (requests checked, events checked, first break per chain)."""
    broken: list[BrokenLink] = []
    requests = events = 0
    current: tuple[int, str, str, int] | None = None  # request id, reference, last hash, last seq
    rows = db.session.execute(
        select(Event, Request.reference).join(Request, Request.id == Event.request_id)
        .order_by(Event.request_id, Event.seq)
        .execution_options(yield_per=2000)  # stream: the trail outgrows memory long before disk
    )
    failed: set[int] = set()
    for event, reference in rows:
        events += 1
        if current is None or current[0] != event.request_id:
            requests += 1
            current = (event.request_id, reference, GENESIS, 0)
        if event.request_id in failed:
            continue
        _, _, prev_hash, prev_seq = current
        problem = _link_problem(event, reference, prev_hash, prev_seq)
        if problem:
            broken.append(BrokenLink(reference, event.seq, event.id, problem))
            failed.add(event.request_id)
        current = (event.request_id, reference, event.hash, event.seq)
    return requests, events, broken


def _link_problem(event: Event, reference: str, prev_hash: str, prev_seq: int) -> str | None:
    """What is wrong with `event` following (prev_seq, prev_hash) in `reference`'s chain, if anything."""
    if event.seq != prev_seq + 1:
        return f"sequence jumps from #{prev_seq} to #{event.seq}: an event was removed"
    if event.prev_hash != prev_hash:
        return "does not chain to the previous event: an earlier event was changed or removed"
    if event.hash != event_hash(event.prev_hash, reference, event.seq, event.at, event.actor,
                                event.kind, event.from_status, event.to_status, event.data):
        return "content does not match its hash: this event was changed"
    return None


def verify_chain(request_id: int, reference: str) -> BrokenLink | None:
    """Check one request's chain: its first broken link, or None when it holds.

    The purge (dsar.retention) checks a chain before removing it, and records the outcome.
    """
    prev_hash, prev_seq = GENESIS, 0
    for event in db.session.scalars(select(Event).where(Event.request_id == request_id).order_by(Event.seq)):
        if problem := _link_problem(event, reference, prev_hash, prev_seq):
            return BrokenLink(reference, event.seq, event.id, problem)
        prev_hash, prev_seq = event.hash, event.seq
    return None
