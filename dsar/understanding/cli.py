"""`dsar classify [FILE]`: what dsar understands of one message, as one JSON object.

FILE is an .eml (anything that starts with email headers) or a plain-text file; without
FILE the message is read from standard input. The command needs no app context (it
reads no database), prints one JSON object and exits 0 whatever the input, so it can
be used in a pipeline: garbage gives `"is_request": false, "confident": false`.
"""
from __future__ import annotations

import json
import re

import click

from dsar.mail.parse import decode_text, parse_email

from . import understand, understand_email

# The header names that make a file an email rather than a text that happens to start
# with "Name: …".
_EMAIL_HEADERS = frozenset({"from", "to", "cc", "subject", "date", "message-id", "received", "mime-version",
                            "content-type", "return-path", "delivered-to", "reply-to", "x-original-to"})
_HEADER_LINE = re.compile(rb"^([A-Za-z0-9][A-Za-z0-9-]*)[ \t]*:")


def looks_like_email(raw: bytes) -> bool:
    """Does `raw` start with a header block holding at least one email header?"""
    names = set()
    for line in raw.lstrip(b"\r\n")[:20_000].splitlines():
        if not line.strip():
            break
        if line[:1] in (b" ", b"\t"):
            continue                      # a folded header line
        m = _HEADER_LINE.match(line)
        if not m:
            return False
        names.add(m.group(1).decode("ascii").lower())
    return bool(names & _EMAIL_HEADERS)


def classify_bytes(raw: bytes) -> dict:
    """The JSON-ready understanding of `raw` (an email or a plain text)."""
    try:
        if looks_like_email(raw):
            parsed = parse_email(raw)
            result = {"source": "email", **understand_email(parsed).as_dict(),
                      "message_id": parsed.message_id, "subject": parsed.subject, "sender": parsed.sender,
                      "sender_name": parsed.sender_name, "recipients": parsed.recipients,
                      "date": parsed.date.isoformat() if parsed.date else None, "auto": parsed.auto,
                      "headers_broken": parsed.headers_broken,
                      "attachments": [{"filename": a.filename, "content_type": a.content_type, "size": a.size,
                                       "omitted": a.omitted} for a in parsed.attachments]}
        else:
            result = {"source": "text", **understand(decode_text(raw).replace("\x00", "")).as_dict()}
    except Exception as exc:  # noqa: BLE001 - the contract is one JSON object, whatever comes in
        result = {"source": "unknown", "is_request": False, "rights": [], "language": None, "identities": [],
                  "chaser": False, "references": [], "confident": False,
                  "reasons": [f"could not be read: {type(exc).__name__}"]}
    return result


@click.command("classify")
@click.argument("file", required=False, type=click.File("rb"))
def classify(file):
    """Print what dsar understands of an email (.eml) or a plain-text request, as JSON.

    Reads FILE, or standard input when FILE is left out.
    """
    raw = (file or click.open_file("-", "rb")).read()
    click.echo(json.dumps(classify_bytes(raw), ensure_ascii=False))
