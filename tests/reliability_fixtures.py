"""Helpers for the reliability tests: a project copy with a built graph and store, the real CLI
in a subprocess, and a fingerprint of everything a run could change."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

HERE = Path(__file__).parent
REPO = HERE.parent
BAD = HERE / "data" / "bad_input"
ROOT = HERE / "data" / "pipeline" / "root"  # a tiny project: ontology/, data/, queries/
SCGRAPH = [str(Path(sys.executable).parent / "scgraph")]  # the installed console script


@dataclass
class Project:
    """A copy of the tiny project (``root``) and its build folder (``build``, with a store)."""

    root: Path
    build: Path

    @property
    def store(self) -> Path:
        return self.build / "store"

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SCGRAPH_")}
        env["SCGRAPH_HOME"] = str(self.root)
        env.update(extra)
        return env

    def run(self, *args: str, timeout: float = 120, **env: str) -> subprocess.CompletedProcess[str]:
        """``scgraph ARGS`` in a subprocess, in the project folder."""
        return subprocess.run([*SCGRAPH, *args], cwd=self.root, env=self.env(**env),
                              capture_output=True, text=True, timeout=timeout)


def make_project(dest: Path, *, store: bool = True) -> Project:
    """Copy the tiny project to ``dest``/root and build it into ``dest``/root/build."""
    root = dest / "root"
    shutil.copytree(ROOT, root)
    project = Project(root, root / "build")
    args = ["build", "-q", "--out", "build"] + (["--store", "oxigraph:build/store"] if store else [])
    r = project.run(*args)
    assert r.returncode == 0, r.stderr
    return project


def copy_project(template: Project, dest: Path) -> Project:
    """A copy of a built project (the store's generation folder and its link come along)."""
    root = dest / "root"
    shutil.copytree(template.root, root, symlinks=True)
    return Project(root, root / "build")


def store_quads(path: Path) -> list[str]:
    """The quads of an on-disk Oxigraph store, sorted, as N-Quads lines."""
    store = ox.Store.read_only(str(path))
    return sorted(str(q) for q in store)


def fingerprint(project: Project) -> dict[str, str]:
    """SHA-256 of every visible file of the build folder, plus the store's quads and target."""
    out: dict[str, str] = {}
    build = project.build
    for folder, dirs, files in os.walk(build, followlinks=True):  # release/ is a link
        rel = Path(folder).relative_to(build)
        dirs[:] = [d for d in dirs if not d.startswith(".") and (rel.parts or d != "store")]
        for name in files:  # hidden: generations, leftover temporary files
            p = Path(folder) / name
            if not name.startswith(".") and p.is_file():
                out[str(rel / name)] = hashlib.sha256(p.read_bytes()).hexdigest()
    if project.store.exists():
        out["store -> "] = os.readlink(project.store) if project.store.is_symlink() else "folder"
        out["store quads"] = hashlib.sha256("\n".join(store_quads(project.store)).encode()).hexdigest()
    return out


OXIGRAPH = shutil.which("oxigraph", path=str(Path(sys.executable).parent)) or shutil.which("oxigraph")


def stop(proc: subprocess.Popen, timeout: float) -> None:
    """End a server the tests started: SIGTERM, then SIGKILL after ``timeout`` seconds."""
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextlib.contextmanager
def oxigraph_server(location: Path, *options: str, start_s: float = 20) -> Iterator[str]:
    """Oxigraph's own SPARQL server (the ``oxigraph`` wheel) on a free port of 127.0.0.1, with
    an on-disk store at ``location`` and ``options`` of ``oxigraph serve``; yields its base URL
    once it takes connections (within ``start_s`` seconds: opening a large store takes longer)."""
    assert OXIGRAPH is not None
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([OXIGRAPH, "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}",
                             *options], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + start_s
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError("the oxigraph server did not start") from None
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc, 10)
