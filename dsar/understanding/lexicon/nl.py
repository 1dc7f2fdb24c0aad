"""Dutch cues."""
from . import Cues, Lexicon

LEXICON = Lexicon(
    code="nl",
    words="""de het een en of van in op te is zijn was ik u jij je mij mijn uw wij we ons onze
        niet geen met voor aan door bij naar om over uit als dan dat die dit deze wat wie welke
        hoe ook nog maar wel heb hebt heeft hebben kan kunt wil wilt graag alstublieft dank
        bedankt geachte beste groet gegevens persoonsgegevens verzoek hierbij verwijderen
        account""",
    me=r"mijn|mij|me|ik",
    data=r"gegevens|persoonsgegevens|persoonlijke gegevens|data|account|profiel|informatie|abonnement|"
         r"adres|klantaccount|e-mailadres",
    request=(r"alstublieft", r"alsjeblieft", r"a\.u\.b", r"aub", r"ik verzoek", r"verzoek ik", r"verzoek u",
             r"ik wil", r"wil ik", r"ik zou graag", r"zou ik graag", r"wil graag", r"gelieve", r"hierbij",
             r"kunt u", r"kan u", r"wilt u", r"ik vraag", r"vraag ik", r"ik eis", r"mijn verzoek (om|tot|voor)"),
    negation=("niet", "geen", "nooit", "zonder", "noch"),
    negation_after=("niet", "nooit"),
    conditional=(r"als", r"indien", r"wanneer", r"ingeval", r"in het geval", r"mocht", r"mochten"),
    contrast=(r"maar", r"alleen", r"enkel", r"echter", r"slechts", r"wel"),
    rights={
        "access": Cues(
            phrases=(
                r"inzage\w*", r"recht (op|van) (inzage|toegang)",
                r"toegang tot ~ {ME} ~ (gegevens|persoonsgegevens|data|informatie)",
                r"kopie van ~ (gegevens|persoonsgegevens|data|informatie) ~ (over mij|van mij|mij betreffen)", r"kopie van ~ {ME} ~ (gegevens|persoonsgegevens|data|informatie)",
                r"welke (persoons)?(gegevens|data|informatie) ~ (heeft|hebt|hebben|bewaart|bewaren|verwerkt|verwerken|opgeslagen|bezit)",
                r"(gegevens|data|informatie) (die )?(u|jullie) (over|van) mij (heeft|hebt|hebben|bewaart|verwerkt)",
                r"(bevestig|bevestigen|laat ~ weten|vertel) ~ of (u|jullie) ~ (gegevens|data) ~ (verwerkt|verwerken|bewaart|bewaren|opgeslagen)",
                r"(stuur|stuurt|zend|bezorg)( mij| me)? ~ {ME} (gegevens|persoonsgegevens|data|informatie)",
            ),
            nouns=(r"toegang",),
        ),
        "rectification": Cues(
            phrases=(
                r"{ME} ~ (is|zijn|was) ~ (onjuist|fout|verkeerd|incorrect|niet correct|verouderd|onvolledig|verkeerd gespeld)",
                r"(onjuiste|verkeerde|foute|verouderde) (naam|achternaam|adres|e-mailadres|telefoonnummer|geboortedatum|spelling)",
                r"(moet|zou moeten) ~ (zijn|luiden)", r"(juiste|correcte) (adres|naam|spelling) is",
                r"(corrigeer|corrigeren|verbeter|verbeteren|wijzig|wijzigen|pas ~ aan|aanpassen|update) ~ {ME} (naam|achternaam|adres|e-mailadres|telefoonnummer|geboortedatum|gegevens)",
                r"{ME} nieuwe (adres|e-mailadres|telefoonnummer) is",
                r"volgende (wijzigingen|correcties) (aangebracht|aanbrengen|doorvoeren)",
            ),
            verbs=(r"corrigeer\w*", r"rectificeer\w*", r"verbeter(en)?"),
            nouns=(r"rectificatie", r"correctie", r"aanvulling van (onjuiste|onvolledige)"),
        ),
        "erasure": Cues(
            phrases=(
                r"recht (op|om) (vergetelheid|vergeten te worden|verwijdering|gegevenswissing)",
                r"(verwijder\w*|wis|wissen|vernietig\w*) ~ {ME} ~ ({DATA})",
                r"{ME} ~ ({DATA}) ~ (verwijderen|wissen|vernietigen)",
                r"(wis|verwijder) (alle|al mijn) ~ (gegevens|persoonsgegevens|data)",
            ),
            verbs=(r"verwijder(en|t)?", r"te verwijderen", r"wis(sen)?"),
            nouns=(r"verwijdering", r"wissing", r"gegevenswissing"),
        ),
        "restriction": Cues(
            phrases=(
                r"(stop|stoppen|staak|staken|pauzeer|bevries) ~ (verwerking|verwerken|gebruik) ~ (terwijl|totdat|tot|zolang|in afwachting)",
                r"(verwerk|gebruik) ~ {ME} ~ (gegevens|data) ~ niet ~ (terwijl|totdat|zolang|in afwachting)",
                r"(beperk\w*|blokkeer\w*) ~ (de )?(verwerking|gebruik)", r"beperking van (de )?verwerking",
                r"verwerking ~ te beperken",
            ),
            verbs=(r"beperk(en|t)?", r"te beperken"),
            nouns=(r"beperking",),
        ),
        "portability": Cues(
            phrases=(
                r"machine ?leesbaar\w*", r"door een machine leesbaar\w*", r"gestructureerd, algemeen gebruikt",
                r"(gegevens)?overdraagbaarheid", r"dataportabiliteit",
                r"(exporteer\w*|download\w*) ~ {ME} (gegevens|data|account|informatie)",
                r"(overstappen|overstap|over te stappen) (naar )?(een )?(andere|nieuwe) (aanbieder|provider|dienst|leverancier|bank)",
                r"(overdragen|overzetten|doorsturen) ~ (naar )?(een )?(andere|nieuwe) (aanbieder|provider|dienst|verwerkingsverantwoordelijke)",
            ),
            nouns=(r"overdraagbaarheid",),
        ),
        "objection": Cues(
            phrases=(
                r"(maak|teken) ik ~ bezwaar", r"ik (maak|teken) ~ bezwaar", r"bezwaar (aan )?tegen (de|het) (verwerking|verwerken|gebruik|direct marketing|profilering)",
                r"uitschrijv\w*", r"afmeld\w*", r"schrijf (mij|me) uit", r"meld (mij|me) af",
                r"(stop|stopt|stoppen) (met )?(het )?(sturen|versturen|mailen|bellen|benaderen|e-mailen)",
                r"geen (nieuwsbrief|nieuwsbrieven|reclame|marketing|e-mails|mails|telefoontjes|spam) meer",
                r"(stop|stopt|stoppen) ~ (nieuwsbrief|nieuwsbrieven|reclame|marketing|mailings)",
            ),
            nouns=(r"bezwaar",),
        ),
        "automated_decision": Cues(
            phrases=(
                r"menselijke (tussenkomst|beoordeling|interventie|blik|herbeoordeling)",
                r"(een mens|een persoon|een medewerker) ~ (beoordeelt|bekijkt|herbeoordeelt|controleert|herziet|beoordelen|bekijken)",
                r"(een mens|een persoon|een medewerker) ~ (geautomatiseerde|automatische) (beslissing|besluit)",
                r"(aanvecht\w*|betwist\w*|herzie\w*|beoordel\w*) ~ (geautomatiseerde|automatische) (beslissing|besluit|besluitvorming)",
            ),
        ),
    },
    chaser=(
        (r"(heb|had) ik (u|jullie) (een|mijn) (verzoek|aanvraag|brief|e-mail) ~ (verstuurd|gestuurd|toegezonden|gezonden)", 0.7),
        (r"(nog )?(geen|niets) ~ (antwoord|reactie|bericht) ~ (ontvangen|gekregen|gehad)", 0.6),
        (r"(herinnering|vermaning|aanmaning|ingebrekestelling|tweede verzoek)", 0.6),
        (r"(opnieuw|nogmaals|wederom) (contact|aan u|schrijf)", 0.5),
        (r"(termijn|periode|maand) ~ (overschreden|verstreken|verlopen)", 0.5),
        (r"{ME} (eerdere|vorige|eerste|laatste) (verzoek|aanvraag|brief|e-mail)", 0.6),
        (r"{ME} verzoek van", 0.5),
    ),
    gdpr=(r"avg", r"gdpr", r"algemene verordening gegevensbescherming", r"gegevensbescherming", r"privacy",
          r"persoonsgegevens", r"autoriteit persoonsgegevens", r"artikel \d+"),
    closings=(r"met vriendelijke groet(en)?", r"vriendelijke groet(en)?", r"(hartelijke |beste )?groet(en|jes)?", r"mvg",
              r"bij voorbaat dank.{0,30}", r"dank(uwel| u wel| je wel| u)?\.?", r"hoogachtend", r"alvast bedankt"),
    attribution=(r"^op .{4,200}\bschreef\b.{0,200}:?\s*$", r"^-{2,} ?(oorspronkelijk|doorgestuurd) bericht ?-{2,}"),
    labels={
        "customer_id": (r"klantnummer", r"klantnr\.?", r"klant-?id", r"lidnummer", r"relatienummer", r"contractnummer",
                        r"accountnummer", r"gebruikersnaam", r"ordernummer", r"factuurnummer", r"dossiernummer"),
        "name": (r"naam", r"volledige naam", r"voor- en achternaam", r"achternaam"),
        "phone": (r"telefoon(nummer)?", r"tel\.?", r"mobiel( nummer)?", r"mobiele nummer", r"gsm"),
        "email": (r"e-?mail(adres)?",),
    },
    name_intro=(r"mijn naam is", r"ik heet", r"ik ben"),
)
