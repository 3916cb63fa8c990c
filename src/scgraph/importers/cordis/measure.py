"""Measuring a filter on a CORDIS folder without importing anything: how many projects each
rule keeps, the call topics it takes, and a sample of the related-looking projects it leaves
out (``scgraph import cordis DIR --filter NAME --measure``, docs/filter.md).

It reads the tables as the importer does (:mod:`.tables`) and decides as the importer does
(:class:`~scgraph.importers.filters.FilterRules`), but maps nothing to RDF.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from ..filters import FilterRules, keyword_pattern
from ..text import clean_paragraphs, clean_text, split_codes
from .report import ImportReport
from .tables import SPECS, find_tables, read_rows
from .values import is_id

@dataclass(frozen=True)
class TopicCount:
    """A call topic of a folder: its projects, how many the filter keeps, and by which rules."""

    code: str
    title: str
    projects: int
    kept: int
    rules: tuple[str, ...] = ()  # the rules that kept its projects, in file order

    @property
    def missed(self) -> int:
        return self.projects - self.kept


@dataclass(frozen=True)
class FieldCount:
    """A related-looking EuroSciVoc field and the number of left-out projects that have it."""

    code: str
    title: str
    missed: int


@dataclass(frozen=True)
class MissedProject:
    """A project the filter leaves out, and what makes it look related (the first hint found)."""

    project: int
    evidence: str


@dataclass
class FilterMeasure:
    """What a filter keeps of a CORDIS folder, measured without importing (:func:`measure_filter`).

    Every project a table names counts (project.csv, topics.csv, euroSciVoc.csv,
    legalBasis.csv), so the topic, field and legal-basis tables of a whole programme measure the
    filter on that programme even when project.csv holds only some of its projects (an import
    keeps only the projects of project.csv).
    """

    filter: str
    source: str
    rules: tuple[str, ...]
    related: tuple[str, ...]
    rows_read: dict[str, int]  # file name -> data rows
    rows_rejected: dict[str, int]  # file name -> rows read_rows rejected (not counted)
    projects: int  # distinct project ids seen in any table
    kept_by: dict[int, str]  # project id -> the first rule that keeps it
    project_table: str | None  # the project table's file name
    in_project_table: int  # projects of the project table (the only ones an import can keep)
    kept_in_project_table: int  # of which the filter keeps
    rule_counts: dict[str, int]  # rule -> projects it keeps (first rule), every rule in file order
    rule_matches: dict[str, int]  # rule -> projects it matches at all (whatever rule came first)
    topics: list[TopicCount]  # the call topics of the kept projects, most kept first
    related_missed: int  # projects left out that look related
    missed_topics: list[TopicCount]  # related-looking topics with projects left out, most first
    missed_fields: list[FieldCount]  # related-looking fields of left-out projects, most first
    missed: list[MissedProject]  # an evenly spaced sample of the related projects left out

    @property
    def kept(self) -> int:
        return len(self.kept_by)


def measure_filter(directory: Path | str, rules: FilterRules, *, sample: int = 20,
                   progress: Callable[[str], None] | None = None) -> FilterMeasure:
    """Measure ``rules`` over the CORDIS tables of ``directory``; nothing is imported or written.

    For every project id of project.csv, topics.csv, euroSciVoc.csv and legalBasis.csv: the
    first rule that keeps it, as an import decides (topic codes, EuroSciVoc fields, the project
    row's call columns, title and objective), and every rule that matches it. Projects left out
    whose topic code or title, EuroSciVoc field title or project title contains a phrase of the
    filter's ``related`` list are counted, grouped by topic and field, and sampled: ``sample``
    of them, evenly spaced over their ids.
    """
    say = progress or (lambda _m: None)
    tables, _missing = find_tables(Path(directory))
    report = ImportReport(source=str(directory))
    related = keyword_pattern(rules.related)
    singles = [FilterRules(rules.name, (r,)) for r in rules.rules]
    matched: list[set[int]] = [set() for _ in rules.rules]
    seen: set[int] = set()
    topics_of: dict[int, list[str]] = {}
    titles: dict[str, str] = {}
    evidence: dict[int, str] = {}
    related_fields: dict[int, list[tuple[str, str]]] = {}
    in_table: set[int] = set()

    def rows(table: str) -> Iterable[tuple[int, dict[str, str]]]:
        path = tables.get(table)
        if path is None:
            return ()
        say(f"measuring {path.name}")
        return read_rows(path, SPECS[table], report, progress)

    def project(text: str) -> int | None:
        text = text.strip()
        if not is_id(text):
            return None
        pid = int(text)
        seen.add(pid)
        return pid

    def note(pid: int, first: Callable[[FilterRules], int | None]) -> None:
        for i, single in enumerate(singles):
            if first(single) is not None:
                matched[i].add(pid)

    def looks_related(*texts: str) -> bool:
        return related is not None and any(t and related.search(t) for t in texts)

    def add_topic(pid: int, code: str) -> None:
        codes = topics_of.setdefault(pid, [])
        if code and code not in codes:
            codes.append(code)

    for _line, row in rows("topics"):
        pid = project(row["projectID"])
        code = clean_text(row.get("topic", ""))
        if pid is None or not code:
            continue
        title = clean_text(row.get("title", ""))
        if title:
            titles.setdefault(code, title)
        add_topic(pid, code)
        note(pid, lambda f: f.first_for_code(code))
        if pid not in evidence and looks_related(code, title):
            evidence[pid] = f"topic {code}" + (f" ({title})" if title else "")
    for _line, row in rows("euroSciVoc"):
        pid = project(row["projectID"])
        if pid is None:
            continue
        code = row.get("euroSciVocCode", "").strip().rstrip("/")
        title = clean_text(row.get("euroSciVocTitle", ""))
        note(pid, lambda f: f.first_for_euroscivoc(code, title))
        if looks_related(title):
            related_fields.setdefault(pid, []).append((code, title))
            evidence.setdefault(pid, f"field {title} ({code})")
    for _line, row in rows("legalBasis"):
        project(row["projectID"])
    for _line, row in rows("project"):
        pid = project(row["id"])
        if pid is None:
            continue
        in_table.add(pid)
        cleaned = {k: clean_text(row.get(k, "")) for k in ("topics", "masterCall", "subCall", "title")}
        cleaned["objective"] = clean_paragraphs(row.get("objective", ""))
        for code in split_codes(cleaned["topics"]):
            add_topic(pid, code)
        note(pid, lambda f: f.first_for_project(cleaned))
        if pid not in evidence and looks_related(cleaned["title"]):
            evidence[pid] = f"title {cleaned['title']}"

    first: dict[int, int] = {}
    for i in reversed(range(len(singles))):  # the lowest index wins
        first.update(dict.fromkeys(matched[i], i))
    names = tuple(r.name for r in rules.rules)
    kept_by = {pid: names[first[pid]] for pid in sorted(first)}
    counts = Counter(kept_by.values())

    projects_per_topic: Counter[str] = Counter()
    kept_per_topic: Counter[str] = Counter()
    rules_per_topic: dict[str, set[int]] = {}
    for pid, codes in topics_of.items():
        for code in codes:
            projects_per_topic[code] += 1
            if pid in first:
                kept_per_topic[code] += 1
                rules_per_topic.setdefault(code, set()).add(first[pid])

    def topic(code: str) -> TopicCount:
        return TopicCount(code, titles.get(code, ""), projects_per_topic[code], kept_per_topic[code],
                          tuple(names[i] for i in sorted(rules_per_topic.get(code, ()))))

    kept_topics = sorted((topic(c) for c in kept_per_topic), key=lambda t: (-t.kept, t.code))
    missed_topics = sorted((topic(c) for c in projects_per_topic
                            if projects_per_topic[c] > kept_per_topic[c]
                            and looks_related(c, titles.get(c, ""))),
                           key=lambda t: (-t.missed, t.code))
    missed_ids = sorted(pid for pid in evidence if pid not in first)
    field_counts: Counter[tuple[str, str]] = Counter()
    for pid in missed_ids:
        field_counts.update(set(related_fields.get(pid, ())))
    missed_fields = [FieldCount(code, title, n) for (code, title), n
                     in sorted(field_counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    step = len(missed_ids) / sample if sample > 0 else 0
    picked = (missed_ids if len(missed_ids) <= sample
              else [missed_ids[int(i * step)] for i in range(sample)])
    rejected = Counter(r.file for r in report.rejected)
    return FilterMeasure(
        filter=rules.name, source=str(directory), rules=names, related=rules.related,
        rows_read=dict(sorted(report.rows_read.items())),
        rows_rejected={f: rejected[f] for f in sorted(rejected)},
        projects=len(seen), kept_by=kept_by,
        project_table=tables["project"].name, in_project_table=len(in_table),
        kept_in_project_table=len(in_table.intersection(first)),
        rule_counts={n: counts.get(n, 0) for n in names},
        rule_matches={n: len(matched[i]) for i, n in enumerate(names)},
        topics=kept_topics, related_missed=len(missed_ids), missed_topics=missed_topics,
        missed_fields=missed_fields, missed=[MissedProject(p, evidence[p]) for p in picked],
    )


def format_measure(m: FilterMeasure, *, max_rows: int | None = 40) -> str:
    """The measurement for people: counts per rule, the topics taken, what looks missed.

    Lists longer than ``max_rows`` (None: no limit) end with a line saying how many more.
    """
    def cut(items: list[str]) -> list[str]:
        if max_rows is None or len(items) <= max_rows:
            return items
        return items[:max_rows] + [f"    … and {len(items) - max_rows:,} more"]

    share = f" ({100 * m.kept / m.projects:.1f}%)" if m.projects else ""
    lines = [f"Filter {m.filter} measured on {m.source} (nothing imported or written)"]
    for file, n in m.rows_read.items():
        bad = m.rows_rejected.get(file, 0)
        lines.append(f"  {file}: {n:,} rows read" + (f", {bad:,} rejected" if bad else ""))
    lines.append(f"{m.projects:,} projects seen, {m.kept:,} kept{share}")
    if not m.kept:
        lines.append(f"warning: filter {m.filter} keeps none of the {m.projects:,} projects")
    if m.in_project_table != m.projects:
        lines.append(f"an import keeps {m.kept_in_project_table:,} of them: only the "
                     f"{m.in_project_table:,} projects of {m.project_table} can be imported")
    width = max(len(n) for n in m.rules)
    lines.append(f"  {'rule':<{width}}  {'kept':>7}  {'matched':>7}")
    for name in m.rules:
        lines.append(f"  {name:<{width}}  {m.rule_counts[name]:>7,}  {m.rule_matches[name]:>7,}")
    lines.append(f"call topics of the kept projects ({len(m.topics):,}; kept/projects, topic, title, rules):")
    lines += cut([f"  {t.kept:,}/{t.projects:,}  {t.code}  {t.title or '-'}  [{', '.join(t.rules)}]"
                  for t in m.topics])
    if not m.related:
        lines.append("no 'related' phrases in the filter: no sample of what it misses")
        return "\n".join(lines) + "\n"
    lines.append(f"left out but related-looking ({', '.join(m.related)}): {m.related_missed:,} projects")
    lines.append(f"  topics with projects left out ({len(m.missed_topics):,}; left out/projects, topic, title):")
    lines += cut([f"    {t.missed:,}/{t.projects:,}  {t.code}  {t.title or '-'}" for t in m.missed_topics])
    lines.append(f"  fields of projects left out ({len(m.missed_fields):,}; projects, field):")
    lines += cut([f"    {f.missed:,}  {f.title} ({f.code})" for f in m.missed_fields])
    lines.append(f"  a sample of {len(m.missed)} projects left out (id, first hint):")
    lines += [f"    {p.project}  {p.evidence}" for p in m.missed]
    return "\n".join(lines) + "\n"
