"""DOCX -> PDF/A-2b with one warm LibreOffice, reused across documents.

A :class:`Converter` starts ``soffice.bin`` once (lazily, on the first :meth:`Converter.convert`)
and keeps it running. It talks to the office through ``uno_worker.py``, a small script run by the
*system* Python that has ``uno`` (python3-uno); the Naskah process never imports ``uno`` itself.
Requests and replies are JSON lines on the worker's stdin/stdout.

Layout under ``workdir`` (normally ``$NASKAH_HOME/run``), one slot per live converter::

    workdir/lo-<n>/lock          flock held while a converter owns the slot (across processes)
    workdir/lo-<n>/profile/      LibreOffice user profile (-env:UserInstallation), kept warm
    workdir/lo-<n>/home/         HOME and XDG_* dirs of soffice and the worker (fontconfig cache)
    workdir/lo-<n>/tmp/          TMPDIR
    workdir/lo-<n>/run/          XDG_RUNTIME_DIR
    workdir/lo-<n>/shared-extensions/  UNO_SHARED_PACKAGES_CACHE (else /var/spool/libreoffice)
    workdir/lo-<n>/jobs/         <id>.docx / <id>.pdf of the conversion in progress, then deleted
    workdir/lo-<n>/soffice.log   stdout/stderr of the office (since its last start)
    workdir/lo-<n>/worker.log    stderr of the worker (since its last start)

The one thing written outside ``workdir``: LibreOffice's UNO pipe and single-instance pipe are
Unix sockets that it always creates in ``/tmp`` (``OSL_SOCKET_PATH`` is only honoured when
``/tmp`` and ``/var/tmp`` are not writable). They are removed again when the office is killed;
those of a Naskah process that was itself SIGKILLed are swept by the next converter.

Robustness: every request has a deadline (``timeout``). If the office or the worker dies, or does
not answer in time (crash, kill, SIGSTOP), both process groups are killed with SIGKILL, the office
is started again and the conversion is retried once; :attr:`Converter.restarts` counts the
restarts. A document the office refuses (corrupt DOCX) is a :class:`ConversionError` at once,
without a restart. Both children get ``PR_SET_PDEATHSIG=SIGKILL``, so they die with the Naskah
process even if that is SIGKILLed; :meth:`Converter.close`, garbage collection and interpreter
exit kill them too.

LibreOffice 7.x writes a bookmark's name as a PDF destination name with every character outside
``[A-Za-z0-9-]`` replaced by its hex code *without* the ``#`` (``naskah_nomor`` becomes
``/naskah5Fnomor``). :meth:`Converter.convert` therefore adds, in a small incremental update, the
bookmark's real name as a second name of the same destination, so that ``naskah_nomor`` is a named
destination as the design promises (the mangled one stays, internal links keep working).
"""

from __future__ import annotations

import collections
import ctypes
import glob
import hashlib
import io
import itertools
import json
import os
import queue
import re
import select
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
import uuid
import weakref
import zipfile
import zlib
from concurrent.futures import Future
from pathlib import Path
from typing import Any, Callable, Generator, Iterable, Iterator
from xml.etree import ElementTree as ET

from .errors import ConversionError, LibreOfficeMissing

__all__ = ["Converter", "ConverterPool", "find_soffice", "find_uno_python"]

INSTALL_HINT = (
    "install LibreOffice Writer and its Python-UNO bridge with "
    "`sudo apt-get install libreoffice-writer-nogui python3-uno` (or run `make demo`)"
)
WORKER = Path(__file__).with_name("uno_worker.py")
#: soffice.bin's exit code asking its launcher to start it again (first start of a new profile)
_EXIT_RESTART = 81
_MIN_STARTUP_TIMEOUT = 30.0
_W_NS = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_BOOKMARK_PARTS = re.compile(r"word/(document|header\d*|footer\d*|footnotes|endnotes)\.xml")


# --------------------------------------------------------------------------------------------
# finding LibreOffice and a Python with uno


def find_soffice(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The ``soffice.bin`` to run: from ``explicit``, ``$NASKAH_SOFFICE``, PATH, usual places.

    ``explicit`` may name ``soffice.bin``, the ``soffice`` wrapper (or a symlink to it) or the
    ``program`` directory. Raises :class:`LibreOfficeMissing`.
    """
    given = explicit if explicit is not None else os.environ.get("NASKAH_SOFFICE") or None
    if given is not None:
        found = _soffice_bin_near(Path(given))
        if found is None:
            raise LibreOfficeMissing(
                f"LibreOffice was not found at {given!s} (no executable soffice.bin there); "
                f"fix the path or {INSTALL_HINT}"
            )
        return found
    tried: list[str] = []
    candidates: list[Path] = []
    for name in ("soffice", "libreoffice"):
        hit = shutil.which(name)
        if hit:
            candidates.append(Path(hit))
    candidates.append(Path("/usr/lib/libreoffice/program"))
    candidates.extend(Path(p) for p in sorted(glob.glob("/opt/libreoffice*/program"), reverse=True))
    for c in candidates:
        tried.append(str(c))
        found = _soffice_bin_near(c)
        if found is not None:
            return found
    raise LibreOfficeMissing(f"LibreOffice (soffice.bin) was not found (tried {', '.join(tried)}); {INSTALL_HINT}")


def _soffice_bin_near(p: Path) -> Path | None:
    try:
        if p.is_dir():
            options = [p / "soffice.bin", p / "program" / "soffice.bin"]
        elif p.name == "soffice.bin":
            options = [p]
        else:  # the shell wrapper or a symlink to it: soffice.bin sits next to the real file
            options = [p.resolve().with_name("soffice.bin"), p.with_name("soffice.bin")]
    except OSError:
        return None
    for o in options:
        if o.is_file() and os.access(o, os.X_OK):
            return o.resolve()
    return None


_UNO_OK: dict[str, bool] = {}
_UNO_LOCK = threading.Lock()


def find_uno_python(explicit: str | os.PathLike[str] | None = None, soffice: Path | None = None) -> str:
    """A Python interpreter that can ``import uno``: ``explicit``, ``$NASKAH_UNO_PYTHON``,
    ``/usr/bin/python3``, LibreOffice's bundled ``python``. Checked once per process.
    Raises :class:`LibreOfficeMissing`.
    """
    given = explicit if explicit is not None else os.environ.get("NASKAH_UNO_PYTHON") or None
    if given is not None:
        if _imports_uno(str(given)):
            return str(given)
        source = "uno_python" if explicit is not None else "NASKAH_UNO_PYTHON"
        raise LibreOfficeMissing(
            f"{given!s} (from {source}) cannot `import uno`; point it at a Python with the "
            f"LibreOffice UNO bridge or {INSTALL_HINT}"
        )
    candidates = ["/usr/bin/python3"]
    if soffice is not None:
        candidates.append(str(soffice.parent / "python"))
    candidates.append("/usr/lib/libreoffice/program/python")
    seen: list[str] = []
    for c in candidates:
        if c in seen:
            continue
        seen.append(c)
        if _imports_uno(c):
            return c
    raise LibreOfficeMissing(
        f"LibreOffice's Python-UNO bridge was not found (none of {', '.join(seen)} can "
        f"`import uno`); {INSTALL_HINT}, or set NASKAH_UNO_PYTHON to a Python that has it"
    )


def _imports_uno(python: str) -> bool:
    with _UNO_LOCK:
        if python in _UNO_OK:
            return _UNO_OK[python]
        ok = False
        if os.path.isfile(python) and os.access(python, os.X_OK):
            env = _clean_env()
            try:
                r = subprocess.run(
                    [python, "-B", "-c", "import uno"], env=env, stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60,
                )
                ok = r.returncode == 0
            except (OSError, subprocess.SubprocessError):
                ok = False
        _UNO_OK[python] = ok
        return ok


def _clean_env() -> dict[str, str]:
    env = dict(os.environ)
    # our interpreter's settings must not leak into the system Python or the office
    for k in ("PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV", "PYTHONEXECUTABLE", "__PYVENV_LAUNCHER__"):
        env.pop(k, None)
    return env


# --------------------------------------------------------------------------------------------
# process plumbing: one long-lived launcher thread, PDEATHSIG, process groups

_PR_SET_PDEATHSIG = 1
try:
    _prctl: Callable[..., int] | None = ctypes.CDLL(None, use_errno=True).prctl if sys.platform.startswith("linux") else None
except (OSError, AttributeError):  # pragma: no cover - not Linux/glibc
    _prctl = None


def _child_setup(parent: int) -> Callable[[], None]:
    def setup() -> None:  # runs in the child between fork and exec
        if _prctl is not None:
            _prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return setup


class _Launcher:
    """Spawns children from one thread that lives as long as the process.

    PR_SET_PDEATHSIG fires when the *thread* that forked the child ends, not the process. A
    caller's thread (a web server's worker thread, say) may end long before the converter does,
    which would SIGKILL a healthy office; forking from this thread avoids that.
    """

    _lock = threading.Lock()
    _queue: "list[tuple[Callable[[], Any], Future[Any]]]" = []
    _cond = threading.Condition(_lock)
    _thread: threading.Thread | None = None
    _pid: int | None = None

    @classmethod
    def run(cls, fn: Callable[[], Any]) -> Any:
        fut: Future[Any] = Future()
        with cls._cond:
            if cls._thread is None or not cls._thread.is_alive() or cls._pid != os.getpid():
                cls._queue = []
                cls._pid = os.getpid()
                cls._thread = threading.Thread(target=cls._loop, name="naskah-launcher", daemon=True)
                cls._thread.start()
            cls._queue.append((fn, fut))
            cls._cond.notify()
        return fut.result()

    @classmethod
    def _loop(cls) -> None:
        while True:
            with cls._cond:
                while not cls._queue:
                    cls._cond.wait()
                fn, fut = cls._queue.pop(0)
            if not fut.set_running_or_notify_cancel():
                continue
            try:
                fut.set_result(fn())
            except BaseException as exc:  # handed to the caller
                fut.set_exception(exc)


def _spawn(argv: list[str], **kw: Any) -> subprocess.Popen[bytes]:
    parent = os.getpid()
    return _Launcher.run(
        lambda: subprocess.Popen(argv, start_new_session=True, preexec_fn=_child_setup(parent), close_fds=True, **kw)
    )


def _exit_status(proc: subprocess.Popen[bytes] | None) -> int | None:
    """None while ``proc`` runs; its exit code (negative: signal) once it ended.

    Peeks with WNOWAIT so the zombie is not reaped: its PID, and so its process group ID,
    cannot be reused before we kill the group and reap it in :func:`_kill_group`.
    """
    if proc is None:
        return -1
    if proc.returncode is not None:
        return proc.returncode
    try:
        info = os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return proc.poll() if proc.returncode is None else proc.returncode
    if info is None:
        return None
    return info.si_status if info.si_code == os.CLD_EXITED else -info.si_status


def _kill_group(proc: subprocess.Popen[bytes] | None, *, close_pipes: bool = True) -> None:
    if proc is None:
        return
    if proc.returncode is None:  # not reaped yet: the group ID is still ours
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            proc.kill()
        except OSError:
            pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL cannot be ignored
        pass
    if close_pipes:
        _close_pipes(proc)


def _close_pipes(proc: subprocess.Popen[bytes]) -> None:
    for f in (proc.stdin, proc.stdout, proc.stderr):
        if f is not None:
            try:
                f.close()
            except OSError:
                pass


def _lo_socket_paths(pipe: str, profile_url: str) -> list[Path]:
    uid = os.getuid()
    # desktop/source/app/officeipcthread.cxx: MD5 of the UTF-16 profile URL, each byte in hex
    # without zero padding
    digest = hashlib.md5(profile_url.encode("utf-16-le")).digest()
    ipc = "SingleOfficeIPC_" + "".join(f"{b:x}" for b in digest)
    names = [f"OSL_PIPE_{uid}_{pipe}", f"OSL_PIPE_{uid}_{ipc}"]
    return [Path(d) / n for d in ("/tmp", "/var/tmp") for n in names]


def _sweep_stale_sockets() -> None:
    """Remove pipe sockets left in /tmp by offices of Naskah processes that were SIGKILLed."""
    uid = os.getuid()
    for d in ("/tmp", "/var/tmp"):
        for path in glob.glob(f"{d}/OSL_PIPE_{uid}_naskah-*"):
            m = re.fullmatch(rf"OSL_PIPE_{uid}_naskah-(\d+)-lo-\d+-[0-9a-f]+", os.path.basename(path))
            if m is None or _pid_exists(int(m.group(1))):
                continue
            try:
                st = os.lstat(path)
                if stat.S_ISSOCK(st.st_mode) and st.st_uid == uid:
                    os.unlink(path)
            except OSError:
                pass


def _pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class _Broken(Exception):
    """The office or the worker died or did not answer in time."""


class _StartFailure(ConversionError):
    """The office would not start, even with a fresh profile."""


class _Job:
    """A document handed to the worker: its files in the slot's ``jobs/`` and where it belongs."""

    __slots__ = ("index", "bookmarks", "src", "dst", "sent")

    def __init__(self, index: int, bookmarks: list[str], src: Path, dst: Path) -> None:
        self.index, self.bookmarks, self.src, self.dst = index, bookmarks, src, dst
        self.sent = False  # the worker has the request

    def drop(self) -> None:
        for p in (self.src, self.dst):
            try:
                p.unlink()
            except FileNotFoundError:
                pass


def _read_pdf(path: Path) -> bytes:
    try:
        pdf = path.read_bytes()
    except OSError as exc:
        raise ConversionError(f"LibreOffice reported success but wrote no PDF ({exc})") from None
    if not pdf.startswith(b"%PDF-"):
        raise ConversionError("LibreOffice wrote something that is not a PDF")
    return pdf


def _outcomes(done: "dict[int, bytes | ConversionError]", count: int,
              stopped: "ConversionError | None") -> "list[bytes | ConversionError]":
    """Documents 0..count-1: each one's PDF or error; one no converter took gets ``stopped``, why
    the converters stopped."""
    missing = stopped or ConversionError("not converted: no converter could take it")
    return [done.get(index, missing) for index in range(count)]


def _drain(results: "Generator[tuple[int, bytes | ConversionError], None, ConversionError | None]",
           done: "dict[int, bytes | ConversionError]") -> "ConversionError | None":
    """Run a converter's stream to its end, keeping each outcome by index; why it stopped early."""
    while True:
        try:
            index, outcome = next(results)
        except StopIteration as end:
            return end.value
        done[index] = outcome


def _all_or_first_failure(outcomes: "list[bytes | ConversionError]") -> list[bytes]:
    for index, got in enumerate(outcomes):
        if isinstance(got, ConversionError):
            what = f"document {index + 1} of {len(outcomes)}" if len(outcomes) > 1 else "the document"
            kind = LibreOfficeMissing if isinstance(got, LibreOfficeMissing) else ConversionError
            raise kind(f"{what}: {got}") from None
    return outcomes  # type: ignore[return-value]  # all bytes


class _Office:
    """The running pair (soffice.bin, worker) plus the slot they live in. No Converter refs,
    so that a weakref finalizer can kill it."""

    def __init__(self) -> None:
        self.soffice: subprocess.Popen[bytes] | None = None
        self.worker: subprocess.Popen[bytes] | None = None
        self.buffer = b""
        self.sockets: set[Path] = set()
        self.slot: Path | None = None
        self.slot_fd: int | None = None
        self.kill_lock = threading.Lock()
        # killed from another thread (close() during a conversion): their pipes are closed
        # later, so that the converting thread never selects on a closed, reused fd
        self.retired: list[subprocess.Popen[bytes]] = []

    def kill(self, *, close_pipes: bool = True) -> None:
        with self.kill_lock:
            worker, soffice = self.worker, self.soffice
            self.worker = self.soffice = None
            self.buffer = b""
            _kill_group(worker, close_pipes=close_pipes)
            _kill_group(soffice, close_pipes=close_pipes)
            if not close_pipes:
                self.retired.extend(p for p in (worker, soffice) if p is not None)
            else:
                while self.retired:
                    _close_pipes(self.retired.pop())
            for s in list(self.sockets):
                try:
                    if stat.S_ISSOCK(os.lstat(s).st_mode):
                        os.unlink(s)
                except OSError:
                    pass
            self.sockets.clear()

    def release(self) -> None:
        self.kill()
        with self.kill_lock:
            if self.slot_fd is not None:
                try:
                    os.close(self.slot_fd)  # drops the flock
                except OSError:
                    pass
                self.slot_fd = None


# --------------------------------------------------------------------------------------------
# the converter


class Converter:
    """One warm LibreOffice, reused for every document; a context manager.

    ``timeout`` bounds each conversion attempt (the office's start has at least 30 s); when not
    given it is ``$NASKAH_CONVERT_TIMEOUT`` seconds, else 60. ``soffice`` and ``uno_python``
    override the discovery of ``soffice.bin`` and of the Python with ``uno`` (also
    ``$NASKAH_SOFFICE`` and ``$NASKAH_UNO_PYTHON``). Several converters may share one
    ``workdir``, in one process or several: each takes its own ``lo-<n>`` slot and pipe.
    ``convert`` is serialised by a lock; use several converters (or a :class:`ConverterPool`)
    for parallel conversions.
    """

    def __init__(
        self,
        workdir: Path,
        *,
        timeout: float | None = None,
        soffice: str | None = None,
        uno_python: str | None = None,
    ) -> None:
        timeout = _timeout_setting() if timeout is None else timeout
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        self.workdir = Path(workdir).absolute()
        self.timeout = float(timeout)
        self.soffice_path = find_soffice(soffice)
        self.uno_python = find_uno_python(uno_python, self.soffice_path)
        self.restarts = 0
        self._starts = 0
        self._closed = False
        self._lock = threading.Lock()
        self._holder: int | None = None  # the thread whose iter_convert loop holds the lock
        self._office = _Office()
        self._pipes: list[str] = []
        self._finalizer = weakref.finalize(self, _Office.release, self._office)

    # -- public API ----------------------------------------------------------------------
    def __enter__(self) -> "Converter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Kill the office and the worker (SIGKILL to both process groups) and free the slot.

        Safe to call from another thread while a conversion runs (that conversion then fails
        with :class:`ConversionError`) and more than once.
        """
        self._closed = True
        # without the lock: interrupts a conversion in progress, which then sees EOF
        self._office.kill(close_pipes=False)
        if self._holder == threading.get_ident():
            return  # from the body of this thread's iter_convert loop: the loop's end frees the slot
        with self._lock:
            self._finalizer()

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def soffice_pid(self) -> int | None:
        """PID of the running ``soffice.bin`` (None before the first conversion/after close)."""
        p = self._office.soffice
        return p.pid if p is not None else None

    @property
    def worker_pid(self) -> int | None:
        p = self._office.worker
        return p.pid if p is not None else None

    @property
    def pipe_names(self) -> tuple[str, ...]:
        """Every UNO pipe name this converter has used (one per office start)."""
        return tuple(self._pipes)

    @property
    def slot(self) -> Path | None:
        """``workdir/lo-<n>``, once the office has been started."""
        return self._office.slot

    def convert(self, docx: bytes) -> bytes:
        """DOCX bytes -> PDF/A-2b bytes; Word bookmarks become PDF named destinations.

        Raises :class:`ConversionError` (not a DOCX, refused by LibreOffice, failed twice) and
        :class:`LibreOfficeMissing`.
        """
        data = bytes(docx)
        bookmarks = _docx_bookmarks(data)
        return _add_destination_aliases(self._convert_checked(data), bookmarks)

    def convert_all(self, documents: Iterable[bytes]) -> "list[bytes | ConversionError]":
        """Convert several documents through this one office: each one's PDF, or its error, in order.

        Quicker than :meth:`convert` for each: the next document already waits in the worker while
        this process finishes the PDF before it (its destination names) and checks the one after,
        so LibreOffice does not wait for Naskah between documents. Faults are handled as in
        :meth:`convert` (restart, one retry); a document that fails does not stop the others.
        """
        docs = [bytes(d) for d in documents]
        jobs = iter(enumerate(docs))
        done: dict[int, bytes | ConversionError] = {}
        stopped = _drain(self._results(lambda: next(jobs, None)), done)
        return _outcomes(done, len(docs), stopped)

    def iter_convert(self, documents: Iterable[bytes]) -> "Iterator[bytes | ConversionError]":
        """Each document's PDF, or its error, in order, as they come: a pipeline.

        ``documents`` is read lazily, a few ahead of what has been handed back: while the caller
        works on one PDF (signs it, files it), LibreOffice is already converting the next ones, so
        neither waits for the other. Faults are handled as in :meth:`convert_all`. The converter
        is held until the iterator is exhausted or closed (leaving the loop early closes it: the
        office finishes what it was given, which is then thrown away); converting with this
        converter from the loop's body is refused (:class:`ConversionError`): use another one.
        An exception raised by ``documents`` comes out of the loop after the documents before it.
        """
        source = iter(documents)
        counter = itertools.count()
        failure: list[BaseException] = []

        def take() -> "tuple[int, bytes] | None":
            if failure:
                return None
            try:
                data = next(source)
            except StopIteration:
                return None
            except Exception as exc:  # the documents' own fault: after the ones already in hand
                failure.append(exc)
                return None
            return next(counter), bytes(data)

        waiting: dict[int, bytes | ConversionError] = {}
        wanted = 0
        results = self._results(take)
        try:
            while True:
                try:
                    index, outcome = next(results)
                except StopIteration as end:
                    stopped = end.value
                    break
                waiting[index] = outcome
                while wanted in waiting:  # a bad DOCX is known at once, before the ones ahead of it
                    yield waiting.pop(wanted)
                    wanted += 1
        finally:
            results.close()
        if stopped is not None:  # the office would not start, or the converter was closed
            while take() is not None:
                yield stopped
        if failure:
            raise failure[0]

    def map(self, documents: Iterable[bytes]) -> list[bytes]:
        """:meth:`convert_all`, then the first failure, if any, raised with the document's number."""
        return _all_or_first_failure(self.convert_all(documents))

    def _convert_checked(self, data: bytes) -> bytes:
        """LibreOffice's PDF of a DOCX already checked by :func:`_docx_bookmarks`."""
        self._not_in_own_loop()
        with self._lock:
            if self._closed:
                raise ConversionError("the converter has been closed")
            job = self._new_job(-1, data, [])
            try:
                return self._convert_file(job.src, job.dst)
            finally:
                job.drop()

    def _new_job(self, index: int, data: bytes, bookmarks: list[str]) -> "_Job":
        """Write the DOCX where the worker reads it (under the lock)."""
        self._ensure_slot()
        assert self._office.slot is not None
        jobs = self._office.slot / "jobs"
        jobs.mkdir(mode=0o700, exist_ok=True)
        name = uuid.uuid4().hex
        job = _Job(index, bookmarks, jobs / f"{name}.docx", jobs / f"{name}.pdf")
        try:
            fd = os.open(job.src, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
        except OSError as exc:
            job.drop()
            raise ConversionError(f"cannot write the document for LibreOffice ({exc})") from None
        return job

    # -- several documents, the next one always waiting in the worker ----------------------
    #: documents with the worker at once: one converting, one waiting behind it
    AHEAD = 2

    def _results(self, take: Callable[[], "tuple[int, bytes] | None"]
                 ) -> "Generator[tuple[int, bytes | ConversionError], None, ConversionError | None]":
        """Convert what ``take()`` hands out (``(index, docx)``, None when there is no more) and
        yield ``(index, pdf or error)`` for each, keeping up to :attr:`AHEAD` with the worker.

        Holds the converter until it ends. A document LibreOffice refuses is given its error and
        the stream goes on; if the office dies or hangs, it is restarted and the documents it had
        are converted again (each once more at most, as in :meth:`convert`). If the office cannot
        be started at all or the converter is closed, the documents in hand get that error and the
        stream stops early, returning it (in a pool, the other converters take the rest). Closed
        early (or ``take`` raising), it waits for the replies still owed, so that the worker's
        next reply belongs to the next request.
        """
        self._not_in_own_loop()
        queued: "collections.deque[_Job]" = collections.deque()

        def stop(error: ConversionError
                 ) -> "Generator[tuple[int, bytes | ConversionError], None, ConversionError]":
            if isinstance(error, _StartFailure):  # the callers see a plain ConversionError
                error = ConversionError(str(error))
            for job in queued:  # dropped below, with any replies still owed for them
                yield job.index, error
            return error

        with self._lock:
            self._holder = threading.get_ident()
            try:
                while True:
                    if self._closed:
                        return (yield from stop(ConversionError("the converter has been closed")))
                    try:
                        while len(queued) < self.AHEAD:
                            job, refused = self._take_job(take)
                            if refused is not None:
                                yield refused
                                continue
                            if job is None:
                                break
                            queued.append(job)
                            if all(earlier.sent for earlier in itertools.islice(queued, len(queued) - 1)):
                                self._send(job, first=len(queued) == 1)  # replies come in the order sent
                    except ConversionError as exc:  # the office would not start, or the converter closed
                        return (yield from stop(exc))
                    if not queued:
                        return None
                    job = queued[0]
                    try:
                        pdf = self._finish(job, queued)
                        queued.popleft()
                        outcome: bytes | ConversionError = _add_destination_aliases(pdf, job.bookmarks)
                    except (_StartFailure, LibreOfficeMissing) as exc:
                        return (yield from stop(exc))
                    except ConversionError as exc:
                        if queued and queued[0] is job:
                            queued.popleft()
                        outcome = exc
                    finally:
                        if not queued or queued[0] is not job:
                            job.drop()
                    yield job.index, outcome
            finally:
                self._settle(queued)
                for job in queued:
                    job.drop()
                self._holder = None
                if self._closed:
                    self._finalizer()  # close() was called from the loop's body

    def _not_in_own_loop(self) -> None:
        if self._holder == threading.get_ident():
            raise ConversionError("this converter is busy with the iter_convert loop this call comes from; "
                                  "use another converter (or a ConverterPool) inside the loop")

    def _settle(self, queued: "collections.deque[_Job]") -> None:
        """The stream ended early with documents still with the worker: read their replies (the
        office finishes them) or, if it does not answer in time, kill it."""
        owed = sum(1 for job in queued if job.sent)
        try:
            for _ in range(owed):
                self._read_reply(time.monotonic() + self.timeout, "reply")
        except _Broken:
            self._office.kill()

    def _take_job(self, take: Callable[[], "tuple[int, bytes] | None"]
                  ) -> "tuple[_Job | None, tuple[int, ConversionError] | None]":
        """The next document written for the worker, or ``(None, (index, error))`` if it is not a
        DOCX; ``(None, None)`` when there is no more."""
        got = take()
        if got is None:
            return None, None
        index, data = got
        try:
            return self._new_job(index, data, _docx_bookmarks(data)), None
        except ConversionError as exc:
            return None, (index, exc)

    def _send(self, job: "_Job", *, first: bool) -> None:
        """Hand ``job`` to the worker (every document before it in hand is with the worker). The
        office is started only for the first document in hand: if it is gone with a document
        still in it, that document's reply says so."""
        if not self._alive():
            if not first:
                return
            self._start()
        try:
            self._write_request({"in": str(job.src), "out": str(job.dst)})
        except _Broken:
            return
        job.sent = True

    def _finish(self, job: "_Job", queued: "collections.deque[_Job]") -> bytes:
        """LibreOffice's PDF of ``job``, the oldest document with the worker (``queued[0]``)."""
        if not job.sent:
            return self._convert_file(job.src, job.dst)
        try:
            reply = self._read_reply(time.monotonic() + self.timeout, "reply")
        except _Broken as exc:
            failure = str(exc)
        else:
            if reply.get("ok"):
                return _read_pdf(job.dst)
            failure = str(reply.get("error") or "unknown error")
            if not reply.get("fatal") and self._alive():
                raise ConversionError(failure)
        # the office died or hung: the documents waiting behind this one went with it
        self._office.kill()
        for other in queued:  # job itself included
            other.sent = False
        if self._closed:
            raise ConversionError("the converter was closed during the conversion")
        return self._convert_file(job.src, job.dst, attempts=1, failure=failure)

    # -- conversion with one retry ---------------------------------------------------------
    def _convert_file(self, src: Path, dst: Path, *, attempts: int = 2, failure: str | None = None) -> bytes:
        """Convert ``src``; if the office dies or hangs, restart it and try again, ``attempts``
        tries in all (``failure``: why an earlier try, outside this call, failed)."""
        for _attempt in range(attempts):
            if not self._alive():
                self._start()
            try:
                reply = self._request({"in": str(src), "out": str(dst)}, self.timeout)
            except _Broken as exc:
                failure = str(exc)
            else:
                if reply.get("ok"):
                    return _read_pdf(dst)
                error = str(reply.get("error") or "unknown error")
                if not reply.get("fatal") and self._alive():
                    raise ConversionError(error)
                failure = error
            self._office.kill()
            if self._closed:
                raise ConversionError("the converter was closed during the conversion")
            # this attempt failed because the office died or hung: restart (next loop) and retry
        raise ConversionError(
            f"LibreOffice failed twice on this document, restarting in between (last: {failure}); "
            f"see {self._office.slot}/soffice.log"
        )

    def _alive(self) -> bool:
        o = self._office
        return (
            o.soffice is not None and o.worker is not None
            and _exit_status(o.soffice) is None and _exit_status(o.worker) is None
        )

    # -- requests --------------------------------------------------------------------------
    def _request(self, message: dict[str, Any], timeout: float) -> dict[str, Any]:
        self._write_request(message)
        return self._read_reply(time.monotonic() + timeout, "reply")

    def _write_request(self, message: dict[str, Any]) -> None:
        worker = self._office.worker
        if worker is None or worker.stdin is None:
            raise _Broken("the UNO worker is not running")
        try:
            worker.stdin.write((json.dumps(message) + "\n").encode())
            worker.stdin.flush()
        except (BrokenPipeError, OSError, ValueError) as exc:
            raise _Broken(f"the UNO worker is gone ({exc})") from None

    def _read_reply(
        self, deadline: float, what: str, *, on_tick: Callable[[], None] | None = None
    ) -> dict[str, Any]:
        """The next JSON object from the worker; _Broken on EOF, death or ``deadline``."""
        o = self._office
        worker = o.worker
        if worker is None or worker.stdout is None:
            raise _Broken("the UNO worker is not running")
        fd = worker.stdout.fileno()
        waited_from = time.monotonic()
        while True:
            while b"\n" in o.buffer:
                line, o.buffer = o.buffer.split(b"\n", 1)
                try:
                    msg = json.loads(line)
                except ValueError:
                    continue  # not ours (cannot happen: the worker guards fd 1); skip
                if isinstance(msg, dict):
                    return msg
            left = deadline - time.monotonic()
            if left <= 0:
                raise _Broken(f"no {what} from LibreOffice within {time.monotonic() - waited_from:.0f} s")
            try:
                ready, _, _ = select.select([fd], [], [], min(left, 0.2))
            except (OSError, ValueError) as exc:  # fd closed by close() in another thread
                raise _Broken(f"the UNO worker is gone ({exc})") from None
            if ready:
                try:
                    chunk = os.read(fd, 65536)
                except OSError as exc:
                    raise _Broken(f"the UNO worker is gone ({exc})") from None
                if not chunk:
                    raise _Broken(self._death_text())
                o.buffer += chunk
                continue
            if on_tick is not None:
                on_tick()
            elif o.soffice is not None and _exit_status(o.soffice) is not None:
                # the worker will notice too, but do not wait for it
                raise _Broken(self._death_text())

    def _death_text(self) -> str:
        o = self._office
        parts = []
        for name, p in (("soffice.bin", o.soffice), ("UNO worker", o.worker)):
            status = _exit_status(p)
            if status is not None:
                parts.append(f"{name} ended ({_describe_status(status)})")
        return "; ".join(parts) or "the UNO worker closed its output"

    # -- starting ---------------------------------------------------------------------------
    def _ensure_slot(self) -> None:
        o = self._office
        if o.slot is not None:
            return
        self.workdir.mkdir(parents=True, exist_ok=True)
        import fcntl

        n = 0
        while True:
            slot = self.workdir / f"lo-{n}"
            slot.mkdir(mode=0o700, exist_ok=True)
            fd = os.open(slot / "lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                n += 1
                continue
            o.slot, o.slot_fd = slot, fd
            _sweep_stale_sockets()
            return

    def _start(self) -> None:
        """Start (or restart) the office and the worker; kill whatever was left first."""
        if self._closed:
            raise ConversionError("the converter has been closed")
        self._office.kill()
        if self._starts:
            self.restarts += 1
        self._starts += 1
        try:
            self._start_once()
        except _Broken as first:
            # a damaged profile is the usual reason for an office that will not start
            self._office.kill()
            assert self._office.slot is not None
            shutil.rmtree(self._office.slot / "profile", ignore_errors=True)
            try:
                self._start_once()
            except _Broken as second:
                self._office.kill()
                raise _StartFailure(
                    f"LibreOffice did not start ({first}; again with a fresh profile: {second}); "
                    f"see {self._office.slot}/soffice.log"
                ) from None

    def _start_once(self) -> None:
        o = self._office
        slot = o.slot
        assert slot is not None
        home, tmp, run = slot / "home", slot / "tmp", slot / "run"
        for d in (home, tmp, run):
            d.mkdir(mode=0o700, exist_ok=True)
        profile_url = (slot / "profile").as_uri()
        pipe = f"naskah-{os.getpid()}-{slot.name}-{uuid.uuid4().hex[:8]}"
        self._pipes.append(pipe)
        o.sockets.update(_lo_socket_paths(pipe, profile_url))
        env = _clean_env()
        for k in ("DISPLAY", "WAYLAND_DISPLAY", "DBUS_SESSION_BUS_ADDRESS", "SESSION_MANAGER"):
            env.pop(k, None)
        env.update(
            HOME=str(home), TMPDIR=str(tmp), TMP=str(tmp), TEMP=str(tmp),
            XDG_CONFIG_HOME=str(home / ".config"), XDG_CACHE_HOME=str(home / ".cache"),
            XDG_DATA_HOME=str(home / ".local" / "share"), XDG_RUNTIME_DIR=str(run),
            SAL_USE_VCLPLUGIN="svp", SAL_ENABLE_FILE_LOCKING="1", OOO_DISABLE_RECOVERY="1",
            PYTHONDONTWRITEBYTECODE="1",
        )
        argv = [
            str(self.soffice_path), "--headless", "--invisible", "--nologo", "--norestore",
            "--nodefault", "--nolockcheck", f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext",
            f"-env:UserInstallation={profile_url}",
            # the shared-extension cache is /var/spool/libreoffice/...: LibreOffice writes there
            # when it may (as root, say). Naskah uses no shared extensions; keep it in the slot.
            f"-env:UNO_SHARED_PACKAGES_CACHE={(slot / 'shared-extensions').as_uri()}",
        ]
        startup = max(self.timeout, _MIN_STARTUP_TIMEOUT)
        deadline = time.monotonic() + startup

        def launch_office() -> None:
            with open(slot / "soffice.log", "wb") as log:
                o.soffice = _spawn(argv, cwd=str(slot), env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)

        try:
            launch_office()
            with open(slot / "worker.log", "wb") as wlog:
                o.worker = _spawn(
                    [self.uno_python, "-B", str(WORKER), "--pipe", pipe, "--connect-timeout", f"{startup:g}"],
                    cwd=str(slot), env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=wlog, bufsize=0,
                )
        except OSError as exc:
            raise LibreOfficeMissing(f"cannot run LibreOffice ({exc}); {INSTALL_HINT}") from None
        o.buffer = b""
        relaunches = 0

        def watch_office() -> None:
            nonlocal relaunches
            status = _exit_status(o.soffice)
            if status is None:
                return
            if status == _EXIT_RESTART and relaunches < 3:
                # a fresh profile: soffice.bin initialised it and asks to be started again
                relaunches += 1
                _kill_group(o.soffice)
                launch_office()
                return
            raise _Broken(f"soffice.bin exited during start-up ({_describe_status(status)}): {_tail(slot / 'soffice.log')}")

        try:
            msg = self._read_reply(deadline, "start-up", on_tick=watch_office)
        except _Broken as exc:
            raise _Broken(f"{exc}; worker: {_tail(slot / 'worker.log')}") from None
        if not msg.get("ready"):
            raise _Broken(f"the UNO worker could not connect: {msg.get('error')}")


class ConverterPool:
    """``size`` warm converters behind one :meth:`convert`; thread-safe; a context manager.

    Each call takes a free converter (waiting for one if all are busy), so up to ``size``
    documents are converted at the same time, each in its own LibreOffice. :meth:`convert_all` and
    :meth:`map` convert several documents over all of them, in order. Offices start lazily, on
    the first document each converter gets. Keyword arguments go to every :class:`Converter`.
    """

    def __init__(self, workdir: Path, *, size: int = 2, **options: Any) -> None:
        if size < 1:
            raise ValueError("a converter pool needs at least one converter")
        self.converters = tuple(Converter(workdir, **options) for _ in range(size))
        self._free: "queue.SimpleQueue[Converter]" = queue.SimpleQueue()
        for converter in self.converters:
            self._free.put(converter)

    def __enter__(self) -> "ConverterPool":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def size(self) -> int:
        return len(self.converters)

    @property
    def restarts(self) -> int:
        return sum(c.restarts for c in self.converters)

    def convert(self, docx: bytes) -> bytes:
        """Like :meth:`Converter.convert`, on whichever converter is free.

        The converter is held only while LibreOffice works: the DOCX check before and the PDF's
        destination names after run outside it, so that its office is never idle for them."""
        data = bytes(docx)
        bookmarks = _docx_bookmarks(data)
        converter = self._free.get()
        try:
            pdf = converter._convert_checked(data)
        finally:
            self._free.put(converter)
        return _add_destination_aliases(pdf, bookmarks)

    def convert_all(self, documents: Iterable[bytes]) -> "list[bytes | ConversionError]":
        """Convert every document over the free converters: each one's PDF, or its error, in order.

        Each converter streams as :meth:`Converter.convert_all` does, taking the next document when
        it is ready for one, so a slow document holds up only its own office.
        """
        from concurrent.futures import ThreadPoolExecutor

        docs = [bytes(d) for d in documents]
        if not docs:
            return []
        taking = threading.Lock()
        jobs = iter(enumerate(docs))

        def take() -> "tuple[int, bytes] | None":
            with taking:
                return next(jobs, None)

        done: dict[int, bytes | ConversionError] = {}
        mine = [self._free.get()]  # at least one; the others if free now (a concurrent convert keeps its own)
        while len(mine) < min(self.size, len(docs)):
            try:
                mine.append(self._free.get_nowait())
            except queue.Empty:
                break
        try:
            with ThreadPoolExecutor(max_workers=len(mine), thread_name_prefix="naskah-convert") as pool:
                streams = [pool.submit(_drain, c._results(take), done) for c in mine]
                stopped = [running.result() for running in streams]
        finally:
            for converter in mine:
                self._free.put(converter)
        return _outcomes(done, len(docs), next((e for e in stopped if e is not None), None))

    def map(self, documents: Iterable[bytes]) -> list[bytes]:
        """:meth:`convert_all`, then the first failure, if any, raised with the document's number."""
        return _all_or_first_failure(self.convert_all(documents))

    def close(self) -> None:
        for converter in self.converters:
            converter.close()


def _timeout_setting() -> float:
    given = os.environ.get("NASKAH_CONVERT_TIMEOUT", "").strip()
    if not given:
        return 60.0
    try:
        value = float(given)
    except ValueError:
        value = 0.0
    if not 0 < value < float("inf"):  # also refuses nan
        raise ConversionError(f"NASKAH_CONVERT_TIMEOUT must be a positive number of seconds, not '{given}'")
    return value


# --------------------------------------------------------------------------------------------
# DOCX inspection and PDF post-processing


def _docx_bookmarks(data: bytes) -> list[str]:
    """Check that ``data`` looks like a DOCX and return its bookmark names."""
    if not data:
        raise ConversionError("the document is empty (0 bytes), not a DOCX")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ConversionError("the document is not a DOCX file (it is not a ZIP archive)") from None
    with zf:
        names = set(zf.namelist())
        if "word/document.xml" not in names:
            raise ConversionError("the document is not a DOCX file (it has no word/document.xml)")
        found: list[str] = []
        for part in sorted(n for n in names if _BOOKMARK_PARTS.fullmatch(n)):
            try:
                with zf.open(part) as f:
                    for _, el in ET.iterparse(f, events=("end",)):
                        if el.tag == _W_NS + "bookmarkStart":
                            name = el.get(_W_NS + "name")
                            if name and name not in found:
                                found.append(name)
                        el.clear()
            except ET.ParseError as exc:
                raise ConversionError(f"the DOCX is damaged: {part} is not well-formed XML ({exc})") from None
            except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as exc:
                raise ConversionError(f"the DOCX is damaged: cannot read {part} ({exc})") from None
    return found


def lo_destination_name(name: str) -> str:
    """The name LibreOffice 7.x gives the PDF destination of bookmark ``name``."""
    out = []
    for ch in name:
        if ch.isascii() and (ch.isalnum() or ch == "-"):
            out.append(ch)
        else:
            out.append(f"{ord(ch) & 0xFF:02X}")
    return "".join(out)


def _add_destination_aliases(pdf: bytes, bookmarks: Iterable[str]) -> bytes:
    """Give each bookmark's destination its real name too, in one incremental update.

    Read with pyHanko's reader, the one that signs the letter next (no second PDF library in the
    conversion path)."""
    wanted = {b: lo_destination_name(b) for b in bookmarks}
    wanted = {b: m for b, m in wanted.items() if m != b}
    if not wanted:
        return pdf
    from pyhanko.pdf_utils.generic import DictionaryObject, IndirectObject, NameObject
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        root_ref = reader.trailer.raw_get("/Root")
        root = root_ref.get_object()
        if "/Dests" not in root:
            return pdf
        dests_raw = root.raw_get("/Dests")
        dests = dests_raw.get_object()
        if not isinstance(dests, DictionaryObject):
            return pdf
        additions = {}
        for real, mangled in wanted.items():
            if "/" + real in dests or "/" + mangled not in dests:
                continue
            additions[NameObject("/" + real)] = dests.raw_get("/" + mangled)
        if not additions:
            return pdf
        if isinstance(dests_raw, IndirectObject):
            ref, obj = dests_raw, DictionaryObject({**{k: dests.raw_get(k) for k in dests}, **additions})
        else:
            new_dests = DictionaryObject({**{k: dests.raw_get(k) for k in dests}, **additions})
            ref = root_ref
            obj = DictionaryObject({k: root.raw_get(k) for k in root})
            obj[NameObject("/Dests")] = new_dests
        return _append_update(pdf, reader, ref, obj)
    except ConversionError:
        raise
    except Exception as exc:  # never lose a good PDF over the alias
        raise ConversionError(f"cannot add named destinations to the PDF ({type(exc).__name__}: {exc})") from None


def _append_update(pdf: bytes, reader: Any, ref: Any, obj: Any) -> bytes:
    """Append an incremental update replacing object ``ref`` with ``obj`` (classic xref).

    Written by hand in the PDF/A-friendly form (EOLs around ``obj``/``endobj``, trailer with
    the original /ID) so that everything LibreOffice wrote stays byte for byte.
    """
    from pyhanko.pdf_utils.generic import DictionaryObject, NameObject, NumberObject

    m = re.search(rb"startxref\s+(\d+)\s+%%EOF\s*$", pdf[-1024:])
    if m is None:
        raise ConversionError("the PDF from LibreOffice has no startxref")
    prev = int(m.group(1))
    if not pdf[prev:prev + 4] == b"xref":
        raise ConversionError("the PDF from LibreOffice uses a cross-reference stream; cannot add names")
    body = io.BytesIO()
    obj.write_to_stream(body)
    out = bytearray(pdf)
    if not out.endswith(b"\n"):
        out += b"\n"
    offset = len(out)
    out += f"{ref.idnum} {ref.generation} obj\n".encode() + body.getvalue() + b"\nendobj\n"
    xref_at = len(out)
    t = DictionaryObject()
    for key in ("/Size", "/Root", "/Info", "/ID"):
        try:
            t[NameObject(key)] = reader.trailer.raw_get(key)
        except KeyError:
            if key in ("/Size", "/Root"):
                raise
    t[NameObject("/Prev")] = NumberObject(prev)
    tb = io.BytesIO()
    t.write_to_stream(tb)
    out += f"xref\n{ref.idnum} 1\n{offset:010d} {ref.generation:05d} n \n".encode()
    out += b"trailer\n" + tb.getvalue() + f"\nstartxref\n{xref_at}\n%%EOF\n".encode()
    return bytes(out)


def _describe_status(status: int) -> str:
    if status < 0:
        try:
            return f"killed by {signal.Signals(-status).name}"
        except ValueError:
            return f"killed by signal {-status}"
    return f"exit code {status}"


def _tail(path: Path, limit: int = 600) -> str:
    try:
        text = path.read_bytes()[-limit:].decode("utf-8", "replace").strip()
    except OSError:
        return "(no log)"
    return text or "(empty log)"
