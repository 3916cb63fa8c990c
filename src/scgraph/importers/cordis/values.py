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


def is_id(text: str) -> bool:
    """Whether ``text`` (already stripped) is a registry id: decimal digits only (``int`` reads
    them; ``"²".isdigit()`` is true but ``int("²")`` fails)."""
    return text.isdecimal()


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


def parse_amount(value: str, column: str) -> str | None:
    """The canonical xsd:decimal form of an amount (``1499998`` and ``1499998.0`` -> ``1499998``;
    ``1.234,5`` and ``1,234.5`` -> ``1234.5``); empty -> None."""
    v = value.strip().replace(" ", "").replace("\u00a0", "")
    if not v:
        return None
    if "," in v and "." in v:
        v = v.replace(".", "").replace(",", ".") if v.rfind(",") > v.rfind(".") else v.replace(",", "")
    elif "," in v:
        v = v.replace(",", ".")
    try:
        d = Decimal(v)
    except InvalidOperation:
        raise BadValue(f"bad {column} {value.strip()!r} (expected a number)") from None
    if not d.is_finite() or d < 0:
        raise BadValue(f"bad {column} {value.strip()!r} (expected a non-negative number)")
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
        raise BadValue(f"non-numeric {column} {v!r}")
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
    return urllib.parse.quote(v, safe=_URL_SAFE)


def code_slug(code: str) -> str:
    """The IRI segment of a registry code: lower case, runs of other characters as one hyphen."""
    return re.sub(r"[^a-z0-9]+", "-", code.strip().lower()).strip("-")
