"""Cell values of the CORDIS tables: numbers, dates, identifiers, URLs and codes, parsed and
cleaned one cell at a time. A cell that cannot be read raises :class:`BadValue`, whose message
is the reason its row is rejected. (Free text is cleaned by :mod:`scgraph.importers.text`.)

This module knows nothing of tables or RDF graphs: values in, lexical forms and :class:`Lit`
literals out.
"""

from __future__ import annotations

import re
import urllib.parse
from datetime import date
from decimal import Decimal, InvalidOperation

from rdflib.namespace import XSD

from ...errors import SourceError
from ...parse import iri_problem
from ...terms import Lit
from ..text import clean_text

XSD_DATE = str(XSD.date)
XSD_DECIMAL = str(XSD.decimal)
XSD_BOOLEAN = str(XSD.boolean)


class BadValue(SourceError):
    """A cell that cannot be read; its message (kept verbatim) is the reason the row is rejected.

    The importer turns every BadValue into a rejected row; should one reach a caller, it is a
    :class:`~scgraph.errors.SourceError` like any other unreadable input.
    """

    def __init__(self, reason: str) -> None:
        Exception.__init__(self, reason)
        self.message, self.path, self.line = reason, None, None


#: The longest registry id (CORDIS ids have 9 digits; 18 still fits a 64-bit integer).
MAX_ID_DIGITS = 18


def is_id(text: str) -> bool:
    """Whether ``text`` (already stripped) is a registry id: 1 to 18 ASCII digits (``"²"``,
    ``"١"`` and a 5,000-digit number are not)."""
    return 0 < len(text) <= MAX_ID_DIGITS and text.isascii() and text.isdigit()


_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[ T][0-9:.]*Z?)?")


def parse_date(value: str, column: str) -> Lit | None:
    """An xsd:date from ``YYYY-MM-DD`` (a time part is ignored); empty -> None."""
    v = value.strip()
    if not v:
        return None
    m = _DATE.fullmatch(v)
    try:
        if not m:
            raise ValueError
        d = date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        raise BadValue(f"bad {column} {v!r} (expected YYYY-MM-DD)") from None
    return Lit(d.isoformat(), XSD_DATE)


def decimal_lexical(d: Decimal | float) -> str:
    """The canonical xsd:decimal form (XSD 1.1, as Oxigraph writes it): ``1499998.0`` -> ``1499998``."""
    s = format(Decimal(repr(d)) if isinstance(d, float) else d, "f")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return "0" if s in ("", "-0") else s


#: Amounts accepted, in euro: below 10**15 (a thousand billion euro; the largest CORDIS project
#: costs a few billion) with at most 6 decimal places. Anything else is a rejected cell, never
#: a number of a million digits written out.
MAX_AMOUNT_DIGITS = 15
MAX_AMOUNT_DECIMALS = 6
_AMOUNT_CHARS = re.compile(r"[0-9.,]+")
_GROUPED = re.compile(r"[0-9]{1,3}(?:([.,])[0-9]{3})+")  # 1.500.000, 1,500,000


def _amount_text(v: str, column: str, shown: str) -> str:
    """``v`` (no spaces) as a plain decimal ``1234.5``, or BadValue when it is not an amount or
    its decimal separator cannot be told."""
    def bad(why: str) -> BadValue:
        return BadValue(f"bad {column} {shown!r} ({why})")

    if v.startswith("-") and _AMOUNT_CHARS.fullmatch(v[1:]):
        raise bad("expected a non-negative number")
    if not _AMOUNT_CHARS.fullmatch(v) or not any(c.isdigit() for c in v):
        raise bad("expected a number")  # 1E+5, NaN, 1², ...
    seps = [c for c in v if c in ".,"]
    if not seps:
        return v
    if len(set(seps)) == 2:  # 1,500.00 and 1.500,00: the last one is the decimal separator
        point = v[max(v.rfind("."), v.rfind(","))]
        whole, _, frac = v.rpartition(point)
        g = _GROUPED.fullmatch(whole)
        if not g or g.group(1) == point:
            raise bad("expected a number")
        return whole.replace(g.group(1), "") + "." + frac
    if len(seps) > 1:  # 1.500.000: thousands separators only
        if not _GROUPED.fullmatch(v):
            raise bad("expected a number")
        return v.replace(seps[0], "")
    whole, frac = v.split(seps[0])
    if len(frac) == 3 and 1 <= len(whole) <= 3 and whole != "0":
        raise bad(f"ambiguous: {seps[0]!r} may be a decimal or a thousands separator; write "
                  f"{whole}{frac} or {whole}.{frac.rstrip('0') or '0'}")
    return (whole or "0") + "." + frac


def parse_amount(value: str, column: str) -> str | None:
    """The canonical xsd:decimal form of an amount; empty -> None.

    Accepted: ``1499998``, ``1499998.0`` and ``1499998,0`` (one separator, not followed by
    exactly three digits), ``1,234.5`` and ``1.234,5`` (both: the last is the decimal one),
    ``1.500.000`` (repeated: thousands), spaces as thousands separators (``1 500,25``). A
    single separator followed by exactly three digits (``1,500``, ``1.500``) is ambiguous and
    rejected, not guessed. Exponents, NaN, infinity, signs, non-ASCII digits and amounts of
    10**15 or more or with more than 6 decimal places are rejected.
    """
    shown = value.strip()
    v = shown.replace(" ", "").replace("\u00a0", "").replace("\u202f", "")
    if not v:
        return None
    if len(v) > 64:
        raise BadValue(f"bad {column} {shown[:40]!r}… ({len(shown):,} characters; expected a number)")
    text = _amount_text(v, column, shown)
    whole, _, frac = text.partition(".")
    if len(whole.lstrip("0")) > MAX_AMOUNT_DIGITS:
        raise BadValue(f"bad {column} {shown!r} (out of range: amounts must be below 10^{MAX_AMOUNT_DIGITS})")
    if len(frac.rstrip("0")) > MAX_AMOUNT_DECIMALS:
        raise BadValue(f"bad {column} {shown!r} (more than {MAX_AMOUNT_DECIMALS} decimal places)")
    try:
        d = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern above admits only plain decimals
        raise BadValue(f"bad {column} {shown!r} (expected a number)") from None
    return decimal_lexical(d)


def parse_bool(value: str, column: str) -> bool | None:
    """``true``/``false`` in any case (pandas writes ``True``), ``1``/``0``; empty -> None."""
    v = value.strip().lower()
    if not v:
        return None
    if v in ("true", "1", "yes"):
        return True
    if v in ("false", "0", "no"):
        return False
    raise BadValue(f"bad {column} {value.strip()!r} (expected true or false)")


def parse_id(value: str, column: str) -> int:
    v = value.strip()
    if not v:
        raise BadValue(f"missing {column}")
    if not is_id(v):
        if v.isascii() and v.isdigit():
            raise BadValue(f"{column} of {len(v):,} digits (an id has at most {MAX_ID_DIGITS})")
        raise BadValue(f"non-numeric {column} {v[:40]!r}")
    return int(v)


def parse_geolocation(value: str) -> tuple[str, str] | None:
    """``"lat,long"`` -> the two decimal lexical forms, or None when absent or out of range."""
    parts = value.replace(" ", "").split(",")
    if len(parts) != 2:
        return None
    try:
        lat, lon = Decimal(parts[0]), Decimal(parts[1])
    except InvalidOperation:
        return None
    if not (lat.is_finite() and lon.is_finite() and -90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    if lat == 0 and lon == 0:
        return None  # "0,0" marks a missing position, not the Gulf of Guinea
    return decimal_lexical(lat), decimal_lexical(lon)


_URL_SAFE = ":/?#[]@!$&'()*+,;=%~-._"
#: The longest URL kept (browsers and servers stop at a few thousand characters).
MAX_URL_CHARS = 8192


def clean_url(value: str) -> str | None:
    """An http(s) IRI from a registry cell (``www.x.eu`` gets ``http://``), or None."""
    v = clean_text(value).replace(" ", "")
    if not v:
        return None
    if v.lower().startswith("www."):
        v = "http://" + v
    try:
        parts = urllib.parse.urlsplit(v)
    except ValueError:  # "http://[not-an-ipv6": no URL to keep
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    iri = urllib.parse.quote(v, safe=_URL_SAFE)
    # the rules every N-Quads, Turtle and SPARQL parser applies: an IRI that Oxigraph refuses
    # would make the registry file unreadable to every later build
    return None if len(iri) > MAX_URL_CHARS or iri_problem(iri) else iri


def code_slug(code: str) -> str:
    """The IRI segment of a registry code: lower case, runs of other characters as one hyphen."""
    return re.sub(r"[^a-z0-9]+", "-", code.strip().lower()).strip("-")
