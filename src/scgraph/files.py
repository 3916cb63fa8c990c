"""Atomic writes, generations and locks: every output of scgraph changes whole or not at all.

Every output goes through :func:`write_atomic` (or :func:`atomic_path`), so a failure or a kill
at any moment leaves the previous file in place, never half a file. Groups of outputs that must
change together (a store, a release, the files of a build) are written as a new *generation*
folder and switched in with one atomic rename of a symbolic link (:func:`replace_folder`,
:func:`replace_files`). :func:`kill_point` is the hook the fault tests kill a command at.

Two kinds of advisory ``flock`` locks make commands that run at once safe (see "Locks" below):
one writer at a time per folder (:func:`exclusive`, ``FOLDER/.lock``), and no generation pruned
while a reader holds it (:func:`hold_generation`, ``GENERATION/.readers``).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from .errors import StoreError

# --------------------------------------------------------------------------- writing


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _publishable(tmp: str | Path) -> None:
    """Give a temporary file the permissions of a normal new file (mkstemp makes it 0600)."""
    os.chmod(tmp, 0o666 & ~_umask())


def kill_point(stage: str) -> None:
    """A test hook: SIGKILL this process at ``stage`` when ``SCGRAPH_TEST_KILL_AT`` names it.

    ``SCGRAPH_TEST_KILL_AT=rename:3`` kills at the third time the stage ``rename`` is reached.
    Unset (always, outside the fault tests) it costs one dictionary look-up.
    """
    wanted = os.environ.get("SCGRAPH_TEST_KILL_AT")
    if not wanted:
        return
    name, _, nth = wanted.partition(":")
    if name != stage:
        return
    _KILL_COUNTS[stage] = _KILL_COUNTS.get(stage, 0) + 1
    if _KILL_COUNTS[stage] >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)


def hold_point() -> None:
    """A test hook: sleep ``SCGRAPH_TEST_HOLD_LOCK`` seconds once the writers' lock is taken.

    Two commands started at the same moment then meet on a held lock whatever their start-up
    times, so the concurrency tests do not depend on how fast a command runs. Unset (always,
    outside those tests) it costs one dictionary look-up.
    """
    held = os.environ.get("SCGRAPH_TEST_HOLD_LOCK")
    if held:
        time.sleep(float(held))


_KILL_COUNTS: dict[str, int] = {}


@contextlib.contextmanager
def atomic_path(path: Path | str) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it onto ``path`` if the block succeeds.

    For writers that want a file name rather than bytes (matplotlib, gzip, sqlite). The
    temporary file is flushed to disk before the rename, so a crash leaves either the old
    file or the new one.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        yield Path(tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        _publishable(tmp)
        kill_point("rename")  # the temporary file is whole; the target not yet replaced
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_atomic(path: Path | str, data: bytes | str) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename."""
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


# --------------------------------------------------------------------------- generations
#
# A group of outputs that must change together (a store, a release folder, the files of a
# build) is written into a new *generation* folder and switched in with one atomic rename of a
# symbolic link: a failure or a kill at any moment leaves either the old group or the new one.

#: Generations of ``PATH`` live next to it as ``.NAME.gen-*`` folders; ``PATH`` is a symbolic
#: link to the current one. A real folder found at ``PATH`` is moved aside as ``.NAME.gen-old-*``.
_GENERATION = ".{name}.gen-"


def generations(path: Path | str) -> list[Path]:
    """The generation folders of ``path`` (the current one, kept ones, leftovers of kills)."""
    path = Path(path)
    return sorted(path.parent.glob(_GENERATION.format(name=path.name) + "*"))


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def switch_link(link: Path | str, target: str, *, stage: str) -> None:
    """Make ``link`` a symbolic link to ``target`` with one atomic rename (over a link or a file).

    ``stage`` names the :func:`kill_point` reached just before the rename.
    """
    link = Path(link)
    tmp = link.parent / f".{link.name}.link-{os.getpid()}"
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    os.symlink(target, tmp)
    kill_point(stage)  # a test hook: the new target is whole, the link not yet switched
    os.replace(tmp, link)
    for stale in link.parent.glob(f".{link.name}.link-*"):  # left by killed processes
        if stale.is_symlink() and _dead(stale.name.rpartition("-")[2]):
            stale.unlink(missing_ok=True)


@contextlib.contextmanager
def work_folder(path: Path | str) -> Iterator[Path]:
    """Yield a hidden scratch folder next to ``path`` (``.NAME.work-PID-*``), removed when the
    block ends; scratch folders left by killed processes are removed first."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    prefix = f".{path.name}.work-"
    for stale in path.parent.glob(prefix + "*"):
        if stale.is_dir() and _dead(stale.name[len(prefix):].partition("-")[0]):
            shutil.rmtree(stale, ignore_errors=True)
    tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f"{prefix}{os.getpid()}-"))
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _dead(pid: str) -> bool:
    """Whether ``pid`` (the process id in a leftover's name) names a process that has ended."""
    return pid.isdigit() and not _running(int(pid))


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover_folder(path: Path | str) -> None:
    """Put back a real folder that a kill left moved aside (see :func:`replace_folder`).

    Where there is no ``renameat2``, replacing a real folder by a link takes two renames (see
    :func:`_swap_real_folder`); a kill between them leaves no ``path``. Then the folder moved
    aside becomes the current generation again.
    """
    path = Path(path)
    if path.exists() or path.is_symlink():
        return
    aside = sorted(p for p in path.parent.glob(_GENERATION.format(name=path.name) + "old-*")
                   if not p.is_symlink())
    if aside:
        switch_link(path, aside[-1].name, stage="recover")


@contextlib.contextmanager
def new_generation(path: Path | str) -> Iterator[Path]:
    """Yield a new, empty generation folder next to ``path``, not switched in (the caller
    links it in later, e.g. from a generation of :func:`replace_files`); a failure inside the
    block removes it. A generation never linked in is removed by :func:`prune_generations`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    prefix = _GENERATION.format(name=path.name)
    new_dir = Path(tempfile.mkdtemp(dir=path.parent, prefix=prefix + f"{time.strftime('%Y%m%dT%H%M%S')}-"))
    os.chmod(new_dir, 0o777 & ~_umask())  # mkdtemp makes it 0700
    try:
        yield new_dir
        _fsync_dir(new_dir)
    except BaseException:
        shutil.rmtree(new_dir, ignore_errors=True)
        raise


def prune_generations(path: Path | str, keep: Iterable[Path | None]) -> None:
    """Remove the generation folders of ``path`` but those in ``keep`` (and stray links), and
    never one a reader holds (:func:`hold_generation`): that one is left for a later prune."""
    path = Path(path)
    kept = {Path(k).resolve() for k in keep if k is not None}
    for trash in path.parent.glob(_TRASH.format(name=path.name) + "*"):  # a kill mid-removal
        shutil.rmtree(trash, ignore_errors=True)
    for old in generations(path):
        if old.is_symlink():
            old.unlink()  # a link a kill left before _swap_real_folder's exchange
        elif old.resolve() not in kept:
            _remove_unread(old, path.name)


def link_folder(new: Path | str, name: str, target: Path | str) -> None:
    """Put into the generation ``new`` a relative link ``NAME`` to the folder ``target``
    (a folder that switches with the generation's files, such as the build's store)."""
    os.symlink(os.path.relpath(Path(target).resolve(), Path(new).resolve()), Path(new) / name)


def adopt_real_folder(path: Path | str) -> None:
    """Turn a real folder at ``path`` into a generation with ``path`` a link to it (a store
    of an earlier layout), so that it can be linked from a generation of files. A kill
    between the two steps leaves no ``path``; :func:`recover_folder` puts it back."""
    path = Path(path)
    if not path.is_dir() or path.is_symlink():
        return
    aside = Path(tempfile.mkdtemp(dir=path.parent, prefix=_GENERATION.format(name=path.name) + "old-"))
    aside.rmdir()
    os.rename(path, aside)
    os.symlink(aside.name, path)


@contextlib.contextmanager
def replace_folder(path: Path | str, *, stage: str, keep_previous: bool = False) -> Iterator[Path]:
    """Yield a new, empty generation folder next to ``path``; make ``path`` (a symbolic link)
    point to it with one atomic rename when the block succeeds.

    A failure or a kill inside the block, or before the switch, leaves ``path`` as it was; the
    unfinished generation is removed by the next successful switch. After the switch, older
    generations are removed, except the previous one when ``keep_previous`` (a reader may still
    have it open, as with a store). A real folder at ``path`` is swapped for the link and kept
    as the previous generation. ``stage`` names the :func:`kill_point` just before the switch.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    recover_folder(path)
    with new_generation(path) as new_dir:
        yield new_dir
    if path.exists() and not path.is_symlink():
        previous: Path | None = _swap_real_folder(path, new_dir, stage=stage)
    else:
        previous = path.resolve() if path.is_symlink() else None
        switch_link(path, new_dir.name, stage=stage)  # the atomic switch
    _fsync_dir(path.parent)
    prune_generations(path, [new_dir, previous if keep_previous else None])


def _swap_real_folder(path: Path, new_dir: Path, *, stage: str) -> Path:
    """Replace the real folder ``path`` by a link to ``new_dir``; keep the folder as a
    generation (``.NAME.gen-old-*``), which is returned.

    One ``renameat2(RENAME_EXCHANGE)`` swaps a prepared link and the folder atomically. Where
    the system has none, the folder is renamed aside and the link made after it: a kill between
    the two leaves no ``path``, which :func:`recover_folder` repairs on the next run.
    """
    aside = Path(tempfile.mkdtemp(dir=path.parent, prefix=_GENERATION.format(name=path.name) + "old-"))
    aside.rmdir()
    os.symlink(new_dir.name, aside)
    kill_point(stage)
    if not _exchange(aside, path):
        aside.unlink()
        os.rename(path, aside)
        os.symlink(new_dir.name, path)
    return aside.resolve()


def _exchange(a: Path, b: Path) -> bool:
    """Swap the paths ``a`` and ``b`` atomically (Linux ``renameat2``); False where unsupported."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    return renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


#: The files of :func:`replace_files` are links ``FOLDER/NAME -> .outputs/current/NAME``;
#: ``FOLDER/.outputs/current`` is the link that is switched, to a ``.current.gen-*`` folder.
OUTPUTS = ".outputs"


def _link_target(name: str) -> str:
    return f"{OUTPUTS}/current/{name}"


def _is_ours(entry: Path) -> bool:
    return entry.is_symlink() and os.readlink(entry) == _link_target(entry.name)


@contextlib.contextmanager
def replace_files(folder: Path | str, *, stage: str = "outputs-switch") -> Iterator[Path]:
    """Yield a new, empty folder for a group of files that must change together; when the block
    succeeds, each file ``NAME`` written into it becomes ``folder/NAME``, all at once.

    ``folder/NAME`` is a fixed relative link ``.outputs/current/NAME``; the one link that is
    switched (:func:`replace_folder`) is ``folder/.outputs/current``. A failure or a kill at any
    moment leaves every file of the group as it was, or every file new. Other files of
    ``folder`` are left alone. Files of an earlier layout (real files at ``folder/NAME``) are
    first taken into a generation of their own without changing what they hold.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    current = folder / OUTPUTS / "current"
    with replace_folder(current, stage=stage) as new:
        yield new
        names = sorted(p.name for p in new.iterdir())
        _adopt(folder, current, names)
        for name in names:  # a link to a file the current generation lacks reads as no file
            if not _is_ours(folder / name):
                switch_link(folder / name, _link_target(name), stage="outputs-link")
    for entry in folder.iterdir():
        if _is_ours(entry) and not entry.exists():
            entry.unlink()  # a name the new generation no longer has


def _adopt(folder: Path, current: Path, names: Sequence[str]) -> None:
    """Turn real files at ``folder/NAME`` into links without changing what any name reads.

    A new generation gets a hard link of what each name reads now; it becomes the current one;
    then each real file is replaced by its link (to the same bytes). A kill at any step leaves
    every name reading what it read before.
    """
    entries = [folder / n for n in names]
    if all(_is_ours(e) or not (e.exists() or e.is_symlink()) for e in entries):
        return
    prefix = _GENERATION.format(name=current.name) + "adopted-"
    taken = Path(tempfile.mkdtemp(dir=current.parent, prefix=prefix))
    os.chmod(taken, 0o777 & ~_umask())
    shown = set(names) | ({p.name for p in current.iterdir()} if current.is_dir() else set())
    for name in sorted(shown):
        if (folder / name).is_file():  # through our link, or a real file (or a foreign link)
            os.link(os.path.realpath(folder / name), taken / name)  # link(2) keeps symlinks
        elif (folder / name).is_dir():  # a folder that switches with the files (the store)
            link_folder(taken, name, folder / name)
    _fsync_dir(taken)
    switch_link(current, taken.name, stage="outputs-adopt")  # every name reads what it read
    for e in entries:
        if (e.is_file() or (e.is_dir() and e.is_symlink())) and not _is_ours(e):
            switch_link(e, _link_target(e.name), stage="outputs-link")


def carry_files(folder: Path | str, new: Path | str, names: Iterable[str]) -> None:
    """Hard-link the files ``folder/NAME`` (as they read now) into the generation ``new``; a
    folder (the store) is linked to."""
    for name in names:
        src = Path(folder) / name
        if src.is_file():
            os.link(os.path.realpath(src), Path(new) / name)  # link(2) would link the symlink
        elif src.is_dir():
            link_folder(new, name, src)


# --------------------------------------------------------------------------- locks
#
# Two advisory flock(2) locks, which the kernel releases when their process ends however it
# ends (a killed command never leaves a stale lock; PostgreSQL's postmaster.pid and Jena TDB's
# tdb.lock play the same part):
#
# - the writers' lock ``FOLDER/.lock`` (:func:`exclusive`): one command at a time writes a build
#   folder; a second one fails at once, naming the first (its pid, command and start time,
#   which the holder writes into the file);
# - the readers' lock ``GENERATION/.readers`` (:func:`hold_generation`): a reader holds it shared
#   while it has the generation open; :func:`prune_generations` removes a generation only after
#   taking it exclusively (without waiting: a generation in use is kept, and a later prune
#   removes it) and renames the generation away before it lets go, so a reader that comes late
#   finds the name gone and follows the link again.

#: The writers' lock of a folder, and the readers' lock of a generation folder.
LOCK = ".lock"
READERS = ".readers"

#: A generation being removed is first renamed to ``.NAME.trash-*`` (no reader can reach it).
_TRASH = ".{name}.trash-"

_OPEN_FLAGS = os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC


def _same_file(fd: int, path: Path) -> bool:
    """Whether ``path`` still names the file open as ``fd`` (not removed or replaced since)."""
    try:
        st = os.stat(path)
    except OSError:
        return False
    own = os.fstat(fd)
    return (st.st_ino, st.st_dev) == (own.st_ino, own.st_dev)


def _remove_unread(generation: Path, name: str) -> None:
    """Remove the generation folder unless a reader holds it (see :func:`hold_generation`).

    The readers' lock is taken exclusively without waiting; while it is held, the folder is
    renamed out of reach, then removed. A reader that opened the lock file just before cannot
    take it until the rename is done, and then finds the file's name gone and looks again.
    """
    if not generation.is_dir():
        with contextlib.suppress(OSError):
            generation.unlink()  # a stray file
        return
    try:
        fd = os.open(generation / READERS, _OPEN_FLAGS, 0o666)
    except OSError:
        return  # cannot tell whether it is read: keep it
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return  # a reader holds it: keep it for a later prune
        trash = Path(tempfile.mkdtemp(dir=generation.parent, prefix=_TRASH.format(name=name)))
        os.rmdir(trash)
        try:
            os.rename(generation, trash)
        except OSError:
            return
    finally:
        os.close(fd)
    shutil.rmtree(trash, ignore_errors=True)


class GenerationHold:
    """A shared hold of the readers' lock of one generation folder; :meth:`release` ends it."""

    def __init__(self, folder: Path, fd: int | None) -> None:
        self.folder = folder
        self._fd = fd

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # at interpreter exit, too
            self.release()


def hold_generation(path: Path | str) -> GenerationHold:
    """Resolve ``path`` (a link to a generation, or a real folder) and hold its readers' lock
    shared, so that no :func:`prune_generations` removes the folder while it is read.

    Returns the folder (open that, not ``path``: the link may switch meanwhile) with the hold.
    A folder that is not there is returned unheld (the caller reports it). Where the lock file
    can be neither created nor opened (a folder the user may not write), the hold is empty:
    a writer who could prune the folder can always take the lock.
    """
    path = Path(path)
    for _ in range(1000):
        folder = Path(os.path.realpath(path))
        if not folder.is_dir():
            return GenerationHold(folder, None)
        lock = folder / READERS
        try:
            fd = os.open(lock, _OPEN_FLAGS, 0o666)
        except FileNotFoundError:
            continue  # the folder was pruned (renamed away) since: follow the link again
        except OSError:
            try:
                fd = os.open(lock, os.O_RDONLY | os.O_CLOEXEC)
            except OSError:
                return GenerationHold(folder, None)
        try:
            fcntl.flock(fd, fcntl.LOCK_SH)  # a pruner holds it only for one rename
        except OSError:
            os.close(fd)
            return GenerationHold(folder, None)  # no flock here (some network file systems)
        if _same_file(fd, lock):
            return GenerationHold(folder, fd)
        os.close(fd)  # renamed away while we waited: follow the link again
    raise StoreError("cannot hold the store: its generations change too fast", path=path)


def _holder(fd: int) -> str:
    """Who holds the writers' lock open as ``fd``: ``pid N, 'COMMAND', started HH:MM:SS``, as
    the holder wrote it (it writes just after taking the lock: wait a moment for it)."""
    for _ in range(20):
        text = os.pread(fd, 4096, 0).decode("utf-8", "replace")
        pid, command, started = (text.split("\n") + ["", "", ""])[:3]
        if pid.isdigit() and started.replace(".", "", 1).isdigit():
            when = time.strftime("%H:%M:%S", time.localtime(float(started)))
            return f" (pid {pid}, {command!r}, started {when})"
        time.sleep(0.025)
    return ""


def _take(folder: Path, command: str) -> int:
    """Take the writers' lock of ``folder`` without waiting; return its file descriptor."""
    lock = folder / LOCK
    for _ in range(1000):
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
        except FileNotFoundError:  # a new folder its maker removed again, as nothing was written
            _make_folder(folder)
            continue
        except OSError as e:
            raise StoreError(f"cannot create the lock file: {e.strerror}", path=lock) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            holder = _holder(fd) if e.errno in (errno.EWOULDBLOCK, errno.EAGAIN) else None
            os.close(fd)
            if holder is None:
                raise StoreError(f"cannot lock the build folder: {e.strerror}", path=folder) from None
            raise StoreError(f"another scgraph command{holder} is writing this build folder; "
                             "wait for it or use another --out/--build-dir", path=folder) from None
        if _same_file(fd, lock):
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n{command}\n{time.time():.3f}\n".encode(), 0)
            return fd
        os.close(fd)  # the holder removed the file after we opened it: take the new one
    raise StoreError("cannot lock the build folder: its lock file changes too fast", path=folder)


@contextlib.contextmanager
def exclusive(folder: Path | str, command: str) -> Iterator[Path]:
    """Hold the writers' lock of ``folder`` (``FOLDER/.lock``, made as needed) for the block.

    Never waits: while another process holds it, a :class:`~scgraph.errors.StoreError` at once,
    ``FOLDER: another scgraph command (pid N, 'build', started HH:MM:SS) is writing this build
    folder; ...``. ``command`` is what this one is (``build``, ``import cordis``, ``analyse``),
    written into the lock file for that message. The lock file is removed when the block ends
    (while still held, so a process that opened it meanwhile sees the name gone and opens the
    new one); a killed process leaves it, unlocked, and the next command takes it over.
    """
    folder = Path(folder)
    made = []  # the folders the lock makes, deepest first
    for parent in (folder, *folder.absolute().parents):
        if parent.exists() or parent.is_symlink():
            break
        made.append(parent)
    _make_folder(folder)
    fd = _take(folder, command)
    try:
        hold_point()
        yield folder / LOCK
    finally:
        with contextlib.suppress(OSError):
            os.unlink(folder / LOCK)
        os.close(fd)
        with contextlib.suppress(OSError):
            for new in made:  # new folders in which the command wrote nothing (it failed)
                new.rmdir()


def _make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise StoreError(f"cannot make the build folder: {e.strerror}", path=folder) from None
    if not folder.is_dir():
        raise StoreError("not a folder; give a build folder", path=folder)


@contextlib.contextmanager
def exclusive_all(folders: Iterable[Path | str], command: str) -> Iterator[None]:
    """Hold the writers' locks of several folders (each once, in a fixed order) for the block."""
    unique = {os.path.abspath(f): Path(f) for f in reversed(list(folders))}  # as first given
    with contextlib.ExitStack() as stack:
        for _key, folder in sorted(unique.items()):
            stack.enter_context(exclusive(folder, command))
        yield
