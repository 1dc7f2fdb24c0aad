"""Raw email bytes → `ParsedEmail`: the headers intake needs, the body as plain text, the
attachments, and whether the message is automatic (an auto-reply or a bounce).

`parse_email` never raises: a message is evidence (a request's clock may hang on it),
so whatever arrives is kept and shown, however broken. Broken headers are parsed
best-effort and flagged (`headers_broken`).

How, and why this way:

- The MIME tree is parsed by the standard library's parser with the `compat32` policy,
  and every header is decoded here, by hand, with the `email.header` / `email.utils`
  functions, each call guarded. The `default` policy builds a header object on every
  access, which raises on some malformed headers and costs ~90 µs a header: parsing a
  small multipart message and reading its headers took 2.4 ms with it and 0.5 ms with
  `compat32`, and the intake benchmark needs ≥300 messages/s on one core.
- Bodies: text/plain is preferred; an HTML-only message is converted to text (scripts
  and styles dropped, block elements and <br> become line breaks, <blockquote> becomes
  "> " quoting so that quoted replies are recognised downstream).
- Charsets: the declared charset first; a body that is valid UTF-8 but declared as a
  single-byte charset is read as UTF-8 (the usual "8bit with the wrong charset"); an
  unknown or missing charset is read as UTF-8, else windows-1252; never an error.
- Attachments over MAX_ATTACHMENT_BYTES keep their name, type and size but not their
  bytes (`data` None, `omitted` says why); their size is estimated from the encoded
  length first, so a huge attachment is never decoded.
- Speed: the standard parser reads a message line by line and then runs a regex over
  each part's whole payload: a 500 KB attachment costs it ~2 ms. So before parsing,
  large base64 bodies are lifted out of the message and replaced by a short token
  (`lift_base64`); a part holding a token is decoded straight from the raw bytes, in C.
"""
from __future__ import annotations

import binascii
import email
import email.header
import email.utils
import hashlib
import mimetypes
import os
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email import policy
from email.message import Message
from html.parser import HTMLParser

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_SUBJECT = 998          # RFC 5322 line limit
_MAX_DEPTH = 20            # nested multiparts deeper than this are not walked


@dataclass
class Attachment:
    filename: str
    content_type: str
    size: int
    data: bytes | None      # None when over the limit (then `omitted` says why)
    omitted: str | None = None


@dataclass
class ParsedEmail:
    message_id: str
    in_reply_to: list[str]
    references: list[str]
    subject: str
    sender: str
    sender_name: str
    recipients: list[str]
    date: datetime | None
    text: str
    attachments: list[Attachment] = field(default_factory=list)
    auto: str | None = None
    headers_broken: bool = False


def parse_email(raw: bytes) -> ParsedEmail:
    """Parse `raw`; never raises (garbage gives a mostly-empty ParsedEmail)."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogateescape")
    raw = bytes(raw)
    try:
        return _parse(raw)
    except Exception:  # noqa: BLE001 - the promise is "never raises"; keep what we can
        return ParsedEmail(message_id=synthetic_message_id(raw), in_reply_to=[], references=[], subject="",
                           sender="", sender_name="", recipients=[], date=None,
                           text=_decode_bytes(raw, None)[0][:100_000], headers_broken=True)


def decode_text(data: bytes, charset: str | None = None) -> str:
    """Bytes of unknown provenance as text: `charset` if it fits, else UTF-8, else
    windows-1252; never raises."""
    return _decode_bytes(data, charset)[0]


def synthetic_message_id(raw: bytes) -> str:
    """The id of a message without a Message-ID: the same bytes give the same id."""
    return f"sha256-{hashlib.sha256(raw).hexdigest()}@dsar.invalid"


# -- headers -----------------------------------------------------------------------------
class _Headers:
    """Raw header values of one message, decoded on demand; remembers what was broken."""

    def __init__(self, msg: Message):
        self.values: dict[str, list[str]] = {}
        for name, value in msg.raw_items():
            self.values.setdefault(str(name).strip().lower(), []).append(value if isinstance(value, str) else str(value))
        self.broken = any(type(d).__name__ in _HEADER_DEFECTS for d in msg.defects)

    def raw(self, name: str) -> str:
        values = self.values.get(name)
        return _unsurrogate(_unfold(values[0])) if values else ""

    def all_raw(self, name: str) -> list[str]:
        return [_unsurrogate(_unfold(v)) for v in self.values.get(name, ())]

    def text(self, name: str, limit: int = 16 * MAX_SUBJECT) -> str:
        value = self.raw(name)[:limit]     # enough for any real subject; decoding is not free
        decoded, ok = _decode_words(value)
        self.broken |= not ok
        return decoded

    def addresses(self, *names: str) -> list[tuple[str, str]]:
        """(display name, address) pairs of the headers `names`, in order."""
        out = []
        for name in names:
            for value in self.all_raw(name):
                try:
                    pairs = email.utils.getaddresses([value])
                except Exception:  # noqa: BLE001
                    self.broken = True
                    continue
                for display, address in pairs:
                    display, ok = _decode_words(display)
                    self.broken |= not ok
                    out.append((display.strip().strip('"').strip(), address.strip()))
        return out


_HEADER_DEFECTS = {"MissingHeaderBodySeparatorDefect", "MisplacedEnvelopeHeaderDefect", "InvalidHeaderDefect",
                   "HeaderMissingRequiredValue", "ObsoleteHeaderDefect", "NonASCIILocalPartDefect"}
_ENCODED_WORD = re.compile(r"=\?[^?\s]*\?[bBqQ]\?")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\ufeff]")
_ADDRESS = re.compile(r"^[^@\s<>()\[\],;:\"]+@[^@\s<>()\[\],;:\"]+$")
_MSG_ID = re.compile(r"<([^<>\s]+)>")


def _unfold(value: str) -> str:
    return re.sub(r"\r?\n[ \t]+", " ", value).replace("\r", "").replace("\n", " ")


def _unsurrogate(value: str) -> str:
    """8-bit bytes in a header (kept as surrogates by the parser): UTF-8 if they are,
    else windows-1252."""
    if not any("\udc80" <= ch <= "\udcff" for ch in value):
        return value
    data = value.encode("utf-8", "surrogateescape")
    return _decode_bytes(data, None)[0]


def _decode_words(value: str) -> tuple[str, bool]:
    """Decode RFC 2047 encoded words; (text, whether it decoded cleanly)."""
    if "=?" not in value:
        return value, True
    try:
        parts = email.header.decode_header(value)
    except Exception:  # noqa: BLE001 - bad base64 in an encoded word
        return value, False
    out, ok = [], True
    for chunk, charset in parts:
        if isinstance(chunk, bytes):
            text, clean = _decode_bytes(chunk, charset)
            out.append(text)
            ok &= clean
        else:
            out.append(chunk)
    text = "".join(out)
    if _ENCODED_WORD.search(text):     # an encoded word that did not decode (unterminated, unknown)
        ok = False
    return text, ok


def _clean_line(value: str, limit: int) -> str:
    return " ".join(_CONTROL.sub(" ", value).split())[:limit]


def _ids(value: str) -> list[str]:
    found = _MSG_ID.findall(value)
    if not found:
        found = [v.strip("<>") for v in value.split() if "@" in v]
    return list(dict.fromkeys(v for v in found if v))


def _date(headers: _Headers) -> datetime | None:
    value = headers.raw("date").strip()
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except Exception:  # noqa: BLE001 - TypeError/ValueError/IndexError on broken dates
        headers.broken = True
        return None
    if parsed.tzinfo is None:          # "-0000": the time is UTC, the zone unknown
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def _bare(address: str) -> str:
    address = address.strip().strip("<>").strip().lower()
    return address if _ADDRESS.match(address) else ""


# -- bodies ------------------------------------------------------------------------------
_SINGLE_BYTE = re.compile(r"^(?:us-ascii|ascii|iso-8859-\d+|latin-?\d|windows-125\d|cp125\d|iso8859-\d+|cp850|"
                          r"unknown-8bit|x-unknown|8bit|default|none)$")


_NO_CHARSET = frozenset({"", "us-ascii", "ascii", "unknown-8bit", "x-unknown", "8bit", "default", "none"})


def _decode_bytes(data: bytes, charset: str | None) -> tuple[str, bool]:
    """Text of `data`; (text, whether the declared charset fitted). Never raises."""
    charset = (charset or "").strip().strip('"').lower()
    if not charset or _SINGLE_BYTE.match(charset):
        # Valid UTF-8 is UTF-8 whatever was declared: text in a single-byte charset
        # almost never forms valid multi-byte sequences.
        try:
            return data.decode("utf-8"), True
        except UnicodeDecodeError:
            pass
        if charset in _NO_CHARSET:
            return data.decode("windows-1252", "replace"), charset == ""
    try:
        return data.decode(charset), True
    except LookupError:               # unknown charset name
        try:
            return data.decode("utf-8"), False
        except UnicodeDecodeError:
            return data.decode("windows-1252", "replace"), False
    except UnicodeDecodeError:        # declared one charset, wrote another
        try:
            return data.decode("utf-8"), False
        except UnicodeDecodeError:
            return data.decode(charset, "replace"), False


class _Lifted:
    """Large base64 bodies, taken out of the message before the standard parser sees
    it (see `lift_base64`): the parser gets a short token in their place, and the
    payload of a part holding a token is decoded here, straight from the raw bytes."""

    def __init__(self, raw: bytes = b"", token: bytes = b"", bodies: list[tuple[int, int]] | None = None):
        self.raw, self.token, self.bodies = raw, token, bodies or []
        self.used: set[int] = set()
        self.pattern = re.compile(re.escape(token) + rb"(\d+)") if token else None

    def body(self, part: Message) -> bytes | None:
        """The raw base64 of a lifted part, or None."""
        payload = part.get_payload()
        if self.pattern is None or not isinstance(payload, str):
            return None
        m = self.pattern.fullmatch(payload.strip().encode("ascii", "replace"))
        if not m or int(m.group(1)) >= len(self.bodies):
            return None
        self.used.add(int(m.group(1)))
        start, end = self.bodies[int(m.group(1))]
        return self.raw[start:end]

    def payload(self, part: Message) -> bytes:
        """The decoded payload of a leaf part."""
        body = self.body(part)
        if body is not None:
            return binascii.a2b_base64(body)      # not strict: line breaks and stray bytes are skipped
        try:
            data = part.get_payload(decode=True)
        except Exception:  # noqa: BLE001
            data = None
        if data is None:
            payload = part.get_payload()
            data = payload.encode("utf-8", "surrogateescape") if isinstance(payload, str) else b""
        return data

    def size(self, part: Message) -> int:
        """Size of the decoded payload, estimated without decoding it."""
        body = self.body(part)
        if body is None:
            payload = part.get_payload()
            if not isinstance(payload, str):
                return 0
            if str(part.get("content-transfer-encoding", "")).strip().lower() != "base64":
                return len(payload)
            body = payload.encode("ascii", "replace")
        chars = len(body) - sum(body.count(c) for c in (b"\r", b"\n", b" ", b"\t"))
        return chars * 3 // 4 - body.rstrip()[-2:].count(b"=")

    def restore(self, data: bytes) -> bytes:
        """`data` (a re-serialised inner message) with the lifted bodies put back."""
        if self.pattern is None:
            return data

        def body(m: re.Match) -> bytes:
            index = int(m.group(1))
            if index >= len(self.bodies):
                return m.group()
            self.used.add(index)
            return self.raw[slice(*self.bodies[index])]
        return self.pattern.sub(body, data)


def _part_text(part: Message, lifted: _Lifted) -> str:
    text, _ = _decode_bytes(lifted.payload(part), _param(part, "charset"))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if part.get_content_subtype() == "html":
        text = html_to_text(text)
    return text


def _param(part: Message, name: str) -> str | None:
    try:
        value = part.get_param(name)
    except Exception:  # noqa: BLE001
        return None
    if isinstance(value, tuple):       # RFC 2231 (charset, language, value)
        value = email.utils.collapse_rfc2231_value(value)
    return value if isinstance(value, str) else None


def _filename(part: Message, index: int, content_type: str) -> str:
    name = None
    try:
        name = part.get_filename() or _param(part, "name")
    except Exception:  # noqa: BLE001
        name = None
    if not name and content_type == "message/rfc822":
        inner = part.get_payload()
        if isinstance(inner, list) and inner and isinstance(inner[0], Message):
            subject = _Headers(inner[0]).text("subject")      # a forwarded message: "First request.eml"
            name = f"{subject.strip()[:120]}.eml" if subject.strip() else None
    if name:
        name, _ = _decode_words(_unsurrogate(_unfold(name)))
        name = _clean_line(name.replace("\\", "/").rsplit("/", 1)[-1], 255)
    if not name:
        ext = ".eml" if content_type == "message/rfc822" else (mimetypes.guess_extension(content_type) or ".bin")
        name = f"attachment-{index}{ext}"
    return name


def _disposition(part: Message) -> str:
    value = str(part.get("content-disposition", "") or "")
    return value.split(";", 1)[0].strip().lower()


class _Walk:
    """Collects the body texts and attachments of a MIME tree."""

    def __init__(self, lifted: _Lifted):
        self.lifted = lifted
        self.plain: list[str] = []
        self.html: list[str] = []
        self.attachments: list[Attachment] = []
        self.has_dsn = False

    def visit(self, part: Message, depth: int = 0) -> None:
        ctype = part.get_content_type()
        if depth > _MAX_DEPTH:
            return
        if ctype == "message/delivery-status":
            self.has_dsn = True
        if part.is_multipart() and ctype != "message/rfc822":
            children = [p for p in (part.get_payload() or []) if isinstance(p, Message)]
            if ctype == "multipart/alternative":
                chosen = _best_alternative(children, self.lifted)
                for child in children:
                    if child is chosen:
                        self.visit(child, depth + 1)
                    elif child.is_multipart() or _disposition(child) == "attachment":
                        self.visit(child, depth + 1)   # an alternative may carry attachments
                return
            for child in children:
                self.visit(child, depth + 1)
            return
        disposition = _disposition(part)
        is_text = ctype in ("text/plain", "text/html")
        if is_text and disposition != "attachment" and not part.get_filename():
            (self.plain if ctype == "text/plain" else self.html).append(_part_text(part, self.lifted))
            return
        self.attach(part, ctype)

    def attach(self, part: Message, ctype: str) -> None:
        index = len(self.attachments) + 1
        name = _filename(part, index, ctype)
        if ctype == "message/rfc822":
            inner = part.get_payload()
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                data = self.lifted.restore(inner[0].as_bytes())
            else:
                data = self.lifted.payload(part)
            size = len(data)
        else:
            size = self.lifted.size(part)
            data = None
            if size <= MAX_ATTACHMENT_BYTES * 1.01:
                data = self.lifted.payload(part)
                size = len(data)
        if data is None or size > MAX_ATTACHMENT_BYTES:
            self.attachments.append(Attachment(name, ctype, size, None,
                                               f"over the {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MiB limit ({size} bytes)"))
        else:
            self.attachments.append(Attachment(name, ctype, size, data))


def _best_alternative(children: list[Message], lifted: _Lifted) -> Message | None:
    """text/plain preferred; else HTML; else the last (richest) alternative."""
    for wanted in ("text/plain", "text/html"):
        for child in children:
            if child.get_content_type() == wanted and _disposition(child) != "attachment":
                if wanted == "text/html" or lifted.payload(child).strip():
                    return child
    for child in reversed(children):
        if child.is_multipart():
            return child
    return children[-1] if children else None


# -- HTML ------------------------------------------------------------------------------
_BLOCK = frozenset("address article aside blockquote br dd div dl dt fieldset figcaption figure footer form h1 h2 "
                   "h3 h4 h5 h6 header hr li main nav ol p pre section table tbody td tfoot th thead tr ul".split())
_SKIP = frozenset({"script", "style", "head", "title", "template", "noscript", "svg", "object"})


class _HtmlText(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.lines: list[list] = [[0, ""]]   # [quote depth, text]
        self.skip = 0
        self.quote = 0
        self.pre = 0

    def newline(self) -> None:
        if self.lines[-1][1].strip() or self.lines[-1][0] != self.quote:
            self.lines.append([self.quote, ""])
        else:
            self.lines[-1][0] = self.quote

    def handle_starttag(self, tag, attrs):
        if tag in _SKIP:
            self.skip += 1
        elif tag == "blockquote":
            self.newline()
            self.quote += 1
            self.lines[-1][0] = self.quote
        elif tag == "pre":
            self.pre += 1
        if tag in _BLOCK:
            self.newline()
            if tag == "li":
                self.lines[-1][1] += "- "

    def handle_startendtag(self, tag, attrs):
        if tag in ("br", "hr", "p", "div"):
            self.newline()

    def handle_endtag(self, tag):
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag == "blockquote":
            self.newline()
            self.quote = max(0, self.quote - 1)
            self.lines[-1][0] = self.quote
        elif tag == "pre":
            self.pre = max(0, self.pre - 1)
        if tag in _BLOCK:
            self.newline()

    def handle_data(self, data):
        if self.skip:
            return
        if self.pre:
            first, *rest = data.split("\n")
            self.lines[-1][1] += first
            for line in rest:
                self.lines.append([self.quote, line])
            return
        text = re.sub(r"\s+", " ", data)
        if not self.lines[-1][1]:
            text = text.lstrip()
        self.lines[-1][1] += text

    def text(self) -> str:
        out, blank = [], False
        for depth, line in self.lines:
            line = line.strip()
            if not line:
                if not blank and out:
                    out.append("")
                blank = True
                continue
            blank = False
            out.append("> " * depth + line)
        return "\n".join(out).strip()


def html_to_text(html: str) -> str:
    parser = _HtmlText()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # noqa: BLE001 - html.parser is lenient, but never trust it with garbage
        pass
    return parser.text()


# -- automatic messages ------------------------------------------------------------------
_AUTO_SUBJECT = re.compile(
    r"^(?:out of (?:the )?office|automatic reply|auto(?:matic)?[- ]?reply|autoreply|auto-response|away from|"
    r"abwesenheitsnotiz|automatische antwort|abwesend|r[ée]ponse automatique|absence du bureau|absent|"
    r"respuesta autom[áa]tica|fuera de la oficina|risposta automatica|fuori ufficio|automatisch antwoord|afwezig|"
    r"resposta autom[áa]tica|aus dem b[üu]ro|automatick[áa] odpov[ěe]ď|automatski odgovor|αυτόματη απάντηση|"
    r"r[ăa]spuns automat|automatiskt svar|fr[åa]nvaro)", re.IGNORECASE)
_BOUNCE_SUBJECT = re.compile(r"undeliver|delivery status notification|failure notice|returned mail|"
                             r"delivery (?:has )?failed|mail delivery failed|non remis|unzustellbar|"
                             r"no se puede entregar|non recapitabile|onbestelbaar", re.IGNORECASE)


def _auto(msg: Message, headers: _Headers, sender: str, subject: str, walk: _Walk) -> str | None:
    ctype = msg.get_content_type()
    report = (_param(msg, "report-type") or "").lower()
    local = sender.split("@", 1)[0]
    if ctype == "multipart/report" and report == "delivery-status":
        return "bounce"
    if local in ("mailer-daemon", "postmaster") and (walk.has_dsn or _BOUNCE_SUBJECT.search(subject)):
        return "bounce"
    auto_submitted = headers.raw("auto-submitted").strip().lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        return "auto_reply"
    if any(headers.raw(h) for h in ("x-autoreply", "x-autorespond", "x-autoresponder")):
        return "auto_reply"
    if headers.raw("precedence").strip().lower() in ("auto_reply", "bulk", "junk"):
        return "auto_reply"
    if _AUTO_SUBJECT.search(subject):
        return "auto_reply"
    return None


# -- the whole message -------------------------------------------------------------------
_CTE = b"\ncontent-transfer-encoding:"
_B64_VALUE = re.compile(rb"[ \t]*\"?base64\"?[ \t]*\r?\n")
_BLANK_LINE = re.compile(rb"\r?\n\r?\n")
_BASE64_BODY = re.compile(rb"[A-Za-z0-9+/=\r\n \t]*")
_LIFT_FROM = 32 * 1024      # smaller messages parse fast enough as they are
_LIFT_BODY = 4096           # and smaller bodies are left in place


def _in_part_headers(raw: bytes, at: int) -> bool:
    """Is position `at` in the header block of a MIME part (after a boundary line, with
    no blank line since), rather than in some text that quotes a header?"""
    blank = max(raw.rfind(b"\n\n", 0, at), raw.rfind(b"\n\r\n", 0, at))
    return raw.rfind(b"\n--", 0, at) > blank


def lift_base64(raw: bytes) -> tuple[bytes, _Lifted]:
    """`raw` with its large base64 bodies replaced by tokens, and the table to get them
    back (see the module docstring). A body is the lines after the blank line that ends
    the headers holding "Content-Transfer-Encoding: base64", up to the next line starting
    with "--" (a boundary); it is only lifted when it holds nothing but base64
    characters, so a header quoted in a text part changes nothing."""
    if len(raw) < _LIFT_FROM:
        return raw, _Lifted()
    token = b"dsarlifted" + os.urandom(6).hex().encode() + b"x"   # cannot collide with the text
    lower = raw.lower()              # the header name in any case; one copy, found with bytes.find
    out, bodies, pos, at = [], [], 0, lower.find(_CTE)
    while at >= 0:
        value = at + len(_CTE)
        at = lower.find(_CTE, value)
        if value < pos or not _B64_VALUE.match(lower, value) or not _in_part_headers(raw, value):
            continue
        blank = _BLANK_LINE.search(raw, value - 1)
        if blank is None:
            break
        start = blank.end()
        end = raw.find(b"\n--", start)
        end = len(raw) if end < 0 else end
        if end - start < _LIFT_BODY or not _BASE64_BODY.fullmatch(raw, start, end):
            continue
        out += [raw[pos:start], token, str(len(bodies)).encode(), b"\n"]
        bodies.append((start, end))
        pos = end + 1 if raw[end:end + 1] == b"\n" else end
    if not out:
        return raw, _Lifted()
    out.append(raw[pos:])
    return b"".join(out), _Lifted(raw, token, bodies)


def _parse(raw: bytes) -> ParsedEmail:
    skeleton, lifted = lift_base64(raw)
    parsed = _parse_tree(raw, skeleton, lifted)
    if len(lifted.used) != len(lifted.bodies):
        # A lifted body that did not come back as a part of its own: lifting misread the
        # MIME structure, so parse the message as it is.
        parsed = _parse_tree(raw, raw, _Lifted())
    return parsed


def _parse_tree(raw: bytes, skeleton: bytes, lifted: _Lifted) -> ParsedEmail:
    msg = email.message_from_bytes(skeleton, policy=policy.compat32)
    headers = _Headers(msg)

    message_ids = _ids(headers.raw("message-id"))
    message_id = message_ids[0] if message_ids else synthetic_message_id(raw)
    subject = _clean_line(headers.text("subject"), MAX_SUBJECT)

    senders = headers.addresses("from") or headers.addresses("sender")
    sender_name, sender = "", ""
    for display, address in senders:
        if _bare(address):
            sender_name, sender = _clean_line(display, 200), _bare(address)
            break
    if headers.raw("from") and not sender:
        headers.broken = True

    recipients = []
    for _, address in headers.addresses("to", "cc", "delivered-to", "x-original-to"):
        bare = _bare(address)
        if bare and bare not in recipients:
            recipients.append(bare)

    walk = _Walk(lifted)
    walk.visit(msg)
    text = "\n\n".join(t.strip("\n") for t in walk.plain if t.strip())
    if not text and walk.html:
        text = "\n\n".join(h for h in walk.html if h.strip())
    text = unicodedata.normalize("NFC", text.replace("\x00", ""))

    return ParsedEmail(
        message_id=message_id,
        in_reply_to=_ids(headers.raw("in-reply-to")),
        references=_ids(" ".join(headers.all_raw("references"))),
        subject=subject,
        sender=sender,
        sender_name=sender_name,
        recipients=recipients,
        date=_date(headers),
        text=text,
        attachments=walk.attachments,
        auto=_auto(msg, headers, sender, subject, walk),
        headers_broken=headers.broken,
    )
