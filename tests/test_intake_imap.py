"""IMAP polling against a real Dovecot: one request per email, however often it is delivered."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

import imap_server
from emails_intake import load, make, with_headers

pytestmark = pytest.mark.skipif(
    not imap_server.available(),
    reason=f"no IMAP server: {imap_server.DOVECOT} is missing (Debian package dovecot-imapd)")

ACCESS_FR = load("access_fr_alias.eml")


@pytest.fixture(scope="module")
def dovecot():
    server = imap_server.DovecotServer()
    server.start()
    yield server
    server.cleanup()


@pytest.fixture
def folder(dovecot, app):
    """A fresh folder of the test mailbox, and the app pointed at it."""
    name = f"dsar-{uuid.uuid4().hex[:8]}"
    client = dovecot.client()
    client.create_folder(name)
    client.logout()
    app.config.update(dovecot.settings(name))
    return name


def append(dovecot, folder: str, *messages: bytes) -> None:
    client = dovecot.client()
    for raw in messages:
        client.append(folder, raw)
    client.logout()


def flags(dovecot, folder: str) -> dict[int, tuple]:
    client = dovecot.client()
    client.select_folder(folder, readonly=True)
    found = {uid: data[b"FLAGS"] for uid, data in client.fetch("1:*", ["FLAGS"]).items()}
    client.logout()
    return found


def poll(runner):
    return runner.invoke(args=["mail", "poll", "--once"])


def requests_seen(client, headers) -> list[dict]:
    response = client.get("/api/v1/requests", headers=headers)
    assert response.status_code == 200
    return response.json["items"]


def test_an_email_in_the_mailbox_opens_one_request_however_often_it_comes(dovecot, folder, runner, client, token):
    operator = token("operator_admin")
    append(dovecot, folder, ACCESS_FR)
    result = poll(runner)
    assert result.exit_code == 0, result.output
    assert "opened DSR-" in result.output and "<CAFx8a2-access-fr-1@mail.example>" in result.output
    [request] = requests_seen(client, operator)
    assert request["controller"] == "cabinet-martin"  # sent to the client's alias
    assert set(request["rights"]) == {"access", "portability"}
    assert request["language"] == "fr" and request["channel"] == "email"
    assert request["identities"][0] == {"type": "email", "value": "camille.durand@mail.example"}
    # Read only after the commit, and flagged \Seen then (BODY.PEEK marks nothing itself).
    assert b"\\Seen" in flags(dovecot, folder)[1]

    append(dovecot, folder, ACCESS_FR)  # delivered again: the same Message-ID
    result = poll(runner)
    assert result.exit_code == 0 and "already had" in result.output, result.output
    assert len(requests_seen(client, operator)) == 1

    result = poll(runner)  # nothing new
    assert result.exit_code == 0 and "0 message(s)" in result.output
    assert len(requests_seen(client, operator)) == 1


def test_a_renumbered_folder_is_read_again_without_duplicates(dovecot, folder, runner, client, token, app):
    append(dovecot, folder, ACCESS_FR)
    assert poll(runner).exit_code == 0
    # Recreating the folder gives it a new UIDVALIDITY: UIDs start again from 1.
    imap = dovecot.client()
    imap.delete_folder(folder)
    imap.create_folder(folder)
    imap.logout()
    other = make(sender="Lea Roth <lea.roth@mail.example>", to="kanzlei-huber@dsar.septeo.example",
                 subject="Auskunft nach Art. 15 DSGVO", message_id="<renumbered-2@mail.example>",
                 body="Guten Tag,\n\nich beantrage hiermit Auskunft über meine personenbezogenen Daten "
                      "gemäß Art. 15 DSGVO.\n\nMit freundlichen Grüßen\nLea Roth\n")
    append(dovecot, folder, ACCESS_FR, other)
    result = poll(runner)
    assert result.exit_code == 0, result.output
    assert "UIDVALIDITY changed" in result.output
    assert "already had" in result.output and result.output.count(">  opened DSR-") == 1
    assert len(requests_seen(client, token("operator_admin"))) == 2


def _three(prefix: str) -> list[bytes]:
    return [with_headers(ACCESS_FR, Message_ID=f"<{prefix}-{n}@mail.example>",
                         From=f"Person {n} <person{n}.{prefix}@mail.example>") for n in (1, 2, 3)]


def test_a_server_lost_mid_poll_keeps_what_was_committed_and_the_next_poll_gets_the_rest(
        dovecot, folder, app, client, token, monkeypatch):
    from dsar.mail import imap
    from dsar.models import Mailbox

    append(dovecot, folder, *_three("lost"))
    real_ingest = imap.ingest

    def ingest_then_lose_the_server(raw, **kwargs):
        outcome = real_ingest(raw, **kwargs)
        dovecot.stop()  # the server goes away after the first message is committed
        return outcome

    monkeypatch.setattr(imap, "ingest", ingest_then_lose_the_server)
    try:
        with app.app_context():
            first = imap.poll_once()
            assert first.error and len(first.outcomes) == 1
            mailbox = imap.db.session.scalars(select(Mailbox)).one()
            assert mailbox.last_uid == 1 and mailbox.last_error == first.error
    finally:
        monkeypatch.setattr(imap, "ingest", real_ingest)
        if not dovecot.running:
            dovecot.start()

    with app.app_context():
        second = imap.poll_once()
        assert second.error is None, second.error
        assert [uid for uid, _ in second.outcomes] == [2, 3]
        assert all(o.stored and o.disposition == "opened" for _, o in second.outcomes)
        assert imap.db.session.scalars(select(Mailbox)).one().last_error is None
    assert len(requests_seen(client, token("operator_admin"))) == 3


def test_a_crash_between_commit_and_last_uid_opens_nothing_twice(dovecot, folder, app, runner, client, token):
    from dsar.extensions import db
    from dsar.models import Mailbox

    append(dovecot, folder, *_three("crash"))
    assert poll(runner).exit_code == 0
    with app.app_context():  # as if the process died after intake's commits, before last_uid's
        db.session.scalars(select(Mailbox)).one().last_uid = 0
        db.session.commit()
    result = poll(runner)
    assert result.exit_code == 0 and result.output.count("  already had (") == 3, result.output
    assert len(requests_seen(client, token("operator_admin"))) == 3


def test_a_wrong_password_is_reported_and_recorded(dovecot, folder, app, runner):
    from dsar.extensions import db
    from dsar.models import Mailbox

    app.config["IMAP_PASSWORD"] = "not-the-password"
    result = poll(runner)
    assert result.exit_code == 1 and "ERROR" in result.output
    with app.app_context():
        assert "LoginError" in db.session.scalars(select(Mailbox)).one().last_error


def test_poll_needs_its_settings(app, runner):
    app.config.update(IMAP_HOST=None)
    result = poll(runner)
    assert result.exit_code == 2 and "DSAR_IMAP_HOST" in result.output


def test_the_loop_backs_off_while_the_server_is_away(app):
    from dsar.mail import imap

    assert [imap.backoff(n, 60, 900) for n in range(7)] == [60, 60, 120, 240, 480, 900, 900]
    settings = imap.ImapSettings(host="127.0.0.1", port=imap_server._free_port(), ssl=False,
                                 username="u", password="p", timeout=2)
    waits: list[float] = []
    with app.app_context():
        imap.poll_forever(settings, interval=5, max_backoff=30, sleep=waits.append,
                          should_stop=lambda: len(waits) >= 5)
    assert waits == [5, 10, 20, 30, 30]
