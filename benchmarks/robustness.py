"""The README's robustness table (issue #14), measured: hostile servers against the suite, and the
emulator against hostile clients.

    python benchmarks/robustness.py            # print the table
    python benchmarks/robustness.py --write    # and replace it in README.md (between the markers)

Both halves measure over real sockets on 127.0.0.1 (``robustness_hostile.py``: ``recqual qualify
--quick`` against each misbehaving server; ``robustness_emulator.py``: header limits, slow clients,
one-frame MP3, kill -9). Each row is (what, figure, acceptance bound). About 4 minutes in all.
"""

from __future__ import annotations

import argparse
import datetime
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BEGIN, END = "<!-- robustness:begin -->", "<!-- robustness:end -->"
sys.path.insert(0, str(ROOT / "benchmarks"))

import robustness_emulator  # noqa: E402
import robustness_hostile  # noqa: E402


def table(hostile: list[tuple[str, str, str]], emulator: list[tuple[str, str, str]]) -> str:
    when = datetime.date.today().isoformat()
    lines = [
        f"Measured {when} by `python benchmarks/robustness.py` on this project's 2-core machine.",
        "",
        "| the suite against a server that ... | what recqual did | bound |",
        "|---|---|---|",
        *(f"| {a} | {b} | {c} |" for a, b, c in hostile),
        "",
        "| the emulator, given ... | what it did | bound |",
        "|---|---|---|",
        *(f"| {a} | {b} | {c} |" for a, b, c in emulator),
    ]
    return "\n".join(lines)


def write(readme: Path, text: str) -> None:
    content = readme.read_text(encoding="utf-8")
    if BEGIN not in content or END not in content:
        raise SystemExit(f"{readme} has no {BEGIN} ... {END} markers")
    head, rest = content.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    readme.write_text(f"{head}{BEGIN}\n{text}\n{END}{tail}", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="replace the table in README.md")
    args = parser.parse_args()
    text = table(robustness_hostile.measure(), robustness_emulator.measure())
    print(text)
    if args.write:
        write(ROOT / "README.md", text)


if __name__ == "__main__":
    main()
