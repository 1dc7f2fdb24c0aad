"""The processing register: the two example registers, validation, folder loading, CLI."""
from __future__ import annotations

import copy
import re
import shutil
from datetime import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from flask import Flask

from dsar.register import RegisterError, load_register
from dsar.register.cli import config_cli
from dsar.register.schemas import is_env_ref, is_secret_name

ROOT = Path(__file__).resolve().parent.parent
SEPTEO = ROOT / "config" / "examples" / "septeo.yaml"
APLANET = ROOT / "config" / "examples" / "aplanet.yaml"
REGISTERS = Path(__file__).resolve().parent / "registers"
SCC = "Standard Contractual Clauses (Commission Decision 2021/914)"


@pytest.fixture(scope="module")
def septeo():
    return load_register(SEPTEO)


@pytest.fixture(scope="module")
def aplanet():
    return load_register(APLANET)


def _issues(path) -> list:
    with pytest.raises(RegisterError) as info:
        load_register(path)
    return info.value.issues


def _has(issues, file, path, fragment) -> bool:
    return any(i.file == str(file) and i.path == path and fragment in i.message for i in issues)


# --- the Septeo example (seeds/000_…) ----------------------------------------------------

def test_septeo_operator(septeo):
    op = septeo.operator
    assert (op.id, op.name, op.is_operator) == ("septeo", "Septeo IT Solutions", True)
    assert (op.country, op.subdivision, op.timezone, op.language) == ("FR", None, "Europe/Paris", "fr")
    assert op.contact_email == "dpo@septeo.example"
    assert "dpo@septeo.example" in op.aliases
    assert op.forwarding_working_days == 1  # Art. 7: "as soon as possible"
    assert [c for c in septeo.controllers if c.is_operator] == [op]


def test_septeo_has_every_sub_processor_with_its_country_and_safeguard(septeo):
    locations = {}
    for system in septeo.systems:
        locations.setdefault(system.processor, set()).add(system.location)
    assert {p: locations.get(p) for p in ("Pipedrive", "OVHcloud", "IONOS", "Sentry", "HubSpot", "Zendesk")} == {
        "Pipedrive": {"US"}, "OVHcloud": {"FR"}, "IONOS": {"FR"},
        "Sentry": {"US"}, "HubSpot": {"US"}, "Zendesk": {"US"},
    }
    for system in septeo.systems:
        assert system.in_eea == (system.location == "FR"), system.id
        if not system.in_eea:
            assert system.transfer_safeguard == SCC, system.id
    # OVHcloud does two things: SMS credits and the monitoring database.
    ovh = {s.id: s for s in septeo.systems if s.processor == "OVHcloud"}
    assert {s.connector_type for s in ovh.values()} == {"manual", "sql"}
    assert all(s.owner_email for s in ovh.values() if s.connector_type == "manual")
    product = septeo.system("product-db")
    assert product.connector_type == "sql"
    assert product.connector_settings["url"] == {"env": "SEPTEO_PRODUCT_DB_URL"}
    assert len(septeo.systems) == 8


def test_septeo_activities_follow_the_addendum(septeo):
    own = {a.id: a for a in septeo.activities if a.role == "controller"}
    assert set(own) == {"contract-management", "product-improvement", "prospecting"}
    assert all(a.controllers == ("septeo",) for a in own.values())
    assert own["contract-management"].retention == "Duration of the contractual relationship plus 5 years"
    assert own["product-improvement"].retention == "Duration of the anonymization operation"
    assert "statistics" in own["product-improvement"].purpose
    assert own["prospecting"].retention == "3 years after the last contact with the person"
    assert "right to object" in own["prospecting"].purpose
    assert "hubspot" in own["prospecting"].systems

    processed = {a.id: a for a in septeo.activities if a.role == "processor"}
    assert set(processed) == {"remote-machine-control", "user-support", "hosting"}
    assert processed["user-support"].retention == "Duration of the intervention"
    assert processed["hosting"].systems == ("ionos-hosting",)
    clients = {c.id for c in septeo.controllers if not c.is_operator}
    assert len(clients) == 3
    for activity in processed.values():
        assert set(activity.controllers) == clients
    for activity in septeo.activities:
        assert activity.legal_basis == "contract"
        assert activity.data_categories == ("Last name, first name", "Email address, phone number")
    # Every system serves some purpose, and every client reaches its systems.
    used = {s for a in septeo.activities for s in a.systems}
    assert used == {s.id for s in septeo.systems}
    assert {s.id for s in septeo.systems_for("kanzlei-huber")} >= {"zendesk", "ionos-hosting", "ovh-sms"}


# --- the APlanet example (seeds/004_…) ---------------------------------------------------

def test_aplanet_operator_and_clients(aplanet):
    op = aplanet.operator
    assert (op.id, op.country, op.subdivision, op.timezone, op.language) == (
        "aplanet", "ES", "AN", "Europe/Madrid", "es")
    clients = [c for c in aplanet.controllers if not c.is_operator]
    assert len(clients) == 3
    assert all(c.processor_sla_working_days == 3 for c in clients)  # clause 4.7
    assert aplanet.activities_for("aplanet") == ()  # no purpose of its own (clause 4.2)


def test_aplanet_sub_processors_and_data(aplanet):
    processors = {s.processor for s in aplanet.systems}
    assert processors == {"Postmark", "Amazon Web Services", "Intercom"}
    for system in aplanet.systems:
        assert not system.in_eea and system.transfer_safeguard == SCC
    assert "sql" in {s.connector_type for s in aplanet.systems}
    (activity,) = aplanet.activities
    assert activity.role == "processor"
    categories = " | ".join(activity.data_categories)
    for item in ("date of birth", "title", "email address", "telephone number", "IP address",
                 "device", "operating system and browser"):
        assert item in categories
    assert len(activity.data_categories) == 3
    assert "three months" in activity.retention
    assert set(activity.systems) == {s.id for s in aplanet.systems}


def test_examples_cover_fr_es_de_clients_with_their_calendars(septeo, aplanet):
    clients = [c for r in (septeo, aplanet) for c in r.controllers if not c.is_operator]
    assert {c.country for c in clients} >= {"FR", "ES", "DE"}
    assert ("ES", "MD") in {(c.country, c.subdivision) for c in clients}
    assert ("DE", "BY") in {(c.country, c.subdivision) for c in clients}
    for c in clients:
        assert c.contact_email and c.aliases and c.forms and c.names and c.timezone and c.language


def test_examples_use_reserved_domains_and_no_literal_secrets(septeo, aplanet):
    reserved = re.compile(r"(\.example|\bexample\.(com|org|net))$")
    for register in (septeo, aplanet):
        addresses = [a for c in register.controllers for a in (c.contact_email, *c.aliases)]
        addresses += [s.owner_email for s in register.systems if s.owner_email]
        assert all(reserved.search(a.rsplit("@", 1)[1]) for a in addresses), addresses
        for c in register.controllers:
            assert c.webhook_url is None or reserved.search(c.webhook_url.split("/")[2])
        for system in register.systems:
            for key, value in system.connector_settings.items():
                if is_secret_name(key):
                    assert is_env_ref(value), (system.id, key)
    for path in (SEPTEO, APLANET):
        head = path.read_text(encoding="utf-8").splitlines()[:6]
        assert any("seeds/0" in line for line in head) and any("INVENTED" in line for line in head)


# --- a broken register: every problem, with file and path --------------------------------

def test_broken_register_reports_every_problem_with_file_and_path():
    folder = REGISTERS / "broken"
    main, syntax = folder / "register.yaml", folder / "syntax.yaml"
    issues = _issues(folder)
    expected = [
        (main, "systems[0].connector.settings.api_token", "literal value"),
        (main, "activities[0].systems[1]", "unknown system 'warehouse'"),
        (main, "systems[0].transfer_safeguard", "outside the EEA"),
        (main, "controllers[1].routing.aliases[0]", "already routes to controller 'acme'"),
        (main, "controllers[1].timezone", "Europe/Munich"),
        (syntax, "line 5, column 13", "YAML syntax error"),
        (main, "controllers[1].contact.webhook", "https"),
        (main, "controllers[2].id", "slug"),
        (main, "controllers[2].name", "blank"),
        (main, "controllers[2].colour", "unknown key"),
        (main, "controllers[2].language", "ISO 639-1"),
        (main, "controllers[2].contact.email", "not a valid email"),
        (main, "systems[1].id", "duplicate id 'crm'"),
        (main, "systems[1].identity_fields[1]", "must be one of"),
        (main, "systems[1].owner_email", "manual"),
        (main, "activities[0].legal_basis", "must be one of"),
        (main, "activities[0].controllers", "operator 'acme'"),
    ]
    missing = [e for e in expected if not _has(issues, *e)]
    assert not missing, "\n".join(map(str, issues))
    assert len(issues) == len(expected), "\n".join(map(str, issues))


def test_register_error_text_is_one_line_per_issue_and_hides_the_secret():
    with pytest.raises(RegisterError) as info:
        load_register(REGISTERS / "broken")
    lines = str(info.value).splitlines()
    assert lines == [str(i) for i in info.value.issues]
    assert f"{REGISTERS / 'broken' / 'register.yaml'}: activities[0].systems[1]: unknown system 'warehouse'" in lines
    assert "pat-na1-12345" not in str(info.value)


# --- folder loading ----------------------------------------------------------------------

def test_folder_is_merged_in_name_order():
    folder = REGISTERS / "split"
    register = load_register(folder)
    assert register.sources == tuple(str(folder / n) for n in (
        "00-operator.yaml", "10-client-es.yml", "20-systems.yaml", "30-activities.yaml"))
    assert [c.id for c in register.controllers] == ["acme", "cliente-uno"]
    assert register.operator.id == "acme"
    assert [a.id for a in register.activities_for("cliente-uno")] == ["service"]
    assert [s.id for s in register.systems_for("acme")] == ["app-db", "paper-archive"]
    assert register.system("paper-archive").in_eea is False
    assert register.system("app-db").in_eea is True
    with pytest.raises(KeyError):
        register.controller("nobody")


def test_yaml_scalars_and_normalisation():
    register = load_register(REGISTERS / "split")
    acme, client = register.controller("acme"), register.controller("cliente-uno")
    assert (acme.country, acme.language) == ("NO", "no")  # not False (YAML 1.1)
    assert acme.processor_sla_cutoff == time(17, 0)  # not 1020 (YAML 1.1 base 60)
    assert (acme.processor_sla_working_days, acme.forwarding_working_days) == (2, 2)
    assert (client.country, client.subdivision, client.language) == ("ES", "MD", "es")
    assert (client.processor_sla_working_days, client.processor_sla_cutoff, client.forwarding_working_days) == (3, None, 1)
    assert register.system("paper-archive").location == "CH"


def test_duplicate_id_across_files_names_both(tmp_path):
    shutil.copytree(REGISTERS / "split", tmp_path / "reg")
    (tmp_path / "reg" / "40-more.yaml").write_text(
        "systems:\n"
        "  - {id: app-db, name: Again, processor: X, location: FR, connector: {type: manual},"
        " identity_fields: [email], actions: [access], owner_email: it@acme.example}\n")
    issues = _issues(tmp_path / "reg")
    assert len(issues) == 1
    assert issues[0].file == str(tmp_path / "reg" / "40-more.yaml") and issues[0].path == "systems[0].id"
    assert str(tmp_path / "reg" / "20-systems.yaml") in issues[0].message


# --- single rules, on a small valid register --------------------------------------------

BASE = {
    "controllers": [
        {"id": "op", "name": "Operator", "operator": True, "country": "FR", "timezone": "Europe/Paris",
         "language": "fr", "contact": {"email": "dpo@op.example"},
         "routing": {"aliases": ["dpo@op.example"], "forms": ["op"], "names": ["Operator"]}},
        {"id": "client", "name": "Client", "country": "DE", "subdivision": "BY", "timezone": "Europe/Berlin",
         "language": "de", "contact": {"email": "dpo@client.example"},
         "routing": {"aliases": ["client@op.example"], "forms": ["client"], "names": ["Client"]}},
    ],
    "systems": [
        {"id": "db", "name": "DB", "processor": "Operator", "location": "FR",
         "connector": {"type": "sql", "settings": {"url": {"env": "DB_URL"},
                                                   "tables": [{"name": "users", "identity_columns": {"email": "email"}}]}},
         "identity_fields": ["email"], "actions": ["access", "erase"]},
    ],
    "activities": [
        {"id": "own", "controllers": ["op"], "role": "controller", "purpose": "P", "data_subjects": "S",
         "data_categories": ["Email"], "legal_basis": "contract", "retention": "1 year", "source": "S",
         "systems": ["db"]},
        {"id": "svc", "controllers": ["client"], "role": "processor", "purpose": "P", "data_subjects": "S",
         "data_categories": ["Email"], "legal_basis": "contract", "retention": "1 year", "source": "S",
         "systems": ["db"]},
    ],
}


def _write(tmp_path, data, name="register.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_small_base_register_is_valid(tmp_path):
    register = load_register(_write(tmp_path, BASE))
    assert [a.id for a in register.activities_for("client")] == ["svc"]


_DELETE = object()


def _set(data, dotted, value):
    """Set (or, with _DELETE, remove) the value at "a[0].b" in nested dicts and lists."""
    *parents, last = re.findall(r"[^.\[\]]+", dotted)
    node = data
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    if value is _DELETE:
        del node[int(last) if last.isdigit() else last]
    else:
        node[int(last) if last.isdigit() else last] = value


@pytest.mark.parametrize("change, path, fragment", [
    ({"controllers[0].operator": False}, "controllers", "no controller has `operator: true`"),
    ({"controllers[1].operator": True}, "controllers[1].operator", "a second operator"),
    ({"activities[1].controllers": ["client", "op"]}, "activities[1].controllers", "cannot be its own processor"),
    ({"activities[1].controllers": ["ghost"]}, "activities[1].controllers[0]", "unknown controller 'ghost'"),
    ({"controllers[1].routing.forms": ["op"]}, "controllers[1].routing.forms[0]", "form 'op' already routes"),
    ({"controllers[1].routing.names": ["operator"]}, "controllers[1].routing.names[0]", "already routes"),
    ({"controllers[1].subdivision": "XX"}, "controllers[1].subdivision", "unknown subdivision"),
    ({"controllers[1].country": "ZZ"}, "controllers[1].country", "unknown country"),
    ({"controllers[1].language": "deu"}, "controllers[1].language", "ISO 639-1"),
    ({"controllers[1].name": _DELETE}, "controllers[1].name", "required"),
    ({"controllers[1].processor_sla": {"cutoff": "5pm"}}, "controllers[1].processor_sla.cutoff", "HH:MM"),
    ({"controllers[1].processor_sla": {"working_days": 0}}, "controllers[1].processor_sla.working_days", ""),
    ({"systems[0].location": "UK"}, "systems[0].location", "ISO 3166-1"),
    ({"systems[0].actions": ["access", "delete"]}, "systems[0].actions[1]", "must be one of"),
    ({"systems[0].connector.settings": {"password": "hunter2"}}, "systems[0].connector.settings.password", "literal"),
    ({"systems[0].connector.settings": {"auth": {"clientSecret": "s3"}}},
     "systems[0].connector.settings.auth.clientSecret", "literal"),
    ({"systems[0].connector.settings": {"credentials": ["user", {"env": "PW"}]}},
     "systems[0].connector.settings.credentials[0]", "literal"),
    ({"systems[0].connector.settings": {"api_key": 12345}}, "systems[0].connector.settings.api_key", "literal"),
    ({"systems[0].connector.settings": {"key": "abc"}}, "systems[0].connector.settings.key", "literal"),
    ({"systems[0].connector.settings": {"url": "postgresql://app:pw@db.example/app"}},
     "systems[0].connector.settings.url", "password"),
    ({"systems[0].connector.settings": {"token": {"env": "no such"}}}, "systems[0].connector.settings.token", "`env`"),
    ({"systems[0].connector.settings": {"token": {"env": "T", "default": "x"}}},
     "systems[0].connector.settings.token", "only the key `env`"),
    # The connector type's own settings schema (dsar.connectors) checks the rest.
    ({"systems[0].connector.type": "sqll"}, "systems[0].connector.type", "no connector of type 'sqll'"),
    ({"systems[0].connector.settings": {"url": {"env": "DB_URL"}, "tables": [{"name": "users", "erase": "shred",
                                        "identity_columns": {"email": "email"}}]}},
     "systems[0].connector.settings.tables[0].erase", "must be one of delete_row"),
    ({"systems[0].connector.settings": {"url": {"env": "DB_URL"}}}, "systems[0].connector.settings.tables",
     "required"),
    ({"activities[0].data_categories": []}, "activities[0].data_categories", "at least one"),
    ({"activities[0].purpose": None}, "activities[0].purpose", "must not be empty"),
])
def test_each_rule_reports_its_path(tmp_path, change, path, fragment):
    data = copy.deepcopy(BASE)
    for dotted, value in change.items():
        _set(data, dotted, value)
    issues = _issues(_write(tmp_path, data))
    assert _has(issues, tmp_path / "register.yaml", path, fragment), "\n".join(map(str, issues))


@pytest.mark.parametrize("name, secret", [
    ("token", True), ("api_token", True), ("apiToken", True), ("client_secret", True),
    ("password", True), ("db_pwd", True), ("api_key", True), ("apikey", True), ("key", True),
    ("access_key_id", True), ("secret_access_key", True), ("credentials", True), ("Authorization", True),
    ("base_url", False), ("subdomain", False), ("key_prefix", False), ("primary_key", False),
    ("email", False), ("project", False), ("monkey", False),
])
def test_secret_names(name, secret):
    assert is_secret_name(name) is secret


def test_non_secret_settings_and_booleans_pass():
    # Only the secret rule here: each connector's own schema decides which keys it takes.
    from dsar.register.schemas import settings_problems

    assert list(settings_problems({
        "url": {"env": "DB_URL"}, "key_prefix": "customers/{customer_id}/", "verify_token": True,
        "tables": [{"name": "users", "primary_key": "id"}], "base_url": "https://api.example.com",
    })) == []


@pytest.mark.parametrize("text, path, fragment", [
    ("controllers: {}\n", "controllers", "must be a list"),
    ("colours: []\n", "colours", "unknown key"),
    ("- 1\n- 2\n", "", "top level must be a mapping"),
    ("controllers:\n  - just a string\n", "controllers[0]", "must be a mapping"),
    ("controllers:\n  - id: a\n    id: b\n", "line 3, column 5", "appears twice"),
])
def test_file_shape_problems(tmp_path, text, path, fragment):
    (tmp_path / "bad.yaml").write_text(text, encoding="utf-8")
    assert _has(_issues(tmp_path / "bad.yaml"), tmp_path / "bad.yaml", path, fragment)


def test_missing_path_and_empty_folder(tmp_path):
    (issue,) = _issues(tmp_path / "nowhere.yaml")
    assert issue.file == str(tmp_path / "nowhere.yaml") and "no such" in issue.message
    (issue,) = _issues(tmp_path)
    assert "no .yaml or .yml file" in issue.message


# --- the CLI -----------------------------------------------------------------------------

@pytest.fixture
def flask_app():
    app = Flask(__name__)
    app.config["REGISTER_PATH"] = str(SEPTEO)
    with app.app_context():
        yield app


def test_cli_check_ok(flask_app):
    result = CliRunner().invoke(config_cli, ["check", str(APLANET)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"OK {APLANET}: 4 controllers, 4 systems, 1 activities"


def test_cli_check_defaults_to_the_app_register(flask_app):
    result = CliRunner().invoke(config_cli, ["check"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"OK {SEPTEO}: 4 controllers, 8 systems, 6 activities"


def test_cli_check_prints_every_issue_and_fails(flask_app):
    folder = REGISTERS / "broken"
    result = CliRunner().invoke(config_cli, ["check", str(folder)])
    assert result.exit_code == 1
    with pytest.raises(RegisterError) as info:
        load_register(folder)
    assert result.stdout.splitlines() == [str(i) for i in info.value.issues]
    assert f"{len(info.value.issues)} problem(s)" in result.stderr
