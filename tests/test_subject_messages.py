"""What the data subject is told, in their language: each email template in English,
French, Spanish and German, and the staff actions that send them (stored on the request).

Rendered for real requests; each language's legal wording is checked (the right to
complain and to a judicial remedy, the new due date of an extension, the controller and
its contact on a redirection), and no English sentence of a template may be left in a
French, Spanish or German email.
"""
from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from babel.dates import format_date
from babel.messages.extract import extract_from_file

import dsar

MAIL = Path(dsar.__file__).parent / "templates" / "mail"
LANGUAGES = ("en", "fr", "es", "de")
MARTIN = "cabinet-martin"
REASON = "Forty archive boxes to search (ref. 7731)"


def _act(client, reference, action, **fields):
    return client.post(f"/staff/requests/{reference}/{action}", data={"csrf_token": client.csrf_token, **fields})


def _request(app, reference: str):
    from dsar.extensions import db
    from dsar.models import Request

    return db.session.scalars(sa.select(Request).where(Request.reference == reference)).one()


def _render(app, reference: str, template: str, **context) -> str:
    """Subject and body of `template` as outbox renders it for this request's subject."""
    from dsar.mail.outbox import render
    from dsar.public.i18n import language_of

    request = _request(app, reference)
    subject, body = render(template, language_of(request), request=request, **context)
    return f"{subject}\n{body}"


def _english_sentences(template: str) -> list[str]:
    """The template's English texts, cut at their placeholders, long enough to be telling."""
    with open(MAIL / f"{template}.txt", "rb") as f:
        found = extract_from_file("jinja2", f.name)
    texts = [m[1] if isinstance(m[1], str) else m[1][0] for m in found]
    fragments = [part.strip() for text in texts for part in re.split(r"%\(\w+\)s", text)]
    return [f for f in fragments if len(f) >= 15]


def _assert_in_language(text: str, template: str, language: str, phrases: list[str]) -> None:
    for phrase in phrases:
        assert phrase in text, f"{template} in {language} lacks {phrase!r}:\n{text}"
    if language != "en":
        leaked = [s for s in _english_sentences(template) if s in text]
        assert leaked == [], f"English left in the {language} {template}: {leaked}"


@pytest.fixture
def filed(app, token, file_request):
    """filed(language, **fields) -> reference of a verified request to Cabinet Martin in `language`."""
    headers = token("controller_admin", MARTIN)

    def make(language: str, **fields) -> str:
        return file_request(headers, identity_verified=True, language=language, **fields)["reference"]

    return make


REJECTION = {
    "en": ["Decision on your data protection request", "manifestly unfounded", "lodge a complaint",
           "habitual residence", "GDPR Art. 77", "effective judicial remedy", "GDPR Art. 79"],
    "fr": ["Décision concernant votre demande", "manifestement infondée", "introduire une réclamation",
           "résidence habituelle", "article 77 du RGPD", "recours juridictionnel effectif", "article 79 du RGPD"],
    "es": ["Decisión sobre su solicitud", "manifiestamente infundada", "presentar una reclamación",
           "residencia habitual", "artículo 77 del RGPD", "tutela judicial efectiva", "artículo 79 del RGPD"],
    "de": ["Entscheidung über Ihren Datenschutzantrag", "offenkundig unbegründet", "Recht auf Beschwerde",
           "gewöhnlichen Aufenthaltsorts", "Art. 77 DSGVO", "wirksamen gerichtlichen Rechtsbehelf", "Art. 79 DSGVO"],
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_rejection_gives_grounds_reasons_and_remedies_in_the_subjects_language(app, filed, language):
    reference = filed(language)
    with app.app_context():
        text = _render(app, reference, "rejection", grounds="manifestly_unfounded", reason=REASON)
    _assert_in_language(text, "rejection", language, [*REJECTION[language], REASON, reference, "Cabinet Martin"])


EXTENSION = {
    "en": ["More time is needed", "two further months", "GDPR Art. 12(3)"],
    "fr": ["Un délai supplémentaire est nécessaire", "prolongé de deux mois", "article 12, paragraphe 3, du RGPD"],
    "es": ["Se necesita más tiempo", "otros dos meses", "artículo 12, apartado 3, del RGPD"],
    "de": ["mehr Zeit benötigt", "weitere zwei Monate", "Art. 12 Abs. 3 DSGVO"],
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_extension_carries_its_reasons_and_the_new_due_date(app, filed, language):
    reference = filed(language)
    due = date(2027, 2, 23)
    with app.app_context():
        text = _render(app, reference, "extension", reason=REASON, due=due)
    when = format_date(due, "long", locale=language)  # "23 février 2027", "23. Februar 2027"…
    _assert_in_language(text, "extension", language, [*EXTENSION[language], REASON, when])


INFORMATION = {
    "en": ["More information is needed", "GDPR Art. 12(6)"],
    "fr": ["informations complémentaires", "article 12, paragraphe 6, du RGPD"],
    "es": ["más información", "artículo 12, apartado 6, del RGPD"],
    "de": ["weitere Informationen", "Art. 12 Abs. 6 DSGVO"],
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_request_for_information_says_what_is_needed_and_that_the_clock_restarts(app, filed, language):
    reference = filed(language)
    with app.app_context():
        text = _render(app, reference, "request_information", reason="A copy of your client card")
    _assert_in_language(text, "request_information", language,
                        [*INFORMATION[language], "A copy of your client card", reference])


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_reply_wraps_the_staffs_text_in_the_subjects_language(app, filed, language):
    reference = filed(language)
    with app.app_context():
        text = _render(app, reference, "reply", text="We found your file.")
    greeting = {"en": "Hello,", "fr": "Bonjour,", "es": "Estimado/a señor/a:", "de": "Guten Tag,"}[language]
    _assert_in_language(text, "reply", language, [greeting, "We found your file."])


REDIRECTION = {
    "en": ["passed to the organisation responsible", '"controller"'],
    "fr": ["transmise à l'organisme responsable", "responsable du traitement"],
    "es": ["transmitido a la organización responsable", "responsable del tratamiento"],
    "de": ["verantwortliche Stelle weitergeleitet", "Verantwortliche"],
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_redirection_names_the_controller_and_its_contact(app, filed, language):
    from dsar.extensions import db
    from dsar.models import Controller

    reference = filed(language)
    with app.app_context():
        controller = db.session.get(Controller, MARTIN)
        text = _render(app, reference, "redirection", controller=controller, operator="Septeo")
        contact = controller.contact_email
    _assert_in_language(text, "redirection", language,
                        [*REDIRECTION[language], "Cabinet Martin", contact, "Septeo", reference])


ANSWER = {
    "en": ["The answer to your data protection request", "no data about you was found", "GDPR Art. 19",
           "GDPR Art. 20", "lodge a complaint", "judicial remedy"],
    "fr": ["La réponse à votre demande", "aucune donnée vous concernant", "article 19 du RGPD",
           "article 20 du RGPD", "introduire une réclamation", "recours juridictionnel effectif"],
    "es": ["La respuesta a su solicitud", "no se encontraron datos", "artículo 19 del RGPD",
           "artículo 20 del RGPD", "presentar una reclamación", "tutela judicial efectiva"],
    "de": ["Die Antwort auf Ihren Datenschutzantrag", "keine Daten über Sie gefunden", "Art. 19 DSGVO",
           "Art. 20 DSGVO", "Beschwerde", "wirksamen gerichtlichen Rechtsbehelf"],
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_final_answer_gives_the_links_their_expiry_the_outcomes_and_the_recipients(app, filed, language):
    reference = filed(language)
    expires = date(2027, 1, 15)
    with app.app_context():
        text = _render(app, reference, "answer", package_url="https://dsar.example/p/abc", expires_on=expires,
                       portability_url="https://dsar.example/p/abc/portable",
                       summary=[{"system": "CRM", "outcome": "exported"}, {"system": "Billing", "outcome": "not_found"}],
                       recipients=["Postmark", "Intercom"])
    _assert_in_language(text, "answer", language, [
        *ANSWER[language], "https://dsar.example/p/abc\n", "https://dsar.example/p/abc/portable",
        format_date(expires, "long", locale=language), "Postmark, Intercom", "- CRM: ", "- Billing: "])


def test_final_answer_without_a_package_mentions_no_link(app, filed):
    reference = filed("fr")
    with app.app_context():
        text = _render(app, reference, "answer", package_url=None, portability_url=None, expires_on=None,
                       summary=[{"system": "CRM", "outcome": "erased"}], recipients=[])
    assert "vos données ont été effacées" in text
    assert "http" not in text and "lien" not in text and "destinataires" not in text


ACKNOWLEDGEMENT = {
    "en": "Confirm your email address by opening this link within 7 days:",
    "fr": "Confirmez votre adresse e-mail en ouvrant ce lien dans un délai de 7 jours\xa0:",
    "es": "Confirme su dirección de correo electrónico abriendo este enlace en un plazo de 7 días:",
    "de": "Bestätigen Sie Ihre E-Mail-Adresse, indem Sie diesen Link innerhalb von 7 Tagen öffnen:",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_verification_link_is_in_every_languages_acknowledgement(app, filed, language):
    from dsar.public.acknowledge import _item

    reference = filed(language)
    link = "https://dsar.example/privacy/confirm/tok3n"
    with app.app_context():
        items = [_item(_request(app, reference))]
        text = _render(app, reference, "acknowledgement", items=items, verify_url=link, max_age_days=7)
    _assert_in_language(text, "acknowledgement", language, [ACKNOWLEDGEMENT[language], f"  {link}\n", reference])


def _stored(app, reference: str, template: str):
    from dsar.extensions import db
    from dsar.models import Message

    with app.app_context():
        request = _request(app, reference)
        return list(db.session.scalars(sa.select(Message).where(
            Message.request_id == request.id, Message.template == template, Message.direction == "out")))


def test_a_rejection_in_french_is_emailed_in_french_and_stored_on_the_request(app, staff, filed, smtp):
    reference = filed("fr")
    browser = staff("controller_admin", MARTIN)
    response = _act(browser, reference, "reject", grounds="excessive", reason="Votre cinquième demande ce mois-ci")
    assert response.status_code == 303
    (message,) = _stored(app, reference, "rejection")
    assert message.language == "fr" and message.delivery == "sent"
    assert reference in message.subject and message.subject.startswith("Décision concernant votre demande")
    for phrase in ("la demande est excessive", "Votre cinquième demande ce mois-ci",
                   "introduire une réclamation", "recours juridictionnel effectif"):
        assert phrase in message.body_text
    (sent,) = [m for m in smtp.messages if reference in m.message["Subject"]]
    assert sent.message["Content-Language"] == "fr" and "recours juridictionnel effectif" in sent.body


def test_an_extension_in_spanish_carries_the_extended_due_date(app, staff, filed, smtp):
    reference = filed("es")
    browser = staff("controller_admin", MARTIN)
    assert _act(browser, reference, "extend", reason=REASON).status_code == 303
    with app.app_context():
        request = _request(app, reference)
        due, received = request.statutory_due, request.received_at.date()
    assert due > received + timedelta(days=85)  # three months from receipt, not one
    (message,) = _stored(app, reference, "extension")
    assert message.language == "es"
    assert REASON in message.body_text and format_date(due, "long", locale="es") in message.body_text


def test_an_extension_after_the_first_month_is_refused_and_nothing_is_sent(app, staff, filed, smtp):
    reference = filed("de", days_ago=45)
    browser = staff("controller_admin", MARTIN)
    response = _act(browser, reference, "extend", reason=REASON)
    # A wrong-state refusal (the month is over), with the law's reason, as the API answers it too.
    assert response.status_code == 409 and "within the first month" in response.get_data(as_text=True)
    assert _stored(app, reference, "extension") == [] and smtp.messages == []


def test_forwarding_to_the_client_redirects_the_subject_there(app, staff, token, file_request, demo, smtp):
    # A subject wrote to the operator about data a German client is responsible for.
    client_de = demo["by_country"]["DE"]
    made = file_request(token("operator_admin"), identity_verified=True, controller=client_de.id)
    assert made["status"] == "routed"
    browser = staff("operator_admin")
    response = _act(browser, made["reference"], "forward")
    assert response.status_code == 303
    assert "The subject was emailed" in browser.get(response.headers["Location"]).get_data(as_text=True)
    (message,) = _stored(app, made["reference"], "redirection")
    assert message.language == "de"  # the client's language: the subject did not say theirs
    for phrase in (client_de.name, client_de.contact_email, demo["operator"].name, "Verantwortliche"):
        assert phrase in message.body_text


def test_a_request_the_client_sent_itself_redirects_no_one(app, staff, token, file_request, demo, smtp):
    made = file_request(token("controller_admin", MARTIN), identity_verified=True)
    browser = staff("operator_admin")
    response = _act(browser, made["reference"], "forward")
    assert response.status_code == 303
    assert "The subject was emailed" not in browser.get(response.headers["Location"]).get_data(as_text=True)
    assert _stored(app, made["reference"], "redirection") == []


@pytest.mark.parametrize("language", ("fr", "es", "de"))
def test_no_catalog_entry_is_left_untranslated_or_fuzzy(language):
    from babel.messages.pofile import read_po

    with open(Path(dsar.__file__).parent / "translations" / language / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalog = read_po(f, locale=language)
    left = [m.id for m in catalog if m.id and (m.fuzzy or not (all(m.string) if isinstance(m.string, tuple) else m.string))]
    assert left == []
