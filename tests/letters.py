"""Render the corpus template letters (shared/corpus/letters/<lang>/*.txt) the way real
senders fill them in, with every combination of their optional passages on and off.

The templates come from the Datenanfragen project: placeholders like `{id_data}`, and
optional passages `[flag>text]`. Each rendering fills the placeholders with plausible
values in the letter's language (a name, an e-mail address and a customer number in
`{id_data}`, an address correction in `{rectification_data}` …), keeps or drops each
passage, strips `<italic>` tags and signs the letter with the sender's name.

The expected rights follow the letter's own text:
- access letters ask for access, plus portability when `data_portability` is kept;
- erasure letters ask for erasure, plus objection when `include_objection` is kept,
  plus restriction when that passage *also* asks to restrict processing pending
  verification (Art. 18(1)(d)): the English, German, Spanish, Italian, Dutch, Czech
  and Croatian passages do, the French, Greek and Portuguese ones do not. So the rule
  is read off the template: the passage cites Article 18;
- rectification and objection letters ask for that one right;
- an admonition chases an earlier request, under the article it cites (rendered with
  15 and with 17): access or erasure.
"""
from __future__ import annotations

import itertools
import os
import re
from dataclasses import dataclass
from pathlib import Path

RIGHTS = ("access", "rectification", "erasure", "restriction", "portability", "objection", "automated_decision")

# A copy of shared/corpus kept in the repository (tests/corpus/README.md), so any clone runs.
CORPUS = Path(os.environ.get("DSAR_CORPUS", Path(__file__).resolve().parent / "corpus"))
LETTERS = CORPUS / "letters"

_FLAG = re.compile(r"\[(\w+)>(.*?)\]", re.DOTALL)
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_FREE_TEXT = re.compile(r"\{([^{}]*\s[^{}]*)\}")      # "{Description of the problem, e.g.: …}"
_TAG = re.compile(r"</?\w+>")

# Per language: people (name, email, customer number), the id_data labels (name, email,
# customer number, phone), a rectification, the data to erase, an objection reason, a date.
LANG_DATA = {
    "en": dict(people=[("Emma Clarke", "emma.clarke@example.org", "40017-22"),
                       ("Oliver Bennett", "o.bennett@mail.example", "C-559301")],
               labels=[("Name", "Email", "Customer number", "Phone"), ("Full name", "E-mail address", "Account ID", "Mobile")],
               phone="+44 20 7946 0958",
               rectification="My postal address is wrong: it should be 12 Baker Street, London NW1 6XE.",
               erasure="- my email address\n- my phone number\n- my purchase history",
               reason="I never agreed to being profiled for advertising.", date="3 March 2026"),
    "fr": dict(people=[("Camille Dubois", "camille.dubois@example.fr", "FR-778120"),
                       ("Lucas Martin", "lucas.martin@mail.example", "5512-09")],
               labels=[("Nom", "E-mail", "Numéro client", "Téléphone"), ("Nom complet", "Adresse e-mail", "N° client", "Portable")],
               phone="+33 6 12 34 56 78",
               rectification="Mon adresse postale est incorrecte : elle devrait être 12 rue des Lilas, 75011 Paris.",
               erasure="- mon adresse e-mail\n- mon numéro de téléphone\n- mon historique d'achats",
               reason="Je n'ai jamais accepté d'être profilé à des fins publicitaires.", date="3 mars 2026"),
    "de": dict(people=[("Jonas Schneider", "jonas.schneider@example.de", "K-4471923"),
                       ("Anna Weber", "anna.weber@mail.example", "883920")],
               labels=[("Name", "E-Mail", "Kundennummer", "Telefon"), ("Vor- und Nachname", "E-Mail-Adresse", "Kd.-Nr.", "Handy")],
               phone="+49 30 901820",
               rectification="Meine Anschrift ist falsch, richtig ist: Hauptstraße 5, 10115 Berlin.",
               erasure="- meine E-Mail-Adresse\n- meine Telefonnummer\n- meine Kaufhistorie",
               reason="Einer Profilbildung zu Werbezwecken habe ich nie zugestimmt.", date="03.03.2026"),
    "es": dict(people=[("Lucía García", "lucia.garcia@example.es", "ES-30211"),
                       ("Javier López", "javier.lopez@mail.example", "7781-334")],
               labels=[("Nombre", "Correo electrónico", "Número de cliente", "Teléfono"), ("Nombre y apellidos", "E-mail", "ID de cliente", "Móvil")],
               phone="+34 612 345 678",
               rectification="Mi dirección postal es incorrecta: debería ser Calle Mayor 12, 28013 Madrid.",
               erasure="- mi dirección de correo electrónico\n- mi número de teléfono\n- mi historial de compras",
               reason="Nunca he aceptado la elaboración de perfiles con fines publicitarios.", date="3 de marzo de 2026"),
    "it": dict(people=[("Giulia Rossi", "giulia.rossi@example.it", "IT-99120"),
                       ("Marco Bianchi", "marco.bianchi@mail.example", "220-4471")],
               labels=[("Nome", "E-mail", "Codice cliente", "Telefono"), ("Nome e cognome", "Indirizzo e-mail", "Numero cliente", "Cellulare")],
               phone="+39 06 1234 5678",
               rectification="Il mio indirizzo è sbagliato: dovrebbe essere Via Roma 12, 00184 Roma.",
               erasure="- il mio indirizzo e-mail\n- il mio numero di telefono\n- la mia cronologia degli acquisti",
               reason="Non ho mai acconsentito alla profilazione a scopo pubblicitario.", date="3 marzo 2026"),
    "nl": dict(people=[("Sanne de Vries", "sanne.devries@example.nl", "NL-120934"),
                       ("Daan Jansen", "daan.jansen@mail.example", "66-10293")],
               labels=[("Naam", "E-mail", "Klantnummer", "Telefoon"), ("Volledige naam", "E-mailadres", "Klantnr.", "Mobiel")],
               phone="+31 20 123 4567",
               rectification="Mijn adres is onjuist, het moet zijn: Kerkstraat 12, 1017 GC Amsterdam.",
               erasure="- mijn e-mailadres\n- mijn telefoonnummer\n- mijn aankoopgeschiedenis",
               reason="Ik heb nooit ingestemd met profilering voor reclamedoeleinden.", date="3 maart 2026"),
    "pt": dict(people=[("Beatriz Silva", "beatriz.silva@example.pt", "PT-55012"),
                       ("João Santos", "joao.santos@mail.example", "3301-77")],
               labels=[("Nome", "E-mail", "Número de cliente", "Telefone"), ("Nome completo", "Endereço de e-mail", "Código de cliente", "Telemóvel")],
               phone="+351 912 345 678",
               rectification="O meu endereço está errado: deveria ser Rua Augusta 12, 1100-053 Lisboa.",
               erasure="- o meu endereço de e-mail\n- o meu número de telefone\n- o meu histórico de compras",
               reason="Nunca consenti a criação de perfis para fins publicitários.", date="3 de março de 2026"),
    "cs": dict(people=[("Jana Nováková", "jana.novakova@example.cz", "40017-22"),
                       ("Petr Svoboda", "petr.svoboda@mail.example", "CZ-88120")],
               labels=[("Jméno", "E-mail", "Zákaznické číslo", "Telefon"), ("Jméno a příjmení", "E-mailová adresa", "Číslo zákazníka", "Mobil")],
               phone="+420 601 123 456",
               rectification="Moje adresa je špatně, správně má být: Vinohradská 12, 120 00 Praha 2.",
               erasure="- moje e-mailová adresa\n- moje telefonní číslo\n- moje historie nákupů",
               reason="Nikdy jsem nesouhlasil s profilováním pro reklamní účely.", date="3. 3. 2026"),
    "hr": dict(people=[("Ivana Horvat", "ivana.horvat@example.hr", "HR-30021"),
                       ("Luka Kovačević", "luka.kovacevic@mail.example", "7710-2")],
               labels=[("Ime i prezime", "E-mail", "Broj korisnika", "Telefon"), ("Ime", "E-mail adresa", "Korisnički broj", "Mobitel")],
               phone="+385 91 234 5678",
               rectification="Moja adresa je pogrešna, treba glasiti: Ilica 12, 10000 Zagreb.",
               erasure="- moja e-mail adresa\n- moj broj telefona\n- moja povijest kupnje",
               reason="Nikada nisam pristao na izradu profila u reklamne svrhe.", date="3. ožujka 2026."),
    "el": dict(people=[("Μαρία Παπαδοπούλου", "maria.papadopoulou@example.gr", "GR-44120"),
                       ("Γιώργος Νικολάου", "giorgos.nikolaou@mail.example", "9901-33")],
               labels=[("Ονοματεπώνυμο", "E-mail", "Αριθμός πελάτη", "Τηλέφωνο"), ("Όνομα", "Email", "Κωδικός πελάτη", "Κινητό")],
               phone="+30 210 123 4567",
               rectification="Η διεύθυνσή μου είναι λάθος, η σωστή διεύθυνση είναι: Ερμού 12, 10563 Αθήνα.",
               erasure="- η διεύθυνση email μου\n- ο αριθμός τηλεφώνου μου\n- το ιστορικό αγορών μου",
               reason="Δεν συναίνεσα ποτέ στη δημιουργία προφίλ για διαφημιστικούς σκοπούς.", date="3 Μαρτίου 2026"),
    "ro": dict(people=[("Andreea Popescu", "andreea.popescu@example.ro", "RO-77012"),
                       ("Mihai Ionescu", "mihai.ionescu@mail.example", "5520-18")],
               labels=[("Nume", "E-mail", "Număr client", "Telefon"), ("Nume și prenume", "Adresa de e-mail", "Cod client", "Mobil")],
               phone="+40 721 234 567",
               rectification="Adresa mea este greșită, ar trebui să fie: Strada Lipscani 12, București.",
               erasure="- adresa mea de e-mail\n- numărul meu de telefon",
               reason="Nu am fost niciodată de acord cu crearea de profiluri.", date="3 martie 2026"),
    "sv": dict(people=[("Elin Andersson", "elin.andersson@example.se", "SE-100234"),
                       ("Oskar Johansson", "oskar.johansson@mail.example", "4471-90")],
               labels=[("Namn", "E-post", "Kundnummer", "Telefon"), ("Fullständigt namn", "E-postadress", "Kundnr", "Mobil")],
               phone="+46 8 123 456 78",
               rectification="Min adress är fel, den ska vara: Storgatan 12, 111 51 Stockholm.",
               erasure="- min e-postadress\n- mitt telefonnummer",
               reason="Jag har aldrig gått med på profilering för reklam.", date="3 mars 2026"),
}


@dataclass(frozen=True)
class Letter:
    lang: str
    template: str
    flags: frozenset[str]
    variant: int
    text: str
    rights: tuple[str, ...]
    chaser: bool
    sender: str
    sender_name: str
    customer_id: str | None     # the customer number in {id_data}, when the letter includes it

    @property
    def id(self) -> str:
        on = "+".join(sorted(self.flags)) or "plain"
        return f"{self.lang}/{self.template}/{on}/{self.variant}"


def _flags(template: str) -> list[str]:
    return sorted({m.group(1) for m in _FLAG.finditer(template)})


def _expected(name: str, template: str, on: set[str], article: int | None) -> tuple[tuple[str, ...], bool]:
    rights = set()
    if name.startswith("access"):
        rights.add("access")
        if "data_portability" in on:
            rights.add("portability")
    elif name.startswith("erasure"):
        rights.add("erasure")
        if "include_objection" in on:
            rights.add("objection")
            passage = next(m.group(2) for m in _FLAG.finditer(template) if m.group(1) == "include_objection")
            if re.search(r"(?<!\d)18(?!\d)", passage):
                rights.add("restriction")
    elif name.startswith("rectification"):
        rights.add("rectification")
    elif name.startswith("objection"):
        rights.add("objection")
    elif name == "admonition":
        rights.add({15: "access", 17: "erasure"}[article])
    return tuple(r for r in RIGHTS if r in rights), name == "admonition"


def render(lang: str, name: str, template: str, on: set[str], variant: int, article: int | None = None,
           describe: bool = True) -> Letter:
    data = LANG_DATA[lang]
    person_name, email, customer = data["people"][variant % len(data["people"])]
    l_name, l_email, l_customer, l_phone = data["labels"][variant % len(data["labels"])]
    id_lines = [f"{l_name}: {person_name}", f"{l_email}: {email}", f"{l_customer}: {customer}"]
    if variant % 2:
        id_lines.append(f"{l_phone}: {data['phone']}")
    values = {
        "id_data": "\n".join(id_lines),
        "rectification_data": data["rectification"],
        "erasure_data": data["erasure"],
        "objection_reason": data["reason"] if variant % 2 == 0 else "",
        "runs_list": "Example Shop, Example Cloud",
        "request_date": data["date"],
        "request_article": str(article or ""),
    }

    def keep(m: re.Match) -> str:
        return m.group(2) if m.group(1) in on else ""

    text = _FLAG.sub(keep, template)
    text = _FREE_TEXT.sub(lambda m: m.group(1).split(":", 1)[1].strip() if describe and ":" in m.group(1) else "", text)
    text = _PLACEHOLDER.sub(lambda m: values.get(m.group(1), ""), text)
    text = _TAG.sub("", text).rstrip() + f"\n\n{person_name}\n"
    rights, chaser = _expected(name, template, on, article)
    has_id = "{id_data}" in _FLAG.sub(keep, template)
    return Letter(lang, name, frozenset(on | ({f"art{article}"} if article else set()) | ({"described"} if describe and article else set())),
                  variant, text, rights, chaser, email, person_name, customer if has_id else None)


def rendered_letters() -> list[Letter]:
    """Every corpus letter, with every combination of its flags (admonitions: cited
    article 15 or 17, problem described or not)."""
    out: list[Letter] = []
    for path in sorted(LETTERS.glob("*/*.txt")):
        lang, name = path.parent.name, path.stem
        template = path.read_text(encoding="utf-8")
        flags = _flags(template)
        for variant, combo in enumerate(itertools.product((False, True), repeat=len(flags))):
            on = {f for f, keep in zip(flags, combo) if keep}
            if name == "admonition":
                for article, describe in itertools.product((15, 17), (True, False)):
                    out.append(render(lang, name, template, on, variant + article + describe, article, describe))
            else:
                out.append(render(lang, name, template, on, variant))
    return out
