"""A local fake of Sentry's web API (one organization, one project), for the sentry
connector's tests.

Holds issues and their events in memory. Calls need `Authorization: Bearer <token>`;
lists are paginated by the `Link` header's cursor (`rel="next"; results="true";
cursor="…"`) with `page_size` items a page; the issue search understands `user.email:`,
`user.id:`, `user.ip:`, `user.username:` and `is:` terms (quoted or not; values compared
exactly) and, like Sentry, applies `is:unresolved` when no query is given. The bulk
delete, like Sentry's, deletes the project's first 1,000 issues when no `id` is given
and silently skips ids of other projects. Errors are `{"detail": "…"}`; a 429 carries
`Retry-After` and the `X-Sentry-Rate-Limit-*` headers.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

from tests.fakes.base import Call, FakeVendor, _seconds, route

_TERM = re.compile(r'(\S+?):("(?:[^"\\]|\\.)*"|\S+)')
_USER_KEYS = {"user.email": "email", "user.id": "id", "user.ip": "ip_address", "user.username": "username"}


@dataclass
class FakeSentry(FakeVendor):
    keep_on_reset = ("token", "page_size", "organization", "project")
    organization: str = "septeo-example"
    project: str = "remote-control"
    issues: dict[str, dict] = field(default_factory=dict)
    events: dict[str, list[dict]] = field(default_factory=dict)
    send_retry_after: bool = True   # False: a 429 carries only X-Sentry-Rate-Limit-Reset


    # -- seeding -------------------------------------------------------------------------
    def add_issue(self, title: str = "ZeroDivisionError: division by zero", *users: dict | None,
                  status: str = "unresolved") -> str:
        """An issue with one event per user block given (None: an event with no user)."""
        issue_id = str(4500 + len(self.issues) + 1)
        self.issues[issue_id] = {
            "id": issue_id, "shortId": f"REMOTE-CONTROL-{len(self.issues) + 1}", "title": title,
            "culprit": "app.views in dashboard", "status": status, "level": "error",
            "permalink": f"https://sentry.io/organizations/{self.organization}/issues/{issue_id}/",
            "firstSeen": "2026-10-01T10:00:00Z", "lastSeen": "2026-11-20T10:00:00Z", "count": "0",
            "userCount": 0, "project": {"slug": self.project, "name": self.project},
        }
        self.events[issue_id] = []
        for user in users:
            self.add_event(issue_id, user)
        return issue_id

    def add_event(self, issue_id: str, user: dict | None, message: str = "division by zero") -> str:
        n = sum(len(e) for e in self.events.values()) + 1
        event_id = f"{n:032x}"
        tags = [{"key": "level", "value": "error"}, {"key": "environment", "value": "production"}]
        if user:
            for kind, prefix in (("id", "id"), ("email", "email"), ("username", "username"), ("ip_address", "ip")):
                if user.get(kind):  # Sentry's "user" tag holds the first identifier the user block has
                    tags.append({"key": "user", "value": f"{prefix}:{user[kind]}"})
                    break
        self.events[issue_id].append({
            "id": event_id, "eventID": event_id, "groupID": issue_id, "title": self.issues[issue_id]["title"],
            "message": message, "dateCreated": f"2026-11-{1 + n % 28:02d}T10:00:00Z", "platform": "python",
            "user": dict(user) if user else None, "tags": tags,
            "entries": [{"type": "exception", "data": {"values": [{"type": "ZeroDivisionError",
                                                                   "value": message}]}}],
        })
        issue = self.issues[issue_id]
        issue["count"] = str(len(self.events[issue_id]))
        issue["userCount"] = len({repr(e["user"]) for e in self.events[issue_id] if e["user"]})
        return event_id

    # -- the vendor's shapes -------------------------------------------------------------
    def unauthorized(self) -> tuple:
        return 401, {"detail": "Invalid token"}

    def rate_limited(self) -> tuple:
        headers = {"X-Sentry-Rate-Limit-Limit": "40", "X-Sentry-Rate-Limit-Remaining": "0",
                   "X-Sentry-Rate-Limit-Reset": str(time.time() + self.faults.retry_after)}
        if self.send_retry_after:
            headers["Retry-After"] = _seconds(self.faults.retry_after)
        return 429, {"detail": "You are attempting to use this endpoint too frequently. "
                               "Limit is 40 requests in 1 seconds"}, headers

    def not_found(self) -> tuple:
        return 404, {"detail": "The requested resource does not exist"}

    def _page(self, call: Call, items: list) -> tuple:
        """One page and its Link header, Sentry's cursor being "value:offset:is_prev"."""
        try:
            offset = int((call.arg("cursor") or "0:0:0").split(":")[1])
        except (IndexError, ValueError):
            return 400, {"detail": "Invalid cursor parameter."}
        shown = items[offset:offset + self.page_size]
        base = f"{self.url}{call.path}"
        previous = max(0, offset - self.page_size)
        nxt = offset + self.page_size
        link = (f'<{base}?cursor=0:{previous}:1>; rel="previous"; results="{str(offset > 0).lower()}"; '
                f'cursor="0:{previous}:1", '
                f'<{base}?cursor=0:{nxt}:0>; rel="next"; results="{str(nxt < len(items)).lower()}"; '
                f'cursor="0:{nxt}:0"')
        return 200, shown, {"Link": link}

    def _ours(self, org: str, project: str) -> bool:
        return org == self.organization and project == self.project

    # -- issues --------------------------------------------------------------------------
    @route("GET", r"/projects/([^/]+)/([^/]+)/issues/")
    def search(self, call: Call, org: str, project: str):
        if not self._ours(org, project):
            return self.not_found()
        query = call.arg("query")
        terms = _TERM.findall("is:unresolved" if query is None else query)
        hits = []
        for issue_id, issue in self.issues.items():
            keep = True
            for key, value in terms:
                value = re.sub(r'\\(.)', r"\1", value[1:-1]) if value.startswith('"') else value
                if key == "is":
                    keep = keep and issue["status"] == value
                elif key in _USER_KEYS:
                    keep = keep and any(self._user_has(e, _USER_KEYS[key], value) for e in self.events[issue_id])
                else:
                    return 400, {"detail": f"Invalid search query: unknown key {key!r}"}
            if keep:
                hits.append(issue)
        return self._page(call, hits)

    @staticmethod
    def _user_has(event: dict, field_name: str, value: str) -> bool:
        # exact, as Sentry compares tag values
        held = (event.get("user") or {}).get(field_name)
        return held is not None and str(held) == value

    @route("DELETE", r"/projects/([^/]+)/([^/]+)/issues/")
    def bulk_delete(self, call: Call, org: str, project: str):
        if not self._ours(org, project):
            return self.not_found()
        ids = call.query.get("id") or list(self.issues)[:1000]
        for issue_id in ids:
            if issue_id in self.issues:
                del self.issues[issue_id]
                del self.events[issue_id]
        return 204, b""

    @route("GET", r"/issues/(\d+)/")
    def issue(self, call: Call, issue_id: str):
        return (200, self.issues[issue_id]) if issue_id in self.issues else self.not_found()

    @route("GET", r"/issues/(\d+)/events/")
    def issue_events(self, call: Call, issue_id: str):
        if issue_id not in self.issues:
            return self.not_found()
        return self._page(call, self.events[issue_id])
