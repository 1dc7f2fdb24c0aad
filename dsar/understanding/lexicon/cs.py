"""Czech cues. Czech negates verbs with a prefix ("nemažte"), so negated forms are listed
in `negated` rather than found by a separate negation word."""
from . import Cues, Lexicon

LEXICON = Lexicon(
    code="cs",
    words="""a i je jsou byl bylo jsem jste se si v ve na do od z ze s so k ke o u za pro pri po
        by bych to ten ta tato tento tyto ktery ktera ktere jak co kdo ale nebo ani jen take
        uz jeste muj moje mne mi me vas vam vase vasi dobry den dekuji prosim pozdravem udaje
        udaju osobnich osobni zadost zadam timto clanku podle ktere""",
    me=r"muj|moje|moji|mou|meho|memu|mem|mym|mych|mymi|me|mne|mi|ja",
    data=r"udaj\w*|osobni udaje|osobnich udaju|ucet|uctu|uctem|profil\w*|informac\w*|data|dat|adres\w*",
    request=(r"prosim", r"zadam", r"zadame", r"chci", r"chtel bych", r"chtela bych", r"timto", r"muzete",
             r"mohli byste", r"mohla byste", r"pozaduji", r"zadost o", r"moji zadost o"),
    negation=("ne", "nikdy", "bez", "nikoli", "ani"),
    conditional=(r"pokud", r"jestlize", r"v pripade", r"kdyz", r"kdyby", r"jestli"),
    contrast=(r"ale", r"jen", r"pouze", r"vsak", r"nybrz", r"jenom", r"avsak"),
    rights={
        "access": Cues(
            phrases=(
                r"pravo na pristup", r"zadost o pristup",
                r"pristup (k|ke) ~ (osobnim udajum|udajum|datum|informacim)",
                r"kopi\w* ~ {ME} ~ (udaju|dat)", r"kopi\w* ~ (osobnich udaju|udaju|dat) ~ {ME}",
                r"(jake|ktere) (osobni )?(udaje|informace|data) ~ (mate|uchovavate|zpracovavate|evidujete|shromazdujete|drzite)",
                r"(potvrdte|sdelte|informujte) ~ zda ~ (zpracovavate|uchovavate|mate)",
                r"(poslete|zaslete|posli|zasli)( mi)? ~ {ME} (osobni )?(udaje|data|informace)",
            ),
            nouns=(r"pristup",),
        ),
        "rectification": Cues(
            phrases=(
                r"{ME} ~ (je|jsou|byla|byl) ~ (spatne|spatna|spatny|chybn\w*|nespravn\w*|nepresn\w*|zastarale|zastarala|neaktualni)",
                r"(spatn\w*|chybn\w*|nespravn\w*) (adresa|adresu|jmeno|prijmeni|email|e-mail|telefon|datum narozeni)",
                r"(mela|mel|melo|maji) (by )?byt",
                r"(oprav\w*|aktualiz\w*|zmen\w*) ~ {ME} (jmeno|prijmeni|adresu|email|e-mail|telefon|datum narozeni|udaje)",
                r"{ME} nova (adresa|emailova adresa) je",
                r"provedeni nasledujicich zmen",
            ),
            verbs=(r"opravte", r"opravit"),
            nouns=(r"opravu", r"oprava", r"opravy", r"doplneni nepresnych"),
        ),
        "erasure": Cues(
            phrases=(
                r"pravo na (vymaz|vymazani|vymazu|zapomnuti|vymaz)",
                r"(smaz\w*|vymaz\w*|odstran\w*|zrus\w*) ~ {ME} ~ ({DATA})",
                r"{ME} ~ ({DATA}) ~ (smazat|vymazat|odstranit)",
            ),
            verbs=(r"smazte", r"vymazte", r"smazat", r"vymazat", r"odstrante"),
            nouns=(r"vymazani", r"vymaz", r"vymazu", r"smazani", r"odstraneni"),
        ),
        "restriction": Cues(
            phrases=(
                r"(prestan\w*|pozastav\w*|zastav\w*) ~ zpracov\w* ~ (dokud|behem|nez|do doby|do overeni)",
                r"(omez\w*|omezil\w*) ~ zpracovani", r"omezeni zpracovani",
            ),
            verbs=(r"omezil\w*", r"omezte", r"omezit"),
            nouns=(r"omezeni",),
        ),
        "portability": Cues(
            phrases=(
                r"strojove citeln\w*", r"strukturovan\w*, bezne pouzivan\w*", r"prenositelnost\w*",
                r"(exportuj\w*|stahn\w*|prenes\w*) ~ {ME} (udaje|data|ucet)",
                r"(prejit|prejdu|zmenit) (k|ke) (jinemu|novemu) (poskytovateli|operatorovi|dodavateli)",
            ),
            nouns=(r"prenositelnost",),
        ),
        "objection": Cues(
            phrases=(
                r"vznasim ~ namitk\w*", r"namitk\w* (proti|ke) zpracovani", r"namitam",
                r"odhlas\w* ~ (newsletter|odber|zasilani|seznam)", r"odhlaste mne", r"odhlaste me",
                r"(prestante|prestan) ~ (posilat|zasilat|kontaktovat|volat)",
                r"(nezasilejte|neposilejte) ~ (reklam\w*|newsletter\w*|e-?maily|nabidky|obchodni sdeleni)",
                r"(uz|jiz) ~ (nechci|nezasilejte|neposilejte) ~ (dostavat|reklam\w*|newsletter\w*|e-?maily)",
            ),
        ),
        "automated_decision": Cues(
            phrases=(
                r"lidsk\w* (zasah|prezkum|posouzeni)", r"(clovek|pracovnik|osoba) ~ (prezkoumal\w*|posoudil\w*|zkontroloval\w*)",
                r"(napadnout|napadam|prezkoumat|prezkoumani) ~ automatizovan\w* rozhodnuti",
            ),
        ),
    },
    negated={"erasure": (r"ne(vy|s)?ma(z|zav)\w*", r"neodstran\w*"),
             "objection": (),},
    chaser=(
        (r"(jsem|sme) (vam )?(zaslal|zaslala|poslal|poslala|odeslal|odeslala|podal|podala) (zadost|dopis|zpravu)", 0.7),
        (r"(neobdrzel|neobdrzela|nedostal|nedostala) ~ (odpoved|reakci)", 0.6),
        (r"(bez|zadnou) (odpovedi|odpoved)", 0.6),
        (r"(upominka|urgence|pripominka|druha zadost)", 0.6),
        (r"(znovu|opet|opetovne) (vas )?kontaktuji", 0.5),
        (r"(lhuta|doba) ~ (prekrocena|uplynula|vyprsela)", 0.5),
        (r"{ME} (predchozi|puvodni|prvni) (zadost|dopis|zpravu)", 0.6),
        (r"{ME} zadost ze dne", 0.5),
    ),
    gdpr=(r"gdpr", r"obecneho narizeni o ochrane osobnich udaju", r"ochran\w* osobnich udaju", r"osobni\w* udaj\w*",
          r"uoou", r"clanku \d+"),
    closings=(r"s pozdravem", r"s pratelskym pozdravem", r"s uctou", r"dekuji( predem| vam)?.{0,20}",
              r"predem dekuji.{0,20}", r"hezky den"),
    attribution=(r"^dne .{4,200}\bnapsal\w*( \(a\))?:?\s*$", r"^.{0,200}\bnapsal\(a\):\s*$",
                 r"^-{2,} ?(puvodni|preposlana) zprava ?-{2,}"),
    labels={
        "customer_id": (r"zakaznicke cislo", r"cislo zakaznika", r"klientske cislo", r"cislo klienta", r"id zakaznika",
                        r"cislo smlouvy", r"zakaznicky ucet", r"uzivatelske jmeno", r"variabilni symbol"),
        "name": (r"jmeno( a prijmeni)?", r"cele jmeno", r"prijmeni"),
        "phone": (r"telefon(ni cislo)?", r"tel\.?", r"mobil"),
        "email": (r"e-?mail(ova adresa)?",),
    },
    name_intro=(r"jmenuji se", r"me jmeno je"),
)
