"""Swedish cues (folded: å ä ö written a a o)."""
from . import Cues, Lexicon

LEXICON = Lexicon(
    code="sv",
    words="""och att det som en ett i pa av for med till ar var har hade jag ni du mig min mina
        mitt er era ert vi oss inte ej den de detta dessa fran om sa men eller nar vilka vilken
        hej tack halsningar vanliga vanligen personuppgifter uppgifter begaran enligt artikel""",
    me=r"mig|min|mina|mitt|jag",
    data=r"uppgifter|personuppgifter|data|konto|kontot|profil|information|prenumeration|adress|e-postadress",
    request=(r"jag begar", r"begar", r"vanligen", r"snalla", r"jag vill", r"jag skulle vilja", r"harmed",
             r"kan ni", r"kan du", r"jag ber", r"jag onskar", r"var vanlig", r"min begaran om"),
    negation=("inte", "ej", "aldrig", "icke", "ingen", "inga"),
    negation_after=("inte", "ej", "aldrig"),
    conditional=(r"om", r"ifall", r"i handelse", r"nar"),
    contrast=(r"men", r"bara", r"utan", r"dock", r"endast"),
    rights={
        "access": Cues(
            phrases=(
                r"registerutdrag", r"ratt till tillgang",
                r"tillgang till ~ {ME} ~ (personuppgifter|uppgifter|data)",
                r"kopia (av|pa) ~ (personuppgifter|uppgifter|data|information)",
                r"vilka (person)?uppgifter ~ (har|lagrar|behandlar|sparar)",
                r"(bekrafta|tala om) ~ (om|huruvida) ni ~ (behandlar|lagrar|har)",
                r"(skicka|sand)( mig)? ~ {ME} (personuppgifter|uppgifter|data)",
            ),
            nouns=(r"tillgang",),
        ),
        "rectification": Cues(
            phrases=(
                r"{ME} ~ (ar|var) ~ (fel|felaktig\w*|inkorrekt\w*|gammal|inaktuell\w*|felstavad\w*)",
                r"(felaktig\w*|fel) (adress|namn|efternamn|e-postadress|telefonnummer|fodelsedatum)",
                r"(ska|borde) (vara|lyda)", r"(ratt|korrekt) (adress|namn|stavning) ar",
                r"(ratta|korrigera|uppdatera|andra) ~ {ME} (namn|efternamn|adress|e-postadress|telefonnummer|uppgifter)",
                r"{ME} nya (adress|e-postadress|telefonnummer) ar", r"gor foljande andringar",
            ),
            verbs=(r"ratta", r"korrigera"),
            nouns=(r"rattelse", r"komplettering av felaktiga"),
        ),
        "erasure": Cues(
            phrases=(
                r"ratt(en)? (att bli bortglomd|till radering)",
                r"(radera\w*|ta bort|tag bort|stang\w*) ~ {ME} ~ ({DATA})",
                r"(radera|ta bort) (alla|all) ~ (personuppgifter|uppgifter|data)",
            ),
            verbs=(r"radera",),
            nouns=(r"radering", r"borttagning"),
        ),
        "restriction": Cues(
            phrases=(
                r"(sluta|stoppa|pausa|frys) ~ (behandla|behandlingen|anvanda) ~ (medan|tills|under tiden)",
                r"begransning av (behandlingen|behandling)", r"begransa ~ behandling\w*",
            ),
            verbs=(r"begransa",),
            nouns=(r"begransning",),
        ),
        "portability": Cues(
            phrases=(
                r"maskinlasbar\w*", r"strukturerat, allmant anvant", r"dataportabilitet", r"portabilitet",
                r"(exportera|ladda ner|overfor|flytta) ~ {ME} (uppgifter|personuppgifter|data|konto)",
                r"(byta|flytta) till (en )?(annan|ny) (leverantor|tjanst|operator|bank)",
            ),
            nouns=(r"portabilitet",),
        ),
        "objection": Cues(
            phrases=(
                r"jag invander", r"invander jag", r"invandning mot",
                r"avregistrera\w*", r"avsluta (min )?prenumeration\w*", r"avprenumerera\w*",
                r"(sluta|upphor) (att )?(skicka|ringa|kontakta|maila)",
                r"inga (fler )?(nyhetsbrev|reklam|utskick|mejl|mail|samtal)( mer)?",
                r"vill inte (ha|fa) ~ (nyhetsbrev|reklam|utskick|mejl|mail|samtal)",
            ),
            nouns=(r"invandning",),
        ),
        "automated_decision": Cues(
            phrases=(
                r"mansklig\w* (inblandning|bedomning|granskning|omprovning)",
                r"(en manniska|en person|en handlaggare) ~ (granskar|bedomer|omprovar|tittar pa)",
                r"(bestrida|overklaga|omprova) ~ automatiserade? beslut\w*",
            ),
        ),
    },
    chaser=(
        (r"skickade jag (en|min) (forfragan|begaran|ansokan|brev)", 0.7),
        (r"jag (skickade|lamnade) (en|min) (forfragan|begaran)", 0.7),
        (r"(fick|har) jag (inget|inte fatt (nagot)?) svar", 0.6),
        (r"(inget|utan) svar", 0.6),
        (r"(paminnelse|formaning|andra begaran)", 0.6),
        (r"(kontaktar|skriver till) (jag )?er igen", 0.5),
        (r"(perioden|tidsfristen|fristen) ~ (overskrid\w*|passerat|gatt ut)", 0.5),
        (r"{ME} (tidigare|forsta) (begaran|forfragan)", 0.6),
    ),
    gdpr=(r"gdpr", r"dataskydds\w*", r"personuppgifter", r"imy", r"integritet\w*", r"artikel \d+"),
    closings=(r"med vanliga halsningar", r"vanliga halsningar", r"mvh", r"halsningar", r"tack( pa forhand| sa mycket)?.{0,20}",
              r"halsning", r"basta halsningar"),
    attribution=(r"^den .{4,200}\bskrev\b.{0,200}:?\s*$", r"^.{0,200}\bskrev:\s*$",
                 r"^-{2,} ?(ursprungligt|vidarebefordrat) meddelande ?-{2,}"),
    labels={
        "customer_id": (r"kundnummer", r"kund-?id", r"kundnr\.?", r"medlemsnummer", r"avtalsnummer", r"anvandarnamn",
                        r"ordernummer"),
        "name": (r"namn", r"fullstandigt namn", r"efternamn"),
        "phone": (r"telefon(nummer)?", r"tel\.?", r"mobil(nummer)?"),
        "email": (r"e-?post(adress)?", r"e-?mail"),
    },
    name_intro=(r"jag heter", r"mitt namn ar"),
)
