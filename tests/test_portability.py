"""The portability export (Art. 20): only the systems serving processing based on consent
or a contract, as JSON and CSV, with a JSON Schema of each file inferred from its records."""
from __future__ import annotations

import io
import json
import zipfile

import pytest
import sqlalchemy as sa
from demo_world import JEANNE
from test_access_package import answered, csv_rows, package_rows, post_email


@pytest.fixture
def legal_basis(app):
    """legal_basis(controller, activity slug, basis): change the register for this test only."""
    from dsar.extensions import db
    from dsar.models import ProcessingActivity

    saved = []

    def change(controller: str, slug: str, basis: str) -> None:
        with app.app_context():
            activity = db.session.scalars(sa.select(ProcessingActivity).where(
                ProcessingActivity.controller_id == controller, ProcessingActivity.slug == slug)).one()
            saved.append((activity.id, activity.legal_basis))
            activity.legal_basis = basis
            db.session.commit()

    yield change
    with app.app_context():  # the register's tables outlive the test (PostgreSQL keeps them)
        for activity_id, basis in reversed(saved):
            db.session.get(ProcessingActivity, activity_id).legal_basis = basis
        db.session.commit()


def download(client, url: str) -> zipfile.ZipFile:
    response = post_email(client, url, JEANNE["email"])
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return zipfile.ZipFile(io.BytesIO(response.data))


def test_portability_leaves_out_systems_used_only_on_other_legal_bases(app, client, token, smtp, demo_world,
                                                                       legal_basis):
    # Sentry serves product improvement alone: on legitimate interests, its logs are not portable.
    legal_basis("septeo", "product-improvement", "legitimate_interests")
    done = answered(app, client, token, smtp, ["portability"])
    [link] = done["links"]
    archive = download(client, link)
    assert sorted(archive.namelist()) == ["records/hubspot.csv", "records/hubspot.json", "records/pipedrive.csv",
                                          "records/pipedrive.json", "records/product-db.csv",
                                          "records/product-db.json", "schema.json"]
    # The product database also serves the contract: it is in, record for record.
    product = json.loads(archive.read("records/product-db.json"))
    assert [r["data"] for r in product["records"]] == [demo_world.user(JEANNE["email"])]
    assert csv_rows(archive, "product-db")[0]["full_name"] == JEANNE["name"]
    assert [p.kind for p in package_rows(app, done["reference"])] == ["portability"]
    assert "Sentry" not in archive.read("schema.json").decode()


def test_the_schema_describes_each_files_fields_and_types(app, client, token, smtp, demo_world):
    done = answered(app, client, token, smtp, ["portability"])
    archive = download(client, done["links"][0])
    schema = json.loads(archive.read("schema.json"))
    assert schema["$schema"].startswith("https://json-schema.org/")
    files = schema["files"]
    assert set(files) == {f"records/{s}.json" for s in ("hubspot", "pipedrive", "product-db", "sentry")}
    product = files["records/product-db.json"]
    assert product["title"].startswith("Septeo product database")
    assert product["properties"]["system"] == {"const": "product-db"}
    record = product["properties"]["records"]["items"]["properties"]
    assert record["kind"] == {"enum": ["users row"]}
    assert record["data"]["properties"] == {
        "id": {"type": "integer"}, "email": {"type": "string"}, "phone": {"type": "string"},
        "full_name": {"type": "string"}, "account_id": {"type": "string"},
        "processing_restricted": {"type": "boolean"}}
    emails = files["records/pipedrive.json"]["properties"]["records"]["items"]["properties"]["data"]["properties"]["emails"]
    assert emails["type"] == "array" and emails["items"]["properties"]["primary"] == {"type": "boolean"}
    # Every field the records hold is described.
    exported = json.loads(archive.read("records/sentry.json"))["records"][0]["data"]
    described = files["records/sentry.json"]["properties"]["records"]["items"]["properties"]["data"]["properties"]
    assert set(described) == set(exported) and set(described["issue"]["properties"]) == set(exported["issue"])


def test_access_and_portability_get_two_packages_and_two_links(app, client, token, smtp, demo_world, legal_basis):
    legal_basis("septeo", "product-improvement", "legitimate_interests")
    done = answered(app, client, token, smtp, ["access", "portability"])
    assert [p.kind for p in package_rows(app, done["reference"])] == ["access", "portability"]
    access, portable = done["links"]  # the answer names the access package first
    assert "records/sentry.json" in download(client, access).namelist()  # access: everything
    assert "records/sentry.json" not in download(client, portable).namelist()


def test_schema_inference_unites_the_types_seen():
    from dsar.answers.portability import _infer, _merge

    merged = _merge(_infer({"a": 1, "b": [{"x": "s"}]}), _infer({"a": None, "b": [{"y": 2.5}], "c": True}))
    assert merged == {"type": "object", "properties": {
        "a": {"type": ["integer", "null"]},
        "b": {"type": "array", "items": {"type": "object", "properties": {"x": {"type": "string"},
                                                                          "y": {"type": "number"}}}},
        "c": {"type": "boolean"}}}
