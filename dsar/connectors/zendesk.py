"""Zendesk Support (API v2): a person's user and the tickets they requested, found by
email or phone, exported with identities and comments, corrected, tagged for
restriction, and erased for good (tickets then user, each soft-deleted then purged).

Contract: connectors.md, "Zendesk". A user the search returns is acted on only when one
of its identities equals one of the subject's exactly: Zendesk's search is a search,
and erasing a near-match would delete someone else. A name is never searched.
"""
from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

from marshmallow import ValidationError, fields, post_load, validate, validates_schema

from dsar.connectors import register
from dsar.connectors.base import (ERASED, ERASURE_SCHEDULED, EXPORTED, FOUND, NOT_FOUND, NOT_SUPPORTED,
                                  RECTIFIED, RESTRICTED, ActionResult, Connector, ConnectorError, EnvRef,
                                  HttpSettings, Subject)
from dsar.connectors.http import VendorHttp

BULK_MAX = 100              # Zendesk's destroy_many takes at most 100 ids a call
FREE_TEXT = frozenset({"requested", "text"})
# User attributes a correction may set directly, besides name, phone and email.
USER_ATTRIBUTES = frozenset({"alias", "details", "notes", "locale", "time_zone"})
PURGE_DELAY = "Zendesk purges deleted tickets 30 days after their deletion"
# EnvRef's own message has bare braces that marshmallow's str.format chokes on (a
# KeyError instead of a validation error); this one is escaped.
ENV_REF_ERROR = {"invalid": "must be an environment reference: {{env: VARIABLE_NAME}}"}


class ZendeskSettings(HttpSettings):
    # The register may give the account's subdomain instead of the API's URL.
    base_url = fields.Url(load_default=None, require_tld=False, schemes={"http", "https"})
    subdomain = fields.String(load_default=None, validate=validate.Regexp(
        r"^[a-z0-9][a-z0-9-]*$", flags=re.IGNORECASE, error="the account's subdomain, as in {{subdomain}}.zendesk.com"))
    email = fields.Email(required=True)          # the agent the API token belongs to
    api_token = EnvRef(required=True, error_messages=ENV_REF_ERROR)
    restrict_tag = fields.String(load_default="dsar_restricted", validate=validate.Regexp(
        r"^[a-z0-9_\-/:.]+$", error="a Zendesk tag: lowercase, no spaces or commas"))
    # How long to wait for a bulk deletion job Zendesk queues before reporting it as scheduled.
    job_wait = fields.Float(load_default=60.0, validate=validate.Range(min=0, max=600))

    @validates_schema
    def _somewhere(self, data, **kwargs):
        if not data.get("base_url") and not data.get("subdomain"):
            raise ValidationError("give base_url, or subdomain for https://{subdomain}.zendesk.com/api/v2",
                                  "base_url")

    @post_load
    def _base_url(self, data, **kwargs):
        if not data.get("base_url"):
            data["base_url"] = f"https://{data['subdomain'].lower()}.zendesk.com/api/v2"
        return data


@register
class ZendeskConnector(Connector):
    type = "zendesk"
    Settings = ZendeskSettings
    capabilities = frozenset({"access", "export", "erase", "rectify", "restrict", "discover"})

    # -- actions -------------------------------------------------------------------------
    def access(self, subject: Subject) -> ActionResult:
        http = self._http()
        users, result = self._find(http, subject)
        for user in users:
            result.add("user", user["id"], FOUND)
            for ticket in self._requested(http, user["id"]):
                result.add("ticket", ticket["id"], FOUND, f"requested by user {user['id']}")
        return result

    def export(self, subject: Subject) -> ActionResult:
        http = self._http()
        users, result = self._find(http, subject)
        for user in users:
            identities = list(self._pages(http, f"/users/{user['id']}/identities.json", "identities"))
            result.add("user", user["id"], EXPORTED, data={"user": user, "identities": identities})
            for ticket in self._requested(http, user["id"]):
                comments = list(self._pages(http, f"/tickets/{ticket['id']}/comments.json", "comments"))
                result.add("ticket", ticket["id"], EXPORTED, f"requested by user {user['id']}",
                           data={"ticket": ticket, "comments": comments})
        if users:
            result.notes.append("tickets the person was only copied on or commented in are not exported")
        return result

    def rectify(self, subject: Subject) -> ActionResult:
        if not subject.corrections:
            return ActionResult.not_supported("no corrections were given")
        http = self._http()
        users, result = self._find(http, subject)
        free_text = sorted(str(k) for k in subject.corrections if _key(k) in FREE_TEXT)
        wanted = {k: v for k, v in subject.corrections.items() if _key(k) not in FREE_TEXT}
        unmapped: set[str] = set()
        for user in users:
            changes, email, skipped = self._user_changes(user, wanted)
            unmapped |= skipped
            applied = sorted(changes.get("user_fields", {})) + sorted(k for k in changes if k != "user_fields")
            if changes:
                http.call("PUT", f"/users/{user['id']}.json", json={"user": changes})
            if email is not None:
                # A new email in PUT /users only adds a secondary identity; changing the
                # identity's value replaces the wrong address itself.
                identity = self._email_identity(http, user, subject.values("email"))
                if identity is None:
                    unmapped.add("email")
                else:
                    http.call("PUT", f"/users/{user['id']}/identities/{identity['id']}.json",
                              json={"identity": {"value": email}})
                    applied.append("email")
            if applied:
                result.add("user", user["id"], RECTIFIED, "set " + ", ".join(applied))
            else:
                result.add("user", user["id"], FOUND)
        if unmapped:
            result.notes.append("not applied, no Zendesk user field or identity to set: " + ", ".join(sorted(unmapped)))
        if free_text:
            result.notes.append(f"the subject's own words ({', '.join(free_text)}) were not applied: "
                                "staff must read them and apply them in Zendesk by hand")
        if result.records and not any(r.outcome == RECTIFIED for r in result.records):
            result.outcome = NOT_SUPPORTED
        return result

    def restrict(self, subject: Subject) -> ActionResult:
        http = self._http()
        tag = self.settings["restrict_tag"]
        users, result = self._find(http, subject)
        for user in users:
            tags = list(user.get("tags") or [])
            if tag in tags:
                result.add("user", user["id"], RESTRICTED, f"already tagged {tag}")
                continue
            # PUT replaces the user's tags: send the ones it has with ours added.
            http.call("PUT", f"/users/{user['id']}.json", json={"user": {"tags": [*tags, tag]}})
            result.add("user", user["id"], RESTRICTED, f"tagged {tag}")
        if users:
            result.notes.append(f"Zendesk's triggers and views must leave users tagged {tag} alone")
        return result

    def erase(self, subject: Subject) -> ActionResult:
        http = self._http()
        users, result = self._find(http, subject)
        for user in users:
            ticket_ids = [t["id"] for t in self._requested(http, user["id"])]
            refused = []
            for start in range(0, len(ticket_ids), BULK_MAX):
                refused += self._erase_tickets(http, ticket_ids[start:start + BULK_MAX], result)
            if refused:
                # Those tickets are still live: keep the user, so a retry finds them again.
                done = sum(r.kind == "ticket" for r in result.records)
                raise ConnectorError(f"Zendesk did not delete tickets {', '.join(map(str, refused))} of user "
                                     f"{user['id']}; the user was kept for a retry ({done} other tickets "
                                     "deleted or queued for deletion)")
            if http.call("DELETE", f"/users/{user['id']}.json", allow_404=True) is None:
                result.add("user", user["id"], NOT_FOUND, "already gone when it was to be deleted")
                continue
            if http.call("DELETE", f"/deleted_users/{user['id']}.json", allow_404=True) is None:
                result.add("user", user["id"], ERASURE_SCHEDULED,
                           "deleted, but Zendesk did not confirm the permanent deletion")
            else:
                result.add("user", user["id"], ERASED, "deleted and permanently deleted")
        return result

    def discover(self, identities: dict[str, list[str]]) -> bool:
        users, _ = self._find(self._http(), Subject("", identities))
        return bool(users)

    # -- finding -------------------------------------------------------------------------
    def _http(self) -> VendorHttp:
        settings = self.settings
        return VendorHttp(self.system_id, settings["base_url"], {"Accept": "application/json"},
                          auth=(f"{settings['email']}/token", self.secret("api_token")),
                          timeout=settings["timeout"], rate_per_second=settings.get("rate_limit"),
                          error_message=_error_message)

    def _pages(self, http: VendorHttp, path: str, key: str, params: dict | None = None):
        """Every item of a listing, following `next_page` to the end."""
        url, seen = path, set()
        origin = urlsplit(self.settings["base_url"])[:2]
        while url:
            page = http.json("GET", url, params=params) or {}
            yield from page.get(key) or []
            url, params = page.get("next_page"), None
            if url:
                # Our credentials go only to the configured host, whatever a page links to.
                if urlsplit(url)[:2] != origin:
                    raise ConnectorError(f"Zendesk's next_page leads away from {origin[1]}")
                if url in seen:
                    raise ConnectorError("Zendesk returned the same next_page twice")
                seen.add(url)

    def _find(self, http: VendorHttp, subject: Subject) -> tuple[list[dict], ActionResult]:
        """The users one of whose identities is exactly one of the subject's emails or phones."""
        result = ActionResult()
        unused = sorted(k for k, v in subject.identities.items() if v and k not in ("email", "phone"))
        if unused:
            result.notes.append(f"Zendesk is searched by email and phone only; {', '.join(unused)} not used, "
                                "as they cannot single out one person")
        emails = {e.strip().lower() for e in subject.values("email") if e and e.strip()}
        phones = {_digits(p) for p in subject.values("phone") if _digits(p)}
        candidates: dict[int, dict] = {}
        for kind, values in (("email", subject.values("email")), ("phone", subject.values("phone"))):
            for value in dict.fromkeys(v.strip() for v in values if v and v.strip()):
                for user in self._pages(http, "/users/search.json", "users", {"query": f"{kind}:{_quoted(value)}"}):
                    candidates.setdefault(user["id"], user)
        users, loose = [], 0
        for user in candidates.values():
            if self._matches(http, user, emails, phones):
                users.append(user)
            else:
                loose += 1
        if loose:
            result.notes.append(f"{loose} Zendesk user(s) the search returned have no identity equal to the "
                                "subject's and were left alone")
        return users, result

    def _matches(self, http: VendorHttp, user: dict, emails: set[str], phones: set[str]) -> bool:
        if (user.get("email") or "").lower() in emails or (phones and _digits(user.get("phone")) in phones):
            return True
        for identity in self._pages(http, f"/users/{user['id']}/identities.json", "identities"):
            value = str(identity.get("value") or "")
            if identity.get("type") == "email" and value.lower() in emails:
                return True
            if identity.get("type") == "phone_number" and phones and _digits(value) in phones:
                return True
        return False

    def _requested(self, http: VendorHttp, user_id) -> list[dict]:
        return list(self._pages(http, f"/users/{user_id}/tickets/requested.json", "tickets"))

    # -- changing ------------------------------------------------------------------------
    def _user_changes(self, user: dict, corrections: dict) -> tuple[dict, str | None, set[str]]:
        """(the PUT /users body's user, a new email or None, correction keys with no field)."""
        changes: dict = {}
        email, skipped = None, set()
        own_fields = user.get("user_fields") or {}
        for key, value in corrections.items():
            name = _key(key)
            if name == "email":
                email = str(value).strip()
            elif name in ("name", "phone") or name in USER_ATTRIBUTES:
                changes[name] = value
            elif name in own_fields:
                changes.setdefault("user_fields", {})[name] = value
            else:
                skipped.add(str(key))
        return changes, email, skipped

    def _email_identity(self, http: VendorHttp, user: dict, known: list[str]) -> dict | None:
        """The email identity to correct: the one the request names, else the primary one."""
        known = {k.strip().lower() for k in known if k}
        identities = [i for i in self._pages(http, f"/users/{user['id']}/identities.json", "identities")
                      if i.get("type") == "email"]
        for identity in identities:
            if str(identity.get("value") or "").lower() in known:
                return identity
        return next((i for i in identities if i.get("primary")), None)

    def _erase_tickets(self, http: VendorHttp, ids: list, result: ActionResult) -> list:
        """Soft-delete then purge up to 100 tickets, reporting each as far as Zendesk confirmed;
        the ids Zendesk refused to delete."""
        joined = ",".join(str(i) for i in ids)
        answer = http.json("DELETE", "/tickets/destroy_many.json", params={"ids": joined})
        deleted, pending = self._job_outcome(http, answer, ids)
        refused = [i for i in ids if i not in deleted and i not in pending]
        for ticket_id in pending:
            result.add("ticket", ticket_id, ERASURE_SCHEDULED,
                       f"Zendesk queued the deletion but had not done it after {self.settings['job_wait']:g} s; "
                       + PURGE_DELAY)
        if deleted:
            self._purge_tickets(http, deleted, result)
        return refused

    def _purge_tickets(self, http: VendorHttp, deleted: list, result: ActionResult) -> None:
        answer = http.json("DELETE", "/deleted_tickets/destroy_many.json",
                           params={"ids": ",".join(str(i) for i in deleted)})
        purged, _ = self._job_outcome(http, answer, deleted)
        for ticket_id in deleted:
            if ticket_id in purged:
                result.add("ticket", ticket_id, ERASED, "deleted and permanently deleted")
            else:
                result.add("ticket", ticket_id, ERASURE_SCHEDULED,
                           "deleted; the permanent deletion was not confirmed; " + PURGE_DELAY)

    def _job_outcome(self, http: VendorHttp, answer: dict | None, ids: list) -> tuple[list, list]:
        """(ids done, ids still pending) of a bulk call; Zendesk may answer with a queued job."""
        job = (answer or {}).get("job_status")
        if not job:
            return list(ids), []
        deadline = time.monotonic() + self.settings["job_wait"]
        pause = 0.1
        while job.get("status") not in ("completed", "failed", "killed"):
            if time.monotonic() >= deadline:
                return [], list(ids)
            time.sleep(pause)
            pause = min(pause * 2, 2.0)
            job = (http.json("GET", f"/job_statuses/{job['id']}.json") or {}).get("job_status") or {}
        if job.get("status") != "completed":
            return [], []
        results = [r for r in job.get("results") or [] if isinstance(r, dict)]
        if not any("id" in r for r in results):
            return list(ids), []   # a completed job that does not itemise its work did all of it
        # When the job itemises its work, an id it does not report as done is not done.
        done = {str(r["id"]) for r in results
                if "id" in r and r.get("success", True) and not r.get("error") and not r.get("errors")}
        return [i for i in ids if str(i) in done], []


def _key(key) -> str:
    return re.sub(r"[\s-]+", "_", str(key).strip().lower())


def _digits(value) -> str:
    return re.sub(r"\D", "", str(value or ""))


def _quoted(value: str) -> str:
    """A search term: quoted when it has spaces, so `phone:+33 6 12` stays one term."""
    return f'"{value}"' if re.search(r"\s", value) else value


def _error_message(response) -> str:
    body = response.json()
    error = body.get("error")
    if isinstance(error, dict):   # {"error": {"title": …, "message": …}}
        return f"{error.get('title', '')}: {error.get('message', '')}".strip(": ")
    description = body.get("description") or ""
    return f"{error}: {description}" if error and description else str(error or description or body)[:300]
