"""German cues."""
from . import Cues, Lexicon

LEXICON = Lexicon(
    code="de",
    words="""der die das den dem des ein eine einen einem einer und oder ist sind war ich sie mich
        mir mein meine meinen meiner ihr ihre ihnen wir nicht kein keine mit von zu zum zur auf
        fur bei nach uber unter aus auch noch nur wie was wer welche welcher dass daß ob wenn
        falls bitte danke hallo guten tag sehr geehrte geehrter damen herren gruße grußen
        freundlichen daten konto loschen hiermit gemaß verarbeitung personenbezogene""",
    me=r"mein|meine|meinen|meinem|meiner|meines|mich|mir|ich",
    data=r"daten|konto|kundenkonto|benutzerkonto|nutzerkonto|profil|account|informationen|angaben|"
         r"datensatze|adresse|e-mail-adresse|personenbezogenen daten|kundendaten|mitgliedschaft",
    request=(r"bitte", r"ich bitte", r"hiermit", r"ich mochte", r"ich will", r"ich wunsche",
             r"ich fordere", r"ich verlange", r"ich beantrage", r"antrag auf", r"konnen sie",
             r"konnten sie", r"wurden sie", r"ich ersuche", r"ersuche", r"ich bitte sie",
             r"mochte ich", r"ich hatte gern", r"ich hatte gerne"),
    negation=("nicht", "kein", "keine", "keinen", "keinem", "keiner", "nie", "niemals", "ohne", "weder"),
    negation_after=("nicht", "keinesfalls", "nie", "niemals"),
    conditional=(r"falls", r"wenn", r"sofern", r"sollte", r"sollten", r"soweit", r"im falle",
                 r"haben sie", r"fur den fall"),
    contrast=(r"aber", r"sondern", r"nur", r"jedoch", r"stattdessen", r"lediglich", r"allerdings"),
    rights={
        "access": Cues(
            phrases=(
                r"auskunftsersuchen", r"auskunftsanfrage", r"auskunftsrecht", r"recht auf auskunft",
                r"(selbst)?auskunft (uber|zu) ~ {ME} ~ (daten|informationen)",
                r"kopie ~ {ME} ~ (daten|informationen)",
                r"kopie (samtlicher|aller) ~ (daten|informationen) ~ {ME}",
                r"welche (personenbezogenen |personlichen )?(daten|informationen) ~ (haben|speichern|gespeichert|verarbeiten|verarbeitet|besitzen|vorliegen|liegen)",
                r"(daten|informationen) ~ (sie )?(uber|zu) (mich|mir|meiner person) (gespeichert|haben|speichern|verarbeiten)",
                r"(bestatigen|mitteilen|sagen|informieren) ~ ob ~ (daten|informationen) ~ (verarbeiten|speichern|gespeichert)",
            ),
            nouns=(r"auskunft",),
        ),
        "rectification": Cues(
            phrases=(
                r"{ME} ~ (ist|sind|war|wurde) ~ (falsch|fehlerhaft|unrichtig|nicht korrekt|nicht richtig|veraltet|unvollstandig|falsch geschrieben)",
                r"(falsche|fehlerhafte|veraltete|unrichtige) (adresse|anschrift|name|namen|e-mail|telefonnummer|geburtsdatum|schreibweise)",
                r"(richtig|korrekt) (ist|lautet|ware)", r"(sie|es|er) (sollte|muss) ~ (lauten|heißen|heissen|sein)",
                r"(korrigier\w*|berichtig\w*|aktualisier\w*|ander\w*) ~ {ME} (name|namen|adresse|anschrift|e-mail|telefonnummer|geburtsdatum|daten|angaben)",
                r"{ME} neue (adresse|anschrift|e-mail-adresse|telefonnummer) (ist|lautet)",
                r"folgende (anderungen|korrekturen|berichtigungen) (sind|bitte)",
            ),
            verbs=(r"korrigier\w*", r"berichtig(e|en|t)", r"zu berichtigen"),
            nouns=(r"berichtigung", r"richtigstellung", r"korrektur"),
        ),
        "erasure": Cues(
            phrases=(
                r"recht auf (vergessenwerden|vergessen werden|loschung)",
                r"(losch(e|en|t|te|ten)|entfern(e|en|t)|vernicht(e|en|t)) ~ {ME} ~ ({DATA})",
                r"{ME} ~ ({DATA}) ~ (loschen|entfernen|vernichten)",
                r"(loschen|entfernen) sie (bitte )?(alle|samtliche|die) ~ (daten|informationen)",
            ),
            verbs=(r"losch(e|en|t|te)", r"zu loschen"),
            nouns=(r"loschung", r"datenloschung", r"loschungsantrag", r"loschungsersuchen"),
        ),
        "restriction": Cues(
            phrases=(
                r"(verarbeitung|verarbeiten|nutzung) ~ (aussetzen|einstellen|stoppen|sperren|anhalten|einfrieren|nicht weiter) ~ (wahrend|bis|solange)",
                r"(verarbeit\w*|nutz\w*) ~ {ME} (personenbezogenen )?daten ~ nicht ~ (wahrend|bis|solange)",
                r"(sperren|sperrung) ~ {ME} (daten|konto)",
                r"einschrankung der verarbeitung", r"verarbeitung ~ einzuschranken", r"schranken sie ~ (verarbeitung|nutzung)",
            ),
            verbs=(r"einzuschranken", r"einschranken"),
            nouns=(r"einschrankung", r"sperrung"),
        ),
        "portability": Cues(
            phrases=(
                r"maschinenlesbar\w*", r"strukturierten, gangigen", r"datenubertragbarkeit", r"datenportabilitat",
                r"(exportier\w*|herunterlad\w*|ubertrag\w*|ubermittel\w*) ~ {ME} (daten|kontodaten|informationen) ~ (anderen|neuen) (anbieter|dienst|unternehmen|verantwortlichen)",
                r"(exportier\w*|export) ~ {ME} (daten|kontodaten|informationen|konto)",
                r"(zu einem|zum) (anderen|neuen) (anbieter|dienst|unternehmen) ~ (wechseln|umziehen|mitnehmen)",
                r"anbieter (wechseln|wechsel)",
            ),
            nouns=(r"portabilitat", r"ubertragbarkeit"),
        ),
        "objection": Cues(
            phrases=(
                r"(lege|erhebe) ~ widerspruch", r"widerspruch (gegen|einlegen|einzulegen)", r"widerspreche",
                r"abmelden", r"abbestellen", r"austragen", r"abmeldung",
                r"keine (werbung|newsletter|werbemails|werbe-e-mails|e-mails|mails|anrufe|post|werbepost|sms) mehr",
                r"(nicht mehr|keine weiteren) ~ (kontaktieren|anschreiben|anrufen|zusenden|schicken|erhalten|werbung|newsletter|e-mails)",
                r"(horen sie auf|aufhoren) ~ (zu schicken|zu senden|zuzusenden|werbung|newsletter|anzurufen|zu kontaktieren)",
                r"(stoppen|beenden) sie ~ (werbung|newsletter|e-mails|zusendung)",
                r"(newsletter|werbung) ~ (stoppen|beenden|einstellen|abbestellen)",
            ),
            nouns=(r"widerspruch",),
        ),
        "automated_decision": Cues(
            phrases=(
                r"menschlich\w* (eingreifen|eingriff|uberprufung|prufung|entscheidung|bearbeitung)",
                r"(ein mensch|eine person|ein mitarbeiter|eine mitarbeiterin|ein sachbearbeiter) ~ (uberpruf\w*|pruf\w*|neu bewert\w*|entscheid\w*|anschau\w*|ansieht)",
                r"(anfecht\w*|widersprech\w*|uberprufen) ~ (automatisiert\w*|automatisch\w*) ~ entscheidung",
                r"(automatisiert\w*|automatisch\w*) entscheidung ~ (uberprufen|uberpruft|anfechten|uberprufung)",
                r"nicht ~ ausschließlich auf einer automatisierten verarbeitung beruhenden entscheidung unterworfen",
            ),
        ),
    },
    chaser=(
        (r"(hatte|habe) ich (ihnen |bei ihnen |an sie )?(eine|meine) (anfrage|antrag|ersuchen|schreiben)", 0.7),
        (r"ich (habe|hatte) ~ (eine|meine) (anfrage|antrag|ersuchen|schreiben)", 0.7),
        (r"(bisher|noch|bis heute|leider) ~ (keine|nicht) ~ (antwort|ruckmeldung|reaktion|beantwortet|erhalten)", 0.6),
        (r"(mahnung|erinnerung|nachfrage|zweite anfrage)", 0.6),
        (r"(erneut|nochmals|noch einmal) an sie", 0.5),
        (r"frist ~ (uberschritten|abgelaufen|verstrichen)", 0.5),
        (r"{ME} (anfrage|antrag|schreiben) vom", 0.5),
        (r"{ME} (fruhere|vorherige|letzte|erste) (anfrage|e-mail|nachricht|schreiben)", 0.6),
    ),
    gdpr=(r"dsgvo", r"datenschutz\w*", r"ds-gvo", r"bdsg", r"personenbezogen\w* daten", r"art\. ?\d+",
          r"artikel \d+"),
    closings=(r"(mit )?(freundlich\w*|beste\w*|viele\w*|liebe\w*|herzlich\w*|sonnig\w*) gru(ß|ss)\w*", r"mfg", r"vg", r"lg",
              r"gru(ß|ss)", r"danke( schon| sehr| im voraus)?", r"vielen dank( im voraus)?", r"hochachtungsvoll",
              r"schon im voraus vielen dank.{0,40}", r"besten dank( im voraus)?"),
    attribution=(r"^am .{4,200}\bschrieb\b.{0,200}:?\s*$", r"^.{0,200}\bschrieb am\b.{0,120}:\s*$",
                 r"^-{2,} ?(ursprungliche|original) ?nachricht ?-{2,}", r"^-{2,} ?weitergeleitete nachricht ?-{2,}"),
    labels={
        "customer_id": (r"kundennummer", r"kunden-?nr\.?", r"kd\.? ?-? ?nr\.?", r"kundenkennung", r"kunden-?id",
                        r"vertragsnummer", r"vertrags-?nr\.?", r"mitgliedsnummer", r"benutzername", r"benutzer-?id",
                        r"vorgangsnummer", r"referenznummer", r"bestellnummer", r"rechnungsnummer"),
        "name": (r"name", r"vor- und nachname", r"vollstandiger name", r"nachname"),
        "phone": (r"telefon(nummer)?", r"tel\.?", r"handy(nummer)?", r"mobil(nummer)?", r"mobilfunknummer"),
        "email": (r"e-?mail(-adresse)?",),
    },
    name_intro=(r"mein name ist", r"ich heiße", r"ich heisse"),
)
