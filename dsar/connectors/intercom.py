"""Intercom chat: find a data subject's contacts (users and leads) by email, phone or
external id, export them with their notes and conversations, rectify them, stop
marketing email to them, restrict them with a custom attribute, and erase them with a
GDPR deletion request (connectors.md, "Intercom").

Settings (besides `base_url`: `https://api.intercom.io`, or `https://api.eu.intercom.io`
/ `https://api.au.intercom.io` for workspaces hosted there, `rate_limit`, `timeout`):

- `access_token`: `{env: VAR}`, sent as `Authorization: Bearer …`;
- `intercom_version`: the `Intercom-Version` header (default "2.11"), so the answers'
  shape does not change with the workspace's default version;
- `restrict_attribute`: the name of a boolean custom attribute (created beforehand in
  Intercom) that `restrict` sets to true. Intercom has no restriction of its own, so
  without it `restrict` answers not_supported.

Erasure uses `POST /user_delete_requests`: Intercom hard-deletes the contact within 90
days and it cannot be undone, so it is reported `erasure_scheduled`. (`DELETE
/contacts/{id}` keeps a recovery window and archiving keeps everything: neither is used.)
"""
from __future__ import annotations

from marshmallow import fields, validate

from dsar.connectors import register
from dsar.connectors.base import (ERASURE_SCHEDULED, EXPORTED, FOUND, NOT_FOUND, RECTIFIED, RESTRICTED,
                                  SUPPRESSED, ActionResult, Connector, EnvRef, HttpSettings, Subject)
from dsar.connectors.http import VendorHttp

PER_PAGE = 50
# The identity kinds Intercom can search on, and the contact field each one is.
SEARCHED = (("email", "email"), ("phone", "phone"), ("customer_id", "external_id"))
# Corrections that map onto a contact's own fields.
CONTACT_FIELDS = ("name", "email", "phone")


class IntercomSettings(HttpSettings):
    access_token = EnvRef(required=True)
    intercom_version = fields.String(load_default="2.11", validate=validate.Regexp(
        r"^(\d+\.\d+|Unstable)$", error="an Intercom API version such as 2.11"))
    restrict_attribute = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1))


@register
class Intercom(Connector):
    type = "intercom"
    Settings = IntercomSettings
    capabilities = frozenset({"access", "export", "erase", "rectify", "restrict", "suppress", "discover"})

    # -- the actions ---------------------------------------------------------------------
    def access(self, subject: Subject) -> ActionResult:
        return self._collect(subject, with_data=False)

    def export(self, subject: Subject) -> ActionResult:
        return self._collect(subject, with_data=True)

    def discover(self, identities: dict[str, list[str]]) -> bool:
        return bool(self._find(self._http(), identities))

    def rectify(self, subject: Subject) -> ActionResult:
        corrections = dict(subject.corrections or {})
        http = self._http()
        contacts = self._find(http, subject.identities) if corrections else {}
        # A custom attribute the workspace has (seen on the contacts) can be corrected too.
        attributes = {name for contact in contacts.values() for name in (contact.get("custom_attributes") or {})}
        applicable = {k: v for k, v in corrections.items() if k in CONTACT_FIELDS or k in attributes}
        unmapped = sorted(set(corrections) - set(applicable))
        if not applicable:
            return ActionResult.not_supported(
                f"Intercom cannot apply these corrections automatically ({', '.join(unmapped) or 'nothing'}): "
                "they are not contact fields (name, email, phone or a custom attribute); apply them by hand")
        result = ActionResult(notes=self._search_notes(subject))
        if unmapped:
            result.notes.append(f"not applied (no matching Intercom contact field): {', '.join(unmapped)}")
        for cid, contact in contacts.items():
            body = {k: v for k, v in applicable.items() if k in CONTACT_FIELDS and contact.get(k) != v}
            custom = {k: v for k, v in applicable.items() if k not in CONTACT_FIELDS
                      and (contact.get("custom_attributes") or {}).get(k) != v}
            if custom:
                body["custom_attributes"] = custom
            if not body:
                result.add("contact", cid, RECTIFIED, "already held the corrected values")
                continue
            if http.json("PUT", f"/contacts/{cid}", json=body, allow_404=True) is None:
                result.add("contact", cid, NOT_FOUND, "deleted since the search")
                continue
            changed = [k for k in body if k != "custom_attributes"] + [f"custom attribute {k}" for k in custom]
            result.add("contact", cid, RECTIFIED, "changed: " + ", ".join(changed))
        return result

    def suppress(self, subject: Subject) -> ActionResult:
        """An objection to marketing: unsubscribe the contacts from email."""
        http = self._http()
        result = ActionResult(notes=self._search_notes(subject))
        for cid, contact in self._find(http, subject.identities).items():
            if contact.get("unsubscribed_from_emails") is True:
                result.add("contact", cid, SUPPRESSED, "was already unsubscribed from emails")
                continue
            if http.json("PUT", f"/contacts/{cid}", json={"unsubscribed_from_emails": True}, allow_404=True) is None:
                result.add("contact", cid, NOT_FOUND, "deleted since the search")
                continue
            result.add("contact", cid, SUPPRESSED, "unsubscribed from emails")
        if result.records:
            result.notes.append("Intercom stops its outbound emails to these contacts; chat messages a "
                                "contact starts are still answered")
        return result

    def restrict(self, subject: Subject) -> ActionResult:
        attribute = self.settings.get("restrict_attribute")
        if not attribute:
            return ActionResult.not_supported(
                "Intercom has no restriction of its own: set `restrict_attribute` (a boolean custom "
                "attribute of contacts) in this system's settings to mark restricted contacts")
        http = self._http()
        result = ActionResult(notes=self._search_notes(subject))
        for cid in self._find(http, subject.identities):
            answer = http.json("PUT", f"/contacts/{cid}", json={"custom_attributes": {attribute: True}},
                               allow_404=True)
            if answer is None:
                result.add("contact", cid, NOT_FOUND, "deleted since the search")
                continue
            result.add("contact", cid, RESTRICTED, f"custom attribute {attribute} set to true")
        return result

    def erase(self, subject: Subject) -> ActionResult:
        http = self._http()
        result = ActionResult(notes=self._search_notes(subject))
        for cid in self._find(http, subject.identities):
            answer = http.json("POST", "/user_delete_requests", json={"intercom_user_id": cid}, allow_404=True)
            if answer is None:
                result.add("contact", cid, NOT_FOUND, "already deleted")
                continue
            request_id = (answer or {}).get("id")
            result.add("contact", cid, ERASURE_SCHEDULED,
                       f"Intercom deletion request {request_id}: the contact is hard-deleted within 90 days, "
                       "irreversibly")
        return result

    # -- finding -------------------------------------------------------------------------
    def _collect(self, subject: Subject, *, with_data: bool) -> ActionResult:
        """The contacts, their notes and their conversations: with their content for an export."""
        http = self._http()
        result = ActionResult(notes=self._search_notes(subject))
        outcome = EXPORTED if with_data else FOUND
        seen: set[tuple[str, str]] = set()
        for cid, contact in self._find(http, subject.identities).items():
            result.add("contact", cid, outcome, contact.get("role") or "", data=contact if with_data else None)
            for note in self._notes(http, cid):
                if ("note", str(note.get("id"))) not in seen:
                    seen.add(("note", str(note.get("id"))))
                    result.add("note", note.get("id"), outcome, f"about contact {cid}",
                               data=note if with_data else None)
            for conversation in self._conversations(http, cid):
                key = ("conversation", str(conversation.get("id")))
                if key in seen:
                    continue
                seen.add(key)
                data = None
                if with_data:
                    # The search answers without the conversation's parts (its messages): read each one.
                    full = http.json("GET", f"/conversations/{conversation['id']}",
                                     params={"display_as": "plaintext"}, allow_404=True)
                    data = full or conversation
                result.add("conversation", conversation.get("id"), outcome, f"with contact {cid}", data=data)
        return result

    def _find(self, http: VendorHttp, identities: dict[str, list[str]]) -> dict[str, dict]:
        """The contacts matching any searchable identity, by id (one found twice counts once)."""
        contacts: dict[str, dict] = {}
        for kind, field in SEARCHED:
            for value in identities.get(kind, ()):
                if not (value and value.strip()):
                    continue
                query = {"field": field, "operator": "=", "value": value.strip()}
                for contact in self._search(http, "/contacts/search", query, "data"):
                    if field == "email" and (contact.get("email") or "").lower() != value.strip().lower():
                        continue  # erasing someone else cannot be undone: check what the search matched
                    contacts.setdefault(str(contact["id"]), contact)
        return contacts

    def _search(self, http: VendorHttp, path: str, query: dict, key: str):
        """Every page of a search (cursor pagination: pages.next.starting_after)."""
        after, seen = None, set()
        while True:
            pagination = {"per_page": PER_PAGE, **({"starting_after": after} if after else {})}
            body = http.json("POST", path, json={"query": query, "pagination": pagination}) or {}
            yield from (item for item in body.get(key) or [] if item.get("id") is not None)
            following = (body.get("pages") or {}).get("next")
            after = following.get("starting_after") if isinstance(following, dict) else None
            if not after or after in seen:
                return
            seen.add(after)

    def _notes(self, http: VendorHttp, cid: str):
        """A contact's notes, every page (page-number pagination)."""
        page = 1
        while True:
            body = http.json("GET", f"/contacts/{cid}/notes", params={"page": page, "per_page": PER_PAGE},
                             allow_404=True)
            if body is None:
                return
            notes = body.get("data") or []
            yield from notes
            pages = body.get("pages") or {}
            total = pages.get("total_pages")
            more = page < total if isinstance(total, int) else bool(pages.get("next"))
            if not more or not notes:
                return
            page += 1

    def _conversations(self, http: VendorHttp, cid: str):
        query = {"field": "contact_ids", "operator": "=", "value": cid}
        return self._search(http, "/conversations/search", query, "conversations")

    def _search_notes(self, subject: Subject) -> list[str]:
        if subject.values("name") and not any(subject.values(kind) for kind, _ in SEARCHED):
            return ["Intercom was not searched: only a name was given, and a name alone does not "
                    "identify one person; give an email address, a phone number or a customer id"]
        return []

    def _http(self) -> VendorHttp:
        settings = self.settings
        headers = {"Authorization": f"Bearer {self.secret('access_token')}", "Accept": "application/json",
                   "Intercom-Version": settings["intercom_version"]}
        return VendorHttp(self.system_id, settings["base_url"], headers, timeout=settings["timeout"],
                          rate_per_second=settings.get("rate_limit"), error_message=_error_message,
                          reset_header="X-RateLimit-Reset", reset_is_epoch=True)


def _error_message(response) -> str:
    body = response.json()
    errors = body.get("errors") or []
    return "; ".join(f"{e.get('code')}: {e.get('message')}" if e.get("message") else str(e.get("code"))
                     for e in errors if isinstance(e, dict)) or response.text[:300]
