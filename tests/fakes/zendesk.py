"""A local fake of Zendesk's Support API v2 (connectors.md, "Zendesk"), served under
/api/v2 as Zendesk does: Basic `{email}/token:{api_token}` auth, user search,
identities, requested tickets and their comments with offset paging (`next_page`
URLs), user and identity updates, soft and permanent deletion of users, and bulk ticket
deletion as queued jobs that run once polled. Tests seed it with `add_user` /
`add_ticket` and read `users`, `tickets`, `deleted_*` and `purged_*` back.

Like Zendesk's, the user search is a search, not a lookup: `email:` matches any email
identity containing the term, so the connector must check what it gets.
"""
from __future__ import annotations

import base64
import re
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlencode

from tests.fakes.base import Call, FakeVendor, route

NOW = "2026-11-23T10:00:00Z"
API = "/api/v2"


def _digits(value) -> str:
    return re.sub(r"\D", "", str(value or ""))


@dataclass
class FakeZendesk(FakeVendor):
    keep_on_reset = ("token", "agent_email")
    agent_email: str = "dsar-bot@example.com"
    users: dict[int, dict] = field(default_factory=dict)
    identities: dict[int, dict] = field(default_factory=dict)      # identity id -> identity (with user_id)
    tickets: dict[int, dict] = field(default_factory=dict)
    comments: dict[int, list[dict]] = field(default_factory=dict)  # ticket id -> its comments
    deleted_users: dict[int, dict] = field(default_factory=dict)   # soft-deleted
    deleted_tickets: dict[int, dict] = field(default_factory=dict)
    purged_users: list[int] = field(default_factory=list)          # permanently deleted
    purged_tickets: list[int] = field(default_factory=list)
    jobs: dict[str, dict] = field(default_factory=dict)
    job_polls: int = 1            # polls a queued job answers "queued" before it runs
    job_never_runs: bool = False
    undeletable: set[int] = field(default_factory=set)           # ticket ids a deletion job fails on
    _next_id: int = 100


    def _id(self) -> int:
        self._next_id += 1
        return self._next_id

    # -- seeding ------------------------------------------------------------------------
    def add_user(self, name: str, email: str | None = None, phone: str | None = None, *, more_emails=(),
                 tags=(), user_fields: dict | None = None) -> int:
        user_id = self._id()
        self.users[user_id] = {"id": user_id, "url": f"{self.url}{API}/users/{user_id}.json", "name": name,
                               "email": email, "phone": phone, "role": "end-user", "active": True,
                               "tags": list(tags), "user_fields": dict(user_fields or {}),
                               "created_at": NOW, "updated_at": NOW}
        for position, value in enumerate([e for e in (email, *more_emails) if e]):
            self._add_identity(user_id, "email", value, primary=position == 0)
        if phone:
            self._add_identity(user_id, "phone_number", phone, primary=True)
        return user_id

    def _add_identity(self, user_id: int, kind: str, value: str, primary: bool = False) -> dict:
        identity = {"id": self._id(), "user_id": user_id, "type": kind, "value": value, "primary": primary,
                    "verified": True, "created_at": NOW}
        self.identities[identity["id"]] = identity
        return identity

    def add_ticket(self, requester_id: int, subject: str, comments=("Hello, I need help",)) -> int:
        ticket_id = self._id()
        self.tickets[ticket_id] = {"id": ticket_id, "subject": subject, "requester_id": requester_id,
                                   "status": "open", "tags": [], "created_at": NOW}
        self.comments[ticket_id] = [{"id": self._id(), "author_id": requester_id, "body": text, "public": True,
                                     "attachments": [], "created_at": NOW} for text in comments]
        return ticket_id

    def identities_of(self, user_id: int) -> list[dict]:
        return [i for i in self.identities.values() if i["user_id"] == user_id]

    # -- Zendesk's shapes ---------------------------------------------------------------
    def authorized(self, call: Call) -> bool:
        pair = f"{self.agent_email}/token:{self.token}".encode()
        return call.headers.get("authorization") == "Basic " + base64.b64encode(pair).decode()

    def unauthorized(self) -> tuple:
        return 401, {"error": "Couldn't authenticate you"}

    def not_found(self) -> tuple:
        return 404, {"error": "RecordNotFound", "description": "Not found"}

    def rate_limited(self) -> tuple:
        body = {"error": "APIRateLimitExceeded", "description": "Number of allowed API requests per minute exceeded"}
        return 429, body, {"Retry-After": str(self.faults.retry_after)}

    def _page(self, call: Call, items: list, key: str) -> tuple:
        """Offset paging: `page` and `per_page`, at most `page_size` a page, `next_page` a full URL."""
        try:
            page = max(1, int(call.arg("page", "1")))
            per_page = min(int(call.arg("per_page", "100")), self.page_size)
        except ValueError:
            return 400, {"error": "InvalidPaginationParameter", "description": "page must be a number"}
        start = (page - 1) * per_page
        query = {name: values[0] for name, values in call.query.items()}

        def link(number):
            return f"{self.url}{call.path}?{urlencode({**query, 'page': number})}"
        return 200, {key: items[start:start + per_page], "count": len(items),
                     "next_page": link(page + 1) if start + per_page < len(items) else None,
                     "previous_page": link(page - 1) if page > 1 else None}

    # -- users --------------------------------------------------------------------------
    @route("GET", API + r"/users/search\.json")
    def search_users(self, call: Call):
        match = re.match(r'^(email|phone):"?(.*?)"?$', call.arg("query", "") or "")
        if not match:
            return 400, {"error": "InvalidSearch", "description": "this fake knows email: and phone: only"}
        kind, term = match.groups()

        def hit(user):
            mine = self.identities_of(user["id"])
            if kind == "email":
                return any(i["type"] == "email" and term.lower() in i["value"].lower() for i in mine)
            values = [user.get("phone")] + [i["value"] for i in mine if i["type"] == "phone_number"]
            return bool(_digits(term)) and any(_digits(v) == _digits(term) for v in values)
        return self._page(call, [u for _, u in sorted(self.users.items()) if hit(u)], "users")

    @route("GET", API + r"/users/(\d+)/identities\.json")
    def list_identities(self, call: Call, user_id: str):
        if int(user_id) not in self.users:
            return self.not_found()
        return self._page(call, self.identities_of(int(user_id)), "identities")

    @route("PUT", API + r"/users/(\d+)/identities/(\d+)\.json")
    def update_identity(self, call: Call, user_id: str, identity_id: str):
        identity = self.identities.get(int(identity_id))
        if identity is None or identity["user_id"] != int(user_id) or int(user_id) not in self.users:
            return self.not_found()
        value = ((call.body or {}).get("identity") or {}).get("value")
        if value:
            identity["value"] = value
            if identity["primary"] and identity["type"] == "email":
                self.users[int(user_id)]["email"] = value
        return 200, {"identity": identity}

    @route("PUT", API + r"/users/(\d+)\.json")
    def update_user(self, call: Call, user_id: str):
        user = self.users.get(int(user_id))
        if user is None:
            return self.not_found()
        changes = dict((call.body or {}).get("user") or {})
        unknown = [k for k in changes.get("user_fields", {}) if k not in user["user_fields"]]
        if unknown:
            return 422, {"error": "RecordInvalid", "description": "Record validation errors",
                         "details": {"user_fields": [{"description": f"{unknown[0]} is not a user field"}]}}
        if "email" in changes:
            # As Zendesk does: a new email on update is added as a secondary identity.
            self._add_identity(user["id"], "email", changes.pop("email"))
        user["user_fields"].update(changes.pop("user_fields", {}))
        user.update(changes)
        return 200, {"user": user}

    @route("DELETE", API + r"/users/(\d+)\.json")
    def delete_user(self, call: Call, user_id: str):
        user = self.users.pop(int(user_id), None)
        if user is None:
            return self.not_found()
        user["active"] = False
        self.deleted_users[user["id"]] = user
        return 200, {"user": user}

    @route("DELETE", API + r"/deleted_users/(\d+)\.json")
    def purge_user(self, call: Call, user_id: str):
        user = self.deleted_users.pop(int(user_id), None)
        if user is None:
            return self.not_found()
        for identity in self.identities_of(user["id"]):
            del self.identities[identity["id"]]
        self.purged_users.append(user["id"])
        return 200, {"deleted_user": {"id": user["id"], "name": user["name"], "active": False}}

    # -- tickets ------------------------------------------------------------------------
    @route("GET", API + r"/users/(\d+)/tickets/requested\.json")
    def requested(self, call: Call, user_id: str):
        if int(user_id) not in self.users:
            return self.not_found()
        mine = [t for _, t in sorted(self.tickets.items()) if t["requester_id"] == int(user_id)]
        return self._page(call, mine, "tickets")

    @route("GET", API + r"/tickets/(\d+)/comments\.json")
    def list_comments(self, call: Call, ticket_id: str):
        if int(ticket_id) not in self.tickets:
            return self.not_found()
        return self._page(call, self.comments.get(int(ticket_id), []), "comments")

    def _bulk(self, call: Call, work) -> tuple:
        try:
            ids = [int(i) for i in (call.arg("ids", "") or "").split(",") if i]
        except ValueError:
            return 400, {"error": "InvalidValue", "description": "ids must be numbers"}
        if not ids or len(ids) > 100:
            return 400, {"error": "InvalidValue", "description": "give between 1 and 100 ids"}
        job_id = uuid.uuid4().hex
        self.jobs[job_id] = {"id": job_id, "url": f"{self.url}{API}/job_statuses/{job_id}.json", "status": "queued",
                             "total": len(ids), "progress": 0, "message": None, "results": None,
                             "_ids": ids, "_work": work, "_polls": 0}
        return 200, {"job_status": self._public(self.jobs[job_id])}

    @staticmethod
    def _public(job: dict) -> dict:
        return {k: v for k, v in job.items() if not k.startswith("_")}

    @route("DELETE", API + r"/tickets/destroy_many\.json")
    def destroy_tickets(self, call: Call):
        return self._bulk(call, self._soft_delete_ticket)

    @route("DELETE", API + r"/deleted_tickets/destroy_many\.json")
    def purge_tickets(self, call: Call):
        return self._bulk(call, self._purge_ticket)

    def _soft_delete_ticket(self, ticket_id: int) -> bool:
        if ticket_id in self.undeletable or ticket_id not in self.tickets:
            return False
        ticket = self.tickets.pop(ticket_id)
        self.deleted_tickets[ticket_id] = ticket
        return True

    def _purge_ticket(self, ticket_id: int) -> bool:
        if self.deleted_tickets.pop(ticket_id, None) is None:
            return False
        self.comments.pop(ticket_id, None)
        self.purged_tickets.append(ticket_id)
        return True

    @route("GET", API + r"/job_statuses/(\w+)\.json")
    def job_status(self, call: Call, job_id: str):
        job = self.jobs.get(job_id)
        if job is None:
            return self.not_found()
        job["_polls"] += 1
        if job["status"] == "queued" and job["_polls"] >= self.job_polls and not self.job_never_runs:
            job["results"] = [{"id": i, "action": "delete", "success": job["_work"](i)} for i in job["_ids"]]
            job.update(status="completed", progress=job["total"], message="Completed")
        return 200, {"job_status": self._public(job)}
