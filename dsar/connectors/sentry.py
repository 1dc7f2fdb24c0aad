"""Sentry: the error events of an application that carry a person's identifiers.

Sentry groups events into issues and keeps no per-person record (connectors.md,
"Sentry"). The connector finds the issues whose events carry the subject's email
(`user.email`), customer id (`user.id`) or IP address (`user.ip`) through the project's
issue search, following the `Link` header's cursor to the end; an export copies the
events of each issue that carry those identifiers, with their `user` block and tags.

Sentry cannot delete one person's events: the unit of deletion is the whole issue, with
everyone's events in it. So erasure is refused (with advice: Sentry's retention window
and server-side data scrubbing) unless the register allows `erase: delete_issues`; then
the issues are deleted and each is checked to be gone before it is reported erased.
Usernames are not searched: they are not unique to one person.

Settings: `base_url` (https://sentry.io/api/0 or a self-hosted URL), `organization`,
`project` (slugs), `auth_token` ({env: VAR}; scopes event:read, and event:admin to
delete), `erase` (absent, or "delete_issues").
"""
from __future__ import annotations

from collections.abc import Iterator

from marshmallow import fields, validate

from dsar.connectors import register
from dsar.connectors.base import (ERASED, EXPORTED, FOUND, NOT_FOUND, NOT_SUPPORTED, ActionResult, Connector,
                                  ConnectorError, EnvRef, HttpSettings, Subject)
from dsar.connectors.http import VendorHttp

# The subject's identity kinds and the issue-search key that finds each in events' `user`
# block. One place to change if Sentry's search keys differ.
SEARCH_KEYS = {"email": "user.email", "customer_id": "user.id", "ip_address": "user.ip"}
# Where each kind sits in an event's `user` block, and its prefix in the event's "user" tag.
USER_FIELDS = {"email": ("email", "email"), "customer_id": ("id", "id"), "ip_address": ("ip_address", "ip")}
DELETE_BATCH = 100  # issue ids per bulk delete, well under Sentry's bulk limit

NO_ERASE_ADVICE = (
    "Sentry cannot delete one person's events: it deletes whole issues, with other people's events in them. "
    "Rely on Sentry's retention window (90 days on sentry.io) and server-side data scrubbing (project "
    "settings, Security & Privacy) to stop storing identifiers; set erase: delete_issues in the register "
    "to delete the whole issues instead.")

_SLUG = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", error="a Sentry slug (letters, digits, _ . -)")


class SentrySettings(HttpSettings):
    organization = fields.Str(required=True, validate=_SLUG)
    project = fields.Str(required=True, validate=_SLUG)
    auth_token = EnvRef(required=True)
    erase = fields.Str(load_default=None, allow_none=True, validate=validate.OneOf(["delete_issues"]))


def _sentry_error(response) -> str:
    body = response.json()
    return str(body.get("detail") or body) if isinstance(body, dict) else str(body)


def _quote(value: str) -> str:
    """A search value, quoted so spaces or colons in it cannot change the query."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@register
class SentryConnector(Connector):
    type = "sentry"
    Settings = SentrySettings
    capabilities = frozenset({"access", "export", "erase", "discover"})

    def _http(self) -> VendorHttp:
        return VendorHttp(self.system_id, self.settings["base_url"],
                          {"Authorization": f"Bearer {self.secret('auth_token')}", "Accept": "application/json"},
                          timeout=self.settings["timeout"], rate_per_second=self.settings["rate_limit"],
                          error_message=_sentry_error,
                          reset_header="X-Sentry-Rate-Limit-Reset", reset_is_epoch=True)

    @property
    def _project_path(self) -> str:
        return f"/projects/{self.settings['organization']}/{self.settings['project']}"

    def _pages(self, http: VendorHttp, path: str, params: dict, allow_404: bool = False) -> Iterator[list]:
        """Each page of a Link-paginated list, to the end. The cursor is sent to our own base
        URL rather than following the link's URL, so the token never goes to another host."""
        cursor = None
        while True:
            response = http.call("GET", path, params={**params, **({"cursor": cursor} if cursor else {})},
                                 allow_404=allow_404)
            if response is None:
                return
            yield response.json() or []
            following = response.links.get("next") or {}
            if following.get("results") != "true" or not following.get("cursor"):
                return
            cursor = following["cursor"]

    # -- finding -------------------------------------------------------------------------
    def _identities(self, identities: dict[str, list[str]]) -> dict[str, list[str]]:
        """The values to search for, per kind. Sentry compares tag values exactly, so an
        email is searched as given and in lower case (how most applications send it)."""
        out: dict[str, list[str]] = {}
        for kind in SEARCH_KEYS:
            values: list[str] = []
            for value in identities.get(kind, ()):
                value = (value or "").strip()
                for variant in (value, value.lower()) if kind == "email" else (value,):
                    if variant and variant not in values:
                        values.append(variant)
            out[kind] = values
        return out

    def _find(self, http: VendorHttp, identities: dict[str, list[str]]) -> dict[str, dict]:
        """The issues found for the subject's identifiers, by issue id (deduplicated)."""
        issues: dict[str, dict] = {}
        for kind, values in self._identities(identities).items():
            for value in values:
                # query replaces Sentry's default "is:unresolved", so resolved and ignored
                # issues are found too; statsPeriod "" leaves out the stats we do not use.
                query = f"{SEARCH_KEYS[kind]}:{_quote(value)}"
                for page in self._pages(http, f"{self._project_path}/issues/", {"query": query, "statsPeriod": ""}):
                    for issue in page:
                        issues.setdefault(str(issue["id"]), issue)
        return issues

    def _carries(self, event: dict, wanted: dict[str, set[str]]) -> bool:
        """Whether an event carries one of the subject's identifiers, in its user block or user tag."""
        user = event.get("user") or {}
        tags = {t.get("key"): t.get("value") for t in event.get("tags") or [] if isinstance(t, dict)}
        for kind, values in wanted.items():
            field, prefix = USER_FIELDS[kind]
            held = user.get(field)
            if held is not None and _same(kind, str(held), values):
                return True
            tag = tags.get("user") or ""
            if tag.startswith(prefix + ":") and _same(kind, tag[len(prefix) + 1:], values):
                return True
        return False

    # -- actions -------------------------------------------------------------------------
    def access(self, subject: Subject) -> ActionResult:
        http = self._http()
        result = ActionResult()
        for issue_id, issue in self._find(http, subject.identities).items():
            result.add("issue", issue_id, FOUND, _describe(issue))
        self._note_unsearched(subject, result)
        return result

    def export(self, subject: Subject) -> ActionResult:
        http = self._http()
        result = ActionResult()
        wanted = {k: set(_norm(k, v) for v in vs) for k, vs in self._identities(subject.identities).items() if vs}
        for issue_id, issue in self._find(http, subject.identities).items():
            events, gone = [], True
            for page in self._pages(http, f"/issues/{issue_id}/events/", {"full": "true"}, allow_404=True):
                gone = False
                events.extend(e for e in page if self._carries(e, wanted))
            if gone:
                result.add("issue", issue_id, NOT_FOUND, "the issue was deleted between the search and the copy")
                continue
            data = {"issue": {k: issue.get(k) for k in ("id", "shortId", "title", "culprit", "permalink",
                                                         "firstSeen", "lastSeen", "status", "count")},
                    "events": events}
            detail = _describe(issue) + f": {len(events)} event(s) with the subject's identifiers"
            result.add("issue", issue_id, EXPORTED, detail, data=data)
        self._note_unsearched(subject, result)
        return result

    def discover(self, identities: dict[str, list[str]]) -> bool:
        return bool(self._find(self._http(), identities))

    def erase(self, subject: Subject) -> ActionResult:
        http = self._http()
        issues = self._find(http, subject.identities)
        result = ActionResult()
        if not issues:
            result.notes.append("No Sentry issue carries the subject's identifiers; nothing to erase.")
            return result
        if self.settings.get("erase") != "delete_issues":
            for issue_id, issue in issues.items():
                result.add("issue", issue_id, NOT_SUPPORTED, _describe(issue) + ": kept, per-person deletion "
                           "is not available in Sentry")
            result.notes.append(NO_ERASE_ADVICE)
            return result
        # Never a DELETE without ids (Sentry then deletes the project's first 1,000 issues):
        # `issues` is not empty here, and each batch holds at least one id.
        ids = list(issues)
        for start in range(0, len(ids), DELETE_BATCH):
            batch = ids[start:start + DELETE_BATCH]
            http.call("DELETE", f"{self._project_path}/issues/", params=[("id", i) for i in batch])
        # Sentry answers 204 even for ids it did not delete (out of scope), so each issue is
        # checked: only one Sentry no longer serves is reported erased.
        still_there = [i for i in ids if http.call("GET", f"/issues/{i}/", allow_404=True) is not None]
        if still_there:
            raise ConnectorError(f"Sentry accepted the deletion but still holds issue(s) {', '.join(still_there)}")
        for issue_id, issue in issues.items():
            result.add("issue", issue_id, ERASED, _describe(issue) + ": the whole issue was deleted, including "
                       "other people's events in it")
        result.notes.append("Deleting an issue also deletes other people's events grouped in it; new events "
                            "carrying the subject's identifiers would open a new issue.")
        return result

    def restrict(self, subject: Subject) -> ActionResult:
        return ActionResult.not_supported(
            "Sentry has no way to mark one person's events as restricted; stop the application sending their "
            "identifiers (or enable server-side data scrubbing) and let the retention window expire the rest.")

    def rectify(self, subject: Subject) -> ActionResult:
        return ActionResult.not_supported(
            "Sentry events cannot be edited once stored; they expire at the end of the retention window.")

    def suppress(self, subject: Subject) -> ActionResult:
        return ActionResult.not_supported("Sentry does not send anything to the people in its events.")

    def _note_unsearched(self, subject: Subject, result: ActionResult) -> None:
        if subject.values("name") or subject.values("phone"):
            result.notes.append("Names and phone numbers are not searched in Sentry: its search keys are the "
                                "user's email, id and IP address.")


def _norm(kind: str, value: str) -> str:
    return value.strip().lower() if kind == "email" else value.strip()


def _same(kind: str, held: str, values: set[str]) -> bool:
    return _norm(kind, held) in values


def _describe(issue: dict) -> str:
    return f"Sentry issue {issue.get('shortId') or issue.get('id')}"
