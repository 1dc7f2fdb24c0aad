"""Pipedrive CRM: find a data subject's persons by email or phone, export them with the
deals, activities, mail messages and files linked to them, rectify them, restrict them
with a custom field, and erase them (connectors.md, "Pipedrive").

Settings (besides `base_url`, e.g. `https://septeo-example.pipedrive.com/api`,
`rate_limit` and `timeout`):

- `api_token`: `{env: VAR}`, sent as the `x-api-token` header;
- `restrict_field`: the key of a person custom field (Pipedrive's 40-character hash)
  that marks a person as restricted; `restrict` sets it to `restrict_value` (default
  "restricted"). Pipedrive has no restriction flag of its own, so without this setting
  `restrict` answers not_supported;
- `erase_related`: any of `deals`, `activities`, `files`: when erasing a person, also
  delete those entities linked to it (they are separate entities in Pipedrive and
  survive the person otherwise).

Pipedrive marks a deleted person (deal, activity, file) as deleted and purges it 30 days
later, so an erasure is reported `erasure_scheduled` with that date.
"""
from __future__ import annotations

import re
from datetime import timedelta

from marshmallow import fields, validate

from dsar.connectors import register
from dsar.connectors.base import (ERASURE_SCHEDULED, EXPORTED, FOUND, NOT_FOUND, RECTIFIED, RESTRICTED,
                                  ActionResult, Connector, ConnectorError, EnvRef, HttpSettings, Subject)
from dsar.connectors.http import VendorHttp, utc_now

PAGE = 100          # items asked per page; the vendor may answer fewer
PURGE_DAYS = 30     # Pipedrive purges deleted items 30 days after the deletion

# The entities linked to a person: v1 list path, record kind, and how to delete one
# (None: the API offers no way to delete it on its own).
RELATED = (
    ("deals", "deal", "/v2/deals/{id}"),
    ("activities", "activity", "/v2/activities/{id}"),
    ("mailMessages", "mail message", None),
    ("files", "file", "/v1/files/{id}"),
)
ERASABLE = tuple(path for path, _, delete in RELATED if delete)

# Corrections that map onto a person's own fields; a custom field's key is a 40-hex hash.
PLAIN_FIELDS = ("name", "first_name", "last_name")
CUSTOM_FIELD_KEY = re.compile(r"^[0-9a-f]{40}$")


class PipedriveSettings(HttpSettings):
    api_token = EnvRef(required=True)
    restrict_field = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1))
    restrict_value = fields.String(load_default="restricted", validate=validate.Length(min=1))
    erase_related = fields.List(fields.String(validate=validate.OneOf(ERASABLE)), load_default=list)


@register
class Pipedrive(Connector):
    type = "pipedrive"
    Settings = PipedriveSettings
    capabilities = frozenset({"access", "export", "erase", "rectify", "restrict", "discover"})

    # -- the actions ---------------------------------------------------------------------
    def access(self, subject: Subject) -> ActionResult:
        return self._collect(subject, with_data=False)

    def export(self, subject: Subject) -> ActionResult:
        return self._collect(subject, with_data=True)

    def discover(self, identities: dict[str, list[str]]) -> bool:
        return bool(self._find(self._http(), identities))

    def rectify(self, subject: Subject) -> ActionResult:
        corrections = dict(subject.corrections or {})
        applicable = {k: v for k, v in corrections.items()
                      if k in PLAIN_FIELDS or k in ("email", "phone") or CUSTOM_FIELD_KEY.match(str(k))}
        unmapped = sorted(set(corrections) - set(applicable))
        if not applicable:
            what = ", ".join(unmapped) or "nothing"
            return ActionResult.not_supported(
                f"Pipedrive cannot apply these corrections automatically ({what}): they are not person "
                "fields (name, email, phone, first_name, last_name or a custom field key); apply them by hand")
        http = self._http()
        result = ActionResult(notes=self._search_notes(subject))
        if unmapped:
            result.notes.append(f"not applied (no matching Pipedrive person field): {', '.join(unmapped)}")
        for pid in self._find(http, subject.identities):
            body = http.json("GET", f"/v2/persons/{pid}", allow_404=True)
            person = (body or {}).get("data")
            if not person:
                result.add("person", pid, NOT_FOUND, "deleted since the search")
                continue
            patch = _patch_for(person, applicable, subject)
            if not patch:
                result.add("person", pid, RECTIFIED, "already held the corrected values")
                continue
            answer = http.json("PATCH", f"/v2/persons/{pid}", json=patch, allow_404=True)
            if answer is None:
                result.add("person", pid, NOT_FOUND, "deleted since the search")
                continue
            _confirmed(answer, f"PATCH /v2/persons/{pid}")
            result.add("person", pid, RECTIFIED, "changed: " + ", ".join(sorted(_changed_fields(patch))))
        return result

    def restrict(self, subject: Subject) -> ActionResult:
        key = self.settings.get("restrict_field")
        if not key:
            return ActionResult.not_supported(
                "Pipedrive has no restriction flag of its own: set `restrict_field` (a person custom "
                "field key) in this system's settings to mark restricted persons")
        value = self.settings["restrict_value"]
        http = self._http()
        result = ActionResult(notes=self._search_notes(subject))
        for pid in self._find(http, subject.identities):
            answer = http.json("PATCH", f"/v2/persons/{pid}", json={"custom_fields": {key: value}}, allow_404=True)
            if answer is None:
                result.add("person", pid, NOT_FOUND, "deleted since the search")
                continue
            _confirmed(answer, f"PATCH /v2/persons/{pid}")
            result.add("person", pid, RESTRICTED, f"custom field {key} set to {value!r}")
        return result

    def erase(self, subject: Subject) -> ActionResult:
        http = self._http()
        result = ActionResult(notes=self._search_notes(subject))
        purge = (utc_now() + timedelta(days=PURGE_DAYS)).date().isoformat()
        scheduled = f"marked deleted; Pipedrive deletes it permanently {PURGE_DAYS} days later, on {purge}"
        wanted = set(self.settings.get("erase_related") or ())
        persons = self._find(http, subject.identities)
        seen: set[tuple[str, str]] = set()
        for pid in persons:
            # The linked entities first: once the person is deleted they no longer list under it.
            for path, kind, delete in RELATED:
                if path not in wanted:
                    continue
                # List to the end before deleting: deleting shifts the later pages' offsets.
                for entry in list(self._related(http, pid, path)):
                    rid = _entity_id(entry)
                    if rid is None or (kind, rid) in seen:
                        continue
                    seen.add((kind, rid))
                    answer = http.json("DELETE", delete.format(id=rid), allow_404=True)
                    if answer is None:
                        result.add(kind, rid, NOT_FOUND, "already deleted")
                        continue
                    _confirmed(answer, f"DELETE {delete.format(id=rid)}")
                    result.add(kind, rid, ERASURE_SCHEDULED, f"linked to person {pid}; {scheduled}")
            answer = http.json("DELETE", f"/v2/persons/{pid}", allow_404=True)
            if answer is None:
                result.add("person", pid, NOT_FOUND, "already deleted")
                continue
            _confirmed(answer, f"DELETE /v2/persons/{pid}")
            result.add("person", pid, ERASURE_SCHEDULED, scheduled)
        if persons:
            kept = [path for path, _, delete in RELATED if delete and path not in wanted]
            if kept:
                result.notes.append(f"linked {', '.join(kept)} are kept: this system's erase_related setting "
                                    "does not list them")
            result.notes.append("linked mail messages are kept: Pipedrive's API cannot delete one mail message "
                                "(they belong to the synced mailbox of the Pipedrive user)")
        return result

    # -- finding -------------------------------------------------------------------------
    def _collect(self, subject: Subject, *, with_data: bool) -> ActionResult:
        """The persons and everything linked to them: with their content for an export."""
        http = self._http()
        result = ActionResult(notes=self._search_notes(subject))
        outcome = EXPORTED if with_data else FOUND
        seen: set[tuple[str, str]] = set()
        for pid in self._find(http, subject.identities):
            if with_data:
                body = http.json("GET", f"/v2/persons/{pid}", allow_404=True)
                person = (body or {}).get("data")
                if not person:
                    result.add("person", pid, NOT_FOUND, "deleted since the search")
                    continue
                result.add("person", pid, EXPORTED, data=person)
            else:
                result.add("person", pid, FOUND)
            for path, kind, _ in RELATED:
                for entry in self._related(http, pid, path):
                    rid = _entity_id(entry)
                    if rid is None or (kind, rid) in seen:
                        continue
                    seen.add((kind, rid))
                    result.add(kind, rid, outcome, f"linked to person {pid}", data=entry if with_data else None)
        return result

    def _find(self, http: VendorHttp, identities: dict[str, list[str]]) -> dict[str, dict]:
        """The persons matching any email or phone, by id (a person found twice counts once)."""
        persons: dict[str, dict] = {}
        for kind in ("email", "phone"):
            for value in identities.get(kind, ()):
                if value and value.strip():
                    for item in self._search(http, kind, value.strip()):
                        persons.setdefault(str(item["id"]), item)
        return persons

    def _search(self, http: VendorHttp, field: str, value: str):
        cursor, seen = None, set()
        while True:
            params = {"term": value, "fields": field, "exact_match": "true", "limit": PAGE}
            if cursor:
                params["cursor"] = cursor
            body = http.json("GET", "/v2/persons/search", params=params) or {}
            for entry in (body.get("data") or {}).get("items") or []:
                item = entry.get("item") or {}
                # An exact email match is still checked here: erasing someone else is not undoable.
                if item.get("id") is not None and (field != "email" or _has_email(item, value)):
                    yield item
            cursor = (body.get("additional_data") or {}).get("next_cursor")
            if not cursor or cursor in seen:
                return
            seen.add(cursor)

    def _related(self, http: VendorHttp, pid: str, path: str):
        """One kind of entity linked to a person, every page (v1 start/limit pagination)."""
        start = 0
        while True:
            body = http.json("GET", f"/v1/persons/{pid}/{path}", params={"start": start, "limit": PAGE},
                             allow_404=True)
            if body is None:
                return
            items = body.get("data") or []
            yield from items
            pagination = (body.get("additional_data") or {}).get("pagination") or {}
            if not pagination.get("more_items_in_collection") or not items:
                return
            following = pagination.get("next_start")
            start = following if isinstance(following, int) and following > start else start + len(items)

    def _search_notes(self, subject: Subject) -> list[str]:
        if subject.values("name") and not (subject.values("email") or subject.values("phone")):
            return ["Pipedrive was not searched: only a name was given, and a name alone does not "
                    "identify one person; give an email address or a phone number"]
        return []

    def _http(self) -> VendorHttp:
        settings = self.settings
        return VendorHttp(self.system_id, settings["base_url"],
                          {"x-api-token": self.secret("api_token"), "Accept": "application/json"},
                          timeout=settings["timeout"], rate_per_second=settings.get("rate_limit"),
                          error_message=_error_message, reset_header="x-ratelimit-reset")


# -- helpers ---------------------------------------------------------------------------------
def _error_message(response) -> str:
    body = response.json()
    message = str(body.get("error") or "").strip()
    code = body.get("errorCode")
    return f"{message} (errorCode {code})" if code is not None else message


def _confirmed(answer: dict | None, where: str) -> None:
    """A 2xx whose body says success false is a refusal, not a confirmation."""
    if isinstance(answer, dict) and answer.get("success") is False:
        raise ConnectorError(f"{where}: Pipedrive refused: {answer.get('error') or 'no reason given'}")


def _entity_id(entry: dict) -> str | None:
    # mailMessages list entries wrap the message: {"object": "mailMessage", "data": {...}}
    if isinstance(entry.get("data"), dict) and entry.get("id") is None:
        entry = entry["data"]
    return None if entry.get("id") is None else str(entry["id"])


def _value(entry) -> str:
    return str(entry.get("value") if isinstance(entry, dict) else entry or "")


def _same_email(a: str, b: str) -> bool:
    return a.strip().lower() == b.strip().lower()


def _digits(phone: str) -> str:
    return re.sub(r"\D", "", phone)


def _same_phone(a: str, b: str) -> bool:
    a, b = _digits(a), _digits(b)
    # +33 6 12 34 56 78 and 06 12 34 56 78 are the same number: compare the last nine digits.
    return bool(a) and (a == b or (len(a) >= 9 and len(b) >= 9 and a[-9:] == b[-9:]))


def _has_email(item: dict, email: str) -> bool:
    emails = item.get("emails")
    if not emails:
        return True  # the search did not return the emails: trust its exact match
    return any(_same_email(_value(e), email) for e in emails)


def _replaced(entries, olds: list[str], new: str, same) -> list[dict]:
    """A person's emails or phones with the subject's old value replaced by the new one.

    The entry matching one of the subject's identities is replaced (keeping its label and
    primary flag); with none matching (the person was found by another identity), the
    primary one is. A new value already held is not added twice.
    """
    current = [dict(e) if isinstance(e, dict) else {"value": e, "primary": False, "label": "work"}
               for e in entries or []]
    matches = [i for i, e in enumerate(current) if any(same(_value(e), old) for old in olds)]
    holding_new = [i for i, e in enumerate(current) if same(_value(e), new)]
    if not matches:
        if holding_new:
            return current
        matches = [i for i, e in enumerate(current) if e.get("primary")][:1] or ([0] if current else [])
    if not matches:
        return [{"value": new, "primary": True, "label": "work"}]
    target = next((i for i in matches if current[i].get("primary")), matches[0])
    if holding_new:
        # The new value is already there: drop the old entry, handing on its primary flag.
        if current[target].get("primary"):
            current[holding_new[0]]["primary"] = True
        del current[target]
    else:
        current[target]["value"] = new
    return [{"value": _value(e), "primary": bool(e.get("primary")), "label": e.get("label") or "work"}
            for e in current]


def _patch_for(person: dict, corrections: dict, subject: Subject) -> dict:
    """The PATCH body that applies the corrections to this person (empty: nothing to change)."""
    patch: dict = {}
    for key in PLAIN_FIELDS:
        if key in corrections and person.get(key) != corrections[key]:
            patch[key] = corrections[key]
    for kind, field, same in (("email", "emails", _same_email), ("phone", "phones", _same_phone)):
        if kind in corrections:
            new = str(corrections[kind]).strip()
            updated = _replaced(person.get(field), subject.values(kind), new, same)
            before = [(_value(e), bool(e.get("primary"))) for e in person.get(field) or []
                      if isinstance(e, dict)]
            if [(e["value"], e["primary"]) for e in updated] != before:
                patch[field] = updated
    custom = {k: v for k, v in corrections.items() if CUSTOM_FIELD_KEY.match(str(k))
              and (person.get("custom_fields") or {}).get(k) != v}
    if custom:
        patch["custom_fields"] = custom
    return patch


def _changed_fields(patch: dict) -> list[str]:
    names = [k for k in patch if k != "custom_fields"]
    return names + [f"custom field {k}" for k in patch.get("custom_fields", {})]
