"""Helpers for the reliability tests: a project copy with a built graph and store, the real CLI
in a subprocess, and a fingerprint of everything a run could change."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
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
    if build.is_dir():
        for p in sorted(build.rglob("*")):
            rel = p.relative_to(build)
            if any(part.startswith(".") for part in rel.parts) or rel.parts[0] == "store":
                continue  # hidden: store generations, leftover temporary files
            if p.is_file():
                out[str(rel)] = hashlib.sha256(p.read_bytes()).hexdigest()
    if project.store.exists():
        out["store -> "] = os.readlink(project.store) if project.store.is_symlink() else "folder"
        out["store quads"] = hashlib.sha256("\n".join(store_quads(project.store)).encode()).hexdigest()
    return out
