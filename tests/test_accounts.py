"""Staff accounts: login and logout, lockout and unlock, `dsar users`, safe next URLs, CSRF."""
from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import STAFF_PASSWORD, csrf_token_of

from dsar.accounts.web import safe_next


def _login(client, email, password, next_url=None):
    token = csrf_token_of(client.get("/staff/login").get_data(as_text=True))
    data = {"csrf_token": token, "email": email, "password": password}
    if next_url is not None:
        data["next"] = next_url
    return client.post("/staff/login", data=data)


def test_pages_require_login_with_next(client):
    response = client.get("/staff/?status=verified")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/staff/login?next=")
    assert "status%3Dverified" in response.headers["Location"] or "status=verified" in response.headers["Location"]


def test_login_logout(client, staff_user):
    email = staff_user("controller_admin", "cabinet-martin")
    response = _login(client, email.upper(), STAFF_PASSWORD, next_url="/staff/?right=access")
    assert response.status_code == 303 and response.headers["Location"] == "/staff/?right=access"
    page = client.get("/staff/")
    assert page.status_code == 200 and email in page.get_data(as_text=True)
    cookie = next(c for c in client._cookies.values() if c.key == "session")
    assert cookie.http_only and cookie.same_site == "Lax"
    token = csrf_token_of(page.get_data(as_text=True))
    assert client.post("/staff/logout").status_code == 400  # no CSRF token: refused
    assert client.post("/staff/logout", data={"csrf_token": token}).status_code == 303
    assert client.get("/staff/").status_code == 302


def test_wrong_password_and_unknown_email_say_the_same(client, staff_user):
    email = staff_user("operator_agent")
    wrong = _login(client, email, "not the password at all")
    unknown = _login(client, "nobody@staff.example", "not the password at all")
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert "Wrong email or password." in response.get_data(as_text=True)
    assert client.get("/staff/").status_code == 302


def test_open_redirects_are_refused(client, staff_user):
    email = staff_user("operator_admin")
    for evil in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", "http:evil"):
        response = _login(client, email, STAFF_PASSWORD, next_url=evil)
        assert response.status_code == 303 and response.headers["Location"] == "/staff/", evil
    assert safe_next("/staff/requests/DSR-AAAA-BBBB") == "/staff/requests/DSR-AAAA-BBBB"


def test_login_needs_csrf(client, staff_user):
    email = staff_user("operator_admin")
    response = client.post("/staff/login", data={"email": email, "password": STAFF_PASSWORD})
    assert response.status_code == 400 and "expired" in response.get_data(as_text=True)


def test_lockout_after_five_failures_counts_while_locked_and_unlock(app, client, staff_user, runner):
    from dsar.accounts.service import find_user

    email = staff_user("controller_agent", "notaria-serrano")
    for _ in range(4):
        assert "Wrong email or password." in _login(client, email, "wrong password!!").get_data(as_text=True)
    fifth = _login(client, email, "wrong password!!").get_data(as_text=True)
    assert "locked until" in fifth
    # Locked: even the right password is refused, and the attempt counts.
    right = _login(client, email, STAFF_PASSWORD)
    assert right.status_code == 401 and "locked until" in right.get_data(as_text=True)
    with app.app_context():
        user = find_user(email)
        assert user.failed_logins == 6
        assert user.locked_until is not None
    listed = runner.invoke(args=["users", "list"])
    assert email in listed.output and "locked until" in listed.output
    result = runner.invoke(args=["users", "unlock", email])
    assert result.exit_code == 0, result.output
    assert _login(client, email, STAFF_PASSWORD).status_code == 303
    with app.app_context():
        assert find_user(email).failed_logins == 0


def test_lock_expires(app, client, staff_user):
    from dsar.accounts.service import check_login, find_user
    from dsar.timeutil import now

    email = staff_user("operator_agent")
    with app.test_request_context():
        for _ in range(5):
            check_login(email, "wrong password!!")
        assert check_login(email, STAFF_PASSWORD).locked_until is not None
        later = now() + timedelta(minutes=16)
        assert check_login(email, STAFF_PASSWORD, now=later).ok
        assert find_user(email).failed_logins == 0


def test_login_rate_limited_per_ip(app, client, staff_user):
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    email = staff_user("operator_agent")
    codes = [_login(client, email, "wrong password!!").status_code for _ in range(4)]
    assert codes[-1] == 429, codes


@pytest.mark.parametrize("args, message", [
    (["--role", "controller_admin"], "needs --controller"),
    (["--role", "operator_admin", "--controller", "cabinet-martin"], "takes no --controller"),
    (["--role", "controller_admin", "--controller", "no-such-tenant"], "unknown controller"),
    (["--role", "bot"], "not a staff role"),
    (["--role", "subject"], "not a staff role"),
])
def test_users_create_validation(runner, args, message):
    result = runner.invoke(args=["users", "create", "--email", "a@staff.example", *args, "--password-stdin"],
                           input=STAFF_PASSWORD + "\n")
    assert result.exit_code != 0 and message in result.output, result.output


def test_users_create_refuses_weak_and_prompts_twice(app, runner):
    weak = runner.invoke(args=["users", "create", "--email", "a@staff.example", "--role", "operator_admin",
                               "--password-stdin"], input="short\n")
    assert weak.exit_code != 0 and "at least 12" in weak.output
    mismatch = runner.invoke(args=["users", "create", "--email", "a@staff.example", "--role", "operator_admin"],
                             input=f"{STAFF_PASSWORD}\nsomething else entirely\n{STAFF_PASSWORD}\n{STAFF_PASSWORD}\n")
    assert mismatch.exit_code == 0, mismatch.output
    again = runner.invoke(args=["users", "create", "--email", "A@staff.example", "--role", "operator_admin",
                                "--password-stdin"], input=STAFF_PASSWORD + "\n")
    assert again.exit_code != 0 and "already exists" in again.output
    from dsar.accounts.service import find_user

    with app.app_context():
        user = find_user("a@staff.example")
        assert user.password_hash.startswith("scrypt:") and STAFF_PASSWORD not in user.password_hash


def test_session_cookie_is_secure_behind_https(database, staff_user):
    from dsar import create_app

    secure = create_app({"SQLALCHEMY_DATABASE_URI": database[0], "TESTING": True,
                         "PUBLIC_BASE_URL": "https://dsar.example"})
    email = staff_user("operator_admin")
    try:
        browser = secure.test_client()
        token = csrf_token_of(browser.get("/staff/login", base_url="https://dsar.example").get_data(as_text=True))
        response = browser.post("/staff/login", base_url="https://dsar.example",
                                headers={"Referer": "https://dsar.example/staff/login"},
                                data={"csrf_token": token, "email": email, "password": STAFF_PASSWORD})
    finally:
        from dsar.extensions import db

        with secure.app_context():  # the second app's connections must not outlive the test
            db.session.remove()
            db.engine.dispose()
    assert response.status_code == 303
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
