"""A local fake of Postmark's server and account APIs, for the postmark connector's tests.

Holds outbound and inbound messages, bounces, suppressions per message stream and data
removals in memory. Server endpoints take `X-Postmark-Server-Token`, the data-removal
endpoints `X-Postmark-Account-Token` (a server token there is refused, as at Postmark).
Searches match parts of addresses like Postmark's filters, cap `count` at `page_size`,
and refuse a search without `count`/`offset`. A data removal answers "Pending" and turns
"Done" after `removal_polls` status checks, deleting the address's messages and bounces.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from tests.fakes.base import Call, FakeVendor, _seconds, route


def _error(status: int, code: int, message: str) -> tuple:
    return status, {"ErrorCode": code, "Message": message}


@dataclass
class FakePostmark(FakeVendor):
    keep_on_reset = ("token", "page_size", "account_token")
    account_token: str = "account-token"
    outbound: list[dict] = field(default_factory=list)
    inbound: list[dict] = field(default_factory=list)
    bounces: list[dict] = field(default_factory=list)
    suppressions: dict[str, list[dict]] = field(default_factory=lambda: {"outbound": [], "broadcast": []})
    removals: dict[int, dict] = field(default_factory=dict)
    removal_polls: int = 1       # the status check at which a removal turns Done (1: the first)


    # -- seeding -------------------------------------------------------------------------
    def send(self, to: str, subject: str = "Hello", stream: str = "outbound", cc: str | None = None,
             body: str = "Hi there") -> str:
        """Record an outbound message to `to`; returns its MessageID."""
        n = len(self.outbound) + 1
        message_id = f"0000{n:04d}-aaaa-bbbb-cccc-{n:012d}"
        to_list = [{"Email": to, "Name": None}]
        cc_list = [{"Email": cc, "Name": None}] if cc else []
        self.outbound.append({
            "MessageID": message_id, "MessageStream": stream, "Tag": "", "From": "noreply@aplanet.example",
            "To": to_list, "Cc": cc_list, "Bcc": [], "Recipients": [to] + ([cc] if cc else []),
            "ReceivedAt": f"2026-11-{1 + n % 28:02d}T10:00:00-05:00", "Subject": subject, "Status": "Sent",
            "Attachments": [], "TrackOpens": False, "TrackLinks": "None", "Metadata": {}, "Sandboxed": False,
            "TextBody": body, "HtmlBody": f"<p>{body}</p>", "Body": f"From: noreply\r\n\r\n{body}",
            "MessageEvents": [{"Recipient": to, "Type": "Delivered", "ReceivedAt": "2026-11-01T10:00:01-05:00",
                               "Details": {"DeliveryMessage": "250 OK"}}],
        })
        return message_id

    def receive(self, sender: str, subject: str = "Question", body: str = "Hello") -> str:
        n = len(self.inbound) + 1
        message_id = f"1111{n:04d}-aaaa-bbbb-cccc-{n:012d}"
        self.inbound.append({
            "MessageID": message_id, "From": sender, "FromName": "", "FromFull": {"Email": sender, "Name": ""},
            "To": "inbound@aplanet.example", "ToFull": [{"Email": "inbound@aplanet.example", "Name": ""}],
            "Cc": "", "CcFull": [], "ReplyTo": "", "OriginalRecipient": "inbound@aplanet.example",
            "Subject": subject, "Date": "Mon, 2 Nov 2026 10:00:00 +0000", "MailboxHash": "", "Tag": "",
            "Attachments": [], "Status": "Processed", "MessageStream": "inbound",
            "TextBody": body, "HtmlBody": f"<p>{body}</p>", "Headers": [],
        })
        return message_id

    def bounce(self, email: str, type_: str = "HardBounce") -> int:
        bounce_id = 9000 + len(self.bounces) + 1
        self.bounces.append({
            "ID": bounce_id, "Type": type_, "TypeCode": 1, "Name": "Hard bounce", "Tag": "",
            "MessageID": None, "ServerID": 1, "MessageStream": "outbound", "Description": "unknown user",
            "Details": "smtp;550 5.1.1 unknown", "Email": email, "From": "noreply@aplanet.example",
            "BouncedAt": "2026-11-02T10:00:00-05:00", "DumpAvailable": False, "Inactive": True,
            "CanActivate": True, "Subject": "Hello",
        })
        return bounce_id

    def suppressed(self, stream: str = "outbound") -> list[str]:
        return [s["EmailAddress"] for s in self.suppressions.get(stream, [])]

    # -- the vendor's shapes -------------------------------------------------------------
    def authorized(self, call: Call) -> bool:
        if call.path.startswith("/data-removals"):
            return call.headers.get("x-postmark-account-token") == self.account_token
        return call.headers.get("x-postmark-server-token") == self.token

    def unauthorized(self) -> tuple:
        return _error(401, 10, "No Account or Server API tokens were supplied in the HTTP headers, "
                               "or the token is not valid.")

    def rate_limited(self) -> tuple:
        return 429, {"ErrorCode": 429, "Message": "Rate limit exceeded."}, \
            {"Retry-After": _seconds(self.faults.retry_after)}

    def not_found(self) -> tuple:
        return _error(404, 404, "The resource was not found.")

    # -- search helpers ------------------------------------------------------------------
    def _page(self, call: Call, items: list[dict], key: str) -> tuple:
        try:
            count, offset = int(call.arg("count")), int(call.arg("offset"))
        except (TypeError, ValueError):
            return _error(422, 1, "The 'count' and 'offset' parameters are required.")
        if count > 500 or count + offset > 10_000 or count < 1 or offset < 0:
            return _error(422, 1, "Count cannot exceed 500; count + offset cannot exceed 10,000.")
        shown = items[offset:offset + min(count, self.page_size)]
        return 200, {"TotalCount": len(items), key: shown}

    @staticmethod
    def _contains(value: str | None, part: str | None) -> bool:
        return part is None or (part.lower() in (value or "").lower())

    @staticmethod
    def _summary(message: dict) -> dict:
        return {k: v for k, v in message.items() if k not in ("TextBody", "HtmlBody", "Body", "MessageEvents",
                                                               "Headers")}

    # -- messages ------------------------------------------------------------------------
    @route("GET", "/messages/outbound")
    def search_outbound(self, call: Call):
        stream = call.arg("messagestream", "outbound")
        hits = [self._summary(m) for m in self.outbound if m["MessageStream"] == stream
                and (call.arg("recipient") is None
                     or any(self._contains(r, call.arg("recipient")) for r in m["Recipients"]))]
        return self._page(call, hits, "Messages")

    @route("GET", r"/messages/outbound/([^/]+)/details")
    def outbound_details(self, call: Call, message_id: str):
        for m in self.outbound:
            if m["MessageID"] == message_id:
                return 200, dict(m)
        return _error(422, 701, "This message was not found.")

    @route("GET", "/messages/inbound")
    def search_inbound(self, call: Call):
        hits = [self._summary(m) for m in self.inbound
                if call.arg("messagestream") in (None, m["MessageStream"])
                and self._contains(m["From"], call.arg("fromemail"))]
        return self._page(call, hits, "InboundMessages")

    @route("GET", r"/messages/inbound/([^/]+)/details")
    def inbound_details(self, call: Call, message_id: str):
        for m in self.inbound:
            if m["MessageID"] == message_id:
                return 200, dict(m)
        return _error(422, 701, "This message was not found.")

    @route("GET", "/bounces")
    def search_bounces(self, call: Call):
        hits = [b for b in self.bounces if self._contains(b["Email"], call.arg("emailFilter"))]
        return self._page(call, hits, "Bounces")

    # -- suppressions --------------------------------------------------------------------
    @route("GET", r"/message-streams/([^/]+)/suppressions/dump")
    def dump(self, call: Call, stream: str):
        if stream not in self.suppressions:
            return _error(422, 1226, f"The message stream for the provided 'ID' ({stream}) was not found.")
        wanted = call.arg("EmailAddress")
        entries = [s for s in self.suppressions[stream]
                   if wanted is None or s["EmailAddress"].lower() == wanted.lower()]
        return 200, {"Suppressions": entries}

    @route("POST", r"/message-streams/([^/]+)/suppressions")
    def suppress(self, call: Call, stream: str):
        if stream not in self.suppressions:
            return _error(422, 1226, f"The message stream for the provided 'ID' ({stream}) was not found.")
        entries = (call.body or {}).get("Suppressions") if isinstance(call.body, dict) else None
        if not isinstance(entries, list) or len(entries) > 50:
            return _error(422, 1, "Suppressions must be a list of at most 50 addresses.")
        answers = []
        for entry in entries:
            email = (entry or {}).get("EmailAddress") or ""
            if "@" not in email:
                answers.append({"EmailAddress": email, "Status": "Failed",
                                "Message": "An invalid email address was provided."})
                continue
            if email.lower() not in (s["EmailAddress"].lower() for s in self.suppressions[stream]):
                self.suppressions[stream].append({"EmailAddress": email, "SuppressionReason": "ManualSuppression",
                                                  "Origin": "Customer", "CreatedAt": "2026-11-23T10:00:00-05:00"})
            answers.append({"EmailAddress": email, "Status": "Suppressed", "Message": None})
        return 200, {"Suppressions": answers}

    # -- data removals (account API) -----------------------------------------------------
    @route("POST", "/data-removals")
    def request_removal(self, call: Call):
        body = call.body if isinstance(call.body, dict) else {}
        if "@" not in str(body.get("RequestedFor") or "") or "@" not in str(body.get("RequestedBy") or ""):
            return _error(422, 1, "RequestedBy and RequestedFor must be valid email addresses.")
        removal_id = 1234 + len(self.removals)
        self.removals[removal_id] = {"ID": removal_id, "Status": "Pending", "RequestedFor": body["RequestedFor"],
                                     "RequestedBy": body["RequestedBy"],
                                     "NotifyWhenCompleted": body.get("NotifyWhenCompleted"), "checks": 0}
        return 200, {"ID": removal_id, "Status": "Pending"}

    @route("GET", r"/data-removals/(\d+)")
    def removal_status(self, call: Call, removal_id: str):
        removal = self.removals.get(int(removal_id))
        if removal is None:
            return self.not_found()
        if removal["Status"] == "Pending":
            removal["checks"] += 1
            if removal["checks"] >= self.removal_polls:
                self._remove(removal["RequestedFor"].lower())
                removal["Status"] = "Done"
        return 200, {"ID": removal["ID"], "Status": removal["Status"]}

    def _remove(self, email: str) -> None:
        self.outbound = [m for m in self.outbound if email not in (r.lower() for r in m["Recipients"])]
        self.inbound = [m for m in self.inbound if m["From"].lower() != email]
        self.bounces = [b for b in self.bounces if b["Email"].lower() != email]
