#!/usr/bin/env python3
"""Email understanding benchmark: how many raw emails per second one core turns into a
`ParsedEmail` and an `Understanding` (parse_email + understand_email), and how well.

The mix (built once, before timing; deterministic for a given --seed):
  - every rendered corpus letter (tests/letters.py: 12 languages, every combination of
    optional passages) wrapped as a MIME email: plain text, half of them also with an
    HTML alternative, quoted-printable or 8bit;
  - generated emails: informal one-line requests and non-requests in several languages,
    as multipart/alternative with HTML, in utf-8, iso-8859-1, windows-1252 or
    iso-2022-jp, some as replies quoting an earlier message, some (--attach-share) with
    1–3 attachments of 10–500 KB.
The timed loop cycles through the mix until N messages (--n) have been done, on one
core (the process is pinned to one CPU where the OS allows it).

Prints: messages/s, p50/p95/p99 per message, the share of time in parsing, the mix,
and the accuracy on the corpus letters (rights exactly right, language right), which
is computed on their MIME form, through the same parse + understand path.

    .venv/bin/python bench/email.py                 # N=5000
    .venv/bin/python bench/email.py --n 20000 --json
    .venv/bin/python bench/email.py --profile 2000  # cProfile top functions
"""
from __future__ import annotations

import os
import sys

# This file is bench/email.py: run as a script, its folder comes first on sys.path and
# would shadow the standard library's `email` package. Drop it before anything imports email.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]

import argparse
import json
import random
import statistics
import time
from email.message import EmailMessage
from email.utils import format_datetime
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from dsar.mail.parse import parse_email  # noqa: E402
from dsar.understanding import understand_email  # noqa: E402
from letters import rendered_letters  # noqa: E402

INFORMAL = [
    ("en", "Please delete my account and all my data.", ["erasure"]),
    ("en", "What personal data do you hold about me? Please send me a copy.", ["access"]),
    ("en", "Stop sending me marketing emails, I never signed up.", ["objection"]),
    ("en", "What are your opening hours on Saturday?", []),
    ("en", "Can I get a discount for 50 licences?", []),
    ("fr", "Bonjour, merci de supprimer mon compte et mes données.", ["erasure"]),
    ("fr", "Désabonnez-moi de votre newsletter s'il vous plaît.", ["objection"]),
    ("fr", "Quels sont vos tarifs pour une entreprise de 20 personnes ?", []),
    ("de", "Bitte löschen Sie mein Konto. Kundennummer: 883920", ["erasure"]),
    ("de", "Welche Daten haben Sie über mich gespeichert?", ["access"]),
    ("de", "Meine Adresse ist falsch, bitte korrigieren Sie sie auf Hauptstraße 5, 10115 Berlin.", ["rectification"]),
    ("es", "Por favor, borren mi cuenta. Gracias.", ["erasure"]),
    ("es", "¿Qué datos tienen sobre mí?", ["access"]),
    ("es", "¿Cuál es el horario de atención?", []),
    ("it", "Per favore cancellate il mio account.", ["erasure"]),
    ("nl", "Verwijder alstublieft mijn account.", ["erasure"]),
    ("pt", "Por favor, apaguem a minha conta.", ["erasure"]),
    ("cs", "Prosím smažte můj účet.", ["erasure"]),
    ("sv", "Radera mitt konto, tack.", ["erasure"]),
    ("el", "Παρακαλώ διαγράψτε τον λογαριασμό μου.", ["erasure"]),
]
CHARSETS = {"en": ["utf-8", "iso-8859-1", "windows-1252"], "fr": ["utf-8", "iso-8859-1", "windows-1252"],
            "de": ["utf-8", "iso-8859-1"], "es": ["utf-8", "iso-8859-1"], "it": ["utf-8", "iso-8859-1"],
            "nl": ["utf-8", "iso-8859-1"], "pt": ["utf-8", "iso-8859-1"], "cs": ["utf-8", "iso-8859-2"],
            "sv": ["utf-8", "iso-8859-1"], "el": ["utf-8", "iso-8859-7"]}
WHEN = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)


def _html(text: str) -> str:
    paragraphs = "".join(f"<p>{line}</p>" for line in text.split("\n") if line.strip())
    return (f"<html><head><style>p{{margin:0}}</style><script>track()</script></head>"
            f"<body>{paragraphs}</body></html>")


def _message(i: int, sender: str, name: str, subject: str, text: str, charset: str = "utf-8",
             html: bool = False, attachments=(), reply_to_id: str | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"{name} <{sender}>" if name else sender
    msg["To"] = "Privacy Team <dpo@shop.example>"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(WHEN)
    msg["Message-ID"] = f"<bench-{i}@mail.example>"
    if reply_to_id:
        msg["In-Reply-To"] = msg["References"] = f"<{reply_to_id}>"
    cte = "quoted-printable" if i % 2 else "8bit"
    try:
        msg.set_content(text, charset=charset, cte=cte if charset != "iso-2022-jp" else "7bit")
    except (UnicodeEncodeError, LookupError):
        msg.set_content(text, charset="utf-8", cte=cte)
    if html:
        msg.add_alternative(_html(text), subtype="html")
    for filename, data in attachments:
        msg.add_attachment(data, maintype="application", subtype="pdf", filename=filename)
    return msg.as_bytes()


def build_mix(seed: int, attach_share: float, generated: int):
    """[(raw bytes, expected rights or None, expected language or None)]."""
    rng = random.Random(seed)
    mix = []
    letters = rendered_letters()
    for i, letter in enumerate(letters):
        raw = _message(i, letter.sender, letter.sender_name, "GDPR", letter.text, html=i % 2 == 0)
        mix.append((raw, list(letter.rights), letter.lang))
    corpus = len(mix)
    for j in range(generated):
        lang, text, _ = INFORMAL[j % len(INFORMAL)]
        i = corpus + j
        if j % 5 == 0:   # a reply quoting our earlier message
            text = (f"{text}\n\nOn Mon, 23 Nov 2026 at 09:00, Privacy Team <dpo@shop.example> wrote:\n"
                    "> Thank you for your message. We will delete your data once you confirm.\n> Regards")
        attachments = []
        if rng.random() < attach_share:
            for k in range(rng.randint(1, 3)):
                attachments.append((f"scan-{k}.pdf", rng.randbytes(rng.randint(10, 500) * 1024)))
        charset = rng.choice(CHARSETS.get(lang, ["utf-8"]) + (["iso-2022-jp"] if j % 97 == 0 else []))
        raw = _message(i, f"user{j}@mail.example", "", "Question" if j % 3 else "Re: Your request", text,
                       charset=charset, html=True, attachments=attachments,
                       reply_to_id=f"bench-ours-{j}@shop.example" if j % 5 == 0 else None)
        mix.append((raw, None, None))
    return mix, corpus


def run(mix, n: int):
    times = []
    parse_time = 0.0
    started = time.perf_counter()
    for k in range(n):
        raw = mix[k % len(mix)][0]
        t0 = time.perf_counter()
        parsed = parse_email(raw)
        t1 = time.perf_counter()
        understand_email(parsed)
        t2 = time.perf_counter()
        times.append(t2 - t0)
        parse_time += t1 - t0
    total = time.perf_counter() - started
    return times, total, parse_time


def accuracy(mix, corpus: int):
    rights_ok = language_ok = both = 0
    wrong = []
    for raw, rights, lang in mix[:corpus]:
        u = understand_email(parse_email(raw))
        r, la = u.rights == rights, u.language == lang
        rights_ok += r
        language_ok += la
        both += r and la
        if not (r and la) and len(wrong) < 10:
            wrong.append({"expected": [rights, lang], "got": [u.rights, u.language], "reasons": u.reasons})
    return {"letters": corpus, "rights_exact": rights_ok, "language": language_ok, "both": both, "wrong": wrong}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--n", type=int, default=5000, help="messages to time (default 5000)")
    ap.add_argument("--generated", type=int, default=600, help="generated emails in the mix (default 600)")
    ap.add_argument("--attach-share", type=float, default=0.2,
                    help="share of generated emails with 1-3 attachments of 10-500 KB (default 0.2)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--warmup", type=int, default=300)
    ap.add_argument("--profile", type=int, default=0, metavar="N", help="cProfile N messages and print the top")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    if hasattr(os, "sched_setaffinity"):
        try:
            os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
        except OSError:
            pass
    log = sys.stderr if args.json else sys.stdout
    print("building the mix …", file=log)
    mix, corpus = build_mix(args.seed, args.attach_share, args.generated)
    with_att = sum(1 for raw, *_ in mix if b"Content-Disposition: attachment" in raw)
    mix_info = {"messages": len(mix), "corpus_letters": corpus, "generated": len(mix) - corpus,
                "with_attachments": with_att, "mean_kb": round(statistics.mean(len(r) for r, *_ in mix) / 1024, 1)}

    run(mix, min(args.warmup, len(mix)))
    times, total, parse_time = run(mix, args.n)
    ms = sorted(t * 1000 for t in times)
    result = {
        "n": args.n, "messages_per_s": round(args.n / total, 1),
        "p50_ms": round(ms[len(ms) // 2], 3), "p95_ms": round(ms[int(len(ms) * 0.95)], 3),
        "p99_ms": round(ms[int(len(ms) * 0.99)], 3), "max_ms": round(ms[-1], 1),
        "parse_share": round(parse_time / sum(times), 2), "mix": mix_info,
        "accuracy": accuracy(mix, corpus),
    }
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        acc = result["accuracy"]
        pct = lambda x: f"{x}/{acc['letters']} ({100 * x / acc['letters']:.1f} %)"  # noqa: E731
        print(f"mix: {mix_info['messages']} messages ({corpus} corpus letters, {mix_info['generated']} generated, "
              f"{with_att} with attachments, mean {mix_info['mean_kb']} KB)")
        print(f"parse_email + understand_email, one core, N={args.n}:")
        print(f"  {result['messages_per_s']} messages/s   p50 {result['p50_ms']} ms   p95 {result['p95_ms']} ms   "
              f"p99 {result['p99_ms']} ms   max {result['max_ms']} ms   (parsing {result['parse_share']:.0%} of the time)")
        print("accuracy on the corpus letters (as emails):")
        print(f"  rights exactly right {pct(acc['rights_exact'])}, language right {pct(acc['language'])}, "
              f"both {pct(acc['both'])}")
        for w in acc["wrong"]:
            print("  wrong:", w)
    if args.profile:
        import cProfile
        import pstats
        profiler = cProfile.Profile()
        profiler.enable()
        run(mix, args.profile)
        profiler.disable()
        pstats.Stats(profiler, stream=log).sort_stats("cumulative").print_stats(25)
    return 0


if __name__ == "__main__":
    sys.exit(main())
