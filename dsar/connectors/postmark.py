"""Postmark: the email a system sent to (and received from) a person, and their suppression.

What Postmark holds about one email address (connectors.md, "Postmark"):

- outbound messages sent to it (`GET /messages/outbound?recipient=…`, details per message),
  inbound messages received from it (`GET /messages/inbound?fromemail=…`) and bounces
  (`GET /bounces?emailFilter=…`), all offset-paginated and kept only for the account's
  retention window (45 days by default, 7 to 365 with the add-on);
- a suppression entry per message stream, which is how a person's objection or
  restriction is honoured: Postmark then sends nothing more to the address on that stream.

Erasure is Postmark's account-level data removal (`POST /data-removals`, account token):
it is asynchronous, so the connector polls it briefly and reports `erased` only once
Postmark says `Done`, else `erasure_scheduled` with the removal's ID. Mail already
delivered sits in the recipient's mailbox and cannot be unsent; the report says so.

Settings: `base_url`, `server_token` ({env: VAR}), `account_token` ({env: VAR}; without
it erase is not supported), `message_stream` (the stream suppressions go to, default
"outbound"), `search_streams` (the outbound streams to search sent mail in; default:
none named, so Postmark searches its default stream; name broadcast streams here to
reach them), and `requested_by` (the email address of the person at the controller who
files data removals: Postmark records it as the requester; erase fails visibly until it
is set, because guessing it would put a wrong name on the vendor's record).
"""
from __future__ import annotations

import time
from collections.abc import Iterator

from marshmallow import fields, validate

from dsar.connectors import register
from dsar.connectors.base import (ERASED, ERASURE_SCHEDULED, EXPORTED, FOUND, NOT_FOUND, NOT_SUPPORTED,
                                  RESTRICTED, SUPPRESSED, ActionResult, Connector, ConnectorError, EnvRef,
                                  HttpSettings, NotConfigured, Subject)
from dsar.connectors.http import VendorHttp

PAGE = 500               # Postmark's largest page for messages and bounces
SEARCH_WINDOW = 10_000   # count + offset may not exceed this in Postmark's search
SUPPRESS_BATCH = 50      # addresses per suppression call, Postmark's limit
MESSAGE_NOT_FOUND = 701  # Postmark's ErrorCode when a message id is unknown (or expired)

RETENTION_NOTE = ("Postmark keeps message content and activity only for the account's retention window "
                  "(45 days by default, 7 to 365 days when configured); older mail is no longer held there.")
UNSENT_NOTE = ("An email already delivered cannot be unsent: copies in the recipients' mailboxes are beyond "
               "Postmark's reach.")

_STREAM_ID = validate.Regexp(r"^[a-z0-9][a-z0-9-]*$", error="a Postmark message stream ID (lowercase, digits, -)")


class PostmarkSettings(HttpSettings):
    server_token = EnvRef(required=True)
    account_token = EnvRef(load_default=None)
    message_stream = fields.Str(load_default="outbound", validate=_STREAM_ID)
    search_streams = fields.List(fields.Str(validate=_STREAM_ID), load_default=list)
    requested_by = fields.Email(load_default=None, allow_none=True)


def _postmark_error(response) -> str:
    body = response.json()
    return f"ErrorCode {body.get('ErrorCode')}: {body.get('Message', '')}".strip()


def _emails(subject: Subject) -> list[str]:
    """The subject's email addresses, lowercased and deduplicated, in order."""
    seen: list[str] = []
    for value in subject.values("email"):
        value = (value or "").strip().lower()
        if value and value not in seen:
            seen.append(value)
    return seen


@register
class PostmarkConnector(Connector):
    type = "postmark"
    Settings = PostmarkSettings
    capabilities = frozenset({"access", "export", "erase", "restrict", "suppress", "discover"})

    # A data removal usually takes longer than a task should wait: a few short polls, then
    # the report says "scheduled" with the removal's ID.
    removal_polls = 3
    removal_poll_interval = 0.5

    # -- clients -------------------------------------------------------------------------
    def _client(self, header: str, setting: str) -> VendorHttp:
        return VendorHttp(self.system_id, self.settings["base_url"],
                          {header: self.secret(setting), "Accept": "application/json"},
                          timeout=self.settings["timeout"], rate_per_second=self.settings["rate_limit"],
                          error_message=_postmark_error)

    def _server(self) -> VendorHttp:
        return self._client("X-Postmark-Server-Token", "server_token")

    def _account(self) -> VendorHttp:
        return self._client("X-Postmark-Account-Token", "account_token")

    # -- finding -------------------------------------------------------------------------
    def _pages(self, http: VendorHttp, path: str, key: str, params: dict, notes: list[str]) -> Iterator[dict]:
        """Every item of an offset-paginated search, to the end (or Postmark's 10,000 cap)."""
        offset = 0
        while True:
            count = min(PAGE, SEARCH_WINDOW - offset)
            body = http.json("GET", path, params={**params, "count": count, "offset": offset}) or {}
            items = body.get(key) or []
            yield from items
            offset += len(items)
            total = int(body.get("TotalCount") or 0)
            if not items or offset >= total:
                return
            if offset >= SEARCH_WINDOW:
                notes.append(f"{path}: Postmark lists at most {SEARCH_WINDOW} results per search; "
                             f"{total - offset} more were not reached.")
                return

    def _stream_params(self) -> list[dict]:
        streams = self.settings.get("search_streams") or []
        return [{"messagestream": s} for s in streams] or [{}]

    def _find(self, emails: list[str], notes: list[str]) -> list[tuple[str, str, dict]]:
        """(kind, id, item) of every message and bounce held for these addresses, deduplicated.

        Postmark's filters match parts of addresses, so each item is kept only when the
        address is really one of its recipients (or its sender, for inbound mail).
        """
        http = self._server()
        found: dict[tuple[str, str], dict] = {}
        for email in emails:
            for extra in self._stream_params():
                for msg in self._pages(http, "/messages/outbound", "Messages", {"recipient": email, **extra}, notes):
                    if email in _outbound_addresses(msg):
                        found.setdefault(("outbound message", str(msg["MessageID"])), msg)
            # A server has one inbound stream: search_streams name outbound streams only.
            for msg in self._pages(http, "/messages/inbound", "InboundMessages", {"fromemail": email}, notes):
                if email == _address(msg.get("FromFull") or {"Email": msg.get("From")}):
                    found.setdefault(("inbound message", str(msg["MessageID"])), msg)
            for bounce in self._pages(http, "/bounces", "Bounces", {"emailFilter": email}, notes):
                if email == (bounce.get("Email") or "").strip().lower():
                    found.setdefault(("bounce", str(bounce["ID"])), bounce)
        return [(kind, id_, item) for (kind, id_), item in found.items()]

    def _suppressions(self, http: VendorHttp, email: str) -> list[dict]:
        stream = self.settings["message_stream"]
        body = http.json("GET", f"/message-streams/{stream}/suppressions/dump", params={"EmailAddress": email}) or {}
        return [s for s in body.get("Suppressions") or [] if (s.get("EmailAddress") or "").lower() == email]

    def _details(self, http: VendorHttp, kind: str, id_: str) -> dict | None:
        """A message's full content, or None when Postmark no longer has it (expired meanwhile)."""
        direction = "outbound" if kind == "outbound message" else "inbound"
        response = http.call("GET", f"/messages/{direction}/{id_}/details", ok=(200, 422))
        body = response.json()
        if response.status_code == 422:
            if body.get("ErrorCode") == MESSAGE_NOT_FOUND:
                return None
            raise ConnectorError(f"GET /messages/{direction}/…/details: 422 {_postmark_error(response)}")
        return body

    # -- actions -------------------------------------------------------------------------
    def access(self, subject: Subject) -> ActionResult:
        return self._report(subject, with_data=False)

    def export(self, subject: Subject) -> ActionResult:
        return self._report(subject, with_data=True)

    def _report(self, subject: Subject, with_data: bool) -> ActionResult:
        result = ActionResult(notes=[RETENTION_NOTE])
        emails = _emails(subject)
        if not emails:
            result.notes.append("Postmark knows people by email address; the request holds none.")
            return result
        http = self._server()
        for kind, id_, item in self._find(emails, result.notes):
            if not with_data:
                result.add(kind, id_, FOUND)
            elif kind == "bounce":
                result.add(kind, id_, EXPORTED, data=item)
            else:
                details = self._details(http, kind, id_)
                if details is None:
                    result.add(kind, id_, NOT_FOUND, "expired from Postmark between the search and the copy")
                else:
                    result.add(kind, id_, EXPORTED, data=details)
        stream = self.settings["message_stream"]
        for email in emails:
            for entry in self._suppressions(http, email):
                id_ = f"{stream}:{email}"
                if with_data:
                    result.add("suppression", id_, EXPORTED, data=entry)
                else:
                    result.add("suppression", id_, FOUND)
        return result

    def discover(self, identities: dict[str, list[str]]) -> bool:
        emails = _emails(Subject("", identities))
        return bool(emails) and bool(self._find(emails, []))

    def suppress(self, subject: Subject) -> ActionResult:
        return self._suppress(subject, SUPPRESSED)

    def restrict(self, subject: Subject) -> ActionResult:
        # Restricting what Postmark does with an address means it sends nothing more to it;
        # messages already stored stay until the retention window ends.
        result = self._suppress(subject, RESTRICTED)
        result.notes.append("Messages already stored stay in Postmark until its retention window ends.")
        return result

    def _suppress(self, subject: Subject, outcome: str) -> ActionResult:
        stream = self.settings["message_stream"]
        result = ActionResult()
        emails = _emails(subject)
        if not emails:
            result.notes.append("Postmark suppresses email addresses; the request holds none.")
            return result
        http = self._server()
        to_add = []
        for email in emails:
            existing = self._suppressions(http, email)
            if existing:  # idempotent: a second run reports the suppression already in place
                reason = existing[0].get("SuppressionReason") or "suppressed"
                since = existing[0].get("CreatedAt")
                result.add("suppression", f"{stream}:{email}", outcome,
                           f"already suppressed in stream {stream} ({reason}{', since ' + since if since else ''})")
            else:
                to_add.append(email)
        for start in range(0, len(to_add), SUPPRESS_BATCH):
            batch = to_add[start:start + SUPPRESS_BATCH]
            body = http.json("POST", f"/message-streams/{stream}/suppressions",
                             json={"Suppressions": [{"EmailAddress": e} for e in batch]}) or {}
            answers = {(a.get("EmailAddress") or "").lower(): a for a in body.get("Suppressions") or []}
            for email in batch:
                answer = answers.get(email, {})
                if answer.get("Status") == "Suppressed":
                    result.add("suppression", f"{stream}:{email}", outcome,
                               f"suppressed in stream {stream}: Postmark sends nothing more to this address there")
                else:
                    why = answer.get("Message") or "no answer for this address"
                    result.add("suppression", f"{stream}:{email}", NOT_SUPPORTED,
                               f"Postmark did not suppress it: {why}")
        return result

    def rectify(self, subject: Subject) -> ActionResult:
        return ActionResult.not_supported(
            "Sent mail cannot be corrected: Postmark keeps messages as they were sent, until its retention "
            "window ends; correct the data at its source instead.")

    def erase(self, subject: Subject) -> ActionResult:
        if not self.settings.get("account_token"):
            return ActionResult.not_supported(
                "Postmark erases through its account-level Data Removal API, which needs an account token; "
                "this system has no account_token setting.")
        result = ActionResult(notes=[UNSENT_NOTE])
        emails = _emails(subject)
        if not emails:
            result.notes.append("Postmark knows people by email address; the request holds none.")
            return result
        found = self._find(emails, result.notes)
        if not found:
            result.notes.append("Postmark holds no message or bounce for this address within its retention "
                                "window; no data removal was requested.")
            return result
        requested_by = self.settings.get("requested_by")
        if not requested_by:
            raise NotConfigured("Postmark data removal needs the requested_by setting: the email address of "
                                "the person at the controller who requests it")
        account = self._account()
        # One removal per address of the subject that Postmark holds mail for; a message to
        # two of their addresses counts as erased once every removal concerning it is done.
        involved = {(kind, id_): [e for e in emails if e in _item_addresses(kind, item)] for kind, id_, item in found}
        removals: dict[str, dict] = {}
        for email in emails:
            if any(email in concerned for concerned in involved.values()):
                answer = account.json("POST", "/data-removals", json={
                    "RequestedBy": requested_by, "RequestedFor": email, "NotifyWhenCompleted": False}) or {}
                if answer.get("ID") is None:
                    raise ConnectorError("POST /data-removals: Postmark's answer has no removal ID")
                removals[email] = answer
        self._await_removals(account, removals)
        for (kind, id_), concerned in involved.items():
            ids = ", ".join(str(removals[e]["ID"]) for e in concerned)
            pending = [removals[e] for e in concerned if removals[e].get("Status") != "Done"]
            if not pending:
                result.add(kind, id_, ERASED, f"removed by Postmark data removal {ids}")
            else:
                status = pending[0].get("Status") or "pending"
                result.add(kind, id_, ERASURE_SCHEDULED, f"Postmark data removal {ids} is {status}; "
                           "Postmark deletes the data when it completes")
        return result

    def _await_removals(self, account: VendorHttp, removals: dict[str, dict]) -> None:
        """Poll the removals a few times, briefly; each keeps the last status Postmark gave."""
        for _ in range(self.removal_polls):
            waiting = [r for r in removals.values() if r.get("Status") != "Done"]
            if not waiting:
                return
            time.sleep(self.removal_poll_interval)
            for removal in waiting:
                status = (account.json("GET", f"/data-removals/{removal['ID']}") or {}).get("Status")
                removal["Status"] = status


def _address(entry: dict) -> str:
    return (entry.get("Email") or "").strip().lower()


def _outbound_addresses(msg: dict) -> set[str]:
    addresses = {(r or "").strip().lower() for r in msg.get("Recipients") or []}
    for field in ("To", "Cc", "Bcc"):
        addresses |= {_address(e) for e in msg.get(field) or [] if isinstance(e, dict)}
    return addresses


def _item_addresses(kind: str, item: dict) -> set[str]:
    if kind == "outbound message":
        return _outbound_addresses(item)
    if kind == "inbound message":
        return {_address(item.get("FromFull") or {"Email": item.get("From")})}
    return {(item.get("Email") or "").strip().lower()}
