"""HubSpot (CRM v3): a person's contacts, found by email, exported, corrected, flagged
for restriction or objection to marketing, and erased with HubSpot's GDPR delete.

Contract: connectors.md, "HubSpot". Only email is searched: a name matches strangers
and HubSpot's phone values are free text, so acting on either could touch someone
else's contact. Erasure deletes by the contact ids found, never by email: HubSpot adds
an email that matches no contact to a blocklist.
"""
from __future__ import annotations

import re

from marshmallow import fields, validate

from dsar.connectors import register
from dsar.connectors.base import (ERASED, ERASURE_SCHEDULED, EXPORTED, FOUND, NOT_FOUND, NOT_SUPPORTED,
                                  RECTIFIED, RESTRICTED, SUPPRESSED, ActionResult, Connector,
                                  ConnectorError, EnvRef, HttpSettings, Subject)
from dsar.connectors.http import VendorHttp

SEARCH = "/crm/v3/objects/contacts/search"
CONTACT = "/crm/v3/objects/contacts/{id}"
GDPR_DELETE = "/crm/v3/objects/contacts/gdpr-delete"
PROPERTY = "/crm/v3/properties/contacts/{name}"

# HubSpot's search endpoints allow 4 calls a second per token (its changelog); with no
# `rate_limit` in the register we stay under that for every call of the system.
SEARCH_RATE = 4.0
PAGE_LIMIT = 100

# The standard contact properties a search asks for; HubSpot returns only the
# properties asked for. `properties` in the register adds the account's own.
STANDARD_PROPERTIES = ("email", "firstname", "lastname", "phone", "mobilephone", "company", "jobtitle",
                       "address", "city", "zip", "state", "country", "website", "hs_language",
                       "lifecyclestage", "hs_marketable_status", "createdate", "lastmodifieddate")
PROPERTY_NAME = r"^[a-z][a-z0-9_]*$"

# Correction keys that are the subject's own words, not a field: staff apply them.
FREE_TEXT = frozenset({"requested", "text"})
# Correction keys in dsar's or common words, to HubSpot's property names.
ALIASES = {"first_name": "firstname", "given_name": "firstname", "last_name": "lastname",
           "surname": "lastname", "family_name": "lastname", "mobile": "mobilephone",
           "mobile_phone": "mobilephone", "postal_code": "zip", "postcode": "zip", "job_title": "jobtitle"}


# EnvRef's own message has bare braces that marshmallow's str.format chokes on (a
# KeyError instead of a validation error); this one is escaped.
ENV_REF_ERROR = {"invalid": "must be an environment reference: {{env: VARIABLE_NAME}}"}


class HubSpotSettings(HttpSettings):
    access_token = EnvRef(required=True, error_messages=ENV_REF_ERROR)
    # The contact property that marks a restricted contact (for example a custom
    # `dsar_restricted` checkbox), and the value restriction sets.
    restrict_property = fields.String(load_default=None, validate=validate.Regexp(
        PROPERTY_NAME, error="a HubSpot property's internal name: lowercase letters, digits, underscores"))
    restrict_value = fields.String(load_default="true")
    # The contact property that records an objection to marketing, and its value.
    suppress_property = fields.String(load_default=None, validate=validate.Regexp(
        PROPERTY_NAME, error="a HubSpot property's internal name: lowercase letters, digits, underscores"))
    suppress_value = fields.String(load_default="true")
    # More properties to export than the standard ones (the account's custom properties).
    properties = fields.List(fields.String(validate=validate.Regexp(
        PROPERTY_NAME, error="a HubSpot property's internal name: lowercase letters, digits, underscores")),
        load_default=list)


@register
class HubSpotConnector(Connector):
    type = "hubspot"
    Settings = HubSpotSettings
    capabilities = frozenset({"access", "export", "erase", "rectify", "restrict", "suppress", "discover"})

    # -- actions -------------------------------------------------------------------------
    def access(self, subject: Subject) -> ActionResult:
        contacts, result = self._find(self._http(), subject)
        for contact in contacts:
            result.add("contact", contact["id"], FOUND)
        return result

    def export(self, subject: Subject) -> ActionResult:
        contacts, result = self._find(self._http(), subject)
        for contact in contacts:
            data = {"id": str(contact["id"]),
                    "properties": {k: v for k, v in (contact.get("properties") or {}).items() if v not in (None, "")},
                    "createdAt": contact.get("createdAt"), "updatedAt": contact.get("updatedAt"),
                    "archived": contact.get("archived", False)}
            result.add("contact", contact["id"], EXPORTED, data=data)
        return result

    def rectify(self, subject: Subject) -> ActionResult:
        if not subject.corrections:
            return ActionResult.not_supported("no corrections were given")
        http = self._http()
        properties, unmapped, free_text = self._properties_for(http, subject.corrections)
        contacts, result = self._find(http, subject)
        if unmapped:
            result.notes.append("not applied, no such HubSpot contact property: " + ", ".join(sorted(unmapped)))
        if not properties:
            reason = ("the correction is in the subject's own words (" + ", ".join(sorted(free_text)) + "): "
                      "staff must apply it in HubSpot by hand") if free_text else \
                "none of the corrections names a HubSpot contact property"
            result.notes.append(reason)
            for contact in contacts:
                result.add("contact", contact["id"], FOUND)
            if contacts:
                result.outcome = NOT_SUPPORTED
            return result
        if free_text:
            result.notes.append("the subject's own words (" + ", ".join(sorted(free_text)) + ") were not applied: "
                                "staff must read them")
        for contact in contacts:
            http.call("PATCH", CONTACT.format(id=contact["id"]), json={"properties": properties})
            result.add("contact", contact["id"], RECTIFIED, "set " + ", ".join(sorted(properties)))
        return result

    def restrict(self, subject: Subject) -> ActionResult:
        return self._flag(subject, "restrict", RESTRICTED, "a restricted contact")

    def suppress(self, subject: Subject) -> ActionResult:
        return self._flag(subject, "suppress", SUPPRESSED,
                          "an objection to marketing (HubSpot's email unsubscription goes through the "
                          "communication-preferences API, which this connector does not call)")

    def erase(self, subject: Subject) -> ActionResult:
        http = self._http()
        contacts, result = self._find(http, subject)
        for contact in contacts:
            contact_id = str(contact["id"])
            # By id only: a GDPR delete by email blocklists an address that matches nothing.
            if http.call("POST", GDPR_DELETE, json={"objectId": contact_id}, allow_404=True) is None:
                result.add("contact", contact_id, NOT_FOUND, "already gone when the GDPR delete was sent")
                continue
            # HubSpot answers 204 once it accepts the delete; reading the contact back tells
            # whether it is gone now or still pending on HubSpot's side.
            if http.call("GET", CONTACT.format(id=contact_id), allow_404=True) is None:
                result.add("contact", contact_id, ERASED, "permanently deleted with HubSpot's GDPR delete")
            else:
                result.add("contact", contact_id, ERASURE_SCHEDULED,
                           "HubSpot accepted the GDPR delete but the contact could still be read just after; "
                           "HubSpot completes it later")
        return result

    def discover(self, identities: dict[str, list[str]]) -> bool:
        http = self._http()
        for email in _emails(identities.get("email") or ()):
            page = http.json("POST", SEARCH, json={"filterGroups": _email_filter(email),
                                                   "properties": ["email"], "limit": 1}) or {}
            if page.get("results"):
                return True
        return False

    # -- helpers -------------------------------------------------------------------------
    def _http(self) -> VendorHttp:
        settings = self.settings
        return VendorHttp(self.system_id, settings["base_url"],
                          {"Authorization": f"Bearer {self.secret('access_token')}", "Accept": "application/json"},
                          timeout=settings["timeout"], rate_per_second=settings.get("rate_limit") or SEARCH_RATE,
                          error_message=_error_message)

    def _wanted_properties(self) -> list[str]:
        extra = [self.settings.get("restrict_property"), self.settings.get("suppress_property"),
                 *self.settings.get("properties", ())]
        return list(dict.fromkeys([*STANDARD_PROPERTIES, *(p for p in extra if p)]))

    def _find(self, http: VendorHttp, subject: Subject) -> tuple[list[dict], ActionResult]:
        """The contacts whose email is one of the subject's, each once, every page read."""
        result = ActionResult()
        unused = sorted(kind for kind, values in subject.identities.items() if values and kind != "email")
        if unused:
            result.notes.append(f"HubSpot is searched by email only; {', '.join(unused)} not used, "
                                "as they cannot single out one person's contact")
        found: dict[str, dict] = {}
        properties = self._wanted_properties()
        for email in _emails(subject.values("email")):
            after, seen = None, set()
            while True:
                body = {"filterGroups": _email_filter(email), "properties": properties, "limit": PAGE_LIMIT}
                if after:
                    body["after"] = after
                page = http.json("POST", SEARCH, json=body) or {}
                for contact in page.get("results") or []:
                    found.setdefault(str(contact["id"]), contact)
                after = ((page.get("paging") or {}).get("next") or {}).get("after")
                if not after:
                    break
                if after in seen:
                    raise ConnectorError("HubSpot's contact search returned the same page cursor twice")
                seen.add(after)
        return list(found.values()), result

    def _properties_for(self, http: VendorHttp, corrections: dict) -> tuple[dict, set, set]:
        """(HubSpot properties to set, correction keys with no such property, free-text keys)."""
        properties: dict[str, str] = {}
        unmapped, free_text = set(), set()
        # A whole name first, so a first or last name given on its own overrides its part.
        for key, value in sorted(corrections.items(), key=lambda item: _key(item[0]) != "name"):
            name = _key(key)
            if name in FREE_TEXT:
                free_text.add(str(key))
            elif name == "name":
                properties["firstname"], properties["lastname"] = split_name(value)
            elif name in STANDARD_PROPERTIES or self._property_exists(http, name):
                properties[name] = _text(value)
            else:
                unmapped.add(str(key))
        return properties, unmapped, free_text

    def _property_exists(self, http: VendorHttp, name: str) -> bool:
        if not re.match(PROPERTY_NAME, name):
            return False
        return http.call("GET", PROPERTY.format(name=name), allow_404=True) is not None

    def _flag(self, subject: Subject, action: str, outcome: str, meaning: str) -> ActionResult:
        prop, value = self.settings.get(f"{action}_property"), self.settings[f"{action}_value"]
        if not prop:
            return ActionResult.not_supported(
                f"no {action}_property is set for this system in the register: name the HubSpot contact "
                f"property that records {meaning}")
        http = self._http()
        contacts, result = self._find(http, subject)
        for contact in contacts:
            if (contact.get("properties") or {}).get(prop) == value:
                result.add("contact", contact["id"], outcome, f"{prop} was already {value}")
                continue
            http.call("PATCH", CONTACT.format(id=contact["id"]), json={"properties": {prop: value}})
            result.add("contact", contact["id"], outcome, f"set {prop} to {value}")
        return result


def split_name(full) -> tuple[str, str]:
    """(firstname, lastname): the last word is the last name, the rest the first name."""
    words = " ".join(str(full or "").split())
    first, _, last = words.rpartition(" ")
    return (first, last) if first else (last, "")


def _key(key) -> str:
    """A correction key as a HubSpot property name ("First name" -> firstname via ALIASES)."""
    name = re.sub(r"[\s-]+", "_", str(key).strip().lower())
    return ALIASES.get(name, name)


def _emails(values) -> list[str]:
    return list(dict.fromkeys(v.strip().lower() for v in values if v and v.strip()))


def _email_filter(email: str) -> list[dict]:
    return [{"filters": [{"propertyName": "email", "operator": "EQ", "value": email}]}]


def _text(value) -> str:
    """HubSpot property values are strings; an empty string clears the property."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _error_message(response) -> str:
    body = response.json()
    message, category = body.get("message") or "", body.get("category") or body.get("errorType") or ""
    return f"{message} ({category})" if category else message
