"""A fake Intercom API: contacts, their notes and conversations in memory, with
Intercom's Bearer auth, `error.list` error shape, 429 headers (X-RateLimit-Reset in
epoch seconds), cursor pagination for searches and page numbers for notes, both capped
at `page_size` per page.

`POST /user_delete_requests` records the request in `delete_requests` and
`pending_deletion`, and takes the contact out of search and reads at once, as Intercom does before its hard deletion.
`search_lag` holds contacts the search still returns after that, as a search index
lagging behind can. Custom attributes must exist (`attributes`) before a contact can be given one.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from itertools import count

from fakes.base import Call, FakeVendor, route


def _error(status: int, code: str, message: str) -> tuple:
    return status, {"type": "error.list", "request_id": "req-fake", "errors": [{"code": code, "message": message}]}


@dataclass
class FakeIntercom(FakeVendor):
    contacts: dict[str, dict] = field(default_factory=dict)
    notes: dict[int, dict] = field(default_factory=dict)
    conversations: dict[str, dict] = field(default_factory=dict)
    attributes: set[str] = field(default_factory=set)
    delete_requests: list[dict] = field(default_factory=list)
    pending_deletion: set[str] = field(default_factory=set)   # contacts Intercom will hard-delete
    search_lag: set[str] = field(default_factory=set)         # gone, but the search index still has them
    _ids: count = field(default_factory=lambda: count(1))


    # -- seeding ---------------------------------------------------------------------------
    def add_contact(self, name: str, email: str | None = None, phone: str | None = None, role: str = "user",
                    external_id: str | None = None, **custom) -> dict:
        cid = f"65a{next(self._ids):09x}"
        self.attributes.update(custom)
        self.contacts[cid] = {"type": "contact", "id": cid, "workspace_id": "ws1", "external_id": external_id,
                              "role": role, "name": name, "email": email, "phone": phone,
                              "unsubscribed_from_emails": False, "custom_attributes": dict(custom)}
        return self.contacts[cid]

    def add_note(self, contact_id: str, body: str) -> dict:
        nid = next(self._ids)
        self.notes[nid] = {"type": "note", "id": str(nid), "contact": {"type": "contact", "id": contact_id},
                           "body": f"<p>{body}</p>", "author": {"type": "admin", "id": "991"}}
        return self.notes[nid]

    def add_conversation(self, contact_ids: list[str], *messages: str) -> dict:
        cid = str(next(self._ids))
        self.conversations[cid] = {
            "type": "conversation", "id": cid, "state": "closed",
            "contacts": {"type": "contact.list", "contacts": [{"type": "contact", "id": c} for c in contact_ids]},
            "source": {"type": "conversation", "body": messages[0] if messages else ""},
            "conversation_parts": {"type": "conversation_part.list", "total_count": len(messages[1:]),
                                   "conversation_parts": [{"type": "conversation_part", "body": m}
                                                          for m in messages[1:]]}}
        return self.conversations[cid]

    # -- the vendor's ways ----------------------------------------------------------------
    def authorized(self, call: Call) -> bool:
        return call.headers.get("authorization") == f"Bearer {self.token}"

    def unauthorized(self) -> tuple:
        return _error(401, "unauthorized", "Access Token Invalid")

    def not_found(self) -> tuple:
        return _error(404, "not_found", "Resource Not Found")

    def rate_limited(self) -> tuple:
        reset = math.ceil(time.time() + self.faults.retry_after)  # epoch seconds, as Intercom sends
        status, body = _error(429, "rate_limit_exceeded", "Exceeded rate limit of 1000 in 10_seconds")
        return status, body, {"X-RateLimit-Limit": "1000", "X-RateLimit-Remaining": "0",
                              "X-RateLimit-Reset": str(reset)}

    def _contact(self, cid: str) -> dict | None:
        contact = self.contacts.get(cid)
        return contact if contact and cid not in self.pending_deletion else None

    def _page(self, rows: list, call: Call, key: str, list_type: str) -> tuple:
        """One page of a search: starting_after is an opaque cursor (here, an offset)."""
        pagination = (call.body or {}).get("pagination") or {}
        per_page = min(int(pagination.get("per_page") or 50), self.page_size)
        after = pagination.get("starting_after")
        try:
            offset = int(after[len("cur"):]) if after else 0
        except (TypeError, ValueError):
            return _error(400, "parameter_invalid", "starting_after is invalid")
        page = rows[offset:offset + per_page]
        pages = {"type": "pages", "page": offset // per_page + 1, "per_page": per_page,
                 "total_pages": max(1, math.ceil(len(rows) / per_page))}
        if offset + per_page < len(rows):
            pages["next"] = {"page": pages["page"] + 1, "starting_after": f"cur{offset + per_page}"}
        return 200, {"type": list_type, key: page, "total_count": len(rows), "pages": pages}

    @staticmethod
    def _query(call: Call) -> tuple[str, str, object] | None:
        query = (call.body or {}).get("query") or {}
        if set(query) != {"field", "operator", "value"} or query["operator"] != "=":
            return None
        return query["field"], query["operator"], query["value"]

    # -- contacts ------------------------------------------------------------------------------
    @route("POST", r"/contacts/search")
    def search_contacts(self, call: Call):
        query = self._query(call)
        if query is None or query[0] not in ("email", "phone", "external_id", "name", "id"):
            return _error(400, "query_invalid", "this fake answers field = value queries on contact fields")
        name, _, value = query
        indexed = [c for _, c in sorted(self.contacts.items())
                   if c["id"] not in self.pending_deletion or c["id"] in self.search_lag]
        rows = [c for c in indexed if c.get(name) == value]
        return self._page(rows, call, "data", "list")

    @route("GET", r"/contacts/([^/]+)")
    def get_contact(self, call: Call, cid: str):
        contact = self._contact(cid)
        return (200, contact) if contact else self.not_found()

    @route("PUT", r"/contacts/([^/]+)")
    def update_contact(self, call: Call, cid: str):
        contact = self._contact(cid)
        if not contact:
            return self.not_found()
        body = call.body if isinstance(call.body, dict) else {}
        unknown = set(body.get("custom_attributes") or {}) - self.attributes
        if unknown:
            return _error(400, "parameter_invalid", f"Custom attribute '{sorted(unknown)[0]}' does not exist")
        for key, value in body.items():
            if key == "custom_attributes":
                contact["custom_attributes"].update(value)
            elif key in ("name", "email", "phone", "unsubscribed_from_emails", "external_id"):
                contact[key] = value
            else:
                return _error(400, "parameter_invalid", f"{key} is not a contact field")
        return 200, contact

    @route("GET", r"/contacts/([^/]+)/notes")
    def list_notes(self, call: Call, cid: str):
        if not self._contact(cid):
            return self.not_found()
        rows = [n for _, n in sorted(self.notes.items()) if n["contact"]["id"] == cid]
        per_page = min(int(call.arg("per_page") or 50), self.page_size)
        page = int(call.arg("page") or 1)
        total = max(1, math.ceil(len(rows) / per_page))
        following = f"{self.url}/contacts/{cid}/notes?per_page={per_page}&page={page + 1}" if page < total else None
        return 200, {"type": "list", "data": rows[(page - 1) * per_page:page * per_page], "total_count": len(rows),
                     "pages": {"type": "pages", "next": following, "page": page, "per_page": per_page,
                               "total_pages": total}}

    @route("POST", r"/user_delete_requests")
    def delete_request(self, call: Call):
        cid = str((call.body or {}).get("intercom_user_id") or "")
        if not self._contact(cid):
            return _error(404, "not_found", "User Not Found")
        request = {"id": len(self.delete_requests) + 7001, "intercom_user_id": cid}
        self.delete_requests.append(request)
        self.pending_deletion.add(cid)
        return 200, {"id": request["id"]}

    # -- conversations -------------------------------------------------------------------------
    @route("POST", r"/conversations/search")
    def search_conversations(self, call: Call):
        query = self._query(call)
        if query is None or query[0] != "contact_ids":
            return _error(400, "query_invalid", "this fake answers contact_ids = id queries only")
        rows = [{k: v for k, v in c.items() if k != "conversation_parts"}  # search omits the parts
                for _, c in sorted(self.conversations.items())
                if any(x["id"] == query[2] for x in c["contacts"]["contacts"])]
        return self._page(rows, call, "conversations", "conversation.list")

    @route("GET", r"/conversations/([^/]+)")
    def get_conversation(self, call: Call, cid: str):
        conversation = self.conversations.get(cid)
        return (200, conversation) if conversation else self.not_found()
