"""Reading saved email for import: .eml files, mbox files, and folders of them."""
from __future__ import annotations

import mailbox
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Item:
    """One message read from disk (`raw`), or why a file gave none (`error`)."""

    label: str  # the file, and "#n" for the n-th message of an mbox
    raw: bytes | None = None
    error: str | None = None


def is_mbox(path: Path, head: bytes) -> bool:
    """An mbox starts with a "From " separator line (an .eml's first header is "From:")."""
    return path.suffix.lower() == ".mbox" or head.startswith(b"From ")


def _mbox(path: Path) -> Iterator[Item]:
    box = mailbox.mbox(path, create=False)
    try:
        for n, key in enumerate(box.keys(), 1):
            yield Item(f"{path}#{n}", raw=box.get_bytes(key))
    finally:
        box.close()


def _file(path: Path) -> Iterator[Item]:
    try:
        with path.open("rb") as handle:
            head = handle.read(5)
        if not head:
            yield Item(str(path), error="empty file: no message in it")
        elif is_mbox(path, head):
            yield from _mbox(path)
        else:
            yield Item(str(path), raw=path.read_bytes())
    except OSError as exc:
        yield Item(str(path), error=exc.strerror or str(exc))


def read_messages(paths: Iterable[str | Path]) -> Iterator[Item]:
    """Every message in `paths`, in order; a folder contributes its files, sorted, recursively."""
    for name in paths:
        path = Path(name)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
            if not files:
                yield Item(str(path), error="no files in this folder")
            for file in files:
                yield from _file(file)
        elif path.exists():
            yield from _file(path)
        else:
            yield Item(str(path), error="no such file")
