"""A local fake of HubSpot's CRM v3 contacts API (connectors.md, "HubSpot"): Bearer auth,
contact search with `after` paging, read one, PATCH, GDPR delete (by id, or by email
with HubSpot's blocklisting of an unknown address), property lookup, and HubSpot's error
and 429 shapes. Tests seed `contacts` with `add_contact` and read it back.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from tests.fakes.base import Call, FakeVendor, route

NOW = "2026-11-23T10:00:00.000Z"
KNOWN_PROPERTIES = {"email", "firstname", "lastname", "phone", "mobilephone", "company", "jobtitle", "address",
                    "city", "zip", "state", "country", "website", "hs_language", "lifecyclestage",
                    "hs_marketable_status", "createdate", "lastmodifieddate", "hs_object_id"}
DEFAULT_RETURNED = ("email", "firstname", "lastname", "createdate", "lastmodifieddate", "hs_object_id")


def error(status: int, message: str, category: str, **extra) -> tuple:
    return status, {"status": "error", "message": message, "correlationId": str(uuid.uuid4()),
                    "category": category, **extra}


@dataclass
class FakeHubSpot(FakeVendor):
    keep_on_reset = ("token",)
    contacts: dict[str, dict] = field(default_factory=dict)   # id -> {"id", "properties", ...}
    custom_properties: set[str] = field(default_factory=lambda: {"dsar_restricted", "dsar_no_marketing"})
    blocklist: list[str] = field(default_factory=list)        # emails GDPR-deleted that matched nothing
    gdpr_deleted: list[str] = field(default_factory=list)     # contact ids
    send_retry_after: bool = True                              # HubSpot may omit Retry-After on a 429
    still_readable_after_delete: bool = False                  # GDPR delete accepted but done later
    _next_id: int = 1000


    def add_contact(self, email: str, firstname: str = "", lastname: str = "", **properties) -> str:
        contact_id = str(self._next_id)
        self._next_id += 1
        props = {"email": email, "firstname": firstname, "lastname": lastname, "hs_object_id": contact_id,
                 "createdate": NOW, "lastmodifieddate": NOW, **properties}
        self.contacts[contact_id] = {"id": contact_id, "properties": props, "createdAt": NOW, "updatedAt": NOW,
                                     "archived": False}
        return contact_id

    # -- HubSpot's shapes ---------------------------------------------------------------
    def unauthorized(self) -> tuple:
        return error(401, "Authentication credentials not found. This API supports OAuth 2.0 authentication and "
                          "you can find more details at https://developers.hubspot.com/docs/methods/auth",
                     "INVALID_AUTHENTICATION")

    def not_found(self) -> tuple:
        return error(404, "resource not found", "OBJECT_NOT_FOUND")

    def rate_limited(self) -> tuple:
        status, body = error(429, "You have reached your secondly limit.", "RATE_LIMITS", errorType="RATE_LIMIT",
                             policyName="SECONDLY")
        headers = {"X-HubSpot-RateLimit-Interval-Milliseconds": "1000", "X-HubSpot-RateLimit-Max": "4",
                   "X-HubSpot-RateLimit-Remaining": "0"}
        if self.send_retry_after:
            headers["Retry-After"] = str(self.faults.retry_after)
        return status, body, headers

    def _view(self, contact: dict, wanted) -> dict:
        names = list(wanted or DEFAULT_RETURNED)
        return {**contact, "properties": {n: contact["properties"].get(n) for n in names}}

    # -- routes -------------------------------------------------------------------------
    @route("POST", r"/crm/v3/objects/contacts/search")
    def search(self, call: Call):
        body = call.body if isinstance(call.body, dict) else {}
        limit = body.get("limit", 10)
        if not isinstance(limit, int) or not 1 <= limit <= 200:
            return error(400, "limit must be between 1 and 200", "VALIDATION_ERROR")
        groups = body.get("filterGroups") or []

        def matches(contact):
            if not groups:
                return True
            properties = contact["properties"]
            for group in groups:  # groups are ORed, filters within a group ANDed
                if all(f.get("operator") == "EQ"
                       and str(properties.get(f.get("propertyName")) or "").lower() == str(f.get("value")).lower()
                       for f in group.get("filters") or []):
                    return True
            return False

        hits = sorted((c for c in self.contacts.values() if matches(c)), key=lambda c: int(c["id"]))
        try:
            start = int(body.get("after") or 0)
        except ValueError:
            return error(400, "after must be a number", "VALIDATION_ERROR")
        size = min(limit, self.page_size)
        page = hits[start:start + size]
        answer = {"total": len(hits), "results": [self._view(c, body.get("properties")) for c in page]}
        if start + size < len(hits):
            answer["paging"] = {"next": {"after": str(start + size), "link": "?after=" + str(start + size)}}
        return 200, answer

    @route("GET", r"/crm/v3/objects/contacts/(\d+)")
    def read(self, call: Call, contact_id: str):
        contact = self.contacts.get(contact_id)
        if contact is None:
            return self.not_found()
        wanted = [p for value in call.query.get("properties", []) for p in value.split(",") if p]
        return 200, self._view(contact, wanted)

    @route("PATCH", r"/crm/v3/objects/contacts/(\d+)")
    def update(self, call: Call, contact_id: str):
        contact = self.contacts.get(contact_id)
        if contact is None:
            return self.not_found()
        properties = (call.body or {}).get("properties") or {}
        unknown = [n for n in properties if n not in KNOWN_PROPERTIES | self.custom_properties]
        if unknown:
            return error(400, f"Property values were not valid: Property \"{unknown[0]}\" does not exist",
                         "VALIDATION_ERROR")
        if any(not isinstance(v, str) for v in properties.values()):
            return error(400, "Property values must be strings", "VALIDATION_ERROR")
        contact["properties"].update(properties)
        contact["updatedAt"] = contact["properties"]["lastmodifieddate"] = "2026-11-23T11:00:00.000Z"
        return 200, self._view(contact, list(contact["properties"]))

    @route("POST", r"/crm/v3/objects/contacts/gdpr-delete")
    def gdpr_delete(self, call: Call):
        body = call.body if isinstance(call.body, dict) else {}
        object_id = str(body.get("objectId") or "")
        if body.get("idProperty") == "email":
            ids = [i for i, c in self.contacts.items() if c["properties"].get("email", "").lower() == object_id.lower()]
            if not ids:
                self.blocklist.append(object_id.lower())
                return 204, b""
        else:
            if object_id not in self.contacts:
                return self.not_found()
            ids = [object_id]
        for contact_id in ids:
            self.gdpr_deleted.append(contact_id)
            if not self.still_readable_after_delete:
                del self.contacts[contact_id]
        return 204, b""

    @route("GET", r"/crm/v3/properties/contacts/([^/]+)")
    def property(self, call: Call, name: str):
        if name not in KNOWN_PROPERTIES | self.custom_properties:
            return error(404, f"Unable to find property {name}", "OBJECT_NOT_FOUND")
        return 200, {"name": name, "label": name, "type": "string", "fieldType": "text"}
