"""A real browser (Debian's Chromium, driven by Playwright) on the staff pages: a
controller admin made with `dsar users create` logs in, works the queue, approves,
extends and rejects; and a request full of script tags runs no script anywhere."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

SCRIPT = "<script>window.__pwned=1</script>"
PASSWORD = "a long enough passphrase"
EMAIL = "dpo@cabinet-martin.example"


@pytest.fixture
def page(chromium):
    context = chromium.new_context(locale="en-GB")
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def martin_admin(runner):
    result = runner.invoke(args=["users", "create", "--email", EMAIL, "--role", "controller_admin",
                                 "--controller", "cabinet-martin", "--name", "Claire", "--password-stdin"],
                           input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    return EMAIL


def _log_in(page, live_server):
    page.goto(f"{live_server}/staff/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Queue")


def _not_pwned(page) -> None:
    assert page.evaluate("typeof window.__pwned") == "undefined"


def test_a_controller_admin_approves_extends_and_rejects(page, live_server, martin_admin, token, file_request):
    operator = token("operator_admin")
    first, second = (file_request(operator, controller="cabinet-martin", identity_verified=True)["reference"]
                     for _ in range(2))
    foreign = file_request(operator, controller="notaria-serrano", identity_verified=True)["reference"]
    _log_in(page, live_server)
    links = page.locator("table.queue a").all_inner_texts()
    assert sorted(links) == sorted([first, second]) and foreign not in page.content()

    page.get_by_role("link", name=first).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Request {first}")
    approve = page.locator("#action-approve")
    approve.get_by_label("Instruction to the processor").fill("Export the client file")
    approve.get_by_role("button", name="Approve").click()
    # Approval starts fulfilment at once (tasks run in the server's threads here).
    expect(page.locator(".status")).to_have_text(re.compile("in fulfilment|fulfilled|partially fulfilled"))
    extend = page.locator("#action-extend")
    extend.get_by_label("Reasons, emailed to the subject").fill("Archives on paper to search")
    extend.get_by_role("button", name="Extend by two months").click()
    timeline = page.locator("ol.timeline")
    expect(timeline).to_contain_text("Export the client file")
    expect(timeline).to_contain_text("Archives on paper to search")
    expect(timeline.locator("li.event-approve")).to_contain_text(f"controller_admin:cabinet-martin:{EMAIL}")
    expect(timeline.locator("li.event-extend")).to_have_count(1)

    page.goto(f"{live_server}/staff/requests/{second}")
    reject = page.locator("#action-reject")
    reject.get_by_label("Grounds").select_option("manifestly_unfounded")
    reject.get_by_label("Reasons, emailed to the subject with their right to complain").fill("The same request for the 12th time this month")
    reject.get_by_role("button", name="Reject").click()
    expect(page.locator(".status")).to_have_text("rejected")
    expect(page.locator("ol.timeline li.event-reject")).to_contain_text("12th time")

    page.goto(f"{live_server}/staff/requests/{foreign}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Not found")


def test_script_in_every_subject_field_does_not_run(page, live_server, martin_admin, token, file_request):
    made = file_request(
        token("controller_admin", "cabinet-martin"), rights=["rectification", "access"], details=SCRIPT,
        corrections={"name": SCRIPT}, language="fr",
        identities=[{"type": "email", "value": "x@mail.example"}, {"type": "name", "value": SCRIPT},
                    {"type": "customer_id", "value": SCRIPT}, {"type": "phone", "value": SCRIPT}])
    _log_in(page, live_server)
    _not_pwned(page)
    page.goto(f"{live_server}/staff/?search={made['reference']}")
    _not_pwned(page)
    page.get_by_role("link", name=made["reference"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Request {made['reference']}")
    _not_pwned(page)
    expect(page.locator("pre.text").first).to_have_text(SCRIPT)
    expect(page.locator("ul.identities")).to_contain_text(f"name: {SCRIPT}")
    page.locator("#action-note").get_by_label("Note").fill(SCRIPT)
    page.locator("#action-note").get_by_role("button", name="Add a note").click()
    expect(page.locator("ol.timeline li.event-note")).to_contain_text(SCRIPT)
    _not_pwned(page)
