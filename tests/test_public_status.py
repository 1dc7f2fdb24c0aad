"""The status page: found only by its unguessable token, in the subject's language, saying
where the request stands and when it is due — and nothing else."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

EMAIL = "ana@mail.example"


@pytest.fixture
def filed(client, public_form, smtp):
    """filed(**fields) -> (reference, status page path), for a form sent to Cabinet Martin in French."""
    def make(**fields):
        fields = {"rights": ["access", "rectification"], "email": EMAIL, "name": "Ana Martín",
                  "corrections": "Martín with an accent", "details": "my secret details", **fields}
        assert public_form("/privacy/cabinet-martin", headers={"Accept-Language": "fr"}, **fields).status_code == 303
        message = smtp.to(EMAIL)[-1]
        reference = re.search(r"DSR-[0-9A-Z]{4}-[0-9A-Z]{4}", message.message["Subject"]).group(0)
        return reference, urlsplit(message.link("/privacy/status/")).path

    return make


@pytest.fixture
def martin(token):
    return token("controller_admin", "cabinet-martin")


def _text(response) -> str:
    return response.get_data(as_text=True)


def test_a_wrong_or_unknown_token_is_the_same_404_page(client, filed):
    _, path = filed()
    wrong_path, unknown_path = path[:-2] + ("xx" if not path.endswith("xx") else "yy"), "/privacy/status/" + "A" * 43
    wrong, unknown = client.get(wrong_path), client.get(unknown_path)
    assert wrong.status_code == unknown.status_code == 404
    # The same page, but for the language links back to the URL asked for.
    assert _text(wrong).replace(wrong_path, "…") == _text(unknown).replace(unknown_path, "…")
    assert "Page not found" in _text(unknown)


def test_the_page_speaks_the_requests_language_unless_the_visitor_switches(client, filed):
    reference, path = filed()
    fresh = client.application.test_client()  # another browser: no language remembered
    page = _text(fresh.get(path, headers={"Accept-Language": "en"}))
    assert '<html lang="fr">' in page and "Où en est votre demande" in page and reference in page
    assert "Accéder à vos données" in page and "Faire rectifier vos données" in page
    assert "Nous avons bien reçu votre demande. Veuillez confirmer votre adresse e-mail" in page
    german = _text(fresh.get(path + "?lang=de"))
    assert '<html lang="de">' in german and "Stand Ihres Antrags" in german


def test_it_shows_nothing_but_the_requests_progress(client, filed):
    _, path = filed()
    page = _text(client.get(path))
    for private in (EMAIL, "Ana Martín", "my secret details", "Martín with an accent"):
        assert private not in page
    assert 'name="robots" content="noindex"' in page


def test_paused_extended_and_refused_requests_say_so_with_the_reasons_given(client, filed, martin):
    reference, path = filed()
    client.post(f"/api/v1/requests/{reference}/request-information", headers=martin,
                json={"reason": "Une copie de votre pièce d'identité"})
    page = _text(client.get(path))
    assert "Le délai est suspendu" in page and "Une copie de votre pièce d&#39;identité" in page
    assert "L'organisme a besoin d'informations complémentaires" in page.replace("&#39;", "'")

    assert client.post(f"/api/v1/requests/{reference}/verify", headers=martin, json={}).status_code == 200
    assert client.post(f"/api/v1/requests/{reference}/extend", headers=martin,
                       json={"reason": "Douze systèmes à interroger"}).status_code == 200
    page = _text(client.get(path))
    assert "Motif de la prolongation du délai de deux mois" in page and "Douze systèmes à interroger" in page
    due = client.get(f"/api/v1/requests/{reference}", headers=martin).json["clocks"]["statutory"]["due"]
    year = due[:4]
    assert re.search(rf'<span class="due">\d+ \w+ {year}</span>', page)

    client.post(f"/api/v1/requests/{reference}/reject", headers=martin,
                json={"grounds": "excessive", "reason": "Vous avez déjà reçu ces données hier."})
    page = _text(client.get(path))
    assert "L'organisme a refusé votre demande" in page.replace("&#39;", "'")
    assert "Vous avez déjà reçu ces données hier." in page
