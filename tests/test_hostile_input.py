"""Whatever a client sends, the API answers with a 4xx in the one error shape, never a 500,
and nothing is half-written."""
from __future__ import annotations

import json
from urllib.parse import quote

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from dsar.api.views import API_ACTIONS

# Strings a database chokes on, mixed in on purpose: plain st.text() rarely draws them.
nasty_text = st.text(max_size=40) | st.sampled_from(["\x00", "a\x00b", "\ud800", "x\udfffy", "\x1b[2J", "' OR 1=1 --", "é" * 500])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | nasty_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
VALID = {"rights": ["access"], "identities": [{"type": "email", "value": "h@mail.example"}],
         "details": "send me my data", "channel": "email", "language": "fr"}
FIELDS = ["rights", "identities", "controller", "received_at", "details", "corrections", "channel",
          "language", "identity_verified", "recipients", "form", "extra"]
junk = nasty_text | json_values | st.lists(nasty_text, max_size=2) | st.just([{"type": "name", "value": "a\x00"}])


@st.composite
def create_bodies(draw):
    """A valid body with one or two fields spoiled: the input that reaches deepest."""
    body = dict(VALID)
    for name in draw(st.lists(st.sampled_from(FIELDS), min_size=1, max_size=2, unique=True)):
        body[name] = draw(junk)
    return body


SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _assert_clean_error(response):
    assert response.status_code < 500, response.get_data(as_text=True)
    if response.status_code >= 400:
        error = response.json["error"]
        assert error["code"] and error["message"]


@SETTINGS
@given(body=create_bodies() | json_values)
@example(body=VALID | {"details": "x\x00y"})
@example(body=VALID | {"identities": [{"type": "name", "value": "Ana\x00"}]})
@example(body=VALID | {"corrections": {"name": "\ud800"}, "rights": ["rectification"]})
def test_create_never_fails_with_a_500(client, token, body):
    response = client.post("/api/v1/requests", data=json.dumps(body), content_type="application/json",
                           headers=_headers(token))
    _assert_clean_error(response)
    if response.status_code == 201:
        assert response.json["reference"].startswith("DSR-")


@SETTINGS
@given(action=st.sampled_from(sorted(API_ACTIONS)), body=json_values)
def test_actions_never_fail_with_a_500(client, token, action, body):
    headers = _headers(token)
    reference = _a_request(client, headers)
    before = client.get(f"/api/v1/requests/{reference}", headers=headers).json
    response = client.post(f"/api/v1/requests/{reference}/{action}", data=json.dumps(body),
                           content_type="application/json", headers=headers)
    _assert_clean_error(response)
    if response.status_code >= 400:  # a refused action leaves no trace but the refusal
        after = client.get(f"/api/v1/requests/{reference}", headers=headers).json
        assert after["timeline"] == before["timeline"] and after["status"] == before["status"]


@SETTINGS
@given(query=st.dictionaries(st.sampled_from(["status", "controller", "right", "due_before", "overdue",
                                              "assignee", "cursor", "limit", "x"]),
                             nasty_text, max_size=4))
def test_list_queries_never_fail_with_a_500(client, token, query):
    # Raw bytes on the wire, as a real client would send them (surrogates as WTF-8 bytes).
    raw = "&".join(f"{k}={quote(v, safe='', errors='surrogatepass')}" for k, v in query.items())
    response = client.get(f"/api/v1/requests?{raw}", headers=_headers(token))
    _assert_clean_error(response)


@SETTINGS
@given(reference=nasty_text, action=st.sampled_from(sorted(API_ACTIONS)) | nasty_text)
def test_junk_references_are_404s(client, token, reference, action):
    headers = _headers(token)
    path = f"/api/v1/requests/{quote(reference, safe='', errors='surrogatepass')}"
    _assert_clean_error(client.get(path, headers=headers))
    _assert_clean_error(client.post(f"{path}/{quote(action, safe='', errors='surrogatepass')}", headers=headers, json={}))


_cache: dict = {}


def _headers(token) -> dict:
    # Hypothesis reuses the function-scoped fixtures across examples; mint one token per test.
    key = id(token)
    if key not in _cache:
        _cache.clear()
        _cache[key] = token("operator_admin")
    return _cache[key]


def _a_request(client, headers) -> str:
    response = client.post("/api/v1/requests", headers=headers, json={
        "rights": ["access"], "identities": [{"type": "email", "value": "h@mail.example"}]})
    return response.json["reference"]
