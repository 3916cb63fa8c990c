#!/usr/bin/env python3
"""Type-check gate: run mypy over src/scgraph and fail on errors that are not in the baseline.

The baseline (scripts/mypy_baseline.txt) holds today's errors, each as a key of file, error code
and message, without line numbers (an edit elsewhere in a file moves lines, not errors), with how
many times it occurs. A run fails (exit 1, one line per new error) when a key occurs more often
than the baseline allows; errors that went away are a note, and ``--update`` then shrinks the
baseline to what is left.

Usage (from anywhere; the settings are pyproject.toml's [tool.mypy]):
    python scripts/mypy_gate.py                  # the check (scripts/test.sh runs it)
    python scripts/mypy_gate.py --update         # rewrite the baseline; refused if it would grow
    python scripts/mypy_gate.py --update --allow-growth   # accept today's errors as they are
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scripts" / "mypy_baseline.txt"
HEADER = """\
# mypy errors accepted for now (scripts/mypy_gate.py fails on any other).
# COUNT<TAB>FILE<TAB>CODE<TAB>MESSAGE; no line numbers. Shrink it with: python scripts/mypy_gate.py --update
"""

# Numbers in messages that move when unrelated code moves.
_VOLATILE = [
    (re.compile(r"\bon line \d+"), "on line N"),
    (re.compile(r"\bline \d+"), "line N"),
    (re.compile(r"\bDict entry \d+"), "Dict entry N"),
    (re.compile(r"\bList item \d+"), "List item N"),
]

Key = tuple[str, str, str]


#: Longer messages are cut (matplotlib's and numpy's types spell out hundreds of names that
#: change with their versions).
MAX_MESSAGE = 160


def normalise(message: str) -> str:
    for pattern, replacement in _VOLATILE:
        message = pattern.sub(replacement, message)
    message = " ".join(message.split())
    return message if len(message) <= MAX_MESSAGE else message[: MAX_MESSAGE - 3] + "..."


def run_mypy() -> list[dict[str, Any]]:
    """mypy's errors (not its notes), as its JSON output gives them."""
    cmd = [sys.executable, "-m", "mypy", "--output", "json", "--no-error-summary"]
    proc = subprocess.run(cmd, check=False, cwd=ROOT, capture_output=True, text=True)
    errors, other = [], []
    for line in proc.stdout.splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError:
            other.append(line)
            continue
        if item.get("severity") == "error":
            errors.append(item)
    # 0: clean, 1: type errors; anything else (2: bad config, crash, mypy missing) is no result
    if proc.returncode not in (0, 1) or other or (proc.returncode == 1 and not errors):
        sys.stderr.write(proc.stderr + "\n".join(other) + "\n")
        sys.exit(f"mypy_gate: mypy did not run cleanly (exit {proc.returncode}): {' '.join(cmd)}")
    return errors


def key_of(item: dict[str, Any]) -> Key:
    path = Path(item["file"])
    if path.is_absolute():
        try:
            path = path.relative_to(ROOT)
        except ValueError:
            pass
    return path.as_posix(), item.get("code") or "-", normalise(item["message"])


def read_baseline() -> Counter[Key]:
    counts: Counter[Key] = Counter()
    if not BASELINE.is_file():
        return counts
    for n, line in enumerate(BASELINE.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 4 or not parts[0].isdigit():
            sys.exit(f"mypy_gate: {BASELINE.relative_to(ROOT)}:{n}: not COUNT<TAB>FILE<TAB>CODE<TAB>MESSAGE")
        counts[(parts[1], parts[2], parts[3])] += int(parts[0])
    return counts


def write_baseline(counts: Counter[Key]) -> None:
    lines = [f"{c}\t{f}\t{code}\t{msg}\n" for (f, code, msg), c in sorted(counts.items()) if c > 0]
    BASELINE.write_text(HEADER + "".join(lines), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--update", action="store_true", help="rewrite the baseline with today's errors")
    parser.add_argument("--allow-growth", action="store_true",
                        help="with --update: accept errors that are not in the baseline")
    args = parser.parse_args(argv)
    if args.allow_growth and not args.update:
        parser.error("--allow-growth goes with --update")

    errors = run_mypy()
    current: Counter[Key] = Counter(key_of(e) for e in errors)
    baseline = read_baseline()
    grown = {k: current[k] - baseline[k] for k in current if current[k] > baseline[k]}
    gone = sum((baseline - current).values())

    if args.update:
        if grown and baseline and not args.allow_growth:
            for line in _new_lines(errors, grown):
                print(line)
            print(f"mypy_gate: refused: {sum(grown.values())} error(s) not in the baseline; fix them, "
                  "or pass --allow-growth to accept them", file=sys.stderr)
            return 1
        write_baseline(current)
        print(f"mypy_gate: baseline {BASELINE.relative_to(ROOT)} now holds {sum(current.values())} "
              f"error(s) (was {sum(baseline.values())})")
        return 0

    for line in _new_lines(errors, grown):
        print(line)
    if gone:
        print(f"mypy_gate: note: {gone} error(s) of the baseline are gone; shrink it with "
              "python scripts/mypy_gate.py --update")
    if grown:
        print(f"mypy_gate: {sum(grown.values())} new mypy error(s) (not in "
              f"{BASELINE.relative_to(ROOT)}); fix them", file=sys.stderr)
        return 1
    print(f"mypy_gate: ok ({sum(current.values())} known error(s), none new)")
    return 0


def _new_lines(errors: list[dict[str, Any]], grown: dict[Key, int]) -> list[str]:
    """One line per new error, ``file:line: error: message  [code]``. When a key occurs more
    often than the baseline allows, which occurrence is the new one cannot be told: each of its
    occurrences is shown, marked with how many are new."""
    lines = []
    for e in sorted(errors, key=lambda e: (e["file"], e["line"], e.get("column", 0))):
        k = key_of(e)
        if k in grown:
            total = sum(1 for x in errors if key_of(x) == k)
            extra = "" if grown[k] == total else f" ({grown[k]} of these {total} are new)"
            message = " ".join(e["message"].split())
            if len(message) > MAX_MESSAGE:
                message = message[: MAX_MESSAGE - 3] + "..."
            lines.append(f"{k[0]}:{e['line']}: error: {message}  [{k[1]}]{extra}")
    return lines


if __name__ == "__main__":
    sys.exit(main())
