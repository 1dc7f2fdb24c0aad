"""Italian cues."""
from . import Cues, Lexicon

LEXICON = Lexicon(
    code="it",
    words="""il lo la i gli le un uno una di del della dei delle degli da dal dalla in nel nella
        con su per tra fra e ed o che chi non ma anche come piu sono sei siamo siete ho hai ha
        abbiamo avete hanno mio mia miei mie vostro vostra vostri mi ci vi si questo questa
        questi quello quale quali buongiorno salve grazie cordiali saluti dati personali favore
        richiesta richiedo cancellare riguardanti secondo""",
    me=r"mio|mia|miei|mie|mi|me|io",
    data=r"dati|dati personali|account|profilo|informazioni|conto|iscrizione|indirizzo|registrazione",
    request=(r"per favore", r"per cortesia", r"richiedo", r"chiedo", r"vorrei", r"voglio", r"desidero",
             r"con la presente", r"vi prego", r"la prego", r"potreste", r"potete", r"prego", r"cortesemente",
             r"vi chiedo", r"io sottoscritto", r"la mia richiesta di"),
    negation=("non", "mai", "ne", "senza", "nessun", "nessuna", "nessuno"),
    conditional=(r"se", r"qualora", r"nel caso", r"in caso", r"avete"),
    contrast=(r"ma", r"solo", r"soltanto", r"pero", r"invece", r"tuttavia", r"solamente", r"bensi"),
    rights={
        "access": Cues(
            phrases=(
                r"diritto di accesso", r"richiesta di accesso",
                r"accesso (a|ai) ~ {ME} ~ (dati|informazioni)",
                r"copia (di|dei) ~ (dati|informazioni) ~ {ME}", r"copia (di|dei) ~ {ME} ~ (dati|informazioni)",
                r"(quali|che) (dati|informazioni) ~ (avete|possedete|conservate|trattate|detenete|memorizzate|raccolto)",
                r"(dati|informazioni) (che )?(avete|conservate|trattate) su di me",
                r"(conferma|confermare|confermatemi|sapere|dirmi|informarmi) ~ (se|che) ~ (trattamento|trattate|conservate|avete)",
                r"(inviatemi|mandatemi|fornitemi|inviate|mandate) ~ {ME} (dati|informazioni)",
            ),
            nouns=(r"accesso",),
        ),
        "rectification": Cues(
            phrases=(
                r"{ME} ~ (e|sono|era) (sbagliat[oaie]|errat[oaie]|non corrett[oaie]|inesatt[oaie]|obsolet[oaie]|scritt[oa] male|vecchi[oa])",
                r"(indirizzo|nome|cognome|email|e-mail|telefono|data di nascita) (e )?(sbagliat[oa]|errat[oa]|non corrett[oa])",
                r"(dovrebbe|deve) essere",
                r"(corregg\w*|corrigg\w*|rettific\w*|aggiorn\w*|modific\w*|cambi\w*) ~ {ME} (nome|cognome|indirizzo|email|e-mail|telefono|data di nascita|dati)",
                r"{ME} nuovo (indirizzo|numero) e",
                r"(effettuate|effettuare|apportate|apportare) i seguenti (cambiamenti|modifiche|correzioni)",
            ),
            verbs=(r"corregg\w*", r"rettific\w*"),
            nouns=(r"rettifica", r"correzione"),
        ),
        "erasure": Cues(
            phrases=(
                r"diritto all'oblio", r"diritto alla cancellazione",
                r"(cancell\w*|elimin\w*|rimuov\w*|distrugg\w*) ~ {ME} ~ ({DATA})",
                r"(cancell\w*|elimin\w*|rimuov\w*) (tutti|tutte) (i|le) ~ (dati|informazioni)",
            ),
            verbs=(r"cancell(are|ate|i|ino)", r"elimin(are|ate|i|ino)"),
            nouns=(r"cancellazione", r"eliminazione", r"rimozione"),
        ),
        "restriction": Cues(
            phrases=(
                r"(smett\w*|cess\w*|interromp\w*|sospend\w*|blocc\w*) ~ (di trattare|il trattamento|di usare|di utilizzare|l'uso) ~ (mentre|finche|fino a|in attesa)",
                r"(limit\w*|restring\w*) ~ (il )?(trattamento|processazione|uso)",
                r"limitazione del trattamento",
            ),
            verbs=(r"restring\w*",),
            nouns=(r"limitazione",),
        ),
        "portability": Cues(
            phrases=(
                r"leggibile da (dispositivo automatico|macchina|computer)", r"formato strutturato", r"portabilita",
                r"(esport\w*|scaric\w*) ~ {ME} (dati|informazioni|account)",
                r"(trasfer\w*|invia\w*) ~ {ME} (dati|informazioni) ~ (altro|altra|nuovo|nuova) (fornitore|servizio|societa|azienda|titolare)",
                r"(passare|cambiare) (a|ad) (un|una) (altro|altra|nuovo|nuova) (fornitore|operatore|servizio|gestore|banca)",
                r"cambiare (fornitore|operatore|gestore)",
            ),
            nouns=(r"portabilita",),
        ),
        "objection": Cues(
            phrases=(
                r"mi oppongo", r"opporre", r"opposizione al (trattamento|marketing)", r"diritto di opposizione",
                r"disiscriv\w*", r"cancellarmi (dalla|dalle|dalla) ~ (newsletter|lista|mailing)", r"annullare l'iscrizione",
                r"(smettete|smettere|smetta|cessate) di (inviarmi|mandarmi|contattarmi|chiamarmi|scrivermi|inviare)",
                r"non (voglio|desidero) (piu )?(ricevere|essere contattat[oa])",
                r"(basta|niente piu|nessun'altra|nessuna altra) ~ (newsletter|pubblicita|email|e-mail|promozioni|chiamate)",
                r"(interrompete|fermate|bloccate) ~ (la|le|il) ~ (newsletter|pubblicita|email|e-mail|promozioni)",
            ),
            nouns=(r"opposizione", r"obiezione"),
        ),
        "automated_decision": Cues(
            phrases=(
                r"intervento umano", r"(una persona|un essere umano|un operatore|un dipendente) ~ (riesamin\w*|esamin\w*|riconsider\w*|rivalut\w*|controll\w*)",
                r"(contest\w*|impugn\w*|riesamin\w*) ~ (la|questa) ~ decisione ~ automatizzata",
                r"decisione automatizzata ~ (riesaminata|riesame|umano)",
            ),
        ),
    },
    chaser=(
        (r"vi ho (mandato|inviato|spedito|trasmesso) (una|la mia) (richiesta|lettera|email|istanza)", 0.7),
        (r"non ho (ancora )?ricevuto ~ (risposta|riscontro|nulla)", 0.6),
        (r"(nessuna|senza) (risposta|riscontro)", 0.6),
        (r"(sollecito|promemoria|ammonizione|diffida|seconda richiesta)", 0.6),
        (r"(nuovamente|di nuovo|ancora una volta)", 0.4),
        (r"(periodo|termine|mese) ~ (superato|scaduto|decorso)", 0.5),
        (r"{ME} (precedente|prima|ultima) (richiesta|lettera|email)", 0.6),
        (r"{ME} richiesta del", 0.5),
    ),
    gdpr=(r"gdpr", r"rgpd", r"protezione dei dati", r"dati personali", r"garante privacy", r"privacy", r"articolo \d+"),
    closings=(r"cordiali saluti", r"distinti saluti", r"cordialmente", r"saluti", r"un cordiale saluto",
              r"grazie( mille| in anticipo)?.{0,40}", r"in attesa di.{0,80}"),
    attribution=(r"^il .{4,200}\bha scritto:?\s*$", r"^-{2,} ?messaggio (originale|inoltrato) ?-{2,}"),
    labels={
        "customer_id": (r"numero (di )?cliente", r"codice cliente", r"n\.? cliente", r"id cliente",
                        r"numero (di )?(contratto|account|tessera|utenza)", r"nome utente", r"codice utente"),
        "name": (r"nome( e cognome)?", r"nome completo", r"cognome"),
        "phone": (r"(numero di )?telefono", r"tel\.?", r"cellulare"),
        "email": (r"e-?mail", r"indirizzo e-?mail", r"posta elettronica"),
    },
    name_intro=(r"mi chiamo", r"il mio nome e", r"sono"),
)
