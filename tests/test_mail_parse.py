"""parse_email on real-world shapes of email (fixtures in tests/emails/) and on any bytes."""
from __future__ import annotations

import base64
from datetime import datetime, timezone
from email.message import EmailMessage
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from dsar.mail import parse as mailparse
from dsar.mail.parse import MAX_ATTACHMENT_BYTES, parse_email
from dsar.understanding import understand_email

EMAILS = Path(__file__).parent / "emails"


def fixture(name: str):
    return parse_email((EMAILS / name).read_bytes())


def test_multipart_alternative_prefers_plain_text_and_decodes_headers():
    p = fixture("multipart_alternative.eml")
    assert p.text == "Dobrý den,\nprosím smažte můj účet."
    assert p.subject == "Žádost o výmaz osobních údajů"                 # RFC 2047, base64
    assert (p.sender, p.sender_name) == ("jana.novakova@example.cz", "Jana Nováková")   # lower-cased; Q-encoded name
    assert p.recipients == ["dpo@shop.example", "legal@shop.example", "mueller@shop.example"]
    assert p.message_id == "CAF1234.5678@mail.example.cz"
    assert p.in_reply_to == ["DSR-7KQ2-M4XZ.1@dsar.example"]
    assert p.references == ["first@dsar.example", "DSR-7KQ2-M4XZ.1@dsar.example"]
    assert p.date == datetime(2026, 11, 23, 9, 15, tzinfo=timezone.utc)
    assert p.attachments == [] and p.auto is None and not p.headers_broken


def test_html_only_becomes_text_without_scripts_and_with_quotes():
    p = fixture("html_only.eml")
    assert "Please send me a copy of my data.\nThanks & regards" in p.text
    assert "- first\n- second" in p.text
    assert "secret" not in p.text and "color" not in p.text and "ignored title" not in p.text
    assert "> We can delete your account." in p.text
    u = understand_email(p)
    assert u.rights == ["access"]             # the quoted "delete your account" does not count


def test_nested_multipart_with_inline_image_attachments_and_forwarded_message():
    p = fixture("nested_attachments.eml")
    assert p.text == "Bonjour, veuillez supprimer mon compte. Ci-joint ma carte d'identité."
    names = [(a.filename, a.content_type) for a in p.attachments]
    assert names == [("logo.png", "image/png"),
                     ("carte d'identité.pdf", "application/pdf"),          # RFC 2231 filename*
                     ("état civil.bin", "application/octet-stream"),      # RFC 2047 in filename=
                     ("First request.eml", "message/rfc822")]        # named after its subject
    pdf = p.attachments[1]
    assert pdf.data.startswith(b"%PDF-1.4") and pdf.size == len(pdf.data) and pdf.omitted is None
    assert p.attachments[3].data.startswith(b"From: Lucas Martin")
    assert understand_email(p).rights == ["erasure"]


def test_attachment_over_the_limit_keeps_name_and_size_but_not_bytes(monkeypatch):
    monkeypatch.setattr(mailparse, "MAX_ATTACHMENT_BYTES", 1000)
    p = fixture("nested_attachments.eml")
    big = p.attachments[2]
    assert (big.filename, big.size, big.data) == ("état civil.bin", 3000, None)
    assert "limit" in big.omitted
    assert p.attachments[1].data is not None          # 640 bytes: kept


def test_real_eleven_megabyte_attachment_is_omitted():
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "a@b.example", "dpo@shop.example", "scan"
    msg.set_content("see attached")
    msg.add_attachment(b"\0" * (MAX_ATTACHMENT_BYTES + 1024 * 1024), maintype="application", subtype="pdf",
                       filename="scan.pdf")
    p = parse_email(msg.as_bytes())
    (att,) = p.attachments
    assert att.data is None and att.omitted and att.size > MAX_ATTACHMENT_BYTES
    assert p.text == "see attached"


@pytest.mark.parametrize("name, text", [
    ("latin1.eml", "Bitte löschen Sie mein Konto. Grüße, Jürgen Müller"),
    ("windows1252.eml", "I paid 20 € for “premium” – please delete my account."),
    ("iso2022jp.eml", "個人データを削除してください。"),
    ("unknown_8bit.eml", "Radera mitt konto, tack. Hälsningar Åsa"),       # unknown charset name, latin-1 bytes
    ("wrong_charset.eml", "Veuillez supprimer mes données, merci. Pierre Lefèvre"),  # says latin-1, is UTF-8
])
def test_body_charsets(name, text):
    assert fixture(name).text == text


def test_encoded_headers_in_other_charsets():
    assert fixture("latin1.eml").subject == "Löschung"
    assert fixture("latin1.eml").sender_name == "Jürgen Müller"
    jp = fixture("iso2022jp.eml")
    assert (jp.subject, jp.sender_name) == ("アクセス", "山田")


def test_broken_headers_are_parsed_best_effort_and_flagged():
    p = fixture("broken_headers.eml")
    assert p.headers_broken
    assert p.sender == "" and p.sender_name == ""                 # no From
    assert p.date is None                                       # "Someday in the future"
    assert p.subject.startswith("Please delete")                # the good encoded word decoded
    assert p.recipients == ["dpo@shop.example"]                 # broken@@address and <> dropped
    assert p.text == "please delete my account"


def test_missing_message_id_is_synthetic_and_stable():
    raw = (EMAILS / "broken_headers.eml").read_bytes()
    first, second = parse_email(raw), parse_email(raw)
    assert first.message_id == second.message_id
    assert first.message_id.startswith("sha256-") and first.message_id.endswith("@dsar.invalid")
    assert parse_email(raw + b"\n").message_id != first.message_id


def test_bounce():
    p = fixture("bounce.eml")
    assert p.auto == "bounce"
    u = understand_email(p)
    assert not u.is_request and u.confident          # the quoted "We have erased your data" is not a request


def test_auto_reply():
    p = fixture("auto_reply.eml")
    assert p.auto == "auto_reply"
    u = understand_email(p)
    assert not u.is_request and u.confident and u.references == ["DSR-7KQ2-M4XZ"]


@pytest.mark.parametrize("header, auto", [
    ("Auto-Submitted: auto-generated", "auto_reply"),
    ("Auto-Submitted: no", None),
    ("X-Autorespond: yes", "auto_reply"),
    ("Precedence: bulk", "auto_reply"),
    ("Precedence: junk", "auto_reply"),
    ("Precedence: list", None),
    ("Subject: Abwesenheitsnotiz: Ihre Anfrage", "auto_reply"),
    ("Subject: Réponse automatique : absent", "auto_reply"),
    ("Subject: Please delete my account", None),
])
def test_automatic_message_headers(header, auto):
    raw = f"From: a@b.example\nTo: dpo@shop.example\n{header}\n\nhello\n".encode()
    assert parse_email(raw).auto == auto


def test_mailer_daemon_with_delivery_status_is_a_bounce():
    raw = (b"From: MAILER-DAEMON@mx.example\nTo: dpo@shop.example\nSubject: failure notice\n"
           b"Content-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: text/plain\n\nSorry.\n"
           b"--B\nContent-Type: message/delivery-status\n\nAction: failed\n--B--\n")
    assert parse_email(raw).auto == "bounce"


def test_subject_control_characters_and_length():
    raw = b"From: a@b.example\nSubject: =?utf-8?q?line1=0Aline2=07bell?= " + b"x" * 2000 + b"\n\nbody"
    p = parse_email(raw)
    assert "\n" not in p.subject and "\x07" not in p.subject and p.subject.startswith("line1 line2 bell")
    assert len(p.subject) == 998


def test_date_without_zone_and_with_offset():
    p = parse_email(b"From: a@b.example\nDate: Mon, 23 Nov 2026 10:00:00 -0000\n\nx")
    assert p.date == datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
    p = parse_email(b"From: a@b.example\nDate: 23 Nov 2026 10:00 +0530\n\nx")
    assert p.date == datetime(2026, 11, 23, 4, 30, tzinfo=timezone.utc)


def test_recipients_include_delivered_to_and_original_to_deduped():
    raw = (b"From: a@b.example\nTo: DPO <DPO@Shop.example>\nCc: dpo@shop.example, c@d.example\n"
           b"Delivered-To: inbox@shop.example\nX-Original-To: dpo@shop.example\n\nx")
    assert parse_email(raw).recipients == ["dpo@shop.example", "c@d.example", "inbox@shop.example"]


def test_utf8_raw_header_and_base64_body():
    body = base64.b64encode("Bitte löschen.".encode()).decode()
    raw = ("From: Jürgen <j@b.example>\nSubject: Löschung\nContent-Type: text/plain; charset=utf-8\n"
           f"Content-Transfer-Encoding: base64\n\n{body}\n").encode()
    p = parse_email(raw)
    assert (p.sender_name, p.subject, p.text) == ("Jürgen", "Löschung", "Bitte löschen.")


@pytest.mark.parametrize("raw", [b"", b"\x00\xff" * 50, b"Content-Type: multipart/mixed\n\n--\n--\n",
                                 b"From: <<<@>>>\n\n", b"Content-Type: multipart/mixed; boundary=X\n\n--X\n" * 30])
def test_garbage_gives_a_mostly_empty_message(raw):
    p = parse_email(raw)
    assert p.message_id.endswith("@dsar.invalid") and p.sender == ""


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=2000))
def test_any_bytes_parse(raw):
    p = parse_email(raw)
    assert isinstance(p.text, str) and isinstance(p.message_id, str)
    understand_email(p)


_HEADERS = st.sampled_from([b"From: ", b"To: ", b"Cc: ", b"Subject: ", b"Date: ", b"Message-ID: ", b"References: ",
                            b"Content-Type: ", b"Content-Transfer-Encoding: ", b"Content-Disposition: ",
                            b"Auto-Submitted: ", b"\n", b"--B\n", b"=?utf-8?b?", b"=?x?q?", b"?=", b"<", b">", b"@",
                            b"multipart/mixed; boundary=B", b"base64", b"quoted-printable", b"text/html", b"\xff"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_HEADERS, st.binary(max_size=20)), max_size=60))
def test_email_shaped_garbage_parses(chunks):
    parse_email(b"".join(chunks))


def _big_message() -> bytes:
    import random
    rng = random.Random(7)
    inner = EmailMessage()
    inner["Subject"] = "forwarded"
    inner.set_content("inner text")
    inner.add_attachment(rng.randbytes(60_000), maintype="image", subtype="png", filename="inner.png")
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "a@b.example", "dpo@shop.example", "big"
    # A text part that quotes a base64 header and a base64-looking block: it must stay text.
    msg.set_content("Please delete my account.\nContent-Transfer-Encoding: base64\n\n" + ("QUJD" * 19 + "\n") * 80)
    for k in range(3):
        msg.add_attachment(rng.randbytes(200_000 + k), maintype="application", subtype="pdf", filename=f"scan{k}.pdf")
    msg.add_attachment(inner)
    return msg.as_bytes()


def test_lifting_large_base64_bodies_changes_nothing(monkeypatch):
    raw = _big_message()
    fast = parse_email(raw)
    monkeypatch.setattr(mailparse, "lift_base64", lambda r: (r, mailparse._Lifted()))
    slow = parse_email(raw)
    assert fast == slow
    assert [a.size for a in fast.attachments] == [200_000, 200_001, 200_002, len(fast.attachments[3].data)]
    assert b"inner.png" in fast.attachments[3].data and b"dsarlifted" not in fast.attachments[3].data
    assert fast.text.startswith("Please delete my account.\nContent-Transfer-Encoding: base64")


def test_lifted_body_with_stray_characters_still_decodes():
    raw = _big_message()
    body_start = raw.index(b"\n\n", raw.index(b"scan1.pdf")) + 2
    damaged = raw[:body_start] + raw[body_start:].replace(b"\n", b"\n ", 5)   # spaces inside a base64 body
    p = parse_email(damaged)
    assert [a.filename for a in p.attachments][:3] == ["scan0.pdf", "scan1.pdf", "scan2.pdf"]
    assert p.attachments[1].size == 200_001


def test_text_that_looks_like_a_mime_part_falls_back_to_plain_parsing():
    fake_part = "--not-a-boundary\nContent-Transfer-Encoding: base64\n\n" + ("QUJD" * 19 + "\n") * 80
    msg = EmailMessage()
    msg["From"], msg["Subject"] = "a@b.example", "x"
    msg.set_content("Please delete my account.\n" + fake_part + "-- \nEmma", cte="8bit")
    msg.add_attachment(b"\1" * 40_000, maintype="application", subtype="pdf", filename="a.pdf")
    p = parse_email(msg.as_bytes())
    assert "QUJDQUJD" in p.text and "dsarlifted" not in p.text
    assert p.attachments[0].size == 40_000
