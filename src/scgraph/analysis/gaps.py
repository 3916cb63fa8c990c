"""Coverage gaps (themes and mechanisms that no or few projects address, initiatives without
a data-sharing link to the data space) and data gaps (declared but unnamed, no date, no place,
no coordinates), from the ``analysis_*`` queries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from ..store import Store
from .networks import _str, select

#: A theme or mechanism addressed by at most this many projects is a gap ("few").
FEW = 1


@dataclass
class Coverage:
    """Themes of each initiative and cluster: declared, discussed at its meetings, and
    addressed by its projects."""

    groups: dict[str, str]  # group -> "initiative" or "cluster"
    declared: dict[str, set[str]]
    discussed: dict[str, set[str]]
    projects: dict[str, set[str]]  # group -> its projects
    addressed: dict[tuple[str, str], set[str]]  # (group, theme) -> projects with the theme

    def themes(self, group: str) -> set[str]:
        """The themes a group is about: declared or discussed."""
        return self.declared.get(group, set()) | self.discussed.get(group, set())

    def count(self, group: str, theme: str) -> int:
        return len(self.addressed.get((group, theme), set()))


def coverage(store: Store) -> Coverage:
    """Read ``analysis_group_themes``."""
    groups: dict[str, str] = {}
    declared: dict[str, set[str]] = defaultdict(set)
    discussed: dict[str, set[str]] = defaultdict(set)
    projects: dict[str, set[str]] = defaultdict(set)
    addressed: dict[tuple[str, str], set[str]] = defaultdict(set)
    for row in select(store, "analysis_group_themes"):
        g, how = _str(row["group"]), _str(row["how"])
        groups[g] = _str(row["groupKind"])
        theme = _str(row.get("theme"))
        if how == "declared":
            declared[g].add(theme)
        elif how == "meeting":
            discussed[g].add(theme)
        else:
            p = _str(row["project"])
            projects[g].add(p)
            if theme:
                addressed[(g, theme)].add(p)
    return Coverage(groups, dict(declared), dict(discussed), dict(projects), dict(addressed))


@dataclass
class Gap:
    """One gap: what kind, about which thing(s), how many projects address it, and why."""

    gap: str
    subject: str  # the initiative, cluster, mechanism or thing with the gap
    about: str = ""  # the theme, for theme gaps
    projects: int = 0
    declared: int | None = None
    named: int | None = None
    detail: str = ""
    related: list[str] = field(default_factory=list)


def theme_gaps(cov: Coverage, few: int = FEW) -> list[Gap]:
    """Themes that an initiative or cluster declares or discusses but that at most ``few`` of its
    projects address."""
    out = []
    for g in sorted(cov.groups):
        for theme in sorted(cov.themes(g)):
            n = cov.count(g, theme)
            if n <= few:
                how = [w for w, s in (("declared", cov.declared), ("discussed at its meetings", cov.discussed))
                       if theme in s.get(g, set())]
                out.append(Gap("theme not covered" if n == 0 else "theme covered by few projects",
                               g, theme, n, detail=f"{' and '.join(how)}; {n} of its "
                               f"{len(cov.projects.get(g, set()))} projects address it",
                               related=sorted(cov.addressed.get((g, theme), set()))))
    return out


def mechanism_gaps(store: Store, few: int = FEW) -> list[Gap]:
    """Interoperability mechanisms that at most ``few`` projects address."""
    projects: dict[str, set[str]] = defaultdict(set)
    promoter: dict[str, str] = {}
    for row in select(store, "analysis_mechanisms"):
        m = _str(row["mechanism"])
        projects.setdefault(m, set())
        if row.get("promoter") is not None:
            promoter[m] = _str(row["promoter"])
        if row.get("project") is not None:
            projects[m].add(_str(row["project"]))
    out = []
    for m in sorted(projects):
        n = len(projects[m])
        if n <= few:
            detail = f"{n} projects address it"
            if m in promoter:
                detail += f"; promoted by {promoter[m]}"
            out.append(Gap("mechanism not covered" if n == 0 else "mechanism covered by few projects",
                           m, "", n, detail=detail, related=sorted(projects[m])))
    return out


def data_space_gaps(store: Store) -> list[Gap]:
    """Initiatives without a data-sharing link to a data space."""
    links: dict[str, set[str]] = defaultdict(set)
    spaces: dict[str, set[str]] = defaultdict(set)
    for row in select(store, "analysis_data_space_links"):
        i = _str(row["initiative"])
        spaces[i].add(_str(row["dataSpace"]))
        if row.get("link") is not None:
            links[i].add(_str(row["link"]))
    return [Gap("no data-sharing link to the data space", i, "", 0,
                detail="no recorded synergy, contribution or data-sharing meeting links it to "
                + ", ".join(sorted(spaces[i])), related=sorted(spaces[i]))
            for i in sorted(spaces) if not links[i]]


def data_gaps(store: Store) -> list[Gap]:
    """Read ``analysis_data_gaps``: declared but unnamed, no date, no place, no coordinates."""
    out = []
    for row in select(store, "analysis_data_gaps"):
        declared = int(row["declared"]) if row.get("declared") is not None else None  # type: ignore[arg-type]
        named = int(row["named"]) if row.get("named") is not None else None  # type: ignore[arg-type]
        detail = f"declares {declared}, names {named}" if declared is not None else ""
        out.append(Gap(_str(row["gap"]), _str(row["thing"]), declared=declared, named=named,
                       detail=detail))
    return sorted(out, key=lambda g: (g.gap, g.subject))
