"""Fixture messages for the intake tests, and helpers to load or build them.

The .eml and .mbox files are realistic messages: letters from shared/corpus/letters
rendered as people send them, an out-of-office, a Postfix DSN, a sales pitch.
"""
from __future__ import annotations

import base64
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

HERE = Path(__file__).parent


def path(name: str) -> Path:
    return HERE / name


def load(name: str) -> bytes:
    return (HERE / name).read_bytes()


def with_headers(raw: bytes, **headers: str) -> bytes:
    """`raw` with some headers replaced (Message_ID= sets Message-ID): a variant of a fixture."""
    message = BytesParser(policy=policy.SMTP).parsebytes(raw)
    for name, value in headers.items():
        name = name.replace("_", "-")
        del message[name]
        message[name] = value
    return message.as_bytes()


def make(*, sender: str = "Ana Subject <ana@mail.example>", to: str = "dpo@septeo.example",
         subject: str = "Hello", body: str = "Hello", message_id: str | None = "<m1@mail.example>",
         **headers: str) -> bytes:
    """A simple text/plain message."""
    message = EmailMessage(policy=policy.SMTP)
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message["Date"] = "Mon, 02 Feb 2026 09:00:00 +0100"
    if message_id:
        message["Message-ID"] = message_id
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message.as_bytes()


def postmark_json(raw: bytes, *, with_raw: bool) -> dict:
    """The JSON Postmark's inbound webhook would POST for `raw` (fields as in connectors.md)."""
    message = BytesParser(policy=policy.default).parsebytes(raw)
    sender = message["From"].addresses[0]
    to = list(message["To"].addresses) if message["To"] else []
    text = html = None
    attachments = []
    for part in message.walk():
        if part.is_multipart():
            continue
        if part.get_content_disposition() == "attachment":
            data = part.get_payload(decode=True)
            attachments.append({"Name": part.get_filename(), "Content": base64.b64encode(data).decode(),
                                "ContentType": part.get_content_type(), "ContentLength": len(data),
                                "ContentID": ""})
        elif part.get_content_type() == "text/plain" and text is None:
            text = part.get_content()
        elif part.get_content_type() == "text/html" and html is None:
            html = part.get_content()
    skip = {"from", "to", "cc", "subject", "date"}
    payload = {
        "FromName": sender.display_name, "MessageStream": "inbound", "From": sender.addr_spec,
        "FromFull": {"Email": sender.addr_spec, "Name": sender.display_name, "MailboxHash": ""},
        "To": str(message["To"] or ""),
        "ToFull": [{"Email": a.addr_spec, "Name": a.display_name, "MailboxHash": ""} for a in to],
        "Cc": "", "CcFull": [], "Bcc": "", "BccFull": [],
        "OriginalRecipient": to[0].addr_spec if to else "", "ReplyTo": "",
        "Subject": str(message["Subject"] or ""), "Date": str(message["Date"] or ""),
        "MailboxHash": "", "Tag": "",
        # Postmark's own id, not the message's: intake must not use it.
        "MessageID": "73e6d360-66eb-11e1-8e72-a8904824019b",
        "TextBody": text or "", "HtmlBody": html or "", "StrippedTextReply": "",
        "Headers": [{"Name": k, "Value": str(v)} for k, v in message.items() if k.lower() not in skip],
        "Attachments": attachments,
    }
    if with_raw:
        payload["RawEmail"] = raw.decode("utf-8", "replace")
    return payload
