"""The wheel works outside the checkout: built from the sources, installed into a venv of its own,
run from a folder far from the checkout, it builds the same graph and answers the questions.

Offline: the wheel is built with ``pip wheel --no-build-isolation --no-index`` by the setuptools
of the test venv (the ``test`` extra brings setuptools>=77), from a copy of the sources (an
in-tree build would leave ``build/lib`` behind, whose stale files would slip into later wheels).
It is installed with ``pip --python VENV install --no-deps --no-index`` into a venv made with
``venv --without-pip``; that venv finds the dependencies through a ``.pth`` file that names the
test venv's site-packages folders. Python does not read the ``.pth`` files inside a folder that a
``.pth`` file names, so the checkout's editable install (a ``.pth`` there) is not seen, and
``import scgraph`` can only find the wheel's copy.
"""

from __future__ import annotations

import collections
import os
import shutil
import site
import subprocess
import sys
import sysconfig
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_DIR = ROOT / "src" / "scgraph"
QUESTION = "projects_per_country"  # a question of the catalogue with an ORDER BY


def _setuptools_ok() -> bool:
    try:
        major = int(version("setuptools").split(".")[0])
    except Exception:  # noqa: BLE001 - not installed, or an odd version string
        return False
    return major >= 77


def _env() -> dict[str, str]:
    """The environment of the commands: no PYTHONPATH, no SCGRAPH_HOME to point back at the
    checkout."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "SCGRAPH_HOME", "PYTHONHOME")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _run(cmd: list[str], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=timeout, check=False)
    assert proc.returncode == 0, (
        f"{' '.join(map(str, cmd))} (in {cwd}) exited {proc.returncode}\n"
        f"stdout:\n{proc.stdout[-4000:]}\nstderr:\n{proc.stderr[-4000:]}")
    return proc


def _package_files() -> set[str]:
    """The checkout's package files, as the wheel names them (``scgraph/...``)."""
    out = set()
    for path in PACKAGE_DIR.rglob("*"):
        if path.is_dir() or "__pycache__" in path.parts or path.suffix in (".pyc", ".pyo"):
            continue
        out.add(path.relative_to(PACKAGE_DIR.parent).as_posix())
    return out


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    if not _setuptools_ok():
        pytest.skip("building the wheel offline needs setuptools>=77 in the test venv (pip install -e '.[test]')")
    tmp = tmp_path_factory.mktemp("wheel")
    sources = tmp / "sources"
    sources.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, sources / name)
    for extra in ROOT.glob("LICEN[CS]E*"):
        shutil.copy2(extra, sources / extra.name)
    shutil.copytree(ROOT / "src", sources / "src",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info"))
    dist = tmp / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
          "--wheel-dir", str(dist), str(sources)], cwd=tmp)
    wheels = list(dist.glob("scgraph-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    """A venv with the wheel installed, and the test venv's dependencies (not its scgraph)."""
    root = tmp_path_factory.mktemp("venv") / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(root)], cwd=root.parent)
    python = root / "bin" / "python"
    purelib = Path(subprocess.check_output(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True).strip())
    checkout_src = (ROOT / "src").resolve()
    deps = []
    for folder in dict.fromkeys([*site.getsitepackages(), sysconfig.get_paths()["purelib"],
                                 sysconfig.get_paths()["platlib"]]):
        path = Path(folder).resolve()
        if path.is_dir() and path != checkout_src and checkout_src not in path.parents:
            deps.append(str(path))
    (purelib / "_scgraph_test_deps.pth").write_text("\n".join(deps) + "\n")
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps",
          "--no-index", str(wheel)], cwd=root.parent)
    return root


@pytest.fixture(scope="module")
def far_away(tmp_path_factory) -> Path:
    """A working folder with no ontology/, queries/ or data/ in it or above it."""
    cwd = tmp_path_factory.mktemp("elsewhere")
    for parent in [cwd, *cwd.parents]:
        assert not (parent / "ontology").exists() and not (parent / "pyproject.toml").exists(), parent
    return cwd


@pytest.fixture(scope="module")
def builds(venv, far_away, tmp_path_factory) -> dict[str, Path]:
    """``scgraph build`` run by the wheel (from far away) and by the checkout."""
    out = tmp_path_factory.mktemp("builds")
    _run([str(venv / "bin" / "python"), "-m", "scgraph", "build", "--out", str(out / "wheel"), "--quiet"],
         cwd=far_away)
    _run([sys.executable, "-m", "scgraph", "build", "--out", str(out / "checkout"), "--quiet"], cwd=ROOT)
    return {"wheel": out / "wheel", "checkout": out / "checkout"}


def test_the_wheel_holds_every_file_of_the_package(wheel):
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
    missing = sorted(_package_files() - names)
    assert not missing, (
        "files of src/scgraph that the wheel leaves out (add them to [tool.setuptools.package-data] "
        "in pyproject.toml): " + ", ".join(missing))
    for pattern in ("scgraph/ontology/", "scgraph/queries/checks/", "scgraph/data/reference/",
                    "scgraph/data/sources/web/", "scgraph/data/filters/", "scgraph/server/web/",
                    "scgraph/analysis/data/"):
        assert any(n.startswith(pattern) for n in names), pattern
    assert "scgraph/py.typed" in names


def test_scgraph_is_imported_from_the_wheel(venv, far_away):
    proc = _run([str(venv / "bin" / "python"), "-c",
                 "import scgraph, scgraph.resources as r; print(scgraph.__file__); print(r.project_root())"],
                cwd=far_away)
    module_file, project_root = proc.stdout.split()
    assert Path(module_file).is_relative_to(venv), module_file
    assert not Path(module_file).resolve().is_relative_to(ROOT), module_file
    assert Path(project_root).is_relative_to(venv), project_root


def _graph_sizes(dataset: Path) -> dict[str, int]:
    """Triples per named graph of an N-Quads dump (the default graph as '')."""
    import pyoxigraph

    sizes: collections.Counter[str] = collections.Counter()
    for quad in pyoxigraph.parse(path=str(dataset), format=pyoxigraph.RdfFormat.N_QUADS):
        graph = quad.graph_name
        sizes["" if isinstance(graph, pyoxigraph.DefaultGraph) else str(graph)] += 1
    return dict(sizes)


def test_the_wheel_builds_the_same_graph_as_the_checkout(builds, venv):
    wheel_files = sorted(p.name for p in builds["wheel"].iterdir())
    checkout_files = sorted(p.name for p in builds["checkout"].iterdir())
    assert wheel_files == checkout_files
    wheel_sizes = _graph_sizes(builds["wheel"] / "dataset.nq")
    checkout_sizes = _graph_sizes(builds["checkout"] / "dataset.nq")
    assert len(wheel_sizes) > 5, wheel_sizes
    assert sorted(wheel_sizes) == sorted(checkout_sizes), "the named graphs differ"
    assert wheel_sizes == checkout_sizes, "the named graphs' sizes differ"
    text = (builds["wheel"] / "dataset.nq").read_text(encoding="utf-8")
    for folder in (venv, ROOT):
        assert str(folder) not in text, f"the wheel's build names the folder {folder}"


def test_the_wheel_answers_a_question(venv, far_away, builds):
    def answer(python: str, build: Path, cwd: Path) -> list[str]:
        proc = _run([python, "-m", "scgraph", "query", QUESTION, "--build-dir", str(build), "--format", "csv",
                     "--quiet"], cwd=cwd)
        return proc.stdout.splitlines()

    wheel = answer(str(venv / "bin" / "python"), builds["wheel"], far_away)
    checkout = answer(sys.executable, builds["checkout"], ROOT)
    assert len(wheel) > 2, wheel
    assert sorted(wheel) == sorted(checkout)


def test_the_wheel_lists_its_questions(venv, far_away):
    proc = _run([str(venv / "bin" / "python"), "-m", "scgraph", "queries"], cwd=far_away)
    assert QUESTION in proc.stdout
