"""Cleaning text that comes from outside: mojibake, control characters, Unicode forms, spaces."""

from __future__ import annotations

import re
import unicodedata

import ftfy

# Curly quotes and ligature-free text are the authors' choice: only undo damage.
_FTFY = ftfy.TextFixerConfig(uncurl_quotes=False, fix_latin_ligatures=False,
                             fix_character_width=False, explain=False)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b\ufeff]")
_BLANK_LINES = re.compile(r"\n{3,}")
_SURROGATE = re.compile("[\udc80-\udcff]")


def _repair(text: str) -> str:
    if text.isascii():
        return _CONTROL.sub("", text)
    if _SURROGATE.search(text):
        # bytes that were not UTF-8 (read with surrogateescape): most often Windows-1252
        text = text.encode("utf-8", "surrogateescape").decode("cp1252", "replace")
    text = ftfy.fix_text(text, _FTFY)
    return unicodedata.normalize("NFC", _CONTROL.sub("", text))


def clean_text(text: str | None) -> str:
    """A name or title: mojibake repaired, control characters dropped, NFC, spaces collapsed."""
    if not text:
        return ""
    return " ".join(_repair(text).split())


def clean_paragraphs(text: str | None) -> str:
    """A long text (an abstract): like :func:`clean_text`, but line breaks are kept (runs of
    blank lines become one) and spaces collapse within lines."""
    if not text:
        return ""
    text = _repair(text.replace("\r\n", "\n").replace("\r", "\n"))
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def split_codes(value: str) -> list[str]:
    """Identifiers in a cell that may hold several, separated by ``;`` or ``,``."""
    return [c.strip() for c in re.split(r"[;,]", value or "") if c.strip()]
