"""Every query of the catalogue (src/scgraph/queries/*.rq and its checks/) parses under a second,
strict SPARQL 1.1 parser: Apache Jena's (Debian's libapache-jena-java, which scripts/test.sh
installs when run as root). Oxigraph accepts some things SPARQL 1.1 forbids (``AS ?v`` rebinding
a variable already in scope, for one); a user who sends a catalogue query to another endpoint
must get it parsed.

The text is parsed as a user would send it: the file whole, ``#`` header included. All files are
parsed in one JVM (a small Java program run by Java's source launcher, which needs the JDK's
compiler); with a bare JRE, Jena's own ``arq.qparse`` runs once per file.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # see [tool.pytest.ini_options] markers

ROOT = Path(__file__).parent.parent
QUERIES = ROOT / "src" / "scgraph" / "queries"
FILES = sorted(QUERIES.glob("*.rq")) + sorted((QUERIES / "checks").glob("*.rq"))
JAVA_DIR = Path(os.environ.get("SCGRAPH_JENA_JARS", "/usr/share/java"))
JAVA = shutil.which("java")
#: Jena 4.5 and what it needs to parse a query (the Debian package's dependencies; the whole of
#: /usr/share/java will not do: it holds several SLF4J bindings that refuse to load together).
JARS = ["jena-base", "jena-core", "jena-arq", "jena-iri", "jena-cmds", "slf4j-api", "slf4j-nop",
        "commons-lang3", "commons-io", "commons-cli", "commons-codec", "commons-compress", "commons-csv",
        "dexx.collection", "guava", "gson", "thrift", "protobuf", "jackson-core", "jackson-databind",
        "jackson-annotations", "jsonld-java", "titanium-json-ld", "jakarta.json-api", "httpclient",
        "httpcore", "commons-logging"]
MISSING = [j for j in JARS if not (JAVA_DIR / f"{j}.jar").is_file()]
if JAVA is None or MISSING:
    pytest.skip("Apache Jena (Debian libapache-jena-java) or java is not installed"
                + (f" (missing {', '.join(MISSING[:3])} in {JAVA_DIR})" if MISSING and JAVA else "")
                + "; scripts/test.sh installs it when run as root", allow_module_level=True)

#: Parses each file named on the command line as strict SPARQL 1.1 and prints one line per file:
#: "OK <path>" or "ERROR <path>\t<message on one line>".
PARSER = """
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.jena.query.QueryFactory;
import org.apache.jena.query.Syntax;

public class StrictParse {
    public static void main(String[] args) throws Exception {
        for (String a : args) {
            String text = Files.readString(Path.of(a), StandardCharsets.UTF_8);
            try {
                QueryFactory.create(text, Syntax.syntaxSPARQL_11);
                System.out.println("OK " + a);
            } catch (Exception e) {
                System.out.println("ERROR " + a + "\\t" + String.valueOf(e.getMessage()).replace('\\n', ' '));
            }
        }
    }
}
"""


@pytest.fixture(scope="module")
def classpath(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Jena's jars, and a folder that works around a packaging slip of Debian's jena-core 4.5:
    its Xerces classes live under ``xerces/`` but their message files under
    ``org/apache/jena/ext/xerces/``, and without them XSD datatypes fail to initialise
    ("internal error" in XSSimpleTypeDecl). The message files are copied where the classes look."""
    extra = tmp_path_factory.mktemp("jena-xerces")
    prefix = "org/apache/jena/ext/xerces/"
    with zipfile.ZipFile(JAVA_DIR / "jena-core.jar") as jar:
        for name in jar.namelist():
            if name.startswith(prefix) and name.endswith(".properties"):
                target = extra / "xerces" / name[len(prefix):]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(jar.read(name))
    return os.pathsep.join([str(extra)] + [str(JAVA_DIR / f"{j}.jar") for j in JARS])


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(JAVA), *args], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def verdicts(classpath: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Jena's verdict per file: "" when it parses, the parser's message otherwise."""
    source = tmp_path_factory.mktemp("jena-parser") / "StrictParse.java"
    source.write_text(PARSER, encoding="utf-8")
    done = _run(["-cp", classpath, str(source), *map(str, FILES)])
    found: dict[str, str] = {}
    if done.returncode == 0:
        for line in done.stdout.splitlines():
            status, _, rest = line.partition(" ")
            path, _, message = rest.partition("\t")
            found[path] = "" if status == "OK" else message or "rejected"
    if set(found) != set(map(str, FILES)):
        # No source launcher (a JRE without the compiler): Jena's qparse, one JVM per file.
        for file in FILES:
            one = _run(["-cp", classpath, "arq.qparse", "--syntax=SPARQL11", "--print=none",
                        "--query", str(file)])
            found[str(file)] = "" if one.returncode == 0 else (one.stdout + one.stderr).strip() or "rejected"
    return found


def test_there_are_queries():
    assert len(FILES) >= 40 and any(p.parent.name == "checks" for p in FILES)


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(QUERIES)))
def test_query_parses_as_strict_sparql_1_1(path: Path, verdicts: dict[str, str]):
    assert verdicts[str(path)] == "", f"Jena rejects {path.relative_to(ROOT)}: {verdicts[str(path)]}"


def _jena_rejects(text: str, classpath: str, folder: Path) -> bool:
    query = folder / "probe.rq"
    query.write_text(text, encoding="utf-8")
    return _run(["-cp", classpath, "arq.qparse", "--syntax=SPARQL11", "--print=none", "--query", str(query)]).returncode != 0


def test_the_parser_is_strict(classpath: str, tmp_path: Path):
    """The check would catch what it is for: a SELECT expression rebinding a variable in scope."""
    assert _jena_rejects("SELECT (1 AS ?x) WHERE { ?x ?p ?o }", classpath, tmp_path)
    assert not _jena_rejects("# header\nSELECT (1 AS ?y) WHERE { ?x ?p ?o }", classpath, tmp_path)
