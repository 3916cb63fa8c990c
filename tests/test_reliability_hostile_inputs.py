"""Hostile inputs and operating-system faults (issue 14, classes 6, 7 and 8): each ends in one
``Error:`` line naming the file (and line) and the cause, or in a rejected row with its file,
line and reason; never a traceback, a hang, a huge file or a changed output.

The CLI cases run the real ``scgraph`` in a subprocess (the helpers of
tests/reliability_fixtures.py); the faults a test cannot cause for real as root (a read-only
folder, a full disk) are raised by a patched ``os`` function inside typer's CliRunner. The
table is in docs/reliability.md.
"""

from __future__ import annotations

import errno
import http.server
import os
import subprocess
import socketserver
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from reliability_fixtures import SCGRAPH, REPO
from typer.testing import CliRunner

from scgraph.errors import SourceError, StoreError
from scgraph.importers.cordis.values import BadValue, parse_amount
from scgraph.parse import MAX_PREFIXES, load_graph, read_bytes

HEADER = "id;acronym;status;title;startDate;endDate;frameworkProgramme;totalCost;ecMaxContribution\n"
GOOD = "101000001;ALPHA;SIGNED;Alpha project;2021-01-01;2023-12-31;H2020;1500000;1000000\n"
ROW = "101000002;BETA;SIGNED;Beta;2022-01-01;2024-12-31;HORIZON;{total};1\n"


def run(*args: str, cwd: Path, timeout: float = 120, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("SCGRAPH_", "SOURCE_DATE"))}
    environ["SCGRAPH_HOME"] = str(REPO / "tests" / "data" / "pipeline" / "root")
    environ.update(env)
    return subprocess.run([*SCGRAPH, *args], cwd=cwd, env=environ, capture_output=True, text=True,
                          timeout=timeout)


# --------------------------------------------------------------------------- class 8: amounts

@pytest.mark.parametrize("text, value", [
    ("1500", "1500"), ("1500.00", "1500"), ("1,500.00", "1500"), ("1.500,00", "1500"),
    ("1 500,25", "1500.25"), ("1499998.0", "1499998"), ("1499998,0", "1499998"),
    ("12085363,75", "12085363.75"), ("1.500.000", "1500000"), ("1,500,000", "1500000"),
    ("0,500", "0.5"), ("1234.567", "1234.567"), (".5", "0.5"), ("", None),
])
def test_unambiguous_amounts_parse(text: str, value: str | None) -> None:
    assert parse_amount(text, "totalCost") == value


@pytest.mark.parametrize("text, why", [
    ("1,500", "ambiguous: ',' may be a decimal or a thousands separator; write 1500 or 1.5"),
    ("1.500", "ambiguous: '.' may be a decimal or a thousands separator; write 1500 or 1.5"),
    ("1E+400000000", "expected a number"),
    ("NaN", "expected a number"),
    ("Infinity", "expected a number"),
    ("1²", "expected a number"),
    ("١٢٣", "expected a number"),
    ("-5", "expected a non-negative number"),
    ("1,5.00", "expected a number"),
    ("1" * 16, "out of range: amounts must be below 10^15"),
    ("0.1234567", "more than 6 decimal places"),
])
def test_bad_and_ambiguous_amounts_are_rejected(text: str, why: str) -> None:
    with pytest.raises(BadValue) as e:
        parse_amount(text, "totalCost")
    assert str(e.value) == f"bad totalCost {text!r} ({why})"


# --------------------------------------------------------------------------- class 6: CORDIS cells

def _folder(tmp: Path, name: str, project: str, **tables: str) -> Path:
    d = tmp / name
    d.mkdir()
    (d / "project.csv").write_text(project, encoding="utf-8")
    for table, text in tables.items():
        (d / f"{table}.csv").write_text(text, encoding="utf-8")
    return d


URLS = "projectID;physUrl;type\n101000001;https://ok.example.org/p;ok\n101000001;{url};bad\n"
CELLS = [
    ("superscript-id", HEADER + GOOD + ROW.replace("101000002", "10100000²").format(total=1), {},
     "project.csv: non-numeric id '10100000²' (first at line 3)"),
    ("5000-digit-id", HEADER + GOOD + ROW.replace("101000002", "1" * 5000).format(total=1), {},
     "project.csv: id of 5,000 digits (an id has at most 18) (first at line 3)"),
    ("200-kB-cell", HEADER + GOOD + ROW.replace("Beta", "x" * 200_000).format(total=1), {},
     "project.csv: malformed CSV record: a field longer than 131,072 characters (first at line 3)"),
    ("exponent-amount", HEADER + GOOD + ROW.format(total="1E+400000000"), {},
     "project.csv: bad totalCost '1E+400000000' (expected a number) "
     "(first at line 3)"),
    ("nan-amount", HEADER + GOOD + ROW.format(total="NaN"), {},
     "project.csv: bad totalCost 'NaN' (expected a number) (first at line 3)"),
    ("infinite-amount", HEADER + GOOD + ROW.format(total="Infinity"), {},
     "project.csv: bad totalCost 'Infinity' (expected a number) "
     "(first at line 3)"),
    ("ambiguous-amount", HEADER + GOOD + ROW.format(total="1,500"), {},
     "project.csv: bad totalCost '1,500' (ambiguous: ',' may be a decimal or a thousands separator; "
     "write 1500 or 1.5) (first at line 3)"),
    ("broken-url", HEADER + GOOD, {"webLink": URLS.format(url="http://[broken")},
     "webLink.csv: bad physUrl 'http://[broken' (first at line 3)"),
    ("url-not-an-iri", HEADER + GOOD, {"webLink": URLS.format(url="http://a.org/%zz")},
     "webLink.csv: bad physUrl 'http://a.org/%zz' (first at line 3)"),
    ("organisation-url-not-an-iri", HEADER + GOOD,
     {"organization": "projectID;organisationID;name;role;organizationURL\n"
                      "101000001;999;Org;coordinator;http://user@@a/\n"},
     "organization.csv: bad organizationURL 'http://user@@a/' (first at line 2)"),
]


@pytest.mark.parametrize("name, project, tables, rejected", CELLS, ids=[c[0] for c in CELLS])
def test_a_hostile_cell_is_a_rejected_row_and_the_next_build_works(
        tmp_path: Path, name: str, project: str, tables: dict[str, str], rejected: str) -> None:
    """With --skip-invalid the row is reported with file, line and reason; the registry file
    holds the good rows only, stays small, and every IRI in it is one a parser accepts."""
    import pyoxigraph as ox

    folder = _folder(tmp_path, name, project, **tables)
    out = tmp_path / "registry.nq"
    r = run("import", "cordis", str(folder), "--skip-invalid", "--output", str(out), cwd=tmp_path)
    assert (r.returncode, r.stderr) == (0, "")
    assert "  1 x " + rejected in r.stdout.splitlines()
    assert out.stat().st_size < 100_000
    quads = list(ox.parse(path=str(out), format=ox.RdfFormat.N_QUADS))  # a later build reads it
    assert any("cordis-101000001" in str(q.subject) for q in quads)
    # without --skip-invalid: one line naming the file and line, nothing written
    r = run("import", "cordis", str(folder), "--output", str(tmp_path / "none.nq"), cwd=tmp_path)
    assert r.returncode == 1 and r.stderr.count("\n") == 1 and r.stderr.startswith(f"Error: {folder}/")
    assert not (tmp_path / "none.nq").exists()


@pytest.mark.slow
def test_an_import_of_hostile_cells_then_a_build_succeeds(tmp_path: Path) -> None:
    folder = _folder(tmp_path, "cells", HEADER + GOOD + ROW.format(total="1E+400000000"),
                     webLink=URLS.format(url="http://[broken"))
    build = tmp_path / "b"
    r = run("import", "cordis", str(folder), "-q", "--skip-invalid", "--build-dir", str(build), cwd=tmp_path)
    assert (r.returncode, r.stderr) == (0, "")
    r = run("build", "-q", "--out", str(build), cwd=tmp_path, timeout=600)
    assert (r.returncode, r.stderr) == (0, "")


@pytest.mark.parametrize("name, data, error", [
    ("utf16-bom", (HEADER + GOOD).encode("utf-16"),
     "not UTF-8 (looks like UTF-16 LE with a byte-order mark); save it as UTF-8"),
    ("utf16-be-bom", b"\xfe\xff" + (HEADER + GOOD).encode("utf-16-be"),
     "not UTF-8 (looks like UTF-16 BE with a byte-order mark); save it as UTF-8"),
    ("utf16-no-bom", (HEADER + GOOD).encode("utf-16-le"),
     "not UTF-8 (looks like UTF-16 LE without a byte-order mark); save it as UTF-8"),
    ("200-kB-header", (HEADER.rstrip("\n") + ";" + "h" * 200_000 + "\n" + GOOD).encode(),
     None),
])
def test_a_table_that_is_not_utf8_text_is_named(tmp_path: Path, name: str, data: bytes, error: str | None) -> None:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "project.csv").write_bytes(data)
    r = run("import", "cordis", str(folder), "-q", "--output", str(tmp_path / "r.nq"), cwd=tmp_path)
    expected = (f"Error: {folder}/project.csv: {error}\n" if error else
                f"Error: {folder}/project.csv:1: malformed CSV header: a field longer than 131,072 characters\n")
    assert (r.returncode, r.stderr) == (1, expected)
    assert not (tmp_path / "r.nq").exists()


def test_skip_invalid_that_keeps_nothing_leaves_the_registry(tmp_path: Path) -> None:
    good = _folder(tmp_path, "good", HEADER + GOOD)
    bad = _folder(tmp_path, "bad", HEADER + "x;A;SIGNED;A;2021-01-01;2023-12-31;H2020;1;1\n"
                  + "y;B;SIGNED;B;2021-01-01;2023-12-31;H2020;1;1\n")
    build = tmp_path / "b"
    assert run("import", "cordis", str(good), "-q", "--build-dir", str(build), cwd=tmp_path).returncode == 0
    registry = build / "registry" / "cordis.nq"
    before = registry.read_bytes()
    r = run("import", "cordis", str(bad), "-q", "--skip-invalid", "--build-dir", str(build), cwd=tmp_path)
    assert (r.returncode, r.stderr) == (1, (
        f"Error: {bad}: no project left to import: 2 rows rejected, the first at project.csv:2: "
        "non-numeric id 'x'; the registry was left as it was\n"))
    assert registry.read_bytes() == before


# --------------------------------------------------------------------------- class 6: special files

def _special(tmp: Path, kind: str, suffix: str) -> Path:
    p = tmp / f"special{suffix}"
    if kind == "fifo":
        os.mkfifo(p)
    elif kind == "dev-zero-link":
        p.symlink_to("/dev/zero")
    elif kind == "folder":
        p.mkdir()
    return p


SPECIAL = {"fifo": "is a FIFO (named pipe), not a regular file",
           "dev-zero-link": "is a character device, not a regular file",
           "folder": "is a folder, not a file"}


@pytest.mark.parametrize("kind", sorted(SPECIAL))
@pytest.mark.parametrize("command", ["validate", "query"])
def test_special_files_are_refused_before_reading(tmp_path: Path, kind: str, command: str) -> None:
    path = _special(tmp_path, kind, ".ttl" if command == "validate" else ".rq")
    args = ["validate", str(path)] if command == "validate" else ["query", str(path), "--store", "memory"]
    r = run(*args, cwd=tmp_path, timeout=60)
    assert (r.returncode, r.stderr) == (1, f"Error: {path}: {SPECIAL[kind]}\n")


def test_dev_zero_itself_is_refused() -> None:
    with pytest.raises(SourceError, match="^/dev/zero: is a character device, not a regular file$"):
        read_bytes("/dev/zero")


@pytest.mark.parametrize("kind", ["fifo", "dev-zero-link"])
def test_a_special_table_is_refused_before_reading(tmp_path: Path, kind: str) -> None:
    folder = _folder(tmp_path, "cordis", HEADER + GOOD)
    table = folder / "webLink.csv"
    os.mkfifo(table) if kind == "fifo" else table.symlink_to("/dev/zero")
    r = run("import", "cordis", str(folder), "-q", "--output", str(tmp_path / "r.nq"), cwd=tmp_path, timeout=60)
    assert (r.returncode, r.stderr) == (1, f"Error: {table}: {SPECIAL[kind]}; give a CSV file\n")


def test_deep_json_ld_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "deep.jsonld"
    path.write_text('{"@id": "http://a/b",\n "http://p/q": ' + "[" * 5000 + "1" + "]" * 5000 + "}")
    with pytest.raises(SourceError) as e:
        load_graph(path)
    assert str(e.value) == f"{path}:2: JSON nested more than 100 levels deep; flatten it"


@pytest.mark.parametrize("suffix", [".ttl", ".trig"])
def test_many_prefixes_are_refused_at_once(tmp_path: Path, suffix: str) -> None:
    """10^5 prefix declarations: before the cap, rdflib took 5 s for 10^4 and 25 s for 2·10^4."""
    path = tmp_path / f"prefixes{suffix}"
    path.write_text("".join(f"@prefix p{i}: <http://ex.org/{i}#> .\n" for i in range(100_000))
                    + "<http://a/b> <http://p/q> 1 .\n")
    started = time.monotonic()
    with pytest.raises(SourceError) as e:
        load_graph(path)
    assert time.monotonic() - started < 5
    assert str(e.value) == (f"{path}:{MAX_PREFIXES + 1}: more than 1,000 prefix declarations; "
                            "declare only the prefixes the file uses")
    few = tmp_path / f"few{suffix}"
    few.write_text("".join(f"PREFIX p{i}: <http://ex.org/{i}#>\n" for i in range(MAX_PREFIXES))
                   + "p1:a p2:b 'a prefix: <x> in a literal' .\n")
    assert len(load_graph(few)) == 1


# --------------------------------------------------------------------------- class 6: a remote endpoint

class _Hostile(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Type", "application/sparql-results+json")
        self.end_headers()
        try:
            while True:
                if self.server.mode == "trickle":  # type: ignore[attr-defined]
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(0.2)
                else:
                    self.wfile.write(b" " * 65536)
        except OSError:
            pass

    do_GET = do_POST

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def hostile() -> Iterator[socketserver.ThreadingTCPServer]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Hostile)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def test_a_trickling_endpoint_is_cut_at_the_total_deadline(hostile: socketserver.ThreadingTCPServer) -> None:
    from scgraph.store import SparqlStore

    hostile.mode = "trickle"  # type: ignore[attr-defined]
    url = f"http://127.0.0.1:{hostile.server_address[1]}"
    store = SparqlStore(url, timeout=1, deadline=2)
    started = time.monotonic()
    with pytest.raises(StoreError) as e:
        store.query("ASK {}", graphs=[])
    assert 1.5 < time.monotonic() - started < 4
    assert str(e.value) == (f"the SPARQL endpoint {url}/query did not answer in full within 2 s; "
                            "set SCGRAPH_SPARQL_DEADLINE to raise the limit")


def test_an_endless_answer_is_cut_at_the_size_cap(hostile: socketserver.ThreadingTCPServer,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from scgraph.store import SparqlStore

    hostile.mode = "endless"  # type: ignore[attr-defined]
    monkeypatch.setenv("SCGRAPH_SPARQL_MAX_BYTES", "1000000")
    url = f"http://127.0.0.1:{hostile.server_address[1]}"
    with pytest.raises(StoreError) as e:
        SparqlStore(url, timeout=5).query("ASK {}", graphs=[])
    assert str(e.value) == (f"the answer of the SPARQL endpoint {url}/query is over 1,000,000 bytes; "
                            "set SCGRAPH_SPARQL_MAX_BYTES to raise the limit")


# --------------------------------------------------------------------------- class 7: OS faults

def _cli(*args: str) -> "object":
    from scgraph.cli import app

    return CliRunner().invoke(app, list(args))


@pytest.mark.parametrize("code", [errno.EROFS, errno.EACCES, errno.ENOSPC, errno.EFBIG])
def test_an_os_fault_while_writing_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int) -> None:
    """A read-only folder, a full disk, a file over RLIMIT_FSIZE: raised where the import's
    file is renamed into place (root ignores chmod, so the fault is patched in)."""
    folder = _folder(tmp_path, "good", HEADER + GOOD)
    out = tmp_path / "b" / "registry.nq"
    out.parent.mkdir()
    out.write_text("old\n")

    real = os.replace

    def replace(src: object, dst: object) -> None:
        if Path(str(dst)) != out:
            return real(src, dst)  # type: ignore[arg-type]
        raise OSError(code, os.strerror(code), str(dst))

    monkeypatch.setattr(os, "replace", replace)
    result = _cli("import", "cordis", str(folder), "-q", "--output", str(out))
    assert result.exit_code == 1
    assert result.output == f"Error: {out}: {os.strerror(code)}\n"
    assert out.read_text() == "old\n"


def test_output_naming_a_folder_is_refused(tmp_path: Path) -> None:
    folder = _folder(tmp_path, "good", HEADER + GOOD)
    result = _cli("import", "cordis", str(folder), "-q", "--output", str(tmp_path))
    assert (result.exit_code, result.output) == (1, f"Error: {tmp_path}: is a folder; give --output an N-Quads file\n")


def test_publish_never_turns_a_build_file_into_a_release(tmp_path: Path) -> None:
    target = tmp_path / "graph.ttl"
    target.write_text("kept\n")
    result = _cli("publish", "--build-dir", str(tmp_path), "--out", str(target))
    assert (result.exit_code, result.output) == (1, (
        f"Error: {target}: is a file, not a release folder; give --out a new folder, an empty one "
        "or an earlier release\n"))
    assert target.read_text() == "kept\n"


@pytest.mark.parametrize("epoch", ["abc", "-1", "1e9", "99999999999999999999"])
def test_a_bad_source_date_epoch_is_one_line(monkeypatch: pytest.MonkeyPatch, epoch: str) -> None:
    from scgraph.errors import ReleaseError
    from scgraph.publish.release import release_date

    monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)
    with pytest.raises(ReleaseError) as e:
        release_date(None)
    assert str(e.value) == ("SOURCE_DATE_EPOCH must be a whole number of seconds since 1970-01-01 "
                            f"(as 'date +%s' prints), got {epoch!r}")


@pytest.mark.parametrize("text, error", [
    ("[[rule]\nname = 'x'\n", "bad TOML: Expected ']]' at the end of an array declaration (at line 1, column 7)"),
    ("rule = 1\n", "rule: expected [[rule]] tables"),
])
def test_a_malformed_filter_is_one_line(tmp_path: Path, text: str, error: str) -> None:
    from scgraph.importers.filters import FilterRules

    path = tmp_path / "f.toml"
    path.write_text(text)
    with pytest.raises(SourceError) as e:
        FilterRules.load(path)
    assert str(e.value) == f"{path}: {error}"


def test_a_filter_that_is_a_fifo_is_refused(tmp_path: Path) -> None:
    from scgraph.importers.filters import FilterRules

    path = tmp_path / "f.toml"
    os.mkfifo(path)
    with pytest.raises(SourceError) as e:
        FilterRules.load(path)
    assert str(e.value) == f"{path}: is a FIFO (named pipe), not a regular file"


def test_a_real_full_disk_is_one_line(tmp_path: Path) -> None:
    """RLIMIT_FSIZE with SIGXFSZ ignored: the kernel's EFBIG, as a full disk looks."""
    import subprocess
    import sys

    folder = _folder(tmp_path, "good", HEADER + GOOD)
    out = tmp_path / "registry.nq"
    code = ("import resource, signal, sys; signal.signal(signal.SIGXFSZ, signal.SIG_IGN); "
            "resource.setrlimit(resource.RLIMIT_FSIZE, (1000, 1000)); "
            "from scgraph.cli import main; sys.argv = ['scgraph'] + sys.argv[1:]; main()")
    r = subprocess.run([sys.executable, "-c", code, "import", "cordis", str(folder), "-q", "--output", str(out)],
                       capture_output=True, text=True, timeout=120,
                       env={**os.environ, "SCGRAPH_HOME": str(REPO / "tests" / "data" / "pipeline" / "root")})
    assert r.returncode == 1
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("Error: ") and "File too large" in r.stderr
    assert not out.exists()
