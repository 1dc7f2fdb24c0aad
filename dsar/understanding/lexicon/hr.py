"""Croatian cues."""
from . import Cues, Lexicon

LEXICON = Lexicon(
    code="hr",
    words="""i u na za je su sam smo ste se da od do s sa o po kao ali ili ne nije to taj ta
        ovaj ova ovo koji koja koje sto kako moj moja moje mene meni mi vas vam vi vasi
        postovani postovanjem hvala molim podatke podataka osobne osobnih zahtjev zahtijevam
        ovime clanku clanka prema sukladno""",
    me=r"moj|moja|moje|moji|mojih|mojim|mog|mom|mene|me|mi|meni|ja",
    data=r"podat\w*|osobn\w* podat\w*|racun\w*|profil\w*|informacij\w*|korisnick\w* racun\w*|adres\w*",
    request=(r"molim", r"zahtijevam", r"zatrazujem", r"trazim", r"zelim", r"ovime", r"ovim putem",
             r"mozete li", r"biste li", r"zahtjev za", r"moj zahtjev za"),
    negation=("ne", "nemojte", "nemoj", "nikad", "nikada", "bez", "niti"),
    conditional=(r"ako", r"ukoliko", r"u slucaju", r"kada", r"da li"),
    contrast=(r"ali", r"nego", r"samo", r"vec", r"medutim"),
    rights={
        "access": Cues(
            phrases=(
                r"pravo na pristup", r"zahtjev za pristup",
                r"pristup ~ (osobnim podacima|podacima|informacijama)",
                r"kopij\w* ~ {ME} ~ podataka", r"kopij\w* ~ (podataka|osobnih podataka) ~ (o meni|ticu mene|odnose na mene)",
                r"(koje|kakve) (osobne )?(podatke|informacije) ~ (imate|cuvate|obradujete|posjedujete|prikupljate)",
                r"(potvrdite|recite|obavijestite) ~ (obradujete li|imate li|cuvate li)",
                r"(posaljite|dostavite)( mi)? ~ {ME} (osobne )?(podatke|informacije)",
            ),
            nouns=(r"pristup",),
        ),
        "rectification": Cues(
            phrases=(
                r"{ME} ~ (je|su|bila|bio) ~ (pogresn\w*|netocn\w*|krivo|kriva|zastarjel\w*|neispravn\w*)",
                r"(pogresn\w*|netocn\w*|kriv\w*) (adresa|adresu|ime|prezime|e-mail|email|telefon|datum rodenja)",
                r"(trebala|trebao|treba) bi (biti|glasiti)", r"treba (biti|glasiti)",
                r"(ispravi\w*|azuriraj\w*|promijeni\w*) ~ {ME} (ime|prezime|adresu|e-mail|email|telefon|datum rodenja|podatke)",
                r"{ME} nova adresa je", r"molim sljedece promjene",
            ),
            verbs=(r"ispravite", r"ispraviti"),
            nouns=(r"ispravljanje", r"ispravak", r"ispravka", r"ispravljane", r"dopunavanje netocnih"),
        ),
        "erasure": Cues(
            phrases=(
                r"pravo na (brisanje|zaborav)",
                r"(izbris\w*|obris\w*|ukloni\w*|unisti\w*) ~ {ME} ~ ({DATA})",
                r"(izbris\w*|obris\w*) sve ~ (podatke|osobne podatke)",
            ),
            verbs=(r"izbrisete", r"izbrisite", r"obrisite", r"izbrisati", r"obrisati", r"brisati"),
            nouns=(r"brisanje", r"brisanja"),
        ),
        "restriction": Cues(
            phrases=(
                r"(prestanite|zaustavite|obustavite) ~ (obradu|obradivati|koristiti) ~ (dok|do)",
                r"(ogranic\w*) ~ obrad\w*", r"ogranicenje obrade",
            ),
            verbs=(r"ogranicite", r"ograniciti"),
            nouns=(r"ogranicenje",),
        ),
        "portability": Cues(
            phrases=(
                r"strojno citljiv\w*", r"strukturiran\w*, uobicajen\w*", r"prenosivost\w*",
                r"(izvez\w*|preuzmi\w*|prenes\w*) ~ {ME} (podatke|racun)",
                r"(prijeci|prelazim|prebaciti se) (k|kod|na) (drug\w*|nov\w*) (pruzatelj\w*|operater\w*|davatelj\w*)",
            ),
            nouns=(r"prenosivost",),
        ),
        "objection": Cues(
            phrases=(
                r"(se )?protivim( se)?", r"ulazem prigovor", r"podnosim prigovor", r"prigovor na obradu",
                r"odjav\w* ~ (newsletter|popis|listu|pretplat\w*|obavijesti)", r"odjavite me",
                r"(prestanite|nemojte vise) ~ (slati|kontaktirati|zvati)",
                r"(ne zelim|vise ne zelim) ~ (primati|biti kontaktiran\w*) ~ (poruke|e-?mailove|newsletter|reklame|ponude)?",
            ),
        ),
        "automated_decision": Cues(
            phrases=(
                r"ljudsk\w* (intervencij\w*|preispitivanj\w*|procjen\w*)",
                r"(covjek|osoba|zaposlenik) ~ (preispita\w*|pregleda\w*|procijeni\w*)",
                r"(osporiti|osporavam|preispitati) ~ automatiziran\w* odluk\w*",
            ),
        ),
    },
    chaser=(
        (r"(poslao|poslala)( ?/ ?(poslao|poslala))? sam vam ~ (zahtjev|pismo|poruku)", 0.7),
        (r"(nisam|jos nisam) (primio|primila|dobio|dobila)( ?/ ?(primio|primila|dobio|dobila))? ~ odgovor", 0.6),
        (r"(bez|nikakav) odgovor\w*", 0.6),
        (r"(opomen\w*|podsjetnik|urgencij\w*|drugi zahtjev)", 0.6),
        (r"(ponovno|opet) (vam se obracam|vas kontaktiram)", 0.5),
        (r"rok ~ (premasen|istekao|prosao)", 0.5),
        (r"{ME} (prethodni|prvi|raniji) zahtjev", 0.6),
    ),
    gdpr=(r"gdpr\w*", r"opce uredbe o zastiti podataka", r"zastit\w* (osobnih )?podataka", r"osobn\w* podat\w*",
          r"azop", r"clank\w* \d+"),
    closings=(r"s postovanjem", r"srdacan pozdrav", r"lijep pozdrav", r"pozdrav", r"hvala( unaprijed| vam)?.{0,20}",
              r"unaprijed hvala"),
    attribution=(r"^.{0,200}\b(je )?napisa(o|la)( ?/ ?(la|napisala))?:\s*$", r"^-{2,} ?(izvorna|proslijedena) poruka ?-{2,}"),
    labels={
        "customer_id": (r"broj korisnika", r"korisnicki broj", r"broj kupca", r"id korisnika", r"broj ugovora",
                        r"korisnicko ime", r"sifra kupca"),
        "name": (r"ime( i prezime)?", r"puno ime", r"prezime"),
        "phone": (r"(broj )?telefona?", r"tel\.?", r"mobitel", r"broj mobitela"),
        "email": (r"e-?mail( adresa)?", r"adresa e-poste"),
    },
    name_intro=(r"zovem se", r"moje ime je"),
)
