"""The data subject as a principal: sees and confirms their own request, nothing else,
and can never hold an API token."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from dsar.api.auth import create_token
from dsar.models import Request, Role
from dsar.permissions import Forbidden, Principal, can_see, check_action, check_create, scope


def test_a_subject_may_confirm_their_own_request_and_do_nothing_else():
    subject = Principal.subject("DSR-AAAA-BBBB")
    mine, theirs = Request(reference="DSR-AAAA-BBBB"), Request(reference="DSR-CCCC-DDDD")
    assert subject.actor == "subject:DSR-AAAA-BBBB" and not subject.is_operator
    check_action(subject, "verify", mine)
    with pytest.raises(Forbidden):
        check_action(subject, "verify", theirs)
    for action in ("approve", "reject", "cancel", "route", "note", "assign", "request_information", "extend"):
        with pytest.raises(Forbidden):
            check_action(subject, action, mine)
    with pytest.raises(Forbidden):
        check_create(subject, None)
    assert can_see(subject, mine) and not can_see(subject, theirs)
    assert "requests.reference = :reference_1" in str(scope(subject, select(Request)))


def test_no_api_token_can_be_minted_for_a_subject(runner, app):
    result = runner.invoke(args=["tokens", "create", "--role", "subject"])
    assert result.exit_code != 0 and "subject" in result.output
    with app.app_context(), pytest.raises(ValueError):
        create_token(Role.SUBJECT, None)
