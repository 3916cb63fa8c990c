"""A private OpenLink Virtuoso for the tests: Debian's ``virtuoso-opensource`` (which
scripts/test.sh installs when run as root), started on 127.0.0.1 with its own database in a
temporary folder, its SQL and HTTP ports free ports of loopback, and stopped after.

The configuration is the package's with what a test needs changed: the database files in the
test's folder; both listeners bound to 127.0.0.1; ``ResultSetMaxRows`` as the test asks (the
package says 10,000, as public endpoints do); small buffers; no plugins; and, where a caller
asks, a larger ``TransactionAfterImageLimit`` (the most one update may change). SPARQL updates are
granted to the endpoint's user (``GRANT SPARQL_UPDATE TO "SPARQL"``), as an operator who lets
scgraph write must do.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

VIRTUOSO = shutil.which("virtuoso-t")
ISQL = shutil.which("isql-vt")
SKIP_REASON = ("Virtuoso (Debian virtuoso-opensource: virtuoso-t and isql-vt) is not installed; "
               "scripts/test.sh installs it when run as root")

INI = """\
[Database]
DatabaseFile       = {db}/virtuoso.db
ErrorLogFile       = {db}/virtuoso.log
LockFile           = {db}/virtuoso.lck
TransactionFile    = {db}/virtuoso.trx
xa_persistent_file = {db}/virtuoso.pxa
ErrorLogLevel      = 7
FileExtend         = 200
MaxCheckpointRemap = 2000
Striping           = 0
TempStorage        = TempDatabase

[TempDatabase]
DatabaseFile       = {db}/virtuoso-temp.db
TransactionFile    = {db}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping           = 0

[Parameters]
ServerPort               = 127.0.0.1:{sql_port}
DisableUnixSocket        = 1
DisableTcpSocket         = 0
MaxClientConnections     = 10
CheckpointInterval       = 60
CaseMode                 = 2
MaxStaticCursorRows      = 5000
AllowOSCalls             = 0
DirsAllowed              = ., {db}
ThreadsPerQuery          = 2
AsyncQueueMaxThreads     = 4
NumberOfBuffers          = {buffers}
MaxDirtyBuffers          = {dirty}
MaxQueryMem              = 1G
VADInstallDir            = /usr/share/virtuoso-opensource-7/vad/
{after_image}
[HTTPServer]
ServerPort                  = 127.0.0.1:{http_port}
ServerRoot                  = {db}
MaxClientConnections        = 10
ServerThreads               = 10
MaxKeepAlives               = 10
KeepAliveTimeout            = 10
Charset                     = UTF-8
EnabledDavVSP               = 0
HTTPProxyEnabled            = 0

[Client]
SQL_PREFETCH_ROWS  = 100
SQL_PREFETCH_BYTES = 16000
SQL_QUERY_TIMEOUT  = 0
SQL_TXN_TIMEOUT    = 0

[SPARQL]
ResultSetMaxRows           = {max_rows}
MaxQueryCostEstimationTime = 400
MaxQueryExecutionTime      = {max_seconds}
DeferInferenceRulesInit    = 0
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Virtuoso:
    """A running private Virtuoso: its SPARQL endpoint and a way to run SQL on it."""

    url: str  # http://127.0.0.1:PORT/sparql
    sql_port: int
    folder: Path

    def isql(self, *statements: str, timeout: float = 120) -> str:
        """Run SQL statements as ``dba`` with isql-vt; return its output (raise on failure)."""
        assert ISQL is not None
        script = "".join(s.rstrip().rstrip(";") + ";\n" for s in statements)
        proc = subprocess.run([ISQL, f"127.0.0.1:{self.sql_port}", "dba", "dba", "VERBOSE=OFF",
                               "BANNER=OFF", "PROMPT=OFF", "ECHO=OFF", "ERRORS=STDOUT"],
                              input=script, capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0 or "*** Error" in proc.stdout:
            raise RuntimeError(f"isql failed: {(proc.stdout + proc.stderr).strip()[-800:]}")
        return proc.stdout

    def graphs(self) -> set[str]:
        """Every graph IRI the engine knows (its own system graphs included), asked in SQL."""
        out = self.isql("SPARQL SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
        return {line.strip() for line in out.splitlines() if line.strip().startswith(("http", "urn:"))}


def _answers(url: str) -> bool:
    query = urllib.parse.urlencode({"query": "ASK { ?s ?p ?o }"})
    try:
        with urllib.request.urlopen(f"{url}?{query}", timeout=2) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError):
        return False


@contextlib.contextmanager
def virtuoso_server(folder: Path, *, max_rows: int = 10000, max_seconds: int = 120,
                    buffers: int = 20000, after_image: int | None = None) -> Iterator[Virtuoso]:
    """Start a Virtuoso with its database in ``folder`` (created) on loopback; stop it after.
    ``after_image``: ``TransactionAfterImageLimit`` in bytes, the most one transaction may
    change (Virtuoso's default, 50,000,000, when None: a build of 10^4 projects needs more)."""
    assert VIRTUOSO is not None and ISQL is not None, SKIP_REASON
    folder.mkdir(parents=True, exist_ok=True)
    sql_port, http_port = free_port(), free_port()
    ini = folder / "virtuoso.ini"
    ini.write_text(INI.format(db=folder, sql_port=sql_port, http_port=http_port, max_rows=max_rows,
                              max_seconds=max_seconds, buffers=buffers, dirty=buffers * 3 // 4,
                              after_image="" if after_image is None else
                              f"TransactionAfterImageLimit = {after_image}\n"))
    log = (folder / "stdout.log").open("wb")
    proc = subprocess.Popen([VIRTUOSO, "+foreground", "+configfile", str(ini)], cwd=folder,
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{http_port}/sparql"
    try:
        deadline = time.monotonic() + 90
        while not _answers(url):
            if proc.poll() is not None or time.monotonic() > deadline:
                text = (folder / "virtuoso.log").read_text(errors="replace") if (folder / "virtuoso.log").is_file() else ""
                raise RuntimeError(f"Virtuoso did not start: {text[-1500:]}")
            time.sleep(0.3)
        server = Virtuoso(url, sql_port, folder)
        server.isql('GRANT SPARQL_UPDATE TO "SPARQL"',
                    "DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('nobody', 7)")
        yield server
    finally:
        with contextlib.suppress(Exception):
            if proc.poll() is None:
                subprocess.run([ISQL, f"127.0.0.1:{sql_port}", "dba", "dba"], input="shutdown;\n",
                               capture_output=True, text=True, timeout=30)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=30)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()
