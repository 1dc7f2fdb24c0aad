"""A fake Pipedrive API: persons and their deals, activities, mail messages and files
in memory, with Pipedrive's auth header, error shape, 429 headers, v2 cursor
pagination for the person search and v1 start/limit pagination for related lists.

Deleting marks an entity deleted (`is_deleted`, or `active_flag` false for a file), as
Pipedrive does before purging it 30 days later; deleted entities leave the search and
the lists. `search_lag` holds ids the search still returns after their deletion, as
Pipedrive's search index can for a while.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import count

from fakes.base import Call, FakeVendor, _seconds, route


def _error(status: int, message: str) -> tuple:
    return status, {"success": False, "error": message, "errorCode": status}


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value or "")


@dataclass
class FakePipedrive(FakeVendor):
    persons: dict[int, dict] = field(default_factory=dict)
    deals: dict[int, dict] = field(default_factory=dict)
    activities: dict[int, dict] = field(default_factory=dict)
    mail_messages: dict[int, dict] = field(default_factory=dict)
    files: dict[int, dict] = field(default_factory=dict)
    search_lag: set[int] = field(default_factory=set)
    _ids: count = field(default_factory=lambda: count(101))


    # -- seeding ---------------------------------------------------------------------------
    def add_person(self, name: str, emails=(), phones=(), custom_fields=None) -> dict:
        pid = next(self._ids)
        self.persons[pid] = {
            "id": pid, "name": name, "first_name": name.split()[0], "last_name": name.split()[-1],
            "emails": [{"value": e, "primary": i == 0, "label": "work"} for i, e in enumerate(emails)],
            "phones": [{"value": p, "primary": i == 0, "label": "mobile"} for i, p in enumerate(phones)],
            "custom_fields": dict(custom_fields or {}), "is_deleted": False,
        }
        return self.persons[pid]

    def add_deal(self, person_id: int, title: str) -> dict:
        return self._link(self.deals, {"title": title, "person_id": person_id, "is_deleted": False})

    def add_activity(self, person_id: int, subject: str) -> dict:
        return self._link(self.activities, {"subject": subject, "person_id": person_id, "is_deleted": False})

    def add_mail_message(self, person_id: int, subject: str) -> dict:
        return self._link(self.mail_messages, {"subject": subject, "person_id": person_id})

    def add_file(self, person_id: int, name: str) -> dict:
        return self._link(self.files, {"name": name, "person_id": person_id, "active_flag": True})

    def _link(self, table: dict, record: dict) -> dict:
        record["id"] = next(self._ids)
        table[record["id"]] = record
        return record

    # -- the vendor's ways ----------------------------------------------------------------
    def authorized(self, call: Call) -> bool:
        return call.headers.get("x-api-token") == self.token

    def unauthorized(self) -> tuple:
        return _error(401, "unauthorized access")

    def not_found(self) -> tuple:
        return _error(404, "Not found")

    def rate_limited(self) -> tuple:
        status, body = _error(429, "Request over limit")
        # x-ratelimit-reset: seconds until the window resets (not an epoch)
        return status, body, {"x-ratelimit-limit": "80", "x-ratelimit-remaining": "0",
                              "x-ratelimit-reset": _seconds(self.faults.retry_after)}

    @staticmethod
    def _live(record: dict | None) -> bool:
        return record is not None and not record.get("is_deleted") and record.get("active_flag", True)

    # -- v2 persons ---------------------------------------------------------------------------
    @route("GET", r"/v2/persons/search")
    def search(self, call: Call):
        term = call.arg("term") or ""
        wanted = set((call.arg("fields") or "").split(","))
        if call.arg("exact_match") != "true" or not term or not wanted <= {"email", "phone", "name"}:
            return _error(400, "this fake answers exact searches on email, phone or name only")

        def matches(person: dict) -> bool:
            return (("email" in wanted and any(e["value"].lower() == term.lower() for e in person["emails"]))
                    or ("phone" in wanted and any(_digits(p["value"]) == _digits(term) for p in person["phones"]))
                    or ("name" in wanted and person["name"].lower() == term.lower()))

        hits = [p for pid, p in sorted(self.persons.items())
                if (self._live(p) or pid in self.search_lag) and matches(p)]
        try:
            offset = int(call.arg("cursor") or "0", 16)  # an opaque cursor to the connector
        except ValueError:
            return _error(400, "invalid cursor")
        limit = min(int(call.arg("limit") or 100), self.page_size)
        page = hits[offset:offset + limit]
        items = [{"result_score": 1.0, "item": {
            "id": p["id"], "type": "person", "name": p["name"],
            "emails": [e["value"] for e in p["emails"]], "phones": [x["value"] for x in p["phones"]]}}
            for p in page]
        nxt = hex(offset + limit) if offset + limit < len(hits) else None
        return 200, {"success": True, "data": {"items": items}, "additional_data": {"next_cursor": nxt}}

    @route("GET", r"/v2/persons/(\d+)")
    def get_person(self, call: Call, pid: str):
        person = self.persons.get(int(pid))
        if not self._live(person):
            return _error(404, "Person not found")
        return 200, {"success": True, "data": person}

    @route("PATCH", r"/v2/persons/(\d+)")
    def patch_person(self, call: Call, pid: str):
        person = self.persons.get(int(pid))
        if not self._live(person):
            return _error(404, "Person not found")
        body = call.body if isinstance(call.body, dict) else {}
        for key in ("emails", "phones"):
            if key in body and not all(isinstance(e, dict) and e.get("value") for e in body[key]):
                return _error(400, f"{key} must be a list of objects with a value")
        for key, value in body.items():
            if key == "custom_fields":
                person["custom_fields"].update(value)
            elif key in ("name", "first_name", "last_name", "emails", "phones"):
                person[key] = value
            else:
                return _error(400, f"unknown field {key}")
        return 200, {"success": True, "data": person}

    @route("DELETE", r"/v2/persons/(\d+)")
    def delete_person(self, call: Call, pid: str):
        return self._delete(self.persons, pid, "Person")

    @route("DELETE", r"/v2/deals/(\d+)")
    def delete_deal(self, call: Call, did: str):
        return self._delete(self.deals, did, "Deal")

    @route("DELETE", r"/v2/activities/(\d+)")
    def delete_activity(self, call: Call, aid: str):
        return self._delete(self.activities, aid, "Activity")

    @route("DELETE", r"/v1/files/(\d+)")
    def delete_file(self, call: Call, fid: str):
        record = self.files.get(int(fid))
        if not self._live(record):
            return _error(404, "File not found")
        record["active_flag"] = False
        return 200, {"success": True, "data": {"id": record["id"]}}

    def _delete(self, table: dict, rid: str, what: str):
        record = table.get(int(rid))
        if not self._live(record):
            return _error(404, f"{what} not found")
        record["is_deleted"] = True
        return 200, {"success": True, "data": {"id": record["id"]}}

    # -- v1 lists linked to a person ----------------------------------------------------------
    @route("GET", r"/v1/persons/(\d+)/(deals|activities|mailMessages|files)")
    def related(self, call: Call, pid: str, kind: str):
        if not self._live(self.persons.get(int(pid))):
            return _error(404, "Person not found")
        table = {"deals": self.deals, "activities": self.activities, "mailMessages": self.mail_messages,
                 "files": self.files}[kind]
        rows = [r for _, r in sorted(table.items()) if r["person_id"] == int(pid) and self._live(r)]
        start = int(call.arg("start") or 0)
        limit = min(int(call.arg("limit") or 100), self.page_size)
        page = rows[start:start + limit]
        if kind == "mailMessages":
            page = [{"object": "mailMessage", "timestamp": "2026-01-01 00:00:00", "data": r} for r in page]
        more = start + limit < len(rows)
        return 200, {"success": True, "data": page or None, "additional_data": {"pagination": {
            "start": start, "limit": limit, "more_items_in_collection": more,
            **({"next_start": start + limit} if more else {})}}}
