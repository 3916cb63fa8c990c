"""What an import read, left out and wrote (:class:`ImportReport`), and its summary for people."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from .tables import RejectedRow


@dataclass
class ImportReport:
    """What an import read, left out and wrote."""

    source: str
    filter: str | None = None
    tables: dict[str, str] = field(default_factory=dict)  # table -> file name
    missing_tables: list[str] = field(default_factory=list)
    rows_read: dict[str, int] = field(default_factory=dict)  # file name -> data rows
    rows_filtered: dict[str, int] = field(default_factory=dict)  # rows of projects left out
    rejected: list[RejectedRow] = field(default_factory=list)
    triples: int = 0  # quads produced (a table that repeats a row repeats its quads)
    projects: int = 0
    organisations: int = 0
    participations: int = 0
    documents: int = 0
    cities: int = 0
    countries: int = 0
    unreconciled_cities: list[tuple[str, str]] = field(default_factory=list)  # (name, country)
    organisation_conflicts: int = 0  # rows of a known organisation with other attribute values
    curated_projects: dict[int, str] = field(default_factory=dict)  # CORDIS id -> curated IRI
    kept_by: dict[int, str] = field(default_factory=dict)  # project id -> filter rule
    seconds: float = 0.0

    def reject(self, file: str, line: int, reason: str) -> None:
        self.rejected.append(RejectedRow(file, line, reason))

    @property
    def rows_rejected(self) -> int:
        return len(self.rejected)


def format_report(report: ImportReport, *, max_reasons: int = 10) -> str:
    """A summary for people: rows read and rejected (reasons grouped), things and triples made."""
    lines = [f"CORDIS import of {report.source}" + (f" (filter {report.filter})" if report.filter else "")]
    for file, n in sorted(report.rows_read.items()):
        skipped = report.rows_filtered.get(file, 0)
        rejected = sum(1 for r in report.rejected if r.file == file)
        extra = (f", {skipped:,} of projects the filter left out" if skipped else "")
        lines.append(f"  {file}: {n:,} rows read, {rejected:,} rejected{extra}")
    if report.missing_tables:
        lines.append(f"  tables not found (optional): {', '.join(report.missing_tables)}")
    lines.append(f"{report.projects:,} projects, {report.organisations:,} organisations, "
                 f"{report.participations:,} participations, {report.documents:,} documents, "
                 f"{report.cities:,} cities ({len(report.unreconciled_cities):,} not in the gazetteer), "
                 f"{report.countries:,} countries")
    if report.curated_projects:
        lines.append(f"{len(report.curated_projects)} linked to curated projects: "
                     + ", ".join(f"{pid} -> {iri.rsplit('/', 1)[-1]}"
                                 for pid, iri in sorted(report.curated_projects.items())))
    if report.kept_by:
        counts = Counter(report.kept_by.values())
        lines.append("kept by rule: " + ", ".join(f"{rule} {n:,}" for rule, n in sorted(counts.items())))
    if report.organisation_conflicts:
        lines.append(f"{report.organisation_conflicts:,} organisation rows disagreed with another "
                     "row of the same organisation (the most recently updated row wins)")
    if report.rejected:
        lines.append(f"{report.rows_rejected:,} rows rejected:")
        grouped = Counter((r.file, re.sub(r"\d+|'[^']*'", "…", r.reason)) for r in report.rejected)
        for (file, reason), n in sorted(grouped.items(), key=lambda kv: (-kv[1], kv[0]))[:max_reasons]:
            first = next(r for r in report.rejected
                         if r.file == file and re.sub(r"\d+|'[^']*'", "…", r.reason) == reason)
            lines.append(f"  {n:,} x {file}: {first.reason} (first at line {first.line})")
        if len(grouped) > max_reasons:
            lines.append(f"  … and {len(grouped) - max_reasons} more kinds")
    rate = report.projects / report.seconds if report.seconds else 0.0
    lines.append(f"{report.triples:,} triples in {report.seconds:.1f} s ({rate:,.0f} projects/s)")
    return "\n".join(lines) + "\n"


def empty_filter_warning(report: ImportReport) -> str | None:
    """The warning line for an import whose filter kept no project, else None."""
    name = report.filter
    if not name or report.kept_by:
        return None
    file = report.tables.get("project", "project.csv")
    seen = report.rows_filtered.get(file, 0)
    return (f"warning: filter {name} kept none of the {seen:,} projects of {file} "
            "(--measure shows what its rules match)")
