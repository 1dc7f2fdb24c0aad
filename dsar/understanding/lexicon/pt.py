"""Portuguese cues (European and Brazilian)."""
from . import Cues, Lexicon

LEXICON = Lexicon(
    code="pt",
    words="""o a os as um uma uns umas e ou de do da dos das em no na nos nas por para com sem
        que se nao sim eu voce voces meu minha meus minhas seu sua seus suas me mim lhe lhes
        ao aos pelo pela mais muito este esta isso isto qual quais quem ola obrigado obrigada
        atenciosamente dados pessoais solicito solicitacao pedido conta sao tem tenho estou
        foram""",
    me=r"meu|minha|meus|minhas|me|mim|eu",
    data=r"dados|dados pessoais|conta|perfil|informacoes|cadastro|registro|registos|registros|inscricao|endereco",
    request=(r"por favor", r"solicito", r"solicitar", r"peco", r"quero", r"gostaria", r"desejo", r"venho",
             r"por meio deste", r"atraves deste", r"por este meio", r"podem", r"poderiam", r"pode", r"exijo",
             r"requeiro", r"agradeco", r"minha solicitacao de"),
    negation=("nao", "nunca", "nem", "sem", "jamais"),
    conditional=(r"se", r"caso", r"no caso de", r"quando"),
    contrast=(r"mas", r"apenas", r"so", r"porem", r"somente", r"contudo"),
    rights={
        "access": Cues(
            phrases=(
                r"direito de acesso", r"pedido de acesso",
                r"acesso (a|aos) ~ {ME} ~ (dados|informacoes)",
                r"copia (de|dos) ~ {ME} ~ (dados|informacoes)", r"copia (de|dos) ~ (dados|informacoes) ~ (sobre mim|a meu respeito)",
                r"(que|quais) (dados|informacoes) ~ (tem|possuem|guardam|armazenam|tratam|processam|mantem)",
                r"(dados|informacoes) (que )?(voces )?(tem|guardam|armazenam|tratam) sobre mim",
                r"(confirme|confirmar|confirmem|saber|dizer-me|informar-me) se ~ (processando|processam|tratam|tratando|tem|guardam|armazenam)",
                r"(enviem|envie|mandem|mande)( me)? ~ {ME} (dados|informacoes)",
            ),
            nouns=(r"acesso",),
        ),
        "rectification": Cues(
            phrases=(
                r"{ME} ~ (esta|estao|e|sao) ~ (errad[oa]s?|incorret[oa]s?|desatualizad[oa]s?|inexat[oa]s?|mal escrit[oa])",
                r"(endereco|nome|apelido|sobrenome|e-mail|telefone|data de nascimento) (esta )?(errad[oa]|incorret[oa])",
                r"(deveria|deve) ser",
                r"(corrij\w*|corrig\w*|retifi\w*|atualiz\w*|alter\w*|mud\w*) ~ {ME} (nome|endereco|e-mail|telefone|data de nascimento|dados)",
                r"{ME} novo (endereco|e-mail|telefone) e",
                r"seguintes alteracoes devem ser feitas", r"(facam|faca|efetuem) as seguintes (alteracoes|correcoes)",
            ),
            verbs=(r"corrij\w*", r"retifi\w*", r"corrigir"),
            nouns=(r"retificacao", r"rectificacao", r"correcao"),
        ),
        "erasure": Cues(
            phrases=(
                r"direito ao (esquecimento|apagamento)",
                r"(apag\w*|exclu\w*|elimin\w*|delet\w*|remov\w*) ~ {ME} ~ ({DATA})",
                r"(apag\w*|exclu\w*|elimin\w*|delet\w*) (todos|todas) (os|as) ~ (dados|informacoes)",
            ),
            verbs=(r"apag(ar|uem|ue)", r"exclu(ir|am|a)", r"elimin(ar|em|e)"),
            nouns=(r"apagamento", r"eliminacao", r"exclusao"),
        ),
        "restriction": Cues(
            phrases=(
                r"(parem|pare|deixem|suspendam|suspenda|bloqueiem) ~ (de tratar|de processar|de usar|o tratamento|o processamento) ~ (enquanto|ate)",
                r"(limit\w*|restrinj\w*|restring\w*) ~ (o )?(tratamento|processamento|uso)",
                r"limitacao do tratamento",
            ),
            verbs=(r"restrinj\w*", r"restring\w*"),
            nouns=(r"limitacao", r"restricao"),
        ),
        "portability": Cues(
            phrases=(
                r"legivel por (maquina|computador)", r"formato estruturado", r"portabilidade",
                r"(export\w*|baix\w*|descarreg\w*) ~ {ME} (dados|informacoes|conta|historico)",
                r"(transfer\w*|envi\w*) ~ {ME} (dados|informacoes) ~ (outro|outra|novo|nova) (fornecedor|prestador|empresa|servico|operadora)",
                r"(mudar|trocar|passar) (para|de) (outro|outra) (fornecedor|prestador|empresa|servico|operadora|banco)",
            ),
            nouns=(r"portabilidade",),
        ),
        "objection": Cues(
            phrases=(
                r"me oponho", r"oponho-me", r"opor-me", r"direito de oposicao",
                r"descadastr\w*", r"cancelar (a )?(minha )?(inscricao|assinatura) ~ (newsletter|lista|emails)",
                r"(parem|pare|deixem|deixe) de (me enviar|enviar|me mandar|mandar|me contactar|me contatar|me ligar)",
                r"nao (quero|desejo) (mais )?(receber|ser contactad[oa]|ser contatad[oa])",
                r"(chega|basta|nada mais) de ~ (newsletter|publicidade|emails|e-mails|marketing|spam)",
                r"oposicao ao (tratamento|marketing)",
            ),
            nouns=(r"oposicao", r"objecao"),
        ),
        "automated_decision": Cues(
            phrases=(
                r"intervencao humana", r"(uma pessoa|um humano|um ser humano|um funcionario) ~ (revise|revisar|reavalie|reavaliar|analise|analisar|reconsidere)",
                r"(contest\w*|impugn\w*|revis\w*) ~ (a|esta|essa) ~ decisao ~ automatizada",
                r"decisao automatizada ~ (revista|revisada|revisao|humana)",
            ),
        ),
    },
    chaser=(
        (r"(enviei|mandei|remeti)(-lhes|-lhe| lhes| lhe| a voces)? (uma|a minha|minha) (solicitacao|pedido|carta|mensagem)", 0.7),
        (r"(nao|ainda nao) (recebi|obtive) ~ (resposta|retorno|nada)", 0.6),
        (r"(sem|nenhuma) (resposta|retorno)", 0.6),
        (r"(lembrete|advertencia|segunda solicitacao)", 0.6),
        (r"(novamente|de novo|outra vez)", 0.4),
        (r"(prazo|periodo) ~ (excedido|expirado|ultrapassado|vencido)", 0.5),
        (r"{ME} (solicitacao|pedido) (anterior|de)", 0.5),
    ),
    gdpr=(r"rgpd", r"lgpd", r"gdpr", r"protecao de dados", r"dados pessoais", r"privacidade", r"cnpd", r"artigo \d+"),
    closings=(r"atenciosamente", r"(com os )?(melhores )?cumprimentos", r"abracos?", r"obrigad[oa].{0,30}",
              r"cordialmente", r"saudacoes", r"grato|grata"),
    attribution=(r"^em .{4,200}\bescreveu:?\s*$", r"^.{0,200}\bescreveu:\s*$", r"^-{2,} ?mensagem (original|encaminhada) ?-{2,}"),
    labels={
        "customer_id": (r"n(umero|[°ºo])\.? (de |do )?cliente", r"codigo (de |do )?cliente", r"id (de |do )?cliente",
                        r"numero (de|da|do) (conta|contrato|socio|assinante)", r"nome de usuario", r"utilizador"),
        "name": (r"nome( completo)?",),
        "phone": (r"telefone", r"telemovel", r"celular", r"tel\.?"),
        "email": (r"e-?mail", r"correio eletronico", r"endereco de e-?mail"),
    },
    name_intro=(r"meu nome e", r"chamo-me", r"me chamo", r"sou"),
)
