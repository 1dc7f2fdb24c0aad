"""Spanish cues."""
from . import Cues, Lexicon

LEXICON = Lexicon(
    code="es",
    words="""el la los las lo un una unos unas y o de del al a en es son que por para con sin su
        sus mi mis me yo usted ustedes vosotros nos se le les como pero mas muy este esta estos
        estas ese esa cual cuales quien hola gracias saludos atentamente datos cuenta por
        favor solicito solicitud peticion hay tienen tengo quiero estoy sobre desde cuando""",
    me=r"mi|mis|me|mio|mia|mios|mias|yo",
    data=r"datos|datos personales|cuenta|perfil|informacion|informacion personal|registros|suscripcion|"
         r"direccion|correo",
    request=(r"por favor", r"solicito", r"estoy solicitando", r"solicitar", r"pido", r"estoy pidiendo",
             r"quiero", r"quisiera", r"me gustaria", r"deseo", r"les ruego", r"le ruego", r"ruego",
             r"por la presente", r"podrian", r"pueden", r"podria", r"puede", r"exijo", r"agradeceria",
             r"mi peticion de", r"mi solicitud de"),
    negation=("no", "nunca", "ni", "tampoco", "sin", "jamas"),
    conditional=(r"si", r"en caso de", r"en caso de que", r"cuando", r"tienen ustedes"),
    contrast=(r"pero", r"sino", r"solo", r"solamente", r"en cambio", r"sin embargo", r"unicamente"),
    rights={
        "access": Cues(
            phrases=(
                r"derecho de acceso", r"solicitud de acceso",
                r"acceso a ~ {ME} ~ (datos|informacion)",
                r"copia de ~ {ME} ~ (datos|informacion)",
                r"copia de (todos )?(los|la) (datos|informacion) ~ (sobre mi|que me conciernen)",
                r"(que|cuales) (datos|informacion) ~ (tienen|tienes|guardan|almacenan|tratan|procesan|poseen|conservan|disponen)",
                r"(datos|informacion) (que )?(tienen|guardan|almacenan|tratan) (sobre|de) mi",
                r"(confirmar|confirmadme|confirmenme|saber|decirme|informarme) si ~ (procesando|procesan|tratan|tratando|tienen|guardan|almacenan)",
                r"(envien|enviad|mandad|manden|envieme|enviadme|envienme|mandenme)( me)? ~ {ME} (datos|informacion)",
            ),
            nouns=(r"acceso",),
        ),
        "rectification": Cues(
            phrases=(
                r"{ME} ~ (es|son|esta|estan) (incorrect[oa]s?|erroneo|erronea|erroneos|erroneas|equivocad[oa]s?|mal escrit[oa]|desactualizad[oa]s?|obsolet[oa]s?)",
                r"(direccion|nombre|apellido|correo|telefono|fecha de nacimiento) (es )?(incorrect[oa]|erronea|erroneo|equivocad[oa])",
                r"(deberia|debe) (ser|decir)",
                r"(corrij\w*|correg\w*|rectifi\w*|actualic\w*|actualiz\w*|cambi\w*|modifi\w*) ~ {ME} (nombre|apellido|direccion|correo|telefono|fecha de nacimiento|datos)",
                r"{ME} nueva (direccion|correo) es",
                r"(haced|hagan|realicen|realizad) los siguientes cambios",
            ),
            verbs=(r"corrij\w*", r"rectifi\w*", r"corregir"),
            nouns=(r"rectificacion", r"correccion"),
        ),
        "erasure": Cues(
            phrases=(
                r"derecho (al olvido|de supresion|de cancelacion)",
                r"(borr\w*|elimin\w*|suprim\w*|cancel\w*|dar de baja) ~ {ME} ({DATA})",
                r"(borr\w*|elimin\w*|suprim\w*) (todos|toda|todas) (los|las|la) ~ (datos|informacion)",
            ),
            verbs=(r"borr(ar|en|e|ad|eis|ais)", r"elimin(ar|en|e|ad|eis|ais)", r"suprim(ir|an|a|id)"),
            nouns=(r"eliminacion", r"supresion", r"borrado", r"cancelacion de ~ datos"),
        ),
        "restriction": Cues(
            phrases=(
                r"(dejen|dejad|deje) de (tratar|procesar|usar|utilizar) ~ (mientras|hasta)",
                r"(suspend\w*|bloque\w*|congel\w*|paralic\w*) ~ (el )?(tratamiento|procesamiento|uso) ~ (mientras|hasta)",
                r"(limit\w*|restrinj\w*|restring\w*) ~ (el )?(tratamiento|procesamiento|uso)",
                r"limitacion del tratamiento", r"restriccion del (tratamiento|procesamiento)",
            ),
            verbs=(r"restrinj\w*", r"restring\w*"),
            nouns=(r"limitacion", r"restriccion"),
        ),
        "portability": Cues(
            phrases=(
                r"legible(s)? por (maquina|maquinas|ordenador)", r"formato estructurado", r"portabilidad",
                r"(export\w*|descarg\w*) ~ {ME} (datos|informacion|cuenta|historial)",
                r"(transferir|transfieran|trasladar|enviar) ~ {ME} (datos|informacion) ~ (otro|otra|nuevo|nueva) (proveedor|empresa|servicio|responsable)",
                r"(cambiarme|cambiar|pasarme|irme) (a|de) (otro|otra) (proveedor|compania|empresa|servicio|banco|operador)",
            ),
            nouns=(r"portabilidad",),
        ),
        "objection": Cues(
            phrases=(
                r"me opongo", r"oponerme", r"estoy objetando", r"objeto al", r"derecho de oposicion",
                r"darme de baja", r"dar de baja ~ (lista|boletin|newsletter|suscripcion|correos)", r"denme de baja", r"desuscrib\w*", r"desinscrib\w*",
                r"(dejen|dejad|deje|paren|parad) de (enviarme|mandarme|llamarme|contactarme|escribirme|enviar|mandar)",
                r"(no|ningun|ninguna) ~ mas (correos|publicidad|boletines|newsletter|mensajes|llamadas|spam|promociones)",
                r"no (quiero|deseo) (recibir|que me (envien|contacten|llamen))",
                r"(oposicion|me opongo) al (tratamiento|procesamiento|marketing)",
            ),
            nouns=(r"oposicion", r"objecion"),
        ),
        "automated_decision": Cues(
            phrases=(
                r"intervencion humana", r"(una persona|un humano|un ser humano|un empleado) ~ (revise|revisen|examine|reconsidere|evalue|valore)",
                r"(impugn\w*|recurr\w*|contest\w*|revis\w*) ~ (la|esta|esa) ~ decision ~ automatizada",
                r"decision (automatizada|automatica) ~ (revisada|revision|humana)",
            ),
        ),
    },
    chaser=(
        (r"(les|le|os) (envie|mande|remiti|dirigi) (una|mi) (peticion|solicitud|carta|correo)", 0.7),
        (r"no (he|hemos) recibido ~ (respuesta|repuesta|contestacion|nada)", 0.6),
        (r"(sin|ninguna) (respuesta|repuesta|contestacion) (hasta|todavia|aun)", 0.6),
        (r"(recordatorio|amonestacion|requerimiento|segunda solicitud)", 0.6),
        (r"(de nuevo|nuevamente|otra vez)", 0.4),
        (r"(plazo|periodo) ~ (excedido|vencido|superado|expirado)", 0.5),
        (r"{ME} (anterior|primera|ultima) (peticion|solicitud|carta)", 0.6),
        (r"{ME} (peticion|solicitud) del", 0.5),
    ),
    gdpr=(r"rgpd", r"gdpr", r"lopd\w*", r"proteccion de datos", r"datos personales", r"aepd", r"articulo \d+",
          r"privacidad"),
    closings=(r"atentamente", r"(un )?(cordial )?saludo(s)?( cordiales)?", r"cordialmente", r"muchas gracias.{0,40}",
              r"gracias( de antemano)?", r"de antemano,? muchas gracias.{0,40}", r"reciban un cordial saludo",
              r"quedo a la espera.{0,80}"),
    attribution=(r"^el .{4,200}\bescribio:?\s*$", r"^-{2,} ?mensaje (original|reenviado) ?-{2,}"),
    labels={
        "customer_id": (r"n(umero|[°ºo])\.? (de )?cliente", r"id de cliente", r"codigo de cliente",
                        r"numero de (cuenta|socio|contrato|abonado)", r"nombre de usuario", r"usuario",
                        r"referencia de cliente"),
        "name": (r"nombre( completo)?", r"nombre y apellidos", r"apellidos"),
        "phone": (r"telefono( movil)?", r"tel\.?", r"movil", r"celular"),
        "email": (r"correo( electronico)?", r"e-?mail"),
    },
    name_intro=(r"me llamo", r"mi nombre es", r"soy"),
)
