"""The text of every assumption (A-n) the suite rests on, shipped inside the package.

A deviation says "A-8"; a release manager reading the report on a machine without this repository
must still read what A-8 assumes. The texts are extracted from the API reference
(``shared/api/recording-api-reference.md``, the authority) into ``assumptions.json`` by
``python -m recqual.assumptions PATH``; a self-test fails when the two drift apart.
"""

from __future__ import annotations

import json
import re
import sys
from functools import cache
from importlib import resources
from pathlib import Path

_MARKER = re.compile(r"\[assumed (A-\d+b?)\]")
_BULLET = re.compile(r"^\s*(- |\|)")


def extract(markdown: str) -> dict[str, str]:
    """``{"A-1": "The server accepts any case and returns lowercase.", ...}`` in reference order.

    A bullet's assumption runs from its marker to the end of the bullet (its indented continuation
    lines); in a table cell (A-2) the assumption is the cell's text before the marker.
    """
    lines = markdown.splitlines()
    found: dict[str, str] = {}
    for number, line in enumerate(lines):
        for match in _MARKER.finditer(line):
            name = match.group(1)
            if line.lstrip().startswith("|"):
                cell = line[: match.start()].rsplit("|", 1)[-1]
                found.setdefault(name, _squash(cell.split(";")[-1]))
                continue
            parts = [line[match.end() :]]
            for following in lines[number + 1 :]:
                if not following.strip() or _BULLET.match(following) or _MARKER.search(following):
                    break
                parts.append(following)
            found.setdefault(name, _with_subject(line[: match.start()], _squash(" ".join(parts))))
    return dict(sorted(found.items(), key=lambda item: _order(item[0])))


def _with_subject(before: str, text: str) -> str:
    """``hash ([assumed A-10] {...})`` names its subject before the bracket: ``hash is {...}``."""
    before = before.rstrip()
    if not before.endswith("(") or not before[:-1].split():
        return text
    if text.count(")") > text.count("("):
        text = text.replace(")", "", 1)
    return f"{before[:-1].split()[-1]} is {text}"


def _squash(text: str) -> str:
    return " ".join(text.split()).strip()


def _order(name: str) -> tuple[int, str]:
    digits = re.sub(r"\D", "", name)
    return int(digits), name


@cache
def texts() -> dict[str, str]:
    """The shipped texts (read once per process; the file is package data, it does not change)."""
    raw = resources.files("recqual").joinpath("assumptions.json").read_text(encoding="utf-8")
    return dict(json.loads(raw))


def describe(provenance: str) -> str:
    """``A-5,A-10`` -> ``A-5: <text> / A-10: <text>``; unknown names say so instead of guessing."""
    known = texts()
    parts = [p.strip() for p in provenance.split(",") if p.strip()]
    return " / ".join(f"{p}: {known.get(p, '(not in this version of recqual)')}" for p in parts)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m recqual.assumptions PATH-TO-recording-api-reference.md", file=sys.stderr)
        return 2
    found = extract(Path(argv[0]).read_text(encoding="utf-8"))
    target = Path(__file__).with_name("assumptions.json")
    target.write_text(json.dumps(found, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{len(found)} assumptions written to {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
