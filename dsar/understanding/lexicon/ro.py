"""Romanian cues (folded: ă â î ș ț written a a i s t)."""
from . import Cues, Lexicon

LEXICON = Lexicon(
    code="ro",
    words="""si sau de la in din pe cu pentru ca care ce cine este sunt am ai au a fost nu mai
        foarte un o unui unei meu mea mele mei mi ma eu dumneavoastra voastra va acest
        aceasta acestui datele datelor personale date solicit cererea cerere va rog multumesc
        stima conform articolul""",
    me=r"mea|meu|mele|mei|mine|ma|mi|eu",
    data=r"date\w*|date personale|cont\w*|profil\w*|informati\w*|adres\w*",
    request=(r"solicit", r"va rog", r"vreau", r"as dori", r"doresc", r"cer", r"pe aceasta cale", r"puteti",
             r"prin prezenta", r"va solicit", r"solicitarea mea"),
    negation=("nu", "niciodata", "fara", "nici"),
    conditional=(r"daca", r"in cazul", r"in cazul in care", r"cand"),
    contrast=(r"dar", r"ci", r"doar", r"numai", r"insa"),
    rights={
        "access": Cues(
            phrases=(
                r"dreptul de acces", r"cerere de acces",
                r"acces(ul)? ~ (datelor|datele|informatiilor)",
                r"copie ~ (datelor|datele|informatiilor)",
                r"(ce|care) (date|informatii) ~ (detineti|aveti|pastrati|prelucrati|procesati|stocati)",
                r"(confirmati|spuneti|informati) ~ daca ~ (procesati|prelucrati|detineti|aveti|pastrati)",
                r"(trimiteti|transmiteti)(-mi| mi)? ~ (datele|informatiile) (mele)?",
            ),
            nouns=(r"accesul", r"acces"),
        ),
        "rectification": Cues(
            phrases=(
                r"{ME} ~ (este|sunt|era) ~ (gresit\w*|incorect\w*|eronat\w*|inexact\w*|invechit\w*)",
                r"(adresa|numele|prenumele|emailul|telefonul|data nasterii) ~ (este )?(gresit\w*|incorect\w*|eronat\w*)",
                r"(ar trebui|trebuie) sa fie",
                r"(corectati|rectificati|actualizati|modificati|schimbati) ~ (numele|adresa|emailul|telefonul|datele) (mea|meu|mele)",
                r"adresa mea noua este", r"urmatoarele (modificari|corecturi)",
            ),
            verbs=(r"corectati", r"rectificati", r"corecta"),
            nouns=(r"rectificare\w*", r"corectare\w*"),
        ),
        "erasure": Cues(
            phrases=(
                r"dreptul (de a fi uitat|la stergere|la uitare)",
                r"(sterg\w*|elimin\w*|inchide\w*) ~ (contul|datele|profilul|informatiile) (meu|mea|mele)",
                r"(sterg\w*|elimin\w*) (toate|tot) ~ (datele|informatiile)",
            ),
            verbs=(r"stergeti", r"stergerea", r"sterge"),
            nouns=(r"stergere\w*",),
        ),
        "restriction": Cues(
            phrases=(
                r"(opriti|suspendati|incetati) ~ (prelucrarea|procesarea|utilizarea) ~ (pana|in timp ce|cat timp)",
                r"(restrictionarea|restrangerea|limitarea) (prelucrarii|procesarii)", r"(restrictionati|restrangeti|limitati) ~ (prelucrarea|procesarea)",
            ),
            verbs=(r"restrictionati", r"restrangeti"),
            nouns=(r"restrictionare\w*", r"restrangere\w*"),
        ),
        "portability": Cues(
            phrases=(
                r"citirea automata", r"structura standard", r"format structurat", r"portabilit\w*",
                r"(export\w*|descarc\w*|transfer\w*) ~ (datele|informatiile) (mele)?",
                r"(alt|un nou) (furnizor|operator|prestator)",
            ),
            nouns=(r"portabilitate\w*",),
        ),
        "objection": Cues(
            phrases=(
                r"ma opun", r"(imi exprim|formulez) opozitia", r"dezabon\w*", r"dezinscri\w*",
                r"(nu mai|opriti|incetati) ~ (trimite\w*|contacta\w*|suna\w*|primesc|primi)",
                r"nu (mai )?(doresc|vreau) sa (primesc|fiu contactat\w*)",
            ),
            nouns=(r"opozitie",),
        ),
        "automated_decision": Cues(
            phrases=(
                r"interventie umana", r"(o persoana|un om|un angajat) ~ (reanalizeze|analizeze|evalueze|verifice)",
                r"(contest\w*|reanaliz\w*) ~ decizi\w* automat\w*",
            ),
        ),
    },
    chaser=(
        (r"v-am (trimis|transmis|adresat) (o|cererea|solicitarea) ~ (cerere|solicitare)?", 0.7),
        (r"nu am (primit|avut) ~ (raspuns|niciun raspuns)", 0.6),
        (r"(niciun|fara) raspuns", 0.6),
        (r"(reamintire|somatie|a doua cerere)", 0.6),
        (r"(din nou|inca o data|revin)", 0.4),
        (r"(termenul|perioada) ~ (depasit|expirat)", 0.5),
    ),
    gdpr=(r"rgpd", r"gdpr", r"rgdp", r"protectia datelor", r"date(le)? (cu caracter )?personale", r"anspdcp",
          r"articolul \d+", r"art\. ?\d+"),
    closings=(r"cu stima", r"cu respect", r"cu drag", r"multumesc( anticipat| frumos)?.{0,20}", r"va multumesc.{0,30}",
              r"toate cele bune"),
    attribution=(r"^in .{4,200}\ba scris:?\s*$", r"^.{0,200}\ba scris:\s*$", r"^-{2,} ?mesaj original ?-{2,}"),
    labels={
        "customer_id": (r"numar(ul)? (de )?client", r"cod(ul)? (de )?client", r"id client", r"numar(ul)? (de )?contract",
                        r"nume (de )?utilizator"),
        "name": (r"nume( complet)?", r"nume si prenume", r"prenume"),
        "phone": (r"telefon", r"tel\.?", r"mobil"),
        "email": (r"e-?mail", r"adresa de e-?mail"),
    },
    name_intro=(r"ma numesc", r"numele meu este"),
)
