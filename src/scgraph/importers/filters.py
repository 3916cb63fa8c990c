"""Rules that pick the projects of a field out of a registry (``--filter smart-cities``).

A rules file is TOML (``data/filters/<name>.toml``), one ``[[rule]]`` table per rule, tried in
the order of the file; a project is kept by the first rule that matches any of:

- ``codes``: prefixes of call and topic identifiers (the project's ``topics``, ``masterCall``
  and ``subCall`` columns and the rows of ``topics.csv``), compared without regard to case;
- ``code_patterns``: regular expressions searched in the same identifiers (case-insensitive);
- ``euroscivoc_codes``: EuroSciVoc code paths; a field matches when it is the code or lies
  under it (``/25/77/94443578`` matches ``/25/77/94443578/1269``);
- ``euroscivoc_labels``: EuroSciVoc field titles, compared case-insensitively;
- ``keywords``: phrases searched as whole words in the title and objective,
  case-insensitively, a space also matching a hyphen and a final plural ``s``/``es``.

A top-level ``related`` list (phrases, matched like ``keywords``) names what makes a project the
filter leaves out worth a curator's look: :func:`scgraph.importers.cordis.measure.measure_filter`
counts a folder's projects per rule without importing anything, lists the call topics the filter
takes, and samples the related-looking projects it misses (``scgraph import cordis DIR --filter
NAME --measure``).

This module only matches: it reads no registry table, so the importers (which apply the rules
while they read) depend on it and not the other way round.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import SourceError
from ..inputs import require_regular_file
from ..resources import filters_dir
from .text import split_codes

__all__ = ["FilterRules", "Rule", "keyword_pattern", "split_codes"]

_RULE_KEYS = {"name", "description", "sources", "codes", "code_patterns", "euroscivoc_codes",
              "euroscivoc_labels", "keywords"}
_CODE_COLUMNS = ("topics", "masterCall", "subCall")
_TEXT_COLUMNS = ("title", "objective")


@dataclass(frozen=True)
class Rule:
    """One named rule of a filter."""

    name: str
    description: str = ""
    codes: tuple[str, ...] = ()
    code_patterns: tuple[re.Pattern[str], ...] = ()
    euroscivoc_codes: tuple[str, ...] = ()
    euroscivoc_labels: frozenset[str] = frozenset()
    keywords: re.Pattern[str] | None = None

    def matches_code(self, code: str) -> bool:
        c = code.strip().upper()
        if not c:
            return False
        return c.startswith(self.codes) or any(p.search(c) for p in self.code_patterns)

    def matches_euroscivoc(self, code: str, title: str = "") -> bool:
        code = code.strip().rstrip("/")
        if any(code == p or code.startswith(p + "/") for p in self.euroscivoc_codes):
            return True
        return bool(title) and " ".join(title.casefold().split()) in self.euroscivoc_labels

    def matches_text(self, text: str) -> bool:
        return self.keywords is not None and bool(text) and self.keywords.search(text) is not None


def keyword_pattern(phrases: Iterable[str]) -> re.Pattern[str] | None:
    parts = []
    for phrase in phrases:
        words = [re.escape(w) for w in phrase.split()]
        if words:
            parts.append(r"[\s\-]+".join(words))
    if not parts:
        return None
    return re.compile(r"\b(?:" + "|".join(parts) + r")(?:s|es)?\b", re.IGNORECASE)


@dataclass(frozen=True)
class FilterRules:
    """An ordered list of rules; :meth:`matches` names the first that keeps a project."""

    name: str
    rules: tuple[Rule, ...] = field(default_factory=tuple)
    related: tuple[str, ...] = ()  # phrases that make a left-out project worth a look

    @classmethod
    def load(cls, path: Path | str) -> FilterRules:
        """Read a rules file; a malformed file or rule is a one-line SourceError."""
        path = Path(path)
        try:
            if path.exists():
                require_regular_file(path)  # a FIFO or /dev/zero: refused before it is read
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise SourceError("no such filter file", path=path) from None
        except (OSError, UnicodeDecodeError) as e:
            raise SourceError(f"cannot read the filter file ({e})", path=path) from None
        except tomllib.TOMLDecodeError as e:
            raise SourceError(f"bad TOML: {e}", path=path) from None
        rules = []
        tables = data.get("rule", [])
        if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
            raise SourceError("rule: expected [[rule]] tables", path=path)
        for i, raw in enumerate(tables, start=1):
            unknown = set(raw) - _RULE_KEYS
            if "name" not in raw or unknown:
                what = f"unknown keys {sorted(unknown)}" if unknown else "no name"
                raise SourceError(f"rule {i}: {what}; allowed keys: {sorted(_RULE_KEYS)}", path=path)
            for key in sorted(_RULE_KEYS - {"name", "description"}):
                value = raw.get(key, [])
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise SourceError(f"rule {raw['name']!r}: {key}: expected a list of strings",
                                      path=path)
            try:
                patterns = tuple(re.compile(p, re.IGNORECASE) for p in raw.get("code_patterns", []))
            except re.error as e:
                raise SourceError(f"rule {raw['name']!r}: bad regular expression: {e}", path=path) from None
            rules.append(Rule(
                name=str(raw["name"]),
                description=str(raw.get("description", "")),
                codes=tuple(str(c).strip().upper() for c in raw.get("codes", [])),
                code_patterns=patterns,
                euroscivoc_codes=tuple(str(c).strip().rstrip("/") for c in raw.get("euroscivoc_codes", [])),
                euroscivoc_labels=frozenset(" ".join(str(s).casefold().split())
                                            for s in raw.get("euroscivoc_labels", [])),
                keywords=keyword_pattern(raw.get("keywords", [])),
            ))
        if not rules:
            raise SourceError("no [[rule]] tables", path=path)
        related = data.get("related", [])
        if not isinstance(related, list) or not all(isinstance(w, str) for w in related):
            raise SourceError("related: expected a list of phrases", path=path)
        return cls(name=str(data.get("name", path.stem)), rules=tuple(rules),
                   related=tuple(w for w in related if w.strip()))

    @classmethod
    def named(cls, name: str) -> FilterRules:
        """The rules file ``data/filters/<name>.toml`` (``smart-cities`` -> ``smart_cities.toml``),
        or a path to a ``.toml`` file."""
        if name.endswith(".toml"):
            return cls.load(name)
        folder = filters_dir()
        path = folder / f"{name.replace('-', '_')}.toml"
        if not path.is_file():
            known = sorted(p.stem.replace("_", "-") for p in folder.glob("*.toml"))
            raise SourceError(f"unknown filter {name!r}; known filters: {', '.join(known) or 'none'}")
        return cls.load(path)

    # The three partial matchers return the index of the first matching rule (or None), so a
    # streaming importer can combine matches from different tables without keeping the rows.

    def first_for_code(self, code: str) -> int | None:
        return next((i for i, r in enumerate(self.rules) if r.matches_code(code)), None)

    def first_for_euroscivoc(self, code: str, title: str = "") -> int | None:
        return next((i for i, r in enumerate(self.rules) if r.matches_euroscivoc(code, title)), None)

    def first_for_project(self, row: Mapping[str, str]) -> int | None:
        """The first rule matching the project row alone: its call/topic columns, title, objective."""
        codes = [c for col in _CODE_COLUMNS for c in split_codes(row.get(col, ""))]
        texts = [row.get(col, "") or "" for col in _TEXT_COLUMNS]
        for i, r in enumerate(self.rules):
            if any(r.matches_code(c) for c in codes) or any(r.matches_text(t) for t in texts):
                return i
        return None

    def matches(self, project_row: Mapping[str, str], topics: Iterable[str] = (),
                euroscivoc: Iterable[tuple[str, str]] = ()) -> str | None:
        """The name of the first rule that keeps the project, or None.

        Args:
            project_row: the project's row (columns ``topics``, ``masterCall``, ``subCall``,
                ``title``, ``objective``).
            topics: the project's topic codes from ``topics.csv``.
            euroscivoc: the project's ``(code path, title)`` pairs from ``euroSciVoc.csv``.
        """
        hits = [self.first_for_project(project_row)]
        hits += [self.first_for_code(t) for t in topics]
        hits += [self.first_for_euroscivoc(c, t) for c, t in euroscivoc]
        best = min((h for h in hits if h is not None), default=None)
        return None if best is None else self.rules[best].name
