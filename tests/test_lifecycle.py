"""A request's life through the API: verification, approval, extension, rejection, closing,
each refused move a 409 that says why, each move an event with its actor."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from dsar.fulfilment import queue
from dsar.lifecycle import ACTIONS, Status, TransitionRefused, next_status


def _act(client, headers, reference, action, **payload):
    return client.post(f"/api/v1/requests/{reference}/{action}", json=payload, headers=headers)


def test_every_action_refuses_the_states_it_does_not_start_from():
    for action in ACTIONS.values():
        for status in Status:
            if status in action.sources:
                assert next_status(action.name, status.value) == (action.target or status)
            else:
                with pytest.raises(TransitionRefused, match="cannot"):
                    next_status(action.name, status.value)


def test_end_to_end_verify_approve_extend_complete_answer_close(app, client, token, file_request, demo, runner):
    fr = demo["by_country"]["FR"]
    controller = token("controller_admin", fr.id, "claire")
    operator_bot = token("bot", None, "fulfilment-bot")
    request = file_request(controller)
    ref = request["reference"]
    assert request["status"] == "received"

    refused = _act(client, controller, ref, "approve")
    assert refused.status_code == 409
    assert "verify the identity first" in refused.json["error"]["message"]

    verified = _act(client, controller, ref, "verify", reason="customer number matches")
    assert verified.status_code == 200
    assert verified.json["status"] == "routed" and verified.json["verification"] == "verified"

    missing_reason = _act(client, controller, ref, "extend")
    assert missing_reason.status_code == 422 and "reason" in missing_reason.json["error"]["fields"]
    before = verified.json["clocks"]["statutory"]["due"]
    extended = _act(client, controller, ref, "extend", reason="twelve systems to search")
    assert extended.status_code == 200 and extended.json["extended"] is True
    after = extended.json["clocks"]["statutory"]["due"]
    assert date.fromisoformat(after) - date.fromisoformat(before) >= timedelta(days=55)
    again = _act(client, controller, ref, "extend", reason="more")
    assert again.status_code == 409 and "already extended" in again.json["error"]["message"]

    approved = _act(client, controller, ref, "approve", instruction="export everything")
    assert approved.json["status"] == "in_fulfilment"  # approval starts the tasks at once
    assert approved.json["clocks"]["processor_sla"]["state"] == "running"
    queue.wait_idle(app, 30)  # no store's credentials are set here: tasks fail, or wait for a person

    # Fulfilment is the operator's work; the controller cannot mark it done.
    assert _act(client, controller, ref, "complete").status_code == 403
    done = _act(client, operator_bot, ref, "complete", summary="3 systems exported by hand")
    assert done.json["status"] == "fulfilled"
    assert done.json["clocks"]["processor_sla"]["state"] == "met"
    answered = _act(client, controller, ref, "answer")
    assert answered.json["status"] == "answered"
    assert answered.json["clocks"]["statutory"]["state"] == "met"
    closed = _act(client, controller, ref, "close")
    assert closed.json["status"] == "closed"
    assert _act(client, controller, ref, "verify").status_code == 409

    timeline = closed.json["timeline"]
    assert [e["seq"] for e in timeline] == list(range(1, len(timeline) + 1))
    # The tasks' own events (and their emails) are tested with fulfilment (test_fulfilment.py).
    timeline = [e for e in timeline if (e["kind"] in ACTIONS or e["kind"] == "received")
                and e["kind"] != "complete_partially"]
    assert [e["kind"] for e in timeline] == ["received", "verify", "route", "extend", "approve",
                                             "start_fulfilment", "complete", "answer", "close"]
    assert timeline[1]["actor"] == f"controller_admin:{fr.id}:claire"
    assert timeline[6]["actor"] == "bot:operator:fulfilment-bot"
    assert timeline[3]["data"]["reason"] == "twelve systems to search"
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0


def test_asking_for_information_pauses_the_month_until_it_arrives(client, token, file_request, demo):
    fr = demo["by_country"]["FR"]
    headers = token("controller_agent", fr.id)
    received = datetime.now(timezone.utc) - timedelta(days=20)
    ref = file_request(headers, received_at=received.isoformat())["reference"]
    first_due = client.get(f"/api/v1/requests/{ref}", headers=headers).json["clocks"]["statutory"]["due"]

    assert _act(client, headers, ref, "request-information").status_code == 422
    paused = _act(client, headers, ref, "request-information", reason="please send your customer number")
    assert paused.json["status"] == "awaiting_verification"
    clock = paused.json["clocks"]["statutory"]
    assert clock["state"] == "paused" and clock["due"] is None and clock["days_left"] is None

    resumed = _act(client, headers, ref, "verify", reason="customer number received")
    assert resumed.json["status"] == "routed"
    clock = resumed.json["clocks"]["statutory"]
    # The month now runs from today, when the information arrived.
    assert clock["state"] == "running" and clock["due"] > first_due and clock["days_left"] >= 27
    assert [e["kind"] for e in resumed.json["timeline"]][-3:] == ["request_information", "verify", "route"]


def test_extension_after_the_first_month_is_refused(client, token, file_request, demo):
    es = demo["by_country"]["ES"]
    headers = token("controller_admin", es.id)
    received = datetime.now(timezone.utc) - timedelta(days=45)
    ref = file_request(headers, received_at=received.isoformat(), identity_verified=True)["reference"]
    response = _act(client, headers, ref, "extend", reason="complex")
    assert response.status_code == 409
    assert "within the first month" in response.json["error"]["message"]
    listed = client.get("/api/v1/requests?overdue=true", headers=headers).json["items"]
    assert [r["reference"] for r in listed] == [ref]
    assert listed[0]["clocks"]["statutory"]["state"] == "missed"


def test_rejection_needs_grounds_and_reasons_then_closes(client, token, file_request, demo):
    de = demo["by_country"]["DE"]
    headers = token("controller_admin", de.id)
    ref = file_request(headers)["reference"]
    assert _act(client, headers, ref, "reject", reason="x").status_code == 422
    assert _act(client, headers, ref, "reject", grounds="excessive").status_code == 422
    rejected = _act(client, headers, ref, "reject", grounds="identity_not_established",
                    reason="We could not confirm that you hold this account. You may complain to the BayLDA.")
    assert rejected.json["status"] == "rejected"
    assert rejected.json["rejection_reason"].startswith("We could not confirm")
    assert rejected.json["clocks"]["statutory"]["state"] == "met"  # Art. 12(4): the refusal is the answer
    assert _act(client, headers, ref, "approve").status_code == 409
    assert _act(client, headers, ref, "close").json["status"] == "closed"


def test_cancel_assign_note_and_duplicate(client, token, file_request, demo):
    fr = demo["by_country"]["FR"]
    headers = token("controller_agent", fr.id, "dora")
    first = file_request(headers)["reference"]
    second = file_request(headers)["reference"]
    assigned = _act(client, headers, first, "assign", assignee="dora")
    assert assigned.json["assignee"] == "dora"
    assert client.get("/api/v1/requests?assignee=dora", headers=headers).json["items"][0]["reference"] == first
    noted = _act(client, headers, first, "note", text="called the subject")
    assert noted.json["timeline"][-1]["data"]["text"] == "called the subject"
    merged = _act(client, headers, second, "mark-duplicate", duplicate_of=first, reason="same person, same day")
    assert merged.json["status"] == "duplicate"
    assert _act(client, headers, first, "cancel").status_code == 422
    assert _act(client, headers, first, "cancel", reason="withdrawn by the subject").json["status"] == "cancelled"
    assert _act(client, headers, first, "assign", assignee="eve").status_code == 409


def test_the_operator_routes_but_does_not_decide_for_a_client(client, token, file_request, demo):
    fr = demo["by_country"]["FR"]
    operator = token("operator_agent")
    ref = file_request(operator, controller=fr.id)["reference"]
    response = _act(client, operator, ref, "approve")
    assert response.status_code == 403 and fr.name in response.json["error"]["message"]
    controller = token("controller_admin", fr.id)
    assert _act(client, controller, ref, "verify").json["status"] == "routed"
    forwarded = _act(client, operator, ref, "forward")
    assert forwarded.json["status"] == "forwarded"
    assert forwarded.json["clocks"]["forwarding"]["state"] == "met"
    assert _act(client, controller, ref, "forward").status_code == 403
    assert _act(client, controller, ref, "approve").json["status"] == "in_fulfilment"


def test_the_operator_decides_its_own_processing(client, token, file_request, demo):
    operator = token("operator_admin")
    ref = file_request(operator, controller=demo["operator"].id)["reference"]
    assert _act(client, operator, ref, "verify").json["status"] == "routed"
    body = _act(client, operator, ref, "approve").json
    assert body["status"] == "in_fulfilment"
    assert set(body["clocks"]) == {"statutory"}  # no processor SLA, no forwarding: we are the controller
