"""Not a benchmark: regenerates dsar/answers/data/supervisory_authorities.json from the
shared corpus (../shared/corpus/supervisory-authorities/*.json, Datenanfragen open data,
CC0 1.0), keeping what the access report shows about each authority.

    .venv/bin/python bench/supervisory_authorities.py [corpus folder]
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "supervisory-authorities"
TARGET = ROOT / "dsar" / "answers" / "data" / "supervisory_authorities.json"
KEPT = ("slug", "name", "address", "webform", "web", "email", "phone", "relevant-countries")


def main(corpus: Path = CORPUS) -> int:
    authorities = []
    for path in sorted(corpus.glob("*.json")):
        entry = json.loads(path.read_text(encoding="utf-8"))
        authorities.append({key: entry.get(key) for key in KEPT})
    TARGET.write_text(json.dumps(authorities, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{len(authorities)} authorities written to {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else CORPUS))
