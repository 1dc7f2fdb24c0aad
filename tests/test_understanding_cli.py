"""`dsar classify`, through Click's runner on the command itself (no app needed)."""
from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from dsar.understanding.cli import classify, looks_like_email

EMAILS = Path(__file__).parent / "emails"


def run(args=(), input=None) -> dict:
    result = CliRunner().invoke(classify, list(args), input=input)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_classify_an_eml_file():
    out = run([str(EMAILS / "multipart_alternative.eml")])
    assert out["source"] == "email"
    assert out["is_request"] is True and out["rights"] == ["erasure"] and out["language"] == "cs"
    assert out["message_id"] == "CAF1234.5678@mail.example.cz"
    assert out["subject"] == "Žádost o výmaz osobních údajů"
    assert out["sender"] == "jana.novakova@example.cz" and out["auto"] is None
    assert {"kind": "email", "value": "jana.novakova@example.cz"} in out["identities"]
    assert {"kind": "name", "value": "Jana Nováková"} in out["identities"]
    assert set(out) >= {"chaser", "references", "confident", "reasons"}


def test_classify_plain_text_from_stdin():
    out = run(input="Bonjour,\nmerci de supprimer mon compte.\nNuméro client : FR-778120\n".encode())
    assert out["source"] == "text"
    assert (out["rights"], out["language"], out["confident"]) == (["erasure"], "fr", True)
    assert {"kind": "customer_id", "value": "FR-778120"} in out["identities"]
    assert "message_id" not in out


def test_classify_an_auto_reply():
    out = run([str(EMAILS / "auto_reply.eml")])
    assert out["auto"] == "auto_reply" and out["is_request"] is False and out["confident"] is True


def test_classify_garbage():
    out = run(input=bytes(range(256)) * 4)
    assert out["is_request"] is False and out["confident"] is False
    assert out["rights"] == [] and out["identities"] == []


def test_classify_empty_input():
    out = run(input=b"")
    assert out["is_request"] is False and out["confident"] is False


def test_text_starting_with_a_label_is_not_an_email():
    assert not looks_like_email(b"Name: Jana Novak\nEmail: jana@example.org\n\nPlease delete my data.")
    assert looks_like_email(b"Subject: hi\nX-Foo: bar\n\nbody")
    assert looks_like_email(b"Received: from x\n\tby y\nFrom: a@b.example\n\nbody")
