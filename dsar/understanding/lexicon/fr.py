"""French cues."""
from . import Cues, Lexicon

LEXICON = Lexicon(
    code="fr",
    words="""le la les l de des du d un une et ou est sont je j vous nous il elle ils ne n pas
        plus pour par sur au aux avec ce cette ces mon ma mes votre vos notre nos qui que qu
        quoi dans en y a me m moi se s leur leurs tout toute tous toutes bonjour madame monsieur
        merci cordialement donnees compte supprimer demande veuillez concernant suivantes
        conformement avez etes mais aussi tres bien""",
    me=r"mon|ma|mes|moi|me|m(?=')|je|j(?=')",
    data=r"donnees|donnees personnelles|compte|comptes|profil|informations|coordonnees|abonnement|"
         r"dossier|fiche|historique|adresse",
    request=(r"veuillez", r"merci de", r"je (vous )?demande", r"demander", r"je souhaite", r"je voudrais",
             r"j'aimerais", r"je veux", r"pourriez vous", r"pouvez vous", r"s'il vous plait", r"svp",
             r"par la presente", r"je sollicite", r"je vous prie", r"je requiers", r"j'exige",
             r"je reclame", r"ma demande de"),
    negation=("ne", "n", "pas", "jamais", "aucun", "aucune", "sans", "ni"),
    conditional=(r"si", r"s'il(?! vous pla)", r"s'ils", r"au cas ou", r"dans le cas ou", r"en cas de",
                 r"lorsque", r"avez vous", r"est ce que vous avez"),
    contrast=(r"mais", r"seulement", r"juste", r"plutot", r"par contre", r"cependant", r"toutefois",
              r"uniquement"),
    rights={
        "access": Cues(
            phrases=(
                r"droit d'acces", r"demande d'acces",
                r"acces (a|aux) ~ {ME} ~ (donnees|informations)",
                r"(une )?copie (de|des) ~ (donnees|informations) ~ (me concernant|sur moi)",
                r"(une )?copie (de )?(toutes )?{ME} (donnees|informations)",
                r"quel(le)?s? (donnees|informations) ~ (avez|detenez|possedez|conservez|traitez|stockez|collectez|disposez)",
                r"(donnees|informations) (que )?vous (avez|detenez|possedez|conservez|traitez) (sur|a propos de) moi",
                r"(confirmer|savoir|m'indiquer|me dire|m'informer) si (ou non )?vous (traitez|detenez|possedez|conservez|avez)",
                r"(envoyez|transmettez|communiquez|fournissez)( moi| me) ~ {ME} (donnees|informations)",
            ),
            nouns=(r"l'acces", r"acces",),
        ),
        "rectification": Cues(
            phrases=(
                r"{ME} ~ (est|sont|etait) (incorrect|incorrecte|incorrects|incorrectes|errone|erronee|erronees|fausse|faux|inexact|inexacte|obsolete|perime|perimee|mal orthographie)",
                r"(adresse|nom|prenom|email|e-mail|numero|date de naissance) (est )?(incorrect|incorrecte|erronee|errone|fausse|faux|inexacte|obsolete)",
                r"(elle|il|cela|ce) (devrait|doit) etre",
                r"(corriger|corrigez|rectifier|rectifiez|modifier|modifiez|mettre a jour|mettez a jour|changer|changez) ~ {ME} (nom|prenom|adresse|email|e-mail|numero|date de naissance|coordonnees|donnees|informations)",
                r"(corriger|corrigez|rectifier|rectifiez|modifier|modifiez|changer|changez)( la| le| les)? (en|par|pour)",
                r"{ME} nouvelle adresse est",
                r"(effectuer|effectuez|apporter|apportez) les (modifications|corrections) suivantes",
            ),
            verbs=(r"corrig\w*", r"rectifi\w*"),
            nouns=(r"rectification", r"correction"),
        ),
        "erasure": Cues(
            phrases=(
                r"droit a l'oubli", r"droit a l'effacement",
                r"(supprim\w*|effac\w*|retir\w*|detrui\w*) ~ {ME} ({DATA}|coordonnees|adresse e-?mail|numero)",
                r"(supprim\w*|effac\w*) (toutes|l'ensemble des|les) (des )?(donnees|informations)",
                r"(fermer|fermez|cloturer|cloturez) {ME} compte et (le )?(supprim\w*|effac\w*)",
            ),
            verbs=(r"supprim\w*", r"effac\w*"),
            nouns=(r"suppression", r"effacement"),
        ),
        "restriction": Cues(
            phrases=(
                r"(cesser|cessez|arreter|arretez|suspendre|suspendez|geler|gelez|bloquer|bloquez) (de )?(traiter|traitement|le traitement|l'utilisation|d'utiliser) ~ (pendant|jusqu'a|le temps|tant que|en attendant)",
                r"(limiter|limitez|restreindre|restreignez) ~ (le )?(traitement|l'utilisation)",
                r"limitation du traitement",
            ),
            verbs=(r"limit(er|ez)", r"restrein\w*"),
            nouns=(r"limitation",),
        ),
        "portability": Cues(
            phrases=(
                r"lisible par (une )?machine", r"format structure", r"portabilite",
                r"(exporter|exportez|telecharger) ~ {ME} (donnees|informations|compte|historique)",
                r"(transferer|transferez|transmettre|transmettez) ~ {ME} (donnees|informations) ~ (a|vers) (un|une) (autre|nouveau|nouvel|nouvelle)",
                r"changer de (fournisseur|prestataire|service|banque|operateur)",
                r"(passer|aller) (chez|vers|a) (un|une) (autre|nouveau|nouvel|nouvelle) (fournisseur|prestataire|service|operateur)",
            ),
            nouns=(r"portabilite",),
        ),
        "objection": Cues(
            phrases=(
                r"je (m'oppose|m'y oppose)", r"m'opposer", r"je fais opposition", r"droit d'opposition",
                r"desabonn\w*", r"desinscri\w*", r"me retirer de ~ (liste|listes|fichier|newsletter)",
                r"(arretez|arreter|cessez|cesser|stoppez|stopper) (de )?(m'envoyer|me contacter|m'appeler|m'ecrire|me solliciter|de m'envoyer)",
                r"(arretez|arreter|cessez|cesser|stoppez|stopper) (la|les|vos|votre|toute|toutes|tout|ce|cette|ces) ~ (newsletter|newsletters|lettre d'information|publicites?|prospection|marketing|mails|courriels|e-mails|sms|appels|sollicitations)",
                r"(ne|n') ~ (plus|jamais) (recevoir|etre contacte|etre sollicite|m'envoyer)",
                r"(plus|pas) (de|d') (newsletter|publicite|publicites|prospection|spam|mails|sms|appels)",
                r"(opposition|m'oppose) (au|a la|a tout|a toute) (traitement|prospection|profilage)",
            ),
            nouns=(r"opposition",),
        ),
        "automated_decision": Cues(
            phrases=(
                r"intervention humaine", r"(un|une) (humain|personne|etre humain|employe|conseiller) ~ (reexamine|examine|revoie|revise|reconsidere|verifie|regarde)",
                r"(contester|contest\w*) ~ (la|cette|votre) ~ decision",
                r"(reexaminer|reexaminez|revoir|revoyez|reconsiderer|reconsiderez) ~ (la|cette|votre) ~ decision ~ automatis\w*",
                r"decision (entierement |purement )?automatis\w* ~ (reexamin|revu|revue|humain)",
                r"ne pas faire l'objet d'une decision fondee exclusivement sur un traitement automatise",
            ),
        ),
    },
    chaser=(
        (r"je vous ai (envoye|adresse|transmis|fait parvenir) (une|ma) (demande|requete|lettre|courrier)", 0.7),
        (r"(n'ai|n'avons) (toujours |malheureusement |encore )*(pas|rien) (recu|eu)", 0.6),
        (r"(sans|aucune|pas de) (reponse|retour|nouvelles)", 0.6),
        (r"(relance|rappel|avertissement|mise en demeure|deuxieme demande)", 0.6),
        (r"(une nouvelle fois|de nouveau|a nouveau)", 0.4),
        (r"(delai|periode|mois) ~ (depasse|depassee|expire|ecoule|echu)", 0.5),
        (r"{ME} (precedente|premiere|derniere) (demande|lettre|requete)", 0.6),
        (r"{ME} demande du", 0.5),
    ),
    gdpr=(r"rgpd", r"reglement general sur la protection des donnees", r"protection des donnees",
          r"donnees (a caractere )?personnel\w*", r"cnil", r"dpo", r"delegue a la protection",
          r"vie privee", r"article \d+"),
    closings=(r"(bien )?cordialement", r"(sinceres |meilleures )?salutations( distinguees)?", r"bien a vous",
              r"merci( d'avance| par avance| beaucoup| bien)?", r"amicalement", r"bonne (journee|soiree)",
              r"veuillez agreer.{0,160}", r"je vous prie d'agreer.{0,160}", r"dans l'attente de votre reponse.{0,80}"),
    attribution=(r"^le .{4,200}\ba ecrit ?:?\s*$", r"^-{2,} ?message (d'origine|original|transfere) ?-{2,}",
                 r"^-{2,} ?courriel original ?-{2,}"),
    labels={
        "customer_id": (r"n[°o]\.? ?(de )?client", r"numero (de |d')?(client|abonne|compte|contrat|adherent)",
                        r"identifiant( client)?", r"reference client", r"id client", r"code client",
                        r"numero de dossier", r"ref(erence)?\.? client"),
        "name": (r"nom( complet)?", r"nom et prenom", r"prenom et nom", r"nom de famille"),
        "phone": (r"(numero de )?telephone", r"tel", r"portable", r"mobile"),
        "email": (r"e-?mail", r"courriel", r"adresse (e-?mail|electronique)"),
    },
    name_intro=(r"je m'appelle", r"mon nom est", r"je suis"),
)
